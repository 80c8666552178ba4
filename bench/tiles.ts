import { Agent, get as httpGet } from 'node:http'
import Fastify from 'fastify'
import { LAYERS, type SourceLayerId } from '../server/modules/tiles/layers.ts'
import { tileBox } from '../server/modules/tiles/repository.ts'
import { renderTile } from '../server/modules/tiles/service.ts'
import { runAudit, startAudit } from '../server/modules/audits/service.ts'
import type { TileLayer } from '../server/schemas/tiles.ts'
import { bulkLoad, figure, numberArgs, openBenchDatabase, percentile, seconds, startBenchService } from './support.ts'

const ZOOMS = [10, 11, 12, 13, 14, 15, 16]
const BENCH_LAYERS: TileLayer[] = ['schools', 'zones', 'premises', 'counties']

function tileAt(lon: number, lat: number, z: number) {
  const n = 2 ** z
  const r = (lat * Math.PI) / 180
  return { z, x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n) }
}

interface Sample {
  layer: TileLayer
  z: number
  http: number
  direct: number
  bytes: number
}

/** GET through one keep-alive connection (node:http: a lighter client than fetch, whose own cost is no service's), answering status and bytes. */
function getter(agent: Agent) {
  return (url: string, headers: Record<string, string>) =>
    new Promise<{ status: number; bytes: number }>((resolve, reject) => {
      httpGet(url, { agent, headers }, (response) => {
        let bytes = 0
        response.on('data', (chunk: Buffer) => (bytes += chunk.length))
        response.on('end', () => resolve({ status: response.statusCode!, bytes }))
        response.on('error', reject)
      }).on('error', reject)
    })
}

/**
 * Tile latency through HTTP (fastify listening, one keep-alive connection, a signed-in session cookie)
 * against the same statement the route runs (the tile and its data version) run directly on the
 * database connection, alternating in one run, over a fixed set of tiles at zoom 10–16 around a sample
 * of schools. Cold: unversioned URLs, which always render. Cached: the versioned URLs the TileJSON
 * hands out, answered from the instance's tile cache once drawn (one version read each). Beside them
 * the floor of HTTP itself: a bare Fastify route in the same process answering a 16 KB buffer.
 *   npm run bench -- tiles [--schools 2000] [--premises 50000] [--requests 5]   (requests: rounds over the tile set)
 */
export async function benchTiles(args: Record<string, string>) {
  const { schools, premises, requests: rounds } = numberArgs(args, { schools: 2000, premises: 50_000, requests: 5 })
  const handle = await openBenchDatabase('tiles')
  console.log(
    `tile benchmark on ${handle.where}: ${schools} schools, ${premises} premises in Guyuan; ${rounds} rounds (goal: HTTP overhead < 25 %)`,
  )
  try {
    let t = performance.now()
    const gen = await bulkLoad(handle, { schools, premises })
    figure('load (bulk insert)', seconds(t), 's')
    t = performance.now()
    const audit = await runAudit(handle.db, (await startAudit(handle.db, { user: null, requestId: 'bench' })).id)
    figure('audit: conflicts and stored zones', seconds(t), 's', `${audit.summary!.conflicts} conflicts`)

    // Six schools spread over the generated set; the tiles holding a corner of each at every zoom.
    const places: [number, number][] = []
    let i = 0
    const every = Math.max(1, Math.floor(schools / 6))
    for (const school of gen.schools()) {
      if (i++ % every !== 0) continue
      const geometry = school.geometry as { type: string; coordinates: unknown }
      const ring = (
        geometry.type === 'Polygon' ? (geometry.coordinates as number[][][])[0] : (geometry.coordinates as number[][][][])[0]![0]
      )!
      places.push([ring[0]![0]!, ring[0]![1]!])
      if (places.length === 6) break
    }
    const requests: { layer: TileLayer; z: number; x: number; y: number }[] = []
    for (const [lon, lat] of places)
      for (const z of ZOOMS)
        for (const layer of BENCH_LAYERS) if (z >= LAYERS[layer].minzoom) requests.push({ layer, ...tileAt(lon, lat, z) })

    const { app, url, cookie } = await startBenchService(handle, { department: 'police', role: 'viewer' })

    const get = getter(new Agent({ keepAlive: true, maxSockets: 1 }))
    const direct = async (request: (typeof requests)[number]) => {
      const ids = LAYERS[request.layer].sourceLayers.filter((s) => request.z >= s.minzoom).map((s) => s.id as SourceLayerId)
      const box = tileBox(request.z, request.x, request.y)
      return (await renderTile(app.db, handle.kind, box, ids, request.layer)).tile
    }
    const samples: Sample[] = []
    for (let round = 0; round <= rounds; round += 1) {
      for (const [n, request] of requests.entries()) {
        const viaHttp = async () => {
          const started = performance.now()
          const response = await get(`${url}/tiles/${request.layer}/${request.z}/${request.x}/${request.y}.mvt`, { cookie })
          if (response.status !== 200 && response.status !== 204)
            throw new Error(`tile ${request.layer} ${request.z}/${request.x}/${request.y}: ${response.status}`)
          return { took: performance.now() - started, bytes: response.bytes }
        }
        const viaDatabase = async () => {
          const started = performance.now()
          await direct(request)
          return performance.now() - started
        }
        // Alternate which goes first, so neither always meets the warmer cache.
        let http: { took: number; bytes: number }
        let database: number
        if ((round + n) % 2 === 0) {
          http = await viaHttp()
          database = await viaDatabase()
        } else {
          database = await viaDatabase()
          http = await viaHttp()
        }
        // Round 0 warms up and is not counted.
        if (round > 0) samples.push({ layer: request.layer, z: request.z, http: http.took, direct: database, bytes: http.bytes })
      }
    }

    // Cached: the versioned URLs, each once to be sure it is drawn, then `rounds` times over the set.
    const versioned = new Map<TileLayer, string>()
    for (const layer of BENCH_LAYERS) {
      const tileJson = (await (await fetch(`${url}/tiles/${layer}.json`, { headers: { cookie } })).json()) as { tiles: string[] }
      versioned.set(layer, new URL(tileJson.tiles[0]!).searchParams.get('v')!)
    }
    const cached: number[] = []
    for (let round = 0; round <= rounds; round += 1)
      for (const request of requests) {
        const started = performance.now()
        const response = await get(
          `${url}/tiles/${request.layer}/${request.z}/${request.x}/${request.y}.mvt?v=${versioned.get(request.layer)}`,
          { cookie },
        )
        if (response.status !== 200 && response.status !== 204) throw new Error(`cached tile: ${response.status}`)
        if (round > 0) cached.push(performance.now() - started)
      }
    const cacheBytes = app.tileCache?.size ?? 0

    // The floor: HTTP and Fastify alone, a constant 16 KB answer from this same process through the same client.
    const bare = Fastify({ logger: false })
    const payload = Buffer.alloc(16 * 1024, 7)
    bare.get('/bare', async (_request, reply) => reply.type('application/vnd.mapbox-vector-tile').send(payload))
    await bare.listen({ port: 0, host: '127.0.0.1' })
    const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/bare`
    const floor: number[] = []
    for (let i = 0; i < 50 + requests.length * rounds; i += 1) {
      const started = performance.now()
      await get(bareUrl, {})
      if (i >= 50) floor.push(performance.now() - started)
    }
    await bare.close()
    await app.close()

    const report = (label: string, set: Sample[]) => {
      const http = set.map((s) => s.http).sort((a, b) => a - b)
      const db = set.map((s) => s.direct).sort((a, b) => a - b)
      const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)
      console.log(
        `${label.padEnd(22)} n=${String(set.length).padStart(4)}  HTTP p50 ${percentile(http, 50).toFixed(2).padStart(7)} p95 ${percentile(http, 95).toFixed(2).padStart(7)} ms · ` +
          `direct p50 ${percentile(db, 50).toFixed(2).padStart(7)} p95 ${percentile(db, 95).toFixed(2).padStart(7)} ms · ` +
          `overhead p50 ${((percentile(http, 50) / percentile(db, 50) - 1) * 100).toFixed(1).padStart(5)} %, total ${((sum(http) / sum(db) - 1) * 100).toFixed(1).padStart(5)} % · ` +
          `largest ${(Math.max(...set.map((s) => s.bytes)) / 1024).toFixed(1)} KB`,
      )
    }
    console.log('cold (unversioned URLs: every request renders) against the same statement run directly:')
    report('all tiles', samples)
    for (const layer of BENCH_LAYERS)
      report(
        `layer ${layer}`,
        samples.filter((s) => s.layer === layer),
      )
    for (const z of ZOOMS)
      report(
        `zoom ${z}`,
        samples.filter((s) => s.z === z),
      )
    const http = samples.map((s) => s.http).sort((a, b) => a - b)
    const db = samples.map((s) => s.direct).sort((a, b) => a - b)
    figure('tile through HTTP p50', percentile(http, 50), 'ms')
    figure('tile through HTTP p95', percentile(http, 95), 'ms')
    figure('same tile query directly p50', percentile(db, 50), 'ms')
    figure('same tile query directly p95', percentile(db, 95), 'ms')
    figure('HTTP overhead at p50, cold', (percentile(http, 50) / percentile(db, 50) - 1) * 100, '%', 'goal < 25 %')
    figure('HTTP overhead at p95, cold', (percentile(http, 95) / percentile(db, 95) - 1) * 100, '%', 'goal < 25 %')
    cached.sort((a, b) => a - b)
    floor.sort((a, b) => a - b)
    figure('cached tile through HTTP p50', percentile(cached, 50), 'ms', `versioned URLs, ${cached.length} requests`)
    figure('cached tile through HTTP p95', percentile(cached, 95), 'ms', `cache holds ${(cacheBytes / 1024).toFixed(0)} KB`)
    figure('cached against the statement directly, p50', (percentile(cached, 50) / percentile(db, 50) - 1) * 100, '%')
    figure('HTTP floor (bare route, 16 KB) p50', percentile(floor, 50), 'ms', 'same client, same process')
    figure('largest tile', Math.max(...samples.map((s) => s.bytes)) / 1024, 'KB', 'goal < 500 KB')
  } finally {
    await handle.close()
  }
}
