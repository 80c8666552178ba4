import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../schemas/common.ts'
import { SearchQuerySchema, SearchResultSchema } from '../../schemas/search.ts'
import * as service from './service.ts'

/** Fuzzy place search for the map desk's check screen. */
const searchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/search',
    {
      config: { access: 'user' },
      schema: {
        tags: ['search'],
        summary:
          'Find schools, premises, townships, villages, streets and address points by name or address (fuzzy, in Chinese), best first',
        querystring: SearchQuerySchema,
        response: { 200: SearchResultSchema, ...errorResponses },
      },
    },
    async (request) => service.search(request.readDb, service.parseSearch(request.query)),
  )
}

export default searchRoutes
