import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Feature, Geometry, LineString, Point } from 'geojson'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { createRegistryGenerator } from '../../scripts/demo/generator.ts'
import { metresPerDegLat, metresPerDegLon } from '../../scripts/demo/planar.ts'
import { loadReferenceData, type ReferenceData } from '../../scripts/demo/reference.ts'
import type { RoadFeature } from '../../scripts/demo/roads.ts'
import { ROAD_KINDS } from '../../server/schemas/roads.ts'

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 })

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const dataDir = path.join(root, 'data')
const walkable = (f: RoadFeature) =>
  f.properties.highway !== undefined && f.properties.highway !== 'motorway' && f.properties.highway !== 'cycleway'
const decimals = (v: number) => (String(v).split('.')[1] ?? '').length
const shipped = <G extends Geometry>(file: string) =>
  JSON.parse(readFileSync(path.join(dataDir, 'demo', file), 'utf8')) as { features: Feature<G, Record<string, unknown>>[] }

/** planar metres between two lon/lat points */
function metres(a: readonly number[], b: readonly number[]): number {
  const lat = (a[1]! + b[1]!) / 2
  return Math.hypot((a[0]! - b[0]!) * metresPerDegLon(lat), (a[1]! - b[1]!) * metresPerDegLat(lat))
}

/** strict crossing of segments ab and cd (not touching at an end) */
function properCross(a: readonly number[], b: readonly number[], c: readonly number[], d: readonly number[]): boolean {
  const o = (p: readonly number[], q: readonly number[], r: readonly number[]) =>
    Math.sign((q[0]! - p[0]!) * (r[1]! - p[1]!) - (q[1]! - p[1]!) * (r[0]! - p[0]!))
  return o(a, b, c) * o(a, b, d) < 0 && o(c, d, a) * o(c, d, b) < 0
}

/** The walkable network as a graph over shared vertex coordinates, with a hash for nearest-segment lookups. */
class Network {
  readonly ids = new Map<string, number>()
  readonly xy: number[][] = []
  readonly edges: [number, number, number][] = []
  readonly adjacency: [number, number][][] = []
  private readonly parent: number[] = []
  private readonly grid = new Map<string, number[]>()
  private static readonly CELL = 0.002

  constructor(features: readonly RoadFeature[], keep: (a: number[], b: number[], f: RoadFeature) => boolean = () => true) {
    for (const f of features) {
      if (!walkable(f)) continue
      const c = f.geometry.coordinates
      for (let k = 0; k + 1 < c.length; k++) {
        if (!keep(c[k]!, c[k + 1]!, f)) continue
        const a = this.vertex(c[k]!)
        const b = this.vertex(c[k + 1]!)
        const e = this.edges.length
        this.edges.push([a, b, metres(c[k]!, c[k + 1]!)])
        this.adjacency[a]!.push([b, this.edges[e]![2]])
        this.adjacency[b]!.push([a, this.edges[e]![2]])
        this.union(a, b)
        const [x0, x1] = [Math.min(c[k]![0]!, c[k + 1]![0]!), Math.max(c[k]![0]!, c[k + 1]![0]!)]
        const [y0, y1] = [Math.min(c[k]![1]!, c[k + 1]![1]!), Math.max(c[k]![1]!, c[k + 1]![1]!)]
        for (let ix = Math.floor(x0 / Network.CELL); ix <= Math.floor(x1 / Network.CELL); ix++) {
          for (let iy = Math.floor(y0 / Network.CELL); iy <= Math.floor(y1 / Network.CELL); iy++) {
            const key = `${ix},${iy}`
            ;(this.grid.get(key) ?? this.grid.set(key, []).get(key)!).push(e)
          }
        }
      }
    }
  }

  private vertex(p: readonly number[]): number {
    const key = `${p[0]},${p[1]}`
    let id = this.ids.get(key)
    if (id === undefined) {
      id = this.xy.length
      this.ids.set(key, id)
      this.xy.push([p[0]!, p[1]!])
      this.adjacency.push([])
      this.parent.push(id)
    }
    return id
  }

  find(a: number): number {
    while (this.parent[a] !== a) a = this.parent[a] = this.parent[this.parent[a]!]!
    return a
  }

  private union(a: number, b: number): void {
    const [ra, rb] = [this.find(a), this.find(b)]
    if (ra !== rb) this.parent[ra] = rb
  }

  /** the nearest edge within maxM: its index, the distance, and the costs to its two ends through the foot of the perpendicular */
  nearest(p: readonly number[], maxM: number): { edge: number; distanceM: number; toA: number; toB: number } | undefined {
    const mx = metresPerDegLon(p[1]!)
    const my = metresPerDegLat(p[1]!)
    let best: { edge: number; distanceM: number; toA: number; toB: number } | undefined
    const [ix0, ix1] = [Math.floor((p[0]! - maxM / mx) / Network.CELL), Math.floor((p[0]! + maxM / mx) / Network.CELL)]
    const [iy0, iy1] = [Math.floor((p[1]! - maxM / my) / Network.CELL), Math.floor((p[1]! + maxM / my) / Network.CELL)]
    for (let ix = ix0; ix <= ix1; ix++) {
      for (let iy = iy0; iy <= iy1; iy++) {
        for (const e of this.grid.get(`${ix},${iy}`) ?? []) {
          const [a, b, len] = this.edges[e]!
          const ax = (this.xy[a]![0]! - p[0]!) * mx
          const ay = (this.xy[a]![1]! - p[1]!) * my
          const bx = (this.xy[b]![0]! - p[0]!) * mx
          const by = (this.xy[b]![1]! - p[1]!) * my
          const l2 = (bx - ax) ** 2 + (by - ay) ** 2
          const s = l2 > 0 ? Math.min(1, Math.max(0, (-ax * (bx - ax) - ay * (by - ay)) / l2)) : 0
          const d = Math.hypot(ax + s * (bx - ax), ay + s * (by - ay))
          if (d <= maxM && (!best || d < best.distanceM)) best = { edge: e, distanceM: d, toA: d + s * len, toB: d + (1 - s) * len }
        }
      }
    }
    return best
  }

  /** walking distances (m) from a point to every vertex (plain Dijkstra) */
  walkFrom(p: readonly number[]): Float64Array {
    const dist = new Float64Array(this.xy.length).fill(Infinity)
    const start = this.nearest(p, 60)
    if (!start) return dist
    const heap: [number, number][] = []
    const push = (v: number, d: number) => {
      if (d >= dist[v]!) return
      dist[v] = d
      heap.push([d, v])
      let i = heap.length - 1
      while (i > 0 && heap[(i - 1) >> 1]![0] > heap[i]![0]) {
        ;[heap[i], heap[(i - 1) >> 1]] = [heap[(i - 1) >> 1]!, heap[i]!]
        i = (i - 1) >> 1
      }
    }
    const pop = (): [number, number] => {
      const top = heap[0]!
      const last = heap.pop()!
      if (heap.length > 0) {
        heap[0] = last
        let i = 0
        for (;;) {
          const l = 2 * i + 1
          const r = l + 1
          let m = i
          if (l < heap.length && heap[l]![0] < heap[m]![0]) m = l
          if (r < heap.length && heap[r]![0] < heap[m]![0]) m = r
          if (m === i) break
          ;[heap[i], heap[m]] = [heap[m]!, heap[i]!]
          i = m
        }
      }
      return top
    }
    const [a, b] = this.edges[start.edge]!
    push(a, start.toA)
    push(b, start.toB)
    while (heap.length > 0) {
      const [d, v] = pop()
      if (d > dist[v]!) continue
      for (const [w, len] of this.adjacency[v]!) push(w, d + len)
    }
    return dist
  }

  /** walking distance to a point, given the distances from the source */
  walkTo(dist: Float64Array, p: readonly number[]): number {
    const end = this.nearest(p, 60)
    if (!end) return Infinity
    const [a, b] = this.edges[end.edge]!
    return Math.min(dist[a]! + end.toA, dist[b]! + end.toB)
  }
}

let reference: ReferenceData
let small: { roads: RoadFeature[]; gates: number[][]; premises: number[][] }
let demo: { roads: RoadFeature[]; gates: number[][]; premises: number[][] }

beforeAll(() => {
  reference = loadReferenceData(dataDir)
  const g = createRegistryGenerator({ schools: 80, premises: 600, seed: 21 }, reference)
  small = {
    roads: g.roads(),
    gates: [...g.schools()].flatMap((s) => s.properties.gates),
    premises: [...g.premises()].map((p) => p.geometry.coordinates),
  }
  demo = {
    roads: shipped<LineString>('roads.geojson').features as RoadFeature[],
    gates: shipped('schools.geojson').features.flatMap((s) => s.properties.gates as number[][]),
    premises: shipped<Point>('premises.geojson').features.map((p) => p.geometry.coordinates),
  }
})

describe('demo street network', () => {
  it('is deterministic and follows the seed', () => {
    const a = createRegistryGenerator({ schools: 40, premises: 300, seed: 5 }, reference).roads()
    const b = createRegistryGenerator({ schools: 40, premises: 300, seed: 5 }, reference).roads()
    const c = createRegistryGenerator({ schools: 40, premises: 300, seed: 6 }, reference).roads()
    expect(JSON.stringify(a)).toBe(JSON.stringify(b))
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(c))
  })

  it('ships data/demo/roads.geojson as the generator makes it', () => {
    const generator = createRegistryGenerator({ schools: 600, premises: 4000 }, reference)
    expect(JSON.stringify(demo.roads)).toBe(JSON.stringify(generator.roads()))
  })

  it('tags every road with a known highway value and draws lines of at least two distinct 7-decimal positions', () => {
    for (const roads of [small.roads, demo.roads]) {
      for (const f of roads) {
        expect(f.geometry.type).toBe('LineString')
        const kinds = ['highway', 'railway', 'barrier'].filter((k) => k in f.properties)
        expect(kinds).toHaveLength(1)
        if (f.properties.highway !== undefined) expect(ROAD_KINDS).toContain(f.properties.highway)
        const c = f.geometry.coordinates
        expect(new Set(c.map((p) => `${p[0]},${p[1]}`)).size).toBeGreaterThanOrEqual(2)
        for (const p of c) expect(Math.max(decimals(p[0]!), decimals(p[1]!))).toBeLessThanOrEqual(7)
        if (f.properties.name !== undefined) expect(f.properties.name.startsWith('示例')).toBe(true)
      }
      expect(roads.filter((f) => f.properties.railway === 'rail')).toHaveLength(1)
    }
  })

  it('reaches every gate and premises within 60 m by walkable roads that are all one connected network', () => {
    for (const { roads, gates, premises } of [small, demo]) {
      const network = new Network(roads)
      const components = new Set<number>()
      for (const p of [...gates, ...premises]) {
        const hit = network.nearest(p, 60)
        expect(hit, JSON.stringify(p)).toBeDefined()
        components.add(network.find(network.edges[hit!.edge]![0]))
      }
      expect(components.size).toBe(1)
    }
  })

  it('reaches every gate and premises in bbox mode too', () => {
    const g = createRegistryGenerator({ schools: 120, premises: 600, seed: 11, bbox: [110, 30, 110.6, 30.5] }, reference)
    const network = new Network(g.roads())
    for (const p of [...[...g.schools()].flatMap((s) => s.properties.gates), ...[...g.premises()].map((q) => q.geometry.coordinates)]) {
      expect(network.nearest(p, 60), JSON.stringify(p)).toBeDefined()
    }
  })

  it('crosses the railway in the city at exactly one level crossing', () => {
    const rail = demo.roads.find((f) => f.properties.railway === 'rail')!.geometry.coordinates
    const [a, b] = [rail[0]!, rail.at(-1)!]
    const middle = [(a[0]! + b[0]!) / 2, (a[1]! + b[1]!) / 2]
    const radiusM = 2000
    const side = (p: readonly number[]) => Math.sign((b[0]! - a[0]!) * (p[1]! - a[1]!) - (b[1]! - a[1]!) * (p[0]! - a[0]!))
    const onRail = (p: number[]) => rail.some((v) => v[0] === p[0] && v[1] === p[1])
    const touchesRail = (p: number[], q: number[]) => onRail(p) || onRail(q) || rail.slice(1).some((r, k) => properCross(p, q, rail[k]!, r))
    const inCity = (p: number[], q: number[]) => metres(p, middle) < radiusM && metres(q, middle) < radiusM
    const crossing = demo.roads.filter(
      (f) => walkable(f) && f.geometry.coordinates.some((p, k, c) => k > 0 && inCity(c[k - 1]!, p) && touchesRail(c[k - 1]!, p)),
    )
    expect(crossing).toHaveLength(1)
    const bothSides = (network: Network) => {
      const sides = new Map<number, Set<number>>()
      network.xy.forEach((p, v) => {
        if (side(p) === 0 || metres(p, middle) > radiusM) return
        const r = network.find(v)
        ;(sides.get(r) ?? sides.set(r, new Set()).get(r)!).add(side(p))
      })
      return [...sides.values()].some((s) => s.size === 2)
    }
    expect(bothSides(new Network(demo.roads, (p, q) => inCity(p, q)))).toBe(true)
    expect(bothSides(new Network(demo.roads, (p, q) => inCity(p, q) && !touchesRail(p, q)))).toBe(false)
  })

  it('joins the motorway and the railway to the walkable roads at exactly one vertex each', () => {
    const walkableVertices = new Set(demo.roads.filter(walkable).flatMap((f) => f.geometry.coordinates.map((p) => `${p[0]},${p[1]}`)))
    const shared = (pick: (f: RoadFeature) => boolean) =>
      new Set(
        demo.roads
          .filter(pick)
          .flatMap((f) => f.geometry.coordinates.map((p) => `${p[0]},${p[1]}`))
          .filter((k) => walkableVertices.has(k)),
      ).size
    expect(shared((f) => f.properties.highway === 'motorway')).toBe(1)
    expect(shared((f) => f.properties.railway === 'rail')).toBe(1)
  })

  it('has a bridge over another road without a shared vertex, and a walled compound no street runs through', () => {
    const bridges = demo.roads.filter((f) => f.properties.bridge === 'yes')
    const others = demo.roads.filter((f) => f.properties.highway !== undefined && f.properties.bridge !== 'yes')
    const over = bridges.some((bridge) =>
      bridge.geometry.coordinates.some(
        (p, k, c) =>
          k > 0 && others.some((o) => o.geometry.coordinates.some((q, m, d) => m > 0 && properCross(c[k - 1]!, p, d[m - 1]!, q))),
      ),
    )
    expect(over).toBe(true)
    const wall = demo.roads.find((f) => f.properties.barrier === 'wall')!.geometry.coordinates
    expect(wall[0]).toEqual(wall.at(-1))
    const streets = demo.roads.filter((f) =>
      ['primary', 'secondary', 'tertiary', 'residential', 'living_street', 'pedestrian'].includes(f.properties.highway ?? ''),
    )
    for (const s of streets) {
      const c = s.geometry.coordinates
      for (let k = 1; k < c.length; k++)
        for (let w = 1; w < wall.length; w++) expect(properCross(c[k - 1]!, c[k]!, wall[w - 1]!, wall[w]!)).toBe(false)
    }
  })

  it('makes some walks from a school gate to premises more than twice the straight distance', () => {
    const network = new Network(demo.roads)
    const rail = demo.roads.find((f) => f.properties.railway === 'rail')!.geometry.coordinates
    const middle = [(rail[0]![0]! + rail.at(-1)![0]!) / 2, (rail[0]![1]! + rail.at(-1)![1]!) / 2]
    // gates in the city, where the railway, the compound and the campuses make detours
    const cityGates = demo.gates.filter((g) => metres(g, middle) < 3000).slice(0, 40)
    let found = false
    for (const gate of cityGates) {
      const dist = network.walkFrom(gate)
      for (const p of demo.premises) {
        const straight = metres(gate, p)
        if (straight < 100 || straight > 1500) continue
        if (network.walkTo(dist, p) > 2 * straight) {
          found = true
          break
        }
      }
      if (found) break
    }
    expect(found).toBe(true)
  })
})
