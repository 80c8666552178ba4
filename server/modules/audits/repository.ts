import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import type { Audit } from '../../schemas/zones.ts'
import type { Actor } from '../../schemas/auth.ts'
import { redrawZones } from '../zones/maintenance.ts'
import { settleWalking } from '../roads/walking.ts'
import { pairsSql } from '../zones/pairs.ts'
import * as zones from '../zones/repository.ts'
import { noteGoneSql, openConflictHazards } from '../hazards/repository.ts'

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
export async function insertAudit(db: Db, actor: Actor): Promise<AuditRow> {
  const { rows } = await sql<AuditRow>`insert into audits (status, started_by, started_by_name, schools_total, first_log_id)
    values ('running', ${actor.user?.id ?? null}, ${actor.user?.username ?? null}, (select count(*) from schools), (select coalesce(max(id), 0) from audit_log))
    returning *`.execute(db)
  return rows[0]!
}

/** Every school id, in order. */
export async function schoolIds(db: Db): Promise<number[]> {
  const rows = await db.selectFrom('schools').select('id').orderBy('id').execute()
  return rows.map((r) => r.id)
}

/** Stages the pairs of the schools with ids in [first, last] for the audit. */
export async function stagePairs(db: Db, auditId: number, first: number, last: number): Promise<void> {
  const query = { schoolFilter: sql<boolean>`s.id between ${first} and ${last}`, premisesFilter: sql<boolean>`true` }
  await sql`insert into audit_pairs (audit_id, premises_id, school_id, rule_id, rule_version, band)
    select ${auditId}, premises_id, school_id, rule_id, rule_version, band
    from (${pairsSql(query)}) found where found.path = 'straight'`.execute(db)
  if (!(await zones.anyWalkingRule(db))) return
  await zones.insertWalkingPairs(db, { table: 'audit_pairs', auditId }, await settleWalking(db, await zones.walkingCandidates(db, query)))
}

/**
 * Redraws the stored zones of the schools with ids in [first, last] under their row locks, so that an
 * edit of one of them waits and then redraws on top, never beside.
 */
export async function redrawZonesLocked(db: Kysely<Database>, first: number, last: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`select id from schools where id between ${first} and ${last} order by id for update`.execute(trx)
    await redrawZones(trx, sql<boolean>`s.id between ${first} and ${last}`)
  })
}

/** Stores the audit's progress. */
export async function setProgress(db: Db, auditId: number, done: number, total: number): Promise<void> {
  await sql`update audits set schools_done = ${done}, schools_total = ${total} where id = ${auditId}`.execute(db)
}

/**
 * Replaces the conflicts by the audit's staged pairs under an exclusive lock of the conflicts table, and
 * empties the staging set; returns how many pairs were added, removed and changed.
 */
export async function replaceConflicts(
  trx: Transaction<Database>,
  auditId: number,
): Promise<{ added: number; removed: number; changed: number }> {
  await sql`lock table conflicts in exclusive mode`.execute(trx)
  const pair = sql`a.premises_id = c.premises_id and a.school_id = c.school_id`
  const affected = async (query: ReturnType<typeof sql>) => Number((await query.execute(trx)).numAffectedRows ?? 0)
  // Gone, then changed, then the pairs already stored are dropped from the staging set so that what
  // remains is inserted without reading the table being written (an anti-join over conflicts while
  // inserting into it crawls: each new index entry needs a heap visit).
  // The conflicts gone are noted on their hazards in the same statement (hazards/repository.ts noteGoneSql).
  const { rows: gone } = await sql<{ n: number }>`with gone as (
      delete from conflicts c where not exists (select 1 from audit_pairs a where a.audit_id = ${auditId} and ${pair})
      returning c.premises_id, c.school_id
    ), ${noteGoneSql(sql`gone`)}
    select count(*)::int as n from gone`.execute(trx)
  const removed = Number(gone[0]!.n)
  // A walking pair whose route moved counts as changed too (its figures are what the desk shows).
  const changed =
    await affected(sql`update conflicts c set band = a.band, rule_id = a.rule_id, rule_version = a.rule_version, path = a.path,
      distance_m = a.distance_m, straight_m = a.straight_m, gate_index = a.gate_index, measured_by = a.measured_by, measure_note = a.measure_note, route = a.route
    from audit_pairs a where a.audit_id = ${auditId} and ${pair}
      and ((a.band, a.rule_id, a.rule_version, a.path) is distinct from (c.band, c.rule_id, c.rule_version, c.path)
        or (a.path = 'walking' and ((a.distance_m, a.measured_by, a.gate_index) is distinct from (c.distance_m, c.measured_by, c.gate_index)
          or not coalesce(ST_Equals(a.route, c.route), a.route is null and c.route is null))))`)
  await sql`delete from audit_pairs a using conflicts c where a.audit_id = ${auditId} and ${pair}`.execute(trx)
  const added =
    await affected(sql`insert into conflicts (premises_id, school_id, rule_id, rule_version, band, path, distance_m, straight_m, gate_index, measured_by, measure_note, route)
    select a.premises_id, a.school_id, a.rule_id, a.rule_version, a.band, a.path, a.distance_m, a.straight_m, a.gate_index, a.measured_by, a.measure_note, a.route
    from audit_pairs a where a.audit_id = ${auditId}`)
  // What remains staged are the new conflicts: each opens its hazard, unless it has one already.
  await openConflictHazards(trx, sql`select premises_id, school_id from audit_pairs where audit_id = ${auditId}`)
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

/** How many conflicts are stored. */
export async function countConflicts(db: Db): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from conflicts`.execute(db)
  return Number(rows[0]!.n)
}

/** Marks the audit done with its summary. */
export async function finishAudit(db: Db, auditId: number, summary: NonNullable<Audit['summary']>): Promise<void> {
  await sql`update audits set status = 'done', finished_at = now(), summary = ${JSON.stringify(summary)}::jsonb, schools_done = schools_total where id = ${auditId}`.execute(
    db,
  )
}

/** Marks the audit failed with the error's message and drops its staged pairs (best effort: errors are swallowed). */
export async function failAudit(db: Db, auditId: number, message: string): Promise<void> {
  await sql`update audits set status = 'failed', finished_at = now(), error = ${message} where id = ${auditId}`.execute(db).catch(() => {})
  await sql`delete from audit_pairs where audit_id = ${auditId}`.execute(db).catch(() => {})
}
