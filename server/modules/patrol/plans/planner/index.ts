/**
 * The daily patrol plan, with no database (types.ts says what goes in and out):
 *
 *  1. Posts (护学岗): for every school the policy's post rules name, one fixed-time task at the gate through
 *     each matching peak window of the school. They are assigned to units by a MILP (posts.ts, HiGHS).
 *  2. Visits (巡查): each urban school's required visits become tasks with time windows off the school's
 *     peaks. The windows and the dwell of every visit are drawn from the plan's seed (the date and the
 *     scope), so times differ from day to day and the same day always gives the same plan. Consecutive
 *     visits of one school get windows at least the minimum gap apart (the latest end of one to the earliest
 *     start of the next), so any times within them keep the gap whichever units make the visits.
 *  3. Routes: regret insertion of the visits around each unit's posts, then local search (routing.ts); visits
 *     left out are offered again with their widest window that still keeps the gap to their siblings. When
 *     visits are still left out (the units' hours are too few), two more starts (regret insertion counting
 *     the time an insertion pushes the day back; a construction forward in time) go through the same local
 *     search and the start with the most visits is kept; a repair by ejection chains then fits in what it
 *     can, so the plan never makes fewer visits than a greedy walk of the units would.
 *  4. Everything not planned is listed with the reason, and the plan carries a lower bound (bounds.ts) and
 *     the length of a nearest-neighbour plan over the same posts.
 */
import { lowerBound } from './bounds.ts'
import { assignPosts, canHold, type PostTask, type PostUnit } from './posts.ts'
import { localSearch, nearestNeighbour, regretInsertion, repairLeftOut, Router, type RoutingTask, type RoutingUnit } from './routing.ts'
import { clockOf, draw, secondsOf, subtract, type Windows } from './time.ts'
import type { Mode, PeakWindow, PlannedUnit, PlannerInput, PlanResult, SchoolCoverage, UnmetTask } from './types.ts'
import type { UnmetVisitReason } from '../../../../schemas/patrol-plans.ts'

export type * from './types.ts'

const MAX_VISIT_WINDOW_S = 3 * 3600
const CANDIDATE_ROUTES = 10
/** Schedules the local search may compute (each pass stops once they are spent). */
const DEFAULT_SEARCH_BUDGET = 3_000_000
const DAY_S = 24 * 3600

interface Task extends RoutingTask {
  school: number
  gate: number | null
  window?: string
  /** Visits: which of the school's visits (0-based) and how many it needs. */
  visitNo?: number
  /** Visits: the window drawn (or widened) for the start, before the peaks are taken out. */
  drawn?: [number, number]
}

/** The school's peak windows that a post rule's window name covers: the same name, or a name it prefixes ("afternoon-lower"). */
const matching = (windows: readonly PeakWindow[], name: string) =>
  windows.filter((w) => w.name === name || (w.name.startsWith(name) && /^[-_ :：(（]/.test(w.name.slice(name.length))))

const range = (a: number, b: number) => `${clockOf(a)}–${clockOf(b)}`

export async function planPatrols(input: PlannerInput): Promise<PlanResult> {
  const { policy, schools, travel, seed } = input
  // The caller's pause decides how often to yield (the service yields after 15 ms of work); called often.
  const pause = input.pause ?? (async () => {})
  const started = performance.now()
  const speedMps: Record<Mode, number> = { car: (policy.carSpeedKmh * 1000) / 3600, foot: (policy.footSpeedKmh * 1000) / 3600 }
  const units = input.units.map((u, index) => {
    const start = secondsOf(u.shiftStart)
    let end = secondsOf(u.shiftEnd)
    if (end <= start) end = DAY_S
    return { ...u, index, start, end }
  })
  const routingUnits: RoutingUnit[] = units.map((u) => ({
    index: u.index,
    start: u.start,
    end: u.end,
    base: u.base ?? -1,
    metres: travel.metres[u.mode] ?? new Float64Array(0),
    size: travel.size,
    speedMps: speedMps[u.mode],
  }))
  const metres = (unit: RoutingUnit, a: number, b: number) =>
    a < 0 || b < 0 ? Number.POSITIVE_INFINITY : a === b ? 0 : unit.metres[a * unit.size + b]!
  const seconds = (unit: RoutingUnit, a: number, b: number) => Math.ceil(metres(unit, a, b) / unit.speedMps)
  const working = routingUnits.filter((u) => u.base >= 0)
  const noUnits =
    units.length === 0 ? 'the scope has no active patrol unit' : 'no unit of the scope has its base within reach of a road its mode may use'
  const noUnitsCode: UnmetVisitReason = units.length === 0 ? 'no_active_unit' : 'no_unit_base_on_road'
  const dayStart = working.length > 0 ? Math.min(...working.map((u) => u.start)) : 0
  const dayEnd = working.length > 0 ? Math.max(...working.map((u) => u.end)) : 0

  const tasks: Task[] = []
  const unmet: UnmetTask[] = []
  const dwellMin = policy.dwellMinMinutes
  const dwellMax = Math.max(policy.dwellMinMinutes, policy.dwellMaxMinutes)

  // 1. Posts.
  const postTasks: Task[] = []
  schools.forEach((school, s) => {
    const windows = school.peakWindows ?? policy.peakWindows
    for (const rule of policy.posts) {
      if (rule.scope === 'urban' && !school.urban) continue
      for (const name of rule.windows) {
        for (const w of matching(windows, name)) {
          const start = secondsOf(w.start)
          const end = secondsOf(w.end)
          if (rule.gate > school.gates.length) {
            unmet.push({ schoolId: school.id, kind: 'post', window: w.name, reason: `the school has no gate ${rule.gate} registered` })
            continue
          }
          const location = school.gates[rule.gate - 1]
          if (location === null || location === undefined) {
            unmet.push({
              schoolId: school.id,
              kind: 'post',
              window: w.name,
              reason: `gate ${rule.gate} lies too far from any road the units may use to be reached`,
            })
            continue
          }
          const task: Task = {
            index: tasks.length,
            kind: 'post',
            school: s,
            gate: rule.gate,
            window: w.name,
            location,
            service: end - start,
            windows: [[start, start]],
          }
          tasks.push(task)
          postTasks.push(task)
        }
      }
    }
  })
  const postUnits: PostUnit[] = working.map((u) => ({
    index: u.index,
    start: u.start,
    end: u.end,
    base: u.base,
    seconds: (a, b) => seconds(u, a, b),
    metres: (a, b) => metres(u, a, b),
  }))
  const postList: PostTask[] = postTasks.map((t, i) => ({
    index: i,
    start: t.windows[0]![0],
    end: t.windows[0]![0] + t.service,
    location: t.location,
    weight: 1e6 + 100 * Math.min(schools[t.school]!.students ?? 0, 5000),
  }))
  const posts = await assignPosts(
    postList,
    postUnits.map((u, i) => ({ ...u, index: i })),
    pause,
  )
  await pause()
  const router = new Router(tasks, routingUnits)
  postTasks.forEach((task, i) => {
    const u = posts.unitOf[i]!
    if (u >= 0) router.routes[working[u]!.index]!.tasks.push(task.index)
  })
  for (const route of router.routes) {
    route.tasks.sort((a, b) => tasks[a]!.windows[0]![0] - tasks[b]!.windows[0]![0])
    router.prepare(route)
  }
  postTasks.forEach((task, i) => {
    if (posts.unitOf[i]! >= 0) return
    const school = schools[task.school]!
    const start = task.windows[0]![0]
    const end = start + task.service
    const post = postList[i]!
    const onShift = postUnits.filter((u) => u.start <= start && end <= u.end)
    const able = postUnits.filter((u) => canHold(u, post))
    let reason: string
    if (working.length === 0) reason = noUnits
    else if (onShift.length === 0) reason = `no unit is on shift through ${range(start, end)}`
    else if (able.length === 0) {
      const fastest = Math.min(...onShift.map((u) => u.seconds(u.base, task.location)))
      reason = Number.isFinite(fastest)
        ? `no unit on shift can reach gate ${task.gate} by ${clockOf(start)} from its base and be back by the end of its shift (the nearest needs ${Math.ceil(fastest / 60)} min)`
        : `gate ${task.gate} cannot be reached on the roads from any unit's base`
    } else
      reason = `all ${able.length} unit(s) that could reach gate ${task.gate} by ${clockOf(start)} hold other posts then (posts go to the biggest schools first)`
    unmet.push({ schoolId: school.id, kind: 'post', window: task.window, reason })
  })

  // 2. Visits, with windows and dwell drawn from the seed.
  const coverage: SchoolCoverage[] = schools.map((school) => ({
    schoolId: school.id,
    urban: school.urban,
    required: school.urban ? policy.visitsPerUrbanSchool : 0,
    planned: 0,
  }))
  const visitTasks: Task[] = []
  const siblings = new Map<number, Task[]>()
  const gap = policy.minGapMinutes * 60
  schools.forEach((school, s) => {
    const required = coverage[s]!.required
    if (required === 0) return
    const peaks = (school.peakWindows ?? policy.peakWindows).map((w) => [secondsOf(w.start), secondsOf(w.end)] as [number, number])
    if (school.visitLocation === null) {
      for (let j = 0; j < required; j += 1)
        unmet.push({
          schoolId: school.id,
          kind: 'visit',
          reason: 'the school lies too far from any road the units may use to be reached',
          reasonCode: 'school_off_road',
        })
      return
    }
    if (working.length === 0) {
      for (let j = 0; j < required; j += 1) unmet.push({ schoolId: school.id, kind: 'visit', reason: noUnits, reasonCode: noUnitsCode })
      return
    }
    const dwell = Array.from({ length: required }, (_, j) => {
      const r = draw(seed, 'dwell', school.id, j)()
      return (dwellMin + Math.floor(r * (dwellMax - dwellMin + 1))) * 60
    })
    // How many visits the day can hold at all: k dwells and k − 1 gaps within the units' hours.
    let k = required
    while (k > 0 && dwell.slice(0, k).reduce((a, b) => a + b, 0) + (k - 1) * gap > dayEnd - dayStart) k -= 1
    for (let j = k; j < required; j += 1)
      unmet.push({
        schoolId: school.id,
        kind: 'visit',
        reason: `the units' hours (${range(dayStart, dayEnd)}) leave no room for ${required} visits ${policy.minGapMinutes} min apart`,
        reasonCode: 'no_room_in_hours',
        reasonValues: { hours: range(dayStart, dayEnd), visits: required, minutes: policy.minGapMinutes },
      })
    if (k === 0) return
    // Windows of equal width W, separated by the gaps, placed at random within the day.
    const span = dayEnd - dayStart
    const gaps = dwell.slice(0, k - 1).reduce((a, b) => a + b + gap, 0)
    const last = dwell[k - 1]!
    const width = Math.max(0, Math.min(MAX_VISIT_WINDOW_S, (span - gaps - last) / k))
    const slack = Math.max(0, span - gaps - last - k * width)
    const random = draw(seed, 'windows', school.id)
    const cuts = Array.from({ length: k }, () => random() * slack).sort((a, b) => a - b)
    const list: Task[] = []
    let offset = 0
    for (let j = 0; j < k; j += 1) {
      // Rounded so that a_{j+1} ≥ b_j + dwell_j + gap holds in whole seconds.
      const a = Math.ceil(dayStart + cuts[j]! + offset)
      const b = a + Math.floor(width)
      offset += width + dwell[j]! + gap
      const task: Task = {
        index: tasks.length,
        kind: 'visit',
        school: s,
        gate: school.gates.length > 0 ? 1 : null,
        location: school.visitLocation,
        service: dwell[j]!,
        windows: offPeak(a, b, dwell[j]!, peaks),
        visitNo: j,
        drawn: [a, b],
      }
      tasks.push(task)
      visitTasks.push(task)
      list.push(task)
    }
    siblings.set(s, list)
  })

  // 3. Routes.
  const budget = input.searchBudget ?? DEFAULT_SEARCH_BUDGET
  const spend = () => ({ budget: router.evaluations + budget })
  const nearestRoutes = candidateRoutes(router, tasks, working)
  const random = draw(seed, 'search')
  const search = { candidates: nearestRoutes, budget: Number.POSITIVE_INFINITY, pause, random }
  const movable = (k: number) => tasks[k]!.kind === 'visit'
  const open = () => visitTasks.filter((t) => t.windows.length > 0).map((t) => t.index)
  const closed = () => visitTasks.filter((t) => t.windows.length === 0).map((t) => t.index)
  const searchStarted = performance.now()
  let left = await regretInsertion(router, open(), search)
  left.push(...closed())
  let moves = await localSearch(router, movable, { ...search, ...spend() })
  // Visits left out: widen each to what its siblings' windows allow, offer them again, search again.
  if (left.length > 0) {
    for (const k of left) widen(tasks[k]!, siblings, gap, dayStart, dayEnd, schools, policy.peakWindows)
    left = await regretInsertion(router, left, search)
    moves += await localSearch(router, movable, { ...search, budget: router.evaluations + budget / 4 })
  }
  // When the day is too short for every visit, building by length leaves waits that crowd visits out (regret
  // insertion puts a visit wherever its detour is least, often where the unit then waits for hours). Two more
  // starts: regret insertion counting the time each insertion pushes the day back, and a construction forward
  // in time, each unit in turn taking the visit nearest in driving and waiting; each is improved by the same
  // local search, and the plan keeps the start that makes the most visits (the shortest of those).
  if (left.length > 0) {
    let kept = { tasks: router.routes.map((r) => [...r.tasks]), left: [...left], lengthM: router.lengthM }
    const keepBetter = (leftNow: number[]) => {
      if (leftNow.length < kept.left.length || (leftNow.length === kept.left.length && router.lengthM < kept.lengthM))
        kept = { tasks: router.routes.map((r) => [...r.tasks]), left: leftNow, lengthM: router.lengthM }
    }
    const postsOnly = () => {
      for (const route of router.routes) {
        route.tasks = route.tasks.filter((k) => tasks[k]!.kind === 'post')
        router.prepare(route)
      }
    }
    postsOnly()
    router.timeWeight = 1
    const second = await regretInsertion(router, open(), search)
    second.push(...closed())
    router.timeWeight = 0
    moves += await localSearch(router, movable, { ...search, ...spend() })
    keepBetter(second)
    postsOnly()
    await nearestNeighbour(router, open(), pause)
    const inRoutes = new Set(router.routes.flatMap((r) => r.tasks))
    const third = visitTasks.filter((t) => !inRoutes.has(t.index)).map((t) => t.index)
    moves += await localSearch(router, movable, { ...search, ...spend() })
    keepBetter(third)
    router.routes.forEach((route, r) => {
      route.tasks = kept.tasks[r]!
      router.prepare(route)
    })
    left = kept.left
  }
  // Repair: what is still left out goes in by ejection chains where a visit of a route can make room by
  // moving elsewhere; then the local search shortens what the repair changed.
  if (left.length > 0) {
    const before = left.length
    left = [
      ...(await repairLeftOut(
        router,
        left.filter((k) => tasks[k]!.windows.length > 0),
        movable,
        { ...search, ...spend() },
      )),
      ...left.filter((k) => tasks[k]!.windows.length === 0),
    ]
    if (left.length < before) moves += await localSearch(router, movable, { ...search, budget: router.evaluations + budget / 4 })
  }
  const searchSeconds = (performance.now() - searchStarted) / 1000

  for (const k of left) {
    const task = tasks[k]!
    unmet.push({ schoolId: schools[task.school]!.id, kind: 'visit', ...visitReason(router, task, working) })
  }

  // 4. The plan.
  const plannedUnits: PlannedUnit[] = router.routes.map((route) => {
    const unit = units[route.unit.index]!
    const plan = router.schedule(route.unit, route.tasks)
    if (!plan) throw new Error(`route of unit ${unit.id} is infeasible`)
    const stops = route.tasks.map((k, i) => {
      const task = tasks[k]!
      const school = schools[task.school]!
      if (task.kind === 'visit') coverage[task.school]!.planned += 1
      return {
        kind: task.kind,
        schoolId: school.id,
        gate: task.gate,
        ...(task.window ? { window: task.window } : {}),
        location: task.location,
        arriveAt: plan.starts[i]!,
        departAt: plan.starts[i]! + task.service,
      }
    })
    const leaveAt = stops.length > 0 ? stops[0]!.arriveAt - seconds(route.unit, route.unit.base, stops[0]!.location) : unit.start
    return {
      unitId: unit.id,
      mode: unit.mode,
      stops,
      lengthM: stops.length > 0 ? plan.lengthM : 0,
      path: stops.length > 0 ? [route.unit.base, ...stops.map((s) => s.location), route.unit.base] : [],
      leaveAt,
      returnAt: stops.length > 0 ? plan.back : unit.start,
    }
  })
  const lengthM = plannedUnits.reduce((sum, u) => sum + u.lengthM, 0)
  // One unit per travel matrix (units of a mode share their mode's): the shortest over the modes in use.
  const modes = [...new Map(working.map((u) => [u.metres, u] as const)).values()]
  const minMetres = (a: number, b: number) => {
    let best = Number.POSITIVE_INFINITY
    for (const u of modes) best = Math.min(best, metres(u, a, b))
    return best
  }
  const usedBases = router.routes.filter((r) => r.tasks.length > 0).map((r) => r.unit.base)
  const lb = await lowerBound(
    router.routes.flatMap((r) => r.tasks.map((k) => tasks[k]!.location)),
    usedBases,
    minMetres,
    pause,
  )
  await pause()
  // The baseline over the same posts.
  const baseline = new Router(tasks, routingUnits)
  router.routes.forEach((route, r) => {
    baseline.routes[r]!.tasks = route.tasks.filter((k) => tasks[k]!.kind === 'post')
  })
  const nn = await nearestNeighbour(
    baseline,
    visitTasks.map((t) => t.index),
    pause,
  )
  return {
    units: plannedUnits,
    unmet,
    schools: coverage,
    lengthM,
    lowerBoundM: lb,
    nearestNeighbourM: nn.lengthM,
    nearestNeighbourVisits: nn.served,
    solver: {
      status: posts.status,
      postsObjective: posts.objective,
      postsRelaxation: posts.relaxation,
      gap:
        posts.objective !== null && posts.relaxation !== null && posts.relaxation !== 0
          ? Math.max(0, (posts.relaxation - posts.objective) / Math.abs(posts.relaxation))
          : null,
      variables: posts.variables,
      constraints: posts.constraints,
      postsSeconds: posts.seconds,
      seconds: (performance.now() - started) / 1000,
      localSearchMoves: moves,
      localSearchSeconds: searchSeconds,
    },
  }
}

/** Start times in [a, b] at which a visit of `dwell` seconds stays clear of every peak window. */
function offPeak(a: number, b: number, dwell: number, peaks: readonly [number, number][]): Windows {
  return subtract(
    a,
    b,
    peaks.map(([x, y]) => [x - dwell, y] as [number, number]),
  )
}

/**
 * The widest window a visit can have and still keep the gap to every sibling visit that can still be made
 * (whose windows do not move): after the latest end of the earlier ones, before the earliest start of the later ones.
 */
function widen(
  task: Task,
  siblings: Map<number, Task[]>,
  gap: number,
  dayStart: number,
  dayEnd: number,
  schools: PlannerInput['schools'],
  defaults: readonly PeakWindow[],
) {
  const list = siblings.get(task.school)!
  const j = list.indexOf(task)
  let a = dayStart
  let b = dayEnd - task.service
  list.forEach((other, i) => {
    if (i === j || other.windows.length === 0) return
    if (i < j) a = Math.max(a, other.windows[other.windows.length - 1]![1] + other.service + gap)
    else b = Math.min(b, other.windows[0]![0] - gap - task.service)
  })
  const peaks = (schools[task.school]!.peakWindows ?? defaults).map((w) => [secondsOf(w.start), secondsOf(w.end)] as [number, number])
  task.windows = offPeak(a, b, task.service, peaks)
  task.drawn = [a, b]
}

/**
 * For each task the routes worth trying: all of them for a small instance; else the units of the bases
 * nearest to the task (a round trip from the base), taking whole bases until there are at least
 * CANDIDATE_ROUTES units from at least three bases, so that one busy station does not hide the others.
 */
function candidateRoutes(router: Router, tasks: readonly Task[], working: readonly RoutingUnit[]) {
  const all = working.map((u) => u.index)
  if (all.length <= CANDIDATE_ROUTES * 2) return () => all
  const cache = new Map<number, number[]>()
  return (k: number) => {
    const location = tasks[k]!.location
    let list = cache.get(location)
    if (!list) {
      const ranked = working
        .map((u) => ({ r: u.index, base: u.base, m: router.metres(u, u.base, location) + router.metres(u, location, u.base) }))
        .filter((c) => Number.isFinite(c.m))
        .sort((a, b) => a.m - b.m || a.r - b.r)
      list = []
      const bases = new Set<number>()
      for (const c of ranked) {
        if (list.length >= CANDIDATE_ROUTES && bases.size >= 3 && !bases.has(c.base)) break
        bases.add(c.base)
        list.push(c.r)
      }
      cache.set(location, list)
    }
    return list
  }
}

/** Why a visit found no unit: the first thing that rules every unit out. */
function visitReason(
  router: Router,
  task: Task,
  working: readonly RoutingUnit[],
): Pick<UnmetTask, 'reason' | 'reasonCode' | 'reasonValues'> {
  const n = task.visitNo! + 1
  if (task.windows.length === 0) {
    const [a, b] = task.drawn!
    const span = a <= b ? range(a, b + task.service) : undefined
    return {
      reason: `no off-peak time is left for visit ${n} in ${span ?? 'the day'}, between the other visits and the school's peak windows`,
      reasonCode: 'no_off_peak_time',
      reasonValues: span ? { visit: n, span } : { visit: n },
    }
  }
  const span = range(task.windows[0]![0], task.windows[task.windows.length - 1]![1] + task.service)
  const onShift = working.filter((u) => task.windows.some(([a, b]) => u.start <= b && a + task.service <= u.end))
  if (onShift.length === 0)
    return {
      reason: `no unit is on shift in ${span}, the time left for visit ${n}`,
      reasonCode: 'no_unit_on_shift',
      reasonValues: { visit: n, span },
    }
  const reachable = onShift.filter((u) => router.schedule(u, [task.index]) !== null)
  if (reachable.length === 0)
    return {
      reason: `no unit on shift can get to the school in ${span} and back to its base within its shift`,
      reasonCode: 'no_unit_can_reach',
      reasonValues: { visit: n, span },
    }
  return {
    reason: `every unit that could make visit ${n} (${span}) is fully booked then with posts and other visits`,
    reasonCode: 'units_fully_booked',
    reasonValues: { visit: n, span },
  }
}
