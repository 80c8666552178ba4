import { createHash, randomBytes } from 'node:crypto'
import { hash, verify } from '@node-rs/argon2'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError } from '../../errors.ts'
import type { Actor, CreateUser, User } from '../../schemas/auth.ts'
import type { Department, Role } from '../../schemas/common.ts'
import { record as appendAudit } from '../audit-log/service.ts'
import * as repository from './repository.ts'
import type { UserRow } from './repository.ts'

// OWASP's argon2id minimum (19 MiB, 2 passes).
const ARGON2 = { algorithm: 2 /* Algorithm.Argon2id (a const enum) */, memoryCost: 19456, timeCost: 2, parallelism: 1 }
// Compared against when the username is unknown, so both paths take the same time.
let dummyHash: Promise<string> | undefined

/** The stored form of a session token: its SHA-256, so a leaked table opens no session. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

/** Row → API user. */
export const toUser = (row: UserRow): User => ({
  id: row.id,
  username: row.username,
  department: row.department as Department,
  role: row.role as Role,
  countyCode: row.county_code,
  demo: row.demo,
})

/** Hashes a password with argon2id. */
export const hashPassword = (password: string): Promise<string> => hash(password, ARGON2)

/** Whether the demo registry (and so the demo users) is loaded. */
export const demoDataLoaded = (db: Kysely<Database>): Promise<boolean> => repository.demoDataMarked(db)

/** Checks credentials and opens a server-side session; returns the user and the cookie token. */
export async function login(
  db: Kysely<Database>,
  username: string,
  password: string,
  ttlHours: number,
  requestId: string,
): Promise<{ user: User; token: string; expiresAt: Date }> {
  const row = await repository.findUserByUsername(db, username)
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'))
  const valid = await verify(row?.password_hash ?? (await dummyHash), password).catch(() => false)
  if (!row || !valid || row.disabled_at) {
    await appendAudit(db, { user: null, requestId }, { action: 'login_failed', entityType: 'session', entityId: null, after: { username } })
    throw new AppError('INVALID_CREDENTIALS', 'username or password is wrong')
  }
  if (row.demo && !(await demoDataLoaded(db))) {
    await appendAudit(
      db,
      { user: null, requestId },
      { action: 'login_failed', entityType: 'session', entityId: null, after: { username, reason: 'demo data not loaded' } },
    )
    throw new AppError('INVALID_CREDENTIALS', 'demo users can sign in only while the demo data is loaded')
  }
  const user = toUser(row)
  const token = randomBytes(32).toString('base64url')
  const expiresAt = new Date(Date.now() + ttlHours * 3600_000)
  await db.transaction().execute(async (trx) => {
    await repository.insertSession(trx, hashToken(token), user.id, expiresAt)
    await appendAudit(trx, { user, requestId }, { action: 'login', entityType: 'session', entityId: user.id })
  })
  return { user, token, expiresAt }
}

/** Revokes the session behind a cookie token. */
export async function logout(db: Kysely<Database>, token: string, actor: Actor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await repository.revokeSession(trx, hashToken(token))
    await appendAudit(trx, actor, { action: 'logout', entityType: 'session', entityId: actor.user?.id ?? null })
  })
}

/** The user behind a session token, if the session is live. */
export async function userForToken(db: Kysely<Database>, token: string): Promise<User | undefined> {
  const row = await repository.findSessionUser(db, hashToken(token))
  return row ? toUser(row) : undefined
}

/** Creates a user (administrators, the CLI and the demo loader); the audit entry never holds the password. */
export async function createUser(db: Kysely<Database>, input: CreateUser & { demo?: boolean }, actor: Actor): Promise<User> {
  if (input.role === 'admin' && input.department !== 'admin') {
    throw new AppError('VALIDATION_FAILED', 'role: admin is only for the admin department', {
      problems: [{ field: '/role', message: 'admin is only for the admin department' }],
    })
  }
  const passwordHash = await hashPassword(input.password)
  return db.transaction().execute(async (trx) => {
    const id = await repository.insertUser(trx, {
      username: input.username,
      passwordHash,
      department: input.department,
      role: input.role,
      countyCode: input.countyCode ?? null,
      demo: input.demo ?? false,
    })
    const user: User = {
      id,
      username: input.username,
      department: input.department,
      role: input.role,
      countyCode: input.countyCode ?? null,
      demo: input.demo ?? false,
    }
    await appendAudit(trx, actor, { action: 'create', entityType: 'user', entityId: id, after: user })
    return user
  })
}

/** A demo desk's user, inside the demo loader's transaction, unless one of that name exists already; true when created. */
export async function createDemoUser(
  trx: Transaction<Database>,
  spec: { username: string; department: Department; role: Role; countyCode?: string },
  passwordHash: string,
  actor: Actor,
): Promise<boolean> {
  if (await repository.usernameTaken(trx, spec.username)) return false
  const id = await repository.insertUser(trx, {
    username: spec.username,
    passwordHash,
    department: spec.department,
    role: spec.role,
    countyCode: spec.countyCode ?? null,
    demo: true,
  })
  await appendAudit(trx, actor, { action: 'create', entityType: 'user', entityId: id, after: { ...spec, demo: true } })
  return true
}

/** Every user, without password hashes. */
export async function listUsers(db: Kysely<Database>): Promise<User[]> {
  return (await repository.listUsers(db)).map(toUser)
}

/** Drops expired sessions; run at start. */
export async function pruneSessions(db: Kysely<Database>): Promise<void> {
  await repository.deleteExpiredSessions(db)
}

/** The user of that name (signed in or not), for the demo loader. */
export async function findUser(db: Kysely<Database>, username: string): Promise<User | undefined> {
  const row = await repository.findUserByUsername(db, username)
  return row ? toUser(row) : undefined
}
