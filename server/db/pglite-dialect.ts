import type { EmbeddedDatabase } from './embedded-database.ts'
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely'

/**
 * Kysely dialect for the embedded PGlite database (on its own thread, embedded-database.ts). PGlite is a single
 * connection, so the driver hands it out under a mutex: a transaction holds it until COMMIT/ROLLBACK and other
 * queries wait, which gives the same isolation a pooled server connection would.
 * (Kysely ships its own PGlite dialect only from 0.29, which needs Node 22.)
 */
export class PGliteDialect implements Dialect {
  constructor(private readonly pglite: EmbeddedDatabase) {}
  createAdapter() {
    return new PostgresAdapter()
  }
  createDriver(): Driver {
    return new PGliteDriver(this.pglite)
  }
  createIntrospector(db: Kysely<any>) {
    return new PostgresIntrospector(db)
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler()
  }
}

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pglite: EmbeddedDatabase) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.pglite.query<R>(compiled.sql, [...compiled.parameters])
    const command = compiled.sql.trimStart().slice(0, 6).toUpperCase()
    const writes =
      command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command.startsWith('WITH') || command === 'MERGE '
    return {
      rows: result.rows ?? [],
      numAffectedRows: writes && result.affectedRows !== undefined ? BigInt(result.affectedRows) : undefined,
    }
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on the embedded database')
  }
}

class PGliteDriver implements Driver {
  readonly #connection: PGliteConnection
  #queue: Promise<void> = Promise.resolve()
  #release: (() => void) | undefined

  constructor(private readonly pglite: EmbeddedDatabase) {
    this.#connection = new PGliteConnection(pglite)
  }

  async init() {
    await this.pglite.waitReady
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#queue
    let release!: () => void
    this.#queue = new Promise<void>((resolve) => (release = resolve))
    await previous
    this.#release = release
    return this.#connection
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    let statement = 'begin'
    if (settings.isolationLevel) statement += ` isolation level ${settings.isolationLevel}`
    await connection.executeQuery(CompiledQuery.raw(statement))
  }

  async commitTransaction(connection: DatabaseConnection) {
    await connection.executeQuery(CompiledQuery.raw('commit'))
  }

  async rollbackTransaction(connection: DatabaseConnection) {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
  }

  async releaseConnection() {
    const release = this.#release
    this.#release = undefined
    release?.()
  }

  async destroy() {
    await this.#queue
    if (!this.pglite.closed) await this.pglite.close()
  }
}
