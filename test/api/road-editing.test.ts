import { sql } from 'kysely'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GUYUAN, offset, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { WalkingOracle, type OracleRoad } from '../factories/walking-oracle.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

type Position = [number, number]
/** A part of town of its own, 6 km west of the centre. */
const C = offset([GUYUAN.lon, GUYUAN.lat], -6000, 0)
const at = (east: number, north: number): Position => offset(C, east, north)
const line = (points: [number, number][]) => points.map(([e, n]) => at(e, n))

// Two streets joined at their east end, and a lane between them in the middle that makes the north side near on foot.
const EVERY_50 = [-200, -150, -100, -50, 0, 50, 100, 150, 200]
const SOUTH: OracleRoad = { walkable: true, coordinates: line(EVERY_50.map((e) => [e, 0])) }
const NORTH: OracleRoad = { walkable: true, coordinates: line(EVERY_50.map((e) => [e, 120])) }
const EAST: OracleRoad = {
  walkable: true,
  coordinates: line([
    [200, 0],
    [200, 120],
  ]),
}
const LANE: OracleRoad = {
  walkable: true,
  coordinates: line([
    [0, 0],
    [0, 120],
  ]),
}
const GATE = at(0, -15)
const SHOP = at(-40, 112)
const names = ['南街', '北街', '东巷', '中间小巷']

let t: TestApp
let keeper: TestAgent
let tobacco: TestAgent
let viewer: TestAgent
let laneId: number
let shopId: number
let schoolId: number
beforeAll(async () => {
  t = await startTestApp()
  keeper = (await t.signIn({ department: 'police', role: 'clerk' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  viewer = (await t.signIn({ department: 'governance', role: 'viewer' })).agent
  const governance = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  const education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  const features = [SOUTH, NORTH, EAST, LANE].map((r, i) => ({
    type: 'Feature',
    properties: { highway: i === 3 ? 'footway' : 'residential', name: names[i] },
    geometry: { type: 'LineString', coordinates: r.coordinates },
  }))
  await keeper.post('/api/import/roads?source=editing').send({ type: 'FeatureCollection', features }).expect(201)
  schoolId = (
    await education
      .post('/api/schools')
      .send(schoolFeature({ center: at(0, -70), name: '改路测试小学', gates: [GATE] }))
      .expect(201)
  ).body.id
  shopId = (
    await tobacco
      .post('/api/premises')
      .send(premisesFeature({ at: SHOP, name: '巷口烟店', category: 'tobacco_retail' }))
      .expect(201)
  ).body.id
  const rules = await tobacco.get('/api/rules?category=tobacco_retail&schoolType=primary').expect(200)
  await governance
    .put(`/api/rules/${rules.body.rules[0].id}`)
    .send({ origin: 'gates', path: 'walking', reason: '按校门步行距离' })
    .expect(200)
  const lanes = await tobacco.get(`/api/roads?q=${encodeURIComponent('中间小巷')}`).expect(200)
  laneId = lanes.body.features[0].id
})
afterAll(async () => {
  await t?.close()
})

const conflicts = async () =>
  (await tobacco.get(`/api/conflicts?premisesId=${shopId}`).expect(200)).body.conflicts as { schoolId: number; distanceM: number }[]

describe('reading roads', () => {
  it('lists roads as a FeatureCollection filtered by name, kind and box, each with its import and licence', async () => {
    const all = await tobacco.get('/api/roads').expect(200)
    expect(all.body).toMatchObject({ type: 'FeatureCollection', numberMatched: 4, numberReturned: 4 })
    expect(all.body.features[0].properties).toMatchObject({ source: 'editing', licence: 'not stated', walkable: true, drivable: true })
    const footways = await tobacco.get('/api/roads?kind=footway').expect(200)
    expect(footways.body.features.map((f: { properties: { name: string } }) => f.properties.name)).toEqual(['中间小巷'])
    const [w, s] = at(150, -10)
    const [e, n] = at(250, 130)
    const boxed = await tobacco.get(`/api/roads?bbox=${w},${s},${e},${n}`).expect(200)
    expect(boxed.body.features.map((f: { properties: { name: string } }) => f.properties.name).sort()).toEqual(
      ['北街', '南街', '东巷'].sort(),
    )
    const one = await tobacco.get(`/api/roads/${laneId}`).expect(200)
    expect(one.body).toMatchObject({
      type: 'Feature',
      id: laneId,
      properties: { kind: 'footway', name: '中间小巷' },
      geometry: { type: 'LineString' },
    })
    expectErrorBody(await tobacco.get('/api/roads/2000000000'), 404, 'NOT_FOUND')
    expectErrorBody(await tobacco.get('/api/roads?bbox=1,2,3'), 400, 'VALIDATION_FAILED')
  })
})

describe('changing roads', () => {
  it('the lane makes the shop near on foot', async () => {
    const [conflict] = await conflicts()
    expect(conflict).toMatchObject({ schoolId })
    expect(Math.abs(conflict!.distanceM - new WalkingOracle([SOUTH, NORTH, EAST, LANE]).walking(GATE, SHOP)!)).toBeLessThan(0.06)
  })

  it('closing the lane to pedestrians clears the conflict in the same transaction, with the reason in the history', async () => {
    const response = await keeper.patch(`/api/roads/${laneId}`).send({ walkable: false, reason: '小巷封闭施工' }).expect(200)
    expect(response.body.properties).toMatchObject({ walkable: false })
    expect(await conflicts()).toEqual([])
    const { rows } = await sql<{
      action: string
      after: { reason: string }
    }>`select action, after from audit_log where entity_type = 'road' and entity_id = ${String(laneId)} order by id`.execute(t.app.db)
    expect(rows.map((r) => [r.action, r.after.reason])).toEqual([['update', '小巷封闭施工']])
  })

  it('opening it again on a new line brings the conflict back at the oracle’s distance for that line', async () => {
    const moved: OracleRoad = {
      walkable: true,
      coordinates: line([
        [0, 0],
        [-50, 120],
      ]),
    }
    await keeper
      .patch(`/api/roads/${laneId}`)
      .send({ walkable: true, geometry: { type: 'LineString', coordinates: moved.coordinates }, reason: '按实测改线' })
      .expect(200)
    const [conflict] = await conflicts()
    const expected = new WalkingOracle([SOUTH, NORTH, EAST, moved]).walking(GATE, SHOP)!
    expect(expected).toBeLessThan(new WalkingOracle([SOUTH, NORTH, EAST, LANE]).walking(GATE, SHOP)! - 10)
    expect(Math.abs(conflict!.distanceM - expected)).toBeLessThan(0.06)
  })

  it('deleting the lane clears the conflict; the road is gone and its last state is in the history', async () => {
    expectErrorBody(await keeper.delete(`/api/roads/${laneId}`), 400, 'VALIDATION_FAILED')
    await keeper.delete(`/api/roads/${laneId}?reason=${encodeURIComponent('误绘道路')}`).expect(204)
    expect(await conflicts()).toEqual([])
    expectErrorBody(await tobacco.get(`/api/roads/${laneId}`), 404, 'NOT_FOUND')
    const { rows } = await sql<{
      action: string
    }>`select action from audit_log where entity_type = 'road' and entity_id = ${String(laneId)} order by id`.execute(t.app.db)
    expect(rows.map((r) => r.action)).toEqual(['update', 'update', 'delete'])
  })

  it('refuses bad changes naming the field, and other departments, and writes nothing', async () => {
    const [road] = (await tobacco.get('/api/roads?kind=residential&limit=1').expect(200)).body.features
    const patch = (body: object, agent = keeper) => agent.patch(`/api/roads/${road.id}`).send(body)
    const cases: [object, string][] = [
      [{ walkable: false }, 'reason'],
      [{ kind: 'runway', reason: 'x' }, 'kind'],
      [{ geometry: { type: 'LineString', coordinates: [[106, 36]] }, reason: 'x' }, 'geometry/coordinates'],
      [
        {
          geometry: {
            type: 'LineString',
            coordinates: [
              [106, 36],
              [106, 95],
            ],
          },
          reason: 'x',
        },
        'geometry/coordinates/1',
      ],
      [
        {
          geometry: {
            type: 'LineString',
            coordinates: [
              [106, 36],
              [106, 36],
            ],
          },
          reason: 'x',
        },
        'geometry/coordinates',
      ],
      [{ colour: 'red', reason: 'x' }, 'colour'],
    ]
    for (const [body, field] of cases) {
      const response = await patch(body)
      expectErrorBody(response, 400, 'VALIDATION_FAILED')
      expect(JSON.stringify(response.body.details.problems), JSON.stringify(body)).toContain(field)
    }
    expectErrorBody(await patch({ walkable: false, reason: 'x' }, tobacco), 403, 'FORBIDDEN')
    expectErrorBody(await patch({ walkable: false, reason: 'x' }, viewer), 403, 'FORBIDDEN')
    expect((await tobacco.get(`/api/roads/${road.id}`).expect(200)).body).toEqual(road)
  })
})
