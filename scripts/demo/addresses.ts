/**
 * Demo street address points for place search. House numbers run along each street of a city or county
 * seat, odd on one side and even on the other, one every ~12 m; each street has one name and lies in one
 * township. Its own random stream leaves the schools and premises unchanged.
 */
import type { CampusStore } from './campus-store.ts'
import type { AddressFeature } from './features.ts'
import { STREET_KINDS, STREET_WORDS } from './names.ts'
import { metresPerDegLat, metresPerDegLon, round7 } from './planar.ts'
import { Rng, STREAM_ADDRESSES } from './random.ts'
import type { Regions } from './regions.ts'
import type { Seat } from './seats.ts'

/** The `source` of generated address points. */
export const DEMO_ADDRESS_SOURCE = '示例门牌（生成，非真实）'

/** A named street of a city or county seat: street k of the seat, in one township. */
export interface NamedStreet {
  seat: Seat
  k: number
  /** word + kind, e.g. 团结巷 (addresses and road names put 示例 before it) */
  name: string
  township: string
}

/** One distinct name (and a township) for each street of the city and county seats, drawn from the address stream. */
export function nameStreets(seats: readonly Seat[], rng: Rng): NamedStreet[] {
  const streets: NamedStreet[] = []
  for (const seat of seats) {
    if (seat.kind === 'township') continue
    const used = new Set<string>()
    for (let k = 0; k < seat.streets.length / 5; k++) {
      let name = ''
      for (let tries = 0; tries < 20 && (name === '' || used.has(name)); tries++)
        name = `${rng.pick(STREET_WORDS)}${rng.pick(STREET_KINDS)}`
      if (used.has(name)) continue
      used.add(name)
      streets.push({ seat, k, name, township: seat.townships.length > 0 ? rng.pick(seat.townships) : '' })
    }
  }
  return streets
}

/** `count` street addresses along the streets of the city and county seats, never inside a campus; repeatable and deterministic. */
export function* generateAddresses(
  count: number,
  seed: number,
  store: CampusStore,
  seats: readonly Seat[],
  regions: Regions,
): Generator<AddressFeature> {
  const rng = new Rng(seed, STREAM_ADDRESSES)
  const streets = nameStreets(seats, rng)
  if (streets.length === 0) return
  const taken = new Set<string>()
  let made = 0
  for (let attempt = 0; made < count && attempt < count * 20; attempt++) {
    const street = rng.pick(streets)
    const st = street.seat.streets
    const o = street.k * 5
    const [lon0, lat0, ux, uy, half] = [st[o]!, st[o + 1]!, st[o + 2]!, st[o + 3]!, st[o + 4]!]
    const slot = rng.int(0, Math.max(0, Math.floor((2 * half) / 12) - 1))
    const even = rng.chance(0.5)
    const along = -half + slot * 12 + 6
    const side = (even ? 1 : -1) * rng.range(10, 20)
    const mx = metresPerDegLon(lat0)
    const my = metresPerDegLat(lat0)
    const lon = round7(lon0 + (along * ux - side * uy) / mx)
    const lat = round7(lat0 + (along * uy + side * ux) / my)
    const region = regions.at(lon, lat)
    if (region < 0 || store.distance(lon, lat, 5) === -1) continue
    const address = `${regions.name(region)}${street.township}示例${street.name}${slot * 2 + (even ? 2 : 1)}号`
    if (taken.has(address)) continue
    taken.add(address)
    made++
    yield {
      type: 'Feature',
      properties: { address, countyCode: regions.code(region), source: DEMO_ADDRESS_SOURCE, demo: true },
      geometry: { type: 'Point', coordinates: [lon, lat] },
    }
  }
}
