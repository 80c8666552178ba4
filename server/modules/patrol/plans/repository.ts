import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../../db/types.ts'
import { expandByMetres, frameKx, geodesicDistance, geomFromGeoJson, inFrame, pointOf } from '../../../db/postgis.ts'
import type { TravelSegment } from '../../../geo/travel.ts'
import type { Mode, PeakWindow, PlannerPolicy, PostRule } from './planner/types.ts'

type Db = Kysely<Database> | Transaction<Database>

/** A police station as the planner needs it. */
export interface StationRow {
  id: number
  name: string
  countyCode: string
  phone: string | null
  address: string | null
}

/** One station (read-only; the registry owns writes). */
export async function findStation(db: Db, id: number): Promise<StationRow | undefined> {
  const row = await db
    .selectFrom('police_stations')
    .select(['id', 'name', 'county_code', 'phone', 'address'])
    .where('id', '=', id)
    .executeTakeFirst()
  return row && { id: row.id, name: row.name, countyCode: row.county_code, phone: row.phone, address: row.address }
}

/** Whether a county exists. */
export async function countyExists(db: Db, code: string): Promise<boolean> {
  return (await db.selectFrom('counties').select('code').where('code', '=', code).executeTakeFirst()) !== undefined
}

/** The policy in force on a date: the highest version effective on or before it. */
export async function policyOn(db: Db, date: string): Promise<PlannerPolicy | undefined> {
  const row = await db
    .selectFrom('patrol_policies')
    .selectAll()
    .where('effective_from', '<=', date)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst()
  if (!row) return undefined
  const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T
  return {
    version: row.version,
    visitsPerUrbanSchool: row.visits_per_urban_school,
    minGapMinutes: row.min_gap_minutes,
    dwellMinMinutes: row.dwell_min_minutes,
    dwellMaxMinutes: row.dwell_max_minutes,
    peakWindows: json<PeakWindow[]>(row.peak_windows),
    posts: json<PostRule[]>(row.posts),
    carSpeedKmh: Number(row.car_speed_kmh),
    footSpeedKmh: Number(row.foot_speed_kmh),
  }
}

export interface UnitRow {
  id: number
  name: string
  stationId: number
  mode: Mode
  shiftStart: string
  shiftEnd: string
  base: [number, number]
}

/** The active units of a station, or of every station of a county. */
export async function activeUnits(db: Db, scope: { stationId: number } | { countyCode: string }): Promise<UnitRow[]> {
  const { rows } = await sql<{
    id: number
    name: string
    station_id: number
    mode: Mode
    shift_start: string
    shift_end: string
    lon: number
    lat: number
  }>`
    select u.id, u.name, u.station_id, u.mode, u.shift_start::text as shift_start, u.shift_end::text as shift_end, ST_X(u.base) as lon, ST_Y(u.base) as lat
    from patrol_units u join police_stations s on s.id = u.station_id
    where u.active and ${'stationId' in scope ? sql`u.station_id = ${scope.stationId}` : sql`s.county_code = ${scope.countyCode}`}
    order by u.id`.execute(db)
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    stationId: r.station_id,
    mode: r.mode,
    shiftStart: r.shift_start,
    shiftEnd: r.shift_end,
    base: [Number(r.lon), Number(r.lat)],
  }))
}

export interface SchoolRow {
  id: number
  name: string
  urban: boolean
  students: number | null
  address: string | null
  gates: [number, number][]
  /** A point of the campus, where a school without gates is visited. */
  inside: [number, number]
  peakWindows: PeakWindow[] | null
}

/**
 * The schools a plan covers: those of a county, or for a station with patrol grids the schools whose campus
 * meets one of its grids (a station without grids covers its county).
 */
export async function schoolsInScope(db: Db, scope: { countyCode: string; stationId?: number }): Promise<SchoolRow[]> {
  const gridded =
    scope.stationId !== undefined &&
    (await db.selectFrom('patrol_grids').select('id').where('station_id', '=', scope.stationId).limit(1).executeTakeFirst()) !== undefined
  const { rows } = await sql<{
    id: number
    name: string
    urban: boolean
    students: number | null
    address: string | null
    gates: { coordinates: [number, number][] } | null
    inside: { coordinates: [number, number] }
    peak_windows: unknown
  }>`
    select s.id, s.name, s.urban, s.students, s.address, ST_AsGeoJSON(s.gates, 9)::json as gates,
      ST_AsGeoJSON(ST_PointOnSurface(s.geom), 9)::json as inside, s.peak_windows
    from schools s
    where s.county_code = ${scope.countyCode}
      ${gridded ? sql`and exists (select 1 from patrol_grids g where g.station_id = ${scope.stationId!} and ST_Intersects(g.geom, s.geom))` : sql``}
    order by s.id`.execute(db)
  return rows.map((r) => {
    const gates = typeof r.gates === 'string' ? JSON.parse(r.gates) : r.gates
    const inside = typeof r.inside === 'string' ? JSON.parse(r.inside) : r.inside
    const windows = typeof r.peak_windows === 'string' ? JSON.parse(r.peak_windows) : r.peak_windows
    return {
      id: r.id,
      name: r.name,
      urban: r.urban,
      students: r.students,
      address: r.address,
      gates: gates ? gates.coordinates.map((c: number[]) => [c[0]!, c[1]!] as [number, number]) : [],
      inside: [inside.coordinates[0], inside.coordinates[1]],
      peakWindows: Array.isArray(windows) ? (windows as PeakWindow[]) : null,
    }
  })
}

/** The network's data version (the roads tile layer's counter and epoch): a cached graph is current while it holds. */
export async function roadsVersion(db: Db): Promise<string> {
  const row = await db.selectFrom('tile_versions').select(['version', 'epoch']).where('layer', '=', 'roads').executeTakeFirst()
  return row ? `${row.epoch}:${row.version}` : 'none'
}

/**
 * The segments a mode may use within a box, with their vertices' positions, read in pages of consecutive
 * ids: an embedded query holds the thread while it runs, and a page taken as "the next n in the box by id"
 * costs the whole box each time (every segment of the box is found, joined and sorted to keep n), so a page
 * is a range of ids instead, whose cost is bounded by the range. Ranges without a segment of the box (other
 * areas' roads, ids freed by re-imports) widen the next range, up to a limit, so a sparse id space takes few
 * queries; a dense one narrows it back.
 */
export async function segmentsIn(
  db: Db,
  mode: Mode,
  bbox: [number, number, number, number],
  pause: () => Promise<void> = async () => {},
): Promise<TravelSegment[]> {
  const out: TravelSegment[] = []
  const bounds = await db
    .selectFrom('road_segments')
    .select((eb) => [eb.fn.min('id').as('first'), eb.fn.max('id').as('last')])
    .executeTakeFirst()
  if (!bounds || bounds.first === null || bounds.last === null) return out
  const last = Number(bounds.last)
  let after = Number(bounds.first) - 1
  let width = SEGMENT_PAGE
  while (after < last) {
    const upTo = after + width
    const { rows } = await sql<{
      id: number
      source: number
      target: number
      length_m: number
      oneway: boolean
      slon: number
      slat: number
      tlon: number
      tlat: number
    }>`
      select s.id, s.source, s.target, s.length_m, s.oneway, a.lon as slon, a.lat as slat, b.lon as tlon, b.lat as tlat
      from road_segments s join road_vertices a on a.id = s.source join road_vertices b on b.id = s.target
      where s.id > ${after} and s.id <= ${upTo} and ${mode === 'car' ? sql`s.drivable` : sql`s.walkable`}
        and s.geom && ST_MakeEnvelope(${bbox[0]}::float8, ${bbox[1]}::float8, ${bbox[2]}::float8, ${bbox[3]}::float8, 4326)
      order by s.id`.execute(db)
    for (const r of rows)
      out.push({
        id: r.id,
        source: r.source,
        target: r.target,
        lengthM: Number(r.length_m),
        oneway: r.oneway,
        sourcePosition: [Number(r.slon), Number(r.slat)],
        targetPosition: [Number(r.tlon), Number(r.tlat)],
      })
    after = upTo
    width = rows.length < SEGMENT_PAGE / 4 ? Math.min(2 * width, SEGMENT_PAGE_MAX_IDS) : SEGMENT_PAGE
    await pause()
  }
  return out
}
/** Ids per page of segments (and so at most the rows of one query), and how wide a range may grow over sparse ids. */
const SEGMENT_PAGE = 1000
const SEGMENT_PAGE_MAX_IDS = 8 * SEGMENT_PAGE

export interface Snap {
  segmentId: number
  fraction: number
  connectorM: number
  snapped: [number, number]
}

/**
 * The nearest point of a segment the mode may use to each point, within `reachM` (geodesic connector),
 * found in the point's local frame like the walking distance does; null beyond the reach.
 */
export async function snap(db: Db, mode: Mode, points: readonly (readonly [number, number])[], reachM: number): Promise<(Snap | null)[]> {
  if (points.length === 0) return []
  const batch = JSON.stringify(points.map(([lon, lat], i) => ({ i, lon, lat })))
  const { rows } = await sql<{ i: number; segment_id: number | null; fraction: number; connector_m: number; lon: number; lat: number }>`
    with p as (select x.i, ${pointOf(sql`x.lon`, sql`x.lat`)} as g, x.lat, ${frameKx(sql`radians(x.lat)`)} as kx
      from json_to_recordset(${batch}::json) as x(i integer, lon float8, lat float8))
    select p.i, best.segment_id, best.fraction, best.connector_m, ST_X(best.snapped) as lon, ST_Y(best.snapped) as lat
    from p
    left join lateral (
      select s.id as segment_id, f.fraction, ${geodesicDistance(sql`p.g`, sql`f.snapped`)} as connector_m, f.snapped
      from road_segments s
      cross join lateral (select ST_LineLocatePoint(${inFrame(sql`s.geom`, sql`p.kx`)}, ${inFrame(sql`p.g`, sql`p.kx`)}) as fraction) l
      cross join lateral (select l.fraction, ST_LineInterpolatePoint(s.geom, l.fraction) as snapped) f
      where ${mode === 'car' ? sql`s.drivable` : sql`s.walkable`} and s.geom && ${expandByMetres(sql`p.g`, sql`${reachM}::float8`, sql`p.lat`)}
      order by connector_m, s.id
      limit 1
    ) best on true
    order by p.i`.execute(db)
  return rows.map((r) =>
    r.segment_id === null || Number(r.connector_m) > reachM
      ? null
      : {
          segmentId: r.segment_id,
          fraction: Number(r.fraction),
          connectorM: Number(r.connector_m),
          snapped: [Number(r.lon), Number(r.lat)],
        },
  )
}

export interface NewPlan {
  date: string
  countyCode: string | null
  stationId: number | null
  policyVersion: number
  seed: string
  lengthM: number
  lowerBoundM: number
  nearestNeighbourM: number | null
  solver: unknown
  schools: unknown
  unmet: unknown
  demo: boolean
  createdBy: number | null
  units: {
    unitId: number
    lengthM: number
    route: { type: 'MultiLineString'; coordinates: [number, number][][] } | null
    /** `at`: where the stop is, [lon, lat] of the gate or of a point of the campus. */
    stops: { kind: string; schoolId: number; gate: number | null; at: [number, number]; arriveAt: string; departAt: string }[]
  }[]
}

/** Stores a plan with its units and stops; returns its id. */
export async function insertPlan(db: Db, plan: NewPlan): Promise<number> {
  const { id } = await db
    .insertInto('patrol_plans')
    .values({
      date: plan.date,
      county_code: plan.countyCode,
      station_id: plan.stationId,
      policy_version: plan.policyVersion,
      seed: plan.seed,
      length_m: plan.lengthM,
      lower_bound_m: plan.lowerBoundM,
      nearest_neighbour_m: plan.nearestNeighbourM,
      solver: JSON.stringify(plan.solver),
      schools: JSON.stringify(plan.schools),
      unmet: JSON.stringify(plan.unmet),
      demo: plan.demo,
      created_by: plan.createdBy,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  for (const unit of plan.units) {
    await db
      .insertInto('patrol_plan_units')
      .values({
        plan_id: id,
        unit_id: unit.unitId,
        route: unit.route ? (geomFromGeoJson(unit.route) as never) : null,
        length_m: unit.lengthM,
      })
      .execute()
  }
  const stops = plan.units.flatMap((unit) =>
    unit.stops.map((stop, seq) => ({
      plan_id: id,
      unit_id: unit.unitId,
      seq,
      kind: stop.kind,
      school_id: stop.schoolId,
      gate: stop.gate,
      arrive_at: stop.arriveAt,
      depart_at: stop.departAt,
      geom: pointOf(sql`${stop.at[0]}::float8`, sql`${stop.at[1]}::float8`) as never,
    })),
  )
  for (let i = 0; i < stops.length; i += 500)
    await db
      .insertInto('patrol_plan_stops')
      .values(stops.slice(i, i + 500))
      .execute()
  return id
}

export interface PlanRow {
  id: number
  date: string
  countyCode: string | null
  stationId: number | null
  policyVersion: number
  seed: string
  lengthM: number
  lowerBoundM: number
  nearestNeighbourM: number | null
  solver: Record<string, unknown>
  schools: unknown[]
  unmet: unknown[]
  createdAt: Date
  /** The county the plan belongs to (its own, or its station's). */
  scopeCounty: string | null
}

const planColumns = sql`p.id, to_char(p.date, 'YYYY-MM-DD') as date, p.county_code, p.station_id, p.policy_version, p.seed, p.length_m, p.lower_bound_m,
  p.nearest_neighbour_m, p.solver, p.schools, p.unmet, p.created_at, coalesce(p.county_code, st.county_code) as scope_county`

type RawPlan = {
  id: number
  date: string
  county_code: string | null
  station_id: number | null
  policy_version: number
  seed: string
  length_m: number
  lower_bound_m: number
  nearest_neighbour_m: number | null
  solver: unknown
  schools: unknown
  unmet: unknown
  created_at: Date
  scope_county: string | null
}
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T
const toPlan = (r: RawPlan): PlanRow => ({
  id: r.id,
  date: r.date,
  countyCode: r.county_code?.trim() ?? null,
  stationId: r.station_id,
  policyVersion: r.policy_version,
  seed: r.seed,
  lengthM: Number(r.length_m),
  lowerBoundM: Number(r.lower_bound_m),
  nearestNeighbourM: r.nearest_neighbour_m === null ? null : Number(r.nearest_neighbour_m),
  solver: json(r.solver),
  schools: json(r.schools),
  unmet: json(r.unmet),
  createdAt: new Date(r.created_at),
  scopeCounty: r.scope_county?.trim() ?? null,
})

/** One plan's head. */
export async function findPlan(db: Db, id: number): Promise<PlanRow | undefined> {
  const { rows } =
    await sql<RawPlan>`select ${planColumns} from patrol_plans p left join police_stations st on st.id = p.station_id where p.id = ${id}`.execute(
      db,
    )
  return rows[0] && toPlan(rows[0])
}

export interface PlanUnitRow {
  unitId: number
  name: string
  mode: Mode
  shiftStart: string
  shiftEnd: string
  base: [number, number]
  stationId: number
  lengthM: number
  route: { type: string; coordinates: unknown[] } | null
}

/** A plan's units with their routes, by unit id. */
export async function planUnits(db: Db, planId: number): Promise<PlanUnitRow[]> {
  const { rows } = await sql<{
    unit_id: number
    name: string
    mode: Mode
    shift_start: string
    shift_end: string
    lon: number
    lat: number
    station_id: number
    length_m: number
    route: unknown
  }>`
    select pu.unit_id, u.name, u.mode, u.shift_start::text as shift_start, u.shift_end::text as shift_end, ST_X(u.base) as lon, ST_Y(u.base) as lat,
      u.station_id, pu.length_m, ST_AsGeoJSON(pu.route, 9)::json as route
    from patrol_plan_units pu join patrol_units u on u.id = pu.unit_id
    where pu.plan_id = ${planId}
    order by pu.unit_id`.execute(db)
  return rows.map((r) => ({
    unitId: r.unit_id,
    name: r.name,
    mode: r.mode,
    shiftStart: r.shift_start,
    shiftEnd: r.shift_end,
    base: [Number(r.lon), Number(r.lat)],
    stationId: r.station_id,
    lengthM: Number(r.length_m),
    route: r.route === null ? null : json(r.route),
  }))
}

export interface PlanStopRow {
  unitId: number
  seq: number
  kind: 'post' | 'visit'
  schoolId: number
  gate: number | null
  arriveAt: Date
  departAt: Date
  lon: number
  lat: number
}

/** A plan's stops in order, unit by unit. */
export async function planStops(db: Db, planId: number): Promise<PlanStopRow[]> {
  const rows = await db
    .selectFrom('patrol_plan_stops')
    .select(['unit_id', 'seq', 'kind', 'school_id', 'gate', 'arrive_at', 'depart_at'])
    .select([sql<number>`ST_X(geom)`.as('lon'), sql<number>`ST_Y(geom)`.as('lat')])
    .where('plan_id', '=', planId)
    .orderBy('unit_id')
    .orderBy('seq')
    .execute()
  return rows.map((r) => ({
    unitId: r.unit_id,
    seq: r.seq,
    kind: r.kind as 'post' | 'visit',
    schoolId: r.school_id,
    gate: r.gate,
    arriveAt: new Date(r.arrive_at),
    departAt: new Date(r.depart_at),
    lon: Number(r.lon),
    lat: Number(r.lat),
  }))
}

/** Plans filtered by date, county (the plan's or its station's) and station, newest first, with counts. */
export async function listPlans(
  db: Db,
  filter: { date?: string; countyCode?: string; stationId?: number; limit: number; offset: number },
): Promise<{ rows: (PlanRow & { units: number; stops: number })[]; numberMatched: number }> {
  const where = sql.join(
    [
      sql`true`,
      ...(filter.date ? [sql`p.date = ${filter.date}`] : []),
      ...(filter.countyCode ? [sql`coalesce(p.county_code, st.county_code) = ${filter.countyCode}`] : []),
      ...(filter.stationId ? [sql`p.station_id = ${filter.stationId}`] : []),
    ],
    sql` and `,
  )
  const { rows } = await sql<RawPlan & { units: number; stops: number; total: number }>`
    select ${planColumns},
      (select count(*)::int from patrol_plan_units pu where pu.plan_id = p.id) as units,
      (select count(*)::int from patrol_plan_stops ps where ps.plan_id = p.id) as stops,
      count(*) over ()::int as total
    from patrol_plans p left join police_stations st on st.id = p.station_id
    where ${where}
    order by p.date desc, p.id desc
    limit ${filter.limit} offset ${filter.offset}`.execute(db)
  return {
    rows: rows.map((r) => ({ ...toPlan(r), units: r.units, stops: r.stops })),
    numberMatched: rows[0]?.total ?? 0,
  }
}

/** Names, addresses and gates of schools, for route sheets and GPX waypoints. */
export async function schoolDetails(
  db: Db,
  ids: readonly number[],
): Promise<Map<number, { name: string; address: string | null; gates: [number, number][]; inside: [number, number] }>> {
  if (ids.length === 0) return new Map()
  const { rows } = await sql<{ id: number; name: string; address: string | null; gates: unknown; inside: unknown }>`
    select s.id, s.name, s.address, ST_AsGeoJSON(s.gates, 9)::json as gates, ST_AsGeoJSON(ST_PointOnSurface(s.geom), 9)::json as inside
    from schools s where s.id = any(${[...new Set(ids)]}::int[])`.execute(db)
  return new Map(
    rows.map((r) => {
      const gates = json<{ coordinates: [number, number][] } | null>(r.gates)
      const inside = json<{ coordinates: [number, number] }>(r.inside)
      return [r.id, { name: r.name, address: r.address, gates: gates?.coordinates ?? [], inside: inside.coordinates }]
    }),
  )
}
