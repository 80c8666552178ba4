import os from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { textProblem } from '../server/plugins/validation.ts'
import type { SchoolRecord } from '../server/modules/registry/kinds.ts'
import { insertSchools } from '../server/modules/registry/repository.ts'
import { figure, generator, numberArgs, openBenchDatabase, seconds, startBenchService } from './support.ts'

const NINGXIA: [number, number, number, number] = [104.3, 35.3, 107.6, 39.3]

/**
 * Checks in bulk at province scale: POST /api/check/batch with N points (generated premises positions, so
 * many lie near schools) read to the end, in points per second, against the same points through single
 * POST /api/check calls (one at a time, keep-alive) in the same run; the batch's answers are compared with the
 * single checks' on those points, and the event loop's longest stall during the batch is printed.
 *   npm run bench -- batch [--schools 20000] [--premises 100000 (points)] [--requests 2000 (single checks)]
 *   BENCH_DATABASE_URL=postgres://… for a PostgreSQL/PostGIS server.
 * Goals: ≥ 10,000 points/s on the server, ≥ 2,000/s embedded.
 */
export async function benchBatch(args: Record<string, string>) {
  const { schools, premises: count, requests } = numberArgs(args, { schools: 20_000, premises: 100_000, requests: 2000 })
  const handle = await openBenchDatabase('batch')
  console.log(
    `batch check benchmark on ${handle.where}: ${schools} schools over Ningxia; ${count} points in one batch, ${requests} single checks`,
  )
  try {
    let t = performance.now()
    const gen = generator({ schools, premises: count, bbox: NINGXIA })
    let batch: SchoolRecord[] = []
    for (const school of gen.schools()) {
      const { demo: _demo, ...properties } = school.properties
      batch.push({
        properties: properties as SchoolRecord['properties'],
        geometry: school.geometry as SchoolRecord['geometry'],
        sourceCrs: 'wgs84',
        demo: true,
      })
      if (batch.length === 1000) {
        await insertSchools(handle.db, batch)
        batch = []
      }
    }
    if (batch.length > 0) await insertSchools(handle.db, batch)
    figure('load schools (bulk insert)', seconds(t), 's')
    const points: { id: string; lon: number; lat: number }[] = []
    for (const p of gen.premises()) {
      if (points.length >= count) break
      const [lon, lat] = p.geometry.coordinates as [number, number]
      points.push({ id: `p${points.length}`, lon, lat })
    }

    const { app, url, cookie } = await startBenchService(handle, { department: 'tobacco', role: 'clerk' })
    const headers = { 'content-type': 'application/json', cookie, origin: url }
    const category = 'tobacco_retail'

    // Warm up both paths (plans, caches, JIT) on a few points.
    await runBatch(url, headers, JSON.stringify({ category, points: points.slice(0, 2000) }))
    for (const p of points.slice(0, 100)) await single(url, headers, category, p)

    // The client's own work stays out of the measured window: the body is written beforehand.
    const body = JSON.stringify({ category, points })
    t = performance.now()
    textProblem(JSON.parse(body), 'body')
    const parseMs = performance.now() - t
    const delay = monitorEventLoopDelay({ resolution: 5 })
    delay.enable()
    const cpu = process.cpuUsage()
    t = performance.now()
    const { lines, firstLineMs } = await runBatch(url, headers, body)
    const batchSeconds = seconds(t)
    const used = process.cpuUsage(cpu)
    delay.disable()
    const prohibited = lines.filter((l) => l.includes('"verdict":"prohibited"')).length
    figure(
      'batch: points per second',
      points.length / batchSeconds,
      'pt/s',
      `${handle.where === 'embedded PGlite' ? 'goal ≥ 2,000' : 'goal ≥ 10,000'}`,
    )
    figure('batch: whole batch', batchSeconds, 's', `${points.length} points, ${prohibited} prohibited`)
    figure('batch: first answer after', firstLineMs, 'ms')
    // On a shared machine wall time says more about the neighbours than about the batch: this process's own CPU
    // time (the service, its embedded database, and the client reading) bounds what it would do with a core to itself.
    const cpuSeconds = (used.user + used.system) / 1e6
    figure(
      'batch: points per CPU second of this process',
      points.length / cpuSeconds,
      'pt/s',
      `${cpuSeconds.toFixed(1)} s CPU in ${batchSeconds.toFixed(1)} s`,
    )
    figure(
      'batch: longest event-loop stall',
      delay.max / 1e6,
      'ms',
      `p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, load average ${os.loadavg()[0]!.toFixed(1)}`,
    )
    figure('of which reading the body (once)', parseMs, 'ms', `JSON.parse and the text check of ${(body.length / 1e6).toFixed(1)} MB`)

    const sample = points.slice(0, Math.min(requests, points.length))
    t = performance.now()
    const singles: string[] = []
    for (const p of sample) singles.push(await single(url, headers, category, p))
    const singleSeconds = seconds(t)
    figure('single /api/check: points per second', sample.length / singleSeconds, 'pt/s', `${sample.length} calls one at a time`)
    figure(
      'batch against single checks',
      sample.length / singleSeconds > 0 ? points.length / batchSeconds / (sample.length / singleSeconds) : 0,
      '×',
    )
    const differing = sample.filter((_, i) => singles[i] !== lines[i]).length
    console.log(`${differing} of ${sample.length} sampled points answered differently by the batch and the single check (must be 0)`)
    if (differing > 0) process.exitCode = 1
    await app.close()
  } finally {
    await handle.close()
  }
}

async function runBatch(url: string, headers: Record<string, string>, body: string) {
  const started = performance.now()
  const response = await fetch(`${url}/api/check/batch`, { method: 'POST', headers, body })
  if (response.status !== 200) throw new Error(`batch answered ${response.status}: ${await response.text()}`)
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let firstLineMs = -1
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (firstLineMs < 0) firstLineMs = performance.now() - started
    text += decoder.decode(value, { stream: true })
  }
  return { lines: text.split('\n').filter(Boolean), firstLineMs }
}

/** One point through POST /api/check, as the batch line it should equal. */
async function single(url: string, headers: Record<string, string>, category: string, p: { id: string; lon: number; lat: number }) {
  const response = await fetch(`${url}/api/check`, { method: 'POST', headers, body: JSON.stringify({ lon: p.lon, lat: p.lat, category }) })
  const body = (await response.json()) as {
    verdict: string
    location: unknown
    conflicts: { schoolId: number; schoolName: string; distanceM: number; band: string; ruleId: number; ruleVersion: number }[]
  }
  const c = body.conflicts[0]
  return JSON.stringify({
    id: p.id,
    verdict: body.verdict,
    location: body.location,
    conflict: c
      ? {
          schoolId: c.schoolId,
          schoolName: c.schoolName,
          distanceM: c.distanceM,
          band: c.band,
          ruleId: c.ruleId,
          ruleVersion: c.ruleVersion,
        }
      : null,
    conflictCount: body.conflicts.length,
  })
}
