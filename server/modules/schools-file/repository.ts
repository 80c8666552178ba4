import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'

type Db = Kysely<Database> | Transaction<Database>

/** A county's name by its code, or undefined. */
export async function countyName(db: Db, code: string): Promise<string | undefined> {
  const row = await db.selectFrom('counties').select('name').where('code', '=', code).executeTakeFirst()
  return row?.name
}

/** States in which a hazard is still open (not accepted or closed). */
export const CLOSED_STATES = ['accepted', 'closed', 'closed_without_rectification'] as const

/** Today's date in China Standard Time (fixed UTC+8, no daylight saving), as the database sees it. */
export async function todayCst(db: Db): Promise<string> {
  const { rows } = await sql<{ d: string }>`select to_char((now() at time zone 'UTC') + interval '8 hours', 'YYYY-MM-DD') as d`.execute(db)
  return rows[0]!.d
}

export interface HazardRow {
  id: number
  kind: string
  grade: string
  title: string
  state: string
  department: string | null
  premises_id: number | null
  found_at: Date
  deadline: string | null
  overdue: boolean
  closed_at: Date | null
}

/** Every hazard of a school, open ones first, each with whether it is overdue on `today`. */
export async function schoolHazards(db: Db, schoolId: number, today: string): Promise<HazardRow[]> {
  const { rows } = await sql<HazardRow>`
    select id, kind, grade, title, state, department, premises_id, found_at, to_char(deadline, 'YYYY-MM-DD') as deadline,
      (state not in ('accepted', 'closed', 'closed_without_rectification') and deadline < ${today}::date) as overdue, closed_at
    from hazards where school_id = ${schoolId}
    order by (state in ('accepted', 'closed', 'closed_without_rectification')), found_at desc, id desc`.execute(db)
  return rows
}

export interface InspectionRow {
  id: number
  level: string
  done_at: Date
  inspector: string | null
  findings: string | null
}

/** The latest inspections of a school, newest first. */
export async function schoolInspections(db: Db, schoolId: number, limit: number): Promise<InspectionRow[]> {
  return db
    .selectFrom('inspections')
    .select(['id', 'level', 'done_at', 'inspector', 'findings'])
    .where('school_id', '=', schoolId)
    .orderBy('done_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
}

/** Whether the school is urban, and for each day from `from` to `to` (China Standard Time) its patrol visits and what the policy in force asked. */
export async function patrolDays(
  db: Db,
  schoolId: number,
  from: string,
  to: string,
): Promise<{ urban: boolean; days: { date: string; visits: number; required: number }[] }> {
  const { rows } = await sql<{ date: string; visits: number; required: number; urban: boolean }>`
    select to_char(d.day, 'YYYY-MM-DD') as date, s.urban,
      (select count(*)::int from patrol_visits v
        where v.school_id = s.id and v.at >= (d.day::timestamp - interval '8 hours') at time zone 'UTC'
          and v.at < (d.day::timestamp + interval '16 hours') at time zone 'UTC') as visits,
      case when s.urban then coalesce((select p.visits_per_urban_school from patrol_policies p
        where p.effective_from <= d.day order by p.version desc limit 1), 0) else 0 end as required
    from schools s cross join (select ${from}::date + i as day from generate_series(0, ${to}::date - ${from}::date) as g(i)) d
    where s.id = ${schoolId}
    order by d.day`.execute(db)
  return {
    urban: Boolean(rows[0]?.urban),
    days: rows.map((r) => ({ date: r.date, visits: Number(r.visits), required: Number(r.required) })),
  }
}

/** A school's warning signs and cameras with their positions. */
export async function schoolDevices(db: Db, schoolId: number) {
  const [signs, cameras] = await Promise.all([
    db
      .selectFrom('warning_signs')
      .select([
        'id',
        'state',
        'note',
        sql<string | null>`to_char(installed_on, 'YYYY-MM-DD')`.as('installed_on'),
        sql<number>`ST_X(geom)`.as('lon'),
        sql<number>`ST_Y(geom)`.as('lat'),
      ])
      .where('school_id', '=', schoolId)
      .orderBy('id')
      .execute(),
    db
      .selectFrom('cameras')
      .select(['id', 'state', 'gate', 'linked_to_police', sql<number>`ST_X(geom)`.as('lon'), sql<number>`ST_Y(geom)`.as('lat')])
      .where('school_id', '=', schoolId)
      .orderBy('id')
      .execute(),
  ])
  return { signs, cameras }
}
