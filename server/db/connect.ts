import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { Database } from './types.ts'
import { PGliteDialect } from './pglite-dialect.ts'
import { lockDataDir } from './data-dir-lock.ts'
import { connectPrepared } from './prepared-pool.ts'
import { EmbeddedDatabase } from './embedded-database.ts'

export type DatabaseKind = 'embedded' | 'postgis'

/** The PGlite behind each embedded Kysely, for the one query that may pass the connection's queue (postgisVersion). */
const embeddedOf = new WeakMap<Kysely<Database>, EmbeddedDatabase>()

export interface DatabaseHandle {
  db: Kysely<Database>
  kind: DatabaseKind
  /**
   * On the server, a pool of its own (as large as db's) for the few hot reads whose plan does not depend on their
   * values (the single check's queries): prepared once per connection, run on their generic plan (prepared-pool.ts).
   * Absent: use db.
   */
  prepared?: Kysely<Database>
  /** On the embedded database, the PGlite thread behind db (embedded-database.ts). */
  embedded?: EmbeddedDatabase
  close(): Promise<void>
}

// Both drivers hand values over in the same shapes: dates as 'YYYY-MM-DD' text (never a local-midnight
// Date), bigint counts as numbers, timestamps as Date.
const DATE_OID = 1082
const INT8_OID = 20
pg.types.setTypeParser(DATE_OID, (value: string) => value)
pg.types.setTypeParser(INT8_OID, (value: string) => Number(value))

export interface ConnectOptions {
  databaseUrl?: string | undefined
  dataDir?: string | undefined
  /** A PGlite data-dir tarball to start from (tests use a migrated template). */
  loadDataDir?: Blob | File | undefined
  poolSize?: number
}

/** Opens the PostGIS server when a URL is given, otherwise the embedded PGlite in dataDir (memory when absent). */
export async function connectDatabase(options: ConnectOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    // JIT compilation costs seconds on the zoning queries (their cost estimates are huge, their runs short).
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10, options: '-c jit=off' })
    // A dropped server connection must not take the process down; the next query reconnects.
    pool.on('error', () => {})
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    const prepared = connectPrepared(options.databaseUrl, options.poolSize ?? 10)
    return { db, kind: 'postgis', prepared, close: async () => void (await Promise.all([db.destroy(), prepared.destroy()])) }
  }
  // One process at a time on a data folder: a second service, or a backup while the service runs, is refused.
  const unlock = options.dataDir ? lockDataDir(options.dataDir) : () => {}
  try {
    const pglite = await openEmbedded(options.dataDir, options.loadDataDir)
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) })
    embeddedOf.set(db, pglite)
    return {
      db,
      kind: 'embedded',
      embedded: pglite,
      close: async () => {
        try {
          await db.destroy()
        } finally {
          unlock()
        }
      },
    }
  } catch (error) {
    unlock()
    throw error
  }
}

/**
 * Starts PGlite with the PostGIS extension on a thread of its own (embedded-database.ts), so that its statements
 * never hold the service's event loop.
 */
export function openEmbedded(dataDir: string | undefined, loadDataDir?: Blob | File): Promise<EmbeddedDatabase> {
  return EmbeddedDatabase.open(dataDir, loadDataDir)
}

/**
 * PostGIS version string, e.g. "3.5.2": a real round trip that /health makes. On the embedded database it does not
 * wait in the connection's queue behind a transaction (an import holds the one connection for seconds): the
 * database's thread runs it between two statements of that transaction (requests run in the order they are made),
 * and it reads nothing, so it sees nothing uncommitted and changes nothing. A closed or stopped database throws at
 * once; any other error asks again in turn.
 */
export async function postgisVersion(db: Kysely<Database>): Promise<string> {
  const pglite = embeddedOf.get(db)
  if (pglite) {
    try {
      const { rows } = await pglite.query<{ version: string }>('select postgis_lib_version() as version')
      return rows[0]?.version ?? 'unknown'
    } catch (error) {
      if (pglite.closed) throw error
    }
  }
  const { rows } = await sql<{ version: string }>`select postgis_lib_version() as version`.execute(db)
  return rows[0]?.version ?? 'unknown'
}
