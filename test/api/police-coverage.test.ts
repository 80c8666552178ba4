/**
 * Coverage against a hand count: required visits for urban schools, planned visit stops of the newest plan
 * covering each school, visits done on the China Standard Time day counted at least the policy's gap
 * apart, the last visit, station compliance over the schools of its grids (or its county); the week view;
 * who may read it; and the equipment gaps (zones without a sign, gates without a working camera).
 */
import { sql } from 'kysely'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertUrbanAreas } from '../../server/modules/police/repository.ts'
import { CENTRE, gridFeature, square, stationFeature, unitFeature } from '../factories/police.ts'
import { offset, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let police: TestAgent
let governance: TestAgent
let education: TestAgent
let tobacco: TestAgent
const ids = { u1: 0, u2: 0, u3: 0, r: 0, gridStation: 0, countyStation: 0, unit: 0 }
const centres = {
  u1: offset(CENTRE, 8000, 8000),
  u2: offset(CENTRE, 8600, 8000),
  r: offset(CENTRE, 8300, 8600),
  u3: offset(CENTRE, 11_000, 8000),
}

/** The CST calendar day before today, and the one before that. */
const cst = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10)
const day = cst(Date.now() - 86_400_000)
const dayBefore = cst(Date.now() - 2 * 86_400_000)
const at = (date: string, time: string) => `${date}T${time}:00+08:00`
const addDays = (date: string, n: number) => new Date(new Date(`${date}T00:00:00Z`).getTime() + n * 86_400_000).toISOString().slice(0, 10)

beforeAll(async () => {
  t = await startTestApp()
  police = (await t.signIn({ department: 'police', role: 'clerk', countyCode: '640402' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  // Built-up areas over U1, U2 and U3; R lies outside them (rural).
  await insertUrbanAreas(
    t.app.db,
    [
      { name: '覆盖城区一', countyCode: '640402', geometry: { type: 'Polygon', coordinates: [square(offset(CENTRE, 8300, 8000), 1000)] } },
      { name: '覆盖城区二', countyCode: '640402', geometry: { type: 'Polygon', coordinates: [square(centres.u3, 600)] } },
    ],
    false,
  )
  for (const key of ['u1', 'u2', 'r', 'u3'] as const)
    ids[key] = (
      await education
        .post('/api/schools')
        .send(schoolFeature({ center: centres[key], name: `覆盖${key}学校` }))
        .expect(201)
    ).body.id
  // The grid station's grid covers U1, U2 and R; the county station has no grid, so all of 原州区 is its.
  ids.gridStation = (
    await police
      .post('/api/patrol/stations')
      .send(stationFeature(offset(CENTRE, 8300, 7800), { name: '网格派出所' }))
      .expect(201)
  ).body.id
  await police
    .post('/api/patrol/grids')
    .send(gridFeature(ids.gridStation, offset(CENTRE, 8300, 8300), 1600))
    .expect(201)
  ids.countyStation = (
    await police
      .post('/api/patrol/stations')
      .send(stationFeature(offset(CENTRE, 7000, 7000), { name: '全区派出所' }))
      .expect(201)
  ).body.id
  ids.unit = (await police.post('/api/patrol/units').send(unitFeature(ids.gridStation)).expect(201)).body.id
  const visit = (key: keyof typeof centres, when: string) =>
    police.post('/api/patrol/visits').send({ unitId: ids.unit, lon: centres[key][0], lat: centres[key][1], at: when }).expect(201)
  // U1: 07:30 counts, 09:00 is 90 min later (not counted), 09:40 is 130 min after 07:30 (counted): done 2.
  // 07:30 CST is 23:30 UTC the day before: the CST day decides. The next day's 00:10 is not this day's.
  await visit('u1', at(day, '07:30'))
  await visit('u1', at(day, '09:00'))
  await visit('u1', at(day, '09:40'))
  await visit('u1', at(addDays(day, 1), '00:10'))
  // U2: 09:00 only (done 1, below); the evening before does not count.
  await visit('u2', at(dayBefore, '23:30'))
  await visit('u2', at(day, '09:00'))
  // R: rural, required 0, one visit.
  await visit('r', at(day, '12:00'))
  // U3: two visits 3 h apart (done 2).
  await visit('u3', at(day, '08:00'))
  await visit('u3', at(day, '11:00'))
  // Two plans for the day: the older covers U1 (2 visits) and U2 (1); the newer covers U1 only, with one visit and a post.
  const plan = async (schools: number[], stops: { school: number; kind: 'post' | 'visit' }[]) => {
    const row = await t.app.db
      .insertInto('patrol_plans')
      .values({
        date: day,
        county_code: '640402',
        policy_version: 1,
        seed: day,
        length_m: 1000,
        lower_bound_m: 900,
        schools: JSON.stringify(schools.map((schoolId) => ({ schoolId, urban: true, required: 2, planned: 0 }))),
        unmet: JSON.stringify([]),
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await t.app.db.insertInto('patrol_plan_units').values({ plan_id: row.id, unit_id: ids.unit, length_m: 1000 }).execute()
    await t.app.db
      .insertInto('patrol_plan_stops')
      .values(
        stops.map((s, seq) => ({
          plan_id: row.id,
          unit_id: ids.unit,
          seq,
          kind: s.kind,
          school_id: s.school,
          gate: s.kind === 'post' ? 1 : null,
          arrive_at: at(day, `${String(8 + seq).padStart(2, '0')}:00`),
          depart_at: at(day, `${String(8 + seq).padStart(2, '0')}:12`),
          geom: sql`ST_SetSRID(ST_MakePoint(106.24, 36.02), 4326)` as never,
        })),
      )
      .execute()
    return row.id
  }
  await plan(
    [ids.u1, ids.u2],
    [
      { school: ids.u1, kind: 'visit' },
      { school: ids.u2, kind: 'visit' },
      { school: ids.u1, kind: 'visit' },
    ],
  )
  await plan(
    [ids.u1],
    [
      { school: ids.u1, kind: 'post' },
      { school: ids.u1, kind: 'visit' },
    ],
  )
})
afterAll(async () => {
  await t?.close()
})

const bySchool = (rows: { schoolId: number }[]) => new Map(rows.map((r) => [r.schoolId, r]))

describe('coverage of a day', () => {
  it('counts as a hand count does', async () => {
    const response = await governance.get('/api/patrol/coverage').query({ date: day, countyCode: '640402' }).expect(200)
    expect(response.body).toMatchObject({ date: day, policyVersion: 1, planId: expect.any(Number) })
    const rows = bySchool(response.body.schools)
    expect(rows.get(ids.u1)).toEqual({
      schoolId: ids.u1,
      schoolName: '覆盖u1学校',
      countyCode: '640402',
      urban: true,
      required: 2,
      planned: 1,
      done: 2,
      lastVisitAt: new Date(at(day, '09:40')).toISOString(),
      below: false,
    })
    expect(rows.get(ids.u2)).toMatchObject({
      urban: true,
      required: 2,
      planned: 1,
      done: 1,
      below: true,
      lastVisitAt: new Date(at(day, '09:00')).toISOString(),
    })
    expect(rows.get(ids.r)).toMatchObject({ urban: false, required: 0, planned: 0, done: 1, below: false })
    expect(rows.get(ids.u3)).toMatchObject({ urban: true, required: 2, planned: 0, done: 2, below: false })
    const stations = new Map(response.body.stations.map((s: { stationId: number }) => [s.stationId, s]))
    // The grid station's urban schools are U1 (met) and U2 (not): 1/2. The county station's are U1, U2, U3: 2/3.
    expect(stations.get(ids.gridStation)).toMatchObject({ name: '网格派出所', urbanSchools: 2, meeting: 1, compliance: 0.5 })
    expect(stations.get(ids.countyStation)).toMatchObject({ name: '全区派出所', urbanSchools: 3, meeting: 2, compliance: 0.667 })
  })

  it('a station scope lists the schools of its grids; another county has none of these', async () => {
    const grid = await governance.get('/api/patrol/coverage').query({ date: day, stationId: ids.gridStation }).expect(200)
    expect(grid.body.schools.map((s: { schoolId: number }) => s.schoolId).sort()).toEqual([ids.u1, ids.u2, ids.r].sort())
    expect(grid.body.stations).toHaveLength(1)
    const xiji = await governance.get('/api/patrol/coverage').query({ date: day, countyCode: '640422' }).expect(200)
    expect(xiji.body).toMatchObject({ schools: [], stations: [] })
    expectErrorBody(await governance.get('/api/patrol/coverage').query({ stationId: 999_999 }), 404, 'NOT_FOUND')
  })

  it('the next day counts the 00:10 visit and nothing of this day', async () => {
    const next = await governance
      .get('/api/patrol/coverage')
      .query({ date: addDays(day, 1), countyCode: '640402' })
      .expect(200)
    expect(bySchool(next.body.schools).get(ids.u1)).toMatchObject({ done: 1, planned: 0, below: true })
  })

  it('is read by the police, governance and education; other departments get 403', async () => {
    await police.get('/api/patrol/coverage').query({ date: day }).expect(200)
    await education.get('/api/patrol/coverage').query({ date: day }).expect(200)
    expectErrorBody(await tobacco.get('/api/patrol/coverage').query({ date: day }), 403, 'FORBIDDEN')
    expectErrorBody(await tobacco.get('/api/patrol/coverage/week'), 403, 'FORBIDDEN')
    expectErrorBody(await t.request().get('/api/patrol/coverage'), 401, 'UNAUTHENTICATED')
    expectErrorBody(await governance.get('/api/patrol/coverage').query({ date: '2026-02-30' }), 400, 'VALIDATION_FAILED')
    expectErrorBody(await governance.get('/api/patrol/coverage').query({ date: 'today' }), 400, 'VALIDATION_FAILED')
  })
})

describe('the week', () => {
  it('gives seven days per school, below on the days without the required visits', async () => {
    const start = addDays(day, -6)
    const response = await governance.get('/api/patrol/coverage/week').query({ start, countyCode: '640402' }).expect(200)
    expect(response.body.dates).toEqual(Array.from({ length: 7 }, (_, i) => addDays(start, i)))
    expect(response.body.end).toBe(day)
    const rows = bySchool(response.body.schools) as Map<number, any>
    expect(rows.get(ids.u1).days.map((d: { done: number }) => d.done)).toEqual([0, 0, 0, 0, 0, 0, 2])
    expect(rows.get(ids.u1).days[6]).toEqual({ date: day, required: 2, planned: 1, done: 2, below: false })
    expect(rows.get(ids.u1).daysBelow).toBe(6)
    expect(rows.get(ids.u2).daysBelow).toBe(7)
    expect(rows.get(ids.r).daysBelow).toBe(0)
    const station = response.body.stations.find((s: { stationId: number }) => s.stationId === ids.gridStation)
    expect(station.compliance).toEqual([0, 0, 0, 0, 0, 0, 0.5])
  })
})

describe('equipment gaps', () => {
  it('lists zones without an installed sign and gates without a working camera', async () => {
    const gateOf = async (id: number) => (await education.get(`/api/schools/${id}`).expect(200)).body.properties.gates[0] as number[]
    const sign = (schoolId: number, state: string) =>
      police
        .post('/api/patrol/signs')
        .send({ type: 'Feature', properties: { schoolId, state }, geometry: { type: 'Point', coordinates: offset(centres.u1, 0, -60) } })
        .expect(201)
    const camera = async (schoolId: number, properties: Record<string, unknown>, at: readonly number[]) =>
      police
        .post('/api/patrol/cameras')
        .send({ type: 'Feature', properties: { schoolId, ...properties }, geometry: { type: 'Point', coordinates: at } })
        .expect(201)
    await sign(ids.u1, 'installed')
    await sign(ids.u2, 'missing')
    await sign(ids.u3, 'installed')
    await camera(ids.u1, { gate: 1, state: 'working' }, await gateOf(ids.u1))
    await camera(ids.u2, { gate: 1, state: 'faulty' }, await gateOf(ids.u2))
    // R's camera names no gate but stands 10 m from its gate: it watches it.
    await camera(ids.r, { state: 'working' }, offset(await gateOf(ids.r), 0, -10))
    const response = await governance.get('/api/patrol/equipment-gaps').query({ countyCode: '640402' }).expect(200)
    expect(response.body.schools).toBe(4)
    expect(response.body.zonesWithoutSign.map((z: { schoolId: number; signs: number }) => [z.schoolId, z.signs])).toEqual(
      [
        [ids.u2, 1],
        [ids.r, 0],
      ].sort((a, b) => a[0]! - b[0]!),
    )
    expect(
      response.body.gatesWithoutCamera.map((g: { schoolId: number; gate: number; cameras: number }) => [g.schoolId, g.gate, g.cameras]),
    ).toEqual(
      [
        [ids.u2, 1, 1],
        [ids.u3, 1, 0],
      ].sort((a, b) => a[0]! - b[0]!),
    )
    expectErrorBody(await tobacco.get('/api/patrol/equipment-gaps'), 403, 'FORBIDDEN')
  })
})
