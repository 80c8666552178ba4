/**
 * Every state-changing route of the whole service writes an audit entry: who (user id, username),
 * role, department, when, what (action, entity), before and after where they apply, and the request
 * id the response carries. The routes come from the app's own inventory, so a new POST/PUT/PATCH/DELETE
 * route without an entry in the table below fails this test until it is exercised here.
 */
import type { Response } from 'supertest'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { insertStation, insertUnit } from '../factories/patrol-plans.ts'
import { GUYUAN, offset, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { png } from '../factories/hazards.ts'
import { gridFeature, stationFeature, unitFeature } from '../factories/police.ts'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app.ts'

let t: TestApp
let admin: TestAgent
let education: TestAgent
let tobacco: TestAgent
let governance: TestAgent
let police: TestAgent
let people: Record<
  'admin' | 'education' | 'tobacco' | 'governance' | 'police',
  { id: number; username: string; role: string; department: string }
>

const CENTRE = [GUYUAN.lon, GUYUAN.lat] as const
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

interface Expected {
  action: string
  entityType: string
  /** Who is recorded: a signed-in user, or nobody (a failed sign-in, where `after.username` says who tried). */
  by: keyof typeof people | 'nobody'
  before?: boolean
  after?: boolean
}
interface Exercise {
  name: string
  run: () => Promise<Response>
  status: number
  expected: Expected[]
}
/** Routes that change nothing although they are POSTs: they must write no entry. */
interface ReadOnly {
  readOnly: string
  run: () => Promise<Response>
}

function idNumber(serial: number): string {
  const body = `64040219900101${String(serial).padStart(3, '0')}`
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  return body + '10X98765432'[weights.reduce((total, w, i) => total + w * Number(body[i]), 0) % 11]!
}
const permitBody = (serial: number, at: readonly number[], extra: object = {}) => ({
  applicant: { name: '赵六', idNumber: idNumber(serial) },
  businessName: `审计测试店${serial}`,
  category: 'tobacco_retail',
  address: '原州区审计街1号',
  location: { lon: at[0], lat: at[1] },
  kind: 'new',
  ...extra,
})

let schoolId: number
let hazardSchools = 0
/** A hazard body at a school registered for it, away from the other exercises' points. */
async function hazardAtNewSchool() {
  hazardSchools += 1
  const school = await education
    .post('/api/schools')
    .send(schoolFeature({ center: offset(CENTRE, 2000 * hazardSchools, -7000), name: `隐患审计小学${hazardSchools}` }))
    .expect(201)
  return { schoolId: school.body.id as number, kind: 'fire', title: '消防通道堵塞', source: 'inspection', department: 'emergency' }
}
/** The road the import exercise stored. */
const auditRoadId = async () => (await governance.get(`/api/roads?q=${encodeURIComponent('审计测试街')}`)).body.features[0].id as number
let premisesId: number
let ruleId: number
let ruleVersion: number

// The police desk's records, each exercise making what it needs first (setup requests carry other request ids).
const PATROL_AT = offset(CENTRE, 2000, 9000)
const patrolStation = async () => (await police.post('/api/patrol/stations').send(stationFeature(PATROL_AT)).expect(201)).body.id as number
const patrolUnit = async () =>
  (
    await police
      .post('/api/patrol/units')
      .send(unitFeature(await patrolStation(), {}, PATROL_AT))
      .expect(201)
  ).body.id as number
let patrolSchoolId: number | undefined
const patrolSchool = async () =>
  (patrolSchoolId ??= (
    await education
      .post('/api/schools')
      .send(schoolFeature({ center: offset(PATROL_AT, 0, 300), name: '审计巡逻小学' }))
      .expect(201)
  ).body.id as number)
const pointNear = (schoolCentre: readonly number[]) => ({ type: 'Point', coordinates: offset(schoolCentre, 0, -45) })
const patrolRecords = {
  stations: { entity: 'police_station', make: async () => stationFeature(PATROL_AT), change: { properties: { phone: '0954-1234567' } } },
  grids: {
    entity: 'patrol_grid',
    make: async () => gridFeature(await patrolStation(), PATROL_AT, 1500),
    change: { properties: { name: '审计网格' } },
  },
  units: {
    entity: 'patrol_unit',
    make: async () => unitFeature(await patrolStation(), {}, PATROL_AT),
    change: { properties: { officers: 3 } },
  },
  signs: {
    entity: 'warning_sign',
    make: async () => ({ type: 'Feature', properties: { schoolId: await patrolSchool() }, geometry: pointNear(offset(PATROL_AT, 0, 300)) }),
    change: { properties: { state: 'damaged' } },
  },
  cameras: {
    entity: 'camera',
    make: async () => ({
      type: 'Feature',
      properties: { schoolId: await patrolSchool(), gate: 1 },
      geometry: pointNear(offset(PATROL_AT, 0, 300)),
    }),
    change: { properties: { state: 'faulty' } },
  },
} as const
const patrolTable: Record<string, Exercise[]> = Object.fromEntries(
  Object.entries(patrolRecords).flatMap(([kind, spec]) => {
    const base = `/api/patrol/${kind}`
    const create = async () =>
      (
        await police
          .post(base)
          .send(await spec.make())
          .expect(201)
      ).body.id as number
    return [
      [
        `POST ${base}`,
        [
          {
            name: `register a ${spec.entity}`,
            run: async () => police.post(base).send(await spec.make()),
            status: 201,
            expected: [{ action: 'create', entityType: spec.entity, by: 'police', after: true }],
          },
        ],
      ],
      [
        `PATCH ${base}/:id`,
        [
          {
            name: `change a ${spec.entity}`,
            run: async () => police.patch(`${base}/${await create()}`).send(spec.change),
            status: 200,
            expected: [{ action: 'update', entityType: spec.entity, by: 'police', before: true, after: true }],
          },
        ],
      ],
      [
        `DELETE ${base}/:id`,
        [
          {
            name: `remove a ${spec.entity}`,
            run: async () => police.delete(`${base}/${await create()}`),
            status: 204,
            expected: [{ action: 'delete', entityType: spec.entity, by: 'police', before: true }],
          },
        ],
      ],
    ]
  }),
)
const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
/** A GPX track that stays 12 minutes by the patrol school's fence. */
const stayTrack = (at: readonly number[]) => {
  const start = Date.now() - 2 * 3600_000
  const points = Array.from(
    { length: 25 },
    (_, k) => `<trkpt lat="${at[1]}" lon="${at[0]}"><time>${new Date(start + k * 30_000).toISOString()}</time></trkpt>`,
  )
  return `<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>${points.join('')}</trkseg></trk></gpx>`
}

/** How to exercise each state-changing route, keyed `METHOD url` as the app registers it. */
const table: Record<string, (Exercise | ReadOnly)[]> = {
  ...patrolTable,
  'POST /api/patrol/policies': [
    {
      name: 'a new version of the patrol policy',
      run: () => police.post('/api/patrol/policies').send({ effectiveFrom: today(), reason: '审计测试', visitsPerUrbanSchool: 2 }),
      status: 201,
      expected: [{ action: 'create', entityType: 'patrol_policy', by: 'police', before: true, after: true }],
    },
  ],
  'POST /api/patrol/visits': [
    {
      name: 'a check-in',
      run: async () => {
        const unitId = await patrolUnit()
        const [lon, lat] = offset(PATROL_AT, 0, 300)
        return police.post('/api/patrol/visits').send({ unitId, lon, lat, at: new Date(Date.now() - 60_000).toISOString() })
      },
      status: 201,
      expected: [{ action: 'create', entityType: 'patrol_visit', by: 'police', after: true }],
    },
  ],
  'POST /api/patrol/tracks': [
    {
      name: 'a GPX track with one stay',
      run: async () => {
        const unitId = await patrolUnit()
        await patrolSchool()
        return police
          .post(`/api/patrol/tracks?unitId=${unitId}`)
          .set('Content-Type', 'application/gpx+xml')
          .send(stayTrack(offset(PATROL_AT, 0, 300)))
      },
      status: 200,
      expected: [{ action: 'create', entityType: 'patrol_visit', by: 'police', after: true }],
    },
  ],
  'POST /api/import/patrol/:kind': [
    {
      name: 'import police stations',
      run: () =>
        police
          .post('/api/import/patrol/stations')
          .send({ type: 'FeatureCollection', features: [stationFeature(PATROL_AT, { name: '审计导入所' })] }),
      status: 201,
      expected: [{ action: 'import', entityType: 'police_station', by: 'police', after: true }],
    },
  ],
  'POST /api/auth/login': [
    {
      name: 'sign-in',
      run: () => t.request().post('/api/auth/login').send({ username: people.tobacco.username, password: TEST_PASSWORD }),
      status: 200,
      expected: [{ action: 'login', entityType: 'session', by: 'tobacco' }],
    },
    {
      name: 'failed sign-in',
      run: () => t.request().post('/api/auth/login').send({ username: people.tobacco.username, password: 'wrong password' }),
      status: 401,
      expected: [{ action: 'login_failed', entityType: 'session', by: 'nobody', after: true }],
    },
  ],
  'POST /api/auth/logout': [
    {
      name: 'sign-out',
      run: async () => {
        const agent = t.request().set('Origin', t.url)
        await agent.post('/api/auth/login').send({ username: people.governance.username, password: TEST_PASSWORD }).expect(200)
        return agent.post('/api/auth/logout')
      },
      status: 204,
      expected: [{ action: 'logout', entityType: 'session', by: 'governance' }],
    },
  ],
  'POST /api/users': [
    {
      name: 'create a user',
      run: () =>
        admin
          .post('/api/users')
          .send({ username: 'audited_user', password: 'a long enough password', department: 'market', role: 'clerk' }),
      status: 201,
      expected: [{ action: 'create', entityType: 'user', by: 'admin', after: true }],
    },
  ],
  'PATCH /api/users/:id': [
    {
      name: 'disable a user',
      run: async () => {
        const created = await admin
          .post('/api/users')
          .send({ username: 'disabled_user', password: 'a long enough password', department: 'market', role: 'clerk' })
          .expect(201)
        return admin.patch(`/api/users/${created.body.user.id}`).send({ disabled: true })
      },
      status: 200,
      expected: [{ action: 'disable', entityType: 'user', by: 'admin', after: true }],
    },
  ],
  'POST /api/tokens': [
    {
      name: 'create an API token',
      run: () => education.post('/api/tokens').send({ name: '审计令牌', access: 'read' }),
      status: 201,
      expected: [{ action: 'create', entityType: 'api_token', by: 'education', after: true }],
    },
  ],
  'DELETE /api/tokens/:id': [
    {
      name: "revoke another user's API token (admin)",
      run: async () => {
        const created = await education.post('/api/tokens').send({ name: '待撤销令牌', access: 'write' }).expect(201)
        return admin.delete(`/api/tokens/${created.body.id}`)
      },
      status: 200,
      expected: [{ action: 'revoke', entityType: 'api_token', by: 'admin', before: true, after: true }],
    },
  ],
  'DELETE /api/sessions/:sessionId': [
    {
      name: 'end a session',
      run: async () => {
        await t.request().post('/api/auth/login').send({ username: people.education.username, password: TEST_PASSWORD }).expect(200)
        const sessions = (await admin.get('/api/sessions').query({ userId: people.education.id }).expect(200)).body.sessions
        return admin.delete(`/api/sessions/${sessions[0].id}`)
      },
      status: 204,
      expected: [{ action: 'revoke', entityType: 'session', by: 'admin', after: true }],
    },
  ],
  'POST /api/schools': [
    {
      name: 'register a school',
      run: async () => {
        const response = await education.post('/api/schools').send(schoolFeature({ center: offset(CENTRE, 0, 3000), name: '审计小学' }))
        schoolId = response.body.id
        return response
      },
      status: 201,
      expected: [{ action: 'create', entityType: 'school', by: 'education', after: true }],
    },
  ],
  'PATCH /api/schools/:id': [
    {
      name: 'change a school',
      run: () => education.patch(`/api/schools/${schoolId}`).send({ properties: { students: 901 } }),
      status: 200,
      expected: [{ action: 'update', entityType: 'school', by: 'education', before: true, after: true }],
    },
    {
      name: 'record a school’s §7 staffing facts',
      run: () =>
        education.patch(`/api/schools/${schoolId}`).send({
          properties: {
            guards: 2,
            doctors: 1,
            psychologyTeachers: 1,
            dormitories: [{ name: '1号楼', girls: true, managers: 1, femaleManagers: 1 }],
            alarmLinkedToPolice: true,
          },
        }),
      status: 200,
      expected: [{ action: 'update', entityType: 'school', by: 'education', before: true, after: true }],
    },
  ],
  'DELETE /api/schools/:id': [
    {
      name: 'remove a school',
      run: () => education.delete(`/api/schools/${schoolId}`),
      status: 204,
      expected: [{ action: 'delete', entityType: 'school', by: 'education', before: true }],
    },
  ],
  'POST /api/premises': [
    {
      name: 'register premises',
      run: async () => {
        const response = await tobacco.post('/api/premises').send(premisesFeature({ at: offset(CENTRE, 0, 5000), licenceNo: 'AUDIT-1' }))
        premisesId = response.body.id
        return response
      },
      status: 201,
      expected: [{ action: 'create', entityType: 'premises', by: 'tobacco', after: true }],
    },
  ],
  'PATCH /api/premises/:id': [
    {
      name: 'change premises',
      run: () => tobacco.patch(`/api/premises/${premisesId}`).send({ properties: { name: '改名烟店' } }),
      status: 200,
      expected: [{ action: 'update', entityType: 'premises', by: 'tobacco', before: true, after: true }],
    },
  ],
  'DELETE /api/premises/:id': [
    {
      name: 'remove premises',
      run: () => tobacco.delete(`/api/premises/${premisesId}`),
      status: 204,
      expected: [{ action: 'delete', entityType: 'premises', by: 'tobacco', before: true }],
    },
  ],
  'POST /api/import/:kind': [
    {
      name: 'import schools',
      run: () =>
        education
          .post('/api/import/schools')
          .send({ type: 'FeatureCollection', features: [schoolFeature({ center: offset(CENTRE, 0, 7000), name: '导入小学' })] }),
      status: 201,
      expected: [{ action: 'import', entityType: 'school', by: 'education', after: true }],
    },
    {
      name: 'import premises (CSV)',
      run: () =>
        tobacco
          .post('/api/import/premises')
          .set('Content-Type', 'text/csv')
          .send(`name,category,countyCode,lon,lat\n导入烟店,tobacco_retail,640402,${CENTRE[0]},${CENTRE[1] + 0.08}\n`),
      status: 201,
      expected: [{ action: 'import', entityType: 'premises', by: 'tobacco', after: true }],
    },
  ],
  'POST /api/import/addresses': [
    {
      name: 'import address points (GeoJSON)',
      run: () =>
        education.post('/api/import/addresses').send({
          type: 'FeatureCollection',
          features: [
            {
              type: 'Feature',
              properties: { address: '原州区审计测试路1号', countyCode: '640402' },
              geometry: { type: 'Point', coordinates: [CENTRE[0], CENTRE[1] + 0.01] },
            },
          ],
        }),
      status: 201,
      expected: [{ action: 'import', entityType: 'address_point', by: 'education', after: true }],
    },
  ],
  'POST /api/import/roads': [
    {
      name: 'import roads (GeoJSON)',
      run: () =>
        governance.post('/api/import/roads?source=audit-trail').send({
          type: 'FeatureCollection',
          features: [
            {
              type: 'Feature',
              properties: { highway: 'residential', name: '审计测试街' },
              geometry: {
                type: 'LineString',
                coordinates: [
                  [CENTRE[0], CENTRE[1] + 0.02],
                  [CENTRE[0] + 0.002, CENTRE[1] + 0.02],
                ],
              },
            },
          ],
        }),
      status: 201,
      expected: [{ action: 'import', entityType: 'road_source', by: 'governance', after: true }],
    },
  ],
  'POST /api/patrol/plans': [
    {
      name: 'make a patrol plan',
      run: async () => {
        const stationId = await insertStation(t.app.db, { name: '审计测试派出所', countyCode: '640402', at: CENTRE })
        await insertUnit(t.app.db, { name: '审计测试车', stationId, mode: 'car', shiftStart: '07:00', shiftEnd: '19:00', base: CENTRE })
        return admin.post('/api/patrol/plans').send({ date: '2026-12-02', stationId })
      },
      status: 201,
      expected: [{ action: 'create', entityType: 'patrol_plan', by: 'admin', after: true }],
    },
  ],
  'PATCH /api/roads/:id': [
    {
      name: 'change a road',
      run: async () => governance.patch(`/api/roads/${await auditRoadId()}`).send({ walkable: false, reason: '审计测试封闭' }),
      status: 200,
      expected: [{ action: 'update', entityType: 'road', by: 'governance', before: true, after: true }],
    },
  ],
  'DELETE /api/roads/:id': [
    {
      name: 'delete a road',
      run: async () => governance.delete(`/api/roads/${await auditRoadId()}?reason=${encodeURIComponent('审计测试删除')}`),
      status: 204,
      expected: [{ action: 'delete', entityType: 'road', by: 'governance', before: true }],
    },
  ],
  'PUT /api/rules/:id': [
    {
      name: 'change a rule',
      run: () => governance.put(`/api/rules/${ruleId}`).send({ legalBasis: '审计测试依据', reason: '审计测试', version: ruleVersion }),
      status: 200,
      expected: [{ action: 'update', entityType: 'rule', by: 'governance', before: true, after: true }],
    },
  ],
  'POST /api/rules/changes': [
    {
      name: 'change two rules at once',
      run: async () => {
        const rules = (await governance.get('/api/rules').query({ category: 'fireworks' }).expect(200)).body.rules.slice(0, 2) as {
          id: number
          version: number
        }[]
        return governance
          .post('/api/rules/changes')
          .send({ rules: rules.map((r) => ({ id: r.id, version: r.version })), change: { legalBasis: '审计测试依据', reason: '审计测试' } })
      },
      status: 200,
      expected: [
        { action: 'update', entityType: 'rule', by: 'governance', before: true, after: true },
        { action: 'update', entityType: 'rule', by: 'governance', before: true, after: true },
      ],
    },
  ],
  'POST /api/rules/preview': [
    {
      readOnly: 'a what-if computation that saves nothing',
      run: () => governance.post('/api/rules/preview').send({ rules: [{ category: 'lottery_outlet', limitM: 150 }] }),
    },
  ],
  'POST /api/rules/preview/zones': [
    {
      readOnly: 'today’s and the proposed zones of a view, drawn and saved nowhere',
      run: () =>
        governance.post('/api/rules/preview/zones').send({
          rules: [{ category: 'lottery_outlet', limitM: 150 }],
          bbox: [CENTRE[0] - 0.01, CENTRE[1] - 0.01, CENTRE[0] + 0.01, CENTRE[1] + 0.01],
        }),
    },
  ],
  'POST /api/check': [
    {
      readOnly: 'a verdict for a point, saved nowhere',
      run: () => tobacco.post('/api/check').send({ lon: CENTRE[0], lat: CENTRE[1], category: 'tobacco_retail' }),
    },
  ],
  'POST /api/check/batch': [
    {
      readOnly: 'verdicts for many points, streamed back and saved nowhere',
      run: () =>
        tobacco.post('/api/check/batch').send({ category: 'tobacco_retail', points: [{ id: 'a', lon: CENTRE[0], lat: CENTRE[1] }] }),
    },
  ],
  'POST /api/audits': [
    {
      name: 'start a full audit',
      run: () => governance.post('/api/audits'),
      status: 202,
      expected: [{ action: 'start', entityType: 'audit', by: 'governance', after: true }],
    },
  ],
  'POST /api/permits': [
    {
      name: 'submit an application',
      run: () => tobacco.post('/api/permits').send(permitBody(1, offset(CENTRE, 0, 6000))),
      status: 201,
      expected: [{ action: 'submit', entityType: 'permit', by: 'tobacco', after: true }],
    },
  ],
  'POST /api/permits/:id/decision': [
    {
      name: 'approve an application',
      run: async () => {
        const permit = await tobacco
          .post('/api/permits')
          .send(permitBody(2, offset(CENTRE, 0, 6500)))
          .expect(201)
        return tobacco.post(`/api/permits/${permit.body.id}/decision`).send({ decision: 'approve', reason: '审计', version: 1 })
      },
      status: 200,
      expected: [
        { action: 'create', entityType: 'premises', by: 'tobacco', after: true },
        { action: 'decide', entityType: 'permit', by: 'tobacco', before: true, after: true },
      ],
    },
  ],
  'POST /api/hazards': [
    {
      name: 'open a hazard',
      run: async () => governance.post('/api/hazards').send(await hazardAtNewSchool()),
      status: 201,
      expected: [{ action: 'create', entityType: 'hazard', by: 'governance', after: true }],
    },
  ],
  'POST /api/hazards/:id/transitions': [
    {
      name: 'move a hazard along the loop',
      run: async () => {
        const hazard = await governance
          .post('/api/hazards')
          .send(await hazardAtNewSchool())
          .expect(201)
        return governance.post(`/api/hazards/${hazard.body.id}/transitions`).send({ to: 'inspected', version: hazard.body.version })
      },
      status: 200,
      expected: [{ action: 'transition_inspected', entityType: 'hazard', by: 'governance', before: true, after: true }],
    },
  ],
  'POST /api/hazards/:id/attachments': [
    {
      name: 'attach a photo to a hazard',
      run: async () => {
        const hazard = await governance
          .post('/api/hazards')
          .send(await hazardAtNewSchool())
          .expect(201)
        return governance.post(`/api/hazards/${hazard.body.id}/attachments?phase=before`).set('content-type', 'image/png').send(png())
      },
      status: 201,
      expected: [{ action: 'attach', entityType: 'hazard', by: 'governance', after: true }],
    },
  ],
  'POST /api/import/hazards': [
    {
      name: 'import a hazard ledger',
      run: async () => {
        const body = await hazardAtNewSchool()
        return governance
          .post('/api/import/hazards')
          .set('content-type', 'text/csv')
          .send(`schoolId,kind,title,source,department\n${body.schoolId},${body.kind},${body.title},${body.source},${body.department}\n`)
      },
      status: 201,
      expected: [{ action: 'import', entityType: 'hazard', by: 'governance', after: true }],
    },
  ],
  'POST /api/inspections': [
    {
      name: 'record an inspection',
      run: async () =>
        governance.post('/api/inspections').send({
          schoolId: (await hazardAtNewSchool()).schoolId,
          level: 'township',
          inspector: '乡镇综治办',
          checklist: [{ item: 'gate_guard', result: 'ok' }],
        }),
      status: 201,
      expected: [{ action: 'create', entityType: 'inspection', by: 'governance', after: true }],
    },
  ],
}

beforeAll(async () => {
  t = await startTestApp()
  const signed = {
    admin: await t.signIn({ department: 'admin', role: 'admin' }),
    education: await t.signIn({ department: 'education', role: 'clerk', countyCode: '640402' }),
    tobacco: await t.signIn({ department: 'tobacco', role: 'supervisor', countyCode: '640402' }),
    governance: await t.signIn({ department: 'governance', role: 'supervisor' }),
    police: await t.signIn({ department: 'police', role: 'supervisor' }),
  }
  admin = signed.admin.agent
  education = signed.education.agent
  tobacco = signed.tobacco.agent
  governance = signed.governance.agent
  police = signed.police.agent
  people = {
    admin: signed.admin.user,
    education: signed.education.user,
    tobacco: signed.tobacco.user,
    governance: signed.governance.user,
    police: signed.police.user,
  }
  const rule = (await governance.get('/api/rules').query({ category: 'internet_cafe', schoolType: 'primary' }).expect(200)).body.rules[0]
  ruleId = rule.id
  ruleVersion = rule.version
})

afterAll(async () => {
  // The audit started above runs in the background: let it finish before the database closes.
  for (let i = 0; i < 200; i += 1) {
    const audits = (await governance.get('/api/audits')).body.audits as { status: string }[]
    if (audits.every((a) => a.status !== 'running')) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await t?.close()
})

const key = (method: string, url: string) => `${method} ${url}`

it('the inventory lists the service’s state-changing routes, and every one is in the table', () => {
  const unsafe = [...new Set(t.app.routeInventory.filter((r) => UNSAFE.has(r.method)).map((r) => key(r.method, r.url)))]
  expect(unsafe.length).toBeGreaterThanOrEqual(15)
  const missing = unsafe.filter((route) => !(route in table))
  expect(missing, `state-changing routes with no audit exercise in test/api/audit-trail.test.ts: ${missing.join(', ')}`).toEqual([])
  const stale = Object.keys(table).filter((route) => !unsafe.includes(route))
  expect(stale, `table entries for routes the app no longer has: ${stale.join(', ')}`).toEqual([])
})

it('the POST routes marked as writing nothing (which a read-only API token may call) are exactly the read-only exercises', () => {
  const marked = t.app.routeInventory.filter((r) => r.writes === false).map((r) => key(r.method, r.url))
  const readOnly = Object.entries(table)
    .filter(([, exercises]) => exercises.every((exercise) => 'readOnly' in exercise))
    .map(([route]) => route)
  expect(marked.sort()).toEqual(readOnly.sort())
})

it('every exercise of every state-changing route writes its audit entries, with who, role, department, when, what, before/after and the request id', async () => {
  const routes = [...new Set(t.app.routeInventory.filter((r) => UNSAFE.has(r.method)).map((r) => key(r.method, r.url)))]
  const unexercised: string[] = []
  for (const route of routes) {
    const exercises = table[route] ?? []
    if (exercises.length === 0) unexercised.push(route)
    for (const exercise of exercises) {
      const startedAt = Date.now()
      const response = await exercise.run()
      const requestId = response.headers['x-request-id']
      expect(requestId, route).toMatch(/^[0-9a-f-]{36}$/)
      const entries = await t.app.db.selectFrom('audit_log').selectAll().where('request_id', '=', requestId!).orderBy('id').execute()
      if ('readOnly' in exercise) {
        expect(response.status, `${route}: ${JSON.stringify(response.body)}`).toBe(200)
        expect(entries, `${route} is read-only (${exercise.readOnly}) yet wrote audit entries`).toEqual([])
        continue
      }
      const label = `${route} (${exercise.name})`
      expect(response.status, `${label}: ${JSON.stringify(response.body)}`).toBe(exercise.status)
      expect(
        entries.map((e) => `${e.action} ${e.entity_type}`),
        label,
      ).toEqual(exercise.expected.map((e) => `${e.action} ${e.entityType}`))
      exercise.expected.forEach((expected, i) => {
        const entry = entries[i]!
        if (expected.by === 'nobody') {
          expect({ userId: entry.user_id, role: entry.role, department: entry.department }, label).toEqual({
            userId: null,
            role: null,
            department: null,
          })
        } else {
          const user = people[expected.by]
          expect({ userId: entry.user_id, username: entry.username, role: entry.role, department: entry.department }, label).toEqual({
            userId: user.id,
            username: user.username,
            role: user.role,
            department: user.department,
          })
        }
        const at = new Date(entry.at).getTime()
        expect(at, `${label}: when`).toBeGreaterThanOrEqual(startedAt - 5_000)
        expect(at, `${label}: when`).toBeLessThanOrEqual(Date.now() + 5_000)
        expect(entry.request_id, label).toBe(requestId)
        if (expected.before) expect(entry.before, `${label}: before`).not.toBeNull()
        if (expected.after) expect(entry.after, `${label}: after`).not.toBeNull()
        if (expected.action === 'login_failed') expect(entry.after, label).toMatchObject({ username: people.tobacco.username })
        if (!['login', 'login_failed', 'logout'].includes(expected.action)) expect(entry.entity_id, `${label}: which record`).not.toBeNull()
      })
    }
  }
  expect(unexercised, 'state-changing routes no exercise walked').toEqual([])
})

it('reading a school file, a report or the dashboard figures writes no entry', async () => {
  const school = await education.post('/api/schools').send(schoolFeature({ center: offset(CENTRE, 0, 9000), name: '只读档案小学' }))
  expect(school.status).toBe(201)
  const reads = [
    `/api/schools/${school.body.id}/file`,
    `/api/schools/${school.body.id}/file.pdf`,
    '/api/reports/conflicts.xlsx',
    '/api/reports/hazards.csv',
    '/api/reports/compliance.pdf',
    '/api/stats',
  ]
  for (const path of reads) {
    const response = await governance.get(path)
    expect(response.status, path).toBe(200)
    const entries = await t.app.db
      .selectFrom('audit_log')
      .select('id')
      .where('request_id', '=', response.headers['x-request-id']!)
      .execute()
    expect(entries, path).toEqual([])
  }
})
