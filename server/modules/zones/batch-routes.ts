import { PassThrough, Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { ValidateFunction } from 'ajv'
import { invalid } from '../../errors.ts'
import { addImportParsers } from '../../plugins/validation.ts'
import {
  BATCH_BODY_LIMIT_BYTES,
  BatchCheckQuerySchema,
  BatchCheckSchema,
  BatchResultSchema,
  type BatchCheck,
  type BatchResult,
} from '../../schemas/check-batch.ts'
import { BATCH_CSV_COLUMNS, UTF8_BOM, batchCsvCells, batchCsvHeader, batchCsvLine } from '../../schemas/check-batch-csv.ts'
import { errorResponses } from '../../schemas/common.ts'
import { LICENSING_DEPARTMENTS } from '../../schemas/licensing.ts'
import type { Department } from '../../schemas/vocabulary.ts'
import { checkBatch, pointsFromCsv, pointsFromJson } from './batch.ts'

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
type Format = 'ndjson' | 'csv' | 'xlsx'
const FORMATS: Record<string, Format> = {
  'application/x-ndjson': 'ndjson',
  'application/json': 'ndjson',
  'text/csv': 'csv',
  [XLSX]: 'xlsx',
}

/** The answer's format from the Accept header: the supported type with the highest q (NDJSON when none is named). */
export function formatFor(accept: string | undefined): Format {
  let best: { format: Format; q: number } | undefined
  for (const part of (accept ?? '').split(',')) {
    const [type = '', ...parameters] = part.split(';').map((s) => s.trim().toLowerCase())
    const format = FORMATS[type]
    if (!format) continue
    const q = Number(parameters.find((p) => p.startsWith('q='))?.slice(2) ?? 1)
    if (!best || q > best.q) best = { format, q }
  }
  return best?.format ?? 'ndjson'
}

/** The licensing departments: those that screen addresses against the zones (§3, §9), as POST /api/check serves them. */
const SCREENING_DEPARTMENTS = [...new Set(Object.values(LICENSING_DEPARTMENTS).flat())] as Department[]

/** Many points at once: the verdicts of POST /api/check, streamed back in input order. */
const batchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  addImportParsers(app, { text: ['text/csv', 'application/csv'] })

  app.post(
    '/api/check/batch',
    {
      bodyLimit: BATCH_BODY_LIMIT_BYTES,
      config: { access: { departments: SCREENING_DEPARTMENTS }, writes: false, perUser: 2 },
      schema: {
        tags: ['check'],
        summary:
          'Verdicts for up to 100,000 points: JSON {"category","crs"?,"points":[{"id","lon","lat"}]} or CSV (text/csv: id,lon,lat[,category]; ?category=&crs= for the file). Streamed back in input order as NDJSON, or CSV / XLSX by Accept',
        querystring: BatchCheckQuerySchema,
        body: BatchCheckSchema,
        response: {
          200: Type.Unsafe<Readable>({
            description:
              'One line per point in input order: {id, verdict, location, conflict, conflictCount} or {id, error:{field, message}}',
            content: {
              'application/x-ndjson': { schema: BatchResultSchema },
              'text/csv': { schema: { type: 'string' } },
              [XLSX]: { schema: { type: 'string', format: 'binary' } },
            },
          }),
          ...errorResponses,
        },
      },
      // The schema is the JSON body's; a CSV upload arrives as text and is checked as it is read.
      validatorCompiler: (route) => {
        const validate = app.validatorCompiler!(route) as ValidateFunction
        if (route.httpPart !== 'body') return validate
        const body = (data: unknown) => {
          const valid = typeof data === 'string' || validate(data)
          body.errors = valid ? null : validate.errors
          return valid
        }
        body.errors = null as ValidateFunction['errors']
        return body
      },
    },
    async (request, reply) => {
      const csv = /^(text|application)\/csv\b/i.test(request.headers['content-type'] ?? '')
      if (typeof request.body === 'string' && !csv) throw invalid('body', 'must be an object {"category","crs"?,"points"}')
      const { points, defaults } =
        typeof request.body === 'string' ? await pointsFromCsv(request.body, request.query) : pointsFromJson(request.body as BatchCheck)
      const format = formatFor(request.headers.accept)
      request.log.info({ points: points.length, format }, 'batch check started')
      const chunks = checkBatch(request.readDb, app.databaseKind, points, defaults)
      const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')
      if (format === 'xlsx') {
        reply.type(XLSX).header('content-disposition', `attachment; filename="check-batch-${stamp}.xlsx"`)
        return reply.send(await xlsxStream(chunks))
      }
      if (format === 'csv')
        reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="check-batch-${stamp}.csv"`)
      else reply.type('application/x-ndjson; charset=utf-8')
      const lines =
        format === 'csv'
          ? textOf(chunks, (results) => results.map(batchCsvLine).join(''), UTF8_BOM + batchCsvHeader())
          : textOf(chunks, (results) => results.map((r) => `${JSON.stringify(r)}\n`).join(''))
      // Pulled as the socket drains: one chunk's text is asked for only when the last one has been taken.
      return reply.send(Readable.from(lines, { objectMode: false, highWaterMark: 16 * 1024 }))
    },
  )
}

async function* textOf(chunks: AsyncIterable<BatchResult[]>, format: (results: BatchResult[]) => string, head = '') {
  if (head) yield head
  for await (const results of chunks) yield format(results)
}

/**
 * The answer as an XLSX workbook, written row by row as chunks are decided (exceljs's streaming writer, so
 * memory stays flat). exceljs is loaded on the first such request: it is heavy and most callers never ask.
 */
async function xlsxStream(chunks: AsyncIterable<BatchResult[]>): Promise<PassThrough> {
  const { default: ExcelJS } = await import('exceljs')
  const out = new PassThrough()
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false })
  const sheet = workbook.addWorksheet('check-batch')
  sheet.columns = BATCH_CSV_COLUMNS.map((key) => ({ header: key, key, width: key === 'schoolName' || key === 'errorMessage' ? 30 : 14 }))
  sheet.getRow(1).font = { bold: true }
  void (async () => {
    try {
      for await (const results of chunks) {
        for (const result of results) sheet.addRow(batchCsvCells(result).map((cell) => (cell === '' ? null : cell))).commit()
        // exceljs does not wait for the socket: hold the next chunk back while the stream is full.
        if (out.writableNeedDrain) await new Promise((resolve) => out.once('drain', resolve))
      }
      sheet.commit()
      await workbook.commit()
    } catch (error) {
      out.destroy(error as Error)
    }
  })()
  return out
}

export default batchRoutes
