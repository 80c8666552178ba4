import type { Static } from 'typebox'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import type { Actor } from '../../schemas/auth.ts'
import type { AuditPageSchema, AuditQuery } from '../../schemas/permits.ts'
import * as repository from './repository.ts'
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
    })),
  }
}
