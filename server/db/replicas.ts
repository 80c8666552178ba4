import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely'
import pg from 'pg'
import type { Database } from './types.ts'

/**
 * Reads on hot standbys (streaming replication): one pool per standby, taken in turn. A standby that cannot be
 * reached is passed over for a while, and with none left the read goes to the primary, so a standby going down
 * costs nothing but its share of the load. Only reads go here: a standby refuses every write.
 */
export interface ReplicaSet {
  db: Kysely<Database>
  /** Reads each standby served and each that fell back to the primary, for the logs and the tests. */
  stats: () => { perReplica: number[]; primaryFallbacks: number }
  close: () => Promise<void>
}

/** How long a standby that failed to connect is left out. */
const SKIP_MS = 10_000

export function connectReplicas(urls: readonly string[], primaryUrl: string, poolSize = 10): ReplicaSet {
  const pools = urls.map((url) => {
    const pool = new pg.Pool({ connectionString: url, max: poolSize, options: '-c jit=off', connectionTimeoutMillis: 3000 })
    pool.on('error', () => {})
    return pool
  })
  const skipUntil = urls.map(() => 0)
  const served = urls.map(() => 0)
  let fallbacks = 0
  let primary: pg.Pool | undefined
  let next = 0

  const pool: PostgresPool = {
    connect: async (): Promise<PostgresPoolClient> => {
      const now = Date.now()
      for (let tried = 0; tried < pools.length; tried += 1) {
        const i = (next + tried) % pools.length
        if (skipUntil[i]! > now) continue
        try {
          const client = await pools[i]!.connect()
          next = (i + 1) % pools.length
          served[i]! += 1
          return client
        } catch {
          skipUntil[i] = Date.now() + SKIP_MS
        }
      }
      if (!primary) {
        primary = new pg.Pool({ connectionString: primaryUrl, max: Math.max(2, Math.ceil(poolSize / 2)), options: '-c jit=off' })
        primary.on('error', () => {})
      }
      fallbacks += 1
      return primary.connect()
    },
    end: async () => {
      await Promise.all([...pools.map((p) => p.end()), primary?.end()])
    },
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    stats: () => ({ perReplica: [...served], primaryFallbacks: fallbacks }),
    close: () => db.destroy(),
  }
}
