/**
 * The CSV form of POST /api/check/batch's answer, one row per point. Kept free of schema code so that the web
 * desk writes exactly the file the server sends, without bundling the validator.
 */
import type { BatchResult } from './check-batch.ts'

export const BATCH_CSV_COLUMNS = [
  'id',
  'verdict',
  'lon',
  'lat',
  'schoolId',
  'schoolName',
  'distanceM',
  'band',
  'ruleId',
  'ruleVersion',
  'conflictCount',
  'errorField',
  'errorMessage',
] as const

/** Spreadsheets read a file as UTF-8 only when it starts with the byte order mark (Excel guesses GBK otherwise). */
export const UTF8_BOM = '\uFEFF'

/** The cells of one result, in BATCH_CSV_COLUMNS order (empty where a value does not apply). */
export function batchCsvCells(result: BatchResult): (string | number)[] {
  if ('error' in result) return [result.id ?? '', '', '', '', '', '', '', '', '', '', '', result.error.field, result.error.message]
  const c = result.conflict
  return [
    result.id,
    result.verdict,
    result.location.lon,
    result.location.lat,
    c?.schoolId ?? '',
    c?.schoolName ?? '',
    c?.distanceM ?? '',
    c?.band ?? '',
    c?.ruleId ?? '',
    c?.ruleVersion ?? '',
    result.conflictCount,
    '',
    '',
  ]
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. Text starting with = + - @ or a
 * tab is prefixed with an apostrophe so that a spreadsheet shows it instead of running it as a formula (an id
 * or a school name is the caller's or the registry's text, not ours).
 */
export function csvField(value: string | number): string {
  if (typeof value === 'number') return String(value)
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** The header line, CRLF-terminated. */
export const batchCsvHeader = () => `${BATCH_CSV_COLUMNS.join(',')}\r\n`

/** One result as a CSV line, CRLF-terminated. */
export const batchCsvLine = (result: BatchResult) => `${batchCsvCells(result).map(csvField).join(',')}\r\n`
