import fs from 'node:fs'
import path from 'node:path'
import { Worker } from 'node:worker_threads'

/** What a statement gives back, as PGlite gives it (structured clone keeps Date, Uint8Array, arrays and JSON values). */
export interface EmbeddedResult<R> {
  rows: R[]
  affectedRows?: number
  fields: { name: string; dataTypeID: number }[]
}

type Request = { op: 'query'; sql: string; params: unknown[] } | { op: 'dump'; compression: 'gzip' | 'none' | 'auto' } | { op: 'close' }
type Message =
  | { type: 'ready' }
  | { type: 'failed'; error: SerialisedError }
  | { type: 'crashed'; error: SerialisedError }
  | { type: 'answer'; id: number; result?: unknown; error?: SerialisedError }
type SerialisedError = { name: string; message: string; stack?: string } & Record<string, unknown>

const WORKER = new URL('./embedded-worker.mjs', import.meta.url)

/** The error the worker caught, rebuilt with every property it carried (code, detail, constraint, table, …). */
function rebuild(serialised: SerialisedError): Error {
  const error = new Error(serialised.message)
  Object.assign(error, serialised)
  return error
}

/**
 * The embedded PGlite, run on a worker thread (embedded-worker.mjs): the service's event loop only posts statements
 * and takes their rows, so a statement of seconds (an ANALYZE, a what-if preview) no longer holds it. The surface is
 * the part of PGlite's that the service uses. Requests run one at a time in the order they are made; which
 * connection's statement goes next is the dialect's business (pglite-dialect.ts). If the thread dies (a WebAssembly
 * abort), every waiting request fails, as does every later one, and `closed` turns true.
 */
export class EmbeddedDatabase {
  readonly waitReady: Promise<void>
  #thread: Worker
  #pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>()
  #nextId = 0
  #closed = false
  #stopped: Error | undefined
  #exited: Promise<void>

  private constructor(thread: Worker) {
    this.#thread = thread
    this.#exited = new Promise((resolve) => thread.once('exit', () => resolve()))
    let settle!: { resolve: () => void; reject: (error: Error) => void }
    this.waitReady = new Promise<void>((resolve, reject) => (settle = { resolve, reject }))
    let crash: Error | undefined
    thread.on('message', (message: Message) => {
      if (message.type === 'ready') return settle.resolve()
      if (message.type === 'failed') return settle.reject(rebuild(message.error))
      if (message.type === 'crashed') {
        crash = rebuild(message.error)
        return
      }
      const waiting = this.#pending.get(message.id)
      this.#pending.delete(message.id)
      if (this.#pending.size === 0) thread.unref()
      if (message.error) waiting?.reject(rebuild(message.error))
      else waiting?.resolve(message.result)
    })
    thread.on('error', (error) => (crash ??= error))
    thread.on('exit', (code) => {
      const stopped = new Error(
        this.#closed && !crash
          ? 'the embedded database is closed'
          : `the embedded database stopped${crash ? `: ${crash.message}` : ` (its thread exited with code ${code})`}`,
        { cause: crash },
      )
      this.#stopped = stopped
      this.#closed = true
      settle.reject(stopped)
      for (const waiting of this.#pending.values()) waiting.reject(stopped)
      this.#pending.clear()
    })
    // Held only while a request is pending, as a socket is (unref after the listeners, which would hold it again).
    thread.unref()
    this.waitReady.catch(() => {})
  }

  /** Starts the thread and the database in it: in dataDir (memory when absent), from a data-dir tarball when given. */
  static async open(dataDir: string | undefined, loadDataDir?: Blob): Promise<EmbeddedDatabase> {
    if (dataDir) fs.mkdirSync(path.dirname(dataDir), { recursive: true })
    const tarball = loadDataDir ? await loadDataDir.arrayBuffer() : undefined
    const thread = new Worker(WORKER, {
      workerData: { dataDir, loadDataDir: tarball },
      transferList: tarball ? [tarball] : [],
      // Plain JavaScript: none of the process's flags (tsx's loader, --input-type, …) is wanted, nor their start cost.
      execArgv: [],
    })
    const database = new EmbeddedDatabase(thread)
    // Starting holds the thread open, so that a start is awaited even with nothing else to do.
    thread.ref()
    try {
      await database.waitReady
    } catch (error) {
      await thread.terminate()
      throw error
    } finally {
      thread.unref()
    }
    return database
  }

  /** True once closed or once the thread stopped: requests then fail at once. */
  get closed(): boolean {
    return this.#closed
  }

  /** One statement with its parameters ($1, $2, …). */
  query<R>(sql: string, params: unknown[] = []): Promise<EmbeddedResult<R>> {
    return this.#request({ op: 'query', sql, params })
  }

  /** The data folder as a tarball (gzip, none or auto), as PGlite writes it and loads it back. */
  async dumpDataDir(compression: 'gzip' | 'none' | 'auto' = 'auto'): Promise<Blob> {
    return new Blob([await this.#request<ArrayBuffer>({ op: 'dump', compression })])
  }

  /** Closes the database after the requests already made, then ends the thread. */
  async close(): Promise<void> {
    if (this.#closed) {
      await this.#exited
      return
    }
    const closing = this.#request<null>({ op: 'close' })
    this.#closed = true
    try {
      await closing
    } finally {
      await this.#thread.terminate()
    }
  }

  /**
   * Ends the thread at once, as a crash would: what is waiting fails and nothing more can be asked. For a statement
   * that never ends (a hang inside GEOS), which close() would wait for.
   */
  async terminate(): Promise<void> {
    await this.#thread.terminate()
    await this.#exited
  }

  #request<T>(request: Request): Promise<T> {
    if (this.#closed) return Promise.reject(this.#stopped ?? new Error('the embedded database is closed'))
    const id = (this.#nextId += 1)
    return new Promise<T>((resolve, reject) => {
      try {
        this.#thread.postMessage({ ...request, id })
      } catch (error) {
        // A parameter structured clone cannot carry (a function, a class with private state).
        return reject(error as Error)
      }
      this.#pending.set(id, { resolve, reject })
      this.#thread.ref()
    })
  }
}
