import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { MapConfigSchema } from '../../schemas/map.ts'
import * as service from './service.ts'

/** What the map desk needs before drawing: the basemap and the extent of the registry. */
const mapRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/map-config',
    {
      config: { access: 'public' },
      schema: { tags: ['map'], summary: 'Basemap settings and the area to show', response: { 200: MapConfigSchema } },
    },
    async () => service.mapConfig(app.db, app.config),
  )
}

export default mapRoutes
