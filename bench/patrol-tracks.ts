import { monitorEventLoopDelay } from 'node:perf_hooks'
import { bulkLoad, figure, numberArgs, openBenchDatabase, percentile, seconds, startBenchService } from './support.ts'

/**
 * One GPX track of 100,000 points (a unit's day and night at one point a second, stopping 11–12 minutes
 * at each of 40 schools) sent to POST /api/patrol/tracks over the demo-sized registry, while another client
 * asks /health every 20 ms: how long the track takes, how many stays it finds, and how long the other
 * requests wait meanwhile (the event loop must stay free).
 *   npm run bench -- patrol-tracks [--schools 600] [--requests 100000]
 */
export async function benchPatrolTracks(args: Record<string, string>) {
  const { schools, requests: points } = numberArgs(args, { schools: 600, requests: 100_000 })
  const handle = await openBenchDatabase('tracks')
  console.log(`track benchmark on ${handle.where}: ${schools} schools, one track of ${points} points`)
  try {
    const gen = await bulkLoad(handle, { schools, premises: 0 })
    const { app, url, cookie } = await startBenchService(handle, { department: 'police', role: 'clerk' })
    const headers = { 'content-type': 'application/json', cookie, origin: url }
    const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })
    const station = (await (
      await post('/api/patrol/stations', { type: 'Feature', properties: { name: '测速所', countyCode: '640402' }, geometry: null })
    ).json()) as { id: number }
    const unit = (await (
      await post('/api/patrol/units', {
        type: 'Feature',
        properties: { name: '测速车', stationId: station.id, mode: 'car', shiftStart: '00:00', shiftEnd: '23:59' },
        geometry: { type: 'Point', coordinates: [106.238411, 36.016037] },
      })
    ).json()) as { id: number }

    // Stops at the first vertex of 40 campuses, driving in straight lines between them.
    const stops: [number, number][] = []
    for (const school of gen.schools()) {
      const ring = (school.geometry as { type: string; coordinates: number[][][] | number[][][][] }).coordinates
      const first =
        (school.geometry as { type: string }).type === 'Polygon' ? (ring as number[][][])[0]![0]! : (ring as number[][][][])[0]![0]![0]!
      stops.push([first[0]!, first[1]!])
      if (stops.length === 40) break
    }
    const per = Math.floor(points / stops.length)
    const start = Date.now() - 3 * 86_400_000
    const lines: string[] = []
    for (let s = 0; s < stops.length; s += 1) {
      const [lon, lat] = stops[s]!
      const [nextLon, nextLat] = stops[(s + 1) % stops.length]!
      for (let k = 0; k < per; k += 1) {
        const i = s * per + k
        const moving = k >= 700
        const f = moving ? (k - 700) / (per - 700) : 0
        const pLon = lon + (nextLon - lon) * f + (moving ? 0 : 1e-5 * Math.sin(k / 50))
        const pLat = lat + (nextLat - lat) * f
        lines.push(
          `<trkpt lat="${pLat.toFixed(7)}" lon="${pLon.toFixed(7)}"><ele>1750</ele><time>${new Date(start + i * 1000).toISOString()}</time></trkpt>`,
        )
      }
    }
    const gpx = `<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="bench" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>\n${lines.join('\n')}\n</trkseg></trk></gpx>`

    const loop = monitorEventLoopDelay({ resolution: 10 })
    const waits: number[] = []
    let done = false
    const pinger = (async () => {
      while (!done) {
        const t = performance.now()
        await fetch(`${url}/health`)
        waits.push(performance.now() - t)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    })()
    loop.enable()
    const t0 = performance.now()
    const response = await fetch(`${url}/api/patrol/tracks?unitId=${unit.id}`, {
      method: 'POST',
      headers: { cookie, origin: url, 'content-type': 'application/gpx+xml' },
      body: gpx,
    })
    const result = (await response.json()) as { points: number; stays: number; visits: unknown[] }
    const took = seconds(t0)
    loop.disable()
    done = true
    await pinger
    await app.close()
    if (response.status !== 200) throw new Error(`track refused: ${response.status} ${JSON.stringify(result)}`)
    waits.sort((a, b) => a - b)
    figure('track size', gpx.length / 1e6, 'MB')
    figure(`track of ${result.points} points`, took, 's')
    console.log(`${result.stays} stays found, ${result.visits.length} visits recorded`)
    figure('/health meanwhile p50', percentile(waits, 50), 'ms', `${waits.length} requests`)
    figure('/health meanwhile p99', percentile(waits, 99), 'ms')
    figure('/health meanwhile max', waits[waits.length - 1] ?? 0, 'ms')
    figure('event loop delay max', loop.max / 1e6, 'ms')
    figure('event loop delay p99', loop.percentile(99) / 1e6, 'ms')
  } finally {
    await handle.close()
  }
}
