/**
 * Scope from the geometry (issue #14): every write finds the county from where the record is (a point; a
 * campus by its point on surface; a road by its line; a hazard, sign or unit by its school or station),
 * refuses a declared county that disagrees and a place outside Guyuan (422 naming the field), and checks
 * the user's county scope against the county found. Runs on both databases like every API test.
 */
import type { Response } from 'supertest'
import type TestAgent from 'supertest/lib/agent.js'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COUNTY_POINTS, offset, premisesFeature, rectangle, schoolFeature } from '../factories/registry.ts'
import { gridFeature, stationFeature, unitFeature } from '../factories/police.ts'
import { png } from '../factories/hazards.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let admin: TestAgent
/** Clerks scoped to 原州区 (640402), one per department that writes located records. */
let tobacco402: TestAgent
let education402: TestAgent
let governance402: TestAgent
let police402: TestAgent
/** A tobacco clerk without a county scope. */
let tobaccoCity: TestAgent

const YUANZHOU = COUNTY_POINTS['640402']!
const XIJI = COUNTY_POINTS['640422']!
const BEIJING = [116.397428, 39.90923] as const
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

let serial = 0
const next = () => (serial += 1)
const point = (at: readonly number[]) => ({ type: 'Point', coordinates: [at[0], at[1]] })
const campus = (at: readonly number[]) => ({ type: 'Polygon', coordinates: [rectangle(at)] })
const collection = (features: unknown[]) => ({ type: 'FeatureCollection', features })

function idNumber(n: number): string {
  const body = `64040219850101${String(n % 1000).padStart(3, '0')}`
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  return body + '10X98765432'[weights.reduce((total, w, i) => total + w * Number(body[i]), 0) % 11]!
}
const permitBody = (at: readonly number[]) => ({
  applicant: { name: '钱七', idNumber: idNumber(next()) },
  businessName: `范围测试店${serial}`,
  category: 'tobacco_retail',
  address: '原州区范围街1号',
  location: { lon: at[0], lat: at[1] },
  kind: 'new',
})
const roadCollection = (name: string, from: readonly number[]) =>
  collection([
    {
      type: 'Feature',
      properties: { highway: 'residential', name },
      geometry: { type: 'LineString', coordinates: [from, offset(from, 200, 0)] },
    },
  ])

/** The audit entries a request wrote: every write of the service writes one, so none means nothing was written. */
async function entriesOf(response: Response) {
  const requestId = response.headers['x-request-id']
  expect(requestId).toBeTruthy()
  return t.app.db.selectFrom('audit_log').select(['action', 'entity_type']).where('request_id', '=', requestId!).execute()
}
const problemFields = (response: Response) =>
  ((response.body.details?.problems ?? response.body.details?.errors ?? []) as { field: string }[]).map((p) => p.field)

// Records in 西吉县 (640422), made by the admin, and in 原州区, made by the scoped clerks.
const xiji = {} as Record<'school' | 'premises' | 'road' | 'station' | 'grid' | 'unit' | 'sign' | 'camera' | 'hazard' | 'permit', number>
const own = {} as Record<'school' | 'premises' | 'road' | 'station', number>

beforeAll(async () => {
  t = await startTestApp()
  admin = (await t.signIn({ department: 'admin', role: 'admin' })).agent
  tobacco402 = (await t.signIn({ department: 'tobacco', role: 'clerk', countyCode: '640402' })).agent
  education402 = (await t.signIn({ department: 'education', role: 'clerk', countyCode: '640402' })).agent
  governance402 = (await t.signIn({ department: 'governance', role: 'clerk', countyCode: '640402' })).agent
  police402 = (await t.signIn({ department: 'police', role: 'clerk', countyCode: '640402' })).agent
  tobaccoCity = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  const created = async (response: Promise<Response>) => {
    const r = await response
    expect(r.status, JSON.stringify(r.body)).toBeLessThan(300)
    return r.body.id as number
  }
  xiji.school = await created(admin.post('/api/schools').send(schoolFeature({ center: XIJI, name: '西吉范围小学' })))
  xiji.premises = await created(admin.post('/api/premises').send(premisesFeature({ at: offset(XIJI, 3000, 0) })))
  await created(admin.post('/api/import/roads?source=scope-xiji').send(roadCollection('西吉范围街', offset(XIJI, 0, 2000))))
  xiji.road = (await admin.get(`/api/roads?q=${encodeURIComponent('西吉范围街')}`)).body.features[0].id
  xiji.station = await created(admin.post('/api/patrol/stations').send(stationFeature(offset(XIJI, 0, -1000))))
  xiji.grid = await created(admin.post('/api/patrol/grids').send(gridFeature(xiji.station, offset(XIJI, 0, -1000), 1500)))
  xiji.unit = await created(admin.post('/api/patrol/units').send(unitFeature(xiji.station, {}, offset(XIJI, 0, -1000))))
  xiji.sign = await created(
    admin.post('/api/patrol/signs').send({ type: 'Feature', properties: { schoolId: xiji.school }, geometry: point(offset(XIJI, 0, -60)) }),
  )
  xiji.camera = await created(
    admin
      .post('/api/patrol/cameras')
      .send({ type: 'Feature', properties: { schoolId: xiji.school, gate: 1 }, geometry: point(offset(XIJI, 0, -45)) }),
  )
  xiji.hazard = await created(
    admin
      .post('/api/hazards')
      .send({ schoolId: xiji.school, kind: 'fire', title: '消防通道堵塞', source: 'inspection', department: 'emergency' }),
  )
  xiji.permit = await created(admin.post('/api/permits').send(permitBody(offset(XIJI, -3000, 0))))
  own.school = await created(
    education402.post('/api/schools').send(schoolFeature({ center: offset(YUANZHOU, 0, 9000), name: '原州范围小学' })),
  )
  own.premises = await created(tobacco402.post('/api/premises').send(premisesFeature({ at: offset(YUANZHOU, 0, 9500) })))
  await created(admin.post('/api/import/roads?source=scope-yuanzhou').send(roadCollection('原州范围街', offset(YUANZHOU, 0, 10_000))))
  own.road = (await admin.get(`/api/roads?q=${encodeURIComponent('原州范围街')}`)).body.features[0].id
  own.station = await created(police402.post('/api/patrol/stations').send(stationFeature(offset(YUANZHOU, 1000, 10_500))))
})
afterAll(async () => {
  await t?.close()
})

describe('the four bypasses of issue #14, closed', () => {
  it('POST /api/premises declaring 640402 with a point in 西吉县: 422 naming properties/countyCode with both codes; nothing written', async () => {
    const name = `越界烟店${next()}`
    const response = await tobacco402.post('/api/premises').send(premisesFeature({ name, countyCode: '640402', at: XIJI }))
    expectErrorBody(response, 422, 'UNPROCESSABLE')
    expect(problemFields(response)).toEqual(['body/properties/countyCode'])
    expect(response.body.message).toContain('640402')
    expect(response.body.message).toContain('640422')
    expect(await entriesOf(response)).toEqual([])
    expect((await admin.get('/api/premises').query({ q: name })).body.numberMatched).toBe(0)
    // Without a declared county the place decides, and that place is outside the clerk's scope.
    const undeclared = await tobacco402.post('/api/premises').send(premisesFeature({ name, at: XIJI }))
    expectErrorBody(undeclared, 403, 'FORBIDDEN')
    expect(undeclared.body.message).toContain('640422')
  })

  it('PATCH moving only the point of 原州区 premises into 西吉县: 403 for the 640402 clerk, the record unchanged', async () => {
    const created = await tobacco402
      .post('/api/premises')
      .send(premisesFeature({ at: offset(YUANZHOU, 500, 8000) }))
      .expect(201)
    expect(created.body.properties.countyCode).toBe('640402')
    const moved = await tobacco402.patch(`/api/premises/${created.body.id}`).send({ geometry: point(XIJI) })
    expectErrorBody(moved, 403, 'FORBIDDEN')
    expect(moved.body.message).toContain('640422')
    expect(await entriesOf(moved)).toEqual([])
    const after = (await admin.get(`/api/premises/${created.body.id}`)).body
    expect(after.properties).toMatchObject({ countyCode: '640402', version: 1 })
    expect(after.geometry).toEqual(created.body.geometry)
  })

  it('PATCH moving a point by an unscoped clerk: the county follows the point (200, countyCode 640422)', async () => {
    const created = await tobaccoCity
      .post('/api/premises')
      .send(premisesFeature({ at: offset(YUANZHOU, 800, 8000), name: `搬迁烟店${next()}` }))
      .expect(201)
    const moved = await tobaccoCity.patch(`/api/premises/${created.body.id}`).send({ geometry: point(offset(XIJI, 500, 500)) })
    expect(moved.status, JSON.stringify(moved.body)).toBe(200)
    expect(moved.body.properties.countyCode).toBe('640422')
    expect((await admin.get('/api/premises').query({ countyCode: '640422', q: created.body.properties.name })).body.numberMatched).toBe(1)
  })

  it('the same through the import (GeoJSON and CSV): the row is named, nothing is imported', async () => {
    const good = premisesFeature({ at: offset(YUANZHOU, 0, 7000), name: `导入好店${next()}` })
    const bad = premisesFeature({ at: XIJI, countyCode: '640402', name: `导入越界店${next()}` })
    const geojson = await tobacco402.post('/api/import/premises').send(collection([good, bad]))
    expectErrorBody(geojson, 400, 'IMPORT_REJECTED')
    expect(geojson.body.details.errors).toEqual([expect.objectContaining({ row: 2, field: '/properties/countyCode' })])
    expect(geojson.body.details.errors[0].message).toContain('640422')
    expect(await entriesOf(geojson)).toEqual([])
    const csv = await tobacco402
      .post('/api/import/premises')
      .set('content-type', 'text/csv')
      .send(
        `name,category,countyCode,lon,lat\nCSV越界店,tobacco_retail,640402,${XIJI[0]},${XIJI[1]}\nCSV无县越界店,tobacco_retail,,${XIJI[0]},${XIJI[1]}\n`,
      )
    expectErrorBody(csv, 400, 'IMPORT_REJECTED')
    expect(csv.body.details.errors).toEqual([
      expect.objectContaining({ row: 1, field: '/properties/countyCode' }),
      expect.objectContaining({ row: 2, field: '/properties', message: expect.stringContaining('640422') }),
    ])
    expect(await entriesOf(csv)).toEqual([])
    expect((await admin.get('/api/premises').query({ q: bad.properties.name })).body.numberMatched).toBe(0)
    expect((await admin.get('/api/premises').query({ q: good.properties.name })).body.numberMatched).toBe(0)
  })

  it('a point in Beijing: 422 naming geometry, on create, on a move and in an import', async () => {
    const created = await tobaccoCity.post('/api/premises').send(premisesFeature({ at: BEIJING, countyCode: '640402' }))
    expectErrorBody(created, 422, 'UNPROCESSABLE')
    expect(problemFields(created)).toEqual(['body/geometry'])
    expect(created.body.message).toContain('no county of Guyuan')
    const school = await admin.post('/api/schools').send(schoolFeature({ center: BEIJING }))
    expectErrorBody(school, 422, 'UNPROCESSABLE')
    expect(problemFields(school)).toEqual(['body/geometry'])
    const moved = await tobaccoCity.patch(`/api/premises/${own.premises}`).send({ geometry: point(BEIJING) })
    expect(moved.status).toBeGreaterThanOrEqual(400)
    expect(moved.status).toBeLessThan(500)
    const movedByAdmin = await admin.patch(`/api/premises/${own.premises}`).send({ geometry: point(BEIJING) })
    expectErrorBody(movedByAdmin, 422, 'UNPROCESSABLE')
    expect(problemFields(movedByAdmin)).toEqual(['body/geometry'])
    const imported = await admin.post('/api/import/schools').send(collection([schoolFeature({ center: BEIJING })]))
    expectErrorBody(imported, 400, 'IMPORT_REJECTED')
    expect(imported.body.details.errors).toEqual([expect.objectContaining({ row: 1, field: '/geometry' })])
    expect(await entriesOf(imported)).toEqual([])
  })

  it('an unscoped clerk declaring 640499 (no such county): 422; a user scoped to it: 422; the database refuses such a code', async () => {
    const response = await tobaccoCity.post('/api/premises').send(premisesFeature({ countyCode: '640499', at: offset(YUANZHOU, 0, 6000) }))
    expectErrorBody(response, 422, 'UNPROCESSABLE')
    expect(problemFields(response)).toEqual(['body/properties/countyCode'])
    expect(response.body.message).toContain('640499')
    const user = await admin.post('/api/users').send({
      username: `scope_${next()}`,
      password: 'a-long-enough-password-1',
      department: 'tobacco',
      role: 'clerk',
      countyCode: '640499',
    })
    expectErrorBody(user, 422, 'UNPROCESSABLE')
    expect(user.body.message).toContain('countyCode')
    await expect(t.app.db.updateTable('premises').set({ county_code: '640499' }).where('id', '=', own.premises).execute()).rejects.toThrow()
    await expect(t.app.db.updateTable('schools').set({ county_code: '640499' }).where('id', '=', own.school).execute()).rejects.toThrow()
  })
})

describe('the county found, kept in the answer', () => {
  it('takes the county from the point or the campus when none is declared, and accepts the right one declared', async () => {
    const premises = await tobaccoCity
      .post('/api/premises')
      .send(premisesFeature({ at: offset(COUNTY_POINTS['640425']!, 0, 500) }))
      .expect(201)
    expect(premises.body.properties.countyCode).toBe('640425')
    const school = await admin
      .post('/api/schools')
      .send(schoolFeature({ center: offset(COUNTY_POINTS['640423']!, 0, 500) }))
      .expect(201)
    expect(school.body.properties.countyCode).toBe('640423')
    const declared = await tobacco402
      .post('/api/premises')
      .send(premisesFeature({ countyCode: '640402', at: offset(YUANZHOU, 0, 5000) }))
      .expect(201)
    expect(declared.body.properties.countyCode).toBe('640402')
  })

  it('gives a campus across a county line the county holding its point on surface', async () => {
    // 200 m × 400 m across the 原州区 (north) / 隆德县 (south) line where it runs east (azimuth 86°), 3/4 of it north.
    const line = [106.166777, 35.76810175] as const
    const centre = offset(line, 0, 100)
    const crossing = await admin
      .post('/api/schools')
      .send(schoolFeature({ geometry: { type: 'Polygon', coordinates: [rectangle(centre, 200, 400)] }, gates: [] }))
    expect(crossing.status, JSON.stringify(crossing.body)).toBe(201)
    const { rows } = await sql<{ on_surface: string; touched: string[] }>`select
      (select trim(c.code) from counties c where ST_Covers(c.geom, ST_PointOnSurface(s.geom)) order by c.code limit 1) as on_surface,
      (select array_agg(trim(c.code) order by c.code) from counties c where ST_Intersects(c.geom, s.geom)) as touched
      from schools s where s.id = ${crossing.body.id}`.execute(t.app.db)
    expect(rows[0]!.touched).toEqual(['640402', '640423'])
    expect(crossing.body.properties.countyCode).toBe(rows[0]!.on_surface)
    expect(crossing.body.properties.countyCode).toBe('640402')
  })

  it('imports rows of several counties in one request, each with the county of its place', async () => {
    const rows = ['640402', '640422', '640423', '640424', '640425'].map((code, i) =>
      premisesFeature({ at: offset(COUNTY_POINTS[code]!, 1200, 1200), name: `多县导入店${i}`, ...(i % 2 ? { countyCode: code } : {}) }),
    )
    const response = await tobaccoCity.post('/api/import/premises').send(collection(rows))
    expect(response.status, JSON.stringify(response.body)).toBe(201)
    const counties = await Promise.all(
      (response.body.ids as number[]).map(async (id) => (await admin.get(`/api/premises/${id}`)).body.properties.countyCode),
    )
    expect(counties).toEqual(['640402', '640422', '640423', '640424', '640425'])
  })
})

/**
 * The authorisation matrix's "right county declared, wrong place" column: a clerk scoped to 640402, of the
 * department that writes the record, declaring 640402 wherever the request can say a county, writing
 * something that lies in 西吉县 (640422). Every state-changing route is listed: with its refusal, or with
 * why it has no place. Each refusal writes nothing (no audit entry under its request id).
 */
interface WrongPlace {
  name: string
  run: () => Promise<Response>
  status: number | readonly number[]
  /** The field a 4xx must name, when it names one. */
  field?: string
}
type Column = WrongPlace[] | { noPlace: string }

const road = (from: readonly number[]) => ({ type: 'LineString', coordinates: [from, offset(from, 150, 0)] })
const matrix: Record<string, Column> = {
  'POST /api/schools': [
    {
      name: 'a campus in 西吉县 declared 640402',
      run: () => education402.post('/api/schools').send(schoolFeature({ center: offset(XIJI, 2000, 0), countyCode: '640402' })),
      status: 422,
      field: 'body/properties/countyCode',
    },
    {
      name: 'a campus in 西吉县, no county declared',
      run: () => education402.post('/api/schools').send(schoolFeature({ center: offset(XIJI, 2000, 0) })),
      status: 403,
    },
  ],
  'PATCH /api/schools/:id': [
    {
      name: 'its 原州区 school moved into 西吉县 declaring 640402',
      run: () =>
        education402
          .patch(`/api/schools/${own.school}`)
          .send({ properties: { countyCode: '640402', gates: [] }, geometry: campus(offset(XIJI, 2500, 0)) }),
      status: 422,
      field: 'body/properties/countyCode',
    },
    {
      name: 'its 原州区 school moved into 西吉县',
      run: () =>
        education402.patch(`/api/schools/${own.school}`).send({ properties: { gates: [] }, geometry: campus(offset(XIJI, 2500, 0)) }),
      status: 403,
    },
    {
      name: 'a 西吉县 school renamed',
      run: () => education402.patch(`/api/schools/${xiji.school}`).send({ properties: { name: '改名', countyCode: '640402' } }),
      status: 403,
    },
  ],
  'DELETE /api/schools/:id': [{ name: 'a 西吉县 school', run: () => education402.delete(`/api/schools/${xiji.school}`), status: 403 }],
  'POST /api/premises': [
    {
      name: 'a point in 西吉县 declared 640402',
      run: () => tobacco402.post('/api/premises').send(premisesFeature({ at: offset(XIJI, 0, 2500), countyCode: '640402' })),
      status: 422,
      field: 'body/properties/countyCode',
    },
  ],
  'PATCH /api/premises/:id': [
    {
      name: 'its premises moved into 西吉县 declaring 640402',
      run: () =>
        tobacco402
          .patch(`/api/premises/${own.premises}`)
          .send({ properties: { countyCode: '640402' }, geometry: point(offset(XIJI, 0, 2500)) }),
      status: 422,
      field: 'body/properties/countyCode',
    },
    {
      name: 'its premises moved into 西吉县',
      run: () => tobacco402.patch(`/api/premises/${own.premises}`).send({ geometry: point(offset(XIJI, 0, 2500)) }),
      status: 403,
    },
    {
      name: '西吉县 premises declared 640402',
      run: () => tobacco402.patch(`/api/premises/${xiji.premises}`).send({ properties: { countyCode: '640402' } }),
      status: 403,
    },
  ],
  'DELETE /api/premises/:id': [{ name: '西吉县 premises', run: () => tobacco402.delete(`/api/premises/${xiji.premises}`), status: 403 }],
  'POST /api/import/:kind': [
    {
      name: 'schools: a campus in 西吉县 declared 640402',
      run: () =>
        education402
          .post('/api/import/schools')
          .send(collection([schoolFeature({ center: offset(XIJI, 3000, 3000), countyCode: '640402' })])),
      status: 400,
      field: '/properties/countyCode',
    },
    {
      name: 'premises: a point in 西吉县 declared 640402',
      run: () =>
        tobacco402.post('/api/import/premises').send(collection([premisesFeature({ at: offset(XIJI, 3000, 3000), countyCode: '640402' })])),
      status: 400,
      field: '/properties/countyCode',
    },
  ],
  'POST /api/import/addresses': [
    {
      name: 'an address point in 西吉县 declared 640402',
      run: () =>
        governance402
          .post('/api/import/addresses')
          .send(
            collection([
              { type: 'Feature', properties: { address: '西吉县范围路1号', countyCode: '640402' }, geometry: point(offset(XIJI, 0, 500)) },
            ]),
          ),
      status: 400,
      field: '/properties/countyCode',
    },
  ],
  'POST /api/import/roads': [
    {
      name: 'a road in 西吉县',
      run: () => governance402.post(`/api/import/roads?source=scope-${next()}`).send(roadCollection('越界街', offset(XIJI, 0, 3000))),
      status: 403,
    },
  ],
  'PATCH /api/roads/:id': [
    {
      name: 'a 西吉县 road closed',
      run: () => governance402.patch(`/api/roads/${xiji.road}`).send({ walkable: false, reason: '范围测试' }),
      status: 403,
    },
    {
      name: 'its 原州区 road moved into 西吉县',
      run: () => governance402.patch(`/api/roads/${own.road}`).send({ geometry: road(offset(XIJI, 0, 3500)), reason: '范围测试' }),
      status: 403,
    },
  ],
  'DELETE /api/roads/:id': [
    {
      name: 'a 西吉县 road',
      run: () => governance402.delete(`/api/roads/${xiji.road}?reason=${encodeURIComponent('范围测试')}`),
      status: 403,
    },
  ],
  'POST /api/permits': [
    {
      name: 'an application in 西吉县 (the address text says 原州区)',
      run: () => tobacco402.post('/api/permits').send(permitBody(offset(XIJI, 0, 4000))),
      status: 403,
    },
  ],
  'POST /api/permits/:id/decision': [
    {
      name: 'an application in 西吉县',
      run: () => tobacco402.post(`/api/permits/${xiji.permit}/decision`).send({ decision: 'reject', reason: '范围测试', version: 1 }),
      status: 404,
    },
  ],
  'POST /api/hazards': [
    {
      name: 'at a 西吉县 school',
      run: () =>
        governance402
          .post('/api/hazards')
          .send({ schoolId: xiji.school, kind: 'fire', title: '消防通道堵塞', source: 'inspection', department: 'emergency' }),
      status: 403,
    },
  ],
  'POST /api/hazards/:id/transitions': [
    {
      name: 'a 西吉县 hazard',
      run: () => governance402.post(`/api/hazards/${xiji.hazard}/transitions`).send({ to: 'inspected', version: 1 }),
      status: [403, 404],
    },
  ],
  'POST /api/hazards/:id/attachments': [
    {
      name: 'a photo of a 西吉县 hazard',
      run: () => governance402.post(`/api/hazards/${xiji.hazard}/attachments?phase=before`).set('content-type', 'image/png').send(png()),
      status: [403, 404],
    },
  ],
  'POST /api/import/hazards': [
    {
      name: 'a ledger row at a 西吉县 school',
      run: () =>
        governance402
          .post('/api/import/hazards')
          .set('content-type', 'text/csv')
          .send(`schoolId,kind,title,source,department\n${xiji.school},fire,消防通道堵塞,inspection,emergency\n`),
      status: [400, 403],
    },
  ],
  'POST /api/inspections': [
    {
      name: 'of a 西吉县 school',
      run: () =>
        governance402.post('/api/inspections').send({
          schoolId: xiji.school,
          level: 'township',
          inspector: '乡镇综治办',
          checklist: [{ item: 'gate_guard', result: 'ok' }],
        }),
      status: 403,
    },
  ],
  'POST /api/patrol/stations': [
    {
      name: 'a station in 西吉县 declared 640402',
      run: () => police402.post('/api/patrol/stations').send(stationFeature(offset(XIJI, 0, -3000), { countyCode: '640402' })),
      status: [400, 422],
      field: 'body/properties/countyCode',
    },
    {
      name: 'a station in 西吉县',
      run: () => police402.post('/api/patrol/stations').send(stationFeature(offset(XIJI, 0, -3000))),
      status: 403,
    },
  ],
  'PATCH /api/patrol/stations/:id': [
    {
      name: 'its station moved into 西吉县',
      run: () => police402.patch(`/api/patrol/stations/${own.station}`).send({ geometry: point(offset(XIJI, 0, -3500)) }),
      status: 403,
    },
    {
      name: 'a 西吉县 station',
      run: () => police402.patch(`/api/patrol/stations/${xiji.station}`).send({ properties: { phone: '0954-1111111' } }),
      status: 403,
    },
  ],
  'DELETE /api/patrol/stations/:id': [
    { name: 'a 西吉县 station', run: () => police402.delete(`/api/patrol/stations/${xiji.station}`), status: 403 },
  ],
  'POST /api/patrol/grids': [
    {
      name: 'a grid of a 西吉县 station',
      run: () => police402.post('/api/patrol/grids').send(gridFeature(xiji.station, offset(XIJI, 0, -1000), 1000)),
      status: 403,
    },
  ],
  'PATCH /api/patrol/grids/:id': [
    {
      name: 'a 西吉县 grid',
      run: () => police402.patch(`/api/patrol/grids/${xiji.grid}`).send({ properties: { name: '改' } }),
      status: 403,
    },
  ],
  'DELETE /api/patrol/grids/:id': [{ name: 'a 西吉县 grid', run: () => police402.delete(`/api/patrol/grids/${xiji.grid}`), status: 403 }],
  'POST /api/patrol/units': [
    {
      name: 'a unit of a 西吉县 station',
      run: () => police402.post('/api/patrol/units').send(unitFeature(xiji.station, {}, offset(XIJI, 0, -1000))),
      status: 403,
    },
  ],
  'PATCH /api/patrol/units/:id': [
    {
      name: 'a 西吉县 unit',
      run: () => police402.patch(`/api/patrol/units/${xiji.unit}`).send({ properties: { officers: 3 } }),
      status: 403,
    },
  ],
  'DELETE /api/patrol/units/:id': [{ name: 'a 西吉县 unit', run: () => police402.delete(`/api/patrol/units/${xiji.unit}`), status: 403 }],
  'POST /api/patrol/signs': [
    {
      name: 'a sign at a 西吉县 school',
      run: () =>
        police402
          .post('/api/patrol/signs')
          .send({ type: 'Feature', properties: { schoolId: xiji.school }, geometry: point(offset(XIJI, 0, -70)) }),
      status: 403,
    },
  ],
  'PATCH /api/patrol/signs/:id': [
    {
      name: 'a 西吉县 sign',
      run: () => police402.patch(`/api/patrol/signs/${xiji.sign}`).send({ properties: { state: 'damaged' } }),
      status: 403,
    },
  ],
  'DELETE /api/patrol/signs/:id': [{ name: 'a 西吉县 sign', run: () => police402.delete(`/api/patrol/signs/${xiji.sign}`), status: 403 }],
  'POST /api/patrol/cameras': [
    {
      name: 'a camera at a 西吉县 school',
      run: () =>
        police402
          .post('/api/patrol/cameras')
          .send({ type: 'Feature', properties: { schoolId: xiji.school, gate: 1 }, geometry: point(offset(XIJI, 0, -50)) }),
      status: 403,
    },
  ],
  'PATCH /api/patrol/cameras/:id': [
    {
      name: 'a 西吉县 camera',
      run: () => police402.patch(`/api/patrol/cameras/${xiji.camera}`).send({ properties: { state: 'faulty' } }),
      status: 403,
    },
  ],
  'DELETE /api/patrol/cameras/:id': [
    { name: 'a 西吉县 camera', run: () => police402.delete(`/api/patrol/cameras/${xiji.camera}`), status: 403 },
  ],
  'POST /api/import/patrol/:kind': [
    {
      name: 'stations: one in 西吉县 declared 640402',
      run: () =>
        police402.post('/api/import/patrol/stations').send(collection([stationFeature(offset(XIJI, 0, -4000), { countyCode: '640402' })])),
      status: 400,
      field: '/properties/countyCode',
    },
  ],
  'POST /api/patrol/visits': [
    {
      name: 'a check-in of a 西吉县 unit in 西吉县',
      run: () => {
        const [lon, lat] = offset(XIJI, 0, -80)
        return police402.post('/api/patrol/visits').send({ unitId: xiji.unit, lon, lat, at: new Date(Date.now() - 60_000).toISOString() })
      },
      status: [403, 404],
    },
  ],
  'POST /api/patrol/tracks': [
    {
      name: 'a track of a 西吉县 unit',
      run: () => {
        const at = offset(XIJI, 0, -80)
        const start = Date.now() - 2 * 3600_000
        const points = Array.from(
          { length: 5 },
          (_, k) => `<trkpt lat="${at[1]}" lon="${at[0]}"><time>${new Date(start + k * 30_000).toISOString()}</time></trkpt>`,
        )
        return police402
          .post(`/api/patrol/tracks?unitId=${xiji.unit}`)
          .set('Content-Type', 'application/gpx+xml')
          .send(
            `<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>${points.join('')}</trkseg></trk></gpx>`,
          )
      },
      status: [403, 404],
    },
  ],
  'POST /api/patrol/plans': [
    {
      name: 'a plan for a 西吉县 station',
      run: () => police402.post('/api/patrol/plans').send({ date: '2026-12-02', stationId: xiji.station }),
      status: [403, 404],
    },
  ],
  'POST /api/patrol/policies': { noPlace: 'the patrol policy is city-wide: a county-scoped user may not change it at all' },
  'POST /api/tokens': { noPlace: "an API token has no place: it acts with its owner's role and county scope" },
  'DELETE /api/tokens/:id': { noPlace: 'revokes a token: no record with a place' },
  'POST /ogc/collections/:collectionId/items': [
    {
      name: 'premises in 西吉县 declared 640402',
      run: () =>
        tobacco402
          .post('/ogc/collections/premises/items')
          .set('Content-Type', 'application/geo+json')
          .send(premisesFeature({ at: offset(XIJI, 0, 2600), countyCode: '640402', licenceNo: 'OGC-WP-1' })),
      status: 422,
    },
    {
      name: 'premises in 西吉县',
      run: () =>
        tobacco402
          .post('/ogc/collections/premises/items')
          .set('Content-Type', 'application/geo+json')
          .send(premisesFeature({ at: offset(XIJI, 0, 2700), licenceNo: 'OGC-WP-2' })),
      status: 403,
    },
  ],
  'PUT /ogc/collections/:collectionId/items/:featureId': [
    {
      name: 'its premises replaced by one in 西吉县 (its countyCode 640402 sent back)',
      run: async () => {
        const read = await tobacco402.get(`/ogc/collections/premises/items/${own.premises}`)
        return tobacco402
          .put(`/ogc/collections/premises/items/${own.premises}`)
          .set('Content-Type', 'application/geo+json')
          .set('If-Match', String(read.headers.etag))
          .send({ ...read.body, geometry: point(offset(XIJI, 0, 2800)) })
      },
      status: 422,
      field: 'body/properties/countyCode',
    },
  ],
  'PATCH /ogc/collections/:collectionId/items/:featureId': [
    {
      name: 'a 西吉县 premises renamed',
      run: async () => {
        const read = await tobacco402.get(`/ogc/collections/premises/items/${xiji.premises}`)
        return tobacco402
          .patch(`/ogc/collections/premises/items/${xiji.premises}`)
          .set('Content-Type', 'application/merge-patch+json')
          .set('If-Match', String(read.headers.etag))
          .send({ properties: { name: '范围测试' } })
      },
      status: 403,
    },
  ],
  'DELETE /ogc/collections/:collectionId/items/:featureId': [
    {
      name: 'a 西吉县 premises',
      run: async () => {
        const read = await tobacco402.get(`/ogc/collections/premises/items/${xiji.premises}`)
        return tobacco402.delete(`/ogc/collections/premises/items/${xiji.premises}`).set('If-Match', String(read.headers.etag))
      },
      status: 403,
    },
  ],
  'POST /api/auth/login': { noPlace: 'signs in: no record with a place' },
  'POST /api/auth/logout': { noPlace: 'signs out: no record with a place' },
  'POST /api/users': { noPlace: 'a user has a scope, not a place; a scope naming no county is refused (see the 640499 test)' },
  'PATCH /api/users/:id': { noPlace: 'a user has a scope, not a place; the scope refers to the counties table' },
  'DELETE /api/sessions/:sessionId': { noPlace: 'revokes a session' },
  'PUT /api/rules/:id': { noPlace: 'zoning rules are city-wide' },
  'POST /api/rules/changes': { noPlace: 'zoning rules are city-wide' },
  'POST /api/rules/preview': { noPlace: 'reads only' },
  'POST /api/rules/preview/zones': { noPlace: 'reads only' },
  'POST /api/check': { noPlace: 'reads only' },
  'POST /api/check/batch': { noPlace: 'reads only' },
  'POST /api/audits': { noPlace: 'a city-wide audit started by the governance office' },
}

describe('authorisation matrix: right county declared, wrong place', () => {
  it('lists every state-changing route of the service', () => {
    const routes = [...new Set(t.app.routeInventory.filter((r) => UNSAFE.has(r.method)).map((r) => `${r.method} ${r.url}`))]
    const missing = routes.filter((route) => !(route in matrix))
    expect(missing, `state-changing routes missing from the wrong-place column: ${missing.join(', ')}`).toEqual([])
    const stale = Object.keys(matrix).filter((route) => !routes.includes(route))
    expect(stale, `wrong-place entries for routes the app no longer has: ${stale.join(', ')}`).toEqual([])
  })

  for (const [route, column] of Object.entries(matrix)) {
    if ('noPlace' in column) continue
    for (const exercise of column) {
      it(`${route}: ${exercise.name} → ${String(exercise.status)}, nothing written`, async () => {
        const response = await exercise.run()
        const allowed = typeof exercise.status === 'number' ? [exercise.status] : exercise.status
        expect(allowed, `${route}: ${JSON.stringify(response.body)}`).toContain(response.status)
        if (exercise.field) expect(problemFields(response)).toContain(exercise.field)
        // Refused for the place: the answer names the user's scope (not a missing right of the department).
        if (response.status === 403) expect(response.body.message).toContain('640402')
        expect(await entriesOf(response), route).toEqual([])
      })
    }
  }

  it('the same clerks write the same kinds of record in their own county (the refusals above are for the place)', async () => {
    await governance402.patch(`/api/roads/${own.road}`).send({ walkable: false, reason: '范围对照' }).expect(200)
    await governance402
      .post(`/api/import/roads?source=scope-own-${next()}`)
      .send(roadCollection('原州对照街', offset(YUANZHOU, 0, 11_000)))
      .expect(201)
    await governance402
      .post('/api/hazards')
      .send({ schoolId: own.school, kind: 'fire', title: '消防通道堵塞', source: 'inspection', department: 'emergency' })
      .expect(201)
    await governance402
      .post('/api/import/addresses')
      .send(
        collection([
          { type: 'Feature', properties: { address: '原州区范围路2号', countyCode: '640402' }, geometry: point(offset(YUANZHOU, 0, 600)) },
        ]),
      )
      .expect(201)
    await police402
      .post('/api/patrol/grids')
      .send(gridFeature(own.station, offset(YUANZHOU, 1000, 10_500), 1000))
      .expect(201)
    await police402
      .post('/api/patrol/signs')
      .send({ type: 'Feature', properties: { schoolId: own.school }, geometry: point(offset(YUANZHOU, 0, 8940)) })
      .expect(201)
    await education402
      .post('/api/import/schools')
      .send(collection([schoolFeature({ center: offset(YUANZHOU, 3000, 12_000), countyCode: '640402', name: '原州对照小学' })]))
      .expect(201)
    await tobacco402
      .post('/api/permits')
      .send(permitBody(offset(YUANZHOU, 0, 13_000)))
      .expect(201)
  })

  it('the records of 西吉县 are as they were', async () => {
    const school = (await admin.get(`/api/schools/${xiji.school}`).expect(200)).body
    expect(school.properties).toMatchObject({ countyCode: '640422', version: 1 })
    const premises = (await admin.get(`/api/premises/${xiji.premises}`).expect(200)).body
    expect(premises.properties).toMatchObject({ countyCode: '640422', version: 1 })
    await admin.get(`/api/roads/${xiji.road}`).expect(200)
    const ownSchool = (await admin.get(`/api/schools/${own.school}`).expect(200)).body
    expect(ownSchool.properties).toMatchObject({ countyCode: '640402', version: 1 })
  })
})
