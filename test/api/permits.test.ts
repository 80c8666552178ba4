/**
 * The permit desk through HTTP: submission with screening, the queue and its scope, decisions with
 * re-screening, optimistic concurrency and the override rule, approval into the registry, and the
 * audit trail of it all.
 */
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GUYUAN, offset, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let admin: TestAgent
let education: TestAgent
let governanceSupervisor: TestAgent
let governanceClerk: TestAgent
let tobaccoClerk: TestAgent
let tobaccoSupervisor: TestAgent
let tobaccoViewer: TestAgent
let lotteryClerk: TestAgent
let xijiTobaccoClerk: TestAgent
let tobaccoClerkName: string

const CENTRE = [GUYUAN.lon, GUYUAN.lat] as const
/** The test school is a 120 m × 80 m campus on the centre: 150 m east is 90 m from its edge, 500 m east 440 m. */
const INSIDE = offset(CENTRE, 150, 0)
const OUTSIDE = offset(CENTRE, 500, 0)
/** A point in 西吉县 (640422), far from any test school. */
const XIJI: [number, number] = [105.6989776, 35.9015579]

/** A well-formed resident identity number (GB 11643: mod 11-2 check character) for a serial. */
function idNumber(serial: number): string {
  const body = `64040219900101${String(serial % 1000).padStart(3, '0')}`
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = weights.reduce((total, w, i) => total + w * Number(body[i]), 0)
  return body + '10X98765432'[sum % 11]!
}

let serial = 0
function application(overrides: { at?: readonly number[]; category?: string; kind?: string; businessName?: string; crs?: string } = {}) {
  serial += 1
  const at = overrides.at ?? OUTSIDE
  return {
    applicant: { name: '张三', idNumber: idNumber(serial) },
    businessName: overrides.businessName ?? `测试商店${serial}`,
    category: overrides.category ?? 'tobacco_retail',
    address: '原州区测试街8号',
    location: { lon: at[0], lat: at[1], ...(overrides.crs ? { crs: overrides.crs } : {}) },
    kind: overrides.kind ?? 'new',
  }
}

async function submit(agent: TestAgent, body: object) {
  const response = await agent.post('/api/permits').send(body)
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body as { id: number; version: number; status: string; countyCode: string; screening: any; businessName: string }
}

beforeAll(async () => {
  t = await startTestApp()
  admin = (await t.signIn({ department: 'admin', role: 'admin' })).agent
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  governanceSupervisor = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  governanceClerk = (await t.signIn({ department: 'governance', role: 'clerk' })).agent
  const tobacco = await t.signIn({ department: 'tobacco', role: 'clerk', countyCode: '640402' })
  tobaccoClerk = tobacco.agent
  tobaccoClerkName = tobacco.user.username
  tobaccoSupervisor = (await t.signIn({ department: 'tobacco', role: 'supervisor', countyCode: '640402' })).agent
  tobaccoViewer = (await t.signIn({ department: 'tobacco', role: 'viewer', countyCode: '640402' })).agent
  lotteryClerk = (await t.signIn({ department: 'lottery_welfare', role: 'clerk', countyCode: '640402' })).agent
  xijiTobaccoClerk = (await t.signIn({ department: 'tobacco', role: 'clerk', countyCode: '640422' })).agent
  const school = await education.post('/api/schools').send(schoolFeature({ center: CENTRE, name: '测试第一小学', countyCode: '640402' }))
  expect(school.status, JSON.stringify(school.body)).toBe(201)
})

afterAll(async () => {
  await t?.close()
})

describe('submission', () => {
  it('screens at once and stores the snapshot with every conflict, its distance, nearest point and rule version', async () => {
    const permit = await submit(tobaccoClerk, application({ at: INSIDE }))
    expect(permit).toMatchObject({ status: 'pending', version: 1, countyCode: '640402' })
    expect(permit.screening.verdict).toBe('prohibited')
    expect(permit.screening.conflicts).toHaveLength(1)
    const conflict = permit.screening.conflicts[0]
    expect(conflict.schoolName).toBe('测试第一小学')
    expect(conflict.distanceM).toBeGreaterThan(85)
    expect(conflict.distanceM).toBeLessThan(95)
    expect(conflict).toMatchObject({
      limitM: 200,
      ruleId: expect.any(Number),
      ruleVersion: 1,
      nearestPoint: { lon: expect.any(Number), lat: expect.any(Number) },
    })
    expect(Date.parse(permit.screening.checkedAt)).not.toBeNaN()
    expect(permit.screening.rectification).toBeUndefined()

    const read = await tobaccoClerk.get(`/api/permits/${permit.id}`)
    expect(read.status).toBe(200)
    expect(read.body.screening).toEqual(permit.screening)
    expect(read.body.history.map((h: { action: string }) => h.action)).toEqual(['submit'])
    expect(read.body.decision).toBeNull()
  })

  it('converts coordinates pasted from Amap (GCJ-02) and echoes both', async () => {
    // Shift a WGS84 point to GCJ-02 by the ~378 m offset at Guyuan and back: the screening is of the true position.
    const permit = await submit(tobaccoClerk, application({ at: [OUTSIDE[0] + 0.0042, OUTSIDE[1] - 0.0002], crs: 'gcj02' }))
    const read = await tobaccoClerk.get(`/api/permits/${permit.id}`)
    expect(read.body.input.crs).toBe('gcj02')
    expect(Math.abs(read.body.location.lon - read.body.input.lon)).toBeGreaterThan(0.003)
  })
})

describe('queue', () => {
  it('filters by status, category, county, submitted range and text, with paging and numberMatched', async () => {
    const unique = `队列测试${Date.now()}`
    const permit = await submit(tobaccoClerk, application({ businessName: unique }))
    const byText = await tobaccoClerk.get('/api/permits').query({ q: unique })
    expect(byText.status).toBe(200)
    expect(byText.body.numberMatched).toBe(1)
    expect(byText.body.permits[0].id).toBe(permit.id)
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
    const filtered = await tobaccoClerk
      .get('/api/permits')
      .query({ q: unique, status: 'pending', category: 'tobacco_retail', countyCode: '640402', from: today, to: today })
    expect(filtered.body.numberMatched).toBe(1)
    expect((await tobaccoClerk.get('/api/permits').query({ q: unique, status: 'approved' })).body.numberMatched).toBe(0)
    expect((await tobaccoClerk.get('/api/permits').query({ q: unique, from: '2001-01-01', to: '2001-12-31' })).body.numberMatched).toBe(0)
    const all = await tobaccoClerk.get('/api/permits')
    const page = await tobaccoClerk.get('/api/permits').query({ limit: 1, offset: 1 })
    expect(page.body.numberMatched).toBe(all.body.numberMatched)
    expect(page.body.numberReturned).toBe(1)
    expect(page.body.permits[0].id).toBe(all.body.permits[1].id)
  })
})

describe('decisions', () => {
  it('approval writes the licensed premises into the registry with a licence number and term', async () => {
    const permit = await submit(tobaccoClerk, application())
    expect(permit.screening.verdict).toBe('allowed')
    const decided = await tobaccoClerk
      .post(`/api/permits/${permit.id}/decision`)
      .send({ decision: 'approve', reason: '材料齐全', version: permit.version })
    expect(decided.status, JSON.stringify(decided.body)).toBe(200)
    expect(decided.body).toMatchObject({
      status: 'approved',
      version: 2,
      flaggedOverride: false,
      decision: { decision: 'approve', reason: '材料齐全', decidedBy: { username: tobaccoClerkName, role: 'clerk' } },
    })
    expect(decided.body.licenceNo).toMatch(/^TOB-640402-\d{4}-\d{6}$/)
    const premises = await tobaccoClerk.get(`/api/premises/${decided.body.premisesId}`)
    expect(premises.status).toBe(200)
    const { licenceNo, licensedOn, expiresOn, category, countyCode, licenceStatus } = premises.body.properties
    expect({ licenceNo, category, countyCode, licenceStatus }).toEqual({
      licenceNo: decided.body.licenceNo,
      category: 'tobacco_retail',
      countyCode: '640402',
      licenceStatus: 'active',
    })
    const [y, m, d] = (licensedOn as string).split('-').map(Number) as [number, number, number]
    const end = new Date(Date.UTC(y + 5, m - 1, d))
    if (end.getUTCDate() !== d) end.setUTCDate(0)
    end.setUTCDate(end.getUTCDate() - 1)
    expect(expiresOn).toBe(end.toISOString().slice(0, 10))
    expect(licenceNo.slice(11, 15)).toBe(licensedOn.slice(0, 4))

    const again = await tobaccoClerk.post(`/api/permits/${permit.id}/decision`).send({ decision: 'reject', reason: '再次', version: 2 })
    expectErrorBody(again, 409, 'CONFLICT')
    const read = await tobaccoClerk.get(`/api/permits/${permit.id}`)
    expect(read.body.history.map((h: { action: string }) => h.action)).toEqual(['submit', 'decide'])
  })

  it('rejection leaves the registry unchanged', async () => {
    const before = (await tobaccoClerk.get('/api/premises').query({ limit: 1 })).body.numberMatched
    const permit = await submit(tobaccoClerk, application())
    const decided = await tobaccoClerk
      .post(`/api/permits/${permit.id}/decision`)
      .send({ decision: 'reject', reason: '经营场所证明不全', version: 1 })
    expect(decided.status).toBe(200)
    expect(decided.body).toMatchObject({
      status: 'rejected',
      premisesId: null,
      licenceNo: null,
      decision: { decision: 'reject', reason: '经营场所证明不全' },
    })
    expect((await tobaccoClerk.get('/api/premises').query({ limit: 1 })).body.numberMatched).toBe(before)
  })

  it('a stale version is refused with 409', async () => {
    const permit = await submit(tobaccoClerk, application())
    const stale = await tobaccoClerk.post(`/api/permits/${permit.id}/decision`).send({ decision: 'approve', reason: '同意', version: 7 })
    expectErrorBody(stale, 409, 'VERSION_CONFLICT')
    expect(stale.body.message).toMatch(/^version:/)
  })

  it('50 concurrent decisions on one application: exactly one succeeds, one decision and one premises are recorded', async () => {
    const unique = `并发测试${Date.now()}`
    const permit = await submit(tobaccoClerk, application({ businessName: unique }))
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        tobaccoClerk
          .post(`/api/permits/${permit.id}/decision`)
          .send({ decision: i % 2 === 0 ? 'approve' : 'reject', reason: `第${i}号`, version: 1 }),
      ),
    )
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(49)
    const winner = responses.find((r) => r.status === 200)!.body
    const decisions = await governanceClerk
      .get('/api/audit-log')
      .query({ entityType: 'permit', entityId: String(permit.id), action: 'decide' })
    expect(decisions.body.numberMatched).toBe(1)
    const premises = await tobaccoClerk.get('/api/premises').query({ q: unique })
    expect(premises.body.numberMatched).toBe(winner.status === 'approved' ? 1 : 0)
    const read = await tobaccoClerk.get(`/api/permits/${permit.id}`)
    expect(read.body).toMatchObject({ status: winner.status, version: 2 })
  })

  it('re-screens at decision time: a rule change answers 409 with the new screening, which can then be decided', async () => {
    // 250 m east of the centre is 190 m from the campus: inside 200 m, outside 150 m.
    const permit = await submit(lotteryClerk, application({ at: offset(CENTRE, 250, 0), category: 'lottery_outlet' }))
    expect(permit.screening.verdict).toBe('prohibited')
    const rule = (await governanceSupervisor.get('/api/rules').query({ category: 'lottery_outlet', schoolType: 'primary' })).body.rules[0]
    const changed = await governanceSupervisor
      .put(`/api/rules/${rule.id}`)
      .send({ limitM: 150, reason: '测试：缩小彩票网点距离', version: rule.version })
    expect(changed.status, JSON.stringify(changed.body)).toBe(200)

    const refused = await lotteryClerk.post(`/api/permits/${permit.id}/decision`).send({ decision: 'approve', reason: '同意', version: 1 })
    expectErrorBody(refused, 409, 'CONFLICT')
    expect(refused.body.details.version).toBe(2)
    expect(refused.body.details.screening).toMatchObject({ verdict: 'allowed', conflicts: [] })
    const stored = await lotteryClerk.get(`/api/permits/${permit.id}`)
    expect(stored.body).toMatchObject({ version: 2, status: 'pending', screening: { verdict: 'allowed' } })
    expect(stored.body.history.map((h: { action: string }) => h.action)).toEqual(['submit', 'rescreen'])

    const decided = await lotteryClerk.post(`/api/permits/${permit.id}/decision`).send({ decision: 'approve', reason: '同意', version: 2 })
    expect(decided.status, JSON.stringify(decided.body)).toBe(200)
    expect(decided.body).toMatchObject({ status: 'approved', flaggedOverride: false })
    expect(decided.body.licenceNo).toMatch(/^LOT-640402-/)
  })

  it('approving against a conflict: clerk refused, supervisor without justification refused, supervisor with justification approved and flagged', async () => {
    const permit = await submit(tobaccoClerk, application({ at: INSIDE }))
    const byClerk = await tobaccoClerk
      .post(`/api/permits/${permit.id}/decision`)
      .send({ decision: 'approve', reason: '同意', version: 1, overrideJustification: '历史原因' })
    expectErrorBody(byClerk, 403, 'FORBIDDEN')
    const unjustified = await tobaccoSupervisor
      .post(`/api/permits/${permit.id}/decision`)
      .send({ decision: 'approve', reason: '同意', version: 1 })
    expectErrorBody(unjustified, 400, 'VALIDATION_FAILED')
    expect(unjustified.body.message).toMatch(/overrideJustification/)
    const justified = await tobaccoSupervisor
      .post(`/api/permits/${permit.id}/decision`)
      .send({ decision: 'approve', reason: '同意', version: 1, overrideJustification: '学校将于年内迁址，经会商同意' })
    expect(justified.status, JSON.stringify(justified.body)).toBe(200)
    expect(justified.body).toMatchObject({
      status: 'approved',
      flaggedOverride: true,
      decision: { overrideJustification: '学校将于年内迁址，经会商同意', decidedBy: { role: 'supervisor' } },
    })
    // The new premises is in the registry and already a conflict.
    const conflicts = await governanceClerk.get('/api/conflicts').query({ premisesId: justified.body.premisesId })
    expect(conflicts.status).toBe(200)
    expect(conflicts.body.numberMatched).toBe(1)
    expect(conflicts.body.conflicts[0]).toMatchObject({
      premisesId: justified.body.premisesId,
      schoolName: '测试第一小学',
      licenceNo: justified.body.licenceNo,
    })

    const flagged = await governanceClerk.get('/api/permits').query({ flag: 'override' })
    expect(flagged.status).toBe(200)
    expect(flagged.body.permits.map((p: { id: number }) => p.id)).toContain(permit.id)
    expect(flagged.body.permits.every((p: { flaggedOverride: boolean }) => p.flaggedOverride)).toBe(true)
    expect((await admin.get('/api/permits').query({ flag: 'override' })).body.permits.map((p: { id: number }) => p.id)).toContain(permit.id)
  })

  it('rejecting against a conflict needs no override', async () => {
    const permit = await submit(tobaccoClerk, application({ at: INSIDE }))
    const decided = await tobaccoClerk
      .post(`/api/permits/${permit.id}/decision`)
      .send({ decision: 'reject', reason: '位于学校200米内', version: 1 })
    expect(decided.status).toBe(200)
    expect(decided.body.flaggedOverride).toBe(false)
  })
})

describe('scoping: every permit route × every role × inside and outside department and county', () => {
  const roles = ['clerk', 'supervisor', 'viewer', 'admin'] as const
  const cases = [
    {
      name: 'tobacco in 640402',
      category: 'tobacco_retail',
      at: OUTSIDE,
      inScopeFor: { clerk: true, supervisor: true, viewer: true, admin: true },
    },
    {
      name: 'lottery in 640402',
      category: 'lottery_outlet',
      at: offset(CENTRE, 0, 700),
      inScopeFor: { clerk: false, supervisor: false, viewer: false, admin: true },
    },
    {
      name: 'tobacco in 640422',
      category: 'tobacco_retail',
      at: XIJI,
      inScopeFor: { clerk: false, supervisor: false, viewer: false, admin: true },
    },
  ] as const
  const agentFor = (role: (typeof roles)[number]) =>
    ({ clerk: tobaccoClerk, supervisor: tobaccoSupervisor, viewer: tobaccoViewer, admin })[role]

  for (const role of roles) {
    for (const c of cases) {
      it(`tobacco ${role} of 640402 (admin: unscoped) × ${c.name}`, async () => {
        const agent = agentFor(role)
        const inScope = c.inScopeFor[role]
        const canWrite = role !== 'viewer'
        // POST /api/permits
        const created = await agent.post('/api/permits').send(application({ category: c.category, at: c.at }))
        if (inScope && canWrite) expect(created.status, JSON.stringify(created.body)).toBe(201)
        else expectErrorBody(created, 403, 'FORBIDDEN')
        // An application of this kind made by the admin, to read and decide.
        const permit = await submit(admin, application({ category: c.category, at: c.at }))
        // GET /api/permits/{id}
        const read = await agent.get(`/api/permits/${permit.id}`)
        if (inScope) expect(read.status).toBe(200)
        else expectErrorBody(read, 404, 'NOT_FOUND')
        // GET /api/permits
        const queue = await agent.get('/api/permits').query({ limit: 1000 })
        expect(queue.status).toBe(200)
        expect(queue.body.permits.some((p: { id: number }) => p.id === permit.id)).toBe(inScope)
        const filtered = await agent.get('/api/permits').query({ category: c.category, countyCode: permit.countyCode, limit: 1000 })
        expect(filtered.body.permits.some((p: { id: number }) => p.id === permit.id)).toBe(inScope)
        // POST /api/permits/{id}/decision: a stale version shows the rights without deciding.
        const stale = await agent.post(`/api/permits/${permit.id}/decision`).send({ decision: 'reject', reason: '测试', version: 99 })
        if (!canWrite) expectErrorBody(stale, 403, 'FORBIDDEN')
        else if (inScope) expectErrorBody(stale, 409, 'VERSION_CONFLICT')
        else expectErrorBody(stale, 404, 'NOT_FOUND')
        const real = await agent.post(`/api/permits/${permit.id}/decision`).send({ decision: 'reject', reason: '测试', version: 1 })
        if (!canWrite) expectErrorBody(real, 403, 'FORBIDDEN')
        else if (inScope) expect(real.status).toBe(200)
        else expectErrorBody(real, 404, 'NOT_FOUND')
        const after = await admin.get(`/api/permits/${permit.id}`)
        expect(after.body.status).toBe(canWrite && inScope ? 'rejected' : 'pending')
      })
    }
  }

  it('the tobacco clerk of 640422 sees only 640422', async () => {
    const permit = await submit(xijiTobaccoClerk, application({ at: XIJI }))
    expect(permit.countyCode).toBe('640422')
    expectErrorBody(await tobaccoClerk.get(`/api/permits/${permit.id}`), 404)
    const queue = await xijiTobaccoClerk.get('/api/permits').query({ limit: 1000 })
    expect(
      queue.body.permits.every(
        (p: { countyCode: string; category: string }) => p.countyCode === '640422' && p.category === 'tobacco_retail',
      ),
    ).toBe(true)
  })

  it('departments that license nothing see an empty queue and cannot submit or decide; governance reads all but cannot decide', async () => {
    const permit = await submit(tobaccoClerk, application())
    const educationQueue = await education.get('/api/permits')
    expect(educationQueue.status).toBe(200)
    expect(educationQueue.body.numberMatched).toBe(0)
    expectErrorBody(await education.get(`/api/permits/${permit.id}`), 404)
    expectErrorBody(await education.post('/api/permits').send(application()), 403)
    expect((await governanceClerk.get(`/api/permits/${permit.id}`)).status).toBe(200)
    expectErrorBody(
      await governanceClerk.post(`/api/permits/${permit.id}/decision`).send({ decision: 'reject', reason: '测试', version: 1 }),
      403,
    )
  })

  it('without a session every permit route answers 401', async () => {
    const anonymous = t.request()
    expectErrorBody(await anonymous.get('/api/permits'), 401)
    expectErrorBody(await anonymous.get('/api/permits/1'), 401)
    expectErrorBody(await anonymous.post('/api/permits').send(application()), 401)
    expectErrorBody(await anonymous.post('/api/permits/1/decision').send({ decision: 'reject', reason: 'x', version: 1 }), 401)
  })
})

describe('bad input names the field and is never a 5xx', () => {
  const valid = () => application()
  const corpus: [string, (body: any) => unknown, string][] = [
    ['missing applicant', (b) => ({ ...b, applicant: undefined }), 'applicant'],
    ['applicant not an object', (b) => ({ ...b, applicant: 'x' }), 'applicant'],
    ['empty applicant name', (b) => ({ ...b, applicant: { ...b.applicant, name: '' } }), 'name'],
    ['blank applicant name', (b) => ({ ...b, applicant: { ...b.applicant, name: '   ' } }), 'name'],
    ['short idNumber', (b) => ({ ...b, applicant: { ...b.applicant, idNumber: '64040219900101' } }), 'idNumber'],
    ['idNumber with letters', (b) => ({ ...b, applicant: { ...b.applicant, idNumber: '6404021990010100AB' } }), 'idNumber'],
    [
      'idNumber bad check character',
      (b) => ({
        ...b,
        applicant: { ...b.applicant, idNumber: b.applicant.idNumber.slice(0, 17) + (b.applicant.idNumber[17] === '0' ? '1' : '0') },
      }),
      'idNumber',
    ],
    ['idNumber impossible birth date', (b) => ({ ...b, applicant: { ...b.applicant, idNumber: '640402199002300011' } }), 'idNumber'],
    ['idNumber a number', (b) => ({ ...b, applicant: { ...b.applicant, idNumber: 64040219900101 } }), 'idNumber'],
    ['unknown applicant field', (b) => ({ ...b, applicant: { ...b.applicant, phone: '1' } }), 'phone'],
    ['empty businessName', (b) => ({ ...b, businessName: '' }), 'businessName'],
    ['NUL in businessName', (b) => ({ ...b, businessName: 'a\u0000b' }), 'businessName'],
    ['huge businessName', (b) => ({ ...b, businessName: '店'.repeat(201) }), 'businessName'],
    ['unknown category', (b) => ({ ...b, category: 'bar' }), 'category'],
    ['missing address', (b) => ({ ...b, address: undefined }), 'address'],
    ['kind unknown', (b) => ({ ...b, kind: 'transfer' }), 'kind'],
    ['missing location', (b) => ({ ...b, location: undefined }), 'location'],
    ['lon out of range', (b) => ({ ...b, location: { lon: 500, lat: 36 } }), 'lon'],
    ['lat a string', (b) => ({ ...b, location: { lon: 106.2, lat: '36' } }), 'lat'],
    ['crs unknown', (b) => ({ ...b, location: { ...b.location, crs: 'epsg3857' } }), 'crs'],
    ['unknown top-level field', (b) => ({ ...b, status: 'approved' }), 'status'],
    ['array body', () => [1, 2], 'body'],
  ]
  for (const [name, mutate, field] of corpus) {
    it(`POST /api/permits: ${name}`, async () => {
      const response = await tobaccoClerk.post('/api/permits').send(mutate(valid()) as object)
      expectErrorBody(response, 400)
      expect(response.body.message).toContain(field)
    })
  }

  it('POST /api/permits: a location outside Guyuan is a 422 naming body/location', async () => {
    const response = await tobaccoClerk.post('/api/permits').send({ ...valid(), location: { lon: 116.4, lat: 39.9 } })
    expectErrorBody(response, 422, 'UNPROCESSABLE')
    expect(response.body.details.problems).toEqual([{ field: 'body/location', message: expect.stringContaining('no county of Guyuan') }])
  })

  it('POST /api/permits: malformed JSON', async () => {
    const response = await tobaccoClerk.post('/api/permits').set('content-type', 'application/json').send('{"applicant":')
    expectErrorBody(response, 400, 'INVALID_JSON')
  })

  const decisions: [string, object, string][] = [
    ['missing reason', { decision: 'reject', version: 1 }, 'reason'],
    ['empty reason', { decision: 'reject', reason: '', version: 1 }, 'reason'],
    ['unknown decision', { decision: 'maybe', reason: 'x', version: 1 }, 'decision'],
    ['missing version', { decision: 'reject', reason: 'x' }, 'version'],
    ['version zero', { decision: 'reject', reason: 'x', version: 0 }, 'version'],
    ['version a string', { decision: 'reject', reason: 'x', version: '1' }, 'version'],
    ['empty justification', { decision: 'approve', reason: 'x', version: 1, overrideJustification: '' }, 'overrideJustification'],
    ['unknown field', { decision: 'reject', reason: 'x', version: 1, licenceNo: 'X' }, 'licenceNo'],
  ]
  for (const [name, body, field] of decisions) {
    it(`POST /api/permits/{id}/decision: ${name}`, async () => {
      const response = await tobaccoClerk.post('/api/permits/1/decision').send(body)
      expectErrorBody(response, 400)
      expect(response.body.message).toContain(field)
    })
  }

  const paths: [string, string][] = [
    ['/api/permits/abc', 'id'],
    ['/api/permits/0', 'id'],
    ['/api/permits/99999999999', 'id'],
    ['/api/permits?status=done', 'status'],
    ['/api/permits?category=bar', 'category'],
    ['/api/permits?countyCode=6404', 'countyCode'],
    ['/api/permits?from=2020-13-01', 'from'],
    ['/api/permits?to=yesterday', 'to'],
    ['/api/permits?limit=0', 'limit'],
    ['/api/permits?offset=-1', 'offset'],
    ['/api/permits?flag=other', 'flag'],
    ['/api/permits?q=', 'q'],
    ['/api/permits?colour=red', 'colour'],
    ['/api/audit-log?from=yesterday', 'from'],
    ['/api/audit-log?entityType=DROP%20TABLE', 'entityType'],
    ['/api/audit-log?limit=5000', 'limit'],
  ]
  for (const [path, field] of paths) {
    it(`GET ${path}`, async () => {
      const response = await admin.get(path)
      expectErrorBody(response, 400)
      expect(response.body.message).toContain(field)
    })
  }

  it('a decision on a permit that does not exist is 404', async () => {
    expectErrorBody(await tobaccoClerk.post('/api/permits/2147483647/decision').send({ decision: 'reject', reason: 'x', version: 1 }), 404)
  })
})

describe('audit log', () => {
  it('records permit actions and is read, filtered and paged by governance and admin only', async () => {
    const permit = await submit(tobaccoClerk, application())
    await tobaccoClerk.post(`/api/permits/${permit.id}/decision`).send({ decision: 'reject', reason: '测试审计', version: 1 }).expect(200)
    const entries = await governanceClerk.get('/api/audit-log').query({ entityType: 'permit', entityId: String(permit.id) })
    expect(entries.status).toBe(200)
    expect(entries.body.numberMatched).toBe(2)
    expect(entries.body.entries.map((e: { action: string }) => e.action)).toEqual(['decide', 'submit'])
    const decide = entries.body.entries[0]
    expect(decide).toMatchObject({
      username: tobaccoClerkName,
      role: 'clerk',
      department: 'tobacco',
      entityType: 'permit',
      entityId: String(permit.id),
      requestId: expect.any(String),
    })
    expect(decide.before.status).toBe('pending')
    expect(decide.after.status).toBe('rejected')

    const byUser = await admin.get('/api/audit-log').query({ username: tobaccoClerkName, action: 'submit', limit: 1 })
    expect(byUser.status).toBe(200)
    expect(byUser.body.numberReturned).toBe(1)
    expect(byUser.body.numberMatched).toBeGreaterThan(1)
    const future = await admin.get('/api/audit-log').query({ from: new Date(Date.now() + 3600_000).toISOString() })
    expect(future.body.numberMatched).toBe(0)
    const past = await admin.get('/api/audit-log').query({ to: '2001-01-01T00:00:00Z' })
    expect(past.body.numberMatched).toBe(0)

    expectErrorBody(await tobaccoClerk.get('/api/audit-log'), 403, 'FORBIDDEN')
    expectErrorBody(await tobaccoViewer.get('/api/audit-log'), 403, 'FORBIDDEN')
    expectErrorBody(await t.request().get('/api/audit-log'), 401)
  })
})
