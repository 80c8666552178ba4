import { sql } from 'kysely'
import type { Kysely, Selectable, Transaction } from 'kysely'
import type { AuditLogTable, Database } from '../../db/types.ts'
import type { Actor } from '../../schemas/auth.ts'
import type { ChainEntry } from './chain.ts'

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
        token_id: actor.token?.id ?? null,
        token_name: actor.token?.name ?? null,
      })),
    )
    .execute()
}

/** The change history of one record, oldest first. */
export async function listHistory(db: Db, entityType: string, entityId: number): Promise<HistoryRow[]> {
  return db
    .selectFrom('audit_log')
    .select(['id', 'at', 'action', 'user_id', 'username', 'role', 'department', 'before', 'after', 'request_id', 'token_id', 'token_name'])
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
  tokenId?: number | undefined
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
  if (filter.tokenId !== undefined) query = query.where('token_id', '=', filter.tokenId)
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
        'token_id',
        'token_name',
      ])
      .orderBy('id', 'desc')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ])
  return { rows, numberMatched: Number(count.n) }
}

/** The columns of an entry as the hash chain reads them (chain.ts): all text, rendered by the database. */
const chainColumns = sql`a.id::text as id,
  to_char(a.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at,
  a.user_id::text as "userId", a.username, a.role, a.department, a.action, a.entity_type as "entityType",
  a.entity_id as "entityId", a.before::text as before, a.after::text as after, a.request_id as "requestId",
  a.token_id::text as "tokenId", a.token_name as "tokenName"`

// One number for the sealer's advisory lock, so that of several instances one seals at a time.
const SEALER_LOCK = 7_304_212_001

/** Takes the sealer's lock for this transaction, or answers false when another instance holds it. */
export async function trySealerLock(trx: Transaction<Database>): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${SEALER_LOCK}::bigint) as locked`.execute(trx)
  return rows[0]!.locked
}

/** The newest seal: the chain's head (seq 0 and no hash for an empty chain). */
export async function chainHead(db: Db): Promise<{ seq: number; hash: string | null }> {
  const { rows } = await sql<{
    seq: string
    hash: string
  }>`select s.seq::text as seq, s.hash from audit_log_seals s order by s.seq desc limit 1`.execute(db)
  return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : { seq: 0, hash: null }
}

/** Up to `limit` committed entries waiting for their seal, lowest id first. */
export async function pendingEntries(db: Db, limit: number): Promise<ChainEntry[]> {
  const { rows } = await sql<ChainEntry>`select ${chainColumns}
    from audit_log_pending p join audit_log a on a.id = p.audit_id
    order by a.id limit ${limit}`.execute(db)
  return rows
}

export interface Seal {
  auditId: string
  seq: number
  prevHash: string
  hash: string
}

/** Stores seals and takes their entries off the pending list, in two statements of the caller's transaction. */
export async function storeSeals(trx: Transaction<Database>, seals: readonly Seal[]): Promise<void> {
  if (seals.length === 0) return
  const ids = seals.map((s) => s.auditId)
  await sql`insert into audit_log_seals (audit_id, seq, prev_hash, hash)
    select * from unnest(${ids}::bigint[], ${seals.map((s) => s.seq)}::bigint[], ${seals.map((s) => s.prevHash)}::text[],
      ${seals.map((s) => s.hash)}::text[])`.execute(trx)
  await sql`delete from audit_log_pending where audit_id = any(${ids}::bigint[])`.execute(trx)
}

/** A stretch of the chain after seq `afterSeq`, in chain order, with each seal's entry as it is now (null where it is gone). */
export async function sealedStretch(
  db: Db,
  afterSeq: number,
  limit: number,
): Promise<{ seq: string; auditId: string; prevHash: string; hash: string; entry: ChainEntry | null }[]> {
  const { rows } = await sql<ChainEntry & { seq: string; sealId: string; prevHash: string; hash: string; present: boolean }>`
    select s.seq::text as seq, s.audit_id::text as "sealId", s.prev_hash as "prevHash", s.hash, a.id is not null as present, ${chainColumns}
    from audit_log_seals s left join audit_log a on a.id = s.audit_id
    where s.seq > ${afterSeq} order by s.seq limit ${limit}`.execute(db)
  return rows.map(({ seq, sealId, prevHash, hash, present, ...entry }) => ({
    seq,
    auditId: sealId,
    prevHash,
    hash,
    entry: present ? entry : null,
  }))
}

/** How many entries wait for their seal. */
export async function pendingCount(db: Db): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*)::text as n from audit_log_pending`.execute(db)
  return Number(rows[0]!.n)
}

/** Up to 1000 entries with no seal that are not waiting for one either: taken off the pending list by hand. */
export async function unsealedNotPending(db: Db): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select a.id::text as id from audit_log a
    where not exists (select 1 from audit_log_seals s where s.audit_id = a.id)
      and not exists (select 1 from audit_log_pending p where p.audit_id = a.id)
    order by a.id limit 1000`.execute(db)
  return rows.map((r) => r.id)
}
