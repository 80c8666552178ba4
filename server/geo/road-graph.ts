/**
 * The road network as a graph over typed arrays, with no database: compressed adjacency (each vertex's outgoing
 * edges side by side) built from segments (vertex ids, geodesic length), and Dijkstra over it. Walking checks
 * (network.ts: undirected, bounded by a cut-off) and travel by a mode of transport (travel.ts: directed where a
 * car keeps to one-way streets, every length) share it.
 *
 * Hand-written rather than a general graph library: graphology's Dijkstra returns the node path to every node
 * as arrays of string keys and has no cut-off. The priority queue is flatqueue's binary heap.
 */
import FlatQueue from 'flatqueue'

/** A segment of the network: its id, its two vertices, and its geodesic length in metres. */
export interface GraphSegment {
  id: number
  source: number
  target: number
  lengthM: number
}

/** Distances from a search's start to every vertex (by index; Infinity where not reached) and each vertex's predecessor (-1: none). */
export interface GraphSearch {
  distance: Float64Array
  previous: Int32Array
}

export class RoadGraph<S extends GraphSegment = GraphSegment> {
  /** Vertex id → index, in the order the segments first name them. */
  private readonly vertexIndex = new Map<number, number>()
  /** Index → vertex id. */
  private readonly vertexIds: number[] = []
  private readonly offsets: Int32Array
  private readonly heads: Int32Array
  private readonly weights: Float64Array

  /** Every segment runs from its source to its target; `backwards(s)` says whether it may also be travelled the other way. */
  constructor(segments: readonly S[], backwards: (segment: S) => boolean) {
    const degree: number[] = []
    for (const s of segments) {
      const a = this.add(s.source)
      const b = this.add(s.target)
      degree[a] = (degree[a] ?? 0) + 1
      if (backwards(s)) degree[b] = (degree[b] ?? 0) + 1
    }
    const n = this.vertexIds.length
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
      if (backwards(s)) {
        this.heads[fill[b]!] = a
        this.weights[fill[b]!++] = s.lengthM
      }
    }
  }

  private add(id: number): number {
    let i = this.vertexIndex.get(id)
    if (i === undefined) {
      i = this.vertexIds.length
      this.vertexIndex.set(id, i)
      this.vertexIds.push(id)
    }
    return i
  }

  get vertexCount(): number {
    return this.vertexIds.length
  }

  /** The index of a vertex the segments name. */
  indexOf(vertexId: number): number {
    return this.vertexIndex.get(vertexId)!
  }

  /** The id of the vertex at an index. */
  idAt(index: number): number {
    return this.vertexIds[index]!
  }

  /**
   * Dijkstra from the seeds (vertex ids, each at its distance): settles no vertex farther than `cutoffM` (a
   * distance beyond it is at most an upper bound) and, given `settle` (vertex indices), stops as soon as all of
   * them are settled.
   */
  search(
    seeds: readonly (readonly [vertexId: number, distanceM: number])[],
    options: { cutoffM?: number; settle?: readonly number[] } = {},
  ): GraphSearch {
    const cutoffM = options.cutoffM ?? Number.POSITIVE_INFINITY
    const n = this.vertexIds.length
    const distance = new Float64Array(n).fill(Number.POSITIVE_INFINITY)
    const previous = new Int32Array(n).fill(-1)
    const queue = new FlatQueue<number>()
    for (const [vertex, d] of seeds) {
      const v = this.vertexIndex.get(vertex)!
      if (d < distance[v]!) {
        distance[v] = d
        queue.push(v, d)
      }
    }
    const pending = options.settle ? new Set(options.settle) : undefined
    const settled = new Uint8Array(n)
    while (queue.length > 0) {
      const d = queue.peekValue()!
      const v = queue.pop()!
      if (d > cutoffM) break
      if (settled[v] || d > distance[v]!) continue
      settled[v] = 1
      if (pending?.delete(v) && pending.size === 0) break
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
    return { distance, previous }
  }
}
