import { sql, type Kysely } from 'kysely'
import type { DatabaseKind } from '../../db/connect.ts'
import { holdSessionLock } from '../../db/session-lock.ts'
import type { Database } from '../../db/types.ts'
import { AppError, notFound } from '../../errors.ts'
import type { Audit } from '../../schemas/zones.ts'
import { appendAudit } from '../audit-log/repository.ts'
import type { Actor } from '../../schemas/auth.ts'
import { refreshForPremises, refreshForRule, refreshForSchools, schoolsNearPremises } from '../zones/maintenance.ts'
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
export async function startAudit(db: Kysely<Database>, actor: Actor, options: { full?: boolean } = {}): Promise<Audit> {
  return db.transaction().execute(async (trx) => {
    const running = await repository.lockAndFindRunning(trx)
    if (running !== undefined) throw new AppError('CONFLICT', `audit ${running} is still running; follow it at /api/audits/${running}`)
    const audit = auditOf(await repository.insertAudit(trx, actor, options.full === true))
    await appendAudit(trx, actor, {
      action: 'start',
      entityType: 'audit',
      entityId: audit.id,
      after: { ...audit, full: options.full === true },
    })
    return audit
  })
}

/** On the server, how many chunks run at once, each on its own pooled connection (the embedded database has one). */
const SERVER_WORKERS = 2

/** The smallest and largest school ids a chunk's range can reach (int4): the first and last chunks reach them. */
const ID_MIN = -2_147_483_648
const ID_MAX = 2_147_483_647

/** More changed premises or schools than this since the last complete audit, and the audit recomputes everything. */
const INCREMENTAL_LIMIT = 50_000

/** What an incremental audit recomputes: the pairs of these schools, of these premises, and of these rule scopes. */
interface IncrementalPlan {
  schools: number[]
  premises: number[]
  scopes: { category: string; school_type: string }[]
}

/**
 * What changed since the last complete audit, or why everything must be recomputed (a string). Changes are
 * noted by triggers in the database (migrations/0018_audit_changes.ts), whoever wrote them; the rules in force are
 * compared with those the last audit computed with, so a rule's date arriving counts as a change of its scope.
 */
async function planIncremental(db: Kysely<Database>, rules: repository.RuleInForce[]): Promise<IncrementalPlan | string> {
  const last = await repository.lastCompleteAudit(db)
  if (!last) return 'no complete audit to start from'
  if (!(await repository.digestsMatch(db)))
    return 'the stored conflicts or zones are not what their digests say (written with the triggers off)'
  const changes = await repository.changesSince(db, last.since, INCREMENTAL_LIMIT)
  if (changes.all) return 'a registry, rule, conflict or zone table was emptied'
  if (changes.premises === null || changes.schools === null) return `more than ${INCREMENTAL_LIMIT} premises or schools changed`
  const scopes = new Map<string, { category: string; school_type: string }>()
  const add = ({ category, school_type }: { category: string; school_type: string }) =>
    scopes.set(`${category}\u0000${school_type}`, { category, school_type })
  changes.scopes.forEach(add)
  // Rules that came into force, lapsed or changed version since (their dates arriving, or any write).
  const key = (r: repository.RuleInForce) => `${r.id}:${r.version}:${r.category}:${r.school_type}:${r.path}`
  const now = new Set(rules.map(key))
  const then = new Set(last.rules.map(key))
  for (const r of rules) if (!then.has(key(r))) add(r)
  for (const r of last.rules) if (!now.has(key(r))) add(r)
  // The road network changed: every pair under a walking rule, now or then.
  if (changes.walking) for (const r of [...rules, ...last.rules]) if (r.path === 'walking') add(r)
  return { schools: changes.schools, premises: changes.premises, scopes: [...scopes.values()] }
}

/** The parts of an incremental audit, pairwise disjoint: the changed schools, the changed premises (with the other schools), each rule scope (the rest). */
function incrementalParts(plan: IncrementalPlan): repository.AuditPart[] {
  const schools = sql`${plan.schools}::int[]`
  const premises = sql`${plan.premises}::int[]`
  const parts: repository.AuditPart[] = []
  if (plan.schools.length > 0)
    parts.push({
      query: { schoolFilter: sql<boolean>`s.id = any(${schools})`, premisesFilter: sql<boolean>`true` },
      holds: (a) => sql<boolean>`${a}.school_id = any(${schools})`,
    })
  if (plan.premises.length > 0) {
    const inBatch = sql<boolean>`p.id = any(${premises})`
    parts.push({
      query: { schoolFilter: sql<boolean>`(${schoolsNearPremises(inBatch)} and not s.id = any(${schools}))`, premisesFilter: inBatch },
      holds: (a) => sql<boolean>`(${a}.premises_id = any(${premises}) and not ${a}.school_id = any(${schools}))`,
    })
  }
  for (const scope of plan.scopes)
    parts.push({
      query: {
        schoolFilter: sql<boolean>`(s.school_type = ${scope.school_type} and not s.id = any(${schools}))`,
        premisesFilter: sql<boolean>`(p.category = ${scope.category} and not p.id = any(${premises}))`,
      },
      holds: (a) => sql<boolean>`(${a}.school_id in (select id from schools where school_type = ${scope.school_type})
        and ${a}.premises_id in (select id from premises where category = ${scope.category})
        and not ${a}.school_id = any(${schools}) and not ${a}.premises_id = any(${premises}))`,
    })
  return parts
}

/**
 * Audits every conflict and stored zone, comparing what they should be with what is stored, and writes only the
 * difference. Incremental by default: only the pairs and zones of what changed since the last complete audit
 * (planIncremental) are recomputed, after checking that the stored conflicts and zones are what that audit and
 * the writes since left (their digests). A full audit (asked for, or when there is no complete audit to start from,
 * the digests differ, a table was emptied or too much changed) recomputes everything (runFull).
 * Then the difference is applied in one transaction and reported. Changes made to the registry or the rules while
 * it ran are re-applied on top, so nothing done meanwhile is lost; they are also noted for the next audit.
 * An unchanged registry writes no conflict, zone or hazard row.
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
    const row = await repository.findAudit(db, auditId)
    if (!row) throw notFound('audit', auditId)
    // Taken before anything is read: a change this snapshot does not see is left for the next audit too.
    const since = await repository.currentSnapshot(db)
    const rules = await repository.rulesInForceNow(db)
    const plan = row.requested_full ? 'asked for' : await planIncremental(db, rules)
    let basis: string
    if (typeof plan === 'string') {
      basis = plan
      await runFull(db, auditId, onProgress, kind, chunkSchools)
    } else {
      basis = `${plan.schools.length} schools, ${plan.premises.length} premises, ${plan.scopes.length} rule scopes recomputed`
      for (const part of incrementalParts(plan)) await repository.stagePart(db, auditId, part)
      const types = [...new Set(plan.scopes.map((s) => s.school_type))]
      if (plan.schools.length > 0 || types.length > 0)
        await repository.redrawStaleZonesWhere(
          db,
          sql<boolean>`(s.id = any(${sql`${plan.schools}::int[]`}) or s.school_type = any(${sql`${types}::text[]`}))`,
        )
    }
    const mode = typeof plan === 'string' ? 'full' : 'incremental'
    await db.transaction().execute(async (trx) => {
      await repository.markAuditWriting(trx)
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
      const conflicts = await repository.settleDigests(trx, mode === 'full')
      await repository.forgetChangesBefore(trx, since)
      await repository.finishAudit(
        trx,
        auditId,
        { conflicts, added, removed, changed, seconds: Math.round((Date.now() - started) / 100) / 10, mode, basis },
        { mode, since, rules },
      )
    })
  } catch (error) {
    await repository.failAudit(db, auditId, (error as Error).message)
    throw error
  } finally {
    await unlock()
  }
  return getAudit(db, auditId)
}

/**
 * Recomputes every conflict from scratch and checks every stored zone, school by school in chunks (progress is
 * stored after each), comparing with what is stored: each chunk stages only the difference, and redraws only the
 * zones whose inputs changed or whose bands are not what their inputs call for.
 * The chunks' ranges cover every id (the first from the smallest, each up to the next one's first), so a stored
 * conflict of a school that no longer exists is compared too, and removed. On the server two chunks run at once.
 */
async function runFull(
  db: Kysely<Database>,
  auditId: number,
  onProgress: ((done: number, total: number) => void) | undefined,
  kind: DatabaseKind,
  chunkSchools: number,
): Promise<void> {
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
}
