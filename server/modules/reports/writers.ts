/**
 * The report writers. XLSX streams through exceljs's WorkbookWriter (summary sheets first, committed whole,
 * then the items sheet row by row); CSV is UTF-8 with a BOM so Excel opens it as such. Both read the items batch
 * by batch and wait for the reader whenever the output is full, so memory stays flat however many rows there are.
 */
import { once } from 'node:events'
import { PassThrough, Readable, type Writable } from 'node:stream'
import type ExcelJS from 'exceljs'
import { cellText, columnWidths, type Cell, type Column, type Report, type Row } from './model.ts'

const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FF1F4E79' } }
const HEADER_FONT: Partial<ExcelJS.Font> = { bold: true, color: { argb: 'FFFFFFFF' } }
const NUMBER_FORMATS: Partial<Record<Column['type'], string>> = {
  number: '0.0',
  percent: '0.0%',
  date: 'yyyy-mm-dd',
  datetime: 'yyyy-mm-dd hh:mm:ss',
}

/** A cell as exceljs stores it: numbers as numbers, instants as China Standard Time wall-clock dates, yes/no as text. */
function xlsxValue(value: Cell, type: Column['type']): ExcelJS.CellValue {
  if (value === null || value === undefined) return null
  if (type === 'boolean') return value ? '是' : '否'
  // Excel has no time zones: an instant is written as the wall-clock time in Beijing.
  if (type === 'datetime' && value instanceof Date) return new Date(value.getTime() + 8 * 3600_000)
  return value as ExcelJS.CellValue
}

function addSheet(workbook: ExcelJS.stream.xlsx.WorkbookWriter, title: string, columns: readonly Column[], sample: readonly Row[]) {
  // Sheet names: at most 31 characters, none of []:*?/\ .
  const sheet = workbook.addWorksheet(title.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] })
  const widths = columnWidths(columns, sample)
  sheet.columns = columns.map((c, i) => ({
    key: c.key,
    width: widths[i],
    style: NUMBER_FORMATS[c.type] ? { numFmt: NUMBER_FORMATS[c.type] } : {},
  }))
  const header = sheet.addRow(columns.map((c) => c.header))
  header.eachCell((cell) => {
    cell.fill = HEADER_FILL
    cell.font = HEADER_FONT
    cell.alignment = { vertical: 'middle' }
  })
  header.commit()
  return sheet
}

const rowValues = (columns: readonly Column[], row: Row) => columns.map((c) => xlsxValue(row[c.key] ?? null, c.type))

/** Waits while the destination's buffer is full. */
async function drained(stream: Writable): Promise<void> {
  if (stream.writableNeedDrain) await once(stream, 'drain')
}

/**
 * Writes the report as XLSX into `out`: a sheet "说明" with the title and filters, one sheet per summary, and the
 * items last, one per row under one header row (styled, frozen), columns sized from the first batch.
 */
export async function writeXlsx(report: Report, out: Writable): Promise<void> {
  // Loaded when a workbook is asked for: it is the heaviest package the service has, and no start needs it.
  const { default: ExcelJS } = await import('exceljs')
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false })
  workbook.creator = '固原市校园安全区域系统'
  workbook.created = report.generatedAt
  const aboutRows: Row[] = [
    { item: '报表', value: report.title },
    { item: '筛选条件', value: report.filters },
    { item: '生成时间（北京时间）', value: cellText(report.generatedAt, 'datetime') },
  ]
  const aboutColumns: Column[] = [
    { key: 'item', header: '项目', type: 'text' },
    { key: 'value', header: '内容', type: 'text' },
  ]
  const about = addSheet(workbook, '说明', aboutColumns, aboutRows)
  for (const row of aboutRows) about.addRow(rowValues(aboutColumns, row)).commit()
  about.commit()
  for (const summary of report.summaries) {
    const sheet = addSheet(workbook, summary.title, summary.columns, summary.rows)
    for (const row of summary.rows) sheet.addRow(rowValues(summary.columns, row)).commit()
    sheet.commit()
  }
  let sheet: ExcelJS.Worksheet | undefined
  for await (const batch of report.items()) {
    sheet ??= addSheet(workbook, report.itemsTitle, report.itemColumns, batch)
    for (const row of batch) sheet.addRow(rowValues(report.itemColumns, row)).commit()
    await drained(out)
  }
  ;(sheet ?? addSheet(workbook, report.itemsTitle, report.itemColumns, [])).commit()
  await workbook.commit()
}

/** The XLSX as a stream to send; a failure half-way ends the stream with the error (the client sees a cut reply). */
export function xlsxStream(report: Report, onError: (error: unknown) => void): Readable {
  const out = new PassThrough()
  writeXlsx(report, out).catch((error: unknown) => {
    onError(error)
    out.destroy(error as Error)
  })
  return out
}

const quote = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text)
// Text a spreadsheet would run as a formula is written with a leading apostrophe (OWASP "CSV injection").
const csvField = (text: string) => quote(/^[=+\-@\t\r]/.test(text) ? `'${text}` : text)

/** A CSV line of the items (RFC 4180 quoting; text that a spreadsheet would run as a formula is quoted). */
const csvLine = (columns: readonly Column[], row: Row) =>
  columns
    .map((c) => {
      const value = row[c.key] ?? null
      if (typeof value === 'number' && c.type !== 'percent') return String(value)
      return csvField(cellText(value, c.type))
    })
    .join(',') + '\r\n'

/** The items as CSV, UTF-8 with a BOM, header first, one batch per chunk; pulled by the reader, so it waits for it. */
export function csvStream(report: Report): Readable {
  async function* lines() {
    yield '\uFEFF' + report.itemColumns.map((c) => csvField(c.header)).join(',') + '\r\n'
    for await (const batch of report.items()) yield batch.map((row) => csvLine(report.itemColumns, row)).join('')
  }
  return Readable.from(lines(), { objectMode: false })
}
