/**
 * The audit log's hash chain, with no database: each entry's seal is the SHA-256 of the previous seal and the entry's
 * content as stored, so changing, removing or reordering any sealed entry breaks every link after it.
 */
import { createHash } from 'node:crypto'

/** The link before the first entry. */
export const GENESIS_HASH = '0'.repeat(64)

/**
 * An entry as the chain hashes it: every column as text, exactly as the database renders it (the time in UTC to the
 * microsecond, jsonb in its canonical text form), so the sealer and a later verification read the same bytes.
 */
export interface ChainEntry {
  id: string
  at: string
  userId: string | null
  username: string | null
  role: string | null
  department: string | null
  action: string
  entityType: string
  entityId: string | null
  before: string | null
  after: string | null
  requestId: string | null
  /** The API token of the request (null for sessions, and for every entry written before tokens existed). */
  tokenId: string | null
  tokenName: string | null
}

/** The seal of an entry following the link `prevHash`. */
export function entryHash(prevHash: string, entry: ChainEntry): string {
  // A JSON array keeps field boundaries unambiguous (no value can pose as two).
  const content = JSON.stringify([
    prevHash,
    entry.id,
    entry.at,
    entry.userId,
    entry.username,
    entry.role,
    entry.department,
    entry.action,
    entry.entityType,
    entry.entityId,
    entry.before,
    entry.after,
    entry.requestId,
    // Only entries made with a token carry these, so every seal made before tokens existed still verifies.
    ...(entry.tokenId === null && entry.tokenName === null ? [] : [entry.tokenId, entry.tokenName]),
  ])
  return createHash('sha256').update(content, 'utf8').digest('hex')
}
