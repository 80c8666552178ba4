/** A report's summary as a PDF in Chinese: each summary table, and for each a horizontal bar chart drawn as vector graphics. */
import { ensureSpace, heading, openDocument, table } from '../schools-file/pdf.ts'
import { cellText, cstText, type Report, type SummaryTable } from './model.ts'

const COLOURS = ['#1565c0', '#c62828', '#ef6c00', '#2e7d32', '#6a1b9a', '#00838f']
const LEFT = 40
const WIDTH = 515

/** Grouped horizontal bars: one group per row (the total row left out), one bar per value column, with a legend. */
function barChart(doc: PDFKit.PDFDocument, summary: SummaryTable) {
  const chart = summary.chart
  if (!chart) return
  const rows = summary.rows.filter((r) => r[chart.label] !== '合计').slice(0, 40)
  if (rows.length === 0) return
  const series = chart.values.map((key) => summary.columns.find((c) => c.key === key)!).filter(Boolean)
  const max = Math.max(1, ...rows.flatMap((r) => series.map((s) => Number(r[s.key] ?? 0))))
  const labelWidth = 130
  const barHeight = 7
  const groupHeight = series.length * barHeight + 6
  const plotWidth = WIDTH - labelWidth - 40
  ensureSpace(doc, Math.min(rows.length, 8) * groupHeight + 30)
  // Legend.
  let x = LEFT + labelWidth
  series.forEach((s, i) => {
    doc.rect(x, doc.y + 1, 8, 8).fill(COLOURS[i % COLOURS.length]!)
    doc
      .fillColor('black')
      .fontSize(7.5)
      .text(s.header, x + 11, doc.y, { lineBreak: false })
    x += 14 + doc.widthOfString(s.header) + 12
  })
  doc.y += 14
  for (const row of rows) {
    ensureSpace(doc, groupHeight)
    const top = doc.y
    const label = cellText(row[chart.label] ?? null, summary.columns.find((c) => c.key === chart.label)?.type ?? 'text')
    doc
      .fillColor('black')
      .fontSize(7.5)
      .text(label, LEFT, top + (groupHeight - 6) / 2 - 4, { width: labelWidth - 6, align: 'right', lineBreak: false })
    series.forEach((s, i) => {
      const value = Number(row[s.key] ?? 0)
      const y = top + i * barHeight
      const w = (value / max) * plotWidth
      if (w > 0) doc.rect(LEFT + labelWidth, y, Math.max(0.5, w), barHeight - 1).fill(COLOURS[i % COLOURS.length]!)
      doc
        .fillColor('#333')
        .fontSize(6.5)
        .text(String(value), LEFT + labelWidth + w + 3, y, { lineBreak: false })
    })
    doc
      .moveTo(LEFT + labelWidth, top)
      .lineTo(LEFT + labelWidth, top + groupHeight - 4)
      .lineWidth(0.5)
      .strokeColor('#777')
      .stroke()
    doc.y = top + groupHeight
  }
  doc.x = LEFT
  doc.moveDown(0.5)
}

/** The report's summary as PDF bytes (the items are in the XLSX and CSV, not here). */
export async function renderReportPdf(report: Report, operator: string): Promise<Buffer> {
  const { doc, done } = await openDocument(report.title)
  doc.fontSize(16).text(`固原市中小学幼儿园安全区域 · ${report.title}`, { align: 'center' })
  doc.fontSize(8).fillColor('#555').text(`筛选条件：${report.filters}`, { align: 'center' })
  doc.text(`生成时间：${cstText(report.generatedAt)}（北京时间） · 打印人：${operator}`, { align: 'center' })
  doc.fillColor('black')
  report.summaries.forEach((summary, i) => {
    heading(doc, `${'一二三四五六七八九十'[i] ?? i + 1}、${summary.title}`)
    if (summary.rows.length === 0) {
      doc.fontSize(9).text('没有符合条件的记录。', LEFT, doc.y, { width: WIDTH })
      return
    }
    barChart(doc, summary)
    table(
      doc,
      summary.columns.map((c) => ({ title: c.header, width: c.type === 'text' ? 3 : 1.4 })),
      summary.rows.map((row) => summary.columns.map((c) => cellText(row[c.key] ?? null, c.type))),
    )
  })
  doc.end()
  return done
}
