import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { build } from 'vite'
import { buildApp } from '../server/app.ts'
import { loadConfig } from '../server/config.ts'
import { loadDemoData } from '../server/modules/demo/load.ts'
import { openBrowser } from '../test/helpers/browser.ts'
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
  await build({ configFile: path.join(ROOT, 'web/vite.config.ts'), logLevel: 'warn' })
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
          await session.page.goto(`${url}/#/map?at=14.00/36.01500/106.24000`)
          const ms = (await session.page.evaluate(firstRenderedMap)) as number
          list.push(ms)
          if (run === 0) console.log(`  first run, ${label}: ${ms.toFixed(0)} ms`)
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
