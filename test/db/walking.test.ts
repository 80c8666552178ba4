import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { measureWalking, type WalkingOptions } from '../../server/modules/roads/walking.ts'
import { hasPgRouting } from '../../server/modules/roads/repository.ts'
import { GUYUAN, offset } from '../factories/registry.ts'
import { WalkingOracle, type OracleRoad } from '../factories/walking-oracle.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { onServer } from '../helpers/database.ts'

type Position = [number, number]
const C = [GUYUAN.lon, GUYUAN.lat] as const
const at = (east: number, north: number): Position => offset(C, east, north)
const street = (points: [number, number][]) => points.map(([e, n]) => at(e, n))

/**
 * A small town (metres east/north of the centre): two streets 120 m apart joined only at their east end
 * (a walled compound between them), a footway south from the first, and a bridge that passes over the
 * first street without a junction and comes down onto the second.
 */
const ROADS: (OracleRoad & { kind: string; name: string })[] = [
  {
    name: '南街',
    kind: 'residential',
    walkable: true,
    coordinates: street([-400, -300, -200, -100, 0, 100, 200, 300, 400].map((e) => [e, 0])),
  },
  {
    name: '北街',
    kind: 'residential',
    walkable: true,
    coordinates: street([-400, -300, -200, -100, 0, 100, 200, 300, 400].map((e) => [e, 120])),
  },
  {
    name: '东巷',
    kind: 'residential',
    walkable: true,
    coordinates: street([
      [400, 0],
      [400, 60],
      [400, 120],
    ]),
  },
  {
    name: '小路',
    kind: 'footway',
    walkable: true,
    coordinates: street([
      [-100, 0],
      [-100, -75],
      [-100, -150],
    ]),
  },
  {
    name: '高架桥',
    kind: 'primary',
    walkable: true,
    coordinates: street([
      [200, -100],
      [200, 50],
      [200, 120],
    ]),
  },
  {
    name: '快速路',
    kind: 'motorway',
    walkable: false,
    coordinates: street([
      [-400, 60],
      [400, 60],
    ]),
  },
]

let t: TestApp
let governance: TestAgent
let oracle: WalkingOracle
let pgRouting = false
beforeAll(async () => {
  t = await startTestApp()
  governance = (await t.signIn({ department: 'governance', role: 'clerk' })).agent
  const features = ROADS.map((r) => ({
    type: 'Feature',
    properties: { highway: r.kind, name: r.name },
    geometry: { type: 'LineString', coordinates: r.coordinates },
  }))
  await governance.post('/api/import/roads?source=town').send({ type: 'FeatureCollection', features }).expect(201)
  oracle = new WalkingOracle(ROADS)
  pgRouting = await hasPgRouting(t.app.db)
})
afterAll(async () => {
  await t?.close()
})

const engines = (): NonNullable<WalkingOptions['engine']>[] => (onServer() ? ['service', 'pgrouting'] : ['service'])
const GATE = at(0, -10)

describe('walking distance against the independent oracle', () => {
  it('has pgRouting on the server and not embedded', () => {
    expect(pgRouting).toBe(onServer())
  })

  for (const engine of engines()) {
    describe(`${engine} search`, () => {
      const measure = (gates: Position[], point: Position, cutoffM = 5000) => measureWalking(t.app.db, gates, point, { cutoffM, engine })

      it('measures along one street: connector, path and connector, to 1 cm, with the route from gate to door', async () => {
        const shop = at(150, 5)
        const result = await measure([GATE], shop)
        expect(result.measuredBy).toBe('network')
        expect(Math.abs(result.distanceM! - oracle.walking(GATE, shop)!)).toBeLessThan(0.01)
        expect(result.route!.coordinates[0]).toEqual(GATE)
        expect(result.route!.coordinates.at(-1)).toEqual(shop)
        expect(result.straightM).toBeCloseTo(oracle.straight(GATE, shop), 6)
      })

      it('a shop close in a straight line but far on foot walks round the compound', async () => {
        const shop = at(0, 110)
        const result = await measure([GATE], shop)
        expect(result.straightM).toBeLessThan(125)
        expect(result.distanceM!).toBeGreaterThan(900)
        expect(Math.abs(result.distanceM! - oracle.walking(GATE, shop)!)).toBeLessThan(0.01)
        // Within a 200 m limit the search stops early: longer than the limit, so not a conflict.
        expect((await measure([GATE], shop, 200)).distanceM).toBeNull()
      })

      it('follows a footway, and never crosses the motorway, which is not walkable', async () => {
        const shop = at(-100, -120)
        const result = await measure([GATE], shop)
        expect(Math.abs(result.distanceM! - oracle.walking(GATE, shop)!)).toBeLessThan(0.01)
        expect(result.distanceM!).toBeGreaterThan(215)
      })

      it('a bridge over the street does not connect with it: the path goes round by the far street', async () => {
        const shop = at(205, 20)
        const result = await measure([GATE], shop)
        const viaJunction = 10 + 200 + 20 + 5
        expect(result.distanceM!).toBeGreaterThan(viaJunction + 500)
        expect(Math.abs(result.distanceM! - oracle.walking(GATE, shop)!)).toBeLessThan(0.01)
      })

      it('a gate more than 100 m from any walkable road falls back to the straight distance and says so', async () => {
        const gate = at(0, -300)
        const shop = at(-60, -200)
        const result = await measure([gate], shop)
        expect(oracle.walking(gate, shop)).toBeNull()
        expect(result).toMatchObject({
          measuredBy: 'straight_fallback',
          reason: expect.stringMatching(/gate lies more than 100 m/),
          route: null,
        })
        expect(result.distanceM).toBeCloseTo(oracle.straight(gate, shop), 6)
      })

      it('takes the nearest of several gates', async () => {
        const far = at(350, 135)
        const shop = at(300, 125)
        const result = await measure([GATE, far], shop)
        expect(result.gateIndex).toBe(1)
        expect(Math.abs(result.distanceM! - oracle.walking(far, shop)!)).toBeLessThan(0.01)
      })

      it('decides 1 cm and 10 cm either side of a 200 m limit along the path as the oracle does', async () => {
        for (const delta of [-0.1, -0.01, 0.01, 0.1]) {
          // Bisect the shop's position on the street until the oracle puts it 200 m + delta from the gate.
          let lo = 100
          let hi = 300
          for (let i = 0; i < 60; i += 1) {
            const mid = (lo + hi) / 2
            if (oracle.walking(GATE, at(mid, 0))! < 200 + delta) lo = mid
            else hi = mid
          }
          const shop = at((lo + hi) / 2, 0)
          expect(oracle.walking(GATE, shop)! - 200).toBeCloseTo(delta, 4)
          const result = await measure([GATE], shop, 200)
          if (delta < 0) expect(result.distanceM, `${delta} m`).not.toBeNull()
          else expect(result.distanceM, `${delta} m`).toBeNull()
        }
      })
    })
  }

  it('every engine the database offers agrees with the others and with the oracle to 1 cm on every pair (pgRouting on the server)', async () => {
    const shops = [at(150, 5), at(0, 110), at(-100, -120), at(205, 20), at(300, 125), at(-350, 60)]
    for (const shop of shops) {
      const results = await Promise.all(engines().map((engine) => measureWalking(t.app.db, [GATE], shop, { cutoffM: 5000, engine })))
      for (const result of results) {
        expect(Math.abs(result.distanceM! - oracle.walking(GATE, shop)!), JSON.stringify(shop)).toBeLessThan(0.01)
        expect(result.route!.coordinates).toHaveLength(results[0]!.route!.coordinates.length)
      }
    }
  })
})
