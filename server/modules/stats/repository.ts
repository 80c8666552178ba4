import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { overdueSql } from '../hazards/repository.ts'

type Db = Kysely<Database> | Transaction<Database>

const county = (column: string, code: string | undefined) => (code ? sql`and ${sql.ref(column)} = ${code}` : sql``)
const trim = <R extends { county_code: string }>(rows: R[]) => rows.map((r) => ({ ...r, county_code: r.county_code.trim() }))

/** Counties with their names (the one asked for, or all). */
export async function counties(db: Db, code: string | undefined): Promise<{ code: string; name: string }[]> {
  let query = db.selectFrom('counties').select(['code', 'name']).orderBy('code')
  if (code) query = query.where('code', '=', code)
  return (await query.execute()).map((r) => ({ code: r.code.trim(), name: r.name }))
}

/** Schools, urban schools and schools with a drawn zone, per county. */
export async function schoolCounts(db: Db, code: string | undefined) {
  const { rows } = await sql<{ county_code: string; schools: number; urban: number; zones: number }>`
    select s.county_code, count(*)::int as schools, count(*) filter (where s.urban)::int as urban,
      count(*) filter (where exists (select 1 from school_zones z where z.school_id = s.id))::int as zones
    from schools s where true ${county('s.county_code', code)} group by 1`.execute(db)
  return trim(rows)
}

/** Conflicts per premises county × category × band. */
export async function conflictCounts(db: Db, code: string | undefined) {
  const { rows } = await sql<{ county_code: string; category: string; band: string; n: number; preexisting: number }>`
    select p.county_code, p.category, c.band, count(*)::int as n, count(*) filter (where p.licensed_on < s.opened_on)::int as preexisting
    from conflicts c join premises p on p.id = c.premises_id join schools s on s.id = c.school_id
    where true ${county('p.county_code', code)} group by 1, 2, 3`.execute(db)
  return trim(rows)
}

/** Hazards per county × state × grade, with the overdue ones as the ledger decides them. */
export async function hazardCounts(db: Db, code: string | undefined) {
  const { rows } = await sql<{ county_code: string; state: string; grade: string; n: number; overdue: number }>`
    select h.county_code, h.state, h.grade, count(*)::int as n,
      count(*) filter (where ${overdueSql()})::int as overdue
    from hazards h where true ${county('h.county_code', code)} group by 1, 2, 3`.execute(db)
  return trim(rows)
}

/** Permit decisions per county since the first day of `month` (YYYY-MM, China Standard Time). */
export async function permitDecisions(db: Db, code: string | undefined, month: string) {
  const { rows } = await sql<{ county_code: string; status: string; n: number; overrides: number }>`
    select p.county_code, p.status, count(*)::int as n, count(*) filter (where p.flagged_override)::int as overrides
    from permits p
    where p.status <> 'pending' and p.decided_at >= ((${`${month}-01`}::date)::timestamp - interval '8 hours') at time zone 'UTC'
      ${county('p.county_code', code)}
    group by 1, 2`.execute(db)
  return trim(rows)
}

/** Urban schools per county with today's visits and what the policy in force asks. */
export async function patrolToday(db: Db, code: string | undefined, today: string) {
  const { rows } = await sql<{ county_code: string; visits: number; required: number }>`
    select s.county_code,
      (select count(*)::int from patrol_visits v where v.school_id = s.id
        and v.at >= ((${today}::date)::timestamp - interval '8 hours') at time zone 'UTC'
        and v.at < ((${today}::date)::timestamp + interval '16 hours') at time zone 'UTC') as visits,
      coalesce((select p.visits_per_urban_school from patrol_policies p where p.effective_from <= ${today}::date
        order by p.version desc limit 1), 0) as required
    from schools s where s.urban ${county('s.county_code', code)}`.execute(db)
  return trim(rows).map((r) => ({ ...r, visits: Number(r.visits), required: Number(r.required) }))
}
