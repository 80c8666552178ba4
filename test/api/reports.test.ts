/**
 * The governance desk's reports: XLSX read back with exceljs, CSV parsed, PDF read with pdftotext, each compared
 * with the API's own counts (GET /api/conflicts numberMatched, GET /api/stats, the school file); the filters, bad
 * filters (400 naming the field), and who reads what (county scope, department scope).
 */
import { parse as parseCsv } from 'csv-parse/sync'
import ExcelJS from 'exceljs'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pointFromLonLat } from '../../server/db/postgis.ts'
import { displayWidth } from '../../server/modules/reports/model.ts'
import { GUYUAN, offset, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { binary, pdfText } from '../helpers/pdf.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let admin: TestAgent
let governance: TestAgent
let tobaccoYuanzhou: TestAgent
let tobaccoSupervisor: TestAgent
let police: TestAgent
let culture: TestAgent

const YUANZHOU = [GUYUAN.lon, GUYUAN.lat] as const
const XIJI = [105.7246, 35.9654] as const
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

function idNumber(serial: number): string {
  const body = `64040219900101${String(serial).padStart(3, '0')}`
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  return body + '10X98765432'[weights.reduce((total, w, i) => total + w * Number(body[i]), 0) % 11]!
}

const get = (agent: TestAgent, path: string, query: Record<string, string> = {}) => agent.get(path).query(query).buffer(true).parse(binary)

async function workbook(agent: TestAgent, name: string, query: Record<string, string> = {}) {
  const response = await get(agent, `/api/reports/${name}.xlsx`, query)
  expect(response.status, String(response.body)).toBe(200)
  expect(response.headers['content-type']).toBe(XLSX_TYPE)
  expect(response.headers['content-disposition']).toMatch(new RegExp(`attachment; filename="${name}-\\d{4}-\\d{2}-\\d{2}\\.xlsx"`))
  const book = new ExcelJS.Workbook()
  await book.xlsx.load(response.body as unknown as ArrayBuffer)
  return book
}

/** The last sheet's rows as objects keyed by the header row. */
function items(book: ExcelJS.Workbook) {
  const sheet = book.worksheets.at(-1)!
  const header = (sheet.getRow(1).values as unknown[]).slice(1) as string[]
  const rows: Record<string, unknown>[] = []
  sheet.eachRow((row, n) => {
    if (n === 1) return
    const values = (row.values as unknown[]).slice(1)
    rows.push(Object.fromEntries(header.map((h, i) => [h, values[i] ?? null])))
  })
  return { sheet, header, rows }
}

async function csv(agent: TestAgent, name: string, query: Record<string, string> = {}) {
  const response = await get(agent, `/api/reports/${name}.csv`, query)
  expect(response.status, String(response.body)).toBe(200)
  expect(response.headers['content-type']).toBe('text/csv; charset=utf-8')
  const bytes = response.body as Buffer
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
  const records = parseCsv(bytes.toString('utf8').slice(1), { columns: true, skip_empty_lines: true }) as Record<string, string>[]
  return records
}

const numberMatched = async (query: Record<string, string | number> = {}) =>
  (
    await governance
      .get('/api/conflicts')
      .query({ ...query, limit: 1 })
      .expect(200)
  ).body.numberMatched as number

beforeAll(async () => {
  t = await startTestApp()
  admin = (await t.signIn({ department: 'admin', role: 'admin' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  tobaccoYuanzhou = (await t.signIn({ department: 'tobacco', role: 'clerk', countyCode: '640402' })).agent
  tobaccoSupervisor = (await t.signIn({ department: 'tobacco', role: 'supervisor' })).agent
  police = (await t.signIn({ department: 'police', role: 'clerk' })).agent
  culture = (await t.signIn({ department: 'culture', role: 'clerk' })).agent
  const education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  const schools: Record<string, number> = {}
  for (const [key, centre, countyCode, properties] of [
    ['yz1', YUANZHOU, '640402', { students: 1450, staff: 90, guards: 3, doctors: 1, psychologyTeachers: 1, alarmLinkedToPolice: true }],
    [
      'yz2',
      offset(YUANZHOU, 2000, 0),
      '640402',
      { students: 300, staff: 20, guards: 1, doctors: 0, psychologyTeachers: 0, alarmLinkedToPolice: true },
    ],
    ['xj1', XIJI, '640422', { students: 200, staff: 20 }],
  ] as const) {
    const response = await education
      .post('/api/schools')
      .send(schoolFeature({ center: centre, countyCode, name: `报表测试${key}学校`, properties: { ...properties } }))
    expect(response.status, JSON.stringify(response.body)).toBe(201)
    schools[key] = response.body.id
  }
  // Conflicts: tobacco and an internet café around yz1, tobacco around yz2 and xj1, one tobacco shop far from everything.
  const premises: [readonly number[], string, string, string][] = [
    [offset(YUANZHOU, 120, 0), 'tobacco_retail', '640402', '报表烟店甲'],
    [offset(YUANZHOU, -110, 10), 'tobacco_retail', '640402', '报表烟店乙'],
    [offset(YUANZHOU, 0, 150), 'internet_cafe', '640402', '报表网吧'],
    [offset(YUANZHOU, 2130, 0), 'tobacco_retail', '640402', '报表烟店丙'],
    [offset(XIJI, 130, 0), 'tobacco_retail', '640422', '西吉烟店'],
    [offset(YUANZHOU, 0, 6000), 'tobacco_retail', '640402', '远处烟店'],
  ]
  for (const [i, [at, category, countyCode, name]] of premises.entries()) {
    const agent = category === 'internet_cafe' ? culture : tobaccoSupervisor
    const response = await agent.post('/api/premises').send(premisesFeature({ at, category, countyCode, name, licenceNo: `REP-${i}` }))
    expect(response.status, JSON.stringify(response.body)).toBe(201)
  }
  // Permits: one approved against a conflict (an override), one rejected, one approved outside any zone, one pending.
  const submit = async (serial: number, at: readonly number[]) =>
    (
      await tobaccoSupervisor
        .post('/api/permits')
        .send({
          applicant: { name: '赵六', idNumber: idNumber(serial) },
          businessName: `报表申请${serial}`,
          category: 'tobacco_retail',
          address: '原州区报表街1号',
          location: { lon: at[0], lat: at[1] },
          kind: 'new',
        })
        .expect(201)
    ).body.id as number
  const decide = (id: number, body: object) =>
    tobaccoSupervisor
      .post(`/api/permits/${id}/decision`)
      .send({ version: 1, ...body })
      .expect(200)
  await decide(await submit(1, offset(YUANZHOU, 60, -70)), { decision: 'approve', reason: '同意', overrideJustification: '学校迁址在即' })
  await decide(await submit(2, offset(YUANZHOU, -60, -70)), { decision: 'reject', reason: '在安全区域内' })
  await decide(await submit(3, offset(YUANZHOU, 0, 9000)), { decision: 'approve', reason: '同意' })
  await submit(4, offset(YUANZHOU, 0, 9500))
  // The ledger and the police desk, stored as their modules store them.
  const db = t.app.db
  const day = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10)
  const fiveFixed = { responsible_party: '校长', measures: '整改', funds: '1000 元', contingency_plan: '预案' }
  const hazard = (school: string, countyCode: string, title: string, state: string, extra: Record<string, unknown> = {}) => ({
    school_id: schools[school]!,
    kind: 'fire',
    grade: 'general',
    title,
    source: 'inspection',
    department: 'education',
    county_code: countyCode,
    state,
    ...extra,
  })
  // The conflicts above opened their zone_conflict hazards (the ledger's hook); the hazard figures here are of the
  // hand-made ledger below alone, so those are taken out first.
  const opened = (await db.selectFrom('hazards').select('id').where('kind', '=', 'zone_conflict').execute()).map((r) => r.id)
  expect(opened.length).toBeGreaterThan(0)
  await db.deleteFrom('hazard_escalations').where('hazard_id', 'in', opened).execute()
  await db.deleteFrom('hazard_events').where('hazard_id', 'in', opened).execute()
  await db.deleteFrom('hazards').where('id', 'in', opened).execute()
  await db
    .insertInto('hazards')
    .values([
      hazard('yz1', '640402', '过期灭火器', 'rectifying', { ...fiveFixed, deadline: day(-5), grade: 'major' }),
      hazard('yz1', '640402', '门卫室漏电', 'rectifying', { ...fiveFixed, deadline: day(5) }),
      hazard('yz2', '640402', '围墙倒塌风险', 'warning', { department: 'governance' }),
      hazard('xj1', '640422', '校门口摊点', 'closed', {
        ...fiveFixed,
        deadline: day(-40),
        closed_at: new Date().toISOString(),
        department: 'market',
      }),
    ])
    .execute()
  await db.updateTable('schools').set({ urban: true }).where('id', 'in', [schools.yz1!, schools.xj1!]).execute()
  const station = await db
    .insertInto('police_stations')
    .values({ name: '报表派出所', county_code: '640402' })
    .returning('id')
    .executeTakeFirstOrThrow()
  const unit = await db
    .insertInto('patrol_units')
    .values({
      name: '报表巡逻组',
      station_id: station.id,
      mode: 'car',
      shift_start: '07:00',
      shift_end: '19:00',
      base: pointFromLonLat(YUANZHOU[0], YUANZHOU[1]),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const todayCst = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
  const atCst = (date: string, hour: number) => new Date(Date.parse(`${date}T00:00:00Z`) + (hour - 8) * 3600_000).toISOString()
  await db
    .insertInto('patrol_visits')
    .values(
      [atCst(todayCst, 0.2), atCst(todayCst, 0.4)].map((at) => ({
        unit_id: unit.id,
        school_id: schools.yz1!,
        at,
        geom: pointFromLonLat(YUANZHOU[0], YUANZHOU[1]),
        source: 'checkin',
      })),
    )
    .execute()
})

afterAll(async () => {
  await t?.close()
})

describe('conflicts', () => {
  it('XLSX: a sheet per summary, the items last under one styled, frozen header, as many as GET /api/conflicts counts', async () => {
    const book = await workbook(governance, 'conflicts')
    expect(book.worksheets.map((s) => s.name)).toEqual(['说明', '按区县', '按类别', '区县×类别×分带', '冲突明细'])
    const { sheet, header, rows } = items(book)
    const total = await numberMatched()
    // Five registered in zones, and the premises the override approval registered.
    expect(total).toBe(6)
    expect(rows).toHaveLength(total)
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 })
    expect(sheet.getRow(1).getCell(1).font?.bold).toBe(true)
    expect(sheet.getRow(1).getCell(1).fill).toMatchObject({ type: 'pattern', pattern: 'solid' })
    // Numbers as numbers, dates as dates, Chinese text given double width.
    for (const row of rows) {
      expect(typeof row['距离（米）']).toBe('number')
      expect(row['发证日期']).toBeInstanceOf(Date)
      expect(row['发现时间（北京时间）']).toBeInstanceOf(Date)
      expect(typeof row['场所编号']).toBe('number')
    }
    const nameColumn = header.indexOf('学校名称') + 1
    const longest = Math.max(...rows.map((r) => displayWidth(String(r['学校名称']))))
    expect(sheet.getColumn(nameColumn).width).toBeGreaterThanOrEqual(longest)
    expect(longest).toBeGreaterThan(String(rows[0]!['学校名称']).length)
    // The summaries add up to the same count, county by county.
    const byCounty = book.getWorksheet('按区县')!
    const totals: Record<string, number> = {}
    byCounty.eachRow((row, n) => {
      if (n > 1) totals[String(row.getCell(1).value)] = Number(row.getCell(2).value)
    })
    expect(totals['合计']).toBe(total)
    expect(totals['原州区（640402）']).toBe(await numberMatched({ countyCode: '640402' }))
    expect(totals['西吉县（640422）']).toBe(await numberMatched({ countyCode: '640422' }))
    const cube = book.getWorksheet('区县×类别×分带')!
    let cubeSum = 0
    cube.eachRow((row, n) => {
      if (n > 1) cubeSum += Number(row.getCell(4).value)
    })
    expect(cubeSum).toBe(total)
  })

  it('CSV: UTF-8 with a BOM, one line per conflict; filters narrow it like GET /api/conflicts', async () => {
    const all = await csv(governance, 'conflicts')
    expect(all).toHaveLength(await numberMatched())
    expect(Object.keys(all[0]!)).toContain('场所名称')
    expect(all.map((r) => r['场所名称']).sort()).toEqual(
      ['报表烟店丙', '报表烟店乙', '报表烟店甲', '报表网吧', '西吉烟店', '报表申请1'].sort(),
    )
    const cafes = await csv(governance, 'conflicts', { category: 'internet_cafe' })
    expect(cafes).toHaveLength(await numberMatched({ category: 'internet_cafe' }))
    expect(cafes[0]).toMatchObject({ 场所名称: '报表网吧', 类别: '互联网上网服务营业场所' })
    const tobacco = await csv(governance, 'conflicts', { department: 'tobacco', countyCode: '640402' })
    expect(tobacco).toHaveLength(await numberMatched({ category: 'tobacco_retail', countyCode: '640402' }))
    const future = await csv(governance, 'conflicts', { from: '2099-01-01' })
    expect(future).toHaveLength(0)
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
    expect(await csv(governance, 'conflicts', { from: today, to: today })).toHaveLength(all.length)
  })

  it('PDF: the summary with its charts, in Chinese, the totals as the API counts them', async () => {
    const response = await get(governance, '/api/reports/conflicts.pdf')
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('application/pdf')
    const text = pdfText(response.body as Buffer, 'any')
    expect(text).toContain('安全区域冲突统计表')
    expect(text).toContain('按区县')
    expect(text).toContain('原州区（640402）')
    expect(text).toMatch(new RegExp(`合计${await numberMatched()}`))
  })

  it('a county user reads only its county, a licensing department only its categories', async () => {
    const mine = await csv(tobaccoYuanzhou, 'conflicts')
    expect(mine).toHaveLength(await numberMatched({ countyCode: '640402', category: 'tobacco_retail' }))
    expect(new Set(mine.map((r) => r['场所所在区县']))).toEqual(new Set(['原州区（640402）']))
    const other = await tobaccoYuanzhou.get('/api/reports/conflicts.csv').query({ countyCode: '640422' })
    expectErrorBody(other, 403)
    expect(other.body.message).toContain('countyCode')
    expectErrorBody(await tobaccoYuanzhou.get('/api/reports/conflicts.xlsx').query({ category: 'internet_cafe' }), 403)
    const cafes = await csv(culture, 'conflicts')
    expect(cafes.map((r) => r['类别'])).toEqual(['互联网上网服务营业场所'])
    // The police and the education bureau read every category.
    expect(await csv(police, 'conflicts')).toHaveLength(await numberMatched())
    expectErrorBody(await t.request().get('/api/reports/conflicts.csv'), 401)
  })
})

describe('bad filters are a 400 naming the field', () => {
  it.each([
    ['conflicts.csv', { countyCode: '6404' }, 'countyCode'],
    ['conflicts.csv', { category: 'casino' }, 'category'],
    ['conflicts.csv', { department: 'nobody' }, 'department'],
    ['conflicts.csv', { department: 'police' }, 'department'],
    ['conflicts.csv', { department: 'culture', category: 'tobacco_retail' }, 'category'],
    ['conflicts.xlsx', { from: '2026-02-30' }, 'from'],
    ['conflicts.xlsx', { from: '2026/01/01' }, 'from'],
    ['conflicts.xlsx', { from: '2026-03-01', to: '2026-02-01' }, 'to'],
    ['conflicts.pdf', { colour: 'red' }, 'colour'],
    ['compliance.xlsx', { category: 'tobacco_retail' }, 'category'],
    ['compliance.csv', { from: '2026-01-01' }, 'from'],
    ['patrols.csv', { department: 'police' }, 'department'],
    ['patrols.csv', { from: '2024-01-01', to: '2026-01-01' }, 'to'],
    ['nonsense.csv', {}, 'name'],
    ['conflicts.docx', {}, 'format'],
  ])('%s %j → 400 naming %s', async (path, query, field) => {
    const response = await governance.get(`/api/reports/${path}`).query(query)
    expectErrorBody(response, 400)
    expect(response.body.message).toContain(field)
  })
})

describe('hazards', () => {
  it('XLSX: by county, department, state and grade with open and overdue; the items as the ledger holds them', async () => {
    const book = await workbook(governance, 'hazards')
    expect(book.worksheets.map((s) => s.name)).toEqual(['说明', '按区县', '按责任部门', '按状态', '按等级', '隐患明细'])
    const { rows } = items(book)
    const hazardsMatched = async (query: Record<string, string | boolean> = {}) =>
      (
        await governance
          .get('/api/hazards')
          .query({ ...query, limit: 1 })
          .expect(200)
      ).body.numberMatched as number
    expect(rows).toHaveLength(await hazardsMatched())
    expect(rows.filter((r) => r['逾期'] === '是')).toHaveLength(await hazardsMatched({ overdue: true }))
    const overdue = rows.filter((r) => r['逾期'] === '是').map((r) => r['隐患'])
    expect(overdue).toEqual(['过期灭火器'])
    expect(rows.find((r) => r['隐患'] === '过期灭火器')).toMatchObject({ 等级: '重大', 状态: '治理', 责任部门: '教育局' })
    expect(rows.find((r) => r['隐患'] === '过期灭火器')!['整改期限']).toBeInstanceOf(Date)
    const county = book.getWorksheet('按区县')!
    const yuanzhou = county.getRow(2).values as unknown[]
    // label, total, open, overdue, major, closed
    expect(yuanzhou.slice(1)).toEqual(['原州区（640402）', 3, 3, 1, 1, 0])
    const stats = (await governance.get('/api/stats').expect(200)).body
    expect(stats.totals.hazards).toMatchObject({ total: 4, open: 3, overdue: 1 })
  })

  it('a department other than governance and education reads the hazards it is responsible for', async () => {
    const market = (await t.signIn({ department: 'market', role: 'clerk' })).agent
    const mine = await csv(market, 'hazards')
    expect(mine.map((r) => r['隐患'])).toEqual(['校门口摊点'])
    expect(mine).toHaveLength((await market.get('/api/hazards').query({ limit: 1 }).expect(200)).body.numberMatched)
    expectErrorBody(await market.get('/api/reports/hazards.csv').query({ department: 'education' }), 403)
    expect(await csv(governance, 'hazards', { department: 'governance' })).toHaveLength(1)
    expect(await csv(governance, 'hazards', { countyCode: '640422' })).toHaveLength(1)
  })
})

describe('school compliance', () => {
  it('counts schools by status per county, each school’s status as its file gives it', async () => {
    const book = await workbook(governance, 'compliance')
    const { rows } = items(book)
    expect(rows).toHaveLength(3)
    for (const row of rows) {
      const file = (await governance.get(`/api/schools/${row['学校编号']}/file`).expect(200)).body
      expect(row['核查结果']).toBe({ compliant: '达标', not_compliant: '不达标', incomplete: '信息不全' }[file.staffing.status as string])
    }
    const yz1 = rows.find((r) => r['学校名称'] === '报表测试yz1学校')!
    expect(yz1).toMatchObject({ 师生员工: 1540, 保安应配: 3, 保安实有: 3, 核查结果: '达标' })
    const yz2 = rows.find((r) => r['学校名称'] === '报表测试yz2学校')!
    expect(yz2['不达标项目（条款）']).toContain('§11')
    const summary = book.getWorksheet('按区县')!
    const total = (summary.getRow(summary.rowCount).values as unknown[]).slice(1)
    expect(total).toEqual(['合计', 3, 1, 1, 1, 1 / 3])
    expect(summary.getRow(summary.rowCount).getCell(6).numFmt).toBe('0.0%')
    const stats = (await governance.get('/api/stats').expect(200)).body
    expect(stats.totals.compliance).toMatchObject({ schools: 3, compliant: 1, notCompliant: 1, incomplete: 1 })
  })

  it('a county user sees its county’s schools only', async () => {
    const rows = await csv(tobaccoYuanzhou, 'compliance')
    expect(rows.map((r) => r['区县'])).toEqual(['原州区（640402）', '原州区（640402）'])
  })
})

describe('permit decisions and overrides', () => {
  it('lists decided permits with the overrides flagged, counted by county and category', async () => {
    const book = await workbook(governance, 'permits')
    const { rows } = items(book)
    expect(rows).toHaveLength(3)
    expect(rows.filter((r) => r['越权批准'] === '是').map((r) => r['越权理由'])).toEqual(['学校迁址在即'])
    expect(rows.map((r) => r['决定']).sort()).toEqual(['已驳回', '已批准', '已批准'].sort())
    const summary = book.getWorksheet('按区县')!
    expect((summary.getRow(2).values as unknown[]).slice(1)).toEqual(['原州区（640402）', 3, 2, 1, 1])
    const flagged = (await governance.get('/api/permits').query({ flag: 'override' }).expect(200)).body.numberMatched
    expect(rows.filter((r) => r['越权批准'] === '是')).toHaveLength(flagged)
    const pdf = pdfText((await get(governance, '/api/reports/permits.pdf')).body as Buffer, 'any')
    expect(pdf).toContain('经营许可审批决定与越权批准统计表')
    expect(pdf).toContain('越权批准')
  })

  it('is for the licensing departments (their categories) and the governance office', async () => {
    expectErrorBody(await police.get('/api/reports/permits.csv'), 403)
    expect(await csv(culture, 'permits')).toHaveLength(0)
    expect(await csv(tobaccoSupervisor, 'permits')).toHaveLength(3)
    expect(await csv(admin, 'permits')).toHaveLength(3)
  })
})

describe('patrol coverage', () => {
  it('counts urban school-days met against the policy, for the last 7 days by default', async () => {
    const records = await csv(police, 'patrols')
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
    // Two urban schools × 7 days.
    expect(records).toHaveLength(14)
    const yz1Today = records.find((r) => r['学校'] === '报表测试yz1学校' && r['日期'] === today)!
    expect(yz1Today).toMatchObject({ 巡逻到校次数: '2', 要求次数: '2', 达标: '是' })
    expect(records.filter((r) => r['达标'] === '是')).toHaveLength(1)
    const book = await workbook(governance, 'patrols', { countyCode: '640402' })
    expect(items(book).rows).toHaveLength(7)
    expectErrorBody(await culture.get('/api/reports/patrols.csv'), 403)
  })
})

describe('GET /api/stats', () => {
  it('gives per county and in total the figures the lists and reports count', async () => {
    const stats = (await governance.get('/api/stats').expect(200)).body
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
    expect(stats).toMatchObject({ today, month: today.slice(0, 7) })
    expect(stats.counties.map((c: { code: string }) => c.code)).toEqual(['640402', '640422', '640423', '640424', '640425'])
    const yuanzhou = stats.counties.find((c: { code: string }) => c.code === '640402')
    const xiji = stats.counties.find((c: { code: string }) => c.code === '640422')
    expect(yuanzhou).toMatchObject({ name: '原州区', schools: 2, urbanSchools: 1, zones: 2 })
    expect(yuanzhou.conflicts.total).toBe(await numberMatched({ countyCode: '640402' }))
    expect(yuanzhou.conflicts.byCategory).toEqual({
      tobacco_retail: await numberMatched({ countyCode: '640402', category: 'tobacco_retail' }),
      internet_cafe: await numberMatched({ countyCode: '640402', category: 'internet_cafe' }),
    })
    expect(xiji.conflicts.total).toBe(await numberMatched({ countyCode: '640422' }))
    expect(stats.totals.conflicts.total).toBe(await numberMatched())
    expect(Object.values(stats.totals.conflicts.byBand as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(await numberMatched())
    expect(yuanzhou.hazards).toMatchObject({
      total: 3,
      open: 3,
      overdue: 1,
      byGrade: { major: 1, general: 2 },
      openByGrade: { major: 1, general: 2 },
    })
    expect(xiji.hazards).toMatchObject({ total: 1, open: 0, overdue: 0, byState: { closed: 1 } })
    expect(stats.totals.permitsThisMonth).toEqual({ decided: 3, approved: 2, rejected: 1, overrides: 1 })
    expect(yuanzhou.patrolToday).toEqual({ urbanSchools: 1, met: 1, visits: 2, share: 1 })
    expect(xiji.patrolToday).toEqual({ urbanSchools: 1, met: 0, visits: 0, share: 0 })
    expect(stats.totals.patrolToday).toMatchObject({ urbanSchools: 2, met: 1, share: 0.5 })
    expect(stats.totals.compliance.share).toBeCloseTo(1 / 3, 10)
    // The same figures as the reports' summaries.
    const book = await workbook(governance, 'conflicts')
    const byCounty = book.getWorksheet('按区县')!
    expect(Number(byCounty.getRow(byCounty.rowCount).getCell(2).value)).toBe(stats.totals.conflicts.total)
  })

  it('is one county for a county user, the county asked for by others, and 403 outside one’s scope', async () => {
    const mine = (await tobaccoYuanzhou.get('/api/stats').expect(200)).body
    expect(mine.counties.map((c: { code: string }) => c.code)).toEqual(['640402'])
    expect(mine.totals.conflicts.total).toBe(await numberMatched({ countyCode: '640402' }))
    const asked = (await governance.get('/api/stats').query({ countyCode: '640422' }).expect(200)).body
    expect(asked.counties.map((c: { code: string }) => c.code)).toEqual(['640422'])
    expect(asked.totals.schools).toBe(1)
    const refused = await tobaccoYuanzhou.get('/api/stats').query({ countyCode: '640422' })
    expectErrorBody(refused, 403)
    expect(refused.body.message).toContain('countyCode')
    const bad = await governance.get('/api/stats').query({ countyCode: 'x' })
    expectErrorBody(bad, 400)
    expect(bad.body.message).toContain('countyCode')
    expectErrorBody(await governance.get('/api/stats').query({ colour: 'red' }), 400)
    expectErrorBody(await t.request().get('/api/stats'), 401)
  })
})
