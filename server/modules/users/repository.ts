import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { Database, UsersTable } from '../../db/types.ts'

type Db = Kysely<Database> | Transaction<Database>

const userColumns = ['users.id', 'users.username', 'users.department', 'users.role', 'users.county_code', 'users.demo'] as const

/** A user as read for the API: everything but the password hash and the bookkeeping. */
export type UserRow = Pick<Selectable<UsersTable>, 'id' | 'username' | 'department' | 'role' | 'county_code' | 'demo'>
/** A user as read for login. */
export type LoginRow = UserRow & Pick<Selectable<UsersTable>, 'password_hash' | 'disabled_at'>

/** A user with its password hash, for login. */
export function findUserByUsername(db: Db, username: string): Promise<LoginRow | undefined> {
  return db
    .selectFrom('users')
    .select([...userColumns, 'users.password_hash', 'users.disabled_at'])
    .where('username', '=', username)
    .executeTakeFirst()
}

/** Inserts a user and returns its id. */
export async function insertUser(
  db: Db,
  user: { username: string; passwordHash: string; department: string; role: string; countyCode: string | null; demo: boolean },
): Promise<number> {
  const row = await db
    .insertInto('users')
    .values({
      username: user.username,
      password_hash: user.passwordHash,
      department: user.department,
      role: user.role,
      county_code: user.countyCode,
      demo: user.demo,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

/** Stores a new session keyed by the hash of its token. */
export async function insertSession(db: Db, tokenHash: string, userId: number, expiresAt: Date): Promise<void> {
  await db.insertInto('sessions').values({ token_hash: tokenHash, user_id: userId, expires_at: expiresAt }).execute()
}

/** The live session's user, or undefined when the token is unknown, revoked, expired or its user disabled. */
export function findSessionUser(db: Db, tokenHash: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(userColumns)
    .where('sessions.token_hash', '=', tokenHash)
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', new Date())
    .where('users.disabled_at', 'is', null)
    .executeTakeFirst()
}

/** Marks a session revoked. */
export async function revokeSession(db: Db, tokenHash: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ revoked_at: new Date() })
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .execute()
}

/** All users, for administrators. */
export function listUsers(db: Db): Promise<UserRow[]> {
  return db.selectFrom('users').select(userColumns).orderBy('users.id').execute()
}

/** Whether a user of that name exists. */
export async function usernameTaken(db: Db, username: string): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst()) !== undefined
}

/** Whether the demo registry is marked loaded (app_settings key demo_data). */
export async function demoDataMarked(db: Db): Promise<boolean> {
  return (await db.selectFrom('app_settings').select('key').where('key', '=', 'demo_data').executeTakeFirst()) !== undefined
}

/** Drops sessions that expired more than a week ago. */
export async function deleteExpiredSessions(db: Db): Promise<void> {
  await db
    .deleteFrom('sessions')
    .where(sql<boolean>`expires_at < now() - interval '7 days'`)
    .execute()
}
