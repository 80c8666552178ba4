/**
 * The what-if the rules screen shows: POST /api/rules/preview's counts today and under a proposal (which must be
 * what the conflicts are once the proposal is saved), the premises that change with their positions, and
 * POST /api/rules/preview/zones, today's and the proposed zones of the schools in a view, drawn at the limit
 * (checked with GeographicLib) and kept bounded.
 */
import Fastify from 'fastify'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { direct, distanceToCampus, ringAround, type Campus, type LonLat } from '../factories/geodesic.ts'
import { GUYUAN, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'
import { PreviewResultSchema } from '../../server/schemas/zones.ts'

let t: TestApp
let education: TestAgent
let admin: TestAgent
let governance: TestAgent
let viewer: TestAgent

const CENTRE: LonLat = [GUYUAN.lon, GUYUAN.lat]
const KINDERGARTEN_AT: LonLat = direct(CENTRE, 90, 3000)
const hexagon = (centre: LonLat) =>
  ringAround(centre, [
    [350, 130],
    [290, 150],
    [230, 120],
    [170, 140],
    [110, 110],
    [50, 145],
  ])
const primaryCampus: Campus = { type: 'Polygon', coordinates: [hexagon(CENTRE)] }
const kindergartenCampus: Campus = { type: 'Polygon', coordinates: [hexagon(KINDERGARTEN_AT)] }
let primaryId: number
let kindergartenId: number
/** Premises by name → id and its oracle distance to the campus it is placed near. */
const placed = new Map<string, { id: number; distance: number }>()

async function createSchool(name: string, schoolType: string, campus: Campus): Promise<number> {
  const response = await education.post('/api/schools').send(schoolFeature({ name, schoolType, geometry: campus, gates: [] }))
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body.id as number
}

/** A premises placed `metres` out from a campus centre along an azimuth; its distance to the campus comes from the oracle. */
async function place(name: string, category: string, centre: LonLat, campus: Campus, azimuth: number, metres: number, county = '640402') {
  const at = direct(centre, azimuth, metres)
  const response = await admin
    .post('/api/premises')
    .send(premisesFeature({ at, name, category, countyCode: county, licenceNo: `WI-${placed.size + 1}` }))
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  const distance = distanceToCampus(at, campus).distance
  placed.set(name, { id: response.body.id, distance })
  return distance
}

interface Tally {
  total: number
  byCategory: Record<string, number>
  byCounty: Record<string, number>
  byBand: Record<string, number>
}

/** The stored conflicts of a category, tallied as the preview tallies them: premises by category and county, pairs by band. */
async function storedTally(category: string): Promise<Tally> {
  const response = await viewer.get('/api/conflicts').query({ category, limit: 1000 }).expect(200)
  const conflicts = response.body.conflicts as { premisesId: number; category: string; premisesCountyCode: string; band: string }[]
  expect(conflicts.length).toBe(response.body.numberMatched)
  const tally: Tally = { total: 0, byCategory: {}, byCounty: {}, byBand: {} }
  const seen = new Set<number>()
  for (const c of conflicts) {
    tally.byBand[c.band] = (tally.byBand[c.band] ?? 0) + 1
    if (seen.has(c.premisesId)) continue
    seen.add(c.premisesId)
    tally.byCategory[c.category] = (tally.byCategory[c.category] ?? 0) + 1
    tally.byCounty[c.premisesCountyCode] = (tally.byCounty[c.premisesCountyCode] ?? 0) + 1
  }
  tally.total = seen.size
  return tally
}

async function ruleFor(category: string, schoolType: string) {
  const response = await viewer.get('/api/rules').query({ category, schoolType }).expect(200)
  return response.body.rules[0] as { id: number; version: number; limitM: number }
}

beforeAll(async () => {
  t = await startTestApp()
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  admin = (await t.signIn({ department: 'admin', role: 'admin' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  viewer = (await t.signIn({ department: 'police', role: 'viewer' })).agent
  primaryId = await createSchool('预估测试小学', 'primary', primaryCampus)
  kindergartenId = await createSchool('预估测试幼儿园', 'kindergarten', kindergartenCampus)
  // Around the primary school: in the core, in the control band, between 200 and 300 m, beyond 300 m.
  expect(await place('核心烟店', 'tobacco_retail', CENTRE, primaryCampus, 0, 160)).toBeLessThan(49)
  const control = await place('管控烟店', 'tobacco_retail', CENTRE, primaryCampus, 120, 260)
  expect(control).toBeGreaterThan(110)
  expect(control).toBeLessThan(190)
  const between = await place('外围烟店', 'tobacco_retail', CENTRE, primaryCampus, 200, 380)
  expect(between).toBeGreaterThan(210)
  expect(between).toBeLessThan(290)
  expect(await place('远处烟店', 'tobacco_retail', CENTRE, primaryCampus, 270, 600)).toBeGreaterThan(320)
  // Around the kindergarten: 250 m out, which a primary-school proposal must leave alone.
  const kindergartenOuter = await place('幼儿园外烟店', 'tobacco_retail', KINDERGARTEN_AT, kindergartenCampus, 45, 380)
  expect(kindergartenOuter).toBeGreaterThan(210)
  expect(kindergartenOuter).toBeLessThan(290)
  const kindergartenInner = await place('幼儿园内烟店', 'tobacco_retail', KINDERGARTEN_AT, kindergartenCampus, 180, 300)
  expect(kindergartenInner).toBeGreaterThan(110)
  expect(kindergartenInner).toBeLessThan(190)
  // Another category in the primary's zone: not the proposal's, so not in its counts.
  expect(await place('网吧', 'internet_cafe', CENTRE, primaryCampus, 60, 200)).toBeLessThan(190)
})
afterAll(async () => {
  await t?.close()
})

describe('POST /api/rules/preview: today, proposed and the premises that change', () => {
  it('counts today what the stored conflicts are, and under 300 m for primary schools what they are once it is saved', async () => {
    const rule = await ruleFor('tobacco_retail', 'primary')
    const today = await storedTally('tobacco_retail')
    expect(today.total).toBe(3)
    const response = await viewer
      .post('/api/rules/preview')
      .send({ rules: [{ category: 'tobacco_retail', schoolType: 'primary', limitM: 300 }] })
    expect(response.status, JSON.stringify(response.body)).toBe(200)
    const preview = response.body
    expect(preview.today).toEqual(today)
    expect(preview.newlyConflicting.total).toBe(1)
    expect(preview.cleared.total).toBe(0)
    expect(preview.proposed.total - preview.today.total).toBe(preview.newlyConflicting.total - preview.cleared.total)
    // The one premises that changes, with where it is: the one between 200 and 300 m, not the kindergarten's.
    expect(preview.premisesTruncated).toBe(false)
    expect(preview.premises).toHaveLength(1)
    expect(preview.premises[0]).toMatchObject({
      premisesId: placed.get('外围烟店')!.id,
      name: '外围烟店',
      category: 'tobacco_retail',
      countyCode: '640402',
      change: 'newly_conflicting',
      location: { lon: expect.any(Number), lat: expect.any(Number) },
    })
    // Nothing saved by the preview.
    expect(await storedTally('tobacco_retail')).toEqual(today)
    expect((await ruleFor('tobacco_retail', 'primary')).version).toBe(rule.version)

    const saved = await governance
      .put(`/api/rules/${rule.id}`)
      .send({ limitM: 300, reason: '预估测试：小学周边烟草300米', version: rule.version })
    expect(saved.status, JSON.stringify(saved.body)).toBe(200)
    expect(await storedTally('tobacco_retail')).toEqual(preview.proposed)
    // And back, so the later tests start from the defaults.
    await governance
      .put(`/api/rules/${rule.id}`)
      .send({ limitM: 200, reason: '预估测试：恢复200米', version: rule.version + 1 })
      .expect(200)
    expect(await storedTally('tobacco_retail')).toEqual(today)
  })

  it('lists the premises a narrower limit clears, and counts them on both sides', async () => {
    const response = await viewer.post('/api/rules/preview').send({ rules: [{ category: 'tobacco_retail', limitM: 100 }] })
    expect(response.status, JSON.stringify(response.body)).toBe(200)
    const cleared = (response.body.premises as { premisesId: number; change: string }[]).filter((p) => p.change === 'cleared')
    expect(cleared.map((p) => p.premisesId).sort()).toEqual([placed.get('管控烟店')!.id, placed.get('幼儿园内烟店')!.id].sort())
    expect(response.body.cleared.total).toBe(2)
    expect(response.body.proposed).toEqual({
      total: 1,
      byCategory: { tobacco_retail: 1 },
      byCounty: { '640402': 1 },
      byBand: { core: 1 },
    })
  })

  it('writes the answer in slices, byte for byte what its response schema gives, with the schools it touches', async () => {
    const response = await viewer.post('/api/rules/preview').send({ rules: [{ category: 'tobacco_retail', limitM: 100 }] })
    expect(response.status, response.text).toBe(200)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.headers['transfer-encoding']).toBe('chunked')
    // The same value serialised in one piece by Fastify with the route's response schema.
    const reference = Fastify()
    reference.get('/', { schema: { response: { 200: PreviewResultSchema } } }, async () => JSON.parse(response.text))
    const whole = await reference.inject({ url: '/' })
    await reference.close()
    expect(response.text).toBe(whole.body)
    expect(response.body).toMatchObject({
      newlyConflicting: { total: 0, byCategory: {}, byCounty: {}, byBand: {} },
      cleared: { total: 2, byCategory: { tobacco_retail: 2 }, byCounty: { '640402': 2 } },
      bandChanged: 0,
      unchanged: 1,
      schools: [
        { schoolId: primaryId, schoolName: '预估测试小学', newlyConflicting: 0, cleared: 1 },
        { schoolId: kindergartenId, schoolName: '预估测试幼儿园', newlyConflicting: 0, cleared: 1 },
      ],
      premisesTruncated: false,
    })
  })
})

interface ZoneFeature {
  properties: {
    scenario: 'today' | 'proposed'
    kind: 'zone' | 'band'
    band?: string
    fromM: number
    toM: number
    schoolId: number
    limitM: number
    origin: string
    categories: string[]
  }
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown[] }
}
const ringsOf = (geometry: ZoneFeature['geometry']): LonLat[][] =>
  (geometry.type === 'Polygon' ? [geometry.coordinates as LonLat[][]] : (geometry.coordinates as LonLat[][][])).flat()

/** The view around the primary school only (the kindergarten is 3 km east). */
const primaryView = () => [CENTRE[0] - 0.01, CENTRE[1] - 0.01, CENTRE[0] + 0.01, CENTRE[1] + 0.01]

describe('POST /api/rules/preview/zones: today and the proposal side by side', () => {
  it('draws today’s 200 m and the proposed 300 m zone of the schools in view, each ring at its distance by the oracle', async () => {
    const response = await viewer
      .post('/api/rules/preview/zones')
      .send({ rules: [{ category: 'tobacco_retail', schoolType: 'primary', limitM: 300 }], bbox: primaryView() })
    expect(response.status, JSON.stringify(response.body).slice(0, 500)).toBe(200)
    expect(response.body.type).toBe('FeatureCollection')
    expect(response.body.schools).toBe(1)
    const features = response.body.features as ZoneFeature[]
    expect(new Set(features.map((f) => f.properties.schoolId))).toEqual(new Set([primaryId]))
    const outline = (scenario: string) => features.find((f) => f.properties.scenario === scenario && f.properties.kind === 'zone')!
    expect(outline('today').properties).toMatchObject({ limitM: 200, fromM: 0, toM: 200, origin: 'campus', categories: ['tobacco_retail'] })
    expect(outline('proposed').properties).toMatchObject({
      limitM: 300,
      fromM: 0,
      toM: 300,
      origin: 'campus',
      categories: ['tobacco_retail'],
    })
    const bands = features.filter((f) => f.properties.scenario === 'proposed' && f.properties.kind === 'band')
    expect(bands.map((f) => [f.properties.band, f.properties.fromM, f.properties.toM])).toEqual([
      ['core', 0, 50],
      ['control', 50, 300],
    ])
    for (const [feature, radius] of [
      [outline('today'), 200],
      [outline('proposed'), 300],
      [bands[0]!, 50],
    ] as const) {
      const ring = ringsOf(feature.geometry)[0]!
      expect(ring.length).toBeGreaterThan(64)
      const worst = Math.max(...ring.map((p) => Math.abs(distanceToCampus(p, primaryCampus).distance - radius)))
      expect(worst, `${feature.properties.scenario} ${feature.properties.kind} at ${radius} m`).toBeLessThan(0.1)
    }
  })

  it('draws the kindergarten only when the proposal concerns kindergartens, and one shape for categories that share it', async () => {
    const wide = [CENTRE[0] - 0.01, CENTRE[1] - 0.01, KINDERGARTEN_AT[0] + 0.01, CENTRE[1] + 0.01]
    const primaryOnly = await viewer
      .post('/api/rules/preview/zones')
      .send({ rules: [{ category: 'tobacco_retail', schoolType: 'primary', limitM: 300 }], bbox: wide })
      .expect(200)
    expect(new Set((primaryOnly.body.features as ZoneFeature[]).map((f) => f.properties.schoolId))).toEqual(new Set([primaryId]))
    const both = await viewer
      .post('/api/rules/preview/zones')
      .send({ rules: [{ category: 'tobacco_retail', limitM: 300 }, { category: 'lottery_outlet' }], bbox: wide })
      .expect(200)
    const features = both.body.features as ZoneFeature[]
    expect(new Set(features.map((f) => f.properties.schoolId))).toEqual(new Set([primaryId, kindergartenId]))
    const todayOutlines = features.filter((f) => f.properties.scenario === 'today' && f.properties.kind === 'zone')
    // Today tobacco and lottery share the 200 m shape: one outline per school naming both.
    expect(todayOutlines).toHaveLength(2)
    for (const f of todayOutlines) expect(f.properties.categories.sort()).toEqual(['lottery_outlet', 'tobacco_retail'])
    const proposedLimits = features
      .filter((f) => f.properties.scenario === 'proposed' && f.properties.kind === 'zone' && f.properties.schoolId === kindergartenId)
      .map((f) => [f.properties.limitM, f.properties.categories])
    expect(proposedLimits.sort()).toEqual([
      [200, ['lottery_outlet']],
      [300, ['tobacco_retail']],
    ])
  })

  it('draws nothing for a view with no school in reach', async () => {
    const far = direct(CENTRE, 0, 20_000)
    const response = await viewer
      .post('/api/rules/preview/zones')
      .send({ rules: [{ category: 'tobacco_retail', limitM: 300 }], bbox: [far[0] - 0.01, far[1] - 0.01, far[0] + 0.01, far[1] + 0.01] })
      .expect(200)
    expect(response.body).toEqual({ type: 'FeatureCollection', schools: 0, features: [] })
  })

  it('refuses a view too large, too crowded or malformed with a 4xx naming bbox, and anonymous callers', async () => {
    const rules = [{ category: 'tobacco_retail', limitM: 300 }]
    const send = (body: unknown, agent = viewer) => agent.post('/api/rules/preview/zones').send(body as object)
    const tooWide = await send({ rules, bbox: [105.5, 35.5, 106.8, 36.2] })
    expectErrorBody(tooWide, 422, 'UNPROCESSABLE')
    expect(tooWide.body.message).toContain('bbox')
    for (const bbox of [
      [106.3, 36.0, 106.2, 36.1],
      [106.2, 36.1, 106.3, 36.0],
    ]) {
      const response = await send({ rules, bbox })
      expectErrorBody(response, 400, 'VALIDATION_FAILED')
      expect(response.body.message).toContain('bbox')
    }
    for (const bbox of [[106.2, 36.0, 106.3], [106.2, 36.0, 106.3, 'north'], [106.2, 36.0, 106.3, 200], null]) {
      const response = await send({ rules, bbox })
      expectErrorBody(response, 400)
      expect(response.body.message, JSON.stringify(bbox)).toContain('bbox')
    }
    const badRule = await send({ rules: [{ category: 'tobacco_retail', limitM: -5 }], bbox: primaryView() })
    expectErrorBody(badRule, 400)
    expect(badRule.body.message).toContain('rules/0/limitM')
    expectErrorBody(await t.request().post('/api/rules/preview/zones').send({ rules, bbox: primaryView() }), 401)

    // More schools in reach than drawn at once: 151 small campuses in a row, 60 m apart.
    const row = Array.from({ length: 151 }, (_, i) => {
      const centre = direct(direct(CENTRE, 180, 5000), 90, i * 60)
      return schoolFeature({
        name: `拥挤测试学校${i}`,
        schoolType: 'primary',
        geometry: {
          type: 'Polygon',
          coordinates: [
            ringAround(centre, [
              [315, 15],
              [225, 15],
              [135, 15],
              [45, 15],
            ]),
          ],
        },
        gates: [],
      })
    })
    await education.post('/api/import/schools').send({ type: 'FeatureCollection', features: row }).expect(201)
    const south = direct(CENTRE, 180, 5000)
    const crowded = await send({ rules, bbox: [south[0] - 0.01, south[1] - 0.01, south[0] + 0.12, south[1] + 0.01] })
    expectErrorBody(crowded, 422, 'UNPROCESSABLE')
    expect(crowded.body.message).toContain('zoom in')
  })
})

describe('POST /api/rules/changes: one change to several rules, all or none', () => {
  const tobaccoRules = async () =>
    (
      (await viewer.get('/api/rules').query({ category: 'tobacco_retail' }).expect(200)).body.rules as {
        id: number
        version: number
        limitM: number
        schoolType: string
      }[]
    ).sort((a, b) => a.id - b.id)

  it('changes every school type of a category in one go, to the conflicts the preview foresaw, each a version in the history', async () => {
    const before = await tobaccoRules()
    expect(before).toHaveLength(8)
    const preview = (
      await viewer
        .post('/api/rules/preview')
        .send({ rules: [{ category: 'tobacco_retail', limitM: 300 }] })
        .expect(200)
    ).body
    expect(preview.newlyConflicting.total).toBe(2)
    const response = await governance.post('/api/rules/changes').send({
      rules: before.map((r) => ({ id: r.id, version: r.version })).reverse(),
      change: { limitM: 300, reason: '预估测试：全部学校类型烟草300米' },
    })
    expect(response.status, JSON.stringify(response.body)).toBe(200)
    expect((response.body.rules as { id: number }[]).map((r) => r.id)).toEqual(before.map((r) => r.id))
    const after = await tobaccoRules()
    for (const [i, rule] of after.entries()) expect(rule).toMatchObject({ limitM: 300, version: before[i]!.version + 1 })
    expect(await storedTally('tobacco_retail')).toEqual(preview.proposed)
    const history = (await viewer.get(`/api/rules/${before[0]!.id}`).expect(200)).body.versions
    expect(history.at(-1)).toMatchObject({ version: before[0]!.version + 1, reason: '预估测试：全部学校类型烟草300米' })
    const audit = (await governance.get('/api/audit-log').query({ entityType: 'rule', limit: 100 }).expect(200)).body
    const entries = audit.entries as { entityId: string; action: string; after: { reason?: string } }[]
    const changed = new Set(
      entries.filter((e) => e.action === 'update' && e.after.reason === '预估测试：全部学校类型烟草300米').map((e) => Number(e.entityId)),
    )
    for (const rule of before) expect(changed.has(rule.id), `audit entry of rule ${rule.id}`).toBe(true)
    // Back to 200 m, so the tests stay independent.
    await governance
      .post('/api/rules/changes')
      .send({ rules: after.map((r) => ({ id: r.id, version: r.version })), change: { limitM: 200, reason: '预估测试：恢复200米' } })
      .expect(200)
    expect((await tobaccoRules()).every((r) => r.limitM === 200)).toBe(true)
  })

  it('writes nothing when one version is stale, one change is invalid or one rule is missing', async () => {
    const before = await tobaccoRules()
    const tallyBefore = await storedTally('tobacco_retail')
    const rules = before.map((r) => ({ id: r.id, version: r.version }))
    const send = (body: unknown, agent = governance) => agent.post('/api/rules/changes').send(body as object)

    const stale = await send({
      rules: rules.map((r, i) => (i === 5 ? { ...r, version: r.version - 1 || 99 } : r)),
      change: { limitM: 300, reason: '过期版本' },
    })
    expectErrorBody(stale, 409, 'VERSION_CONFLICT')
    expect(stale.body.message).toContain('body/rules/5/version')

    const gap = await send({
      rules,
      change: {
        limitM: 300,
        bands: [
          { name: 'core', fromM: 0, toM: 50 },
          { name: 'control', fromM: 60, toM: 300 },
        ],
        reason: '分区有缺口',
      },
    })
    expectErrorBody(gap, 400, 'VALIDATION_FAILED')
    expect(gap.body.details.problems.map((p: { field: string }) => p.field)).toContain('body/change/bands/1/fromM')

    const walking = await send({ rules, change: { path: 'walking', reason: '步行需校门' } })
    expectErrorBody(walking, 422, 'UNPROCESSABLE')
    expect(walking.body.message).toContain('body/change/path')

    const twice = await send({ rules: [rules[0], rules[0]], change: { limitM: 300, reason: '重复列出' } })
    expectErrorBody(twice, 400, 'VALIDATION_FAILED')
    expect(twice.body.message).toContain('body/rules/1/id')

    expectErrorBody(
      await send({ rules: [...rules, { id: 2000000000, version: 1 }], change: { limitM: 300, reason: '不存在' } }),
      404,
      'NOT_FOUND',
    )
    expectErrorBody(await send({ rules, change: { limitM: 300, reason: 'ab' } }), 400, 'VALIDATION_FAILED')
    expectErrorBody(await send({ rules: [], change: { limitM: 300, reason: '空列表' } }), 400, 'VALIDATION_FAILED')
    expectErrorBody(await send({ rules, change: { limitM: 300, reason: '多余字段', version: 1 } }), 400, 'VALIDATION_FAILED')

    expect(await tobaccoRules()).toEqual(before)
    expect(await storedTally('tobacco_retail')).toEqual(tallyBefore)
  })

  it('is for governance supervisors and admins only', async () => {
    const rules = (await tobaccoRules()).map((r) => ({ id: r.id, version: r.version }))
    const body = { rules, change: { limitM: 300, reason: '无权修改' } }
    const clerk = (await t.signIn({ department: 'governance', role: 'clerk' })).agent
    const tobacco = (await t.signIn({ department: 'tobacco', role: 'supervisor' })).agent
    expectErrorBody(await clerk.post('/api/rules/changes').send(body), 403, 'FORBIDDEN')
    expectErrorBody(await tobacco.post('/api/rules/changes').send(body), 403, 'FORBIDDEN')
    expectErrorBody(await t.request().post('/api/rules/changes').send(body), 401)
    expect((await tobaccoRules()).every((r) => r.limitM === 200)).toBe(true)
  })
})
