/**
 * Travel on the road network for a mode of transport, with no database: a directed graph of the segments a
 * mode may use (a car keeps to one-way streets, walking ignores them), shortest lengths from one place to
 * many, and the path's geometry along the segments. Segments are stored in their direction of travel (the
 * import reverses `oneway=-1` ways), so a one-way segment runs from its source to its target.
 *
 * The graph and its search are road-graph.ts's, shared with network.ts (whose SegmentGraph is undirected and
 * bounded by a cut-off; a travel matrix needs every length, directed).
 */
import { RoadGraph } from './road-graph.ts'

/** A segment with what a mode needs: its direction rule, its geodesic length and its two end positions. */
export interface TravelSegment {
  id: number
  source: number
  target: number
  lengthM: number
  oneway: boolean
  sourcePosition: [number, number]
  targetPosition: [number, number]
}

/** A place on the network: a point of a segment at `fraction` (0 at its source, 1 at its target), drawn at `snapped`. */
export interface TravelPlace {
  segmentId: number
  fraction: number
  snapped: [number, number]
}

/** A path between two places: its length along the roads and its coordinates from the first place to the second. */
export interface TravelPath {
  lengthM: number
  coordinates: [number, number][]
}

export class TravelNetwork {
  private readonly graph: RoadGraph<TravelSegment>
  /** Each vertex's position, by the graph's vertex index. */
  private readonly positions: [number, number][] = []
  private readonly segmentIndex = new Map<number, number>()
  private readonly segments: readonly TravelSegment[]

  /** `directed`: one-way segments are travelled only from source to target (a car); otherwise both ways (on foot). */
  constructor(
    segments: readonly TravelSegment[],
    readonly directed: boolean,
  ) {
    this.segments = segments
    segments.forEach((s, k) => this.segmentIndex.set(s.id, k))
    this.graph = new RoadGraph(segments, (s) => this.backwards(s))
    for (const s of segments) {
      this.positions[this.graph.indexOf(s.source)] ??= s.sourcePosition
      this.positions[this.graph.indexOf(s.target)] ??= s.targetPosition
    }
  }

  /** Whether a segment may be travelled from its target to its source. */
  private backwards(s: TravelSegment): boolean {
    return !this.directed || !s.oneway
  }

  /** Whether the network holds this segment. */
  has(segmentId: number): boolean {
    return this.segmentIndex.has(segmentId)
  }

  get vertexCount(): number {
    return this.graph.vertexCount
  }

  /** Dijkstra from a place over the whole network (with a single target, only until both ends of its segment are settled). */
  private search(from: TravelPlace, stopAt?: TravelPlace) {
    const start = this.segments[this.segmentIndex.get(from.segmentId)!]!
    const seeds: [number, number][] = [[start.target, (1 - from.fraction) * start.lengthM]]
    if (this.backwards(start)) seeds.push([start.source, from.fraction * start.lengthM])
    const end = stopAt ? this.segments[this.segmentIndex.get(stopAt.segmentId)!]! : undefined
    const settle = end ? [this.graph.indexOf(end.source), this.graph.indexOf(end.target)] : undefined
    return { ...this.graph.search(seeds, { settle }), start }
  }

  /** How a place is reached from the search: the length and the vertex it is entered from (-1: along the start segment directly). */
  private reach(search: ReturnType<TravelNetwork['search']>, from: TravelPlace, to: TravelPlace): { lengthM: number; via: number } {
    const segment = this.segments[this.segmentIndex.get(to.segmentId)!]!
    let best = { lengthM: Number.POSITIVE_INFINITY, via: -2 }
    if (segment.id === search.start.id) {
      if (to.fraction >= from.fraction) best = { lengthM: (to.fraction - from.fraction) * segment.lengthM, via: -1 }
      else if (this.backwards(segment)) best = { lengthM: (from.fraction - to.fraction) * segment.lengthM, via: -1 }
    }
    const s = this.graph.indexOf(segment.source)
    const viaSource = search.distance[s]! + to.fraction * segment.lengthM
    if (viaSource < best.lengthM) best = { lengthM: viaSource, via: s }
    if (this.backwards(segment)) {
      const t = this.graph.indexOf(segment.target)
      const viaTarget = search.distance[t]! + (1 - to.fraction) * segment.lengthM
      if (viaTarget < best.lengthM) best = { lengthM: viaTarget, via: t }
    }
    return best
  }

  /** Shortest lengths along the network from one place to each of many (Infinity where there is no path). */
  lengths(from: TravelPlace, to: readonly TravelPlace[]): Float64Array {
    const out = new Float64Array(to.length).fill(Number.POSITIVE_INFINITY)
    if (!this.has(from.segmentId)) return out
    const search = this.search(from)
    to.forEach((place, i) => {
      if (this.has(place.segmentId)) out[i] = this.reach(search, from, place).lengthM
    })
    return out
  }

  /** The shortest path from one place to another with its coordinates, or null when there is none. */
  path(from: TravelPlace, to: TravelPlace): TravelPath | null {
    if (!this.has(from.segmentId) || !this.has(to.segmentId)) return null
    const search = this.search(from, to)
    const { lengthM, via } = this.reach(search, from, to)
    if (!Number.isFinite(lengthM)) return null
    const vertices: [number, number][] = []
    if (via >= 0) for (let u = via; u !== -1; u = search.previous[u]!) vertices.push(this.positions[u]!)
    vertices.reverse()
    const coordinates: [number, number][] = [from.snapped, ...vertices, to.snapped]
    return {
      lengthM,
      coordinates: coordinates.filter((c, i) => i === 0 || c[0] !== coordinates[i - 1]![0] || c[1] !== coordinates[i - 1]![1]),
    }
  }
}
