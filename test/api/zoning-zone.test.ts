/**
 * GET /api/schools/{id}/zone: the drawn zone must sit at the limit, measured by the oracle
 * (GeographicLib): every vertex of every ring within 0.1 m of the limit (or band edge) from the campus
 * or the nearest gate, and no chord between consecutive vertices cutting in by more than 0.1 m.
 * The places include a UTM zone boundary, where a buffer drawn in UTM is 10–17 cm short.
 */
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertCounties } from '../../server/modules/reference/repository.ts'
import { direct, distanceToCampus, distanceToPoints, ringAround, ringByLegs, type Campus, type LonLat } from '../factories/geodesic.ts'
import { schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let education: TestAgent
let viewer: TestAgent
let governance: TestAgent

const TOLERANCE_M = 0.1

const SITES: { name: string; at: LonLat }[] = [
  { name: 'Guyuan 36.0°N', at: [106.24, 36.0] },
  { name: 'Sanya 18.3°N', at: [109.5, 18.3] },
  { name: 'Harbin 45.8°N', at: [126.6, 45.8] },
  { name: 'Mohe 53.0°N', at: [122.5, 53.0] },
  { name: 'a UTM zone boundary (108.0°E, 34.3°N)', at: [107.9995, 34.3] },
]

const hexagon = (centre: LonLat) =>
  ringAround(centre, [
    [350, 130],
    [290, 150],
    [230, 120],
    [170, 140],
    [110, 110],
    [50, 145],
  ])
const square = (centre: LonLat, halfDiagonal: number) =>
  ringAround(centre, [
    [315, halfDiagonal],
    [225, halfDiagonal],
    [135, halfDiagonal],
    [45, halfDiagonal],
  ])

interface Feature {
  type: 'Feature'
  properties: {
    kind: 'zone' | 'band'
    band?: string
    fromM?: number
    toM?: number
    schoolId: number
    limitM: number
    origin: string
    categories: string[]
    ruleIds: number[]
  }
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: number[][][] | number[][][][] }
}

const ringsOf = (geometry: Feature['geometry']): LonLat[][] =>
  (geometry.type === 'Polygon' ? [geometry.coordinates as number[][][]] : (geometry.coordinates as number[][][][])).flat() as LonLat[][]

type Measure = (p: LonLat) => number

/** Every vertex within the tolerance of `radius`; every chord midpoint no nearer than radius − tolerance (and no further than radius + tolerance). */
function expectRingAt(ring: LonLat[], measure: Measure, radius: number, label: string) {
  expect(ring.length, label).toBeGreaterThan(16)
  let worst = 0
  let nearestMid = Infinity
  let furthestMid = 0
  for (let i = 0; i < ring.length - 1; i += 1) {
    const [a, b] = [ring[i]!, ring[i + 1]!]
    worst = Math.max(worst, Math.abs(measure(a) - radius))
    const mid = measure([(a[0] + b[0]) / 2, (a[1] + b[1]) / 2])
    nearestMid = Math.min(nearestMid, mid)
    furthestMid = Math.max(furthestMid, mid)
  }
  expect(worst, `${label}: worst vertex is ${worst.toFixed(4)} m off ${radius} m`).toBeLessThanOrEqual(TOLERANCE_M)
  expect(nearestMid, `${label}: a chord cuts in to ${nearestMid.toFixed(4)} m`).toBeGreaterThanOrEqual(radius - TOLERANCE_M)
  expect(furthestMid, label).toBeLessThanOrEqual(radius + TOLERANCE_M)
}

/** The ring's radius is whichever of the candidates its first vertex is nearest to; then every vertex must agree. */
function expectRingsAt(geometry: Feature['geometry'], measure: Measure, radii: number[], label: string) {
  const found = new Set<number>()
  for (const ring of ringsOf(geometry)) {
    const first = measure(ring[0]!)
    const radius = radii.reduce((best, r) => (Math.abs(first - r) < Math.abs(first - best) ? r : best))
    expectRingAt(ring, measure, radius, `${label} (ring at ${radius} m)`)
    found.add(radius)
  }
  expect(
    [...found].sort((a, b) => a - b),
    label,
  ).toEqual([...radii].sort((a, b) => a - b))
}

/** Checks a zone's outline and bands: core 0–edge, control edge–limit. */
function expectZoneShape(features: Feature[], measure: Measure, limitM: number, edgeM: number, label: string) {
  const zone = features.find((f) => f.properties.kind === 'zone')!
  const core = features.find((f) => f.properties.kind === 'band' && f.properties.band === 'core')!
  const control = features.find((f) => f.properties.kind === 'band' && f.properties.band === 'control')!
  expect(zone.properties.limitM).toBe(limitM)
  expect(core.properties).toMatchObject({ fromM: 0, toM: edgeM, limitM })
  expect(control.properties).toMatchObject({ fromM: edgeM, toM: limitM, limitM })
  expectRingsAt(zone.geometry, measure, [limitM], `${label}: outline`)
  expectRingsAt(core.geometry, measure, [edgeM], `${label}: core band`)
  expectRingsAt(control.geometry, measure, [edgeM, limitM], `${label}: control band`)
}

async function createSchool(name: string, schoolType: string, campus: Campus, gates: LonLat[] = []): Promise<number> {
  const response = await education.post('/api/schools').send(schoolFeature({ name, schoolType, geometry: campus, gates }))
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body.id as number
}

async function zoneOf(id: number, category?: string): Promise<Feature[]> {
  const response = await viewer.get(`/api/schools/${id}/zone`).query(category ? { category } : {})
  expect(response.status, JSON.stringify(response.body)).toBe(200)
  expect(response.body.type).toBe('FeatureCollection')
  return response.body.features as Feature[]
}

async function ruleFor(category: string, schoolType: string) {
  const response = await viewer.get('/api/rules').query({ category, schoolType }).expect(200)
  return response.body.rules[0] as { id: number; version: number }
}

beforeAll(async () => {
  t = await startTestApp()
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  viewer = (await t.signIn({ department: 'police', role: 'viewer' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  // The registry takes campuses only inside a county of the counties table: each far site is entered as one.
  await insertCounties(
    t.app.db,
    SITES.slice(1).map(({ name, at: [lon, lat] }, i) => ({
      code: `99010${i}`,
      name: `${name}（测试区）`,
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [lon - 0.05, lat - 0.05],
            [lon + 0.05, lat - 0.05],
            [lon + 0.05, lat + 0.05],
            [lon - 0.05, lat + 0.05],
            [lon - 0.05, lat - 0.05],
          ],
        ],
      },
    })),
  )
})
afterAll(async () => {
  await t?.close()
})

describe.each(SITES)('the zone of a convex campus at $name', ({ name, at }) => {
  it('draws the outline at 200 m, the core band to 50 m and the control band from 50 to 200 m', async () => {
    const campus: Campus = { type: 'Polygon', coordinates: [hexagon(at)] }
    const id = await createSchool(`${name} 画区小学`, 'primary', campus)
    const features = await zoneOf(id)
    // Every category shares the default shape for a primary school: one outline and two bands.
    expect(features.map((f) => [f.properties.kind, f.properties.band ?? null])).toEqual([
      ['zone', null],
      ['band', 'core'],
      ['band', 'control'],
    ])
    for (const f of features) {
      expect(f.type).toBe('Feature')
      expect(f.properties).toMatchObject({ schoolId: id, limitM: 200, origin: 'campus' })
      expect(f.properties.categories).toHaveLength(9)
      expect(f.properties.ruleIds).toHaveLength(9)
    }
    expectZoneShape(features, (p) => distanceToCampus(p, campus).distance, 200, 50, name)
  })
})

describe('other campus shapes', () => {
  it('draws an L-shaped (concave) campus at the limit, round the notch too', async () => {
    const ring = ringByLegs(direct(SITES[0]!.at, 90, 3000), [
      [90, 500],
      [0, 200],
      [270, 300],
      [0, 300],
      [270, 200],
      [180, 500],
    ])
    const campus: Campus = { type: 'Polygon', coordinates: [ring] }
    const id = await createSchool('L形画区小学', 'primary', campus)
    expectZoneShape(await zoneOf(id), (p) => distanceToCampus(p, campus).distance, 200, 50, 'L-shaped campus')
  })

  it('draws a two-part campus: the parts merge at 200 m but not at 50 m', async () => {
    const centre = direct(SITES[0]!.at, 180, 3000)
    const campus: Campus = { type: 'MultiPolygon', coordinates: [[square(centre, 100)], [square(direct(centre, 90, 450), 100)]] }
    const id = await createSchool('两校区画区小学', 'primary', campus)
    const features = await zoneOf(id)
    expect(features.find((f) => f.properties.kind === 'band' && f.properties.band === 'core')!.geometry.type).toBe('MultiPolygon')
    expectZoneShape(features, (p) => distanceToCampus(p, campus).distance, 200, 50, 'two-part campus')
  })
})

describe('rules shape the zone', () => {
  let kindergarten: number
  let kindergartenCampus: Campus
  let lotteryRule: { id: number; version: number }
  let gated: number
  let gates: LonLat[]
  let cafeRule: { id: number; version: number }
  beforeAll(async () => {
    kindergartenCampus = { type: 'Polygon', coordinates: [hexagon(direct(SITES[0]!.at, 0, 3000))] }
    kindergarten = await createSchool('画区幼儿园', 'kindergarten', kindergartenCampus)
    lotteryRule = await ruleFor('lottery_outlet', 'kindergarten')
    await governance
      .put(`/api/rules/${lotteryRule.id}`)
      .send({
        limitM: 100,
        bands: [
          { name: 'core', fromM: 0, toM: 30 },
          { name: 'control', fromM: 30, toM: 100 },
        ],
        reason: 'test: 100 m for kindergartens',
      })
      .expect(200)
    const centre = direct(SITES[0]!.at, 270, 3000)
    gates = [direct(centre, 180, 90), direct(centre, 0, 75)]
    gated = await createSchool('大门画区高中', 'senior_high', { type: 'Polygon', coordinates: [square(centre, 100)] }, gates)
    cafeRule = await ruleFor('internet_cafe', 'senior_high')
    await governance
      .put(`/api/rules/${cafeRule.id}`)
      .send({ origin: 'gates', reason: 'test: internet cafés measured from the gates' })
      .expect(200)
  })

  it('draws one outline per distinct rule shape, naming the categories and rules of each', async () => {
    const features = await zoneOf(kindergarten)
    const zones = features.filter((f) => f.properties.kind === 'zone')
    expect(zones.map((z) => z.properties.limitM).sort((a, b) => a - b)).toEqual([100, 200])
    const hundred = zones.find((z) => z.properties.limitM === 100)!
    expect(hundred.properties).toMatchObject({ categories: ['lottery_outlet'], ruleIds: [lotteryRule.id], origin: 'campus' })
    expect(zones.find((z) => z.properties.limitM === 200)!.properties.categories).toHaveLength(8)
    expect(features).toHaveLength(6)
  })

  it('with ?category draws only that rule: a 100 m limit with its 30 m core', async () => {
    const features = await zoneOf(kindergarten, 'lottery_outlet')
    expect(features).toHaveLength(3)
    for (const f of features) expect(f.properties).toMatchObject({ limitM: 100, categories: ['lottery_outlet'], ruleIds: [lotteryRule.id] })
    expectZoneShape(features, (p) => distanceToCampus(p, kindergartenCampus).distance, 100, 30, 'kindergarten, lottery outlets')
    const tobacco = await zoneOf(kindergarten, 'tobacco_retail')
    expect(tobacco).toHaveLength(3)
    expect(tobacco[0]!.properties).toMatchObject({ limitM: 200, categories: ['tobacco_retail'] })
  })

  it('draws a gates rule around the gates', async () => {
    const features = await zoneOf(gated, 'internet_cafe')
    expect(features).toHaveLength(3)
    for (const f of features)
      expect(f.properties).toMatchObject({ origin: 'gates', limitM: 200, categories: ['internet_cafe'], ruleIds: [cafeRule.id] })
    expectZoneShape(features, (p) => distanceToPoints(p, gates).distance, 200, 50, 'gates')
    const campusDrawn = await zoneOf(gated, 'tobacco_retail')
    expect(campusDrawn[0]!.properties.origin).toBe('campus')
  })
})

describe('refusals', () => {
  it('answers 404 for an unknown school', async () => {
    expectErrorBody(await viewer.get('/api/schools/2000000000/zone'), 404, 'NOT_FOUND')
  })

  it('refuses an unknown category and an unknown parameter, naming them', async () => {
    const category = await viewer.get('/api/schools/1/zone').query({ category: 'casino' })
    expectErrorBody(category, 400, 'VALIDATION_FAILED')
    expect(category.body.message).toContain('category')
    const unknown = await viewer.get('/api/schools/1/zone').query({ radius: 5 })
    expectErrorBody(unknown, 400, 'VALIDATION_FAILED')
    expect(unknown.body.message).toContain('radius')
  })

  it('answers 401 when not signed in', async () => {
    expectErrorBody(await t.request().get('/api/schools/1/zone'), 401, 'UNAUTHENTICATED')
  })
})
