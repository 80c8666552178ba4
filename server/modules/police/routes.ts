import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type TSchema } from 'typebox'
import { signedInActorOf as actor, requireUser } from '../../plugins/auth.ts'
import { AppError } from '../../errors.ts'
import { addImportParsers } from '../../plugins/validation.ts'
import { errorResponses, IdParamsSchema } from '../../schemas/common.ts'
import {
  CameraSchema,
  collectionOf,
  CoverageQuerySchema,
  CoverageSchema,
  CreateCameraSchema,
  CreateGridSchema,
  CreatePolicySchema,
  CreateSignSchema,
  CreateStationSchema,
  CreateUnitSchema,
  CreateVisitSchema,
  EquipmentGapsQuerySchema,
  EquipmentGapsSchema,
  GridSchema,
  PoliceImportParamsSchema,
  PoliceQuerySchema,
  PoliceWriteQuerySchema,
  PolicyListSchema,
  PolicyQuerySchema,
  PolicySchema,
  SignSchema,
  StationSchema,
  TrackQuerySchema,
  TrackResultSchema,
  UnitSchema,
  UpdateCameraSchema,
  UpdateGridSchema,
  UpdateSignSchema,
  UpdateStationSchema,
  UpdateUnitSchema,
  VisitListSchema,
  VisitQuerySchema,
  VisitSchema,
  WeekCoverageSchema,
  WeekQuerySchema,
  type PoliceKind,
} from '../../schemas/police.ts'
import { ImportResultSchema } from '../../schemas/registry.ts'
import { coverageOn, equipmentGaps, weekCoverage } from './coverage.ts'
import { createPolicy, getPolicy, listPolicies } from './policy.ts'
import * as registry from './registry.ts'
import { POLICE_READERS, POLICE_WRITERS } from './registry.ts'
import { checkIn, listVisits, recordTrack } from './visits.ts'

const read = { access: { departments: POLICE_READERS } }
const write = { access: { departments: POLICE_WRITERS, roles: ['clerk', 'supervisor'] as const } }

/** A GPX track of 100,000 points with times and elevations is about 12 MB. */
export const TRACK_BODY_LIMIT_BYTES = 32 * 1024 * 1024

const KINDS: { kind: PoliceKind; path: string; label: string; feature: TSchema; create: TSchema; update: TSchema }[] = [
  {
    kind: 'stations',
    path: 'stations',
    label: 'police station (派出所)',
    feature: StationSchema,
    create: CreateStationSchema,
    update: UpdateStationSchema,
  },
  {
    kind: 'grids',
    path: 'grids',
    label: 'patrol grid (巡逻网格)',
    feature: GridSchema,
    create: CreateGridSchema,
    update: UpdateGridSchema,
  },
  { kind: 'units', path: 'units', label: 'patrol unit', feature: UnitSchema, create: CreateUnitSchema, update: UpdateUnitSchema },
  {
    kind: 'signs',
    path: 'signs',
    label: 'warning sign (警示标牌)',
    feature: SignSchema,
    create: CreateSignSchema,
    update: UpdateSignSchema,
  },
  { kind: 'cameras', path: 'cameras', label: 'camera', feature: CameraSchema, create: CreateCameraSchema, update: UpdateCameraSchema },
]

/** The police desk: its registers, the patrol policy, check-ins and tracks, coverage and equipment gaps. */
const policeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app

  for (const { kind, path, label, feature, create, update } of KINDS) {
    const base = `/api/patrol/${path}`
    const tags = ['patrol']
    app.get(
      base,
      {
        config: read,
        schema: {
          tags,
          summary: `${label}s as a FeatureCollection`,
          querystring: PoliceQuerySchema,
          response: { 200: collectionOf(feature as any), ...errorResponses },
        },
      },
      async (request) => registry.listRecords(db, kind, request.query),
    )
    app.get(
      `${base}/:id`,
      { config: read, schema: { tags, summary: `One ${label}`, params: IdParamsSchema, response: { 200: feature, ...errorResponses } } },
      async (request) => registry.getRecord(db, kind, request.params.id),
    )
    app.post(
      base,
      {
        config: write,
        schema: {
          tags,
          summary: `Register a ${label} (police, within its county)`,
          querystring: PoliceWriteQuerySchema,
          body: create,
          response: { 201: feature, ...errorResponses },
        },
      },
      async (request, reply) => {
        const created = await registry.createRecord(db, kind, request.body as any, request.query.crs ?? 'wgs84', actor(request))
        request.log.info({ kind, id: created.id }, 'patrol record created')
        return reply.status(201).header('location', `${base}/${created.id}`).send(created)
      },
    )
    app.patch(
      `${base}/:id`,
      {
        config: write,
        schema: {
          tags,
          summary: `Change a ${label}; send the version you read to be refused (409) if it changed since`,
          params: IdParamsSchema,
          querystring: PoliceWriteQuerySchema,
          body: update,
          response: { 200: feature, ...errorResponses },
        },
      },
      async (request) =>
        registry.updateRecord(db, kind, request.params.id, request.body as any, request.query.crs ?? 'wgs84', actor(request)),
    )
    app.delete(
      `${base}/:id`,
      {
        config: write,
        schema: { tags, summary: `Remove a ${label}`, params: IdParamsSchema, response: { 204: Type.Null(), ...errorResponses } },
      },
      async (request, reply) => {
        await registry.deleteRecord(db, kind, request.params.id, actor(request))
        return reply.status(204).send(null)
      },
    )
  }

  app.get(
    '/api/patrol/policy',
    {
      config: read,
      schema: {
        tags: ['patrol'],
        summary: 'The patrol policy in force (today, or on ?date=)',
        querystring: PolicyQuerySchema,
        response: { 200: PolicySchema, ...errorResponses },
      },
    },
    async (request) => getPolicy(db, request.query.date),
  )
  app.get(
    '/api/patrol/policies',
    {
      config: read,
      schema: {
        tags: ['patrol'],
        summary: 'Every version of the patrol policy, newest first',
        response: { 200: PolicyListSchema, ...errorResponses },
      },
    },
    async () => listPolicies(db),
  )
  app.post(
    '/api/patrol/policies',
    {
      config: { access: { departments: POLICE_WRITERS, roles: ['supervisor'] as const } },
      schema: {
        tags: ['patrol'],
        summary: 'A new version of the patrol policy from effectiveFrom, with its reason (police supervisor or admin)',
        body: CreatePolicySchema,
        response: { 201: PolicySchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await createPolicy(db, request.body, actor(request))),
  )

  app.post(
    '/api/patrol/visits',
    {
      config: write,
      schema: {
        tags: ['patrol'],
        summary: 'A check-in from an officer: matched to the school whose campus lies within 100 m (201; 200 for the same check-in again)',
        body: CreateVisitSchema,
        response: { 200: VisitSchema, 201: VisitSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { visit, created } = await checkIn(db, request.body, actor(request))
      request.log.info({ visitId: visit.id, schoolId: visit.schoolId }, 'patrol check-in')
      return reply.status(created ? 201 : 200).send(visit)
    },
  )
  app.get(
    '/api/patrol/visits',
    {
      config: read,
      schema: {
        tags: ['patrol'],
        summary: 'Patrol visits, newest first',
        querystring: VisitQuerySchema,
        response: { 200: VisitListSchema, ...errorResponses },
      },
    },
    async (request) => listVisits(db, request.query),
  )

  app.get(
    '/api/patrol/coverage',
    {
      config: read,
      schema: {
        tags: ['patrol'],
        summary: "A day's coverage per school and station",
        querystring: CoverageQuerySchema,
        response: { 200: CoverageSchema, ...errorResponses },
      },
    },
    async (request) => coverageOn(db, request.query, requireUser(request)),
  )
  app.get(
    '/api/patrol/coverage/week',
    {
      config: read,
      schema: {
        tags: ['patrol'],
        summary: 'Seven days of coverage per school',
        querystring: WeekQuerySchema,
        response: { 200: WeekCoverageSchema, ...errorResponses },
      },
    },
    async (request) => weekCoverage(db, request.query, requireUser(request)),
  )
  app.get(
    '/api/patrol/equipment-gaps',
    {
      config: read,
      schema: {
        tags: ['patrol'],
        summary: 'Zones without an installed warning sign and gates without a working camera',
        querystring: EquipmentGapsQuerySchema,
        response: { 200: EquipmentGapsSchema, ...errorResponses },
      },
    },
    async (request) => equipmentGaps(db, request.query, requireUser(request)),
  )

  // Bodies that are not JSON (CSV imports, GPX tracks) are parsed only in this plugin's own scope.
  await app.register(async (scope) => {
    addImportParsers(scope, { text: ['text/csv', 'application/csv', 'application/gpx+xml', 'application/xml', 'text/xml'] })
    scope.post(
      '/api/import/patrol/:kind',
      {
        bodyLimit: app.config.importBodyLimitBytes,
        config: write,
        schema: {
          tags: ['import'],
          summary: 'Import stations, grids, units, signs or cameras from GeoJSON or CSV (text/csv); all rows or none',
          params: PoliceImportParamsSchema,
          querystring: PoliceWriteQuerySchema,
          response: { 201: ImportResultSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { kind } = request.params as { kind: PoliceKind }
        const crs = (request.query as { crs?: 'wgs84' }).crs ?? 'wgs84'
        const parsed =
          typeof request.body === 'string'
            ? registry.candidatesFromCsv(request.body, kind, crs)
            : { candidates: registry.candidatesFromGeoJson(request.body, crs), errors: [] }
        const result = await registry.importRecords(db, kind, parsed.candidates, parsed.errors, actor(request))
        request.log.info({ kind, imported: result.imported }, 'patrol import stored')
        return reply.status(201).send(result)
      },
    )
    scope.post(
      '/api/patrol/tracks',
      {
        bodyLimit: TRACK_BODY_LIMIT_BYTES,
        config: write,
        schema: {
          tags: ['patrol'],
          summary:
            "A unit's GPX 1.1 track (application/gpx+xml): each stay of at least the policy's dwell within 50 m of a campus is recorded as a visit",
          querystring: TrackQuerySchema,
          response: { 200: TrackResultSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        if (typeof request.body !== 'string')
          throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'body: send the track as GPX with Content-Type application/gpx+xml')
        const { unitId } = request.query as { unitId: number }
        const result = await recordTrack(db, unitId, request.body, actor(request))
        request.log.info({ unitId, points: result.points, visits: result.visits.length }, 'patrol track read')
        return reply.status(200).send(result)
      },
    )
  })
}

export default policeRoutes
