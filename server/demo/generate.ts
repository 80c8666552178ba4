/**
 * Deterministic generator of the DEMO registry: fictional schools (campus polygons, gates) and licensed
 * premises placed inside the real county outlines of Guyuan, near real township seats.
 *
 * Nothing here is real: every name starts with 示例 ("demo") and ends with （演示）, every feature has
 * `demo: true`, licence numbers start with DEMO-. The same options and seed give byte-identical output.
 *
 * Pure library: no database, no clock, no Math.random. The only I/O is loadReferenceData().
 * Campuses are kept in a compact store (flat typed arrays + a spatial hash) so that benchmark-sized sets
 * (10,000 schools × 500,000 premises, or 500,000 schools in a large bbox) can be generated and streamed.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import type { Feature, MultiPolygon, Point, Polygon, Position } from 'geojson'

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export interface GenerateOptions {
  schools: number
  premises: number
  /** unsigned 32-bit integer; default DEFAULT_SEED */
  seed?: number
  /** [minLon, minLat, maxLon, maxLat]: place everything anywhere in this box instead of only in Guyuan's counties */
  bbox?: [number, number, number, number]
}

export interface SchoolProperties {
  name: string
  schoolType: SchoolType
  countyCode: string
  address: string
  students: number
  staff: number
  boarding: boolean
  openedOn: string
  gates: [number, number][]
  demo: true
}

export interface PremisesProperties {
  name: string
  category: PremisesCategory
  licenceNo: string
  licenceStatus: LicenceStatus
  licensedOn: string
  expiresOn: string
  address: string
  countyCode: string
  demo: true
}

export interface AddressProperties {
  address: string
  countyCode: string
  source: string
  demo: true
}

export type SchoolFeature = Feature<Polygon | MultiPolygon, SchoolProperties>
export type AddressFeature = Feature<Point, AddressProperties>
export type PremisesFeature = Feature<Point, PremisesProperties>

export interface GeneratedSet {
  schools: SchoolFeature[]
  premises: PremisesFeature[]
}

export interface CountyRef {
  /** 6-digit adcode */
  code: string
  name: string
  /** 2020 census population, people */
  population: number
  bbox: [number, number, number, number]
  /** every ring (exterior and holes) of the county's MultiPolygon, closed, WGS84 */
  rings: Position[][]
  /** the county seat, WGS84 */
  seat: [number, number]
}

export interface TownshipRef {
  code: string
  name: string
  countyCode: string
}

export interface VillageRef {
  code: string
  name: string
  townshipCode: string
  countyCode: string
}

export interface PlaceRef {
  /** Chinese name from GeoNames (e.g. 三营) */
  name: string
  featureCode: string
  countyCode: string
  lon: number
  lat: number
}

export interface ReferenceData {
  counties: CountyRef[]
  townships: TownshipRef[]
  villages: VillageRef[]
  /** GeoNames populated places inside the counties (township seats) */
  places: PlaceRef[]
}

export interface GenerationStats {
  schoolsByCounty: Record<string, number>
  schoolsByType: Record<string, number>
  premisesByCounty: Record<string, number>
  premisesByCategory: Record<string, number>
  premisesByStatus: Record<string, number>
  /** premises generated so far by the premises() iterator */
  premises: number
  /** of those, premises within 200 m (local planar distance) of some campus boundary */
  premisesWithin200m: number
}

export interface RegistryGenerator {
  readonly options: Readonly<Required<Omit<GenerateOptions, 'bbox'>>> & { bbox?: [number, number, number, number] }
  /** number of schools placed (always options.schools) */
  readonly schoolCount: number
  /** the schools as GeoJSON features, built lazily from the compact store; repeatable and deterministic */
  schools(): Generator<SchoolFeature>
  /** the premises, generated lazily; repeatable and deterministic; resets and fills `stats` as it goes */
  premises(): Generator<PremisesFeature>
  readonly stats: GenerationStats
  /** distance in metres from a point to the nearest campus boundary (≤ maxM), -1 inside a campus, Infinity if none */
  distanceToNearestCampus(lon: number, lat: number, maxM: number): number
  /** `count` street addresses (name and house number) along the streets of the city and county seats; repeatable and deterministic */
  addresses(count: number): Generator<AddressFeature>
}

/** The `source` of generated address points. */
export const DEMO_ADDRESS_SOURCE = '示例门牌（生成，非真实）'

export const DEFAULT_SEED = 640400
/** Licence statuses are consistent with this day (active licences expire on or after it). */
export const DEMO_REFERENCE_DATE = '2026-01-01'
export const NEAR_SCHOOL_M = 200

export const COUNTY_POPULATION_2020: Readonly<Record<string, number>> = {
  '640402': 470_000,
  '640422': 347_000,
  '640423': 145_000,
  '640424': 86_000,
  '640425': 196_000,
}
/** 原州区 city centre, WGS84 */
export const CITY_CENTRE: [number, number] = [106.238411, 36.016037]

// The vocabularies below are the API's (server/schemas/common.ts); they are repeated here so that this
// library stays self-contained.
export type SchoolType =
  | 'kindergarten' | 'primary' | 'junior_middle' | 'senior_high' | 'complete_middle' | 'nine_year' | 'vocational' | 'special_education'
export type PremisesCategory =
  | 'internet_cafe' | 'lottery_outlet' | 'tobacco_retail' | 'entertainment_venue' | 'video_game_venue'
  | 'hazardous_chemicals' | 'fireworks' | 'polluting_enterprise' | 'food_stall_zone'
export type LicenceStatus = 'active' | 'suspended' | 'expired' | 'revoked'

export const DEMO_SCHOOL_TYPES: readonly SchoolType[] = [
  'kindergarten', 'primary', 'junior_middle', 'senior_high', 'complete_middle', 'nine_year', 'vocational', 'special_education',
]
export const DEMO_PREMISES_CATEGORIES: readonly PremisesCategory[] = [
  'internet_cafe', 'lottery_outlet', 'tobacco_retail', 'entertainment_venue', 'video_game_venue',
  'hazardous_chemicals', 'fireworks', 'polluting_enterprise', 'food_stall_zone',
]

// ---------------------------------------------------------------------------------------------
// PRNG: sfc32 seeded through splitmix32
// ---------------------------------------------------------------------------------------------

function splitmix32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

/** Small fast PRNG (sfc32). `stream` and `index` select independent sequences for the same seed. */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number, stream = 0, index = 0) {
    const mix = splitmix32(seed)
    const mixIndex = splitmix32((Math.imul(stream + 1, 0x27d4eb2f) ^ Math.imul(index + 1, 0x165667b1)) >>> 0)
    this.a = mix() ^ mixIndex()
    this.b = mix() ^ mixIndex()
    this.c = mix() ^ mixIndex()
    this.d = 1
    for (let i = 0; i < 12; i++) this.u32()
  }

  u32(): number {
    const t0 = (this.a + this.b) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.d = (this.d + 1) | 0
    const t = (t0 + this.d) | 0
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** uniform in [0, 1) */
  next(): number {
    return this.u32() / 4294967296
  }

  range(min: number, max: number): number {
    return min + (max - min) * this.next()
  }

  /** integer in [min, max] */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  /** log-uniform in [min, max] */
  logRange(min: number, max: number): number {
    return Math.exp(this.range(Math.log(min), Math.log(max)))
  }

  normal(): number {
    const u = 1 - this.next()
    const v = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[Math.floor(this.next() * items.length)] as T
  }

  /** index drawn from cumulative weights (last element = total) */
  weighted(cumulative: ArrayLike<number>): number {
    const n = cumulative.length
    const x = this.next() * (cumulative[n - 1] as number)
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((cumulative[mid] as number) > x) hi = mid
      else lo = mid + 1
    }
    return lo
  }
}

function cumulate(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length)
  let sum = 0
  weights.forEach((w, i) => {
    sum += w
    out[i] = sum
  })
  return out
}

// ---------------------------------------------------------------------------------------------
// Small geometry helpers (degrees; local planar metres around a point)
// ---------------------------------------------------------------------------------------------

const RAD = Math.PI / 180
/** metres per degree of latitude at `lat` (WGS84) */
export function metresPerDegLat(lat: number): number {
  const p = lat * RAD
  return 111132.954 - 559.822 * Math.cos(2 * p) + 1.175 * Math.cos(4 * p)
}
/** metres per degree of longitude at `lat` (WGS84) */
export function metresPerDegLon(lat: number): number {
  const p = lat * RAD
  return 111412.84 * Math.cos(p) - 93.5 * Math.cos(3 * p) + 0.118 * Math.cos(5 * p)
}

const round7 = (v: number): number => Math.round(v * 1e7) / 1e7

function orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
}

function onSegment(ax: number, ay: number, bx: number, by: number, px: number, py: number): boolean {
  return Math.min(ax, bx) <= px && px <= Math.max(ax, bx) && Math.min(ay, by) <= py && py <= Math.max(ay, by)
}

/** true when segments AB and CD share any point */
function segmentsIntersect(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number): boolean {
  const d1 = orient(cx, cy, dx, dy, ax, ay)
  const d2 = orient(cx, cy, dx, dy, bx, by)
  const d3 = orient(ax, ay, bx, by, cx, cy)
  const d4 = orient(ax, ay, bx, by, dx, dy)
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true
  if (d1 === 0 && onSegment(cx, cy, dx, dy, ax, ay)) return true
  if (d2 === 0 && onSegment(cx, cy, dx, dy, bx, by)) return true
  if (d3 === 0 && onSegment(ax, ay, bx, by, cx, cy)) return true
  if (d4 === 0 && onSegment(ax, ay, bx, by, dx, dy)) return true
  return false
}

function pointSegmentDistance2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const vx = bx - ax
  const vy = by - ay
  const len2 = vx * vx + vy * vy
  let t = len2 > 0 ? ((px - ax) * vx + (py - ay) * vy) / len2 : 0
  t = t < 0 ? 0 : t > 1 ? 1 : t
  const qx = ax + t * vx - px
  const qy = ay + t * vy - py
  return qx * qx + qy * qy
}

/** even-odd test against a closed ring stored flat in xy[start .. end) (pairs, last = first) */
function pointInFlatRing(px: number, py: number, xy: Float64Array, start: number, end: number): boolean {
  let inside = false
  for (let i = start; i < end - 2; i += 2) {
    const x1 = xy[i]!
    const y1 = xy[i + 1]!
    const x2 = xy[i + 2]!
    const y2 = xy[i + 3]!
    if (y1 > py !== y2 > py && px < x1 + ((py - y1) * (x2 - x1)) / (y2 - y1)) inside = !inside
  }
  return inside
}

/** Does segment (x1,y1)-(x2,y2) touch the axis-aligned rectangle? */
function segmentTouchesRect(x1: number, y1: number, x2: number, y2: number, minx: number, miny: number, maxx: number, maxy: number): boolean {
  if (Math.max(x1, x2) < minx || Math.min(x1, x2) > maxx || Math.max(y1, y2) < miny || Math.min(y1, y2) > maxy) return false
  const s1 = orient(x1, y1, x2, y2, minx, miny)
  const s2 = orient(x1, y1, x2, y2, maxx, miny)
  const s3 = orient(x1, y1, x2, y2, maxx, maxy)
  const s4 = orient(x1, y1, x2, y2, minx, maxy)
  return !((s1 > 0 && s2 > 0 && s3 > 0 && s4 > 0) || (s1 < 0 && s2 < 0 && s3 < 0 && s4 < 0))
}

// ---------------------------------------------------------------------------------------------
// County index: which county contains a point (grid of pure/mixed cells + per-row ray casting)
// ---------------------------------------------------------------------------------------------

const MIXED = -2

class CountyIndex {
  readonly minLon: number
  readonly minLat: number
  readonly maxLon: number
  readonly maxLat: number
  private readonly res = 0.01
  private readonly nx: number
  private readonly ny: number
  private readonly edges: Float64Array
  private readonly edgeCounty: Uint8Array
  private readonly cellEdges: (Int32Array | undefined)[]
  private readonly rowEdges: Int32Array[]
  private readonly cellClass: Int8Array

  constructor(counties: readonly CountyRef[]) {
    if (counties.length > 30) throw new Error('too many counties for the county index')
    let minLon = Infinity
    let minLat = Infinity
    let maxLon = -Infinity
    let maxLat = -Infinity
    let edgeCount = 0
    for (const county of counties) {
      for (const ring of county.rings) {
        edgeCount += ring.length - 1
        for (const p of ring) {
          minLon = Math.min(minLon, p[0]!)
          maxLon = Math.max(maxLon, p[0]!)
          minLat = Math.min(minLat, p[1]!)
          maxLat = Math.max(maxLat, p[1]!)
        }
      }
    }
    this.minLon = minLon - 0.005
    this.minLat = minLat - 0.005
    this.maxLon = maxLon + 0.005
    this.maxLat = maxLat + 0.005
    this.nx = Math.max(1, Math.ceil((this.maxLon - this.minLon) / this.res))
    this.ny = Math.max(1, Math.ceil((this.maxLat - this.minLat) / this.res))
    this.edges = new Float64Array(edgeCount * 4)
    this.edgeCounty = new Uint8Array(edgeCount)
    const cells: number[][] = []
    const rows: number[][] = Array.from({ length: this.ny }, () => [])
    let e = 0
    counties.forEach((county, k) => {
      for (const ring of county.rings) {
        for (let i = 0; i + 1 < ring.length; i++) {
          const x1 = ring[i]![0]!
          const y1 = ring[i]![1]!
          const x2 = ring[i + 1]![0]!
          const y2 = ring[i + 1]![1]!
          this.edges.set([x1, y1, x2, y2], e * 4)
          this.edgeCounty[e] = k
          const ix0 = this.cellX(Math.min(x1, x2))
          const ix1 = this.cellX(Math.max(x1, x2))
          const iy0 = this.cellY(Math.min(y1, y2))
          const iy1 = this.cellY(Math.max(y1, y2))
          for (let iy = iy0; iy <= iy1; iy++) {
            rows[iy]!.push(e)
            for (let ix = ix0; ix <= ix1; ix++) (cells[iy * this.nx + ix] ??= []).push(e)
          }
          e++
        }
      }
    })
    this.rowEdges = rows.map((r) => Int32Array.from(r))
    this.cellEdges = new Array<Int32Array | undefined>(this.nx * this.ny)
    this.cellClass = new Int8Array(this.nx * this.ny)
    for (let iy = 0; iy < this.ny; iy++) {
      for (let ix = 0; ix < this.nx; ix++) {
        const c = iy * this.nx + ix
        const list = cells[c]
        if (list) {
          this.cellEdges[c] = Int32Array.from(list)
          this.cellClass[c] = MIXED
        } else {
          this.cellClass[c] = this.rayCast(this.minLon + (ix + 0.5) * this.res, this.minLat + (iy + 0.5) * this.res, iy)
        }
      }
    }
  }

  private cellX(lon: number): number {
    return Math.min(this.nx - 1, Math.max(0, Math.floor((lon - this.minLon) / this.res)))
  }

  private cellY(lat: number): number {
    return Math.min(this.ny - 1, Math.max(0, Math.floor((lat - this.minLat) / this.res)))
  }

  private rayCast(lon: number, lat: number, iy: number): number {
    const row = this.rowEdges[iy]!
    const edges = this.edges
    let mask = 0
    for (let j = 0; j < row.length; j++) {
      const o = row[j]! * 4
      const y1 = edges[o + 1]!
      const y2 = edges[o + 3]!
      if (y1 > lat !== y2 > lat) {
        const x1 = edges[o]!
        const x2 = edges[o + 2]!
        if (lon < x1 + ((lat - y1) * (x2 - x1)) / (y2 - y1)) mask ^= 1 << this.edgeCounty[row[j]!]!
      }
    }
    return mask === 0 ? -1 : 31 - Math.clz32(mask & -mask)
  }

  /** index of the county containing the point, or -1 */
  countyAt(lon: number, lat: number): number {
    if (!(lon >= this.minLon && lon < this.maxLon && lat >= this.minLat && lat < this.maxLat)) return -1
    const iy = Math.floor((lat - this.minLat) / this.res)
    const ix = Math.floor((lon - this.minLon) / this.res)
    const cls = this.cellClass[iy * this.nx + ix]!
    return cls === MIXED ? this.rayCast(lon, lat, iy) : cls
  }

  /** true when some county boundary edge passes through the rectangle */
  rectTouchesBoundary(minx: number, miny: number, maxx: number, maxy: number): boolean {
    if (maxx < this.minLon || minx >= this.maxLon || maxy < this.minLat || miny >= this.maxLat) return false
    const ix0 = this.cellX(minx)
    const ix1 = this.cellX(maxx)
    const iy0 = this.cellY(miny)
    const iy1 = this.cellY(maxy)
    const edges = this.edges
    for (let iy = iy0; iy <= iy1; iy++) {
      for (let ix = ix0; ix <= ix1; ix++) {
        const list = this.cellEdges[iy * this.nx + ix]
        if (!list) continue
        for (let j = 0; j < list.length; j++) {
          const o = list[j]! * 4
          if (segmentTouchesRect(edges[o]!, edges[o + 1]!, edges[o + 2]!, edges[o + 3]!, minx, miny, maxx, maxy)) return true
        }
      }
    }
    return false
  }
}

// ---------------------------------------------------------------------------------------------
// Campus store: compact polygons + spatial hash, for overlap tests and distance queries
// ---------------------------------------------------------------------------------------------

const CAMPUS_CELL = 0.004

function growF64(a: Float64Array<ArrayBuffer>, need: number): Float64Array<ArrayBuffer> {
  if (need <= a.length) return a
  const b = new Float64Array(Math.max(need, a.length * 2))
  b.set(a)
  return b
}
function growI32(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  if (need <= a.length) return a
  const b = new Int32Array(Math.max(need, a.length * 2))
  b.set(a)
  return b
}

interface CampusMeta {
  type: number
  region: number
  seat: number
  /** village index, -1 when named after the seat */
  village: number
  urban: boolean
}

class CampusStore {
  count = 0
  /** flat closed rings: x0,y0,x1,y1,...,x0,y0 */
  xy = new Float64Array(4096)
  private xyLen = 0
  /** ringStart[r] .. ringStart[r+1]: coordinates of ring r in xy */
  ringStart = new Int32Array(512)
  private ringCount = 0
  /** campusRing[i] .. campusRing[i+1]: rings (parts) of campus i */
  campusRing = new Int32Array(256)
  bbox = new Float64Array(1024)
  type = new Int32Array(256)
  region = new Int32Array(256)
  seat = new Int32Array(256)
  village = new Int32Array(256)
  urban = new Int32Array(256)
  private readonly grid = new Map<number, number[]>()
  private stamp = new Int32Array(256)
  private query = 0

  constructor() {
    this.ringStart[0] = 0
    this.campusRing[0] = 0
  }

  add(parts: readonly Float64Array[], bbox: readonly [number, number, number, number], meta: CampusMeta): number {
    const i = this.count
    for (const part of parts) {
      this.xy = growF64(this.xy, this.xyLen + part.length)
      this.xy.set(part, this.xyLen)
      this.xyLen += part.length
      this.ringCount++
      this.ringStart = growI32(this.ringStart, this.ringCount + 1)
      this.ringStart[this.ringCount] = this.xyLen
    }
    const n = i + 1
    this.campusRing = growI32(this.campusRing, n + 1)
    this.campusRing[n] = this.ringCount
    this.bbox = growF64(this.bbox, n * 4)
    this.bbox.set(bbox, i * 4)
    this.type = growI32(this.type, n)
    this.region = growI32(this.region, n)
    this.seat = growI32(this.seat, n)
    this.village = growI32(this.village, n)
    this.urban = growI32(this.urban, n)
    this.stamp = growI32(this.stamp, n)
    this.type[i] = meta.type
    this.region[i] = meta.region
    this.seat[i] = meta.seat
    this.village[i] = meta.village
    this.urban[i] = meta.urban ? 1 : 0
    const [ix0, iy0, ix1, iy1] = cellRange(bbox[0], bbox[1], bbox[2], bbox[3])
    for (let iy = iy0; iy <= iy1; iy++) {
      for (let ix = ix0; ix <= ix1; ix++) {
        const key = cellKey(ix, iy)
        const list = this.grid.get(key)
        if (list) list.push(i)
        else this.grid.set(key, [i])
      }
    }
    this.count = n
    return i
  }

  /** releases the spare capacity of the growable arrays once all campuses are placed */
  compact(): void {
    this.xy = this.xy.slice(0, this.xyLen)
    this.ringStart = this.ringStart.slice(0, this.ringCount + 1)
    this.campusRing = this.campusRing.slice(0, this.count + 1)
    this.bbox = this.bbox.slice(0, this.count * 4)
    this.type = this.type.slice(0, this.count)
    this.region = this.region.slice(0, this.count)
    this.seat = this.seat.slice(0, this.count)
    this.village = this.village.slice(0, this.count)
    this.urban = this.urban.slice(0, this.count)
    this.stamp = this.stamp.slice(0, this.count)
  }

  /** calls fn for every campus whose bbox intersects the rectangle; stops when fn returns true */
  forEachNear(minx: number, miny: number, maxx: number, maxy: number, fn: (i: number) => boolean): boolean {
    const q = ++this.query
    const [ix0, iy0, ix1, iy1] = cellRange(minx, miny, maxx, maxy)
    for (let iy = iy0; iy <= iy1; iy++) {
      for (let ix = ix0; ix <= ix1; ix++) {
        const list = this.grid.get(cellKey(ix, iy))
        if (!list) continue
        for (let k = 0; k < list.length; k++) {
          const i = list[k]!
          if (this.stamp[i] === q) continue
          this.stamp[i] = q
          const o = i * 4
          if (this.bbox[o]! > maxx || this.bbox[o + 2]! < minx || this.bbox[o + 1]! > maxy || this.bbox[o + 3]! < miny) continue
          if (fn(i)) return true
        }
      }
    }
    return false
  }

  /** Distance (m, local planar) from the point to the nearest campus boundary within maxM; -1 when inside a campus. */
  distance(lon: number, lat: number, maxM: number): number {
    const mx = metresPerDegLon(lat)
    const my = metresPerDegLat(lat)
    const dLon = maxM / mx
    const dLat = maxM / my
    let best2 = Infinity
    let inside = false
    const xy = this.xy
    this.forEachNear(lon - dLon, lat - dLat, lon + dLon, lat + dLat, (i) => {
      for (let r = this.campusRing[i]!; r < this.campusRing[i + 1]!; r++) {
        const start = this.ringStart[r]!
        const end = this.ringStart[r + 1]!
        if (pointInFlatRing(lon, lat, xy, start, end)) {
          inside = true
          return true
        }
        for (let k = start; k < end - 2; k += 2) {
          const d2 = pointSegmentDistance2(0, 0, (xy[k]! - lon) * mx, (xy[k + 1]! - lat) * my, (xy[k + 2]! - lon) * mx, (xy[k + 3]! - lat) * my)
          if (d2 < best2) best2 = d2
        }
      }
      return false
    })
    if (inside) return -1
    const d = Math.sqrt(best2)
    return d <= maxM ? d : Infinity
  }

  /** rings of campus i as [start, end) offsets into xy */
  rings(i: number): [number, number][] {
    const out: [number, number][] = []
    for (let r = this.campusRing[i]!; r < this.campusRing[i + 1]!; r++) out.push([this.ringStart[r]!, this.ringStart[r + 1]!])
    return out
  }
}

function cellRange(minx: number, miny: number, maxx: number, maxy: number): [number, number, number, number] {
  return [Math.floor(minx / CAMPUS_CELL), Math.floor(miny / CAMPUS_CELL), Math.floor(maxx / CAMPUS_CELL), Math.floor(maxy / CAMPUS_CELL)]
}
function cellKey(ix: number, iy: number): number {
  return (ix + 50_000) * 100_000 + (iy + 25_000)
}

/** true when two closed flat rings (in metres) intersect, nest, or come closer than gap */
function ringsTooClose(a: Float64Array, b: Float64Array, gap: number): boolean {
  const gap2 = gap * gap
  for (let i = 0; i < a.length - 2; i += 2) {
    for (let j = 0; j < b.length - 2; j += 2) {
      if (segmentsIntersect(a[i]!, a[i + 1]!, a[i + 2]!, a[i + 3]!, b[j]!, b[j + 1]!, b[j + 2]!, b[j + 3]!)) return true
    }
  }
  if (pointInFlatRing(a[0]!, a[1]!, b, 0, b.length) || pointInFlatRing(b[0]!, b[1]!, a, 0, a.length)) return true
  for (let i = 0; i < a.length - 2; i += 2) {
    for (let j = 0; j < b.length - 2; j += 2) {
      if (pointSegmentDistance2(a[i]!, a[i + 1]!, b[j]!, b[j + 1]!, b[j + 2]!, b[j + 3]!) < gap2) return true
      if (pointSegmentDistance2(b[j]!, b[j + 1]!, a[i]!, a[i + 1]!, a[i + 2]!, a[i + 3]!) < gap2) return true
    }
  }
  return false
}

// ---------------------------------------------------------------------------------------------
// Campus shapes (local metres, CCW, centred near the origin)
// ---------------------------------------------------------------------------------------------

function ringArea(ring: readonly number[]): number {
  let s = 0
  const n = ring.length / 2
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n
    s += ring[2 * i]! * ring[2 * j + 1]! - ring[2 * j]! * ring[2 * i + 1]!
  }
  return s / 2
}

function transform(ring: readonly number[], scale: number, angle: number, dx = 0, dy = 0): number[] {
  const c = Math.cos(angle)
  const s = Math.sin(angle)
  const out: number[] = []
  for (let i = 0; i < ring.length; i += 2) {
    const x = ring[i]! * scale + dx
    const y = ring[i + 1]! * scale + dy
    out.push(x * c - y * s, x * s + y * c)
  }
  return out
}

/** One or two open CCW rings in metres with total area ≈ area. */
function campusShape(rng: Rng, area: number, twoParts: boolean): number[][] {
  const angle = rng.range(0, Math.PI)
  if (twoParts) {
    // main campus (rectangle) and a separate sports field 30–80 m away along the long axis
    const aspect = rng.range(1.1, 1.8)
    const fieldW = rng.range(70, 110)
    const fieldH = rng.range(45, 70)
    const mainArea = Math.max(area - fieldW * fieldH, area * 0.6)
    const h = Math.sqrt(mainArea / aspect)
    const w = h * aspect
    const gap = rng.range(32, 78)
    const main = [-w / 2, -h / 2, w / 2, -h / 2, w / 2, h / 2, -w / 2, h / 2]
    const fx = w / 2 + gap + fieldW / 2
    const fy = rng.range(-Math.max(0, h / 2 - fieldH / 2), Math.max(0, h / 2 - fieldH / 2))
    const field = [fx - fieldW / 2, fy - fieldH / 2, fx + fieldW / 2, fy - fieldH / 2, fx + fieldW / 2, fy + fieldH / 2, fx - fieldW / 2, fy + fieldH / 2]
    const shift = -(fieldW + gap) / 2
    return [transform(main, 1, angle, shift), transform(field, 1, angle, shift)]
  }
  const kind = rng.next()
  let unit: number[]
  if (kind < 0.4) {
    const a = rng.range(1, 2.2)
    unit = [-0.5, -a / 2, 0.5, -a / 2, 0.5, a / 2, -0.5, a / 2]
  } else if (kind < 0.6) {
    // L-shape: a rectangle with one corner cut away
    const a = rng.range(0.8, 1.8)
    const cw = rng.range(0.3, 0.6)
    const ch = rng.range(0.3, 0.6) * a
    unit = [-0.5, -a / 2, 0.5, -a / 2, 0.5, a / 2 - ch, 0.5 - cw, a / 2 - ch, 0.5 - cw, a / 2, -0.5, a / 2]
  } else if (kind < 0.75) {
    const h = rng.range(0.6, 1.3)
    const top = rng.range(0.55, 0.9)
    const s = rng.range(-0.15, 0.15)
    unit = [-0.5, -h / 2, 0.5, -h / 2, s + top / 2, h / 2, s - top / 2, h / 2]
  } else {
    // irregular pentagon/hexagon, star-shaped around the origin (hence simple), strictly increasing angles (CCW)
    const n = rng.chance(0.5) ? 5 : 6
    const stretch = rng.range(1, 1.6)
    unit = []
    for (let k = 0; k < n; k++) {
      const t = ((k + rng.range(-0.3, 0.3)) * 2 * Math.PI) / n
      const r = rng.range(0.75, 1.2)
      unit.push(r * Math.cos(t) * stretch, r * Math.sin(t))
    }
  }
  const scale = Math.sqrt(area / ringArea(unit))
  return [transform(unit, scale, angle)]
}

// ---------------------------------------------------------------------------------------------
// Domain tables
// ---------------------------------------------------------------------------------------------

interface TypeProfile {
  share: number
  /** placement priority: larger campuses first */
  priority: number
  areaM2: [number, number]
  label: string
  countySeat: number
  village: number
  gates: [number, number]
  students: { urban: [number, number]; rural: [number, number] }
  perStaff: [number, number]
  boarding: { urban: number; rural: number }
  opened: [number, number]
}

const TYPE_PROFILES: Record<SchoolType, TypeProfile> = {
  kindergarten: {
    share: 0.36, priority: 1, areaM2: [2000, 8000], label: '幼儿园', countySeat: 0.55, village: 0.3, gates: [1, 2],
    students: { urban: [180, 600], rural: [30, 180] }, perStaff: [7, 10], boarding: { urban: 0, rural: 0 }, opened: [1978, 2025],
  },
  primary: {
    share: 0.4, priority: 2, areaM2: [8000, 30000], label: '小学', countySeat: 0.35, village: 0.55, gates: [1, 2],
    students: { urban: [900, 3200], rural: [40, 600] }, perStaff: [14, 19], boarding: { urban: 0, rural: 0.08 }, opened: [1950, 2022],
  },
  junior_middle: {
    share: 0.09, priority: 4, areaM2: [20000, 80000], label: '初级中学', countySeat: 0.45, village: 0.15, gates: [1, 3],
    students: { urban: [900, 2800], rural: [200, 1200] }, perStaff: [11, 14], boarding: { urban: 0.15, rural: 0.65 }, opened: [1956, 2020],
  },
  senior_high: {
    share: 0.035, priority: 6, areaM2: [30000, 80000], label: '高级中学', countySeat: 0.85, village: 0, gates: [2, 3],
    students: { urban: [1500, 4500], rural: [1000, 3000] }, perStaff: [11, 13], boarding: { urban: 0.75, rural: 0.9 }, opened: [1950, 2015],
  },
  complete_middle: {
    share: 0.025, priority: 5, areaM2: [30000, 80000], label: '中学', countySeat: 0.6, village: 0, gates: [1, 3],
    students: { urban: [1200, 3200], rural: [600, 2000] }, perStaff: [11, 14], boarding: { urban: 0.4, rural: 0.75 }, opened: [1950, 2012],
  },
  nine_year: {
    share: 0.07, priority: 3, areaM2: [20000, 60000], label: '九年制学校', countySeat: 0.15, village: 0.5, gates: [1, 3],
    students: { urban: [800, 2600], rural: [150, 1200] }, perStaff: [12, 16], boarding: { urban: 0.1, rural: 0.6 }, opened: [1995, 2023],
  },
  vocational: {
    share: 0.012, priority: 7, areaM2: [40000, 150000], label: '职业技术学校', countySeat: 0.95, village: 0, gates: [2, 3],
    students: { urban: [800, 4500], rural: [600, 2000] }, perStaff: [14, 20], boarding: { urban: 0.7, rural: 0.8 }, opened: [1958, 2018],
  },
  special_education: {
    share: 0.008, priority: 0, areaM2: [5000, 20000], label: '特殊教育学校', countySeat: 0.95, village: 0, gates: [1, 2],
    students: { urban: [60, 260], rural: [40, 150] }, perStaff: [3, 4.5], boarding: { urban: 0.5, rural: 0.6 }, opened: [1988, 2020],
  },
}

interface CategoryProfile {
  weight: number
  code: string
  labels: readonly string[]
  /** probability of being placed at a town's edge instead of on a street */
  edge: number
  validityYears: readonly number[]
}

const CATEGORY_PROFILES: Record<PremisesCategory, CategoryProfile> = {
  tobacco_retail: { weight: 30, code: 'TOB', labels: ['烟酒店', '便利店', '烟酒商行', '综合商店', '超市'], edge: 0, validityYears: [5] },
  lottery_outlet: { weight: 16, code: 'LOT', labels: ['福利彩票投注站', '体育彩票投注站'], edge: 0, validityYears: [2, 3] },
  food_stall_zone: { weight: 10, code: 'FSZ', labels: ['小吃摊点区', '夜市摊区', '早餐摊点'], edge: 0, validityYears: [1, 2, 3] },
  internet_cafe: { weight: 9, code: 'NET', labels: ['网吧', '网咖', '上网服务中心'], edge: 0, validityYears: [3] },
  entertainment_venue: { weight: 8, code: 'ENT', labels: ['KTV', '歌舞厅', '量贩式KTV'], edge: 0.05, validityYears: [2, 3] },
  video_game_venue: { weight: 6, code: 'VGM', labels: ['电子游戏厅', '电玩城'], edge: 0, validityYears: [2, 3] },
  polluting_enterprise: { weight: 8, code: 'POL', labels: ['砖厂', '建材厂', '石料加工厂', '混凝土搅拌站', '皮革加工厂', '养殖场'], edge: 0.75, validityYears: [3, 5] },
  hazardous_chemicals: { weight: 6, code: 'HAZ', labels: ['危险化学品经营部', '化工产品经销部', '加油站'], edge: 0.6, validityYears: [3] },
  fireworks: { weight: 4, code: 'FWK', labels: ['烟花爆竹销售点', '烟花爆竹专营店'], edge: 0.4, validityYears: [1, 2, 3] },
}

const STATUS_WEIGHTS: readonly [LicenceStatus, number][] = [['active', 78], ['expired', 12], ['suspended', 6], ['revoked', 4]]

const BRANDS = ['星光', '鑫源', '好运', '顺达', '金城', '宏发', '平安', '如意', '福满', '兴盛', '天天', '万家', '阳光', '新世纪', '六盘', '清水', '永安', '康乐', '东方', '恒通']
const STREET_WORDS = ['一', '二', '三', '四', '五', '六', '七', '八', '东', '西', '南', '北', '中', '新', '文化', '建设', '育才', '团结', '和平', '兴业']
const STREET_KINDS = ['路', '街', '巷', '大道']
const SYNTHETIC_CHARS = ['东', '西', '南', '北', '新', '安', '平', '和', '兴', '宁', '河', '山', '川', '塬', '沟', '湾', '庄', '堡', '寨', '营', '泉', '岭', '台', '坪', '丰', '乐', '石', '柳', '杨', '马']

const CN_DIGITS = '零一二三四五六七八九'
/** Chinese numerals for 1..9999 (第三, 第十二, 第一百零一); Arabic beyond */
export function chineseNumber(n: number): string {
  if (!Number.isInteger(n) || n <= 0 || n >= 10000) return String(n)
  const digits = [Math.floor(n / 1000) % 10, Math.floor(n / 100) % 10, Math.floor(n / 10) % 10, n % 10]
  const units = ['千', '百', '十', '']
  let s = ''
  let zero = false
  let started = false
  digits.forEach((d, i) => {
    if (d === 0) {
      if (started) zero = true
      return
    }
    if (zero) s += '零'
    zero = false
    started = true
    s += CN_DIGITS[d]! + units[i]!
  })
  return n >= 10 && n < 20 ? s.replace(/^一十/, '十') : s
}

// ---------------------------------------------------------------------------------------------
// Reference data
// ---------------------------------------------------------------------------------------------

const COUNTY_SHORT: Readonly<Record<string, string>> = { '640402': '原州', '640422': '西吉', '640423': '隆德', '640424': '泾源', '640425': '彭阳' }
/** township(s) of each county seat (NBS 2023 names) */
const COUNTY_SEAT_TOWNSHIPS: Readonly<Record<string, readonly string[]>> = {
  '640402': ['南关街道', '古雁街道', '北塬街道'],
  '640422': ['吉强镇'],
  '640423': ['城关镇'],
  '640424': ['香水镇'],
  '640425': ['白阳镇'],
}

interface GeoJsonFile {
  features: { properties: Record<string, unknown>; geometry: { type: string; coordinates: unknown } }[]
}

/** Reads data/boundaries/counties.geojson and the data/gazetteer files. */
export function loadReferenceData(dataDir: string): ReferenceData {
  const boundaries = JSON.parse(readFileSync(path.join(dataDir, 'boundaries', 'counties.geojson'), 'utf8')) as GeoJsonFile
  const placesFile = JSON.parse(readFileSync(path.join(dataDir, 'gazetteer', 'geonames_cities500_guyuan_bbox.geojson'), 'utf8')) as GeoJsonFile
  const csv = (name: string) =>
    parse(readFileSync(path.join(dataDir, 'gazetteer', name), 'utf8'), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[]

  const places: PlaceRef[] = []
  for (const f of placesFile.features) {
    const code = String(f.properties.inside_county_adcode ?? '')
    if (!/^\d{6}$/.test(code) || f.geometry.type !== 'Point') continue
    const [lon, lat] = f.geometry.coordinates as [number, number]
    places.push({ name: String(f.properties.name_zh || f.properties.name), featureCode: String(f.properties.feature_code ?? ''), countyCode: code, lon, lat })
  }

  const counties: CountyRef[] = []
  for (const f of boundaries.features) {
    const code = String(f.properties.adcode)
    const population = COUNTY_POPULATION_2020[code]
    if (population === undefined) continue // the city outline (640400) and anything else
    const polygons = f.geometry.type === 'MultiPolygon' ? (f.geometry.coordinates as Position[][][]) : [f.geometry.coordinates as Position[][]]
    const rings = polygons.flat()
    let minLon = Infinity
    let minLat = Infinity
    let maxLon = -Infinity
    let maxLat = -Infinity
    for (const ring of rings) {
      for (const p of ring) {
        minLon = Math.min(minLon, p[0]!)
        maxLon = Math.max(maxLon, p[0]!)
        minLat = Math.min(minLat, p[1]!)
        maxLat = Math.max(maxLat, p[1]!)
      }
    }
    const ppla3 = places.find((p) => p.countyCode === code && p.featureCode === 'PPLA3')
    const centre = f.properties.center_wgs84 as [number, number] | undefined
    const seat: [number, number] = code === '640402' ? CITY_CENTRE : ppla3 ? [ppla3.lon, ppla3.lat] : centre ?? [(minLon + maxLon) / 2, (minLat + maxLat) / 2]
    counties.push({ code, name: String(f.properties.name), population, bbox: [minLon, minLat, maxLon, maxLat], rings, seat })
  }
  counties.sort((a, b) => a.code.localeCompare(b.code))
  if (counties.length !== 5) throw new Error(`expected the 5 Guyuan counties in boundaries/counties.geojson, found ${counties.length}`)

  const townships = csv('guyuan_townships_nbs2023.csv').map((r) => ({ code: r.code ?? '', name: r.name ?? '', countyCode: r.county_code ?? '' }))
  const villages = csv('guyuan_villages_nbs2023.csv').map((r) => ({
    code: r.code ?? '', name: r.name ?? '', townshipCode: r.township_code ?? '', countyCode: r.county_code ?? '',
  }))
  return { counties, townships, villages, places }
}

// ---------------------------------------------------------------------------------------------
// Seats (township seats, county seats, synthetic towns in bbox mode) and their streets
// ---------------------------------------------------------------------------------------------

type SeatKind = 'city' | 'county' | 'township'

interface Seat {
  lon: number
  lat: number
  /** short place name used in school and shop names */
  place: string
  /** township names for addresses */
  townships: readonly string[]
  /** villages (indices into the village list) for rural school names */
  villages: readonly number[]
  /** county index, -1 outside Guyuan (bbox mode) */
  county: number
  kind: SeatKind
  schoolWeight: number
  premisesWeight: number
  /** streets: lon0, lat0, ux, uy (unit direction in metres), halfLengthM */
  streets: Float64Array
}

const SEAT_SPREAD_M: Record<SeatKind, number> = { city: 1600, county: 1000, township: 600 }
const SEAT_EDGE_M: Record<SeatKind, number> = { city: 3500, county: 1800, township: 700 }
const SEAT_STREETS: Record<SeatKind, [number, number, number, number]> = {
  // count, through-point radius (m), min length, max length
  city: [28, 2200, 1500, 5000],
  county: [12, 800, 1000, 3000],
  township: [4, 300, 400, 1600],
}

function villageStem(name: string): string | undefined {
  const m = /^(.+?)(村民委员会|村委会)$/.exec(name)
  if (!m) return undefined
  return m[1]!.replace(/村$/, '')
}

function addStreets(seat: Seat, rng: Rng): void {
  const [count, radius, minLen, maxLen] = SEAT_STREETS[seat.kind]
  const out = new Float64Array(count * 5)
  const base = rng.range(0, Math.PI)
  const mx = metresPerDegLon(seat.lat)
  const my = metresPerDegLat(seat.lat)
  for (let k = 0; k < count; k++) {
    const angle = base + (rng.chance(0.5) ? 0 : Math.PI / 2) + rng.normal() * 0.09 + (seat.kind === 'township' ? rng.range(-0.6, 0.6) : 0)
    const r = radius * Math.sqrt(rng.next())
    const t = rng.range(0, 2 * Math.PI)
    out.set([seat.lon + (r * Math.cos(t)) / mx, seat.lat + (r * Math.sin(t)) / my, Math.cos(angle), Math.sin(angle), rng.range(minLen, maxLen) / 2], k * 5)
  }
  seat.streets = out
}

function guyuanSeats(ref: ReferenceData, rng: Rng): Seat[] {
  const seats: Seat[] = []
  const villagesByTownship = new Map<string, number[]>()
  const villagesByCounty = new Map<string, number[]>()
  ref.villages.forEach((v, i) => {
    if (!villageStem(v.name)) return
    ;(villagesByTownship.get(v.townshipCode) ?? villagesByTownship.set(v.townshipCode, []).get(v.townshipCode)!).push(i)
    ;(villagesByCounty.get(v.countyCode) ?? villagesByCounty.set(v.countyCode, []).get(v.countyCode)!).push(i)
  })
  ref.counties.forEach((county, k) => {
    const countyTownships = ref.townships.filter((t) => t.countyCode === county.code)
    const seatTownships = COUNTY_SEAT_TOWNSHIPS[county.code] ?? [countyTownships[0]?.name ?? '示例镇']
    const places = ref.places.filter((p) => p.countyCode === county.code && p.featureCode !== 'PPLA3')
    const townshipShare = 0.45 / Math.max(1, places.length)
    const countyVillages = villagesByCounty.get(county.code) ?? []
    const isCity = county.code === '640402'
    seats.push({
      lon: county.seat[0], lat: county.seat[1], place: isCity ? '固原' : (COUNTY_SHORT[county.code] ?? county.name),
      townships: seatTownships, villages: [], county: k, kind: isCity ? 'city' : 'county',
      schoolWeight: 1, premisesWeight: county.population * (isCity ? 0.45 : 0.55), streets: new Float64Array(0),
    })
    for (const p of places) {
      const stem = p.name.replace(/(镇|乡|街道)$/, '')
      const township = countyTownships.find((t) => t.name.replace(/(镇|乡|街道)$/, '') === stem)
      const urban = p.featureCode === 'PPLA2'
      seats.push({
        lon: p.lon, lat: p.lat, place: p.name,
        townships: urban ? seatTownships : [township?.name ?? p.name],
        villages: township ? (villagesByTownship.get(township.code) ?? countyVillages) : countyVillages,
        county: k, kind: urban ? 'county' : 'township',
        schoolWeight: 1,
        premisesWeight: county.population * (urban ? 0.1 : townshipShare),
        streets: new Float64Array(0),
      })
    }
  })
  for (const seat of seats) addStreets(seat, rng)
  return seats
}

function syntheticSeats(count: number, bbox: [number, number, number, number], rng: Rng, index: CountyIndex, guyuan: Seat[]): Seat[] {
  // Guyuan's real seats inside the bbox, weighted like the synthetic towns
  const seats = guyuan
    .filter((s) => s.lon >= bbox[0] && s.lon <= bbox[2] && s.lat >= bbox[1] && s.lat <= bbox[3])
    .map((s) => ({ ...s, schoolWeight: s.kind === 'township' ? 1 : 4, premisesWeight: s.kind === 'township' ? 1 : 4 }))
  for (let i = 0; i < count; i++) {
    const lon = rng.range(bbox[0], bbox[2])
    const lat = rng.range(bbox[1], bbox[3])
    const county = index.countyAt(lon, lat)
    const kind: SeatKind = rng.chance(0.1) ? 'county' : 'township'
    const seat: Seat = {
      lon, lat, place: rng.pick(SYNTHETIC_CHARS) + rng.pick(SYNTHETIC_CHARS), townships: [], villages: [], county, kind,
      schoolWeight: kind === 'county' ? 4 : 1, premisesWeight: kind === 'county' ? 4 : rng.range(0.5, 1.5), streets: new Float64Array(0),
    }
    seat.townships = [`${seat.place}镇`]
    addStreets(seat, rng)
    seats.push(seat)
  }
  return seats
}

/** synthetic 6-digit region code outside Guyuan: 99 + 1°-cell digits; real adcodes never start with 99 */
function syntheticRegion(lon: number, lat: number): number {
  const ix = ((Math.floor(lon + 180) % 100) + 100) % 100
  const iy = ((Math.floor(lat + 90) % 100) + 100) % 100
  return 990000 + ix * 100 + iy
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

export const MAX_SCHOOLS = 2_000_000
export const MAX_PREMISES = 50_000_000

/** Throws a RangeError with a clear message when an option is out of range. */
export function validateOptions(options: GenerateOptions): void {
  const { schools, premises, seed, bbox } = options
  if (!Number.isInteger(schools) || schools < 0 || schools > MAX_SCHOOLS) throw new RangeError(`schools must be an integer from 0 to ${MAX_SCHOOLS}, got ${schools}`)
  if (!Number.isInteger(premises) || premises < 0 || premises > MAX_PREMISES) throw new RangeError(`premises must be an integer from 0 to ${MAX_PREMISES}, got ${premises}`)
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)) throw new RangeError(`seed must be an integer from 0 to 4294967295, got ${seed}`)
  if (bbox !== undefined) {
    if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((v) => Number.isFinite(v))) throw new RangeError('bbox must be four finite numbers: minLon, minLat, maxLon, maxLat')
    const [minLon, minLat, maxLon, maxLat] = bbox
    if (minLon < -180 || maxLon > 180 || minLat < -85 || maxLat > 85) throw new RangeError('bbox must lie within longitude -180..180 and latitude -85..85')
    if (!(minLon < maxLon && minLat < maxLat)) throw new RangeError('bbox must have minLon < maxLon and minLat < maxLat')
    if ((maxLon - minLon) * (maxLat - minLat) < 1e-4) throw new RangeError('bbox is too small (at least about 1 km × 1 km)')
  }
}

/** Largest-remainder apportionment of total over weights. */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0)
  const exact = weights.map((w) => (total * w) / sum)
  const counts = exact.map(Math.floor)
  let left = total - counts.reduce((a, b) => a + b, 0)
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
  for (const [, i] of order) {
    if (left-- <= 0) break
    counts[i]!++
  }
  return counts
}

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

const STREAM_PLACE = 1
const STREAM_PREMISES = 2
const STREAM_SEATS = 3
const STREAM_SCHOOL_PROPS = 4
const STREAM_ADDRESSES = 5
const CAMPUS_GAP_M = 6
const COUNTY_MARGIN_M = 5
const NEAR_TARGET = 0.2
const NEAR_TOLERANCE = 0.03

const DAY_MS = 86_400_000
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10)
const REF_MS = Date.parse(`${DEMO_REFERENCE_DATE}T00:00:00Z`)
const EARLIEST_LICENCE_MS = Date.UTC(2005, 0, 1)
function addYears(ms: number, years: number): number {
  const d = new Date(ms)
  return Date.UTC(d.getUTCFullYear() + years, d.getUTCMonth(), d.getUTCDate())
}
function randomDay(rng: Rng, fromMs: number, toMs: number): number {
  return fromMs + Math.floor(rng.next() * (Math.floor((toMs - fromMs) / DAY_MS) + 1)) * DAY_MS
}

/**
 * Places all campuses (compact, in memory) and returns iterators over the school and premises features.
 * Use this to stream big sets; generateRegistry() collects everything into arrays.
 */
export function createRegistryGenerator(options: GenerateOptions, reference: ReferenceData): RegistryGenerator {
  validateOptions(options)
  const seed = (options.seed ?? DEFAULT_SEED) >>> 0
  const bbox = options.bbox
  const index = new CountyIndex(reference.counties)
  const counties = reference.counties
  const seatRng = new Rng(seed, STREAM_SEATS)
  const guyuan = guyuanSeats(reference, seatRng)
  const seats = bbox ? syntheticSeats(Math.max(1, Math.round(options.schools / 12)), bbox, seatRng, index, guyuan) : guyuan
  const store = new CampusStore()
  const regionCode = (region: number): string => (region >= 0 && region < counties.length ? counties[region]!.code : String(region))
  const regionName = (region: number): string => (region >= 0 && region < counties.length ? counties[region]!.name : `示例区（${region}）`)
  const regionAt = (lon: number, lat: number): number => {
    const k = index.countyAt(lon, lat)
    return k >= 0 ? k : bbox ? syntheticRegion(lon, lat) : -1
  }

  placeSchools(options.schools, seed, bbox, counties, seats, index, store, regionAt)
  store.compact()

  const stats: GenerationStats = {
    schoolsByCounty: {}, schoolsByType: {}, premisesByCounty: {}, premisesByCategory: {}, premisesByStatus: {}, premises: 0, premisesWithin200m: 0,
  }
  for (let i = 0; i < store.count; i++) {
    const code = regionCode(store.region[i]!)
    const type = DEMO_SCHOOL_TYPES[store.type[i]!]!
    stats.schoolsByCounty[code] = (stats.schoolsByCounty[code] ?? 0) + 1
    stats.schoolsByType[type] = (stats.schoolsByType[type] ?? 0) + 1
  }

  function* schools(): Generator<SchoolFeature> {
    const counters = new Map<string, number>()
    for (let i = 0; i < store.count; i++) {
      yield buildSchool(i, new Rng(seed, STREAM_SCHOOL_PROPS, i), store, seats, reference, counters, regionCode, regionName)
    }
  }

  function* premises(): Generator<PremisesFeature> {
    stats.premises = 0
    stats.premisesWithin200m = 0
    stats.premisesByCategory = {}
    stats.premisesByCounty = {}
    stats.premisesByStatus = {}
    const rng = new Rng(seed, STREAM_PREMISES)
    const categories = DEMO_PREMISES_CATEGORIES
    const categoryCum = cumulate(categories.map((c) => CATEGORY_PROFILES[c].weight))
    const statusCum = cumulate(STATUS_WEIGHTS.map(([, w]) => w))
    const seatCum = cumulate(seats.map((s) => s.premisesWeight))
    const counters = new Map<string, number>()
    for (let n = 0; n < options.premises; n++) {
      const category = categories[rng.weighted(categoryCum)]!
      const profile = CATEGORY_PROFILES[category]
      const wantNear = store.count > 0 && stats.premisesWithin200m < Math.floor(NEAR_TARGET * (n + 1))
      const nearCap = (NEAR_TARGET + NEAR_TOLERANCE) * (n + 1)
      let lon = NaN
      let lat = NaN
      let region = -1
      let seatIndex = 0
      let near = false
      let farMode = false
      for (let attempt = 0; ; attempt++) {
        if (attempt > 400) throw new Error(`could not place premises #${n + 1}: no free spot found (is the bbox covered by campuses?)`)
        let s: number
        if (wantNear && attempt < 30) {
          // next to a school: from a point of its boundary, outwards, 15–190 m
          const school = rng.int(0, store.count - 1)
          const [start, end] = store.rings(school)[0]!
          const edges = (end - start) / 2 - 1
          const k = start + 2 * rng.int(0, edges - 1)
          const t = rng.range(0.1, 0.9)
          const x1 = store.xy[k]!
          const y1 = store.xy[k + 1]!
          const x2 = store.xy[k + 2]!
          const y2 = store.xy[k + 3]!
          const bx = x1 + t * (x2 - x1)
          const by = y1 + t * (y2 - y1)
          const mx = metresPerDegLon(by)
          const my = metresPerDegLat(by)
          const normal = Math.atan2(-(x2 - x1) * mx, (y2 - y1) * my) + rng.normal() * 0.6
          const d = rng.range(15, 190)
          lon = bx + (d * Math.cos(normal)) / mx
          lat = by + (d * Math.sin(normal)) / my
          s = store.seat[school]!
        } else {
          s = rng.weighted(seatCum)
          const seat = seats[s]!
          const mx = metresPerDegLon(seat.lat)
          const my = metresPerDegLat(seat.lat)
          const mode = rng.next()
          if (mode < 0.08 || farMode) {
            // scattered around the town
            const r = (seat.kind === 'township' ? 6000 : 10000) * Math.sqrt(rng.next())
            const a = rng.range(0, 2 * Math.PI)
            lon = seat.lon + (r * Math.cos(a)) / mx
            lat = seat.lat + (r * Math.sin(a)) / my
          } else if (rng.chance(profile.edge)) {
            // at the edge of town
            const r = SEAT_EDGE_M[seat.kind] * rng.range(0.8, 2.2)
            const a = rng.range(0, 2 * Math.PI)
            lon = seat.lon + (r * Math.cos(a)) / mx
            lat = seat.lat + (r * Math.sin(a)) / my
          } else {
            // along a street
            const o = 5 * rng.int(0, seat.streets.length / 5 - 1)
            const st = seat.streets
            const along = (rng.next() + rng.next() - 1) * st[o + 4]!
            const side = (rng.chance(0.5) ? 1 : -1) * rng.range(8, 22)
            const ux = st[o + 2]!
            const uy = st[o + 3]!
            lon = st[o]! + (along * ux - side * uy + rng.normal() * 2) / mx
            lat = st[o + 1]! + (along * uy + side * ux + rng.normal() * 2) / my
          }
        }
        lon = round7(lon)
        lat = round7(lat)
        if (bbox && !(lon >= bbox[0] && lon <= bbox[2] && lat >= bbox[1] && lat <= bbox[3])) continue
        region = regionAt(lon, lat)
        if (region === -1) continue
        const d = store.distance(lon, lat, NEAR_SCHOOL_M)
        if (d < 0) continue // inside a campus
        near = d <= NEAR_SCHOOL_M
        if (near && !wantNear && stats.premisesWithin200m + 1 > nearCap && attempt < 6) {
          farMode = true // too many premises near schools already: try a scattered spot instead
          continue
        }
        seatIndex = s
        break
      }
      const seat = seats[seatIndex]!
      const status = STATUS_WEIGHTS[rng.weighted(statusCum)]![0]
      const years = rng.pick(profile.validityYears)
      let licensed: number
      if (status === 'active' || status === 'suspended') licensed = randomDay(rng, Math.max(EARLIEST_LICENCE_MS, addYears(REF_MS, -years) + DAY_MS), REF_MS - DAY_MS)
      else if (status === 'expired') licensed = randomDay(rng, EARLIEST_LICENCE_MS, addYears(REF_MS, -years) - DAY_MS)
      else licensed = randomDay(rng, EARLIEST_LICENCE_MS, REF_MS - DAY_MS)
      const code = regionCode(region)
      const key = `${profile.code}-${code}`
      const serial = (counters.get(key) ?? 0) + 1
      counters.set(key, serial)
      const township = seat.townships.length > 0 ? rng.pick(seat.townships) : ''
      const address = `${regionName(region)}${township}示例${rng.pick(STREET_WORDS)}${rng.pick(STREET_KINDS)}${rng.int(1, 300)}号`
      const name = `示例${seat.place}${rng.pick(BRANDS)}${rng.pick(profile.labels)}（演示）`
      stats.premises++
      if (near) stats.premisesWithin200m++
      stats.premisesByCategory[category] = (stats.premisesByCategory[category] ?? 0) + 1
      stats.premisesByCounty[code] = (stats.premisesByCounty[code] ?? 0) + 1
      stats.premisesByStatus[status] = (stats.premisesByStatus[status] ?? 0) + 1
      yield {
        type: 'Feature',
        properties: {
          name, category, licenceNo: `DEMO-${profile.code}-${code}-${String(serial).padStart(6, '0')}`, licenceStatus: status,
          licensedOn: isoDay(licensed), expiresOn: isoDay(addYears(licensed, years)), address, countyCode: code, demo: true,
        },
        geometry: { type: 'Point', coordinates: [lon, lat] },
      }
    }
  }

  // House numbers run along each street of a city or county seat, odd on one side and even on the other,
  // one every ~12 m; each street has one name and lies in one township. Its own random stream leaves the
  // schools and premises unchanged.
  function* addresses(count: number): Generator<AddressFeature> {
    const rng = new Rng(seed, STREAM_ADDRESSES)
    const streets: { seat: Seat; k: number; name: string; township: string }[] = []
    for (const seat of seats) {
      if (seat.kind === 'township') continue
      const used = new Set<string>()
      for (let k = 0; k < seat.streets.length / 5; k++) {
        let name = ''
        for (let tries = 0; tries < 20 && (name === '' || used.has(name)); tries++) name = `${rng.pick(STREET_WORDS)}${rng.pick(STREET_KINDS)}`
        if (used.has(name)) continue
        used.add(name)
        streets.push({ seat, k, name, township: seat.townships.length > 0 ? rng.pick(seat.townships) : '' })
      }
    }
    if (streets.length === 0) return
    const taken = new Set<string>()
    let made = 0
    for (let attempt = 0; made < count && attempt < count * 20; attempt++) {
      const street = rng.pick(streets)
      const st = street.seat.streets
      const o = street.k * 5
      const [lon0, lat0, ux, uy, half] = [st[o]!, st[o + 1]!, st[o + 2]!, st[o + 3]!, st[o + 4]!]
      const slot = rng.int(0, Math.max(0, Math.floor((2 * half) / 12) - 1))
      const even = rng.chance(0.5)
      const along = -half + slot * 12 + 6
      const side = (even ? 1 : -1) * rng.range(10, 20)
      const mx = metresPerDegLon(lat0)
      const my = metresPerDegLat(lat0)
      const lon = round7(lon0 + (along * ux - side * uy) / mx)
      const lat = round7(lat0 + (along * uy + side * ux) / my)
      const region = regionAt(lon, lat)
      if (region < 0 || store.distance(lon, lat, 5) === -1) continue
      const address = `${regionName(region)}${street.township}示例${street.name}${slot * 2 + (even ? 2 : 1)}号`
      if (taken.has(address)) continue
      taken.add(address)
      made++
      yield { type: 'Feature', properties: { address, countyCode: regionCode(region), source: DEMO_ADDRESS_SOURCE, demo: true }, geometry: { type: 'Point', coordinates: [lon, lat] } }
    }
  }

  return {
    options: { schools: options.schools, premises: options.premises, seed, ...(bbox ? { bbox } : {}) },
    schoolCount: store.count,
    schools,
    premises,
    stats,
    distanceToNearestCampus: (lon, lat, maxM) => store.distance(lon, lat, maxM),
    addresses,
  }
}

/** Generates the whole set in memory (fine up to a few hundred thousand features). */
export function generateRegistry(options: GenerateOptions, reference: ReferenceData): GeneratedSet {
  const generator = createRegistryGenerator(options, reference)
  return { schools: [...generator.schools()], premises: [...generator.premises()] }
}

// ---------------------------------------------------------------------------------------------
// School placement
// ---------------------------------------------------------------------------------------------

interface SchoolPlan {
  type: number
  /** target county index (Guyuan mode) or -1 (bbox mode) */
  county: number
}

function planSchools(total: number, counties: readonly CountyRef[], bboxMode: boolean, rng: Rng): SchoolPlan[] {
  const typeShares = DEMO_SCHOOL_TYPES.map((t) => TYPE_PROFILES[t].share)
  const plan: SchoolPlan[] = []
  const groups = bboxMode ? [{ county: -1, n: total }] : apportion(total, counties.map((c) => c.population)).map((n, county) => ({ county, n }))
  for (const { county, n } of groups) {
    apportion(n, typeShares).forEach((count, type) => {
      for (let j = 0; j < count; j++) plan.push({ type, county })
    })
  }
  // shuffle, then place large campuses first (stable sort keeps the shuffled order within a type)
  for (let i = plan.length - 1; i > 0; i--) {
    const j = rng.int(0, i)
    ;[plan[i], plan[j]] = [plan[j]!, plan[i]!]
  }
  const priority = (p: SchoolPlan) => TYPE_PROFILES[DEMO_SCHOOL_TYPES[p.type]!].priority
  return plan.sort((a, b) => priority(b) - priority(a))
}

function placeSchools(
  total: number,
  seed: number,
  bbox: [number, number, number, number] | undefined,
  counties: readonly CountyRef[],
  seats: readonly Seat[],
  index: CountyIndex,
  store: CampusStore,
  regionAt: (lon: number, lat: number) => number,
): void {
  const rng = new Rng(seed, STREAM_PLACE)
  const plan = planSchools(total, counties, bbox !== undefined, rng)
  const seatsOfCounty = counties.map((_, k) => seats.map((s, i) => (s.county === k ? i : -1)).filter((i) => i >= 0))
  const allSeatsCum = cumulate(seats.map((s) => s.schoolWeight))
  const townshipCum = seatsOfCounty.map((list) => cumulate(list.map((i) => (seats[i]!.kind === 'township' ? seats[i]!.schoolWeight : 0))))
  const mainCum = seatsOfCounty.map((list) => cumulate(list.map((i) => (seats[i]!.kind !== 'township' ? (seats[i]!.kind === 'city' ? 4 : seats[i]!.schoolWeight) : 0))))

  const nearestSeat = (lon: number, lat: number, k: number): number => {
    let best = -1
    let bestD = Infinity
    for (const i of seatsOfCounty[k] ?? []) {
      const s = seats[i]!
      const dx = (s.lon - lon) * Math.cos(lat * RAD)
      const dy = s.lat - lat
      const d = dx * dx + dy * dy
      if (d < bestD) {
        bestD = d
        best = i
      }
    }
    return best
  }

  const mLonRef = (lat: number) => metresPerDegLon(lat)
  // more schools than Guyuan plausibly holds: spread the towns out rather than packing the centres
  const density = bbox ? 1 : Math.max(1, Math.sqrt(total / 600))

  for (let n = 0; n < plan.length; n++) {
    const { type, county } = plan[n]!
    const schoolType = DEMO_SCHOOL_TYPES[type]!
    const profile = TYPE_PROFILES[schoolType]
    let area = rng.logRange(profile.areaM2[0], profile.areaM2[1])
    const twoParts = schoolType !== 'kindergarten' && schoolType !== 'special_education' && area >= 12000 && rng.chance(0.06)
    // where: a county seat, a township seat, or a village (anywhere in the county)
    let seatIndex: number
    let village = false
    if (bbox) {
      seatIndex = rng.weighted(allSeatsCum)
      village = rng.chance(profile.village * 0.6)
    } else {
      const list = seatsOfCounty[county]!
      const useMain = rng.chance(profile.countySeat) || (townshipCum[county]!.at(-1) ?? 0) === 0
      seatIndex = list[rng.weighted(useMain ? mainCum[county]! : townshipCum[county]!)]!
      village = !useMain && rng.chance(profile.village)
    }
    const seat = seats[seatIndex]!
    const spread = SEAT_SPREAD_M[seat.kind]
    let placed = false
    for (let round = 0; round < 8 && !placed; round++) {
      for (let attempt = 0; attempt < 320 && !placed; attempt++) {
        let cx: number
        let cy: number
        let namingSeat = seatIndex
        let rural = village
        if (!village && attempt < 24 && round === 0) {
          const sigma = spread * density * (1 + 0.15 * attempt)
          cx = seat.lon + (rng.normal() * sigma) / mLonRef(seat.lat)
          cy = seat.lat + (rng.normal() * sigma) / metresPerDegLat(seat.lat)
        } else if (bbox) {
          if (attempt < 60 && round < 2) {
            const r = 8000 * Math.sqrt(rng.next())
            const a = rng.range(0, 2 * Math.PI)
            cx = seat.lon + (r * Math.cos(a)) / mLonRef(seat.lat)
            cy = seat.lat + (r * Math.sin(a)) / metresPerDegLat(seat.lat)
          } else {
            cx = rng.range(bbox[0], bbox[2])
            cy = rng.range(bbox[1], bbox[3])
          }
          rural = true
        } else {
          const c = counties[county]!
          cx = rng.range(c.bbox[0], c.bbox[2])
          cy = rng.range(c.bbox[1], c.bbox[3])
          if (index.countyAt(cx, cy) !== county) continue
          namingSeat = nearestSeat(cx, cy, county)
          rural = true
        }
        const mx = metresPerDegLon(cy)
        const my = metresPerDegLat(cy)
        const shape = campusShape(rng, area, twoParts)
        const parts: Float64Array[] = []
        let minx = Infinity
        let miny = Infinity
        let maxx = -Infinity
        let maxy = -Infinity
        for (const ring of shape) {
          const flat = new Float64Array(ring.length + 2)
          for (let k = 0; k < ring.length; k += 2) {
            const lon = round7(cx + ring[k]! / mx)
            const lat = round7(cy + ring[k + 1]! / my)
            flat[k] = lon
            flat[k + 1] = lat
            minx = Math.min(minx, lon)
            maxx = Math.max(maxx, lon)
            miny = Math.min(miny, lat)
            maxy = Math.max(maxy, lat)
          }
          flat[ring.length] = flat[0]!
          flat[ring.length + 1] = flat[1]!
          parts.push(flat)
        }
        if (bbox && (minx < bbox[0] || maxx > bbox[2] || miny < bbox[1] || maxy > bbox[3])) continue
        // whole campus inside one county: no county boundary within COUNTY_MARGIN_M of its bbox
        const ex = COUNTY_MARGIN_M / mx
        const ey = COUNTY_MARGIN_M / my
        if (index.rectTouchesBoundary(minx - ex, miny - ey, maxx + ex, maxy + ey)) continue
        const region = regionAt(parts[0]![0]!, parts[0]![1]!)
        if (bbox ? region === -1 : region !== county) continue
        // no overlap with (and a small gap to) other campuses
        const gx = CAMPUS_GAP_M / mx
        const gy = CAMPUS_GAP_M / my
        let candidateM: Float64Array[] | undefined
        const clash = store.forEachNear(minx - gx, miny - gy, maxx + gx, maxy + gy, (j) => {
          candidateM ??= parts.map((p) => toMetres(p, 0, p.length, cx, cy, mx, my))
          for (const [s, e] of store.rings(j)) {
            const other = toMetres(store.xy, s, e, cx, cy, mx, my)
            for (const mine of candidateM) if (ringsTooClose(mine, other, CAMPUS_GAP_M)) return true
          }
          return false
        })
        if (clash) continue
        store.add(parts, [minx, miny, maxx, maxy], {
          type, region, seat: namingSeat,
          village: rural && !bbox ? pickVillage(seats[namingSeat]!, rng) : -1,
          urban: !rural && seats[namingSeat]!.kind !== 'township',
        })
        placed = true
      }
      // Guyuan is full at this density: shrink the campus and try again
      area = Math.max(150, area * 0.6)
    }
    if (!placed) {
      throw new Error(
        `could not place school #${n + 1} of ${plan.length} (${schoolType}) without overlapping others: ` +
          (bbox ? 'the bbox is too small for this many schools' : "Guyuan's counties are full at this density; pass a larger --bbox"),
      )
    }
  }
}

/** flat lon/lat pairs xy[s .. e) as local metres around (cx, cy) */
function toMetres(xy: Float64Array, s: number, e: number, cx: number, cy: number, mx: number, my: number): Float64Array {
  const out = new Float64Array(e - s)
  for (let k = s; k < e; k += 2) {
    out[k - s] = (xy[k]! - cx) * mx
    out[k - s + 1] = (xy[k + 1]! - cy) * my
  }
  return out
}

function pickVillage(seat: Seat, rng: Rng): number {
  return seat.villages.length > 0 ? rng.pick(seat.villages) : -1
}

// ---------------------------------------------------------------------------------------------
// School properties
// ---------------------------------------------------------------------------------------------

function buildSchool(
  i: number,
  rng: Rng,
  store: CampusStore,
  seats: readonly Seat[],
  reference: ReferenceData,
  counters: Map<string, number>,
  regionCode: (r: number) => string,
  regionName: (r: number) => string,
): SchoolFeature {
  const schoolType = DEMO_SCHOOL_TYPES[store.type[i]!]!
  const profile = TYPE_PROFILES[schoolType]
  const seat = seats[store.seat[i]!]!
  const region = store.region[i]!
  const urban = store.urban[i] === 1
  const villageIndex = store.village[i]!
  const village = villageIndex >= 0 && (schoolType === 'primary' || schoolType === 'kindergarten' || schoolType === 'nine_year') ? reference.villages[villageIndex] : undefined
  const villageName = village ? villageStem(village.name) : undefined

  const place = villageName ?? seat.place
  const key = `${place}|${profile.label}`
  const ordinal = (counters.get(key) ?? 0) + 1
  counters.set(key, ordinal)
  const name = villageName && ordinal === 1 ? `示例${place}${profile.label}（演示）` : `示例${place}第${chineseNumber(ordinal)}${profile.label}（演示）`

  const township = village?.townshipCode ? (reference.townships.find((t) => t.code === village.townshipCode)?.name ?? rng.pick(seat.townships)) : seat.townships.length > 0 ? rng.pick(seat.townships) : ''
  const street = `示例${rng.pick(STREET_WORDS)}${rng.pick(STREET_KINDS)}${rng.int(1, 300)}号`
  const address = `${regionName(region)}${township}${villageName ? `${villageName}村` : ''}${street}`

  const range = urban ? profile.students.urban : profile.students.rural
  const students = Math.round(rng.logRange(range[0], range[1]))
  const staff = Math.max(schoolType === 'kindergarten' ? 3 : 4, Math.round(students / rng.range(profile.perStaff[0], profile.perStaff[1])))
  const boarding = rng.chance(urban ? profile.boarding.urban : profile.boarding.rural)
  const [y0, y1] = profile.opened
  const year = schoolType === 'kindergarten' ? y1 - Math.floor((y1 - y0 + 1) * Math.pow(rng.next(), 1.8)) : rng.int(y0, y1)
  const openedOn = isoDay(randomDay(rng, Date.UTC(year, 0, 1), Date.UTC(year, 11, 31)))

  // gates on edges of the main part, preferring long edges
  const rings = store.rings(i)
  const [start, end] = rings[0]!
  const xy = store.xy
  const edgeLengths: number[] = []
  const mx = metresPerDegLon(xy[start + 1]!)
  const my = metresPerDegLat(xy[start + 1]!)
  for (let k = start; k < end - 2; k += 2) edgeLengths.push(Math.hypot((xy[k + 2]! - xy[k]!) * mx, (xy[k + 3]! - xy[k + 1]!) * my))
  const gateCount = Math.min(edgeLengths.length, rng.int(profile.gates[0], profile.gates[1]))
  const gates: [number, number][] = []
  const used = new Set<number>()
  while (gates.length < gateCount) {
    const e = rng.weighted(cumulate(edgeLengths.map((l, k) => (used.has(k) ? 0 : l))))
    used.add(e)
    const t = rng.range(0.2, 0.8)
    const k = start + 2 * e
    gates.push([round7(xy[k]! + t * (xy[k + 2]! - xy[k]!)), round7(xy[k + 1]! + t * (xy[k + 3]! - xy[k + 1]!))])
  }

  const polygons = rings.map(([s, e]) => {
    const ring: Position[] = []
    for (let k = s; k < e; k += 2) ring.push([xy[k]!, xy[k + 1]!])
    return [ring]
  })
  const geometry: Polygon | MultiPolygon = polygons.length === 1 ? { type: 'Polygon', coordinates: polygons[0]! } : { type: 'MultiPolygon', coordinates: polygons }
  return {
    type: 'Feature',
    properties: { name, schoolType, countyCode: regionCode(region), address, students, staff, boarding, openedOn, gates, demo: true },
    geometry,
  }
}
