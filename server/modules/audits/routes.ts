import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../plugins/auth.ts'
import { errorResponses, IdParamsSchema } from '../../schemas/common.ts'
import { AuditSchema, AuditStartSchema } from '../../schemas/zones.ts'
import * as service from './service.ts'

const auditors = { access: { departments: ['governance'] as const, roles: ['clerk', 'supervisor'] as const } }

/** Audits of every conflict and stored zone, incremental or full (/api/audits); the append-only trail is /api/audit-log. */
const auditsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app

  app.post(
    '/api/audits',
    {
      config: auditors,
      schema: {
        tags: ['audits'],
        summary: 'Start an audit of every conflict and zone',
        description:
          'Incremental by default: recomputes what changed since the last complete audit (noted by triggers in the database) and checks the stored rows against their digests; {"full": true} recomputes everything.',
        body: AuditStartSchema,
        response: { 202: AuditSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const audit = await service.startAudit(db, actorOf(request), { full: request.body?.full === true })
      service.runAudit(db, audit.id, undefined, app.databaseKind).then(
        (done) => request.log.info({ auditId: done.id, summary: done.summary }, 'audit finished'),
        (error: unknown) => request.log.error({ err: error, auditId: audit.id }, 'audit failed'),
      )
      return reply.status(202).header('location', `/api/audits/${audit.id}`).send(audit)
    },
  )
  app.get(
    '/api/audits',
    {
      config: { access: 'user' },
      schema: {
        tags: ['audits'],
        summary: 'Recent audits',
        response: { 200: Type.Object({ audits: Type.Array(AuditSchema) }), ...errorResponses },
      },
    },
    async () => ({
      audits: await service.listAudits(db),
    }),
  )
  app.get(
    '/api/audits/:id',
    {
      config: { access: 'user' },
      schema: {
        tags: ['audits'],
        summary: 'An audit’s progress and result',
        params: IdParamsSchema,
        response: { 200: AuditSchema, ...errorResponses },
      },
    },
    async (request) => service.getAudit(db, request.params.id),
  )
}

export default auditsRoutes
