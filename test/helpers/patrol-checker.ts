/**
 * An independent checker of a daily patrol plan as the API answers it. It shares no code with the planner:
 * it reads the policy, units, schools and road segments from the database with its own SQL, measures with
 * GeographicLib, and lists every hard constraint of the police desk issue that the plan breaks:
 *
 *  - every urban school gets at least the required visits, or each missing one is listed unmet with a reason;
 *  - two visits to one school are at least the minimum gap apart (departure of one to arrival of the next);
 *  - each visit lasts within the dwell range and stays clear of the school's peak windows; each post covers a
 *    whole peak window of its school at the gate the policy names; every post the policy asks for is planned
 *    or listed unmet;
 *  - a unit is in one place at a time, within its shift; each stop carries the point of its gate;
 *  - the route runs base → stops → base, each leg starting and ending at the places of the stops, continuous
 *    along segments the unit's mode may use (one-way streets only forwards by car), with a connector of at
 *    most 300 m off the road at either end; its length matches the unit's lengthM, and every leg fits
 *    between the stops at the policy's speed.
 */
import geodesic from 'geographiclib-geodesic'
import { sql, type Kysely } from 'kysely'

const WGS84 = geodesic.Geodesic.WGS84
const metres = (a: readonly number[], b: readonly number[]) => WGS84.Inverse(a[1]!, a[0]!, b[1]!, b[0]!, geodesic.Geodesic.DISTANCE).s12!

export interface CheckedPlan {
  date: string
  units: {
    unitId: number
    mode: 'car' | 'foot'
    stops: { kind: 'post' | 'visit'; schoolId: number; gate?: number; lon: number; lat: number; arriveAt: string; departAt: string }[]
    route: { type: string; coordinates: number[][][] } | null
    lengthM: number
  }[]
  schools: { schoolId: number; urban: boolean; required: number; planned: number }[]
  unmet: {
    schoolId: number
    kind: 'post' | 'visit'
    window?: string
    reason: string
    reasonCode?: string
    reasonValues?: Record<string, string | number>
  }[]
  lengthM: number
  lowerBoundM: number
}

const MAX_CONNECTOR_M = 300
const ON_ROAD_M = 0.05

/** Seconds after midnight (CST) of an ISO time with +08:00 on the plan's date; null when the text is not that. */
function clockOf(iso: string, date: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})\+08:00$/.exec(iso)
  if (!m || m[1] !== date) return null
  return Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4])
}
const hm = (clock: string) => {
  const [h, m, s] = clock.split(':').map(Number)
  return h! * 3600 + m! * 60 + (s ?? 0)
}

interface Segment {
  a: [number, number]
  b: [number, number]
  oneway: boolean
}

/** Where a point lies on a segment (0 at a, 1 at b) and how far from it, in a local frame at the point. */
function project(p: readonly number[], s: Segment): { t: number; offM: number } {
  const kx = Math.cos((p[1]! * Math.PI) / 180) * 111320
  const ky = 110574
  const ax = (s.a[0] - p[0]!) * kx
  const ay = (s.a[1] - p[1]!) * ky
  const bx = (s.b[0] - p[0]!) * kx
  const by = (s.b[1] - p[1]!) * ky
  const dx = bx - ax
  const dy = by - ay
  const len2 = dx * dx + dy * dy
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2))
  return { t, offM: Math.hypot(ax + t * dx, ay + t * dy) }
}

export async function checkPlan(db: Kysely<any>, plan: CheckedPlan): Promise<string[]> {
  const problems: string[] = []
  const policy = (
    await sql<{
      visits_per_urban_school: number
      min_gap_minutes: number
      dwell_min_minutes: number
      dwell_max_minutes: number
      peak_windows: unknown
      posts: unknown
      car_speed_kmh: string
      foot_speed_kmh: string
    }>`select * from patrol_policies where effective_from <= ${plan.date} order by version desc limit 1`.execute(db)
  ).rows[0]!
  const parse = <T>(v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as T
  const defaultWindows = parse<{ name: string; start: string; end: string }[]>(policy.peak_windows)
  const postRules = parse<{ scope: string; gate: number; windows: string[] }[]>(policy.posts)
  const speed = { car: (Number(policy.car_speed_kmh) * 1000) / 3600, foot: (Number(policy.foot_speed_kmh) * 1000) / 3600 }
  const schoolIds = plan.schools.map((s) => s.schoolId)
  const schools = new Map(
    (
      await sql<{ id: number; urban: boolean; gates: unknown; peak_windows: unknown }>`
        select id, urban, ST_AsGeoJSON(gates)::json as gates, peak_windows from schools where id = any(${schoolIds}::int[])`.execute(db)
    ).rows.map((r) => [
      r.id,
      {
        urban: r.urban,
        gates: (parse<{ coordinates: number[][] } | null>(r.gates)?.coordinates ?? []) as number[][],
        windows: parse<{ name: string; start: string; end: string }[] | null>(r.peak_windows) ?? defaultWindows,
      },
    ]),
  )
  const units = new Map(
    (
      await sql<{ id: number; mode: 'car' | 'foot'; shift_start: string; shift_end: string; lon: number; lat: number }>`
        select id, mode, shift_start::text as shift_start, shift_end::text as shift_end, ST_X(base) as lon, ST_Y(base) as lat
        from patrol_units where id = any(${plan.units.map((u) => u.unitId)}::int[])`.execute(db)
    ).rows.map((r) => [r.id, { ...r, base: [Number(r.lon), Number(r.lat)] as [number, number] }]),
  )
  const segmentsOf = async (mode: 'car' | 'foot'): Promise<Segment[]> =>
    (
      await sql<{ alon: number; alat: number; blon: number; blat: number; oneway: boolean }>`
        select ST_X(ST_StartPoint(geom)) as alon, ST_Y(ST_StartPoint(geom)) as alat, ST_X(ST_EndPoint(geom)) as blon, ST_Y(ST_EndPoint(geom)) as blat, oneway
        from road_segments where ${mode === 'car' ? sql`drivable` : sql`walkable`}`.execute(db)
    ).rows.map((r) => ({ a: [Number(r.alon), Number(r.alat)], b: [Number(r.blon), Number(r.blat)], oneway: mode === 'car' && r.oneway }))
  const network: Partial<Record<'car' | 'foot', { cells: Map<string, Segment[]> }>> = {}
  const cellOf = (p: readonly number[]) => `${Math.floor(p[0]! / 0.005)}:${Math.floor(p[1]! / 0.005)}`
  const near = async (mode: 'car' | 'foot', p: readonly number[]) => {
    if (!network[mode]) {
      const cells = new Map<string, Segment[]>()
      for (const s of await segmentsOf(mode)) {
        const keys = new Set<string>()
        for (let x = Math.min(s.a[0], s.b[0]); x <= Math.max(s.a[0], s.b[0]) + 0.005; x += 0.005)
          for (let y = Math.min(s.a[1], s.b[1]); y <= Math.max(s.a[1], s.b[1]) + 0.005; y += 0.005)
            keys.add(cellOf([Math.min(x, Math.max(s.a[0], s.b[0])), Math.min(y, Math.max(s.a[1], s.b[1]))]))
        for (const k of keys) (cells.get(k) ?? cells.set(k, []).get(k)!).push(s)
      }
      network[mode] = { cells }
    }
    const [cx, cy] = cellOf(p).split(':').map(Number)
    const out: Segment[] = []
    for (let dx = -1; dx <= 1; dx += 1)
      for (let dy = -1; dy <= 1; dy += 1) out.push(...(network[mode]!.cells.get(`${cx! + dx}:${cy! + dy}`) ?? []))
    return out
  }
  /** Whether p → q runs along one segment the mode may use, in an allowed direction. */
  const alongRoad = async (mode: 'car' | 'foot', p: readonly number[], q: readonly number[]) => {
    for (const s of await near(mode, p)) {
      const a = project(p, s)
      const b = project(q, s)
      if (a.offM > ON_ROAD_M || b.offM > ON_ROAD_M) continue
      if (s.oneway && b.t < a.t - 1e-9) continue
      return true
    }
    return false
  }

  // Visits and posts per school.
  const visits = new Map<number, { at: number; until: number }[]>()
  const posts = new Set<string>()
  let total = 0
  for (const unit of plan.units) {
    const u = units.get(unit.unitId)
    if (!u) {
      problems.push(`unit ${unit.unitId}: not a unit of the registry`)
      continue
    }
    if (unit.mode !== u.mode) problems.push(`unit ${unit.unitId}: mode ${unit.mode}, the registry says ${u.mode}`)
    const mode = u.mode
    const shiftStart = hm(u.shift_start)
    const shiftEnd = hm(u.shift_end)
    const times = unit.stops.map((s) => ({ at: clockOf(s.arriveAt, plan.date), until: clockOf(s.departAt, plan.date) }))
    const places: number[][] = [u.base]
    unit.stops.forEach((stop, i) => {
      const label = `unit ${unit.unitId} stop ${i + 1} (${stop.kind} at school ${stop.schoolId})`
      const { at, until } = times[i]!
      if (at === null || until === null) {
        problems.push(`${label}: times ${stop.arriveAt}–${stop.departAt} are not ISO 8601 with +08:00 on ${plan.date}`)
        return
      }
      if (until < at) problems.push(`${label}: departs before it arrives`)
      if (at < shiftStart || until > shiftEnd)
        problems.push(`${label}: ${stop.arriveAt}–${stop.departAt} is outside the shift ${u.shift_start}–${u.shift_end}`)
      if (i > 0 && times[i - 1]!.until !== null && at < times[i - 1]!.until!)
        problems.push(`${label}: begins before the previous stop ends`)
      const school = schools.get(stop.schoolId)
      if (!school) {
        problems.push(`${label}: the school is not in the plan's schools`)
        return
      }
      const gate = stop.gate ?? 1
      const position = school.gates[gate - 1]
      if (!position) problems.push(`${label}: the school has no gate ${gate}`)
      else if (!Number.isFinite(stop.lon) || !Number.isFinite(stop.lat) || metres([stop.lon, stop.lat], position) > 0.01)
        problems.push(`${label}: is placed at ${stop.lon}, ${stop.lat}, not at gate ${gate} of the school`)
      places.push(position ?? u.base)
      const peaks = school.windows.map((w) => ({ name: w.name, start: hm(w.start), end: hm(w.end) }))
      if (stop.kind === 'visit') {
        const minutes = (until - at) / 60
        if (minutes < policy.dwell_min_minutes - 1e-9 || minutes > policy.dwell_max_minutes + 1e-9)
          problems.push(`${label}: dwells ${minutes} min, outside ${policy.dwell_min_minutes}–${policy.dwell_max_minutes}`)
        for (const p of peaks) if (at < p.end && p.start < until) problems.push(`${label}: overlaps the peak window ${p.name}`)
        ;(visits.get(stop.schoolId) ?? visits.set(stop.schoolId, []).get(stop.schoolId)!).push({ at, until })
      } else {
        const covered = peaks.find((p) => at <= p.start && until >= p.end)
        if (!covered) problems.push(`${label}: covers no whole peak window of the school (${stop.arriveAt}–${stop.departAt})`)
        else posts.add(`${stop.schoolId}|${covered.name}|${gate}`)
      }
    })
    places.push(u.base)

    // The route: one leg for each move between two different places.
    const legs = unit.route?.coordinates ?? []
    const moves: { from: number[]; to: number[]; after: number; before: number }[] = []
    for (let i = 1; i < places.length; i += 1) {
      const from = places[i - 1]!
      const to = places[i]!
      if (metres(from, to) < 0.01) continue
      moves.push({ from, to, after: i - 2, before: i - 1 })
    }
    if (legs.length !== moves.length) {
      problems.push(`unit ${unit.unitId}: the route has ${legs.length} legs for ${moves.length} moves between places`)
      continue
    }
    let lengthM = 0
    for (const [k, leg] of legs.entries()) {
      const move = moves[k]!
      const label = `unit ${unit.unitId} leg ${k + 1}`
      if (metres(leg[0]!, move.from) > 0.01 || metres(leg[leg.length - 1]!, move.to) > 0.01)
        problems.push(`${label}: does not join the places of its stops`)
      let legM = 0
      for (let j = 1; j < leg.length; j += 1) {
        const piece = metres(leg[j - 1]!, leg[j]!)
        legM += piece
        if (await alongRoad(mode, leg[j - 1]!, leg[j]!)) continue
        const end = j === 1 || j === leg.length - 1
        if (!end) problems.push(`${label}: piece ${j} (${leg[j - 1]} → ${leg[j]}) does not run along a road a ${mode} unit may use`)
        else if (piece > MAX_CONNECTOR_M) problems.push(`${label}: a connector of ${piece.toFixed(1)} m off the roads`)
      }
      lengthM += legM
      const seconds = legM / speed[mode]
      const leave = move.after < 0 ? shiftStart : times[move.after]!.until
      const arrive = move.before >= unit.stops.length ? shiftEnd : times[move.before]!.at
      if (leave !== null && arrive !== null && arrive - leave < seconds - 1)
        problems.push(`${label}: ${legM.toFixed(1)} m take ${Math.ceil(seconds)} s at ${mode} speed, but only ${arrive - leave} s are left`)
    }
    if (Math.abs(lengthM - unit.lengthM) > Math.max(1, unit.lengthM * 1e-4))
      problems.push(`unit ${unit.unitId}: route measures ${lengthM.toFixed(1)} m, lengthM says ${unit.lengthM}`)
    total += unit.lengthM
  }
  if (Math.abs(total - plan.lengthM) > 1) problems.push(`the units' lengths add to ${total}, the plan says ${plan.lengthM}`)
  if (plan.lowerBoundM > plan.lengthM + 1e-6) problems.push(`the lower bound ${plan.lowerBoundM} exceeds the length ${plan.lengthM}`)

  // Gaps between visits and the visits required.
  const gap = policy.min_gap_minutes * 60
  for (const [schoolId, list] of visits) {
    list.sort((a, b) => a.at - b.at)
    for (let i = 1; i < list.length; i += 1)
      if (list[i]!.at - list[i - 1]!.until < gap)
        problems.push(`school ${schoolId}: visits ${i} and ${i + 1} are less than ${policy.min_gap_minutes} min apart`)
  }
  for (const entry of plan.schools) {
    const school = schools.get(entry.schoolId)!
    const required = school.urban ? policy.visits_per_urban_school : 0
    const planned = visits.get(entry.schoolId)?.length ?? 0
    if (entry.required !== required) problems.push(`school ${entry.schoolId}: required ${entry.required}, the policy says ${required}`)
    if (entry.planned !== planned)
      problems.push(`school ${entry.schoolId}: says ${entry.planned} visits planned, the units make ${planned}`)
    const listed = plan.unmet.filter((u) => u.schoolId === entry.schoolId && u.kind === 'visit' && u.reason.trim().length > 0).length
    if (planned < required && planned + listed < required)
      problems.push(`school ${entry.schoolId}: ${planned} of ${required} visits planned and only ${listed} listed unmet`)
    // Posts the policy asks for.
    for (const rule of postRules) {
      if (rule.scope === 'urban' && !school.urban) continue
      for (const name of rule.windows)
        for (const w of school.windows.filter((x) => x.name === name || x.name.startsWith(name))) {
          const held = posts.has(`${entry.schoolId}|${w.name}|${rule.gate}`)
          const unmet = plan.unmet.some(
            (u) => u.schoolId === entry.schoolId && u.kind === 'post' && u.window === w.name && u.reason.trim().length > 0,
          )
          if (!held && !unmet)
            problems.push(`school ${entry.schoolId}: the ${w.name} post at gate ${rule.gate} is neither planned nor listed unmet`)
        }
    }
  }
  return problems
}
