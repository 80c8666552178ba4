import { CompiledQuery, sql, type Kysely, type RawBuilder, type Selectable, type Transaction } from 'kysely'
import {
  asDrawnGeoJson,
  asGeoJson,
  closestPoint,
  drawnBuffer,
  envelope,
  expandByMetres,
  frameKx,
  fromLocalFrame,
  toLocalFrame,
  geodesicDistance,
  geomFromGeoJsonColumn,
  inFrame,
  pointFromLonLat,
  WGS84_A_M,
  WGS84_RADIUS_MIN_M,
} from '../../db/postgis.ts'
import type { ConflictsTable, Database, PremisesTable, RulesTable, SchoolsTable, SchoolZonesTable } from '../../db/types.ts'
import { pgRoutingInstalled } from '../roads/repository.ts'
import { settleWalking, type WalkingCandidate, type WalkingConflict } from '../roads/walking.ts'
import { degreesReached } from './batch-repository.ts'
import { GATE_REACH_M, pairsSql, ruleInForce, rulesInForce, type PairQuery } from './pairs.ts'

type Db = Kysely<Database> | Transaction<Database>

/** A rule as read: its columns (but who last changed it) and whether it is in force today. */
export type RuleRow = Omit<Selectable<RulesTable>, 'updated_by'> & { in_force: boolean }
type SchoolRow = Selectable<SchoolsTable>
type PremisesRow = Selectable<PremisesTable>

const ruleColumns = sql`id, category, school_type, limit_m, origin, path, band_names, band_edges, legal_basis,
  effective_from, effective_to, ${ruleInForce(sql`rules`)} as in_force,
  version, updated_at`

/** Rules, optionally filtered, ordered by category then school type. */
export async function listRules(db: Db, filter: { category?: string | undefined; schoolType?: string | undefined }): Promise<RuleRow[]> {
  const { rows } = await sql<RuleRow>`select ${ruleColumns} from rules
    where (${filter.category ?? null}::text is null or category = ${filter.category ?? null})
      and (${filter.schoolType ?? null}::text is null or school_type = ${filter.schoolType ?? null})
    order by category, school_type`.execute(db)
  return rows.map(normaliseArrays)
}

/** One rule, optionally locked for update. */
export async function findRule(db: Db, id: number, lock = false): Promise<RuleRow | undefined> {
  const { rows } = await sql<RuleRow>`select ${ruleColumns} from rules where id = ${id} ${lock ? sql`for update` : sql``}`.execute(db)
  return rows[0] && normaliseArrays(rows[0])
}

// Array columns come back as arrays from pg and PGlite alike, but guard against the text form.
const parseArray = (v: unknown) => (Array.isArray(v) ? v : String(v).replace(/[{}]/g, '').split(',').filter(Boolean))
function normaliseArrays<R extends { band_names: string[]; band_edges: number[]; limit_m: number }>(row: R): R {
  return {
    ...row,
    band_names: parseArray(row.band_names).map(String),
    band_edges: parseArray(row.band_edges).map(Number),
    limit_m: Number(row.limit_m),
  }
}

const textArray = (values: readonly string[]) => sql`${`{${values.join(',')}}`}::text[]`
const floatArray = (values: readonly number[]) => sql`${`{${values.join(',')}}`}::float8[]`

/** Writes a new version of a rule. */
export async function updateRule(
  db: Db,
  id: number,
  change: {
    limitM: number
    origin: string
    path: string
    bandNames: string[]
    bandEdges: number[]
    legalBasis: string
    effectiveFrom: string
    effectiveTo: string | null
  },
  userId: number | null,
): Promise<void> {
  await sql`update rules set limit_m = ${change.limitM}, origin = ${change.origin}, path = ${change.path},
      band_names = ${textArray(change.bandNames)}, band_edges = ${floatArray(change.bandEdges)}, legal_basis = ${change.legalBasis},
      effective_from = ${change.effectiveFrom}::date, effective_to = ${change.effectiveTo}::date,
      version = version + 1, updated_at = now(), updated_by = ${userId}
    where id = ${id}`.execute(db)
}

/** Keeps a snapshot of a rule version with who changed it and why. */
export async function insertRuleVersion(
  db: Db,
  ruleId: number,
  reason: string,
  user: { id: number; username: string } | null,
): Promise<void> {
  await sql`insert into rule_versions (rule_id, version, snapshot, reason, changed_by, changed_by_name)
    select id, version, to_jsonb(rules) - 'updated_at', ${reason}, ${user?.id ?? null}, ${user?.username ?? null} from rules where id = ${ruleId}`.execute(
    db,
  )
}

/** A row of rule_versions (migrations/0002_zoning.ts), as listed. */
export interface RuleVersionRow {
  version: number
  snapshot: unknown
  reason: string
  changed_by_name: string | null
  changed_at: Date
}

/** A rule's versions, oldest first. */
export async function listRuleVersions(db: Db, ruleId: number): Promise<RuleVersionRow[]> {
  const { rows } = await sql<RuleVersionRow>`
    select version, snapshot, reason, changed_by_name, changed_at from rule_versions where rule_id = ${ruleId} order by version`.execute(db)
  return rows
}

/** A school measured against a point under the rule of one category. */
interface SchoolMeasure extends Pick<SchoolRow, 'school_type' | 'county_code'>, Pick<RuleRow, 'limit_m' | 'legal_basis'> {
  school_id: SchoolRow['id']
  school_name: SchoolRow['name']
  rule_id: RuleRow['id']
  rule_version: RuleRow['version']
  origin: 'campus' | 'gates'
  gates_missing: boolean
  distance_m: number
  nearest: { coordinates: [number, number] }
}

/** A school whose rule for the category the point lies within (in a straight line), as measured. */
export interface MeasuredRow extends SchoolMeasure, Pick<RuleRow, 'band_names' | 'band_edges' | 'path'> {
  /** The school's gates, under a walking rule only. */
  gates: { coordinates: [number, number][] } | null
}

const measuredRowOf = (r: MeasuredRow): MeasuredRow => ({ ...normaliseArrays(r), distance_m: Number(r.distance_m) })

/** A school near a point, with the limit its rule for the category sets (null without such a rule). */
export interface NearSchoolRow extends Pick<SchoolRow, 'school_type'> {
  school_id: SchoolRow['id']
  school_name: SchoolRow['name']
  distance_m: number
  limit_m: RuleRow['limit_m'] | null
  path: RuleRow['path'] | null
  /** The school's gates, under a walking rule only. */
  gates: { coordinates: [number, number][] } | null
}

/**
 * The schools nearest to a point (geodesic, measured as their rule for the category measures: from the
 * gates when it says so and the school has some, else from the campus), with the limit that rule sets.
 */
export async function nearestSchools(
  db: Db,
  lon: number,
  lat: number,
  category: string,
  take: number,
  exclude: readonly number[],
): Promise<NearSchoolRow[]> {
  const { rows } = await nearestSql(lon, lat, category, take, exclude).execute(db)
  return rows.map(nearSchoolRowOf)
}

/** The schools among which the nearest `take` are looked for: the `take + exclude + 20` nearest campuses on the plane. */
const nearCandidates = (lon: number, lat: number, take: number, exclude: readonly number[]) =>
  // The point is written out (not taken from pt) so the KNN operator can walk the GiST index.
  sql`(select schools.* from schools order by schools.geom <-> ${pointFromLonLat(lon, lat)} limit ${take + exclude.length + 20})`

const nearestSql = (lon: number, lat: number, category: string, take: number, exclude: readonly number[]) => sql<NearSchoolRow>`
    with pt as (select ${pointFromLonLat(lon, lat)} as g)
    select s.id as school_id, s.name as school_name, s.school_type,
      ${geodesicDistance(sql`(case when r.origin = 'gates' and s.gates is not null then s.gates else s.geom end)`, sql`pt.g`)} as distance_m, r.limit_m,
      r.path, case when r.path = 'walking' then ${asGeoJson(sql`s.gates`)} end as gates
    from ${nearCandidates(lon, lat, take, exclude)} s
    cross join pt
    left join ${rulesInForce} r on r.category = ${category} and r.school_type = s.school_type
    ${exclude.length > 0 ? sql`where s.id not in (${sql.join(exclude)})` : sql``}
    order by distance_m, s.id
    limit ${take}`

const nearSchoolRowOf = (r: NearSchoolRow): NearSchoolRow => ({
  ...r,
  distance_m: Number(r.distance_m),
  limit_m: r.limit_m === null ? null : Number(r.limit_m),
})

const A = sql.lit(WGS84_A_M)
const R_MIN = sql.lit(WGS84_RADIUS_MIN_M)

/**
 * What the single check reads, in one statement (one round trip, one connection): every school whose rule for the
 * category the point lies within (`measured`, nearest first), the walking engine the database offers (`engine`, as
 * walking.ts defaultEngine answers it: asked here, so a check under a walking rule needs no round trip for it and an
 * extension created or dropped since is seen at once), and the schools nearest to the point (`near`): the
 * `wanted` nearest, and one more for each measured school (the check drops the conflicting ones from the list), at
 * most `most` — the first `most` of nearestSchools(…, most, []), with the `most + 20` nearest campuses as candidates.
 *
 * Each exact distance (postgis.ts geodesicDistance) is computed once, and only where it can matter:
 * - measured: the schools whose box meets the point's box grown by the category's largest limit and the gates'
 *   reach and that the batch's planar reach keeps (batch-repository.ts degreesReached, so both measure the same
 *   schools), each measured once; the boundary point and the gates only for those within their limit.
 * - near: the candidates are ranked by a cheap planar distance; the first `take` are measured exactly, and the
 *   largest of those distances, u, bounds the `take`-th nearest from above. Any other candidate is measured only if
 *   it could lie within u, by this lower bound. The geodesic from the point to the point of the school it measures
 *   to, of length d ≤ u, stays within |φ − φp| ≤ u / Rmin (the latitude changes by at most ds / M, and M ≥ Rmin), so
 *   with φmax = |φp| + u / Rmin every piece of it satisfies ds ≥ c · |d(frame)| in the local frame of the point
 *   (x = λ·kx, y = φ, degrees; postgis.ts frameKx), c = π/180 · min(Rmin, a·cos φmax / kx): ds² = M²dφ² + N²cos²φ dλ²
 *   and M ≥ Rmin, N·cos φ ≥ a·cos φmax. The frame distance from the point to the school's planar shape is at most
 *   the frame length of that geodesic plus how far the measured great-circle edge strays from its chord, bounded by
 *   sag = ℓ²·(tan φe + 1) / Rmin with ℓ the diagonal of the school's box and φe its largest |latitude| (four times
 *   the sagitta bound of zones/pairs.ts). So a candidate whose frame distance f has c·f > u + sag lies farther than
 *   u: at least `take` others are nearer, and it is not in the answer.
 */
export async function measureWithNearest(
  db: Db,
  lon: number,
  lat: number,
  category: string,
  near: { wanted: number; most: number },
): Promise<{ measured: MeasuredRow[]; near: NearSchoolRow[]; engine: 'pgrouting' | 'service' }> {
  const compiled = checkStatementOn(db, near)
  const values = compiled.parameters.map((p) => (p === SLOT.lon ? lon : p === SLOT.lat ? lat : p === SLOT.category ? category : p))
  const { rows } = await db.executeQuery(CompiledQuery.raw(compiled.sql, values) as CompiledQuery<CheckStatementRow>)
  const row = rows[0]!
  const parsed = <T>(value: T[] | string): T[] => (typeof value === 'string' ? (JSON.parse(value) as T[]) : value)
  return {
    measured: parsed(row.measured).map(measuredRowOf),
    near: parsed(row.near).map(nearSchoolRowOf),
    engine: row.pgrouting === true ? 'pgrouting' : 'service',
  }
}

interface CheckStatementRow {
  measured: MeasuredRow[] | string
  near: NearSchoolRow[] | string
  pgrouting: boolean
}

/** Where the point's values go in the check's statement, compiled once (checkStatementOn). */
const SLOT = { lon: Symbol('lon'), lat: Symbol('lat'), category: Symbol('category') }
const checkStatements = new WeakMap<Db, Map<string, CompiledQuery<CheckStatementRow>>>()

/**
 * The check's statement is the same text for every point (the point and the category are parameters), so it is
 * built and compiled once per database handle and list size, with slots where the point's values go: building and
 * compiling it at every check was a third of what a check allocated (and the prepared pool looks its statement up by
 * the text, which a newly built string must first be flattened for).
 */
function checkStatementOn(db: Db, near: { wanted: number; most: number }): CompiledQuery<CheckStatementRow> {
  const key = `${near.wanted}|${near.most}`
  const known = checkStatements.get(db) ?? checkStatements.set(db, new Map()).get(db)!
  let compiled = known.get(key)
  if (!compiled) {
    compiled = checkStatement(
      SLOT.lon as unknown as number,
      SLOT.lat as unknown as number,
      SLOT.category as unknown as string,
      near,
    ).compile(db)
    known.set(key, compiled)
  }
  return compiled
}

function checkStatement(lon: number, lat: number, category: string, near: { wanted: number; most: number }) {
  const point = pointFromLonLat(lon, lat)
  const kx = frameKx(sql`radians(${lat}::float8)`)
  const exact = geodesicDistance(sql`x.geom`, sql`pt.g`)
  return sql<CheckStatementRow>`
    with pt as (select ${point} as g),
    r as materialized (select * from ${rulesInForce} as r0 where category = ${category}),
    k as (select (select max(limit_m) + ${GATE_REACH_M} from r) as reach),
    reach as materialized (
      select x.*, ${exact} as distance_m
      from (
        select s.id as school_id, s.name as school_name, s.school_type, s.county_code, s.gates, r.id as rule_id,
          r.version as rule_version, r.limit_m, r.band_names, r.band_edges, r.legal_basis, r.origin as rule_origin, r.path,
          case when r.origin = 'gates' and s.gates is not null then s.gates else s.geom end as geom
        from schools s
        join r on r.school_type = s.school_type
        cross join pt
        cross join k
        where s.geom && ${expandByMetres(sql`pt.g`, sql`k.reach`, sql`${lat}::float8`)}
      ) x
      cross join pt
      -- The batch's planar reach (batch-repository.ts): drops only schools the exact test would drop too.
      where ST_DWithin(x.geom, pt.g, ${degreesReached(sql`x.limit_m`, sql`${lat}::float8`)})
    ),
    m as (
      select x.school_id, x.school_name, x.school_type, x.county_code, x.rule_id, x.rule_version, x.limit_m, x.band_names,
        x.band_edges, x.legal_basis,
        case when x.rule_origin = 'gates' and x.gates is not null then 'gates' else 'campus' end as origin,
        (x.rule_origin = 'gates' and x.gates is null) as gates_missing,
        x.distance_m, ${asGeoJson(closestPoint(sql`x.geom`, sql`pt.g`))} as nearest,
        x.path, case when x.path = 'walking' then ${asGeoJson(sql`x.gates`)} end as gates
      from reach x cross join pt
      where x.distance_m <= x.limit_m
    ),
    t as (select least(${near.most}::int, ${near.wanted}::int + (select count(*)::int from m)) as take),
    ranked as materialized (
      select x.*, row_number() over (order by x.planar, x.school_id) as rank
      from (
        select s.id as school_id, s.name as school_name, s.school_type, r.limit_m, r.path, s.gates, o.geom,
          ST_Distance(${inFrame(sql`o.geom`, kx)}, ${inFrame(sql`pt.g`, kx)}) as planar
        from ${nearCandidates(lon, lat, near.most, [])} s
        cross join pt
        left join ${rulesInForce} r on r.category = ${category} and r.school_type = s.school_type
        cross join lateral (select case when r.origin = 'gates' and s.gates is not null then s.gates else s.geom end as geom) o
      ) x
    ),
    firsts as materialized (select x.*, ${exact} as distance_m from ranked x cross join pt where x.rank <= (select take from t)),
    bound as (select max(distance_m) as u from firsts),
    others as (
      select x.*, ${exact} as distance_m
      from ranked x cross join pt cross join bound b
      cross join lateral (
        select radians(abs(${lat}::float8)) + b.u / ${R_MIN}::float8 as phimax,
          radians(greatest(abs(ST_YMin(x.geom)), abs(ST_YMax(x.geom)))) as phie,
          power((ST_XMax(x.geom) - ST_XMin(x.geom)) * 111320, 2) + power((ST_YMax(x.geom) - ST_YMin(x.geom)) * 111700, 2) as diag2
      ) w
      where x.rank > (select take from t)
        and x.planar * pi() / 180 * least(${R_MIN}::float8, ${A}::float8 * cos(least(w.phimax, pi() / 2)) / ${kx})
          <= b.u + w.diag2 * (tan(w.phie) + 1) / ${R_MIN}::float8
    ),
    n as (
      select x.school_id, x.school_name, x.school_type, x.distance_m, x.limit_m, x.path,
        case when x.path = 'walking' then ${asGeoJson(sql`x.gates`)} end as gates
      from (select * from firsts union all select * from others) x
      order by x.distance_m, x.school_id
      limit (select take from t)
    )
    select (select coalesce(json_agg(m order by m.distance_m, m.school_id), '[]'::json) from m) as measured,
      (select coalesce(json_agg(n order by n.distance_m, n.school_id), '[]'::json) from n) as near,
      ${pgRoutingInstalled} as pgrouting`
}

export interface ConflictFilter {
  countyCode?: string | undefined
  category?: string | undefined
  schoolId?: number | undefined
  premisesId?: number | undefined
  band?: string | undefined
  preexisting?: boolean | undefined
  limit: number
  offset: number
}

function conflictWhere(filter: ConflictFilter) {
  const parts: RawBuilder<unknown>[] = [sql`true`]
  if (filter.countyCode) parts.push(sql`p.county_code = ${filter.countyCode}`)
  if (filter.category) parts.push(sql`p.category = ${filter.category}`)
  if (filter.schoolId) parts.push(sql`c.school_id = ${filter.schoolId}`)
  if (filter.premisesId) parts.push(sql`c.premises_id = ${filter.premisesId}`)
  if (filter.band) parts.push(sql`c.band = ${filter.band}`)
  if (filter.preexisting !== undefined) parts.push(sql`(coalesce(p.licensed_on < s.opened_on, false)) = ${filter.preexisting}`)
  return sql.join(parts, sql` and `)
}

export interface ConflictRow
  extends
    SchoolMeasure,
    Pick<Selectable<ConflictsTable>, 'premises_id' | 'band' | 'detected_at' | 'path' | 'straight_m' | 'measured_by' | 'measure_note'>,
    Pick<PremisesRow, 'category' | 'licence_no' | 'licence_status' | 'licensed_on' | 'expires_on'> {
  premises_name: PremisesRow['name']
  premises_county_code: PremisesRow['county_code']
  location: { coordinates: [number, number] }
  preexisting: boolean
  route: { type: 'LineString'; coordinates: [number, number][] } | null
}

/** A page of stored conflicts, each measured exactly now (distance and the point measured to). */
export async function listConflicts(db: Db, filter: ConflictFilter): Promise<{ rows: ConflictRow[]; numberMatched: number }> {
  const where = conflictWhere(filter)
  const [page, count] = await Promise.all([
    sql<ConflictRow>`
      select c.premises_id, p.name as premises_name, p.category, p.licence_no, p.licence_status, p.licensed_on, p.expires_on,
        p.county_code as premises_county_code, ${asGeoJson(sql`p.geom`)} as location,
        c.school_id, s.name as school_name, s.school_type, s.county_code,
        c.rule_id, c.rule_version, r.limit_m, r.legal_basis, c.band,
        case when r.origin = 'gates' and s.gates is not null then 'gates' else 'campus' end as origin,
        (r.origin = 'gates' and s.gates is null) as gates_missing,
        -- A walking conflict shows what the network measured when it was found; the others are measured now.
        case when c.distance_m is not null then c.distance_m else ${geodesicDistance(sql`o.origin`, sql`p.geom`)} end as distance_m,
        ${asGeoJson(sql`case when c.gate_index is not null then ST_GeometryN(s.gates, c.gate_index + 1) else ${closestPoint(sql`o.origin`, sql`p.geom`)} end`)} as nearest,
        coalesce(p.licensed_on < s.opened_on, false) as preexisting,
        c.detected_at, c.path, c.straight_m, c.measured_by, c.measure_note, ${asGeoJson(sql`c.route`)} as route
      from (
        select c.* from conflicts c join premises p on p.id = c.premises_id join schools s on s.id = c.school_id
        where ${where} order by c.school_id, c.premises_id limit ${filter.limit} offset ${filter.offset}
      ) c
      join premises p on p.id = c.premises_id
      join schools s on s.id = c.school_id
      join rules r on r.id = c.rule_id
      cross join lateral (select case when r.origin = 'gates' and s.gates is not null then s.gates else s.geom end as origin) o
      order by c.school_id, c.premises_id`.execute(db),
    sql<{
      n: number
    }>`select count(*)::int as n from conflicts c join premises p on p.id = c.premises_id join schools s on s.id = c.school_id where ${where}`.execute(
      db,
    ),
  ])
  return {
    rows: page.rows.map((r) => ({
      ...r,
      distance_m: Number(r.distance_m),
      limit_m: Number(r.limit_m),
      straight_m: r.straight_m === null ? null : Number(r.straight_m),
    })),
    numberMatched: Number(count.rows[0]?.n ?? 0),
  }
}

/** The school a zone is asked for: its type and whether it has gates, or undefined. */
export async function findSchoolForZone(
  db: Db,
  schoolId: number,
): Promise<{ id: number; school_type: string; has_gates: boolean } | undefined> {
  const row = await db
    .selectFrom('schools')
    .select((eb) => ['id', 'school_type', eb('gates', 'is not', null).as('has_gates')])
    .where('id', '=', schoolId)
    .executeTakeFirst()
  return row && { ...row, has_gates: Boolean(row.has_gates) }
}

/** One stored band as redrawZones wrote it (school_zones). */
export type StoredBand = Pick<Selectable<SchoolZonesTable>, 'band_index' | 'band' | 'inner_m' | 'outer_m'>

export interface GeoJsonGeometry {
  type: string
  coordinates: unknown[]
}

/**
 * The stored drawing (school_zones, kept in step by redrawZones) of one rule shape of a school: each band
 * as drawn and the outline at the limit, their union; undefined when some band is not stored.
 * Single-part geometries come back as Polygons, as ST_Buffer and ST_Difference drew them.
 */
export async function storedZone(
  db: Db,
  schoolId: number,
  shape: { limitM: number; origin: 'campus' | 'gates'; bands: readonly StoredBand[] },
): Promise<{ outline: GeoJsonGeometry; bands: GeoJsonGeometry[] } | undefined> {
  const wanted = sql.join(shape.bands.map((b) => sql`(${b.band_index}::int, ${b.band}::text, ${b.inner_m}::float8, ${b.outer_m}::float8)`))
  const { rows } = await sql<{ outline: GeoJsonGeometry | null; bands: GeoJsonGeometry[] | null; n: number }>`
    with b as (
      select distinct on (z.band_index) z.band_index, z.geom
      from school_zones z
      join (values ${wanted}) as w(band_index, band, inner_m, outer_m)
        on z.band_index = w.band_index and z.band = w.band and z.inner_m = w.inner_m and z.outer_m = w.outer_m
      where z.school_id = ${schoolId} and z.limit_m = ${shape.limitM}::float8 and z.origin = ${shape.origin}
      order by z.band_index
    )
    select count(*)::int as n,
      ${asGeoJson(sql`ST_CollectionHomogenize(ST_Union(b.geom))`)} as outline,
      json_agg(${asGeoJson(sql`ST_CollectionHomogenize(b.geom)`)} order by b.band_index) as bands
    from b`.execute(db)
  const row = rows[0]
  if (!row || Number(row.n) !== shape.bands.length || !row.outline || !row.bands) return undefined
  return { outline: row.outline, bands: row.bands }
}

/** A proposed rule for one category × school type: what GET /api/rules/preview would put in force. */
export interface ProposedRule {
  category: string
  schoolType: string
  limitM: number
  origin: string
  path: string
  names: string[]
  edges: number[]
}

/** A (premises, school) pair and its band. */
export interface BandedPair {
  premises_id: number
  school_id: number
  band: string
}

/** Every pair within its limit if the proposed rules replaced the ones in force for their category × school type. */
export async function proposedPairs(
  db: Db,
  proposals: readonly ProposedRule[],
  schools?: { fromId: number; toId: number },
): Promise<BandedPair[]> {
  const values = sql.join(
    proposals.map(
      (o) =>
        sql`(${o.category}::text, ${o.schoolType}::text, ${o.limitM}::float8, ${o.origin}::text, ${o.path}::text, ${textArray(o.names)}, ${floatArray(o.edges)})`,
    ),
  )
  const rules: RawBuilder<unknown> = sql`(
    select r.id, r.category, r.school_type, coalesce(o.limit_m, r.limit_m) as limit_m, coalesce(o.origin, r.origin) as origin, coalesce(o.path, r.path) as path,
      coalesce(o.band_names, r.band_names) as band_names, coalesce(o.band_edges, r.band_edges) as band_edges, r.version
    from ${rulesInForce} r
    join (values ${values}) as o(category, school_type, limit_m, origin, path, band_names, band_edges)
      on o.category = r.category and o.school_type = r.school_type
  )`
  const categories = [...new Set(proposals.map((o) => o.category))]
  const types = [...new Set(proposals.map((o) => o.schoolType))]
  const range = schools ? sql<boolean>`s.id between ${schools.fromId} and ${schools.toId}` : sql<boolean>`true`
  const query = {
    schoolFilter: sql<boolean>`s.school_type in (${sql.join(types)}) and ${range}`,
    premisesFilter: sql<boolean>`p.category in (${sql.join(categories)})`,
    rules,
  }
  const { rows } =
    await sql<BandedPair>`select premises_id, school_id, band from (${pairsSql(query)}) found where found.path = 'straight'`.execute(db)
  if (!proposals.some((o) => o.path === 'walking')) return rows
  // Under a walking rule the pairs within a gate's limit in a straight line are candidates: the walk decides.
  const walked = await settleWalking(db, await walkingCandidates(db, query))
  return [...rows, ...walked.map((w) => ({ premises_id: w.premisesId, school_id: w.schoolId, band: w.band }))]
}

/** The ids of the schools of these types, ascending: the preview walks them in ranges. */
export async function schoolIdsOfTypes(db: Db, types: readonly string[]): Promise<number[]> {
  if (types.length === 0) return []
  const { rows } = await sql<{ id: number }>`select id from schools where school_type in (${sql.join(types)}) order by id`.execute(db)
  return rows.map((r) => r.id)
}

/** A stored conflict of one of these categories, with the premises' category and county and the school's type. */
export interface CategoryConflictRow extends BandedPair {
  category: string
  county_code: string
  school_type: string
}

/**
 * A page of the stored conflicts of premises of these categories, in key order after `after` (a province's
 * conflicts are read page by page: pg parses, and the embedded database's thread hands over, one page at a time).
 */
export async function conflictsOfCategories(
  db: Db,
  categories: readonly string[],
  after: { premisesId: number; schoolId: number } | null,
  limit: number,
): Promise<CategoryConflictRow[]> {
  if (categories.length === 0) return []
  const from = after ? sql<boolean>`(c.premises_id, c.school_id) > (${after.premisesId}::int, ${after.schoolId}::int)` : sql<boolean>`true`
  const { rows } = await sql<CategoryConflictRow>`
    select c.premises_id, c.school_id, c.band, p.category, p.county_code, s.school_type
    from conflicts c join premises p on p.id = c.premises_id join schools s on s.id = c.school_id
    where p.category in (${sql.join(categories)}) and ${from}
    order by c.premises_id, c.school_id
    limit ${Math.trunc(limit)}`.execute(db)
  return rows
}

/** Category and county of these premises (ids at most a few thousand). */
export async function premisesPlaces(
  db: Db,
  ids: readonly number[],
): Promise<Pick<Selectable<Database['premises']>, 'id' | 'category' | 'county_code'>[]> {
  if (ids.length === 0) return []
  return db.selectFrom('premises').select(['id', 'category', 'county_code']).where('id', 'in', ids).execute()
}

/** Name, category, county and position of these premises, for the map (ids at most a few thousand). */
export async function premisesOnMap(
  db: Db,
  ids: readonly number[],
): Promise<{ id: number; name: string; category: string; county_code: string; lon: number; lat: number }[]> {
  if (ids.length === 0) return []
  const { rows } = await sql<{ id: number; name: string; category: string; county_code: string; lon: number; lat: number }>`
    select id, name, category, county_code, ST_X(geom) as lon, ST_Y(geom) as lat from premises where id = any(${sql`${ids.map((id) => Math.trunc(id))}::int[]`})`.execute(
    db,
  )
  return rows
}

/** Names of these schools. */
export async function schoolNames(db: Db, ids: readonly number[]): Promise<Pick<Selectable<Database['schools']>, 'id' | 'name'>[]> {
  if (ids.length === 0) return []
  return db.selectFrom('schools').select(['id', 'name']).where('id', 'in', ids).execute()
}

/** One rule shape to draw for the schools of a type: today's or the proposed one, and the categories it is the rule of. */
export interface ZoneShape {
  scenario: 'today' | 'proposed'
  schoolType: string
  limitM: number
  origin: string
  names: string[]
  edges: number[]
  categories: string[]
}

/**
 * The schools of these types whose zones (reaching `reachM` from the campus box) can meet the view, at most
 * `take`, by id.
 */
export async function schoolsReaching(
  db: Db,
  bbox: readonly [number, number, number, number],
  reachM: number,
  schoolTypes: readonly string[],
  take: number,
): Promise<number[]> {
  if (schoolTypes.length === 0) return []
  const lat = Math.max(Math.abs(bbox[1]), Math.abs(bbox[3]))
  const { rows } = await sql<{ id: number }>`
    select s.id from schools s
    where s.geom && ${expandByMetres(envelope(bbox), sql`${reachM}::float8`, sql`${lat}::float8`)}
      and s.school_type in (${sql.join(schoolTypes)})
    order by s.id limit ${take}`.execute(db)
  return rows.map((r) => r.id)
}

/** A drawn zone of one school: the outline at the limit (band null) or one band ring, as GeoJSON. */
export interface DrawnZoneRow {
  school_id: number
  scenario: 'today' | 'proposed'
  limit_m: number
  origin: 'campus' | 'gates'
  categories: string[]
  band: string | null
  inner_m: number
  outer_m: number
  geom: GeoJsonGeometry
}

/**
 * Draws the shapes of these schools exactly as redrawZones (maintenance.ts) draws the stored zones: buffered
 * with 64 segments a quarter circle in the local ellipsoidal frame of the school (within about 2 cm of the true
 * distance), from the gates when the rule says so and the school has gates, else from the campus. Each shape
 * gives its outline at the limit and each band; written to 1e-7° (about 1 cm), enough to draw.
 */
export async function drawZoneShapes(db: Db, schoolIds: readonly number[], shapes: readonly ZoneShape[]): Promise<DrawnZoneRow[]> {
  if (schoolIds.length === 0 || shapes.length === 0) return []
  const values = sql.join(
    shapes.map(
      (o) =>
        sql`(${o.scenario}::text, ${o.schoolType}::text, ${o.limitM}::float8, ${o.origin}::text, ${textArray(o.names)}, ${floatArray(o.edges)}, ${textArray(o.categories)})`,
    ),
  )
  const local = sql`p.local`
  const { rows } = await sql<DrawnZoneRow>`
    select s.id as school_id, sh.scenario, sh.limit_m, k.kind as origin, sh.categories,
      case when b.i = 0 then null else sh.band_names[b.i] end as band, b.inner_m, b.outer_m,
      ${asDrawnGeoJson(
        fromLocalFrame(
          sql`case when b.inner_m = 0 then ${drawnBuffer(local, sql`b.outer_m`)} else ST_Difference(${drawnBuffer(local, sql`b.outer_m`)}, ${drawnBuffer(local, sql`b.inner_m`)}) end`,
          sql`f.lon0`,
          sql`f.lat0`,
        ),
      )} as geom
    from schools s
    join (values ${values}) as sh(scenario, school_type, limit_m, origin, band_names, band_edges, categories) on sh.school_type = s.school_type
    cross join lateral (select case when sh.origin = 'gates' and s.gates is not null then 'gates' else 'campus' end as kind) k
    cross join lateral (select case when k.kind = 'gates' then s.gates else s.geom end as geom) o
    cross join lateral (select (ST_XMin(o.geom) + ST_XMax(o.geom)) / 2 as lon0, (ST_YMin(o.geom) + ST_YMax(o.geom)) / 2 as lat0) f
    cross join lateral (select ${toLocalFrame(sql`o.geom`, sql`f.lon0`, sql`f.lat0`)} as local) p
    cross join lateral (
      select i, case when i <= 1 then 0 else (sh.band_edges || sh.limit_m)[i - 1] end as inner_m,
        case when i = 0 then sh.limit_m else (sh.band_edges || sh.limit_m)[i] end as outer_m
      from generate_series(0, cardinality(sh.band_edges) + 1) as i
    ) b
    where s.id = any(${sql`${schoolIds.map((id) => Math.trunc(id))}::int[]`})
    order by s.id, sh.scenario, b.i`.execute(db)
  return rows.map((r) => ({
    ...r,
    limit_m: Number(r.limit_m),
    inner_m: Number(r.inner_m),
    outer_m: Number(r.outer_m),
    categories: parseArray(r.categories).map(String),
  }))
}

/**
 * The candidate pairs under walking rules (within the limit of a gate in a straight line, or of the campus
 * for a school without gates), with what the walk needs: the premises position and the school's gates.
 */
export async function walkingCandidates(db: Db, query: PairQuery): Promise<WalkingCandidate[]> {
  const { rows } = await sql<{
    premises_id: number
    school_id: number
    rule_id: number
    rule_version: number
    band: string
    limit_m: number
    band_names: string[]
    band_edges: number[]
    lon: number
    lat: number
    gates: { coordinates: [number, number][] } | null
  }>`
    select f.premises_id, f.school_id, f.rule_id, f.rule_version, f.band, f.limit_m, f.band_names, f.band_edges,
      ST_X(p.geom) as lon, ST_Y(p.geom) as lat, ${asGeoJson(sql`s.gates`)} as gates
    from (${pairsSql(query)}) f
    join premises p on p.id = f.premises_id
    join schools s on s.id = f.school_id
    where f.path = 'walking'
    order by f.school_id, f.premises_id`.execute(db)
  return rows.map((r) => {
    const arrays = normaliseArrays(r)
    return {
      premisesId: r.premises_id,
      schoolId: r.school_id,
      ruleId: r.rule_id,
      ruleVersion: r.rule_version,
      limitM: arrays.limit_m,
      bandNames: arrays.band_names,
      bandEdges: arrays.band_edges,
      point: [Number(r.lon), Number(r.lat)],
      gates: r.gates ? r.gates.coordinates.map(([lon, lat]) => [lon, lat] as [number, number]) : null,
      straightBand: r.band,
    }
  })
}

/** Stores walking conflicts (or an audit's staged walking pairs) with what the network measured, in one statement a batch. */
export async function insertWalkingPairs(
  db: Db,
  target: { table: 'conflicts' } | { table: 'audit_pairs'; auditId: number },
  pairs: readonly WalkingConflict[],
): Promise<void> {
  for (let i = 0; i < pairs.length; i += 2000) {
    const batch = JSON.stringify(
      pairs.slice(i, i + 2000).map((p) => ({
        premises_id: p.premisesId,
        school_id: p.schoolId,
        rule_id: p.ruleId,
        rule_version: p.ruleVersion,
        band: p.band,
        distance_m: p.distanceM,
        straight_m: p.straightM,
        gate_index: p.gateIndex,
        measured_by: p.measuredBy,
        measure_note: p.note,
        route: p.route,
      })),
    )
    const columns = sql`premises_id, school_id, rule_id, rule_version, band, path, distance_m, straight_m, gate_index, measured_by, measure_note, route`
    const values = sql`w.premises_id, w.school_id, w.rule_id, w.rule_version, w.band, 'walking', w.distance_m, w.straight_m, w.gate_index, w.measured_by, w.measure_note,
      case when w.route is null then null else ${geomFromGeoJsonColumn(sql`w.route`)} end`
    const source = sql`json_to_recordset(${batch}::json) as w(premises_id integer, school_id integer, rule_id integer, rule_version integer, band text,
      distance_m float8, straight_m float8, gate_index integer, measured_by text, measure_note text, route json)`
    if (target.table === 'conflicts') await sql`insert into conflicts (${columns}) select ${values} from ${source}`.execute(db)
    else await sql`insert into audit_pairs (audit_id, ${columns}) select ${target.auditId}, ${values} from ${source}`.execute(db)
  }
}

/** Whether any rule in force measures walking distance (most registries have none, and skip the walk). */
export async function anyWalkingRule(db: Db): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${rulesInForce} as r where r.path = 'walking'`.execute(db)
  return (rows[0]?.n ?? 0) > 0
}
