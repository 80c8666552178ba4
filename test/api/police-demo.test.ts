/**
 * The police desk's demo: the shipped built-up areas are what the generator makes; loaded over demo schools
 * they make some urban and leave others rural; stations per county seat with two to four units whose shifts
 * cover 07:00–19:00; grids inside their counties; signs and cameras with gaps left; simulated visits in the
 * last seven days that coverage counts; a second load adds nothing.
 */
import fs from 'node:fs'
import path from 'node:path'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { loadReferenceData } from '../../scripts/demo/reference.ts'
import { generateUrbanAreas, urbanAreasText } from '../../scripts/demo/urban-areas.ts'
import { loadDemoPolice } from '../../server/modules/demo/police.ts'
import { candidatesFromGeoJson, importRecords } from '../../server/modules/registry/import.ts'
import { DATA_DIR } from '../../server/modules/reference/load.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let governance: TestAgent

beforeAll(async () => {
  t = await startTestApp()
  governance = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  // The demo schools of the city and of two county seats' surroundings (every fourth, to keep the file quick).
  const schools = JSON.parse(fs.readFileSync(path.join(DATA_DIR, 'demo', 'schools.geojson'), 'utf8')) as {
    type: string
    features: { properties: Record<string, unknown> }[]
  }
  schools.features = schools.features.filter((_, i) => i % 4 === 0)
  for (const f of schools.features) delete f.properties.demo
  await importRecords(
    t.app.db,
    candidatesFromGeoJson(schools, 'wgs84'),
    [],
    { kind: 'schools', crs: 'wgs84', demo: true },
    { user: null, requestId: 'test' },
  )
  await loadDemoPolice(t.app.db)
}, 300_000)
afterAll(async () => {
  await t?.close()
})

it('ships the built-up areas the generator makes', () => {
  const shipped = fs.readFileSync(path.join(DATA_DIR, 'demo', 'urban-areas.geojson'), 'utf8')
  expect(shipped).toBe(urbanAreasText(generateUrbanAreas(loadReferenceData(DATA_DIR))))
  const collection = JSON.parse(shipped)
  expect(collection.features.map((f: { properties: { countyCode: string } }) => f.properties.countyCode)).toEqual([
    '640402',
    '640422',
    '640423',
    '640424',
    '640425',
  ])
})

it('makes the schools in the built-up areas urban and leaves others rural', async () => {
  const { rows } = await t.app.db
    .selectFrom('schools')
    .select((eb) => ['urban', eb.fn.countAll<number>().as('n')])
    .groupBy('urban')
    .execute()
    .then((rows) => ({ rows }))
  const count = Object.fromEntries(rows.map((r) => [String(r.urban), Number(r.n)]))
  expect(count.true).toBeGreaterThan(10)
  expect(count.false).toBeGreaterThan(10)
})

it('has a station per county seat (two in the city), 2–4 units each covering 07:00–19:00, grids inside their counties', async () => {
  const stations = (await governance.get('/api/patrol/stations').expect(200)).body.features
  expect(stations.map((s: { properties: { countyCode: string } }) => s.properties.countyCode).sort()).toEqual([
    '640402',
    '640402',
    '640422',
    '640423',
    '640424',
    '640425',
  ])
  const units = (await governance.get('/api/patrol/units').query({ limit: 1000 }).expect(200)).body.features
  for (const station of stations) {
    const own = units.filter((u: { properties: { stationId: number } }) => u.properties.stationId === station.id)
    expect(own.length).toBeGreaterThanOrEqual(2)
    expect(own.length).toBeLessThanOrEqual(4)
    expect(new Set(own.map((u: { properties: { mode: string } }) => u.properties.mode))).toEqual(new Set(['car', 'foot']))
    // Every minute from 07:00 to 19:00 is in some unit's shift.
    const minutes = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3))
    for (let m = 7 * 60; m < 19 * 60; m += 15)
      expect(
        own.some(
          (u: { properties: { shiftStart: string; shiftEnd: string } }) =>
            minutes(u.properties.shiftStart) <= m && m < minutes(u.properties.shiftEnd),
        ),
      ).toBe(true)
  }
  const grids = (await governance.get('/api/patrol/grids').expect(200)).body.features
  expect(grids).toHaveLength(6)
})

it('leaves some zones without a sign and some gates without a working camera', async () => {
  const gaps = (await governance.get('/api/patrol/equipment-gaps').expect(200)).body
  expect(gaps.zonesWithoutSign.length).toBeGreaterThan(0)
  expect(gaps.zonesWithoutSign.length).toBeLessThan(gaps.schools)
  expect(gaps.gatesWithoutCamera.length).toBeGreaterThan(0)
  expect((await governance.get('/api/patrol/signs').expect(200)).body.numberMatched).toBeGreaterThan(0)
})

it('simulates check-ins in the last seven days that coverage counts, with schools met and schools below', async () => {
  const week = (await governance.get('/api/patrol/coverage/week').query({ countyCode: '640402' }).expect(200)).body
  const urban = week.schools.filter((s: { urban: boolean }) => s.urban)
  expect(urban.length).toBeGreaterThan(0)
  const days = urban.flatMap((s: { days: { done: number; below: boolean }[] }) => s.days.slice(0, 6))
  expect(days.some((d: { done: number; below: boolean }) => d.done >= 2 && !d.below)).toBe(true)
  expect(days.some((d: { below: boolean }) => d.below)).toBe(true)
  const visits = await t.app.db
    .selectFrom('patrol_visits')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  expect(Number(visits.n)).toBeGreaterThan(0)
  const future = await t.app.db.selectFrom('patrol_visits').select('id').where('at', '>', new Date()).execute()
  expect(future).toEqual([])
})

it('a second load adds nothing', async () => {
  const before = await t.app.db
    .selectFrom('patrol_visits')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  await loadDemoPolice(t.app.db)
  const after = await t.app.db
    .selectFrom('patrol_visits')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  expect(Number(after.n)).toBe(Number(before.n))
  expect((await governance.get('/api/patrol/stations').expect(200)).body.numberMatched).toBe(6)
})
