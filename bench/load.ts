import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import autocannon from 'autocannon'
import { sql } from 'kysely'
import { createUser } from '../server/modules/users/service.ts'
import { bulkLoad, figure, numberArgs, openBenchDatabase, percentile, premisesPoints } from './support.ts'

const NINGXIA: [number, number, number, number] = [104.3, 35.3, 107.6, 39.3]
const ROOT = path.resolve(import.meta.dirname, '..')

interface Instance {
  url: string
  child: ChildProcess
  /** The JavaScript heap after each full collection (--trace-gc), in MB: the memory the service still uses. */
  liveHeap: { at: number; mb: number }[]
}

/**
 * Mixed traffic against 1, 2 and 4 service instances (processes of their own, as `npm start` starts them) on one
 * PostgreSQL server, on loopback: registry lists, checks, tiles and place search from 16 connections spread over the
 * instances (what a load balancer does), throughput and p99 per instance count; then optionally a soak of two
 * instances after a warm-up, with the 5xx count and the growth of each instance's resident memory from the soak's
 * first fifth to its last.
 *   BENCH_DATABASE_URL=postgres://… npm run bench -- load [--schools 5000] [--premises 50000] [--seconds 15] [--soak 600]
 */
export async function benchLoad(args: Record<string, string>) {
  if (!process.env.BENCH_DATABASE_URL) {
    console.error(
      'the load benchmark runs instances on one PostgreSQL server: set BENCH_DATABASE_URL (the embedded database has one process)',
    )
    process.exitCode = 2
    return
  }
  const { schools, premises, seconds, soak, connections } = numberArgs(args, {
    schools: 5000,
    premises: 50_000,
    seconds: 15,
    soak: 0,
    connections: 16,
  })
  const handle = await openBenchDatabase('load')
  const { rows } = await sql<{ db: string }>`select current_database() as db`.execute(handle.db)
  const target = new URL(process.env.BENCH_DATABASE_URL)
  target.pathname = `/${rows[0]!.db}`
  const databaseUrl = target.toString()
  console.log(
    `load benchmark on the PostgreSQL server: ${schools} schools, ${premises} premises; ${connections} connections, ${seconds} s per instance count`,
  )
  const running: Instance[] = []
  try {
    const gen = await bulkLoad(handle, { schools, premises, bbox: NINGXIA })
    const points = premisesPoints(gen, 500)
    await createUser(
      handle.db,
      { username: 'load', password: 'load-password-1', department: 'tobacco', role: 'clerk', countyCode: null },
      { user: null, requestId: 'bench' },
    )
    const requests = mixedRequests(points)

    for (const count of [1, 2, 4]) {
      while (running.length < count) running.push(await startInstance(databaseUrl))
      const cookie = await signIn(running[0]!.url)
      const result = await drive(running.slice(0, count), requests, cookie, connections, seconds)
      figure(`${count} instance${count > 1 ? 's' : ''}: throughput`, result.rps, 'req/s', `${result.total} requests`)
      figure(
        `${count} instance${count > 1 ? 's' : ''}: p99 (worst instance)`,
        result.p99,
        'ms',
        `${result.errors} errors, ${result.fiveHundreds} 5xx`,
      )
    }

    if (soak > 0) {
      while (running.length > 2) stop(running.pop()!)
      const cookie = await signIn(running[0]!.url)
      // Warmed up first: V8's heaps and the connection pools grow to their working size over the first minutes, and an
      // instance started later has had less traffic. Even then a process's resident memory swings by a third between
      // major collections (213–351 MiB within two minutes), so two readings say where in that swing they fell, not
      // whether memory grows: it is read every 2 s and the soak's last fifth compared with its first, by the floor
      // (the lowest reading, just after a collection: the memory still in use) and by the median.
      const warmUp = Math.round(Math.min(120, Math.max(30, soak / 5)))
      await drive(running, requests, cookie, connections, warmUp)
      const soakStarted = performance.now()
      const samples: number[][] = []
      const sampler = setInterval(() => samples.push(running.map((i) => rssMiB(i.child.pid!))), 2000)
      const result = await drive(running, requests, cookie, connections, soak).finally(() => clearInterval(sampler))
      figure(`soak ${soak} s, 2 instances: throughput`, result.rps, 'req/s', `${result.total} requests after ${warmUp} s of warm-up`)
      figure('soak: 5xx answers', result.fiveHundreds, '', `goal 0; ${result.errors} connection errors`)
      const fifth = Math.max(1, Math.floor(samples.length / 5))
      for (let i = 0; i < running.length; i += 1) {
        const first = samples.slice(0, fifth).map((s) => s[i]!)
        const last = samples.slice(-fifth).map((s) => s[i]!)
        const median = (values: number[]) =>
          percentile(
            [...values].sort((a, b) => a - b),
            50,
          )
        const growth = (from: number, to: number) => (100 * (to - from)) / from
        figure(
          `soak: instance ${i + 1} RSS growth (floor)`,
          growth(Math.min(...first), Math.min(...last)),
          '%',
          `${Math.min(...first).toFixed(0)} → ${Math.min(...last).toFixed(0)} MiB, first and last fifth (goal < 10 %)`,
        )
        // The heap left after each full collection, first fifth of the soak against the last: a leak shows here.
        const heaps = running[i]!.liveHeap.filter((h) => h.at >= soakStarted)
        const heapFifth = Math.max(1, Math.floor(heaps.length / 5))
        const heapFirst = median(heaps.slice(0, heapFifth).map((h) => h.mb))
        const heapLast = median(heaps.slice(-heapFifth).map((h) => h.mb))
        if (heaps.length >= 2)
          figure(
            `soak: instance ${i + 1} heap after full GC`,
            growth(heapFirst, heapLast),
            '%',
            `${heapFirst.toFixed(1)} → ${heapLast.toFixed(1)} MB (median of the first and last fifth of ${heaps.length} full collections)`,
          )
        figure(
          `soak: instance ${i + 1} RSS growth (median)`,
          growth(median(first), median(last)),
          '%',
          `${median(first).toFixed(0)} → ${median(last).toFixed(0)} MiB; readings ${Math.min(...samples.map((s) => s[i]!)).toFixed(0)}–${Math.max(...samples.map((s) => s[i]!)).toFixed(0)} MiB`,
        )
      }
    }
  } finally {
    for (const instance of running) stop(instance)
    await handle.close()
  }
}

/** The mix: a registry list in a view, a check, a map tile and a place search, in turn. */
function mixedRequests(points: [number, number][]): autocannon.Request[] {
  const categories = ['tobacco_retail', 'internet_cafe', 'lottery_outlet']
  let i = 0
  const next = () => points[i++ % points.length]!
  return [
    {
      method: 'GET',
      setupRequest: (request) => {
        const [lon, lat] = next()
        return { ...request, path: `/api/schools?bbox=${lon - 0.02},${lat - 0.02},${lon + 0.02},${lat + 0.02}&limit=50` }
      },
    },
    {
      method: 'POST',
      setupRequest: (request) => {
        const [lon, lat] = next()
        return { ...request, path: '/api/check', body: JSON.stringify({ lon, lat, category: categories[i % categories.length] }) }
      },
    },
    {
      method: 'GET',
      setupRequest: (request) => {
        const [lon, lat] = next()
        const z = 14
        const x = Math.floor(((lon + 180) / 360) * 2 ** z)
        const y = Math.floor(((1 - Math.log(Math.tan((lat * Math.PI) / 180) + 1 / Math.cos((lat * Math.PI) / 180)) / Math.PI) / 2) * 2 ** z)
        return { ...request, path: `/tiles/schools/${z}/${x}/${y}.mvt` }
      },
    },
    { method: 'GET', path: `/api/search?q=${encodeURIComponent('固原')}` },
  ]
}

async function drive(instances: Instance[], requests: autocannon.Request[], cookie: string, connections: number, seconds: number) {
  const share = Math.max(1, Math.round(connections / instances.length))
  const results = await Promise.all(
    instances.map((instance) =>
      autocannon({
        url: instance.url,
        connections: share,
        duration: seconds,
        headers: { cookie, origin: instance.url, 'content-type': 'application/json' },
        requests,
      }),
    ),
  )
  const statusCount = (r: autocannon.Result, from: number) =>
    Object.entries(r.statusCodeStats ?? {})
      .filter(([code]) => Number(code) >= from)
      .reduce((sum, [, stat]) => sum + (stat as { count: number }).count, 0)
  return {
    rps: results.reduce((sum, r) => sum + r.requests.average, 0),
    total: results.reduce((sum, r) => sum + r.requests.total, 0),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    errors: results.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
    fiveHundreds: results.reduce((sum, r) => sum + statusCount(r, 500), 0),
  }
}

async function startInstance(databaseUrl: string): Promise<Instance> {
  const child = spawn(process.execPath, ['--trace-gc', '--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOAD_DEMO_DATA: 'false',
      SERVE_WEB: 'false',
      LOG_LEVEL: 'warn',
      LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output.push(chunk.toString())
      const match = /listening on (http:\/\/\S+)/.exec(output.join(''))
      if (match) resolve(match[1]!)
    })
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()))
    child.on('exit', (code) => reject(new Error(`an instance exited (${code}): ${output.join('').slice(-2000)}`)))
  })
  // Once it listens only V8's lines on full collections are read (the heap left after each); the pipes stay drained.
  const liveHeap: Instance['liveHeap'] = []
  let partial = ''
  child.stdout!.removeAllListeners('data').on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n')
    partial = lines.pop()!
    for (const line of lines) {
      const match = /Mark-Compact[^>]*-> ([\d.]+) \(/.exec(line)
      if (match) liveHeap.push({ at: performance.now(), mb: Number(match[1]) })
    }
  })
  child.stderr!.removeAllListeners('data').resume()
  return { url, child, liveHeap }
}

function stop(instance: Instance) {
  if (instance.child.exitCode === null) instance.child.kill('SIGTERM')
}

async function signIn(url: string): Promise<string> {
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ username: 'load', password: 'load-password-1' }),
  })
  if (login.status !== 200) throw new Error(`sign-in failed: ${login.status}`)
  return login.headers.get('set-cookie')!.split(';')[0]!
}

/** Resident memory of a process in MiB, from /proc. */
function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kb / 1024
}
