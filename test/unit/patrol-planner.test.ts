/**
 * The pure parts of the patrol planner: directed travel on segments (one-way streets for cars), and the
 * planner on a small matrix (reproducible per seed, different per date, posts exact, lower bound below).
 */
import { describe, expect, it } from 'vitest'
import { TravelNetwork, type TravelSegment } from '../../server/geo/travel.ts'
import { lowerBound } from '../../server/modules/patrol/plans/planner/bounds.ts'
import { planPatrols, type PlannerInput } from '../../server/modules/patrol/plans/planner/index.ts'
import { earliestIn, latestIn, subtract } from '../../server/modules/patrol/plans/planner/time.ts'

// A square 1 → 2 → 3 → 4 → 1 of 100 m sides; 1 → 2 is one way.
const square: TravelSegment[] = [
  { id: 1, source: 1, target: 2, lengthM: 100, oneway: true, sourcePosition: [0, 0], targetPosition: [1, 0] },
  { id: 2, source: 2, target: 3, lengthM: 100, oneway: false, sourcePosition: [1, 0], targetPosition: [1, 1] },
  { id: 3, source: 3, target: 4, lengthM: 100, oneway: false, sourcePosition: [1, 1], targetPosition: [0, 1] },
  { id: 4, source: 4, target: 1, lengthM: 100, oneway: false, sourcePosition: [0, 1], targetPosition: [0, 0] },
]
const at = (segmentId: number, fraction: number) => ({ segmentId, fraction, snapped: [10 + segmentId, fraction] as [number, number] })

describe('travel on segments', () => {
  it('keeps cars to one-way streets and lets walkers use them both ways', () => {
    const car = new TravelNetwork(square, true)
    const foot = new TravelNetwork(square, false)
    // From the middle of 1 → 2 to a point a quarter along it: forwards only by car, so round the square.
    expect(car.lengths(at(1, 0.5), [at(1, 0.75)])[0]).toBeCloseTo(25, 9)
    expect(car.lengths(at(1, 0.75), [at(1, 0.5)])[0]).toBeCloseTo(25 + 300 + 50, 9)
    expect(foot.lengths(at(1, 0.75), [at(1, 0.5)])[0]).toBeCloseTo(25, 9)
    // From vertex 2 (end of segment 1) back to vertex 1: 300 m by car, 100 m on foot.
    expect(car.lengths(at(2, 0), [at(4, 1)])[0]).toBeCloseTo(300, 9)
    expect(foot.lengths(at(2, 0), [at(4, 1)])[0]).toBeCloseTo(100, 9)
    const path = car.path(at(2, 0.5), at(1, 0.5))!
    expect(path.lengthM).toBeCloseTo(50 + 100 + 100 + 50, 9)
    expect(path.coordinates[0]).toEqual([12, 0.5])
    expect(path.coordinates[path.coordinates.length - 1]).toEqual([11, 0.5])
    expect(path.coordinates.slice(1, -1)).toEqual([
      [1, 1],
      [0, 1],
      [0, 0],
    ])
    expect(car.lengths(at(1, 0), [at(9, 0)])[0]).toBe(Number.POSITIVE_INFINITY)
  })
})

describe('time windows', () => {
  it('finds the earliest and latest allowed times and cuts the peaks out', () => {
    const w = subtract(0, 100, [
      [20, 30],
      [50, 60],
    ])
    expect(w).toEqual([
      [0, 20],
      [30, 50],
      [60, 100],
    ])
    expect(earliestIn(w, 25)).toBe(30)
    expect(latestIn(w, 25)).toBe(20)
    expect(earliestIn(w, 101)).toBeNull()
    expect(latestIn(w, -1)).toBeNull()
  })
})

/** Places on a line every 500 m; the units' bases at 0. */
function lineInstance(date: string, schools = 6, units = 2): PlannerInput {
  const size = schools + 1
  const metres = new Float64Array(size * size)
  for (let a = 0; a < size; a += 1) for (let b = 0; b < size; b += 1) metres[a * size + b] = Math.abs(a - b) * 500
  return {
    date,
    seed: `test|${date}`,
    policy: {
      version: 1,
      visitsPerUrbanSchool: 2,
      minGapMinutes: 120,
      dwellMinMinutes: 10,
      dwellMaxMinutes: 15,
      peakWindows: [
        { name: 'morning', start: '07:20', end: '08:10' },
        { name: 'afternoon', start: '16:30', end: '17:50' },
      ],
      posts: [{ scope: 'urban', gate: 1, windows: ['morning'] }],
      carSpeedKmh: 30,
      footSpeedKmh: 4.5,
    },
    units: Array.from({ length: units }, (_, u) => ({
      id: u + 1,
      name: `u${u}`,
      mode: 'car' as const,
      shiftStart: '07:00',
      shiftEnd: '19:00',
      base: schools,
    })),
    schools: Array.from({ length: schools }, (_, s) => ({
      id: s + 1,
      name: `s${s}`,
      urban: true,
      students: 100 * (s + 1),
      gates: [s],
      visitLocation: s,
      peakWindows: null,
    })),
    travel: { size, metres: { car: metres } },
    searchBudget: 200_000,
  }
}

describe('the planner', () => {
  it('is reproducible for a seed and varies with the date', async () => {
    const a = await planPatrols(lineInstance('2026-12-02'))
    const b = await planPatrols(lineInstance('2026-12-02'))
    const c = await planPatrols(lineInstance('2026-12-03'))
    expect(b.units).toEqual(a.units)
    const visits = (p: typeof a) => p.units.flatMap((u) => u.stops.filter((s) => s.kind === 'visit').map((s) => [s.schoolId, s.arriveAt]))
    expect(visits(c)).not.toEqual(visits(a))
  })

  it('gives the posts to the biggest schools and keeps every stop within the rules', async () => {
    const plan = await planPatrols(lineInstance('2026-12-02'))
    const posts = plan.units.flatMap((u) => u.stops.filter((s) => s.kind === 'post'))
    expect(posts.map((p) => p.schoolId).sort()).toEqual([5, 6])
    for (const p of posts) expect([p.arriveAt, p.departAt]).toEqual([7 * 3600 + 20 * 60, 8 * 3600 + 10 * 60])
    expect(
      plan.unmet
        .filter((u) => u.kind === 'post')
        .map((u) => u.schoolId)
        .sort(),
    ).toEqual([1, 2, 3, 4])
    expect(plan.schools.every((s) => s.planned === 2)).toBe(true)
    for (const unit of plan.units) {
      for (const stop of unit.stops.filter((s) => s.kind === 'visit')) {
        expect(stop.departAt - stop.arriveAt).toBeGreaterThanOrEqual(600)
        expect(stop.departAt - stop.arriveAt).toBeLessThanOrEqual(900)
        expect(stop.departAt <= 7 * 3600 + 20 * 60 || stop.arriveAt >= 8 * 3600 + 10 * 60).toBe(true)
      }
    }
    expect(plan.lowerBoundM).toBeLessThanOrEqual(plan.lengthM)
    // On a line from a base at the end, any plan must reach the farthest school and come back.
    expect(plan.lowerBoundM).toBeGreaterThanOrEqual(3000)
  })

  it('with too few hours for every visit makes at least the nearest-neighbour plan’s visits, each leg fitting its time', async () => {
    // 60 schools scattered over a 6 km square (Manhattan lengths), three cars on 09:00–13:00 shifts.
    const schools = 60
    const size = schools + 1
    const random = (() => {
      let x = 7
      return () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 4294967296
    })()
    const xy = Array.from({ length: size }, (_, i) => (i === schools ? [3000, 3000] : [random() * 6000, random() * 6000]))
    const metres = new Float64Array(size * size)
    for (let a = 0; a < size; a += 1)
      for (let b = 0; b < size; b += 1) metres[a * size + b] = Math.abs(xy[a]![0]! - xy[b]![0]!) + Math.abs(xy[a]![1]! - xy[b]![1]!)
    const input = lineInstance('2026-12-02', schools, 3)
    input.travel = { size, metres: { car: metres } }
    input.policy.posts = []
    for (const unit of input.units) Object.assign(unit, { shiftStart: '09:00', shiftEnd: '13:00' })
    const plan = await planPatrols(input)
    const visits = plan.units.flatMap((u) => u.stops).filter((s) => s.kind === 'visit')
    const unmet = plan.unmet.filter((u) => u.kind === 'visit')
    expect(unmet.length).toBeGreaterThan(0)
    expect(visits.length + unmet.length).toBe(2 * schools)
    expect(visits.length).toBeGreaterThanOrEqual(plan.nearestNeighbourVisits)
    const speed = (30 * 1000) / 3600
    for (const unit of plan.units) {
      const places = [schools, ...unit.stops.map((s) => s.location), schools]
      let free = 9 * 3600
      unit.stops.forEach((stop, i) => {
        expect(stop.arriveAt).toBeGreaterThanOrEqual(free + metres[places[i]! * size + places[i + 1]!]! / speed - 1e-6)
        free = stop.departAt
      })
      expect(free + metres[places[places.length - 2]! * size + schools]! / speed).toBeLessThanOrEqual(13 * 3600 + 1e-6)
    }
    // Two visits of a school stay the gap apart.
    const bySchool = new Map<number, { arriveAt: number; departAt: number }[]>()
    for (const v of visits) (bySchool.get(v.schoolId) ?? bySchool.set(v.schoolId, []).get(v.schoolId)!).push(v)
    for (const list of bySchool.values())
      if (list.length === 2) {
        const [a, b] = list.sort((x, y) => x.arriveAt - y.arriveAt)
        expect(b!.arriveAt - a!.departAt).toBeGreaterThanOrEqual(120 * 60)
      }
  })

  it('bounds a plan from below by the spanning tree and the in- and out-degrees', async () => {
    // Three places on a line with the base at 0: the tree is 2 × 500.
    const d = (a: number, b: number) => Math.abs(a - b) * 500
    expect(await lowerBound([1, 2], [0], d)).toBe(1000)
    // Yielding between places does not change the bound.
    let pauses = 0
    expect(await lowerBound([1, 2], [0], d, async () => void (pauses += 1))).toBe(1000)
    expect(pauses).toBeGreaterThan(0)
  })
})
