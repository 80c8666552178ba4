/**
 * The hazard ledger through HTTP: opening, listing and reading hazards, walking the loop of §4 with the right
 * people, the refusals (order, roles, five fixed items, four eyes, stale version), extensions, closing without
 * rectification, taking over a ledger's states and dates, who may read what, and the audit log of every move.
 */
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cstDay, FIVE_FIXED, hazardBody, png, registerSchool } from '../factories/hazards.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let education: TestAgent
let emergency: TestAgent
let emergencyOther: TestAgent
let emergencySupervisor: TestAgent
let governance: TestAgent
let governanceSupervisor: TestAgent
let culture: TestAgent
let viewer: TestAgent
let xijiEmergency: TestAgent
let schoolId: number

beforeAll(async () => {
  t = await startTestApp()
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  emergency = (await t.signIn({ department: 'emergency', role: 'clerk' })).agent
  emergencyOther = (await t.signIn({ department: 'emergency', role: 'clerk' })).agent
  emergencySupervisor = (await t.signIn({ department: 'emergency', role: 'supervisor' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'clerk' })).agent
  governanceSupervisor = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  culture = (await t.signIn({ department: 'culture', role: 'clerk' })).agent
  viewer = (await t.signIn({ department: 'governance', role: 'viewer' })).agent
  xijiEmergency = (await t.signIn({ department: 'emergency', role: 'clerk', countyCode: '640422' })).agent
  schoolId = await registerSchool(education)
})
afterAll(async () => {
  await t?.close()
})

async function open(agent: TestAgent = emergency, extra: Record<string, unknown> = {}) {
  const response = await agent.post('/api/hazards').send(hazardBody(schoolId, extra))
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body as { id: number; version: number; state: string }
}
async function move(agent: TestAgent, id: number, body: Record<string, unknown>, status = 200) {
  const current = (await governance.get(`/api/hazards/${id}`).expect(200)).body
  const response = await agent.post(`/api/hazards/${id}/transitions`).send({ version: current.version, ...body })
  expect(response.status, JSON.stringify(response.body)).toBe(status)
  return response.body
}
/** Walks a new hazard up to rectifying with a deadline `days` from today. */
async function rectifying(days = 20) {
  const hazard = await open()
  for (const to of ['inspected', 'registered', 'assessed', 'reported', 'monitored']) await move(emergency, hazard.id, { to })
  await move(emergency, hazard.id, { to: 'rectifying', ...FIVE_FIXED, deadline: cstDay(days) })
  return hazard.id
}

describe('opening and reading', () => {
  it('opens a hazard at warning, version 1, with the county of the school and the position of its campus', async () => {
    const response = await emergency.post('/api/hazards').send(hazardBody(schoolId, { countyCode: '640425' }))
    // The county is never taken from the request.
    expect(response.status).toBe(400)
    const hazard = await open()
    expect(hazard).toMatchObject({
      state: 'warning',
      version: 1,
      countyCode: '640402',
      schoolId,
      kind: 'fire',
      grade: 'general',
      overdue: false,
      escalation: null,
    })
    expect(hazard).toHaveProperty('position.type', 'Point')
    expect((await emergency.get(`/api/hazards/${hazard.id}`).expect(200)).body.events).toMatchObject([
      { action: 'create', fromState: null, toState: 'warning' },
    ])
  })

  it('takes the county from the school’s campus, not its registered code', async () => {
    // A campus in 西吉县 stored with 原州区's code, as the registry could hold it before it found counties from
    // the geometry (it refuses such a write now): the hazard still goes to the county the campus lies in.
    const misfiled = await registerSchool(education, { center: [105.73, 35.965] })
    await t.app.db.updateTable('schools').set({ county_code: '640402' }).where('id', '=', misfiled).execute()
    const response = await emergency.post('/api/hazards').send(hazardBody(misfiled)).expect(201)
    expect(response.body.countyCode).toBe('640422')
  })

  it('answers malformed input with 4xx naming the field, and writes nothing', async () => {
    const before = (await governance.get('/api/hazards').expect(200)).body.numberMatched
    for (const [body, field] of [
      [{ ...hazardBody(schoolId), kind: 'flood' }, 'kind'],
      [{ ...hazardBody(schoolId), title: '' }, 'title'],
      [{ ...hazardBody(schoolId), deadline: '2026-02-30x' }, 'deadline'],
      [{ ...hazardBody(schoolId), schoolId: 999999 }, 'schoolId'],
      [{ ...hazardBody(schoolId), position: [200, 36] }, 'position'],
      [{ ...hazardBody(schoolId), kind: 'zone_conflict' }, 'premisesId'],
    ] as const) {
      const response = await emergency.post('/api/hazards').send(body)
      expect(response.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400)
      expect(response.status).toBeLessThan(500)
      expect(response.body.message).toContain(field)
    }
    expect((await governance.get('/api/hazards').expect(200)).body.numberMatched).toBe(before)
  })

  it('lets a department open hazards only for itself; the governance office and education for anyone; viewers none', async () => {
    expect((await culture.post('/api/hazards').send(hazardBody(schoolId))).status).toBe(403)
    expect((await viewer.post('/api/hazards').send(hazardBody(schoolId))).status).toBe(403)
    await open(governance)
    await open(education)
    await open(culture, { department: 'culture', kind: 'other' })
  })

  it('lists with filters and paging as {numberMatched, numberReturned, hazards}', async () => {
    await open(emergency, { grade: 'major', kind: 'building' })
    const all = (await governance.get('/api/hazards').expect(200)).body
    expect(all.numberReturned).toBe(all.hazards.length)
    const major = (await governance.get('/api/hazards?grade=major&kind=building').expect(200)).body
    expect(major.numberMatched).toBeGreaterThanOrEqual(1)
    expect(major.hazards.every((h: { grade: string; kind: string }) => h.grade === 'major' && h.kind === 'building')).toBe(true)
    const page = (await governance.get('/api/hazards?limit=2&offset=1').expect(200)).body
    expect(page).toMatchObject({ numberMatched: all.numberMatched, numberReturned: 2 })
    const bySchool = (
      await governance.get(`/api/hazards?schoolId=${schoolId}&state=warning&department=emergency&countyCode=640402`).expect(200)
    ).body
    expect(bySchool.hazards.every((h: { schoolId: number; state: string }) => h.schoolId === schoolId && h.state === 'warning')).toBe(true)
    expect((await governance.get('/api/hazards?state=fixed')).status).toBe(400)
    expect((await governance.get('/api/hazards?overdue=perhaps')).status).toBe(400)
  })

  it('reports a major hazard up at once', async () => {
    const hazard = await open(emergency, { grade: 'major' })
    const detail = (await governance.get(`/api/hazards/${hazard.id}`).expect(200)).body
    expect(detail.reportedUpAt).not.toBeNull()
    expect(detail.events.map((e: { action: string }) => e.action)).toEqual(['create', 'reported_up'])
  })
})

describe('who may read', () => {
  it('shows a department its own hazards, education and governance all, county users their county only', async () => {
    const hazard = await open()
    expect((await emergency.get(`/api/hazards/${hazard.id}`)).status).toBe(200)
    expect((await education.get(`/api/hazards/${hazard.id}`)).status).toBe(200)
    expect((await viewer.get(`/api/hazards/${hazard.id}`)).status).toBe(200)
    expect((await culture.get(`/api/hazards/${hazard.id}`)).status).toBe(404)
    expect((await xijiEmergency.get(`/api/hazards/${hazard.id}`)).status).toBe(404)
    const listed = (await culture.get('/api/hazards?limit=1000').expect(200)).body.hazards as { department: string }[]
    expect(listed.every((h) => h.department === 'culture')).toBe(true)
    const xiji = (await xijiEmergency.get('/api/hazards?limit=1000').expect(200)).body.hazards as { countyCode: string }[]
    expect(xiji.every((h) => h.countyCode === '640422')).toBe(true)
    expect((await t.request().get('/api/hazards')).status).toBe(401)
  })
})

describe('the loop', () => {
  it('walks warning → … → closed, each move an event and an audit entry', async () => {
    const id = await rectifying()
    await move(emergency, id, { action: 'report_rectified', note: '已停业' })
    await emergency.post(`/api/hazards/${id}/attachments?phase=after`).set('content-type', 'image/png').send(png()).expect(201)
    const accepted = await move(governance, id, { to: 'accepted', note: '现场验收合格' })
    expect(accepted).toMatchObject({ state: 'accepted', acceptedAt: expect.any(String), awaitingAcceptance: false })
    const closed = await move(governance, id, { to: 'closed' })
    expect(closed).toMatchObject({ state: 'closed', closedAt: expect.any(String), allowedNext: [] })
    const detail = (await governance.get(`/api/hazards/${id}`).expect(200)).body
    expect(detail.events.filter((e: { action: string }) => e.action === 'transition').map((e: { toState: string }) => e.toState)).toEqual([
      'inspected',
      'registered',
      'assessed',
      'reported',
      'monitored',
      'rectifying',
      'accepted',
      'closed',
    ])
    expect(detail.attachments).toHaveLength(1)
    const entries = await t.app.db
      .selectFrom('audit_log')
      .select(['action'])
      .where('entity_type', '=', 'hazard')
      .where('entity_id', '=', String(id))
      .orderBy('id')
      .execute()
    expect(entries.map((e) => e.action)).toEqual([
      'create',
      'transition_inspected',
      'transition_registered',
      'transition_assessed',
      'transition_reported',
      'transition_monitored',
      'transition_rectifying',
      'report_rectified',
      'attach',
      'transition_accepted',
      'transition_closed',
    ])
  })

  it('refuses a skipped stage with 409 naming the allowed next states', async () => {
    const hazard = await open()
    const response = await emergency.post(`/api/hazards/${hazard.id}/transitions`).send({ to: 'registered', version: 1 }).expect(409)
    expect(response.body).toMatchObject({ code: 'ILLEGAL_TRANSITION', details: { allowed: ['inspected', 'closed_without_rectification'] } })
    expect(response.body.message).toContain('inspected')
    expect((await governance.get(`/api/hazards/${hazard.id}`)).body).toMatchObject({ state: 'warning', version: 1 })
  })

  it('refuses a stale version with 409', async () => {
    const hazard = await open()
    await emergency.post(`/api/hazards/${hazard.id}/transitions`).send({ to: 'inspected', version: 1 }).expect(200)
    const stale = await emergency.post(`/api/hazards/${hazard.id}/transitions`).send({ to: 'registered', version: 1 }).expect(409)
    expect(stale.body).toMatchObject({ code: 'VERSION_CONFLICT' })
    expect(stale.body.message).toContain('version')
  })

  it('requires the five fixed items before rectifying, naming the missing ones', async () => {
    const hazard = await open()
    for (const to of ['inspected', 'registered', 'assessed', 'reported', 'monitored']) await move(emergency, hazard.id, { to })
    const refused = await move(emergency, hazard.id, { to: 'rectifying', measures: '清理通道' }, 422)
    expect(refused.details.problems.map((p: { field: string }) => p.field)).toEqual([
      'body/responsibleParty',
      'body/funds',
      'body/deadline',
      'body/contingencyPlan',
    ])
    const done = await move(emergency, hazard.id, { to: 'rectifying', ...FIVE_FIXED, deadline: cstDay(10) })
    expect(done).toMatchObject({ state: 'rectifying', measures: FIVE_FIXED.measures, deadline: cstDay(10) })
  })

  it('keeps other departments, viewers and other counties from moving a hazard', async () => {
    const hazard = await open()
    expect((await culture.post(`/api/hazards/${hazard.id}/transitions`).send({ to: 'inspected', version: 1 })).status).toBe(404)
    expect((await viewer.post(`/api/hazards/${hazard.id}/transitions`).send({ to: 'inspected', version: 1 })).status).toBe(403)
    expect((await education.post(`/api/hazards/${hazard.id}/transitions`).send({ to: 'inspected', version: 1 })).status).toBe(403)
  })

  it('needs four eyes and evidence at acceptance; a failed acceptance goes back to rectifying', async () => {
    const id = await rectifying()
    await move(emergencySupervisor, id, { action: 'report_rectified' })
    const early = await move(governance, id, { to: 'accepted' }, 422)
    expect(early.message).toContain('evidence')
    await emergency.post(`/api/hazards/${id}/attachments?phase=evidence`).set('content-type', 'image/png').send(png()).expect(201)
    const own = await move(emergencySupervisor, id, { to: 'accepted' }, 403)
    expect(own.message).toContain('four eyes')
    const failed = await move(governance, id, { to: 'rectifying', note: '通道仍有杂物' })
    expect(failed).toMatchObject({ state: 'rectifying', awaitingAcceptance: false, rectifiedBy: null })
    await move(governance, id, { to: 'accepted' }, 409)
    await move(emergency, id, { action: 'report_rectified' })
    // Another user of the same department's supervisors may accept.
    expect(await move(emergencySupervisor, id, { to: 'accepted' })).toMatchObject({ state: 'accepted' })
  })

  it('handles a deadline extension: requested, pending, refused or approved with the new deadline', async () => {
    const id = await rectifying(5)
    const pending = await move(emergency, id, { action: 'request_extension', deadline: cstDay(30), note: '需等待设备到货' })
    expect(pending).toMatchObject({ deadline: cstDay(5), extensionRequest: { deadline: cstDay(30), reason: '需等待设备到货' } })
    await move(emergencyOther, id, { action: 'request_extension', deadline: cstDay(40), note: 'x' }, 409)
    await move(governance, id, { action: 'approve_extension' }, 403)
    const refused = await move(governanceSupervisor, id, { action: 'refuse_extension', note: '期限足够' })
    expect(refused).toMatchObject({ deadline: cstDay(5), extensionRequest: null })
    await move(emergency, id, { action: 'request_extension', deadline: cstDay(30), note: '需等待设备到货' })
    const approved = await move(governanceSupervisor, id, { action: 'approve_extension', note: '同意' })
    expect(approved).toMatchObject({ deadline: cstDay(30), extensionRequest: null })
    const actions = (await governance.get(`/api/hazards/${id}`)).body.events.map((e: { action: string }) => e.action)
    expect(actions.slice(-4)).toEqual(['request_extension', 'refuse_extension', 'request_extension', 'approve_extension'])
  })

  it('closes without rectification only by a supervisor, with a reason and a note', async () => {
    const hazard = await open()
    await move(emergency, hazard.id, { to: 'closed_without_rectification', closeReason: 'duplicate', note: '与另一条重复' }, 403)
    await move(emergencySupervisor, hazard.id, { to: 'closed_without_rectification', note: '与另一条重复' }, 400)
    const closed = await move(emergencySupervisor, hazard.id, {
      to: 'closed_without_rectification',
      closeReason: 'duplicate',
      note: '与另一条重复',
    })
    expect(closed).toMatchObject({ state: 'closed_without_rectification', closeReason: 'duplicate', closedAt: expect.any(String) })
    await move(governanceSupervisor, hazard.id, { to: 'warning' }, 409)
  })
})

describe('taking over an existing ledger', () => {
  it('keeps foundAt from anyone, and a later state and a past deadline only from a governance supervisor or admin', async () => {
    const found = await open(emergency, { foundAt: '2026-03-01T09:00:00+08:00' })
    expect((await governance.get(`/api/hazards/${found.id}`)).body.foundAt).toBe('2026-03-01T01:00:00.000Z')
    const body = hazardBody(schoolId, { state: 'rectifying', ...FIVE_FIXED, deadline: cstDay(-10), foundAt: '2026-01-05T00:00:00Z' })
    expect((await emergency.post('/api/hazards').send(body)).status).toBe(403)
    expect((await emergencySupervisor.post('/api/hazards').send({ ...hazardBody(schoolId), deadline: cstDay(-1) })).status).toBe(400)
    const taken = await governanceSupervisor.post('/api/hazards').send(body).expect(201)
    expect(taken.body).toMatchObject({ state: 'rectifying', overdue: true, daysOverdue: 10, escalation: 'ordered' })
    const missing = await governanceSupervisor
      .post('/api/hazards')
      .send(hazardBody(schoolId, { state: 'accepted' }))
      .expect(422)
    expect(missing.body.message).toContain('responsibleParty')
  })
})
