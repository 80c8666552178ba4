import type { ApiTokenOfRequest } from '../../plugins/auth.ts'
import type { User } from '../../schemas/auth.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** This instance's short-lived cache of session and API-token look-ups (SESSION_CACHE_MS). */
    credentialCache: CredentialCache
  }
}

/** A live session as the cache holds it. */
export interface CachedSession {
  user: User
  /** The session's public id (the first 16 hex digits of its token hash), by which an administrator ends it. */
  publicId: string
}

/** A working API token as the cache holds it. */
export interface CachedApiToken {
  user: User
  token: ApiTokenOfRequest
}

interface Entry<T> {
  value: T
  /** When the entry stops answering (epoch ms): the TTL, or sooner when the credential itself ends sooner. */
  until: number
}

/** Most credentials an instance remembers; the oldest are dropped first (each is re-read at the next use). */
const MAX_ENTRIES = 10_000

/** One map of live credentials keyed by the SHA-256 of their secret, each entry answering until its own time. */
export class Shelf<T extends { user: User }> {
  private readonly entries = new Map<string, Entry<T>>()
  /** Bumped by every eviction: a look-up that began before one may not store what it read (it may predate a revocation). */
  private generation = 0

  constructor(private readonly ttlMs: number) {}

  get(key: string, now = Date.now()): T | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    if (entry.until > now) return entry.value
    this.entries.delete(key)
    return undefined
  }

  /** A ticket to take before reading the database, for `set`. */
  ticket(): number {
    return this.generation
  }

  /** Remembers a credential read from the database, unless the cache is off or something was evicted since the read began. */
  set(key: string, value: T, ticket: number, endsAt: number, now = Date.now()): void {
    if (this.ttlMs <= 0 || ticket !== this.generation) return
    const until = Math.min(now + this.ttlMs, endsAt)
    if (until <= now) return
    // One object answers many requests: none of them may change it for the others.
    for (const part of Object.values(value)) if (typeof part === 'object' && part !== null) Object.freeze(part)
    Object.freeze(value)
    this.entries.delete(key)
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!)
    this.entries.set(key, { value, until })
  }

  /** Forgets every entry the predicate picks. */
  evict(picked: (key: string, value: T) => boolean): void {
    this.generation += 1
    for (const [key, entry] of this.entries) if (picked(key, entry.value)) this.entries.delete(key)
  }
}

/**
 * The session and API-token look-ups of the last few seconds, so that most requests read no credential from the
 * database. An entry answers for at most `ttlMs` (and never past the session's expiry or idle end, or the token's
 * expiry day): a revocation made on another instance, which shares only the database, takes effect there within
 * `ttlMs`; the instance that revokes forgets the credential at once. Keys are SHA-256 hashes of the secrets, so only
 * the very secret that was looked up finds its entry. Refusals are never cached.
 */
export class CredentialCache {
  readonly sessions: Shelf<CachedSession>
  readonly apiTokens: Shelf<CachedApiToken>

  constructor(readonly ttlMs: number) {
    this.sessions = new Shelf(ttlMs)
    this.apiTokens = new Shelf(ttlMs)
  }

  /** Sign-out: forgets the session of that token hash. */
  forgetSession(tokenHash: string): void {
    this.sessions.evict((key) => key === tokenHash)
  }

  /** An administrator ended a session: forgets it by its public id. */
  forgetSessionById(publicId: string): void {
    this.sessions.evict((_, value) => value.publicId === publicId)
  }

  /** A user was disabled: forgets every session and token of theirs. */
  forgetUser(userId: number): void {
    this.sessions.evict((_, value) => value.user.id === userId)
    this.apiTokens.evict((_, value) => value.user.id === userId)
  }

  /** A token was revoked: forgets it. */
  forgetApiToken(tokenId: number): void {
    this.apiTokens.evict((_, value) => value.token.id === tokenId)
  }
}
