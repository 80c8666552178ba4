import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AppError } from '../../errors.ts'
import { errorResponses } from '../../schemas/common.ts'
import {
  AnyLayerParamsSchema,
  AnyLayerTileParamsSchema,
  MvtSchema,
  TILE_LAYERS,
  TileJsonSchema,
  TileParamsSchema,
  TileQuerySchema,
} from '../../schemas/tiles.ts'
import { LAYERS } from './layers.ts'
import * as service from './service.ts'
import type { TileCache } from './tile-cache.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** This instance's rendered tiles, by data version (TILE_CACHE_BYTES; null when 0). */
    tileCache: TileCache | null
  }
}

/**
 * Vector tiles and their TileJSON, one pair of routes per layer so that each declares who may read it
 * (counties, townships and roads are public basemap; the registry layers need a login, which MapLibre sends as the
 * session cookie on the same origin).
 */
const tilesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const cache = app.tileCache
  for (const layer of TILE_LAYERS) {
    const definition = LAYERS[layer]
    const config = { access: definition.access }
    const who = definition.access === 'public' ? 'public' : 'signed-in users'

    app.get(
      `/tiles/${layer}.json`,
      {
        config,
        schema: {
          tags: ['tiles'],
          summary: `TileJSON 3.0.0 of the ${layer} layer (${who})`,
          response: { 200: TileJsonSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        // Behind a proxy the tile URLs are the published ones (PUBLIC_URL), not whatever Host the client sent.
        const origin = service.tileOrigin(app.config.publicUrl, request)
        reply.header('cache-control', `${definition.access === 'public' ? 'public' : 'private'}, no-cache`)
        return service.tileJson(request.readDb, layer, origin)
      },
    )

    app.get(
      `/tiles/${layer}/:z/:x/:y.mvt`,
      {
        config,
        schema: {
          tags: ['tiles'],
          summary: `Vector tile of the ${layer} layer (${who}); source-layers ${definition.sourceLayers.map((s) => s.id).join(', ')}; 204 when empty, 304 on If-None-Match`,
          params: TileParamsSchema,
          querystring: TileQuerySchema,
          response: {
            200: MvtSchema,
            204: Type.Null({ description: 'No feature in this tile' }),
            304: Type.Null({ description: 'Not modified (If-None-Match)' }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const answer = await service.tile(
          request.readDb,
          app.databaseKind,
          layer,
          request.params,
          request.query,
          request.headers['if-none-match'],
          // On the primary the version read runs prepared; a standby has no prepared pool of its own.
          { cache: cache ?? undefined, versionDb: request.readDb === app.db ? app.preparedDb : request.readDb },
        )
        reply.status(answer.status).header('etag', answer.etag).header('cache-control', answer.cacheControl)
        if (answer.status === 200) return reply.type(service.TILE_MEDIA_TYPE).send(answer.body)
        return reply.send(null)
      },
    )
  }

  // Unknown layers land here (the static routes above win for the known ones): the answer names the field.
  const unknownLayer = (layer: string) =>
    new AppError('NOT_FOUND', `params/layer: there is no tile layer ${JSON.stringify(layer)}; the layers are ${TILE_LAYERS.join(', ')}`, {
      problems: [{ field: 'params/layer', message: `must be one of ${TILE_LAYERS.join(', ')}` }],
    })
  app.get('/tiles/:layer.json', { config: { access: 'public' }, schema: { hide: true, params: AnyLayerParamsSchema } }, async (request) => {
    throw unknownLayer(request.params.layer)
  })
  app.get(
    '/tiles/:layer/:z/:x/:y.mvt',
    { config: { access: 'public' }, schema: { hide: true, params: AnyLayerTileParamsSchema, querystring: TileQuerySchema } },
    async (request) => {
      throw unknownLayer(request.params.layer)
    },
  )
}

export default tilesRoutes
