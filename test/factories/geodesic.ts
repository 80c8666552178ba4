/**
 * Geodesic fixture builders and the independent oracle for zoning tests.
 *
 * Everything here is GeographicLib (the `geographiclib-geodesic` package) on the WGS84 ellipsoid:
 * points are placed with the direct problem and measured with the inverse problem, never with the
 * service's own code or PostGIS. Positions are [lon, lat] like GeoJSON; GeographicLib takes (lat, lon).
 *
 * Campus edges are geodesics between their vertices. PostGIS draws geography edges as great-circle
 * arcs of a sphere through the same vertices; for edges of a few hundred metres the two curves are
 * apart by about ℓ²·e²/(8R) ≈ 1e-5 m, far below the 1 cm the tests keep from any limit.
 */
import geodesic from 'geographiclib-geodesic'

export const WGS84 = geodesic.Geodesic.WGS84

export type LonLat = [number, number]

/** The point `distanceM` from `from` along `azimuth` (degrees clockwise from north), and the forward azimuth there. */
export function directWithAzimuth(from: readonly number[], azimuth: number, distanceM: number): { point: LonLat; azimuth: number } {
  const r = WGS84.Direct(from[1]!, from[0]!, azimuth, distanceM)
  return { point: [r.lon2!, r.lat2!], azimuth: r.azi2! }
}

/** The point `distanceM` from `from` along `azimuth`. */
export const direct = (from: readonly number[], azimuth: number, distanceM: number): LonLat =>
  directWithAzimuth(from, azimuth, distanceM).point

/** Geodesic distance (m) and the azimuths at both ends. */
export function inverse(a: readonly number[], b: readonly number[]): { distance: number; azi1: number; azi2: number } {
  const r = WGS84.Inverse(a[1]!, a[0]!, b[1]!, b[0]!)
  return { distance: r.s12!, azi1: r.azi1!, azi2: r.azi2! }
}

export const distance = (a: readonly number[], b: readonly number[]) => inverse(a, b).distance

/** A closed ring from a centre and vertices given as (azimuth, distance) from it. */
export function ringAround(centre: readonly number[], vertices: readonly (readonly [number, number])[]): LonLat[] {
  const ring = vertices.map(([azimuth, d]) => direct(centre, azimuth, d))
  return [...ring, ring[0]!]
}

/** A closed ring walked from a start vertex by (azimuth, length) legs; the last leg should come back to the start. */
export function ringByLegs(start: readonly number[], legs: readonly (readonly [number, number])[]): LonLat[] {
  const ring: LonLat[] = [[start[0]!, start[1]!]]
  for (const [azimuth, length] of legs.slice(0, -1)) ring.push(direct(ring[ring.length - 1]!, azimuth, length))
  return [...ring, ring[0]!]
}

/** The point at fraction t of the geodesic a→b, and the forward azimuth of that geodesic there. */
export function along(a: readonly number[], b: readonly number[], t: number): { point: LonLat; azimuth: number } {
  const { distance: length, azi1 } = inverse(a, b)
  return directWithAzimuth(a, azi1, t * length)
}

/**
 * A point `d` metres off the edge a→b, perpendicular to it at fraction t: to the right of the
 * direction of travel (outside, for a counter-clockwise exterior ring) unless side is 'left'.
 * Returns the point and the foot of the perpendicular on the edge.
 */
export function offEdge(
  a: readonly number[],
  b: readonly number[],
  t: number,
  d: number,
  side: 'right' | 'left' = 'right',
): { point: LonLat; foot: LonLat } {
  const { point: foot, azimuth } = along(a, b, t)
  return { point: direct(foot, azimuth + (side === 'right' ? 90 : -90), d), foot }
}

/** Mean of two azimuths (the bisector of the smaller angle between them). */
export function meanAzimuth(a: number, b: number): number {
  const x = Math.cos((a * Math.PI) / 180) + Math.cos((b * Math.PI) / 180)
  const y = Math.sin((a * Math.PI) / 180) + Math.sin((b * Math.PI) / 180)
  return (Math.atan2(y, x) * 180) / Math.PI
}

/**
 * A point `d` metres outside the convex corner `vertex` of a counter-clockwise ring (prev → vertex → next),
 * on the bisector of the exterior angle: between the outward normals of both edges, so the vertex itself
 * is the nearest point of the campus.
 */
export function offCorner(prev: readonly number[], vertex: readonly number[], next: readonly number[], d: number): LonLat {
  const inbound = inverse(prev, vertex).azi2
  const outbound = inverse(vertex, next).azi1
  return direct(vertex, meanAzimuth(inbound + 90, outbound + 90), d)
}

const GOLDEN = (Math.sqrt(5) - 1) / 2

/**
 * Distance from p to the geodesic segment a→b: the minimum over t of |p, point at t|, sampled and then
 * refined by golden-section search. Returns the distance, the nearest point and its fraction t.
 */
export function distanceToSegment(
  p: readonly number[],
  a: readonly number[],
  b: readonly number[],
): { distance: number; nearest: LonLat; t: number } {
  const { distance: length, azi1 } = inverse(a, b)
  const at = (t: number) => direct(a, azi1, t * length)
  const f = (t: number) => distance(p, at(t))
  const SAMPLES = 16
  let best = 0
  let bestValue = f(0)
  for (let i = 1; i <= SAMPLES; i += 1) {
    const value = f(i / SAMPLES)
    if (value < bestValue) {
      bestValue = value
      best = i
    }
  }
  let lo = Math.max(0, (best - 1) / SAMPLES)
  let hi = Math.min(1, (best + 1) / SAMPLES)
  let x1 = hi - GOLDEN * (hi - lo)
  let x2 = lo + GOLDEN * (hi - lo)
  let f1 = f(x1)
  let f2 = f(x2)
  while (hi - lo > 1e-11) {
    if (f1 <= f2) {
      hi = x2
      x2 = x1
      f2 = f1
      x1 = hi - GOLDEN * (hi - lo)
      f1 = f(x1)
    } else {
      lo = x1
      x1 = x2
      f1 = f2
      x2 = lo + GOLDEN * (hi - lo)
      f2 = f(x2)
    }
  }
  const candidates = [0, 1, (lo + hi) / 2].map((t) => ({ t, distance: f(t) }))
  const min = candidates.reduce((m, c) => (c.distance < m.distance ? c : m))
  return { distance: min.distance, nearest: at(min.t), t: min.t }
}

export type Campus = { type: 'Polygon'; coordinates: number[][][] } | { type: 'MultiPolygon'; coordinates: number[][][][] }

const polygonsOf = (campus: Campus): number[][][][] => (campus.type === 'Polygon' ? [campus.coordinates] : campus.coordinates)

/** Even-odd point in polygon in lon/lat (good enough to tell a fixture point inside a campus from one outside). */
function insidePolygon(p: readonly number[], rings: number[][][]): boolean {
  let inside = false
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 2; i < ring.length - 1; j = i, i += 1) {
      const [xi, yi] = ring[i]!
      const [xj, yj] = ring[j]!
      if (yi! > p[1]! !== yj! > p[1]! && p[0]! < ((xj! - xi!) * (p[1]! - yi!)) / (yj! - yi!) + xi!) inside = !inside
    }
  }
  return inside
}

/** Distance from p to a campus (0 inside), with the nearest boundary point: the minimum over every edge of every ring. */
export function distanceToCampus(p: readonly number[], campus: Campus): { distance: number; nearest: LonLat } {
  let best: { distance: number; nearest: LonLat } = { distance: Infinity, nearest: [NaN, NaN] }
  for (const polygon of polygonsOf(campus)) {
    if (insidePolygon(p, polygon)) return { distance: 0, nearest: [p[0]!, p[1]!] }
  }
  // Every point of an edge is within half its length of one of its ends, so an edge whose nearer end is
  // further than the best distance so far plus half its length cannot hold a nearer point.
  const edges = polygonsOf(campus).flatMap((polygon) =>
    polygon.flatMap((ring) => ring.slice(0, -1).map((a, i) => [a, ring[i + 1]!] as const)),
  )
  const bounded = edges
    .map(([a, b]) => ({ a, b, lower: Math.min(distance(p, a), distance(p, b)) - distance(a, b) / 2 }))
    .sort((x, y) => x.lower - y.lower)
  for (const { a, b, lower } of bounded) {
    if (lower > best.distance) break
    const found = distanceToSegment(p, a, b)
    if (found.distance < best.distance) best = found
  }
  return best
}

/** Distance from p to the nearest of some points (gates), with that point. */
export function distanceToPoints(p: readonly number[], points: readonly (readonly number[])[]): { distance: number; nearest: LonLat } {
  return points
    .map((q) => ({ distance: distance(p, q), nearest: [q[0]!, q[1]!] as LonLat }))
    .reduce((m, c) => (c.distance < m.distance ? c : m))
}

/** The oracle's rounding of a distance to 0.1 m, as the API reports it. */
export const round1 = (metres: number) => Math.round(metres * 10) / 10

/** Deterministic PRNG (mulberry32) for generated fixtures. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
