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
const CHUNK_SCHOOLS = 1000

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

/** On the server, how many chunks run at once, each on its own pooled connection (the embedded database has one). */
const SERVER_WORKERS = 2

/** The smallest and largest school ids a chunk's range can reach (int4): the first and last chunks reach them. */
const ID_MIN = -2_147_483_648
const ID_MAX = 2_147_483_647

/**
 * Recomputes every conflict from scratch and checks every stored zone, school by school in chunks (progress is
 * stored after each), comparing with what is stored: each chunk stages only the difference, and redraws only the
 * zones whose inputs changed or whose bands are not what their inputs call for. Then the difference is applied in
 * one transaction and reported. Changes made to the registry or the rules while it ran are re-applied on top, so
 * nothing done meanwhile is lost. An unchanged registry writes no conflict, zone or hazard row.
 * The chunks' ranges cover every id (the first from the smallest, each up to the next one's first), so a stored
 * conflict of a school that no longer exists is compared too, and removed. On the server two chunks run at once.
 */
export async function runAudit(
  db: Kysely<Database>,
  auditId: number,
  onProgress?: (done: number, total: number) => void,
  kind: DatabaseKind = 'embedded',
  chunkSchools = CHUNK_SCHOOLS,
): Promise<Audit> {
  const started = Date.now()
  const unlock = await holdSessionLock(db, kind, AUDIT_LOCK_CLASS, auditId)
  if (!unlock) throw new AppError('CONFLICT', `audit ${auditId} is already being run by another instance`)
  try {
    const ids = await repository.schoolIds(db)
    const chunks: { first: number; last: number; size: number }[] = []
    for (let i = 0; i === 0 || i < ids.length; i += chunkSchools) {
      const next = ids[i + chunkSchools]
      chunks.push({
        first: i === 0 ? ID_MIN : ids[i]!,
        last: next === undefined ? ID_MAX : next - 1,
        size: Math.min(chunkSchools, ids.length - i),
      })
    }
    let done = 0
    let failed: unknown = null
    const work = async () => {
      for (let chunk = chunks.shift(); chunk && failed === null; chunk = chunks.shift()) {
        try {
          await repository.stageDifference(db, auditId, chunk.first, chunk.last)
          await repository.redrawStaleZonesLocked(db, chunk.first, chunk.last)
        } catch (error) {
          failed ??= error
          return
        }
        // Taken before the await: with two workers the other may add its chunk meanwhile.
        const now = (done += chunk.size)
        await repository.setProgress(db, auditId, now, ids.length)
        onProgress?.(now, ids.length)
      }
    }
    await Promise.all(Array.from({ length: kind === 'postgis' ? SERVER_WORKERS : 1 }, work))
    if (failed !== null) throw failed
    await db.transaction().execute(async (trx) => {
      const { added, removed, changed } = await repository.applyDifference(trx, auditId)
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
