import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../schemas/common.ts'
import { AuditPageSchema, AuditQuerySchema } from '../../schemas/permits.ts'
import * as service from './service.ts'

/** The append-only audit trail, read by the governance office and administrators (not the recomputation jobs at /api/audits). */
const auditLogRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app
  app.get(
    '/api/audit-log',
    {
      config: { access: { departments: ['governance'] as const } },
      schema: {
        tags: ['audit'],
        summary: 'Audit trail, newest first (governance office and admin)',
        querystring: AuditQuerySchema,
        response: { 200: AuditPageSchema, ...errorResponses },
      },
    },
    async (request) => service.listEntries(db, request.query),
  )
}

export default auditLogRoutes
