import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { pairsSql } from './pairs.ts'

type Db = Kysely<Database> | Transaction<Database>

/** Gates lie within 300 m of their campus (validated), so a gate-measured zone reaches that much further. */
const GATE_REACH_M = sql.lit(301)

const idList = (ids: readonly number[]) => sql.join(ids.map((id) => sql.lit(Math.trunc(id))))

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
    join schools s2 on s2.geom && ST_Expand(
      p.geom,
      l.lmax / (6378137 * pi() / 180 * cos(radians(least(abs(ST_Y(p.geom)) + 0.05, 89)))) * 1.001,
      l.lmax / (6335439 * pi() / 180) * 1.001)
    where ${premisesFilter}
  )`
}

async function insertPairs(db: Db, schoolFilter: RawBuilder<boolean>, premisesFilter: RawBuilder<boolean>) {
  await sql`insert into conflicts (premises_id, school_id, rule_id, rule_version, band)
    select premises_id, school_id, rule_id, rule_version, band from (${pairsSql({ schoolFilter, premisesFilter })}) found`.execute(db)
}

/** Recomputes the conflicts of these schools (after they were created or changed), in the caller's transaction. */
export async function refreshForSchools(db: Db, schoolIds: readonly number[]): Promise<void> {
  if (schoolIds.length === 0) return
  await sql`delete from conflicts where school_id in (${idList(schoolIds)})`.execute(db)
  await insertPairs(db, sql<boolean>`s.id in (${idList(schoolIds)})`, sql<boolean>`true`)
}

/** Recomputes the conflicts of these premises (after they were created or moved), in the caller's transaction. */
export async function refreshForPremises(db: Db, premisesIds: readonly number[]): Promise<void> {
  if (premisesIds.length === 0) return
  const inBatch = sql<boolean>`p.id in (${idList(premisesIds)})`
  await sql`delete from conflicts where premises_id in (${idList(premisesIds)})`.execute(db)
  await insertPairs(db, schoolsNearPremises(inBatch), inBatch)
}

/** Recomputes the conflicts governed by one rule (one category × one school type). */
export async function refreshForRule(db: Db, category: string, schoolType: string): Promise<void> {
  await sql`delete from conflicts c using premises p, schools s
    where c.premises_id = p.id and c.school_id = s.id and p.category = ${category} and s.school_type = ${schoolType}`.execute(db)
  await insertPairs(db, sql<boolean>`s.school_type = ${schoolType}`, sql<boolean>`p.category = ${category}`)
}
