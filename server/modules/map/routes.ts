import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../schemas/common.ts'
import { MapConfigSchema } from '../../schemas/map.ts'
import { tileOrigin } from '../tiles/service.ts'
import * as service from './service.ts'

/** What the map desk needs before drawing: the basemap and the extent of the registry. */
const mapRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/map-config',
    {
      config: { access: 'public' },
      schema: {
        tags: ['map'],
        summary: 'Basemap settings, the area to show, and the TileJSON of each vector source the asker may read',
        response: { 200: MapConfigSchema, ...errorResponses },
      },
    },
    async (request) =>
      service.mapConfig(request.readDb, app.config, {
        signedIn: request.user !== null,
        tileOrigin: tileOrigin(app.config.publicUrl, request),
      }),
  )
}

export default mapRoutes
