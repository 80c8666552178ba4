import { sql } from 'kysely'
import { collectionOf } from '../server/modules/ogc/collections.ts'
import { parseItemsQuery } from '../server/modules/ogc/query.ts'
import { items } from '../server/modules/ogc/service.ts'
import { toUser } from '../server/modules/users/service.ts'
import { bulkLoad, figure, numberArgs, openBenchDatabase, percentile, seconds, startBenchService } from './support.ts'

const GOAL = '(goal: p50 < 50 ms on the server)'

/**
 * OGC API items pages of 1,000 premises at national scale: the first page and the 500th (reached by
 * following next links, keyset cursors on the id), each timed through HTTP and in the service alone.
 *   npm run bench -- ogc [--premises 1000000] [--requests 30]
 */
export async function benchOgc(args: Record<string, string>) {
  const { premises, requests } = numberArgs(args, { premises: 1_000_000, requests: 30 })
  const handle = await openBenchDatabase('ogc')
  console.log(`OGC API items benchmark on ${handle.where}: ${premises} premises; pages of 1,000; ${requests} requests per page`)
  try {
    let t = performance.now()
    await bulkLoad(handle, { schools: 100, premises })
    figure('load (bulk insert)', seconds(t), 's')
    await sql`analyze`.execute(handle.db)
    const { app, url, cookie } = await startBenchService(handle, { department: 'tobacco', role: 'viewer' })
    const user = await app.db.selectFrom('users').selectAll().executeTakeFirstOrThrow()
    const collection = collectionOf('premises')!
    const base = `${url}/ogc`

    const get = async (href: string) => {
      const response = await fetch(href, { headers: { cookie } })
      if (response.status !== 200) throw new Error(`${href}: ${response.status} ${await response.text()}`)
      return (await response.json()) as { features: unknown[]; numberMatched: number; links: { rel: string; href: string }[] }
    }
    const first = `${base}/collections/premises/items?limit=1000`
    t = performance.now()
    let href = first
    let page = await get(href)
    // The first request of a filter counts numberMatched; later pages of the walk reuse that count.
    figure('first page, first request (counts numberMatched)', performance.now() - t, 'ms')
    // The 500th page at a million premises; the last full page of a smaller run.
    const deep = Math.max(1, Math.min(500, Math.floor(premises / 1000)))
    for (let n = 2; n <= deep; n += 1) {
      href = page.links.find((l) => l.rel === 'next')!.href
      page = await get(href)
    }
    figure(`walk to page ${deep} by next links`, seconds(t), 's', `${page.features.length} features, numberMatched ${page.numberMatched}`)
    const page500 = href

    const sessionUser = toUser(user)
    for (const [name, target] of [
      ['first page', first],
      [`page ${deep}`, page500],
    ] as const) {
      const httpTimes: number[] = []
      const serviceTimes: number[] = []
      const query = Object.fromEntries(new URL(target).searchParams)
      for (let i = 0; i < requests + 3; i += 1) {
        let started = performance.now()
        await get(target)
        if (i >= 3) httpTimes.push(performance.now() - started)
        started = performance.now()
        const request = parseItemsQuery(collection, query)
        const result = await items(app.db, collection, sessionUser, request, base, query)
        if (i >= 3) serviceTimes.push(performance.now() - started)
        if (result.features.length !== 1000) throw new Error(`${name}: ${result.features.length} features`)
      }
      httpTimes.sort((a, b) => a - b)
      serviceTimes.sort((a, b) => a - b)
      figure(`${name}: in the service, p50`, percentile(serviceTimes, 50), 'ms', GOAL)
      figure(`${name}: in the service, p95`, percentile(serviceTimes, 95), 'ms')
      figure(`${name}: through HTTP (JSON parsed), p50`, percentile(httpTimes, 50), 'ms')
    }
    await app.close()
  } finally {
    await handle.close()
  }
}
