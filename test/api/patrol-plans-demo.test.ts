/**
 * A daily plan for 原州区 on the demo data (its generated streets, about 230 schools, the urban ones those inside the
 * demo's built-up areas, and the demo's stations and units), through HTTP, accepted by the independent checker; and
 * the demo's own plan of the day it was loaded, made once.
 */
import { sql } from 'kysely'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { loadDemoData } from '../../server/modules/demo/load.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { checkPlan, type CheckedPlan } from '../helpers/patrol-checker.ts'

let t: TestApp
let police: TestAgent
const todayCst = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)

beforeAll(async () => {
  t = await startTestApp()
  await loadDemoData(t.app.db, 'demo password for tests')
  police = (await t.signIn({ department: 'police', role: 'supervisor', countyCode: '640402' })).agent
}, 600_000)
afterAll(async () => {
  await t?.close()
})

it('plans 原州区 on the demo streets, and the independent checker accepts the plan', async () => {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from patrol_units u join police_stations s on s.id = u.station_id
    where u.active and s.county_code = '640402'`.execute(t.app.db)
  const response = await police.post('/api/patrol/plans').send({ date: '2026-12-02', countyCode: '640402' })
  expect(response.status, JSON.stringify(response.body).slice(0, 500)).toBe(201)
  const plan = response.body as CheckedPlan & { solver: Record<string, unknown>; nearestNeighbourM: number }
  expect(plan.units).toHaveLength(rows[0]!.n)
  expect(plan.schools.length).toBeGreaterThan(200)
  const urban = plan.schools.filter((s) => s.urban)
  expect(urban.length).toBeGreaterThan(30)
  expect(await checkPlan(t.app.db, plan)).toEqual([])
  // A unit holds one post a window; the posts no unit is free for are listed, every one with its reason.
  const posts = plan.units.flatMap((u) => u.stops.filter((s) => s.kind === 'post'))
  expect(posts.length).toBeGreaterThan(0)
  expect(posts.length + plan.unmet.filter((u) => u.kind === 'post').length).toBe(urban.length * 2)
  const visits = plan.units.flatMap((u) => u.stops.filter((s) => s.kind === 'visit'))
  expect(visits.length + plan.unmet.filter((u) => u.kind === 'visit').length).toBe(urban.length * 2)
  expect(plan.unmet.every((u) => u.reason.length > 0)).toBe(true)
  expect(plan.lowerBoundM).toBeLessThanOrEqual(plan.lengthM)
}, 600_000)

it("the demo holds the day's plan for 原州区, made once, which the checker accepts", async () => {
  const mark = await t.app.db.selectFrom('app_settings').select('value').where('key', '=', 'demo_patrol_plan').executeTakeFirstOrThrow()
  const planId = (mark.value as { planId: number }).planId
  const count = async () => (await t.app.db.selectFrom('patrol_plans').select('id').execute()).length
  const before = await count()
  await loadDemoData(t.app.db, 'demo password for tests')
  expect(await count()).toBe(before)
  const plan = await police.get(`/api/patrol/plans/${planId}`).expect(200)
  expect(plan.body).toMatchObject({ date: todayCst(), countyCode: '640402', stationId: null })
  expect(await checkPlan(t.app.db, plan.body)).toEqual([])
}, 600_000)
