import type { Kysely, Selectable, Transaction } from 'kysely'
import type { AuditLogTable, Database } from '../../db/types.ts'
import type { Actor } from '../../schemas/auth.ts'

type Db = Kysely<Database> | Transaction<Database>

/** One entry as stored. */
export type AuditLogRow = Selectable<AuditLogTable>
/** One entry of a record's history: everything but what names the record. */
export type HistoryRow = Omit<AuditLogRow, 'entity_type' | 'entity_id'>

export interface AuditEntry {
  action: string
  entityType: string
  entityId: string | number | null
  before?: unknown
  after?: unknown
}

/** Appends one entry to the append-only audit log (inside the caller's transaction). */
export async function appendAudit(db: Db, actor: Actor, entry: AuditEntry): Promise<void> {
  await appendAuditMany(db, actor, [entry])
}

/** Appends several entries in one statement (imports). */
export async function appendAuditMany(db: Db, actor: Actor, entries: readonly AuditEntry[]): Promise<void> {
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
export async function listHistory(db: Db, entityType: string, entityId: number): Promise<HistoryRow[]> {
  return db
    .selectFrom('audit_log')
    .select(['id', 'at', 'action', 'user_id', 'username', 'role', 'department', 'before', 'after', 'request_id'])
    .where('entity_type', '=', entityType)
    .where('entity_id', '=', String(entityId))
    .orderBy('id')
    .execute()
}

export interface AuditFilter {
  entityType?: string | undefined
  entityId?: string | undefined
  username?: string | undefined
  action?: string | undefined
  from?: string | undefined
  to?: string | undefined
  limit: number
  offset: number
}

/** One page of audit entries, newest first, and the number matching the filter. */
export async function listAudit(db: Db, filter: AuditFilter): Promise<{ rows: AuditLogRow[]; numberMatched: number }> {
  let query = db.selectFrom('audit_log')
  if (filter.entityType) query = query.where('entity_type', '=', filter.entityType)
  if (filter.entityId) query = query.where('entity_id', '=', filter.entityId)
  if (filter.username) query = query.where('username', '=', filter.username)
  if (filter.action) query = query.where('action', '=', filter.action)
  if (filter.from) query = query.where('at', '>=', new Date(filter.from))
  if (filter.to) query = query.where('at', '<', new Date(filter.to))
  const [rows, count] = await Promise.all([
    query
      .select([
        'id',
        'at',
        'user_id',
        'username',
        'role',
        'department',
        'action',
        'entity_type',
        'entity_id',
        'before',
        'after',
        'request_id',
      ])
      .orderBy('id', 'desc')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ])
  return { rows, numberMatched: Number(count.n) }
}
