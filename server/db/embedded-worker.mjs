// The embedded PGlite on a thread of its own (embedded-database.ts posts to it): a statement runs in WebAssembly and
// holds the thread it runs on until it ends, so here it holds this one and not the service's event loop.
// Plain JavaScript so that it loads in a worker with no TypeScript loader, from the sources and from the bundle alike.
/* global WebAssembly, structuredClone */
import { Blob } from 'node:buffer'
import process from 'node:process'
import { parentPort, workerData } from 'node:worker_threads'
import { PGlite, types } from '@electric-sql/pglite'
import { postgis } from '@electric-sql/pglite-postgis'

/** A failure of the WebAssembly instance itself (an abort, a trap, an exit): nothing after it can be trusted. */
const fatal = (error) => error instanceof WebAssembly.RuntimeError || (error && typeof error === 'object' && error.name === 'ExitStatus')

/**
 * Every own property of an error that survives a structured clone (code, detail, constraint, table, column, …: what
 * errors.ts maps), with its name, message and stack, so that the other side rebuilds it as it was thrown.
 */
function serialise(error) {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) }
  const out = { name: error.name, message: error.message, stack: error.stack }
  for (const key of Object.getOwnPropertyNames(error)) {
    if (key in out) continue
    try {
      out[key] = structuredClone(error[key])
    } catch {
      // A value that cannot cross (a function in the query's options) is left behind.
    }
  }
  return out
}

/** The thread stops after telling the service why; the service fails what was waiting and answers 503. */
function stop(error) {
  parentPort.postMessage({ type: 'crashed', error: serialise(error) })
  process.exit(1)
}

let pglite
try {
  const { dataDir, loadDataDir } = workerData
  pglite = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...(loadDataDir ? { loadDataDir: new Blob([loadDataDir]) } : {}),
    extensions: { postgis },
    // The same shapes as the server's driver (connect.ts): dates as 'YYYY-MM-DD' text, bigint counts as numbers.
    parsers: {
      [types.DATE]: (value) => value,
      [types.INT8]: (value) => Number(value),
    },
  })
  parentPort.postMessage({ type: 'ready' })
} catch (error) {
  parentPort.postMessage({ type: 'failed', error: serialise(error) })
  process.exit(1)
}

async function run(request) {
  switch (request.op) {
    case 'query': {
      const { rows, affectedRows, fields } = await pglite.query(request.sql, request.params)
      return { result: { rows, affectedRows, fields } }
    }
    case 'dump': {
      const buffer = await (await pglite.dumpDataDir(request.compression)).arrayBuffer()
      return { result: buffer, transfer: [buffer] }
    }
    case 'close':
      await pglite.close()
      return { result: null }
    default:
      throw new Error(`unknown request ${request.op}`)
  }
}

// One request at a time, in the order they came: the service's queue decides which connection's statement is next.
let queue = Promise.resolve()
parentPort.on('message', (request) => {
  queue = queue.then(async () => {
    let answer
    try {
      answer = await run(request)
    } catch (error) {
      if (fatal(error)) return stop(error)
      parentPort.postMessage({ type: 'answer', id: request.id, error: serialise(error) })
      return
    }
    try {
      parentPort.postMessage({ type: 'answer', id: request.id, result: answer.result }, answer.transfer ?? [])
    } catch (error) {
      // A value structured clone cannot carry (none of PostgreSQL's types should be one).
      parentPort.postMessage({ type: 'answer', id: request.id, error: serialise(error) })
    }
  })
})
