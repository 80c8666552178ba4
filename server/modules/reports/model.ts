/**
 * A report as the writers see it, whatever it is about: a title, the filters it was made with, summary tables
 * (small, computed first) and the items, read from the database in batches as the writer asks for them, so that
 * no writer ever holds them all.
 */

/** How a cell is written: text, a number, a calendar day, an instant (shown in China Standard Time), yes/no. */
export type CellType = 'text' | 'integer' | 'number' | 'percent' | 'date' | 'datetime' | 'boolean'
export type Cell = string | number | boolean | Date | null

export interface Column {
  key: string
  header: string
  type: CellType
}
export type Row = Record<string, Cell>

/** A summary table; `chart` names the label column and the value columns a PDF draws as bars. */
export interface SummaryTable {
  title: string
  columns: Column[]
  rows: Row[]
  chart?: { label: string; values: string[] }
}

export interface Report {
  name: string
  /** The title in Chinese, as printed. */
  title: string
  /** The filters as printed ("区县 原州区（640402）；类别 …"). */
  filters: string
  summaries: SummaryTable[]
  /** The item sheet's name and columns. */
  itemsTitle: string
  itemColumns: Column[]
  /** The items, batch by batch, in a stable order. */
  items: () => AsyncGenerator<Row[]>
  generatedAt: Date
}

/** Rows a repository batch reads at a time: a few thousand keep memory flat and round trips few. */
export const BATCH_SIZE = 2000

/** Display width of text as a spreadsheet shows it: CJK and full-width characters take two columns. */
export function displayWidth(text: string): number {
  let width = 0
  for (const ch of text) {
    const code = ch.codePointAt(0)!
    width +=
      (code >= 0x1100 && code <= 0x115f) ||
      (code >= 0x2e80 && code <= 0xa4cf) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe30 && code <= 0xfe4f) ||
      (code >= 0xff00 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6) ||
      (code >= 0x20000 && code <= 0x3fffd)
        ? 2
        : 1
  }
  return width
}

/** A cell as text: what CSV writes and what widths are measured on. */
export function cellText(value: Cell, type: CellType): string {
  if (value === null || value === undefined) return ''
  if (type === 'boolean') return value ? '是' : '否'
  if (type === 'percent' && typeof value === 'number') return `${(value * 100).toFixed(1)}%`
  if (value instanceof Date) return type === 'date' ? value.toISOString().slice(0, 10) : cstText(value)
  return String(value)
}

/** An instant as China Standard Time wall-clock text, "YYYY-MM-DD HH:MM:SS". */
export const cstText = (value: Date) => new Date(value.getTime() + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19)

/** A calendar day "YYYY-MM-DD" as a Date at UTC midnight (how a spreadsheet date is written). */
export const dayOf = (value: string | null) => (value === null ? null : new Date(`${value}T00:00:00Z`))

/** Column widths that fit the header and the sampled rows, CJK counted double, within 6–60. */
export function columnWidths(columns: readonly Column[], sample: readonly Row[]): number[] {
  return columns.map((column) => {
    let width = displayWidth(column.header)
    for (const row of sample) width = Math.max(width, displayWidth(cellText(row[column.key] ?? null, column.type)))
    if (column.type === 'date') width = Math.max(width, 10)
    if (column.type === 'datetime') width = Math.max(width, 16)
    return Math.min(60, Math.max(6, width + 2))
  })
}
