import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireUser } from '../../plugins/auth.ts'
import { errorResponses } from '../../schemas/common.ts'
import { StatsQuerySchema, StatsSchema } from '../../schemas/stats.ts'
import * as service from './service.ts'

/** The figures behind the governance dashboard. */
const statsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app
  app.get(
    '/api/stats',
    {
      // Aggregate figures for any signed-in user, within their county scope (checked in the service).
      config: { access: 'user' },
      schema: {
        tags: ['reports'],
        summary: 'Dashboard figures per county: schools, zones, conflicts, hazards, permits this month, compliance, patrols today',
        querystring: StatsQuerySchema,
        response: { 200: StatsSchema, ...errorResponses },
      },
    },
    async (request) => service.stats(db, request.query, requireUser(request)),
  )
}

export default statsRoutes
