import http from 'node:http'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { PREMISES_CATEGORIES as CATEGORIES, SCHOOL_TYPES } from '../server/schemas/vocabulary.ts'
import { bulkLoad, figure, numberArgs, openBenchDatabase, percentile, startBenchService } from './support.ts'

const GUYUAN: [number, number, number, number] = [105.3, 35.2, 106.9, 36.6]

/**
 * /health while the heaviest requests run: a maximal anonymous upload (refused before its body is read), a maximal
 * what-if preview (72 rules at 5,000 m, by a viewer) and a maximal import (300 schools of 1,000 vertices). /health
 * is probed every 50 ms meanwhile (each answer timed from when it was due); the median and the worst answer are printed beside the goal (median < 200 ms).
 * The longest hold of the event loop during each is printed too (goal: about 50 ms).
 *   npm run bench -- health [--schools 3000] [--premises 60000] [--part upload|preview|import|all]
 */
export async function benchHealth(args: Record<string, string>) {
  const { schools, premises } = numberArgs(args, { schools: 3000, premises: 60_000 })
  const part = args.part ?? 'all'
  const runs = (name: string) => part === 'all' || part === name
  const handle = await openBenchDatabase('health')
  console.log(
    `/health under the heaviest requests on ${handle.where}: ${schools} schools, ${premises} premises over Guyuan (goal: median < 200 ms)`,
  )
  try {
    await bulkLoad(handle, { schools, premises, bbox: GUYUAN })
    const viewer = await startBenchService(handle, { department: 'governance', role: 'viewer' })
    const { url, cookie, app } = viewer
    const quiet = await probeWhile(url, () => new Promise((resolve) => setTimeout(resolve, 2000)))
    report('quiet', quiet)

    if (runs('upload')) {
      const upload = await probeWhile(url, () => anonymousUpload(url, 100 * 1024 * 1024))
      report('anonymous 100 MB import upload', upload)
    }

    const rules = CATEGORIES.flatMap((category) => SCHOOL_TYPES.map((schoolType) => ({ category, schoolType, limitM: 5000 }))).slice(0, 72)
    if (runs('preview')) {
      const preview = await probeWhile(url, async () => {
        const response = await fetch(`${url}/api/rules/preview`, {
          method: 'POST',
          headers: { cookie, origin: url, 'content-type': 'application/json' },
          body: JSON.stringify({ rules }),
        })
        await response.arrayBuffer()
        if (response.status !== 200) throw new Error(`preview answered ${response.status}`)
      })
      report(`preview of ${rules.length} rules at 5,000 m`, preview)
    }

    await app.close()
    if (!runs('import')) return
    const clerk = await startBenchService(handle, { department: 'education', role: 'clerk' }, 'bench_import')
    const collection = { type: 'FeatureCollection', features: Array.from({ length: 300 }, (_, i) => bigSchool(i)) }
    const body = Buffer.from(JSON.stringify(collection))
    const imported = await probeWhile(clerk.url, async () => {
      const response = await postInPieces(`${clerk.url}/api/import/schools`, body, {
        cookie: clerk.cookie,
        origin: clerk.url,
        'content-type': 'application/json',
      })
      if (response.status !== 201) throw new Error(`import answered ${response.status}: ${response.text.slice(0, 300)}`)
    })
    report(`import of 300 schools × 1,000 vertices (${(body.length / 1024 / 1024).toFixed(1)} MB)`, imported)
    await clerk.app.close()
  } finally {
    await handle.close()
  }
}

function report(what: string, probe: { took: number[]; seconds: number; heldMs: number }) {
  const sorted = [...probe.took].sort((a, b) => a - b)
  figure(
    `${what}: /health median`,
    percentile(sorted, 50),
    'ms',
    `goal < 200 ms; ${sorted.length} probes over ${probe.seconds.toFixed(1)} s`,
  )
  figure(`${what}: /health worst`, sorted.at(-1) ?? 0, 'ms')
  figure(`${what}: longest event-loop hold`, probe.heldMs, 'ms', 'goal about 50 ms')
}

/** Probes /health every 50 ms (one at a time) while `work` runs. */
async function probeWhile(url: string, work: () => Promise<unknown>): Promise<{ took: number[]; seconds: number; heldMs: number }> {
  const took: number[] = []
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  let done = false
  const started = performance.now()
  // The service runs in this process: a hold of its event loop also delays the probe's own timer, so each answer is
  // timed from when it was due (50 ms after the previous one), not from when the timer got to run.
  const probing = (async () => {
    let due = performance.now()
    while (!done) {
      const response = await fetch(`${url}/health`)
      await response.arrayBuffer()
      took.push(performance.now() - due)
      due = performance.now() + 50
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()
  try {
    await work()
  } finally {
    done = true
    await probing
    delay.disable()
  }
  return { took, seconds: (performance.now() - started) / 1000, heldMs: delay.max / 1e6 }
}

/**
 * POSTs `body` 64 KB at a time as the socket takes it, as a client across a network would: the bench's own client runs
 * in the service's process, and fetch would convert and copy the whole 11 MB body in one step of this event loop (a
 * hold of the bench's making, not the service's).
 */
function postInPieces(url: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const { hostname, port, pathname } = new URL(url)
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: hostname,
      port,
      path: pathname,
      method: 'POST',
      headers: { ...headers, 'content-length': String(body.length) },
    })
    request.on('response', (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }))
      response.on('error', reject)
    })
    request.on('error', reject)
    let sent = 0
    const pump = () => {
      while (sent < body.length) {
        const piece = body.subarray(sent, sent + 64 * 1024)
        sent += piece.length
        if (!request.write(piece)) return void request.once('drain', pump)
      }
      request.end()
    }
    pump()
  })
}

/** Sends `bytes` of JSON without a cookie, as fast as the socket takes it, until the server answers. */
function anonymousUpload(url: string, bytes: number): Promise<number> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: hostname,
      port,
      path: '/api/import/schools',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(bytes) },
    })
    request.on('response', (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode ?? 0))
      request.destroy()
    })
    request.on('error', () => resolve(0))
    const chunk = Buffer.alloc(1024 * 1024, 0x20)
    let sent = 0
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length
        if (!request.write(chunk)) return void request.once('drain', pump)
      }
      request.end()
    }
    request.on('close', () => resolve(0))
    setTimeout(() => reject(new Error('the anonymous upload was not answered within 60 s')), 60_000).unref()
    pump()
  })
}

/** A school whose campus has 1,000 vertices (a circle of 150 m), somewhere in 原州区. */
function bigSchool(i: number) {
  const lon = 106.2 + (i % 20) * 0.004
  const lat = 36.0 + Math.floor(i / 20) * 0.004
  const ring: number[][] = []
  for (let k = 0; k < 999; k += 1) {
    const a = (2 * Math.PI * k) / 999
    ring.push([lon + (0.0015 * Math.cos(a)) / Math.cos((lat * Math.PI) / 180), lat + 0.0012 * Math.sin(a)])
  }
  ring.push(ring[0]!)
  return {
    type: 'Feature',
    properties: { name: `压力测试学校${i + 1}`, schoolType: 'primary', countyCode: '640402', address: '原州区', students: 500 },
    geometry: { type: 'Polygon', coordinates: [ring] },
  }
}
