import { Type } from 'typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { actorOf, requireUser, signedInActorOf } from '../../plugins/auth.ts'
import { errorResponses, IdParamsSchema } from '../../schemas/common.ts'
import {
  DeleteRoadQuerySchema,
  RoadCollectionSchema,
  RoadImportQuerySchema,
  RoadImportResultSchema,
  RoadQuerySchema,
  RoadSchema,
  UpdateRoadSchema,
  type RoadFormat,
} from '../../schemas/roads.ts'
import { readRoadFile } from './read.ts'
import { deleteRoad, getRoad, importRoads, listRoads, ROAD_DEPARTMENTS, updateRoad, type RoadImportOptions } from './service.ts'
import { addImportParsers } from '../../plugins/validation.ts'

const XML_TYPES = ['application/osm+xml', 'application/xml', 'text/xml']
const PBF_TYPES = ['application/vnd.openstreetmap.data+pbf', 'application/x-protobuf', 'application/octet-stream']

function formatOf(contentType: string | undefined, asked: RoadFormat | undefined): RoadFormat {
  if (asked) return asked
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  if (XML_TYPES.includes(type)) return 'osm'
  if (PBF_TYPES.includes(type)) return 'pbf'
  return 'geojson'
}

/** The road network's import: GeoJSON, OpenStreetMap XML or PBF, all roads or none. */
export interface RoadRoutesOptions {
  /** What the import must bring up to date in its transaction (the zoning's walking conflicts). */
  onNetworkChanged: RoadImportOptions['onNetworkChanged']
}

const roadRoutes: FastifyPluginAsyncTypebox<RoadRoutesOptions> = async (app, { onNetworkChanged }) => {
  // Raw bodies for the OpenStreetMap encodings; each is decoded by the import in bounded chunks.
  addImportParsers(app, { bytes: [...XML_TYPES, ...PBF_TYPES] })

  app.post(
    '/api/import/roads',
    {
      bodyLimit: app.config.importBodyLimitBytes,
      config: { access: { departments: ROAD_DEPARTMENTS, roles: ['clerk', 'supervisor'] } },
      schema: {
        tags: ['import'],
        summary:
          'Import roads from GeoJSON (LineString/MultiLineString features with OSM tags), OpenStreetMap XML (application/osm+xml) or PBF (application/vnd.openstreetmap.data+pbf); all roads or none',
        querystring: RoadImportQuerySchema,
        response: { 201: RoadImportResultSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = requireUser(request)
      const format = formatOf(request.headers['content-type'], request.query.format)
      const file = await readRoadFile(request.body, format, request.query.crs ?? 'wgs84', app.config.roadImportMaxNodes)
      const source = request.query.source ?? `${format} import ${new Date().toISOString()}`
      const result = await importRoads(
        app.db,
        file,
        {
          format,
          source,
          licence: request.query.licence,
          attribution: request.query.attribution,
          replace: request.query.replace,
          onNetworkChanged,
        },
        { ...actorOf(request), user },
      )
      request.log.info({ sourceId: result.sourceId, imported: result.imported }, 'roads imported')
      return reply.status(201).send(result)
    },
  )

  const keepers = { access: { departments: ROAD_DEPARTMENTS, roles: ['clerk', 'supervisor'] as const } }
  app.get(
    '/api/roads',
    {
      config: { access: 'user' },
      schema: {
        tags: ['roads'],
        summary: 'Roads as a FeatureCollection (bbox, kind, name, import)',
        querystring: RoadQuerySchema,
        response: { 200: RoadCollectionSchema, ...errorResponses },
      },
    },
    async (request) => listRoads(app.db, request.query),
  )
  app.get(
    '/api/roads/:id',
    {
      config: { access: 'user' },
      schema: { tags: ['roads'], summary: 'One road', params: IdParamsSchema, response: { 200: RoadSchema, ...errorResponses } },
    },
    async (request) => getRoad(app.db, request.params.id),
  )
  app.patch(
    '/api/roads/:id',
    {
      config: keepers,
      schema: {
        tags: ['roads'],
        summary:
          'Change a road (name, kind, walkable, drivable, one-way, line) with a reason; conflicts under walking rules follow in the same transaction',
        params: IdParamsSchema,
        body: UpdateRoadSchema,
        response: { 200: RoadSchema, ...errorResponses },
      },
    },
    async (request) => updateRoad(app.db, request.params.id, request.body, signedInActorOf(request), onNetworkChanged),
  )
  app.delete(
    '/api/roads/:id',
    {
      config: keepers,
      schema: {
        tags: ['roads'],
        summary: 'Delete a road with a reason; conflicts under walking rules follow in the same transaction',
        params: IdParamsSchema,
        querystring: DeleteRoadQuerySchema,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await deleteRoad(app.db, request.params.id, request.query.reason, signedInActorOf(request), onNetworkChanged)
      return reply.status(204).send(null)
    },
  )
}

export default roadRoutes
