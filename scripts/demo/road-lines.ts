/**
 * The straight lines the demo street network is made of, with the vertices each one carries and the
 * stretches cut out of it. Roads connect only where they share a vertex, as in OpenStreetMap, so a
 * junction is one rounded position added to both lines; a cut removes a stretch and every vertex in it.
 */
import type { RoadKind } from '../../server/schemas/roads.ts'
import { metresPerDegLat, metresPerDegLon, round7 } from './planar.ts'

/** The OpenStreetMap `highway` values a road may have: the road kinds the service keeps. */
export type Highway = RoadKind

/** OpenStreetMap tags of a generated road. */
export interface RoadTags {
  highway: Highway
  name?: string
  oneway?: 'yes'
  foot?: 'yes' | 'no' | 'designated'
  access?: 'private' | 'destination'
  bridge?: 'yes'
  layer?: '1'
}

/** whether people may walk along a road of this kind (the motorway and cycleways they may not) */
export const isWalkable = (highway: Highway): boolean => highway !== 'motorway' && highway !== 'cycleway'

/** One straight road line from (x0, y0) to (x1, y1), lon/lat rounded to 7 decimals. */
export interface Line {
  x0: number
  y0: number
  x1: number
  y1: number
  tags: RoadTags
  /** the seat (town) whose street this is; -1 for roads between towns, lanes and the motorway */
  seat: number
  /** whether crossings with other lines become junctions (not for the motorway) */
  junctions: boolean
  /** vertices: position along the line (0..1) and rounded lon/lat */
  t: number[]
  x: number[]
  y: number[]
  /** removed stretches, [t0, t1] pairs */
  cuts: number[]
}

/** smallest stretch (m) of a cut line that is kept */
const MIN_STRETCH_M = 4
/** cell size (degrees) of the hash that finds crossing lines */
const CROSS_CELL = 0.01

/** The lines of the network, and the operations that make its topology. */
export class Lines {
  readonly list: Line[] = []

  /** adds a line (its ends become vertices) and returns it */
  add(x0: number, y0: number, x1: number, y1: number, tags: RoadTags, seat: number, junctions = true): Line {
    const line: Line = {
      x0: round7(x0),
      y0: round7(y0),
      x1: round7(x1),
      y1: round7(y1),
      tags,
      seat,
      junctions,
      t: [],
      x: [],
      y: [],
      cuts: [],
    }
    line.t.push(0, 1)
    line.x.push(line.x0, line.x1)
    line.y.push(line.y0, line.y1)
    this.list.push(line)
    return line
  }

  /** adds a vertex at t with exactly these (rounded) coordinates */
  addVertex(line: Line, t: number, x: number, y: number): void {
    line.t.push(t)
    line.x.push(x)
    line.y.push(y)
  }

  /** the rounded position at t along the line */
  point(line: Line, t: number): [number, number] {
    if (t <= 0) return [line.x0, line.y0]
    if (t >= 1) return [line.x1, line.y1]
    return [round7(line.x0 + t * (line.x1 - line.x0)), round7(line.y0 + t * (line.y1 - line.y0))]
  }

  /** length in metres (local planar) */
  lengthM(line: Line): number {
    const lat = (line.y0 + line.y1) / 2
    return Math.hypot((line.x1 - line.x0) * metresPerDegLon(lat), (line.y1 - line.y0) * metresPerDegLat(lat))
  }

  /** removes the stretch t0..t1 (clamped to the line) */
  cut(line: Line, t0: number, t1: number): void {
    line.cuts.push(Math.max(0, Math.min(t0, t1)), Math.min(1, Math.max(t0, t1)))
  }

  /** Puts a shared vertex at every crossing of two lines that both take junctions. */
  joinCrossings(): void {
    const grid = new Map<number, number[]>()
    this.list.forEach((line, i) => {
      if (!line.junctions) return
      const [ix0, iy0, ix1, iy1] = cells(
        Math.min(line.x0, line.x1),
        Math.min(line.y0, line.y1),
        Math.max(line.x0, line.x1),
        Math.max(line.y0, line.y1),
      )
      for (let ix = ix0; ix <= ix1; ix++)
        for (let iy = iy0; iy <= iy1; iy++) (grid.get(key(ix, iy)) ?? grid.set(key(ix, iy), []).get(key(ix, iy))!).push(i)
    })
    for (const [cell, members] of grid) {
      for (let m = 0; m < members.length; m++) {
        for (let n = m + 1; n < members.length; n++) {
          const a = this.list[members[m]!]!
          const b = this.list[members[n]!]!
          const hit = crossing(a, b)
          if (!hit) continue
          const [ta, tb, x, y] = hit
          // each crossing once: in the cell that holds it
          if (key(Math.floor(x / CROSS_CELL), Math.floor(y / CROSS_CELL)) !== cell) continue
          const px = round7(x)
          const py = round7(y)
          this.addVertex(a, ta, px, py)
          this.addVertex(b, tb, px, py)
        }
      }
    }
  }

  /** the stretches of the line left after its cuts, [t0, t1] pairs, each at least MIN_STRETCH_M long */
  stretches(line: Line): number[] {
    const pairs: [number, number][] = []
    for (let k = 0; k < line.cuts.length; k += 2) pairs.push([line.cuts[k]!, line.cuts[k + 1]!])
    pairs.sort((p, q) => p[0] - q[0] || p[1] - q[1])
    const minT = MIN_STRETCH_M / Math.max(1e-9, this.lengthM(line))
    const out: number[] = []
    let start = 0
    for (const [c0, c1] of pairs) {
      if (c0 > start && c0 - start >= minT) out.push(start, c0)
      start = Math.max(start, c1)
    }
    if (start < 1 && 1 - start >= minT) out.push(start, 1)
    return out
  }

  /** The vertices of the stretch t0..t1, in order, without repeated positions: flat lon/lat pairs and their t. */
  run(line: Line, t0: number, t1: number): { xy: number[]; t: number[] } {
    const order: number[] = []
    for (let k = 0; k < line.t.length; k++) if (line.t[k]! > t0 && line.t[k]! < t1) order.push(k)
    order.sort((p, q) => line.t[p]! - line.t[q]!)
    const xy: number[] = []
    const ts: number[] = []
    const push = (x: number, y: number, t: number) => {
      if (xy.length > 0 && xy[xy.length - 2] === x && xy[xy.length - 1] === y) return
      xy.push(x, y)
      ts.push(t)
    }
    const [sx, sy] = this.point(line, t0)
    push(sx, sy, t0)
    for (const k of order) push(line.x[k]!, line.y[k]!, line.t[k]!)
    const [ex, ey] = this.point(line, t1)
    push(ex, ey, t1)
    return { xy, t: ts }
  }
}

/** where two lines cross strictly inside both: [ta, tb, lon, lat], or undefined */
export function crossing(a: Line, b: Line): [number, number, number, number] | undefined {
  return segmentCrossing(a.x0, a.y0, a.x1, a.y1, b.x0, b.y0, b.x1, b.y1)
}

/** where segments AB and CD cross strictly inside both: [tAB, tCD, x, y], or undefined (also when parallel) */
export function segmentCrossing(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  cx: number,
  cy: number,
  dx: number,
  dy: number,
): [number, number, number, number] | undefined {
  const rx = bx - ax
  const ry = by - ay
  const sx = dx - cx
  const sy = dy - cy
  const d = rx * sy - ry * sx
  if (Math.abs(d) <= 1e-6 * Math.hypot(rx, ry) * Math.hypot(sx, sy)) return undefined
  const ta = ((cx - ax) * sy - (cy - ay) * sx) / d
  const tb = ((cx - ax) * ry - (cy - ay) * rx) / d
  const eps = 1e-9
  if (ta <= eps || ta >= 1 - eps || tb <= eps || tb >= 1 - eps) return undefined
  return [ta, tb, ax + ta * rx, ay + ta * ry]
}

function cells(minx: number, miny: number, maxx: number, maxy: number): [number, number, number, number] {
  return [Math.floor(minx / CROSS_CELL), Math.floor(miny / CROSS_CELL), Math.floor(maxx / CROSS_CELL), Math.floor(maxy / CROSS_CELL)]
}
function key(ix: number, iy: number): number {
  return (ix + 20_000) * 40_000 + (iy + 20_000)
}
