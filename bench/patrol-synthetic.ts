/**
 * A synthetic county for the patrol benchmark, with no database: a square street grid (two-way streets,
 * every fifth one a one-way pair is not modelled: the grid is what a planner sees of a dense town), schools
 * and police bases placed at random on it (seeded), and the travel matrix measured on the grid by the same
 * TravelNetwork the service uses.
 */
import { TravelNetwork, type TravelPlace, type TravelSegment } from '../server/geo/travel.ts'
import type { PlannerPolicy, PlannerSchool, PlannerUnit, TravelMatrix } from '../server/modules/patrol/plans/planner/index.ts'
import { generator } from '../server/modules/patrol/plans/planner/time.ts'

export const DEFAULT_POLICY: PlannerPolicy = {
  version: 1,
  visitsPerUrbanSchool: 2,
  minGapMinutes: 120,
  dwellMinMinutes: 10,
  dwellMaxMinutes: 15,
  peakWindows: [
    { name: 'morning', start: '07:20', end: '08:10' },
    { name: 'noon', start: '11:40', end: '12:20' },
    { name: 'afternoon', start: '16:30', end: '17:50' },
  ],
  posts: [{ scope: 'urban', gate: 1, windows: ['morning', 'afternoon'] }],
  carSpeedKmh: 30,
  footSpeedKmh: 4.5,
}

export interface SyntheticCounty {
  schools: PlannerSchool[]
  units: PlannerUnit[]
  travel: TravelMatrix
  seconds: number
}

/** `cells` × `cells` blocks of `blockM` metres; `urbanShare` of the schools urban; units split 2:1 car/foot. */
export async function syntheticCounty(options: {
  schools: number
  units: number
  cells: number
  blockM: number
  urbanShare: number
  seed: number
  pause?: () => Promise<void>
}): Promise<SyntheticCounty> {
  const started = performance.now()
  const random = generator(options.seed)
  const n = options.cells + 1
  const id = (i: number, j: number) => i * n + j + 1
  const lon0 = 106.2
  const lat0 = 36.0
  const dLon = options.blockM / (111320 * Math.cos((lat0 * Math.PI) / 180))
  const dLat = options.blockM / 110574
  const position = (i: number, j: number): [number, number] => [lon0 + j * dLon, lat0 + i * dLat]
  const segments: TravelSegment[] = []
  for (let i = 0; i < n; i += 1)
    for (let j = 0; j < n; j += 1) {
      const here = id(i, j)
      if (j + 1 < n)
        segments.push({
          id: segments.length + 1,
          source: here,
          target: id(i, j + 1),
          lengthM: options.blockM,
          oneway: false,
          sourcePosition: position(i, j),
          targetPosition: position(i, j + 1),
        })
      if (i + 1 < n)
        segments.push({
          id: segments.length + 1,
          source: here,
          target: id(i + 1, j),
          lengthM: options.blockM,
          oneway: false,
          sourcePosition: position(i, j),
          targetPosition: position(i + 1, j),
        })
    }
  const network = new TravelNetwork(segments, true)
  const place = (): TravelPlace => {
    const s = segments[Math.floor(random() * segments.length)]!
    const fraction = random()
    return { segmentId: s.id, fraction, snapped: s.sourcePosition }
  }
  const places: TravelPlace[] = []
  const schools: PlannerSchool[] = []
  for (let k = 0; k < options.schools; k += 1) {
    places.push(place())
    schools.push({
      id: k + 1,
      name: `school ${k + 1}`,
      urban: random() < options.urbanShare,
      students: Math.floor(100 + random() * 1500),
      gates: [k],
      visitLocation: k,
      peakWindows: null,
    })
  }
  const units: PlannerUnit[] = []
  for (let u = 0; u < options.units; u += 1) {
    places.push(place())
    const foot = u % 3 === 2
    units.push({
      id: u + 1,
      name: `unit ${u + 1}`,
      mode: foot ? 'foot' : 'car',
      shiftStart: '07:00',
      shiftEnd: foot ? '15:00' : '19:00',
      base: options.schools + u,
    })
  }
  const size = places.length
  const car = new Float64Array(size * size)
  for (let a = 0; a < size; a += 1) {
    car.set(network.lengths(places[a]!, places), a * size)
    if (a % 20 === 0) await options.pause?.()
  }
  // The grid is two-way, so walking and driving lengths agree.
  return { schools, units, travel: { size, metres: { car, foot: car } }, seconds: (performance.now() - started) / 1000 }
}
