/**
 * The demo street network's lines, before their topology is made: each town's streets (its existing random
 * streets, arterials through its centre and, in the city and county seats, a grid of residential streets),
 * the roads between towns, and the motorway past the city.
 */
import type { NamedStreet } from './addresses.ts'
import { chineseNumber, STREET_KINDS, STREET_WORDS } from './names.ts'
import { metresPerDegLat, metresPerDegLon, round7 } from './planar.ts'
import type { Rng } from './random.ts'
import { crossing, type Line, type Lines, type RoadTags } from './road-lines.ts'
import type { Seat, SeatKind } from './seats.ts'

/** A town's local frame: its centre, the direction of its street grid, and metres per degree there. */
export interface TownFrame {
  cx: number
  cy: number
  /** unit vector (in metres) of the grid's first direction */
  ux: number
  uy: number
  mx: number
  my: number
}

/** lon/lat of the point u metres along the grid's first direction and v metres across it */
export function atFrame(f: TownFrame, u: number, v: number): [number, number] {
  return [f.cx + (u * f.ux - v * f.uy) / f.mx, f.cy + (u * f.uy + v * f.ux) / f.my]
}

/** (u, v) metres of a lon/lat point in the frame */
export function inFrame(f: TownFrame, lon: number, lat: number): [number, number] {
  const dx = (lon - f.cx) * f.mx
  const dy = (lat - f.cy) * f.my
  return [dx * f.ux + dy * f.uy, -dx * f.uy + dy * f.ux]
}

/** The frame of a seat, its grid turned like the seat's streets (which lie along two perpendicular directions). */
export function townFrame(seat: Seat): TownFrame {
  let c = 0
  let s = 0
  for (let o = 0; o < seat.streets.length; o += 5) {
    const a = Math.atan2(seat.streets[o + 3]!, seat.streets[o + 2]!)
    c += Math.cos(4 * a)
    s += Math.sin(4 * a)
  }
  const base = Math.atan2(s, c) / 4
  return {
    cx: seat.lon,
    cy: seat.lat,
    ux: Math.cos(base),
    uy: Math.sin(base),
    mx: metresPerDegLon(seat.lat),
    my: metresPerDegLat(seat.lat),
  }
}

interface TownPlan {
  /** grid spacing (m), 0 for no grid */
  gridM: number
  /** radius (m) of the gridded area */
  radiusM: number
  /** half-length (m) of the arterials through the centre */
  arterialM: number
  /** highway of the arterial along the grid's first direction, and across it (undefined: none) */
  arterials: [RoadTags['highway'], RoadTags['highway'] | undefined]
  /** streets longer than this (m) are tertiary */
  tertiaryM: number
}
const TOWN_PLANS: Record<SeatKind, TownPlan> = {
  city: { gridM: 300, radiusM: 3000, arterialM: 4500, arterials: ['primary', 'secondary'], tertiaryM: 3500 },
  county: { gridM: 250, radiusM: 1100, arterialM: 2000, arterials: ['secondary', 'tertiary'], tertiaryM: 2500 },
  township: { gridM: 0, radiusM: 0, arterialM: 700, arterials: ['residential', undefined], tertiaryM: Infinity },
}

/** A town's lines that the barriers and roads between towns refer to. */
export interface Town {
  seat: number
  frame: TownFrame
  /** the centre, a vertex of the arterials */
  center: [number, number]
  /** the ends of the arterials, where roads from other towns may end */
  ends: [number, number][]
  /** the ends that roads from other towns do end on */
  used: [number, number][]
  /** the arterial along the grid's first direction, and the one across it */
  arterials: Line[]
}

/** Gives out street names for one town: the address names of its own streets first, then fresh ones. */
function namer(seat: Seat, rng: Rng): (reserved?: string) => string {
  const taken = new Set<string>()
  let lanes = 0
  const prefix = seat.kind === 'township' ? `示例${seat.place}` : '示例'
  return (reserved) => {
    if (reserved !== undefined && !taken.has(reserved)) {
      taken.add(reserved)
      return `示例${reserved}`
    }
    for (let tries = 0; tries < 12; tries++) {
      const name = `${rng.pick(STREET_WORDS)}${rng.pick(STREET_KINDS)}`
      if (taken.has(name)) continue
      taken.add(name)
      return `${prefix}${name}`
    }
    return `示例${seat.place}${chineseNumber(++lanes)}巷`
  }
}

/** Adds the streets of every seat; returns each seat's town. */
export function addTownStreets(lines: Lines, seats: readonly Seat[], named: readonly NamedStreet[], rng: Rng): Town[] {
  const addressName = new Map<Seat, Map<number, string>>()
  for (const n of named) (addressName.get(n.seat) ?? addressName.set(n.seat, new Map()).get(n.seat)!).set(n.k, n.name)
  return seats.map((seat, i) => {
    const f = townFrame(seat)
    const plan = TOWN_PLANS[seat.kind]
    const name = namer(seat, rng)
    const center: [number, number] = [round7(seat.lon), round7(seat.lat)]
    const arterials: Line[] = []
    plan.arterials.forEach((highway, across) => {
      if (!highway) return
      const [x0, y0] = across ? atFrame(f, 0, -plan.arterialM) : atFrame(f, -plan.arterialM, 0)
      const [x1, y1] = across ? atFrame(f, 0, plan.arterialM) : atFrame(f, plan.arterialM, 0)
      const line = lines.add(x0, y0, x1, y1, { highway, name: name() }, i)
      lines.addVertex(line, 0.5, center[0], center[1])
      arterials.push(line)
    })
    // the town's own streets, which the premises and address points were placed along
    const st = seat.streets
    for (let k = 0; k < st.length / 5; k++) {
      const o = 5 * k
      const [lon, lat, ux, uy, half] = [st[o]!, st[o + 1]!, st[o + 2]!, st[o + 3]!, st[o + 4]!]
      const mx = metresPerDegLon(lat)
      const my = metresPerDegLat(lat)
      const highway = 2 * half > plan.tertiaryM ? 'tertiary' : 'residential'
      lines.add(
        lon - (half * ux) / mx,
        lat - (half * uy) / my,
        lon + (half * ux) / mx,
        lat + (half * uy) / my,
        { highway, name: name(addressName.get(seat)?.get(k)) },
        i,
      )
    }
    if (plan.gridM > 0) {
      const reach = Math.floor(plan.radiusM / plan.gridM)
      for (const across of [false, true]) {
        for (let k = -reach; k <= reach; k++) {
          if (k === 0 || (Math.abs(k) > 1 && rng.chance(0.1))) continue
          const offset = k * plan.gridM + rng.range(-25, 25)
          const half = Math.sqrt(Math.max(0, plan.radiusM ** 2 - offset ** 2)) * rng.range(0.8, 1)
          if (half < 150) continue
          const [x0, y0] = across ? atFrame(f, offset, -half) : atFrame(f, -half, offset)
          const [x1, y1] = across ? atFrame(f, offset, half) : atFrame(f, half, offset)
          const tags: RoadTags = { highway: rng.chance(0.08) ? 'living_street' : 'residential', name: name() }
          if (rng.chance(0.08)) tags.oneway = 'yes'
          lines.add(x0, y0, x1, y1, tags, i)
        }
      }
    }
    if (seat.kind === 'city') {
      // a pedestrian street in the centre, across three streets of the grid
      const [x0, y0] = atFrame(f, -460, 150)
      const [x1, y1] = atFrame(f, 460, 150)
      lines.add(x0, y0, x1, y1, { highway: 'pedestrian', name: '示例步行街', foot: 'designated' }, i)
    }
    const ends = arterials.flatMap((a): [number, number][] => [
      [a.x0, a.y0],
      [a.x1, a.y1],
    ])
    return { seat: i, frame: f, center, arterials, ends, used: [] }
  })
}

/** a straight-ish road from one point to another in pieces of about 1 km sharing their ends, straight near both ends */
function addChain(
  lines: Lines,
  a: [number, number],
  b: [number, number],
  tags: RoadTags,
  rng: Rng,
  junctions = true,
  bridgeNear?: (x: number, y: number) => boolean,
): Line[] {
  const lat = (a[1] + b[1]) / 2
  const mx = metresPerDegLon(lat)
  const my = metresPerDegLat(lat)
  const dx = (b[0] - a[0]) * mx
  const dy = (b[1] - a[1]) * my
  const length = Math.hypot(dx, dy)
  const n = Math.max(1, Math.ceil(length / 1000))
  const points: [number, number][] = []
  for (let k = 0; k <= n; k++) {
    const s = k / n
    const quiet = s * length < 2000 || (1 - s) * length < 2000
    const side = quiet ? 0 : rng.normal() * Math.min(150, 0.03 * length)
    points.push(
      k === 0
        ? a
        : k === n
          ? b
          : [round7(a[0] + s * (b[0] - a[0]) - (side * dy) / length / mx), round7(a[1] + s * (b[1] - a[1]) + (side * dx) / length / my)],
    )
  }
  const out: Line[] = []
  for (let k = 0; k < n; k++) {
    const [x0, y0] = points[k]!
    const [x1, y1] = points[k + 1]!
    const piece: RoadTags = { ...tags }
    if (bridgeNear?.((x0 + x1) / 2, (y0 + y1) / 2)) Object.assign(piece, { bridge: 'yes', layer: '1' })
    out.push(lines.add(x0, y0, x1, y1, piece, -1, junctions))
  }
  return out
}

/** 示例固原至西吉公路; a link between two seats of the same name is 示例固原连接线 */
const roadName = (from: string, to: string) => (from === to ? `示例${from}连接线` : `示例${from}至${to}公路`)

/**
 * Roads between towns, each ending on the end of one of its town's arterials (the one nearest the other
 * town): in Guyuan, primary roads from the city to each county seat and tertiary roads from each county seat
 * to its other seats; in bbox mode, each township to the nearest county seat within 40 km and each county
 * seat to the nearest earlier one within 150 km.
 */
export function addRoadsBetweenTowns(lines: Lines, seats: readonly Seat[], towns: readonly Town[], bboxMode: boolean, rng: Rng): void {
  // the end of town a's arterials nearest to town b
  const endToward = (a: Town, b: Town): [number, number] => {
    let best = a.center
    let bestD = Infinity
    for (const e of a.ends) {
      const d = Math.hypot((e[0] - b.center[0]) * a.frame.mx, (e[1] - b.center[1]) * a.frame.my)
      if (d < bestD) {
        bestD = d
        best = e
      }
    }
    if (!a.used.includes(best)) a.used.push(best)
    return best
  }
  const link = (i: number, j: number, highway: RoadTags['highway']) =>
    addChain(
      lines,
      endToward(towns[i]!, towns[j]!),
      endToward(towns[j]!, towns[i]!),
      { highway, name: roadName(seats[j]!.place, seats[i]!.place) },
      rng,
    )
  const distanceM = (i: number, j: number) =>
    Math.hypot((seats[i]!.lon - seats[j]!.lon) * towns[i]!.frame.mx, (seats[i]!.lat - seats[j]!.lat) * towns[i]!.frame.my)
  const mains = seats.map((s, i) => (s.kind === 'township' ? -1 : i)).filter((i) => i >= 0)
  if (!bboxMode) {
    const city = seats.findIndex((s) => s.kind === 'city')
    const mainOf = new Map<number, number>()
    for (const i of mains) if (!mainOf.has(seats[i]!.county)) mainOf.set(seats[i]!.county, i)
    seats.forEach((seat, i) => {
      const main = mainOf.get(seat.county)
      if (i === city || main === undefined) return
      if (i === main) {
        if (city >= 0) link(i, city, 'primary')
      } else link(i, main, 'tertiary')
    })
    return
  }
  // bounded work for huge sets: towns beyond this many get no roads between them
  if (seats.length > 20_000) return
  const nearest = (i: number, candidates: readonly number[], maxM: number) => {
    let best = -1
    let bestM = maxM
    for (const j of candidates) {
      if (j === i) continue
      const d = distanceM(i, j)
      if (d < bestM) {
        bestM = d
        best = j
      }
    }
    return best
  }
  mains.forEach((i, n) => {
    const j = nearest(i, mains.slice(0, n), 150_000)
    if (j >= 0) link(i, j, 'primary')
  })
  seats.forEach((seat, i) => {
    if (seat.kind !== 'township') return
    const j = nearest(i, mains, 40_000)
    if (j >= 0) link(i, j, 'tertiary')
  })
}

/**
 * A motorway past the city, elevated (bridge) where it passes over the city's streets, with no junction
 * but one interchange with the city's first arterial.
 */
export function addMotorway(lines: Lines, city: Town, rng: Rng): void {
  const f = city.frame
  const at = (s: number): [number, number] => {
    const [x, y] = atFrame(f, 2000 + s / Math.SQRT2, -2000 + s / Math.SQRT2)
    return [round7(x), round7(y)]
  }
  const near = (x: number, y: number) => {
    const [u, v] = inFrame(f, x, y)
    return Math.hypot(u, v) < 4500
  }
  const pieces = addChain(lines, at(-14_000), at(14_000), { highway: 'motorway', name: '示例固原绕城高速', foot: 'no' }, rng, false, near)
  const arterial = city.arterials[0]!
  for (const piece of pieces) {
    const hit = crossing(piece, arterial)
    if (!hit) continue
    const [tp, ta, x, y] = hit
    lines.addVertex(piece, tp, round7(x), round7(y))
    lines.addVertex(arterial, ta, round7(x), round7(y))
    break
  }
}
