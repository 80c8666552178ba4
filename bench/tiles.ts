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

/**
 * Tile latency through HTTP (fastify listening, fetch with keep-alive, a signed-in session cookie)
 * against the same tile query run directly on the database connection, alternating in one run, over a
 * fixed set of tiles at zoom 10–16 around a sample of schools.
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

    const direct = async (request: (typeof requests)[number]) => {
      const ids = LAYERS[request.layer].sourceLayers.filter((s) => request.z >= s.minzoom).map((s) => s.id as SourceLayerId)
      const box = tileBox(request.z, request.x, request.y)
      return (await renderTile(app.db, handle.kind, box, ids)).tile
    }
    const samples: Sample[] = []
    for (let round = 0; round <= rounds; round += 1) {
      for (const [n, request] of requests.entries()) {
        const viaHttp = async () => {
          const started = performance.now()
          const response = await fetch(`${url}/tiles/${request.layer}/${request.z}/${request.x}/${request.y}.mvt`, { headers: { cookie } })
          const body = Buffer.from(await response.arrayBuffer())
          if (response.status !== 200 && response.status !== 204)
            throw new Error(`tile ${request.layer} ${request.z}/${request.x}/${request.y}: ${response.status}`)
          return { took: performance.now() - started, bytes: body.length }
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
    figure('HTTP overhead at p50', (percentile(http, 50) / percentile(db, 50) - 1) * 100, '%', 'goal < 25 %')
    figure('HTTP overhead at p95', (percentile(http, 95) / percentile(db, 95) - 1) * 100, '%', 'goal < 25 %')
    figure('largest tile', Math.max(...samples.map((s) => s.bytes)) / 1024, 'KB', 'goal < 500 KB')
  } finally {
    await handle.close()
  }
}
