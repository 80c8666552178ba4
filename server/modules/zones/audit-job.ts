import { sql, type Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, notFound } from '../../errors.ts'
import type { Audit } from '../../schemas/zones.ts'
import type { Actor } from '../audit-log/repository.ts'
import { appendAudit } from '../audit-log/repository.ts'
import { redrawZones, refreshForPremises, refreshForRule, refreshForSchools } from './maintenance.ts'
import { pairsSql } from './pairs.ts'

const CHUNK_SCHOOLS = 2000

interface AuditRow {
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

const auditOf = (row: AuditRow): Audit => ({
  id: row.id,
  status: row.status,
  startedAt: new Date(row.started_at).toISOString(),
  finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
  startedBy: row.started_by_name,
  progress: row.status === 'done' ? 1 : row.schools_total === 0 ? 0 : Math.min(0.99, row.schools_done / row.schools_total),
  schoolsDone: row.schools_done,
  schoolsTotal: row.schools_total,
  summary: row.summary,
  error: row.error,
})

/** One audit's progress and result. */
export async function getAudit(db: Kysely<Database>, id: number): Promise<Audit> {
  const { rows } = await sql<AuditRow>`select * from audits where id = ${id}`.execute(db)
  if (!rows[0]) throw notFound('audit', id)
  return auditOf(rows[0])
}

/** The latest audits, newest first. */
export async function listAudits(db: Kysely<Database>, limit = 20): Promise<Audit[]> {
  const { rows } = await sql<AuditRow>`select * from audits order by id desc limit ${limit}`.execute(db)
  return rows.map(auditOf)
}

/** Marks audits left running by a stopped process as failed (run at start). */
export async function failInterruptedAudits(db: Kysely<Database>) {
  await sql`update audits set status = 'failed', finished_at = now(), error = 'interrupted: the service stopped while it ran' where status = 'running'`.execute(db)
  await sql`delete from audit_pairs where audit_id not in (select id from audits where status = 'running')`.execute(db)
}

/** Creates an audit record (refusing a second one while one runs); run it with runAudit. */
export async function startAudit(db: Kysely<Database>, actor: Actor): Promise<Audit> {
  return db.transaction().execute(async (trx) => {
    await sql`lock table audits in exclusive mode`.execute(trx)
    const { rows: running } = await sql<{ id: number }>`select id from audits where status = 'running'`.execute(trx)
    if (running[0]) throw new AppError('CONFLICT', `audit ${running[0].id} is still running; follow it at /api/audits/${running[0].id}`)
    const { rows } = await sql<AuditRow>`insert into audits (status, started_by, started_by_name, schools_total, first_log_id)
      values ('running', ${actor.user?.id ?? null}, ${actor.user?.username ?? null}, (select count(*) from schools), (select coalesce(max(id), 0) from audit_log))
      returning *`.execute(trx)
    const audit = auditOf(rows[0]!)
    await appendAudit(trx, actor, { action: 'start', entityType: 'audit', entityId: audit.id, after: audit })
    return audit
  })
}

/**
 * Recomputes every conflict and redraws every stored zone from scratch, school by school in chunks (progress is stored after each),
 * then replaces the conflicts in one transaction and reports what changed. Changes made to the registry
 * or the rules while it ran are re-applied on top, so nothing done meanwhile is lost.
 */
export async function runAudit(db: Kysely<Database>, auditId: number, onProgress?: (done: number, total: number) => void): Promise<Audit> {
  const started = Date.now()
  try {
    const { rows: bounds } = await sql<{ id: number }>`select id from schools order by id`.execute(db)
    const ids = bounds.map((b) => b.id)
    for (let i = 0; i < ids.length; i += CHUNK_SCHOOLS) {
      const first = ids[i]!
      const last = ids[Math.min(i + CHUNK_SCHOOLS, ids.length) - 1]!
      await sql`insert into audit_pairs (audit_id, premises_id, school_id, rule_id, rule_version, band)
        select ${auditId}, premises_id, school_id, rule_id, rule_version, band
        from (${pairsSql({ schoolFilter: sql<boolean>`s.id between ${first} and ${last}`, premisesFilter: sql<boolean>`true` })}) found`.execute(db)
      // The stored zone drawings are redrawn chunk by chunk, each chunk under its schools' row locks so
      // that an edit of one of them waits and then redraws on top, never beside.
      await db.transaction().execute(async (trx) => {
        await sql`select id from schools where id between ${first} and ${last} order by id for update`.execute(trx)
        await redrawZones(trx, sql<boolean>`s.id between ${first} and ${last}`)
      })
      const done = Math.min(i + CHUNK_SCHOOLS, ids.length)
      await sql`update audits set schools_done = ${done}, schools_total = ${ids.length} where id = ${auditId}`.execute(db)
      onProgress?.(done, ids.length)
    }
    await db.transaction().execute(async (trx) => {
      await sql`lock table conflicts in exclusive mode`.execute(trx)
      const pair = sql`a.premises_id = c.premises_id and a.school_id = c.school_id`
      const affected = async (query: ReturnType<typeof sql>) => Number((await query.execute(trx)).numAffectedRows ?? 0)
      // Gone, then changed, then the pairs already stored are dropped from the staging set so that what
      // remains is inserted without reading the table being written (an anti-join over conflicts while
      // inserting into it crawls: each new index entry needs a heap visit).
      const removed = await affected(sql`delete from conflicts c where not exists (select 1 from audit_pairs a where a.audit_id = ${auditId} and ${pair})`)
      const changed = await affected(sql`update conflicts c set band = a.band, rule_id = a.rule_id, rule_version = a.rule_version
        from audit_pairs a where a.audit_id = ${auditId} and ${pair} and (a.band, a.rule_id, a.rule_version) is distinct from (c.band, c.rule_id, c.rule_version)`)
      await sql`delete from audit_pairs a using conflicts c where a.audit_id = ${auditId} and ${pair}`.execute(trx)
      const added = await affected(sql`insert into conflicts (premises_id, school_id, rule_id, rule_version, band)
        select a.premises_id, a.school_id, a.rule_id, a.rule_version, a.band from audit_pairs a where a.audit_id = ${auditId}`)
      await sql`delete from audit_pairs where audit_id = ${auditId}`.execute(trx)
      // What changed while the chunks ran: apply it again on top of the recomputed set.
      const { rows: touched } = await sql<{ entity_type: string; entity_id: string }>`
        select distinct entity_type, entity_id from audit_log
        where id > (select first_log_id from audits where id = ${auditId}) and entity_type in ('school', 'premises', 'rule') and entity_id is not null`.execute(trx)
      const existing = async (table: 'schools' | 'premises', ids: number[]) =>
        ids.length === 0 ? [] : (await trx.selectFrom(table).select('id').where('id', 'in', ids).execute()).map((r) => r.id)
      await refreshForSchools(trx, await existing('schools', touched.filter((t) => t.entity_type === 'school').map((t) => Number(t.entity_id))))
      await refreshForPremises(trx, await existing('premises', touched.filter((t) => t.entity_type === 'premises').map((t) => Number(t.entity_id))))
      for (const rule of touched.filter((t) => t.entity_type === 'rule')) {
        const row = await trx.selectFrom('rules').select(['category', 'school_type']).where('id', '=', Number(rule.entity_id)).executeTakeFirst()
        if (row) await refreshForRule(trx, row.category, row.school_type)
      }
      const { rows: counted } = await sql<{ n: number }>`select count(*)::int as n from conflicts`.execute(trx)
      const total = Number(counted[0]!.n)
      const result = { conflicts: total, added, removed, changed, seconds: Math.round((Date.now() - started) / 100) / 10 }
      await sql`update audits set status = 'done', finished_at = now(), summary = ${JSON.stringify(result)}::jsonb, schools_done = schools_total where id = ${auditId}`.execute(trx)
    })
  } catch (error) {
    await sql`update audits set status = 'failed', finished_at = now(), error = ${(error as Error).message} where id = ${auditId}`.execute(db).catch(() => {})
    await sql`delete from audit_pairs where audit_id = ${auditId}`.execute(db).catch(() => {})
    throw error
  }
  return getAudit(db, auditId)
}
