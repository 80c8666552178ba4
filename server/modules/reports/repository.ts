import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import { geodesicDistance } from '../../db/postgis.ts'
import type { Database } from '../../db/types.ts'
import { OPEN_HAZARD_STATES } from '../../schemas/hazard-vocabulary.ts'
import { overdueSql } from '../hazards/repository.ts'

type Db = Kysely<Database> | Transaction<Database>

/**
 * What a report is restricted to, already resolved from the request and the caller's scope: a county, premises
 * categories (undefined = all), responsible departments of hazards (undefined = all), and a range of days in
 * China Standard Time (inclusive).
 */
export interface ReportScope {
  countyCode?: string | undefined
  categories?: readonly string[] | undefined
  /** Hazards: the responsible department asked for. */
  department?: string | undefined
  /**
   * Hazards: what a department outside the governance office and the education bureau may read, as the ledger
   * scopes it: hazards it is responsible for, and zone conflicts of the categories it licenses.
   */
  hazardReader?: { department: string; categories: readonly string[] } | undefined
  from?: string | undefined
  to?: string | undefined
}

/** The instant a China Standard Time day starts (UTC+8, no daylight saving). */
const dayStart = (date: string) => sql`((${date}::date)::timestamp - interval '8 hours') at time zone 'UTC'`
const dayAfter = (date: string) => sql`((${date}::date)::timestamp + interval '16 hours') at time zone 'UTC'`
/** A timestamp's calendar day in China Standard Time. */
const cstDay = (column: RawBuilder<unknown>) => sql`((${column} at time zone 'UTC') + interval '8 hours')::date`

function timeRange(column: RawBuilder<unknown>, scope: ReportScope): RawBuilder<unknown>[] {
  const parts: RawBuilder<unknown>[] = []
  if (scope.from) parts.push(sql`${column} >= ${dayStart(scope.from)}`)
  if (scope.to) parts.push(sql`${column} < ${dayAfter(scope.to)}`)
  return parts
}
const inList = (column: RawBuilder<unknown>, values: readonly string[]) =>
  values.length === 0 ? sql`false` : sql`${column} in (${sql.join(values.map((v) => sql`${v}`))})`
const and = (parts: RawBuilder<unknown>[]) => (parts.length === 0 ? sql`true` : sql.join(parts, sql` and `))

/** County names by code. */
export async function countyNames(db: Db): Promise<Map<string, string>> {
  const rows = await db.selectFrom('counties').select(['code', 'name']).execute()
  return new Map(rows.map((r) => [r.code.trim(), r.name]))
}

// ---------------------------------------------------------------- conflicts

// Filtered like GET /api/conflicts: the premises' county and category.
function conflictWhere(scope: ReportScope) {
  const parts: RawBuilder<unknown>[] = []
  if (scope.countyCode) parts.push(sql`p.county_code = ${scope.countyCode}`)
  if (scope.categories) parts.push(inList(sql`p.category`, scope.categories))
  parts.push(...timeRange(sql`c.detected_at`, scope))
  return and(parts)
}

export interface ConflictTally {
  county_code: string
  category: string
  band: string
  n: number
  preexisting: number
}

/** Conflicts counted by county × category × band (and how many of them predate the school). */
export async function conflictTallies(db: Db, scope: ReportScope): Promise<ConflictTally[]> {
  const { rows } = await sql<ConflictTally>`
    select p.county_code, p.category, c.band, count(*)::int as n, count(*) filter (where p.licensed_on < s.opened_on)::int as preexisting
    from conflicts c join premises p on p.id = c.premises_id join schools s on s.id = c.school_id
    where ${conflictWhere(scope)}
    group by 1, 2, 3 order by 1, 2, 3`.execute(db)
  return rows.map((r) => ({ ...r, county_code: r.county_code.trim(), n: Number(r.n), preexisting: Number(r.preexisting) }))
}

export interface ConflictItem {
  premises_id: number
  school_id: number
  county_code: string
  category: string
  band: string
  premises_name: string
  licence_no: string | null
  licence_status: string
  licensed_on: string | null
  expires_on: string | null
  school_name: string
  school_type: string
  school_county_code: string
  limit_m: number
  distance_m: number
  path: string
  preexisting: boolean
  rule_id: number
  rule_version: number
  detected_at: Date
}

/** One batch of conflicts after the key (premises id, school id), in key order, each measured as GET /api/conflicts measures it. */
export async function conflictBatch(
  db: Db,
  scope: ReportScope,
  after: readonly [number, number] | undefined,
  size: number,
): Promise<ConflictItem[]> {
  const key = after ? sql`(c.premises_id, c.school_id) > (${after[0]}::int, ${after[1]}::int)` : sql`true`
  const { rows } = await sql<ConflictItem>`
    select c.premises_id, c.school_id, p.county_code, p.category, c.band, p.name as premises_name, p.licence_no, p.licence_status,
      to_char(p.licensed_on, 'YYYY-MM-DD') as licensed_on, to_char(p.expires_on, 'YYYY-MM-DD') as expires_on,
      s.name as school_name, s.school_type, s.county_code as school_county_code, r.limit_m, c.path,
      case when c.distance_m is not null then c.distance_m
        else ${geodesicDistance(sql`(case when r.origin = 'gates' and s.gates is not null then s.gates else s.geom end)`, sql`p.geom`)} end as distance_m,
      coalesce(p.licensed_on < s.opened_on, false) as preexisting, c.rule_id, c.rule_version, c.detected_at
    from (
      select c.* from conflicts c join premises p on p.id = c.premises_id
      where ${key} and ${conflictWhere(scope)}
      order by c.premises_id, c.school_id limit ${size}
    ) c
    join premises p on p.id = c.premises_id
    join schools s on s.id = c.school_id
    join rules r on r.id = c.rule_id
    order by c.premises_id, c.school_id`.execute(db)
  return rows.map((r) => ({
    ...r,
    county_code: r.county_code.trim(),
    school_county_code: r.school_county_code.trim(),
    limit_m: Number(r.limit_m),
    distance_m: Number(r.distance_m),
  }))
}

// ---------------------------------------------------------------- hazards

// Open and overdue as the ledger decides them (hazards/repository.ts), so the counts match GET /api/hazards.
const OPEN = sql`h.state in (${sql.join(OPEN_HAZARD_STATES.map((s) => sql`${s}`))})`
const OVERDUE = overdueSql()

function hazardWhere(scope: ReportScope) {
  const parts: RawBuilder<unknown>[] = []
  if (scope.countyCode) parts.push(sql`h.county_code = ${scope.countyCode}`)
  if (scope.department) parts.push(sql`h.department = ${scope.department}`)
  if (scope.hazardReader) {
    const { department, categories } = scope.hazardReader
    parts.push(sql`(h.department = ${department} or (h.kind = 'zone_conflict' and ${inList(sql`p.category`, categories)}))`)
  }
  if (scope.categories) parts.push(inList(sql`p.category`, scope.categories))
  parts.push(...timeRange(sql`h.found_at`, scope))
  return and(parts)
}

export interface HazardTally {
  county_code: string
  department: string
  state: string
  grade: string
  n: number
  open: number
  overdue: number
}

/** Hazards counted by county × department × state × grade, with how many are open and overdue today (China Standard Time). */
export async function hazardTallies(db: Db, scope: ReportScope): Promise<HazardTally[]> {
  const { rows } = await sql<HazardTally>`
    select h.county_code, h.department, h.state, h.grade, count(*)::int as n, count(*) filter (where ${OPEN})::int as open,
      count(*) filter (where ${OVERDUE})::int as overdue
    from hazards h left join premises p on p.id = h.premises_id where ${hazardWhere(scope)}
    group by 1, 2, 3, 4 order by 1, 2, 3, 4`.execute(db)
  return rows.map((r) => ({ ...r, county_code: r.county_code.trim(), n: Number(r.n), open: Number(r.open), overdue: Number(r.overdue) }))
}

export interface HazardItem {
  id: number
  county_code: string
  school_id: number
  school_name: string
  premises_id: number | null
  kind: string
  grade: string
  title: string
  state: string
  department: string
  source: string
  responsible_party: string | null
  found_at: Date
  deadline: string | null
  overdue: boolean
  escalation: string | null
  closed_at: Date | null
}

/** One batch of hazards after `after` (id order), with overdue and, while overdue, the highest escalation step taken on its deadline. */
export async function hazardBatch(db: Db, scope: ReportScope, after: number, size: number): Promise<HazardItem[]> {
  const { rows } = await sql<HazardItem>`
    select h.id, h.county_code, h.school_id, s.name as school_name, h.premises_id, h.kind, h.grade, h.title, h.state, h.department,
      h.source, h.responsible_party, h.found_at, to_char(h.deadline, 'YYYY-MM-DD') as deadline,
      ${OVERDUE} as overdue,
      case when ${OVERDUE} then (select st.name_zh from hazard_escalations e join escalation_steps st on st.step = e.step
        where e.hazard_id = h.id and e.deadline = h.deadline order by st.rank desc limit 1) end as escalation,
      h.closed_at
    from hazards h join schools s on s.id = h.school_id left join premises p on p.id = h.premises_id
    where h.id > ${after} and ${hazardWhere(scope)}
    order by h.id limit ${size}`.execute(db)
  return rows.map((r) => ({ ...r, county_code: r.county_code.trim() }))
}

// ---------------------------------------------------------------- schools (compliance)

export interface SchoolStaffingItem {
  id: number
  county_code: string
  name: string
  school_type: string
  students: number | null
  staff: number | null
  boarding: boolean
  guards: number | null
  doctors: number | null
  psychology_teachers: number | null
  dormitories: unknown
  alarm_linked_to_police: boolean | null
}

/** One batch of schools after `after` (id order) with their staffing facts. */
export async function schoolBatch(db: Db, scope: ReportScope, after: number, size: number): Promise<SchoolStaffingItem[]> {
  let query = db
    .selectFrom('schools')
    .select([
      'id',
      'county_code',
      'name',
      'school_type',
      'students',
      'staff',
      'boarding',
      'guards',
      'doctors',
      'psychology_teachers',
      'dormitories',
      'alarm_linked_to_police',
    ])
    .where('id', '>', after)
  if (scope.countyCode) query = query.where('county_code', '=', scope.countyCode)
  const rows = await query.orderBy('id').limit(size).execute()
  return rows.map((r) => ({ ...r, county_code: r.county_code.trim() }))
}

// ---------------------------------------------------------------- permits

function permitWhere(scope: ReportScope) {
  const parts: RawBuilder<unknown>[] = [sql`p.status <> 'pending'`]
  if (scope.countyCode) parts.push(sql`p.county_code = ${scope.countyCode}`)
  if (scope.categories) parts.push(inList(sql`p.category`, scope.categories))
  parts.push(...timeRange(sql`p.decided_at`, scope))
  return and(parts)
}

export interface PermitTally {
  county_code: string
  category: string
  status: string
  n: number
  overrides: number
}

/** Decided permits counted by county × category × decision, with the approvals overriding a conflict. */
export async function permitTallies(db: Db, scope: ReportScope): Promise<PermitTally[]> {
  const { rows } = await sql<PermitTally>`
    select p.county_code, p.category, p.status, count(*)::int as n, count(*) filter (where p.flagged_override)::int as overrides
    from permits p where ${permitWhere(scope)}
    group by 1, 2, 3 order by 1, 2, 3`.execute(db)
  return rows.map((r) => ({ ...r, county_code: r.county_code.trim(), n: Number(r.n), overrides: Number(r.overrides) }))
}

export interface PermitItem {
  id: number
  county_code: string
  category: string
  kind: string
  business_name: string
  address: string
  status: string
  verdict: string | null
  flagged_override: boolean
  decision_reason: string | null
  override_justification: string | null
  decided_by_name: string | null
  decided_role: string | null
  decided_at: Date
  licence_no: string | null
  submitted_at: Date
}

/** One batch of decided permits after `after` (id order). */
export async function permitBatch(db: Db, scope: ReportScope, after: number, size: number): Promise<PermitItem[]> {
  const { rows } = await sql<PermitItem>`
    select p.id, p.county_code, p.category, p.kind, p.business_name, p.address, p.status, p.screening->>'verdict' as verdict,
      p.flagged_override, p.decision_reason, p.override_justification, p.decided_by_name, p.decided_role, p.decided_at, p.licence_no,
      p.submitted_at
    from permits p where p.id > ${after} and ${permitWhere(scope)}
    order by p.id limit ${size}`.execute(db)
  return rows.map((r) => ({ ...r, county_code: r.county_code.trim() }))
}

// ---------------------------------------------------------------- patrols

export interface PatrolDayItem {
  school_id: number
  day: string
  county_code: string
  school_name: string
  urban: boolean
  visits: number
  required: number
}

/**
 * One batch of (school, day) rows after the key (school id, day), for urban schools and any school visited: the
 * visits recorded that day (China Standard Time) and what the patrol policy in force asked (urban schools).
 */
export async function patrolBatch(
  db: Db,
  scope: ReportScope & { from: string; to: string },
  after: readonly [number, string] | undefined,
  size: number,
): Promise<PatrolDayItem[]> {
  const key = after ? sql`(s.id, d.day) > (${after[0]}::int, ${after[1]}::date)` : sql`true`
  const { rows } = await sql<PatrolDayItem>`
    with v as (
      select v.school_id, ${cstDay(sql`v.at`)} as day, count(*)::int as n from patrol_visits v
      where v.school_id is not null and v.at >= ${dayStart(scope.from)} and v.at < ${dayAfter(scope.to)}
      group by 1, 2
    )
    select s.id as school_id, to_char(d.day, 'YYYY-MM-DD') as day, s.county_code, s.name as school_name, s.urban,
      coalesce(v.n, 0) as visits,
      case when s.urban then coalesce((select p.visits_per_urban_school from patrol_policies p
        where p.effective_from <= d.day order by p.version desc limit 1), 0) else 0 end as required
    from schools s
    cross join (select ${scope.from}::date + i as day from generate_series(0, ${scope.to}::date - ${scope.from}::date) as g(i)) d
    left join v on v.school_id = s.id and v.day = d.day
    where ${key} and (s.urban or v.n is not null) ${scope.countyCode ? sql`and s.county_code = ${scope.countyCode}` : sql``}
    order by s.id, d.day limit ${size}`.execute(db)
  return rows.map((r) => ({ ...r, county_code: r.county_code.trim(), visits: Number(r.visits), required: Number(r.required) }))
}

/** Today's date in China Standard Time as the database sees it. */
export async function todayCst(db: Db): Promise<string> {
  const { rows } = await sql<{ d: string }>`select to_char((now() at time zone 'UTC') + interval '8 hours', 'YYYY-MM-DD') as d`.execute(db)
  return rows[0]!.d
}
