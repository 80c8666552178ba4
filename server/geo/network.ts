/**
 * Shortest paths on the road network, with no database: the graph is the segments the database returns
 * (vertex ids, geodesic length), the places are points snapped onto a segment at a fraction of its length.
 * A walking check needs the lengths to a few targets within a bound, and an audit runs it once per gate;
 * the graph and its search are road-graph.ts's, shared with travel.ts.
 */
import { RoadGraph, type GraphSegment } from './road-graph.ts'

/** A segment of the network: its id, its two vertices, and its geodesic length in metres. */
export type NetworkSegment = GraphSegment

/** A place on the network: a point of a segment at `fraction` (0 at its source, 1 at its target). */
export interface NetworkPlace {
  segmentId: number
  fraction: number
}

/** Labels the connected components of a graph given as edges (union–find with path halving); returns the vertices seen and their labels. */
export function connectedComponents(
  source: Int32Array,
  target: Int32Array,
  maxVertex: number,
): { vertexIds: Int32Array; labels: Int32Array } {
  const parent = new Int32Array(maxVertex + 1).fill(-1)
  const find = (v: number) => {
    while (parent[v] !== v) {
      parent[v] = parent[parent[v]!]!
      v = parent[v]!
    }
    return v
  }
  for (let i = 0; i < source.length; i += 1) {
    const a = source[i]!
    const b = target[i]!
    if (parent[a] === -1) parent[a] = a
    if (parent[b] === -1) parent[b] = b
    const ra = find(a)
    const rb = find(b)
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb)
  }
  let count = 0
  for (let v = 0; v <= maxVertex; v += 1) if (parent[v] !== -1) count += 1
  const vertexIds = new Int32Array(count)
  const labels = new Int32Array(count)
  let k = 0
  for (let v = 0; v <= maxVertex; v += 1) {
    if (parent[v] === -1) continue
    vertexIds[k] = v
    labels[k] = find(v)
    k += 1
  }
  return { vertexIds, labels }
}

/** The shortest path found to a place: its length along the network and the vertices it passes. */
export interface NetworkPath {
  lengthM: number
  /** Vertex ids from the start's segment to the end's, in order (empty when both places share a segment). */
  vertices: number[]
}

/**
 * An undirected graph of segments (walking ignores one-way streets). `paths(from, to, cutoffM)` answers
 * the shortest path from one place to each of several, or null where it is longer than the cut-off.
 */
export class SegmentGraph {
  private readonly graph: RoadGraph
  private readonly segments = new Map<number, NetworkSegment>()

  constructor(segments: readonly NetworkSegment[]) {
    for (const s of segments) this.segments.set(s.id, s)
    this.graph = new RoadGraph(segments, () => true)
  }

  /** Whether the graph holds this segment. */
  has(segmentId: number): boolean {
    return this.segments.has(segmentId)
  }

  /**
   * Shortest paths from `from` to each of `to` no longer than `cutoffM` (null beyond it, or when a place's
   * segment is not in the graph). Along a segment a place is `fraction × length` from its source.
   */
  paths(from: NetworkPlace, to: readonly NetworkPlace[], cutoffM: number): (NetworkPath | null)[] {
    const start = this.segments.get(from.segmentId)
    if (!start) return to.map(() => null)
    const graph = this.graph
    const { distance, previous } = graph.search(
      [
        [start.source, from.fraction * start.lengthM],
        [start.target, (1 - from.fraction) * start.lengthM],
      ],
      { cutoffM },
    )
    const walkBack = (v: number) => {
      const vertices: number[] = []
      for (let u = v; u !== -1; u = previous[u]!) vertices.push(graph.idAt(u))
      return vertices.reverse()
    }
    return to.map((place) => {
      const end = this.segments.get(place.segmentId)
      if (!end) return null
      let best: NetworkPath | null = null
      if (end.id === start.id) best = { lengthM: Math.abs(place.fraction - from.fraction) * end.lengthM, vertices: [] }
      const viaSource = distance[graph.indexOf(end.source)]! + place.fraction * end.lengthM
      const viaTarget = distance[graph.indexOf(end.target)]! + (1 - place.fraction) * end.lengthM
      const via = viaSource <= viaTarget ? { d: viaSource, v: end.source } : { d: viaTarget, v: end.target }
      if (Number.isFinite(via.d) && (!best || via.d < best.lengthM)) best = { lengthM: via.d, vertices: walkBack(graph.indexOf(via.v)) }
      return best && best.lengthM <= cutoffM ? best : null
    })
  }
}
