import type { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errorResponses } from '../../schemas/common.ts'
import { DownloadParamsSchema, PremisesDownloadQuerySchema, SchoolDownloadQuerySchema } from '../../schemas/formats.ts'
import { parseBbox } from '../registry/service.ts'
import { downloadRegistry } from './service.ts'
import { DOWNLOAD_FORMATS } from './writers.ts'

const FileSchema = Type.Unsafe<Buffer | Readable>({ type: 'string', format: 'binary' })
const formatList = Object.entries(DOWNLOAD_FORMATS)
  .map(([name, f]) => `${name} (${f.mediaType})`)
  .join(', ')

/** Downloads of the registers as files for desktop GIS and spreadsheets, filtered as the registry list is. */
const formatsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app
  const today = () => new Date().toISOString().slice(0, 10)

  app.get(
    '/api/export/schools.:format',
    {
      config: { access: 'user' },
      schema: {
        tags: ['export'],
        summary: `Every school matching the list's filters, as a file: ${formatList}`,
        params: DownloadParamsSchema,
        querystring: SchoolDownloadQuerySchema,
        response: { 200: FileSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { format } = request.params
      const { countyCode, schoolType, bbox, q } = request.query
      const body = await downloadRegistry(db, 'schools', format, { countyCode, type: schoolType, bbox: parseBbox(bbox), q })
      request.log.info({ kind: 'schools', format }, 'download started')
      return reply
        .type(DOWNLOAD_FORMATS[format].mediaType)
        .header('content-disposition', `attachment; filename="schools-${today()}.${DOWNLOAD_FORMATS[format].extension}"`)
        .send(body)
    },
  )

  app.get(
    '/api/export/premises.:format',
    {
      config: { access: 'user' },
      schema: {
        tags: ['export'],
        summary: `Every premises matching the list's filters, as a file: ${formatList}`,
        params: DownloadParamsSchema,
        querystring: PremisesDownloadQuerySchema,
        response: { 200: FileSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { format } = request.params
      const { countyCode, category, licenceStatus, bbox, q } = request.query
      const body = await downloadRegistry(db, 'premises', format, { countyCode, type: category, licenceStatus, bbox: parseBbox(bbox), q })
      request.log.info({ kind: 'premises', format }, 'download started')
      return reply
        .type(DOWNLOAD_FORMATS[format].mediaType)
        .header('content-disposition', `attachment; filename="premises-${today()}.${DOWNLOAD_FORMATS[format].extension}"`)
        .send(body)
    },
  )
}

export default formatsRoutes
