/**
 * Deadlines, escalation and the inbox: overdue from the deadline in China Standard Time, the ladder's steps
 * taken by days overdue and recorded once each with their time (also when two instances take them at once),
 * a new deadline starting clean, and what each department's inbox holds, missed inspections included.
 */
import { sql } from 'kysely'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { takeEscalations } from '../../server/modules/hazards/repository.ts'
import { cstDay, FIVE_FIXED, hazardBody, png, registerSchool } from '../factories/hazards.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let education: TestAgent
let emergency: TestAgent
let emergencySupervisor: TestAgent
let culture: TestAgent
let governance: TestAgent
let governanceSupervisor: TestAgent
let schoolId: number

beforeAll(async () => {
  t = await startTestApp()
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  emergency = (await t.signIn({ department: 'emergency', role: 'clerk' })).agent
  emergencySupervisor = (await t.signIn({ department: 'emergency', role: 'supervisor' })).agent
  culture = (await t.signIn({ department: 'culture', role: 'clerk' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'clerk' })).agent
  governanceSupervisor = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  schoolId = await registerSchool(education)
})
afterAll(async () => {
  await t?.close()
})

/** A hazard taken over in rectification with a deadline `days` from today (negative: past). */
async function overdueBy(days: number, extra: Record<string, unknown> = {}) {
  const response = await governanceSupervisor
    .post('/api/hazards')
    .send(hazardBody(schoolId, { state: 'rectifying', ...FIVE_FIXED, deadline: cstDay(-days), foundAt: '2026-01-01T00:00:00Z', ...extra }))
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body as { id: number; version: number; overdue: boolean; daysOverdue: number; escalation: string | null }
}
const stepsOf = async (id: number) =>
  (await governance.get(`/api/hazards/${id}`).expect(200)).body.escalations as {
    step: string
    deadline: string
    daysOverdue: number
    at: string
  }[]

describe('overdue and the escalation ladder', () => {
  it('is not overdue on the deadline day itself, and overdue the day after', async () => {
    expect(await overdueBy(0)).toMatchObject({ overdue: false, daysOverdue: 0, escalation: null })
    expect(await overdueBy(1)).toMatchObject({ overdue: true, daysOverdue: 1, escalation: 'notice' })
  })

  it('takes each step by days overdue (notice 1, ordered 8, listed 31), recording each with its time', async () => {
    expect(await overdueBy(7)).toMatchObject({ escalation: 'notice' })
    expect(await overdueBy(8)).toMatchObject({ escalation: 'ordered' })
    expect(await overdueBy(30)).toMatchObject({ escalation: 'ordered' })
    const listed = await overdueBy(31)
    expect(listed).toMatchObject({ escalation: 'listed', daysOverdue: 31 })
    const steps = await stepsOf(listed.id)
    expect(steps.map((s) => s.step)).toEqual(['notice', 'ordered', 'listed'])
    expect(steps.every((s) => s.deadline === cstDay(-31) && s.daysOverdue === 31 && Date.parse(s.at) > Date.now() - 60_000)).toBe(true)
    const events = (await governance.get(`/api/hazards/${listed.id}`)).body.events as { action: string; note: string }[]
    expect(events.filter((e) => e.action === 'escalated').map((e) => e.note)).toEqual(['通报', '限期整改', '挂牌督办'])
  })

  it('follows the ladder as data: a changed threshold changes the step', async () => {
    const hazard = await overdueBy(3)
    expect(hazard.escalation).toBe('notice')
    await t.app.db.updateTable('escalation_steps').set({ days_overdue: 3 }).where('step', '=', 'ordered').execute()
    try {
      const listed = (await governance.get(`/api/hazards?overdue=true&limit=1000`).expect(200)).body.hazards as {
        id: number
        escalation: string
      }[]
      expect(listed.find((h) => h.id === hazard.id)?.escalation).toBe('ordered')
    } finally {
      await t.app.db.updateTable('escalation_steps').set({ days_overdue: 8 }).where('step', '=', 'ordered').execute()
    }
  })

  it('records each step once, also when several instances take the steps at once', async () => {
    const hazard = await overdueBy(40)
    await Promise.all([takeEscalations(t.app.db), takeEscalations(t.app.db), takeEscalations(t.app.db, [hazard.id])])
    expect((await stepsOf(hazard.id)).map((s) => s.step)).toEqual(['notice', 'ordered', 'listed'])
    const { rows } = await sql<{
      n: number
    }>`select count(*)::int as n from hazard_events where hazard_id = ${hazard.id} and action = 'escalated'`.execute(t.app.db)
    expect(rows[0]!.n).toBe(3)
  })

  it('filters the list by overdue', async () => {
    const overdue = (await governance.get('/api/hazards?overdue=true&limit=1000').expect(200)).body.hazards as { overdue: boolean }[]
    const onTime = (await governance.get('/api/hazards?overdue=false&limit=1000').expect(200)).body.hazards as { overdue: boolean }[]
    expect(overdue.length).toBeGreaterThan(0)
    expect(onTime.length).toBeGreaterThan(0)
    expect(overdue.every((h) => h.overdue)).toBe(true)
    expect(onTime.every((h) => !h.overdue)).toBe(true)
  })

  it('starts clean after an approved extension, keeping the steps of the old deadline', async () => {
    const hazard = await overdueBy(9)
    await emergency
      .post(`/api/hazards/${hazard.id}/transitions`)
      .send({ version: hazard.version, action: 'request_extension', deadline: cstDay(20), note: '施工延误' })
      .expect(200)
    const approved = await governanceSupervisor
      .post(`/api/hazards/${hazard.id}/transitions`)
      .send({ version: hazard.version + 1, action: 'approve_extension' })
      .expect(200)
    expect(approved).toMatchObject({ body: { overdue: false, escalation: null, deadline: cstDay(20) } })
    expect((await stepsOf(hazard.id)).map((s) => `${s.step} ${s.deadline}`)).toEqual([`notice ${cstDay(-9)}`, `ordered ${cstDay(-9)}`])
  })

  it('does not hold a rectification reported done by its deadline as overdue while it awaits acceptance', async () => {
    const response = await emergency.post('/api/hazards').send(hazardBody(schoolId)).expect(201)
    const id = response.body.id
    let version = 1
    for (const to of ['inspected', 'registered', 'assessed', 'reported', 'monitored'])
      await emergency.post(`/api/hazards/${id}/transitions`).send({ to, version: version++ }).expect(200)
    await emergency
      .post(`/api/hazards/${id}/transitions`)
      .send({ to: 'rectifying', version: version++, ...FIVE_FIXED, deadline: cstDay(0) })
      .expect(200)
    await emergency.post(`/api/hazards/${id}/transitions`).send({ action: 'report_rectified', version: version++ }).expect(200)
    // The calendar moves on two days: the deadline passed after the report.
    await sql`update hazards set deadline = deadline - 2, rectified_at = rectified_at - interval '2 days' where id = ${id}`.execute(
      t.app.db,
    )
    expect((await governance.get(`/api/hazards/${id}`)).body).toMatchObject({ overdue: false, awaitingAcceptance: true })
  })
})

describe('the inbox', () => {
  it('lists for the responsible department what is assigned to it and what is overdue, overdue first', async () => {
    const assigned = (
      await emergency
        .post('/api/hazards')
        .send(hazardBody(schoolId, { title: '收件箱测试' }))
        .expect(201)
    ).body
    const box = (await emergency.get('/api/inbox').expect(200)).body
    expect(box.department).toBe('emergency')
    expect(box.counts.overdue).toBeGreaterThan(0)
    expect(box.items[0].reason).toBe('overdue')
    expect(box.items.find((i: { hazard: { id: number } | null }) => i.hazard?.id === assigned.id)?.reason).toBe('assigned')
    expect(
      box.items.every((i: { hazard: { department: string } | null }) => i.hazard === null || i.hazard.department === 'emergency'),
    ).toBe(true)
    const other = (await culture.get('/api/inbox').expect(200)).body
    expect(other.items.filter((i: { hazard: unknown }) => i.hazard)).toEqual([])
  })

  it('lists for the governance office rectifications awaiting acceptance, extension requests and major hazards reported up', async () => {
    const before = (await governance.get('/api/inbox').expect(200)).body.counts
    const supervisorBefore = (await emergencySupervisor.get('/api/inbox').expect(200)).body.counts
    const done = await overdueBy(-5)
    await emergency.post(`/api/hazards/${done.id}/attachments?phase=after`).set('content-type', 'image/png').send(png()).expect(201)
    await emergency.post(`/api/hazards/${done.id}/transitions`).send({ version: done.version, action: 'report_rectified' }).expect(200)
    const asking = await overdueBy(-3)
    await emergency
      .post(`/api/hazards/${asking.id}/transitions`)
      .send({ version: asking.version, action: 'request_extension', deadline: cstDay(30), note: '资金未到位' })
      .expect(200)
    const major = (
      await emergency
        .post('/api/hazards')
        .send(hazardBody(schoolId, { grade: 'major' }))
        .expect(201)
    ).body
    const box = (await governance.get('/api/inbox').expect(200)).body
    const reasonOf = (id: number) => box.items.find((i: { hazard: { id: number } | null }) => i.hazard?.id === id)?.reason
    expect(reasonOf(done.id)).toBe('awaiting_acceptance')
    expect(reasonOf(asking.id)).toBe('extension_request')
    expect(reasonOf(major.id)).toBe('reported_up')
    expect(box.counts).toMatchObject({
      awaiting_acceptance: before.awaiting_acceptance + 1,
      extension_request: before.extension_request + 1,
      reported_up: before.reported_up + 1,
    })
    // The department's supervisor sees its rectification awaiting acceptance too; its clerk does not.
    const supervisorBox = (await emergencySupervisor.get('/api/inbox').expect(200)).body
    expect(supervisorBox.counts.awaiting_acceptance).toBe(supervisorBefore.awaiting_acceptance + 1)
    expect((await emergency.get('/api/inbox').expect(200)).body.counts.awaiting_acceptance).toBe(0)
  })
})

describe('inspections (日周月)', () => {
  const checklist = [
    { item: 'gate_guard', result: 'ok' },
    { item: 'fire_equipment', result: 'problem', note: '灭火器过期' },
  ]

  it('records an inspection with a checklist and lists it with the schedule', async () => {
    const created = await education
      .post('/api/inspections')
      .send({ schoolId, level: 'school', inspector: '王老师', checklist, findings: '灭火器需更换' })
      .expect(201)
    expect(created.body).toMatchObject({ schoolId, level: 'school', checklist, countyCode: '640402' })
    const page = (await governance.get(`/api/inspections?schoolId=${schoolId}`).expect(200)).body
    expect(page).toMatchObject({ numberMatched: 1, numberReturned: 1 })
    expect(page.schedule.map((s: { level: string; every: string }) => `${s.level} ${s.every}`)).toEqual([
      'school daily',
      'township weekly',
      'county monthly',
    ])
    expect(page.schedule.find((s: { level: string }) => s.level === 'school')).toMatchObject({ overdue: false, dueBy: cstDay(1) })
  })

  it('validates the checklist and who records which level', async () => {
    const bad = [
      [{ schoolId, level: 'school', inspector: '王', checklist: [] }, 'checklist'],
      [{ schoolId, level: 'school', inspector: '王', checklist: [{ item: 'moat', result: 'ok' }] }, 'item'],
      [
        {
          schoolId,
          level: 'school',
          inspector: '王',
          checklist: [
            { item: 'gate_guard', result: 'ok' },
            { item: 'gate_guard', result: 'ok' },
          ],
        },
        'checklist/1/item',
      ],
      [{ schoolId, level: 'school', inspector: '王', checklist: [{ item: 'gate_guard', result: 'problem' }] }, 'checklist/0/note'],
      [{ schoolId, level: 'school', inspector: '王', checklist, hazardIds: [999999] }, 'hazardIds/0'],
    ] as const
    for (const [body, field] of bad) {
      const response = await education.post('/api/inspections').send(body)
      expect(response.status, JSON.stringify(response.body)).toBeGreaterThanOrEqual(400)
      expect(response.status).toBeLessThan(500)
      expect(response.body.message).toContain(field)
    }
    expect((await emergency.post('/api/inspections').send({ schoolId, level: 'school', inspector: '王', checklist })).status).toBe(403)
    await governance.post('/api/inspections').send({ schoolId, level: 'township', inspector: '乡镇综治办', checklist }).expect(201)
  })

  it('holds a missed inspection overdue and lists it in the inbox of who should have made it', async () => {
    const late = await registerSchool(education)
    // The school was registered forty days ago and never inspected since.
    await sql`update schools set created_at = now() - interval '40 days' where id = ${late}`.execute(t.app.db)
    const page = (await governance.get(`/api/inspections?schoolId=${late}`).expect(200)).body
    expect(page.schedule.every((s: { overdue: boolean }) => s.overdue)).toBe(true)
    const educationBox = (await education.get('/api/inbox').expect(200)).body
    const missed = educationBox.items.filter(
      (i: { reason: string; inspection: { schoolId: number } | null }) => i.reason === 'inspection_overdue',
    )
    expect(
      missed.map((i: { inspection: { schoolId: number; level: string } }) => `${i.inspection.schoolId} ${i.inspection.level}`),
    ).toContain(`${late} school`)
    const governanceBox = (await governance.get('/api/inbox').expect(200)).body
    const levels = governanceBox.items
      .filter((i: { inspection: { schoolId: number } | null }) => i.inspection?.schoolId === late)
      .map((i: { inspection: { level: string } }) => i.inspection.level)
      .sort()
    expect(levels).toEqual(['county', 'township'])
    await governance.post('/api/inspections').send({ schoolId: late, level: 'county', inspector: '县综治办', checklist }).expect(201)
    const after = (await governance.get(`/api/inspections?schoolId=${late}`).expect(200)).body.schedule
    expect(after.find((s: { level: string }) => s.level === 'county')).toMatchObject({ overdue: false })
  })
})
