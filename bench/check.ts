import { Worker } from 'node:worker_threads'
import path from 'node:path'
import Fastify from 'fastify'
import { sql } from 'kysely'
import { measureWithNearest } from '../server/modules/zones/repository.ts'
import { bulkLoad, figure, numberArgs, openBenchDatabase, percentile, premisesPoints, startBenchService } from './support.ts'

const NINGXIA: [number, number, number, number] = [104.3, 35.3, 107.6, 39.3]
const CATEGORIES = ['tobacco_retail', 'internet_cafe', 'lottery_outlet', 'food_stall_zone'] as const
const ROOT = path.resolve(import.meta.dirname, '..')

/**
 * The load generator: autocannon in a worker thread of its own, so that it does not share the service's event loop
 * (clients are elsewhere in a deployment). Plain JavaScript, since a worker thread does not inherit tsx. It runs a
 * warm-up on each target, then alternating rounds, and answers each target's rounds merged: requests, seconds, and the
 * latency percentiles of all its requests together.
 */
const LOAD_GENERATOR = `
const { workerData, parentPort } = require('node:worker_threads')
const autocannon = require('node:module').createRequire(workerData.root + '/')('autocannon')
const { targets, bodies, connections, warmUp, seconds, rounds } = workerData
let i = 0
const run = (target, duration) =>
  new Promise((resolve, reject) =>
    autocannon(
      {
        url: target.url, connections, duration, headers: target.headers,
        requests: [{ method: 'POST', path: target.path, setupRequest: (r) => ({ ...r, body: bodies[i++ % bodies.length] }) }],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    ),
  )
;(async () => {
  for (const target of targets) await run(target, warmUp)
  const results = targets.map(() => [])
  for (let round = 0; round < rounds; round += 1)
    for (const [n, target] of targets.entries()) results[n].push(await run(target, seconds))
  parentPort.postMessage(
    results.map((raw, n) => {
      // Inside a worker autocannon answers its raw histograms: merged here, as its own workers' are.
      const merged = autocannon.aggregateResult(raw, { url: targets[n].url, connections })
      return {
        total: merged.requests.total,
        duration: raw.reduce((sum, r) => sum + r.duration, 0),
        p50: merged.latency.p50,
        p99: merged.latency.p99,
        non2xx: merged.non2xx,
        errors: merged.errors + merged.timeouts,
      }
    }),
  )
})()`

/**
 * A client of its own for the one-at-a-time checks: a worker thread (its own event loop and heap, as a client elsewhere
 * would have) sending each body it is given over one keep-alive connection and answering the time to the whole answer.
 */
const ONE_AT_A_TIME = `
const { workerData, parentPort } = require('node:worker_threads')
const http = require('node:http')
const { url, path, headers } = workerData
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
const target = new URL(url)
parentPort.on('message', (body) => {
  const started = performance.now()
  const request = http.request(
    { host: target.hostname, port: target.port, path, method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
    (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => (text += chunk))
      response.on('end', () => parentPort.postMessage({ took: performance.now() - started, status: response.statusCode, text }))
    },
  )
  request.on('error', (error) => parentPort.postMessage({ error: String(error) }))
  request.end(body)
})`

/** The one-at-a-time client: post(body) answers the request's time and its body as the worker saw them. */
function oneAtATimeClient(target: LoadTarget) {
  const worker = new Worker(ONE_AT_A_TIME, { eval: true, workerData: target })
  return {
    post: (body: string) => {
      const answered = new Promise<{ took: number; status: number; text: string }>((resolve, reject) =>
        worker.once('message', (answer: { took: number; status: number; text: string } | { error: string }) =>
          'error' in answer ? reject(new Error(answer.error)) : resolve(answer),
        ),
      )
      worker.postMessage(body)
      return answered
    },
    close: () => worker.terminate(),
  }
}

interface LoadResult {
  total: number
  /** seconds */
  duration: number
  p50: number
  p99: number
  non2xx: number
  errors: number
}

interface LoadTarget {
  url: string
  path: string
  headers: Record<string, string>
}

/** POSTs the bodies in turn to each target from `connections` connections: a warm-up, then `rounds` alternating rounds. */
function drive(targets: LoadTarget[], bodies: string[], options: { connections: number; warmUp: number; seconds: number; rounds: number }) {
  return new Promise<LoadResult[]>((resolve, reject) => {
    const worker = new Worker(LOAD_GENERATOR, { eval: true, workerData: { root: ROOT, targets, bodies, ...options } })
    worker.once('message', (results: LoadResult[]) => {
      resolve(results)
      void worker.terminate()
    })
    worker.once('error', reject)
  })
}

/**
 * Single checks at province scale through HTTP (keep-alive, one at a time; from fetch in this process, then from a client
 * thread of its own), p50/p99, and the same
 * statement the route runs (measurement and nearest schools) run directly on the database in the same run; then the same
 * checks from 16 connections at once (autocannon) against a bare Fastify route served by this same process and the same
 * route after one `select 1` on the check's pool (the ceiling of one round trip per check), in alternating rounds: check
 * throughput as a share of each, and the p99 under that load.
 *   npm run bench -- check [--schools 20000] [--premises 300000] [--requests 3000] [--seconds 20] [--connections 16]
 */
export async function benchCheck(args: Record<string, string>) {
  const { schools, premises, requests, seconds, connections } = numberArgs(args, {
    schools: 20_000,
    premises: 300_000,
    requests: 3000,
    seconds: 20,
    connections: 16,
  })
  const handle = await openBenchDatabase('check')
  console.log(
    `check benchmark on ${handle.where}: ${schools} schools, ${premises} premises over Ningxia; ${requests} checks (goal: p99 < 5 ms)`,
  )
  try {
    const gen = await bulkLoad(handle, { schools, premises, bbox: NINGXIA })
    const points = premisesPoints(gen, requests)
    const { app, url, cookie } = await startBenchService(handle, { department: 'tobacco', role: 'clerk' })
    const headers = { 'content-type': 'application/json', cookie, origin: url }

    const http: number[] = []
    const direct: number[] = []
    // The route's statement (the measurement and the nearest schools, service.check) on the prepared pool on the server
    // (DatabaseHandle.prepared), as the route runs it; the ordinary pool beside it.
    const ordinary: number[] = []
    const pooled = app.preparedDb !== app.db
    // The same check again from a client thread of its own (node:http, keep-alive), in the same turn: the service's time
    // without the in-process client's (fetch's work and garbage share the service's event loop and heap).
    const client = oneAtATimeClient({ url, path: '/api/check', headers })
    const threaded: number[] = []
    let prohibited = 0
    for (let i = 0; i < points.length + 200; i += 1) {
      const [lon, lat] = points[i % points.length]!
      const category = CATEGORIES[i % CATEGORIES.length]!
      const fromThread = async () => {
        const answer = await client.post(JSON.stringify({ lon, lat, category }))
        if (answer.status !== 200) throw new Error(`check answered ${answer.status}: ${answer.text.slice(0, 200)}`)
        if (i >= 200) threaded.push(answer.took)
      }
      // Each client goes first every other turn (the second finds the point's pages in the cache).
      if (i % 2 === 1) await fromThread()
      const t = performance.now()
      const response = await fetch(`${url}/api/check`, { method: 'POST', headers, body: JSON.stringify({ lon, lat, category }) })
      const body = (await response.json()) as { verdict: string }
      const took = performance.now() - t
      if (i >= 200) {
        http.push(took)
        if (body.verdict === 'prohibited') prohibited += 1
      }
      if (i % 2 === 0) await fromThread()
      const t2 = performance.now()
      await measureWithNearest(app.preparedDb, lon, lat, category, { wanted: 3, most: 13 })
      if (i >= 200) direct.push(performance.now() - t2)
      if (pooled) {
        const t3 = performance.now()
        await measureWithNearest(app.db, lon, lat, category, { wanted: 3, most: 13 })
        if (i >= 200) ordinary.push(performance.now() - t3)
      }
    }
    await client.close()
    http.sort((a, b) => a - b)
    direct.sort((a, b) => a - b)
    threaded.sort((a, b) => a - b)
    figure('check through HTTP p50', percentile(http, 50), 'ms', 'client: fetch in this process')
    figure('check through HTTP p99', percentile(http, 99), 'ms', 'goal < 5 ms')
    figure('check through HTTP, client thread, p50', percentile(threaded, 50), 'ms', 'client: node:http in a worker thread')
    figure('check through HTTP, client thread, p99', percentile(threaded, 99), 'ms', 'goal < 5 ms')
    figure("the check's statement alone p50", percentile(direct, 50), 'ms', 'measurement and nearest schools, one statement')
    figure("the check's statement alone p99", percentile(direct, 99), 'ms')
    if (pooled) {
      ordinary.sort((a, b) => a - b)
      figure('same query, ordinary pool p50', percentile(ordinary, 50), 'ms', 'not prepared: planned at every call')
      figure('same query, ordinary pool p99', percentile(ordinary, 99), 'ms')
    }
    console.log(`${prohibited} of ${http.length} checks prohibited (the first 200 requests warm up and are not counted)`)

    if (seconds > 0) {
      // The bare route: Fastify parsing the same JSON body and answering a constant, in this same process.
      // Beside it the ceiling of one database round trip per request: the same, after a `select 1` on the check's pool.
      const bare = Fastify({ logger: false })
      bare.post('/bare', async () => ({ verdict: 'allowed' }))
      bare.post('/select-1', async () => {
        await sql`select 1`.execute(app.preparedDb)
        return { verdict: 'allowed' }
      })
      await bare.listen({ port: 0, host: '127.0.0.1' })
      const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`
      const bodies = points.map(([lon, lat], i) => JSON.stringify({ lon, lat, category: CATEGORIES[i % CATEGORIES.length] }))
      console.log(
        `under load: ${connections} connections, ${seconds} s on each of three routes in two alternating rounds after a 2 s warm-up`,
      )
      const [b, one, c] = (await drive(
        [
          { url: bareUrl, path: '/bare', headers: { 'content-type': 'application/json' } },
          { url: bareUrl, path: '/select-1', headers: { 'content-type': 'application/json' } },
          { url, path: '/api/check', headers },
        ],
        bodies,
        { connections, warmUp: 2, seconds: Math.max(1, Math.round(seconds / 2)), rounds: 2 },
      )) as [LoadResult, LoadResult, LoadResult]
      await bare.close()
      const rps = (r: LoadResult) => r.total / r.duration
      figure('bare Fastify route throughput', rps(b), 'req/s', `${b.total} requests, p99 ${b.p99.toFixed(1)} ms`)
      figure('bare route + one `select 1` throughput', rps(one), 'req/s', `${one.total} requests, p99 ${one.p99.toFixed(1)} ms`)
      figure('check throughput under load', rps(c), 'req/s', `${c.total} requests, ${c.non2xx} non-2xx, ${c.errors} errors`)
      figure('check throughput, share of the bare route', (100 * rps(c)) / rps(b), '%', 'goal ≥ 35 % on the server')
      figure('check throughput, share of bare + `select 1`', (100 * rps(c)) / rps(one), '%', 'the ceiling of one round trip per check')
      figure('check under load p50', c.p50, 'ms')
      figure('check under load p99', c.p99, 'ms')
    }
    await app.close()
  } finally {
    await handle.close()
  }
}
