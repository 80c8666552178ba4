/**
 * A unit's day as files to hand out: GPX 1.1 (https://www.topografix.com/GPX/1/1/) with a waypoint per stop
 * and the route as a track, and a one-page route sheet in Chinese (PDF, pdfkit with the CJK font of the
 * permit certificates): a small map of the route and stops, the stops with times, the schools' addresses and
 * the station's telephone.
 */
import { openPdf } from '../../pdf/document.ts'
import type { UnitSheet } from './service.ts'

const xml = (text: string) =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
/** GPX times are xsd:dateTime; UTC is what every reader takes. */
const utc = (iso: string) => new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z')
const clock = (iso: string) => iso.slice(11, 16)
const coordinate = (v: number) => v.toFixed(7)

const KIND = { post: '护学岗', visit: '巡查' } as const
const MODE = { car: '车巡', foot: '步巡' } as const

/** Where a stop is: its gate, or the campus point of a school without gates. */
function stopPosition(sheet: UnitSheet, stop: UnitSheet['unit']['stops'][number]): [number, number] {
  const school = sheet.schools.get(stop.schoolId)
  if (!school) return sheet.base
  return stop.gate !== undefined && school.gates[stop.gate - 1] ? school.gates[stop.gate - 1]! : school.inside
}

/** The unit's day as GPX 1.1. */
export function unitGpx(sheet: UnitSheet): string {
  const { plan, unit } = sheet
  const lines: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<gpx version="1.1" creator="固原市校园安全区域系统" xmlns="http://www.topografix.com/GPX/1/1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd">',
    '  <metadata>',
    `    <name>${xml(`${unit.name} ${plan.date} 巡逻计划 #${plan.id}`)}</name>`,
    `    <desc>${xml(`${MODE[unit.mode]}，${unit.stops.length} 站，全程 ${(unit.lengthM / 1000).toFixed(2)} 公里`)}</desc>`,
    `    <time>${utc(plan.createdAt)}</time>`,
    '  </metadata>',
  ]
  unit.stops.forEach((stop, i) => {
    const [lon, lat] = stopPosition(sheet, stop)
    const school = sheet.schools.get(stop.schoolId)
    lines.push(
      `  <wpt lat="${coordinate(lat)}" lon="${coordinate(lon)}">`,
      `    <time>${utc(stop.arriveAt)}</time>`,
      `    <name>${xml(`${i + 1}. ${KIND[stop.kind]} ${school?.name ?? `学校 #${stop.schoolId}`}`)}</name>`,
      `    <desc>${xml(`${clock(stop.arriveAt)}–${clock(stop.departAt)}${stop.gate !== undefined ? `，${stop.gate} 号门` : ''}${school?.address ? `，${school.address}` : ''}`)}</desc>`,
      `    <type>${stop.kind}</type>`,
      '  </wpt>',
    )
  })
  if (unit.route) {
    lines.push('  <trk>', `    <name>${xml(`${unit.name} ${plan.date}`)}</name>`, `    <type>${unit.mode}</type>`)
    for (const leg of unit.route.coordinates as [number, number][][]) {
      lines.push('    <trkseg>')
      for (const [lon, lat] of leg) lines.push(`      <trkpt lat="${coordinate(lat)}" lon="${coordinate(lon)}"/>`)
      lines.push('    </trkseg>')
    }
    lines.push('  </trk>')
  }
  lines.push('</gpx>', '')
  return lines.join('\n')
}

/** The one-page route sheet (A4, Chinese). */
export async function unitRouteSheet(sheet: UnitSheet, operator: string, printedAt: Date): Promise<Buffer> {
  const { plan, unit } = sheet
  const { doc, done } = await openPdf({ what: 'route sheet', title: `巡逻路线单 ${unit.name} ${plan.date}`, margin: 36 })
  const left = 36
  const width = 595 - 72
  doc.fontSize(15).text('校园周边巡逻路线单', left, 36, { width, align: 'center' })
  doc
    .fontSize(8)
    .fillColor('#555')
    .text(`Patrol route sheet · 计划 #${plan.id} · 政策第 ${plan.policyVersion} 版`, { width, align: 'center' })
  doc.fillColor('black').fontSize(9)
  const station = sheet.station
  doc.text(
    `日期：${plan.date}    单位：${unit.name}（${MODE[unit.mode]}）    班次：${sheet.shiftStart.slice(0, 5)}–${sheet.shiftEnd.slice(0, 5)}    全程：${(unit.lengthM / 1000).toFixed(2)} 公里`,
    left,
    doc.y + 4,
    { width },
  )
  doc.text(
    `派出所：${station?.name ?? '—'}${station?.phone ? `    电话：${station.phone}` : ''}${station?.address ? `    地址：${station.address}` : ''}`,
    left,
    doc.y + 2,
    { width },
  )

  // The map: route legs and numbered stops, fitted into a box in a local metric frame.
  const mapTop = doc.y + 8
  const mapHeight = 250
  drawRoute(doc, sheet, left, mapTop, width, mapHeight)

  // The stops.
  let y = mapTop + mapHeight + 10
  doc.fontSize(10).text('停靠点（北京时间）', left, y)
  y = doc.y + 3
  const columns = [
    { title: '序', x: left, w: 18 },
    { title: '类型', x: left + 18, w: 40 },
    { title: '时间', x: left + 58, w: 62 },
    { title: '学校', x: left + 120, w: 170 },
    { title: '门', x: left + 290, w: 22 },
    { title: '地址', x: left + 312, w: width - 312 },
  ]
  const available = 842 - 36 - 30 - y
  const row = Math.max(7, Math.min(13, available / Math.max(1, unit.stops.length + 1)))
  const size = Math.min(8, row - 2.5)
  doc.fontSize(size)
  for (const c of columns) doc.text(c.title, c.x, y, { width: c.w, lineBreak: false })
  y += row
  unit.stops.forEach((stop, i) => {
    const school = sheet.schools.get(stop.schoolId)
    const cells = [
      String(i + 1),
      KIND[stop.kind],
      `${clock(stop.arriveAt)}–${clock(stop.departAt)}`,
      school?.name ?? `#${stop.schoolId}`,
      stop.gate !== undefined ? String(stop.gate) : '—',
      school?.address ?? '—',
    ]
    if (i % 2 === 0)
      doc
        .rect(left, y - 1, width, row)
        .fill('#f2f4f7')
        .fillColor('black')
    cells.forEach((text, k) => doc.text(text, columns[k]!.x, y, { width: columns[k]!.w, lineBreak: false, height: row }))
    y += row
  })
  if (unit.stops.length === 0) doc.text('今日无安排。', left, y)
  doc
    .fontSize(7)
    .fillColor('#555')
    .text(
      `护学岗须在高峰时段开始前到达并坚守至结束；巡查停留时间与时刻按日期随机生成，请勿外传。打印人：${operator}  打印时间：${asClock(printedAt)}`,
      left,
      842 - 36 - 18,
      { width, lineBreak: false },
    )
  doc.end()
  return done
}

const asClock = (at: Date) => new Date(at.getTime() + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 16) + '（北京时间）'

function drawRoute(doc: PDFKit.PDFDocument, sheet: UnitSheet, x: number, y: number, width: number, height: number) {
  doc.save()
  doc.rect(x, y, width, height).lineWidth(0.5).strokeColor('#999').stroke()
  const legs = (sheet.unit.route?.coordinates ?? []) as [number, number][][]
  const stops = sheet.unit.stops.map((s) => stopPosition(sheet, s))
  const all = [...legs.flat(), ...stops, sheet.base]
  const lat0 = all.reduce((s, p) => s + p[1], 0) / all.length
  const kx = Math.cos((lat0 * Math.PI) / 180)
  const xs = all.map((p) => p[0] * kx)
  const ys = all.map((p) => p[1])
  const minX = Math.min(...xs)
  const maxX = Math.max(...xs)
  const minY = Math.min(...ys)
  const maxY = Math.max(...ys)
  const pad = 14
  const scale = Math.min((width - 2 * pad) / Math.max(maxX - minX, 1e-6), (height - 2 * pad) / Math.max(maxY - minY, 1e-6))
  const ox = x + pad + (width - 2 * pad - (maxX - minX) * scale) / 2
  const oy = y + pad + (height - 2 * pad - (maxY - minY) * scale) / 2
  const at = (p: [number, number]): [number, number] => [ox + (p[0] * kx - minX) * scale, oy + (maxY - p[1]) * scale]
  doc.lineWidth(1.4).strokeColor(sheet.unit.mode === 'car' ? '#1f5fbf' : '#2e7d32')
  for (const leg of legs) {
    leg.forEach((p, i) => {
      const [px, py] = at(p)
      if (i === 0) doc.moveTo(px, py)
      else doc.lineTo(px, py)
    })
    doc.stroke()
  }
  const [bx, by] = at(sheet.base)
  doc.rect(bx - 3.5, by - 3.5, 7, 7).fill('#333')
  doc
    .fontSize(6.5)
    .fillColor('#333')
    .text('驻地', bx + 5, by - 4, { lineBreak: false })
  sheet.unit.stops.forEach((stop, i) => {
    const [px, py] = at(stops[i]!)
    doc.circle(px, py, 3.2).fill(stop.kind === 'post' ? '#c62828' : '#ef8f00')
    doc
      .fillColor('black')
      .fontSize(6.5)
      .text(String(i + 1), px + 4, py - 3 - (i % 2) * 6, { lineBreak: false })
  })
  // A scale bar.
  const metresPerPoint = 111320 / scale
  const barM = [100, 200, 500, 1000, 2000, 5000, 10000, 20000].find((m) => m / metresPerPoint >= 40) ?? 50000
  const barW = barM / metresPerPoint
  doc
    .lineWidth(1)
    .strokeColor('black')
    .moveTo(x + 10, y + height - 10)
    .lineTo(x + 10 + barW, y + height - 10)
    .stroke()
  doc.fontSize(6.5).text(barM >= 1000 ? `${barM / 1000} 公里` : `${barM} 米`, x + 14 + barW, y + height - 14, { lineBreak: false })
  doc.fontSize(6.5).text('■ 驻地  ● 红：护学岗  ● 橙：巡查  线：路线', x + width - 170, y + 5, { lineBreak: false })
  doc.restore()
}
