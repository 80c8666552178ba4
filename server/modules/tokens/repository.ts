import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { ApiTokensTable, Database } from '../../db/types.ts'
import type { UserRow } from '../users/repository.ts'

type Db = Kysely<Database> | Transaction<Database>

/** Today in Beijing time, as the database sees it: a token works through the whole of its expiresOn day. */
const TODAY = sql<string>`(now() at time zone 'Asia/Shanghai')::date`

/** A token as listed: everything but its hash, with its user's name and whether it has expired. */
export type TokenRow = Omit<Selectable<ApiTokensTable>, 'token_hash'> & { username: string; expired: boolean }

const tokenColumns = [
  'api_tokens.id',
  'api_tokens.user_id',
  'users.username',
  'api_tokens.name',
  'api_tokens.access',
  'api_tokens.prefix',
  'api_tokens.created_at',
  'api_tokens.expires_on',
  'api_tokens.last_used_at',
  'api_tokens.revoked_at',
  'api_tokens.revoked_by',
] as const

/** Stores a new token keyed by the hash of its secret; answers the row as listed. */
export async function insertToken(
  db: Db,
  token: { userId: number; name: string; access: 'read' | 'write'; tokenHash: string; prefix: string; expiresOn: string },
): Promise<TokenRow> {
  const { id } = await db
    .insertInto('api_tokens')
    .values({
      user_id: token.userId,
      name: token.name,
      access: token.access,
      token_hash: token.tokenHash,
      prefix: token.prefix,
      expires_on: token.expiresOn,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return (await findToken(db, id))!
}

/** One token by id, revoked or not. */
export function findToken(db: Db, id: number): Promise<TokenRow | undefined> {
  return db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select([...tokenColumns, sql<boolean>`api_tokens.expires_on < ${TODAY}`.as('expired')])
    .where('api_tokens.id', '=', id)
    .executeTakeFirst()
}

/** Tokens of one user or of everyone, newest first: those not revoked, or all of them. */
export function listTokens(db: Db, filter: { userId: number | undefined; includeRevoked: boolean }): Promise<TokenRow[]> {
  let query = db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select([...tokenColumns, sql<boolean>`api_tokens.expires_on < ${TODAY}`.as('expired')])
  if (filter.userId !== undefined) query = query.where('api_tokens.user_id', '=', filter.userId)
  if (!filter.includeRevoked) query = query.where('api_tokens.revoked_at', 'is', null)
  return query.orderBy('api_tokens.created_at', 'desc').orderBy('api_tokens.id', 'desc').limit(1000).execute()
}

/** Locks the user's row, so that two token creations of one user cannot both pass the limit. */
export async function lockUser(trx: Transaction<Database>, userId: number): Promise<void> {
  await trx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().executeTakeFirst()
}

/** How many of a user's tokens still work (neither revoked nor expired). */
export async function countLiveTokens(db: Db, userId: number): Promise<number> {
  const row = await db
    .selectFrom('api_tokens')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where(sql<boolean>`expires_on >= ${TODAY}`)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Marks a token revoked by a user, unless it is already; answers whether it was live before. */
export async function revokeToken(db: Db, id: number, revokedBy: number): Promise<boolean> {
  const rows = await db
    .updateTable('api_tokens')
    .set({ revoked_at: new Date(), revoked_by: revokedBy })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returning('id')
    .execute()
  return rows.length > 0
}

/** What authenticating with a token needs: the token's state and its user, found by the unique hash index. */
export type TokenUserRow = UserRow & {
  token_id: number
  token_name: string
  access: 'read' | 'write'
  expires_on: string
  expired: boolean
  revoked_at: Date | null
  last_used_at: Date | null
  disabled_at: Date | null
}

/** The token of that hash with its user, whatever its state, or undefined. */
export function findTokenUser(db: Db, tokenHash: string): Promise<TokenUserRow | undefined> {
  return db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select([
      'users.id',
      'users.username',
      'users.department',
      'users.role',
      'users.county_code',
      'users.demo',
      'users.disabled_at',
      'api_tokens.id as token_id',
      'api_tokens.name as token_name',
      'api_tokens.access',
      'api_tokens.expires_on',
      sql<boolean>`api_tokens.expires_on < ${TODAY}`.as('expired'),
      'api_tokens.revoked_at',
      'api_tokens.last_used_at',
    ])
    .where('api_tokens.token_hash', '=', tokenHash)
    .executeTakeFirst()
}

/** Moves a token's last use to now unless another request did within the minute. */
export async function touchToken(db: Db, id: number): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ last_used_at: new Date() })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
    .execute()
}
