import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../schemas/common.ts'
import { AuditPageSchema, AuditQuerySchema } from '../../schemas/permits.ts'
import { listAudit } from './repository.ts'

/** The audit trail, read by the governance office and administrators. */
const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app
  app.get(
    '/api/audit-log',
    {
      config: { access: { departments: ['governance'] as const } },
      schema: { tags: ['audit'], summary: 'Audit trail, newest first (governance office and admin)', querystring: AuditQuerySchema, response: { 200: AuditPageSchema, ...errorResponses } },
    },
    async (request) => {
      const q = request.query
      const { rows, numberMatched } = await listAudit(db, { ...q, limit: q.limit ?? 100, offset: q.offset ?? 0 })
      return {
        numberMatched,
        numberReturned: rows.length,
        entries: rows.map((r) => ({
          id: Number(r.id),
          at: new Date(r.at).toISOString(),
          userId: r.user_id,
          username: r.username,
          role: r.role,
          department: r.department,
          action: r.action,
          entityType: r.entity_type,
          entityId: r.entity_id,
          before: r.before,
          after: r.after,
          requestId: r.request_id,
        })),
      }
    },
  )
}

export default auditRoutes
