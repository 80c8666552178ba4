import geodesic from 'geographiclib-geodesic'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { SegmentGraph, type NetworkPath } from '../../geo/network.ts'
import * as repository from './repository.ts'

type Db = Kysely<Database> | Transaction<Database>

/** A connector from a gate or a door to the network longer than this means the network cannot measure the pair. */
export const MAX_CONNECTOR_M = 100

const WGS84 = geodesic.Geodesic.WGS84

/** Geodesic distance on the WGS84 ellipsoid (GeographicLib, exact to nanometres). */
export const geodesicM = (a: readonly number[], b: readonly number[]) => WGS84.Inverse(a[1]!, a[0]!, b[1]!, b[0]!, geodesic.Geodesic.DISTANCE).s12!

/** How a walking distance was measured. */
export type MeasuredBy = 'network' | 'straight_fallback'

export interface WalkingMeasure {
  /** Walking distance from the nearest gate (or the straight distance where the network cannot measure), metres; null when longer than the cut-off. */
  distanceM: number | null
  /** Straight distance from that gate (from the nearest gate when distanceM is null). */
  straightM: number
  gateIndex: number
  measuredBy: MeasuredBy
  reason?: string
  /** Gate → nearest road point → along the roads → nearest road point → door, when measured on the network. */
  route: { type: 'LineString'; coordinates: [number, number][] } | null
}

export interface WalkingOptions {
  /** Searched no farther than this (the rule's limit for a verdict); longer walks answer distanceM null. */
  cutoffM: number
  /** pgRouting (on a server that has it) or the service's own search over the same segments. */
  engine?: 'service' | 'pgrouting'
}

/**
 * Walking distance from the nearest of a school's gates to a point, as the road-network rule defines it:
 * the geodesic connector from the gate G to the nearest point G′ of the nearest walkable road, the shortest
 * path along walkable roads (each segment geodesic) from G′ to P′, and the connector from P′ to the point
 * P. A connector over 100 m, or no path at all (G′ and P′ in different components of the network), and the
 * straight distance from that gate decides instead, and the answer says why. Walking is never shorter than
 * the straight line, so only gates within the cut-off in a straight line are searched.
 */
export async function measureWalking(db: Db, gates: readonly (readonly [number, number])[], point: readonly [number, number], options: WalkingOptions): Promise<WalkingMeasure> {
  const straight = gates.map((gate) => geodesicM(gate, point))
  const nearestGate = straight.indexOf(Math.min(...straight))
  const candidates = gates.map((_, i) => i).filter((i) => straight[i]! <= options.cutoffM)
  if (candidates.length === 0) return { distanceM: null, straightM: straight[nearestGate]!, gateIndex: nearestGate, measuredBy: 'network', route: null }
  const snaps = await repository.snapToWalkable(db, [point, ...candidates.map((i) => gates[i]!)], MAX_CONNECTOR_M)
  const door = snaps[0]!
  const results: WalkingMeasure[] = []
  for (const [k, i] of candidates.entries()) {
    const gate = gates[i]!
    const fallback = (reason: string): WalkingMeasure => ({ distanceM: straight[i]!, straightM: straight[i]!, gateIndex: i, measuredBy: 'straight_fallback', reason, route: null })
    const snap = snaps[k + 1]!
    if (!door) {
      results.push(fallback(`the premises lie more than ${MAX_CONNECTOR_M} m from any walkable road: the straight distance from the gate decides`))
      continue
    }
    if (!snap) {
      results.push(fallback(`the gate lies more than ${MAX_CONNECTOR_M} m from any walkable road: the straight distance from the gate decides`))
      continue
    }
    if (snap.component === null || snap.component !== door.component) {
      results.push(fallback('no walking path joins the gate and the premises on the road network: the straight distance from the gate decides'))
      continue
    }
    const budget = options.cutoffM - snap.connectorM - door.connectorM
    if (budget < 0) {
      results.push({ distanceM: null, straightM: straight[i]!, gateIndex: i, measuredBy: 'network', route: null })
      continue
    }
    // A path of length ≤ budget from G′ stays within budget of it, hence within budget + connector of the gate.
    const radius = budget + snap.connectorM
    const path = await searchPath(db, options.engine ?? 'service', gate, radius, snap, door, budget)
    if (!path) {
      results.push({ distanceM: null, straightM: straight[i]!, gateIndex: i, measuredBy: 'network', route: null })
      continue
    }
    const positions = await repository.vertexPositions(db, path.vertices)
    const coordinates: [number, number][] = [[gate[0], gate[1]], snap.snapped, ...path.vertices.map((v) => positions.get(v)!), door.snapped, [point[0], point[1]]]
    results.push({
      distanceM: snap.connectorM + path.lengthM + door.connectorM,
      straightM: straight[i]!,
      gateIndex: i,
      measuredBy: 'network',
      route: { type: 'LineString', coordinates: coordinates.filter((c, j) => j === 0 || c[0] !== coordinates[j - 1]![0] || c[1] !== coordinates[j - 1]![1]) },
    })
  }
  const measured = results.filter((r) => r.distanceM !== null)
  if (measured.length === 0) return { distanceM: null, straightM: straight[nearestGate]!, gateIndex: nearestGate, measuredBy: 'network', route: null }
  return measured.reduce((best, r) => (r.distanceM! < best.distanceM! ? r : best))
}

async function searchPath(
  db: Db,
  engine: 'service' | 'pgrouting',
  centre: readonly [number, number],
  radiusM: number,
  from: repository.SnappedPoint,
  to: repository.SnappedPoint,
  budgetM: number,
): Promise<NetworkPath | null> {
  if (engine === 'pgrouting') {
    const [path] = await repository.pgRoutingPaths(db, centre, radiusM, from, [to])
    return path && path.lengthM <= budgetM ? path : null
  }
  const graph = new SegmentGraph(await repository.walkableSegmentsNear(db, centre[0], centre[1], radiusM))
  return graph.paths(from, [to], budgetM)[0] ?? null
}
