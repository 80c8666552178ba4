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
    ])
      expect(text).toContain(expected)
  })
})
