/**
 * The demo street network: GeoJSON LineStrings tagged as OpenStreetMap tags them (`highway`, `name`, …),
 * connected only where they share a vertex. Town streets, roads between towns and a motorway are laid
 * (road-towns.ts), joined at their crossings, cut at campuses, a walled compound and a railway
 * (road-barriers.ts), led round campuses where the way is clear (road-detours.ts); stray pieces are dropped and every school gate and premises gets a lane to the
 * street nearest to it (road-reach.ts). Fictional, deterministic, from its own random stream.
 */
import type { Feature, LineString } from 'geojson'
import { nameStreets } from './addresses.ts'
import type { CampusStore } from './campus-store.ts'
import { Rng, STREAM_ADDRESSES, STREAM_ROADS } from './random.ts'
import { cityBarriers, cutAtCampuses, type CityBarriers } from './road-barriers.ts'
import { addDetours } from './road-detours.ts'
import { isWalkable, Lines, type Line, type RoadTags } from './road-lines.ts'
import { laneTags, reach, SegmentIndex } from './road-reach.ts'
import { addMotorway, addRoadsBetweenTowns, addTownStreets, type Town } from './road-towns.ts'
import type { Seat } from './seats.ts'

/** lanes longer than this (m) may be joined by later lanes */
const BRANCHING_LANE_M = 600

/** A generated road (or the railway or a wall): a LineString with OpenStreetMap tags. */
export type RoadFeature = Feature<LineString, Record<string, string>>

/** What the network is built around. */
export interface RoadInput {
  seed: number
  seats: readonly Seat[]
  store: CampusStore
  /** school gates, flat lon/lat pairs */
  gates: readonly number[]
  /** premises, flat lon/lat pairs */
  premises: readonly number[]
  /** synthetic towns (bbox mode) rather than Guyuan's */
  bboxMode: boolean
}

/** Union–find over vertex ids. */
class Components {
  private readonly parent: number[] = []
  private readonly ids = new Map<string, number>()

  id(x: number, y: number): number {
    const k = `${x},${y}`
    let id = this.ids.get(k)
    if (id === undefined) {
      id = this.parent.length
      this.parent.push(id)
      this.ids.set(k, id)
    }
    return id
  }

  has(x: number, y: number): boolean {
    return this.ids.has(`${x},${y}`)
  }

  find(a: number): number {
    while (this.parent[a] !== a) {
      this.parent[a] = this.parent[this.parent[a]!]!
      a = this.parent[a]!
    }
    return a
  }

  union(a: number, b: number): void {
    const ra = this.find(a)
    const rb = this.find(b)
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb)
  }
}

interface Stretch {
  line: number
  t0: number
  t1: number
  /** a vertex id of the stretch (walkable stretches only) */
  vertex: number
}

/** The walkable stretches' components, and each town's main one (the one holding most of its streets' length). */
function components(lines: Lines, towns: readonly Town[]): { graph: Components; stretches: Stretch[]; main: Map<number, number> } {
  const graph = new Components()
  const stretches: Stretch[] = []
  const lengthBySeat = new Map<number, Map<number, number>>()
  lines.list.forEach((line, i) => {
    const walkable = isWalkable(line.tags.highway)
    const ranges = lines.stretches(line)
    for (let k = 0; k < ranges.length; k += 2) {
      const [t0, t1] = [ranges[k]!, ranges[k + 1]!]
      let vertex = -1
      if (walkable) {
        const { xy } = lines.run(line, t0, t1)
        vertex = graph.id(xy[0]!, xy[1]!)
        for (let v = 2; v < xy.length; v += 2) graph.union(vertex, graph.id(xy[v]!, xy[v + 1]!))
      }
      stretches.push({ line: i, t0, t1, vertex })
    }
  })
  for (const s of stretches) {
    const line = lines.list[s.line]!
    if (line.seat < 0 || s.vertex < 0) continue
    const bySeat = lengthBySeat.get(line.seat) ?? lengthBySeat.set(line.seat, new Map()).get(line.seat)!
    const root = graph.find(s.vertex)
    bySeat.set(root, (bySeat.get(root) ?? 0) + (s.t1 - s.t0) * lines.lengthM(line))
  }
  const main = new Map<number, number>()
  for (const town of towns) {
    let best = -1
    let bestM = -1
    for (const [root, m] of lengthBySeat.get(town.seat) ?? []) {
      if (m > bestM || (m === bestM && root < best)) {
        best = root
        bestM = m
      }
    }
    if (best >= 0) main.set(town.seat, best)
  }
  return { graph, stretches, main }
}

/**
 * Joins an arterial's end that roads from other towns end on, when a cut left it off its town's main
 * streets, to the nearest vertex of those streets by a short unclassified link.
 */
function linkEnds(lines: Lines, towns: readonly Town[]): void {
  const { graph, stretches, main } = components(lines, towns)
  for (const town of towns) {
    for (const [cx, cy] of town.used) linkEnd(lines, town, graph, stretches, main, cx, cy)
  }
}

function linkEnd(
  lines: Lines,
  town: Town,
  graph: Components,
  stretches: readonly Stretch[],
  main: ReadonlyMap<number, number>,
  cx: number,
  cy: number,
): void {
  const root = main.get(town.seat)
  if (root === undefined || !graph.has(cx, cy) || graph.find(graph.id(cx, cy)) === graph.find(root)) return
  let best: [number, number] | undefined
  let bestD = Infinity
  for (const s of stretches) {
    const line = lines.list[s.line]!
    if (line.seat !== town.seat || s.vertex < 0 || graph.find(s.vertex) !== graph.find(root)) continue
    const { xy } = lines.run(line, s.t0, s.t1)
    for (let v = 0; v < xy.length; v += 2) {
      const d = Math.hypot((xy[v]! - cx) * town.frame.mx, (xy[v + 1]! - cy) * town.frame.my)
      if (d < bestD) {
        bestD = d
        best = [xy[v]!, xy[v + 1]!]
      }
    }
  }
  if (best) lines.add(cx, cy, best[0], best[1], { highway: 'unclassified' }, -1, false)
}

const tagProperties = (tags: RoadTags): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(tags)) if (v !== undefined) out[k] = v
  return out
}
const lineFeature = (properties: Record<string, string>, xy: readonly number[]): RoadFeature => {
  const coordinates: [number, number][] = []
  for (let v = 0; v < xy.length; v += 2) coordinates.push([xy[v]!, xy[v + 1]!])
  return { type: 'Feature', properties, geometry: { type: 'LineString', coordinates } }
}

/** The network as features: roads first, then the lanes to gates and premises, then the railway and the compound's wall. */
export function buildRoads(input: RoadInput): RoadFeature[] {
  const { seats, store } = input
  const rng = new Rng(input.seed, STREAM_ROADS)
  const lines = new Lines()
  const towns = addTownStreets(lines, seats, nameStreets(seats, new Rng(input.seed, STREAM_ADDRESSES)), rng)
  addRoadsBetweenTowns(lines, seats, towns, input.bboxMode, rng)
  const city = towns.find((t) => seats[t.seat]!.kind === 'city')
  if (city) addMotorway(lines, city, rng)
  lines.joinCrossings()
  const detours = cutAtCampuses(lines, store)
  const barriers: CityBarriers | undefined = city ? cityBarriers(lines, city) : undefined
  addDetours(lines, detours, store, barriers ? [barriers.rail, barriers.wall.flat()] : [])
  linkEnds(lines, towns)

  // keep the walkable stretches in a town's main component or on a road between towns; drop stray pieces
  const { graph, stretches, main } = components(lines, towns)
  const keptRoots = new Set([...main.values()].map((r) => graph.find(r)))
  for (const s of stretches) if (s.vertex >= 0 && lines.list[s.line]!.seat < 0) keptRoots.add(graph.find(s.vertex))
  const kept = stretches.filter((s) => s.vertex < 0 || keptRoots.has(graph.find(s.vertex)))

  const index = new SegmentIndex()
  for (const s of kept) {
    if (s.vertex < 0) continue
    const { xy, t } = lines.run(lines.list[s.line]!, s.t0, s.t1)
    for (let v = 0; v + 1 < t.length; v++) index.add(s.line, t[v]!, t[v + 1]!, xy[2 * v]!, xy[2 * v + 1]!, xy[2 * v + 2]!, xy[2 * v + 3]!)
  }
  const obstacles = { store, walls: barriers ? [barriers.wall.flat()] : [], ...(barriers ? { rail: barriers.rail } : {}) }
  // short lanes are written as they are; long (rural) ones become lines that later lanes may join, so that
  // tracks branch like a tree instead of all running to the same street corner
  const lanes: (RoadFeature | Line)[] = []
  const join = (points: readonly number[], kind: 'gate' | 'premises') => {
    for (let k = 0; k + 1 < points.length; k += 2) {
      const [px, py] = [points[k]!, points[k + 1]!]
      const lane = index.count > 0 ? reach(lines, index, obstacles, px, py) : undefined
      if (!lane) continue
      const tags = laneTags(kind, lane.lengthM)
      if (lane.lengthM <= BRANCHING_LANE_M) {
        lanes.push(lineFeature(tagProperties(tags), [px, py, lane.qx, lane.qy]))
        continue
      }
      const line = lines.add(px, py, lane.qx, lane.qy, tags, -1, false)
      index.add(lines.list.length - 1, 0, 1, line.x0, line.y0, line.x1, line.y1)
      lanes.push(line)
    }
  }
  join(input.gates, 'gate')
  join(input.premises, 'premises')

  const out: RoadFeature[] = []
  for (const s of kept) {
    const line = lines.list[s.line]!
    const { xy } = lines.run(line, s.t0, s.t1)
    if (xy.length >= 4) out.push(lineFeature(tagProperties(line.tags), xy))
  }
  for (const lane of lanes) out.push('type' in lane ? lane : lineFeature(tagProperties(lane.tags), lines.run(lane, 0, 1).xy))
  if (barriers) {
    out.push(lineFeature({ railway: 'rail', name: '示例固原铁路' }, barriers.rail))
    out.push(lineFeature({ barrier: 'wall', name: '示例固原机械厂围墙' }, barriers.wall.flat()))
  }
  return out
}
