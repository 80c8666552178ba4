/**
 * The demo licensed premises: along the streets of the towns, at their edges or scattered, never inside a
 * campus, and about a fifth of them close to a school, with licences consistent with DEMO_REFERENCE_DATE.
 */
import { PREMISES_CATEGORIES } from '../../server/schemas/common.ts'
import type { CampusStore } from './campus-store.ts'
import { addYears, DAY_MS, EARLIEST_LICENCE_MS, isoDay, randomDay, REF_MS } from './days.ts'
import type { PremisesFeature } from './features.ts'
import { BRANDS, STREET_KINDS, STREET_WORDS } from './names.ts'
import { metresPerDegLat, metresPerDegLon, round7 } from './planar.ts'
import { CATEGORY_PROFILES, STATUS_WEIGHTS } from './profiles.ts'
import { cumulate, Rng, STREAM_PREMISES } from './random.ts'
import type { Regions } from './regions.ts'
import { SEAT_EDGE_M, type Seat } from './seats.ts'

/** "Near a school": within this distance (m) of a campus boundary. */
export const NEAR_SCHOOL_M = 200
/** the share of premises placed near a school, give or take NEAR_TOLERANCE */
const NEAR_TARGET = 0.2
const NEAR_TOLERANCE = 0.03

/** What generatePremises() counts as it goes. */
export interface PremisesStats {
  premisesByCounty: Record<string, number>
  premisesByCategory: Record<string, number>
  premisesByStatus: Record<string, number>
  /** premises generated so far */
  premises: number
  /** of those, premises within 200 m (local planar distance) of some campus boundary */
  premisesWithin200m: number
}

/** The `count` premises around the placed campuses, lazily; resets and fills `stats` as it goes. */
export function* generatePremises(
  count: number,
  seed: number,
  bbox: [number, number, number, number] | undefined,
  store: CampusStore,
  seats: readonly Seat[],
  regions: Regions,
  stats: PremisesStats,
): Generator<PremisesFeature> {
  stats.premises = 0
  stats.premisesWithin200m = 0
  stats.premisesByCategory = {}
  stats.premisesByCounty = {}
  stats.premisesByStatus = {}
  const rng = new Rng(seed, STREAM_PREMISES)
  const categories = PREMISES_CATEGORIES
  const categoryCum = cumulate(categories.map((c) => CATEGORY_PROFILES[c].weight))
  const statusCum = cumulate(STATUS_WEIGHTS.map(([, w]) => w))
  const seatCum = cumulate(seats.map((s) => s.premisesWeight))
  const counters = new Map<string, number>()
  for (let n = 0; n < count; n++) {
    const category = categories[rng.weighted(categoryCum)]!
    const profile = CATEGORY_PROFILES[category]
    const wantNear = store.count > 0 && stats.premisesWithin200m < Math.floor(NEAR_TARGET * (n + 1))
    const nearCap = (NEAR_TARGET + NEAR_TOLERANCE) * (n + 1)
    let lon = NaN
    let lat = NaN
    let region = -1
    let seatIndex = 0
    let near = false
    let farMode = false
    for (let attempt = 0; ; attempt++) {
      if (attempt > 400) throw new Error(`could not place premises #${n + 1}: no free spot found (is the bbox covered by campuses?)`)
      let s: number
      if (wantNear && attempt < 30) {
        // next to a school: from a point of its boundary, outwards, 15–190 m
        const school = rng.int(0, store.count - 1)
        const [start, end] = store.rings(school)[0]!
        const edges = (end - start) / 2 - 1
        const k = start + 2 * rng.int(0, edges - 1)
        const t = rng.range(0.1, 0.9)
        const x1 = store.xy[k]!
        const y1 = store.xy[k + 1]!
        const x2 = store.xy[k + 2]!
        const y2 = store.xy[k + 3]!
        const bx = x1 + t * (x2 - x1)
        const by = y1 + t * (y2 - y1)
        const mx = metresPerDegLon(by)
        const my = metresPerDegLat(by)
        const normal = Math.atan2(-(x2 - x1) * mx, (y2 - y1) * my) + rng.normal() * 0.6
        const d = rng.range(15, 190)
        lon = bx + (d * Math.cos(normal)) / mx
        lat = by + (d * Math.sin(normal)) / my
        s = store.seat[school]!
      } else {
        s = rng.weighted(seatCum)
        const seat = seats[s]!
        const mx = metresPerDegLon(seat.lat)
        const my = metresPerDegLat(seat.lat)
        const mode = rng.next()
        if (mode < 0.08 || farMode) {
          // scattered around the town
          const r = (seat.kind === 'township' ? 6000 : 10000) * Math.sqrt(rng.next())
          const a = rng.range(0, 2 * Math.PI)
          lon = seat.lon + (r * Math.cos(a)) / mx
          lat = seat.lat + (r * Math.sin(a)) / my
        } else if (rng.chance(profile.edge)) {
          // at the edge of town
          const r = SEAT_EDGE_M[seat.kind] * rng.range(0.8, 2.2)
          const a = rng.range(0, 2 * Math.PI)
          lon = seat.lon + (r * Math.cos(a)) / mx
          lat = seat.lat + (r * Math.sin(a)) / my
        } else {
          // along a street
          const o = 5 * rng.int(0, seat.streets.length / 5 - 1)
          const st = seat.streets
          const along = (rng.next() + rng.next() - 1) * st[o + 4]!
          const side = (rng.chance(0.5) ? 1 : -1) * rng.range(8, 22)
          const ux = st[o + 2]!
          const uy = st[o + 3]!
          lon = st[o]! + (along * ux - side * uy + rng.normal() * 2) / mx
          lat = st[o + 1]! + (along * uy + side * ux + rng.normal() * 2) / my
        }
      }
      lon = round7(lon)
      lat = round7(lat)
      if (bbox && !(lon >= bbox[0] && lon <= bbox[2] && lat >= bbox[1] && lat <= bbox[3])) continue
      region = regions.at(lon, lat)
      if (region === -1) continue
      const d = store.distance(lon, lat, NEAR_SCHOOL_M)
      if (d < 0) continue // inside a campus
      near = d <= NEAR_SCHOOL_M
      if (near && !wantNear && stats.premisesWithin200m + 1 > nearCap && attempt < 6) {
        farMode = true // too many premises near schools already: try a scattered spot instead
        continue
      }
      seatIndex = s
      break
    }
    const seat = seats[seatIndex]!
    const status = STATUS_WEIGHTS[rng.weighted(statusCum)]![0]
    const years = rng.pick(profile.validityYears)
    let licensed: number
    if (status === 'active' || status === 'suspended')
      licensed = randomDay(rng, Math.max(EARLIEST_LICENCE_MS, addYears(REF_MS, -years) + DAY_MS), REF_MS - DAY_MS)
    else if (status === 'expired') licensed = randomDay(rng, EARLIEST_LICENCE_MS, addYears(REF_MS, -years) - DAY_MS)
    else licensed = randomDay(rng, EARLIEST_LICENCE_MS, REF_MS - DAY_MS)
    const code = regions.code(region)
    const key = `${profile.code}-${code}`
    const serial = (counters.get(key) ?? 0) + 1
    counters.set(key, serial)
    const township = seat.townships.length > 0 ? rng.pick(seat.townships) : ''
    const address = `${regions.name(region)}${township}示例${rng.pick(STREET_WORDS)}${rng.pick(STREET_KINDS)}${rng.int(1, 300)}号`
    const name = `示例${seat.place}${rng.pick(BRANDS)}${rng.pick(profile.labels)}（演示）`
    stats.premises++
    if (near) stats.premisesWithin200m++
    stats.premisesByCategory[category] = (stats.premisesByCategory[category] ?? 0) + 1
    stats.premisesByCounty[code] = (stats.premisesByCounty[code] ?? 0) + 1
    stats.premisesByStatus[status] = (stats.premisesByStatus[status] ?? 0) + 1
    yield {
      type: 'Feature',
      properties: {
        name,
        category,
        licenceNo: `DEMO-${profile.code}-${code}-${String(serial).padStart(6, '0')}`,
        licenceStatus: status,
        licensedOn: isoDay(licensed),
        expiresOn: isoDay(addYears(licensed, years)),
        address,
        countyCode: code,
        demo: true,
      },
      geometry: { type: 'Point', coordinates: [lon, lat] },
    }
  }
}
