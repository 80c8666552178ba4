/**
 * Migration 0010 (the hazard ledger): its checks refuse what the ledger must never hold, one zone_conflict
 * hazard per (premises, school), the ladder and schedules are data, and a down/up round trip works.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { migrateTo, migrateToLatest } from '../../server/db/migrate.ts'
import { GUYUAN, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let schoolId: number
let premisesId: number

beforeAll(async () => {
  t = await startTestApp()
  const { agent } = await t.signIn({ department: 'admin', role: 'admin' })
  schoolId = (
    await agent
      .post('/api/schools')
      .send(schoolFeature({ center: [GUYUAN.lon, GUYUAN.lat] }))
      .expect(201)
  ).body.id
  premisesId = (
    await agent
      .post('/api/premises')
      .send(premisesFeature({ at: [GUYUAN.lon + 0.01, GUYUAN.lat] }))
      .expect(201)
  ).body.id
})
afterAll(async () => {
  await t?.close()
})

const insert = (values: Record<string, unknown>) =>
  t.app.db
    .insertInto('hazards')
    .values({
      school_id: schoolId,
      kind: 'other',
      title: 't',
      source: 'report',
      department: 'governance',
      county_code: '640402',
      ...values,
    } as never)
    .returning('id')
    .executeTakeFirstOrThrow()

it('refuses a hazard in rectification without the five fixed items', async () => {
  await expect(insert({ state: 'rectifying' })).rejects.toMatchObject({ code: '23514' })
  await expect(
    insert({ state: 'rectifying', responsible_party: 'p', measures: 'm', funds: '1', deadline: '2026-01-01', contingency_plan: 'c' }),
  ).resolves.toHaveProperty('id')
})

it('refuses an unknown state and a closing reason on an open hazard', async () => {
  await expect(insert({ state: 'fixed' })).rejects.toMatchObject({ code: '23514' })
  await expect(insert({ close_reason: 'duplicate' })).rejects.toMatchObject({ code: '23514' })
})

it('keeps one zone_conflict hazard per premises and school', async () => {
  await insert({ kind: 'zone_conflict', premises_id: premisesId, source: 'audit' })
  await expect(insert({ kind: 'zone_conflict', premises_id: premisesId, source: 'audit' })).rejects.toMatchObject({ code: '23505' })
  // Other kinds about the same premises are not limited.
  await insert({ kind: 'fire', premises_id: premisesId })
  await insert({ kind: 'fire', premises_id: premisesId })
})

it('ships the escalation ladder and the inspection schedules as data', async () => {
  const steps = await t.app.db.selectFrom('escalation_steps').select(['step', 'days_overdue']).orderBy('rank').execute()
  expect(steps.map((s) => s.step)).toEqual(['notice', 'ordered', 'listed'])
  expect(steps[0]!.days_overdue).toBeLessThan(steps[1]!.days_overdue)
  const schedules = await t.app.db
    .selectFrom('inspection_schedules')
    .select(['level', 'every'])
    .where('school_id', 'is', null)
    .orderBy('id')
    .execute()
  expect(schedules).toEqual([
    { level: 'school', every: 'daily' },
    { level: 'township', every: 'weekly' },
    { level: 'county', every: 'monthly' },
  ])
})

it('goes down and up again', async () => {
  await migrateTo(t.app.db, '0008_road_tiles')
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_tables where tablename like 'hazard%'`.execute(t.app.db)
  expect(rows[0]!.n).toBe(0)
  await migrateToLatest(t.app.db)
  expect(await t.app.db.selectFrom('hazards').select('id').execute()).toEqual([])
})
