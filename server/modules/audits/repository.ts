import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import type { Audit } from '../../schemas/zones.ts'
import type { Actor } from '../../schemas/auth.ts'
import { redrawZones, staleZoneSchools } from '../zones/maintenance.ts'
import { settleWalking } from '../roads/walking.ts'
import { pairsSql, rulesInForce, type PairQuery } from '../zones/pairs.ts'
import * as zones from '../zones/repository.ts'
import { noteGoneSql, openConflictHazardsSql } from '../hazards/repository.ts'

type Db = Kysely<Database> | Transaction<Database>

/** A row of `audits` (migrations/0002_zoning.ts), as read. */
export interface AuditRow {
  id: number
  status: Audit['status']
  started_at: Date
  finished_at: Date | null
  started_by_name: string | null
  schools_total: number
  schools_done: number
  first_log_id: number
  /** Whether a full recomputation was asked for. */
  requested_full: boolean
  mode: 'full' | 'incremental' | null
  summary: Audit['summary']
  error: string | null
}

/** One audit, or undefined. */
export async function findAudit(db: Db, id: number): Promise<AuditRow | undefined> {
  const { rows } = await sql<AuditRow>`select * from audits where id = ${id}`.execute(db)
  return rows[0]
}

/** The latest audits, newest first. */
export async function listAudits(db: Db, limit: number): Promise<AuditRow[]> {
  const { rows } = await sql<AuditRow>`select * from audits order by id desc limit ${limit}`.execute(db)
  return rows
}

/** Marks audits still running as failed and drops the staged pairs of audits no longer running. */
export async function failRunningAudits(db: Db, error: string, lockClass: number | null): Promise<void> {
  // With a lock class, an audit counts as interrupted only when its lock is free (taken here until this statement's
  // transaction ends, so it is not run and failed at once); another instance running it holds the lock.
  await sql`update audits set status = 'failed', finished_at = now(), error = ${error}
    where status = 'running' and (${lockClass}::int is null or pg_try_advisory_xact_lock(${lockClass}::int, id))`.execute(db)
  await sql`delete from audit_pairs where audit_id not in (select id from audits where status = 'running')`.execute(db)
}

/** Locks the audits table against a second start until the caller's transaction ends; returns the running audit's id, if any. */
export async function lockAndFindRunning(trx: Transaction<Database>): Promise<number | undefined> {
  await sql`lock table audits in exclusive mode`.execute(trx)
  const { rows } = await sql<{ id: number }>`select id from audits where status = 'running'`.execute(trx)
  return rows[0]?.id
}

/** Inserts a running audit over every school, noting where the audit log stands now. */
export async function insertAudit(db: Db, actor: Actor, full = false): Promise<AuditRow> {
  const { rows } = await sql<AuditRow>`insert into audits (status, started_by, started_by_name, schools_total, first_log_id, requested_full)
    values ('running', ${actor.user?.id ?? null}, ${actor.user?.username ?? null}, (select count(*) from schools), (select coalesce(max(id), 0) from audit_log), ${full})
    returning *`.execute(db)
  return rows[0]!
}

/** Every school id, in order. */
export async function schoolIds(db: Db): Promise<number[]> {
  const rows = await db.selectFrom('schools').select('id').orderBy('id').execute()
  return rows.map((r) => r.id)
}

/**
 * A part of the pairs an audit compares: the pairs found by `query`, against the stored conflicts for which
 * `holds` is true (a predicate over premises_id and school_id of the alias it is given). The two must describe the
 * same pairs: every pair the query can find satisfies `holds`, and parts run side by side never overlap.
 */
export interface AuditPart {
  query: PairQuery
  holds: (alias: RawBuilder<unknown>) => RawBuilder<boolean>
}

/** The part of the schools with ids in [first, last] (every premises). */
export function schoolRangePart(first: number, last: number): AuditPart {
  return {
    query: { schoolFilter: sql<boolean>`s.id between ${first} and ${last}`, premisesFilter: sql<boolean>`true` },
    holds: (a) => sql<boolean>`${a}.school_id between ${first} and ${last}`,
  }
}

/**
 * Compares the pairs found now for the schools with ids in [first, last] with the conflicts stored for them and
 * stages only the difference (stagePart). Returns how many rows were staged.
 */
export async function stageDifference(db: Db, auditId: number, first: number, last: number): Promise<number> {
  return stagePart(db, auditId, schoolRangePart(first, last))
}

/**
 * Compares the pairs of one part found now with the conflicts stored for it and stages only the difference for
 * the audit ('add': found, not stored; 'remove': stored, not found — also a conflict of a school or premises that
 * no longer exists; 'change': stored with another band, rule, path or, under a walking rule, another measurement).
 * Nothing is written when the stored conflicts are right. Returns how many rows were staged.
 */
export async function stagePart(db: Db, auditId: number, part: AuditPart): Promise<number> {
  const query = part.query
  const walking = await zones.anyWalkingRule(db)
  // Walking pairs are found outside SQL (the walk): staged as 'found' first, compared below, then dropped.
  if (walking)
    await zones.insertWalkingPairs(db, { table: 'audit_pairs', auditId }, await settleWalking(db, await zones.walkingCandidates(db, query)))
  const pair = sql`f.premises_id = c.premises_id and f.school_id = c.school_id`
  const { numAffectedRows } = await sql`insert into audit_pairs (audit_id, diff, premises_id, school_id, rule_id, rule_version, band, path,
      distance_m, straight_m, gate_index, measured_by, measure_note, route)
    with found as (
      select premises_id, school_id, rule_id, rule_version, band, 'straight'::text as path, null::float8 as distance_m, null::float8 as straight_m,
        null::int as gate_index, null::text as measured_by, null::text as measure_note, null::geometry as route
      from (${pairsSql(query)}) p where p.path = 'straight'
      union all
      select premises_id, school_id, rule_id, rule_version, band, path, distance_m, straight_m, gate_index, measured_by, measure_note, route
      from audit_pairs w where w.audit_id = ${auditId} and w.diff = 'found' and ${part.holds(sql.raw('w'))}
    ), stored as (
      select * from conflicts c where ${part.holds(sql.raw('c'))}
    )
    select ${auditId}, case when c.premises_id is null then 'add' when f.premises_id is null then 'remove' else 'change' end,
      coalesce(f.premises_id, c.premises_id), coalesce(f.school_id, c.school_id), coalesce(f.rule_id, c.rule_id), coalesce(f.rule_version, c.rule_version),
      coalesce(f.band, c.band), coalesce(f.path, c.path), f.distance_m, f.straight_m, f.gate_index, f.measured_by, f.measure_note, f.route
    from found f full join stored c on ${pair}
    where f.premises_id is null or c.premises_id is null
      or (f.band, f.rule_id, f.rule_version, f.path) is distinct from (c.band, c.rule_id, c.rule_version, c.path)
      -- A walking pair whose route moved counts as changed too (its figures are what the desk shows).
      or (f.path = 'walking' and ((f.distance_m, f.measured_by, f.gate_index) is distinct from (c.distance_m, c.measured_by, c.gate_index)
        or not coalesce(ST_Equals(f.route, c.route), f.route is null and c.route is null)))`.execute(db)
  if (walking)
    await sql`delete from audit_pairs w where w.audit_id = ${auditId} and w.diff = 'found' and ${part.holds(sql.raw('w'))}`.execute(db)
  return Number(numAffectedRows ?? 0)
}

/**
 * Redraws the stored zones of the schools with ids in [first, last] that are stale (redrawStaleZonesWhere).
 * Returns how many schools it redrew.
 */
export async function redrawStaleZonesLocked(db: Kysely<Database>, first: number, last: number): Promise<number> {
  return redrawStaleZonesWhere(db, sql<boolean>`s.id between ${first} and ${last}`)
}

/**
 * Redraws the stored zones of the schools matching the filter (alias s) that are stale (zones/maintenance.ts
 * staleZoneSchools), under their row locks and checked again once locked, so that an edit of one of them waits
 * and then redraws on top, never beside. Writes nothing when every band is current. Returns how many schools it redrew.
 */
export async function redrawStaleZonesWhere(db: Kysely<Database>, filter: RawBuilder<boolean>): Promise<number> {
  const stale = await staleZoneSchools(db, filter)
  if (stale.length === 0) return 0
  return db.transaction().execute(async (trx) => {
    await markAuditWriting(trx)
    const ids = sql`${stale}::int[]`
    await sql`select id from schools where id = any(${ids}) order by id for update`.execute(trx)
    const still = await staleZoneSchools(trx, sql<boolean>`s.id = any(${ids})`)
    if (still.length > 0) await redrawZones(trx, sql<boolean>`s.id = any(${sql`${still}::int[]`})`)
    return still.length
  })
}

/**
 * Marks the caller's transaction as an audit's: the conflicts and zones it writes are not noted as changes
 * (migrations/0018_audit_changes.ts), since the audit has just recomputed them; their digests are kept all the same.
 */
export async function markAuditWriting(trx: Transaction<Database>): Promise<void> {
  await sql`select set_config('audits.writing', 'on', true)`.execute(trx)
}

/** The database's snapshot now (pg_snapshot as text): what an audit starting now sees as already written. */
export async function currentSnapshot(db: Db): Promise<string> {
  const { rows } = await sql<{ s: string }>`select pg_current_snapshot()::text as s`.execute(db)
  return rows[0]!.s
}

/** A rule in force, as an audit records the set it computed with. */
export interface RuleInForce {
  id: number
  version: number
  category: string
  school_type: string
  path: string
}

/** The rules in force now (China Standard Time). */
export async function rulesInForceNow(db: Db): Promise<RuleInForce[]> {
  const { rows } =
    await sql<RuleInForce>`select r.id, r.version, r.category, r.school_type, r.path from ${rulesInForce} r order by r.id`.execute(db)
  return rows
}

/** The latest complete audit that recorded what it started from, if any. */
export async function lastCompleteAudit(db: Db): Promise<{ id: number; since: string; rules: RuleInForce[] } | undefined> {
  const { rows } = await sql<{ id: number; since: string; rules_in_force: RuleInForce[] }>`
    select id, since::text as since, rules_in_force from audits
    where status = 'done' and since is not null and rules_in_force is not null order by id desc limit 1`.execute(db)
  const row = rows[0]
  return row ? { id: row.id, since: row.since, rules: row.rules_in_force } : undefined
}

/** What was noted as changed by transactions a snapshot does not see; ids only when at most `limit` of a kind. */
export interface ChangeSet {
  all: boolean
  walking: boolean
  premises: number[] | null
  schools: number[] | null
  scopes: { category: string; school_type: string }[]
}

/** The changes noted (migrations/0018_audit_changes.ts) by transactions the snapshot does not see. */
export async function changesSince(db: Db, snapshot: string, limit: number): Promise<ChangeSet> {
  const since = sql`${snapshot}::pg_snapshot`
  const { rows } = await sql<{
    all: boolean
    walking: boolean
    premises_n: number
    schools_n: number
    premises: number[] | null
    schools: number[] | null
    scopes: { category: string; school_type: string }[] | null
  }>`with noted as materialized (
      select kind, entity_id, category, school_type from audit_changes
      where xid >= pg_snapshot_xmin(${since}) and not pg_visible_in_snapshot(xid, ${since})
    ), counted as (
      select count(distinct entity_id) filter (where kind = 'premises')::int as premises_n,
        count(distinct entity_id) filter (where kind = 'school')::int as schools_n
      from noted
    )
    select bool_or(kind = 'all') is true as all, bool_or(kind = 'walking') is true as walking, k.premises_n, k.schools_n,
      case when k.premises_n <= ${limit} then coalesce(array_agg(distinct entity_id) filter (where kind = 'premises'), '{}') end as premises,
      case when k.schools_n <= ${limit} then coalesce(array_agg(distinct entity_id) filter (where kind = 'school'), '{}') end as schools,
      (select json_agg(distinct jsonb_build_object('category', category, 'school_type', school_type)) from noted where kind = 'rule') as scopes
    from noted cross join counted k group by k.premises_n, k.schools_n`.execute(db)
  const row = rows[0]
  if (!row) return { all: false, walking: false, premises: [], schools: [], scopes: [] }
  return {
    all: row.all,
    walking: row.walking,
    premises: row.premises?.map(Number) ?? null,
    schools: row.schools?.map(Number) ?? null,
    scopes: row.scopes ?? [],
  }
}

/**
 * Whether the conflicts and drawn zones stored are what their digests (kept by triggers) say: the same row
 * count and the same sum of row hashes. They differ when rows were written with the triggers off. One
 * statement, so one snapshot for the tables and their digests.
 */
export async function digestsMatch(db: Db): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`select
      (select (count(*)::numeric, coalesce(sum(c.row_digest), 0)::numeric) from conflicts c)
        = (select (coalesce(sum(row_count), 0)::numeric, coalesce(sum(digest), 0)::numeric) from audit_digests where table_name = 'conflicts')
      and (select (count(*)::numeric, coalesce(sum(school_zone_digest(z)), 0)::numeric) from school_zones z)
        = (select (coalesce(sum(row_count), 0)::numeric, coalesce(sum(digest), 0)::numeric) from audit_digests where table_name = 'school_zones') as ok`.execute(
    db,
  )
  return rows[0]!.ok === true
}

/**
 * Folds each table's digest deltas into one row. After a full audit (`recount`) the conflicts' and zones' digests are
 * set from the tables themselves instead: what the audit left is right by construction. One statement per table
 * (one snapshot): a delta of a transaction still open is not seen, so it is neither dropped nor counted twice.
 * Returns how many conflicts are stored.
 */
export async function settleDigests(db: Db, recount: boolean): Promise<number> {
  for (const [table, digest] of [
    ['conflicts', sql`x.row_digest`],
    ['school_zones', sql`school_zone_digest(x)`],
  ] as const) {
    const t = sql.table(table)
    if (recount)
      await sql`with gone as (delete from audit_digests where table_name = ${table})
        insert into audit_digests (table_name, row_count, digest) select ${table}, count(*), coalesce(sum(${digest}), 0) from ${t} x`.execute(
        db,
      )
    else
      await sql`with gone as (
          delete from audit_digests where table_name = ${table} and (select count(*) from audit_digests where table_name = ${table}) > 1
          returning row_count, digest
        )
        insert into audit_digests (table_name, row_count, digest) select ${table}, sum(row_count), sum(digest) from gone having count(*) > 0`.execute(
        db,
      )
  }
  // The conflicts' row count, as the digest now holds it (the same as count(*) under the audit's lock of the table).
  const { rows } = await sql<{
    n: number
  }>`select coalesce(sum(row_count), 0)::int as n from audit_digests where table_name = 'conflicts'`.execute(db)
  return Number(rows[0]!.n)
}

/** Forgets the changes every transaction of the snapshot saw (a complete audit started from it has taken them in). */
export async function forgetChangesBefore(db: Db, snapshot: string): Promise<void> {
  await sql`delete from audit_changes where xid < pg_snapshot_xmin(${snapshot}::pg_snapshot)`.execute(db)
}

/** Stores the audit's progress (never backwards: chunks running at once may report out of order). */
export async function setProgress(db: Db, auditId: number, done: number, total: number): Promise<void> {
  await sql`update audits set schools_done = greatest(schools_done, ${done}::int), schools_total = ${total} where id = ${auditId}`.execute(
    db,
  )
}

/**
 * Applies the audit's staged difference to the conflicts under an exclusive lock of the conflicts table, and
 * empties the staging set; returns how many pairs were added, removed and changed. The conflicts gone are noted
 * on their hazards, the new ones open theirs. With nothing staged nothing is written.
 */
export async function applyDifference(
  trx: Transaction<Database>,
  auditId: number,
): Promise<{ added: number; removed: number; changed: number }> {
  await sql`lock table conflicts in exclusive mode`.execute(trx)
  const { rows: staged } = await sql<{ n: number }>`select count(*)::int as n from audit_pairs where audit_id = ${auditId}`.execute(trx)
  if (Number(staged[0]!.n) === 0) return { added: 0, removed: 0, changed: 0 }
  // The staged rows were just written: without fresh statistics the planner takes them for a handful and joins
  // 200,000 new conflicts to their schools by nested loops (minutes instead of seconds).
  await sql`analyze audit_pairs`.execute(trx)
  // The first audit sorts and joins 200,000 rows a statement: in the default 4 MB they spill to disk.
  await sql`select set_config('work_mem', '64MB', true)`.execute(trx)
  const pair = sql`a.premises_id = c.premises_id and a.school_id = c.school_id`
  const affected = async (query: ReturnType<typeof sql>) => Number((await query.execute(trx)).numAffectedRows ?? 0)
  // A school or premises deleted while the chunks ran took its conflicts along (and is not re-applied): what was
  // found for it is dropped, not written back (its hazard could not even be stored).
  const stillThere = sql`exists (select 1 from schools s where s.id = a.school_id) and exists (select 1 from premises p where p.id = a.premises_id)`
  // The conflicts gone are noted on their hazards in the same statement (hazards/repository.ts noteGoneSql).
  const { rows: gone } = await sql<{ n: number }>`with gone as (
      delete from conflicts c using audit_pairs a where a.audit_id = ${auditId} and a.diff = 'remove' and ${pair}
      returning c.premises_id, c.school_id
    ), ${noteGoneSql(sql`gone`)}
    select count(*)::int as n from gone`.execute(trx)
  const removed = Number(gone[0]!.n)
  const set = sql`band = a.band, rule_id = a.rule_id, rule_version = a.rule_version, path = a.path, distance_m = a.distance_m,
    straight_m = a.straight_m, gate_index = a.gate_index, measured_by = a.measured_by, measure_note = a.measure_note, route = a.route`
  const changed = await affected(
    sql`update conflicts c set ${set} from audit_pairs a where a.audit_id = ${auditId} and a.diff = 'change' and ${pair}`,
  )
  // Ordered by the primary key: the new index entries then land page after page. The new conflicts open their
  // hazards (each unless it has one already) in the same statement, from the rows the insert returns, rather than
  // reading the staged pairs and checking their schools and premises a second time.
  const { rows: inserted } = await sql<{ n: number }>`with added as (
      insert into conflicts as c (premises_id, school_id, rule_id, rule_version, band, path, distance_m, straight_m, gate_index, measured_by, measure_note, route)
      select a.premises_id, a.school_id, a.rule_id, a.rule_version, a.band, a.path, a.distance_m, a.straight_m, a.gate_index, a.measured_by, a.measure_note, a.route
      from audit_pairs a where a.audit_id = ${auditId} and a.diff = 'add' and ${stillThere}
      order by a.premises_id, a.school_id
      on conflict (premises_id, school_id) do update set ${sql.raw(
        'band = excluded.band, rule_id = excluded.rule_id, rule_version = excluded.rule_version, path = excluded.path, distance_m = excluded.distance_m, straight_m = excluded.straight_m, gate_index = excluded.gate_index, measured_by = excluded.measured_by, measure_note = excluded.measure_note, route = excluded.route',
      )}
      returning c.premises_id, c.school_id
    ), ${openConflictHazardsSql(sql`added`)}
    select count(*)::int as n from added`.execute(trx)
  const added = Number(inserted[0]!.n)
  await sql`delete from audit_pairs where audit_id = ${auditId}`.execute(trx)
  return { added, removed, changed }
}

/** Schools, premises and rules written (per the audit log) since the audit started, each once. */
export async function touchedSince(db: Db, auditId: number): Promise<{ entity_type: string; entity_id: string }[]> {
  const { rows } = await sql<{ entity_type: string; entity_id: string }>`
    select distinct entity_type, entity_id from audit_log
    where id > (select first_log_id from audits where id = ${auditId}) and entity_type in ('school', 'premises', 'rule') and entity_id is not null`.execute(
    db,
  )
  return rows
}

/** Those of the ids that still exist in the table. */
export async function existingIds(db: Db, table: 'schools' | 'premises', ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return []
  return (await db.selectFrom(table).select('id').where('id', 'in', ids).execute()).map((r) => r.id)
}

/** What a rule governs (category × school type), or undefined when it is gone. */
export async function ruleScope(db: Db, ruleId: number): Promise<{ category: string; school_type: string } | undefined> {
  return db.selectFrom('rules').select(['category', 'school_type']).where('id', '=', ruleId).executeTakeFirst()
}

/**
 * Marks the audit done with its summary; with `basis`, also what it computed from (the snapshot it started from
 * and the rules in force), which makes it the starting point of the next incremental audit.
 */
export async function finishAudit(
  db: Db,
  auditId: number,
  summary: NonNullable<Audit['summary']>,
  basis?: { mode: 'full' | 'incremental'; since: string; rules: RuleInForce[] },
): Promise<void> {
  await sql`update audits set status = 'done', finished_at = now(), summary = ${JSON.stringify(summary)}::jsonb, schools_done = schools_total,
      mode = ${basis?.mode ?? null}, since = ${basis?.since ?? null}::pg_snapshot, rules_in_force = ${basis ? JSON.stringify(basis.rules) : null}::jsonb
    where id = ${auditId}`.execute(db)
}

/** Marks the audit failed with the error's message and drops its staged pairs (best effort: errors are swallowed). */
export async function failAudit(db: Db, auditId: number, message: string): Promise<void> {
  await sql`update audits set status = 'failed', finished_at = now(), error = ${message} where id = ${auditId}`.execute(db).catch(() => {})
  await sql`delete from audit_pairs where audit_id = ${auditId}`.execute(db).catch(() => {})
}
