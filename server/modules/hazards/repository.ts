import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import { chinaToday } from '../../db/china-time.ts'
import { asGeoJson, pointFromLonLat } from '../../db/postgis.ts'
import type { Database } from '../../db/types.ts'
import { CATEGORY_NAMES } from '../../schemas/labels.ts'
import { LICENSING_DEPARTMENTS } from '../../schemas/licensing.ts'
import { OPEN_HAZARD_STATES, type HazardState } from '../../schemas/hazard-vocabulary.ts'
import type { PremisesCategory } from '../../schemas/vocabulary.ts'

type Db = Kysely<Database> | Transaction<Database>

/** Today in China Standard Time, where the desks and their deadlines are. */
export const TODAY = chinaToday
const OPEN = sql.raw(`(${OPEN_HAZARD_STATES.map((s) => `'${s}'`).join(', ')})`)

/**
 * Whether hazard `h` is overdue: still open and its deadline before today (CST). A rectification reported done
 * by its deadline is not overdue while it awaits acceptance.
 */
export const overdueSql = (h = sql.ref('h')) =>
  sql<boolean>`coalesce(${h}.state in ${OPEN} and ${h}.deadline < ${TODAY}
    and not (${h}.rectified_at is not null and (${h}.rectified_at at time zone 'Asia/Shanghai')::date <= ${h}.deadline), false)`
const daysOverdueSql = sql<number>`case when ${overdueSql()} then (${TODAY} - h.deadline) else 0 end`

/** The department first responsible for a zone conflict of each category (the licensing one). */
const departmentOfCategory = sql.raw(
  `case p.category ${Object.entries(LICENSING_DEPARTMENTS)
    .map(([category, departments]) => `when '${category}' then '${departments[0]}'`)
    .join(' ')} else 'governance' end`,
)
const categoryName = sql.raw(
  `case p.category ${Object.entries(CATEGORY_NAMES)
    .map(([category, name]) => `when '${category}' then '${name}'`)
    .join(' ')} else p.category end`,
)

/** The county of a school from its campus (the county outline covering a point of it), else its registered county. */
export const schoolCountySql = (s = sql.ref('s')) =>
  sql<string>`coalesce((select c.code from counties c where ST_Covers(c.geom, ST_PointOnSurface(${s}.geom)) order by c.code limit 1), ${s}.county_code)`

/** What callers may read: departments (undefined = all) with the categories they license, and a county. */
export interface ReadScope {
  departments?: readonly string[] | undefined
  categories?: readonly string[] | undefined
  countyCode?: string | undefined
}

export interface HazardFilter {
  state?: string | undefined
  grade?: string | undefined
  kind?: string | undefined
  countyCode?: string | undefined
  department?: string | undefined
  schoolId?: number | undefined
  overdue?: boolean | undefined
  open?: boolean | undefined
  ids?: readonly number[] | undefined
  /** Raw extra condition on alias h (the inbox). */
  where?: RawBuilder<boolean> | undefined
  limit: number
  offset: number
}

/** A hazard as read, with its school and premises names, overdue figures and current escalation step. */
export interface HazardRow {
  id: number
  school_id: number
  school_name: string
  premises_id: number | null
  premises_name: string | null
  premises_category: string | null
  kind: string
  grade: string
  title: string
  description: string | null
  position: { type: 'Point'; coordinates: number[] } | null
  source: string
  department: string
  county_code: string
  state: HazardState
  close_reason: string | null
  responsible_party: string | null
  measures: string | null
  funds: string | null
  deadline: string | null
  contingency_plan: string | null
  extension_deadline: string | null
  extension_reason: string | null
  extension_requested_by: number | null
  extension_requested_at: Date | null
  rectified_by: number | null
  rectified_at: Date | null
  accepted_by: number | null
  accepted_at: Date | null
  reported_up_at: Date | null
  found_at: Date
  closed_at: Date | null
  conflict_cleared_at: Date | null
  demo: boolean
  version: number
  created_by_name: string | null
  created_at: Date
  updated_at: Date
  overdue: boolean
  days_overdue: number
  escalation: string | null
  has_evidence: boolean
}

const selectHazard = sql`select h.id, h.school_id, s.name as school_name, h.premises_id, p.name as premises_name, p.category as premises_category,
    h.kind, h.grade, h.title, h.description, ${asGeoJson(sql`h.geom`)} as position, h.source, h.department, trim(h.county_code) as county_code,
    h.state, h.close_reason, h.responsible_party, h.measures, h.funds, h.deadline, h.contingency_plan,
    h.extension_deadline, h.extension_reason, h.extension_requested_by, h.extension_requested_at,
    h.rectified_by, h.rectified_at, h.accepted_by, h.accepted_at, h.reported_up_at, h.found_at, h.closed_at, h.conflict_cleared_at,
    h.demo, h.version, h.created_by_name, h.created_at, h.updated_at,
    ${overdueSql()} as overdue, ${daysOverdueSql}::int as days_overdue,
    case when ${overdueSql()} then (select e.step from hazard_escalations e join escalation_steps st on st.step = e.step
      where e.hazard_id = h.id and e.deadline = h.deadline order by st.rank desc limit 1) end as escalation,
    exists (select 1 from hazard_attachments a where a.hazard_id = h.id and a.phase in ('after', 'evidence')) as has_evidence
  from hazards h
  join schools s on s.id = h.school_id
  left join premises p on p.id = h.premises_id`

function conditions(scope: ReadScope, filter: Partial<HazardFilter>): RawBuilder<boolean> {
  const parts: RawBuilder<unknown>[] = [sql`true`]
  // The scope is part of every query's WHERE: a hazard outside it does not exist for the caller.
  if (scope.departments) {
    parts.push(
      sql`(h.department = any(${[...scope.departments]}::text[]) or (h.kind = 'zone_conflict' and p.category = any(${[...(scope.categories ?? [])]}::text[])))`,
    )
  }
  if (scope.countyCode) parts.push(sql`h.county_code = ${scope.countyCode}`)
  if (filter.state) parts.push(sql`h.state = ${filter.state}`)
  if (filter.grade) parts.push(sql`h.grade = ${filter.grade}`)
  if (filter.kind) parts.push(sql`h.kind = ${filter.kind}`)
  if (filter.countyCode) parts.push(sql`h.county_code = ${filter.countyCode}`)
  if (filter.department) parts.push(sql`h.department = ${filter.department}`)
  if (filter.schoolId) parts.push(sql`h.school_id = ${filter.schoolId}`)
  if (filter.overdue !== undefined) parts.push(filter.overdue ? overdueSql() : sql`not ${overdueSql()}`)
  if (filter.open !== undefined) parts.push(filter.open ? sql`h.state in ${OPEN}` : sql`h.state not in ${OPEN}`)
  if (filter.ids) parts.push(sql`h.id = any(${filter.ids.map(Math.trunc)}::int[])`)
  if (filter.where) parts.push(filter.where)
  return sql<boolean>`(${sql.join(parts, sql` and `)})`
}

/** The condition (on aliases h and p, as in selectHazard) that keeps a query to the hazards a scope may read. */
export const readScopeCondition = (scope: ReadScope): RawBuilder<boolean> => conditions(scope, {})

/** One page of hazards within the scope (overdue first, then newest), and the number matching. */
export async function listHazards(db: Db, scope: ReadScope, filter: HazardFilter): Promise<{ rows: HazardRow[]; numberMatched: number }> {
  const where = conditions(scope, filter)
  const { rows } = await sql<HazardRow>`${selectHazard} where ${where}
    order by ${overdueSql()} desc, h.deadline nulls last, h.id desc limit ${filter.limit} offset ${filter.offset}`.execute(db)
  const { rows: count } = await sql<{ n: number }>`select count(*)::int as n from hazards h
    join schools s on s.id = h.school_id left join premises p on p.id = h.premises_id where ${where}`.execute(db)
  return { rows, numberMatched: Number(count[0]!.n) }
}

/** One hazard (within the scope when one is given), optionally locked for update. */
export async function findHazard(db: Db, id: number, options: { scope?: ReadScope; lock?: boolean } = {}): Promise<HazardRow | undefined> {
  if (options.lock) await sql`select id from hazards where id = ${id} for update`.execute(db)
  const { rows } = await sql<HazardRow>`${selectHazard} where h.id = ${id} and ${conditions(options.scope ?? {}, {})}`.execute(db)
  return rows[0]
}

/** The school a hazard is opened at: its name and county (from its campus), or undefined. */
export async function schoolForHazard(
  db: Db,
  schoolId: number,
): Promise<{ id: number; name: string; county_code: string; lon: number; lat: number } | undefined> {
  const { rows } = await sql<{ id: number; name: string; county_code: string; lon: number; lat: number }>`
    select s.id, s.name, trim(${schoolCountySql()}) as county_code, ST_X(ST_PointOnSurface(s.geom)) as lon, ST_Y(ST_PointOnSurface(s.geom)) as lat
    from schools s where s.id = ${schoolId}`.execute(db)
  return rows[0]
}

/** A premises' category and position, or undefined. */
export async function premisesForHazard(
  db: Db,
  premisesId: number,
): Promise<{ id: number; category: string; lon: number; lat: number } | undefined> {
  const { rows } = await sql<{ id: number; category: string; lon: number; lat: number }>`
    select id, category, ST_X(geom) as lon, ST_Y(geom) as lat from premises where id = ${premisesId}`.execute(db)
  return rows[0]
}

export interface NewHazard {
  schoolId: number
  premisesId: number | null
  kind: string
  grade: string
  title: string
  description: string | null
  position: [number, number] | null
  source: string
  department: string
  countyCode: string
  state: string
  closeReason: string | null
  responsibleParty: string | null
  measures: string | null
  funds: string | null
  deadline: string | null
  contingencyPlan: string | null
  foundAt: string | null
  closed: boolean
  reportedUp: boolean
  demo?: boolean
  createdBy: { id: number; username: string } | null
}

/** Inserts hazards and returns their ids, in order. */
export async function insertHazards(db: Db, hazards: readonly NewHazard[]): Promise<number[]> {
  if (hazards.length === 0) return []
  const rows = await db
    .insertInto('hazards')
    .values(
      hazards.map((h) => ({
        school_id: h.schoolId,
        premises_id: h.premisesId,
        kind: h.kind,
        grade: h.grade,
        title: h.title,
        description: h.description,
        geom: h.position ? pointFromLonLat(h.position[0], h.position[1]) : null,
        source: h.source,
        department: h.department,
        county_code: h.countyCode,
        state: h.state,
        close_reason: h.closeReason,
        responsible_party: h.responsibleParty,
        measures: h.measures,
        funds: h.funds,
        deadline: h.deadline,
        contingency_plan: h.contingencyPlan,
        found_at: h.foundAt ?? sql<Date>`now()`,
        closed_at: h.closed ? sql<Date>`now()` : null,
        reported_up_at: h.reportedUp ? sql<Date>`now()` : null,
        demo: h.demo ?? false,
        created_by: h.createdBy?.id ?? null,
        created_by_name: h.createdBy?.username ?? null,
      })),
    )
    .returning('id')
    .execute()
  return rows.map((r) => r.id)
}

export interface HazardUpdate {
  state?: string
  grade?: string
  close_reason?: string
  closed?: boolean
  responsible_party?: string
  measures?: string
  funds?: string
  deadline?: string
  contingency_plan?: string
  rectified_by?: number | null
  accepted_by?: number
  extension?: { deadline: string; reason: string | null; requestedBy: number } | null
  reported_up?: boolean
}

/** Applies a transition's changes to a hazard at the version read; false when the version is stale. */
export async function updateHazard(db: Db, id: number, version: number, changes: HazardUpdate): Promise<boolean> {
  const set: Record<string, unknown> = { version: sql`version + 1`, updated_at: sql`now()` }
  for (const key of ['state', 'grade', 'close_reason', 'responsible_party', 'measures', 'funds', 'deadline', 'contingency_plan'] as const) {
    if (changes[key] !== undefined) set[key] = changes[key]
  }
  if (changes.closed) set.closed_at = sql`now()`
  if (changes.rectified_by !== undefined) {
    set.rectified_by = changes.rectified_by
    set.rectified_at = changes.rectified_by === null ? null : sql`now()`
  }
  if (changes.accepted_by !== undefined) {
    set.accepted_by = changes.accepted_by
    set.accepted_at = sql`now()`
  }
  if (changes.extension !== undefined) {
    const e = changes.extension
    set.extension_deadline = e?.deadline ?? null
    set.extension_reason = e?.reason ?? null
    set.extension_requested_by = e?.requestedBy ?? null
    set.extension_requested_at = e ? sql`now()` : null
  }
  if (changes.reported_up) set.reported_up_at = sql`coalesce(reported_up_at, now())`
  const result = await db.updateTable('hazards').set(set).where('id', '=', id).where('version', '=', version).executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export interface NewEvent {
  hazardId: number
  action: string
  fromState: string | null
  toState: string
  note: string | null
  fields: Record<string, unknown> | null
  actor: { id: number; username: string } | null
}

/** Appends events to hazards' histories. */
export async function insertEvents(db: Db, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return
  await db
    .insertInto('hazard_events')
    .values(
      events.map((e) => ({
        hazard_id: e.hazardId,
        action: e.action,
        from_state: e.fromState,
        to_state: e.toState,
        note: e.note,
        fields: e.fields ? JSON.stringify(e.fields) : null,
        actor: e.actor?.id ?? null,
        actor_name: e.actor?.username ?? null,
      })),
    )
    .execute()
}

/** A hazard's history, oldest first. */
export async function listEvents(db: Db, hazardId: number) {
  return db.selectFrom('hazard_events').selectAll().where('hazard_id', '=', hazardId).orderBy('id').execute()
}

/** The escalation steps a hazard took, in order. */
export async function listEscalations(db: Db, hazardId: number) {
  return db
    .selectFrom('hazard_escalations as e')
    .innerJoin('escalation_steps as st', 'st.step', 'e.step')
    .select(['e.step', 'e.deadline', 'e.days_overdue', 'e.at'])
    .where('e.hazard_id', '=', hazardId)
    .orderBy('e.at')
    .orderBy('st.rank')
    .execute()
}

/** The escalation ladder, lowest step first. */
export async function ladder(db: Db): Promise<{ step: string; days_overdue: number; name_zh: string }[]> {
  return db.selectFrom('escalation_steps').select(['step', 'days_overdue', 'name_zh']).orderBy('rank').execute()
}

/**
 * Records every escalation step that overdue hazards (all, or those listed) have reached and not yet taken for
 * their current deadline, each with its time and an event in the hazard's history. One statement, idempotent:
 * a step already taken is skipped by the primary key (on conflict do nothing), so two instances running it at
 * once record each step once. Returns how many steps were taken.
 */
export async function takeEscalations(db: Db, ids?: readonly number[]): Promise<number> {
  const only = ids ? sql`and h.id = any(${ids.map(Math.trunc)}::int[])` : sql``
  const { rows } = await sql<{ n: number }>`with taken as (
      insert into hazard_escalations (hazard_id, deadline, step, days_overdue)
      select h.id, h.deadline, st.step, ${TODAY} - h.deadline
      from hazards h join escalation_steps st on ${TODAY} - h.deadline >= st.days_overdue
      where ${overdueSql()} ${only}
      on conflict do nothing
      returning hazard_id, deadline, step, days_overdue
    ), noted as (
      insert into hazard_events (hazard_id, action, from_state, to_state, note, fields)
      select t.hazard_id, 'escalated', h.state, h.state, st.name_zh,
        jsonb_build_object('step', t.step, 'deadline', t.deadline, 'daysOverdue', t.days_overdue)
      from taken t join hazards h on h.id = t.hazard_id join escalation_steps st on st.step = t.step
      returning 1
    )
    select count(*)::int as n from noted`.execute(db)
  return Number(rows[0]?.n ?? 0)
}

/**
 * Opens a zone_conflict hazard (source audit, state warning) for every conflict among `pairs` (a relation of
 * premises_id, school_id) that has none yet, set-based in the caller's transaction: one INSERT … SELECT … ON
 * CONFLICT over the one-per-(premises, school) index. A conflict that comes back to a hazard noted cleared
 * reopens no second hazard: the hazard's cleared mark is lifted and the return noted. Returns how many were opened.
 */
export async function openConflictHazards(db: Db, pairs: RawBuilder<unknown>): Promise<number> {
  const { rows } = await sql<{ opened: number }>`with found as (
      select distinct pr.premises_id, pr.school_id from (${pairs}) pr
    ), ${openConflictHazardsSql(sql`found`)}
    select count(*) filter (where opened)::int as opened from written`.execute(db)
  return Number(rows[0]?.opened ?? 0)
}

/**
 * The common table expressions of openConflictHazards over `found`, a relation (a CTE of the caller's statement) of
 * distinct premises_id, school_id pairs, so that the statement writing the conflicts can open their hazards too
 * (data-modifying CTEs only run at the top of a statement). It ends with `written` (id, state, opened), the
 * hazards opened or reopened. Inserted in premises order: each new row's foreign-key check then finds its premises on
 * the page the previous one read.
 */
export function openConflictHazardsSql(found: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`sc as materialized (
      -- Materialized: the county is looked up once a school, not once a conflict.
      select s.id, s.name, ${schoolCountySql()} as county_code from schools s where s.id in (select school_id from ${found})
    ), written as (
      insert into hazards (school_id, premises_id, kind, grade, title, description, geom, source, department, county_code, state, found_at)
      select f.school_id, f.premises_id, 'zone_conflict', 'general',
        left(${categoryName} || '：' || p.name || '（' || sc.name || '安全区域内）', 200),
        '校园安全区域内的' || ${categoryName} || '（§3、§9），由审计或登记维护自动发现',
        p.geom, 'audit', ${departmentOfCategory}, sc.county_code, 'warning', now()
      from ${found} f join sc on sc.id = f.school_id join premises p on p.id = f.premises_id
      order by f.premises_id, f.school_id
      on conflict (premises_id, school_id) where kind = 'zone_conflict'
        do update set conflict_cleared_at = null
        where hazards.conflict_cleared_at is not null
      returning id, state, (xmax = 0) as opened
    ), noted as (
      insert into hazard_events (hazard_id, action, from_state, to_state, note)
      select id, case when opened then 'create' else 'conflict_returned' end, case when opened then null else state end, state,
        case when opened then '安全区域冲突自动立项' else '安全区域冲突再次出现' end
      from written
      returning 1
    )`
}

/**
 * Notes on their hazards the conflicts that are gone (among hazards matching `which`, alias h): the time in
 * conflict_cleared_at and an event; the hazard itself stays. Returns how many were noted.
 */
export async function noteClearedConflicts(db: Db, which: RawBuilder<boolean>): Promise<number> {
  const { rows } = await sql<{ n: number }>`with cleared as (
      update hazards h set conflict_cleared_at = now()
      where h.kind = 'zone_conflict' and h.conflict_cleared_at is null and h.premises_id is not null and ${which}
        and not exists (select 1 from conflicts c where c.premises_id = h.premises_id and c.school_id = h.school_id)
      returning h.id, h.state
    ), noted as (
      insert into hazard_events (hazard_id, action, from_state, to_state, note)
      select id, 'conflict_cleared', state, state, '安全区域冲突已消除（登记或规则变更后不再冲突）' from cleared
      returning 1
    )
    select count(*)::int as n from noted`.execute(db)
  return Number(rows[0]?.n ?? 0)
}

/**
 * Notes on their hazards the conflicts a statement has just deleted (`gone`, a relation of premises_id,
 * school_id), without looking the conflicts table up again. Returns how many were noted.
 */
export function noteGoneSql(gone: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`cleared as (
      update hazards h set conflict_cleared_at = now()
      from ${gone} g
      where h.kind = 'zone_conflict' and h.premises_id = g.premises_id and h.school_id = g.school_id and h.conflict_cleared_at is null
      returning h.id, h.state
    ), cleared_noted as (
      insert into hazard_events (hazard_id, action, from_state, to_state, note)
      select id, 'conflict_cleared', state, state, '安全区域冲突已消除（全面审计）' from cleared
      returning 1
    )`
}

export interface AttachmentRow {
  id: number
  hazard_id: number
  sha256: string
  content_type: string
  filename: string
  bytes: number
  phase: string
  created_by_name: string | null
  created_at: Date
}

/** Stores one attachment and returns it (without its content). */
export async function insertAttachment(
  db: Db,
  a: {
    hazardId: number
    sha256: string
    contentType: string
    filename: string
    content: Buffer
    phase: string
    createdBy: { id: number; username: string }
  },
): Promise<AttachmentRow> {
  return db
    .insertInto('hazard_attachments')
    .values({
      hazard_id: a.hazardId,
      sha256: a.sha256,
      content_type: a.contentType,
      filename: a.filename,
      bytes: a.content.length,
      phase: a.phase,
      content: a.content,
      created_by: a.createdBy.id,
      created_by_name: a.createdBy.username,
    })
    .returning(['id', 'hazard_id', 'sha256', 'content_type', 'filename', 'bytes', 'phase', 'created_by_name', 'created_at'])
    .executeTakeFirstOrThrow()
}

/** A hazard's attachments without their content, in order. */
export async function listAttachments(db: Db, hazardId: number): Promise<AttachmentRow[]> {
  return db
    .selectFrom('hazard_attachments')
    .select(['id', 'hazard_id', 'sha256', 'content_type', 'filename', 'bytes', 'phase', 'created_by_name', 'created_at'])
    .where('hazard_id', '=', hazardId)
    .orderBy('id')
    .execute()
}

/** One attachment of a hazard with its content, or undefined. */
export async function findAttachment(db: Db, hazardId: number, id: number) {
  return db
    .selectFrom('hazard_attachments')
    .select(['id', 'content_type', 'filename', 'bytes', 'sha256', 'content'])
    .where('hazard_id', '=', hazardId)
    .where('id', '=', id)
    .executeTakeFirst()
}

/** Today in China Standard Time (YYYY-MM-DD). */
export async function today(db: Db): Promise<string> {
  const { rows } = await sql<{ d: string }>`select to_char(now() at time zone 'Asia/Shanghai', 'YYYY-MM-DD') as d`.execute(db)
  return rows[0]!.d
}

/** Ids among `ids` that are hazards of this school. */
export async function hazardsOfSchool(db: Db, schoolId: number, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return []
  return (await db.selectFrom('hazards').select('id').where('school_id', '=', schoolId).where('id', 'in', ids).execute()).map((r) => r.id)
}

/** The categories a department licenses. */
export const categoriesOf = (department: string): PremisesCategory[] =>
  (Object.keys(LICENSING_DEPARTMENTS) as PremisesCategory[]).filter((c) => LICENSING_DEPARTMENTS[c].includes(department as never))

/** A school's inspection schedule: its own rows, else the defaults (school_id null), active ones only. */
const SCHEDULES = sql`(select distinct on (sch.id, d.level) sch.id as school_id, d.level, d.every, d.active, sch.created_at, sch.name as school_name, sch.county_code
    from schools sch
    join inspection_schedules d on (d.school_id = sch.id or d.school_id is null)
    order by sch.id, d.level, d.school_id nulls last)`

/** The CST day by which the next inspection is due, from the last one (or from the school's registration). */
const dueBy = sql`(case sc.every when 'daily' then base.day + 1 when 'weekly' then base.day + 7 else (base.day + interval '1 month')::date end)`

export interface DueRow {
  school_id: number
  school_name: string
  level: string
  every: string
  last_done_at: Date | null
  due_by: string
  overdue: boolean
}

/** The inspections due per school and level (all schools matching `schools`, alias sc), with whether they are missed. */
export async function inspectionsDue(
  db: Db,
  options: { schoolId?: number; levels?: readonly string[]; countyCode?: string | undefined; overdueOnly?: boolean; limit?: number },
): Promise<DueRow[]> {
  const parts: RawBuilder<unknown>[] = [sql`sc.active`]
  if (options.schoolId) parts.push(sql`sc.school_id = ${options.schoolId}`)
  if (options.levels) parts.push(sql`sc.level = any(${[...options.levels]}::text[])`)
  if (options.countyCode) parts.push(sql`sc.county_code = ${options.countyCode}`)
  const { rows } = await sql<DueRow>`select * from (
      select sc.school_id, sc.school_name, sc.level, sc.every, last.done_at as last_done_at, to_char(${dueBy}, 'YYYY-MM-DD') as due_by,
        ${TODAY} > ${dueBy} as overdue
      from ${SCHEDULES} sc
      left join lateral (select max(i.done_at) as done_at from inspections i where i.school_id = sc.school_id and i.level = sc.level) last on true
      cross join lateral (select coalesce((last.done_at at time zone 'Asia/Shanghai')::date, (sc.created_at at time zone 'Asia/Shanghai')::date) as day) base
      where ${sql.join(parts, sql` and `)}
    ) d ${options.overdueOnly ? sql`where d.overdue` : sql``}
    order by d.due_by, d.school_id, d.level ${options.limit ? sql`limit ${options.limit}` : sql``}`.execute(db)
  return rows
}

/** How many inspections are missed (per the schedules), within a county if given. */
export async function countInspectionsOverdue(db: Db, levels: readonly string[], countyCode?: string): Promise<number> {
  return (await inspectionsDue(db, { levels, countyCode, overdueOnly: true })).length
}

export interface InspectionRow {
  id: number
  school_id: number
  level: string
  done_at: Date
  inspector: string
  checklist: unknown
  findings: string | null
  hazard_ids: number[]
  county_code: string
  created_by_name: string | null
  created_at: Date
}

/** Stores an inspection record. */
export async function insertInspection(
  db: Db,
  i: {
    schoolId: number
    level: string
    doneAt: string | null
    inspector: string
    checklist: unknown
    findings: string | null
    hazardIds: number[]
    countyCode: string
    demo?: boolean
    createdBy: { id: number; username: string } | null
  },
): Promise<InspectionRow> {
  const { rows } =
    await sql<InspectionRow>`insert into inspections (school_id, level, done_at, inspector, checklist, findings, hazard_ids, county_code, demo, created_by, created_by_name)
    values (${i.schoolId}, ${i.level}, coalesce(${i.doneAt}::timestamptz, now()), ${i.inspector}, ${JSON.stringify(i.checklist)}::jsonb, ${i.findings},
      ${i.hazardIds}::int[], ${i.countyCode}, ${i.demo ?? false}, ${i.createdBy?.id ?? null}, ${i.createdBy?.username ?? null})
    returning id, school_id, level, done_at, inspector, checklist, findings, hazard_ids, trim(county_code) as county_code, created_by_name, created_at`.execute(
      db,
    )
  return rows[0]!
}

/** One page of a school's inspections, newest first, and the number matching. */
export async function listInspections(
  db: Db,
  filter: { schoolId: number; level?: string | undefined; limit: number; offset: number },
): Promise<{ rows: InspectionRow[]; numberMatched: number }> {
  const level = filter.level ? sql`and level = ${filter.level}` : sql``
  const { rows } =
    await sql<InspectionRow>`select id, school_id, level, done_at, inspector, checklist, findings, hazard_ids, trim(county_code) as county_code, created_by_name, created_at
    from inspections where school_id = ${filter.schoolId} ${level} order by done_at desc, id desc limit ${filter.limit} offset ${filter.offset}`.execute(
      db,
    )
  const { rows: count } = await sql<{
    n: number
  }>`select count(*)::int as n from inspections where school_id = ${filter.schoolId} ${level}`.execute(db)
  return { rows, numberMatched: Number(count[0]!.n) }
}

/** Marks the hazards of demo schools as demo data. */
export async function markDemoHazards(db: Db): Promise<void> {
  await sql`update hazards h set demo = true from schools s where s.id = h.school_id and s.demo and not h.demo`.execute(db)
}

/** The first `limit` open zone_conflict hazards of demo schools, by id, with the department responsible. */
export async function demoConflictHazards(db: Db, limit: number): Promise<{ id: number; department: string; version: number }[]> {
  return db
    .selectFrom('hazards')
    .select(['id', 'department', 'version'])
    .where('kind', '=', 'zone_conflict')
    .where('demo', '=', true)
    .where('state', '=', 'warning')
    .orderBy('id')
    .limit(limit)
    .execute()
}

/** Demo schools (by id) for hazards of other kinds. */
export async function demoSchoolIds(db: Db, limit: number): Promise<number[]> {
  return (await db.selectFrom('schools').select('id').where('demo', '=', true).orderBy('id').limit(limit).execute()).map((r) => r.id)
}

/**
 * A demo inspection record for every demo school at each level, recent enough to be on time, except that every
 * twentieth school's last daily one, every thirtieth's weekly one and every fiftieth's monthly one are older than
 * their period, so that missed inspections show.
 */
export async function insertDemoInspections(db: Db): Promise<number> {
  const result = await sql`insert into inspections (school_id, level, done_at, inspector, checklist, findings, county_code, demo)
    select s.id, l.level, now() - case when s.id % l.every_nth = 0 then l.late else l.ago end, l.inspector,
      '[{"item":"gate_guard","result":"ok"},{"item":"fire_equipment","result":"ok"},{"item":"evacuation_routes","result":"ok"},{"item":"surroundings","result":"ok"}]'::jsonb,
      '未发现新问题（演示）', s.county_code, true
    from schools s
    cross join (values ('school', interval '3 hours', interval '3 days', '值班教师（演示）', 20),
      ('township', interval '2 days', interval '10 days', '乡镇综治办（演示）', 30),
      ('county', interval '12 days', interval '40 days', '县综治办（演示）', 50)) as l(level, ago, late, inspector, every_nth)
    where s.demo`.execute(db)
  return Number(result.numAffectedRows ?? 0)
}
