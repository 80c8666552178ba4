import { describe, it, expect } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import geodesic from 'geographiclib-geodesic'
import { LIMITS, MAX_PROBLEMS, validateCampus, validateGates, validatePoint, validatePosition } from '../../server/geo/validate.ts'
import type { CampusGeometry, GeometryProblem } from '../../server/geo/validate.ts'
import { localDistanceM, pointToCampusDistanceM } from '../../server/geo/geodesic.ts'

// Independent geodesic oracle (GeographicLib on the WGS84 ellipsoid); tests only.
const geod = geodesic.Geodesic.WGS84

/** Point reached from (lon, lat) after `s` metres at azimuth `azi` (degrees clockwise from north). */
function direct(lon: number, lat: number, azi: number, s: number): [number, number] {
  const r = geod.Direct(lat, lon, azi, s)
  return [r.lon2 ?? NaN, r.lat2 ?? NaN]
}

function geodesicAreaM2(ring: number[][]): number {
  const poly = geod.Polygon(false)
  for (const p of ring.slice(0, -1)) poly.AddPoint(p[1] ?? NaN, p[0] ?? NaN)
  return Math.abs(poly.Compute(false, true).area ?? NaN)
}

// ---------------------------------------------------------------------------------------------
// Fixtures: test/fixtures/geometry/*.json, each { description, valid, expect?, geometry }.

interface Fixture {
  description: string
  valid: boolean
  expect?: { field: string; message: string }
  geometry: unknown
}
const fixtureDir = new URL('../fixtures/geometry/', import.meta.url)
const fixtureNames = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -5))
  .sort()
function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(`${name}.json`, fixtureDir), 'utf8')) as Fixture
}
function campus(name: string): CampusGeometry {
  return fixture(name).geometry as CampusGeometry
}

function expectProblem(problems: GeometryProblem[], field: string, message: string | RegExp): void {
  const match = problems.find(
    (p) => p.field === field && (typeof message === 'string' ? p.message.includes(message) : message.test(p.message)),
  )
  expect(match, `expected a problem at ${field} matching ${String(message)}, got ${JSON.stringify(problems)}`).toBeDefined()
}

describe('validateCampus: fixtures', () => {
  it('has the fixtures the brief asks for', () => {
    for (const name of [
      'valid-pentagon',
      'valid-l-shape',
      'valid-multipart',
      'valid-with-hole',
      'unclosed-ring',
      'three-position-ring',
      'bowtie',
      'lon-200',
      'string-coordinates',
      'tiny-50m2',
      'huge-6km2',
      'overlapping-parts',
      'hole-outside-shell',
    ]) {
      expect(fixtureNames).toContain(name)
    }
  })

  for (const name of fixtureNames) {
    const fx = fixture(name)
    it(`${name}: ${fx.description}`, () => {
      const problems = validateCampus(fx.geometry, '/geometry')
      if (fx.valid) {
        expect(problems).toEqual([])
      } else {
        expect(fx.expect).toBeDefined()
        expectProblem(problems, `/geometry${fx.expect?.field ?? ''}`, fx.expect?.message ?? '')
        for (const p of problems) expect(p.message.length).toBeGreaterThan(10)
      }
    })
  }

  it('the fixtures are the sizes their descriptions say (GeographicLib areas)', () => {
    const area = (name: string, ring = 0): number => {
      const g = campus(name)
      const rings = g.type === 'Polygon' ? g.coordinates : (g.coordinates[0] ?? [])
      return geodesicAreaM2(rings[ring] ?? [])
    }
    expect(area('tiny-50m2')).toBeCloseTo(50, 0)
    expect(area('huge-6km2') / 1e6).toBeCloseTo(6, 2)
    expect(area('valid-l-shape')).toBeCloseTo(7200, -1)
    const pentagon = area('valid-pentagon')
    expect(pentagon).toBeGreaterThan(100 * 60)
    expect(pentagon).toBeLessThan(130 * 90)
  })
})

describe('validateCampus: shape and structure', () => {
  it('rejects non-objects and wrong types', () => {
    expectProblem(validateCampus(null, '/g'), '/g', 'expected a GeoJSON')
    expectProblem(validateCampus('POLYGON((…))', '/g'), '/g', 'expected a GeoJSON')
    expectProblem(validateCampus(42, '/g'), '/g', 'expected a GeoJSON')
    expectProblem(validateCampus({ type: 'Point', coordinates: [106, 36] }, '/g'), '/g/type', '"Point"')
    expectProblem(validateCampus({ coordinates: [] }, '/g'), '/g/type', 'got nothing')
    expectProblem(validateCampus({ type: 'Polygon', coordinates: 'x' }, '/g'), '/g/coordinates', 'must be an array')
    expectProblem(validateCampus({ type: 'Polygon', coordinates: [] }, '/g'), '/g/coordinates', 'at least one')
    expectProblem(validateCampus({ type: 'MultiPolygon', coordinates: [[]] }, '/g'), '/g/coordinates/0', 'at least one linear ring')
  })

  it('rejects NaN and ±Infinity (JSON cannot carry them, JS callers can)', () => {
    const ring = structuredClone(campus('valid-pentagon').coordinates[0] as number[][])
    ring[1] = [NaN, 36.01]
    ring[2] = [106.24, Infinity]
    ring[3] = [-Infinity, 36.01]
    const problems = validateCampus({ type: 'Polygon', coordinates: [ring] }, '')
    expectProblem(problems, '/coordinates/0/1/0', 'finite number, got NaN')
    expectProblem(problems, '/coordinates/0/2/1', 'finite number, got Infinity')
    expectProblem(problems, '/coordinates/0/3/0', 'finite number, got -Infinity')
  })

  it('rejects a latitude beyond ±90 and positions of the wrong length, accepts an altitude', () => {
    const ring = structuredClone(campus('valid-pentagon').coordinates[0] as number[][])
    ring[1] = [106.24, 95]
    ring[2] = [106.24]
    ring[3] = [106.24, 36.01, 1, 2]
    const problems = validateCampus({ type: 'Polygon', coordinates: [ring] }, '')
    expectProblem(problems, '/coordinates/0/1/1', 'outside [-90, 90]')
    expectProblem(problems, '/coordinates/0/2', 'got 1')
    expectProblem(problems, '/coordinates/0/3', 'got 4')
    const withAltitude = (campus('valid-pentagon').coordinates[0] as number[][]).map(([x, y]) => [x ?? 0, y ?? 0, 1700])
    expect(validateCampus({ type: 'Polygon', coordinates: [withAltitude] }, '')).toEqual([])
  })

  it('returns every problem found, not just the first', () => {
    const ring = structuredClone(campus('valid-pentagon').coordinates[0] as number[][])
    ring[1] = [200, 36.01]
    ring[3] = ['106.24', 36.01] as unknown as number[]
    const problems = validateCampus({ type: 'Polygon', coordinates: [ring, [[1, 2]]] }, '')
    expectProblem(problems, '/coordinates/0/1/0', 'outside [-180, 180]')
    expectProblem(problems, '/coordinates/0/3/0', 'must be a number')
    expectProblem(problems, '/coordinates/1', 'at least 4 positions')
    // Topology problems in two parts are both reported too.
    const bow = campus('bowtie').coordinates as number[][][]
    const shifted = bow.map((r) => r.map(([x, y]) => [(x ?? 0) + 0.01, y ?? 0]))
    const multi = validateCampus({ type: 'MultiPolygon', coordinates: [bow, shifted] }, '')
    expectProblem(multi, '/coordinates/0/0', "polygon 0's exterior ring intersects itself")
    expectProblem(multi, '/coordinates/1/0', "polygon 1's exterior ring intersects itself")
  })

  it('stops after structural problems (an unclosed bow-tie is reported as unclosed only)', () => {
    const bow = (campus('bowtie').coordinates as number[][][])[0] ?? []
    const problems = validateCampus({ type: 'Polygon', coordinates: [bow.slice(0, -1)] }, '')
    expect(problems).toHaveLength(1)
    expectProblem(problems, '/coordinates/0', 'not closed')
  })

  it(`caps the list at ${MAX_PROBLEMS} problems`, () => {
    const ring = Array.from({ length: 200 }, () => ['a', 'b'])
    const problems = validateCampus({ type: 'Polygon', coordinates: [ring] }, '')
    expect(problems).toHaveLength(MAX_PROBLEMS)
    expect(problems[MAX_PROBLEMS - 1]?.message).toMatch(/more than/)
  })

  it('survives coordinates nested 100 000 levels deep (no recursion, no stack overflow)', () => {
    let deep: unknown = [106.24, 36.01]
    for (let i = 0; i < 100_000; i++) deep = [deep]
    for (const type of ['Polygon', 'MultiPolygon']) {
      const problems = validateCampus({ type, coordinates: deep }, '/geometry')
      expectProblem(problems, '/geometry/coordinates', /nested more than 8 levels deep/)
    }
    // Deep nesting hidden in one coordinate of an otherwise fine ring.
    const ring: unknown[] = structuredClone(campus('valid-pentagon').coordinates[0] as number[][])
    ring[2] = [deep, 36.01]
    expectProblem(validateCampus({ type: 'Polygon', coordinates: [ring] }, ''), '/coordinates/0/2/0', 'nested too deeply')
    expectProblem(validatePoint({ type: 'Point', coordinates: deep }, '/p'), '/p/coordinates', 'got 1')
    expectProblem(validateGates([deep], undefined, '/gates'), '/gates/0', 'got 1')
  })

  it('rejects hostile sizes without walking them', () => {
    const huge: unknown[] = new Array(50_000_000) // sparse: length only
    huge[0] = [106.24, 36.01]
    expectProblem(validateCampus({ type: 'Polygon', coordinates: [huge] }, ''), '/coordinates', 'too many vertices')
    // A million empty rings: the problem cap ends the walk early.
    const manyRings = Array.from({ length: 1_000_000 }, () => [])
    const { result, ms } = timed(() => validateCampus({ type: 'Polygon', coordinates: manyRings }, ''))
    expect(result).toHaveLength(MAX_PROBLEMS)
    expect(ms).toBeLessThan(100)
  })
})

// ---------------------------------------------------------------------------------------------
// Size limits and timing at the 10 000-vertex limit.

const ORIGIN: [number, number] = [106.24, 36.01]

/** A ring of n distinct vertices at radius r(i) metres around ORIGIN, closed (n + 1 positions). */
function radialRing(n: number, radius: (i: number) => number): number[][] {
  const ring: number[][] = []
  for (let i = 0; i < n; i++) ring.push(direct(ORIGIN[0], ORIGIN[1], (360 * i) / n, radius(i)))
  ring.push([...(ring[0] ?? [])])
  return ring
}

function timed<T>(f: () => T): { result: T; ms: number } {
  const t0 = performance.now()
  const result = f()
  return { result, ms: performance.now() - t0 }
}

describe('validateCampus: limits and performance', () => {
  it(`accepts exactly ${LIMITS.maxVertices} positions and rejects ${LIMITS.maxVertices + 1}`, () => {
    const ok = { type: 'Polygon', coordinates: [radialRing(LIMITS.maxVertices - 1, () => 400)] }
    expect(validateCampus(ok, '')).toEqual([])
    const tooMany = { type: 'Polygon', coordinates: [radialRing(LIMITS.maxVertices, () => 400)] }
    expectProblem(validateCampus(tooMany, ''), '/coordinates', 'too many vertices')
  })

  it('validates 10 000 vertices well under a second, also for adversarial shapes', () => {
    const cases: [string, unknown, boolean][] = [
      ['circle, r = 500 m', { type: 'Polygon', coordinates: [radialRing(9_999, () => 500)] }, true],
      // 5 000 spikes of 1 km around a 20 m core: every edge's bounding box overlaps thousands of
      // others, which made a bounding-box sweep quadratic.
      ['star, 5 000 spikes', { type: 'Polygon', coordinates: [radialRing(9_999, (i) => (i % 2 ? 20 : 1000))] }, true],
      // 1 980 square holes (9 905 positions): containment is derived in the sweep, not pairwise.
      [
        'shell with 1 980 holes',
        {
          type: 'Polygon',
          coordinates: [
            [ORIGIN, direct(...ORIGIN, 90, 1000), direct(...direct(...ORIGIN, 90, 1000), 0, 1000), direct(...ORIGIN, 0, 1000), ORIGIN],
            ...Array.from({ length: 45 * 44 }, (_, k) => {
              const corner = direct(...direct(...ORIGIN, 90, 20 * Math.floor(k / 44) + 5), 0, 20 * (k % 44) + 5)
              const east = direct(...corner, 90, 5)
              return [corner, direct(...corner, 0, 5), direct(...east, 0, 5), east, corner]
            }),
          ],
        },
        true,
      ],
      // 10 000 vertices in random order: thousands of self-intersections.
      [
        'random scribble',
        {
          type: 'Polygon',
          coordinates: [radialRing(9_999, (i) => 50 + ((i * 7919) % 450)).map((p, i, all) => all[(i * 4_001) % (all.length - 1)] ?? p)],
        },
        false,
      ],
    ]
    for (const [name, geometry, valid] of cases) {
      const cold = timed(() => validateCampus(geometry, '')) // first call of this shape
      const { result, ms } = timed(() => validateCampus(geometry, ''))
      console.info(`validateCampus at 10 000 vertices, ${name}: ${cold.ms.toFixed(1)} ms first call, ${ms.toFixed(1)} ms second`)
      expect(cold.ms).toBeLessThan(1000)
      expect(ms).toBeLessThan(1000)
      if (valid) expect(result).toEqual([])
      else expect(result.length).toBeGreaterThan(0)
    }
  })

  it('rejects 50 m² and 6 km², accepts the limits’ neighbourhood', () => {
    expectProblem(validateCampus(campus('tiny-50m2'), ''), '/coordinates', /50\.\d m², below the minimum of 100 m²/)
    expectProblem(validateCampus(campus('huge-6km2'), ''), '/coordinates', /6\.0\d km², above the maximum of 5 km²/)
    // ~120 m² and ~4.9 km² circles pass.
    const small = { type: 'Polygon', coordinates: [radialRing(64, () => Math.sqrt(120 / Math.PI))] }
    expect(validateCampus(small, '')).toEqual([])
    const large = { type: 'Polygon', coordinates: [radialRing(256, () => Math.sqrt(4.9e6 / Math.PI))] }
    expect(validateCampus(large, '')).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
// Gates

/**
 * A point `s` metres outside the middle of edge k of a convex counter-clockwise ring, along the
 * geodesic perpendicular: its distance to the polygon is exactly `s` (GeographicLib).
 */
function outsideEdge(ring: number[][], k: number, s: number): [number, number] {
  const a = ring[k] ?? []
  const b = ring[k + 1] ?? []
  const line = geod.InverseLine(a[1] ?? NaN, a[0] ?? NaN, b[1] ?? NaN, b[0] ?? NaN)
  const mid = line.Position(line.s13 / 2)
  // Counter-clockwise ring: the outside is on the right of the direction of travel.
  return direct(mid.lon2 ?? NaN, mid.lat2 ?? NaN, (mid.azi2 ?? NaN) + 90, s)
}

describe('validateGates', () => {
  const pentagon = campus('valid-pentagon')
  const ring = pentagon.coordinates[0] as number[][]

  it('measures gate distances like GeographicLib (to a centimetre)', () => {
    for (const k of [0, 1, 2, 3, 4]) {
      for (const s of [1, 100, 250, 400, 2000]) {
        const [lon, lat] = outsideEdge(ring, k, s)
        expect(Math.abs(pointToCampusDistanceM(lon, lat, pentagon) - s)).toBeLessThan(0.01)
      }
    }
  })

  it('accepts a gate 250 m away and rejects one 400 m away', () => {
    const near = outsideEdge(ring, 1, 250)
    const far = outsideEdge(ring, 1, 400)
    expect(validateGates([near], pentagon, '/gates')).toEqual([])
    const problems = validateGates([near, far], pentagon, '/gates')
    expect(problems).toHaveLength(1)
    expectProblem(problems, '/gates/1', /gate 1 is 400\.0 m from the campus boundary; a gate must be within 300 m/)
  })

  it('decides 1 cm either side of the 300 m limit', () => {
    expect(validateGates([outsideEdge(ring, 2, 299.99)], pentagon, '/gates')).toEqual([])
    expectProblem(validateGates([outsideEdge(ring, 2, 300.01)], pentagon, '/gates'), '/gates/0', '300.0 m')
  })

  it('puts gates inside or on the boundary at distance 0', () => {
    expect(pointToCampusDistanceM(ORIGIN[0], ORIGIN[1], pentagon)).toBe(0)
    const v = ring[2] ?? []
    expect(pointToCampusDistanceM(v[0] ?? NaN, v[1] ?? NaN, pentagon)).toBe(0)
    expect(validateGates([ORIGIN, v], pentagon, '/gates')).toEqual([])
  })

  it('measures from the nearest part, and from a hole’s edge when the gate is inside a hole', () => {
    const multi = campus('valid-multipart')
    const second = ((multi.coordinates as number[][][][])[1] ?? [])[0] ?? []
    const gate = outsideEdge(second, 1, 120) // east of the eastern part
    expect(pointToCampusDistanceM(gate[0], gate[1], multi)).toBeCloseTo(120, 1)
    const holed = campus('valid-with-hole')
    const hole = (holed.coordinates as number[][][])[1] ?? []
    // Centre of the 30 m x 20 m hole: 10 m from its long edges.
    const cx = ((hole[0]?.[0] ?? 0) + (hole[2]?.[0] ?? 0)) / 2
    const cy = ((hole[0]?.[1] ?? 0) + (hole[2]?.[1] ?? 0)) / 2
    expect(pointToCampusDistanceM(cx, cy, holed)).toBeCloseTo(10, 1)
  })

  it(`accepts up to ${LIMITS.maxGates} gates and refuses more`, () => {
    const gates = Array.from({ length: LIMITS.maxGates }, () => ORIGIN)
    expect(validateGates(gates, pentagon, '/gates')).toEqual([])
    expectProblem(validateGates([...gates, ORIGIN], pentagon, '/gates'), '/gates', 'too many gates')
  })

  it('checks each gate position, and skips distances without a campus', () => {
    expectProblem(validateGates('106,36', pentagon, '/gates'), '/gates', 'must be an array')
    expectProblem(validateGates([ORIGIN, [200, 36]], pentagon, '/gates'), '/gates/1/0', 'outside [-180, 180]')
    expectProblem(validateGates([[106, NaN]], undefined, '/gates'), '/gates/0/1', 'finite')
    expect(validateGates([[0, 0]], undefined, '/gates')).toEqual([])
    expect(validateGates([], pentagon, '/gates')).toEqual([])
  })
})

describe('validatePoint / validatePosition', () => {
  it('accepts a Point and a position', () => {
    expect(validatePoint({ type: 'Point', coordinates: [106.24, 36.01] }, '/geometry')).toEqual([])
    expect(validatePoint({ type: 'Point', coordinates: [106.24, 36.01, 1700] }, '/geometry')).toEqual([])
    expect(validatePosition([106.24, 36.01], '/at')).toEqual([])
  })

  it('names the problem and the field', () => {
    expectProblem(validatePoint(undefined, '/geometry'), '/geometry', 'expected a GeoJSON Point')
    expectProblem(validatePoint({ type: 'Polygon', coordinates: [] }, '/geometry'), '/geometry/type', '"Point"')
    expectProblem(validatePoint({ type: 'Point' }, '/geometry'), '/geometry/coordinates', 'missing')
    expectProblem(validatePoint({ type: 'Point', coordinates: [106.24, -91] }, '/geometry'), '/geometry/coordinates/1', 'outside [-90, 90]')
    expectProblem(validatePosition('106.24,36.01', '/at'), '/at', 'a string')
    expectProblem(validatePosition([106.24, '36.01'], '/at'), '/at/1', 'latitude must be a number')
    expectProblem(validatePosition([Infinity, 36], '/at'), '/at/0', 'finite')
  })
})

describe('geodesic helpers', () => {
  it('localDistanceM agrees with GeographicLib to < 1 mm up to 3 km at Guyuan', () => {
    for (const s of [1, 10, 200, 1000, 3000]) {
      for (let azi = 0; azi < 360; azi += 15) {
        const [lon, lat] = direct(ORIGIN[0], ORIGIN[1], azi, s)
        expect(Math.abs(localDistanceM(ORIGIN[0], ORIGIN[1], lon, lat) - s)).toBeLessThan(0.001)
      }
    }
  })
})

// ---------------------------------------------------------------------------------------------
// Cross-check against JSTS IsValidOp (the JavaScript port of the JTS/GEOS validity code), present
// in node_modules as a dependency of @turf/turf. Skipped if it is not installed.

interface Jsts {
  io: { GeoJSONReader: new () => { read(g: unknown): unknown } }
  operation: { valid: { IsValidOp: new (g: unknown) => { isValid(): boolean } } }
}
// An independent oracle: JSTS is the JavaScript port of the validity rules GEOS applies in PostGIS.
const jsts = createRequire(import.meta.url)('jsts') as Jsts

describe('validateCampus agrees with JSTS IsValidOp on random degenerate geometries', () => {
  it('2 000 seeded cases on a coarse grid (many shared vertices, touches and collinear edges)', () => {
    const reader = new jsts.io.GeoJSONReader()
    let seed = 20_240_601
    const rnd = (): number => {
      seed = (seed + 0x6d2b79f5) | 0
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    const ri = (n: number): number => Math.floor(rnd() * n)
    const G = 6
    const unit = 2 ** -12 // ~25 m x 20 m cells, exact binary fractions
    const pt = ([x, y]: [number, number]): number[] => [106 + x * unit, 36 + y * unit]
    let pool: [number, number][] = []
    const ring = (): number[][] => {
      const kind = ri(4)
      let pts: [number, number][]
      if (kind === 0) {
        const x = ri(G),
          y = ri(G),
          w = 1 + ri(G - x),
          h = 1 + ri(G - y)
        pts = [
          [x, y],
          [x + w, y],
          [x + w, y + h],
          [x, y + h],
        ]
      } else {
        const k = 3 + ri(kind === 3 ? 3 : 6)
        pts = Array.from({ length: k }, () =>
          kind === 3 && pool.length > 0 && rnd() < 0.6 ? (pool[ri(pool.length)] ?? [0, 0]) : [ri(G + 1), ri(G + 1)],
        )
        if (kind !== 1) {
          const cx = pts.reduce((a, p) => a + p[0], 0) / k
          const cy = pts.reduce((a, p) => a + p[1], 0) / k
          pts.sort((a, b) => Math.atan2(a[1] - cy, a[0] - cx) - Math.atan2(b[1] - cy, b[0] - cx))
        }
      }
      if (rnd() < 0.5) pts.reverse()
      pool.push(...pts)
      const r = pts.map(pt)
      r.push([...(r[0] ?? [])])
      return r
    }
    let valid = 0
    for (let i = 0; i < 2000; i++) {
      pool = []
      const polys = Array.from({ length: rnd() < 0.6 ? 1 : 2 + ri(2) }, () => [
        ring(),
        ...Array.from({ length: rnd() < 0.5 ? 0 : 1 + ri(3) }, ring),
      ])
      const g =
        polys.length === 1 && rnd() < 0.5 ? { type: 'Polygon', coordinates: polys[0] } : { type: 'MultiPolygon', coordinates: polys }
      const ours = validateCampus(g, '').filter((p) => !p.message.includes('campus area')).length === 0
      let theirs: boolean
      try {
        theirs = new jsts.operation.valid.IsValidOp(reader.read(g)).isValid()
      } catch {
        theirs = false
      }
      if (ours) valid++
      expect(ours, JSON.stringify(g)).toBe(theirs)
    }
    expect(valid).toBeGreaterThan(200) // both verdicts are exercised
  })
})
