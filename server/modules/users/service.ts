import { createHash, randomBytes } from 'node:crypto'
import { hash, verify } from '@node-rs/argon2'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError } from '../../errors.ts'
import type { Actor, CreateUser, User } from '../../schemas/auth.ts'
import type { Department, Role } from '../../schemas/common.ts'
import { record as appendAudit } from '../audit-log/service.ts'
import type { CredentialCache } from './credential-cache.ts'
import * as repository from './repository.ts'
import { countyCodes } from '../reference/repository.ts'
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

/** How sign-in is guarded: lifetimes and failure limits, from the configuration. */
export interface SignInPolicy {
  ttlHours: number
  failureWindowMinutes: number
  maxFailuresPerAddress: number
  /** 0: no lockout. */
  lockoutFailures: number
}

export interface SignInAttempt {
  username: string
  password: string
  address: string
  userAgent: string | null
}

const windowStartOf = (now: number, minutes: number) => new Date(Math.floor(now / (minutes * 60_000)) * minutes * 60_000)
/** Failed sign-ins are written to the audit log at the 1st, 10th, 100th … of a window, so a flood adds a handful of entries, not one each. */
const isLogged = (count: number) => /^10*$/.test(String(count))

/**
 * Checks credentials and opens a server-side session; returns the user and the cookie token. An address that has
 * failed too often in the window (across usernames: password spraying), or a username locked after its failures, is
 * refused with 429 before the password is even checked.
 */
export async function login(
  db: Kysely<Database>,
  attempt: SignInAttempt,
  policy: SignInPolicy,
  requestId: string,
): Promise<{ user: User; token: string; expiresAt: Date }> {
  const { username, password, address } = attempt
  const now = Date.now()
  const windowMs = policy.failureWindowMinutes * 60_000
  const windowStart = windowStartOf(now, policy.failureWindowMinutes)
  // Failures count in this window and the one before: they are forgotten when the next window begins.
  const retryAfterSeconds = Math.max(1, Math.ceil((windowStart.getTime() + 2 * windowMs - now) / 1000))
  const key = username.toLowerCase()
  const counts = await repository.failureCounts(db, address, key, windowStart, windowMs)
  if (counts.address >= policy.maxFailuresPerAddress)
    throw new AppError('RATE_LIMITED', `too many failed sign-ins from this address; try again in ${retryAfterSeconds} s`, {
      retryAfterSeconds,
    })
  if (policy.lockoutFailures > 0 && counts.username >= policy.lockoutFailures)
    throw new AppError(
      'RATE_LIMITED',
      `this username is locked after ${policy.lockoutFailures} failed sign-ins; try again in ${retryAfterSeconds} s`,
      { retryAfterSeconds },
    )
  const row = await repository.findUserByUsername(db, username)
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'))
  const valid = await verify(row?.password_hash ?? (await dummyHash), password).catch(() => false)
  const demoRefused = Boolean(row && valid && !row.disabled_at && row.demo && !(await demoDataLoaded(db)))
  if (!row || !valid || row.disabled_at || demoRefused) {
    await repository.countFailure(db, address, key, windowStart)
    const after = { address: counts.address + 1, username: counts.username + 1 }
    // By address: a spray of many names from one place adds a handful; by username only from the 10th, or every name's first failure would.
    if (isLogged(after.address) || (after.username >= 10 && isLogged(after.username)))
      await appendAudit(
        db,
        { user: null, requestId },
        {
          action: 'login_failed',
          entityType: 'session',
          entityId: null,
          after: {
            username,
            address,
            failuresFromAddress: after.address,
            failuresForUsername: after.username,
            windowStart: windowStart.toISOString(),
            ...(demoRefused ? { reason: 'demo data not loaded' } : {}),
          },
        },
      )
    if (demoRefused) throw new AppError('INVALID_CREDENTIALS', 'demo users can sign in only while the demo data is loaded')
    throw new AppError('INVALID_CREDENTIALS', 'username or password is wrong')
  }
  const user = toUser(row)
  const token = randomBytes(32).toString('base64url')
  const expiresAt = new Date(now + policy.ttlHours * 3600_000)
  await db.transaction().execute(async (trx) => {
    await repository.insertSession(trx, { tokenHash: hashToken(token), userId: user.id, expiresAt, address, userAgent: attempt.userAgent })
    if (counts.username > 0) await repository.clearUsernameFailures(trx, key)
    await appendAudit(trx, { user, requestId }, { action: 'login', entityType: 'session', entityId: user.id })
  })
  return { user, token, expiresAt }
}

/** Revokes the session behind a cookie token. */
export async function logout(db: Kysely<Database>, token: string, actor: Actor, cache?: CredentialCache): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await repository.revokeSession(trx, hashToken(token))
    await appendAudit(trx, actor, { action: 'logout', entityType: 'session', entityId: actor.user?.id ?? null })
  })
  cache?.forgetSession(hashToken(token))
}

/** A session's (and an API token's) last use is written at most this often: one write per minute of use, not per request. */
export const TOUCH_EVERY_MS = 60_000

/**
 * The user behind a session token, if the session is live (and not idle longer than idleMinutes); marks it used when
 * its last use is a minute old. With a cache, a look-up of the last few seconds answers without the database.
 */
export async function userForToken(
  db: Kysely<Database>,
  token: string,
  idleMinutes = 0,
  cache?: CredentialCache,
): Promise<User | undefined> {
  const tokenHash = hashToken(token)
  const now = Date.now()
  const cached = cache?.sessions.get(tokenHash, now)
  if (cached) return cached.user
  const ticket = cache?.sessions.ticket() ?? 0
  const row = await repository.findSessionUser(db, tokenHash, idleMinutes)
  if (!row) return undefined
  let lastSeen = new Date(row.last_seen_at).getTime()
  if (idleMinutes > 0 && now - lastSeen >= TOUCH_EVERY_MS) {
    await repository.touchSession(db, tokenHash)
    lastSeen = now
  }
  const user = toUser(row)
  // Never past the session's end: its absolute expiry, or the idle end its last recorded use sets.
  const endsAt = Math.min(new Date(row.expires_at).getTime(), idleMinutes > 0 ? lastSeen + idleMinutes * 60_000 : Infinity)
  cache?.sessions.set(tokenHash, { user, publicId: row.public_id }, ticket, endsAt)
  return user
}

export interface SessionInfo {
  id: string
  userId: number
  username: string
  createdAt: string
  lastSeenAt: string
  expiresAt: string
  address: string | null
  userAgent: string | null
}

/** The live sessions, of one user or of everyone (administrators). */
export async function listSessions(db: Kysely<Database>, userId: number | undefined, idleMinutes: number): Promise<SessionInfo[]> {
  return (await repository.listLiveSessions(db, userId, idleMinutes)).map((r) => ({
    id: r.public_id,
    userId: r.user_id,
    username: r.username,
    createdAt: new Date(r.created_at).toISOString(),
    lastSeenAt: new Date(r.last_seen_at).toISOString(),
    expiresAt: new Date(r.expires_at).toISOString(),
    address: r.address,
    userAgent: r.user_agent,
  }))
}

/** Revokes one session by its id (administrators); 404 when there is no live session of that id. */
export async function revokeSession(db: Kysely<Database>, sessionId: string, actor: Actor, cache?: CredentialCache): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const userId = await repository.revokeSessionById(trx, sessionId)
    if (userId === undefined) throw new AppError('NOT_FOUND', `session ${sessionId} does not exist or has ended`)
    await appendAudit(trx, actor, { action: 'revoke', entityType: 'session', entityId: userId, after: { sessionId } })
  })
  cache?.forgetSessionById(sessionId)
}

/** Disables a user (ending every session of theirs) or enables them again (administrators). */
export async function setDisabled(
  db: Kysely<Database>,
  userId: number,
  disabled: boolean,
  actor: Actor,
  cache?: CredentialCache,
): Promise<User & { disabled: boolean }> {
  if (actor.user?.id === userId && disabled)
    throw new AppError('VALIDATION_FAILED', 'disabled: an administrator cannot disable their own account', {
      problems: [{ field: '/disabled', message: 'an administrator cannot disable their own account' }],
    })
  const changed = await db.transaction().execute(async (trx) => {
    const row = await repository.setUserDisabled(trx, userId, disabled)
    if (!row) throw new AppError('NOT_FOUND', `user ${userId} does not exist`)
    const sessionsEnded = disabled ? await repository.revokeUserSessions(trx, userId) : 0
    await appendAudit(trx, actor, {
      action: disabled ? 'disable' : 'enable',
      entityType: 'user',
      entityId: userId,
      after: { sessionsEnded },
    })
    return { ...toUser(row), disabled }
  })
  if (disabled) cache?.forgetUser(userId)
  return changed
}

/** Creates a user (administrators, the CLI and the demo loader); the audit entry never holds the password. */
export async function createUser(db: Kysely<Database>, input: CreateUser & { demo?: boolean }, actor: Actor): Promise<User> {
  if (input.role === 'admin' && input.department !== 'admin') {
    throw new AppError('VALIDATION_FAILED', 'role: admin is only for the admin department', {
      problems: [{ field: '/role', message: 'admin is only for the admin department' }],
    })
  }
  if (input.countyCode) {
    // Said in the service's words (the command line creates users too), not as the foreign key's refusal.
    const known = await countyCodes(db)
    if (!known.includes(input.countyCode))
      throw new AppError('UNPROCESSABLE', `countyCode: ${input.countyCode} is not a county of Guyuan; one of ${known.join(', ')}`, {
        problems: [{ field: '/countyCode', message: `${input.countyCode} is not a county of Guyuan` }],
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

/** Drops expired sessions and old failure counts; run at start. */
export async function pruneSessions(db: Kysely<Database>): Promise<void> {
  await repository.deleteExpiredSessions(db)
  await repository.deleteOldFailures(db)
}

/** The user of that name (signed in or not), for the demo loader. */
export async function findUser(db: Kysely<Database>, username: string): Promise<User | undefined> {
  const row = await repository.findUserByUsername(db, username)
  return row ? toUser(row) : undefined
}
