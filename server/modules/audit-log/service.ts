import type { Static } from 'typebox'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import type { Actor } from '../../schemas/auth.ts'
import type { AuditPageSchema, AuditQuery } from '../../schemas/permits.ts'
import { entryHash, GENESIS_HASH } from './chain.ts'
import * as repository from './repository.ts'
import { adaptivePage } from '../../db/turns.ts'
import type { AuditEntry, HistoryRow } from './repository.ts'

type Db = Kysely<Database> | Transaction<Database>
// Defined here until the schemas carry it beside AuditPageSchema.
type AuditPage = Static<typeof AuditPageSchema>

/** Records one action in the append-only trail, inside the caller's transaction. */
export const record = (db: Db, actor: Actor, entry: AuditEntry): Promise<void> => repository.appendAudit(db, actor, entry)

/** Records several actions in one statement (imports). */
export const recordMany = (db: Db, actor: Actor, entries: readonly AuditEntry[]): Promise<void> =>
  repository.appendAuditMany(db, actor, entries)

/** The trail of one record, oldest first. */
export const historyOf = (db: Db, entityType: string, entityId: number): Promise<HistoryRow[]> =>
  repository.listHistory(db, entityType, entityId)

/** One page of the trail, newest first, as the governance office reads it. */
export async function listEntries(db: Kysely<Database>, query: AuditQuery): Promise<AuditPage> {
  const { rows, numberMatched } = await repository.listAudit(db, { ...query, limit: query.limit ?? 100, offset: query.offset ?? 0 })
  return {
    numberMatched,
    numberReturned: rows.length,
    entries: rows.map((r) => ({
      id: Number(r.id),
      at: new Date(r.at).toISOString(),
      userId: r.user_id,
      username: r.username,
      role: r.role,
      department: r.department,
      action: r.action,
      entityType: r.entity_type,
      entityId: r.entity_id,
      before: r.before,
      after: r.after,
      requestId: r.request_id,
      token: r.token_id === null ? null : { id: r.token_id, name: r.token_name ?? '' },
    })),
  }
}

/** How long the sealer hashes before it lets other requests in. */
const HASH_STEP_MS = 8

/** The most entries one sealing transaction takes. */
const SEAL_BATCH = 2000

/**
 * Seals every committed entry still waiting, in batches, continuing the chain from its head; answers how many it sealed.
 * With several instances, the one holding the advisory lock seals and the others skip. A batch is sized by how long
 * the last took (about 40 ms): an import's entries carry whole campuses, and on the embedded database reading 2,000
 * of them would hold the service's thread for seconds.
 */
export async function sealPending(db: Kysely<Database>): Promise<number> {
  let sealed = 0
  const batch = adaptivePage(100, SEAL_BATCH)
  for (;;) {
    const size = batch.size
    const started = performance.now()
    const count = await db.transaction().execute(async (trx) => {
      if (!(await repository.trySealerLock(trx))) return 0
      const head = await repository.chainHead(trx)
      const entries = await repository.pendingEntries(trx, size)
      let prevHash = head.hash ?? GENESIS_HASH
      const seals: repository.Seal[] = []
      // Hashing is the service's own work: an import's entries carry whole campuses (a batch of them hashed 75 ms in
      // one step), so other requests get a turn every few milliseconds.
      let since = performance.now()
      for (const [i, entry] of entries.entries()) {
        const hash = entryHash(prevHash, entry)
        seals.push({ auditId: entry.id, seq: head.seq + i + 1, prevHash, hash })
        prevHash = hash
        if (performance.now() - since > HASH_STEP_MS) {
          await new Promise((resolve) => setImmediate(resolve))
          since = performance.now()
        }
      }
      await repository.storeSeals(trx, seals)
      return seals.length
    })
    batch.took(performance.now() - started)
    sealed += count
    if (count < size) return sealed
    await new Promise((resolve) => setImmediate(resolve))
  }
}

export type ChainProblemKind = 'entry_changed' | 'entry_missing' | 'seal_missing' | 'link_broken' | 'unsealed'

export interface ChainProblem {
  kind: ChainProblemKind
  auditId: string
  seq: number | null
  message: string
}

export interface ChainReport {
  sealed: number
  pending: number
  head: { seq: number; hash: string | null }
  problems: ChainProblem[]
  intact: boolean
}

/**
 * Walks the whole chain in order and recomputes every seal from the entry as it is now: a changed entry, a removed
 * entry or seal, a seal whose link does not follow, and an entry taken off the pending list unsealed are each reported.
 * Reads only; entries still pending are counted, not faulted.
 */
export async function verifyChain(db: Kysely<Database>, batch = 5000): Promise<ChainReport> {
  const problems: ChainProblem[] = []
  let expectedSeq = 1
  let expectedPrev = GENESIS_HASH
  let sealed = 0
  for (;;) {
    const stretch = await repository.sealedStretch(db, expectedSeq - 1, batch)
    for (const link of stretch) {
      const seq = Number(link.seq)
      if (seq !== expectedSeq)
        problems.push({
          kind: 'seal_missing',
          auditId: link.auditId,
          seq,
          message: `seals ${expectedSeq}–${seq - 1} are missing before entry ${link.auditId}`,
        })
      if (link.prevHash !== expectedPrev)
        problems.push({ kind: 'link_broken', auditId: link.auditId, seq, message: `seal ${seq} does not follow the seal before it` })
      if (link.entry === null)
        problems.push({ kind: 'entry_missing', auditId: link.auditId, seq, message: `entry ${link.auditId} was removed from the log` })
      else if (entryHash(link.prevHash, link.entry) !== link.hash)
        problems.push({
          kind: 'entry_changed',
          auditId: link.auditId,
          seq,
          message: `entry ${link.auditId} was changed after it was sealed`,
        })
      expectedSeq = seq + 1
      expectedPrev = link.hash
      sealed += 1
    }
    if (stretch.length < batch) break
  }
  for (const id of await repository.unsealedNotPending(db))
    problems.push({ kind: 'unsealed', auditId: id, seq: null, message: `entry ${id} is not sealed and was taken off the list to seal` })
  return {
    sealed,
    pending: await repository.pendingCount(db),
    head: { seq: expectedSeq - 1, hash: expectedSeq > 1 ? expectedPrev : null },
    problems,
    intact: problems.length === 0,
  }
}
