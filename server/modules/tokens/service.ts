import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, invalid, notFound } from '../../errors.ts'
import type { ApiTokenLookup } from '../../plugins/auth.ts'
import type { SignedInActor, User } from '../../schemas/auth.ts'
import {
  DEFAULT_TOKEN_DAYS,
  MAX_LIVE_TOKENS,
  MAX_TOKEN_DAYS,
  type ApiToken,
  type ApiTokenQuery,
  type CreateApiToken,
  type CreatedApiToken,
} from '../../schemas/tokens.ts'
import { record as appendAudit } from '../audit-log/service.ts'
import type { CredentialCache } from '../users/credential-cache.ts'
import { hashToken, toUser, TOUCH_EVERY_MS } from '../users/service.ts'
import * as repository from './repository.ts'
import type { TokenRow } from './repository.ts'

/** The visible prefix: `gyz_` and the first 8 characters of the random part (48 of its 256 bits). */
const PREFIX_LENGTH = 12
const DAY_MS = 86_400_000

/** A calendar day in Beijing time (UTC+8, no daylight saving), `days` from now. */
const beijingDay = (days = 0): string => new Date(Date.now() + 8 * 3600_000 + days * DAY_MS).toISOString().slice(0, 10)

/** Row → API token (never its hash). */
const toApiToken = (row: TokenRow): ApiToken => ({
  id: row.id,
  userId: row.user_id,
  username: row.username,
  name: row.name,
  access: row.access,
  prefix: row.prefix,
  createdAt: new Date(row.created_at).toISOString(),
  expiresOn: row.expires_on,
  lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
  revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
  state: row.revoked_at ? 'revoked' : row.expired ? 'expired' : 'active',
})

/** The expiry day asked for, checked: a real date, today at the earliest, at most MAX_TOKEN_DAYS ahead. */
function expiryOf(expiresOn: string | undefined): string {
  if (expiresOn === undefined) return beijingDay(DEFAULT_TOKEN_DAYS)
  const parsed = new Date(`${expiresOn}T00:00:00Z`)
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== expiresOn)
    throw invalid('/expiresOn', `${expiresOn} is not a date of the calendar`)
  const today = beijingDay()
  if (expiresOn < today) throw invalid('/expiresOn', `${expiresOn} is in the past (today is ${today}, Beijing time)`)
  const latest = beijingDay(MAX_TOKEN_DAYS)
  if (expiresOn > latest) throw invalid('/expiresOn', `a token lives at most ${MAX_TOKEN_DAYS} days: ${latest} at the latest`)
  return expiresOn
}

/**
 * Creates a token for the signed-in user and answers it with its secret, the only time the secret is shown. A user
 * holds at most MAX_LIVE_TOKENS working tokens; the audit entry names the token, never its secret.
 */
export async function createToken(db: Kysely<Database>, input: CreateApiToken, actor: SignedInActor): Promise<CreatedApiToken> {
  const name = input.name.trim()
  const expiresOn = expiryOf(input.expiresOn)
  const secret = `gyz_${randomBytes(32).toString('base64url')}`
  const prefix = secret.slice(0, PREFIX_LENGTH)
  return db.transaction().execute(async (trx) => {
    await repository.lockUser(trx, actor.user.id)
    const live = await repository.countLiveTokens(trx, actor.user.id)
    if (live >= MAX_LIVE_TOKENS)
      throw new AppError('CONFLICT', `you hold ${live} working tokens, the most allowed; revoke one before creating another`)
    const row = await repository.insertToken(trx, {
      userId: actor.user.id,
      name,
      access: input.access,
      tokenHash: hashToken(secret),
      prefix,
      expiresOn,
    })
    const token = toApiToken(row)
    await appendAudit(trx, actor, {
      action: 'create',
      entityType: 'api_token',
      entityId: token.id,
      after: { userId: token.userId, name, access: token.access, prefix, expiresOn },
    })
    return { ...token, token: secret }
  })
}

/** Tokens a user may see: their own; an administrator's choice of one user's or everyone's. */
export async function listTokens(db: Kysely<Database>, user: User, query: ApiTokenQuery): Promise<ApiToken[]> {
  const isAdmin = user.role === 'admin'
  if (query.all && !isAdmin) throw new AppError('FORBIDDEN', "all: only administrators list everyone's tokens")
  if (query.userId !== undefined && query.userId !== user.id && !isAdmin)
    throw new AppError('FORBIDDEN', "userId: only administrators list another user's tokens")
  if (query.all && query.userId !== undefined) throw invalid('/userId', 'give userId or all, not both')
  const userId = query.all ? undefined : (query.userId ?? user.id)
  const rows = await repository.listTokens(db, { userId, includeRevoked: query.includeRevoked ?? false })
  return rows.map(toApiToken)
}

/** Revokes a token (its owner or an administrator); 404 when there is none of that id, 409 when it is revoked already. */
export async function revokeToken(db: Kysely<Database>, id: number, actor: SignedInActor, cache?: CredentialCache): Promise<ApiToken> {
  const revoked = await db.transaction().execute(async (trx) => {
    const row = await repository.findToken(trx, id)
    if (!row) throw notFound('token', id)
    if (row.user_id !== actor.user.id && actor.user.role !== 'admin')
      throw new AppError('FORBIDDEN', `token ${id} is another user's; only its owner or an administrator may revoke it`)
    if (!(await repository.revokeToken(trx, id, actor.user.id))) throw new AppError('CONFLICT', `token ${id} is revoked already`)
    const before = toApiToken(row)
    const after = toApiToken((await repository.findToken(trx, id))!)
    await appendAudit(trx, actor, { action: 'revoke', entityType: 'api_token', entityId: id, before, after })
    return after
  })
  cache?.forgetApiToken(id)
  return revoked
}

/** When a token stops working: the end of its expiresOn day in Beijing time (UTC+8). */
const endOfBeijingDay = (day: string): number => Date.parse(`${day}T00:00:00+08:00`) + DAY_MS

/**
 * The user behind a token's secret, as the auth plugin needs it: found by the hash's unique index; refused when unknown,
 * revoked, expired, or its user disabled. Marks the token used, at most once a minute. With a cache, a look-up of the
 * last few seconds answers without the database.
 */
export async function userForApiToken(db: Kysely<Database>, secret: string, cache?: CredentialCache): Promise<ApiTokenLookup> {
  const tokenHash = hashToken(secret)
  const now = Date.now()
  const cached = cache?.apiTokens.get(tokenHash, now)
  if (cached) return cached
  const ticket = cache?.apiTokens.ticket() ?? 0
  const row = await repository.findTokenUser(db, tokenHash)
  if (!row) return { refused: 'this token is unknown' }
  if (row.revoked_at) return { refused: `the token "${row.token_name}" was revoked` }
  if (row.expired) return { refused: `the token "${row.token_name}" expired after ${row.expires_on}` }
  if (row.disabled_at) return { refused: `the token's user ${row.username} is disabled` }
  if (!row.last_used_at || now - new Date(row.last_used_at).getTime() >= TOUCH_EVERY_MS) await repository.touchToken(db, row.token_id)
  const found = { user: toUser(row), token: { id: row.token_id, name: row.token_name, access: row.access } }
  cache?.apiTokens.set(tokenHash, found, ticket, endOfBeijingDay(row.expires_on))
  return found
}
