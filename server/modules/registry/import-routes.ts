import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { signedInActorOf } from '../../plugins/auth.ts'
import { errorResponses } from '../../schemas/common.ts'
import { ImportKindSchema, ImportQuerySchema, ImportResultSchema } from '../../schemas/registry.ts'
import { AddressImportQuerySchema } from '../../schemas/search.ts'
import { ADDRESS_DEPARTMENTS } from '../addresses/service.ts'
import { candidatesFromCsv, candidatesFromGeoJson, importRecords } from './import.ts'
import { addImportParsers } from '../../plugins/validation.ts'
import { AppError } from '../../errors.ts'
import { candidatesFromBody } from './import-formats.ts'

/** Surveyed files, read as bytes; application/octet-stream is told apart by its first bytes. */
const FILE_TYPES = [
  'application/zip',
  'application/x-zip-compressed',
  'application/geopackage+sqlite3',
  'application/vnd.sqlite3',
  'application/flatgeobuf',
  'application/octet-stream',
]
/** An archive may unpack to this many times the body limit (a zip bomb is refused once past it). */
const UNPACKED_PER_BODY_BYTE = 4

/** Bulk import of GeoJSON or CSV, all rows or none. */
const importRoutes: FastifyPluginAsyncTypebox = async (app) => {
  addImportParsers(app, { text: ['text/csv', 'application/csv'], bytes: FILE_TYPES })

  app.post(
    '/api/import/:kind',
    {
      bodyLimit: app.config.importBodyLimitBytes,
      config: { access: { roles: ['clerk', 'supervisor'] }, perUser: 1 },
      schema: {
        tags: ['import'],
        summary:
          'Import schools or premises from GeoJSON (application/json, application/geo+json), CSV (text/csv), a zipped Shapefile (application/zip), a GeoPackage (application/geopackage+sqlite3) or a FlatGeobuf (application/flatgeobuf); all rows or none',
        params: ImportKindSchema,
        querystring: ImportQuerySchema,
        response: { 201: ImportResultSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = signedInActorOf(request)
      const { kind } = request.params
      const { crs, ...parsed } = await candidatesFromBody(
        app.db,
        request.body,
        kind,
        request.query.crs,
        UNPACKED_PER_BODY_BYTE * app.config.importBodyLimitBytes,
      )
      const result = await importRecords(app.db, parsed.candidates, parsed.errors, { kind, crs }, actor)
      request.log.info({ kind, imported: result.imported }, 'import stored')
      return reply.status(201).send(result)
    },
  )

  // Its own route: address points are kept by other departments than the registers, and need no zone upkeep.
  app.post(
    '/api/import/addresses',
    {
      bodyLimit: app.config.importBodyLimitBytes,
      config: { access: { departments: ADDRESS_DEPARTMENTS, roles: ['clerk', 'supervisor'] }, perUser: 1 },
      schema: {
        tags: ['import'],
        summary: 'Import address points (address, countyCode, source?; a Point) from GeoJSON or CSV (lon, lat columns); all rows or none',
        querystring: AddressImportQuerySchema,
        response: { 201: ImportResultSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = signedInActorOf(request)
      const crs = request.query.crs ?? 'wgs84'
      if (Buffer.isBuffer(request.body))
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'body: address points are imported from GeoJSON or CSV', {
          problems: [{ field: 'body', message: 'must be GeoJSON or CSV' }],
        })
      const parsed =
        typeof request.body === 'string'
          ? candidatesFromCsv(request.body, 'addresses', crs)
          : { candidates: candidatesFromGeoJson(request.body, crs), errors: [] }
      const result = await importRecords(
        app.db,
        parsed.candidates,
        parsed.errors,
        { kind: 'addresses', crs, source: request.query.source ?? 'import' },
        actor,
      )
      request.log.info({ kind: 'addresses', imported: result.imported }, 'import stored')
      return reply.status(201).send(result)
    },
  )
}

export default importRoutes
