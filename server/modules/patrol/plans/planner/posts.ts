/**
 * Assigning the peak-hour posts (护学岗) to units: a MILP solved by HiGHS.
 *
 *   maximise  Σ_{u,p} (W_p − c_{u,p}) x_{u,p}
 *   s.t.      Σ_u x_{u,p} ≤ 1                         every post held by at most one unit
 *             Σ_{p ∋ τ} x_{u,p} ≤ 1   ∀ u, τ           a unit holds one post at a time (τ each post start: the
 *                                                     maximal cliques of the unit's interval graph)
 *             x_{u,p} + x_{u,q} ≤ 1                    posts that do not overlap but cannot both be reached
 *                                                     (the end of one plus the travel is after the start of the other)
 *             x_{u,p} ∈ {0, 1}, only for units on shift that can reach the gate from their base by the window's
 *             start and get back before the shift ends.
 *
 * W_p = 10⁶ + 100·min(students, 5000) makes covering a post worth more than any travel and, when units are
 * too few, gives the posts to the biggest schools; c_{u,p} is the round trip base → gate → base in metres,
 * a linear stand-in for the travel a post adds to the unit's day. Each post keeps its K cheapest units
 * (K = 12) so the model stays small for a county of 2,000 schools. HiGHS runs in a worker thread.
 */
import { Worker } from 'node:worker_threads'
import highsModule, { type Highs } from 'highs'

export interface PostTask {
  index: number
  start: number
  end: number
  location: number
  weight: number
}

export interface PostUnit {
  index: number
  start: number
  end: number
  base: number
  /** Seconds from a to b for this unit's mode (Infinity where there is no path). */
  seconds: (a: number, b: number) => number
  metres: (a: number, b: number) => number
}

export interface PostsSolution {
  /** For each post the index of its unit, or -1. */
  unitOf: Int32Array
  status: string
  objective: number | null
  relaxation: number | null
  variables: number
  constraints: number
  seconds: number
}

const CANDIDATES_PER_POST = 12

// The package's types describe an ES module while Node loads its CommonJS build: the loader is the default export either way.
const highsLoader = highsModule as unknown as () => Promise<Highs>
let inProcess: Promise<Highs> | undefined
type Solution = ReturnType<Highs['solve']>

/**
 * One HiGHS solve in a worker thread, so the event loop stays free however long the MILP takes; in this
 * thread only where no worker can be started. The worker is kept for the next plan and does not hold the
 * process open.
 */
let worker: { thread: Worker; pending: Map<number, { resolve: (s: Solution) => void; reject: (e: Error) => void }> } | null | undefined
let nextId = 0
async function solve(model: string, options: Record<string, unknown>): Promise<Solution> {
  if (worker === undefined) {
    try {
      const thread = new Worker(new URL('./highs-worker.mjs', import.meta.url))
      const pending = new Map<number, { resolve: (s: Solution) => void; reject: (e: Error) => void }>()
      thread.on('message', (m: { id: number; result?: Solution; error?: string }) => {
        const waiting = pending.get(m.id)
        pending.delete(m.id)
        if (pending.size === 0) thread.unref()
        if (m.error !== undefined) waiting?.reject(new Error(m.error))
        else waiting?.resolve(m.result!)
      })
      thread.on('error', (error) => {
        for (const w of pending.values()) w.reject(error)
        pending.clear()
        worker = undefined
      })
      // Held only while a solve is pending (unref after the listeners, which would hold it again).
      thread.unref()
      worker = { thread, pending }
    } catch {
      worker = null
    }
  }
  if (worker === null) return (await (inProcess ??= highsLoader())).solve(model, options)
  const { pending } = worker
  const id = (nextId += 1)
  return new Promise<Solution>((resolve, reject) => {
    pending.set(id, { resolve, reject })
    worker!.thread.ref()
    worker!.thread.postMessage({ id, model, options })
  })
}

/** Whether a unit can take a post at all: on shift through it, and the gate reachable from its base and back. */
export function canHold(unit: PostUnit, post: PostTask): boolean {
  return unit.start + unit.seconds(unit.base, post.location) <= post.start && post.end + unit.seconds(post.location, unit.base) <= unit.end
}

/** Whether one unit can hold both posts (in either order). */
export function compatible(unit: PostUnit, p: PostTask, q: PostTask): boolean {
  return p.end + unit.seconds(p.location, q.location) <= q.start || q.end + unit.seconds(q.location, p.location) <= p.start
}

/**
 * Solves the assignment; posts no unit can hold stay unassigned (-1). `pause` is awaited after each post and
 * each unit while the model is built (a county's posts take a few hundred milliseconds), so that the caller
 * can yield to the event loop; it does not change the model.
 */
export async function assignPosts(
  posts: readonly PostTask[],
  units: readonly PostUnit[],
  pause: () => Promise<void> = async () => {},
): Promise<PostsSolution> {
  const started = performance.now()
  const unitOf = new Int32Array(posts.length).fill(-1)
  // Candidate (unit, post) pairs: units that can hold the post, the cheapest K by round trip.
  const pairs: { u: number; p: number; value: number }[] = []
  for (const post of posts) {
    const options = units
      .filter((unit) => canHold(unit, post))
      .map((unit) => ({ u: unit.index, cost: unit.metres(unit.base, post.location) + unit.metres(post.location, unit.base) }))
      .sort((a, b) => a.cost - b.cost || a.u - b.u)
      .slice(0, CANDIDATES_PER_POST)
    for (const o of options) pairs.push({ u: o.u, p: post.index, value: post.weight - o.cost })
    await pause()
  }
  if (pairs.length === 0)
    return {
      unitOf,
      status: 'Empty',
      objective: 0,
      relaxation: 0,
      variables: 0,
      constraints: 0,
      seconds: (performance.now() - started) / 1000,
    }
  const name = (k: number) => `x${k}`
  const rows: string[] = []
  const byPost = new Map<number, number[]>()
  const byUnit = new Map<number, number[]>()
  pairs.forEach((pair, k) => {
    ;(byPost.get(pair.p) ?? byPost.set(pair.p, []).get(pair.p)!).push(k)
    ;(byUnit.get(pair.u) ?? byUnit.set(pair.u, []).get(pair.u)!).push(k)
  })
  for (const [p, ks] of byPost) if (ks.length > 1) rows.push(`p${p}: ${ks.map(name).join(' + ')} <= 1`)
  for (const [u, ks] of byUnit) {
    const unit = units[u]!
    // Cliques of overlapping posts: at each post's start, every post running then.
    const seen = new Set<string>()
    for (const k of ks) {
      const t = posts[pairs[k]!.p]!.start
      const clique = ks.filter((j) => posts[pairs[j]!.p]!.start <= t && t < posts[pairs[j]!.p]!.end)
      const key = clique.join(',')
      if (clique.length > 1 && !seen.has(key)) {
        seen.add(key)
        rows.push(`u${u}t${seen.size}: ${clique.map(name).join(' + ')} <= 1`)
      }
    }
    // Pairs that do not overlap in time but cannot be joined by the unit's travel.
    let pairRow = 0
    for (let i = 0; i < ks.length; i += 1)
      for (let j = i + 1; j < ks.length; j += 1) {
        const p = posts[pairs[ks[i]!]!.p]!
        const q = posts[pairs[ks[j]!]!.p]!
        const overlap = p.start < q.end && q.start < p.end
        if (!overlap && !compatible(unit, p, q)) rows.push(`u${u}c${(pairRow += 1)}: ${name(ks[i]!)} + ${name(ks[j]!)} <= 1`)
      }
    await pause()
  }
  const objective = pairs.map((pair, k) => `${pair.value >= 0 ? '+' : '-'} ${Math.abs(pair.value).toFixed(3)} ${name(k)}`).join(' ')
  const bounds = pairs.map((_, k) => ` 0 <= ${name(k)} <= 1`).join('\n')
  const model = (integer: boolean) =>
    `Maximize\n obj: ${objective}\nSubject To\n${rows.length > 0 ? rows.map((r) => ` ${r}`).join('\n') : ` none: ${name(0)} <= 1`}\nBounds\n${bounds}\n${integer ? `Binary\n ${pairs.map((_, k) => name(k)).join(' ')}\n` : ''}End\n`
  const relaxed = await solve(model(false), { output_flag: false })
  const result = await solve(model(true), { output_flag: false, time_limit: 20, mip_rel_gap: 1e-6 })
  if (result.Status === 'Optimal' || result.Status === 'Time limit reached') {
    pairs.forEach((pair, k) => {
      const column = (result.Columns as Record<string, { Primal?: number }>)[name(k)]
      if ((column?.Primal ?? 0) > 0.5) unitOf[pair.p] = pair.u
    })
  }
  return {
    unitOf,
    status: result.Status,
    objective: result.Status === 'Optimal' || result.Status === 'Time limit reached' ? result.ObjectiveValue : null,
    relaxation: relaxed.Status === 'Optimal' ? relaxed.ObjectiveValue : null,
    variables: pairs.length,
    constraints: rows.length,
    seconds: (performance.now() - started) / 1000,
  }
}
