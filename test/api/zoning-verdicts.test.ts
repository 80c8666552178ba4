/**
 * POST /api/check, exact against an independent oracle (GeographicLib on the WGS84 ellipsoid).
 *
 * Campuses are built with geodesic helpers, and test points are placed at a known geodesic distance
 * from a known nearest point: perpendicular off an edge, on the bisector of a convex corner's exterior
 * angle, in the notch of an L-shaped campus, beside one part of a multi-part campus, or from a gate.
 * Every fixture is first measured by the oracle's own brute-force search (the minimum over all edges),
 * so a badly built fixture fails here rather than passing by luck. Points sit 1 cm, 10 cm and 1 m on
 * either side of the 200 m limit (and of the 50 m band edge), at four latitudes.
 */
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertCounties } from '../../server/modules/reference/repository.ts'
import { fromWgs84 } from '../../server/geo/crs.ts'
import {
  direct,
  distance,
  distanceToCampus,
  distanceToPoints,
  inverse,
  offCorner,
  offEdge,
  ringAround,
  ringByLegs,
  round1,
  type Campus,
  type LonLat,
} from '../factories/geodesic.ts'
import { schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let education: TestAgent
let tobacco: TestAgent
let governance: TestAgent

const LIMIT = 200
const NEAR_LIMIT = [-1, -0.1, -0.01, 0.01, 0.1, 1].map((delta) => LIMIT + delta)

interface Site {
  name: string
  at: LonLat
  county: string
}
const SITES: Site[] = [
  { name: 'Guyuan 36.0°N', at: [106.24, 36.0], county: '640402' },
  { name: 'Sanya 18.3°N', at: [109.5, 18.3], county: '460200' },
  { name: 'Harbin 45.8°N', at: [126.6, 45.8], county: '230100' },
  { name: 'Mohe 53.0°N', at: [122.5, 53.0], county: '232723' },
]

/** A square campus around a centre: vertices at 45°, 135°… with the given half-diagonal, counter-clockwise. */
const square = (centre: LonLat, halfDiagonal: number) =>
  ringAround(centre, [
    [315, halfDiagonal],
    [225, halfDiagonal],
    [135, halfDiagonal],
    [45, halfDiagonal],
  ])

interface SiteFixtures {
  convex: { id: number; ring: LonLat[]; campus: Campus }
  lShape: { id: number; ring: LonLat[]; campus: Campus }
  multi: { id: number; a: LonLat[]; b: LonLat[]; campus: Campus }
  gated: { id: number; campus: Campus; gates: LonLat[] }
  /** Two gates nearly equidistant from `tiePoint`: 199.9 m due north of the first, 200.15 m due west of the second. */
  tie: { id: number; campus: Campus; gates: LonLat[]; point: LonLat }
}
const fixtures = new Map<string, SiteFixtures>()
const rules = new Map<string, { id: number; version: number; legalBasis: string }>()

async function createSchool(site: Site, name: string, schoolType: string, campus: Campus, gates: LonLat[] = []): Promise<number> {
  const response = await education
    .post('/api/schools')
    .send(schoolFeature({ name, schoolType, countyCode: site.county, geometry: campus, gates }))
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body.id as number
}

async function ruleFor(category: string, schoolType: string) {
  const response = await tobacco.get('/api/rules').query({ category, schoolType }).expect(200)
  expect(response.body.rules).toHaveLength(1)
  return response.body.rules[0] as { id: number; version: number; legalBasis: string; origin: string; limitM: number }
}

beforeAll(async () => {
  t = await startTestApp()
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  // The registry takes campuses only inside a county of the counties table: each far site is entered as its county.
  await insertCounties(
    t.app.db,
    SITES.slice(1).map(({ name, county, at: [lon, lat] }) => ({
      code: county,
      name: `${name}（测试区）`,
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [lon - 0.1, lat - 0.1],
            [lon + 0.1, lat - 0.1],
            [lon + 0.1, lat + 0.1],
            [lon - 0.1, lat + 0.1],
            [lon - 0.1, lat - 0.1],
          ],
        ],
      },
    })),
  )

  // Lottery outlets near senior high schools are measured from the gates (as several cities do for tobacco).
  const lottery = await ruleFor('lottery_outlet', 'senior_high')
  const changed = await governance
    .put(`/api/rules/${lottery.id}`)
    .send({ origin: 'gates', reason: 'test: measure lottery outlets from the school gates' })
  expect(changed.status, JSON.stringify(changed.body)).toBe(200)
  expect(changed.body).toMatchObject({ origin: 'gates', version: lottery.version + 1 })
  for (const [category, schoolType] of [
    ['tobacco_retail', 'primary'],
    ['lottery_outlet', 'senior_high'],
    ['tobacco_retail', 'senior_high'],
  ] as const) {
    const rule = await ruleFor(category, schoolType)
    rules.set(`${category}|${schoolType}`, rule)
  }

  for (const site of SITES) {
    // A convex hexagon (azimuths decreasing: counter-clockwise).
    const convexRing = ringAround(site.at, [
      [350, 130],
      [290, 150],
      [230, 120],
      [170, 140],
      [110, 110],
      [50, 145],
    ])
    const convexCampus: Campus = { type: 'Polygon', coordinates: [convexRing] }
    // An L: 500 m × 500 m with the north-east 300 m × 300 m cut out; vertex 3 is the reflex corner.
    const lRing = ringByLegs(direct(site.at, 90, 3000), [
      [90, 500],
      [0, 200],
      [270, 300],
      [0, 300],
      [270, 200],
      [180, 500],
    ])
    const lCampus: Campus = { type: 'Polygon', coordinates: [lRing] }
    // Two parts 450 m apart (centre to centre), each a square of 141 m.
    const multiCentre = direct(site.at, 180, 3000)
    const a = square(multiCentre, 100)
    const b = square(direct(multiCentre, 90, 450), 100)
    const multiCampus: Campus = { type: 'MultiPolygon', coordinates: [[a], [b]] }
    // A senior high school with two gates just outside its campus, south and north.
    const gatedCentre = direct(site.at, 270, 3000)
    const gatedCampus: Campus = { type: 'Polygon', coordinates: [square(gatedCentre, 100)] }
    const gates = [direct(gatedCentre, 180, 90), direct(gatedCentre, 0, 75)]
    const tieCentre = direct(site.at, 45, 4000)
    const tieCampus: Campus = { type: 'Polygon', coordinates: [square(tieCentre, 100)] }
    const northGate = direct(tieCentre, 0, 75)
    const tiePoint = direct(northGate, 0, 199.9)
    const tieGates = [northGate, direct(tiePoint, 90, 200.15)]
    fixtures.set(site.name, {
      tie: {
        id: await createSchool(site, `${site.name} 两门高中`, 'senior_high', tieCampus, tieGates),
        campus: tieCampus,
        gates: tieGates,
        point: tiePoint,
      },
      convex: { id: await createSchool(site, `${site.name} 凸校园小学`, 'primary', convexCampus), ring: convexRing, campus: convexCampus },
      lShape: { id: await createSchool(site, `${site.name} L形小学`, 'primary', lCampus), ring: lRing, campus: lCampus },
      multi: { id: await createSchool(site, `${site.name} 两校区小学`, 'primary', multiCampus), a, b, campus: multiCampus },
      gated: { id: await createSchool(site, `${site.name} 大门高中`, 'senior_high', gatedCampus, gates), campus: gatedCampus, gates },
    })
  }
})
afterAll(async () => {
  await t?.close()
})

interface Case {
  label: string
  point: LonLat
  /** The distance the fixture was built at (the oracle re-measures it). */
  built: number
  /** The nearest point of the campus or the nearest gate. */
  nearest: LonLat
  schoolId: number
  category: 'tobacco_retail' | 'lottery_outlet'
  schoolType: 'primary' | 'senior_high'
  origin: 'campus' | 'gates'
  /** The oracle: distance from the point to the campus (minimum over every edge) or to the nearest gate. */
  measure: (p: LonLat) => { distance: number; nearest: LonLat }
}

const expectedBand = (d: number) => (d < 50 ? 'core' : 'control')

/** Equal to the oracle rounded to 0.1 m; ±0.1 only where the oracle sits within 1 mm of a rounding boundary (x.x5). */
function expectReportedDistance(reported: number, oracle: number, label: string) {
  const tenths = oracle * 10
  const atBoundary = Math.abs(tenths - Math.floor(tenths) - 0.5) < 0.01
  if (atBoundary) expect(Math.abs(reported - round1(oracle)), label).toBeLessThanOrEqual(0.1 + 1e-9)
  else expect(reported, label).toBe(round1(oracle))
}

/** Checks one case through the API, after checking the fixture against the oracle's own search. */
async function expectVerdict(c: Case) {
  const oracle = c.measure(c.point)
  expect(Math.abs(oracle.distance - c.built), `${c.label}: fixture distance`).toBeLessThan(1e-3)
  expect(distance(oracle.nearest, c.nearest), `${c.label}: fixture nearest point`).toBeLessThan(5e-3)
  const truth = c.built
  const response = await tobacco.post('/api/check').send({ lon: c.point[0], lat: c.point[1], category: c.category })
  expect(response.status, JSON.stringify(response.body)).toBe(200)
  const body = response.body
  expect(body.location, c.label).toEqual({ lon: c.point[0], lat: c.point[1] })
  expect(body.crs).toBe('wgs84')
  expect(body.category).toBe(c.category)
  const rule = rules.get(`${c.category}|${c.schoolType}`)!
  if (truth <= LIMIT) {
    expect(body.verdict, `${c.label}: verdict`).toBe('prohibited')
    expect(body.conflicts, c.label).toHaveLength(1)
    const conflict = body.conflicts[0]
    expect(conflict).toMatchObject({
      schoolId: c.schoolId,
      schoolType: c.schoolType,
      limitM: LIMIT,
      origin: c.origin,
      band: expectedBand(truth),
      ruleId: rule.id,
      ruleVersion: rule.version,
    })
    expect(conflict.legalBasis.length, c.label).toBeGreaterThan(0)
    expect(conflict.legalBasis).toBe(rule.legalBasis)
    expectReportedDistance(conflict.distanceM, oracle.distance, `${c.label}: distanceM`)
    const offBy = distance([conflict.nearestPoint.lon, conflict.nearestPoint.lat], c.nearest)
    expect(offBy, `${c.label}: nearestPoint is ${offBy.toFixed(4)} m from the oracle's`).toBeLessThan(0.02)
    expect(body.nearestSchools.map((s: { schoolId: number }) => s.schoolId)).not.toContain(c.schoolId)
  } else {
    expect(body.verdict, `${c.label}: verdict`).toBe('allowed')
    expect(body.conflicts, c.label).toEqual([])
  }
  return body
}

function casesAt(site: Site): Case[] {
  const f = fixtures.get(site.name)!
  const cases: Case[] = []
  const campusCase = (school: { id: number; campus: Campus }, label: string, point: LonLat, built: number, nearest: LonLat): Case => ({
    label: `${site.name}, ${label} at ${built} m`,
    point,
    built,
    nearest,
    schoolId: school.id,
    category: 'tobacco_retail',
    schoolType: 'primary',
    origin: 'campus',
    measure: (p) => distanceToCampus(p, school.campus),
  })
  // Edge midpoint of the convex campus (edge 0 → 1), and the 50 m band edge.
  for (const d of [...NEAR_LIMIT, 49.99, 50.01]) {
    const { point, foot } = offEdge(f.convex.ring[0]!, f.convex.ring[1]!, 0.5, d)
    cases.push(campusCase(f.convex, 'off an edge midpoint', point, d, foot))
  }
  // Off an edge at a quarter of its length, from another edge (3 → 4).
  for (const d of [10, 120]) {
    const { point, foot } = offEdge(f.convex.ring[3]!, f.convex.ring[4]!, 0.25, d)
    cases.push(campusCase(f.convex, 'off an edge at t=0.25', point, d, foot))
  }
  // Convex corner (vertex 2): on the bisector of the exterior angle; the vertex is nearest.
  for (const d of NEAR_LIMIT) {
    const [prev, vertex, next] = [f.convex.ring[1]!, f.convex.ring[2]!, f.convex.ring[3]!]
    cases.push(campusCase(f.convex, 'off a convex corner', offCorner(prev, vertex, next, d), d, vertex))
  }
  // Reflex corner of the L (vertex 3): points in the notch, 30 m along one of the two notch edges past the
  // distance, so that edge is nearest and the other is 30 m further.
  NEAR_LIMIT.forEach((d, i) => {
    const [e, r, n] = [f.lShape.ring[2]!, f.lShape.ring[3]!, f.lShape.ring[4]!]
    const built =
      i % 2 === 0 ? offEdge(r, n, (d + 30) / inverse(r, n).distance, d) : offEdge(e, r, 1 - (d + 30) / inverse(e, r).distance, d)
    cases.push(campusCase(f.lShape, `in the notch of an L (edge ${i % 2 === 0 ? 'R→N' : 'E→R'})`, built.point, d, built.foot))
  })
  // Multi-part campus: outside either part, away from the other; and between them, nearer part a.
  NEAR_LIMIT.forEach((d, i) => {
    // Squares from ringAround(…, [315, 225, 135, 45]): edge 2 → 3 faces east, edge 0 → 1 faces west.
    const built = i % 2 === 0 ? offEdge(f.multi.b[2]!, f.multi.b[3]!, 0.5, d) : offEdge(f.multi.a[0]!, f.multi.a[1]!, 0.5, d)
    cases.push(campusCase(f.multi, `beside part ${i % 2 === 0 ? 'b (east)' : 'a (west)'} of a MultiPolygon`, built.point, d, built.foot))
  })
  {
    const built = offEdge(f.multi.a[2]!, f.multi.a[3]!, 0.5, 130)
    cases.push(campusCase(f.multi, 'between the parts, nearer part a', built.point, 130, built.foot))
  }
  // Gates: lottery outlets × senior high are measured from the gates; the south gate is nearest.
  for (const d of [...NEAR_LIMIT, 30]) {
    const gate = f.gated.gates[0]!
    cases.push({
      label: `${site.name}, from a gate at ${d} m`,
      point: direct(gate, 200, d),
      built: d,
      nearest: gate,
      schoolId: f.gated.id,
      category: 'lottery_outlet',
      schoolType: 'senior_high',
      origin: 'gates',
      measure: (p) => distanceToPoints(p, f.gated.gates),
    })
  }
  // Near-ties: two edges of the L notch (or two gates) almost equally far, one just inside the limit and
  // one just outside. On a sphere the north–south distance looks 0.2 % longer and the east–west one 0.2 %
  // shorter than on the ellipsoid, so a sphere-first search picks the wrong one; the verdict must not.
  {
    const [r, n] = [f.lShape.ring[3]!, f.lShape.ring[4]!]
    for (const [northSouth, eastWest] of [
      [199.9, 200.1],
      [200.1, 199.9],
      [199.95, 200.4],
      [200.4, 199.99],
      [200.05, 200.3],
    ] as const) {
      // eastWest m east of the R→N edge, northSouth m north of the E→R edge.
      const { point } = offEdge(r, n, northSouth / inverse(r, n).distance, eastWest)
      const measured = distanceToCampus(point, f.lShape.campus)
      // The feet are only roughly on the axes, so the oracle's distance is the truth here (a few mm off the nominal).
      const built = measured.distance
      expect(Math.abs(built - Math.min(northSouth, eastWest))).toBeLessThan(0.02)
      expect(Math.abs(built - LIMIT)).toBeGreaterThan(0.0099)
      cases.push(
        campusCase(
          f.lShape,
          `in the notch, ${northSouth} m from the E→R edge and ${eastWest} m from the R→N edge`,
          point,
          built,
          measured.nearest,
        ),
      )
    }
  }
  cases.push({
    label: `${site.name}, 199.9 m north of one gate and 200.15 m west of another`,
    point: f.tie.point,
    built: 199.9,
    nearest: f.tie.gates[0]!,
    schoolId: f.tie.id,
    category: 'lottery_outlet',
    schoolType: 'senior_high',
    origin: 'gates',
    measure: (p) => distanceToPoints(p, f.tie.gates),
  })
  return cases
}

describe.each(SITES)('verdicts at $name', (site) => {
  it('decides every point 1 cm, 10 cm and 1 m either side of the limit exactly, with the distance, band, rule and nearest point', async () => {
    for (const c of casesAt(site)) await expectVerdict(c)
  })

  it('gives the same verdict for the same point sent in GCJ-02, echoing the WGS84 point tested', async () => {
    const f = fixtures.get(site.name)!
    for (const d of [LIMIT - 0.01, LIMIT + 0.01]) {
      const { point } = offEdge(f.convex.ring[0]!, f.convex.ring[1]!, 0.5, d)
      const [gLon, gLat] = fromWgs84(point[0], point[1], 'gcj02')
      // GCJ-02 is hundreds of metres off the true position: the conversion matters.
      expect(distance([gLon, gLat], point)).toBeGreaterThan(100)
      const response = await tobacco.post('/api/check').send({ lon: gLon, lat: gLat, crs: 'gcj02', category: 'tobacco_retail' }).expect(200)
      expect(response.body.crs).toBe('gcj02')
      expect(response.body.input).toEqual({ lon: gLon, lat: gLat, crs: 'gcj02' })
      expect(Math.abs(response.body.location.lon - point[0])).toBeLessThan(1e-7)
      expect(Math.abs(response.body.location.lat - point[1])).toBeLessThan(1e-7)
      expect(distance([response.body.location.lon, response.body.location.lat], point)).toBeLessThan(0.002)
      expect(response.body.verdict).toBe(d < LIMIT ? 'prohibited' : 'allowed')
      if (d < LIMIT) expect(response.body.conflicts[0]).toMatchObject({ schoolId: f.convex.id, distanceM: 200, origin: 'campus' })
    }
  })

  it('measures from the campus for a category whose rule uses the campus, and from the gates for one that uses them, at the same school', async () => {
    const f = fixtures.get(site.name)!
    const ring = (f.gated.campus.coordinates as number[][][])[0]!
    // 150 m east of the campus, about 238 m from either gate.
    const { point, foot } = offEdge(ring[2]!, ring[3]!, 0.5, 150)
    expect(distanceToCampus(point, f.gated.campus).distance).toBeCloseTo(150, 3)
    const fromGates = distanceToPoints(point, f.gated.gates)
    expect(fromGates.distance).toBeGreaterThan(LIMIT + 1)
    const tobaccoCheck = await tobacco.post('/api/check').send({ lon: point[0], lat: point[1], category: 'tobacco_retail' }).expect(200)
    expect(tobaccoCheck.body.verdict).toBe('prohibited')
    const conflict = tobaccoCheck.body.conflicts[0]
    expect(conflict).toMatchObject({
      schoolId: f.gated.id,
      origin: 'campus',
      distanceM: 150,
      band: 'control',
      ruleId: rules.get('tobacco_retail|senior_high')!.id,
    })
    expect(distance([conflict.nearestPoint.lon, conflict.nearestPoint.lat], foot)).toBeLessThan(0.02)
    const lotteryCheck = await tobacco.post('/api/check').send({ lon: point[0], lat: point[1], category: 'lottery_outlet' }).expect(200)
    expect(lotteryCheck.body.verdict).toBe('allowed')
    expect(lotteryCheck.body.conflicts).toEqual([])
    // Outside its limit as the rule measures it: the nearest school is listed at its distance from the gates.
    const listed = lotteryCheck.body.nearestSchools.find((n: { schoolId: number }) => n.schoolId === f.gated.id)
    expect(listed).toMatchObject({ limitM: LIMIT })
    expectReportedDistance(listed.distanceM, fromGates.distance, 'nearest school measured from its gates')
  })
})

describe('nearest schools', () => {
  const centre = direct(SITES[0]!.at, 45, 6000)
  const schools: { id: number; campus: Campus }[] = []
  beforeAll(async () => {
    // Five small campuses around a point at increasing distances; the first is within the limit.
    const placements: [number, number][] = [
      [0, 120],
      [72, 300],
      [144, 260],
      [216, 380],
      [288, 450],
    ]
    for (const [i, [azimuth, d]] of placements.entries()) {
      const campus: Campus = { type: 'Polygon', coordinates: [square(direct(centre, azimuth, d), 20)] }
      schools.push({ id: await createSchool(SITES[0]!, `最近学校${i}`, 'primary', campus), campus })
    }
  })

  it('lists the three nearest schools outside their limits, nearest first, with their oracle distances', async () => {
    const measured = schools
      .map((s) => ({ ...s, distance: distanceToCampus(centre, s.campus).distance }))
      .sort((a, b) => a.distance - b.distance)
    expect(measured[0]!.distance).toBeLessThan(LIMIT - 1)
    expect(measured[1]!.distance).toBeGreaterThan(LIMIT + 1)
    const response = await tobacco.post('/api/check').send({ lon: centre[0], lat: centre[1], category: 'tobacco_retail' }).expect(200)
    expect(response.body.verdict).toBe('prohibited')
    expect(response.body.conflicts.map((c: { schoolId: number }) => c.schoolId)).toEqual([measured[0]!.id])
    const nearest = response.body.nearestSchools as { schoolId: number; distanceM: number; limitM: number; schoolType: string }[]
    expect(nearest.map((n) => n.schoolId)).toEqual(measured.slice(1, 4).map((m) => m.id))
    nearest.forEach((n, i) => {
      expectReportedDistance(n.distanceM, measured[i + 1]!.distance, `nearest school ${i}`)
      expect(n).toMatchObject({ limitM: LIMIT, schoolType: 'primary' })
    })
  })

  it('lists fewer than three when fewer schools are near, and none inside their limits', async () => {
    const f = fixtures.get(SITES[1]!.name)!
    const { point } = offEdge(f.convex.ring[0]!, f.convex.ring[1]!, 0.5, 250)
    const response = await tobacco.post('/api/check').send({ lon: point[0], lat: point[1], category: 'tobacco_retail' }).expect(200)
    expect(response.body.verdict).toBe('allowed')
    const nearest = response.body.nearestSchools as { schoolId: number; distanceM: number }[]
    expect(nearest.length).toBeGreaterThan(0)
    expect(nearest.length).toBeLessThanOrEqual(3)
    expect(nearest[0]).toMatchObject({ schoolId: f.convex.id, distanceM: 250 })
    for (let i = 1; i < nearest.length; i += 1) expect(nearest[i]!.distanceM).toBeGreaterThanOrEqual(nearest[i - 1]!.distanceM)
  })
})

describe('a gates rule at a school without gates', () => {
  it('measures from the campus and says so', async () => {
    const site = SITES[0]!
    const campus: Campus = { type: 'Polygon', coordinates: [square(direct(site.at, 0, 3000), 100)] }
    const id = await createSchool(site, '无大门高中', 'senior_high', campus)
    const ring = campus.coordinates[0]!
    const { point, foot } = offEdge(ring[0]!, ring[1]!, 0.5, 150)
    const response = await tobacco.post('/api/check').send({ lon: point[0], lat: point[1], category: 'lottery_outlet' }).expect(200)
    expect(response.body.verdict).toBe('prohibited')
    const conflict = response.body.conflicts[0]
    expect(conflict).toMatchObject({ schoolId: id, origin: 'campus', distanceM: 150, ruleId: rules.get('lottery_outlet|senior_high')!.id })
    expect(conflict.note).toMatch(/gates/)
    expect(distance([conflict.nearestPoint.lon, conflict.nearestPoint.lat], foot)).toBeLessThan(0.02)
  })
})

describe('bad input', () => {
  const point = { lon: 106.24, lat: 36.0, category: 'tobacco_retail' }
  it.each([
    ['an unknown category', { ...point, category: 'casino' }, 'category'],
    ['an unknown crs', { ...point, crs: 'utm' }, 'crs'],
    ['a missing lon', { lat: 36, category: 'tobacco_retail' }, 'lon'],
    ['a missing lat', { lon: 106.24, category: 'tobacco_retail' }, 'lat'],
    ['a missing category', { lon: 106.24, lat: 36 }, 'category'],
    ['lon above 180', { ...point, lon: 180.5 }, 'lon'],
    ['lon below -180', { ...point, lon: -181 }, 'lon'],
    ['lat above 90', { ...point, lat: 90.01 }, 'lat'],
    ['lat below -90', { ...point, lat: -91 }, 'lat'],
    ['lon as a string', { ...point, lon: '106.24' }, 'lon'],
    ['lat as a string', { ...point, lat: '36.0' }, 'lat'],
    ['lon as null', { ...point, lon: null }, 'lon'],
    ['an unknown field', { ...point, radius: 5 }, 'radius'],
  ])('refuses %s: 400 naming the field', async (_label, body, field) => {
    const response = await tobacco.post('/api/check').send(body)
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toContain(field)
  })

  it('answers 401 when not signed in', async () => {
    expectErrorBody(await t.request().post('/api/check').send(point), 401, 'UNAUTHENTICATED')
  })
})
