/**
 * Reach for the demo street network: a spatial hash over the network's segments, and the short lanes and
 * footways (or, far out, tracks) that join each school gate and premises to the nearest street, ending on a
 * vertex that is put into that street.
 */
import type { CampusStore } from './campus-store.ts'
import { metresPerDegLat, metresPerDegLon, pointSegmentDistance2 } from './planar.ts'
import { segmentCrossing, type Lines, type RoadTags } from './road-lines.ts'

/** a point this close (m) to a walkable street needs no lane of its own */
export const REACH_M = 50
/** cell sizes (degrees) of the segment hashes: a fine one for near searches, a coarse one for far ones */
const SEGMENT_CELLS = [0.0025, 0.04]
/** search radii (m) tried in turn for the nearest street; beyond the last, every segment is searched */
const SEARCH_RADII_M = [REACH_M, 400, 1600, 6400, 25_600, 102_400]

/** The network's kept segments, each a stretch between two vertices of one line, with a hash over their boxes. */
export class SegmentIndex {
  private readonly line: number[] = []
  private readonly t: number[] = []
  private readonly xy: number[] = []
  private readonly grids = SEGMENT_CELLS.map(() => new Map<number, number[]>())
  private stamp: number[] = []
  private query = 0

  get count(): number {
    return this.line.length
  }

  /** adds the segment of line `line` from (x0, y0) at t0 to (x1, y1) at t1 */
  add(line: number, t0: number, t1: number, x0: number, y0: number, x1: number, y1: number): void {
    const i = this.line.length
    this.line.push(line)
    this.t.push(t0, t1)
    this.xy.push(x0, y0, x1, y1)
    this.stamp.push(0)
    SEGMENT_CELLS.forEach((size, g) => {
      const grid = this.grids[g]!
      for (let ix = cell(Math.min(x0, x1), size); ix <= cell(Math.max(x0, x1), size); ix++) {
        for (let iy = cell(Math.min(y0, y1), size); iy <= cell(Math.max(y0, y1), size); iy++) {
          const k = key(ix, iy)
          const list = grid.get(k)
          if (list) list.push(i)
          else grid.set(k, [i])
        }
      }
    })
  }

  /** The nearest segment within maxM of P (all segments when maxM is Infinity) for which `ok` holds. */
  nearest(px: number, py: number, maxM: number, ok: (qx: number, qy: number) => boolean): Hit | undefined {
    const mx = metresPerDegLon(py)
    const my = metresPerDegLat(py)
    const found: Hit[] = []
    const consider = (i: number) => {
      const o = 4 * i
      const ax = (this.xy[o]! - px) * mx
      const ay = (this.xy[o + 1]! - py) * my
      const bx = (this.xy[o + 2]! - px) * mx
      const by = (this.xy[o + 3]! - py) * my
      const d = Math.sqrt(pointSegmentDistance2(0, 0, ax, ay, bx, by))
      if (d > maxM) return
      const len2 = (bx - ax) ** 2 + (by - ay) ** 2
      const s = len2 > 0 ? Math.min(1, Math.max(0, (-ax * (bx - ax) - ay * (by - ay)) / len2)) : 0
      found.push({ segment: i, line: this.line[i]!, distanceM: d, s, t: this.t[2 * i]! + s * (this.t[2 * i + 1]! - this.t[2 * i]!) })
    }
    if (maxM === Infinity) {
      for (let i = 0; i < this.line.length; i++) consider(i)
    } else {
      const q = ++this.query
      const g = maxM / my > 8 * SEGMENT_CELLS[0]! ? 1 : 0
      const size = SEGMENT_CELLS[g]!
      const [ix0, ix1] = [cell(px - maxM / mx, size), cell(px + maxM / mx, size)]
      const [iy0, iy1] = [cell(py - maxM / my, size), cell(py + maxM / my, size)]
      for (let ix = ix0; ix <= ix1; ix++) {
        for (let iy = iy0; iy <= iy1; iy++) {
          for (const i of this.grids[g]!.get(key(ix, iy)) ?? []) {
            if (this.stamp[i] === q) continue
            this.stamp[i] = q
            consider(i)
          }
        }
      }
    }
    found.sort((a, b) => a.distanceM - b.distanceM || a.segment - b.segment)
    for (const hit of found) {
      const [qx, qy] = this.at(hit)
      if (ok(qx, qy)) return hit
    }
    return undefined
  }

  /** the unrounded point of the hit on its segment */
  at(hit: Hit): [number, number] {
    const o = 4 * hit.segment
    return [this.xy[o]! + hit.s * (this.xy[o + 2]! - this.xy[o]!), this.xy[o + 1]! + hit.s * (this.xy[o + 3]! - this.xy[o + 1]!)]
  }

  /** the end (0 or 1) of the hit's segment, as its vertex coordinates */
  end(hit: Hit, which: 0 | 1): [number, number] {
    const o = 4 * hit.segment + 2 * which
    return [this.xy[o]!, this.xy[o + 1]!]
  }
}

/** The segment nearest to a point: which one, how far, and where on it. */
export interface Hit {
  segment: number
  line: number
  distanceM: number
  /** 0..1 along the segment */
  s: number
  /** 0..1 along the line */
  t: number
}

/** What a lane must not pass through: the railway (never) and campuses and the compound wall (if it can help it). */
export interface Obstacles {
  store: CampusStore
  /** the railway's track, flat lon/lat pairs */
  rail?: readonly number[]
  /** walls, each a closed ring of flat lon/lat pairs */
  walls: readonly (readonly number[])[]
}

const crossesPolyline = (ax: number, ay: number, bx: number, by: number, line: readonly number[]) => {
  for (let k = 0; k + 3 < line.length; k += 2)
    if (segmentCrossing(ax, ay, bx, by, line[k]!, line[k + 1]!, line[k + 2]!, line[k + 3]!)) return true
  return false
}

/**
 * Joins the point to the nearest street it can reach without crossing the railway (and, where it can, a wall
 * or a campus): nothing when one is within REACH_M, otherwise a lane to a vertex put into that street.
 * Returns the lane's end and length, or undefined when no lane is needed.
 */
export function reach(
  lines: Lines,
  index: SegmentIndex,
  obstacles: Obstacles,
  px: number,
  py: number,
): { qx: number; qy: number; lengthM: number } | undefined {
  const clearOfRail = (qx: number, qy: number) => !obstacles.rail || !crossesPolyline(px, py, qx, qy, obstacles.rail)
  const clear = (qx: number, qy: number) => {
    if (!clearOfRail(qx, qy)) return false
    for (const wall of obstacles.walls) if (crossesPolyline(px, py, qx, qy, wall)) return false
    for (const f of [0.25, 0.5, 0.75]) if (obstacles.store.distance(px + f * (qx - px), py + f * (qy - py), 0) === -1) return false
    return true
  }
  for (const radius of [...SEARCH_RADII_M, Infinity]) {
    const hit =
      index.nearest(px, py, radius, clear) ??
      index.nearest(px, py, radius, clearOfRail) ??
      (radius === Infinity ? index.nearest(px, py, radius, () => true) : undefined)
    if (!hit) continue
    if (radius === REACH_M) return undefined
    const line = lines.list[hit.line]!
    const [ax, ay] = index.end(hit, 0)
    const [bx, by] = index.end(hit, 1)
    const segmentM = Math.hypot((bx - ax) * metresPerDegLon(py), (by - ay) * metresPerDegLat(py))
    let q: [number, number]
    if (hit.s * segmentM < 0.5) q = index.end(hit, 0)
    else if ((1 - hit.s) * segmentM < 0.5) q = index.end(hit, 1)
    else {
      q = lines.point(line, hit.t)
      lines.addVertex(line, hit.t, q[0], q[1])
    }
    if (q[0] === px && q[1] === py) return undefined
    return { qx: q[0], qy: q[1], lengthM: hit.distanceM }
  }
  return undefined
}

/** the tags of the lane that joins a gate or premises to the street, by its length */
export function laneTags(kind: 'gate' | 'premises', lengthM: number): RoadTags {
  if (kind === 'gate') return lengthM <= 400 ? { highway: 'service' } : { highway: 'unclassified' }
  return lengthM <= 150 ? { highway: 'footway' } : lengthM <= 600 ? { highway: 'service' } : { highway: 'track' }
}

function cell(v: number, size: number): number {
  return Math.floor(v / size)
}
function key(ix: number, iy: number): number {
  return (ix + 80_000) * 160_000 + (iy + 40_000)
}
