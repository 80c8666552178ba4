import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as turf from '@turf/turf'
import type { Feature, MultiPolygon, Polygon, Position } from 'geojson'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type { GeneratedSet, SchoolFeature } from '../../scripts/demo/features.ts'
import { createRegistryGenerator, generateRegistry } from '../../scripts/demo/generator.ts'
import { chineseNumber } from '../../scripts/demo/names.ts'
import { validateOptions } from '../../scripts/demo/options.ts'
import { loadReferenceData, type ReferenceData } from '../../scripts/demo/reference.ts'
import { PREMISES_CATEGORIES as DEMO_PREMISES_CATEGORIES } from '../../server/schemas/common.ts'

// geometry checks with turf over the whole shipped set take a few seconds on a loaded machine
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 })

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const dataDir = path.join(root, 'data')

type Bbox = [number, number, number, number]
const bboxOf = (f: Feature): Bbox => turf.bbox(f) as Bbox
const bboxesTouch = (a: Bbox, b: Bbox, margin = 0) =>
  !(a[0] > b[2] + margin || a[2] < b[0] - margin || a[1] > b[3] + margin || a[3] < b[1] - margin)
const partsOf = (f: SchoolFeature): Position[][][] => (f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates)
const decimals = (v: number) => (String(v).split('.')[1] ?? '').length

let reference: ReferenceData
let counties: Map<string, Feature<Polygon | MultiPolygon>>
let set: GeneratedSet

beforeAll(() => {
  reference = loadReferenceData(dataDir)
  const boundaries = JSON.parse(readFileSync(path.join(dataDir, 'boundaries', 'counties.geojson'), 'utf8')) as {
    features: Feature<Polygon | MultiPolygon, { adcode: number }>[]
  }
  counties = new Map(boundaries.features.filter((f) => f.properties.adcode !== 640400).map((f) => [String(f.properties.adcode), f]))
  set = generateRegistry({ schools: 600, premises: 4000 }, reference)
})

describe('reference data', () => {
  it('loads the five counties, the townships, villages and township seats', () => {
    expect(reference.counties.map((c) => c.code)).toEqual(['640402', '640422', '640423', '640424', '640425'])
    expect(reference.townships).toHaveLength(65)
    expect(reference.villages).toHaveLength(868)
    expect(reference.places).toHaveLength(48)
  })
})

describe('determinism and options', () => {
  it('gives identical output for the same seed and different output for another seed', () => {
    const a = generateRegistry({ schools: 80, premises: 500, seed: 7 }, reference)
    const b = generateRegistry({ schools: 80, premises: 500, seed: 7 }, reference)
    const c = generateRegistry({ schools: 80, premises: 500, seed: 8 }, reference)
    expect(JSON.stringify(a)).toBe(JSON.stringify(b))
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(c))
    const again = generateRegistry({ schools: 600, premises: 4000 }, reference)
    expect(JSON.stringify(again)).toBe(JSON.stringify(set))
  })

  it('iterating the streaming generator twice gives the same features', () => {
    const g = createRegistryGenerator({ schools: 30, premises: 200, seed: 3 }, reference)
    expect(JSON.stringify([...g.premises()])).toBe(JSON.stringify([...g.premises()]))
    expect(JSON.stringify([...g.schools()])).toBe(JSON.stringify([...g.schools()]))
    expect(g.stats.premises).toBe(200)
  })

  it('makes exactly the requested counts', () => {
    expect(set.schools).toHaveLength(600)
    expect(set.premises).toHaveLength(4000)
    const none = generateRegistry({ schools: 0, premises: 10 }, reference)
    expect(none.schools).toHaveLength(0)
    expect(none.premises).toHaveLength(10)
  })

  it('refuses invalid options with clear messages', () => {
    expect(() => validateOptions({ schools: -1, premises: 1 })).toThrow(/schools must be an integer/)
    expect(() => validateOptions({ schools: 1.5, premises: 1 })).toThrow(/schools must be an integer/)
    expect(() => validateOptions({ schools: 1, premises: Number.NaN })).toThrow(/premises must be an integer/)
    expect(() => validateOptions({ schools: 1, premises: 1, seed: -3 })).toThrow(/seed/)
    expect(() => validateOptions({ schools: 1, premises: 1, bbox: [107, 35, 106, 36] })).toThrow(/minLon < maxLon/)
    expect(() => validateOptions({ schools: 1, premises: 1, bbox: [0, 0, 200, 1] })).toThrow(/longitude/)
    expect(() => validateOptions({ schools: 10, premises: 10, seed: 1 })).not.toThrow()
  })

  it('writes Chinese ordinals', () => {
    expect([1, 3, 10, 12, 20, 101, 110, 1005].map(chineseNumber)).toEqual([
      '一',
      '三',
      '十',
      '十二',
      '二十',
      '一百零一',
      '一百一十',
      '一千零五',
    ])
  })

  it('matches the shipped demo set in data/demo (regenerate with --schools 600 --premises 4000)', () => {
    const shipped = (file: string) =>
      JSON.parse(readFileSync(path.join(dataDir, 'demo', file), 'utf8')) as { features: unknown[]; demo: boolean }
    const schools = shipped('schools.geojson')
    const premises = shipped('premises.geojson')
    expect(schools.demo).toBe(true)
    expect(JSON.stringify(schools.features)).toBe(JSON.stringify(set.schools))
    expect(JSON.stringify(premises.features)).toBe(JSON.stringify(set.premises))
    const addresses = shipped('addresses.geojson')
    const generator = createRegistryGenerator({ schools: 600, premises: 4000 }, reference)
    expect(JSON.stringify(addresses.features)).toBe(JSON.stringify([...generator.addresses(400)]))
  })
})

describe('address points', () => {
  it('are distinct street addresses marked as generated, inside their county, never inside a campus', () => {
    const generator = createRegistryGenerator({ schools: 600, premises: 4000 }, reference)
    const addresses = [...generator.addresses(400)]
    expect(addresses).toHaveLength(400)
    expect(new Set(addresses.map((a) => a.properties.address)).size).toBe(400)
    for (const a of addresses) {
      expect(a.properties.address).toMatch(/^(原州区|西吉县|隆德县|泾源县|彭阳县).+示例.+[路街巷道]\d+号$/)
      expect(a.properties.source).toContain('生成')
      expect(a.properties.demo).toBe(true)
      expect(turf.booleanPointInPolygon(a.geometry.coordinates, counties.get(a.properties.countyCode)!)).toBe(true)
      expect(generator.distanceToNearestCampus(a.geometry.coordinates[0]!, a.geometry.coordinates[1]!, 5)).not.toBe(-1)
    }
  })
})

describe('schools', () => {
  it('are marked as demo data, with fictional names and addresses', () => {
    const names = new Set<string>()
    for (const s of set.schools) {
      expect(s.properties.name.startsWith('示例')).toBe(true)
      expect(s.properties.name.endsWith('（演示）')).toBe(true)
      expect(s.properties.address).toContain('示例')
      expect(s.properties.demo).toBe(true)
      names.add(s.properties.name)
    }
    expect(names.size).toBe(set.schools.length)
  })

  it('have a realistic type mix and plausible attributes', () => {
    const byType = new Map<string, number>()
    for (const s of set.schools) {
      const p = s.properties
      byType.set(p.schoolType, (byType.get(p.schoolType) ?? 0) + 1)
      expect(p.students).toBeGreaterThan(0)
      expect(p.staff).toBeGreaterThan(0)
      expect(p.staff).toBeLessThan(p.students)
      expect(p.openedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/)
      expect(new Date(`${p.openedOn}T00:00:00Z`).toISOString().slice(0, 10)).toBe(p.openedOn)
      expect(p.openedOn >= '1950-01-01' && p.openedOn <= '2025-12-31').toBe(true)
      if (p.schoolType === 'kindergarten') expect(p.boarding).toBe(false)
    }
    expect(byType.size).toBe(8)
    const n = (t: string) => byType.get(t) ?? 0
    expect(n('primary')).toBeGreaterThan(n('junior_middle'))
    expect(n('kindergarten')).toBeGreaterThan(n('senior_high'))
    expect(n('vocational')).toBeLessThan(n('junior_middle'))
    expect(set.schools.some((s) => s.properties.boarding)).toBe(true)
  })

  it('are spread over the five counties roughly by population', () => {
    const byCounty = new Map<string, number>()
    for (const s of set.schools) byCounty.set(s.properties.countyCode, (byCounty.get(s.properties.countyCode) ?? 0) + 1)
    expect([...byCounty.keys()].sort()).toEqual(['640402', '640422', '640423', '640424', '640425'])
    const pop = { '640402': 47.0, '640422': 34.7, '640423': 14.5, '640424': 8.6, '640425': 19.6 }
    const total = Object.values(pop).reduce((a, b) => a + b, 0)
    for (const [code, p] of Object.entries(pop)) expect(Math.abs((byCounty.get(code) ?? 0) / 600 - p / total)).toBeLessThan(0.01)
  })

  it('lie wholly inside the outline of their county', () => {
    for (const s of set.schools) {
      const county = counties.get(s.properties.countyCode)
      expect(county, s.properties.countyCode).toBeDefined()
      for (const part of partsOf(s)) {
        for (const p of part[0]!) expect(turf.booleanPointInPolygon(p, county!), `${s.properties.name} ${JSON.stringify(p)}`).toBe(true)
      }
      // no crossing between the campus boundary and the county outline (one feature each: the outline's own
      // overlapping parts are not reported)
      expect(turf.lineIntersect(s, county!).features).toHaveLength(0)
    }
  })

  it('have valid campus geometry: closed CCW rings, no self-intersection, 7 decimals, area in range', () => {
    let multi = 0
    const shapes = new Set<number>()
    for (const s of set.schools) {
      if (s.geometry.type === 'MultiPolygon') multi++
      for (const part of partsOf(s)) {
        expect(part).toHaveLength(1)
        const ring = part[0]!
        expect(ring.length).toBeGreaterThanOrEqual(4)
        shapes.add(ring.length)
        expect(ring[0]).toEqual(ring.at(-1))
        expect(turf.booleanClockwise(ring)).toBe(false)
        for (const p of ring) expect(Math.max(decimals(p[0]!), decimals(p[1]!))).toBeLessThanOrEqual(7)
        const polygon = turf.polygon(part)
        expect(turf.kinks(polygon).features).toHaveLength(0)
        expect(turf.area(polygon)).toBeGreaterThanOrEqual(100)
      }
      const area = turf.area(s)
      expect(area).toBeGreaterThanOrEqual(100)
      expect(area).toBeLessThanOrEqual(5_000_000)
    }
    // rectangles/trapezoids (5 positions), pentagons (6), L-shapes and hexagons (7)
    expect([...shapes].sort()).toEqual([5, 6, 7])
    expect(multi).toBeGreaterThan(0)
    expect(multi / set.schools.length).toBeLessThan(0.07)
  })

  it('keep the sports field of a two-part campus 30–80 m from the main part', () => {
    for (const s of set.schools.filter((x) => x.geometry.type === 'MultiPolygon')) {
      const [main, field] = partsOf(s).map((p) => turf.polygon(p))
      const gap = Math.min(
        ...turf
          .explode(field!)
          .features.map((pt) => turf.pointToLineDistance(pt, turf.polygonToLine(main!) as Feature<never>, { units: 'meters' })),
      )
      expect(gap).toBeGreaterThan(29)
      expect(gap).toBeLessThan(81)
    }
  })

  it('never overlap each other', () => {
    const boxes = set.schools.map(bboxOf)
    let checked = 0
    for (let i = 0; i < set.schools.length; i++) {
      for (let j = i + 1; j < set.schools.length; j++) {
        if (!bboxesTouch(boxes[i]!, boxes[j]!, 1e-4)) continue
        checked++
        expect(turf.booleanIntersects(set.schools[i]!, set.schools[j]!), `${i} ${j}`).toBe(false)
      }
    }
    expect(checked).toBeGreaterThan(0)
  })

  it('have 1–3 gates on the campus boundary', () => {
    for (const s of set.schools) {
      const gates = s.properties.gates
      expect(gates.length).toBeGreaterThanOrEqual(1)
      expect(gates.length).toBeLessThanOrEqual(3)
      const boundary = turf.polygonToLine(turf.polygon(partsOf(s)[0]!)) as Feature<never>
      for (const g of gates) {
        const d = turf.pointToLineDistance(g, boundary, { units: 'meters' })
        expect(d).toBeLessThan(0.05)
        expect(d).toBeLessThan(300)
      }
    }
  })
})

describe('premises', () => {
  it('are marked as demo data with unique DEMO licence numbers and consistent dates', () => {
    const licences = new Set<string>()
    const statuses = new Set<string>()
    for (const p of set.premises) {
      const q = p.properties
      expect(q.name.startsWith('示例')).toBe(true)
      expect(q.name.endsWith('（演示）')).toBe(true)
      expect(q.address).toContain('示例')
      expect(q.demo).toBe(true)
      expect(q.licenceNo).toMatch(/^DEMO-[A-Z]{3}-\d{6}-\d{6,}$/)
      expect(q.licenceNo).toContain(`-${q.countyCode}-`)
      licences.add(q.licenceNo)
      statuses.add(q.licenceStatus)
      expect(q.licensedOn >= '2005-01-01' && q.licensedOn <= '2026-12-31').toBe(true)
      expect(q.expiresOn >= q.licensedOn).toBe(true)
      if (q.licenceStatus === 'expired') expect(q.expiresOn < '2026-01-01').toBe(true)
      if (q.licenceStatus === 'active') expect(q.expiresOn >= '2026-01-01').toBe(true)
      for (const v of p.geometry.coordinates) expect(decimals(v)).toBeLessThanOrEqual(7)
    }
    expect(licences.size).toBe(set.premises.length)
    expect([...statuses].sort()).toEqual(['active', 'expired', 'revoked', 'suspended'])
    expect(set.premises.filter((p) => p.properties.licenceStatus === 'active').length / set.premises.length).toBeGreaterThan(0.6)
  })

  it('cover all nine categories, tobacco and lottery most common', () => {
    const byCategory = new Map<string, number>()
    for (const p of set.premises) byCategory.set(p.properties.category, (byCategory.get(p.properties.category) ?? 0) + 1)
    expect([...byCategory.keys()].sort()).toEqual([...DEMO_PREMISES_CATEGORIES].sort())
    const ranked = [...byCategory].sort((a, b) => b[1] - a[1]).map(([k]) => k)
    expect(ranked.slice(0, 2).sort()).toEqual(['lottery_outlet', 'tobacco_retail'])
    expect(byCategory.get('fireworks')!).toBeLessThan(byCategory.get('internet_cafe')!)
  })

  it('lie in the county they name and never inside a campus', () => {
    const boxes = set.schools.map(bboxOf)
    for (const p of set.premises) {
      const county = counties.get(p.properties.countyCode)
      expect(county).toBeDefined()
      expect(turf.booleanPointInPolygon(p.geometry.coordinates, county!)).toBe(true)
      const [x, y] = p.geometry.coordinates as [number, number]
      set.schools.forEach((s, i) => {
        const b = boxes[i]!
        if (x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]) expect(turf.booleanPointInPolygon(p.geometry.coordinates, s)).toBe(false)
      })
    }
  })

  it('have a realistic share within 200 m of a school campus (measured with turf)', () => {
    const boxes = set.schools.map(bboxOf)
    const margin = 0.003 // > 200 m at 36°N in both axes
    let near = 0
    for (const p of set.premises) {
      const pb: Bbox = [...p.geometry.coordinates, ...p.geometry.coordinates] as Bbox
      const hit = set.schools.some(
        (s, i) =>
          bboxesTouch(boxes[i]!, pb, margin) &&
          partsOf(s).some((part) => turf.pointToPolygonDistance(p, turf.polygon(part), { units: 'meters' }) <= 200),
      )
      if (hit) near++
    }
    const share = near / set.premises.length
    expect(share).toBeGreaterThan(0.15)
    expect(share).toBeLessThan(0.27)
    const g = createRegistryGenerator({ schools: 600, premises: 4000 }, reference)
    for (const _ of g.premises()) void _
    expect(Math.abs(g.stats.premisesWithin200m / 4000 - share)).toBeLessThan(0.01)
  })
})

describe('benchmark mode', () => {
  it('places schools anywhere in a bbox, with synthetic 99xxxx region codes outside Guyuan', () => {
    const bbox: Bbox = [110, 30, 110.6, 30.5]
    const out = generateRegistry({ schools: 120, premises: 600, seed: 11, bbox }, reference)
    expect(out.schools).toHaveLength(120)
    expect(out.premises).toHaveLength(600)
    for (const s of out.schools) {
      const b = bboxOf(s)
      expect(b[0] >= bbox[0] && b[2] <= bbox[2] && b[1] >= bbox[1] && b[3] <= bbox[3]).toBe(true)
      expect(s.properties.countyCode).toMatch(/^99\d{4}$/)
      expect(s.properties.name.startsWith('示例')).toBe(true)
    }
    for (const p of out.premises) {
      const [x, y] = p.geometry.coordinates as [number, number]
      expect(x >= bbox[0] && x <= bbox[2] && y >= bbox[1] && y <= bbox[3]).toBe(true)
      expect(p.properties.countyCode).toMatch(/^99\d{4}$/)
    }
  })

  it('keeps real county codes for schools that fall inside Guyuan in a bbox spanning it', () => {
    const out = generateRegistry({ schools: 200, premises: 0, seed: 5, bbox: [105, 35, 107.5, 37] }, reference)
    const real = out.schools.filter((s) => !s.properties.countyCode.startsWith('99'))
    expect(real.length).toBeGreaterThan(0)
    for (const s of real) {
      const county = counties.get(s.properties.countyCode)!
      for (const part of partsOf(s)) for (const p of part[0]!) expect(turf.booleanPointInPolygon(p, county)).toBe(true)
    }
  })

  it('packs more schools than Guyuan plausibly holds without overlaps or leaving the counties', () => {
    const g = createRegistryGenerator({ schools: 3000, premises: 0, seed: 2 }, reference)
    expect(g.schoolCount).toBe(3000)
    const schools = [...g.schools()]
    const codes = new Set(schools.map((s) => s.properties.countyCode))
    expect([...codes].sort()).toEqual(['640402', '640422', '640423', '640424', '640425'])
  })
})
