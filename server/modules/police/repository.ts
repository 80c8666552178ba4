import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import {
  asGeoJson,
  campusFromGeoJson,
  envelope,
  expandByMetres,
  geodesicDistance,
  geomFromGeoJson,
  pointFromLonLat,
  pointOf,
} from '../../db/postgis.ts'
import type { Database } from '../../db/types.ts'
import type { PoliceKind } from '../../schemas/police.ts'

type Db = Kysely<Database> | Transaction<Database>

/** An integer array parameter in PostgreSQL's text form, which both drivers pass alike. */
const intArray = (ids: readonly number[]) => `{${ids.map((id) => Math.trunc(id)).join(',')}}`

/** A record of one of the desk's registers as read: the shared columns, the kind's own, geometry as GeoJSON. */
export interface PoliceRow {
  id: number
  county_code: string
  demo: boolean
  version: number
  created_at: Date
  updated_at: Date
  geometry: { type: string; coordinates: unknown } | null
  [column: string]: unknown
}

/** A validated record (WGS84) ready to store: the API's properties and geometry. */
export interface PoliceValues {
  properties: Record<string, unknown>
  geometry: { type: string; coordinates: unknown } | null
  demo?: boolean
}

interface KindSql {
  table: string
  from: RawBuilder<unknown>
  county: RawBuilder<unknown>
  geom: RawBuilder<unknown>
  columns: RawBuilder<unknown>
  /** The column a stationId / schoolId filter applies to, if the kind has it. */
  station?: RawBuilder<unknown>
  school?: RawBuilder<unknown>
}

// Table and column names come only from here, never from a request.
const KINDS: Record<PoliceKind, KindSql> = {
  stations: {
    table: 'police_stations',
    from: sql`police_stations t`,
    county: sql`t.county_code`,
    geom: sql`t.geom`,
    columns: sql`t.name, t.address, t.phone`,
  },
  grids: {
    table: 'patrol_grids',
    from: sql`patrol_grids t join police_stations st on st.id = t.station_id`,
    county: sql`st.county_code`,
    geom: sql`t.geom`,
    columns: sql`t.name, t.station_id`,
    station: sql`t.station_id`,
  },
  units: {
    table: 'patrol_units',
    from: sql`patrol_units t join police_stations st on st.id = t.station_id`,
    county: sql`st.county_code`,
    geom: sql`t.base`,
    columns: sql`t.name, t.station_id, t.mode, to_char(t.shift_start, 'HH24:MI') as shift_start,
      to_char(t.shift_end, 'HH24:MI') as shift_end, t.officers, t.active`,
    station: sql`t.station_id`,
  },
  signs: {
    table: 'warning_signs',
    from: sql`warning_signs t join schools sc on sc.id = t.school_id`,
    county: sql`sc.county_code`,
    geom: sql`t.geom`,
    columns: sql`t.school_id, t.state, t.installed_on::text as installed_on, t.note`,
    school: sql`t.school_id`,
  },
  cameras: {
    table: 'cameras',
    from: sql`cameras t join schools sc on sc.id = t.school_id`,
    county: sql`sc.county_code`,
    geom: sql`t.geom`,
    columns: sql`t.school_id, t.gate, t.state, t.linked_to_police, t.note`,
    school: sql`t.school_id`,
  },
}

const selectOf = (kind: PoliceKind) => {
  const k = KINDS[kind]
  return sql`select t.id, ${k.county} as county_code, t.demo, t.version, t.created_at, t.updated_at, ${k.columns},
    ${asGeoJson(k.geom)} as geometry from ${k.from}`
}

export interface PoliceFilter {
  countyCode?: string | undefined
  stationId?: number | undefined
  schoolId?: number | undefined
  bbox?: [number, number, number, number] | undefined
  limit: number
  offset: number
}

/** One page of a register's records and the number matching the filter. */
export async function listRecords(db: Db, kind: PoliceKind, filter: PoliceFilter): Promise<{ rows: PoliceRow[]; numberMatched: number }> {
  const k = KINDS[kind]
  const conditions: RawBuilder<unknown>[] = [sql`true`]
  if (filter.countyCode) conditions.push(sql`${k.county} = ${filter.countyCode}`)
  if (filter.stationId !== undefined) conditions.push(k.station ? sql`${k.station} = ${filter.stationId}` : sql`t.id = ${filter.stationId}`)
  if (filter.schoolId !== undefined) conditions.push(k.school ? sql`${k.school} = ${filter.schoolId}` : sql`false`)
  if (filter.bbox) conditions.push(sql`${k.geom} && ${envelope(filter.bbox)}`)
  const where = sql.join(conditions, sql` and `)
  const [rows, count] = await Promise.all([
    sql<PoliceRow>`${selectOf(kind)} where ${where} order by t.id limit ${filter.limit} offset ${filter.offset}`.execute(db),
    sql<{ n: number }>`select count(*)::int as n from ${k.from} where ${where}`.execute(db),
  ])
  return { rows: rows.rows, numberMatched: count.rows[0]?.n ?? 0 }
}

/** One record, optionally locking it for an update. */
export async function findRecord(db: Db, kind: PoliceKind, id: number, lock = false): Promise<PoliceRow | undefined> {
  const { rows } = await sql<PoliceRow>`${selectOf(kind)} where t.id = ${id} ${lock ? sql`for update of t` : sql``}`.execute(db)
  return rows[0]
}

const point = (geometry: PoliceValues['geometry']) => {
  const [lon, lat] = geometry!.coordinates as [number, number]
  return pointFromLonLat(lon, lat)
}

/** The columns a record is stored in. */
function columnsOf(kind: PoliceKind, values: PoliceValues, countyCode: string): Record<string, unknown> {
  const p = values.properties
  switch (kind) {
    case 'stations':
      return {
        name: p.name,
        county_code: countyCode,
        address: p.address ?? null,
        phone: p.phone ?? null,
        geom: values.geometry ? point(values.geometry) : null,
      }
    case 'grids':
      return { name: p.name, station_id: p.stationId, geom: sql`ST_Multi(${campusFromGeoJson(values.geometry)})` }
    case 'units':
      return {
        name: p.name,
        station_id: p.stationId,
        mode: p.mode,
        shift_start: p.shiftStart,
        shift_end: p.shiftEnd,
        officers: p.officers ?? 2,
        active: p.active ?? true,
        base: point(values.geometry),
      }
    case 'signs':
      return {
        school_id: p.schoolId,
        geom: point(values.geometry),
        state: p.state ?? 'installed',
        installed_on: p.installedOn ?? null,
        note: p.note ?? null,
      }
    case 'cameras':
      return {
        school_id: p.schoolId,
        geom: point(values.geometry),
        gate: p.gate ?? null,
        state: p.state ?? 'working',
        linked_to_police: p.linkedToPolice ?? false,
        note: p.note ?? null,
      }
  }
}

/** Inserts records of one kind in one statement; returns their ids in input order. */
export async function insertRecords(
  db: Db,
  kind: PoliceKind,
  records: readonly { values: PoliceValues; countyCode: string }[],
): Promise<number[]> {
  if (records.length === 0) return []
  const rows = await (db as Kysely<any>)
    .insertInto(KINDS[kind].table)
    .values(records.map((r) => ({ ...columnsOf(kind, r.values, r.countyCode), demo: r.values.demo ?? false })))
    .returning('id')
    .execute()
  return rows.map((r) => r.id as number)
}

/** Rewrites a record and bumps its version. */
export async function updateRecord(db: Db, kind: PoliceKind, id: number, values: PoliceValues, countyCode: string): Promise<void> {
  await (db as Kysely<any>)
    .updateTable(KINDS[kind].table)
    .set({ ...columnsOf(kind, values, countyCode), version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .execute()
}

/** Deletes a record. */
export async function deleteRecord(db: Db, kind: PoliceKind, id: number): Promise<void> {
  await (db as Kysely<any>).deleteFrom(KINDS[kind].table).where('id', '=', id).execute()
}

/** What still refers to a station or unit (a station's grids and units; a unit's visits and plans). */
export async function dependentsOf(db: Db, kind: 'stations' | 'units', id: number): Promise<Record<string, number>> {
  if (kind === 'stations') {
    const { rows } = await sql<{ grids: number; units: number; plans: number }>`select
      (select count(*)::int from patrol_grids where station_id = ${id}) as grids,
      (select count(*)::int from patrol_units where station_id = ${id}) as units,
      0 as plans`.execute(db)
    return { grids: rows[0]!.grids, units: rows[0]!.units }
  }
  const { rows } = await sql<{ visits: number; plans: number }>`select
    (select count(*)::int from patrol_visits where unit_id = ${id}) as visits,
    (select count(*)::int from patrol_plan_units where unit_id = ${id}) as plans`.execute(db)
  return { visits: rows[0]!.visits, plans: rows[0]!.plans }
}

/** The county (not the city) whose outline covers a point: the smallest region that does. */
export async function countyAt(db: Db, lon: number, lat: number): Promise<string | undefined> {
  const { rows } = await sql<{ code: string }>`select code from counties where ST_Covers(geom, ${pointFromLonLat(lon, lat)})
    order by ST_Area(geom) limit 1`.execute(db)
  return rows[0]?.code.trim()
}

/** Whether a county code is known. */
export async function countyExists(db: Db, code: string): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from counties where code = ${code}`.execute(db)
  return (rows[0]?.n ?? 0) > 0
}

/** A station's county, or undefined when there is no such station. */
export async function stationCounty(db: Db, id: number): Promise<string | undefined> {
  const { rows } = await sql<{ county_code: string }>`select county_code from police_stations where id = ${id}`.execute(db)
  return rows[0]?.county_code.trim()
}

/** Whether a (validated, WGS84) polygon lies within a county's outline. */
export async function withinCounty(db: Db, geometry: unknown, countyCode: string): Promise<boolean> {
  const { rows } = await sql<{ inside: boolean }>`select ST_CoveredBy(ST_Multi(${geomFromGeoJson(geometry)}), geom) as inside
    from counties where code = ${countyCode}`.execute(db)
  return rows[0]?.inside ?? false
}

/** A school's county and number of gates, or undefined when there is no such school. */
export async function schoolInfo(db: Db, id: number): Promise<{ countyCode: string; gates: number; name: string } | undefined> {
  const { rows } = await sql<{ county_code: string; gates: number; name: string }>`select county_code, name,
    coalesce(ST_NumGeometries(gates), 0)::int as gates from schools where id = ${id}`.execute(db)
  const row = rows[0]
  return row && { countyCode: row.county_code.trim(), gates: row.gates, name: row.name }
}

// ---- urban areas

/** Stores built-up areas (validated MultiPolygons, WGS84). */
export async function insertUrbanAreas(
  db: Db,
  areas: readonly { name: string; countyCode: string; geometry: unknown }[],
  demo: boolean,
): Promise<number> {
  if (areas.length === 0) return 0
  const rows = await db
    .insertInto('urban_areas')
    .values(areas.map((a) => ({ name: a.name, county_code: a.countyCode, geom: sql`ST_Multi(${campusFromGeoJson(a.geometry)})`, demo })))
    .returning('id')
    .execute()
  return rows.length
}

/** Redraws `urban` of every school the registry left to the urban areas; returns how many are urban. */
export async function refreshUrbanFromAreas(db: Db): Promise<number> {
  await sql`update schools s set urban = exists (select 1 from urban_areas ua where ST_Intersects(ua.geom, s.geom))
    where s.urban_source = 'area'`.execute(db)
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from schools where urban`.execute(db)
  return rows[0]?.n ?? 0
}

// ---- policies

export interface PolicyRow {
  id: number
  version: number
  effective_from: string
  visits_per_urban_school: number
  min_gap_minutes: number
  dwell_min_minutes: number
  dwell_max_minutes: number
  peak_windows: unknown
  posts: unknown
  car_speed_kmh: number
  foot_speed_kmh: number
  reason: string
  created_by: number | null
  created_at: Date
}

const policySelect = sql`select id, version, effective_from::text as effective_from, visits_per_urban_school, min_gap_minutes,
  dwell_min_minutes, dwell_max_minutes, peak_windows, posts, car_speed_kmh::float8 as car_speed_kmh,
  foot_speed_kmh::float8 as foot_speed_kmh, reason, created_by, created_at from patrol_policies`

/** The policy in force on a date: the highest version with effective_from ≤ date. */
export async function policyOn(db: Db, date: string): Promise<PolicyRow | undefined> {
  const { rows } = await sql<PolicyRow>`${policySelect} where effective_from <= ${date}::date order by version desc limit 1`.execute(db)
  return rows[0]
}

/** Every policy version, newest first. */
export async function listPolicies(db: Db): Promise<PolicyRow[]> {
  return (await sql<PolicyRow>`${policySelect} order by version desc`.execute(db)).rows
}

/** The newest version (locking the table's newest row so two new versions cannot take one number). */
export async function newestPolicy(db: Db): Promise<PolicyRow | undefined> {
  const { rows } = await sql<PolicyRow>`${policySelect} order by version desc limit 1 for update`.execute(db)
  return rows[0]
}

export interface PolicyValues {
  version: number
  effectiveFrom: string
  visitsPerUrbanSchool: number
  minGapMinutes: number
  dwellMinMinutes: number
  dwellMaxMinutes: number
  peakWindows: unknown
  posts: unknown
  carSpeedKmh: number
  footSpeedKmh: number
  reason: string
  createdBy: number | null
}

/** Stores a new policy version. */
export async function insertPolicy(db: Db, p: PolicyValues): Promise<PolicyRow> {
  await db
    .insertInto('patrol_policies')
    .values({
      version: p.version,
      effective_from: p.effectiveFrom,
      visits_per_urban_school: p.visitsPerUrbanSchool,
      min_gap_minutes: p.minGapMinutes,
      dwell_min_minutes: p.dwellMinMinutes,
      dwell_max_minutes: p.dwellMaxMinutes,
      peak_windows: JSON.stringify(p.peakWindows),
      posts: JSON.stringify(p.posts),
      car_speed_kmh: p.carSpeedKmh,
      foot_speed_kmh: p.footSpeedKmh,
      reason: p.reason,
      created_by: p.createdBy,
    })
    .execute()
  const { rows } = await sql<PolicyRow>`${policySelect} where version = ${p.version}`.execute(db)
  return rows[0]!
}

// ---- visits

export interface VisitRow {
  id: number
  unit_id: number
  school_id: number | null
  school_name: string | null
  at: Date
  left_at: Date | null
  source: string
  accuracy_m: number | null
  distance_m: number | null
  lon: number
  lat: number
}

const visitSelect = sql`select v.id, v.unit_id, v.school_id, sc.name as school_name, v.at, v.left_at, v.source, v.accuracy_m,
  v.distance_m, ST_X(v.geom) as lon, ST_Y(v.geom) as lat from patrol_visits v left join schools sc on sc.id = v.school_id`

/** The school whose campus lies nearest a point within `radiusM` (exact geodesic distance), if any. */
export async function nearestCampus(
  db: Db,
  lon: number,
  lat: number,
  radiusM: number,
): Promise<{ id: number; distance_m: number } | undefined> {
  const p = pointFromLonLat(lon, lat)
  const { rows } = await sql<{ id: number; distance_m: number }>`select id, distance_m from (
      select s.id, ${geodesicDistance(sql`s.geom`, p)} as distance_m from schools s
      where s.geom && ${expandByMetres(p, sql`${radiusM}::float8`, sql`${lat}::float8`)}
    ) near where distance_m <= ${radiusM} order by distance_m, id limit 1`.execute(db)
  return rows[0]
}

/**
 * For a batch of track points, the nearest campus within `radiusM` of each (exact geodesic distance);
 * points with none are left out. One statement for the whole batch, the GiST index finding candidates.
 */
export async function nearestCampusOfPoints(
  db: Db,
  points: readonly { i: number; lon: number; lat: number }[],
  radiusM: number,
): Promise<{ i: number; school_id: number; distance_m: number }[]> {
  if (points.length === 0) return []
  const p = pointOf(sql`pt.lon`, sql`pt.lat`)
  const { rows } = await sql<{ i: number; school_id: number; distance_m: number }>`
    select pt.i, near.id as school_id, near.distance_m
    from json_to_recordset(${JSON.stringify(points)}::json) as pt(i int, lon float8, lat float8)
    cross join lateral (
      select id, distance_m from (
        select s.id, ${geodesicDistance(sql`s.geom`, p)} as distance_m from schools s
        where s.geom && ${expandByMetres(p, sql`${radiusM}::float8`, sql`pt.lat`)}
      ) c where distance_m <= ${radiusM} order by distance_m, id limit 1
    ) near`.execute(db)
  return rows
}

export interface NewVisit {
  unitId: number
  schoolId: number | null
  at: Date
  leftAt: Date | null
  lon: number
  lat: number
  accuracyM: number | null
  distanceM: number | null
  source: 'checkin' | 'track'
  sourceCrs: string
  createdBy: number | null
  demo?: boolean
}

/** Inserts visits, skipping those already recorded (same unit, school and time); returns the new ones' ids. */
export async function insertVisits(db: Db, visits: readonly NewVisit[]): Promise<number[]> {
  if (visits.length === 0) return []
  const rows = await db
    .insertInto('patrol_visits')
    .values(
      visits.map((v) => ({
        unit_id: v.unitId,
        school_id: v.schoolId,
        at: v.at,
        left_at: v.leftAt,
        geom: pointFromLonLat(v.lon, v.lat),
        accuracy_m: v.accuracyM,
        distance_m: v.distanceM,
        source: v.source,
        source_crs: v.sourceCrs,
        created_by: v.createdBy,
        demo: v.demo ?? false,
      })),
    )
    .onConflict((oc) => oc.columns(['unit_id', 'school_id', 'at']).doNothing())
    .returning('id')
    .execute()
  return rows.map((r) => r.id)
}

/** The visit recorded for a unit, school and time (what a repeated check-in finds). */
export async function findVisitAt(db: Db, unitId: number, schoolId: number | null, at: Date): Promise<VisitRow | undefined> {
  const { rows } = await sql<VisitRow>`${visitSelect} where v.unit_id = ${unitId} and v.school_id is not distinct from ${schoolId}
    and v.at = ${at} order by v.id limit 1`.execute(db)
  return rows[0]
}

/** Visits by id, in id order. */
export async function visitsById(db: Db, ids: readonly number[]): Promise<VisitRow[]> {
  if (ids.length === 0) return []
  return (await sql<VisitRow>`${visitSelect} where v.id in (${sql.join(ids)}) order by v.at, v.id`.execute(db)).rows
}

export interface VisitFilter {
  from?: Date | undefined
  to?: Date | undefined
  unitId?: number | undefined
  schoolId?: number | undefined
  countyCode?: string | undefined
  limit: number
  offset: number
}

/** One page of visits, newest first. */
export async function listVisits(db: Db, f: VisitFilter): Promise<{ rows: VisitRow[]; numberMatched: number }> {
  const conditions: RawBuilder<unknown>[] = [sql`true`]
  if (f.from) conditions.push(sql`v.at >= ${f.from}`)
  if (f.to) conditions.push(sql`v.at < ${f.to}`)
  if (f.unitId !== undefined) conditions.push(sql`v.unit_id = ${f.unitId}`)
  if (f.schoolId !== undefined) conditions.push(sql`v.school_id = ${f.schoolId}`)
  if (f.countyCode)
    conditions.push(sql`v.unit_id in (select u.id from patrol_units u join police_stations st on st.id = u.station_id
      where st.county_code = ${f.countyCode})`)
  const where = sql.join(conditions, sql` and `)
  const [rows, count] = await Promise.all([
    sql<VisitRow>`${visitSelect} where ${where} order by v.at desc, v.id desc limit ${f.limit} offset ${f.offset}`.execute(db),
    sql<{ n: number }>`select count(*)::int as n from patrol_visits v where ${where}`.execute(db),
  ])
  return { rows: rows.rows, numberMatched: count.rows[0]?.n ?? 0 }
}

// ---- coverage

export interface CoverageSchoolRow {
  id: number
  name: string
  county_code: string
  urban: boolean
}

/** The schools a coverage report covers: of a county, of a station's grids (else its county), or all. */
export async function coverageSchools(
  db: Db,
  scope: { countyCode?: string | undefined; stationId?: number | undefined },
): Promise<CoverageSchoolRow[]> {
  const conditions: RawBuilder<unknown>[] = [sql`true`]
  if (scope.countyCode) conditions.push(sql`s.county_code = ${scope.countyCode}`)
  if (scope.stationId !== undefined) conditions.push(sql`s.id in (${stationSchools(scope.stationId)})`)
  const { rows } = await sql<CoverageSchoolRow>`select s.id, s.name, s.county_code, s.urban from schools s
    where ${sql.join(conditions, sql` and `)} order by s.id`.execute(db)
  return rows.map((r) => ({ ...r, county_code: r.county_code.trim() }))
}

/** The ids of a station's schools: those whose campus meets one of its grids, or, for a station without grids, those of its county. */
const stationSchools = (stationId: number | RawBuilder<unknown>) => sql`
  select s2.id from schools s2 where
    case when exists (select 1 from patrol_grids g where g.station_id = ${stationId})
      then exists (select 1 from patrol_grids g where g.station_id = ${stationId} and ST_Intersects(g.geom, s2.geom))
      else s2.county_code = (select county_code from police_stations where id = ${stationId})
    end`

/** The stations of a scope and, for each, the ids of its urban schools. */
export async function coverageStations(
  db: Db,
  scope: { countyCode?: string | undefined; stationId?: number | undefined },
): Promise<{ id: number; name: string; county_code: string; school_ids: number[] }[]> {
  const conditions: RawBuilder<unknown>[] = [sql`true`]
  if (scope.countyCode) conditions.push(sql`st.county_code = ${scope.countyCode}`)
  if (scope.stationId !== undefined) conditions.push(sql`st.id = ${scope.stationId}`)
  const { rows } = await sql<{ id: number; name: string; county_code: string; school_ids: number[] | null }>`
    select st.id, st.name, st.county_code,
      (select array_agg(s.id order by s.id) from schools s where s.urban and s.id in (${stationSchools(sql`st.id`)})) as school_ids
    from police_stations st where ${sql.join(conditions, sql` and `)} order by st.id`.execute(db)
  return rows.map((r) => ({ ...r, county_code: r.county_code.trim(), school_ids: r.school_ids ?? [] }))
}

/** The start times of the visits to schools within [from, to), per school. */
export async function visitTimes(db: Db, schoolIds: readonly number[], from: Date, to: Date): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>()
  if (schoolIds.length === 0) return out
  const { rows } = await sql<{ school_id: number; at: Date }>`select school_id, at from patrol_visits
    where school_id = any(${intArray(schoolIds)}::int[]) and at >= ${from} and at < ${to} order by at`.execute(db)
  for (const r of rows) (out.get(r.school_id) ?? out.set(r.school_id, []).get(r.school_id)!).push(new Date(r.at).getTime())
  return out
}

/** The latest visit to each school before an instant. */
export async function lastVisits(db: Db, schoolIds: readonly number[], before: Date): Promise<Map<number, Date>> {
  const out = new Map<number, Date>()
  if (schoolIds.length === 0) return out
  const { rows } = await sql<{ school_id: number; at: Date }>`select school_id, max(at) as at from patrol_visits
    where school_id = any(${intArray(schoolIds)}::int[]) and at < ${before} group by school_id`.execute(db)
  for (const r of rows) out.set(r.school_id, new Date(r.at))
  return out
}

/**
 * Planned visit stops per school on a date: for each school, the visit stops of the newest plan for the
 * date that covers it (lists it among its schools or has a stop at it), and that plan's id.
 */
export async function plannedVisits(db: Db, date: string): Promise<Map<number, { planId: number; planned: number }>> {
  const { rows } = await sql<{ school_id: number; plan_id: number; planned: number }>`
    with covering as (
      select p.id as plan_id, (e ->> 'schoolId')::int as school_id
        from patrol_plans p cross join lateral jsonb_array_elements(p.schools) e where p.date = ${date}::date
      union
      select st.plan_id, st.school_id from patrol_plan_stops st join patrol_plans p on p.id = st.plan_id where p.date = ${date}::date
    ), newest as (
      select school_id, max(plan_id) as plan_id from covering where school_id is not null group by school_id
    )
    select n.school_id, n.plan_id,
      (select count(*)::int from patrol_plan_stops st where st.plan_id = n.plan_id and st.school_id = n.school_id and st.kind = 'visit') as planned
    from newest n`.execute(db)
  return new Map(rows.map((r) => [r.school_id, { planId: r.plan_id, planned: r.planned }]))
}

// ---- equipment

/** Schools of a scope with no installed warning sign, and how many signs they have in other states. */
export async function schoolsWithoutSign(db: Db, countyCode: string | undefined) {
  const { rows } = await sql<{ id: number; name: string; county_code: string; signs: number }>`
    select s.id, s.name, s.county_code, (select count(*)::int from warning_signs w where w.school_id = s.id) as signs
    from schools s
    where ${countyCode ? sql`s.county_code = ${countyCode}` : sql`true`}
      and not exists (select 1 from warning_signs w where w.school_id = s.id and w.state = 'installed')
    order by s.id`.execute(db)
  return rows.map((r) => ({ ...r, county_code: r.county_code.trim() }))
}

/**
 * Gates of a scope's schools without a working camera: none recorded at that gate (by its index) and none
 * working within `nearM` metres of it.
 */
export async function gatesWithoutCamera(db: Db, countyCode: string | undefined, nearM: number) {
  const { rows } = await sql<{ id: number; name: string; county_code: string; gate: number; lon: number; lat: number; cameras: number }>`
    select s.id, s.name, s.county_code, d.path[1] as gate, ST_X(d.geom) as lon, ST_Y(d.geom) as lat,
      (select count(*)::int from cameras c where c.school_id = s.id and c.gate = d.path[1]) as cameras
    from schools s cross join lateral ST_Dump(s.gates) d
    where ${countyCode ? sql`s.county_code = ${countyCode}` : sql`true`}
      and not exists (
        select 1 from cameras c where c.school_id = s.id and c.state = 'working'
          and (c.gate = d.path[1] or ${geodesicDistance(sql`c.geom`, sql`d.geom`)} <= ${nearM})
      )
    order by s.id, d.path[1]`.execute(db)
  return rows.map((r) => ({ ...r, county_code: r.county_code.trim() }))
}

/** How many schools a scope has. */
export async function countSchools(db: Db, countyCode: string | undefined): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from schools
    where ${countyCode ? sql`county_code = ${countyCode}` : sql`true`}`.execute(db)
  return rows[0]?.n ?? 0
}
