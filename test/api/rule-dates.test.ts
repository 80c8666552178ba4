/**
 * A rule's dates take effect on their day (China Standard Time), not at the next audit: when a rule's effectiveFrom
 * arrives its conflicts appear, when its effectiveTo arrives they go, each once, with an audit-log entry, however
 * many instances run the schedule. The calendar is moved by moving the dates a day back (the clock cannot be).
 */
import type TestAgent from 'supertest/lib/agent.js'
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { applyRuleDates } from '../../server/modules/zones/schedule.ts'
import { GUYUAN, offset, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let admin: TestAgent
let governance: TestAgent
let ruleId: number
let premisesId: number

const chinaDate = (daysAhead: number) => new Date(Date.now() + 8 * 3600_000 + daysAhead * 86_400_000).toISOString().slice(0, 10)

beforeAll(async () => {
  t = await startTestApp()
  admin = (await t.signIn({ department: 'admin', role: 'admin' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  const centre = [GUYUAN.lon, GUYUAN.lat]
  expect((await admin.post('/api/schools').send(schoolFeature({ center: centre, name: '日期小学' }))).status).toBe(201)
  const premises = await admin
    .post('/api/premises')
    .send(premisesFeature({ at: offset(centre, 120, 0), name: '日期网吧', category: 'internet_cafe', licenceNo: 'RD-1' }))
  expect(premises.status, JSON.stringify(premises.body)).toBe(201)
  premisesId = premises.body.id
  const rules = await admin.get('/api/rules?category=internet_cafe&schoolType=primary')
  ruleId = rules.body.rules[0].id
})
afterAll(async () => {
  await t?.close()
})

const conflictCount = async () => {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from conflicts where premises_id = ${premisesId}`.execute(t.app.db)
  return rows[0]!.n
}
const dateEntries = async () => {
  const { rows } = await sql<{ reason: string }>`select after->>'reason' as reason from audit_log
    where entity_type = 'rule' and entity_id = ${String(ruleId)} and user_id is null order by id`.execute(t.app.db)
  return rows.map((r) => r.reason)
}
/** As if the schedule last ran yesterday: the calendar has turned since. */
const lastRanYesterday = () =>
  sql`update app_settings set value = to_jsonb(${chinaDate(-1)}::text) where key = 'rules_applied_on'`.execute(t.app.db)

it('a rule whose effectiveFrom arrives comes into force that day, once, with an audit entry', async () => {
  expect(await conflictCount()).toBe(1)
  const rule = (await admin.get(`/api/rules/${ruleId}`)).body.rule
  // Moved to start tomorrow: not in force today, so its conflict goes at once.
  const moved = await governance
    .put(`/api/rules/${ruleId}`)
    .send({ version: rule.version, effectiveFrom: chinaDate(1), reason: '新规定明日起施行' })
  expect(moved.status, JSON.stringify(moved.body)).toBe(200)
  expect(moved.body.inForce).toBe(false)
  expect(await conflictCount()).toBe(0)
  // The service applied today's dates when it started; nothing more is due today.
  expect(await applyRuleDates(t.app.db)).toEqual([])

  // A day later: tomorrow is today.
  await sql`update rules set effective_from = ${chinaDate(0)}::date where id = ${ruleId}`.execute(t.app.db)
  await lastRanYesterday()
  const [first, second] = await Promise.all([applyRuleDates(t.app.db), applyRuleDates(t.app.db)])
  const applied = [first, second].filter((r) => r !== null && r.length > 0)
  expect(applied).toHaveLength(1)
  expect(applied[0]).toEqual([{ ruleId, category: 'internet_cafe', schoolType: 'primary', inForce: true, on: chinaDate(0) }])
  expect(await conflictCount()).toBe(1)
  expect(await dateEntries()).toEqual([`effectiveFrom ${chinaDate(0)} arrived: the rule is in force`])
  expect((await admin.get(`/api/rules/${ruleId}`)).body.rule.inForce).toBe(true)
  // Run again the same day: nothing.
  expect(await applyRuleDates(t.app.db)).toEqual([])
  expect(await dateEntries()).toHaveLength(1)
})

it('a rule whose effectiveTo arrives lapses that day, and a stopped service catches up on the days it missed', async () => {
  await sql`update rules set effective_from = ${chinaDate(-5)}::date, effective_to = ${chinaDate(0)}::date where id = ${ruleId}`.execute(
    t.app.db,
  )
  // The schedule last ran three days ago: effectiveTo fell in between.
  await sql`update app_settings set value = to_jsonb(${chinaDate(-3)}::text) where key = 'rules_applied_on'`.execute(t.app.db)
  const changes = await applyRuleDates(t.app.db)
  expect(changes).toEqual([{ ruleId, category: 'internet_cafe', schoolType: 'primary', inForce: false, on: chinaDate(0) }])
  expect(await conflictCount()).toBe(0)
  expect((await dateEntries()).at(-1)).toBe(`effectiveTo ${chinaDate(0)} arrived: the rule lapsed`)
  // Back in force through the API applies at once, without the schedule.
  const rule = (await admin.get(`/api/rules/${ruleId}`)).body.rule
  const back = await governance.put(`/api/rules/${ruleId}`).send({ version: rule.version, effectiveTo: null, reason: '继续施行' })
  expect(back.status, JSON.stringify(back.body)).toBe(200)
  expect(await conflictCount()).toBe(1)
})
