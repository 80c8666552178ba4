/**
 * The police desk's registers through HTTP: stations, grids, units, signs and cameras (CRUD, paging,
 * versions, the county decided from the record, access by department and county), GeoJSON/CSV import all
 * or nothing, and the schools' urban flag and peak windows in the school register.
 */
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertUrbanAreas } from '../../server/modules/police/repository.ts'
import { CENTRE, gridFeature, square, stationFeature, unitFeature, XIJI } from '../factories/police.ts'
import { offset, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let police: TestAgent
let policeXiji: TestAgent
let tobacco: TestAgent
let governance: TestAgent
let education: TestAgent
let admin: TestAgent

beforeAll(async () => {
  t = await startTestApp()
  police = (await t.signIn({ department: 'police', role: 'clerk', countyCode: '640402' })).agent
  policeXiji = (await t.signIn({ department: 'police', role: 'clerk', countyCode: '640422' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  admin = (await t.signIn({ department: 'admin', role: 'admin' })).agent
})
afterAll(async () => {
  await t?.close()
})

describe('stations, grids and units', () => {
  it('registers a station whose county comes from its point, and reads it back', async () => {
    const response = await police
      .post('/api/patrol/stations')
      .send(stationFeature(offset(CENTRE, 100, 100)))
      .expect(201)
    expect(response.headers.location).toBe(`/api/patrol/stations/${response.body.id}`)
    expect(response.body.properties).toMatchObject({ name: '测试派出所', countyCode: '640402', version: 1, demo: false })
    expect(response.body.geometry.type).toBe('Point')
    const read = await governance.get(`/api/patrol/stations/${response.body.id}`).expect(200)
    expect(read.body).toEqual(response.body)
  })

  it('refuses a countyCode that contradicts the point (422) and a station in another county for a county-scoped clerk (403)', async () => {
    const contradiction = await police.post('/api/patrol/stations').send(stationFeature(CENTRE, { countyCode: '640422' }))
    expectErrorBody(contradiction, 422, 'UNPROCESSABLE')
    expect(contradiction.body.message).toMatch(/countyCode: the station's point lies in county 640402/)
    expectErrorBody(await policeXiji.post('/api/patrol/stations').send(stationFeature(CENTRE)), 403, 'FORBIDDEN')
    expectErrorBody(await police.post('/api/patrol/stations').send(stationFeature([120, 30])), 422, 'UNPROCESSABLE')
  })

  it('other departments may neither read nor write the registers; governance and education read', async () => {
    expectErrorBody(await tobacco.get('/api/patrol/units'), 403, 'FORBIDDEN')
    expectErrorBody(await tobacco.get('/api/patrol/stations'), 403, 'FORBIDDEN')
    expectErrorBody(await tobacco.post('/api/patrol/stations').send(stationFeature()), 403, 'FORBIDDEN')
    expectErrorBody(await governance.post('/api/patrol/stations').send(stationFeature()), 403, 'FORBIDDEN')
    expectErrorBody(await t.request().get('/api/patrol/units'), 401, 'UNAUTHENTICATED')
    await governance.get('/api/patrol/units').expect(200)
    await education.get('/api/patrol/grids').expect(200)
  })

  it('a grid takes its station’s county and must lie inside it; a unit its station’s', async () => {
    const station = (
      await police
        .post('/api/patrol/stations')
        .send(stationFeature(offset(CENTRE, -200, 0), { name: '网格所' }))
        .expect(201)
    ).body
    const grid = await police.post('/api/patrol/grids').send(gridFeature(station.id)).expect(201)
    expect(grid.body.properties).toMatchObject({ stationId: station.id, countyCode: '640402' })
    expect(grid.body.geometry.type).toBe('MultiPolygon')
    const outside = await police.post('/api/patrol/grids').send(gridFeature(station.id, XIJI))
    expectErrorBody(outside, 422, 'UNPROCESSABLE')
    expect(outside.body.message).toMatch(/outside its station's county 640402/)
    const missing = await police.post('/api/patrol/grids').send(gridFeature(999_999))
    expectErrorBody(missing, 422, 'UNPROCESSABLE')
    expect(missing.body.message).toMatch(/stationId: station 999999 does not exist/)
    const unit = await police.post('/api/patrol/units').send(unitFeature(station.id)).expect(201)
    expect(unit.body.properties).toMatchObject({
      mode: 'car',
      shiftStart: '07:00',
      shiftEnd: '19:00',
      officers: 2,
      active: true,
      countyCode: '640402',
    })
    // The Xiji clerk cannot put a unit under a 原州区 station.
    expectErrorBody(await policeXiji.post('/api/patrol/units').send(unitFeature(station.id)), 403, 'FORBIDDEN')
  })

  it('validates a grid before the database: a bow-tie polygon is a 400 naming the geometry', async () => {
    const station = (
      await police
        .post('/api/patrol/stations')
        .send(stationFeature(offset(CENTRE, 300, 0)))
        .expect(201)
    ).body
    const [a, b, c, d] = square(CENTRE, 1000)
    const response = await police.post('/api/patrol/grids').send({
      type: 'Feature',
      properties: { name: '坏网格', stationId: station.id },
      geometry: { type: 'Polygon', coordinates: [[a, c, b, d, a]] },
    })
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toMatch(/^body\/geometry/)
  })

  it('refuses a shift that ends before it starts, an unknown mode and an unknown field with 400s naming them', async () => {
    const station = (
      await police
        .post('/api/patrol/stations')
        .send(stationFeature(offset(CENTRE, 400, 0)))
        .expect(201)
    ).body
    const late = await police.post('/api/patrol/units').send(unitFeature(station.id, { shiftStart: '19:00', shiftEnd: '07:00' }))
    expectErrorBody(late, 400, 'VALIDATION_FAILED')
    expect(late.body.message).toMatch(/body\/properties\/shiftEnd/)
    const mode = await police.post('/api/patrol/units').send(unitFeature(station.id, { mode: 'bicycle' }))
    expectErrorBody(mode, 400, 'VALIDATION_FAILED')
    expect(mode.body.message).toMatch(/mode/)
    const time = await police.post('/api/patrol/units').send(unitFeature(station.id, { shiftStart: '7:00' }))
    expectErrorBody(time, 400, 'VALIDATION_FAILED')
    const extra = await police.post('/api/patrol/units').send(unitFeature(station.id, { colour: 'blue' }))
    expectErrorBody(extra, 400, 'VALIDATION_FAILED')
    expect(extra.body.message).toMatch(/colour/)
  })

  it('changes a unit with its version; a stale version is 409 and changes nothing', async () => {
    const station = (
      await police
        .post('/api/patrol/stations')
        .send(stationFeature(offset(CENTRE, 500, 0)))
        .expect(201)
    ).body
    const unit = (await police.post('/api/patrol/units').send(unitFeature(station.id)).expect(201)).body
    const changed = await police
      .patch(`/api/patrol/units/${unit.id}`)
      .send({ properties: { mode: 'foot', officers: 3 }, version: 1 })
      .expect(200)
    expect(changed.body.properties).toMatchObject({ mode: 'foot', officers: 3, version: 2, shiftStart: '07:00' })
    expectErrorBody(
      await police.patch(`/api/patrol/units/${unit.id}`).send({ properties: { officers: 5 }, version: 1 }),
      409,
      'VERSION_CONFLICT',
    )
    expect((await police.get(`/api/patrol/units/${unit.id}`).expect(200)).body.properties.officers).toBe(3)
    expectErrorBody(await policeXiji.patch(`/api/patrol/units/${unit.id}`).send({ properties: { officers: 4 } }), 403, 'FORBIDDEN')
    expectErrorBody(await police.patch('/api/patrol/units/999999').send({ properties: { officers: 4 } }), 404, 'NOT_FOUND')
  })

  it('moves a station into another county only for a user whose scope allows both', async () => {
    const station = (
      await police
        .post('/api/patrol/stations')
        .send(stationFeature(offset(CENTRE, 600, 0)))
        .expect(201)
    ).body
    expectErrorBody(
      await police.patch(`/api/patrol/stations/${station.id}`).send({ geometry: { type: 'Point', coordinates: [XIJI[0], XIJI[1]] } }),
      403,
      'FORBIDDEN',
    )
    const moved = await admin
      .patch(`/api/patrol/stations/${station.id}`)
      .send({ geometry: { type: 'Point', coordinates: [XIJI[0], XIJI[1]] } })
      .expect(200)
    expect(moved.body.properties.countyCode).toBe('640422')
  })

  it('refuses to delete a station that still has units (409), deletes a unit, then the station', async () => {
    const station = (
      await police
        .post('/api/patrol/stations')
        .send(stationFeature(offset(CENTRE, 700, 0)))
        .expect(201)
    ).body
    const unit = (await police.post('/api/patrol/units').send(unitFeature(station.id)).expect(201)).body
    const refused = await police.delete(`/api/patrol/stations/${station.id}`)
    expectErrorBody(refused, 409, 'CONFLICT')
    expect(refused.body.message).toMatch(/1 units/)
    await police.delete(`/api/patrol/units/${unit.id}`).expect(204)
    await police.delete(`/api/patrol/stations/${station.id}`).expect(204)
    expectErrorBody(await police.get(`/api/patrol/stations/${station.id}`), 404, 'NOT_FOUND')
  })

  it('lists with paging and filters', async () => {
    const station = (
      await police
        .post('/api/patrol/stations')
        .send(stationFeature(offset(CENTRE, 800, 0), { name: '分页所' }))
        .expect(201)
    ).body
    for (let i = 0; i < 3; i += 1)
      await police
        .post('/api/patrol/units')
        .send(unitFeature(station.id, { name: `分页车${i}` }))
        .expect(201)
    const page = await governance.get('/api/patrol/units').query({ stationId: station.id, limit: 2 }).expect(200)
    expect(page.body).toMatchObject({ type: 'FeatureCollection', numberMatched: 3, numberReturned: 2 })
    const next = await governance.get('/api/patrol/units').query({ stationId: station.id, limit: 2, offset: 2 }).expect(200)
    expect(next.body.features.map((f: { properties: { name: string } }) => f.properties.name)).toEqual(['分页车2'])
    const xiji = await governance.get('/api/patrol/units').query({ countyCode: '640422', stationId: station.id }).expect(200)
    expect(xiji.body.numberMatched).toBe(0)
    expectErrorBody(await governance.get('/api/patrol/units').query({ limit: 0 }), 400, 'VALIDATION_FAILED')
  })
})

describe('signs and cameras', () => {
  let schoolId: number
  beforeAll(async () => {
    const center = offset(CENTRE, 3000, 3000)
    schoolId = (
      await education
        .post('/api/schools')
        .send(schoolFeature({ center, name: '设备小学' }))
        .expect(201)
    ).body.id
  })

  it('records a sign and a camera in the school’s county; an unknown school or gate is 422', async () => {
    const at = offset(CENTRE, 3000, 2950)
    const sign = await police
      .post('/api/patrol/signs')
      .send({
        type: 'Feature',
        properties: { schoolId, state: 'installed', installedOn: '2024-09-01' },
        geometry: { type: 'Point', coordinates: at },
      })
      .expect(201)
    expect(sign.body.properties).toMatchObject({ schoolId, state: 'installed', installedOn: '2024-09-01', countyCode: '640402' })
    const camera = await police
      .post('/api/patrol/cameras')
      .send({
        type: 'Feature',
        properties: { schoolId, gate: 1, state: 'working', linkedToPolice: true },
        geometry: { type: 'Point', coordinates: at },
      })
      .expect(201)
    expect(camera.body.properties).toMatchObject({ gate: 1, state: 'working', linkedToPolice: true })
    const gate = await police
      .post('/api/patrol/cameras')
      .send({ type: 'Feature', properties: { schoolId, gate: 3 }, geometry: { type: 'Point', coordinates: at } })
    expectErrorBody(gate, 422, 'UNPROCESSABLE')
    expect(gate.body.message).toMatch(/gate 3 does not exist/)
    expectErrorBody(
      await police
        .post('/api/patrol/signs')
        .send({ type: 'Feature', properties: { schoolId: 999_999 }, geometry: { type: 'Point', coordinates: at } }),
      422,
      'UNPROCESSABLE',
    )
    const date = await police
      .post('/api/patrol/signs')
      .send({ type: 'Feature', properties: { schoolId, installedOn: '2024-02-30' }, geometry: { type: 'Point', coordinates: at } })
    expectErrorBody(date, 400, 'VALIDATION_FAILED')
    expectErrorBody(
      await policeXiji
        .post('/api/patrol/signs')
        .send({ type: 'Feature', properties: { schoolId }, geometry: { type: 'Point', coordinates: at } }),
      403,
      'FORBIDDEN',
    )
    const listed = await governance.get('/api/patrol/cameras').query({ schoolId }).expect(200)
    expect(listed.body.numberMatched).toBe(1)
  })

  it('every write is in the audit log', async () => {
    const at = offset(CENTRE, 3010, 2950)
    const sign = (
      await police
        .post('/api/patrol/signs')
        .send({ type: 'Feature', properties: { schoolId }, geometry: { type: 'Point', coordinates: at } })
        .expect(201)
    ).body
    await police
      .patch(`/api/patrol/signs/${sign.id}`)
      .send({ properties: { state: 'damaged' } })
      .expect(200)
    await police.delete(`/api/patrol/signs/${sign.id}`).expect(204)
    const entries = await t.app.db
      .selectFrom('audit_log')
      .select(['action', 'department'])
      .where('entity_type', '=', 'warning_sign')
      .where('entity_id', '=', String(sign.id))
      .orderBy('id')
      .execute()
    expect(entries).toEqual([
      { action: 'create', department: 'police' },
      { action: 'update', department: 'police' },
      { action: 'delete', department: 'police' },
    ])
  })
})

describe('import', () => {
  it('imports stations from GeoJSON, all or nothing', async () => {
    const good = stationFeature(offset(CENTRE, -1000, -1000), { name: '导入所一' })
    const bad = stationFeature([120, 30], { name: '导入所二' })
    const refused = await police.post('/api/import/patrol/stations').send({ type: 'FeatureCollection', features: [good, bad] })
    expectErrorBody(refused, 400, 'IMPORT_REJECTED')
    expect(refused.body.details.errors).toEqual([expect.objectContaining({ row: 2, field: '/geometry' })])
    expect(
      (await governance.get('/api/patrol/stations').query({ limit: 1000 }).expect(200)).body.features.map((f: any) => f.properties.name),
    ).not.toContain('导入所一')
    const stored = await police
      .post('/api/import/patrol/stations')
      .send({ type: 'FeatureCollection', features: [good] })
      .expect(201)
    expect(stored.body.imported).toBe(1)
  })

  it('imports units from CSV and names the bad row and field', async () => {
    const station = (
      await police
        .post('/api/patrol/stations')
        .send(stationFeature(offset(CENTRE, -1200, -1000)))
        .expect(201)
    ).body
    const [lon, lat] = offset(CENTRE, -1200, -990)
    const csv = `name,stationId,mode,shiftStart,shiftEnd,officers,lon,lat\n导入车一,${station.id},car,07:00,19:00,2,${lon},${lat}\n导入步巡,${station.id},walk,07:00,19:00,2,${lon},${lat}\n`
    const refused = await police.post('/api/import/patrol/units').set('Content-Type', 'text/csv').send(csv)
    expectErrorBody(refused, 400, 'IMPORT_REJECTED')
    expect(refused.body.details.errors[0]).toMatchObject({ row: 2, field: '/properties/mode' })
    expect((await governance.get('/api/patrol/units').query({ stationId: station.id }).expect(200)).body.numberMatched).toBe(0)
    const ok = csv.replace('walk', 'foot')
    const stored = await police.post('/api/import/patrol/units').set('Content-Type', 'text/csv').send(ok).expect(201)
    expect(stored.body.imported).toBe(2)
    const units = (await governance.get('/api/patrol/units').query({ stationId: station.id }).expect(200)).body.features
    expect(units.map((u: any) => [u.properties.mode, u.properties.countyCode])).toEqual([
      ['car', '640402'],
      ['foot', '640402'],
    ])
  })

  it('refuses rows outside the importer’s county, naming them', async () => {
    const refused = await policeXiji
      .post('/api/import/patrol/stations')
      .send({ type: 'FeatureCollection', features: [stationFeature(XIJI, { name: '西吉所' }), stationFeature(CENTRE, { name: '越界所' })] })
    expectErrorBody(refused, 400, 'IMPORT_REJECTED')
    expect(refused.body.details.errors).toEqual([
      expect.objectContaining({ row: 2, field: '/properties', message: expect.stringMatching(/640422/) }),
    ])
    expectErrorBody(await tobacco.post('/api/import/patrol/stations').send({ type: 'FeatureCollection', features: [] }), 403, 'FORBIDDEN')
  })
})

describe('schools: urban and peak windows', () => {
  const areaCenter = offset(CENTRE, -6000, 6000)
  beforeAll(async () => {
    await insertUrbanAreas(
      t.app.db,
      [{ name: '测试城区', countyCode: '640402', geometry: { type: 'Polygon', coordinates: [square(areaCenter, 3000)] } }],
      false,
    )
  })

  it('a school created inside an urban area is urban (source area), one outside is not', async () => {
    const inside = (
      await education
        .post('/api/schools')
        .send(schoolFeature({ center: areaCenter, name: '城区小学' }))
        .expect(201)
    ).body
    expect(inside.properties).toMatchObject({ urban: true, urbanSource: 'area', peakWindows: null })
    const outside = (
      await education
        .post('/api/schools')
        .send(schoolFeature({ center: offset(areaCenter, 5000, 0), name: '乡村小学' }))
        .expect(201)
    ).body
    expect(outside.properties).toMatchObject({ urban: false, urbanSource: 'area' })
    // Moving the campus into the area makes it urban.
    const moved = await education
      .patch(`/api/schools/${outside.id}`)
      .send({ geometry: schoolFeature({ center: offset(areaCenter, 500, 0) }).geometry, properties: { gates: [] } })
      .expect(200)
    expect(moved.body.properties).toMatchObject({ urban: true, urbanSource: 'area' })
  })

  it('urban set by the registry stays when the campus moves; null hands it back to the areas', async () => {
    const school = (
      await education
        .post('/api/schools')
        .send(schoolFeature({ center: offset(areaCenter, -500, 0), name: '登记城区小学' }))
        .expect(201)
    ).body
    const set = await education
      .patch(`/api/schools/${school.id}`)
      .send({ properties: { urban: false } })
      .expect(200)
    expect(set.body.properties).toMatchObject({ urban: false, urbanSource: 'registry' })
    const moved = await education
      .patch(`/api/schools/${school.id}`)
      .send({ geometry: schoolFeature({ center: offset(areaCenter, -400, 0) }).geometry, properties: { gates: [] } })
      .expect(200)
    expect(moved.body.properties).toMatchObject({ urban: false, urbanSource: 'registry' })
    const back = await education
      .patch(`/api/schools/${school.id}`)
      .send({ properties: { urban: null } })
      .expect(200)
    expect(back.body.properties).toMatchObject({ urban: true, urbanSource: 'area' })
  })

  it('an import defaults urban from the areas unless a row sets it', async () => {
    const result = await education
      .post('/api/import/schools')
      .send({
        type: 'FeatureCollection',
        features: [
          schoolFeature({ center: offset(areaCenter, 0, 800), name: '导入城区小学' }),
          schoolFeature({ center: offset(areaCenter, 0, -800), name: '导入登记小学', properties: { urban: false } }),
          schoolFeature({ center: offset(areaCenter, 9000, 0), name: '导入乡村小学', properties: { urban: true } }),
        ],
      })
      .expect(201)
    const schools = await Promise.all(result.body.ids.map((id: number) => education.get(`/api/schools/${id}`).expect(200)))
    expect(schools.map((s) => [s.body.properties.urban, s.body.properties.urbanSource])).toEqual([
      [true, 'area'],
      [false, 'registry'],
      [true, 'registry'],
    ])
  })

  it('stores a school’s own peak windows and refuses overlapping, reversed or too many ones, naming the field', async () => {
    const school = (
      await education
        .post('/api/schools')
        .send(schoolFeature({ center: offset(areaCenter, 900, 900), name: '错峰小学' }))
        .expect(201)
    ).body
    const windows = [
      { name: 'lower-grades', start: '07:10', end: '07:50' },
      { name: 'upper-grades', start: '07:50', end: '08:20' },
      { name: 'afternoon', start: '16:40', end: '17:30' },
    ]
    const stored = await education
      .patch(`/api/schools/${school.id}`)
      .send({ properties: { peakWindows: windows } })
      .expect(200)
    expect(stored.body.properties.peakWindows).toEqual(windows)
    const overlap = await education
      .patch(`/api/schools/${school.id}`)
      .send({ properties: { peakWindows: [windows[0], { name: 'x', start: '07:40', end: '08:00' }] } })
    expectErrorBody(overlap, 400, 'VALIDATION_FAILED')
    expect(overlap.body.message).toMatch(/body\/properties\/peakWindows\/1\/start: x \(07:40–08:00\) overlaps lower-grades/)
    const reversed = await education
      .patch(`/api/schools/${school.id}`)
      .send({ properties: { peakWindows: [{ name: 'y', start: '09:00', end: '08:00' }] } })
    expectErrorBody(reversed, 400, 'VALIDATION_FAILED')
    expect(reversed.body.message).toMatch(/peakWindows\/0\/end/)
    const shape = await education
      .patch(`/api/schools/${school.id}`)
      .send({ properties: { peakWindows: [{ name: 'z', start: '24:00', end: '25:00' }] } })
    expectErrorBody(shape, 400, 'VALIDATION_FAILED')
    const many = Array.from({ length: 7 }, (_, i) => ({
      name: `w${i}`,
      start: `${String(8 + i).padStart(2, '0')}:00`,
      end: `${String(8 + i).padStart(2, '0')}:30`,
    }))
    expectErrorBody(
      await education.patch(`/api/schools/${school.id}`).send({ properties: { peakWindows: many } }),
      400,
      'VALIDATION_FAILED',
    )
    expect((await education.get(`/api/schools/${school.id}`).expect(200)).body.properties.peakWindows).toEqual(windows)
    const cleared = await education
      .patch(`/api/schools/${school.id}`)
      .send({ properties: { peakWindows: null } })
      .expect(200)
    expect(cleared.body.properties.peakWindows).toBeNull()
  })
})

describe('patrol policy', () => {
  const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10)
  const yesterday = new Date(Date.now() + 8 * 3600 * 1000 - 86_400_000).toISOString().slice(0, 10)

  it('version 1 is in force with the defaults of §8', async () => {
    const policy = await governance.get('/api/patrol/policy').expect(200)
    expect(policy.body).toMatchObject({
      version: 1,
      visitsPerUrbanSchool: 2,
      minGapMinutes: 120,
      dwellMinMinutes: 10,
      dwellMaxMinutes: 15,
      carSpeedKmh: 30,
      footSpeedKmh: 4.5,
      posts: [{ scope: 'urban', gate: 1, windows: ['morning', 'afternoon'] }],
    })
    expect(policy.body.peakWindows.map((w: { start: string; end: string }) => `${w.start}-${w.end}`)).toEqual([
      '07:20-08:10',
      '11:40-12:20',
      '16:30-17:50',
    ])
    expectErrorBody(await tobacco.get('/api/patrol/policy'), 403, 'FORBIDDEN')
  })

  it('a police supervisor adds a version from today with a reason; earlier dates keep the old one', async () => {
    const supervisor = (await t.signIn({ department: 'police', role: 'supervisor' })).agent
    expectErrorBody(
      await police.post('/api/patrol/policies').send({ effectiveFrom: today, reason: 'x', visitsPerUrbanSchool: 3 }),
      403,
      'FORBIDDEN',
    )
    const countySupervisor = (await t.signIn({ department: 'police', role: 'supervisor', countyCode: '640402' })).agent
    expectErrorBody(await countySupervisor.post('/api/patrol/policies').send({ effectiveFrom: today, reason: 'x' }), 403, 'FORBIDDEN')
    const past = await supervisor.post('/api/patrol/policies').send({ effectiveFrom: yesterday, reason: '补录' })
    expectErrorBody(past, 422, 'UNPROCESSABLE')
    expect(past.body.message).toMatch(/effectiveFrom: .* is in the past/)
    const dwell = await supervisor.post('/api/patrol/policies').send({ effectiveFrom: today, reason: 'x', dwellMinMinutes: 20 })
    expectErrorBody(dwell, 400, 'VALIDATION_FAILED')
    expect(dwell.body.message).toMatch(/body\/dwellMaxMinutes: must be at least dwellMinMinutes \(20\)/)
    const post = await supervisor
      .post('/api/patrol/policies')
      .send({ effectiveFrom: today, reason: 'x', posts: [{ scope: 'urban', gate: 1, windows: ['evening'] }] })
    expectErrorBody(post, 400, 'VALIDATION_FAILED')
    expect(post.body.message).toMatch(/body\/posts\/0\/windows\/0: evening is not one of the peak windows/)
    expectErrorBody(
      await supervisor.post('/api/patrol/policies').send({ effectiveFrom: '2026-02-30', reason: 'x' }),
      400,
      'VALIDATION_FAILED',
    )
    expectErrorBody(await supervisor.post('/api/patrol/policies').send({ effectiveFrom: today }), 400, 'VALIDATION_FAILED')

    const created = await supervisor
      .post('/api/patrol/policies')
      .send({ effectiveFrom: today, reason: '开学季加密巡逻', visitsPerUrbanSchool: 3, minGapMinutes: 90 })
      .expect(201)
    expect(created.body).toMatchObject({
      version: 2,
      effectiveFrom: today,
      visitsPerUrbanSchool: 3,
      minGapMinutes: 90,
      dwellMinMinutes: 10,
    })
    expect((await governance.get('/api/patrol/policy').expect(200)).body.version).toBe(2)
    expect((await governance.get('/api/patrol/policy').query({ date: yesterday }).expect(200)).body.version).toBe(1)
    const history = await governance.get('/api/patrol/policies').expect(200)
    expect(history.body.policies.map((p: { version: number }) => p.version)).toEqual([2, 1])
    const audit = await t.app.db
      .selectFrom('audit_log')
      .select(['action', 'department'])
      .where('entity_type', '=', 'patrol_policy')
      .execute()
    expect(audit).toEqual([{ action: 'create', department: 'police' }])
  })
})
