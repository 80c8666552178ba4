/**
 * Routes with time windows over the network's travel matrix: one route per unit, from its base at the start
 * of its shift back to its base by the end, through fixed-time posts and visits that must start within
 * their windows (a unit may wait before a stop). Construction by regret-2 insertion, then local search
 * (relocate between and within routes, or-opt of chains of two and three, exchange of two visits between
 * routes, 2-opt within a stretch between posts) while it shortens the total length, re-trying the visits left out after each pass.
 *
 * Insertion is checked in O(1) with each route's earliest starts (forward) and latest feasible starts
 * (backward), as in Savelsbergh (1992), "The vehicle routing problem with time windows: minimizing route
 * duration"; waiting is allowed, so a route stays feasible iff every stop's arrival is at most its latest start.
 */
import { earliestIn, latestIn, type Windows } from './time.ts'

export interface RoutingTask {
  index: number
  kind: 'post' | 'visit'
  location: number
  /** Seconds spent at the stop. */
  service: number
  /** Allowed start times. */
  windows: Windows
}

export interface RoutingUnit {
  index: number
  start: number
  end: number
  base: number
  metres: Float64Array
  size: number
  speedMps: number
}

export interface Route {
  unit: RoutingUnit
  tasks: number[]
  // Derived by prepare(): earliest start, latest start of each task, the route's length.
  early: number[]
  late: number[]
  lengthM: number
  feasible: boolean
}

export class Router {
  readonly routes: Route[]
  /** Route schedules computed so far: the local search's budget is counted in them, not by the clock, so a plan never depends on the machine's speed. */
  evaluations = 0
  /** Metres an insertion costs per metre of the day it pushes back (time at the unit's speed): 0 builds by length alone. */
  timeWeight = 0
  constructor(
    readonly tasks: readonly RoutingTask[],
    units: readonly RoutingUnit[],
  ) {
    this.routes = units.map((unit) => ({ unit, tasks: [], early: [], late: [], lengthM: 0, feasible: true }))
  }

  metres(unit: RoutingUnit, a: number, b: number): number {
    return a === b ? 0 : unit.metres[a * unit.size + b]!
  }

  /** Whole seconds of travel, rounded up (so rounding never makes a route look feasible that is not). */
  seconds(unit: RoutingUnit, a: number, b: number): number {
    return a === b ? 0 : Math.ceil(this.metres(unit, a, b) / unit.speedMps)
  }

  /** Earliest starts of a sequence of tasks for a unit, with the return time and length; null when infeasible. */
  schedule(unit: RoutingUnit, sequence: readonly number[]): { starts: number[]; back: number; lengthM: number } | null {
    this.evaluations += 1
    let t = unit.start
    let at = unit.base
    let lengthM = 0
    const starts: number[] = []
    for (const k of sequence) {
      const task = this.tasks[k]!
      const s = earliestIn(task.windows, t + this.seconds(unit, at, task.location))
      if (s === null) return null
      starts.push(s)
      lengthM += this.metres(unit, at, task.location)
      t = s + task.service
      at = task.location
    }
    const back = t + this.seconds(unit, at, unit.base)
    if (!(back <= unit.end)) return null
    lengthM += this.metres(unit, at, unit.base)
    return { starts, back, lengthM }
  }

  /** Recomputes a route's earliest and latest starts and its length. */
  prepare(route: Route): void {
    const { unit, tasks } = route
    const plan = this.schedule(unit, tasks)
    route.feasible = plan !== null
    route.early = plan?.starts ?? []
    route.lengthM = plan?.lengthM ?? Number.POSITIVE_INFINITY
    const late = new Array<number>(tasks.length)
    let bound = unit.end
    let next = unit.base
    for (let i = tasks.length - 1; i >= 0; i -= 1) {
      const task = this.tasks[tasks[i]!]!
      const l = latestIn(task.windows, bound - this.seconds(unit, task.location, next) - task.service)
      late[i] = l ?? Number.NEGATIVE_INFINITY
      bound = late[i]!
      next = task.location
    }
    route.late = late
  }

  /**
   * The cheapest feasible position for a task in a route (position i: before the route's i-th task), or null.
   * The cost is the added length, plus (with timeWeight) the time the insertion pushes the rest of the day
   * back counted at the unit's speed: by length alone a visit goes wherever a unit waits anyway, and when the
   * day is short the waits use up the time other visits need.
   */
  bestInsertion(route: Route, k: number): { position: number; delta: number } | null {
    const { unit, tasks, early, late } = route
    const task = this.tasks[k]!
    let best: { position: number; delta: number } | null = null
    const lastLocation = tasks.length === 0 ? unit.base : this.tasks[tasks[tasks.length - 1]!]!.location
    const back =
      tasks.length === 0
        ? unit.start
        : early[tasks.length - 1]! + this.tasks[tasks[tasks.length - 1]!]!.service + this.seconds(unit, lastLocation, unit.base)
    for (let i = 0; i <= tasks.length; i += 1) {
      const prev = i === 0 ? unit.base : this.tasks[tasks[i - 1]!]!.location
      const leave = i === 0 ? unit.start : early[i - 1]! + this.tasks[tasks[i - 1]!]!.service
      const next = i === tasks.length ? unit.base : this.tasks[tasks[i]!]!.location
      const latest = i === tasks.length ? unit.end : late[i]!
      const s = earliestIn(task.windows, leave + this.seconds(unit, prev, task.location))
      if (s === null) {
        // Later positions only leave later.
        if (i > 0 && task.windows.length > 0 && leave > task.windows[task.windows.length - 1]![1]) break
        continue
      }
      const arrive = s + task.service + this.seconds(unit, task.location, next)
      if (arrive > latest) continue
      const nextTask = i === tasks.length ? null : this.tasks[tasks[i]!]!
      const pushed = nextTask ? (earliestIn(nextTask.windows, arrive) ?? arrive) - early[i]! : arrive - back
      const delta =
        this.metres(unit, prev, task.location) +
        this.metres(unit, task.location, next) -
        this.metres(unit, prev, next) +
        Math.max(0, pushed) * unit.speedMps * this.timeWeight
      if (!best || delta < best.delta - 1e-9) best = { position: i, delta }
    }
    return best
  }

  /** Whether a task fits at a position of a prepared route (O(1)). */
  fitsAt(route: Route, k: number, i: number): boolean {
    const { unit, tasks, early, late } = route
    const task = this.tasks[k]!
    const prev = i === 0 ? unit.base : this.tasks[tasks[i - 1]!]!.location
    const leave = i === 0 ? unit.start : early[i - 1]! + this.tasks[tasks[i - 1]!]!.service
    const next = i === tasks.length ? unit.base : this.tasks[tasks[i]!]!.location
    const latest = i === tasks.length ? unit.end : late[i]!
    const s = earliestIn(task.windows, leave + this.seconds(unit, prev, task.location))
    return s !== null && s + task.service + this.seconds(unit, task.location, next) <= latest
  }

  insert(route: Route, k: number, position: number): void {
    route.tasks.splice(position, 0, k)
    this.prepare(route)
  }

  /** Where each task is: route index and position (tasks in no route are absent). */
  locate(): Map<number, { route: number; position: number }> {
    const where = new Map<number, { route: number; position: number }>()
    this.routes.forEach((route, r) => route.tasks.forEach((k, i) => where.set(k, { route: r, position: i })))
    return where
  }

  get lengthM(): number {
    return this.routes.reduce((sum, route) => sum + route.lengthM, 0)
  }
}

export interface SearchOptions {
  /** The routes worth trying for a task (all when the instance is small; the nearest when it is big). */
  candidates: (k: number) => readonly number[]
  /** The local search stops once the router has computed this many schedules (deterministic, unlike a clock). */
  budget: number
  pause: () => Promise<void>
  random: () => number
}

/**
 * Regret-2 insertion of the given tasks: repeatedly the task whose best and second-best routes differ most
 * (a task with a single possible route first) goes into its best route. Returns the tasks that fit nowhere.
 */
export async function regretInsertion(router: Router, pending: readonly number[], options: SearchOptions): Promise<number[]> {
  type Entry = { route: number; position: number; delta: number }
  const options_ = new Map<number, Entry[]>()
  const evaluate = (k: number, r: number): Entry | null => {
    const best = router.bestInsertion(router.routes[r]!, k)
    return best ? { route: r, ...best } : null
  }
  for (const k of pending) {
    const entries: Entry[] = []
    for (const r of options.candidates(k)) {
      const e = evaluate(k, r)
      if (e) entries.push(e)
    }
    options_.set(k, entries)
    await options.pause()
  }
  const left: number[] = []
  while (options_.size > 0) {
    let chosen: number | null = null
    let chosenRegret = Number.NEGATIVE_INFINITY
    let chosenDelta = Number.POSITIVE_INFINITY
    for (const [k, entries] of options_) {
      if (entries.length === 0) {
        chosen = k
        chosenRegret = Number.POSITIVE_INFINITY
        break
      }
      let first = Number.POSITIVE_INFINITY
      let second = Number.POSITIVE_INFINITY
      for (const e of entries) {
        if (e.delta < first) {
          second = first
          first = e.delta
        } else if (e.delta < second) second = e.delta
      }
      const regret = second === Number.POSITIVE_INFINITY ? 1e12 - first : second - first
      if (regret > chosenRegret + 1e-9 || (Math.abs(regret - chosenRegret) <= 1e-9 && first < chosenDelta)) {
        chosen = k
        chosenRegret = regret
        chosenDelta = first
      }
    }
    const k = chosen!
    const entries = options_.get(k)!
    options_.delete(k)
    if (entries.length === 0) {
      left.push(k)
      continue
    }
    const best = entries.reduce((a, b) => (b.delta < a.delta ? b : a))
    router.insert(router.routes[best.route]!, k, best.position)
    // Only the entries into the changed route can have changed.
    for (const [j, list] of options_) {
      const i = list.findIndex((e) => e.route === best.route)
      if (i < 0 && !options.candidates(j).includes(best.route)) continue
      const e = evaluate(j, best.route)
      if (i >= 0) list.splice(i, 1)
      if (e) list.push(e)
    }
    await options.pause()
  }
  return left
}

const EPSILON_M = 0.01

/**
 * Local search until no move shortens the routes or the budget of schedules is spent: relocate (a visit to the best
 * place in any candidate route), or-opt (a chain of two or three visits, either way round, elsewhere in its
 * own or another route), exchange (two visits of different routes trade places) and 2-opt (reversing a
 * stretch of visits between two posts). Only visits move;
 * posts stay with the unit the assignment gave them. Returns the number of moves made.
 */
export async function localSearch(router: Router, movable: (k: number) => boolean, options: SearchOptions): Promise<number> {
  let moves = 0
  let improved = true
  while (improved && router.evaluations < options.budget) {
    improved = false
    // Relocate and or-opt, over the routes' visits in a seeded random order.
    const order = [...router.locate().keys()].filter(movable)
    for (let i = order.length - 1; i > 0; i -= 1) {
      const j = Math.floor(options.random() * (i + 1))
      ;[order[i], order[j]] = [order[j]!, order[i]!]
    }
    for (const k of order) {
      if (router.evaluations >= options.budget) break
      if ([1, 2, 3].some((chain) => moveChain(router, k, chain, movable, options)) || swap(router, k, movable, options)) {
        moves += 1
        improved = true
      }
      await options.pause()
    }
    for (const route of router.routes) {
      if (router.evaluations >= options.budget) break
      if (twoOpt(router, route, movable)) {
        moves += 1
        improved = true
      }
      await options.pause()
    }
  }
  return moves
}

/** Moves the chain of `length` visits starting at task k to the best place found, if that shortens the routes. */
function moveChain(router: Router, k: number, length: number, movable: (k: number) => boolean, options: SearchOptions): boolean {
  const where = findTask(router, k)
  if (!where) return false
  const from = router.routes[where.route]!
  const chain = from.tasks.slice(where.position, where.position + length)
  if (chain.length < length || !chain.every(movable)) return false
  const rest = [...from.tasks.slice(0, where.position), ...from.tasks.slice(where.position + length)]
  const restPlan = router.schedule(from.unit, rest)
  if (!restPlan) return false
  const saving = from.lengthM - restPlan.lengthM
  if (saving <= EPSILON_M) return false
  let best: { route: number; tasks: number[]; lengthM: number; gain: number } | null = null
  const targets = new Set([where.route, ...options.candidates(k)])
  for (const r of targets) {
    const route = router.routes[r]!
    const base = r === where.route ? rest : route.tasks
    const unit = route.unit
    for (const piece of length === 1 ? [chain] : [chain, [...chain].reverse()]) {
      const first = router.tasks[piece[0]!]!.location
      const last = router.tasks[piece[piece.length - 1]!]!.location
      let inner = 0
      for (let j = 1; j < piece.length; j += 1)
        inner += router.metres(unit, router.tasks[piece[j - 1]!]!.location, router.tasks[piece[j]!]!.location)
      for (let i = 0; i <= base.length; i += 1) {
        if (r === where.route && i === where.position && piece === chain) continue
        const prev = i === 0 ? unit.base : router.tasks[base[i - 1]!]!.location
        const next = i === base.length ? unit.base : router.tasks[base[i]!]!.location
        const delta = router.metres(unit, prev, first) + inner + router.metres(unit, last, next) - router.metres(unit, prev, next)
        const gain = saving - delta
        if (gain <= EPSILON_M || (best && gain <= best.gain)) continue
        const tasks = [...base.slice(0, i), ...piece, ...base.slice(i)]
        const plan = router.schedule(unit, tasks)
        if (!plan) continue
        const realGain =
          from.lengthM + (r === where.route ? 0 : route.lengthM) - (r === where.route ? plan.lengthM : restPlan.lengthM + plan.lengthM)
        if (realGain > EPSILON_M && (!best || realGain > best.gain)) best = { route: r, tasks, lengthM: plan.lengthM, gain: realGain }
      }
    }
  }
  if (!best) return false
  if (best.route !== where.route) {
    from.tasks = rest
    router.prepare(from)
  }
  const target = router.routes[best.route]!
  target.tasks = best.tasks
  router.prepare(target)
  return true
}

/** Exchanges visit k with a visit of another candidate route when that shortens the two routes (it often fits where neither relocation would). */
function swap(router: Router, k: number, movable: (k: number) => boolean, options: SearchOptions): boolean {
  const where = findTask(router, k)
  if (!where) return false
  const a = router.routes[where.route]!
  const i = where.position
  const location = (route: Route, p: number) =>
    p < 0 || p >= route.tasks.length ? route.unit.base : router.tasks[route.tasks[p]!]!.location
  const [aPrev, aNext, here] = [location(a, i - 1), location(a, i + 1), location(a, i)]
  const aOut = router.metres(a.unit, aPrev, here) + router.metres(a.unit, here, aNext)
  let best: { route: number; position: number; aTasks: number[]; bTasks: number[]; gain: number } | null = null
  for (const r of options.candidates(k)) {
    if (r === where.route) continue
    const b = router.routes[r]!
    for (let j = 0; j < b.tasks.length; j += 1) {
      const m = b.tasks[j]!
      if (!movable(m)) continue
      const [bPrev, bNext, there] = [location(b, j - 1), location(b, j + 1), location(b, j)]
      const change =
        router.metres(a.unit, aPrev, there) +
        router.metres(a.unit, there, aNext) -
        aOut +
        router.metres(b.unit, bPrev, here) +
        router.metres(b.unit, here, bNext) -
        router.metres(b.unit, bPrev, there) -
        router.metres(b.unit, there, bNext)
      if (!(change < -EPSILON_M) || (best && -change <= best.gain)) continue
      const aTasks = a.tasks.map((t, p) => (p === i ? m : t))
      const bTasks = b.tasks.map((t, p) => (p === j ? k : t))
      const aPlan = router.schedule(a.unit, aTasks)
      if (!aPlan) continue
      const bPlan = router.schedule(b.unit, bTasks)
      if (!bPlan) continue
      const gain = a.lengthM + b.lengthM - aPlan.lengthM - bPlan.lengthM
      if (gain > EPSILON_M && (!best || gain > best.gain)) best = { route: r, position: j, aTasks, bTasks, gain }
    }
  }
  if (!best) return false
  a.tasks = best.aTasks
  router.prepare(a)
  const b = router.routes[best.route]!
  b.tasks = best.bTasks
  router.prepare(b)
  return true
}

function findTask(router: Router, k: number): { route: number; position: number } | null {
  for (let r = 0; r < router.routes.length; r += 1) {
    const i = router.routes[r]!.tasks.indexOf(k)
    if (i >= 0) return { route: r, position: i }
  }
  return null
}

/** The best improving reversal of a stretch of movable visits in one route; true when one was made. */
function twoOpt(router: Router, route: Route, movable: (k: number) => boolean): boolean {
  const { tasks, unit } = route
  let best: { tasks: number[]; lengthM: number } | null = null
  for (let i = 0; i < tasks.length; i += 1) {
    if (!movable(tasks[i]!)) continue
    for (let j = i + 1; j < tasks.length && movable(tasks[j]!); j += 1) {
      const reversed = [...tasks.slice(0, i), ...tasks.slice(i, j + 1).reverse(), ...tasks.slice(j + 1)]
      // Cheap length first: only the arcs around and inside the stretch change.
      let change = 0
      const loc = (list: number[], p: number) => (p < 0 || p >= list.length ? unit.base : router.tasks[list[p]!]!.location)
      for (let p = i - 1; p <= j; p += 1)
        change += router.metres(unit, loc(reversed, p), loc(reversed, p + 1)) - router.metres(unit, loc(tasks, p), loc(tasks, p + 1))
      if (change >= -EPSILON_M || (best && route.lengthM + change >= best.lengthM)) continue
      const plan = router.schedule(unit, reversed)
      if (plan && plan.lengthM < route.lengthM - EPSILON_M && (!best || plan.lengthM < best.lengthM))
        best = { tasks: reversed, lengthM: plan.lengthM }
    }
  }
  if (!best) return false
  route.tasks = best.tasks
  router.prepare(route)
  return true
}

/**
 * The plain baseline the benchmark compares with: the same posts, then each unit in turn from its base takes
 * the nearest visit that still fits before its next post (or the end of its shift), until none fits. "Nearest"
 * counts waiting as well as driving (the wait at the unit's speed, in metres), or a unit would drive to the
 * nearest school and wait there for hours while other visits go begging.
 */
export async function nearestNeighbour(
  router: Router,
  visits: readonly number[],
  pause: () => Promise<void>,
): Promise<{ lengthM: number; served: number }> {
  const free = new Set(visits)
  let served = 0
  for (const route of router.routes) {
    const fixed = new Set(route.tasks)
    router.prepare(route)
    let position = 0
    for (;;) {
      await pause()
      const unit = route.unit
      const here = position === 0 ? unit.base : router.tasks[route.tasks[position - 1]!]!.location
      const leave = position === 0 ? unit.start : route.early[position - 1]! + router.tasks[route.tasks[position - 1]!]!.service
      let best = -1
      let bestCost = Number.POSITIVE_INFINITY
      for (const k of free) {
        const task = router.tasks[k]!
        const m = router.metres(unit, here, task.location)
        if (!Number.isFinite(m) || m >= bestCost) continue
        const arrive = leave + router.seconds(unit, here, task.location)
        const start = earliestIn(task.windows, arrive)
        if (start === null) continue
        const cost = m + (start - arrive) * unit.speedMps
        if (cost < bestCost && router.fitsAt(route, k, position)) {
          best = k
          bestCost = cost
        }
      }
      if (best >= 0) {
        router.insert(route, best, position)
        free.delete(best)
        served += 1
        position += 1
        continue
      }
      // Nothing fits before the next post: go on past it.
      const nextFixed = route.tasks.findIndex((k, i) => i >= position && fixed.has(k))
      if (nextFixed < 0) break
      position = nextFixed + 1
    }
  }
  return { lengthM: router.lengthM, served }
}

/**
 * Repair of the visits left out, by ejection chains of depth one (as in the route-minimisation heuristics of
 * Nagata and Bräysy, 2009): a left-out visit goes straight into the cheapest place of a candidate route if
 * one fits; else into a route in the place of one of its visits, which itself moves to the cheapest place
 * that fits in one of its own candidate routes (the same route included). Every move serves one visit more
 * and keeps every route feasible; of the moves for a visit the one adding the least length is made. Passes
 * repeat while one serves a visit or until the budget of schedules is spent. Returns the visits still left.
 */
export async function repairLeftOut(
  router: Router,
  pending: readonly number[],
  movable: (k: number) => boolean,
  options: SearchOptions,
): Promise<number[]> {
  let left = [...pending]
  for (let changed = true; changed && left.length > 0 && router.evaluations < options.budget;) {
    changed = false
    const still: number[] = []
    for (const v of left) {
      if (router.evaluations < options.budget && (insertCheapest(router, v, options) || ejectOne(router, v, movable, options)))
        changed = true
      else still.push(v)
      await options.pause()
    }
    left = still
  }
  return left
}

function insertCheapest(router: Router, v: number, options: SearchOptions): boolean {
  let best: { route: number; position: number; delta: number } | null = null
  for (const r of options.candidates(v)) {
    const e = router.bestInsertion(router.routes[r]!, v)
    if (e && (!best || e.delta < best.delta - 1e-9)) best = { route: r, ...e }
  }
  if (!best) return false
  router.insert(router.routes[best.route]!, v, best.position)
  return true
}

function ejectOne(router: Router, v: number, movable: (k: number) => boolean, options: SearchOptions): boolean {
  let best: { route: number; tasks: number[]; other: number; otherTasks: number[] | null; delta: number } | null = null
  for (const r of options.candidates(v)) {
    const route = router.routes[r]!
    for (let i = 0; i < route.tasks.length; i += 1) {
      const u = route.tasks[i]!
      if (!movable(u)) continue
      const without: Route = {
        unit: route.unit,
        tasks: route.tasks.filter((_, j) => j !== i),
        early: [],
        late: [],
        lengthM: 0,
        feasible: true,
      }
      router.prepare(without)
      if (!without.feasible) continue
      const into = router.bestInsertion(without, v)
      if (!into) continue
      const withV: Route = { ...without, tasks: [...without.tasks] }
      router.insert(withV, v, into.position)
      // Where the ejected visit goes: its cheapest place in one of its candidate routes, this one (now with v) included.
      for (const r2 of new Set([r, ...options.candidates(u)])) {
        const target = r2 === r ? withV : router.routes[r2]!
        const e = router.bestInsertion(target, u)
        if (!e) continue
        const delta = withV.lengthM - route.lengthM + e.delta
        if (best && delta >= best.delta - 1e-9) continue
        const tasks = [...target.tasks]
        tasks.splice(e.position, 0, u)
        best =
          r2 === r
            ? { route: r, tasks, other: r, otherTasks: null, delta }
            : { route: r, tasks: withV.tasks, other: r2, otherTasks: tasks, delta }
      }
    }
  }
  if (!best) return false
  const route = router.routes[best.route]!
  route.tasks = best.tasks
  router.prepare(route)
  if (best.otherTasks) {
    const other = router.routes[best.other]!
    other.tasks = best.otherTasks
    router.prepare(other)
  }
  return true
}
