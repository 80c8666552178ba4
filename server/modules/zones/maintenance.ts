import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import { drawnBuffer, expandByMetres, fromLocalFrame, toLocalFrame } from '../../db/postgis.ts'
import type { Database } from '../../db/types.ts'
import { settleWalking } from '../roads/walking.ts'
import { GATE_REACH_M, pairsSql, rulesInForce } from './pairs.ts'
import * as repository from './repository.ts'
import { noteClearedConflicts, openConflictHazards } from '../hazards/repository.ts'

type Db = Kysely<Database> | Transaction<Database>

/** The ids as one integer-array parameter, for `= any(…)`. */
const idArray = (ids: readonly number[]) => sql`${ids.map((id) => Math.trunc(id))}::int[]`

/**
 * Schools whose campus (or gates) may lie within the largest limit of any rule of the given premises. The
 * premises point is expanded by that limit in degrees using the smallest degree lengths near it,
 * so the box over-covers and the exact pair test decides.
 */
export function schoolsNearPremises(premisesFilter: RawBuilder<boolean>): RawBuilder<boolean> {
  return sql<boolean>`s.id in (
    select s2.id
    from premises p
    cross join (select max(limit_m) + ${GATE_REACH_M} as lmax from rules) l
    join schools s2 on s2.geom && ${expandByMetres(sql`p.geom`, sql`l.lmax`, sql`ST_Y(p.geom)`)}
    where ${premisesFilter}
  )`
}

/**
 * Stores the conflicts of the schools and premises matching the filters: under straight rules every pair
 * within its limit, in one statement; under walking rules the candidates within the limit of a gate in a
 * straight line, then only those the walk keeps (roads/walking.ts settleWalking), with what it measured.
 */
async function insertPairs(db: Db, schoolFilter: RawBuilder<boolean>, premisesFilter: RawBuilder<boolean>) {
  await sql`insert into conflicts (premises_id, school_id, rule_id, rule_version, band)
    select premises_id, school_id, rule_id, rule_version, band from (${pairsSql({ schoolFilter, premisesFilter })}) found where found.path = 'straight'`.execute(
    db,
  )
  if (!(await repository.anyWalkingRule(db))) return
  const settled = await settleWalking(db, await repository.walkingCandidates(db, { schoolFilter, premisesFilter }))
  await repository.insertWalkingPairs(db, { table: 'conflicts' }, settled)
}

/** Recomputes every conflict under a walking rule (after the road network changed), in the caller's transaction. */
export async function refreshWalkingConflicts(db: Db): Promise<void> {
  await sql`delete from conflicts where path = 'walking'`.execute(db)
  if (!(await repository.anyWalkingRule(db))) return
  const settled = await settleWalking(
    db,
    await repository.walkingCandidates(db, {
      schoolFilter: sql<boolean>`true`,
      premisesFilter: sql<boolean>`true`,
      rules: sql`(select * from ${rulesInForce} as w0 where w0.path = 'walking')`,
    }),
  )
  await repository.insertWalkingPairs(db, { table: 'conflicts' }, settled)
  await syncHazards(db, sql`select premises_id, school_id from conflicts where path = 'walking'`, sql<boolean>`true`)
}

/**
 * Keeps the hazard ledger in step with the conflicts just recomputed, in the same transaction and set-based:
 * a zone_conflict hazard opened for each new conflict (once per premises and school), and the conflicts gone
 * among `cleared` (alias h) noted on their hazards, which stay.
 */
async function syncHazards(db: Db, found: RawBuilder<unknown>, cleared: RawBuilder<boolean>): Promise<void> {
  await openConflictHazards(db, found)
  await noteClearedConflicts(db, cleared)
}

/**
 * The bands each school matching the filter (alias s) should have: one set per distinct rule shape in force for
 * its type, with the origin geometry each is drawn around and its fingerprint (`fp`): an md5 of the origin's
 * EWKB, the shape, the band and DRAWING (the drawing method's version). A stored band whose inputs_md5 equals
 * the fingerprint was drawn from exactly these inputs by this method.
 */
function zoneSpecsSql(schoolFilter: RawBuilder<boolean>) {
  return sql`
    select s.id as school_id, sh.limit_m, sh.kind, sh.band_names, sh.band_edges, b.i, sh.band_names[b.i] as band, b.inner_m, b.outer_m, o.geom,
      md5(ST_AsEWKB(o.geom) || convert_to(concat_ws('|', ${DRAWING}, sh.limit_m, sh.kind, b.i, sh.band_names[b.i], b.inner_m, b.outer_m), 'UTF8')) as fp
    from schools s
    join lateral (
      select distinct r.limit_m, case when r.origin = 'gates' and s.gates is not null then 'gates' else 'campus' end as kind, r.band_names, r.band_edges
      from ${rulesInForce} r where r.school_type = s.school_type
    ) sh on true
    cross join lateral (select case when sh.kind = 'gates' then s.gates else s.geom end as geom) o
    cross join lateral (
      select i, case when i = 1 then 0 else (sh.band_edges || sh.limit_m)[i - 1] end as inner_m, (sh.band_edges || sh.limit_m)[i] as outer_m
      from generate_series(1, cardinality(sh.band_edges) + 1) as i
    ) b
    where ${schoolFilter}`
}

/** The version of the drawing below, part of every band's fingerprint: change it when the drawing changes. */
const DRAWING = sql.lit('buffer-local-frame-quad64')

/**
 * Redraws the stored zone bands (school_zones, read by the map tiles and GET /api/schools/{id}/zone) of
 * the schools matching the filter (alias s): one set of bands per distinct rule shape in force for the
 * school's type, buffered with 64 segments a quarter circle in a local ellipsoidal frame centred on the
 * school (postgis.ts toLocalFrame), within about 2 cm of the true distance. An azimuthal equidistant
 * PROJ pipeline would be exact to 1e-8 but PostGIS 3.3 rebuilds it on every call (≈ 50 ms a school,
 * minutes for an audit). Verdicts never use these shapes. Each band stores its fingerprint (zoneSpecsSql).
 */
export async function redrawZones(db: Db, schoolFilter: RawBuilder<boolean>): Promise<void> {
  await sql`delete from school_zones z using schools s where z.school_id = s.id and ${schoolFilter}`.execute(db)
  // Each band is its outer buffer less the one before it (window lag), so each radius is buffered once. Where both
  // buffers are single polygons without holes and the radii differ by more than 0.1 % of the outer one, the band is
  // the outer shell with the inner shell as its hole, built directly instead of by an overlay (ST_Difference, as
  // costly as both buffers). That ring is the same area: the inner polygon's vertices lie on the circle arcs of
  // radius inner_m, so it lies within the exact inner_m buffer; the outer polygon's chords cut in by at most
  // outer_m·(1 − cos(π/256)) < 7.6e-5·outer_m (64 segments a quarter circle), so it contains every point within
  // outer_m·(1 − 7.6e-5) of the origin, hence the whole inner polygon, strictly inside: the two rings never meet.
  // Oriented as the overlay orients its output (shell clockwise, hole counter-clockwise): the same vertices, the same rings.
  const outer = sql`w.outer_buffer`
  const inner = sql`w.inner_buffer`
  await sql`insert into school_zones (school_id, limit_m, origin, band_index, band, inner_m, outer_m, inputs_md5, geom)
    select w.school_id, w.limit_m, w.kind, w.i, w.band, w.inner_m, w.outer_m, w.fp,
      ST_Multi(${fromLocalFrame(
        sql`case
          when ${inner} is null then ${outer}
          when w.outer_m - w.inner_m > 0.001 * w.outer_m and GeometryType(${outer}) = 'POLYGON' and GeometryType(${inner}) = 'POLYGON'
            and ST_NumInteriorRings(${outer}) = 0 and ST_NumInteriorRings(${inner}) = 0
            then ST_ForcePolygonCW(ST_MakePolygon(ST_ExteriorRing(${outer}), array[ST_ExteriorRing(${inner})]))
          else ST_Difference(${outer}, ${inner})
        end`,
        sql`w.lon0`,
        sql`w.lat0`,
      )})
    from (
      select e.*, f.lon0, f.lat0, d.outer_buffer,
        lag(d.outer_buffer) over (partition by e.school_id, e.limit_m, e.kind, e.band_names, e.band_edges order by e.i) as inner_buffer
      from (${zoneSpecsSql(schoolFilter)}) e
      cross join lateral (select (ST_XMin(e.geom) + ST_XMax(e.geom)) / 2 as lon0, (ST_YMin(e.geom) + ST_YMax(e.geom)) / 2 as lat0) f
      cross join lateral (select ${drawnBuffer(toLocalFrame(sql`e.geom`, sql`f.lon0`, sql`f.lat0`), sql`e.outer_m`)} as outer_buffer) d
    ) w`.execute(db)
}

/**
 * The schools matching the filter (alias s) whose stored bands are not exactly the ones their inputs call
 * for: a band missing, extra, duplicated, drawn from other inputs (fingerprint), or with its band, limit,
 * origin or radii altered. Computed from the inputs every time, so it trusts nothing stored but the drawn
 * outline of a band whose every other column checks out (drawing only: verdicts never read it).
 */
export async function staleZoneSchools(db: Db, schoolFilter: RawBuilder<boolean>): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`
    with expected as (
      select e.school_id, string_agg(concat_ws('|', e.limit_m, e.kind, e.i, e.band, e.inner_m, e.outer_m, e.fp), ',' order by e.limit_m, e.kind, e.i, e.fp) as k
      from (${zoneSpecsSql(schoolFilter)}) e group by e.school_id
    ), stored as (
      select z.school_id,
        string_agg(concat_ws('|', z.limit_m, z.origin, z.band_index, z.band, z.inner_m, z.outer_m, coalesce(z.inputs_md5, '-')), ','
          order by z.limit_m, z.origin, z.band_index, z.inputs_md5) as k
      from school_zones z join schools s on s.id = z.school_id where ${schoolFilter} group by z.school_id
    )
    select coalesce(e.school_id, st.school_id) as id
    from expected e full join stored st on st.school_id = e.school_id
    where e.k is distinct from st.k
    order by 1`.execute(db)
  return rows.map((r) => r.id)
}

/** Recomputes the conflicts and redraws the zones of these schools (after they were created or changed), in the caller's transaction. */
export async function refreshForSchools(db: Db, schoolIds: readonly number[]): Promise<void> {
  if (schoolIds.length === 0) return
  await sql`delete from conflicts where school_id = any(${idArray(schoolIds)})`.execute(db)
  await insertPairs(db, sql<boolean>`s.id = any(${idArray(schoolIds)})`, sql<boolean>`true`)
  await syncHazards(
    db,
    sql`select premises_id, school_id from conflicts where school_id = any(${idArray(schoolIds)})`,
    sql<boolean>`h.school_id = any(${idArray(schoolIds)})`,
  )
  await redrawZones(db, sql<boolean>`s.id = any(${idArray(schoolIds)})`)
}

/** Recomputes the conflicts of these premises (after they were created or moved), in the caller's transaction. */
export async function refreshForPremises(db: Db, premisesIds: readonly number[]): Promise<void> {
  if (premisesIds.length === 0) return
  const inBatch = sql<boolean>`p.id = any(${idArray(premisesIds)})`
  await sql`delete from conflicts where premises_id = any(${idArray(premisesIds)})`.execute(db)
  await insertPairs(db, schoolsNearPremises(inBatch), inBatch)
  await syncHazards(
    db,
    sql`select premises_id, school_id from conflicts where premises_id = any(${idArray(premisesIds)})`,
    sql<boolean>`h.premises_id = any(${idArray(premisesIds)})`,
  )
}

/** Recomputes the conflicts governed by one rule (one category × one school type) and redraws that type's zones. */
export async function refreshForRule(db: Db, category: string, schoolType: string): Promise<void> {
  await sql`delete from conflicts c using premises p, schools s
    where c.premises_id = p.id and c.school_id = s.id and p.category = ${category} and s.school_type = ${schoolType}`.execute(db)
  await insertPairs(db, sql<boolean>`s.school_type = ${schoolType}`, sql<boolean>`p.category = ${category}`)
  await syncHazards(
    db,
    sql`select c.premises_id, c.school_id from conflicts c join premises p on p.id = c.premises_id join schools s on s.id = c.school_id
      where p.category = ${category} and s.school_type = ${schoolType}`,
    sql<boolean>`h.premises_id in (select id from premises where category = ${category}) and h.school_id in (select id from schools where school_type = ${schoolType})`,
  )
  await redrawZones(db, sql<boolean>`s.school_type = ${schoolType}`)
}
