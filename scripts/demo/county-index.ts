/** Which county contains a point: a grid of pure and mixed cells, with per-row ray casting in the mixed ones. */
import type { CountyRef } from './reference.ts'
import { ringsBbox, segmentTouchesRect } from './planar.ts'

const MIXED = -2

/** The county outlines indexed for fast point-in-county and boundary-near-rectangle tests. */
export class CountyIndex {
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
    const rings = counties.flatMap((county) => county.rings)
    const [minLon, minLat, maxLon, maxLat] = ringsBbox(rings)
    const edgeCount = rings.reduce((sum, ring) => sum + ring.length - 1, 0)
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
