import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Readable } from 'node:stream'
import { Type } from 'typebox'
import { requireUser } from '../../plugins/auth.ts'
import { errorResponses } from '../../schemas/common.ts'
import { ReportParamsSchema, ReportQuerySchema } from '../../schemas/reports.ts'
import { cstText } from './model.ts'
import { renderReportPdf } from './pdf.ts'
import * as service from './service.ts'
import { csvStream, xlsxStream } from './writers.ts'

const CONTENT_TYPES = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
  pdf: 'application/pdf',
} as const

/** The governance desk's reports: XLSX and CSV streamed from the database, PDF summaries with charts. */
const reportsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app

  app.get(
    '/api/reports/:name.:format',
    {
      // Any signed-in user; what each may read (county, categories, departments) is decided in the service.
      config: { access: 'user' },
      schema: {
        tags: ['reports'],
        summary: 'A report as XLSX (summary sheets, then the items), CSV (the items, UTF-8 with BOM) or PDF (the summary with charts)',
        params: ReportParamsSchema,
        querystring: ReportQuerySchema,
        response: { 200: Type.Unsafe<Buffer | Readable>({ type: 'string', format: 'binary' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = requireUser(request)
      const { name, format } = request.params
      // Filters and scope are checked and the summaries computed before the first byte is sent, so every refusal is a clean 4xx.
      const report = await service.buildReport(db, name, request.query, user)
      const filename = `${name}-${cstText(report.generatedAt).slice(0, 10)}.${format}`
      reply.type(CONTENT_TYPES[format]).header('content-disposition', `attachment; filename="${filename}"`)
      request.log.info({ report: name, format }, 'report exported')
      if (format === 'pdf') return reply.send(await renderReportPdf(report, user.username))
      if (format === 'csv') return reply.send(csvStream(report))
      return reply.send(xlsxStream(report, (error) => request.log.error({ err: error, report: name }, 'report export failed')))
    },
  )
}

export default reportsRoutes
