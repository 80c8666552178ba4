/**
 * Streets that go round a campus: where a town street would cross one campus straight through, it is cut a
 * little wider than the campus and joined round it by three short lines (out, along the fence, back) —
 * only where that way round crosses no other road, campus, wall or the railway.
 */
import type { CampusStore } from './campus-store.ts'
import { metresPerDegLat, metresPerDegLon, pointInFlatRing, round7 } from './planar.ts'
import { isWalkable, segmentCrossing, type Line, type Lines } from './road-lines.ts'

/** gap (m) between the way round and the campus */
const DETOUR_GAP_M = 10
/** no way round a campus that reaches further than this (m) from the street */
const MAX_DETOUR_OFFSET_M = 150

/** A planned way round: the street's stretch t0..t1 is cut, and the way round runs offsetM to its left (< 0: right). */
export interface Detour {
  line: Line
  t0: number
  t1: number
  offsetM: number
}

/** metres per degree at the line's middle, and its unit direction in metres */
function lineFrame(lines: Lines, line: Line) {
  const lat = (line.y0 + line.y1) / 2
  const mx = metresPerDegLon(lat)
  const my = metresPerDegLat(lat)
  const lengthM = Math.max(1e-6, lines.lengthM(line))
  return { mx, my, lengthM, dx: ((line.x1 - line.x0) * mx) / lengthM, dy: ((line.y1 - line.y0) * my) / lengthM }
}

/** The way round the campus ring xy[s .. e) for a street that crosses it once, or undefined when there is none. */
export function planDetour(lines: Lines, line: Line, xy: Float64Array, s: number, e: number): Detour | undefined {
  const { mx, my, lengthM, dx, dy } = lineFrame(lines, line)
  let amin = Infinity
  let amax = -Infinity
  let cmin = Infinity
  let cmax = -Infinity
  for (let k = s; k < e; k += 2) {
    const px = (xy[k]! - line.x0) * mx
    const py = (xy[k + 1]! - line.y0) * my
    const along = px * dx + py * dy
    const across = -px * dy + py * dx
    amin = Math.min(amin, along)
    amax = Math.max(amax, along)
    cmin = Math.min(cmin, across)
    cmax = Math.max(cmax, across)
  }
  if (!(cmin < 0 && cmax > 0)) return undefined
  const offsetM = cmax < -cmin ? cmax + DETOUR_GAP_M : cmin - DETOUR_GAP_M
  const t0 = (amin - DETOUR_GAP_M) / lengthM
  const t1 = (amax + DETOUR_GAP_M) / lengthM
  if (Math.abs(offsetM) > MAX_DETOUR_OFFSET_M || t0 <= 0 || t1 >= 1) return undefined
  return { line, t0, t1, offsetM }
}

/** whether segment pq crosses a walkable line (but `own`, which it starts or ends on), a campus or one of the polylines */
function blocked(
  lines: Lines,
  own: Line,
  store: CampusStore,
  barriers: readonly (readonly number[])[],
  p: readonly number[],
  q: readonly number[],
): boolean {
  const [px, py, qx, qy] = [p[0]!, p[1]!, q[0]!, q[1]!]
  const [minx, maxx, miny, maxy] = [Math.min(px, qx), Math.max(px, qx), Math.min(py, qy), Math.max(py, qy)]
  for (const other of lines.list) {
    if (other === own || !isWalkable(other.tags.highway)) continue
    if (
      Math.max(other.x0, other.x1) < minx ||
      Math.min(other.x0, other.x1) > maxx ||
      Math.max(other.y0, other.y1) < miny ||
      Math.min(other.y0, other.y1) > maxy
    )
      continue
    if (segmentCrossing(px, py, qx, qy, other.x0, other.y0, other.x1, other.y1)) return true
  }
  for (const line of barriers) {
    for (let k = 0; k + 3 < line.length; k += 2)
      if (segmentCrossing(px, py, qx, qy, line[k]!, line[k + 1]!, line[k + 2]!, line[k + 3]!)) return true
  }
  return store.forEachNear(minx, miny, maxx, maxy, (i) => {
    for (const [s, e] of store.rings(i)) {
      if (pointInFlatRing(px, py, store.xy, s, e) || pointInFlatRing(qx, qy, store.xy, s, e)) return true
      for (let k = s; k < e - 2; k += 2)
        if (segmentCrossing(px, py, qx, qy, store.xy[k]!, store.xy[k + 1]!, store.xy[k + 2]!, store.xy[k + 3]!)) return true
    }
    return false
  })
}

/** Adds the ways round whose cut ends are still the ends of kept stretches and whose path is clear. */
export function addDetours(lines: Lines, detours: readonly Detour[], store: CampusStore, barriers: readonly (readonly number[])[]): void {
  for (const d of detours) {
    const stretches = lines.stretches(d.line)
    let before = false
    let after = false
    for (let k = 0; k < stretches.length; k += 2) {
      if (stretches[k + 1] === d.t0) before = true
      if (stretches[k] === d.t1) after = true
    }
    if (!before || !after) continue
    const { mx, my, dx, dy } = lineFrame(lines, d.line)
    const a = lines.point(d.line, d.t0)
    const b = lines.point(d.line, d.t1)
    const out = (p: [number, number]): [number, number] => [round7(p[0] + (-dy * d.offsetM) / mx), round7(p[1] + (dx * d.offsetM) / my)]
    const path = [a, out(a), out(b), b]
    if (path.slice(1).some((q, k) => blocked(lines, d.line, store, barriers, path[k]!, q))) continue
    for (let k = 0; k + 1 < path.length; k++)
      lines.add(path[k]![0], path[k]![1], path[k + 1]![0], path[k + 1]![1], d.line.tags, d.line.seat, false)
  }
}
