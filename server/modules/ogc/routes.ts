import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { AppError } from '../../errors.ts'
import { signedInActorOf } from '../../plugins/auth.ts'
import { DEFAULT_CRS, type OgcCrs } from './crs.ts'
import { openApi } from './openapi.ts'
import { parseCrs, parseItemsQuery, bad } from './query.ts'
import * as service from './service.ts'
import { GEOJSON } from './service.ts'
import * as writes from './writes.ts'
import { sendOgcDownload } from '../formats/ogc-downloads.ts'
import { isOgcDownload } from './downloads.ts'

// Reads are open at the route: each collection decides who sees it and which rows (collections.ts), so the
// public reference layers need no sign-in. Writes need a clerk or supervisor (admins pass), decided before the
// body is read; the registry service then applies the department, category and county rules.
const read = { access: 'public' as const }
const write = { access: { roles: ['clerk', 'supervisor'] as const } }

const CollectionParams = Type.Object({ collectionId: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false })
const FeatureParams = Type.Object(
  { collectionId: Type.String({ minLength: 1, maxLength: 100 }), featureId: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
)
const tags = ['ogc']

/** The OGC API's own address: the published origin behind a proxy, else the request's. */
const baseOf = (request: FastifyRequest) => `${request.server.config.publicUrl ?? `${request.protocol}://${request.host}`}/ogc`

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

/** The only query parameter of a single feature, the collection documents and the landing page: crs (item) and f. */
function plainQuery(request: FastifyRequest, allowed: readonly string[]): Record<string, unknown> {
  const query = (request.query ?? {}) as Record<string, unknown>
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name)) throw bad(name, 'is not a parameter of this resource')
    if (Array.isArray(query[name])) throw bad(name, 'is given more than once')
  }
  if (query.f !== undefined && query.f !== 'json') throw bad('f', 'must be json')
  return query
}

const contentCrs = (request: FastifyRequest): OgcCrs => parseCrs(header(request, 'content-crs'), 'content-crs')
const preconditions = (request: FastifyRequest): writes.Preconditions => ({
  ifMatch: header(request, 'if-match'),
  ifUnmodifiedSince: header(request, 'if-unmodified-since'),
})

/** Refuses a write to a collection the user does not see or that cannot be edited, before the body is read. */
async function writableCollection(request: FastifyRequest, reply: FastifyReply) {
  const collection = service.collectionFor((request.params as { collectionId: string }).collectionId, request.user)
  if (!collection.writable) {
    reply.header('allow', 'GET, HEAD, OPTIONS').header('connection', 'close')
    throw new AppError('METHOD_NOT_ALLOWED', `collection ${collection.id} cannot be edited through this API (schools and premises can)`)
  }
}

async function sendItem(reply: FastifyReply, result: service.ItemResult, crs: OgcCrs, status = 200) {
  reply.status(status).type(GEOJSON).header('content-crs', `<${crs.uri}>`).header('etag', result.etag)
  if (result.lastModified) reply.header('last-modified', result.lastModified.toUTCString())
  return reply.send(result.feature)
}

/** OGC API – Features under /ogc: Part 1 core with GeoJSON and OpenAPI 3.0, Part 2 CRS, Part 4 on schools and premises. */
const ogcRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app
  // QGIS and GDAL send features as GeoJSON and merge patches under their own media types.
  app.addContentTypeParser(
    ['application/geo+json', 'application/merge-patch+json'],
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  )

  for (const url of ['/ogc', '/ogc/']) {
    app.get(url, { config: read, schema: { tags, summary: 'OGC API landing page', hide: url === '/ogc/' } }, async (request) => {
      plainQuery(request, ['f'])
      return service.landing(baseOf(request))
    })
  }
  app.get('/ogc/conformance', { config: read, schema: { tags, summary: 'OGC API conformance classes' } }, async (request) => {
    plainQuery(request, ['f'])
    return service.conformance()
  })
  app.get('/ogc/api', { config: read, schema: { tags, summary: 'OGC API definition (OpenAPI 3.0)' } }, async (request, reply) => {
    plainQuery(request, ['f'])
    // Written as GDAL matches it (a prefix of its Accept entry); sent as bytes, since Fastify rewrites the media type of a text body.
    return reply
      .header('content-type', 'application/vnd.oai.openapi+json;version=3.0')
      .send(Buffer.from(JSON.stringify(openApi(baseOf(request), request.user))))
  })
  app.get('/ogc/collections', { config: read, schema: { tags, summary: 'OGC API collections the caller sees' } }, async (request) => {
    plainQuery(request, ['f'])
    return service.collections(db, request.user, baseOf(request))
  })
  app.get(
    '/ogc/collections/:collectionId',
    { config: read, schema: { tags, summary: 'One OGC API collection with its extent', params: CollectionParams } },
    async (request) => {
      plainQuery(request, ['f'])
      return service.collection(db, request.params.collectionId, request.user, baseOf(request))
    },
  )
  app.get(
    '/ogc/collections/:collectionId/queryables',
    { config: read, schema: { tags, summary: 'Queryables of a collection (JSON Schema)', params: CollectionParams } },
    async (request, reply) => {
      plainQuery(request, ['f'])
      return reply.type('application/schema+json').send(service.queryables(request.params.collectionId, request.user, baseOf(request)))
    },
  )
  app.get(
    '/ogc/collections/:collectionId/items',
    {
      config: read,
      schema: {
        tags,
        summary: 'Features of a collection (GeoJSON, keyset pages; f=csv|fgb|gpkg: all of them as a file)',
        params: CollectionParams,
      },
    },
    async (request, reply) => {
      const collection = service.collectionFor(request.params.collectionId, request.user)
      const query = (request.query ?? {}) as Record<string, unknown>
      // Pages and downloads are reads that may lag a little (a standby when there is one); a single feature, whose
      // ETag an edit sends back, is read on the primary.
      if (isOgcDownload(query.f)) return sendOgcDownload(reply, request.readDb, collection, request.user, query, query.f)
      const parsed = parseItemsQuery(collection, query)
      const page = await service.items(request.readDb, collection, request.user, parsed, baseOf(request), query)
      return reply.type(GEOJSON).header('content-crs', `<${parsed.crs.uri}>`).send(page)
    },
  )
  app.get(
    '/ogc/collections/:collectionId/items/:featureId',
    { config: read, schema: { tags, summary: 'One feature (with a strong ETag)', params: FeatureParams } },
    async (request, reply) => {
      const collection = service.collectionFor(request.params.collectionId, request.user)
      const query = plainQuery(request, ['crs', 'f'])
      const crs = parseCrs(query.crs as string | undefined, 'crs')
      const result = await service.item(db, collection, request.user, request.params.featureId, crs, baseOf(request))
      const ifNoneMatch = header(request, 'if-none-match')
      if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === result.etag || t.trim() === '*'))
        return reply.status(304).header('etag', result.etag).send()
      return sendItem(reply, result, crs)
    },
  )

  // OPTIONS: the methods this user may use here (QGIS asks before it offers editing).
  app.options(
    '/ogc/collections/:collectionId/items',
    { config: read, schema: { tags, summary: 'Methods allowed on the items', params: CollectionParams } },
    async (request, reply) => {
      const collection = service.collectionFor(request.params.collectionId, request.user)
      const allowed = ['GET', 'HEAD', 'OPTIONS', ...(writes.mayCreate(collection, request.user) ? ['POST'] : [])]
      return reply.status(204).header('allow', allowed.join(', ')).send()
    },
  )
  app.options(
    '/ogc/collections/:collectionId/items/:featureId',
    { config: read, schema: { tags, summary: 'Methods allowed on a feature', params: FeatureParams } },
    async (request, reply) => {
      const collection = service.collectionFor(request.params.collectionId, request.user)
      const result = await service.item(db, collection, request.user, request.params.featureId, DEFAULT_CRS, baseOf(request))
      const allowed = [
        'GET',
        'HEAD',
        'OPTIONS',
        ...(writes.mayChange(collection, request.user, result.feature) ? ['PUT', 'PATCH', 'DELETE'] : []),
      ]
      return reply.status(204).header('allow', allowed.join(', ')).send()
    },
  )

  app.post(
    '/ogc/collections/:collectionId/items',
    {
      config: write,
      onRequest: writableCollection,
      schema: { tags, summary: 'Add a feature (schools, premises)', params: CollectionParams },
    },
    async (request, reply) => {
      plainQuery(request, [])
      const collection = service.collectionFor(request.params.collectionId, request.user)
      const id = await writes.createFeature(db, collection, request.body, contentCrs(request), signedInActorOf(request))
      request.log.info({ collection: collection.id, id }, 'feature created')
      const result = await service.item(db, collection, request.user, String(id), DEFAULT_CRS, baseOf(request))
      reply.header('location', `${baseOf(request)}/collections/${collection.id}/items/${id}`)
      return sendItem(reply, result, DEFAULT_CRS, 201)
    },
  )
  app.put(
    '/ogc/collections/:collectionId/items/:featureId',
    { config: write, onRequest: writableCollection, schema: { tags, summary: 'Replace a feature (If-Match)', params: FeatureParams } },
    async (request, reply) => {
      plainQuery(request, [])
      const collection = service.collectionFor(request.params.collectionId, request.user)
      const { featureId } = request.params
      await writes.replaceFeature(
        db,
        collection,
        featureId,
        request.body,
        contentCrs(request),
        preconditions(request),
        signedInActorOf(request),
        baseOf(request),
      )
      return sendItem(reply, await service.item(db, collection, request.user, featureId, DEFAULT_CRS, baseOf(request)), DEFAULT_CRS)
    },
  )
  app.patch(
    '/ogc/collections/:collectionId/items/:featureId',
    {
      config: write,
      onRequest: writableCollection,
      schema: { tags, summary: 'Update a feature (JSON merge patch, If-Match)', params: FeatureParams },
    },
    async (request, reply) => {
      plainQuery(request, [])
      const collection = service.collectionFor(request.params.collectionId, request.user)
      const { featureId } = request.params
      await writes.updateFeature(
        db,
        collection,
        featureId,
        request.body,
        contentCrs(request),
        preconditions(request),
        signedInActorOf(request),
        baseOf(request),
      )
      return sendItem(reply, await service.item(db, collection, request.user, featureId, DEFAULT_CRS, baseOf(request)), DEFAULT_CRS)
    },
  )
  app.delete(
    '/ogc/collections/:collectionId/items/:featureId',
    { config: write, onRequest: writableCollection, schema: { tags, summary: 'Delete a feature (If-Match)', params: FeatureParams } },
    async (request, reply) => {
      plainQuery(request, [])
      const collection = service.collectionFor(request.params.collectionId, request.user)
      await writes.deleteFeature(
        db,
        collection,
        request.params.featureId,
        preconditions(request),
        signedInActorOf(request),
        baseOf(request),
      )
      return reply.status(204).send()
    },
  )
}

export default ogcRoutes
