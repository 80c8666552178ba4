import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { Database, SessionsTable, UsersTable } from '../../db/types.ts'

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
export async function insertSession(
  db: Db,
  session: { tokenHash: string; userId: number; expiresAt: Date; address: string | null; userAgent: string | null },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      token_hash: session.tokenHash,
      public_id: session.tokenHash.slice(0, 16),
      user_id: session.userId,
      expires_at: session.expiresAt,
      address: session.address,
      user_agent: session.userAgent,
    })
    .execute()
}

/** A live session's user, with when the session ends and when it was last marked used. */
export type SessionUserRow = UserRow & Pick<Selectable<SessionsTable>, 'public_id' | 'expires_at' | 'last_seen_at'>

/** The live session's user, or undefined when the token is unknown, revoked, expired, idle too long or its user disabled. */
export function findSessionUser(db: Db, tokenHash: string, idleMinutes: number): Promise<SessionUserRow | undefined> {
  let query = db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([...userColumns, 'sessions.public_id', 'sessions.expires_at', 'sessions.last_seen_at'])
    .where('sessions.token_hash', '=', tokenHash)
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', new Date())
    .where('users.disabled_at', 'is', null)
  if (idleMinutes > 0) query = query.where('sessions.last_seen_at', '>', new Date(Date.now() - idleMinutes * 60_000))
  return query.executeTakeFirst()
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

export interface FailureCounts {
  address: number
  username: number
}

/**
 * Failed sign-ins of an address and of a username in the window starting at `windowStart` and the one before it: the
 * count never drops to nothing at a window's edge, so a limit holds over at least one whole window.
 */
export async function failureCounts(
  db: Db,
  address: string,
  username: string,
  windowStart: Date,
  windowMs: number,
): Promise<FailureCounts> {
  const rows = await db
    .selectFrom('login_failures')
    .select(['scope', 'failures'])
    .where('window_start', 'in', [windowStart, new Date(windowStart.getTime() - windowMs)])
    .where((eb) =>
      eb.or([
        eb.and([eb('scope', '=', 'address'), eb('key', '=', address)]),
        eb.and([eb('scope', '=', 'username'), eb('key', '=', username)]),
      ]),
    )
    .execute()
  const sum = (scope: string) => rows.filter((r) => r.scope === scope).reduce((total, r) => total + r.failures, 0)
  return { address: sum('address'), username: sum('username') }
}

/** Counts one failed sign-in for the address and the username in the current window. */
export async function countFailure(db: Db, address: string, username: string, windowStart: Date): Promise<void> {
  for (const [scope, key] of [
    ['address', address],
    ['username', username],
  ] as const)
    await db
      .insertInto('login_failures')
      .values({ scope, key, window_start: windowStart, failures: 1, last_at: new Date() })
      .onConflict((oc) =>
        oc.columns(['scope', 'key', 'window_start']).doUpdateSet({ failures: sql`login_failures.failures + 1`, last_at: new Date() }),
      )
      .execute()
}

/** Forgets a username's failures after it signs in. */
export async function clearUsernameFailures(db: Db, username: string): Promise<void> {
  await db.deleteFrom('login_failures').where('scope', '=', 'username').where('key', '=', username).execute()
}

/** Drops failure counts of windows that ended more than a day ago. */
export async function deleteOldFailures(db: Db): Promise<void> {
  await db
    .deleteFrom('login_failures')
    .where(sql<boolean>`window_start < now() - interval '1 day'`)
    .execute()
}

/** Moves a session's last use to now, at most once a minute (one write per minute of use, not per request). */
export async function touchSession(db: Db, tokenHash: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_seen_at: new Date() })
    .where('token_hash', '=', tokenHash)
    .where(sql<boolean>`last_seen_at < now() - interval '1 minute'`)
    .execute()
}

export interface SessionRow {
  public_id: string
  user_id: number
  username: string
  created_at: Date
  last_seen_at: Date
  expires_at: Date
  address: string | null
  user_agent: string | null
}

/** The live sessions (not revoked, not expired), of one user or of all, newest first. */
export function listLiveSessions(db: Db, userId: number | undefined, idleMinutes: number): Promise<SessionRow[]> {
  let query = db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.public_id',
      'sessions.user_id',
      'users.username',
      'sessions.created_at',
      'sessions.last_seen_at',
      'sessions.expires_at',
      'sessions.address',
      'sessions.user_agent',
    ])
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', new Date())
  if (idleMinutes > 0) query = query.where('sessions.last_seen_at', '>', new Date(Date.now() - idleMinutes * 60_000))
  if (userId !== undefined) query = query.where('sessions.user_id', '=', userId)
  return query.orderBy('sessions.created_at', 'desc').limit(1000).execute()
}

/** Revokes a session by its public id; answers its user's id, or undefined when there is no live one. */
export async function revokeSessionById(db: Db, publicId: string): Promise<number | undefined> {
  const row = await db
    .updateTable('sessions')
    .set({ revoked_at: new Date() })
    .where('public_id', '=', publicId)
    .where('revoked_at', 'is', null)
    .returning('user_id')
    .executeTakeFirst()
  return row?.user_id
}

/** Revokes every live session of a user; answers how many. */
export async function revokeUserSessions(db: Db, userId: number): Promise<number> {
  const rows = await db
    .updateTable('sessions')
    .set({ revoked_at: new Date() })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .returning('public_id')
    .execute()
  return rows.length
}

/** Sets or clears a user's disabled time; answers the user, or undefined when there is none of that id. */
export async function setUserDisabled(
  db: Db,
  userId: number,
  disabled: boolean,
): Promise<(UserRow & { disabled_at: Date | null }) | undefined> {
  return db
    .updateTable('users')
    .set({ disabled_at: disabled ? new Date() : null })
    .where('id', '=', userId)
    .returning([...userColumns.map((c) => c.replace('users.', '') as 'id'), 'disabled_at'])
    .executeTakeFirst() as Promise<(UserRow & { disabled_at: Date | null }) | undefined>
}
