/**
 * A daily plan for 原州区 on the demo data (its generated streets and about 230 schools) with twelve units
 * of two stations, through HTTP, accepted by the independent checker; and the demo's plan for today.
 */
import { sql } from 'kysely'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { loadDemoData } from '../../server/modules/demo/load.ts'
import { planTodayForDemo, todayInChina } from '../../server/modules/patrol/plans/demo.ts'
import { insertStation, insertUnit } from '../factories/patrol-plans.ts'
import { GUYUAN, offset } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { checkPlan, type CheckedPlan } from '../helpers/patrol-checker.ts'

let t: TestApp
let police: TestAgent
const CENTRE = [GUYUAN.lon, GUYUAN.lat] as const

beforeAll(async () => {
  t = await startTestApp()
  await loadDemoData(t.app.db, 'demo password for tests')
  police = (await t.signIn({ department: 'police', role: 'supervisor', countyCode: '640402' })).agent
  // The built-up area of the city, for this test: schools whose campus lies within 5 km of the centre.
  await sql`update schools set urban = true, urban_source = 'registry'
    where county_code = '640402' and ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(${CENTRE[0]}::float8, ${CENTRE[1]}::float8), 4326)::geography, 5000)`.execute(
    t.app.db,
  )
  const stations = [
    await insertStation(t.app.db, { name: '示例城区派出所', countyCode: '640402', at: offset(CENTRE, -400, 200) }),
    await insertStation(t.app.db, { name: '示例东关派出所', countyCode: '640402', at: offset(CENTRE, 1500, -600) }),
  ]
  for (let k = 0; k < 12; k += 1) {
    const stationId = stations[k % 2]!
    const foot = k % 3 === 2
    await insertUnit(t.app.db, {
      name: `${k % 2 === 0 ? '城区' : '东关'}${foot ? '步巡' : '车巡'}${k + 1}组`,
      stationId,
      mode: foot ? 'foot' : 'car',
      shiftStart: k < 6 ? '07:00' : '09:00',
      shiftEnd: foot ? (k < 6 ? '15:00' : '17:00') : k < 6 ? '17:00' : '19:00',
      base: k % 2 === 0 ? offset(CENTRE, -400, 200) : offset(CENTRE, 1500, -600),
    })
  }
}, 600_000)
afterAll(async () => {
  await t?.close()
})

it('plans 原州区 on the demo streets, and the independent checker accepts the plan', async () => {
  const response = await police.post('/api/patrol/plans').send({ date: '2026-12-02', countyCode: '640402' })
  expect(response.status, JSON.stringify(response.body).slice(0, 500)).toBe(201)
  const plan = response.body as CheckedPlan & { solver: Record<string, unknown>; nearestNeighbourM: number }
  expect(plan.units).toHaveLength(12)
  expect(plan.schools.length).toBeGreaterThan(200)
  const urban = plan.schools.filter((s) => s.urban)
  expect(urban.length).toBeGreaterThan(50)
  expect(await checkPlan(t.app.db, plan)).toEqual([])
  // Twelve units hold at most twelve posts a window; the rest are listed, every one with its reason.
  const posts = plan.units.flatMap((u) => u.stops.filter((s) => s.kind === 'post'))
  expect(posts.length).toBeGreaterThan(0)
  expect(posts.length + plan.unmet.filter((u) => u.kind === 'post').length).toBe(urban.length * 2)
  const visits = plan.units.flatMap((u) => u.stops.filter((s) => s.kind === 'visit'))
  expect(visits.length + plan.unmet.filter((u) => u.kind === 'visit').length).toBe(urban.length * 2)
  expect(plan.lowerBoundM).toBeLessThanOrEqual(plan.lengthM)
}, 600_000)

it("makes the demo's plan for today once", async () => {
  const now = new Date()
  const made = await planTodayForDemo(t.app.db, () => {}, now)
  expect(made).toHaveLength(1)
  expect(await planTodayForDemo(t.app.db, () => {}, now)).toEqual([])
  const plan = await police.get(`/api/patrol/plans/${made[0]}`).expect(200)
  expect(plan.body).toMatchObject({ date: todayInChina(now), countyCode: '640402', stationId: null })
  expect(await checkPlan(t.app.db, plan.body)).toEqual([])
}, 600_000)
