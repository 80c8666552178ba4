import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toWgs84 } from '../../server/geo/crs.ts'
import { COUNTY_POINTS, GUYUAN, offset, premisesFeature, rectangle, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let education: TestAgent
let tobacco: TestAgent
let admin: TestAgent
beforeAll(async () => {
  t = await startTestApp()
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  admin = (await t.signIn({ department: 'admin', role: 'admin' })).agent
})
afterAll(async () => {
  await t?.close()
})

const CENTER = [GUYUAN.lon, GUYUAN.lat] as const
const XIJI = [...COUNTY_POINTS['640422']!]
/** Twice the signed area of a ring (shoelace): positive when counter-clockwise. */
const signedArea = (ring: number[][]) =>
  ring.slice(0, -1).reduce((sum, [x1, y1], i) => sum + x1! * ring[i + 1]![1]! - ring[i + 1]![0]! * y1!, 0)
const expectSamePositions = (actual: number[][], expected: number[][]) => {
  expect(actual).toHaveLength(expected.length)
  actual.forEach((p, i) => {
    expect(Math.abs(p[0]! - expected[i]![0]!)).toBeLessThan(1e-9)
    expect(Math.abs(p[1]! - expected[i]![1]!)).toBeLessThan(1e-9)
  })
}

describe('schools', () => {
  it('registers a school from a Feature: 201 with its id, a Location and the stored record', async () => {
    const input = schoolFeature({ center: offset(CENTER, 1000, 1000), name: '登记测试小学' })
    const response = await education.post('/api/schools').send(input).expect(201)
    expect(response.body.id).toEqual(expect.any(Number))
    expect(response.headers.location).toBe(`/api/schools/${response.body.id}`)
    const { gates, ...properties } = input.properties
    expect(response.body).toMatchObject({ type: 'Feature', properties: { ...properties, sourceCrs: 'wgs84', demo: false, version: 1 } })
    expectSamePositions(response.body.properties.gates, gates)
  })

  it('reads a school back by id with every property and its geometry', async () => {
    const input = schoolFeature({ center: offset(CENTER, 1500, 1000), name: '读取测试中学', schoolType: 'junior_middle' })
    const created = await education.post('/api/schools').send(input).expect(201)
    const read = await education.get(`/api/schools/${created.body.id}`).expect(200)
    expect(read.body).toEqual(created.body)
    expect(read.body.properties).toMatchObject({
      name: '读取测试中学',
      schoolType: 'junior_middle',
      countyCode: '640402',
      students: 800,
      staff: 60,
      boarding: false,
      openedOn: '2001-09-01',
    })
    expect(read.body.properties.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/)
    expectSamePositions(read.body.properties.gates, input.properties.gates)
    expectSamePositions(read.body.geometry.coordinates[0], (input.geometry as { coordinates: number[][][] }).coordinates[0]!)
  })

  it('stores a clockwise campus with its exterior ring counter-clockwise (RFC 7946), same corners', async () => {
    const ccw = rectangle(offset(CENTER, 2000, 1000))
    const clockwise = [...ccw].reverse()
    expect(signedArea(clockwise)).toBeLessThan(0)
    const created = await education
      .post('/api/schools')
      .send(schoolFeature({ geometry: { type: 'Polygon', coordinates: [clockwise] }, gates: [] }))
      .expect(201)
    const ring = created.body.geometry.coordinates[0] as number[][]
    expect(signedArea(ring)).toBeGreaterThan(0)
    const key = (p: number[]) => `${p[0]!.toFixed(8)},${p[1]!.toFixed(8)}`
    expect(new Set(ring.map(key))).toEqual(new Set(ccw.map(key)))
  })

  it('keeps a MultiPolygon campus a MultiPolygon', async () => {
    const a = rectangle(offset(CENTER, 2500, 1000), 60, 60)
    const b = rectangle(offset(CENTER, 2600, 1000), 60, 60)
    const created = await education
      .post('/api/schools')
      .send(schoolFeature({ geometry: { type: 'MultiPolygon', coordinates: [[a], [b]] }, gates: [] }))
      .expect(201)
    expect(created.body.geometry.type).toBe('MultiPolygon')
    expect(created.body.geometry.coordinates).toHaveLength(2)
  })

  it('changes a school with PATCH and bumps its version', async () => {
    const created = await education
      .post('/api/schools')
      .send(schoolFeature({ center: offset(CENTER, 3000, 1000) }))
      .expect(201)
    const patched = await education
      .patch(`/api/schools/${created.body.id}`)
      .send({ version: 1, properties: { students: 950, name: '改名小学' } })
      .expect(200)
    expect(patched.body.properties).toMatchObject({ students: 950, name: '改名小学', staff: 60, version: 2 })
    const read = await education.get(`/api/schools/${created.body.id}`).expect(200)
    expect(read.body.properties.version).toBe(2)
  })

  it('moves a campus with PATCH geometry', async () => {
    const created = await education
      .post('/api/schools')
      .send(schoolFeature({ center: offset(CENTER, 3500, 1000), gates: [] }))
      .expect(201)
    const moved = rectangle(offset(CENTER, 3500, 1200))
    const patched = await education
      .patch(`/api/schools/${created.body.id}`)
      .send({ geometry: { type: 'Polygon', coordinates: [moved] } })
      .expect(200)
    expectSamePositions(patched.body.geometry.coordinates[0], moved)
  })

  it('refuses a PATCH with a stale version: 409 and nothing changes', async () => {
    const created = await education
      .post('/api/schools')
      .send(schoolFeature({ center: offset(CENTER, 4000, 1000) }))
      .expect(201)
    await education
      .patch(`/api/schools/${created.body.id}`)
      .send({ version: 1, properties: { staff: 61 } })
      .expect(200)
    const stale = await education.patch(`/api/schools/${created.body.id}`).send({ version: 1, properties: { staff: 99 } })
    expectErrorBody(stale, 409, 'VERSION_CONFLICT')
    expect(stale.body.message).toMatch(/^version: /)
    expect((await education.get(`/api/schools/${created.body.id}`)).body.properties).toMatchObject({ staff: 61, version: 2 })
  })

  it('lets only one of two simultaneous changes from the same version through', async () => {
    const created = await education
      .post('/api/schools')
      .send(schoolFeature({ center: offset(CENTER, 4200, 1000) }))
      .expect(201)
    const [a, b] = await Promise.all([
      education.patch(`/api/schools/${created.body.id}`).send({ version: 1, properties: { staff: 70 } }),
      education.patch(`/api/schools/${created.body.id}`).send({ version: 1, properties: { staff: 80 } }),
    ])
    expect([a!.status, b!.status].sort()).toEqual([200, 409])
    const winner = a!.status === 200 ? 70 : 80
    expect((await education.get(`/api/schools/${created.body.id}`)).body.properties).toMatchObject({ staff: winner, version: 2 })
    const history = await education.get(`/api/schools/${created.body.id}/history`).expect(200)
    expect(history.body.entries.map((e: { action: string }) => e.action)).toEqual(['create', 'update'])
  })

  it('deletes a school: 204, then 404 with the error body', async () => {
    const created = await education
      .post('/api/schools')
      .send(schoolFeature({ center: offset(CENTER, 4500, 1000) }))
      .expect(201)
    await education.delete(`/api/schools/${created.body.id}`).expect(204)
    expectErrorBody(await education.get(`/api/schools/${created.body.id}`), 404, 'NOT_FOUND')
    expectErrorBody(await education.delete(`/api/schools/${created.body.id}`), 404, 'NOT_FOUND')
  })

  it('keeps a history of create, update and delete with who, when, before and after, also after deletion', async () => {
    const { agent, user } = await t.signIn({ department: 'education', role: 'supervisor' })
    const started = Date.now()
    const created = await agent
      .post('/api/schools')
      .send(schoolFeature({ center: offset(CENTER, 5000, 1000), name: '历史小学' }))
      .expect(201)
    const id = created.body.id as number
    await agent
      .patch(`/api/schools/${id}`)
      .send({ properties: { name: '历史中学' } })
      .expect(200)
    await agent.delete(`/api/schools/${id}`).expect(204)
    const history = await education.get(`/api/schools/${id}/history`).expect(200)
    const entries = history.body.entries as {
      action: string
      at: string
      user: { id: number; username: string }
      before: any
      after: any
      requestId: string
    }[]
    expect(entries.map((e) => e.action)).toEqual(['create', 'update', 'delete'])
    for (const entry of entries) {
      expect(entry.user).toMatchObject({ id: user.id, username: user.username, department: 'education', role: 'supervisor' })
      expect(Date.parse(entry.at)).toBeGreaterThanOrEqual(started - 5000)
      expect(entry.requestId).toEqual(expect.any(String))
    }
    const [create, update, remove] = entries
    expect(create!.before).toBeNull()
    expect(create!.after.properties.name).toBe('历史小学')
    expect(update!.before.properties.name).toBe('历史小学')
    expect(update!.after.properties.name).toBe('历史中学')
    expect(remove!.before.properties.name).toBe('历史中学')
    expect(remove!.after).toBeNull()
  })

  it('answers 404 for the history of a record that never existed', async () => {
    expectErrorBody(await education.get('/api/schools/2000000000/history'), 404, 'NOT_FOUND')
  })
})

describe('premises', () => {
  it('registers, reads, changes and deletes premises', async () => {
    const input = premisesFeature({ at: offset(CENTER, 1000, -1000), licenceNo: 'YC-CRUD-1' })
    const created = await tobacco.post('/api/premises').send(input).expect(201)
    expect(created.headers.location).toBe(`/api/premises/${created.body.id}`)
    expect(created.body.properties).toMatchObject({ ...input.properties, sourceCrs: 'wgs84', version: 1 })
    expectSamePositions([created.body.geometry.coordinates], [input.geometry.coordinates as number[]])
    const read = await tobacco.get(`/api/premises/${created.body.id}`).expect(200)
    expect(read.body).toEqual(created.body)
    const patched = await tobacco
      .patch(`/api/premises/${created.body.id}`)
      .send({ version: 1, properties: { licenceStatus: 'suspended' } })
      .expect(200)
    expect(patched.body.properties).toMatchObject({ licenceStatus: 'suspended', version: 2, licenceNo: 'YC-CRUD-1' })
    expectErrorBody(
      await tobacco.patch(`/api/premises/${created.body.id}`).send({ version: 1, properties: { licenceStatus: 'active' } }),
      409,
      'VERSION_CONFLICT',
    )
    await tobacco.delete(`/api/premises/${created.body.id}`).expect(204)
    expectErrorBody(await tobacco.get(`/api/premises/${created.body.id}`), 404, 'NOT_FOUND')
    const history = await tobacco.get(`/api/premises/${created.body.id}/history`).expect(200)
    expect(history.body.entries.map((e: { action: string }) => e.action)).toEqual(['create', 'update', 'delete'])
  })

  it('refuses a second premises with a licence number already registered: 409', async () => {
    await tobacco
      .post('/api/premises')
      .send(premisesFeature({ licenceNo: 'YC-DUP-1' }))
      .expect(201)
    const duplicate = await tobacco.post('/api/premises').send(premisesFeature({ licenceNo: 'YC-DUP-1', at: offset(CENTER, 50, 50) }))
    expectErrorBody(duplicate, 409, 'DUPLICATE')
    expect(duplicate.body.message).toContain('licenceNo')
  })

  it('refuses a PATCH that takes another premises licence number: 409', async () => {
    await tobacco
      .post('/api/premises')
      .send(premisesFeature({ licenceNo: 'YC-DUP-2' }))
      .expect(201)
    const other = await tobacco
      .post('/api/premises')
      .send(premisesFeature({ licenceNo: 'YC-DUP-3' }))
      .expect(201)
    expectErrorBody(await tobacco.patch(`/api/premises/${other.body.id}`).send({ properties: { licenceNo: 'YC-DUP-2' } }), 409, 'DUPLICATE')
  })

  it('refuses an expiry before the licence date, naming the field', async () => {
    const response = await tobacco
      .post('/api/premises')
      .send(premisesFeature({ properties: { licensedOn: '2024-01-01', expiresOn: '2023-01-01' } }))
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toContain('expiresOn')
  })
})

describe('lists', () => {
  // Pengyang (640425) and the area 30 km east are used by this block only.
  const COUNTY = '640425'
  const base = offset(CENTER, 30_000, 0)
  const schoolIds: number[] = []
  beforeAll(async () => {
    const specs = [
      { center: offset(base, 0, 0), schoolType: 'kindergarten' },
      { center: offset(base, 500, 0), schoolType: 'primary' },
      { center: offset(base, 1000, 0), schoolType: 'primary' },
      { center: offset(base, 5000, 0), schoolType: 'senior_high' },
      { center: offset(base, 5500, 0), schoolType: 'primary' },
    ]
    for (const spec of specs) {
      const response = await admin
        .post('/api/schools')
        .send(schoolFeature({ ...spec, countyCode: COUNTY, name: `列表测试${spec.schoolType}` }))
        .expect(201)
      schoolIds.push(response.body.id)
    }
    await admin
      .post('/api/schools')
      .send(schoolFeature({ countyCode: '640424' }))
      .expect(201)
    for (const [i, category] of (['tobacco_retail', 'tobacco_retail', 'internet_cafe', 'fireworks'] as const).entries()) {
      await admin
        .post('/api/premises')
        .send(premisesFeature({ at: offset(base, i * 400, -300), category, countyCode: COUNTY, licenceNo: `LIST-${i}` }))
        .expect(201)
    }
  })

  it('answers a FeatureCollection with numberMatched and numberReturned, filtered by county', async () => {
    const response = await education.get('/api/schools').query({ countyCode: COUNTY }).expect(200)
    expect(response.body).toMatchObject({ type: 'FeatureCollection', numberMatched: 5, numberReturned: 5 })
    expect(response.body.features.map((f: { id: number }) => f.id)).toEqual(schoolIds)
    expect(response.body.features.every((f: { properties: { countyCode: string } }) => f.properties.countyCode === COUNTY)).toBe(true)
  })

  it('filters schools by schoolType', async () => {
    const response = await education.get('/api/schools').query({ countyCode: COUNTY, schoolType: 'primary' }).expect(200)
    expect(response.body.numberMatched).toBe(3)
    expect(response.body.features.every((f: { properties: { schoolType: string } }) => f.properties.schoolType === 'primary')).toBe(true)
  })

  it('filters premises by category', async () => {
    const response = await education.get('/api/premises').query({ countyCode: COUNTY, category: 'tobacco_retail' }).expect(200)
    expect(response.body).toMatchObject({ numberMatched: 2, numberReturned: 2 })
    const all = await education.get('/api/premises').query({ countyCode: COUNTY }).expect(200)
    expect(all.body.numberMatched).toBe(4)
  })

  it('filters by bbox=minLon,minLat,maxLon,maxLat', async () => {
    const [minLon, minLat] = offset(base, -200, -200)
    const [maxLon, maxLat] = offset(base, 1200, 200)
    const response = await education
      .get('/api/schools')
      .query({ bbox: [minLon, minLat, maxLon, maxLat].join(',') })
      .expect(200)
    expect(response.body.features.map((f: { id: number }) => f.id)).toEqual(schoolIds.slice(0, 3))
    const empty = await education.get('/api/schools').query({ bbox: '100,10,100.1,10.1' }).expect(200)
    expect(empty.body).toMatchObject({ numberMatched: 0, numberReturned: 0, features: [] })
  })

  it('pages with limit and offset while numberMatched counts every match', async () => {
    const response = await education.get('/api/schools').query({ countyCode: COUNTY, limit: 2, offset: 1 }).expect(200)
    expect(response.body).toMatchObject({ numberMatched: 5, numberReturned: 2 })
    expect(response.body.features.map((f: { id: number }) => f.id)).toEqual(schoolIds.slice(1, 3))
    const last = await education.get('/api/schools').query({ countyCode: COUNTY, limit: 2, offset: 4 }).expect(200)
    expect(last.body).toMatchObject({ numberMatched: 5, numberReturned: 1 })
  })

  it('refuses a limit above 1000 and a malformed bbox, naming the parameter', async () => {
    const limit = await education.get('/api/schools').query({ limit: 1001 })
    expectErrorBody(limit, 400, 'VALIDATION_FAILED')
    expect(limit.body.message).toContain('limit')
    const bbox = await education.get('/api/schools').query({ bbox: '107,37,106,36' })
    expectErrorBody(bbox, 400, 'VALIDATION_FAILED')
    expect(bbox.body.message).toContain('bbox')
  })
})

describe('coordinate systems', () => {
  it('converts a GCJ-02 premises position to WGS84 on intake and records gcj02', async () => {
    const gcj = [106.245, 36.012] as const
    const response = await tobacco
      .post('/api/premises')
      .query({ crs: 'gcj02' })
      .send(premisesFeature({ at: gcj }))
      .expect(201)
    const expected = toWgs84(gcj[0], gcj[1], 'gcj02')
    expect(response.body.properties.sourceCrs).toBe('gcj02')
    expectSamePositions([response.body.geometry.coordinates], [expected])
    // About 380 m away at Guyuan: the conversion really happened.
    expect(Math.abs(response.body.geometry.coordinates[0] - gcj[0])).toBeGreaterThan(0.001)
    const read = await tobacco.get(`/api/premises/${response.body.id}`).expect(200)
    expectSamePositions([read.body.geometry.coordinates], [expected])
  })

  it('converts a BD-09 campus and its gates to WGS84 and records bd09', async () => {
    const input = schoolFeature({ center: offset(CENTER, 6000, 1000) })
    const response = await education.post('/api/schools').query({ crs: 'bd09' }).send(input).expect(201)
    expect(response.body.properties.sourceCrs).toBe('bd09')
    const ring = (input.geometry as { coordinates: number[][][] }).coordinates[0]!
    expectSamePositions(
      response.body.geometry.coordinates[0],
      ring.map(([x, y]) => toWgs84(x!, y!, 'bd09')),
    )
    expectSamePositions(
      response.body.properties.gates,
      input.properties.gates.map(([x, y]) => toWgs84(x!, y!, 'bd09')),
    )
  })

  it('refuses an unknown crs, naming the parameter', async () => {
    const response = await tobacco.post('/api/premises').query({ crs: 'mercator' }).send(premisesFeature())
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toContain('crs')
  })
})

describe('who may read and write', () => {
  it('lets the education department write schools but not the tobacco department (403)', async () => {
    const response = await tobacco.post('/api/schools').send(schoolFeature({ center: offset(CENTER, 7000, 1000) }))
    expectErrorBody(response, 403, 'FORBIDDEN')
  })

  it('lets a tobacco clerk write tobacco_retail premises but not an internet_cafe (403)', async () => {
    await tobacco
      .post('/api/premises')
      .send(premisesFeature({ category: 'tobacco_retail' }))
      .expect(201)
    const cafe = await tobacco.post('/api/premises').send(premisesFeature({ category: 'internet_cafe' }))
    expectErrorBody(cafe, 403, 'FORBIDDEN')
    expect(cafe.body.message).toContain('culture')
  })

  it('refuses a tobacco clerk turning their premises into an internet_cafe (403)', async () => {
    const created = await tobacco.post('/api/premises').send(premisesFeature()).expect(201)
    expectErrorBody(
      await tobacco.patch(`/api/premises/${created.body.id}`).send({ properties: { category: 'internet_cafe' } }),
      403,
      'FORBIDDEN',
    )
    expect((await tobacco.get(`/api/premises/${created.body.id}`)).body.properties.category).toBe('tobacco_retail')
  })

  it('refuses a tobacco clerk changing or deleting an internet_cafe (403)', async () => {
    const cafe = await admin
      .post('/api/premises')
      .send(premisesFeature({ category: 'internet_cafe' }))
      .expect(201)
    expectErrorBody(await tobacco.patch(`/api/premises/${cafe.body.id}`).send({ properties: { name: '改' } }), 403, 'FORBIDDEN')
    expectErrorBody(await tobacco.delete(`/api/premises/${cafe.body.id}`), 403, 'FORBIDDEN')
    await tobacco.get(`/api/premises/${cafe.body.id}`).expect(200)
  })

  it('lets any lottery department write lottery outlets', async () => {
    const { agent } = await t.signIn({ department: 'lottery_sports', role: 'clerk' })
    await agent
      .post('/api/premises')
      .send(premisesFeature({ category: 'lottery_outlet' }))
      .expect(201)
  })

  it('refuses every write to a viewer (403), even of their own department', async () => {
    const { agent } = await t.signIn({ department: 'education', role: 'viewer' })
    expectErrorBody(await agent.post('/api/schools').send(schoolFeature({ center: offset(CENTER, 7500, 1000) })), 403, 'FORBIDDEN')
    const existing = await education
      .post('/api/schools')
      .send(schoolFeature({ center: offset(CENTER, 8000, 1000) }))
      .expect(201)
    expectErrorBody(await agent.patch(`/api/schools/${existing.body.id}`).send({ properties: { name: 'x' } }), 403, 'FORBIDDEN')
    expectErrorBody(await agent.delete(`/api/schools/${existing.body.id}`), 403, 'FORBIDDEN')
  })

  it('keeps a county-scoped clerk to their county: writes there, 403 elsewhere', async () => {
    const { agent } = await t.signIn({ department: 'tobacco', role: 'clerk', countyCode: '640402' })
    await agent
      .post('/api/premises')
      .send(premisesFeature({ countyCode: '640402' }))
      .expect(201)
    const elsewhere = await agent.post('/api/premises').send(premisesFeature({ countyCode: '640422' }))
    expectErrorBody(elsewhere, 403, 'FORBIDDEN')
    expect(elsewhere.body.message).toContain('640402')
  })

  it('refuses a county-scoped clerk moving a record out of their county or touching another county', async () => {
    const { agent } = await t.signIn({ department: 'tobacco', role: 'clerk', countyCode: '640402' })
    const own = await agent
      .post('/api/premises')
      .send(premisesFeature({ countyCode: '640402' }))
      .expect(201)
    // Out of the county by moving the point (its county is found from there), or by declaring another county (422).
    expectErrorBody(
      await agent.patch(`/api/premises/${own.body.id}`).send({ geometry: { type: 'Point', coordinates: XIJI } }),
      403,
      'FORBIDDEN',
    )
    const declared = await agent.patch(`/api/premises/${own.body.id}`).send({ properties: { countyCode: '640422' } })
    expectErrorBody(declared, 422, 'UNPROCESSABLE')
    expect(declared.body.details.problems[0].field).toBe('body/properties/countyCode')
    expect((await agent.get(`/api/premises/${own.body.id}`)).body.properties).toMatchObject({ countyCode: '640402', version: 1 })
    const foreign = await tobacco
      .post('/api/premises')
      .send(premisesFeature({ countyCode: '640422' }))
      .expect(201)
    expectErrorBody(await agent.patch(`/api/premises/${foreign.body.id}`).send({ properties: { name: '改' } }), 403, 'FORBIDDEN')
    expectErrorBody(await agent.delete(`/api/premises/${foreign.body.id}`), 403, 'FORBIDDEN')
  })

  it('lets any signed-in user read the registry', async () => {
    const created = await education
      .post('/api/schools')
      .send(schoolFeature({ center: offset(CENTER, 8500, 1000) }))
      .expect(201)
    const { agent } = await t.signIn({ department: 'police', role: 'viewer' })
    await agent.get('/api/schools').expect(200)
    await agent.get('/api/premises').expect(200)
    await agent.get(`/api/schools/${created.body.id}`).expect(200)
    await agent.get(`/api/schools/${created.body.id}/history`).expect(200)
  })

  it('answers 401 to anonymous reads and writes', async () => {
    for (const path of ['/api/schools', '/api/premises', '/api/schools/1', '/api/premises/1', '/api/schools/1/history']) {
      expectErrorBody(await t.request().get(path), 401, 'UNAUTHENTICATED')
    }
    expectErrorBody(await t.request().post('/api/schools').send(schoolFeature()), 401, 'UNAUTHENTICATED')
    expectErrorBody(await t.request().post('/api/premises').send(premisesFeature()), 401, 'UNAUTHENTICATED')
    expectErrorBody(
      await t
        .request()
        .patch('/api/premises/1')
        .send({ properties: { name: 'x' } }),
      401,
      'UNAUTHENTICATED',
    )
    expectErrorBody(await t.request().delete('/api/schools/1'), 401, 'UNAUTHENTICATED')
  })
})
