import type { Kysely } from 'kysely'
import type { DatabaseKind } from '../../db/connect.ts'
import { holdSessionLock } from '../../db/session-lock.ts'
import type { Database } from '../../db/types.ts'
import { AppError, notFound } from '../../errors.ts'
import type { Audit } from '../../schemas/zones.ts'
import { appendAudit } from '../audit-log/repository.ts'
import type { Actor } from '../../schemas/auth.ts'
import { refreshForPremises, refreshForRule, refreshForSchools } from '../zones/maintenance.ts'
import * as repository from './repository.ts'
import type { AuditRow } from './repository.ts'

/** Schools recomputed between two progress reports. */
const CHUNK_SCHOOLS = 2000

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
  const row = await repository.findAudit(db, id)
  if (!row) throw notFound('audit', id)
  return auditOf(row)
}

/** The latest audits, newest first. */
export async function listAudits(db: Kysely<Database>, limit = 20): Promise<Audit[]> {
  return (await repository.listAudits(db, limit)).map(auditOf)
}

/**
 * The advisory-lock class of running audits (the audit's id is the second key): the instance running an audit holds
 * it, so another instance starting up leaves that audit alone.
 */
export const AUDIT_LOCK_CLASS = 73_042

/**
 * Marks audits left running by a stopped process as failed (run at start). On the server only those whose lock no
 * session holds: another instance may be running one.
 */
export async function failInterruptedAudits(db: Kysely<Database>, kind: DatabaseKind): Promise<void> {
  await repository.failRunningAudits(db, 'interrupted: the service stopped while it ran', kind === 'postgis' ? AUDIT_LOCK_CLASS : null)
}

/** Creates an audit record (refusing a second one while one runs); run it with runAudit. */
export async function startAudit(db: Kysely<Database>, actor: Actor): Promise<Audit> {
  return db.transaction().execute(async (trx) => {
    const running = await repository.lockAndFindRunning(trx)
    if (running !== undefined) throw new AppError('CONFLICT', `audit ${running} is still running; follow it at /api/audits/${running}`)
    const audit = auditOf(await repository.insertAudit(trx, actor))
    await appendAudit(trx, actor, { action: 'start', entityType: 'audit', entityId: audit.id, after: audit })
    return audit
  })
}

/**
 * Recomputes every conflict and redraws every stored zone from scratch, school by school in chunks (progress is stored after each),
 * then replaces the conflicts in one transaction and reports what changed. Changes made to the registry
 * or the rules while it ran are re-applied on top, so nothing done meanwhile is lost.
 */
export async function runAudit(
  db: Kysely<Database>,
  auditId: number,
  onProgress?: (done: number, total: number) => void,
  kind: DatabaseKind = 'embedded',
): Promise<Audit> {
  const started = Date.now()
  const unlock = await holdSessionLock(db, kind, AUDIT_LOCK_CLASS, auditId)
  if (!unlock) throw new AppError('CONFLICT', `audit ${auditId} is already being run by another instance`)
  try {
    const ids = await repository.schoolIds(db)
    for (let i = 0; i < ids.length; i += CHUNK_SCHOOLS) {
      const first = ids[i]!
      const last = ids[Math.min(i + CHUNK_SCHOOLS, ids.length) - 1]!
      await repository.stagePairs(db, auditId, first, last)
      await repository.redrawZonesLocked(db, first, last)
      const done = Math.min(i + CHUNK_SCHOOLS, ids.length)
      await repository.setProgress(db, auditId, done, ids.length)
      onProgress?.(done, ids.length)
    }
    await db.transaction().execute(async (trx) => {
      const { added, removed, changed } = await repository.replaceConflicts(trx, auditId)
      // What changed while the chunks ran: apply it again on top of the recomputed set.
      const touched = await repository.touchedSince(trx, auditId)
      const idsOf = (type: string) => touched.filter((t) => t.entity_type === type).map((t) => Number(t.entity_id))
      await refreshForSchools(trx, await repository.existingIds(trx, 'schools', idsOf('school')))
      await refreshForPremises(trx, await repository.existingIds(trx, 'premises', idsOf('premises')))
      for (const ruleId of idsOf('rule')) {
        const rule = await repository.ruleScope(trx, ruleId)
        if (rule) await refreshForRule(trx, rule.category, rule.school_type)
      }
      const conflicts = await repository.countConflicts(trx)
      await repository.finishAudit(trx, auditId, {
        conflicts,
        added,
        removed,
        changed,
        seconds: Math.round((Date.now() - started) / 100) / 10,
      })
    })
  } catch (error) {
    await repository.failAudit(db, auditId, (error as Error).message)
    throw error
  } finally {
    await unlock()
  }
  return getAudit(db, auditId)
}
