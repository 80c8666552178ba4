import { measurePoint } from '../server/modules/zones/repository.ts'
import { bulkLoad, figure, numberArgs, openBenchDatabase, percentile, premisesPoints, startBenchService } from './support.ts'

const NINGXIA: [number, number, number, number] = [104.3, 35.3, 107.6, 39.3]
const CATEGORIES = ['tobacco_retail', 'internet_cafe', 'lottery_outlet', 'food_stall_zone'] as const

/**
 * Single checks at province scale through HTTP (keep-alive, one at a time), p50/p99, and the same
 * measurement query run directly on the database in the same run.
 *   npm run bench -- check [--schools 20000] [--premises 300000] [--requests 3000]
 */
export async function benchCheck(args: Record<string, string>) {
  const { schools, premises, requests } = numberArgs(args, { schools: 20_000, premises: 300_000, requests: 3000 })
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
    let prohibited = 0
    for (let i = 0; i < points.length + 200; i += 1) {
      const [lon, lat] = points[i % points.length]!
      const category = CATEGORIES[i % CATEGORIES.length]!
      const t = performance.now()
      const response = await fetch(`${url}/api/check`, { method: 'POST', headers, body: JSON.stringify({ lon, lat, category }) })
      const body = (await response.json()) as { verdict: string }
      const took = performance.now() - t
      if (i >= 200) {
        http.push(took)
        if (body.verdict === 'prohibited') prohibited += 1
      }
      const t2 = performance.now()
      await measurePoint(app.db, lon, lat, category)
      if (i >= 200) direct.push(performance.now() - t2)
    }
    await app.close()
    http.sort((a, b) => a - b)
    direct.sort((a, b) => a - b)
    figure('check through HTTP p50', percentile(http, 50), 'ms')
    figure('check through HTTP p99', percentile(http, 99), 'ms', 'goal < 5 ms')
    figure('measurement query alone p50', percentile(direct, 50), 'ms')
    figure('measurement query alone p99', percentile(direct, 99), 'ms')
    console.log(`${prohibited} of ${http.length} checks prohibited (the first 200 requests warm up and are not counted)`)
  } finally {
    await handle.close()
  }
}
