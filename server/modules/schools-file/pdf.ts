/**
 * A school's file as an A4 PDF in Chinese, in the house style of the certificates (permits/certificate.ts): the
 * registry facts, a vector drawing of the campus, its zone bands and the conflicting premises (no basemap), the
 * conflicts, the hazard ledger, inspections, patrol coverage, warning signs and cameras, and the staffing audit
 * with its clauses. As many pages as the file needs.
 */
import { CATEGORY_NAMES, SCHOOL_TYPE_NAMES } from '../../schemas/labels.ts'
import type { SchoolFile } from '../../schemas/school-file.ts'
import { polygonsOf } from '../permits/certificate.ts'
import { drawScaleAndNorth, openPdf } from '../pdf/document.ts'
import { BAND_NAMES, FINDING_STATUS_NAMES, HAZARD_GRADE_NAMES, HAZARD_KIND_NAMES, HAZARD_STATE_NAMES, beijingTime } from './labels.ts'

type Ring = number[][]
const LEFT = 40
const WIDTH = 515
const BOTTOM = 800

/** Opens an A4 document with the CJK font, collecting its bytes. */
export const openDocument = (title: string) => openPdf({ what: 'pdf', title, margin: 40 })

/** Starts a new page when fewer than `height` points are left on this one. */
export function ensureSpace(doc: PDFKit.PDFDocument, height: number): void {
  if (doc.y + height > BOTTOM) doc.addPage()
}

/** A section heading. */
export function heading(doc: PDFKit.PDFDocument, text: string): void {
  ensureSpace(doc, 40)
  doc.moveDown(0.5).x = LEFT
  doc.fontSize(11.5).fillColor('#0d47a1').text(text, LEFT, doc.y, { width: WIDTH })
  doc
    .moveTo(LEFT, doc.y + 1)
    .lineTo(LEFT + WIDTH, doc.y + 1)
    .lineWidth(0.5)
    .strokeColor('#0d47a1')
    .stroke()
  doc.moveDown(0.3).fillColor('black').fontSize(8.5)
}

/** A table: a shaded header row and one row per item, wrapping cells, breaking pages between rows. */
export function table(doc: PDFKit.PDFDocument, columns: readonly { title: string; width: number }[], rows: readonly string[][]): void {
  const total = columns.reduce((sum, c) => sum + c.width, 0)
  const widths = columns.map((c) => (c.width / total) * WIDTH)
  const drawRow = (cells: readonly string[], header: boolean) => {
    doc.fontSize(header ? 8 : 7.8)
    const height = Math.max(...cells.map((cell, i) => doc.heightOfString(cell, { width: widths[i]! - 4 }))) + 4
    ensureSpace(doc, height)
    const y = doc.y
    if (header) doc.rect(LEFT, y, WIDTH, height).fill('#e3eaf5')
    let x = LEFT
    cells.forEach((cell, i) => {
      doc.fillColor('black').text(cell, x + 2, y + 2, { width: widths[i]! - 4 })
      x += widths[i]!
    })
    doc
      .moveTo(LEFT, y + height)
      .lineTo(LEFT + WIDTH, y + height)
      .lineWidth(0.3)
      .strokeColor('#bbb')
      .stroke()
    doc.x = LEFT
    doc.y = y + height
  }
  drawRow(
    columns.map((c) => c.title),
    true,
  )
  for (const row of rows) drawRow(row, false)
  doc.moveDown(0.3)
}

const yesNo = (value: boolean | null) => (value === null ? '未登记' : value ? '是' : '否')
const count = (value: number | null, unit = '人') => (value === null ? '未登记' : `${value} ${unit}`)
const lonLat = (p: { lon: number; lat: number }) => `${p.lon.toFixed(6)}, ${p.lat.toFixed(6)}`

/** The school's file as PDF bytes. */
export async function renderSchoolFile(file: SchoolFile, operator: string): Promise<Buffer> {
  const s = file.school.properties
  const { doc, done } = await openDocument(`一校一档 ${s.name}`)
  doc.fontSize(16).text('固原市中小学幼儿园安全区域 · 一校一档', { align: 'center' })
  doc
    .fontSize(8)
    .fillColor('#555')
    .text(`Guyuan school safety zones · school file · 学校编号 No. ${file.school.id} · 登记版本 ${s.version}`, { align: 'center' })
  doc.fillColor('black')

  heading(doc, '一、登记信息')
  const facts: [string, string][] = [
    ['学校名称', s.name],
    ['学校类型', SCHOOL_TYPE_NAMES[s.schoolType] ?? s.schoolType],
    ['所在区县', `${file.county.name ?? ''}（${file.county.code}）`],
    ['地址', s.address ?? '未登记'],
    ['在校学生 / 教职工', `${count(s.students)} / ${count(s.staff)}`],
    ['寄宿制', `${yesNo(s.boarding)}${s.boardingStudents === null ? '' : `，寄宿学生 ${s.boardingStudents} 人`}`],
    ['开办日期', s.openedOn ?? '未登记'],
    ['校门', s.gates.length === 0 ? '未登记' : s.gates.map((g, i) => `${i + 1}号门 ${g[0]!.toFixed(6)}, ${g[1]!.toFixed(6)}`).join('；')],
    ['专职保安员 / 校医 / 心理健康教师', `${count(s.guards, '名')} / ${count(s.doctors, '名')} / ${count(s.psychologyTeachers, '名')}`],
    ['一键式报警接入公安机关', yesNo(s.alarmLinkedToPolice)],
  ]
  for (const [label, value] of facts) doc.fontSize(9).text(`${label}：${value}`, LEFT, doc.y, { width: WIDTH })

  heading(doc, '二、安全区域示意图')
  drawZoneMap(doc, file)

  heading(doc, `三、安全区域内的经营场所（共 ${file.conflicts.numberMatched} 处）`)
  if (file.conflicts.items.length === 0) doc.text('安全区域内没有登记的冲突场所。')
  else
    table(
      doc,
      [
        { title: '图号', width: 4 },
        { title: '场所', width: 22 },
        { title: '类别', width: 18 },
        { title: '距离（米）', width: 9 },
        { title: '分带', width: 7 },
        { title: '许可证', width: 16 },
        { title: '规则 / 依据', width: 24 },
      ],
      file.conflicts.items.map((c, i) => [
        String(i + 1),
        `${c.premisesName}${c.preexisting ? '（先于学校开办，限期整改）' : ''}`,
        CATEGORY_NAMES[c.category] ?? c.category,
        c.distanceM.toFixed(1),
        BAND_NAMES[c.band] ?? c.band,
        `${c.licenceNo ?? '无'}（${c.licenceStatus}${c.expiresOn ? `，至 ${c.expiresOn}` : ''}）`,
        `#${c.ruleId} 第${c.ruleVersion}版，限值 ${c.limitM} 米；${c.legalBasis}`,
      ]),
    )

  {
    heading(doc, `四、隐患台账（未销号 ${file.hazards.open.length} 项，已销号 ${file.hazards.closed.length} 项）`)
    const rows = [...file.hazards.open, ...file.hazards.closed].map((h) => [
      String(h.id),
      h.title,
      `${HAZARD_KIND_NAMES[h.kind] ?? h.kind} / ${HAZARD_GRADE_NAMES[h.grade] ?? h.grade}`,
      `${HAZARD_STATE_NAMES[h.state] ?? h.state}${h.overdue ? '（已逾期）' : ''}`,
      h.department ?? '',
      h.deadline ?? '',
      beijingTime(h.foundAt).slice(0, 10),
      h.closedAt ? beijingTime(h.closedAt).slice(0, 10) : '',
    ])
    if (rows.length === 0) doc.text('没有登记的隐患。')
    else
      table(
        doc,
        [
          { title: '编号', width: 5 },
          { title: '隐患', width: 26 },
          { title: '类别 / 等级', width: 16 },
          { title: '状态', width: 13 },
          { title: '责任部门', width: 10 },
          { title: '整改期限', width: 10 },
          { title: '发现', width: 10 },
          { title: '销号', width: 10 },
        ],
        rows,
      )
  }

  {
    heading(doc, `五、隐患排查记录（日周月，最近 ${file.inspections.length} 次）`)
    if (file.inspections.length === 0) doc.text('没有排查记录。')
    else
      table(
        doc,
        [
          { title: '时间', width: 18 },
          { title: '层级', width: 10 },
          { title: '排查人', width: 14 },
          { title: '发现', width: 58 },
        ],
        file.inspections.map((i) => [
          beijingTime(i.doneAt).slice(0, 16),
          ({ school: '学校（日）', township: '乡镇（周）', county: '县区（月）' } as Record<string, string>)[i.level] ?? i.level,
          i.inspector ?? '',
          i.findings ?? '',
        ]),
      )
  }

  {
    const p = file.patrol
    heading(doc, `六、巡逻覆盖（${p.from} 至 ${p.to}，${p.urban ? '城市学校，每日不少于 2 次（§8）' : '非城市学校'}）`)
    table(
      doc,
      [
        { title: '日期', width: 25 },
        { title: '巡逻到校次数', width: 25 },
        { title: '要求', width: 25 },
        { title: '是否达标', width: 25 },
      ],
      p.days.map((d) => [d.date, String(d.visits), String(d.required), d.met ? '达标' : '未达标']),
    )
    doc.text(`七日内达标 ${p.daysMet} / ${p.days.length} 天`, LEFT, doc.y, { width: WIDTH })
  }

  {
    heading(doc, `七、警示标牌与视频监控（标牌 ${file.warningSigns.length} 块，摄像机 ${file.cameras.length} 台）`)
    const signStates: Record<string, string> = { installed: '已安装', damaged: '损坏', missing: '缺失', planned: '计划' }
    const cameraStates: Record<string, string> = { working: '正常', faulty: '故障', offline: '离线', planned: '计划' }
    const rows = [
      ...file.warningSigns.map((w) => [
        '警示标牌',
        `#${w.id}`,
        signStates[w.state] ?? w.state,
        w.installedOn ? `安装于 ${w.installedOn}` : '',
        lonLat(w.location),
      ]),
      ...file.cameras.map((c) => [
        '摄像机',
        `#${c.id}${c.gate === null ? '' : `（${c.gate}号门）`}`,
        cameraStates[c.state] ?? c.state,
        c.linkedToPolice ? '已接入公安' : '未接入公安',
        lonLat(c.location),
      ]),
    ]
    if (rows.length === 0) doc.text('没有登记的警示标牌或摄像机。')
    else
      table(
        doc,
        [
          { title: '设施', width: 14 },
          { title: '编号', width: 14 },
          { title: '状态', width: 12 },
          { title: '说明', width: 24 },
          { title: '位置（WGS84）', width: 36 },
        ],
        rows,
      )
  }

  const staffing = file.staffing
  const statusNames: Record<string, string> = { compliant: '达标', not_compliant: '不达标', incomplete: '信息不全' }
  heading(
    doc,
    `八、人员配备核查（${statusNames[staffing.status]}：达标 ${staffing.met} 项，不达标 ${staffing.notMet} 项，未登记 ${staffing.unknown} 项）`,
  )
  table(
    doc,
    [
      { title: '条款', width: 8 },
      { title: '核查结果', width: 10 },
      { title: '应配', width: 7 },
      { title: '实有', width: 7 },
      { title: '说明', width: 68 },
    ],
    staffing.findings.map((f) => [
      f.clause,
      FINDING_STATUS_NAMES[f.status] ?? f.status,
      typeof f.required === 'boolean' ? '须接入' : String(f.required),
      f.actual === null ? '未登记' : typeof f.actual === 'boolean' ? (f.actual ? '已接入' : '未接入') : String(f.actual),
      f.text,
    ]),
  )
  doc.fontSize(7).fillColor('#555')
  for (const basis of [...new Set(staffing.findings.map((f) => f.basis))]) doc.text(basis, LEFT, doc.y, { width: WIDTH })
  doc.fillColor('black').fontSize(9).moveDown(0.5)
  doc.text(`打印人 / 时间：${operator} / ${beijingTime(file.generatedAt)}`, LEFT, doc.y, { width: WIDTH })
  doc.end()
  return done
}

/** The campus, its zone bands and the conflicting premises (numbered as in the table) in a local metric frame, north up. */
function drawZoneMap(doc: PDFKit.PDFDocument, file: SchoolFile) {
  ensureSpace(doc, 300)
  const box = { x: LEFT, y: doc.y + 4, w: WIDTH, h: 280 }
  const campus = polygonsOf(file.school.geometry)
  const all = campus.flat(2)
  const lon0 = all.reduce((sum, p) => sum + p[0]!, 0) / all.length
  const lat0 = all.reduce((sum, p) => sum + p[1]!, 0) / all.length
  const kx = 111_320 * Math.cos((lat0 * Math.PI) / 180)
  const ky = 110_950
  const local = (p: readonly number[]) => [(p[0]! - lon0) * kx, (p[1]! - lat0) * ky] as const
  const bands = (
    file.zone.features as { properties: { kind: string; band?: string; toM?: number }; geometry: { type: string; coordinates: unknown } }[]
  )
    .filter((f) => f.properties.kind === 'band')
    // The widest shape's bands, drawn outermost first; a school under several rule shapes shows the widest.
    .sort((a, b) => (b.properties.toM ?? 0) - (a.properties.toM ?? 0))
  const points: (readonly [number, number])[] = all.map(local)
  for (const band of bands) for (const ring of polygonsOf(band.geometry).flat()) for (const p of ring) points.push(local(p))
  for (const c of file.conflicts.items) points.push(local([c.location.lon, c.location.lat]))
  const extent = Math.max(100, ...points.map(([x, y]) => Math.max(Math.abs(x), Math.abs(y)))) * 1.08
  const scale = Math.min(box.w, box.h) / (2 * extent)
  const cx = box.x + box.w / 2
  const cy = box.y + box.h / 2
  const toPage = (p: readonly number[]) => {
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
  const bandColour: Record<string, string> = { core: '#c62828', control: '#ef6c00' }
  doc.save()
  doc.rect(box.x, box.y, box.w, box.h).lineWidth(0.5).strokeColor('#999').stroke()
  doc.rect(box.x, box.y, box.w, box.h).clip()
  for (const band of bands) {
    const colour = bandColour[band.properties.band ?? ''] ?? '#8e24aa'
    for (const polygon of polygonsOf(band.geometry)) {
      for (const ring of polygon) path(ring)
      doc.fillOpacity(0.12).lineWidth(0.8).dash(4, { space: 3 }).fillAndStroke(colour, colour)
      doc.undash().fillOpacity(1)
    }
  }
  for (const polygon of campus) {
    for (const ring of polygon) path(ring)
    doc.fillOpacity(0.35).lineWidth(1).fillAndStroke('#1565c0', '#0d47a1')
    doc.fillOpacity(1)
  }
  file.school.properties.gates.forEach((gate, i) => {
    const [x, y] = toPage(gate)
    doc.rect(x - 2.5, y - 2.5, 5, 5).fill('#ff8f00')
    doc
      .fillColor('#e65100')
      .fontSize(6.5)
      .text(`${i + 1}号门`, x + 3, y - 9, { lineBreak: false })
  })
  file.conflicts.items.forEach((c, i) => {
    const [x, y] = toPage([c.location.lon, c.location.lat])
    doc.circle(x, y, 3).fill('#b71c1c')
    doc
      .fillColor('#b71c1c')
      .fontSize(7)
      .text(String(i + 1), x + 4, y - 3, { lineBreak: false })
  })
  doc.restore()
  drawScaleAndNorth(doc, box, scale, [10, 20, 50, 100, 200, 500, 1000, 2000])
  const legendBands = [...new Set(bands.map((b) => b.properties.band ?? ''))].map((b) => `${BAND_NAMES[b] ?? b}`).join('、')
  doc
    .fontSize(7)
    .fillColor('#555')
    .text(
      `图例：蓝色 校园 · 橙色方块 校门 · 虚线 安全区域分带（${legendBands || '无'}，仅供示意，结论以测地线距离为准） · 红点 区域内场所（编号同下表）`,
      box.x,
      box.y + box.h + 3,
      { width: box.w },
    )
  doc.fillColor('black')
  doc.x = LEFT
  doc.y = box.y + box.h + 16
}
