/** The placed campuses kept compact (flat typed arrays and a spatial hash), for overlap tests and distance queries. */
import { metresPerDegLat, metresPerDegLon, pointInFlatRing, pointSegmentDistance2 } from './planar.ts'

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

/** What a campus is besides its rings: indices into the type list, regions, seats and villages. */
export interface CampusMeta {
  type: number
  region: number
  seat: number
  /** village index, -1 when named after the seat */
  village: number
  urban: boolean
}

/** Campuses as flat closed rings, with a spatial hash over their bounding boxes; grows as campuses are added. */
export class CampusStore {
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

  /** adds one campus (its parts as flat closed rings) and returns its index */
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
          const d2 = pointSegmentDistance2(
            0,
            0,
            (xy[k]! - lon) * mx,
            (xy[k + 1]! - lat) * my,
            (xy[k + 2]! - lon) * mx,
            (xy[k + 3]! - lat) * my,
          )
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
