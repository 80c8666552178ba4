// Solves CPLEX LP models with HiGHS off the main thread: a MILP of a county's posts can take seconds, and a
// solve blocks the thread it runs on. Plain JavaScript so that it loads in a worker with no TypeScript loader.
import { parentPort } from 'node:worker_threads'
import highsLoader from 'highs'

const highs = await highsLoader()
parentPort.on('message', ({ id, model, options }) => {
  try {
    parentPort.postMessage({ id, result: highs.solve(model, options) })
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) })
  }
})
