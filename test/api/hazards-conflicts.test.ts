/**
 * The hook between zoning and the ledger: every new conflict, from registry upkeep or a full audit, opens one
 * zone_conflict hazard per (premises, school); a cleared conflict is noted on it and the hazard stays; a
 * conflict that comes back opens no second one.
 */
import { sql } from 'kysely'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GUYUAN, offset, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let education: TestAgent
let tobacco: TestAgent
let lotterySports: TestAgent
let culture: TestAgent
let governance: TestAgent

// A corner of 原州区 of its own, far from the other test files' points.
const CENTRE = offset([GUYUAN.lon, GUYUAN.lat], -6000, -4000)

beforeAll(async () => {
  t = await startTestApp()
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  lotterySports = (await t.signIn({ department: 'lottery_sports', role: 'clerk' })).agent
  culture = (await t.signIn({ department: 'culture', role: 'clerk' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
})
afterAll(async () => {
  // The audit below runs in the background: let it finish before the database closes.
  for (let i = 0; i < 300; i += 1) {
    const audits = (await governance.get('/api/audits')).body.audits as { status: string }[]
    if (audits.every((a) => a.status !== 'running')) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await t?.close()
})

let serial = 0
async function school(center: readonly number[]) {
  serial += 1
  return (
    await education
      .post('/api/schools')
      .send(schoolFeature({ center, name: `冲突隐患学校${serial}` }))
      .expect(201)
  ).body.id as number
}
async function premises(agent: TestAgent, at: readonly number[], category = 'tobacco_retail') {
  serial += 1
  const response = await agent
    .post('/api/premises')
    .send(premisesFeature({ at, category, licenceNo: `HZ-${serial}`, name: `冲突隐患场所${serial}` }))
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body.id as number
}
const zoneHazards = async (premisesId: number | null, schoolId: number) =>
  (await governance.get(`/api/hazards?kind=zone_conflict&schoolId=${schoolId}&limit=1000`).expect(200)).body.hazards.filter(
    (h: { premisesId: number | null }) => premisesId === null || h.premisesId === premisesId,
  ) as {
    id: number
    state: string
    source: string
    department: string
    premisesId: number | null
    conflictClearedAt: string | null
    countyCode: string
  }[]
const actionsOf = async (id: number) =>
  ((await governance.get(`/api/hazards/${id}`).expect(200)).body.events as { action: string }[]).map((e) => e.action)

describe('registry upkeep', () => {
  it('opens one zone_conflict hazard for new premises in a school zone, for the licensing department', async () => {
    const schoolId = await school(CENTRE)
    const premisesId = await premises(tobacco, offset(CENTRE, 100, 0))
    const [hazard, ...more] = await zoneHazards(premisesId, schoolId)
    expect(more).toEqual([])
    expect(hazard).toMatchObject({
      state: 'warning',
      source: 'audit',
      department: 'tobacco',
      countyCode: '640402',
      conflictClearedAt: null,
    })
    expect(await actionsOf(hazard!.id)).toEqual(['create'])
    // The licensing department reads it; another does not.
    expect((await tobacco.get(`/api/hazards/${hazard!.id}`)).status).toBe(200)
    expect((await culture.get(`/api/hazards/${hazard!.id}`)).status).toBe(404)
  })

  it('opens one for a new school beside existing premises, and nothing for premises outside every zone', async () => {
    const at = offset(CENTRE, 0, 3000)
    const premisesId = await premises(tobacco, offset(at, 110, 0))
    const far = await premises(tobacco, offset(at, 1500, 0))
    const schoolId = await school(at)
    expect(await zoneHazards(premisesId, schoolId)).toHaveLength(1)
    expect(await zoneHazards(far, schoolId)).toHaveLength(0)
  })

  it('lets every department licensing the category read a lottery conflict', async () => {
    const at = offset(CENTRE, 0, 6000)
    const schoolId = await school(at)
    const premisesId = await premises(lotterySports, offset(at, 100, 0), 'lottery_outlet')
    const [hazard] = await zoneHazards(premisesId, schoolId)
    expect(hazard!.department).toBe('lottery_welfare')
    expect((await lotterySports.get(`/api/hazards/${hazard!.id}`)).status).toBe(200)
  })

  it('notes a cleared conflict on its hazard, which stays; a conflict that comes back opens no second one', async () => {
    const at = offset(CENTRE, 0, 9000)
    const schoolId = await school(at)
    const premisesId = await premises(tobacco, offset(at, 100, 0))
    const [hazard] = await zoneHazards(premisesId, schoolId)
    const away = offset(at, 2000, 0)
    await tobacco
      .patch(`/api/premises/${premisesId}`)
      .send({ geometry: { type: 'Point', coordinates: away } })
      .expect(200)
    const [cleared, ...none] = await zoneHazards(premisesId, schoolId)
    expect(none).toEqual([])
    expect(cleared).toMatchObject({ id: hazard!.id, state: 'warning' })
    expect(cleared!.conflictClearedAt).not.toBeNull()
    await tobacco
      .patch(`/api/premises/${premisesId}`)
      .send({ geometry: { type: 'Point', coordinates: offset(at, 90, 0) } })
      .expect(200)
    const back = await zoneHazards(premisesId, schoolId)
    expect(back).toHaveLength(1)
    expect(back[0]).toMatchObject({ id: hazard!.id, conflictClearedAt: null })
    expect(await actionsOf(hazard!.id)).toEqual(['create', 'conflict_cleared', 'conflict_returned'])
  })

  it('notes the conflicts a rule change clears', async () => {
    const at = offset(CENTRE, 0, 12000)
    const schoolId = await school(at)
    // 150 m from the campus centre: 90 m from its boundary, cleared by a 60 m limit.
    const premisesId = await premises(culture, offset(at, 150, 0), 'internet_cafe')
    const [hazard] = await zoneHazards(premisesId, schoolId)
    const rule = (await governance.get('/api/rules').query({ category: 'internet_cafe', schoolType: 'primary' }).expect(200)).body.rules[0]
    await governance.put(`/api/rules/${rule.id}`).send({ limitM: 60, reason: '试行缩小', version: rule.version }).expect(200)
    expect((await zoneHazards(premisesId, schoolId))[0]!.conflictClearedAt).not.toBeNull()
    expect(await actionsOf(hazard!.id)).toEqual(['create', 'conflict_cleared'])
  })

  it('keeps the hazard of deleted premises, its conflict noted cleared', async () => {
    const at = offset(CENTRE, 0, 15000)
    const schoolId = await school(at)
    const premisesId = await premises(tobacco, offset(at, 100, 0))
    const [hazard] = await zoneHazards(premisesId, schoolId)
    await tobacco.delete(`/api/premises/${premisesId}`).expect(204)
    const kept = (await governance.get(`/api/hazards/${hazard!.id}`).expect(200)).body
    expect(kept).toMatchObject({ premisesId: null, kind: 'zone_conflict' })
    expect(kept.conflictClearedAt).not.toBeNull()
  })
})

describe('a full audit', () => {
  it('opens hazards for the conflicts it finds new and notes those it removes, in its own transaction', async () => {
    const at = offset(CENTRE, 0, 18000)
    const schoolId = await school(at)
    const found = await premises(tobacco, offset(at, 100, 0))
    const stray = await premises(tobacco, offset(at, 3000, 0))
    const db = t.app.db
    // A conflict the registry lost with its hazard (the audit must find it again), and a stale one it must remove.
    await sql`delete from conflicts where premises_id = ${found}`.execute(db)
    await sql`delete from hazards where premises_id = ${found}`.execute(db)
    await sql`insert into conflicts (premises_id, school_id, rule_id, rule_version, band) select ${stray}, ${schoolId}, id, version, 'core' from rules limit 1`.execute(
      db,
    )
    await sql`insert into hazards (school_id, premises_id, kind, title, source, department, county_code)
      values (${schoolId}, ${stray}, 'zone_conflict', '陈旧冲突', 'audit', 'tobacco', '640402')`.execute(db)
    const started = await governance.post('/api/audits').expect(202)
    let audit = started.body
    for (let i = 0; i < 600 && audit.status === 'running'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      audit = (await governance.get(`/api/audits/${started.body.id}`).expect(200)).body
    }
    expect(audit.status).toBe('done')
    expect(await zoneHazards(found, schoolId)).toHaveLength(1)
    const [staleHazard] = await zoneHazards(stray, schoolId)
    expect(staleHazard!.conflictClearedAt).not.toBeNull()
    // Every conflict has its hazard, once.
    const { rows } = await sql<{ missing: number; doubled: number }>`select
        (select count(*)::int from conflicts c where not exists (select 1 from hazards h where h.kind = 'zone_conflict' and h.premises_id = c.premises_id and h.school_id = c.school_id)) as missing,
        (select count(*)::int from (select premises_id, school_id from hazards where kind = 'zone_conflict' and premises_id is not null group by 1, 2 having count(*) > 1) d) as doubled`.execute(
      db,
    )
    expect(rows[0]).toEqual({ missing: 0, doubled: 0 })
  })
})
