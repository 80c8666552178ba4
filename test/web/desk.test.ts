/**
 * The map desk in a real browser: Debian's Chromium, headless, against the real service with the demo data, on
 * whichever database the suite runs on. Every request that tries to leave the test server is blocked and recorded.
 * Screenshots of each screen land in test-artifacts/.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fromWgs84 } from '../../server/geo/crs.ts'
import { loadDemoData } from '../../server/modules/demo/load.ts'
import { loadReferenceData } from '../../server/modules/reference/load.ts'
import { buildWebOnce, openBrowser, screenshot, type BrowserSession } from '../helpers/browser.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

const PASSWORD = 'guyuan-demo'
let service: TestApp
let browser: BrowserSession
let page: Page
/** A demo tobacco retailer inside a school's zone, and that school. */
let conflict: { lon: number; lat: number; schoolName: string; distanceM: number }

async function signIn(username: string) {
  await page.goto('/')
  await page.waitForSelector('#username')
  await page.fill('#username', username)
  await page.fill('#password', PASSWORD)
  await page.click('form.login button[type=submit]')
  await page.waitForSelector('header.bar .user')
}

/** Makes sure the browser is signed in as this user, whoever was signed in before (tests can run alone with -t). */
async function as(username: string) {
  await page.goto('/')
  const who = await page.waitForSelector('header.bar .user, #username')
  if ((await who.getAttribute('id')) !== 'username') {
    if ((await who.getAttribute('title')) === username) return
    await signOut()
  }
  await signIn(username)
}

async function signOut() {
  await page.click('header.bar button:has-text("退出"), header.bar button:has-text("Sign out")')
  await page.waitForSelector('#username')
}

/** A new tobacco retail application by the demo clerk, through the API. */
async function submitApplication(businessName: string, location: { lon: number; lat: number }) {
  const tobacco = await apiAs('tobacco')
  const response = await tobacco.post('/api/permits').send({
    applicant: { name: '张三', idNumber: '11010519491231002X' },
    businessName,
    category: 'tobacco_retail',
    address: '固原市测试街1号',
    location,
    kind: 'new',
  })
  expect(response.status).toBe(201)
  return response.body as { id: number; version: number }
}

async function renderedFeatures(layers: string[]) {
  return page.evaluate((ids) => {
    const map = window.zonesDesk!.map
    return map
      .queryRenderedFeatures({ layers: ids.filter((id) => map.getLayer(id)) })
      .map((f) => ({ properties: f.properties as Record<string, unknown> }))
  }, layers)
}
const renderedCount = async (layers: string[]) => (await renderedFeatures(layers)).length

/** Waits until the map has drawn features of these layers (tiles loaded, map idle) and returns them. */
async function waitForRendered(layers: string[]) {
  await page.waitForFunction(
    (ids) => {
      const map = window.zonesDesk?.map
      return Boolean(map && map.loaded() && map.areTilesLoaded() && map.queryRenderedFeatures({ layers: ids }).length > 0)
    },
    layers,
    { timeout: 30_000, polling: 200 },
  )
  return renderedFeatures(layers)
}

async function apiAs(username: string) {
  const agent = service.request().set('Origin', service.url)
  const response = await agent.post('/api/auth/login').send({ username, password: PASSWORD })
  expect(response.status).toBe(200)
  return agent
}

beforeAll(async () => {
  await buildWebOnce()
  service = await startTestApp({ serveWeb: true, demoPassword: PASSWORD })
  await loadReferenceData(service.app.db)
  await loadDemoData(service.app.db, PASSWORD)
  const tobacco = await apiAs('tobacco')
  const found = await tobacco.get('/api/conflicts').query({ category: 'tobacco_retail', band: 'control', limit: 1 })
  expect(found.status).toBe(200)
  const first = found.body.conflicts[0]
  conflict = { lon: first.location.lon, lat: first.location.lat, schoolName: first.schoolName, distanceM: first.distanceM }
  browser = await openBrowser(service.url)
  page = browser.page
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await service?.close()
})

describe('map desk in Chromium', () => {
  test('sign-in refuses a wrong password in words, then lets the clerk in', async () => {
    await page.goto('/')
    await page.waitForSelector('#username')
    await screenshot(page, 'login')
    await page.fill('#username', 'tobacco')
    await page.fill('#password', 'wrong password')
    await page.click('form.login button[type=submit]')
    await expect.poll(() => page.textContent('#login-error')).toContain('不正确')
    await page.fill('#password', PASSWORD)
    await page.click('form.login button[type=submit]')
    await page.waitForSelector('header.bar .user')
    expect(await page.textContent('header.bar .user')).toContain('tobacco')
  })

  test('a check at a demo point inside a zone says 禁止 and names the school', async () => {
    await as('tobacco')
    await page.goto('/#/check')
    await page.waitForSelector('#coordinates')
    await page.fill('#coordinates', `${conflict.lon}, ${conflict.lat}`)
    await page.selectOption('#crs', 'wgs84')
    await page.selectOption('#category', 'tobacco_retail')
    await page.click('.check-form button[type=submit]')
    const verdict = await page.waitForSelector('.verdict')
    expect(await verdict.getAttribute('data-verdict')).toBe('prohibited')
    expect(await page.textContent('.verdict-word')).toBe('禁止')
    expect(await page.textContent('.verdict .schools')).toContain(conflict.schoolName)
    expect(await page.textContent('.verdict .schools')).toContain(`${conflict.distanceM.toFixed(1)} m`)
    // The certificate link carries the same point and category.
    const href = await page.getAttribute('#certificate', 'href')
    expect(href).toContain('/api/check/certificate.pdf?')
    expect(href).toContain('category=tobacco_retail')
    await page.waitForTimeout(800)
    await screenshot(page, 'check')
  })

  test('the same place pasted as GCJ-02 (Amap) gives the same verdict and distance', async () => {
    await as('tobacco')
    await page.goto('/#/check')
    const [lon, lat] = fromWgs84(conflict.lon, conflict.lat, 'gcj02')
    await page.fill('#coordinates', `${lon.toFixed(8)},${lat.toFixed(8)}`)
    await page.selectOption('#crs', 'gcj02')
    await page.click('.check-form button[type=submit]')
    await expect.poll(() => page.textContent('.verdict .facts')).toContain('GCJ-02')
    expect(await page.getAttribute('.verdict', 'data-verdict')).toBe('prohibited')
    expect(await page.textContent('.verdict .schools')).toContain(conflict.schoolName)
    expect(await page.textContent('.verdict .schools')).toContain(`${conflict.distanceM.toFixed(1)} m`)
    // The URL keeps the check: a reload restores it.
    await page.reload()
    await page.waitForSelector('.verdict')
    expect(await page.getAttribute('.verdict', 'data-verdict')).toBe('prohibited')
    expect(await page.inputValue('#crs')).toBe('gcj02')
  })

  test('a clerk approves one application and rejects another, and the queue follows', async () => {
    const tobacco = await apiAs('tobacco')
    // A place in the countryside far from every school: the screening allows it, so a clerk may approve.
    let place: { lon: number; lat: number } | undefined
    for (const candidate of [
      { lon: 106.45, lat: 35.75 },
      { lon: 106.05, lat: 35.95 },
      { lon: 105.75, lat: 35.85 },
      { lon: 106.3, lat: 36.3 },
    ]) {
      const checked = await tobacco.post('/api/check').send({ ...candidate, category: 'tobacco_retail' })
      if (checked.body.verdict === 'allowed') {
        place = candidate
        break
      }
    }
    expect(place).toBeDefined()
    const first = await submitApplication('浏览器测试烟酒店甲', place!)
    const second = await submitApplication('浏览器测试烟酒店乙', place!)

    await as('tobacco')
    await page.goto('/#/permits?status=pending&q=浏览器测试')
    await page.waitForSelector(`[data-permit-id="${first.id}"]`)
    expect(await page.locator('button.permit-item').count()).toBe(2)
    await screenshot(page, 'permits')

    await page.click(`[data-permit-id="${first.id}"]`)
    await page.waitForSelector('form.decision')
    await page.check('#decision-approve')
    await page.fill('#reason', '距离学校均超过 200 米，材料齐全。')
    await page.click('#decide')
    await expect.poll(() => page.textContent('#permit-status')).toBe('已批准')
    expect(await page.locator('form.decision').count()).toBe(0)
    await screenshot(page, 'permit-decided')

    await page.click('button.back')
    await page.waitForSelector(`[data-permit-id="${second.id}"]`)
    expect(await page.locator(`[data-permit-id="${first.id}"]`).count()).toBe(0)
    // Keyboard: the list is reachable and opens with Enter.
    await page.focus(`[data-permit-id="${second.id}"]`)
    await page.keyboard.press('Enter')
    await page.waitForSelector('form.decision')
    await page.check('#decision-reject')
    await page.fill('#reason', '申请材料不全。')
    await page.click('#decide')
    await expect.poll(() => page.textContent('#permit-status')).toBe('已驳回')
    await page.click('button.back')
    await expect.poll(() => page.locator('.permit-list .empty').count()).toBe(1)
    const registry = await tobacco.get(`/api/permits/${first.id}`)
    expect(registry.body.status).toBe('approved')
    expect(registry.body.premisesId).toBeGreaterThan(0)
  })

  test('a decision someone else made first is explained in plain words and the application reloaded', async () => {
    const created = await submitApplication('并发测试商店', { lon: conflict.lon, lat: conflict.lat })
    await as('tobacco')
    await page.goto(`/#/permits?id=${created.id}`)
    await page.waitForSelector('form.decision')
    // Meanwhile the supervisor rejects it.
    const supervisor = await apiAs('tobacco_supervisor')
    const decided = await supervisor
      .post(`/api/permits/${created.id}/decision`)
      .send({ decision: 'reject', reason: '在学校安全区域内。', version: created.version })
    expect(decided.status).toBe(200)
    await page.check('#decision-reject')
    await page.fill('#reason', '在学校安全区域内。')
    await page.click('#decide')
    await expect.poll(() => page.textContent('.panel [role=alert]')).toContain('已被他人修改')
    expect(await page.textContent('#permit-status')).toBe('已驳回')
    expect(await page.locator('form.decision').count()).toBe(0)
  })

  test('the search box finds a school by part of its name and checks that place', async () => {
    await as('tobacco')
    await page.goto('/#/check')
    await page.waitForSelector('#search')
    // Part of the name, without the 示例 prefix every demo name carries.
    const part = conflict.schoolName.replace(/^示例/, '').slice(0, 4)
    await page.fill('#search', part)
    const option = await page.waitForSelector('#search-results li[data-kind="school"]')
    expect(await option.textContent()).toContain(part)
    await option.click()
    await page.waitForSelector('.verdict')
    expect(await page.inputValue('#coordinates')).toMatch(/^\d+\.\d+, \d+\.\d+$/)
  })

  test('a viewer can open an application but sees no decision buttons', async () => {
    const created = await submitApplication('只读测试商店', { lon: conflict.lon, lat: conflict.lat })
    await as('viewer')
    await page.goto(`/#/permits?id=${created.id}`)
    await page.waitForSelector('#permit-title')
    expect(await page.textContent('#permit-title')).toBe('只读测试商店')
    expect(await page.locator('#decide').count()).toBe(0)
    expect(await page.locator('#decision-approve').count()).toBe(0)
    expect(await page.locator('#new-permit').count()).toBe(0)
    await page.goto('/#/permits')
    await page.waitForSelector('.permit-list')
    expect(await page.locator('#new-permit').count()).toBe(0)
  })

  test('the perimeter map draws tiles with no network: county outlines, Chinese labels, campuses, zones, premises', async () => {
    await as('education')
    await page.goto('/#/map?at=9.00/36.00000/106.20000')
    await page.waitForSelector('#layer-premises')
    await waitForRendered(['county-line'])
    const labels = await waitForRendered(['county-label'])
    expect(labels.map((f) => f.properties.name)).toContain('原州区')
    await screenshot(page, 'map-counties')
    await page.evaluate(([lon, lat]) => window.zonesDesk!.map.jumpTo({ center: [lon!, lat!], zoom: 15.5 }), [conflict.lon, conflict.lat])
    expect((await waitForRendered(['campus-fill'])).length).toBeGreaterThan(0)
    expect((await waitForRendered(['zone-control-fill'])).length).toBeGreaterThan(0)
    const premises = await waitForRendered(['premises-point'])
    expect(premises.length).toBeGreaterThan(0)
    expect((await waitForRendered(['premises-conflict-ring'])).length).toBeGreaterThan(0)
    await screenshot(page, 'map')
    // Turning a layer off hides it.
    await page.uncheck('#layer-premises')
    await expect.poll(() => renderedCount(['premises-point'])).toBe(0)
    await page.check('#layer-premises')
    await expect.poll(() => renderedCount(['premises-point'])).toBeGreaterThan(0)
  })

  test('clicking a premises opens its details and the schools whose zones it is in', async () => {
    await as('education')
    await page.goto(`/#/map?at=16.00/${conflict.lat.toFixed(6)}/${conflict.lon.toFixed(6)}`)
    await waitForRendered(['premises-point'])
    const point = await page.evaluate(
      ([lon, lat]) => {
        const p = window.zonesDesk!.map.project([lon!, lat!])
        return { x: p.x, y: p.y }
      },
      [conflict.lon, conflict.lat],
    )
    const box = (await page.locator('#map canvas').boundingBox())!
    await page.mouse.click(box.x + point.x, box.y + point.y)
    await expect.poll(() => page.textContent('#details')).toContain(conflict.schoolName)
    expect(await page.textContent('#details')).toContain(`${conflict.distanceM.toFixed(1)} m`)
  })

  test('the map downloads the premises on screen as CSV and GeoPackage, the same ones the registry lists', async () => {
    await as('tobacco')
    await page.goto(`/#/map?at=15.00/${conflict.lat.toFixed(6)}/${conflict.lon.toFixed(6)}`)
    await waitForRendered(['premises-point'])
    await page.click('#download-box summary')
    await page.selectOption('#download-register', 'premises')
    // Only the premises' own filter is offered for premises.
    expect(await page.isVisible('#download-school-type')).toBe(false)
    await page.selectOption('#download-category', 'tobacco_retail')
    await page.selectOption('#download-format', 'csv')
    const href = (await page.getAttribute('#download-link', 'href'))!
    const query = new URL(href, service.url).searchParams
    expect(query.get('category')).toBe('tobacco_retail')
    // The box is the map's bounds, rounded outward.
    const bounds = await page.evaluate(() => window.zonesDesk!.map.getBounds().toArray().flat())
    const bbox = query.get('bbox')!.split(',').map(Number)
    expect(bbox[0]).toBeLessThanOrEqual(bounds[0]!)
    expect(bbox[1]).toBeLessThanOrEqual(bounds[1]!)
    expect(bbox[2]).toBeGreaterThanOrEqual(bounds[2]!)
    expect(bbox[3]).toBeGreaterThanOrEqual(bounds[3]!)
    const listed = await (
      await apiAs('tobacco')
    )
      .get('/api/premises')
      .query({ bbox: query.get('bbox'), category: 'tobacco_retail', limit: 1 })
    expect(listed.status).toBe(200)
    const expected = listed.body.numberMatched as number
    expect(expected).toBeGreaterThan(0)

    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#download-link')])
    expect(csv.suggestedFilename()).toMatch(/^premises-\d{4}-\d{2}-\d{2}\.csv$/)
    const rows = parse(fs.readFileSync((await csv.path())!), { columns: true, bom: true }) as Record<string, string>[]
    expect(rows).toHaveLength(expected)
    expect(new Set(rows.map((r) => r.category))).toEqual(new Set(['tobacco_retail']))

    // A desktop GIS reads the GeoPackage: GDAL's own reader counts the same features.
    await page.selectOption('#download-format', 'gpkg')
    const [gpkg] = await Promise.all([page.waitForEvent('download'), page.click('#download-link')])
    expect(gpkg.suggestedFilename()).toMatch(/\.gpkg$/)
    const file = path.join(os.tmpdir(), `desk-download-${process.pid}.gpkg`)
    await gpkg.saveAs(file)
    try {
      const info = execFileSync('ogrinfo', ['-ro', '-so', '-al', file], { encoding: 'utf8' })
      expect(Number(info.match(/Feature Count: (\d+)/)?.[1])).toBe(expected)
    } finally {
      fs.rmSync(file, { force: true })
    }
    await screenshot(page, 'map-download')
  })

  test('the measuring tool gives geodesic distances', async () => {
    await as('education')
    await page.goto(`/#/map?at=16.00/${conflict.lat.toFixed(6)}/${conflict.lon.toFixed(6)}`)
    await page.waitForSelector('#tool-measure')
    await page.click('#tool-measure')
    const box = (await page.locator('#map canvas').boundingBox())!
    const a = await page.evaluate(([lon, lat]) => window.zonesDesk!.map.project([lon!, lat!]), [conflict.lon, conflict.lat])
    const b = await page.evaluate(([lon, lat]) => window.zonesDesk!.map.project([lon! + 0.001, lat!]), [conflict.lon, conflict.lat])
    await page.mouse.click(box.x + a.x, box.y + a.y)
    await page.mouse.click(box.x + b.x, box.y + b.y)
    // 0.001° of longitude at this latitude, on the WGS84 ellipsoid: about 90 m; the clicks land within a pixel.
    const total = Number((await page.textContent('#measure-total'))!.replace(/[^0-9.]/g, ''))
    const expected =
      ((Math.PI / 180) * 0.001 * 6378137 * Math.cos((conflict.lat * Math.PI) / 180)) /
      Math.sqrt(1 - 0.00669438 * Math.sin((conflict.lat * Math.PI) / 180) ** 2)
    expect(Math.abs(total - expected)).toBeLessThan(2)
    await page.click('#tool-measure')
  })

  test('the education department redraws a campus, validated as the API validates', async () => {
    await as('education')
    const education = await apiAs('education')
    const school = (await education.get('/api/schools').query({ q: conflict.schoolName, limit: 1 })).body.features[0]
    // The new outline is the campus's bounding box, so its gates stay within reach.
    const ring: number[][] = school.geometry.type === 'Polygon' ? school.geometry.coordinates[0] : school.geometry.coordinates[0][0]
    const lon = Math.min(...ring.map((p) => p[0]!))
    const lat = Math.min(...ring.map((p) => p[1]!))
    const width = Math.max(...ring.map((p) => p[0]!)) - lon
    const height = Math.max(...ring.map((p) => p[1]!)) - lat
    await page.goto(`/#/map?sel=school:${school.id}&at=16.00/${(lat + height / 2).toFixed(6)}/${(lon + width / 2).toFixed(6)}`)
    await expect.poll(() => page.textContent('#details')).toContain(school.properties.name)
    await page.click('#tool-draw:not([disabled])')
    await page.waitForSelector('#draw-save')
    await page.click('.tool-box button:has-text("↺")')
    const box = (await page.locator('#map canvas').boundingBox())!
    const click = async (dx: number, dy: number) => {
      const p = await page.evaluate(([x, y]) => window.zonesDesk!.map.project([x!, y!]), [lon + dx, lat + dy])
      await page.mouse.click(box.x + p.x, box.y + p.y)
      await page.waitForTimeout(350)
    }
    // A bow tie crosses itself: refused before anything is sent.
    await click(0, 0)
    await click(width, height)
    await click(width, 0)
    await click(0, height)
    await expect.poll(() => page.textContent('#draw-problems')).toMatch(/intersect|cross/i)
    expect(await page.isDisabled('#draw-save')).toBe(true)
    await page.click('.tool-box button:has-text("↺")')
    await click(0, 0)
    await click(width, 0)
    await click(width, height)
    await click(0, height)
    await expect.poll(() => page.isDisabled('#draw-save')).toBe(false)
    await page.click('#draw-save')
    await expect.poll(async () => `${await page.textContent('#toasts')} ${await page.textContent('.tool-box')}`).toContain('已保存')
    const saved = (await education.get(`/api/schools/${school.id}`)).body
    expect(saved.properties.version).toBe(school.properties.version + 1)
    expect(saved.geometry.coordinates[0]).toHaveLength(5)
  })

  test('English on request', async () => {
    await as('education')
    await page.click('header.bar button:has-text("English")')
    await expect.poll(() => page.textContent('header.bar nav')).toContain('Check a place')
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en')
    await page.click('header.bar button:has-text("中文")')
    await expect.poll(() => page.textContent('header.bar nav')).toContain('选址核查')
  })

  test('no request left the test server', () => {
    expect(browser.outside).toEqual([])
  })
})
