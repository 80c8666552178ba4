import { parse as parseCsv } from 'csv-parse/sync'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError } from '../../errors.ts'
import { problemsFromAjv } from '../../plugins/validation.ts'
import type { SignedInActor } from '../../schemas/auth.ts'
import { CreateHazardSchema, type CreateHazard } from '../../schemas/hazards.ts'
import type { ImportRowError } from '../../schemas/registry.ts'
import * as repository from './repository.ts'
import { prepare, store } from './service.ts'

const MAX_ROWS = 20_000
const MAX_LISTED_ERRORS = 5000
const ajv = new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false, strict: false })
addFormats.default(ajv)
const validate = ajv.compile(CreateHazardSchema)

/** Columns of a ledger, by their API name, with the Chinese headings a ledger kept in Excel usually has. */
const COLUMNS: Record<string, string> = {
  schoolid: 'schoolId',
  学校编号: 'schoolId',
  premisesid: 'premisesId',
  场所编号: 'premisesId',
  kind: 'kind',
  类别: 'kind',
  grade: 'grade',
  等级: 'grade',
  title: 'title',
  隐患名称: 'title',
  description: 'description',
  隐患描述: 'description',
  lon: 'lon',
  经度: 'lon',
  lat: 'lat',
  纬度: 'lat',
  source: 'source',
  来源: 'source',
  department: 'department',
  责任部门: 'department',
  foundat: 'foundAt',
  发现时间: 'foundAt',
  state: 'state',
  状态: 'state',
  closereason: 'closeReason',
  销号原因: 'closeReason',
  responsibleparty: 'responsibleParty',
  责任人: 'responsibleParty',
  measures: 'measures',
  整改措施: 'measures',
  funds: 'funds',
  整改资金: 'funds',
  deadline: 'deadline',
  整改期限: 'deadline',
  contingencyplan: 'contingencyPlan',
  应急预案: 'contingencyPlan',
}
const INTEGER_FIELDS = new Set(['schoolId', 'premisesId'])
const NUMBER_FIELDS = new Set(['lon', 'lat'])

type Cell = string | number | Date | boolean | null | undefined

/** A table (header row first) read from CSV text. */
export function tableFromCsv(text: string): Cell[][] {
  try {
    return parseCsv(text.replace(/^\uFEFF/, ''), { relax_column_count: false, skip_empty_lines: true }) as string[][]
  } catch (error) {
    throw new AppError('VALIDATION_FAILED', `body: is not valid CSV: ${(error as Error).message}`, {
      problems: [{ field: 'body', message: 'is not valid CSV' }],
    })
  }
}

/** A table (header row first) read from the first worksheet of an XLSX workbook. */
export async function tableFromXlsx(bytes: Buffer): Promise<Cell[][]> {
  // Loaded when a workbook comes in: it is the heaviest package the service has, and no start needs it.
  const { default: ExcelJS } = await import('exceljs')
  const workbook = new ExcelJS.Workbook()
  try {
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer)
  } catch (error) {
    throw new AppError('VALIDATION_FAILED', `body: is not a readable XLSX workbook: ${(error as Error).message}`, {
      problems: [{ field: 'body', message: 'is not a readable XLSX workbook' }],
    })
  }
  const sheet = workbook.worksheets[0]
  if (!sheet)
    throw new AppError('VALIDATION_FAILED', 'body: the workbook has no worksheet', {
      problems: [{ field: 'body', message: 'no worksheet' }],
    })
  const table: Cell[][] = []
  sheet.eachRow({ includeEmpty: false }, (row) => {
    const cells: Cell[] = []
    for (let i = 1; i <= sheet.columnCount; i += 1) {
      const value = row.getCell(i).value as unknown
      // Rich text, formulas and hyperlinks carry their shown value inside an object.
      if (value && typeof value === 'object' && !(value instanceof Date)) {
        const v = value as { result?: Cell; text?: string; richText?: { text: string }[] }
        cells.push(v.result ?? v.text ?? v.richText?.map((r) => r.text).join('') ?? null)
      } else cells.push(value as Cell)
    }
    table.push(cells)
  })
  return table
}

const columnName = (i: number) => {
  let name = ''
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name
  return name
}

/** One cell as the API field wants it; Excel dates become days (deadline) or instants (foundAt). */
function valueOf(field: string, cell: Cell): unknown {
  if (cell instanceof Date) {
    // Excel stores a day without a zone: exceljs reads it as midnight UTC, which is that day.
    if (field === 'deadline') return cell.toISOString().slice(0, 10)
    if (field === 'foundAt') return cell.toISOString()
    return cell.toISOString()
  }
  if (typeof cell === 'number') return INTEGER_FIELDS.has(field) || NUMBER_FIELDS.has(field) ? cell : String(cell)
  const text = String(cell).trim()
  if (INTEGER_FIELDS.has(field) || NUMBER_FIELDS.has(field)) return /^-?[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : text
  // A day written with the time of China Standard Time when no zone is given (a ledger's habit).
  if (field === 'foundAt' && /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/.test(text))
    return `${text.replace(' ', 'T')}${text.length === 10 ? 'T00:00:00' : text.length === 16 ? ':00' : ''}+08:00`
  if (field === 'deadline') return text.replace(/\//g, '-')
  return text
}

/**
 * Imports an existing ledger (CSV or XLSX, one hazard a row under one header row), all rows or none: every
 * row is checked as POST /api/hazards checks one, and any problem rejects the whole file with its row and
 * column. Found dates and deadlines are kept, so what is overdue shows at once with its escalation step.
 */
export async function importHazards(
  db: Kysely<Database>,
  table: Cell[][],
  actor: SignedInActor,
): Promise<{ imported: number; ids: number[] }> {
  const header = table.shift()
  if (!header || header.length === 0)
    throw new AppError('VALIDATION_FAILED', 'body: the table is empty', { problems: [{ field: 'body', message: 'is empty' }] })
  const fields = header.map(
    (h) =>
      COLUMNS[
        String(h ?? '')
          .trim()
          .toLowerCase()
          .replace(/[_\s-]/g, '')
      ],
  )
  const unknown = header.map((h, i) => (fields[i] ? null : `${columnName(i)} (${String(h ?? '')})`)).filter(Boolean)
  if (unknown.length) {
    throw new AppError('VALIDATION_FAILED', `header: unknown column ${unknown.join(', ')}`, {
      problems: unknown.map((u) => ({ field: `header/${u}`, message: 'is not a known column' })),
    })
  }
  const rows = table.filter((cells) => cells.some((c) => c !== null && c !== undefined && String(c).trim() !== ''))
  if (rows.length === 0)
    throw new AppError('VALIDATION_FAILED', 'body: there are no rows to import', { problems: [{ field: 'body', message: 'has no rows' }] })
  if (rows.length > MAX_ROWS)
    throw new AppError('VALIDATION_FAILED', `body: at most ${MAX_ROWS} rows a file`, {
      problems: [{ field: 'body', message: 'too many rows' }],
    })
  const columnOf = (field: string) => {
    const i = fields.indexOf(field === 'position' ? 'lon' : field)
    return i >= 0 ? columnName(i) : field
  }
  const today = await repository.today(db)
  return db.transaction().execute(async (trx) => {
    const errors: ImportRowError[] = []
    const prepared = []
    for (const [index, cells] of rows.entries()) {
      const row = index + 2
      const input: Record<string, unknown> = {}
      let lon: unknown, lat: unknown
      cells.forEach((cell, i) => {
        const field = fields[i]!
        if (cell === null || cell === undefined || String(cell).trim() === '') return
        const value = valueOf(field, cell)
        if (field === 'lon') lon = value
        else if (field === 'lat') lat = value
        else input[field] = value
      })
      if (lon !== undefined || lat !== undefined) input.position = [lon, lat]
      if (!validate(input)) {
        for (const p of problemsFromAjv(validate.errors ?? [], 'body')) {
          const field = p.field.split('/')[1] ?? 'row'
          errors.push({ row, field: `${columnOf(field)} (${field})`, message: p.message })
        }
        continue
      }
      try {
        prepared.push(await prepare(trx, input as CreateHazard, actor.user, today, 'row'))
      } catch (error) {
        if (!(error instanceof AppError) || error.statusCode >= 500) throw error
        const field = /^row\/([A-Za-z]+)/.exec(error.message)?.[1] ?? 'row'
        errors.push({ row, field: `${columnOf(field)} (${field})`, message: error.message.replace(/^row\/[A-Za-z/0-9]+: /, '') })
      }
    }
    if (errors.length) {
      const badRows = new Set(errors.map((e) => e.row)).size
      throw new AppError(
        'IMPORT_REJECTED',
        `${badRows} of ${rows.length} rows are invalid; nothing was imported (first: row ${errors[0]!.row} column ${errors[0]!.field}: ${errors[0]!.message})`,
        { badRows, errors: errors.slice(0, MAX_LISTED_ERRORS), truncated: errors.length > MAX_LISTED_ERRORS },
      )
    }
    const ids = await store(trx, prepared, actor, 'import')
    return { imported: ids.length, ids }
  })
}
