/**
 * Where the demo schools stand: how many of each type in each county, then each campus placed near a
 * town (or anywhere in its county, for village schools), inside one county, never overlapping another.
 */
import { SCHOOL_TYPES } from '../../server/schemas/common.ts'
import type { CampusStore } from './campus-store.ts'
import { campusShape } from './campus-shapes.ts'
import type { CountyIndex } from './county-index.ts'
import { metresPerDegLat, metresPerDegLon, RAD, ringsTooClose, round7, toMetres } from './planar.ts'
import { TYPE_PROFILES } from './profiles.ts'
import { cumulate, Rng, STREAM_PLACE } from './random.ts'
import type { CountyRef } from './reference.ts'
import type { Regions } from './regions.ts'
import { SEAT_SPREAD_M, type Seat } from './seats.ts'

/** smallest gap (m) between two campuses */
const CAMPUS_GAP_M = 6
/** smallest distance (m) from a campus's bounding box to a county boundary */
const COUNTY_MARGIN_M = 5

/** Largest-remainder apportionment of total over weights. */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0)
  const exact = weights.map((w) => (total * w) / sum)
  const counts = exact.map(Math.floor)
  let left = total - counts.reduce((a, b) => a + b, 0)
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
  for (const [, i] of order) {
    if (left-- <= 0) break
    counts[i]!++
  }
  return counts
}

interface SchoolPlan {
  type: number
  /** target county index (Guyuan mode) or -1 (bbox mode) */
  county: number
}

/** The schools to place, as type and county, apportioned by population and type share, large campuses first. */
function planSchools(total: number, counties: readonly CountyRef[], bboxMode: boolean, rng: Rng): SchoolPlan[] {
  const typeShares = SCHOOL_TYPES.map((t) => TYPE_PROFILES[t].share)
  const plan: SchoolPlan[] = []
  const groups = bboxMode
    ? [{ county: -1, n: total }]
    : apportion(
        total,
        counties.map((c) => c.population),
      ).map((n, county) => ({ county, n }))
  for (const { county, n } of groups) {
    apportion(n, typeShares).forEach((count, type) => {
      for (let j = 0; j < count; j++) plan.push({ type, county })
    })
  }
  // shuffle, then place large campuses first (stable sort keeps the shuffled order within a type)
  for (let i = plan.length - 1; i > 0; i--) {
    const j = rng.int(0, i)
    ;[plan[i], plan[j]] = [plan[j]!, plan[i]!]
  }
  const priority = (p: SchoolPlan) => TYPE_PROFILES[SCHOOL_TYPES[p.type]!].priority
  return plan.sort((a, b) => priority(b) - priority(a))
}

/** Places `total` campuses into the store; throws when they do not fit without overlapping. */
export function placeSchools(
  total: number,
  seed: number,
  bbox: [number, number, number, number] | undefined,
  counties: readonly CountyRef[],
  seats: readonly Seat[],
  index: CountyIndex,
  store: CampusStore,
  regions: Regions,
): void {
  const rng = new Rng(seed, STREAM_PLACE)
  const plan = planSchools(total, counties, bbox !== undefined, rng)
  const seatsOfCounty = counties.map((_, k) => seats.map((s, i) => (s.county === k ? i : -1)).filter((i) => i >= 0))
  const allSeatsCum = cumulate(seats.map((s) => s.schoolWeight))
  const townshipCum = seatsOfCounty.map((list) => cumulate(list.map((i) => (seats[i]!.kind === 'township' ? seats[i]!.schoolWeight : 0))))
  const mainCum = seatsOfCounty.map((list) =>
    cumulate(list.map((i) => (seats[i]!.kind !== 'township' ? (seats[i]!.kind === 'city' ? 4 : seats[i]!.schoolWeight) : 0))),
  )

  const nearestSeat = (lon: number, lat: number, k: number): number => {
    let best = -1
    let bestD = Infinity
    for (const i of seatsOfCounty[k] ?? []) {
      const s = seats[i]!
      const dx = (s.lon - lon) * Math.cos(lat * RAD)
      const dy = s.lat - lat
      const d = dx * dx + dy * dy
      if (d < bestD) {
        bestD = d
        best = i
      }
    }
    return best
  }

  const mLonRef = (lat: number) => metresPerDegLon(lat)
  // more schools than Guyuan plausibly holds: spread the towns out rather than packing the centres
  const density = bbox ? 1 : Math.max(1, Math.sqrt(total / 600))

  for (let n = 0; n < plan.length; n++) {
    const { type, county } = plan[n]!
    const schoolType = SCHOOL_TYPES[type]!
    const profile = TYPE_PROFILES[schoolType]
    let area = rng.logRange(profile.areaM2[0], profile.areaM2[1])
    const twoParts = schoolType !== 'kindergarten' && schoolType !== 'special_education' && area >= 12000 && rng.chance(0.06)
    // where: a county seat, a township seat, or a village (anywhere in the county)
    let seatIndex: number
    let village = false
    if (bbox) {
      seatIndex = rng.weighted(allSeatsCum)
      village = rng.chance(profile.village * 0.6)
    } else {
      const list = seatsOfCounty[county]!
      const useMain = rng.chance(profile.countySeat) || (townshipCum[county]!.at(-1) ?? 0) === 0
      seatIndex = list[rng.weighted(useMain ? mainCum[county]! : townshipCum[county]!)]!
      village = !useMain && rng.chance(profile.village)
    }
    const seat = seats[seatIndex]!
    const spread = SEAT_SPREAD_M[seat.kind]
    let placed = false
    for (let round = 0; round < 8 && !placed; round++) {
      for (let attempt = 0; attempt < 320 && !placed; attempt++) {
        let cx: number
        let cy: number
        let namingSeat = seatIndex
        let rural = village
        if (!village && attempt < 24 && round === 0) {
          const sigma = spread * density * (1 + 0.15 * attempt)
          cx = seat.lon + (rng.normal() * sigma) / mLonRef(seat.lat)
          cy = seat.lat + (rng.normal() * sigma) / metresPerDegLat(seat.lat)
        } else if (bbox) {
          if (attempt < 60 && round < 2) {
            const r = 8000 * Math.sqrt(rng.next())
            const a = rng.range(0, 2 * Math.PI)
            cx = seat.lon + (r * Math.cos(a)) / mLonRef(seat.lat)
            cy = seat.lat + (r * Math.sin(a)) / metresPerDegLat(seat.lat)
          } else {
            cx = rng.range(bbox[0], bbox[2])
            cy = rng.range(bbox[1], bbox[3])
          }
          rural = true
        } else {
          const c = counties[county]!
          cx = rng.range(c.bbox[0], c.bbox[2])
          cy = rng.range(c.bbox[1], c.bbox[3])
          if (index.countyAt(cx, cy) !== county) continue
          namingSeat = nearestSeat(cx, cy, county)
          rural = true
        }
        const mx = metresPerDegLon(cy)
        const my = metresPerDegLat(cy)
        const shape = campusShape(rng, area, twoParts)
        const parts: Float64Array[] = []
        let minx = Infinity
        let miny = Infinity
        let maxx = -Infinity
        let maxy = -Infinity
        for (const ring of shape) {
          const flat = new Float64Array(ring.length + 2)
          for (let k = 0; k < ring.length; k += 2) {
            const lon = round7(cx + ring[k]! / mx)
            const lat = round7(cy + ring[k + 1]! / my)
            flat[k] = lon
            flat[k + 1] = lat
            minx = Math.min(minx, lon)
            maxx = Math.max(maxx, lon)
            miny = Math.min(miny, lat)
            maxy = Math.max(maxy, lat)
          }
          flat[ring.length] = flat[0]!
          flat[ring.length + 1] = flat[1]!
          parts.push(flat)
        }
        if (bbox && (minx < bbox[0] || maxx > bbox[2] || miny < bbox[1] || maxy > bbox[3])) continue
        // whole campus inside one county: no county boundary within COUNTY_MARGIN_M of its bbox
        const ex = COUNTY_MARGIN_M / mx
        const ey = COUNTY_MARGIN_M / my
        if (index.rectTouchesBoundary(minx - ex, miny - ey, maxx + ex, maxy + ey)) continue
        const region = regions.at(parts[0]![0]!, parts[0]![1]!)
        if (bbox ? region === -1 : region !== county) continue
        // no overlap with (and a small gap to) other campuses
        const gx = CAMPUS_GAP_M / mx
        const gy = CAMPUS_GAP_M / my
        let candidateM: Float64Array[] | undefined
        const clash = store.forEachNear(minx - gx, miny - gy, maxx + gx, maxy + gy, (j) => {
          candidateM ??= parts.map((p) => toMetres(p, 0, p.length, cx, cy, mx, my))
          for (const [s, e] of store.rings(j)) {
            const other = toMetres(store.xy, s, e, cx, cy, mx, my)
            for (const mine of candidateM) if (ringsTooClose(mine, other, CAMPUS_GAP_M)) return true
          }
          return false
        })
        if (clash) continue
        store.add(parts, [minx, miny, maxx, maxy], {
          type,
          region,
          seat: namingSeat,
          village: rural && !bbox ? pickVillage(seats[namingSeat]!, rng) : -1,
          urban: !rural && seats[namingSeat]!.kind !== 'township',
        })
        placed = true
      }
      // Guyuan is full at this density: shrink the campus and try again
      area = Math.max(150, area * 0.6)
    }
    if (!placed) {
      throw new Error(
        `could not place school #${n + 1} of ${plan.length} (${schoolType}) without overlapping others: ` +
          (bbox ? 'the bbox is too small for this many schools' : "Guyuan's counties are full at this density; pass a larger --bbox"),
      )
    }
  }
}

/** a village of the seat to name a rural school after, -1 when it has none */
function pickVillage(seat: Seat, rng: Rng): number {
  return seat.villages.length > 0 ? rng.pick(seat.villages) : -1
}
