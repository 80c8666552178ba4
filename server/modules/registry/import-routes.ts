import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { signedInActorOf } from '../../plugins/auth.ts'
import { errorResponses } from '../../schemas/common.ts'
import { ImportKindSchema, ImportQuerySchema, ImportResultSchema } from '../../schemas/registry.ts'
import { AddressImportQuerySchema } from '../../schemas/search.ts'
import { ADDRESS_DEPARTMENTS } from '../addresses/service.ts'
import { candidatesFromCsv, candidatesFromGeoJson, importRecords } from './import.ts'
import { addImportParsers } from '../../plugins/validation.ts'

/** Bulk import of GeoJSON or CSV, all rows or none. */
const importRoutes: FastifyPluginAsyncTypebox = async (app) => {
  addImportParsers(app, { text: ['text/csv', 'application/csv'] })

  app.post(
    '/api/import/:kind',
    {
      bodyLimit: app.config.importBodyLimitBytes,
      config: { access: { roles: ['clerk', 'supervisor'] } },
      schema: {
        tags: ['import'],
        summary: 'Import schools or premises from GeoJSON (application/json, application/geo+json) or CSV (text/csv); all rows or none',
        params: ImportKindSchema,
        querystring: ImportQuerySchema,
        response: { 201: ImportResultSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = signedInActorOf(request)
      const { kind } = request.params
      const crs = request.query.crs ?? 'wgs84'
      const parsed =
        typeof request.body === 'string'
          ? candidatesFromCsv(request.body, kind, crs)
          : { candidates: candidatesFromGeoJson(request.body, crs), errors: [] }
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
      config: { access: { departments: ADDRESS_DEPARTMENTS, roles: ['clerk', 'supervisor'] } },
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
