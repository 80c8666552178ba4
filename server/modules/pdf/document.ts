/**
 * What every PDF of the service shares: the CJK font (the copy shipped in data/fonts first, so a fresh install renders
 * Chinese with no system fonts, then Debian's fonts-wqy-microhei / fonts-noto-cjk), an A4 document that collects its
 * bytes, and the scale bar and north arrow of the vector maps drawn in them.
 */
import fs from 'node:fs'
import path from 'node:path'
import { AppError } from '../../errors.ts'

const FONT_CANDIDATES: readonly { path: string; family?: string }[] = [
  { path: path.resolve(import.meta.dirname, '../../../data/fonts/wqy-microhei.ttc'), family: 'WenQuanYiMicroHei' },
  { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', family: 'WenQuanYiMicroHei' },
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', family: 'WenQuanYiZenHei' },
]

/** The CJK font the documents use, or undefined when none is installed. */
export function cjkFont() {
  return FONT_CANDIDATES.find((f) => fs.existsSync(f.path))
}

/**
 * Opens an A4 document in the CJK font, collecting its bytes; `what` names the document in the 503 answered when no
 * CJK font is installed. pdfkit (with its font engine) is loaded on the first document, not at every start.
 */
export async function openPdf(options: {
  what: string
  title: string
  margin: number
}): Promise<{ doc: PDFKit.PDFDocument; done: Promise<Buffer> }> {
  const font = cjkFont()
  if (!font)
    throw new AppError(
      'UNAVAILABLE',
      `${options.what}: no CJK font is installed on the server (Debian package fonts-wqy-microhei or fonts-noto-cjk)`,
    )
  const { default: PDFDocument } = await import('pdfkit')
  const doc = new PDFDocument({ size: 'A4', margin: options.margin, info: { Title: options.title, Author: '固原市校园安全区域系统' } })
  const chunks: Buffer[] = []
  doc.on('data', (chunk: Buffer) => chunks.push(chunk))
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })
  doc.registerFont('cjk', font.path, font.family)
  doc.font('cjk')
  return { doc, done }
}

/** A scale bar of a round number of metres (the largest of `steps` within a fifth of the box) and a north arrow. */
export function drawScaleAndNorth(
  doc: PDFKit.PDFDocument,
  box: { x: number; y: number; w: number; h: number },
  pointsPerMetre: number,
  steps: readonly number[] = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
): void {
  const target = box.w / 5 / pointsPerMetre
  const bar = steps.reduce((best, m) => (m <= target ? m : best), 10)
  const bx = box.x + 10
  const by = box.y + box.h - 12
  doc
    .moveTo(bx, by)
    .lineTo(bx + bar * pointsPerMetre, by)
    .lineWidth(2)
    .strokeColor('black')
    .stroke()
  doc
    .fontSize(7)
    .fillColor('black')
    .text(`${bar} 米`, bx, by - 10, { lineBreak: false })
  doc.fontSize(8).text('北 N ↑', box.x + box.w - 40, box.y + 6, { lineBreak: false })
}
