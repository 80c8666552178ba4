import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AppError } from '../../errors.ts'
import * as service from './service.ts'

const HealthSchema = Type.Object({
  status: Type.Literal('ok'),
  database: Type.Union([Type.Literal('embedded'), Type.Literal('postgis')]),
  postgis: Type.String(),
})

/** Liveness with a real database round trip. */
const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    {
      config: { access: 'public' },
      schema: { tags: ['service'], summary: 'Service and database health', response: { 200: HealthSchema } },
    },
    async () => {
      try {
        return await service.health(app.db, app.databaseKind)
      } catch (error) {
        app.log.error({ err: error }, 'health check failed')
        throw new AppError('UNAVAILABLE', 'the database is not answering')
      }
    },
  )
}

export default healthRoutes
