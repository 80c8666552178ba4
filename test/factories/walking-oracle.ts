/**
 * An independent oracle for walking distances: a plain Dijkstra (array scan, no heap) over the roads as
 * given to the import, with GeographicLib segment lengths; the nearest road point is found in the local
 * frame the definition names (east scaled by kx = cos φ (1 − e² sin² φ) / (1 − e²) at the point's latitude).
 * It shares no code with the service.
 */
import geodesic from 'geographiclib-geodesic'

type Position = [number, number]
const WGS84 = geodesic.Geodesic.WGS84
const E2 = 0.00669437999014
const distance = (a: Position, b: Position) => WGS84.Inverse(a[1], a[0], b[1], b[0]).s12!

interface Snap {
  from: string
  to: string
  length: number
  t: number
  connector: number
}

export interface OracleRoad {
  coordinates: Position[]
  walkable: boolean
}

export class WalkingOracle {
  private readonly edges: { a: string; b: string; pa: Position; pb: Position; length: number }[] = []
  constructor(roads: readonly OracleRoad[]) {
    for (const road of roads) {
      if (!road.walkable) continue
      for (let i = 0; i + 1 < road.coordinates.length; i += 1) {
        const pa = road.coordinates[i]!
        const pb = road.coordinates[i + 1]!
        this.edges.push({ a: pa.join(','), b: pb.join(','), pa, pb, length: distance(pa, pb) })
      }
    }
  }

  private snap(p: Position): Snap | null {
    const phi = (p[1] * Math.PI) / 180
    const kx = (Math.cos(phi) * (1 - E2 * Math.sin(phi) ** 2)) / (1 - E2)
    let best: Snap | null = null
    for (const e of this.edges) {
      const ax = e.pa[0] * kx
      const ay = e.pa[1]
      const dx = e.pb[0] * kx - ax
      const dy = e.pb[1] - ay
      const len2 = dx * dx + dy * dy
      const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((p[0] * kx - ax) * dx + (p[1] - ay) * dy) / len2))
      const q: Position = [e.pa[0] + t * (e.pb[0] - e.pa[0]), e.pa[1] + t * (e.pb[1] - e.pa[1])]
      const connector = distance(p, q)
      if (!best || connector < best.connector) best = { from: e.a, to: e.b, length: e.length, t, connector }
    }
    return best
  }

  /** The walking distance from a gate to a point, or null where the network cannot measure it (connector > 100 m, no path). */
  walking(gate: Position, point: Position): number | null {
    const g = this.snap(gate)
    const p = this.snap(point)
    if (!g || !p || g.connector > 100 || p.connector > 100) return null
    const dist = new Map<string, number>()
    const done = new Set<string>()
    dist.set(g.from, g.t * g.length)
    dist.set(g.to, Math.min(dist.get(g.to) ?? Infinity, (1 - g.t) * g.length))
    for (;;) {
      let u: string | undefined
      let du = Infinity
      for (const [v, d] of dist) if (!done.has(v) && d < du) [u, du] = [v, d]
      if (u === undefined) break
      done.add(u)
      for (const e of this.edges) {
        const v = e.a === u ? e.b : e.b === u ? e.a : undefined
        if (v !== undefined && du + e.length < (dist.get(v) ?? Infinity)) dist.set(v, du + e.length)
      }
    }
    let along = Math.min((dist.get(p.from) ?? Infinity) + p.t * p.length, (dist.get(p.to) ?? Infinity) + (1 - p.t) * p.length)
    if (p.from === g.from && p.to === g.to) along = Math.min(along, Math.abs(p.t - g.t) * p.length)
    return Number.isFinite(along) ? g.connector + along + p.connector : null
  }

  /** Straight geodesic distance. */
  straight(a: Position, b: Position): number {
    return distance(a, b)
  }
}
