/**
 * The incremental audit: what changed since the last complete audit is noted by triggers in the database, so
 * SQL written behind the service's back is caught as surely as writes through it; only that is recomputed, and
 * the stored conflicts and zones are checked against their digests. Each test ends by running a full audit,
 * which must then find nothing left to change: the incremental audit left exactly what a full one computes.
 */
import { sql } from 'kysely'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAudit as runAuditNow, startAudit } from '../../server/modules/audits/service.ts'
import { GUYUAN, offset, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let education: TestAgent
let tobacco: TestAgent
let governance: TestAgent

// A corner of 原州区 of its own.
const CENTRE = offset([GUYUAN.lon, GUYUAN.lat], 7000, -5000)
const schools: number[] = []
const premises: number[] = []

let serial = 0
async function school(center: readonly number[]) {
  serial += 1
  const id = (
    await education
      .post('/api/schools')
      .send(schoolFeature({ center, name: `增量审计学校${serial}` }))
      .expect(201)
  ).body.id as number
  schools.push(id)
  return id
}
async function shop(at: readonly number[], category = 'tobacco_retail') {
  serial += 1
  const response = await tobacco
    .post('/api/premises')
    .send(premisesFeature({ at, category, licenceNo: `ZL-${serial}`, name: `增量审计场所${serial}` }))
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  premises.push(response.body.id)
  return response.body.id as number
}

async function audit(full = false) {
  const started = await startAudit(t.database.db, { user: null, requestId: 'test' }, { full })
  return runAuditNow(t.database.db, started.id, undefined, t.database.kind)
}

/** A full audit finds nothing to change: what is stored is exactly what a recomputation of everything gives. */
async function expectFullAuditClean() {
  const done = await audit(true)
  expect(done.summary).toMatchObject({ mode: 'full', added: 0, removed: 0, changed: 0 })
}

const conflictsOf = async (schoolId: number) =>
  (
    await sql<{
      premises_id: number
      band: string
    }>`select premises_id, band from conflicts where school_id = ${schoolId} order by premises_id`.execute(t.database.db)
  ).rows

/** Every stored row of the tables an audit may write, with its version (xmin) and place (ctid). */
const written = async () => {
  const rows = async (table: string) =>
    (
      await sql<{ r: string }>`select ctid::text || '@' || xmin::text as r from ${sql.table(table)} order by 1`.execute(t.database.db)
    ).rows.map((r) => r.r)
  return {
    conflicts: await rows('conflicts'),
    zones: await rows('school_zones'),
    hazards: await rows('hazards'),
    events: await rows('hazard_events'),
    staged: await rows('audit_pairs'),
  }
}

/** Runs `statement` with every trigger of `table` off, as a restore or a replica might write. */
async function withTriggersOff(table: string, statement: ReturnType<typeof sql>) {
  const db = t.database.db
  await sql`alter table ${sql.table(table)} disable trigger user`.execute(db)
  try {
    await statement.execute(db)
  } finally {
    await sql`alter table ${sql.table(table)} enable trigger user`.execute(db)
  }
}

beforeAll(async () => {
  t = await startTestApp()
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  for (const [i, centre] of [CENTRE, offset(CENTRE, 3000, 0), offset(CENTRE, 0, 3000)].entries()) {
    await school(centre)
    await shop(offset(centre, 100, 0))
    await shop(offset(centre, 0, 120 + i * 10))
    await shop(offset(centre, 400, 0))
  }
})
afterAll(async () => {
  for (let i = 0; i < 300; i += 1) {
    const audits = (await governance.get('/api/audits')).body.audits as { status: string }[]
    if (audits.every((a) => a.status !== 'running')) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await t?.close()
})

describe('incremental audit', () => {
  it('recomputes everything when there is no complete audit to start from, then only what changed', async () => {
    const first = await audit()
    expect(first.summary).toMatchObject({ mode: 'full', basis: 'no complete audit to start from', added: 0, removed: 0, changed: 0 })
    const again = await audit()
    expect(again.summary).toMatchObject({
      mode: 'incremental',
      basis: '0 schools, 0 premises, 0 rule scopes recomputed',
      added: 0,
      removed: 0,
      changed: 0,
    })
    expect(again.summary!.conflicts).toBe(first.summary!.conflicts)
    expect(first.summary!.conflicts).toBeGreaterThanOrEqual(6)
  })

  it('writes no conflict, zone or hazard row and recomputes nothing when the registry is unchanged', async () => {
    await audit()
    const before = await written()
    const done = await audit()
    expect(done.summary).toMatchObject({ mode: 'incremental', basis: '0 schools, 0 premises, 0 rule scopes recomputed' })
    expect(await written()).toEqual(before)
  })

  it('catches premises moved into and out of a zone by SQL behind the service', async () => {
    const db = t.database.db
    const [inside, , outside] = premises as [number, number, number]
    const schoolId = schools[0]!
    const before = await conflictsOf(schoolId)
    expect(before.map((r) => r.premises_id)).toContain(inside)
    expect(before.map((r) => r.premises_id)).not.toContain(outside)
    // Swap them: the one inside goes 400 m east, the one outside comes to 100 m.
    const [east, near] = [offset(CENTRE, 400, 0), offset(CENTRE, 100, 0)]
    await sql`update premises set geom = ST_SetSRID(ST_MakePoint(${east[0]}, ${east[1]}), 4326) where id = ${inside}`.execute(db)
    await sql`update premises set geom = ST_SetSRID(ST_MakePoint(${near[0]}, ${near[1]}), 4326) where id = ${outside}`.execute(db)
    const done = await audit()
    expect(done.summary).toMatchObject({
      mode: 'incremental',
      basis: '0 schools, 2 premises, 0 rule scopes recomputed',
      added: 1,
      removed: 1,
    })
    const after = (await conflictsOf(schoolId)).map((r) => r.premises_id)
    expect(after).toContain(outside)
    expect(after).not.toContain(inside)
    await expectFullAuditClean()
  })

  it('catches a school campus moved by SQL, with its zones redrawn', async () => {
    const db = t.database.db
    const schoolId = schools[1]!
    const zonesOf = async () =>
      (
        await sql<{
          wkb: string
        }>`select encode(ST_AsEWKB(geom), 'hex') as wkb from school_zones where school_id = ${schoolId} order by band_index`.execute(db)
      ).rows
    const zonesBefore = await zonesOf()
    expect((await conflictsOf(schoolId)).length).toBe(2)
    // 1 km north: its premises are left behind.
    await sql`update schools set geom = ST_Translate(geom, 0, 0.009) where id = ${schoolId}`.execute(db)
    const done = await audit()
    expect(done.summary).toMatchObject({ mode: 'incremental', basis: '1 schools, 0 premises, 0 rule scopes recomputed', removed: 2 })
    expect(await conflictsOf(schoolId)).toEqual([])
    expect(await zonesOf()).not.toEqual(zonesBefore)
    await expectFullAuditClean()
    await sql`update schools set geom = ST_Translate(geom, 0, -0.009) where id = ${schoolId}`.execute(db)
    expect((await audit()).summary).toMatchObject({ mode: 'incremental', added: 2 })
    expect(await zonesOf()).toEqual(zonesBefore)
  })

  it('catches a rule changed by SQL, and a rule whose effective date arrived without any write', async () => {
    const db = t.database.db
    const { rows } = await sql<{ id: number; limit_m: number }>`select id, limit_m from rules
      where category = 'tobacco_retail' and school_type = (select school_type from schools where id = ${schools[2]!})`.execute(db)
    const rule = rows[0]!
    const before = await conflictsOf(schools[2]!)
    expect(before.length).toBe(2)
    // 110 m: the premises 130 m north of the third school's centre (90 m beyond its campus) is still in, the one at 100 m east (40 m beyond) too.
    await sql`update rules set limit_m = 50 where id = ${rule.id}`.execute(db)
    const narrowed = await audit()
    expect(narrowed.summary).toMatchObject({ mode: 'incremental', basis: '0 schools, 0 premises, 1 rule scopes recomputed' })
    expect((await conflictsOf(schools[2]!)).length).toBe(1)
    await expectFullAuditClean()
    await sql`update rules set limit_m = ${rule.limit_m} where id = ${rule.id}`.execute(db)
    expect((await audit()).summary).toMatchObject({ mode: 'incremental' })
    expect(await conflictsOf(schools[2]!)).toEqual(before)

    // The rule lapses by the calendar: its effectiveTo is in the past, and no trigger noted anything (as when
    // the day simply arrives). The rules in force differ from those the last audit computed with.
    await withTriggersOff(
      'rules',
      sql`update rules set effective_to = current_date - 1, effective_from = current_date - 10 where id = ${rule.id}`,
    )
    const lapsed = await audit()
    expect(lapsed.summary).toMatchObject({ mode: 'incremental', basis: '0 schools, 0 premises, 1 rule scopes recomputed' })
    for (const id of schools) expect(await conflictsOf(id)).toEqual([])
    await expectFullAuditClean()
    await withTriggersOff('rules', sql`update rules set effective_to = null where id = ${rule.id}`)
    expect((await audit()).summary).toMatchObject({ mode: 'incremental', removed: 0 })
    expect(await conflictsOf(schools[2]!)).toEqual(before)
  })

  it('restores a conflict row deleted or altered by SQL (noted by the triggers)', async () => {
    const db = t.database.db
    const before = await conflictsOf(schools[0]!)
    const [gone, altered] = before as [{ premises_id: number; band: string }, { premises_id: number; band: string }]
    await sql`delete from conflicts where premises_id = ${gone.premises_id} and school_id = ${schools[0]!}`.execute(db)
    await sql`update conflicts set band = ${altered.band === 'core' ? 'control' : 'core'} where premises_id = ${altered.premises_id}`.execute(
      db,
    )
    const done = await audit()
    expect(done.summary).toMatchObject({
      mode: 'incremental',
      basis: '0 schools, 2 premises, 0 rule scopes recomputed',
      added: 1,
      changed: 1,
    })
    expect(await conflictsOf(schools[0]!)).toEqual(before)
  })

  it('catches conflict and zone rows written with the triggers off (their digests differ) by recomputing everything', async () => {
    const db = t.database.db
    const before = await conflictsOf(schools[1]!)
    expect(before.length).toBeGreaterThan(0)
    await withTriggersOff('conflicts', sql`delete from conflicts where school_id = ${schools[1]!}`)
    const done = await audit()
    expect(done.summary).toMatchObject({
      mode: 'full',
      basis: 'the stored conflicts or zones are not what their digests say (written with the triggers off)',
      added: before.length,
    })
    expect(await conflictsOf(schools[1]!)).toEqual(before)

    await withTriggersOff(
      'school_zones',
      sql`update school_zones set outer_m = outer_m + 1 where school_id = ${schools[2]!} and band_index = 1`,
    )
    expect((await audit()).summary).toMatchObject({ mode: 'full' })
    const { rows } = await sql<{
      n: number
    }>`select count(*)::int as n from school_zones where school_id = ${schools[2]!} and band_index = 1
      and outer_m = (select limit_m from rules where category = 'tobacco_retail' limit 1) + 1`.execute(db)
    expect(rows[0]!.n).toBe(0)
    // Settled again: the next audit is incremental.
    expect((await audit()).summary).toMatchObject({ mode: 'incremental' })
  })

  it('recomputes everything after a table was emptied', async () => {
    const db = t.database.db
    const count = (await audit()).summary!.conflicts
    await sql`truncate audit_pairs, conflicts`.execute(db)
    const done = await audit()
    expect(done.summary).toMatchObject({ mode: 'full', added: count })
  })

  it('runs a full audit when asked through HTTP, and names the field of a bad body', async () => {
    const started = await governance.post('/api/audits').send({ full: true }).expect(202)
    for (let i = 0; i < 600; i += 1) {
      const body = (await governance.get(`/api/audits/${started.body.id}`).expect(200)).body
      if (body.status !== 'running') {
        expect(body).toMatchObject({ status: 'done', summary: { mode: 'full', basis: 'asked for', added: 0, removed: 0, changed: 0 } })
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const bad = await governance.post('/api/audits').send({ full: 'yes' })
    expectErrorBody(bad, 400, 'VALIDATION_FAILED')
    expect(JSON.stringify(bad.body)).toContain('full')
    expectErrorBody(await governance.post('/api/audits').send({ fully: true }), 400, 'VALIDATION_FAILED')
    const plain = await governance.post('/api/audits').expect(202)
    for (let i = 0; i < 600; i += 1) {
      const body = (await governance.get(`/api/audits/${plain.body.id}`).expect(200)).body
      if (body.status !== 'running') {
        expect(body).toMatchObject({ status: 'done', summary: { mode: 'incremental' } })
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })
})
