import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import geodesic from 'geographiclib-geodesic'
import gcoordModule from 'gcoord'
import { CRS_VALUES, INVERSE_TOLERANCE_DEG, fromWgs84, geometryToWgs84, isCrs, isInsideChina, toWgs84 } from '../../server/geo/crs.ts'
import type { Crs } from '../../server/geo/crs.ts'

// Independent geodesic oracle (GeographicLib, WGS84 ellipsoid).
const geod = geodesic.Geodesic.WGS84
function metres(a: readonly number[], b: readonly number[]): number {
  const r = geod.Inverse(a[1] ?? NaN, a[0] ?? NaN, b[1] ?? NaN, b[0] ?? NaN)
  return r.s12 ?? NaN
}

// gcoord's published types describe an ES default export that its CommonJS build does not have;
// at runtime the default import is the API object itself.
const gcoord = gcoordModule as unknown as {
  transform(input: [number, number], from: string, to: string): [number, number]
  WGS84: string
  GCJ02: string
  BD09: string
}

type Lonlat = [number, number]
interface Vector {
  source: 'gcoord' | 'eviltransform' | 'coordtransform'
  name: string
  wgs84?: Lonlat
  gcj02?: Lonlat
  bd09?: Lonlat
  input?: Lonlat
  expected?: Lonlat
  note?: string
  check_wgs2gcj_m?: number
}
// The project's own copy of the shared reference file data/crs_test_vectors.json (see its `sources`).
const fixture = JSON.parse(readFileSync(new URL('../fixtures/crs_test_vectors.json', import.meta.url), 'utf8')) as {
  vectors: Vector[]
  observations: string[]
  note_on_precision: string
}
const vectors = fixture.vectors

const GUYUAN = { west: 105.32, east: 106.95, south: 35.24, north: 36.52 }
const GUYUAN_CENTRE: Lonlat = [106.238411, 36.016037]

function guyuanGrid(steps: number): Lonlat[] {
  const points: Lonlat[] = []
  for (let i = 0; i <= steps; i++) {
    for (let j = 0; j <= steps; j++) {
      points.push([GUYUAN.west + ((GUYUAN.east - GUYUAN.west) * i) / steps, GUYUAN.south + ((GUYUAN.north - GUYUAN.south) * j) / steps])
    }
  }
  return points
}

describe('crs: basics', () => {
  it('lists the supported systems and recognises them', () => {
    expect(CRS_VALUES).toEqual(['wgs84', 'cgcs2000', 'gcj02', 'bd09'])
    for (const c of CRS_VALUES) expect(isCrs(c)).toBe(true)
    expect(isCrs('WGS84')).toBe(false)
    expect(isCrs('epsg:4326')).toBe(false)
    expect(isCrs(undefined)).toBe(false)
  })

  it('treats wgs84 and cgcs2000 as the identity', () => {
    for (const crs of ['wgs84', 'cgcs2000'] as const) {
      expect(toWgs84(106.238411, 36.016037, crs)).toEqual([106.238411, 36.016037])
      expect(fromWgs84(106.238411, 36.016037, crs)).toEqual([106.238411, 36.016037])
    }
  })

  it('rejects non-finite input instead of iterating on NaN', () => {
    expect(() => toWgs84(NaN, 36, 'gcj02')).toThrow(RangeError)
    expect(() => toWgs84(106, Infinity, 'bd09')).toThrow(RangeError)
    expect(() => fromWgs84(-Infinity, 36, 'gcj02')).toThrow(RangeError)
  })

  it('knows China’s rough bounding box', () => {
    expect(isInsideChina(...GUYUAN_CENTRE)).toBe(true)
    expect(isInsideChina(139.6917, 35.6895)).toBe(false) // Tokyo: east of the box
    expect(isInsideChina(-104.9903, 39.7392)).toBe(false) // Denver
  })
})

describe('crs: Guyuan', () => {
  it('puts the GCJ-02 point ~378 m east (and ~21 m south) of the true centre', () => {
    const gcj = fromWgs84(...GUYUAN_CENTRE, 'gcj02')
    const r = geod.Inverse(GUYUAN_CENTRE[1], GUYUAN_CENTRE[0], gcj[1], gcj[0])
    const s = r.s12 ?? NaN
    const azi = ((r.azi1 ?? NaN) * Math.PI) / 180
    expect(s).toBeGreaterThan(378 - 5)
    expect(s).toBeLessThan(378 + 5)
    expect(s * Math.sin(azi)).toBeCloseTo(377, -1) // east component, ±5 m
    expect(-s * Math.cos(azi)).toBeCloseTo(21, -1) // south component, ±5 m
  })

  it('puts the BD-09 point about 1.15 km from the true centre', () => {
    const bd = fromWgs84(...GUYUAN_CENTRE, 'bd09')
    expect(metres(GUYUAN_CENTRE, bd)).toBeGreaterThan(1100)
    expect(metres(GUYUAN_CENTRE, bd)).toBeLessThan(1200)
  })

  it.each(['gcj02', 'bd09'] as const)('%s: forward∘inverse and inverse∘forward are identities to < 1e-8° over the city', (crs) => {
    let worst = 0
    for (const p of guyuanGrid(30)) {
      const back = fromWgs84(...toWgs84(p[0], p[1], crs), crs)
      const again = toWgs84(...fromWgs84(p[0], p[1], crs), crs)
      worst = Math.max(worst, Math.abs(back[0] - p[0]), Math.abs(back[1] - p[1]))
      worst = Math.max(worst, Math.abs(again[0] - p[0]), Math.abs(again[1] - p[1]))
    }
    expect(worst).toBeLessThan(1e-8)
  })

  it('inverse residual is below the iteration tolerance (1e-9°, ~0.1 mm)', () => {
    for (const p of guyuanGrid(10)) {
      for (const crs of ['gcj02', 'bd09'] as const) {
        const w = toWgs84(p[0], p[1], crs)
        const f = fromWgs84(w[0], w[1], crs)
        // BD-09 composes two inverses; allow both residuals.
        const tol = crs === 'bd09' ? 2 * INVERSE_TOLERANCE_DEG : INVERSE_TOLERANCE_DEG
        expect(Math.abs(f[0] - p[0])).toBeLessThan(tol)
        expect(Math.abs(f[1] - p[1])).toBeLessThan(tol)
      }
    }
  })

  it('converts a polygon vertex by vertex and keeps it closed', () => {
    const ring: number[][] = [
      [106.24, 36.01],
      [106.241, 36.01],
      [106.241, 36.011],
      [106.24, 36.01],
    ]
    const out = geometryToWgs84({ type: 'Polygon', coordinates: [ring] }, 'gcj02')
    const converted = out.coordinates[0] ?? []
    expect(converted).toHaveLength(4)
    expect(converted[3]).toEqual(converted[0])
    for (let k = 0; k < ring.length; k++) {
      const src = ring[k] ?? []
      expect(converted[k]).toEqual(toWgs84(src[0] ?? NaN, src[1] ?? NaN, 'gcj02'))
    }
    expect(ring[0]).toEqual([106.24, 36.01]) // input untouched
    const point = geometryToWgs84({ type: 'Point', coordinates: [106.24, 36.01, 1700] }, 'bd09')
    expect(point.coordinates).toHaveLength(3)
    expect(point.coordinates[2]).toBe(1700)
  })
})

describe('crs: outside China', () => {
  it('GCJ-02 is the identity outside the box, both ways (eviltransform rows)', () => {
    const rows = vectors.filter((v) => v.source === 'eviltransform' && v.name.endsWith('out_of_china'))
    expect(rows).toHaveLength(3)
    for (const v of rows) {
      const w = v.wgs84 as Lonlat
      expect(fromWgs84(w[0], w[1], 'gcj02')).toEqual(v.gcj02)
      expect(toWgs84(w[0], w[1], 'gcj02')).toEqual(w)
    }
    expect(toWgs84(139.6917, 35.6895, 'gcj02')).toEqual([139.6917, 35.6895])
  })

  it('BD-09 still applies its own offset outside China (as the standard formula does), exactly invertible', () => {
    const tokyo: Lonlat = [139.6917, 35.6895]
    const bd = fromWgs84(...tokyo, 'bd09')
    expect(metres(tokyo, bd)).toBeGreaterThan(100)
    const back = toWgs84(bd[0], bd[1], 'bd09')
    expect(Math.abs(back[0] - tokyo[0])).toBeLessThan(1e-8)
    expect(Math.abs(back[1] - tokyo[1])).toBeLessThan(1e-8)
  })
})

describe('crs: published test vectors (test/fixtures/crs_test_vectors.json)', () => {
  // Tolerances follow the file's note_on_precision and observations:
  // - gcoord's city rows come from online converters; their GCJ-02 values sit 0.61–0.73 m from
  //   the open algorithm, so WGS84↔GCJ-02 (and WGS84→BD-09, which includes it) is asserted at 1 m;
  //   their GCJ-02→BD-09 step agrees with the standard formula to ≤ 1.2 cm, asserted at 5 cm.
  // - eviltransform's WGS84→GCJ-02 rows agree with the open algorithm to < 1 mm: asserted at 5 mm.
  //   Its two BD-09 rows use a non-standard variant and are deliberately NOT tested.
  // - coordtransform's forward functions are exact (asserted to 1e-9°, ~0.1 mm); its gcj02towgs84
  //   and bd09togcj02 are one-step approximations, so they are only compared loosely and we check
  //   that ours is the exact inverse where theirs is not.
  it('reads the precision notes the tolerances below rely on', () => {
    expect(fixture.note_on_precision).toMatch(/gcoord/)
    expect(fixture.observations.join(' ')).toMatch(/tolerance >= 1 m/)
    expect(fixture.observations.join(' ')).toMatch(/non-standard variant/)
  })

  const gcoordRows = vectors.filter((v) => v.source === 'gcoord')

  it(`gcoord city rows (${gcoordRows.length}): WGS84→GCJ-02 and GCJ-02→WGS84 within 1 m`, () => {
    expect(gcoordRows.length).toBeGreaterThan(100)
    for (const v of gcoordRows) {
      const w = v.wgs84 as Lonlat
      const g = v.gcj02 as Lonlat
      expect(metres(fromWgs84(w[0], w[1], 'gcj02'), g), v.name).toBeLessThan(1)
      expect(metres(toWgs84(g[0], g[1], 'gcj02'), w), v.name).toBeLessThan(1)
    }
  })

  it('gcoord city rows: WGS84→BD-09 within 1 m, GCJ-02→BD-09 step within 5 cm, BD-09→WGS84 within 1 m', () => {
    for (const v of gcoordRows) {
      const w = v.wgs84 as Lonlat
      const g = v.gcj02 as Lonlat
      const b = v.bd09 as Lonlat
      expect(metres(fromWgs84(w[0], w[1], 'bd09'), b), v.name).toBeLessThan(1)
      // GCJ-02 → BD-09 alone: go to WGS84 exactly, then forward to BD-09.
      const viaGcj = fromWgs84(...toWgs84(g[0], g[1], 'gcj02'), 'bd09')
      expect(metres(viaGcj, b), v.name).toBeLessThan(0.05)
      expect(metres(toWgs84(b[0], b[1], 'bd09'), w), v.name).toBeLessThan(1)
    }
  })

  it('eviltransform WGS84↔GCJ-02 rows within 5 mm', () => {
    const rows = vectors.filter((v) => v.source === 'eviltransform' && v.check_wgs2gcj_m !== undefined)
    expect(rows.map((v) => v.name)).toEqual(['shanghai', 'shenzhen', 'beijing'])
    for (const v of rows) {
      const w = v.wgs84 as Lonlat
      const g = v.gcj02 as Lonlat
      expect(metres(fromWgs84(w[0], w[1], 'gcj02'), g), v.name).toBeLessThan(0.005)
      expect(metres(toWgs84(g[0], g[1], 'gcj02'), w), v.name).toBeLessThan(0.005)
    }
  })

  it('skips eviltransform’s non-standard BD-09 rows on purpose', () => {
    const rows = vectors.filter((v) => v.source === 'eviltransform' && v.bd09 !== undefined)
    expect(rows).toHaveLength(2)
    for (const v of rows) expect(v.note).toMatch(/non-standard|Do not use/)
  })

  const ct = new Map(vectors.filter((v) => v.source === 'coordtransform').map((v) => [v.name, v]))
  const ctRow = (name: string): { input: Lonlat; expected: Lonlat } => {
    const v = ct.get(name)
    if (!v?.input || !v.expected) throw new Error(`missing coordtransform row ${name}`)
    return { input: v.input, expected: v.expected }
  }

  it('coordtransform wgs84togcj02 and gcj02tobd09 (exact forward formulas) to 1e-9°', () => {
    const a = ctRow('wgs84togcj02')
    const gcj = fromWgs84(a.input[0], a.input[1], 'gcj02')
    expect(Math.abs(gcj[0] - a.expected[0])).toBeLessThan(1e-9)
    expect(Math.abs(gcj[1] - a.expected[1])).toBeLessThan(1e-9)
    const b = ctRow('gcj02tobd09')
    const bd = fromWgs84(...toWgs84(b.input[0], b.input[1], 'gcj02'), 'bd09')
    expect(Math.abs(bd[0] - b.expected[0])).toBeLessThan(1e-9)
    expect(Math.abs(bd[1] - b.expected[1])).toBeLessThan(1e-9)
  })

  it('coordtransform gcj02towgs84 is a one-step approximation; ours is the exact inverse', () => {
    const { input, expected } = ctRow('gcj02towgs84')
    const ours = toWgs84(input[0], input[1], 'gcj02')
    // Close to theirs (their approximation errs by centimetres to metres)…
    expect(metres(ours, expected)).toBeLessThan(5)
    // …but only ours maps back onto the input.
    expect(metres(fromWgs84(ours[0], ours[1], 'gcj02'), input)).toBeLessThan(0.001)
    expect(metres(fromWgs84(expected[0], expected[1], 'gcj02'), input)).toBeGreaterThan(0.01)
  })

  it('coordtransform bd09togcj02 (one-step approximation) agrees with our exact inverse within 0.5 m', () => {
    const { input, expected } = ctRow('bd09togcj02')
    const gcj = fromWgs84(...toWgs84(input[0], input[1], 'bd09'), 'gcj02')
    expect(metres(gcj, expected)).toBeLessThan(0.5)
  })
})

describe('crs: gcoord (the dependency) as a cross-check', () => {
  it('gcoord’s forward transforms equal ours (same open algorithm) to 1e-12°', () => {
    for (const p of guyuanGrid(8)) {
      for (const [to, crs] of [
        [gcoord.GCJ02, 'gcj02'],
        [gcoord.BD09, 'bd09'],
      ] as [string, Crs][]) {
        const theirs = gcoord.transform([p[0], p[1]], gcoord.WGS84, to)
        const ours = fromWgs84(p[0], p[1], crs)
        expect(Math.abs(theirs[0] - ours[0])).toBeLessThan(1e-12)
        expect(Math.abs(theirs[1] - ours[1])).toBeLessThan(1e-12)
      }
    }
  })

  it('gcoord’s own inverse stops at 1e-6° (~0.1 m); ours is within that of it and exact', () => {
    let worstTheirs = 0
    for (const p of guyuanGrid(8)) {
      const theirs = gcoord.transform([p[0], p[1]], gcoord.GCJ02, gcoord.WGS84)
      const ours = toWgs84(p[0], p[1], 'gcj02')
      expect(metres(theirs, ours)).toBeLessThan(0.2)
      const f = fromWgs84(theirs[0], theirs[1], 'gcj02')
      worstTheirs = Math.max(worstTheirs, Math.abs(f[0] - p[0]), Math.abs(f[1] - p[1]))
    }
    expect(worstTheirs).toBeLessThan(1e-6)
  })
})
