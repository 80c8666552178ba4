/**
 * The travel matrix of a plan on the road network: every place (gates, campus points, unit bases) snapped
 * onto the nearest segment its mode may use, lengths by Dijkstra over the directed graph of that mode (cars
 * keep to one-way streets, officers on foot use walkable ways either way), and the route along the roads
 * between two places. A length is connector + network + connector, the connectors geodesic, like the
 * walking distance of the zoning rules (server/modules/roads/walking.ts).
 *
 * The graph of a mode is cached per process by the box it covers and the network's data version (the
 * roads tile layer's counter, bumped by every road write), so a second plan of the day reads no segments.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../../db/types.ts'
import { TravelNetwork, type TravelPlace } from '../../../geo/travel.ts'
import type { Mode, TravelMatrix } from './planner/types.ts'
import * as repository from './repository.ts'

/** A place farther than this from any road its mode may use is off the network for that mode. */
export const MAX_CONNECTOR_M = 300
/** The network read around the places, so that a route may leave their box a little. */
const MARGIN_M = 3000
const CACHE_SIZE = 4
const SNAP_SLICE = 50

const cache: { key: string; network: TravelNetwork }[] = []

async function networkFor(
  db: Kysely<Database>,
  mode: Mode,
  bbox: [number, number, number, number],
  pause: () => Promise<void>,
): Promise<TravelNetwork> {
  const version = await repository.roadsVersion(db)
  // Boxes are rounded outwards to 0.05° so that plans of nearby scopes share a graph.
  const round = (v: number, up: boolean) => (up ? Math.ceil(v * 20) : Math.floor(v * 20)) / 20
  const box: [number, number, number, number] = [round(bbox[0], false), round(bbox[1], false), round(bbox[2], true), round(bbox[3], true)]
  const key = `${mode}|${box.join(',')}|${version}`
  const hit = cache.find((c) => c.key === key)
  if (hit) return hit.network
  const network = new TravelNetwork(await repository.segmentsIn(db, mode, box, pause), mode === 'car')
  cache.unshift({ key, network })
  cache.length = Math.min(cache.length, CACHE_SIZE)
  return network
}

export interface PlaceOnNetwork extends TravelPlace {
  connectorM: number
}

export interface PlanNetwork {
  matrix: TravelMatrix
  points: readonly [number, number][]
  places: Partial<Record<Mode, (PlaceOnNetwork | null)[]>>
  networks: Partial<Record<Mode, TravelNetwork>>
}

/** Snaps the points for each mode and measures every pair, pausing between sources. */
export async function buildNetwork(
  db: Kysely<Database>,
  points: readonly [number, number][],
  modes: readonly Mode[],
  pause: () => Promise<void>,
): Promise<PlanNetwork> {
  const size = points.length
  const matrix: TravelMatrix = { size, metres: {} }
  const places: PlanNetwork['places'] = {}
  const networks: PlanNetwork['networks'] = {}
  if (size === 0) return { matrix, points, places, networks }
  const lat = points.reduce((s, p) => s + p[1], 0) / size
  const dLon = MARGIN_M / (111320 * Math.cos((lat * Math.PI) / 180))
  const dLat = MARGIN_M / 110574
  const bbox: [number, number, number, number] = [
    Math.min(...points.map((p) => p[0])) - dLon,
    Math.min(...points.map((p) => p[1])) - dLat,
    Math.max(...points.map((p) => p[0])) + dLon,
    Math.max(...points.map((p) => p[1])) + dLat,
  ]
  for (const mode of new Set(modes)) {
    const network = await networkFor(db, mode, bbox, pause)
    // In slices: an embedded query holds the thread while it runs.
    const snaps: (repository.Snap | null)[] = []
    for (let i = 0; i < points.length; i += SNAP_SLICE) {
      snaps.push(...(await repository.snap(db, mode, points.slice(i, i + SNAP_SLICE), MAX_CONNECTOR_M)))
      await pause()
    }
    const modePlaces = snaps.map((s) => (s && network.has(s.segmentId) ? { ...s } : null))
    const metres = new Float64Array(size * size).fill(Number.POSITIVE_INFINITY)
    const targets = modePlaces.map((p) => p ?? { segmentId: -1, fraction: 0, snapped: [0, 0] as [number, number] })
    for (let a = 0; a < size; a += 1) {
      metres[a * size + a] = 0
      const from = modePlaces[a]
      if (!from) continue
      const lengths = network.lengths(from, targets)
      for (let b = 0; b < size; b += 1) {
        const to = modePlaces[b]
        if (to && b !== a && Number.isFinite(lengths[b]!)) metres[a * size + b] = from.connectorM + lengths[b]! + to.connectorM
      }
      await pause()
    }
    matrix.metres[mode] = metres
    places[mode] = modePlaces
    networks[mode] = network
  }
  return { matrix, points, places, networks }
}

/**
 * The route through places in order (indices into the points), one line per leg along the roads with the
 * connectors at both ends; legs between one place and itself are left out. Null when nothing moves.
 */
export async function routeThrough(
  net: PlanNetwork,
  mode: Mode,
  path: readonly number[],
  pause: () => Promise<void>,
): Promise<{ type: 'MultiLineString'; coordinates: [number, number][][] } | null> {
  const network = net.networks[mode]
  const places = net.places[mode]
  if (!network || !places) return null
  const lines: [number, number][][] = []
  for (let i = 1; i < path.length; i += 1) {
    const a = path[i - 1]!
    const b = path[i]!
    if (a === b || net.matrix.metres[mode]![a * net.matrix.size + b] === 0) continue
    const from = places[a]!
    const to = places[b]!
    await pause()
    const along = network.path(from, to)
    if (!along) throw new Error(`no path from place ${a} to ${b} although the matrix has one`)
    const coordinates: [number, number][] = [net.points[a]!, ...along.coordinates, net.points[b]!]
    const line = coordinates.filter((c, j) => j === 0 || c[0] !== coordinates[j - 1]![0] || c[1] !== coordinates[j - 1]![1])
    if (line.length >= 2) lines.push(line)
  }
  return lines.length > 0 ? { type: 'MultiLineString', coordinates: lines } : null
}
