/**
 * One file per school (一校一档): the staffing facts through the registry (create, change, import, refusals), the
 * file as JSON (registry facts, zone, conflicts, staffing audit with clauses) and as a PDF read back with
 * pdftotext, and who may read it (county scope).
 */
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GUYUAN, offset, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { binary, pdfText } from '../helpers/pdf.ts'
import { expectErrorBody } from './expect.ts'
import { pointFromLonLat } from '../../server/db/postgis.ts'

let t: TestApp
let education: TestAgent
let governance: TestAgent
let yuanzhouTobacco: TestAgent
let xijiViewer: TestAgent
let schoolId: number
let premisesId: number

const CENTRE = [GUYUAN.lon, GUYUAN.lat] as const
const STAFFING = {
  guards: 1,
  doctors: 0,
  psychologyTeachers: 1,
  boardingStudents: 300,
  dormitories: [
    { name: '1号男生宿舍楼', girls: false, managers: 1, femaleManagers: 0 },
    { name: '2号女生宿舍楼', girls: true, managers: 1, femaleManagers: 0 },
  ],
  alarmLinkedToPolice: false,
}

beforeAll(async () => {
  t = await startTestApp()
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  yuanzhouTobacco = (await t.signIn({ department: 'tobacco', role: 'clerk', countyCode: '640402' })).agent
  xijiViewer = (await t.signIn({ department: 'governance', role: 'viewer', countyCode: '640422' })).agent
  const school = await education.post('/api/schools').send(
    schoolFeature({
      center: CENTRE,
      name: '档案测试中学',
      schoolType: 'junior_middle',
      properties: { students: 1450, staff: 90, boarding: true, ...STAFFING },
    }),
  )
  expect(school.status, JSON.stringify(school.body)).toBe(201)
  schoolId = school.body.id
  const premises = await yuanzhouTobacco
    .post('/api/premises')
    .send(premisesFeature({ at: offset(CENTRE, 120, 0), name: '档案测试烟酒店', licenceNo: 'FILE-T-1' }))
  expect(premises.status).toBe(201)
  premisesId = premises.body.id
})

afterAll(async () => {
  await t?.close()
})

describe('staffing facts in the registry', () => {
  it('a school is stored and answered with its staffing facts; unset ones are null', async () => {
    const school = (await governance.get(`/api/schools/${schoolId}`).expect(200)).body
    expect(school.properties).toMatchObject(STAFFING)
    const plain = await education.post('/api/schools').send(schoolFeature({ center: offset(CENTRE, 0, 4000), name: '未登记小学' }))
    expect(plain.status).toBe(201)
    expect(plain.body.properties).toMatchObject({
      guards: null,
      doctors: null,
      psychologyTeachers: null,
      boardingStudents: null,
      dormitories: null,
      alarmLinkedToPolice: null,
    })
  })

  it('PATCH changes one fact and keeps the others', async () => {
    const before = (await governance.get(`/api/schools/${schoolId}`).expect(200)).body
    const changed = await education
      .patch(`/api/schools/${schoolId}`)
      .send({ properties: { doctors: 1 }, version: before.properties.version })
    expect(changed.status, JSON.stringify(changed.body)).toBe(200)
    expect(changed.body.properties).toMatchObject({ ...STAFFING, doctors: 1 })
    const history = (await governance.get(`/api/schools/${schoolId}/history`).expect(200)).body.entries
    expect(history.at(-1)).toMatchObject({
      action: 'update',
      before: { properties: { doctors: 0 } },
      after: { properties: { doctors: 1 } },
    })
    await education
      .patch(`/api/schools/${schoolId}`)
      .send({ properties: { doctors: 0 } })
      .expect(200)
  })

  it.each([
    [{ guards: -1 }, 'body/properties/guards'],
    [{ guards: 1.5 }, 'body/properties/guards'],
    [{ alarmLinkedToPolice: 'yes' }, 'body/properties/alarmLinkedToPolice'],
    [{ dormitories: [{ name: 'A', girls: true, managers: 1 }] }, 'body/properties/dormitories/0/femaleManagers'],
    [{ dormitories: [{ name: 'A', girls: true, managers: 1, femaleManagers: 0, colour: 'red' }] }, 'body/properties/dormitories/0/colour'],
    [{ dormitories: {} }, 'body/properties/dormitories'],
  ])('a bad fact %j is a 400 naming %s, and nothing changes', async (properties, field) => {
    const before = (await governance.get(`/api/schools/${schoolId}`).expect(200)).body
    const response = await education.patch(`/api/schools/${schoolId}`).send({ properties })
    expectErrorBody(response, 400)
    expect(JSON.stringify(response.body)).toContain(field)
    expect((await governance.get(`/api/schools/${schoolId}`).expect(200)).body.properties.version).toBe(before.properties.version)
  })

  it('a CSV import carries the facts (dormitories as JSON, the alarm as yes/no)', async () => {
    const ring = [
      offset(CENTRE, 3000, 3000),
      offset(CENTRE, 3100, 3000),
      offset(CENTRE, 3100, 3080),
      offset(CENTRE, 3000, 3080),
      offset(CENTRE, 3000, 3000),
    ]
    const geometry = JSON.stringify({ type: 'Polygon', coordinates: [ring] }).replace(/"/g, '""')
    const dorms = JSON.stringify([{ name: '宿舍楼', girls: true, managers: 2, femaleManagers: 1 }]).replace(/"/g, '""')
    const csv =
      'name,schoolType,countyCode,students,staff,boarding,guards,doctors,psychologyTeachers,boardingStudents,dormitories,alarmLinkedToPolice,geometry\n' +
      `导入寄宿小学,primary,640402,120,15,是,2,0,1,80,"${dorms}",是,"${geometry}"\n`
    const response = await education.post('/api/import/schools').set('Content-Type', 'text/csv').send(csv)
    expect(response.status, JSON.stringify(response.body)).toBe(201)
    const school = (await governance.get(`/api/schools/${response.body.ids[0]}`).expect(200)).body
    expect(school.properties).toMatchObject({
      boarding: true,
      guards: 2,
      doctors: 0,
      psychologyTeachers: 1,
      boardingStudents: 80,
      dormitories: [{ name: '宿舍楼', girls: true, managers: 2, femaleManagers: 1 }],
      alarmLinkedToPolice: true,
    })
    const file = (await governance.get(`/api/schools/${school.id}/file`).expect(200)).body
    expect(file.staffing.status).toBe('compliant')
  })
})

describe('GET /api/schools/{id}/file', () => {
  it('holds the registry facts, the zone, the conflicts and the staffing audit with clauses', async () => {
    const response = await governance.get(`/api/schools/${schoolId}/file`)
    expect(response.status, JSON.stringify(response.body)).toBe(200)
    const file = response.body
    expect(file.school.id).toBe(schoolId)
    expect(file.county).toEqual({ code: '640402', name: '原州区' })
    expect(file.zone.features.some((f: { properties: { kind: string } }) => f.properties.kind === 'band')).toBe(true)
    const listed = (await governance.get('/api/conflicts').query({ schoolId }).expect(200)).body
    expect(file.conflicts.numberMatched).toBe(listed.numberMatched)
    expect(file.conflicts.items.map((c: { premisesId: number }) => c.premisesId)).toEqual([premisesId])
    expect(file.conflicts.items[0].distanceM).toBeGreaterThan(50)
    const findings = file.staffing.findings as {
      code: string
      clause: string
      status: string
      required: unknown
      actual: unknown
      subject?: string
    }[]
    // 1450 + 90 = 1540 people → 2 + 1 = 3 guards; boarding anyway ≥ 2; 1 on record.
    expect(findings.find((f) => f.code === 'guards')).toMatchObject({ clause: '§7', status: 'not_met', required: 3, actual: 1 })
    expect(findings.find((f) => f.code === 'doctor')).toMatchObject({ clause: '§7', status: 'not_met', required: 1, actual: 0 })
    expect(findings.find((f) => f.code === 'psychology_teacher')).toMatchObject({ clause: '§11', status: 'met' })
    expect(findings.find((f) => f.code === 'police_alarm')).toMatchObject({ status: 'not_met', actual: false })
    expect(findings.filter((f) => f.code === 'dormitory_female_manager')).toEqual([
      expect.objectContaining({ subject: '2号女生宿舍楼', status: 'not_met', required: 1, actual: 0 }),
    ])
    expect(file.staffing).toMatchObject({ status: 'not_compliant', headCount: 1540, notMet: 4 })
  })

  it('is 404 for a school that does not exist and 400 for a bad id', async () => {
    expectErrorBody(await governance.get('/api/schools/999999/file'), 404)
    const bad = await governance.get('/api/schools/abc/file')
    expectErrorBody(bad, 400)
    expect(bad.body.message).toContain('id')
  })

  it('is for signed-in users within their county scope', async () => {
    expectErrorBody(await t.request().get(`/api/schools/${schoolId}/file`), 401)
    expectErrorBody(await t.request().get(`/api/schools/${schoolId}/file.pdf`), 401)
    await yuanzhouTobacco.get(`/api/schools/${schoolId}/file`).expect(200)
    const other = await xijiViewer.get(`/api/schools/${schoolId}/file`)
    expectErrorBody(other, 403)
    expect(other.body.message).toContain('640422')
    expectErrorBody(await xijiViewer.get(`/api/schools/${schoolId}/file.pdf`), 403)
  })
})

/** The ledger and police desk records of the school, stored as their own modules store them. */
async function storeLedgerAndPolice() {
  const db = t.app.db
  const at = pointFromLonLat(CENTRE[0], CENTRE[1])
  const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000)
  const hazard = (title: string, state: string, deadlineDays: number | null, extra: Record<string, unknown> = {}) => ({
    school_id: schoolId,
    kind: 'fire',
    grade: 'general',
    title,
    source: 'inspection',
    department: 'education',
    county_code: '640402',
    state,
    geom: at,
    deadline: deadlineDays === null ? null : day(deadlineDays).toISOString().slice(0, 10),
    ...(deadlineDays === null ? {} : { responsible_party: '校长', measures: '更换灭火器', funds: '5000 元', contingency_plan: '疏散预案' }),
    ...extra,
  })
  await db
    .insertInto('hazards')
    .values([
      hazard('灭火器过期', 'rectifying', -3),
      hazard('消防通道堵塞', 'rectifying', 10, { grade: 'major', kind: 'traffic' }),
      hazard('电线老化', 'closed', -30, { closed_at: day(-20).toISOString() }),
      hazard('围墙裂缝', 'warning', null),
    ])
    .execute()
  await db
    .insertInto('inspections')
    .values({
      school_id: schoolId,
      level: 'township',
      done_at: day(-1).toISOString(),
      inspector: '乡镇安办王五',
      checklist: JSON.stringify([]),
      findings: '校门口护栏缺失',
      county_code: '640402',
    })
    .execute()
  await db.updateTable('schools').set({ urban: true }).where('id', '=', schoolId).execute()
  const station = await db
    .insertInto('police_stations')
    .values({ name: '测试派出所', county_code: '640402' })
    .returning('id')
    .executeTakeFirstOrThrow()
  const unit = await db
    .insertInto('patrol_units')
    .values({ name: '巡逻一组', station_id: station.id, mode: 'car', shift_start: '07:00', shift_end: '19:00', base: at })
    .returning('id')
    .executeTakeFirstOrThrow()
  // Today (China Standard Time) twice, yesterday once: noon CST is 04:00 UTC.
  const todayCst = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
  const utcOf = (date: string, hour: number) => new Date(Date.parse(`${date}T00:00:00Z`) + (hour - 8) * 3600_000).toISOString()
  const yesterday = new Date(Date.parse(`${todayCst}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)
  await db
    .insertInto('patrol_visits')
    .values(
      [utcOf(todayCst, 0.5), utcOf(todayCst, 0.75), utcOf(yesterday, 23.9)].map((when) => ({
        unit_id: unit.id,
        school_id: schoolId,
        at: when,
        geom: at,
        source: 'checkin',
      })),
    )
    .execute()
  await db.insertInto('warning_signs').values({ school_id: schoolId, geom: at, state: 'damaged', installed_on: '2024-03-01' }).execute()
  await db.insertInto('cameras').values({ school_id: schoolId, geom: at, gate: 1, state: 'working', linked_to_police: true }).execute()
  return { todayCst, yesterday }
}

describe('the ledger and the police desk in the file', () => {
  it('lists open and closed hazards with overdue, inspections, 7 days of patrol coverage, signs and cameras', async () => {
    const { todayCst, yesterday } = await storeLedgerAndPolice()
    const file = (await governance.get(`/api/schools/${schoolId}/file`).expect(200)).body
    const open = file.hazards.open as { title: string; overdue: boolean; state: string }[]
    expect(open.map((h) => [h.title, h.overdue]).sort()).toEqual([
      ['围墙裂缝', false],
      ['消防通道堵塞', false],
      ['灭火器过期', true],
    ])
    expect(file.hazards.closed.map((h: { title: string }) => h.title)).toEqual(['电线老化'])
    expect(file.inspections).toEqual([
      expect.objectContaining({ level: 'township', inspector: '乡镇安办王五', findings: '校门口护栏缺失' }),
    ])
    expect(file.patrol).toMatchObject({ urban: true, to: todayCst })
    expect(file.patrol.days).toHaveLength(7)
    expect(file.patrol.days.at(-1)).toEqual({ date: todayCst, visits: 2, required: 2, met: true })
    expect(file.patrol.days.at(-2)).toEqual({ date: yesterday, visits: 1, required: 2, met: false })
    expect(file.patrol.daysMet).toBe(1)
    expect(file.warningSigns).toEqual([expect.objectContaining({ state: 'damaged', installedOn: '2024-03-01' })])
    expect(file.cameras).toEqual([expect.objectContaining({ state: 'working', gate: 1, linkedToPolice: true })])
    expect(file.cameras[0].location.lon).toBeCloseTo(CENTRE[0], 9)
  })
})

describe('GET /api/schools/{id}/file.pdf', () => {
  it('is a PDF in Chinese with the facts, the map legend, each conflict and each finding with its clause', async () => {
    const response = await governance.get(`/api/schools/${schoolId}/file.pdf`).buffer(true).parse(binary)
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('application/pdf')
    expect(response.headers['content-disposition']).toContain(`school-${schoolId}-file.pdf`)
    const text = pdfText(response.body as Buffer, 'any')
    for (const expected of [
      '一校一档',
      '档案测试中学',
      '原州区（640402）',
      '1450人/90人',
      '安全区域示意图',
      '档案测试烟酒店',
      '烟草制品零售',
      '人员配备核查（不达标',
      '师生员工1540人，寄宿制，应配至少3名，现有1名',
      '女性宿舍管理员（2号女生宿舍楼，女生宿舍楼）',
      '§11',
      '§7、§8',
      '隐患台账（未销号3项，已销号1项）',
      '灭火器过期',
      '治理（已逾期）',
      '乡镇安办王五',
      '城市学校，每日不少于2次（§8）',
      '七日内达标1/7天',
      '警示标牌',
      '已接入公安',
    ])
      expect(text).toContain(expected)
  })
})
