import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { requireUser, signedInActorOf as actor } from '../../plugins/auth.ts'
import { errorResponses, IdParamsSchema } from '../../schemas/common.ts'
import { CheckQuerySchema } from '../../schemas/zones.ts'
import {
  CreateDecisionSchema,
  CreatePermitSchema,
  PermitDetailSchema,
  PermitPageSchema,
  PermitQuerySchema,
  PermitSchema,
} from '../../schemas/permits.ts'
import * as service from './service.ts'

// Reading needs a login and is scoped in the queries; submitting and deciding need a clerk or
// supervisor, and the service checks department and county for each application.
const read = { access: 'user' as const }
const write = { access: { roles: ['clerk', 'supervisor'] as const } }

/** The permit desk: applications, their screening and decisions, and the certificates of permits and of point checks. */
const permitsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app

  app.post(
    '/api/permits',
    {
      config: write,
      schema: {
        tags: ['permits'],
        summary: 'Submit an application; it is screened against the zones at once',
        body: CreatePermitSchema,
        response: { 201: PermitSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const permit = await service.submit(db, request.body, actor(request))
      request.log.info({ permitId: permit.id, verdict: permit.screening.verdict }, 'permit submitted')
      return reply.status(201).header('location', `/api/permits/${permit.id}`).send(permit)
    },
  )
  app.get(
    '/api/permits',
    {
      config: read,
      schema: {
        tags: ['permits'],
        summary: "The caller's queue (department categories and county scope)",
        querystring: PermitQuerySchema,
        response: { 200: PermitPageSchema, ...errorResponses },
      },
    },
    async (request) => service.list(db, request.query, requireUser(request)),
  )
  app.get(
    '/api/permits/:id',
    {
      config: read,
      schema: {
        tags: ['permits'],
        summary: 'One application with its screening, decision and history',
        params: IdParamsSchema,
        response: { 200: PermitDetailSchema, ...errorResponses },
      },
    },
    async (request) => service.get(db, request.params.id, requireUser(request)),
  )
  app.get(
    '/api/permits/:id/certificate.pdf',
    {
      config: read,
      schema: {
        tags: ['permits'],
        summary: 'One-page certificate (PDF, Chinese): point, verdict, schools in reach with rules, a drawing, decision, time and operator',
        params: IdParamsSchema,
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'application/pdf' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const pdf = await service.certificate(db, request.params.id, requireUser(request))
      return reply.type('application/pdf').header('content-disposition', `inline; filename="permit-${request.params.id}.pdf"`).send(pdf)
    },
  )
  app.get(
    '/api/check/certificate.pdf',
    {
      config: read,
      schema: {
        tags: ['check'],
        summary:
          'One-page certificate (PDF, Chinese) for any point of Guyuan and a category: point, verdict, schools in reach with rules, a drawing, time and operator',
        querystring: CheckQuerySchema,
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'application/pdf' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const pdf = await service.pointCertificate(db, request.query, requireUser(request))
      return reply.type('application/pdf').header('content-disposition', 'inline; filename="check.pdf"').send(pdf)
    },
  )
  app.post(
    '/api/permits/:id/decision',
    {
      config: write,
      schema: {
        tags: ['permits'],
        summary: 'Approve or reject; re-screens first, 409 when the screening or version changed',
        params: IdParamsSchema,
        body: CreateDecisionSchema,
        response: { 200: PermitSchema, ...errorResponses },
      },
    },
    async (request) => {
      const permit = await service.decide(db, request.params.id, request.body, actor(request))
      request.log.info({ permitId: permit.id, decision: permit.status }, 'permit decided')
      return permit
    },
  )
}

export default permitsRoutes
