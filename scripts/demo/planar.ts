/**
 * Small geometry helpers for the demo generator: degrees to local planar metres around a point, and
 * segment and ring tests on flat coordinate arrays. Approximations that are good enough for placing
 * fictional campuses; the service decides distances geodesically.
 */
import type { Position } from 'geojson'

/** degrees to radians */
export const RAD = Math.PI / 180
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

/** [minLon, minLat, maxLon, maxLat] of the positions of all the rings */
export function ringsBbox(rings: readonly Position[][]): [number, number, number, number] {
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
  return [minLon, minLat, maxLon, maxLat]
}

/** rounds to 7 decimals (about 1 cm), the precision of the generated coordinates */
export const round7 = (v: number): number => Math.round(v * 1e7) / 1e7

/** twice the signed area of triangle ABC: > 0 when C lies left of AB */
function orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
}

/** with P collinear with AB: whether P lies within AB's bounding box, hence on the segment */
function onSegment(ax: number, ay: number, bx: number, by: number, px: number, py: number): boolean {
  return Math.min(ax, bx) <= px && px <= Math.max(ax, bx) && Math.min(ay, by) <= py && py <= Math.max(ay, by)
}

/** True when segments AB and CD share any point */
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

/** squared distance from point P to segment AB */
export function pointSegmentDistance2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const vx = bx - ax
  const vy = by - ay
  const len2 = vx * vx + vy * vy
  let t = len2 > 0 ? ((px - ax) * vx + (py - ay) * vy) / len2 : 0
  t = t < 0 ? 0 : t > 1 ? 1 : t
  const qx = ax + t * vx - px
  const qy = ay + t * vy - py
  return qx * qx + qy * qy
}

/** Even-odd test against a closed ring stored flat in xy[start .. end) (pairs, last = first) */
export function pointInFlatRing(px: number, py: number, xy: Float64Array, start: number, end: number): boolean {
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
export function segmentTouchesRect(
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  minx: number,
  miny: number,
  maxx: number,
  maxy: number,
): boolean {
  if (Math.max(x1, x2) < minx || Math.min(x1, x2) > maxx || Math.max(y1, y2) < miny || Math.min(y1, y2) > maxy) return false
  const s1 = orient(x1, y1, x2, y2, minx, miny)
  const s2 = orient(x1, y1, x2, y2, maxx, miny)
  const s3 = orient(x1, y1, x2, y2, maxx, maxy)
  const s4 = orient(x1, y1, x2, y2, minx, maxy)
  return !((s1 > 0 && s2 > 0 && s3 > 0 && s4 > 0) || (s1 < 0 && s2 < 0 && s3 < 0 && s4 < 0))
}

/** Flat lon/lat pairs xy[s .. e) as local metres around (cx, cy) */
export function toMetres(xy: Float64Array, s: number, e: number, cx: number, cy: number, mx: number, my: number): Float64Array {
  const out = new Float64Array(e - s)
  for (let k = s; k < e; k += 2) {
    out[k - s] = (xy[k]! - cx) * mx
    out[k - s + 1] = (xy[k + 1]! - cy) * my
  }
  return out
}

/** True when two closed flat rings (in metres) intersect, nest, or come closer than gap */
export function ringsTooClose(a: Float64Array, b: Float64Array, gap: number): boolean {
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
