/**
 * Checks in bulk in a real browser (Debian's Chromium, headless) against the real service: a clerk uploads a CSV,
 * watches it being decided, reads the prohibited rows first in the table, sees the points on the map coloured by
 * verdict, and downloads the results as CSV (UTF-8 with BOM) and XLSX; no request leaves the test server.
 */
import fs from 'node:fs'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { GUYUAN, offset, schoolFeature } from '../factories/registry.ts'
import { buildWebOnce, openBrowser, screenshot, type BrowserSession } from '../helpers/browser.ts'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app.ts'

let service: TestApp
let browser: BrowserSession
let page: Page
let schoolName: string

const centre: [number, number] = [GUYUAN.lon, GUYUAN.lat]
// The campus is 120 × 80 m around the centre: 45 m north is 5 m from it, 100 m north 60 m, 400 m north 360 m.
const rows = [
  ['far-north', ...offset(centre, 0, 400)],
  ['near-60', ...offset(centre, 0, 100)],
  ['bad-lon', 'abc', '36.0'],
  ['near-5', ...offset(centre, 0, 45)],
  ['far-east', ...offset(centre, 900, 0)],
] as const
const CSV = `id,lon,lat\n${rows.map((r) => r.join(',')).join('\n')}\n`

beforeAll(async () => {
  await buildWebOnce()
  service = await startTestApp({ serveWeb: true })
  const education = (await service.signIn({ department: 'education', role: 'clerk' })).agent
  schoolName = '批量核查测试小学'
  await education
    .post('/api/schools')
    .send(schoolFeature({ center: centre, name: schoolName }))
    .expect(201)
  await service.signIn({ username: 'batch_web', department: 'tobacco', role: 'clerk' })

  browser = await openBrowser(service.url)
  page = browser.page
  await page.goto('/')
  await page.waitForSelector('#username')
  await page.fill('#username', 'batch_web')
  await page.fill('#password', TEST_PASSWORD)
  await page.click('form.login button[type=submit]')
  await page.waitForSelector('header.bar .user')
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await service?.close()
})

describe('checks in bulk in the desk', () => {
  test('the navigation leads to the page', async () => {
    await page.click('header.bar nav a[href="#/batch"]')
    await page.waitForSelector('#batch-file')
    expect(await page.textContent('.panel h2')).toBe('批量核查')
  })

  test('an uploaded CSV is decided with progress, prohibited rows first in the table', async () => {
    await page.setInputFiles('#batch-file', { name: 'retailers.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) })
    await page.selectOption('#batch-category', 'tobacco_retail')
    await page.click('#batch-start')
    await expect.poll(() => page.textContent('#batch-status')).toContain('核查完成：共 5 个点')
    expect(await page.getAttribute('#batch-progress', 'value')).toBe('5')
    const table = await page.$$eval('#batch-results tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    )
    expect(table.map((r) => r[0])).toEqual(['near-5', 'near-60', 'bad-lon', 'far-north', 'far-east'])
    expect(table[0]!.slice(1, 4)).toEqual(['禁止', schoolName, expect.stringMatching(/^5\.\d m$/)])
    expect(table[1]!.slice(1, 3)).toEqual(['禁止', schoolName])
    expect(table[2]![1]).toContain('lon')
    expect(table[3]![1]).toBe('允许')
    expect(await page.textContent('#batch-summary')).toBe('共 5 个点：禁止 2，允许 2，无法核查 1。')
  })

  test('the points are on the map, coloured by verdict', async () => {
    await page.waitForFunction(
      () => {
        const map = window.zonesDesk?.map
        return Boolean(
          map && map.getLayer('batch-points') && map.loaded() && map.queryRenderedFeatures({ layers: ['batch-points'] }).length >= 4,
        )
      },
      undefined,
      { timeout: 30_000, polling: 200 },
    )
    const drawn = await page.evaluate(() =>
      window
        .zonesDesk!.map.queryRenderedFeatures({ layers: ['batch-points'] })
        .map((f) => `${String(f.properties.id)}:${String(f.properties.verdict)}`)
        .sort(),
    )
    expect(drawn).toEqual(['far-east:allowed', 'far-north:allowed', 'near-5:prohibited', 'near-60:prohibited'])
    const colour = await page.evaluate(() => JSON.stringify(window.zonesDesk!.map.getPaintProperty('batch-points', 'circle-color')))
    expect(colour).toContain('prohibited')
    await screenshot(page, 'batch-check')
  })

  test('the results download as CSV (UTF-8 with BOM, the rows in input order) and as XLSX', async () => {
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#batch-csv')])
    expect(csv.suggestedFilename()).toMatch(/^check-batch-.*\.csv$/)
    const text = fs.readFileSync((await csv.path())!, 'utf8')
    expect(text.charCodeAt(0)).toBe(0xfeff)
    const lines = text.slice(1).trim().split('\r\n')
    expect(lines[0]).toBe('id,verdict,lon,lat,schoolId,schoolName,distanceM,band,ruleId,ruleVersion,conflictCount,errorField,errorMessage')
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(rows.map((r) => r[0]))
    expect(lines[2]).toContain(`,prohibited,`)
    expect(lines[2]).toContain(schoolName)

    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('#batch-xlsx')])
    expect(xlsx.suggestedFilename()).toMatch(/^check-batch-.*\.xlsx$/)
    const bytes = fs.readFileSync((await xlsx.path())!)
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK')
    expect(browser.outside).toEqual([])
  })
})
