/**
 * The towns the demo generator places things around: the city and county seats and the township seats
 * of Guyuan (synthetic towns too in bbox mode), each with a few random straight streets.
 */
import type { CountyIndex } from './county-index.ts'
import { COUNTY_SHORT, SYNTHETIC_CHARS, villageStem } from './names.ts'
import { metresPerDegLat, metresPerDegLon } from './planar.ts'
import type { Rng } from './random.ts'
import type { ReferenceData } from './reference.ts'

/** the city seat (原州区), a county seat, or a township seat */
export type SeatKind = 'city' | 'county' | 'township'

/** A town: where it is, what its schools and shops are named after, and how many of them it draws. */
export interface Seat {
  lon: number
  lat: number
  /** short place name used in school and shop names */
  place: string
  /** township names for addresses */
  townships: readonly string[]
  /** villages (indices into the village list) for rural school names */
  villages: readonly number[]
  /** county index, -1 outside Guyuan (bbox mode) */
  county: number
  kind: SeatKind
  schoolWeight: number
  premisesWeight: number
  /** streets: lon0, lat0, ux, uy (unit direction in metres), halfLengthM */
  streets: Float64Array
}

/** how far (m, one standard deviation) a town's schools spread from its centre */
export const SEAT_SPREAD_M: Record<SeatKind, number> = { city: 1600, county: 1000, township: 600 }
/** how far (m) a town's edge lies from its centre */
export const SEAT_EDGE_M: Record<SeatKind, number> = { city: 3500, county: 1800, township: 700 }
const SEAT_STREETS: Record<SeatKind, [number, number, number, number]> = {
  // count, through-point radius (m), min length, max length
  city: [28, 2200, 1500, 5000],
  county: [12, 800, 1000, 3000],
  township: [4, 300, 400, 1600],
}

/** township(s) of each county seat (NBS 2023 names) */
const COUNTY_SEAT_TOWNSHIPS: Readonly<Record<string, readonly string[]>> = {
  '640402': ['南关街道', '古雁街道', '北塬街道'],
  '640422': ['吉强镇'],
  '640423': ['城关镇'],
  '640424': ['香水镇'],
  '640425': ['白阳镇'],
}

/** Gives the seat its streets, laid roughly on a grid (townships' more freely). */
function addStreets(seat: Seat, rng: Rng): void {
  const [count, radius, minLen, maxLen] = SEAT_STREETS[seat.kind]
  const out = new Float64Array(count * 5)
  const base = rng.range(0, Math.PI)
  const mx = metresPerDegLon(seat.lat)
  const my = metresPerDegLat(seat.lat)
  for (let k = 0; k < count; k++) {
    const angle = base + (rng.chance(0.5) ? 0 : Math.PI / 2) + rng.normal() * 0.09 + (seat.kind === 'township' ? rng.range(-0.6, 0.6) : 0)
    const r = radius * Math.sqrt(rng.next())
    const t = rng.range(0, 2 * Math.PI)
    out.set(
      [
        seat.lon + (r * Math.cos(t)) / mx,
        seat.lat + (r * Math.sin(t)) / my,
        Math.cos(angle),
        Math.sin(angle),
        rng.range(minLen, maxLen) / 2,
      ],
      k * 5,
    )
  }
  seat.streets = out
}

/** The city, county and township seats of Guyuan's five counties, with their streets. */
export function guyuanSeats(ref: ReferenceData, rng: Rng): Seat[] {
  const seats: Seat[] = []
  const villagesByTownship = new Map<string, number[]>()
  const villagesByCounty = new Map<string, number[]>()
  ref.villages.forEach((v, i) => {
    if (!villageStem(v.name)) return
    ;(villagesByTownship.get(v.townshipCode) ?? villagesByTownship.set(v.townshipCode, []).get(v.townshipCode)!).push(i)
    ;(villagesByCounty.get(v.countyCode) ?? villagesByCounty.set(v.countyCode, []).get(v.countyCode)!).push(i)
  })
  ref.counties.forEach((county, k) => {
    const countyTownships = ref.townships.filter((t) => t.countyCode === county.code)
    const seatTownships = COUNTY_SEAT_TOWNSHIPS[county.code] ?? [countyTownships[0]?.name ?? '示例镇']
    const places = ref.places.filter((p) => p.countyCode === county.code && p.featureCode !== 'PPLA3')
    const townshipShare = 0.45 / Math.max(1, places.length)
    const countyVillages = villagesByCounty.get(county.code) ?? []
    const isCity = county.code === '640402'
    seats.push({
      lon: county.seat[0],
      lat: county.seat[1],
      place: isCity ? '固原' : (COUNTY_SHORT[county.code] ?? county.name),
      townships: seatTownships,
      villages: [],
      county: k,
      kind: isCity ? 'city' : 'county',
      schoolWeight: 1,
      premisesWeight: county.population * (isCity ? 0.45 : 0.55),
      streets: new Float64Array(0),
    })
    for (const p of places) {
      const stem = p.name.replace(/(镇|乡|街道)$/, '')
      const township = countyTownships.find((t) => t.name.replace(/(镇|乡|街道)$/, '') === stem)
      const urban = p.featureCode === 'PPLA2'
      seats.push({
        lon: p.lon,
        lat: p.lat,
        place: p.name,
        townships: urban ? seatTownships : [township?.name ?? p.name],
        villages: township ? (villagesByTownship.get(township.code) ?? countyVillages) : countyVillages,
        county: k,
        kind: urban ? 'county' : 'township',
        schoolWeight: 1,
        premisesWeight: county.population * (urban ? 0.1 : townshipShare),
        streets: new Float64Array(0),
      })
    }
  })
  for (const seat of seats) addStreets(seat, rng)
  return seats
}

/** Towns for bbox mode: Guyuan's seats inside the box and `count` synthetic towns, with their streets. */
export function syntheticSeats(
  count: number,
  bbox: [number, number, number, number],
  rng: Rng,
  index: CountyIndex,
  guyuan: Seat[],
): Seat[] {
  // Guyuan's real seats inside the bbox, weighted like the synthetic towns
  const seats = guyuan
    .filter((s) => s.lon >= bbox[0] && s.lon <= bbox[2] && s.lat >= bbox[1] && s.lat <= bbox[3])
    .map((s) => ({ ...s, schoolWeight: s.kind === 'township' ? 1 : 4, premisesWeight: s.kind === 'township' ? 1 : 4 }))
  for (let i = 0; i < count; i++) {
    const lon = rng.range(bbox[0], bbox[2])
    const lat = rng.range(bbox[1], bbox[3])
    const county = index.countyAt(lon, lat)
    const kind: SeatKind = rng.chance(0.1) ? 'county' : 'township'
    const seat: Seat = {
      lon,
      lat,
      place: rng.pick(SYNTHETIC_CHARS) + rng.pick(SYNTHETIC_CHARS),
      townships: [],
      villages: [],
      county,
      kind,
      schoolWeight: kind === 'county' ? 4 : 1,
      premisesWeight: kind === 'county' ? 4 : rng.range(0.5, 1.5),
      streets: new Float64Array(0),
    }
    seat.townships = [`${seat.place}镇`]
    addStreets(seat, rng)
    seats.push(seat)
  }
  return seats
}
