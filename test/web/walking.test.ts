/**
 * Walking distance and the street basemap in a real browser (Debian's Chromium, headless) against the real service
 * with the demo data: the tobacco rules switched to walking from the gates, a check at a premises that conflicts on
 * foot shows the walk in the verdict card and on the map (and so does the permit view), the offline basemap draws the demo streets with their
 * attribution, and no request leaves the test server.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadDemoData } from '../../server/modules/demo/load.ts'
import { loadReferenceData } from '../../server/modules/reference/load.ts'
import { buildWebOnce, openBrowser, screenshot, type BrowserSession } from '../helpers/browser.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

const PASSWORD = 'guyuan-demo'
let service: TestApp
let browser: BrowserSession
let page: Page
/** A demo tobacco retailer that conflicts with a school on foot, measured on the network. */
let walk: { lon: number; lat: number; schoolName: string; distanceM: number; straightM: number }
let roadsAttribution: string

async function apiAs(username: string) {
  const agent = service.request().set('Origin', service.url)
  const response = await agent.post('/api/auth/login').send({ username, password: PASSWORD })
  expect(response.status).toBe(200)
  return agent
}

/** Metres as the desk writes them in Chinese: one decimal, grouped. */
const zhMetres = (value: number) => value.toLocaleString('zh-CN', { minimumFractionDigits: 1, maximumFractionDigits: 1 })

/** Waits until the map has drawn features of these layers (tiles loaded, map idle) and returns how many. */
async function waitForRendered(layers: string[]) {
  await page.waitForFunction(
    (ids) => {
      const map = window.zonesDesk?.map
      return Boolean(
        map &&
        map.loaded() &&
        map.areTilesLoaded() &&
        map.queryRenderedFeatures({ layers: ids.filter((id) => map.getLayer(id)) }).length > 0,
      )
    },
    layers,
    { timeout: 30_000, polling: 200 },
  )
  return page.evaluate((ids) => window.zonesDesk!.map.queryRenderedFeatures({ layers: ids }).length, layers)
}

beforeAll(async () => {
  await buildWebOnce()
  service = await startTestApp({ serveWeb: true, demoPassword: PASSWORD })
  await loadReferenceData(service.app.db)
  await loadDemoData(service.app.db, PASSWORD)

  const governance = await apiAs('governance')
  const rules = (await governance.get('/api/rules').query({ category: 'tobacco_retail' }).expect(200)).body.rules as { id: number }[]
  expect(rules.length).toBeGreaterThan(0)
  for (const rule of rules)
    await governance.put(`/api/rules/${rule.id}`).send({ origin: 'gates', path: 'walking', reason: '按校门步行距离计算' }).expect(200)

  const tobacco = await apiAs('tobacco')
  const found = await tobacco.get('/api/conflicts').query({ category: 'tobacco_retail', limit: 100 }).expect(200)
  const first = (
    found.body.conflicts as {
      location: { lon: number; lat: number }
      schoolName: string
      distanceM: number
      straightM?: number
      path?: string
      measuredBy?: string
      route?: unknown
    }[]
  ).find((c) => c.path === 'walking' && c.measuredBy === 'network' && c.route && c.straightM !== undefined)
  expect(first).toBeDefined()
  walk = { ...first!.location, schoolName: first!.schoolName, distanceM: first!.distanceM, straightM: first!.straightM! }
  roadsAttribution = (await service.request().get('/tiles/roads.json').expect(200)).body.attribution
  expect(roadsAttribution.length).toBeGreaterThan(0)

  browser = await openBrowser(service.url)
  page = browser.page
  await page.goto('/')
  await page.waitForSelector('#username')
  await page.fill('#username', 'tobacco')
  await page.fill('#password', PASSWORD)
  await page.click('form.login button[type=submit]')
  await page.waitForSelector('header.bar .user')
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await service?.close()
})

describe('walking distance in the desk', () => {
  test('a check at a premises near on foot shows 步行 with the walking and straight distances, and draws the walk', async () => {
    await page.goto('/#/check')
    await page.waitForSelector('#coordinates')
    await page.fill('#coordinates', `${walk.lon}, ${walk.lat}`)
    await page.selectOption('#crs', 'wgs84')
    await page.selectOption('#category', 'tobacco_retail')
    await page.click('.check-form button[type=submit]')
    const verdict = await page.waitForSelector('.verdict')
    expect(await verdict.getAttribute('data-verdict')).toBe('prohibited')
    const schools = await page.textContent('.verdict .schools')
    expect(schools).toContain(walk.schoolName)
    expect(schools).toContain(`步行 ${zhMetres(walk.distanceM)} 米（直线 ${zhMetres(walk.straightM)} 米）`)
    expect(await waitForRendered(['overlay-route'])).toBeGreaterThan(0)
    expect(await waitForRendered(['overlay-route-label'])).toBeGreaterThan(0)
    await page.waitForTimeout(800)
    await screenshot(page, 'check-walking')
  })

  test('the offline basemap draws the streets at zoom 15, with the roads’ attribution', async () => {
    await page.evaluate(([lon, lat]) => window.zonesDesk!.map.jumpTo({ center: [lon!, lat!], zoom: 15 }), [walk.lon, walk.lat])
    expect(await waitForRendered(['road-line', 'road-casing', 'road-footway'])).toBeGreaterThan(0)
    await expect.poll(() => page.textContent('.maplibregl-ctrl-attrib')).toContain(roadsAttribution)
    await screenshot(page, 'streets')
  })

  test('the permit view shows the screening’s walk in its card and on its map', async () => {
    const tobacco = await apiAs('tobacco')
    const submitted = await tobacco
      .post('/api/permits')
      .send({
        applicant: { name: '李四', idNumber: '11010519491231002X' },
        businessName: '步行测试烟酒店',
        category: 'tobacco_retail',
        address: '固原市测试街2号',
        location: { lon: walk.lon, lat: walk.lat },
        kind: 'new',
      })
      .expect(201)
    await page.goto('/#/permits?status=pending&q=步行测试')
    await page.click(`[data-permit-id="${submitted.body.id}"]`)
    await page.waitForSelector('.verdict')
    await expect
      .poll(() => page.textContent('.verdict .schools'))
      .toContain(`步行 ${zhMetres(walk.distanceM)} 米（直线 ${zhMetres(walk.straightM)} 米）`)
    expect(await waitForRendered(['overlay-route'])).toBeGreaterThan(0)
    await screenshot(page, 'permit-walking')
  })

  test('no request left the test server', () => {
    expect(browser.outside).toEqual([])
  })
})
