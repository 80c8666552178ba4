import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import type { User } from '../../schemas/auth.ts'

/** Who did something, and in which request. */
export interface Actor {
  user: User | null
  requestId: string | null
}

export interface AuditEntry {
  action: string
  entityType: string
  entityId: string | number | null
  before?: unknown
  after?: unknown
}

/** Appends one entry to the append-only audit log (inside the caller's transaction). */
export async function appendAudit(db: Kysely<Database> | Transaction<Database>, actor: Actor, entry: AuditEntry): Promise<void> {
  await appendAuditMany(db, actor, [entry])
}

/** Appends several entries in one statement (imports). */
export async function appendAuditMany(db: Kysely<Database> | Transaction<Database>, actor: Actor, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return
  await db
    .insertInto('audit_log')
    .values(
      entries.map((entry) => ({
        user_id: actor.user?.id ?? null,
        username: actor.user?.username ?? null,
        role: actor.user?.role ?? null,
        department: actor.user?.department ?? null,
        action: entry.action,
        entity_type: entry.entityType,
        entity_id: entry.entityId === null ? null : String(entry.entityId),
        before: entry.before === undefined ? null : JSON.stringify(entry.before),
        after: entry.after === undefined ? null : JSON.stringify(entry.after),
        request_id: actor.requestId,
      })),
    )
    .execute()
}

/** The change history of one record, oldest first. */
export async function listHistory(db: Kysely<Database>, entityType: string, entityId: number) {
  return db
    .selectFrom('audit_log')
    .select(['id', 'at', 'action', 'user_id', 'username', 'role', 'department', 'before', 'after', 'request_id'])
    .where('entity_type', '=', entityType)
    .where('entity_id', '=', String(entityId))
    .orderBy('id')
    .execute()
}
