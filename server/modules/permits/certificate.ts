import type { PermitDetail, Rectification } from '../../schemas/permits.ts'
import type { CheckResult, ConflictDetail } from '../../schemas/zones.ts'
import { drawScaleAndNorth, openPdf } from '../pdf/document.ts'
import { CATEGORY_NAMES, PERMIT_KIND_NAMES, PERMIT_STATUS_NAMES, SCHOOL_TYPE_NAMES } from '../../schemas/labels.ts'

const CRS_NAMES: Record<string, string> = {
  wgs84: 'WGS84 (GPS)',
  cgcs2000: 'CGCS2000 (天地图)',
  gcj02: 'GCJ-02 (高德/腾讯)',
  bd09: 'BD-09 (百度)',
}

type Ring = number[][]
/** What the drawing shows of one school: campus parts, gates and the zone outline at the limit. */
export interface DrawnSchool {
  schoolId: number
  name: string
  campus: Ring[][]
  gates: number[][]
  zone: Ring[][]
}

const beijingTime = (iso: string) =>
  new Date(new Date(iso).getTime() + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19) + ' (北京时间)'
const maskId = (id: string) => `${id.slice(0, 6)}********${id.slice(14)}`

const polygonsOf = (geometry: { type: string; coordinates: unknown }): Ring[][] =>
  geometry.type === 'Polygon'
    ? [geometry.coordinates as Ring[]]
    : geometry.type === 'MultiPolygon'
      ? (geometry.coordinates as Ring[][])
      : []
export { polygonsOf }

/** What a certificate shows beyond the screening: the heading, lines before and after it, and who printed it when. */
export interface CertificateContent {
  /** PDF metadata title. */
  documentTitle: string
  heading: string
  subheading: string
  /** Label and value lines above the location (applicant, business …). */
  lead: readonly (readonly [string, string])[]
  screening: CheckResult & { rectification?: Rectification | undefined }
  /** What the point is called on the drawing. */
  pointLabel: string
  schools: readonly DrawnSchool[]
  /** Label and value lines below the drawing (status, decision …). */
  tail: readonly (readonly [string, string])[]
  operator: string
  printedAt: Date
}

/**
 * A one-page A4 certificate in Chinese: the point (WGS84 and as entered), the verdict, each school in
 * reach with distance, band, rule and legal basis, a vector drawing of campus, zone, gates, point and
 * measured lines, then the caller's lines, the time and the operator. Permits and point checks share it.
 */
export async function renderCertificate(content: CertificateContent): Promise<Buffer> {
  const { doc, done } = await openPdf({ what: 'certificate', title: content.documentTitle, margin: 40 })

  const s = content.screening
  doc.fontSize(16).text(content.heading, { align: 'center' })
  doc.fontSize(8).fillColor('#555').text(content.subheading, { align: 'center' })
  doc.moveDown(0.6).fillColor('black').fontSize(9)
  const line = (label: string, value: string) => doc.text(`${label}：${value}`)
  for (const [label, value] of content.lead) line(label, value)
  line('位置（WGS84/CGCS2000，用于测量）', `东经 ${s.location.lon.toFixed(6)}°，北纬 ${s.location.lat.toFixed(6)}°`)
  line('位置（输入）', `${s.input.lon}, ${s.input.lat}，坐标系 ${CRS_NAMES[s.input.crs] ?? s.input.crs}`)
  doc.moveDown(0.4)
  const prohibited = s.verdict === 'prohibited'
  doc
    .fontSize(12)
    .fillColor(prohibited ? '#b00020' : '#0a6b2d')
    .text(`审查结论：${prohibited ? `禁止 —— 位于 ${s.conflicts.length} 所学校的安全区域内` : '允许 —— 不在任何学校的安全区域内'}`)
  doc
    .fillColor('black')
    .fontSize(8)
    .text(
      `经营类别：${CATEGORY_NAMES[s.category] ?? s.category}；测量方法：WGS84 椭球面测地线距离（PostGIS geography），精确到 0.1 米${s.conflicts.some((c) => c.path === 'walking') ? '；步行规则沿道路网量取校门至店门的最短步行距离' : ''}；审查时间 ${beijingTime(s.checkedAt)}`,
    )
  doc.moveDown(0.4).fontSize(9)

  if (s.conflicts.length > 0) {
    doc.text('区域内学校（逐校说明测量点与适用规则）：')
    for (const c of s.conflicts) {
      doc
        .fontSize(8.5)
        .text(
          `· ${c.schoolName}（${SCHOOL_TYPE_NAMES[c.schoolType] ?? c.schoolType}）：${distanceText(c)}，限值 ${c.limitM} 米，分带 ${c.band}；` +
            `测量起点 ${c.origin === 'gates' ? '校门' : '校园边界'}最近点（${c.nearestPoint.lon.toFixed(6)}, ${c.nearestPoint.lat.toFixed(6)}）；规则 #${c.ruleId} 第 ${c.ruleVersion} 版；依据：${c.legalBasis}`,
          { indent: 8 },
        )
    }
  } else if (s.nearestSchools.length > 0) {
    doc.text('最近的学校：')
    for (const n of s.nearestSchools) {
      doc
        .fontSize(8.5)
        .text(
          `· ${n.schoolName}（${SCHOOL_TYPE_NAMES[n.schoolType] ?? n.schoolType}）：距离 ${n.distanceM.toFixed(1)} 米${n.limitM === null ? '' : `，限值 ${n.limitM} 米`}`,
          { indent: 8 },
        )
    }
  } else {
    doc.text('附近没有登记的学校。')
  }
  if (s.rectification) doc.moveDown(0.3).fontSize(8.5).fillColor('#8a4b00').text(`整改提示：${s.rectification.guidance}`).fillColor('black')

  drawMap(doc, s, content.schools, content.pointLabel)

  doc.fontSize(9).fillColor('black')
  for (const [label, value] of content.tail) line(label, value)
  line('打印人 / 时间', `${content.operator} / ${beijingTime(content.printedAt.toISOString())}`)
  doc.end()
  return done
}

/**
 * A conflict's distance as its row states it: under a walking rule the walk along the roads with the
 * straight distance beside it, or, where the network could not measure, the straight distance that
 * decided and the reason.
 */
function distanceText(c: ConflictDetail): string {
  if (c.path !== 'walking') return `距离 ${c.distanceM.toFixed(1)} 米`
  if (c.measuredBy === 'straight_fallback')
    return `距离 ${c.distanceM.toFixed(1)} 米（步行规则，按直线距离计：${c.note ?? '道路网无法测量'}）`
  return `步行距离 ${c.distanceM.toFixed(1)} 米（直线 ${(c.straightM ?? c.distanceM).toFixed(1)} 米）`
}

/** The permit certificate's lines: applicant, business, kind, address, then status, decision, licence and submission. */
export function permitCertificate(
  permit: PermitDetail,
  schools: readonly DrawnSchool[],
  operator: string,
  printedAt: Date,
): CertificateContent {
  const tail: [string, string][] = [['办理状态', PERMIT_STATUS_NAMES[permit.status] ?? permit.status]]
  if (permit.decision) {
    tail.push(['决定', `${permit.decision.decision === 'approve' ? '批准' : '不予批准'}，理由：${permit.decision.reason}`])
    if (permit.decision.overrideJustification) tail.push(['越权批准理由（已报综治办）', permit.decision.overrideJustification])
    if (permit.decision.rectification) {
      tail.push([
        '限期整改',
        `${permit.decision.rectification.measure === 'relocate' ? '迁出安全区域' : '停业关闭'}，期限至 ${permit.decision.rectification.deadline}，期满不再续期`,
      ])
    }
    tail.push([
      '决定人 / 时间',
      `${permit.decision.decidedBy.username}（${permit.decision.decidedBy.role}） / ${beijingTime(permit.decision.decidedAt)}`,
    ])
  }
  if (permit.licenceNo) tail.push(['许可证号', permit.licenceNo])
  tail.push(['提交人 / 时间', `${permit.submittedBy} / ${beijingTime(permit.submittedAt)}`])
  return {
    documentTitle: `许可审查证明 ${permit.id}`,
    heading: '固原市中小学幼儿园安全区域 · 经营许可选址审查证明',
    subheading: `Guyuan school safety zones · permit screening certificate · 申请编号 No. ${permit.id} · 版本 ${permit.version}`,
    lead: [
      ['申请人', `${permit.applicant.name}（身份证号 ${maskId(permit.applicant.idNumber)}）`],
      ['经营者名称', permit.businessName],
      [
        '经营类别 / 申请类型',
        `${CATEGORY_NAMES[permit.category] ?? permit.category} / ${PERMIT_KIND_NAMES[permit.kind] ?? permit.kind}${permit.premisesId !== null && permit.kind !== 'new' ? `（原登记场所 #${permit.premisesId}）` : ''}`,
      ],
      ['经营地址', `${permit.address}（区县代码 ${permit.countyCode}）`],
    ],
    screening: permit.screening,
    pointLabel: '申请位置',
    schools,
    tail,
    operator,
    printedAt,
  }
}

/** The point check certificate's lines: what was asked, for which county, by whom. */
export function checkCertificate(
  result: CheckResult,
  countyCode: string,
  schools: readonly DrawnSchool[],
  operator: string,
  printedAt: Date,
): CertificateContent {
  return {
    documentTitle: `选址测量证明 ${result.location.lon.toFixed(6)},${result.location.lat.toFixed(6)}`,
    heading: '固原市中小学幼儿园安全区域 · 选址距离测量证明',
    subheading: 'Guyuan school safety zones · point check certificate (not a licence decision / 非许可决定)',
    lead: [
      ['查询经营类别', CATEGORY_NAMES[result.category] ?? result.category],
      ['所在区县代码', countyCode],
    ],
    screening: result,
    pointLabel: '查询位置',
    schools,
    tail: [],
    operator,
    printedAt,
  }
}

/** The radius map: a local metric frame centred on the point, north up, with a scale bar. */
function drawMap(doc: PDFKit.PDFDocument, screening: CheckResult, schools: readonly DrawnSchool[], pointLabel: string) {
  const box = { x: 40, y: doc.y + 8, w: 515, h: 300 }
  if (box.y + box.h > 640) box.h = Math.max(160, 640 - box.y)
  const lon0 = screening.location.lon
  const lat0 = screening.location.lat
  const kx = 111_320 * Math.cos((lat0 * Math.PI) / 180)
  const ky = 110_950
  const local = ([lon, lat]: number[]) => [(lon! - lon0) * kx, (lat! - lat0) * ky] as const
  const points: (readonly [number, number])[] = [[0, 0]]
  for (const school of schools)
    for (const ring of [...school.zone.flat(), ...school.campus.flat()]) for (const p of ring) points.push(local(p))
  for (const c of screening.conflicts) {
    points.push(local([c.nearestPoint.lon, c.nearestPoint.lat]))
    for (const p of c.route?.coordinates ?? []) points.push(local(p))
  }
  const extent = Math.max(100, ...points.map(([x, y]) => Math.max(Math.abs(x), Math.abs(y)))) * 1.1
  const scale = Math.min(box.w, box.h) / (2 * extent)
  const cx = box.x + box.w / 2
  const cy = box.y + box.h / 2
  const toPage = (p: number[]) => {
    const [x, y] = local(p)
    return [cx + x * scale, cy - y * scale] as const
  }
  const path = (ring: Ring) => {
    ring.forEach((p, i) => {
      const [x, y] = toPage(p)
      if (i === 0) doc.moveTo(x, y)
      else doc.lineTo(x, y)
    })
    doc.closePath()
  }

  doc.save()
  doc.rect(box.x, box.y, box.w, box.h).lineWidth(0.5).strokeColor('#999').stroke()
  doc.rect(box.x, box.y, box.w, box.h).clip()
  for (const school of schools) {
    for (const polygon of school.zone) {
      for (const ring of polygon) path(ring)
      doc
        .fillOpacity(0.12)
        .fillColor('#d32f2f')
        .lineWidth(1)
        .strokeColor('#d32f2f')
        .dash(4, { space: 3 })
        .fillAndStroke('#d32f2f', '#d32f2f')
      doc.undash().fillOpacity(1)
    }
    for (const polygon of school.campus) {
      for (const ring of polygon) path(ring)
      doc.fillOpacity(0.35).lineWidth(1).fillAndStroke('#1565c0', '#0d47a1')
      doc.fillOpacity(1)
    }
    for (const gate of school.gates) {
      const [x, y] = toPage(gate)
      doc.rect(x - 2.5, y - 2.5, 5, 5).fill('#ff8f00')
    }
    const first = school.campus[0]?.[0]?.[0]
    if (first) {
      const [x, y] = toPage(first)
      doc
        .fillColor('#0d47a1')
        .fontSize(7.5)
        .text(school.name, x + 3, y + 2, { lineBreak: false })
    }
  }
  // A walking conflict's route, from the gate along the roads to the door, in its own colour beside the straight line.
  for (const c of screening.conflicts) {
    const route = (c.route?.coordinates ?? []).map(toPage)
    if (route.length < 2) continue
    route.forEach(([x, y], i) => (i === 0 ? doc.moveTo(x, y) : doc.lineTo(x, y)))
    doc.lineWidth(2).strokeColor('#6a1b9a').lineJoin('round').stroke()
    // Labelled halfway along, below the line, clear of the point's own label at the door.
    const steps = route.slice(1).map(([x, y], i) => Math.hypot(x - route[i]![0], y - route[i]![1]))
    let rest = steps.reduce((a, b) => a + b, 0) / 2
    let i = 0
    while (i < steps.length - 1 && rest > steps[i]!) rest -= steps[i++]!
    const f = steps[i]! > 0 ? rest / steps[i]! : 0
    const [ax, ay] = route[i]!
    const [bx, by] = route[i + 1]!
    doc
      .fillColor('#6a1b9a')
      .fontSize(7.5)
      .text(`步行 ${c.distanceM.toFixed(1)} m`, ax + (bx - ax) * f - 20, ay + (by - ay) * f + 4, { lineBreak: false })
  }
  for (const c of screening.conflicts) {
    const [x1, y1] = toPage([lon0, lat0])
    const [x2, y2] = toPage([c.nearestPoint.lon, c.nearestPoint.lat])
    doc.moveTo(x1, y1).lineTo(x2, y2).lineWidth(1.2).strokeColor('black').stroke()
    doc
      .fillColor('black')
      .fontSize(7.5)
      .text(`${(c.path === 'walking' ? (c.straightM ?? c.distanceM) : c.distanceM).toFixed(1)} m`, (x1 + x2) / 2 + 3, (y1 + y2) / 2 - 9, {
        lineBreak: false,
      })
  }
  doc.circle(cx, cy, 3.5).fill('black')
  doc
    .fillColor('black')
    .fontSize(7.5)
    .text(pointLabel, cx + 5, cy + 3, { lineBreak: false })
  doc.restore()

  const walking = screening.conflicts.some((c) => (c.route?.coordinates.length ?? 0) >= 2)
  drawScaleAndNorth(doc, box, scale)
  doc
    .fontSize(7)
    .fillColor('#555')
    .text(
      `图例：蓝色 校园边界 · 橙色 校门 · 红色虚线 安全区域（限值处外缘，仅供示意，结论以测地线距离为准） · 黑线 ${walking ? '直线距离' : '测量线'}${walking ? ' · 紫线 步行路线（校门沿道路至店门）' : ''}`,
      box.x,
      box.y + box.h + 3,
      { width: box.w },
    )
  doc.fillColor('black')
  doc.x = 40
  doc.y = box.y + box.h + 18
}
