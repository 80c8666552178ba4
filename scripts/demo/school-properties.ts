/** What a placed demo campus becomes as a school: its name, address, enrolment, staff, opening day and gates. */
import type { MultiPolygon, Polygon, Position } from 'geojson'
import { SCHOOL_TYPES } from '../../server/schemas/common.ts'
import type { CampusStore } from './campus-store.ts'
import { isoDay, randomDay } from './days.ts'
import type { SchoolFeature } from './features.ts'
import { chineseNumber, STREET_KINDS, STREET_WORDS, villageStem } from './names.ts'
import { metresPerDegLat, metresPerDegLon, round7 } from './planar.ts'
import { TYPE_PROFILES } from './profiles.ts'
import { cumulate, type Rng } from './random.ts'
import type { ReferenceData } from './reference.ts'
import type { Regions } from './regions.ts'
import type { Seat } from './seats.ts'
import { buildStaffing } from './school-staffing.ts'

/** The school feature of campus i; `counters` numbers the schools of each place and type across calls. */
export function buildSchool(
  i: number,
  rng: Rng,
  store: CampusStore,
  seats: readonly Seat[],
  reference: ReferenceData,
  counters: Map<string, number>,
  regions: Regions,
  staffingRng: Rng,
): SchoolFeature {
  const schoolType = SCHOOL_TYPES[store.type[i]!]!
  const profile = TYPE_PROFILES[schoolType]
  const seat = seats[store.seat[i]!]!
  const region = store.region[i]!
  const urban = store.urban[i] === 1
  const villageIndex = store.village[i]!
  const village =
    villageIndex >= 0 && (schoolType === 'primary' || schoolType === 'kindergarten' || schoolType === 'nine_year')
      ? reference.villages[villageIndex]
      : undefined
  const villageName = village ? villageStem(village.name) : undefined

  const place = villageName ?? seat.place
  const key = `${place}|${profile.label}`
  const ordinal = (counters.get(key) ?? 0) + 1
  counters.set(key, ordinal)
  const name =
    villageName && ordinal === 1
      ? `示例${place}${profile.label}（演示）`
      : `示例${place}第${chineseNumber(ordinal)}${profile.label}（演示）`

  const township = village?.townshipCode
    ? (reference.townships.find((t) => t.code === village.townshipCode)?.name ?? rng.pick(seat.townships))
    : seat.townships.length > 0
      ? rng.pick(seat.townships)
      : ''
  const street = `示例${rng.pick(STREET_WORDS)}${rng.pick(STREET_KINDS)}${rng.int(1, 300)}号`
  const address = `${regions.name(region)}${township}${villageName ? `${villageName}村` : ''}${street}`

  const range = urban ? profile.students.urban : profile.students.rural
  const students = Math.round(rng.logRange(range[0], range[1]))
  const staff = Math.max(schoolType === 'kindergarten' ? 3 : 4, Math.round(students / rng.range(profile.perStaff[0], profile.perStaff[1])))
  const boarding = rng.chance(urban ? profile.boarding.urban : profile.boarding.rural)
  const [y0, y1] = profile.opened
  const year = schoolType === 'kindergarten' ? y1 - Math.floor((y1 - y0 + 1) * Math.pow(rng.next(), 1.8)) : rng.int(y0, y1)
  const openedOn = isoDay(randomDay(rng, Date.UTC(year, 0, 1), Date.UTC(year, 11, 31)))

  // gates on edges of the main part, preferring long edges
  const rings = store.rings(i)
  const [start, end] = rings[0]!
  const xy = store.xy
  const edgeLengths: number[] = []
  const mx = metresPerDegLon(xy[start + 1]!)
  const my = metresPerDegLat(xy[start + 1]!)
  for (let k = start; k < end - 2; k += 2) edgeLengths.push(Math.hypot((xy[k + 2]! - xy[k]!) * mx, (xy[k + 3]! - xy[k + 1]!) * my))
  const gateCount = Math.min(edgeLengths.length, rng.int(profile.gates[0], profile.gates[1]))
  const gates: [number, number][] = []
  const used = new Set<number>()
  while (gates.length < gateCount) {
    const e = rng.weighted(cumulate(edgeLengths.map((l, k) => (used.has(k) ? 0 : l))))
    used.add(e)
    const t = rng.range(0.2, 0.8)
    const k = start + 2 * e
    gates.push([round7(xy[k]! + t * (xy[k + 2]! - xy[k]!)), round7(xy[k + 1]! + t * (xy[k + 3]! - xy[k + 1]!))])
  }

  const polygons = rings.map(([s, e]) => {
    const ring: Position[] = []
    for (let k = s; k < e; k += 2) ring.push([xy[k]!, xy[k + 1]!])
    return [ring]
  })
  const geometry: Polygon | MultiPolygon =
    polygons.length === 1 ? { type: 'Polygon', coordinates: polygons[0]! } : { type: 'MultiPolygon', coordinates: polygons }
  return {
    type: 'Feature',
    properties: {
      name,
      schoolType,
      countyCode: regions.code(region),
      address,
      students,
      staff,
      boarding,
      openedOn,
      gates,
      ...buildStaffing(staffingRng, students, staff, boarding),
      demo: true,
    },
    geometry,
  }
}
