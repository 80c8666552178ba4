/**
 * Travel on the road network for a mode of transport, with no database: a directed graph of the segments a
 * mode may use (a car keeps to one-way streets, walking ignores them), shortest lengths from one place to
 * many, and the path's geometry along the segments. Segments are stored in their direction of travel (the
 * import reverses `oneway=-1` ways), so a one-way segment runs from its source to its target.
 *
 * Over typed arrays like network.ts (SegmentGraph is undirected and bounded by a cut-off; a travel matrix
 * needs every length, directed). The priority queue is flatqueue's binary heap.
 */
import FlatQueue from 'flatqueue'

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
  private readonly vertexIndex = new Map<number, number>()
  private readonly positions: [number, number][] = []
  private readonly offsets: Int32Array
  private readonly heads: Int32Array
  private readonly weights: Float64Array
  private readonly segmentIndex = new Map<number, number>()
  private readonly segments: readonly TravelSegment[]

  /** `directed`: one-way segments are travelled only from source to target (a car); otherwise both ways (on foot). */
  constructor(
    segments: readonly TravelSegment[],
    readonly directed: boolean,
  ) {
    this.segments = segments
    const index = (id: number, position: [number, number]) => {
      let i = this.vertexIndex.get(id)
      if (i === undefined) {
        i = this.positions.length
        this.vertexIndex.set(id, i)
        this.positions.push(position)
      }
      return i
    }
    const degree: number[] = []
    segments.forEach((s, k) => {
      this.segmentIndex.set(s.id, k)
      const a = index(s.source, s.sourcePosition)
      const b = index(s.target, s.targetPosition)
      degree[a] = (degree[a] ?? 0) + 1
      if (this.backwards(s)) degree[b] = (degree[b] ?? 0) + 1
    })
    const n = this.positions.length
    this.offsets = new Int32Array(n + 1)
    for (let v = 0; v < n; v += 1) this.offsets[v + 1] = this.offsets[v]! + (degree[v] ?? 0)
    this.heads = new Int32Array(this.offsets[n]!)
    this.weights = new Float64Array(this.offsets[n]!)
    const fill = Int32Array.from(this.offsets.subarray(0, n))
    for (const s of segments) {
      const a = this.vertexIndex.get(s.source)!
      const b = this.vertexIndex.get(s.target)!
      this.heads[fill[a]!] = b
      this.weights[fill[a]!++] = s.lengthM
      if (this.backwards(s)) {
        this.heads[fill[b]!] = a
        this.weights[fill[b]!++] = s.lengthM
      }
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
    return this.positions.length
  }

  /** Dijkstra from a place over the whole network: distances to every vertex and the predecessor of each. */
  private search(from: TravelPlace, stopAt?: TravelPlace) {
    const n = this.positions.length
    const distance = new Float64Array(n).fill(Number.POSITIVE_INFINITY)
    const previous = new Int32Array(n).fill(-1)
    const start = this.segments[this.segmentIndex.get(from.segmentId)!]!
    const queue = new FlatQueue<number>()
    const seed = (vertex: number, d: number) => {
      const v = this.vertexIndex.get(vertex)!
      if (d < distance[v]!) {
        distance[v] = d
        queue.push(v, d)
      }
    }
    seed(start.target, (1 - from.fraction) * start.lengthM)
    if (this.backwards(start)) seed(start.source, from.fraction * start.lengthM)
    // With a single target, stop once both ends of its segment are settled.
    const end = stopAt ? this.segments[this.segmentIndex.get(stopAt.segmentId)!]! : undefined
    const endVertices = end ? [this.vertexIndex.get(end.source)!, this.vertexIndex.get(end.target)!] : []
    let pending = endVertices.length
    const settled = new Uint8Array(n)
    while (queue.length > 0) {
      const d = queue.peekValue()!
      const v = queue.pop()!
      if (settled[v] || d > distance[v]!) continue
      settled[v] = 1
      if (end && endVertices.includes(v)) {
        pending -= endVertices[0] === endVertices[1] ? 2 : 1
        if (pending <= 0) break
      }
      for (let e = this.offsets[v]!; e < this.offsets[v + 1]!; e += 1) {
        const w = this.heads[e]!
        const next = d + this.weights[e]!
        if (next < distance[w]!) {
          distance[w] = next
          previous[w] = v
          queue.push(w, next)
        }
      }
    }
    return { distance, previous, start }
  }

  /** How a place is reached from the search: the length and the vertex it is entered from (-1: along the start segment directly). */
  private reach(search: ReturnType<TravelNetwork['search']>, from: TravelPlace, to: TravelPlace): { lengthM: number; via: number } {
    const segment = this.segments[this.segmentIndex.get(to.segmentId)!]!
    let best = { lengthM: Number.POSITIVE_INFINITY, via: -2 }
    if (segment.id === search.start.id) {
      if (to.fraction >= from.fraction) best = { lengthM: (to.fraction - from.fraction) * segment.lengthM, via: -1 }
      else if (this.backwards(segment)) best = { lengthM: (from.fraction - to.fraction) * segment.lengthM, via: -1 }
    }
    const s = this.vertexIndex.get(segment.source)!
    const viaSource = search.distance[s]! + to.fraction * segment.lengthM
    if (viaSource < best.lengthM) best = { lengthM: viaSource, via: s }
    if (this.backwards(segment)) {
      const t = this.vertexIndex.get(segment.target)!
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
