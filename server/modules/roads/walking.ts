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
export const geodesicM = (a: readonly number[], b: readonly number[]) =>
  WGS84.Inverse(a[1]!, a[0]!, b[1]!, b[0]!, geodesic.Geodesic.DISTANCE).s12!

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
  /** pgRouting or the service's own search over the same segments; by default pgRouting where the database has it. */
  engine?: 'service' | 'pgrouting'
  /**
   * For the service's search: a graph read beforehand (walkingNetworkAround) holding at least the segments within
   * the cut-off of every gate, searched instead of reading the network around each gate. A path no longer than
   * the cut-off lies within that reach of its gate, so a larger graph finds the same lengths.
   */
  network?: SegmentGraph
}

/** One read of the walkable network within `cutoffM` of each of the gates, for several measureWalking calls (options.network). */
export async function walkingNetworkAround(db: Db, gates: readonly (readonly [number, number])[], cutoffM: number): Promise<SegmentGraph> {
  return new SegmentGraph(await repository.walkableSegmentsNearAny(db, gates, cutoffM))
}

/** pgRouting where the database has it (a PostgreSQL server with the extension), else the service's own search. */
export async function defaultEngine(db: Db): Promise<'service' | 'pgrouting'> {
  return (await repository.hasPgRouting(db)) ? 'pgrouting' : 'service'
}

/**
 * Walking distance from the nearest of a school's gates to a point, as the road-network rule defines it:
 * the geodesic connector from the gate G to the nearest point G′ of the nearest walkable road, the shortest
 * path along walkable roads (each segment geodesic) from G′ to P′, and the connector from P′ to the point
 * P. A connector over 100 m, or no path at all (G′ and P′ in different components of the network), and the
 * straight distance from that gate decides instead, and the answer says why. Walking is never shorter than
 * the straight line, so only gates within the cut-off in a straight line are searched.
 */
export async function measureWalking(
  db: Db,
  gates: readonly (readonly [number, number])[],
  point: readonly [number, number],
  options: WalkingOptions,
): Promise<WalkingMeasure> {
  return (await measureWalkingMany(db, gates, [point], options))[0]!
}

/**
 * measureWalking for several points around one school at once: one snapping query for the gates and the
 * points, one network read and one search per gate (to all its points), one read of the routes' vertices.
 */
export async function measureWalkingMany(
  db: Db,
  gates: readonly (readonly [number, number])[],
  points: readonly (readonly [number, number])[],
  options: WalkingOptions,
): Promise<WalkingMeasure[]> {
  if (points.length === 0) return []
  const engine = options.engine ?? (await defaultEngine(db))
  const straight = points.map((point) => gates.map((gate) => geodesicM(gate, point)))
  const snaps = await repository.snapToWalkable(db, [...gates, ...points], MAX_CONNECTOR_M)
  const gateSnaps = snaps.slice(0, gates.length)
  const doors = snaps.slice(gates.length)
  // results[p][g]: what gate g says about point p (undefined: longer than the cut-off, or not searched).
  const results: (WalkingMeasure | undefined)[][] = points.map(() => [])
  const found: { p: number; g: number; path: NetworkPath }[] = []
  for (const [g, gate] of gates.entries()) {
    const snap = gateSnaps[g]
    const fallback = (p: number, reason: string): WalkingMeasure => ({
      distanceM: straight[p]![g]!,
      straightM: straight[p]![g]!,
      gateIndex: g,
      measuredBy: 'straight_fallback',
      reason,
      route: null,
    })
    const searched: number[] = []
    for (const [p] of points.entries()) {
      if (straight[p]![g]! > options.cutoffM) continue
      const door = doors[p]
      if (!door)
        results[p]![g] = fallback(
          p,
          `the premises lie more than ${MAX_CONNECTOR_M} m from any walkable road: the straight distance from the gate decides`,
        )
      else if (!snap)
        results[p]![g] = fallback(
          p,
          `the gate lies more than ${MAX_CONNECTOR_M} m from any walkable road: the straight distance from the gate decides`,
        )
      else if (snap.component === null || snap.component !== door.component) {
        results[p]![g] = fallback(
          p,
          'no walking path joins the gate and the premises on the road network: the straight distance from the gate decides',
        )
      } else if (options.cutoffM - snap.connectorM - door.connectorM >= 0) searched.push(p)
    }
    if (!snap || searched.length === 0) continue
    // A path no longer than the cut-off less the gate's connector stays within that distance of G′, hence
    // within the cut-off of the gate: the network read around the gate holds every path that can count.
    const budget = options.cutoffM - snap.connectorM
    const paths = await searchPaths(
      db,
      engine,
      gate,
      options.cutoffM,
      snap,
      searched.map((p) => doors[p]!),
      budget,
      options.network,
    )
    paths.forEach((path, k) => {
      const p = searched[k]!
      if (path && snap.connectorM + path.lengthM + doors[p]!.connectorM <= options.cutoffM) found.push({ p, g, path })
    })
  }
  const positions = await repository.vertexPositions(db, [...new Set(found.flatMap((f) => f.path.vertices))])
  for (const { p, g, path } of found) {
    const snap = gateSnaps[g]!
    const door = doors[p]!
    const coordinates: [number, number][] = [
      [gates[g]![0], gates[g]![1]],
      snap.snapped,
      ...path.vertices.map((v) => positions.get(v)!),
      door.snapped,
      [points[p]![0], points[p]![1]],
    ]
    results[p]![g] = {
      distanceM: snap.connectorM + path.lengthM + door.connectorM,
      straightM: straight[p]![g]!,
      gateIndex: g,
      measuredBy: 'network',
      route: {
        type: 'LineString',
        coordinates: coordinates.filter((c, j) => j === 0 || c[0] !== coordinates[j - 1]![0] || c[1] !== coordinates[j - 1]![1]),
      },
    }
  }
  return points.map((_, p) => {
    const measured = results[p]!.filter((r): r is WalkingMeasure => r !== undefined)
    if (measured.length > 0) return measured.reduce((best, r) => (r.distanceM! < best.distanceM! ? r : best))
    const nearest = straight[p]!.indexOf(Math.min(...straight[p]!))
    return { distanceM: null, straightM: straight[p]![nearest]!, gateIndex: nearest, measuredBy: 'network', route: null }
  })
}

async function searchPaths(
  db: Db,
  engine: 'service' | 'pgrouting',
  centre: readonly [number, number],
  radiusM: number,
  from: repository.SnappedPoint,
  to: readonly repository.SnappedPoint[],
  budgetM: number,
  network?: SegmentGraph,
): Promise<(NetworkPath | null)[]> {
  if (engine === 'pgrouting')
    return (await repository.pgRoutingPaths(db, centre, radiusM, from, to)).map((path) => (path && path.lengthM <= budgetM ? path : null))
  const graph = network ?? new SegmentGraph(await repository.walkableSegmentsNear(db, centre[0], centre[1], radiusM))
  return graph.paths(from, to, budgetM)
}

/** A (premises, school) pair under a walking rule that is within the rule's limit in a straight line. */
export interface WalkingCandidate {
  premisesId: number
  schoolId: number
  ruleId: number
  ruleVersion: number
  limitM: number
  bandNames: readonly string[]
  bandEdges: readonly number[]
  point: [number, number]
  /** The school's gates; null when it has none (then the straight band from the campus stands). */
  gates: [number, number][] | null
  /** The band measured straight from the campus boundary, for a school without gates. */
  straightBand: string
}

/** A conflict under a walking rule, with what the network measured. */
export interface WalkingConflict {
  premisesId: number
  schoolId: number
  ruleId: number
  ruleVersion: number
  band: string
  distanceM: number | null
  straightM: number | null
  gateIndex: number | null
  measuredBy: MeasuredBy
  note: string | null
  route: WalkingMeasure['route']
}

/** The band a distance falls in: [from, to), the last band closed at the limit. */
const bandAt = (names: readonly string[], edges: readonly number[], distanceM: number) =>
  names[edges.filter((edge) => edge <= distanceM).length]!

export const NO_GATES_NOTE =
  'the rule measures walking distance from the gates, but this school has none registered: measured in a straight line from the campus boundary'

/**
 * Keeps the candidates that are within their limit on foot, with the band by walking distance: each school's
 * candidates measured together (measureWalkingMany), once per limit. A school without gates keeps its
 * straight pairs from the campus, and says so.
 */
export async function settleWalking(
  db: Db,
  candidates: readonly WalkingCandidate[],
  engine?: WalkingOptions['engine'],
): Promise<WalkingConflict[]> {
  const groups = new Map<string, WalkingCandidate[]>()
  for (const c of candidates) {
    const key = `${c.schoolId}|${c.limitM}`
    ;(groups.get(key) ?? groups.set(key, []).get(key)!).push(c)
  }
  const settled: WalkingConflict[] = []
  const chosen = engine ?? (candidates.length > 0 ? await defaultEngine(db) : 'service')
  for (const group of groups.values()) {
    const { gates, limitM } = group[0]!
    if (!gates || gates.length === 0) {
      for (const c of group)
        settled.push({
          ...ids(c),
          band: c.straightBand,
          distanceM: null,
          straightM: null,
          gateIndex: null,
          measuredBy: 'straight_fallback',
          note: NO_GATES_NOTE,
          route: null,
        })
      continue
    }
    const measures = await measureWalkingMany(
      db,
      gates,
      group.map((c) => c.point),
      { cutoffM: limitM, engine: chosen },
    )
    measures.forEach((m, i) => {
      const c = group[i]!
      if (m.distanceM === null || m.distanceM > c.limitM) return
      settled.push({
        ...ids(c),
        band: bandAt(c.bandNames, c.bandEdges, m.distanceM),
        distanceM: m.distanceM,
        straightM: m.straightM,
        gateIndex: m.gateIndex,
        measuredBy: m.measuredBy,
        note: m.reason ?? null,
        route: m.route,
      })
    })
  }
  return settled
}

const ids = (c: WalkingCandidate) => ({ premisesId: c.premisesId, schoolId: c.schoolId, ruleId: c.ruleId, ruleVersion: c.ruleVersion })
