import { sql } from 'kysely'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GUYUAN, offset, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { WalkingOracle, type OracleRoad } from '../factories/walking-oracle.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

type Position = [number, number]
/** A part of town of its own, 6 km east of the centre, so that nothing else is in reach. */
const C = offset([GUYUAN.lon, GUYUAN.lat], 6000, 0)
const at = (east: number, north: number): Position => offset(C, east, north)
const line = (points: [number, number][]) => points.map(([e, n]) => at(e, n))

/**
 * Two streets 120 m apart joined only at their east end; the school's gate opens onto the south street.
 * A footway from the gate's street to the north street, in a later import, cuts the walk to the north side.
 */
const ROADS: OracleRoad[] = [
  { walkable: true, coordinates: line([-400, -300, -200, -100, 0, 100, 200, 300, 400].map((e) => [e, 0])) },
  { walkable: true, coordinates: line([-400, -300, -200, -100, 0, 100, 200, 300, 400].map((e) => [e, 120])) },
  {
    walkable: true,
    coordinates: line([
      [400, 0],
      [400, 60],
      [400, 120],
    ]),
  },
]
const SHORTCUT: OracleRoad = {
  walkable: true,
  coordinates: line([
    [0, 0],
    [0, 120],
  ]),
}
const GATE = at(0, -15)
const NEAR = at(120, 8) // ~ 15 + 120 + 8 on foot
const ACROSS = at(-30, 112) // ~ 130 m away in a straight line, ~ 970 m on foot round the east end
const roadsCollection = (roads: OracleRoad[]) => ({
  type: 'FeatureCollection',
  features: roads.map((r, i) => ({
    type: 'Feature',
    properties: { highway: 'residential', name: `步行测试街${i}` },
    geometry: { type: 'LineString', coordinates: r.coordinates },
  })),
})

let t: TestApp
let governance: TestAgent
let roadsClerk: TestAgent
let education: TestAgent
let tobacco: TestAgent
let ruleId: number
let schoolId: number
let gatelessId: number
let nearId: number
let acrossId: number
beforeAll(async () => {
  t = await startTestApp()
  governance = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  roadsClerk = (await t.signIn({ department: 'governance', role: 'clerk' })).agent
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  await roadsClerk.post('/api/import/roads?source=walking-test').send(roadsCollection(ROADS)).expect(201)
  // The campus lies south of the south street; its gate opens onto it.
  schoolId = (
    await education
      .post('/api/schools')
      .send(schoolFeature({ center: at(0, -70), name: '步行测试小学', gates: [GATE] }))
      .expect(201)
  ).body.id
  nearId = (
    await tobacco
      .post('/api/premises')
      .send(premisesFeature({ at: NEAR, name: '近处烟店', category: 'tobacco_retail' }))
      .expect(201)
  ).body.id
  acrossId = (
    await tobacco
      .post('/api/premises')
      .send(premisesFeature({ at: ACROSS, name: '墙那边烟店', category: 'tobacco_retail' }))
      .expect(201)
  ).body.id
  const rules = await tobacco.get('/api/rules?category=tobacco_retail&schoolType=primary').expect(200)
  ruleId = rules.body.rules[0].id
})
afterAll(async () => {
  await t?.close()
})

const oracle = () => new WalkingOracle(ROADS)
/** A resident identity number with its GB 11643 check character. */
function residentId(body: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  return body + '10X98765432'[weights.reduce((total, w, i) => total + w * Number(body[i]), 0) % 11]!
}
const conflictsOf = async (premisesId: number) =>
  (await tobacco.get(`/api/conflicts?premisesId=${premisesId}`).expect(200)).body.conflicts as Record<string, unknown>[]

describe('rules by walking distance', () => {
  it('refuses path walking without origin gates (422 naming the field)', async () => {
    const response = await governance.put(`/api/rules/${ruleId}`).send({ path: 'walking', reason: '按步行距离' })
    expectErrorBody(response, 422, 'UNPROCESSABLE')
    expect(response.body.details.problems).toEqual([{ field: 'body/path', message: 'path walking needs origin gates' }])
  })

  it('before the switch, both shops conflict in a straight line', async () => {
    expect((await conflictsOf(nearId)).map((c) => c.schoolId)).toEqual([schoolId])
    expect((await conflictsOf(acrossId)).map((c) => c.schoolId)).toEqual([schoolId])
  })

  it('a preview of tobacco by walking distance lists the premises it would clear', async () => {
    const response = await governance
      .post('/api/rules/preview')
      .send({ rules: [{ category: 'tobacco_retail', schoolType: 'primary', origin: 'gates', path: 'walking' }] })
      .expect(200)
    expect(response.body.cleared).toMatchObject({ total: 1, byCategory: { tobacco_retail: 1 } })
    expect(response.body.schools).toEqual([{ schoolId, schoolName: '步行测试小学', newlyConflicting: 0, cleared: 1 }])
  })

  it('switching tobacco to walking distance from the gates keeps the shop near on foot and clears the one behind the wall', async () => {
    const response = await governance
      .put(`/api/rules/${ruleId}`)
      .send({ origin: 'gates', path: 'walking', reason: '按校门步行距离' })
      .expect(200)
    expect(response.body).toMatchObject({ origin: 'gates', path: 'walking' })
    const [near] = await conflictsOf(nearId)
    expect(near).toMatchObject({ schoolId, path: 'walking', measuredBy: 'network', origin: 'gates' })
    const gate = near!.nearestPoint as { lon: number; lat: number }
    expect([gate.lon, gate.lat].map((v, i) => Math.abs(v - GATE[i]!))).toEqual([expect.closeTo(0, 8), expect.closeTo(0, 8)])
    expect(Math.abs((near!.distanceM as number) - oracle().walking(GATE, NEAR)!)).toBeLessThan(0.06)
    expect(near!.straightM).toBeCloseTo(oracle().straight(GATE, NEAR), 1)
    const route = near!.route as { type: string; coordinates: Position[] }
    expect(route.type).toBe('LineString')
    // Read back at the stored precision (1e-9°, 0.1 mm).
    for (const [end, expected] of [
      [route.coordinates[0]!, GATE],
      [route.coordinates.at(-1)!, NEAR],
    ] as const) {
      expect(Math.abs(end[0] - expected[0]) + Math.abs(end[1] - expected[1])).toBeLessThan(1e-8)
    }
    expect(await conflictsOf(acrossId)).toEqual([])
  })

  it('/api/check answers the same: prohibited near on foot with the route, allowed across the wall with the walking distance among the nearest schools', async () => {
    const near = await tobacco.post('/api/check').send({ lon: NEAR[0], lat: NEAR[1], category: 'tobacco_retail' }).expect(200)
    expect(near.body.verdict).toBe('prohibited')
    expect(near.body.conflicts[0]).toMatchObject({ schoolId, path: 'walking', measuredBy: 'network', route: { type: 'LineString' } })
    expect(Math.abs(near.body.conflicts[0].distanceM - oracle().walking(GATE, NEAR)!)).toBeLessThan(0.06)
    const across = await tobacco.post('/api/check').send({ lon: ACROSS[0], lat: ACROSS[1], category: 'tobacco_retail' }).expect(200)
    expect(across.body.verdict).toBe('allowed')
    const school = across.body.nearestSchools.find((n: { schoolId: number }) => n.schoolId === schoolId)
    expect(school).toMatchObject({ path: 'walking', measuredBy: 'network' })
    expect(Math.abs(school.distanceM - oracle().walking(GATE, ACROSS)!)).toBeLessThan(0.06)
    expect(school.distanceM).toBeGreaterThan(900)
  })

  it('a permit application is screened by walking distance, and its screening carries the walk', async () => {
    const body = {
      applicant: { name: '张三', idNumber: residentId('64040219900101001') },
      businessName: '步行测试烟店',
      category: 'tobacco_retail',
      address: '原州区步行测试街1号',
      location: { lon: NEAR[0], lat: NEAR[1] },
      kind: 'new',
    }
    const response = await tobacco.post('/api/permits').send(body)
    expect(response.status, JSON.stringify(response.body)).toBe(201)
    expect(response.body.screening.verdict).toBe('prohibited')
    expect(response.body.screening.conflicts[0]).toMatchObject({
      schoolId,
      path: 'walking',
      measuredBy: 'network',
      route: { type: 'LineString' },
    })
  })

  it('a full audit finds the same walking conflicts, and a second one changes nothing', async () => {
    const before = (
      await sql<{
        premises_id: number
        distance_m: number
      }>`select premises_id, distance_m from conflicts where path = 'walking' order by premises_id`.execute(t.app.db)
    ).rows
    for (const expected of [before.length, before.length]) {
      const started = await governance.post('/api/audits').expect(202)
      let audit = started.body
      while (audit.status === 'running') {
        await new Promise((resolve) => setTimeout(resolve, 50))
        audit = (await governance.get(`/api/audits/${started.body.id}`).expect(200)).body
      }
      expect(audit).toMatchObject({ status: 'done', summary: { added: 0, removed: 0, changed: 0 } })
      const after = (
        await sql<{
          premises_id: number
          distance_m: number
        }>`select premises_id, distance_m from conflicts where path = 'walking' order by premises_id`.execute(t.app.db)
      ).rows
      expect(after).toHaveLength(expected)
      expect(after).toEqual(before)
    }
  })

  it('importing a footway through the wall brings the shop across it into conflict, in the same transaction', async () => {
    await roadsClerk
      .post('/api/import/roads?source=shortcut')
      .send(roadsCollection([SHORTCUT]))
      .expect(201)
    const [across] = await conflictsOf(acrossId)
    expect(across).toMatchObject({ schoolId, path: 'walking', measuredBy: 'network' })
    const withShortcut = new WalkingOracle([...ROADS, SHORTCUT])
    expect(Math.abs((across!.distanceM as number) - withShortcut.walking(GATE, ACROSS)!)).toBeLessThan(0.06)
  })

  it('a shop more than 100 m from any road falls back to the straight distance from the gate, and says so', async () => {
    const far = at(60, -160)
    const id = (
      await tobacco
        .post('/api/premises')
        .send(premisesFeature({ at: far, name: '远离道路烟店', category: 'tobacco_retail' }))
        .expect(201)
    ).body.id
    const [conflict] = await conflictsOf(id)
    expect(conflict).toMatchObject({
      schoolId,
      path: 'walking',
      measuredBy: 'straight_fallback',
      route: null,
      note: expect.stringMatching(/more than 100 m from any walkable road/),
    })
    expect(conflict!.distanceM).toBeCloseTo(oracle().straight(GATE, far), 1)
  })

  it('a school without gates under a walking rule is measured straight from its campus, and says so', async () => {
    gatelessId = (
      await education
        .post('/api/schools')
        .send(schoolFeature({ center: at(0, 400), name: '无门小学', gates: [] }))
        .expect(201)
    ).body.id
    const shop = at(0, 520)
    const id = (
      await tobacco
        .post('/api/premises')
        .send(premisesFeature({ at: shop, name: '无门附近烟店', category: 'tobacco_retail' }))
        .expect(201)
    ).body.id
    const conflicts = await conflictsOf(id)
    expect(conflicts.find((c) => c.schoolId === gatelessId)).toMatchObject({
      path: 'walking',
      measuredBy: 'straight_fallback',
      origin: 'campus',
      note: expect.stringMatching(/none registered/),
    })
    const check = await tobacco.post('/api/check').send({ lon: shop[0], lat: shop[1], category: 'tobacco_retail' }).expect(200)
    expect(check.body.conflicts.find((c: { schoolId: number }) => c.schoolId === gatelessId)).toMatchObject({
      path: 'walking',
      measuredBy: 'straight_fallback',
    })
  })

  it('an incremental audit catches the road network changed by SQL behind the service, as a full audit would', async () => {
    const runAudit = async (body?: object) => {
      const started = await governance.post('/api/audits').send(body).expect(202)
      let audit = started.body
      while (audit.status === 'running') {
        await new Promise((resolve) => setTimeout(resolve, 50))
        audit = (await governance.get(`/api/audits/${started.body.id}`).expect(200)).body
      }
      expect(audit.status).toBe('done')
      return audit
    }
    await runAudit()
    expect(await conflictsOf(acrossId)).toHaveLength(1)
    // The footway through the wall removed as SQL: the shop across it is a long walk away again.
    await sql`delete from roads where source_id = (select id from road_sources where name = 'shortcut')`.execute(t.app.db)
    const audit = await runAudit()
    expect(audit.summary).toMatchObject({ mode: 'incremental', removed: 1 })
    expect(audit.summary.basis).toMatch(/[1-9]\d* rule scopes recomputed/)
    expect(await conflictsOf(acrossId)).toEqual([])
    expect((await runAudit({ full: true })).summary).toMatchObject({ mode: 'full', added: 0, removed: 0, changed: 0 })
  })
})
