import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { buildApp } from '../server/app.ts'
import { loadConfig } from '../server/config.ts'
import { loadDemoData } from '../server/modules/demo/load.ts'
import type { Page, Request } from 'playwright-core'
import { openBrowser } from '../test/helpers/browser.ts'
import { ensureWebBuilt } from '../scripts/web-build.ts'
import { figure, numberArgs, openBenchDatabase, percentile } from './support.ts'

const ROOT = path.resolve(import.meta.dirname, '..')
const ASSETS = path.join(ROOT, 'web/dist/assets')
const PASSWORD = 'guyuan-demo'
const gzipKb = (file: string) => zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length / 1024

/**
 * The map desk's weight and speed: gzip size of the production JavaScript (the desk's own beside MapLibre's), and
 * the time from navigation to the first map drawn with the registry's tiles in headless Chromium, demo data loaded.
 */
export async function benchWeb(args: Record<string, string>) {
  const { requests: runs } = numberArgs(args, { requests: 5 })
  // Built only when its sources changed, as npm start does (a plain build would also drop the build's stamp).
  await ensureWebBuilt(() => {})
  const scripts = fs.readdirSync(ASSETS).filter((name) => /\.m?js$/.test(name))
  const maplibre = scripts.filter((name) => name.startsWith('maplibre-gl'))
  const own = scripts.filter((name) => !name.startsWith('maplibre-gl'))
  const ownKb = own.reduce((sum, name) => sum + gzipKb(path.join(ASSETS, name)), 0)
  const maplibreKb = maplibre.reduce((sum, name) => sum + gzipKb(path.join(ASSETS, name)), 0)
  figure('desk JavaScript, gzip', ownKb, 'KB', `goal < 450 KB beside maplibre-gl (${own.join(', ')})`)
  figure('maplibre-gl main + worker, gzip', maplibreKb, 'KB', 'not counted in the goal')

  const database = await openBenchDatabase('web')
  const config = loadConfig({}, { port: 0, serveWeb: true, logLevel: 'warn', loginRateLimitPerMinute: 10_000, demoPassword: PASSWORD })
  const app = await buildApp(config, { database, logger: false })
  await loadDemoData(app.db, PASSWORD)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  console.log(`service on ${database.where}, demo data loaded; ${runs} runs`)
  const cold: number[] = []
  const warm: number[] = []
  try {
    for (let run = 0; run < runs; run += 1) {
      // Every run is a fresh browser profile: nothing cached but the session cookie.
      const session = await openBrowser(url)
      try {
        const login = await fetch(`${url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: url },
          body: JSON.stringify({ username: 'education', password: PASSWORD }),
        })
        const cookie = login.headers.get('set-cookie')?.match(/sid=([^;]+)/)?.[1]
        if (!cookie) throw new Error(`sign-in failed: ${login.status}`)
        await session.context.addCookies([{ name: 'sid', value: cookie, url }])
        for (const [label, list] of [
          ['cold', cold],
          ['warm', warm],
        ] as const) {
          // From a blank page, so that the warm run loads the desk anew (a hash change alone would keep the map).
          await session.page.goto('about:blank')
          const waterfall = recordWaterfall(session.page)
          await session.page.goto(`${url}/#/map?at=14.00/36.01500/106.24000`)
          const ms = (await session.page.evaluate(firstRenderedMap)) as number
          list.push(ms)
          await waterfall.settled()
          const entries = waterfall.stop()
          if (run === 0) {
            console.log(`  first run, ${label}: ${ms.toFixed(0)} ms`)
            printWaterfall(entries, url, ms)
          }
        }
        if (session.outside.length > 0) throw new Error(`requests left localhost: ${session.outside.join(', ')}`)
      } finally {
        await session.close()
      }
    }
  } finally {
    await app.close()
    await database.close()
  }
  const median = (values: number[]) =>
    percentile(
      [...values].sort((a, b) => a - b),
      50,
    )
  figure(
    'first rendered map, cold cache (median)',
    median(cold) / 1000,
    's',
    `goal < 2 s; runs ${cold.map((ms) => (ms / 1000).toFixed(2)).join(', ')}`,
  )
  figure('first rendered map, warm cache (median)', median(warm) / 1000, 's', `runs ${warm.map((ms) => (ms / 1000).toFixed(2)).join(', ')}`)
}

interface WaterfallEntry {
  url: string
  /** Milliseconds after the navigation was sent, from the browser's own timing of each request. */
  start: number
  end: number
  status: number
}

/**
 * Every request of one navigation, the page's and its workers' (MapLibre fetches tiles in workers, which the page's
 * performance entries do not see), timed by the browser: request start and response end after the navigation's start.
 */
function recordWaterfall(page: Page) {
  const entries: WaterfallEntry[] = []
  const pending: Promise<void>[] = []
  let origin: number | null = null
  const finished = (request: Request) => {
    pending.push(
      (async () => {
        const timing = request.timing()
        const response = await request.response()
        if (origin === null && request.isNavigationRequest()) origin = timing.startTime
        entries.push({
          url: request.url(),
          start: timing.startTime,
          end: timing.startTime + (timing.responseEnd >= 0 ? timing.responseEnd : 0),
          status: response?.status() ?? 0,
        })
      })(),
    )
  }
  page.on('requestfinished', finished)
  return {
    stop(): WaterfallEntry[] {
      page.off('requestfinished', finished)
      const zero = origin ?? Math.min(...entries.map((e) => e.start))
      return entries.map((e) => ({ ...e, start: e.start - zero, end: e.end - zero })).sort((a, b) => a.start - b.start)
    },
    settled: () => Promise.all(pending),
  }
}

/** Prints the requests of a navigation, grouped where one kind repeats (tiles), and what came after the last of them. */
function printWaterfall(entries: WaterfallEntry[], base: string, renderedMs: number) {
  const tiles = entries.filter((e) => e.url.includes('.mvt'))
  for (const e of entries.filter((e) => !e.url.includes('.mvt')))
    console.log(
      `    ${e.start.toFixed(0).padStart(5)}–${e.end.toFixed(0).padStart(5)} ms  ${String(e.status).padStart(3)}  ${e.url.replace(base, '').slice(0, 90)}`,
    )
  if (tiles.length > 0) {
    const bySource = new Map<string, WaterfallEntry[]>()
    for (const e of tiles) {
      const source = new URL(e.url).pathname.split('/')[2] ?? '?'
      bySource.set(source, [...(bySource.get(source) ?? []), e])
    }
    for (const [source, list] of bySource)
      console.log(
        `    ${Math.min(...list.map((e) => e.start))
          .toFixed(0)
          .padStart(5)}–${Math.max(...list.map((e) => e.end))
          .toFixed(0)
          .padStart(5)} ms       ${list.length} ${source} tiles (${new Set(list.map((e) => e.url)).size} distinct)`,
      )
  }
  const last = Math.max(0, ...entries.map((e) => e.end))
  console.log(
    `    last response ${last.toFixed(0)} ms; map drawn ${renderedMs.toFixed(0)} ms (${(renderedMs - last).toFixed(0)} ms after it)`,
  )
}

/**
 * In the page: milliseconds from navigation start until the map is idle with registry features drawn. A string,
 * because tsx's transform would add helpers to a function that the page does not have.
 */
const firstRenderedMap = `new Promise((resolve, reject) => {
  const deadline = performance.now() + 60000
  const poll = () => {
    const map = window.zonesDesk && window.zonesDesk.map
    if (map && map.loaded() && map.areTilesLoaded() && map.queryRenderedFeatures({ layers: ['campus-fill', 'premises-point'] }).length > 0) return resolve(performance.now())
    if (performance.now() > deadline) return reject(new Error('no rendered map after 60 s'))
    requestAnimationFrame(poll)
  }
  poll()
})`
