/**
 * Conflicts stay current through every kind of change, and the full audit and the what-if preview
 * agree with the oracle.
 *
 * The test keeps its own model of the registry (every school's campus and type, every premises'
 * position and category, every rule's limit and bands) and after each change compares the whole
 * conflict list with the pairs the oracle (GeographicLib) finds within the limits: not only the
 * pairs the change was meant to touch, but every pair in the database.
 */
import { sql } from 'kysely'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  direct,
  distance,
  distanceToCampus,
  offCorner,
  offEdge,
  ringAround,
  round1,
  type Campus,
  type LonLat,
} from '../factories/geodesic.ts'
import { GUYUAN, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'
import { runAudit as runAuditNow, startAudit } from '../../server/modules/audits/service.ts'
import * as auditRepository from '../../server/modules/audits/repository.ts'

let t: TestApp
let education: TestAgent
let admin: TestAgent
let governance: TestAgent
let governanceClerk: TestAgent
let tobacco: TestAgent
let governanceUser: string

const CENTRE: LonLat = [GUYUAN.lon, GUYUAN.lat]
const hexagon = (centre: LonLat) =>
  ringAround(centre, [
    [350, 130],
    [290, 150],
    [230, 120],
    [170, 140],
    [110, 110],
    [50, 145],
  ])

// ------------------------------------------------------------------------------------------------
// The model and the oracle

interface SchoolModel {
  campus: Campus
  schoolType: string
  county: string
  openedOn: string | null
  /** Largest distance from the first vertex to any other: a cheap bound to skip far pairs. */
  reach: number
}
interface PremisesModel {
  at: LonLat
  category: string
  county: string
  licensedOn: string | null
}
interface RuleModel {
  limit: number
  edges: number[]
  names: string[]
}
const schools = new Map<number, SchoolModel>()
const premises = new Map<number, PremisesModel>()
const ruleModel = new Map<string, RuleModel>()
const ruleIds = new Map<string, number>()
const ruleOf = (category: string, schoolType: string): RuleModel =>
  ruleModel.get(`${category}|${schoolType}`) ?? { limit: 200, edges: [50], names: ['core', 'control'] }

const firstVertex = (campus: Campus): LonLat =>
  (campus.type === 'Polygon' ? campus.coordinates[0]![0]! : campus.coordinates[0]![0]![0]!) as LonLat
function modelSchool(campus: Campus, schoolType: string, county: string, openedOn: string | null): SchoolModel {
  const first = firstVertex(campus)
  const vertices = (campus.type === 'Polygon' ? campus.coordinates.flat() : campus.coordinates.flat(2)) as LonLat[]
  return { campus, schoolType, county, openedOn, reach: Math.max(...vertices.map((v) => distance(first, v))) }
}

interface Pair {
  band: string
  distance: number
}
const key = (premisesId: number, schoolId: number) => `${premisesId}|${schoolId}`

/** Every (premises, school) pair within the rule's limit, by the oracle, with its band. */
function oraclePairs(rule: (category: string, schoolType: string) => RuleModel = ruleOf): Map<string, Pair> {
  const pairs = new Map<string, Pair>()
  for (const [schoolId, s] of schools) {
    const first = firstVertex(s.campus)
    for (const [premisesId, p] of premises) {
      const r = rule(p.category, s.schoolType)
      if (distance(p.at, first) - s.reach > r.limit + 1) continue
      const d = distanceToCampus(p.at, s.campus).distance
      // The fixtures keep 1 cm from every limit and band edge, where floating point would decide.
      for (const edge of [...r.edges, r.limit])
        expect(Math.abs(d - edge), `fixture premises ${premisesId} is ${d} m from school ${schoolId}`).toBeGreaterThan(0.01)
      if (d <= r.limit) pairs.set(key(premisesId, schoolId), { band: r.names[r.edges.filter((e) => e <= d).length]!, distance: d })
    }
  }
  return pairs
}

interface ConflictOut {
  premisesId: number
  schoolId: number
  band: string
  distanceM: number
  ruleId: number
  ruleVersion: number
  category: string
  schoolType: string
  preexisting: boolean
  [field: string]: unknown
}

async function listConflicts(
  query: Record<string, string | number | boolean> = {},
): Promise<{ numberMatched: number; numberReturned: number; conflicts: ConflictOut[] }> {
  const response = await tobacco.get('/api/conflicts').query(query)
  expect(response.status, JSON.stringify(response.body)).toBe(200)
  return response.body
}

/** Every stored conflict, through the API. */
async function allConflicts(): Promise<Map<string, ConflictOut>> {
  const out = new Map<string, ConflictOut>()
  for (let offset = 0; ; offset += 1000) {
    const page = await listConflicts({ limit: 1000, offset })
    for (const c of page.conflicts) out.set(key(c.premisesId, c.schoolId), c)
    if (page.numberReturned < 1000) {
      expect(out.size).toBe(page.numberMatched)
      return out
    }
  }
}

/** The stored conflicts equal the oracle's pairs exactly, with bands, distances and the rule in force. */
async function expectConflictsCurrent(label: string) {
  const expected = oraclePairs()
  const actual = await allConflicts()
  expect([...actual.keys()].sort(), `${label}: the conflict pairs`).toEqual([...expected.keys()].sort())
  const versions = await ruleVersions()
  for (const [k, c] of actual) {
    const e = expected.get(k)!
    expect(c.band, `${label}: band of ${k} at ${e.distance} m`).toBe(e.band)
    expect(Math.abs(c.distanceM - round1(e.distance)), `${label}: distance of ${k}`).toBeLessThanOrEqual(
      Math.abs(e.distance * 10 - Math.floor(e.distance * 10) - 0.5) < 0.01 ? 0.1 + 1e-9 : 0,
    )
    const ruleKey = `${c.category}|${c.schoolType}`
    expect(c.ruleId, label).toBe(ruleIds.get(ruleKey))
    expect(c.ruleVersion, label).toBe(versions.get(ruleKey))
  }
  return actual
}

async function ruleVersions(): Promise<Map<string, number>> {
  const response = await tobacco.get('/api/rules').expect(200)
  return new Map(
    (response.body.rules as { category: string; schoolType: string; version: number }[]).map((r) => [
      `${r.category}|${r.schoolType}`,
      r.version,
    ]),
  )
}

// ------------------------------------------------------------------------------------------------
// Writing through the API, keeping the model

let licence = 0
async function createPremises(
  at: LonLat,
  category = 'tobacco_retail',
  options: { county?: string; licensedOn?: string | null } = {},
): Promise<number> {
  licence += 1
  const county = options.county ?? '640402'
  const licensedOn = options.licensedOn === undefined ? '2020-01-01' : options.licensedOn
  const response = await admin
    .post('/api/premises')
    .send(premisesFeature({ at, category, countyCode: county, licenceNo: `CF-${licence}`, properties: { licensedOn } }))
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  premises.set(response.body.id, { at, category, county, licensedOn })
  return response.body.id
}

async function createSchool(
  campus: Campus,
  schoolType = 'primary',
  options: { county?: string; openedOn?: string | null; name?: string } = {},
): Promise<number> {
  const county = options.county ?? '640402'
  const openedOn = options.openedOn === undefined ? '2001-09-01' : options.openedOn
  const response = await education.post('/api/schools').send(
    schoolFeature({
      name: options.name ?? '冲突测试小学',
      schoolType,
      countyCode: county,
      geometry: campus,
      gates: [],
      properties: { openedOn },
    }),
  )
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  schools.set(response.body.id, modelSchool(campus, schoolType, county, openedOn))
  return response.body.id
}

const collection = (features: unknown[]) => ({ type: 'FeatureCollection', features })

beforeAll(async () => {
  t = await startTestApp()
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  admin = (await t.signIn({ department: 'admin', role: 'admin' })).agent
  const supervisor = await t.signIn({ department: 'governance', role: 'supervisor' })
  governance = supervisor.agent
  governanceUser = supervisor.user.username
  governanceClerk = (await t.signIn({ department: 'governance', role: 'clerk' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  const response = await tobacco.get('/api/rules').expect(200)
  for (const r of response.body.rules as {
    id: number
    category: string
    schoolType: string
    limitM: number
    bands: { name: string; toM: number }[]
  }[]) {
    ruleIds.set(`${r.category}|${r.schoolType}`, r.id)
    ruleModel.set(`${r.category}|${r.schoolType}`, {
      limit: r.limitM,
      edges: r.bands.slice(0, -1).map((b) => b.toM),
      names: r.bands.map((b) => b.name),
    })
  }
})
afterAll(async () => {
  await t?.close()
})

// ------------------------------------------------------------------------------------------------

describe('creating, moving and deleting schools and premises', () => {
  const centre = direct(CENTRE, 0, 8000)
  const ring = hexagon(centre)
  const campus: Campus = { type: 'Polygon', coordinates: [ring] }
  let schoolId: number
  const ids = {} as Record<'core' | 'control' | 'edge' | 'outside' | 'far' | 'cafe' | 'fireworks', number>

  it('finds the premises already there when a school is created, with every field of the conflict', async () => {
    ids.core = await createPremises(offEdge(ring[0]!, ring[1]!, 0.5, 30).point)
    ids.control = await createPremises(offEdge(ring[1]!, ring[2]!, 0.5, 120).point)
    ids.edge = await createPremises(offEdge(ring[2]!, ring[3]!, 0.4, 199).point)
    ids.outside = await createPremises(offEdge(ring[3]!, ring[4]!, 0.5, 201).point)
    ids.far = await createPremises(offEdge(ring[4]!, ring[5]!, 0.5, 400).point)
    ids.cafe = await createPremises(offEdge(ring[5]!, ring[6]!, 0.5, 100).point, 'internet_cafe')
    ids.fireworks = await createPremises(offCorner(ring[0]!, ring[1]!, ring[2]!, 60), 'fireworks')
    await expectConflictsCurrent('before the school')
    expect((await listConflicts({ premisesId: ids.core })).numberMatched).toBe(0)

    schoolId = await createSchool(campus, 'primary', { name: '新建冲突小学' })
    const page = await listConflicts({ schoolId })
    expect(page.conflicts.map((c) => c.premisesId).sort((a, b) => a - b)).toEqual(
      [ids.core, ids.control, ids.edge, ids.cafe, ids.fireworks].sort((a, b) => a - b),
    )
    await expectConflictsCurrent('after creating the school')

    const core = page.conflicts.find((c) => c.premisesId === ids.core)!
    const foot = offEdge(ring[0]!, ring[1]!, 0.5, 30).foot
    expect(core).toMatchObject({
      premisesId: ids.core,
      premisesName: '测试烟酒店',
      category: 'tobacco_retail',
      licenceNo: expect.stringMatching(/^CF-/),
      licenceStatus: 'active',
      licensedOn: '2020-01-01',
      expiresOn: '2025-12-31',
      premisesCountyCode: '640402',
      location: { lon: expect.closeTo(premises.get(ids.core)!.at[0], 8), lat: expect.closeTo(premises.get(ids.core)!.at[1], 8) },
      preexisting: false,
      schoolId,
      schoolName: '新建冲突小学',
      schoolType: 'primary',
      countyCode: '640402',
      distanceM: 30,
      limitM: 200,
      band: 'core',
      origin: 'campus',
      ruleId: ruleIds.get('tobacco_retail|primary'),
      ruleVersion: 1,
    })
    expect(core.legalBasis).toEqual(expect.any(String))
    expect((core.legalBasis as string).length).toBeGreaterThan(0)
    expect(Date.parse(core.detectedAt as string)).not.toBeNaN()
    const nearest = core.nearestPoint as { lon: number; lat: number }
    expect(distance([nearest.lon, nearest.lat], foot)).toBeLessThan(0.02)
    const corner = page.conflicts.find((c) => c.premisesId === ids.fireworks)!
    const vertex = ring[1]!
    expect(distance([(corner.nearestPoint as { lon: number }).lon, (corner.nearestPoint as { lat: number }).lat], vertex)).toBeLessThan(
      0.02,
    )
  })

  it('drops a premises moved out of the zone and brings it back, in the right band, when moved in', async () => {
    const before = await allConflicts()
    const out = offEdge(ring[2]!, ring[3]!, 0.4, 230).point
    await admin
      .patch(`/api/premises/${ids.edge}`)
      .send({ geometry: { type: 'Point', coordinates: out } })
      .expect(200)
    premises.get(ids.edge)!.at = out
    expect((await listConflicts({ premisesId: ids.edge })).numberMatched).toBe(0)
    const after = await expectConflictsCurrent('after moving a premises out')
    // Only the moved premises' pairs were recomputed: the others keep their detection time.
    for (const [k, c] of before) if (c.premisesId !== ids.edge) expect(after.get(k)?.detectedAt, k).toBe(c.detectedAt)

    const inCore = offEdge(ring[2]!, ring[3]!, 0.4, 40).point
    await admin
      .patch(`/api/premises/${ids.edge}`)
      .send({ geometry: { type: 'Point', coordinates: inCore } })
      .expect(200)
    premises.get(ids.edge)!.at = inCore
    const back = await listConflicts({ premisesId: ids.edge })
    expect(back.conflicts).toHaveLength(1)
    expect(back.conflicts[0]).toMatchObject({ schoolId, band: 'core', distanceM: 40 })
    await expectConflictsCurrent('after moving it into the core band')

    const inControl = offEdge(ring[2]!, ring[3]!, 0.4, 50.02).point
    await admin
      .patch(`/api/premises/${ids.edge}`)
      .send({ geometry: { type: 'Point', coordinates: inControl } })
      .expect(200)
    premises.get(ids.edge)!.at = inControl
    expect((await listConflicts({ premisesId: ids.edge })).conflicts[0]).toMatchObject({ band: 'control', distanceM: 50 })
    await expectConflictsCurrent('after moving it 2 cm past the band edge')
  })

  it('follows a change of category: the conflict names the new category', async () => {
    await admin
      .patch(`/api/premises/${ids.control}`)
      .send({ properties: { category: 'lottery_outlet' } })
      .expect(200)
    premises.get(ids.control)!.category = 'lottery_outlet'
    expect((await listConflicts({ premisesId: ids.control })).conflicts[0]).toMatchObject({
      category: 'lottery_outlet',
      ruleId: ruleIds.get('lottery_outlet|primary'),
    })
    await expectConflictsCurrent('after changing a category')
  })

  it('recomputes the conflicts of a school whose campus changes', async () => {
    const before = new Set((await listConflicts({ schoolId })).conflicts.map((c) => c.premisesId))
    const moved = hexagon(direct(centre, 100, 150))
    await education
      .patch(`/api/schools/${schoolId}`)
      .send({ geometry: { type: 'Polygon', coordinates: [moved] } })
      .expect(200)
    schools.set(schoolId, modelSchool({ type: 'Polygon', coordinates: [moved] }, 'primary', '640402', '2001-09-01'))
    const after = new Set((await listConflicts({ schoolId })).conflicts.map((c) => c.premisesId))
    expect(after).not.toEqual(before)
    expect(after.has(ids.outside)).toBe(true)
    await expectConflictsCurrent('after moving the campus')
  })

  it('removes the conflicts of a deleted premises and of a deleted school', async () => {
    await admin.delete(`/api/premises/${ids.core}`).expect(204)
    premises.delete(ids.core)
    expect((await listConflicts({ premisesId: ids.core })).numberMatched).toBe(0)
    await expectConflictsCurrent('after deleting a premises')
    expect((await listConflicts({ schoolId })).numberMatched).toBeGreaterThan(0)
    await education.delete(`/api/schools/${schoolId}`).expect(204)
    schools.delete(schoolId)
    expect((await listConflicts({ schoolId })).numberMatched).toBe(0)
    await expectConflictsCurrent('after deleting the school')
  })
})

describe('imports', () => {
  const centre = direct(CENTRE, 90, 8000)
  const rings = [hexagon(centre), hexagon(direct(centre, 90, 600))]

  it('finds conflicts for premises imported in a batch and for schools imported in a batch', async () => {
    // Premises first, around where the schools will be: at 15…330 m off the edges of both campuses.
    const spots: LonLat[] = []
    rings.forEach((ring, r) => {
      for (let i = 0; i < 6; i += 1) spots.push(offEdge(ring[i]!, ring[i + 1]!, 0.3 + 0.1 * r, 15 + 61 * i + 7 * r).point)
    })
    const features = spots.map((at, i) =>
      premisesFeature({ at, category: i % 3 === 0 ? 'internet_cafe' : 'tobacco_retail', licenceNo: `IMP-P-${i}` }),
    )
    const imported = await admin.post('/api/import/premises').send(collection(features)).expect(201)
    imported.body.ids.forEach((id: number, i: number) =>
      premises.set(id, {
        at: spots[i]!,
        category: i % 3 === 0 ? 'internet_cafe' : 'tobacco_retail',
        county: '640402',
        licensedOn: '2020-01-01',
      }),
    )
    await expectConflictsCurrent('after importing premises with no school near')

    const schoolFeatures = rings.map((ring, i) =>
      schoolFeature({ name: `导入冲突小学${i}`, geometry: { type: 'Polygon', coordinates: [ring] }, gates: [] }),
    )
    const schoolsImported = await education.post('/api/import/schools').send(collection(schoolFeatures)).expect(201)
    schoolsImported.body.ids.forEach((id: number, i: number) =>
      schools.set(id, modelSchool({ type: 'Polygon', coordinates: [rings[i]!] }, 'primary', '640402', '2001-09-01')),
    )
    const all = await expectConflictsCurrent('after importing the schools')
    expect([...all.values()].filter((c) => schoolsImported.body.ids.includes(c.schoolId)).length).toBeGreaterThan(5)

    // More premises in a second batch, between the two campuses.
    const between = [0.2, 0.5, 0.8].map((f) => direct(centre, 90, 600 * f))
    const second = await admin
      .post('/api/import/premises')
      .send(collection(between.map((at, i) => premisesFeature({ at, licenceNo: `IMP-Q-${i}` }))))
      .expect(201)
    second.body.ids.forEach((id: number, i: number) =>
      premises.set(id, { at: between[i]!, category: 'tobacco_retail', county: '640402', licensedOn: '2020-01-01' }),
    )
    for (const id of second.body.ids as number[]) expect((await listConflicts({ premisesId: id })).numberMatched).toBeGreaterThan(0)
    await expectConflictsCurrent('after importing more premises')
  })
})

describe('preexisting premises and filters', () => {
  // On the 原州区 (north) / 隆德县 (south) line, 100 m north of a straight 1.3 km stretch of it running east
  // (azimuth 86°): the school and the premises west and north-west of it lie in 640402, those south of it in
  // 640423 (the registry finds each county from the point).
  const centre: LonLat = [106.166777, 35.769003]
  const ring = hexagon(centre)
  let schoolId: number
  const ids = {} as Record<'old' | 'recent' | 'cafe' | 'fireworks', number>
  beforeAll(async () => {
    schoolId = await createSchool({ type: 'Polygon', coordinates: [ring] }, 'primary', { openedOn: '2010-09-01', name: '筛选小学' })
    ids.old = await createPremises(offEdge(ring[0]!, ring[1]!, 0.5, 80).point, 'tobacco_retail', { licensedOn: '2005-03-01' })
    ids.recent = await createPremises(offEdge(ring[1]!, ring[2]!, 0.5, 150).point, 'tobacco_retail', { licensedOn: '2015-03-01' })
    ids.cafe = await createPremises(offEdge(ring[2]!, ring[3]!, 0.5, 30).point, 'internet_cafe', { county: '640423', licensedOn: null })
    ids.fireworks = await createPremises(offEdge(ring[3]!, ring[4]!, 0.5, 190).point, 'fireworks', {
      county: '640423',
      licensedOn: '2010-08-31',
    })
  })

  it('flags premises licensed before the school opened as preexisting, and only those', async () => {
    const page = await listConflicts({ schoolId })
    const flags = Object.fromEntries(page.conflicts.map((c) => [c.premisesId, c.preexisting]))
    expect(flags).toEqual({ [ids.old]: true, [ids.recent]: false, [ids.cafe]: false, [ids.fireworks]: true })
    const preexisting = await listConflicts({ schoolId, preexisting: true })
    expect(preexisting.conflicts.map((c) => c.premisesId).sort((a, b) => a - b)).toEqual([ids.old, ids.fireworks].sort((a, b) => a - b))
  })

  it('filters by county, category, school and band, and pages with numberMatched', async () => {
    const county = await listConflicts({ countyCode: '640423' })
    expect(county.conflicts.map((c) => c.premisesId).sort((a, b) => a - b)).toEqual([ids.cafe, ids.fireworks].sort((a, b) => a - b))
    expect(county.conflicts.every((c) => c.premisesCountyCode === '640423')).toBe(true)
    const cafes = await listConflicts({ schoolId, category: 'internet_cafe' })
    expect(cafes.conflicts.map((c) => c.premisesId)).toEqual([ids.cafe])
    const core = await listConflicts({ schoolId, band: 'core' })
    expect(core.conflicts.map((c) => c.premisesId)).toEqual([ids.cafe])
    const control = await listConflicts({ schoolId, band: 'control' })
    expect(control.numberMatched).toBe(3)
    const everything = await listConflicts({ schoolId })
    expect(everything).toMatchObject({ numberMatched: 4, numberReturned: 4 })
    const page = await listConflicts({ schoolId, limit: 2, offset: 1 })
    expect(page).toMatchObject({ numberMatched: 4, numberReturned: 2 })
    expect(page.conflicts.map((c) => c.premisesId)).toEqual(everything.conflicts.slice(1, 3).map((c) => c.premisesId))
    const allCategories = await listConflicts({ category: 'tobacco_retail', limit: 1000 })
    expect(allCategories.conflicts.every((c) => c.category === 'tobacco_retail')).toBe(true)
    expect(allCategories.numberMatched).toBe(
      [...oraclePairs().keys()].filter((k) => premises.get(Number(k.split('|')[0]))!.category === 'tobacco_retail').length,
    )
  })

  it('refuses bad filters, naming them', async () => {
    for (const [query, field] of [
      [{ countyCode: '6404' }, 'countyCode'],
      [{ category: 'casino' }, 'category'],
      [{ schoolId: 'x' }, 'schoolId'],
      [{ band: 'Core!' }, 'band'],
      [{ limit: 1001 }, 'limit'],
      [{ offset: -1 }, 'offset'],
      [{ colour: 'red' }, 'colour'],
    ] as const) {
      const response = await tobacco.get('/api/conflicts').query(query)
      expectErrorBody(response, 400, 'VALIDATION_FAILED')
      expect(response.body.message).toContain(field)
    }
    expectErrorBody(await t.request().get('/api/conflicts'), 401, 'UNAUTHENTICATED')
  })
})

describe('changing a rule', () => {
  let kindergartenId: number
  const ruleKey = 'tobacco_retail|primary'
  let ruleId: number
  beforeAll(async () => {
    ruleId = ruleIds.get(ruleKey)!
    const ring = hexagon(direct(CENTRE, 270, 8000))
    kindergartenId = await createSchool({ type: 'Polygon', coordinates: [ring] }, 'kindergarten', { name: '规则幼儿园' })
    await createPremises(offEdge(ring[0]!, ring[1]!, 0.5, 150).point)
    await createPremises(offEdge(ring[2]!, ring[3]!, 0.5, 60).point)
    await createPremises(offEdge(ring[4]!, ring[5]!, 0.5, 99).point)
    await expectConflictsCurrent('before changing the rule')
  })

  it('applies a new limit to that category × school type only, as a new version', async () => {
    const before = await allConflicts()
    const response = await governance.put(`/api/rules/${ruleId}`).send({ limitM: 100, reason: '试行：小学周边烟草零售100米' })
    expect(response.status, JSON.stringify(response.body)).toBe(200)
    expect(response.body).toMatchObject({
      id: ruleId,
      limitM: 100,
      version: 2,
      bands: [
        { name: 'core', fromM: 0, toM: 50 },
        { name: 'control', fromM: 50, toM: 100 },
      ],
    })
    ruleModel.set(ruleKey, { limit: 100, edges: [50], names: ['core', 'control'] })
    const after = await expectConflictsCurrent('after the rule change')
    // Only tobacco × primary pairs changed; the others were left as they were (same detection time).
    for (const [k, c] of before) {
      if (`${c.category}|${c.schoolType}` === ruleKey) continue
      expect(after.get(k), k).toMatchObject({ band: c.band, ruleVersion: c.ruleVersion, detectedAt: c.detectedAt })
    }
    const dropped = [...before.values()].filter((c) => !after.has(key(c.premisesId, c.schoolId)))
    expect(dropped.length).toBeGreaterThan(0)
    expect(dropped.every((c) => `${c.category}|${c.schoolType}` === ruleKey && c.distanceM > 100)).toBe(true)
    expect(
      [...after.values()].filter((c) => `${c.category}|${c.schoolType}` === ruleKey).every((c) => c.ruleVersion === 2 && c.limitM === 100),
    ).toBe(true)
  })

  it('follows a school changing type under the changed rule', async () => {
    await education
      .patch(`/api/schools/${kindergartenId}`)
      .send({ properties: { schoolType: 'primary' } })
      .expect(200)
    schools.get(kindergartenId)!.schoolType = 'primary'
    await expectConflictsCurrent('after the kindergarten became a primary school')
    await education
      .patch(`/api/schools/${kindergartenId}`)
      .send({ properties: { schoolType: 'kindergarten' } })
      .expect(200)
    schools.get(kindergartenId)!.schoolType = 'kindergarten'
    await expectConflictsCurrent('after it became a kindergarten again')
  })

  it('restores the limit as another version, and keeps every version with who and why', async () => {
    await governance.put(`/api/rules/${ruleId}`).send({ limitM: 200, reason: '试行结束，恢复200米' }).expect(200)
    ruleModel.set(ruleKey, { limit: 200, edges: [50], names: ['core', 'control'] })
    await expectConflictsCurrent('after restoring the rule')
    const rule = await tobacco.get(`/api/rules/${ruleId}`).expect(200)
    expect(rule.body.rule).toMatchObject({ id: ruleId, limitM: 200, version: 3, category: 'tobacco_retail', schoolType: 'primary' })
    const versions = rule.body.versions as {
      version: number
      reason: string
      changedBy: string | null
      changedAt: string
      snapshot: { limit_m: number }
    }[]
    expect(versions.map((v) => v.version)).toEqual([1, 2, 3])
    expect(versions[0]).toMatchObject({ changedBy: null })
    expect(versions[1]).toMatchObject({
      reason: '试行：小学周边烟草零售100米',
      changedBy: governanceUser,
      snapshot: expect.objectContaining({ limit_m: 100 }),
    })
    expect(versions[2]).toMatchObject({
      reason: '试行结束，恢复200米',
      changedBy: governanceUser,
      snapshot: expect.objectContaining({ limit_m: 200 }),
    })
    for (const v of versions) expect(Date.parse(v.changedAt)).not.toBeNaN()
  })

  it('refuses walking paths (422), bad limits and overlapping bands (400 naming the field), clerks (403) and stale versions (409)', async () => {
    const put = (body: unknown, agent = governance) => agent.put(`/api/rules/${ruleId}`).send(body as object)
    const walking = await put({ path: 'walking', reason: 'try walking' })
    expectErrorBody(walking, 422, 'UNPROCESSABLE')
    expect(walking.body.message).toContain('path')
    const cases: [unknown, string][] = [
      [{ limitM: -5, reason: 'negative' }, 'limitM'],
      [{ limitM: 0, reason: 'zero' }, 'limitM'],
      [{ limitM: 1e9, reason: 'absurd' }, 'limitM'],
      [{ limitM: '200', reason: 'a string' }, 'limitM'],
      [
        {
          bands: [
            { name: 'core', fromM: 0, toM: 60 },
            { name: 'control', fromM: 50, toM: 200 },
          ],
          reason: 'overlap',
        },
        'bands/1/fromM',
      ],
      [
        {
          bands: [
            { name: 'core', fromM: 0, toM: 50 },
            { name: 'control', fromM: 60, toM: 200 },
          ],
          reason: 'gap',
        },
        'bands/1/fromM',
      ],
      [
        {
          bands: [
            { name: 'core', fromM: 0, toM: 50 },
            { name: 'control', fromM: 50, toM: 150 },
          ],
          reason: 'short',
        },
        'bands/1/toM',
      ],
      [
        {
          bands: [
            { name: 'core', fromM: 0, toM: 50 },
            { name: 'core', fromM: 50, toM: 200 },
          ],
          reason: 'twice',
        },
        'bands/1/name',
      ],
      [{ origin: 'door', reason: 'unknown origin' }, 'origin'],
      [{ limitM: 150 }, 'reason'],
      [{ limitM: 150, reason: 'x', colour: 'red' }, 'colour'],
      [{ effectiveTo: '2017-01-01', reason: 'ends before it starts' }, 'effectiveTo'],
    ]
    for (const [body, field] of cases) {
      const response = await put(body)
      expectErrorBody(response, 400, 'VALIDATION_FAILED')
      expect(response.body.message, JSON.stringify(body)).toContain(field)
    }
    expectErrorBody(await put({ limitM: 150, reason: 'a clerk tries' }, governanceClerk), 403, 'FORBIDDEN')
    expectErrorBody(await put({ limitM: 150, reason: 'tobacco tries' }, tobacco), 403, 'FORBIDDEN')
    expectErrorBody(await t.request().put(`/api/rules/${ruleId}`).send({ limitM: 150, reason: 'anonymous' }), 401)
    expectErrorBody(await put({ limitM: 150, reason: 'stale', version: 1 }), 409, 'VERSION_CONFLICT')
    expectErrorBody(await governance.put('/api/rules/2000000000').send({ limitM: 150, reason: 'no such rule' }), 404, 'NOT_FOUND')
    const rule = await tobacco.get(`/api/rules/${ruleId}`).expect(200)
    expect(rule.body.rule).toMatchObject({ limitM: 200, version: 3, path: 'straight', origin: 'campus' })
    expect(rule.body.versions).toHaveLength(3)
    await expectConflictsCurrent('after the refusals')
  })
})

describe('what-if preview', () => {
  type Tally = { total: number; byCategory: Record<string, number>; byCounty: Record<string, number>; byBand: Record<string, number> }
  /** The preview's counts by the oracle: premises that would conflict with a first school or with none any more (category, county), the bands of their pairs, and pairs per school. */
  function expectedPreview(proposed: (category: string, schoolType: string) => RuleModel) {
    const now = oraclePairs()
    const next = oraclePairs(proposed)
    const premisesIn = (pairs: Map<string, Pair>) => new Set([...pairs.keys()].map((k) => Number(k.split('|')[0])))
    const conflictingNow = premisesIn(now)
    const conflictingNext = premisesIn(next)
    // Premises-level: newly conflicting = no school today; cleared = no school under the proposal.
    const tally = (pairs: [string, Pair][], counts: (premisesId: number) => boolean): Tally => {
      const seen = new Set<number>()
      const t: Tally = { total: 0, byCategory: {}, byCounty: {}, byBand: {} }
      for (const [k, pair] of pairs) {
        const premisesId = Number(k.split('|')[0])
        if (!counts(premisesId)) continue
        t.byBand[pair.band] = (t.byBand[pair.band] ?? 0) + 1
        if (seen.has(premisesId)) continue
        seen.add(premisesId)
        const p = premises.get(premisesId)!
        t.byCategory[p.category] = (t.byCategory[p.category] ?? 0) + 1
        t.byCounty[p.county] = (t.byCounty[p.county] ?? 0) + 1
      }
      t.total = seen.size
      return t
    }
    const added = [...next].filter(([k]) => !now.has(k))
    const cleared = [...now].filter(([k]) => !next.has(k))
    const bandChanged = [...next].filter(([k, p]) => now.has(k) && now.get(k)!.band !== p.band).length
    const perSchool = new Map<number, { newlyConflicting: number; cleared: number }>()
    for (const [list, field] of [
      [added, 'newlyConflicting'],
      [cleared, 'cleared'],
    ] as const) {
      for (const [k] of list) {
        const schoolId = Number(k.split('|')[1])
        const entry = perSchool.get(schoolId) ?? { newlyConflicting: 0, cleared: 0 }
        entry[field] += 1
        perSchool.set(schoolId, entry)
      }
    }
    // Pairs the proposal governs that stay with the same band.
    const governed = (k: string) => {
      const [p, s] = k.split('|').map(Number)
      return (
        proposed(premises.get(p!)!.category, schools.get(s!)!.schoolType) !==
        ruleOf(premises.get(p!)!.category, schools.get(s!)!.schoolType)
      )
    }
    const unchanged = [...next].filter(([k, p]) => governed(k) && now.has(k) && now.get(k)!.band === p.band).length
    return {
      newlyConflicting: tally(added, (id) => !conflictingNow.has(id)),
      cleared: tally(cleared, (id) => !conflictingNext.has(id)),
      bandChanged,
      unchanged,
      perSchool,
    }
  }

  const override = (category: string, schoolType: string | undefined, rule: RuleModel) => (c: string, s: string) =>
    c === category && (!schoolType || s === schoolType) ? rule : ruleOf(c, s)

  async function expectPreview(proposal: object, proposed: (category: string, schoolType: string) => RuleModel) {
    const rulesBefore = (await tobacco.get('/api/rules').expect(200)).body
    const conflictsBefore = await allConflicts()
    const response = await tobacco.post('/api/rules/preview').send({ rules: [proposal] })
    expect(response.status, JSON.stringify(response.body)).toBe(200)
    const expected = expectedPreview(proposed)
    expect(response.body.newlyConflicting).toEqual(expected.newlyConflicting)
    expect(response.body.cleared).toEqual(expected.cleared)
    expect(response.body.bandChanged).toBe(expected.bandChanged)
    expect(response.body.unchanged).toBe(expected.unchanged)
    const perSchool = Object.fromEntries(
      (response.body.schools as { schoolId: number; newlyConflicting: number; cleared: number }[]).map((s) => [
        s.schoolId,
        { newlyConflicting: s.newlyConflicting, cleared: s.cleared },
      ]),
    )
    expect(perSchool).toEqual(Object.fromEntries(expected.perSchool))
    // Nothing saved.
    expect((await tobacco.get('/api/rules').expect(200)).body).toEqual(rulesBefore)
    expect(await allConflicts()).toEqual(conflictsBefore)
    return response.body
  }

  it('counts what 100 m for tobacco retail would clear, by category, county, band and school, saving nothing', async () => {
    const body = await expectPreview(
      { category: 'tobacco_retail', limitM: 100 },
      override('tobacco_retail', undefined, { limit: 100, edges: [50], names: ['core', 'control'] }),
    )
    expect(body.cleared.total).toBeGreaterThan(3)
    expect(body.newlyConflicting.total).toBe(0)
    expect(Object.keys(body.cleared.byCategory)).toEqual(['tobacco_retail'])
  })

  it('counts what 300 m around kindergartens would add', async () => {
    const body = await expectPreview(
      { category: 'tobacco_retail', schoolType: 'kindergarten', limitM: 300 },
      override('tobacco_retail', 'kindergarten', { limit: 300, edges: [50], names: ['core', 'control'] }),
    )
    expect(body.cleared.total).toBe(0)
  })

  it('counts band changes for a wider core', async () => {
    const body = await expectPreview(
      {
        category: 'tobacco_retail',
        bands: [
          { name: 'core', fromM: 0, toM: 75 },
          { name: 'control', fromM: 75, toM: 200 },
        ],
      },
      override('tobacco_retail', undefined, { limit: 200, edges: [75], names: ['core', 'control'] }),
    )
    expect(body.bandChanged).toBeGreaterThan(0)
  })

  it('refuses invalid proposals: walking 422, bad limits, bands and categories 400 naming the field, and saves nothing', async () => {
    const rulesBefore = (await tobacco.get('/api/rules').expect(200)).body
    const preview = (rules: unknown) => tobacco.post('/api/rules/preview').send({ rules })
    expectErrorBody(await preview([{ category: 'tobacco_retail', path: 'walking' }]), 422, 'UNPROCESSABLE')
    for (const [rules, field] of [
      [[{ category: 'tobacco_retail', limitM: -1 }], 'limitM'],
      [[{ category: 'tobacco_retail', limitM: 1e9 }], 'limitM'],
      [[{ category: 'casino', limitM: 100 }], 'category'],
      [[{ category: 'tobacco_retail', schoolType: 'university' }], 'schoolType'],
      [
        [
          {
            category: 'tobacco_retail',
            bands: [
              { name: 'core', fromM: 0, toM: 60 },
              { name: 'control', fromM: 50, toM: 200 },
            ],
          },
        ],
        'bands/1/fromM',
      ],
      [
        [
          {
            category: 'tobacco_retail',
            limitM: 100,
            bands: [
              { name: 'core', fromM: 0, toM: 50 },
              { name: 'control', fromM: 50, toM: 200 },
            ],
          },
        ],
        'bands/1/toM',
      ],
      [[], 'rules'],
    ] as const) {
      const response = await preview(rules)
      expectErrorBody(response, 400, 'VALIDATION_FAILED')
      expect(response.body.message, JSON.stringify(rules)).toContain(field)
    }
    expect((await tobacco.get('/api/rules').expect(200)).body).toEqual(rulesBefore)
  })
})

describe('full audit', () => {
  interface Row {
    premises_id: number
    school_id: number
    rule_id: number
    rule_version: number
    band: string
  }
  const stored = async (): Promise<Row[]> =>
    (await t.database.db
      .selectFrom('conflicts')
      .select(['premises_id', 'school_id', 'rule_id', 'rule_version', 'band'])
      .orderBy('premises_id')
      .orderBy('school_id')
      .execute()) as Row[]

  async function runAudit(agent: TestAgent = governance) {
    const started = await agent.post('/api/audits')
    expect(started.status, JSON.stringify(started.body)).toBe(202)
    expect(started.headers.location).toBe(`/api/audits/${started.body.id}`)
    expect(['running', 'done']).toContain(started.body.status)
    const deadline = Date.now() + 60_000
    for (;;) {
      const audit = await tobacco.get(`/api/audits/${started.body.id}`).expect(200)
      if (audit.body.status !== 'running') return audit.body
      expect(audit.body.progress).toBeGreaterThanOrEqual(0)
      expect(Date.now()).toBeLessThan(deadline)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  it('finds nothing to change when the conflicts are current', async () => {
    await expectConflictsCurrent('before the audit')
    const before = await stored()
    const audit = await runAudit(governanceClerk)
    expect(audit).toMatchObject({
      status: 'done',
      progress: 1,
      error: null,
      summary: { conflicts: before.length, added: 0, removed: 0, changed: 0 },
    })
    expect(audit.schoolsDone).toBe(audit.schoolsTotal)
    expect(audit.schoolsTotal).toBe(schools.size)
    expect(await stored()).toEqual(before)
  })

  it('repairs conflicts corrupted behind its back and reports what it changed, restoring the exact set', async () => {
    const before = await stored()
    expect(before.length).toBeGreaterThan(5)
    const db = t.database.db
    const [gone, altered] = [before[1]!, before[3]!]
    await db.deleteFrom('conflicts').where('premises_id', '=', gone.premises_id).where('school_id', '=', gone.school_id).execute()
    await db
      .updateTable('conflicts')
      .set({ band: altered.band === 'core' ? 'control' : 'core' })
      .where('premises_id', '=', altered.premises_id)
      .where('school_id', '=', altered.school_id)
      .execute()
    // A bogus pair: a premises with a school it is nowhere near.
    const far = [...premises.keys()].find(
      (p) => ![...schools.keys()].some((s) => before.some((r) => r.premises_id === p && r.school_id === s)),
    )!
    const school = [...schools.keys()].find((s) => distanceToCampus(premises.get(far)!.at, schools.get(s)!.campus).distance > 1000)!
    await sql`insert into conflicts (premises_id, school_id, rule_id, rule_version, band) values (${far}, ${school}, ${before[0]!.rule_id}, 1, 'core')`.execute(
      db,
    )
    expect((await stored()).length).toBe(before.length)

    const audit = await runAudit()
    expect(audit).toMatchObject({ status: 'done', summary: { conflicts: before.length, added: 1, removed: 1, changed: 1 } })
    expect(await stored()).toEqual(before)
    await expectConflictsCurrent('after the audit')
  })

  /** Every stored row of the tables an audit may write, with its version (xmin) and place (ctid): equal only when nothing was written. */
  const written = async () => {
    const db = t.database.db
    const rows = async (table: string) =>
      (await sql<{ r: string }>`select ctid::text || '@' || xmin::text as r from ${sql.table(table)} order by 1`.execute(db)).rows.map(
        (r) => r.r,
      )
    const { rows: tiles } = await sql<{
      layer: string
      version: string
    }>`select layer, version::text from tile_versions order by layer`.execute(db)
    return {
      conflicts: await rows('conflicts'),
      zones: await rows('school_zones'),
      hazards: await rows('hazards'),
      events: await rows('hazard_events'),
      staged: await rows('audit_pairs'),
      tiles,
    }
  }

  it('writes no conflict, zone or hazard row when the registry is unchanged', async () => {
    await runAudit()
    const before = await written()
    expect(before.conflicts.length).toBeGreaterThan(5)
    expect(before.zones.length).toBeGreaterThanOrEqual(2 * schools.size)
    const audit = await runAudit()
    expect(audit).toMatchObject({ status: 'done', summary: { conflicts: before.conflicts.length, added: 0, removed: 0, changed: 0 } })
    expect(await written()).toEqual(before)
  })

  it('restores a conflict row deleted as SQL behind its back and reports it as added', async () => {
    const before = await stored()
    const gone = before[2]!
    await sql`delete from conflicts where premises_id = ${gone.premises_id} and school_id = ${gone.school_id}`.execute(t.database.db)
    const audit = await runAudit()
    expect(audit).toMatchObject({ status: 'done', summary: { conflicts: before.length, added: 1, removed: 0, changed: 0 } })
    expect(await stored()).toEqual(before)
  })

  it('removes a stored conflict of a school id that does not exist, beyond every school', async () => {
    const before = await stored()
    const beyond = Math.max(...schools.keys()) + 1000
    await sql`insert into conflicts (premises_id, school_id, rule_id, rule_version, band) values (${before[0]!.premises_id}, ${beyond}, ${before[0]!.rule_id}, 1, 'core')`.execute(
      t.database.db,
    )
    const audit = await runAudit()
    expect(audit).toMatchObject({ status: 'done', summary: { conflicts: before.length, added: 0, removed: 1, changed: 0 } })
    expect(await stored()).toEqual(before)
  })

  it('redraws zones deleted, duplicated or altered behind its back, and only those schools', async () => {
    const db = t.database.db
    const zones = async () =>
      (
        await sql<{
          school_id: number
          limit_m: number
          origin: string
          band_index: number
          band: string
          inner_m: number
          outer_m: number
          wkb: string
        }>`select school_id, limit_m, origin, band_index, band, inner_m, outer_m, encode(ST_AsEWKB(geom), 'hex') as wkb
          from school_zones order by school_id, limit_m, origin, band_index`.execute(db)
      ).rows
    const before = await zones()
    const ids = [...new Set(before.map((z) => z.school_id))]
    expect(ids.length).toBeGreaterThanOrEqual(4)
    const [deleted, duplicated, altered, untouched] = ids as [number, number, number, number]
    const untouchedRows = async () =>
      (
        await sql<{
          r: string
        }>`select ctid::text || '@' || xmin::text as r from school_zones where school_id <> all(${[deleted, duplicated, altered]}::int[]) order by 1`.execute(
          db,
        )
      ).rows
    const others = await untouchedRows()
    await sql`delete from school_zones where school_id = ${deleted} and band_index = 1`.execute(db)
    await sql`insert into school_zones select * from school_zones where school_id = ${duplicated} and band_index = 2`.execute(db)
    await sql`update school_zones set outer_m = outer_m + 1 where school_id = ${altered} and band_index = 1`.execute(db)
    expect(untouched).toBeGreaterThan(0)
    await runAudit()
    expect(await zones()).toEqual(before)
    expect(await untouchedRows()).toEqual(others)
  })

  it('covers every id with chunks of one school, two at once on the server, repairing rows in every chunk and below every id', async () => {
    const db = t.database.db
    const before = await stored()
    const ids = [...schools.keys()].sort((a, b) => a - b)
    expect(ids.length).toBeGreaterThanOrEqual(3)
    // One conflict deleted at each school that has some; a stray pair below every id and one between two ids.
    const dropped = ids.map((id) => before.find((r) => r.school_id === id)).filter((r) => r !== undefined)
    expect(dropped.length).toBeGreaterThanOrEqual(2)
    for (const r of dropped)
      await sql`delete from conflicts where premises_id = ${r.premises_id} and school_id = ${r.school_id}`.execute(db)
    const gap = ids.slice(1).find((id, i) => id - ids[i]! > 1)
    for (const school of [-5, ...(gap === undefined ? [] : [gap - 1])])
      await sql`insert into conflicts (premises_id, school_id, rule_id, rule_version, band) values (${before[0]!.premises_id}, ${school}, ${before[0]!.rule_id}, 1, 'core')`.execute(
        db,
      )
    // A full audit: an incremental one would recompute only the schools and premises these writes touched.
    const started = await startAudit(db, { user: null, requestId: 'test' }, { full: true })
    const progress: number[] = []
    const audit = await runAuditNow(db, started.id, (done) => progress.push(done), t.database.kind, 1)
    expect(audit).toMatchObject({
      status: 'done',
      summary: { conflicts: before.length, added: dropped.length, removed: gap === undefined ? 1 : 2, changed: 0 },
    })
    expect(await stored()).toEqual(before)
    // One report a chunk, each a different count (two chunks at once may report out of order).
    expect([...progress].sort((a, b) => a - b)).toEqual(ids.map((_, i) => i + 1))
  })

  it('drops what it found for a school deleted while it ran, and finishes', async () => {
    const db = t.database.db
    const before = await stored()
    const schoolId = before.at(-1)!.school_id
    // Its conflicts deleted behind the audit's back: the audit stages them as found anew …
    await sql`delete from conflicts where school_id = ${schoolId}`.execute(db)
    const started = await startAudit(db, { user: null, requestId: 'test' })
    const staged = await auditRepository.stageDifference(db, started.id, -2_147_483_648, 2_147_483_647)
    expect(staged).toBe(before.filter((r) => r.school_id === schoolId).length)
    // … and the school is deleted before the audit applies them.
    await education.delete(`/api/schools/${schoolId}`).expect(204)
    schools.delete(schoolId)
    const summary = await db.transaction().execute((trx) => auditRepository.applyDifference(trx, started.id))
    expect(summary).toEqual({ added: 0, removed: 0, changed: 0 })
    await auditRepository.finishAudit(db, started.id, { ...summary, conflicts: 0, seconds: 0 })
    expect(await stored()).toEqual(before.filter((r) => r.school_id !== schoolId))
    await expectConflictsCurrent('after a school was deleted while an audit ran')
  })

  it('lists audits, answers 404 for an unknown one and lets only governance start one', async () => {
    const list = await tobacco.get('/api/audits').expect(200)
    expect(list.body.audits.length).toBeGreaterThanOrEqual(2)
    expect(list.body.audits[0].id).toBeGreaterThan(list.body.audits[1].id)
    expectErrorBody(await tobacco.get('/api/audits/2000000000'), 404, 'NOT_FOUND')
    expectErrorBody(await tobacco.post('/api/audits'), 403, 'FORBIDDEN')
    expectErrorBody(await t.request().post('/api/audits'), 401)
  })
})
