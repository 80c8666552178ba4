import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { requireUser, signedInActorOf as actor } from '../../../plugins/auth.ts'
import { errorResponses, IdParamsSchema } from '../../../schemas/common.ts'
import {
  CreatePatrolPlanSchema,
  PatrolPlanPageSchema,
  PatrolPlanQuerySchema,
  PatrolPlanSchema,
  PatrolPlanUnitParamsSchema,
} from '../../../schemas/patrol-plans.ts'
import { unitGpx, unitRouteSheet } from './exports.ts'
import * as service from './service.ts'

// Police clerks and supervisors make plans (within their county, checked by the service); the police, the
// governance office and education read them; other departments see nothing of plans.
const write = { access: { departments: ['police'] as const, roles: ['clerk', 'supervisor'] as const } }
const read = { access: { departments: ['police', 'governance', 'education'] as const } }

/** Daily patrol plans: posts at the peaks and visits off-peak, routed on the road network, with GPX and route sheets per unit. */
const patrolPlanRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app

  app.post(
    '/api/patrol/plans',
    {
      config: write,
      schema: {
        tags: ['patrol'],
        summary: "Make the day's patrol plan for a county or a station (posts, visits, routes along the roads)",
        body: CreatePatrolPlanSchema,
        response: { 201: PatrolPlanSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const plan = await service.createPlan(db, request.body, actor(request))
      request.log.info({ planId: plan.id, unmet: plan.unmet.length, lengthM: plan.lengthM }, 'patrol plan made')
      return reply.status(201).header('location', `/api/patrol/plans/${plan.id}`).send(plan)
    },
  )
  app.get(
    '/api/patrol/plans',
    {
      config: read,
      schema: {
        tags: ['patrol'],
        summary: 'Plans by date, county and station, newest first',
        querystring: PatrolPlanQuerySchema,
        response: { 200: PatrolPlanPageSchema, ...errorResponses },
      },
    },
    async (request) => service.listPlans(db, request.query, requireUser(request)),
  )
  app.get(
    '/api/patrol/plans/:id',
    {
      config: read,
      schema: { tags: ['patrol'], summary: 'One plan', params: IdParamsSchema, response: { 200: PatrolPlanSchema, ...errorResponses } },
    },
    async (request) => service.getPlan(db, request.params.id, requireUser(request)),
  )
  app.get(
    '/api/patrol/plans/:id/units/:unitId.gpx',
    {
      config: read,
      schema: {
        tags: ['patrol'],
        summary: "A unit's day as GPX 1.1: a waypoint per stop (name, time, description), the route as a track",
        params: PatrolPlanUnitParamsSchema,
        response: { 200: Type.String({ description: 'application/gpx+xml' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const sheet = await service.unitSheet(db, request.params.id, request.params.unitId, requireUser(request))
      return reply
        .type('application/gpx+xml; charset=utf-8')
        .header('content-disposition', `attachment; filename="patrol-${sheet.plan.date}-unit-${sheet.unit.unitId}.gpx"`)
        .send(unitGpx(sheet))
    },
  )
  app.get(
    '/api/patrol/plans/:id/units/:unitId.pdf',
    {
      config: read,
      schema: {
        tags: ['patrol'],
        summary: "A unit's one-page route sheet (PDF, Chinese): map, stops with times, schools' addresses, the station's telephone",
        params: PatrolPlanUnitParamsSchema,
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'application/pdf' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = requireUser(request)
      const sheet = await service.unitSheet(db, request.params.id, request.params.unitId, user)
      const pdf = await unitRouteSheet(sheet, user.username, new Date())
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="patrol-${sheet.plan.date}-unit-${sheet.unit.unitId}.pdf"`)
        .send(pdf)
    },
  )
}

export default patrolPlanRoutes
