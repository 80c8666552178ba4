/**
 * Check-ins and GPX tracks: matched to the nearest campus within 100 m (check-ins) or 50 m (stays of a
 * track) by exact geodesic distance, positions taken in any of the service's coordinate systems, times in
 * the future refused, hostile XML (DOCTYPE, external entities, billion laughs) refused with a 400 while
 * the server keeps answering, tracks over 100,000 points refused, the same track twice recording nothing
 * new. Distances are checked against GeographicLib, never against the service.
 */
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromWgs84 } from '../../server/geo/crs.ts'
import { direct, distance, offEdge, ringByLegs, type LonLat } from '../factories/geodesic.ts'
import { CENTRE, stationFeature, unitFeature, XIJI } from '../factories/police.ts'
import { offset, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let police: TestAgent
let tobacco: TestAgent
let admin: TestAgent
let unitId: number
let xijiUnitId: number
let schoolA: number
let schoolB: number
let schoolC: number

const campus = (southWest: readonly number[]) =>
  ringByLegs(southWest, [
    [90, 200],
    [0, 120],
    [270, 200],
    [180, 120],
  ])

// Campus A (200 m × 120 m) and, 300 m east of it, campus B; their south edges run west → east.
const campusA = campus(offset(CENTRE, 4000, 0))
const campusB = campus(direct(campusA[1]!, 90, 300))

beforeAll(async () => {
  t = await startTestApp()
  police = (await t.signIn({ department: 'police', role: 'clerk', countyCode: '640402' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  admin = (await t.signIn({ department: 'admin', role: 'admin' })).agent
  const education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  const register = async (ring: LonLat[], name: string) =>
    (
      await education
        .post('/api/schools')
        .send(schoolFeature({ name, geometry: { type: 'Polygon', coordinates: [ring] }, gates: [ring[0]!] }))
        .expect(201)
    ).body.id as number
  schoolA = await register(campusA, '打卡甲小学')
  schoolB = await register(campusB, '打卡乙小学')
  schoolC = await register(campus(direct(campusA[3]!, 0, 150)), '打卡丙小学')
  const station = (
    await police
      .post('/api/patrol/stations')
      .send(stationFeature(offset(CENTRE, 3500, 0)))
      .expect(201)
  ).body
  unitId = (await police.post('/api/patrol/units').send(unitFeature(station.id)).expect(201)).body.id
  const xiji = (
    await admin
      .post('/api/patrol/stations')
      .send(stationFeature(XIJI, { name: '西吉所' }))
      .expect(201)
  ).body
  xijiUnitId = (
    await admin
      .post('/api/patrol/units')
      .send(unitFeature(xiji.id, {}, XIJI))
      .expect(201)
  ).body.id
})
afterAll(async () => {
  await t?.close()
})

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString()

describe('check-ins', () => {
  it('matches the school whose campus lies within 100 m, with its geodesic distance, and echoes the WGS84 position', async () => {
    const { point, foot } = offEdge(campusA[0]!, campusA[1]!, 0.5, 60)
    expect(distance(point, foot)).toBeCloseTo(60, 6)
    const response = await police
      .post('/api/patrol/visits')
      .send({ unitId, lon: point[0], lat: point[1], accuracyM: 8, at: minutesAgo(5) })
      .expect(201)
    expect(response.body).toMatchObject({ id: expect.any(Number), unitId, schoolId: schoolA, source: 'checkin', accuracyM: 8 })
    expect(Math.abs(response.body.distanceM - 60)).toBeLessThanOrEqual(0.05)
    expect(response.body.location.lon).toBeCloseTo(point[0], 9)
    expect(response.body.location.lat).toBeCloseTo(point[1], 9)
  })

  it('99.9 m from the campus is a visit, 100.1 m is not', async () => {
    const near = offEdge(campusA[0]!, campusA[1]!, 0.3, 99.9).point
    const far = offEdge(campusA[0]!, campusA[1]!, 0.7, 100.1).point
    const a = await police
      .post('/api/patrol/visits')
      .send({ unitId, lon: near[0], lat: near[1], at: minutesAgo(7) })
      .expect(201)
    expect(a.body.schoolId).toBe(schoolA)
    const b = await police
      .post('/api/patrol/visits')
      .send({ unitId, lon: far[0], lat: far[1], at: minutesAgo(7) })
      .expect(201)
    expect(b.body).toMatchObject({ schoolId: null, distanceM: null })
  })

  it('takes the nearest of two campuses within reach', async () => {
    // Campus C lies 150 m north of A: 60 m north of A's north edge is 90 m from C, 90 m north of it is 60 m from C.
    const northEdge = [campusA[2]!, campusA[3]!] as const
    const nearA = offEdge(northEdge[0], northEdge[1], 0.5, 60).point
    const nearC = offEdge(northEdge[0], northEdge[1], 0.5, 90).point
    const a = await police
      .post('/api/patrol/visits')
      .send({ unitId, lon: nearA[0], lat: nearA[1], at: minutesAgo(9) })
      .expect(201)
    expect(a.body.schoolId).toBe(schoolA)
    expect(Math.abs(a.body.distanceM - 60)).toBeLessThanOrEqual(0.05)
    const c = await police
      .post('/api/patrol/visits')
      .send({ unitId, lon: nearC[0], lat: nearC[1], at: minutesAgo(9) })
      .expect(201)
    expect(c.body.schoolId).toBe(schoolC)
    expect(Math.abs(c.body.distanceM - 60)).toBeLessThanOrEqual(0.05)
  })

  it('a GCJ-02 position (as Amap gives it) lands on the right school; read as WGS84 it would not', async () => {
    const truth = offEdge(campusB[0]!, campusB[1]!, 0.5, 30).point
    const [lon, lat] = fromWgs84(truth[0], truth[1], 'gcj02')
    // The raw GCJ-02 numbers lie hundreds of metres from the campus: only the conversion finds the school.
    expect(distance([lon, lat], truth)).toBeGreaterThan(300)
    const response = await police
      .post('/api/patrol/visits')
      .send({ unitId, lon, lat, crs: 'gcj02', at: minutesAgo(11) })
      .expect(201)
    expect(response.body.schoolId).toBe(schoolB)
    expect(Math.abs(response.body.distanceM - 30)).toBeLessThanOrEqual(0.05)
    expect(distance([response.body.location.lon, response.body.location.lat], truth)).toBeLessThan(0.01)
    expect(response.body.input).toEqual({ lon, lat, crs: 'gcj02' })
  })

  it('refuses a time in the future beyond a small clock skew, and an unparseable one', async () => {
    const [lon, lat] = offEdge(campusA[0]!, campusA[1]!, 0.5, 10).point
    const future = await police.post('/api/patrol/visits').send({ unitId, lon, lat, at: new Date(Date.now() + 10 * 60_000).toISOString() })
    expectErrorBody(future, 400, 'VALIDATION_FAILED')
    expect(future.body.message).toMatch(/body\/at: .* is in the future/)
    await police
      .post('/api/patrol/visits')
      .send({ unitId, lon, lat, at: new Date(Date.now() + 60_000).toISOString() })
      .expect(201)
    expectErrorBody(await police.post('/api/patrol/visits').send({ unitId, lon, lat, at: 'yesterday' }), 400, 'VALIDATION_FAILED')
    expectErrorBody(await police.post('/api/patrol/visits').send({ unitId, lon: 200, lat, at: minutesAgo(1) }), 400, 'VALIDATION_FAILED')
  })

  it('refuses a unit of another county (403), an unknown unit (404), other departments (403)', async () => {
    const [lon, lat] = offEdge(campusA[0]!, campusA[1]!, 0.5, 10).point
    expectErrorBody(await police.post('/api/patrol/visits').send({ unitId: xijiUnitId, lon, lat, at: minutesAgo(1) }), 403, 'FORBIDDEN')
    expectErrorBody(await police.post('/api/patrol/visits').send({ unitId: 999_999, lon, lat, at: minutesAgo(1) }), 404, 'NOT_FOUND')
    expectErrorBody(await tobacco.post('/api/patrol/visits').send({ unitId, lon, lat, at: minutesAgo(1) }), 403, 'FORBIDDEN')
  })

  it('the same check-in twice is stored once: the second answer is 200 with the first visit', async () => {
    const [lon, lat] = offEdge(campusA[0]!, campusA[1]!, 0.2, 20).point
    const at = minutesAgo(30)
    const first = await police.post('/api/patrol/visits').send({ unitId, lon, lat, at }).expect(201)
    const second = await police.post('/api/patrol/visits').send({ unitId, lon, lat, at }).expect(200)
    expect(second.body).toMatchObject({ id: first.body.id, duplicate: true })
    const stored = await t.app.db.selectFrom('patrol_visits').select('id').where('at', '=', new Date(at)).execute()
    expect(stored).toHaveLength(1)
  })
})

/** A GPX 1.1 document with one track segment of [lon, lat, time] points. */
function gpx(points: readonly (readonly [number, number, number])[]): string {
  const body = points
    .map(
      ([lon, lat, time]) =>
        `<trkpt lat="${lat.toFixed(8)}" lon="${lon.toFixed(8)}"><ele>1800</ele><time>${new Date(time).toISOString()}</time></trkpt>`,
    )
    .join('\n')
  return `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<trk><name>巡逻</name><trkseg>
${body}
</trkseg></trk></gpx>`
}

/** Points every 30 s from `start` (ms) along a leg, each `(lon, lat)` from `at(k)`. */
function leg(start: number, count: number, at: (k: number) => LonLat): [number, number, number][] {
  return Array.from({ length: count }, (_, k) => {
    const [lon, lat] = at(k)
    return [lon, lat, start + k * 30_000] as [number, number, number]
  })
}

describe('tracks', () => {
  const start = Date.now() - 3 * 3600_000
  // Approach from 500 m south of A, stay 12 minutes 20 m off A's south edge, drive to B, pass 30 m off B for 3 minutes, leave.
  const approach = leg(start, 10, (k) => offEdge(campusA[0]!, campusA[1]!, 0.5, 500 - k * 45).point)
  const stayStart = start + 10 * 30_000
  const stay = leg(stayStart, 25, (k) => offEdge(campusA[0]!, campusA[1]!, 0.3 + k * 0.01, 20).point) // 24 × 30 s = 12 min
  const toB = leg(stayStart + 25 * 30_000, 10, (k) => offEdge(campusA[1]!, campusB[0]!, k / 10, 200).point)
  const passStart = stayStart + 35 * 30_000
  const pass = leg(passStart, 7, (k) => offEdge(campusB[0]!, campusB[1]!, 0.2 + k * 0.1, 30).point) // 6 × 30 s = 3 min
  const away = leg(passStart + 7 * 30_000, 10, (k) => offEdge(campusB[0]!, campusB[1]!, 0.9, 200 + k * 50).point)
  const track = gpx([...approach, ...stay, ...toB, ...pass, ...away])

  it('records the 12-minute stay within 50 m of a campus as one visit, not the 3-minute pass-by', async () => {
    const response = await police
      .post('/api/patrol/tracks')
      .query({ unitId })
      .set('Content-Type', 'application/gpx+xml')
      .send(track)
      .expect(200)
    expect(response.body).toMatchObject({ points: 62, stays: 1 })
    expect(response.body.visits).toHaveLength(1)
    const [visit] = response.body.visits
    expect(visit).toMatchObject({
      unitId,
      schoolId: schoolA,
      source: 'track',
      at: new Date(stayStart).toISOString(),
      leftAt: new Date(stayStart + 24 * 30_000).toISOString(),
    })
    expect(Math.abs(visit.distanceM - 20)).toBeLessThanOrEqual(0.05)
  })

  it('the same track twice records nothing new', async () => {
    const again = await police.post('/api/patrol/tracks').query({ unitId }).set('Content-Type', 'application/xml').send(track).expect(200)
    expect(again.body).toMatchObject({ points: 62, stays: 1, visits: [] })
    const stored = await t.app.db.selectFrom('patrol_visits').select('id').where('source', '=', 'track').execute()
    expect(stored).toHaveLength(1)
  })

  it('refuses a point in the future, a point without a time, a document without points, JSON', async () => {
    const future = gpx([[campusA[0]![0], campusA[0]![1], Date.now() + 3600_000]])
    const refused = await police.post('/api/patrol/tracks').query({ unitId }).set('Content-Type', 'application/gpx+xml').send(future)
    expectErrorBody(refused, 400, 'VALIDATION_FAILED')
    expect(refused.body.message).toMatch(/body\/trkpt\/0\/time: .* is in the future/)
    const untimed = track.replace(/<time>[^<]*<\/time>/, '')
    const noTime = await police.post('/api/patrol/tracks').query({ unitId }).set('Content-Type', 'application/gpx+xml').send(untimed)
    expectErrorBody(noTime, 400, 'VALIDATION_FAILED')
    expect(noTime.body.message).toMatch(/body\/trkpt\/0: has no <time>/)
    const empty = '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg></trkseg></trk></gpx>'
    expectErrorBody(
      await police.post('/api/patrol/tracks').query({ unitId }).set('Content-Type', 'application/gpx+xml').send(empty),
      400,
      'VALIDATION_FAILED',
    )
    const badLat = track.replace(/lat="[^"]*"/, 'lat="north"')
    const lat = await police.post('/api/patrol/tracks').query({ unitId }).set('Content-Type', 'application/gpx+xml').send(badLat)
    expectErrorBody(lat, 400, 'VALIDATION_FAILED')
    expect(lat.body.message).toMatch(/body\/trkpt\/0\/lat/)
    expectErrorBody(await police.post('/api/patrol/tracks').query({ unitId }).send({ points: [] }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expectErrorBody(
      await police.post('/api/patrol/tracks').query({ unitId: xijiUnitId }).set('Content-Type', 'application/gpx+xml').send(track),
      403,
      'FORBIDDEN',
    )
    expectErrorBody(
      await tobacco.post('/api/patrol/tracks').query({ unitId }).set('Content-Type', 'application/gpx+xml').send(track),
      403,
      'FORBIDDEN',
    )
  })

  const hostile: [string, string, RegExp][] = [
    [
      'an external entity (XXE)',
      `<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><gpx version="1.1"><trk><name>&xxe;</name><trkseg></trkseg></trk></gpx>`,
      /DOCTYPE/,
    ],
    [
      'billion laughs',
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]><gpx version="1.1"><trk><name>&lol9;</name></trk></gpx>`,
      /DOCTYPE/,
    ],
    ['a bare DOCTYPE', `<?xml version="1.0"?><!DOCTYPE gpx SYSTEM "http://example.invalid/gpx.dtd"><gpx version="1.1"></gpx>`, /DOCTYPE/],
    ['an undeclared entity', `<gpx version="1.1"><trk><name>&xxe;</name></trk></gpx>`, /not well-formed XML/],
    [
      'unclosed tags',
      `<gpx version="1.1"><trk><trkseg><trkpt lat="36" lon="106"><time>2026-01-01T00:00:00Z</time></trkpt>`,
      /not well-formed XML/,
    ],
    ['another root element', `<kml><Document/></kml>`, /root element is <kml>/],
  ]
  for (const [name, body, message] of hostile) {
    it(`refuses ${name} with a 400 and keeps answering`, async () => {
      const response = await police.post('/api/patrol/tracks').query({ unitId }).set('Content-Type', 'application/gpx+xml').send(body)
      expectErrorBody(response, 400, 'VALIDATION_FAILED')
      expect(response.body.message).toMatch(message)
      expect(response.body.message).not.toMatch(/root:|lollol/)
      await t.request().get('/health').expect(200)
    })
  }

  it('refuses a track of 100,001 points, naming the limit', async () => {
    const [lon, lat] = offset(CENTRE, 20_000, 20_000)
    const base = Date.now() - 4 * 86_400_000
    const points = Array.from({ length: 100_001 }, (_, k) => [lon + k * 1e-7, lat, base + k * 1000] as [number, number, number])
    const response = await police.post('/api/patrol/tracks').query({ unitId }).set('Content-Type', 'application/gpx+xml').send(gpx(points))
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toMatch(/more than 100,000 points/)
    await t.request().get('/health').expect(200)
  })
})
