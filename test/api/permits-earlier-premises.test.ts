/**
 * Renewals, relocations and changes name the earlier premises record and, once approved, rewrite it
 * (history and conflicts in the same transaction) instead of registering new premises. A renewal of
 * premises that predate a school whose zone they lie in carries rectification guidance and can only be
 * approved as a time-limited rectification, once.
 */
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GUYUAN, offset, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let admin: TestAgent
let tobaccoClerk: TestAgent
let tobaccoSupervisor: TestAgent
let lotteryClerk: TestAgent

const CENTRE = [GUYUAN.lon, GUYUAN.lat] as const
/** The school is a 120 m × 80 m campus on the centre, opened 2001-09-01: 150 m east is 90 m from its edge, 500 m east 440 m. */
const INSIDE = offset(CENTRE, 150, 0)
const OUTSIDE = offset(CENTRE, 500, 0)
const XIJI: [number, number] = [105.6989776, 35.9015579]
/** Far enough in the future that a renewal always runs on from it, whatever day the tests run. */
const FAR_EXPIRY = '2090-06-30'

function idNumber(serial: number): string {
  const body = `64040219900101${String(serial % 1000).padStart(3, '0')}`
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = weights.reduce((total, w, i) => total + w * Number(body[i]), 0)
  return body + '10X98765432'[sum % 11]!
}

let serial = 0
function application(
  kind: string,
  premisesId: number | undefined,
  at: readonly number[],
  overrides: { category?: string; businessName?: string; address?: string } = {},
) {
  serial += 1
  return {
    applicant: { name: '王五', idNumber: idNumber(serial) },
    businessName: overrides.businessName ?? `老店${serial}`,
    category: overrides.category ?? 'tobacco_retail',
    address: overrides.address ?? '原州区老街1号',
    location: { lon: at[0], lat: at[1] },
    kind,
    ...(premisesId === undefined ? {} : { premisesId }),
  }
}

let licence = 0
async function registerPremises(
  at: readonly number[],
  properties: Record<string, unknown>,
  category = 'tobacco_retail',
  agent = admin,
): Promise<number> {
  licence += 1
  const response = await agent
    .post('/api/premises')
    .send(
      premisesFeature({ at, category, licenceNo: `OLD-${licence}-${Date.now()}`, properties: { expiresOn: FAR_EXPIRY, ...properties } }),
    )
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body.id
}

async function submit(agent: TestAgent, body: object) {
  const response = await agent.post('/api/permits').send(body)
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body
}

const premisesCount = async () =>
  Number(
    (
      await t.app.db
        .selectFrom('premises')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )
const premises = async (id: number) => (await admin.get(`/api/premises/${id}`).expect(200)).body
/** Today in China Standard Time, plus some days. */
const dayPlus = (days: number) => new Date(Date.now() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10)
function termEnd(from: string, years: number) {
  const [y, m, d] = from.split('-').map(Number) as [number, number, number]
  const end = new Date(Date.UTC(y + years, m - 1, d))
  if (end.getUTCDate() !== d) end.setUTCDate(0)
  end.setUTCDate(end.getUTCDate() - 1)
  return end.toISOString().slice(0, 10)
}

beforeAll(async () => {
  t = await startTestApp()
  admin = (await t.signIn({ department: 'admin', role: 'admin' })).agent
  tobaccoClerk = (await t.signIn({ department: 'tobacco', role: 'clerk', countyCode: '640402' })).agent
  tobaccoSupervisor = (await t.signIn({ department: 'tobacco', role: 'supervisor', countyCode: '640402' })).agent
  lotteryClerk = (await t.signIn({ department: 'lottery_welfare', role: 'clerk', countyCode: '640402' })).agent
  await admin
    .post('/api/schools')
    .send(schoolFeature({ center: CENTRE, name: '老城小学', properties: { openedOn: '2001-09-01' } }))
    .expect(201)
})

afterAll(async () => {
  await t?.close()
})

describe('rectification: a renewal of premises that predate the school', () => {
  let premisesId: number
  let deadline: string

  beforeAll(async () => {
    premisesId = await registerPremises(INSIDE, { licensedOn: '1998-05-01' })
  })

  it('carries the guidance: which school it predates and by which dates, and the latest deadline', async () => {
    const permit = await submit(tobaccoClerk, application('renewal', premisesId, INSIDE))
    expect(permit.premisesId).toBe(premisesId)
    expect(permit.screening.verdict).toBe('prohibited')
    expect(permit.screening.rectification).toMatchObject({
      premisesId,
      predates: [{ schoolName: '老城小学', schoolSince: '2001-09-01', premisesSince: '1998-05-01', basis: 'licence_and_opening_dates' }],
      grantedUntil: null,
      deadlineAtMost: termEnd(dayPlus(0), 5),
    })
    expect(permit.screening.rectification.guidance).toMatch(/限期整改/)
    expect(permit.screening.rectification.guidanceEn).toMatch(/time-limited rectification/)
  })

  it('is approved only by a supervisor, with a justification and a rectification deadline within a term; the licence then ends on the deadline', async () => {
    const before = await premises(premisesId)
    const count = await premisesCount()
    const { body: pending } = await tobaccoClerk.get('/api/permits').query({ status: 'pending', category: 'tobacco_retail' })
    const permit = pending.permits.find((p: { premisesId: number }) => p.premisesId === premisesId)
    const url = `/api/permits/${permit.id}/decision`
    const approve = { decision: 'approve', reason: '限期整改', version: permit.version, overrideJustification: '早于学校设立，给予整改期' }
    expectErrorBody(await tobaccoClerk.post(url).send(approve), 403, 'FORBIDDEN')
    const without = await tobaccoSupervisor.post(url).send(approve)
    expectErrorBody(without, 400, 'VALIDATION_FAILED')
    expect(without.body.message).toMatch(/^body\/rectification: is required/)
    const tooLate = await tobaccoSupervisor
      .post(url)
      .send({ ...approve, rectification: { measure: 'relocate', deadline: dayPlus(6 * 366) } })
    expectErrorBody(tooLate, 400, 'VALIDATION_FAILED')
    expect(tooLate.body.message).toMatch(/^body\/rectification\/deadline: must be after today/)
    const past = await tobaccoSupervisor.post(url).send({ ...approve, rectification: { measure: 'relocate', deadline: dayPlus(-1) } })
    expect(past.body.message).toMatch(/^body\/rectification\/deadline/)
    const badMeasure = await tobaccoSupervisor.post(url).send({ ...approve, rectification: { measure: 'ignore', deadline: dayPlus(30) } })
    expectErrorBody(badMeasure, 400)
    expect(badMeasure.body.message).toMatch(/measure/)

    deadline = dayPlus(180)
    const approved = await tobaccoSupervisor.post(url).send({ ...approve, rectification: { measure: 'relocate', deadline } })
    expect(approved.status, JSON.stringify(approved.body)).toBe(200)
    expect(approved.body).toMatchObject({
      status: 'approved',
      flaggedOverride: true,
      premisesId,
      licenceNo: before.properties.licenceNo,
      decision: { rectification: { measure: 'relocate', deadline } },
    })
    const after = await premises(premisesId)
    expect(after.properties).toMatchObject({
      expiresOn: deadline,
      licensedOn: '1998-05-01',
      licenceNo: before.properties.licenceNo,
      licenceStatus: 'active',
      version: before.properties.version + 1,
    })
    expect(await premisesCount()).toBe(count)
    const history = (await admin.get(`/api/premises/${premisesId}/history`).expect(200)).body.entries
    const update = history.at(-1)
    expect(update).toMatchObject({ action: 'update', user: { role: 'supervisor', department: 'tobacco' }, requestId: expect.any(String) })
    expect(update.before.properties.expiresOn).toBe(FAR_EXPIRY)
    expect(update.after).toMatchObject({ permitId: permit.id, permitKind: 'renewal', properties: { expiresOn: deadline } })
    // Still inside the zone: the conflict stays, recomputed with the record.
    const conflicts = await admin.get('/api/conflicts').query({ premisesId }).expect(200)
    expect(conflicts.body.conflicts).toHaveLength(1)
    expect(conflicts.body.conflicts[0]).toMatchObject({ schoolName: '老城小学', expiresOn: deadline, preexisting: true })
  })

  it('a further renewal shows the period granted and cannot be approved; rejecting it leaves the record as it was', async () => {
    const before = await premises(premisesId)
    const permit = await submit(tobaccoClerk, application('renewal', premisesId, INSIDE))
    expect(permit.screening.rectification).toMatchObject({ grantedUntil: deadline, deadlineAtMost: null })
    expect(permit.screening.rectification.guidance).toContain(deadline)
    const url = `/api/permits/${permit.id}/decision`
    const refused = await tobaccoSupervisor.post(url).send({
      decision: 'approve',
      reason: '再续',
      version: 1,
      overrideJustification: '再给一次',
      rectification: { measure: 'close', deadline: dayPlus(30) },
    })
    expectErrorBody(refused, 422, 'UNPROCESSABLE')
    expect(refused.body.message).toMatch(/^body\/decision: .*no renewal beyond it/)
    const rejected = await tobaccoClerk.post(url).send({ decision: 'reject', reason: '整改期满不再续期', version: 1 })
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200)
    expect(rejected.body).toMatchObject({ status: 'rejected', premisesId, decision: { rectification: null } })
    expect(await premises(premisesId)).toEqual(before)
  })

  it('premises licensed after the school opened get no guidance: a renewal in the zone is a plain conflict', async () => {
    const later = await registerPremises(offset(CENTRE, 0, 120), { licensedOn: '2020-01-01' })
    const permit = await submit(tobaccoClerk, application('renewal', later, offset(CENTRE, 0, 120)))
    expect(permit.screening.verdict).toBe('prohibited')
    expect(permit.screening.rectification).toBeUndefined()
    const refused = await tobaccoSupervisor.post(`/api/permits/${permit.id}/decision`).send({
      decision: 'approve',
      reason: 'x',
      version: 1,
      overrideJustification: 'y',
      rectification: { measure: 'close', deadline: dayPlus(30) },
    })
    expectErrorBody(refused, 400, 'VALIDATION_FAILED')
    expect(refused.body.message).toMatch(/^body\/rectification: is only for/)
  })

  it('without a licence date, the registry creation times decide: premises registered before the school predate it', async () => {
    const early = await registerPremises(offset(CENTRE, -150, 0), { licensedOn: null })
    const newSchool = offset(CENTRE, -300, 0)
    await admin
      .post('/api/schools')
      .send(schoolFeature({ center: newSchool, name: '新建幼儿园', schoolType: 'kindergarten', properties: { openedOn: null } }))
      .expect(201)
    const permit = await submit(tobaccoClerk, application('renewal', early, offset(CENTRE, -150, 0)))
    const predates = permit.screening.rectification.predates
    expect(predates).toContainEqual(expect.objectContaining({ schoolName: '新建幼儿园', basis: 'registry_creation' }))
    expect(predates.some((p: { schoolName: string }) => p.schoolName === '老城小学')).toBe(false)
  })
})

describe('approval rewrites the earlier record', () => {
  it('renewal: the term runs on from the old expiry, same licence number, no new premises', async () => {
    const id = await registerPremises(OUTSIDE, { licensedOn: '2019-03-01' })
    const before = await premises(id)
    const count = await premisesCount()
    const permit = await submit(tobaccoClerk, application('renewal', id, OUTSIDE))
    expect(permit.screening.verdict).toBe('allowed')
    const decided = await tobaccoClerk.post(`/api/permits/${permit.id}/decision`).send({ decision: 'approve', reason: '延续', version: 1 })
    expect(decided.status, JSON.stringify(decided.body)).toBe(200)
    expect(decided.body).toMatchObject({ premisesId: id, licenceNo: before.properties.licenceNo, flaggedOverride: false })
    const after = await premises(id)
    expect(after.properties).toMatchObject({ expiresOn: termEnd('2090-07-01', 5), licensedOn: '2019-03-01', name: before.properties.name })
    expect(after.geometry).toEqual(before.geometry)
    expect(await premisesCount()).toBe(count)
  })

  it('relocation: moved to the new point, county, name and address, licensed there from today; conflicts recomputed', async () => {
    const id = await registerPremises(OUTSIDE, { licensedOn: '2019-03-01' })
    const count = await premisesCount()
    expect((await admin.get('/api/conflicts').query({ premisesId: id })).body.numberMatched).toBe(0)
    const target = offset(CENTRE, 0, -130)
    const permit = await submit(
      tobaccoSupervisor,
      application('relocation', id, target, { businessName: '迁址新店', address: '原州区新街9号' }),
    )
    expect(permit.screening.verdict).toBe('prohibited')
    const decided = await tobaccoSupervisor
      .post(`/api/permits/${permit.id}/decision`)
      .send({ decision: 'approve', reason: '迁址', version: 1, overrideJustification: '测试：迁入区域' })
    expect(decided.status, JSON.stringify(decided.body)).toBe(200)
    const after = await premises(id)
    expect(after.properties).toMatchObject({
      name: '迁址新店',
      address: '原州区新街9号',
      countyCode: '640402',
      licensedOn: dayPlus(0),
      expiresOn: FAR_EXPIRY,
    })
    expect(after.geometry.coordinates[0]).toBeCloseTo(target[0], 9)
    expect(after.geometry.coordinates[1]).toBeCloseTo(target[1], 9)
    expect(await premisesCount()).toBe(count)
    const conflicts = await admin.get('/api/conflicts').query({ premisesId: id }).expect(200)
    expect(conflicts.body.numberMatched).toBe(1)
    expect(conflicts.body.conflicts[0]).toMatchObject({ schoolName: '老城小学', preexisting: false })
  })

  it('change: renamed and readdressed where it stands', async () => {
    const id = await registerPremises(OUTSIDE, {})
    const before = await premises(id)
    // A pasted point a few metres off the registered one is the same place; the registered point is screened.
    const permit = await submit(
      tobaccoClerk,
      application('change', id, offset(OUTSIDE, 10, 5), { businessName: '更名后的店', address: '原州区老街1号之一' }),
    )
    expect(permit.location.lon).toBeCloseTo(before.geometry.coordinates[0], 9)
    const decided = await tobaccoClerk.post(`/api/permits/${permit.id}/decision`).send({ decision: 'approve', reason: '变更', version: 1 })
    expect(decided.status, JSON.stringify(decided.body)).toBe(200)
    const after = await premises(id)
    expect(after.properties).toMatchObject({
      name: '更名后的店',
      address: '原州区老街1号之一',
      expiresOn: FAR_EXPIRY,
      licenceNo: before.properties.licenceNo,
    })
    expect(after.geometry).toEqual(before.geometry)
  })

  it('reject leaves the registry unchanged', async () => {
    const id = await registerPremises(OUTSIDE, {})
    const before = await premises(id)
    const count = await premisesCount()
    for (const [kind, at] of [
      ['renewal', OUTSIDE],
      ['relocation', offset(CENTRE, 800, 0)],
      ['change', OUTSIDE],
    ] as const) {
      const permit = await submit(tobaccoClerk, application(kind, id, at))
      const decided = await tobaccoClerk
        .post(`/api/permits/${permit.id}/decision`)
        .send({ decision: 'reject', reason: '不予批准', version: 1 })
      expect(decided.status, JSON.stringify(decided.body)).toBe(200)
      expect(await premises(id)).toEqual(before)
    }
    expect(await premisesCount()).toBe(count)
  })

  it('new still registers new premises', async () => {
    const count = await premisesCount()
    const permit = await submit(tobaccoClerk, application('new', undefined, offset(CENTRE, 900, 0)))
    const decided = await tobaccoClerk.post(`/api/permits/${permit.id}/decision`).send({ decision: 'approve', reason: '新办', version: 1 })
    expect(decided.status).toBe(200)
    expect(await premisesCount()).toBe(count + 1)
    expect((await premises(decided.body.premisesId)).properties.name).toBe(permit.businessName)
  })
})

describe('naming the earlier premises: bad references are refused naming premisesId', () => {
  let tobaccoId: number
  let lotteryId: number
  let xijiId: number

  beforeAll(async () => {
    tobaccoId = await registerPremises(offset(CENTRE, 1200, 0), {})
    lotteryId = await registerPremises(offset(CENTRE, 1300, 0), {}, 'lottery_outlet')
    xijiId = await registerPremises(XIJI, { countyCode: '640422' })
  })

  it('premisesId on a new application', async () => {
    const response = await tobaccoClerk.post('/api/permits').send(application('new', tobaccoId, offset(CENTRE, 1200, 0)))
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toMatch(/^body\/premisesId: is only for/)
  })

  for (const kind of ['renewal', 'relocation', 'change']) {
    it(`no premisesId on a ${kind}`, async () => {
      const response = await tobaccoClerk.post('/api/permits').send(application(kind, undefined, offset(CENTRE, 1200, 0)))
      expectErrorBody(response, 400, 'VALIDATION_FAILED')
      expect(response.body.message).toMatch(/^body\/premisesId: is required/)
    })
  }

  it('premises that do not exist', async () => {
    const response = await tobaccoClerk.post('/api/permits').send(application('renewal', 2147483647, offset(CENTRE, 1200, 0)))
    expectErrorBody(response, 422, 'UNPROCESSABLE')
    expect(response.body.message).toMatch(/^body\/premisesId: premises 2147483647 does not exist/)
  })

  it('premises of another category', async () => {
    const response = await tobaccoClerk.post('/api/permits').send(application('renewal', lotteryId, offset(CENTRE, 1300, 0)))
    expectErrorBody(response, 422, 'UNPROCESSABLE')
    expect(response.body.message).toMatch(/^body\/premisesId: .*lottery_outlet, not tobacco_retail/)
    // …and the lottery desk cannot renew tobacco premises either.
    const lottery = await lotteryClerk
      .post('/api/permits')
      .send(application('renewal', tobaccoId, offset(CENTRE, 1200, 0), { category: 'lottery_outlet' }))
    expectErrorBody(lottery, 422, 'UNPROCESSABLE')
  })

  it('premises outside the clerk’s county', async () => {
    const response = await tobaccoClerk.post('/api/permits').send(application('relocation', xijiId, offset(CENTRE, 1400, 0)))
    expectErrorBody(response, 403, 'FORBIDDEN')
    expect(response.body.message).toMatch(/^body\/premisesId: your scope is county 640402/)
  })

  it('a renewal or change whose location is not where the premises are', async () => {
    for (const kind of ['renewal', 'change']) {
      const response = await tobaccoClerk.post('/api/permits').send(application(kind, tobaccoId, offset(CENTRE, 1300, 0)))
      expectErrorBody(response, 400, 'VALIDATION_FAILED')
      expect(response.body.message).toMatch(/^body\/location: is 10\d\.\d m from premises \d+'s registered point/)
    }
  })

  it('a second pending application for the same premises', async () => {
    await submit(tobaccoClerk, application('renewal', tobaccoId, offset(CENTRE, 1200, 0)))
    const response = await tobaccoClerk.post('/api/permits').send(application('change', tobaccoId, offset(CENTRE, 1200, 0)))
    expectErrorBody(response, 409, 'CONFLICT')
    expect(response.body.message).toMatch(/^body\/premisesId: application \d+ for premises \d+ is still pending/)
  })

  it('premisesId of the wrong type', async () => {
    for (const premisesId of ['1', 0, -3, 1.5, 2147483648]) {
      const response = await tobaccoClerk.post('/api/permits').send({ ...application('renewal', undefined, OUTSIDE), premisesId })
      expectErrorBody(response, 400, 'VALIDATION_FAILED')
      expect(response.body.message).toContain('premisesId')
    }
  })
})
