/**
 * The rules screen in a real browser (Debian's Chromium, headless) against the real service with the demo data: the
 * governance office reads the table of rules, changes the tobacco limit around primary schools to 300 m with a reason,
 * reads the what-if (the same counts POST /api/rules/preview gives), sees the premises that would newly conflict on the
 * map, compares today's and the proposed zones, saves, and finds the table and the version changed. Other departments
 * are not offered the screen. Every request that tries to leave the test server is blocked and recorded.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadDemoData } from '../../server/modules/demo/load.ts'
import { loadReferenceData } from '../../server/modules/reference/load.ts'
import { buildWebOnce, openBrowser, screenshot, type BrowserSession } from '../helpers/browser.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

const PASSWORD = 'guyuan-demo'
const PROPOSAL = { category: 'tobacco_retail', schoolType: 'primary', limitM: 300 }
let service: TestApp
let browser: BrowserSession
let page: Page

interface Tally {
  total: number
  byCategory: Record<string, number>
  byCounty: Record<string, number>
  byBand: Record<string, number>
}
interface Preview {
  today: Tally
  proposed: Tally
  newlyConflicting: Tally
  cleared: Tally
  bandChanged: number
  premises: { premisesId: number; name: string; change: string; location: { lon: number; lat: number } }[]
}

async function apiAs(username: string) {
  const agent = service.request().set('Origin', service.url)
  const response = await agent.post('/api/auth/login').send({ username, password: PASSWORD })
  expect(response.status).toBe(200)
  return agent
}

/** Makes sure the browser is signed in as this user, whoever was signed in before. */
async function as(username: string) {
  await page.goto('/')
  const who = await page.waitForSelector('header.bar .user, #username')
  if ((await who.getAttribute('id')) !== 'username') {
    if ((await who.getAttribute('title')) === username) return
    await page.click('header.bar button:has-text("退出"), header.bar button:has-text("Sign out")')
    await page.waitForSelector('#username')
  }
  await page.fill('#username', username)
  await page.fill('#password', PASSWORD)
  await page.click('form.login button[type=submit]')
  await page.waitForSelector('header.bar .user')
}

async function renderedFeatures(layers: string[]) {
  return page.evaluate((ids) => {
    const map = window.zonesDesk!.map
    return map
      .queryRenderedFeatures({ layers: ids.filter((id) => map.getLayer(id)) })
      .map((f) => ({ properties: f.properties as Record<string, unknown> }))
  }, layers)
}

/** Waits until the map is idle with features of these layers drawn, and returns them. */
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
  return renderedFeatures(layers)
}

/** A breakdown table of the what-if as the screen shows it: key → [today, proposed, difference]. */
async function shownBreakdown(breakdown: string): Promise<Record<string, [number, number, number]>> {
  return page.$$eval(`table[data-what-if="${breakdown}"] tbody tr`, (rows) =>
    Object.fromEntries(
      rows.map((row) => [
        row.getAttribute('data-key')!,
        ['.today', '.proposed', '.diff'].map((cell) => Number(row.querySelector(cell)!.textContent!.replace('+', ''))) as [
          number,
          number,
          number,
        ],
      ]),
    ),
  )
}

/** What the table should show for a breakdown of the API's answer, with the total row. */
function expectedBreakdown(preview: Preview, breakdown: 'byCategory' | 'byCounty' | 'byBand') {
  const keys = new Set([...Object.keys(preview.today[breakdown]), ...Object.keys(preview.proposed[breakdown])])
  const rows: Record<string, [number, number, number]> = {}
  for (const key of keys) {
    const today = preview.today[breakdown][key] ?? 0
    const proposed = preview.proposed[breakdown][key] ?? 0
    rows[key] = [today, proposed, proposed - today]
  }
  const sum = (tally: Tally) => (breakdown === 'byBand' ? Object.values(tally.byBand).reduce((a, b) => a + b, 0) : tally.total)
  rows.total = [sum(preview.today), sum(preview.proposed), sum(preview.proposed) - sum(preview.today)]
  return rows
}

beforeAll(async () => {
  await buildWebOnce()
  service = await startTestApp({ serveWeb: true, demoPassword: PASSWORD })
  await loadReferenceData(service.app.db)
  await loadDemoData(service.app.db, PASSWORD)
  browser = await openBrowser(service.url)
  page = browser.page
  // The machine is shared: give actions more than playwright's default 30 s before calling them stuck.
  page.setDefaultTimeout(90_000)
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await service?.close()
})

describe('rules screen in Chromium', () => {
  test('a clerk of another department is not offered the screen, and its address opens the check screen', async () => {
    await as('tobacco')
    expect(await page.textContent('header.bar nav')).not.toContain('规则设置')
    await page.goto('/#/rules')
    await page.waitForSelector('#coordinates')
    expect(await page.locator('.rules-table').count()).toBe(0)
    expect(await page.evaluate(() => location.hash)).toBe('#/check')
  }, 120_000)

  test('the governance office reads the table, previews 300 m for tobacco around primary schools, saves it, and the table and version follow', async () => {
    const governance = await apiAs('governance')
    const before = (await governance.get('/api/rules').query({ category: 'tobacco_retail', schoolType: 'primary' }).expect(200)).body
      .rules[0] as { id: number; version: number; limitM: number }
    expect(before.limitM).toBe(200)

    await as('governance')
    await page.click('header.bar nav a:has-text("规则设置")')
    await page.waitForSelector('.rules-table tbody tr')
    expect(await page.locator('.rules-table tbody tr').count()).toBe(72)
    await page.selectOption('#rules-category', 'tobacco_retail')
    await expect.poll(() => page.locator('.rules-table tbody tr').count()).toBe(8)
    const row = page.locator(`.rules-table tr[data-rule-id="${before.id}"]`)
    expect(await row.locator('[data-column="limit"]').textContent()).toBe('200 m')
    expect(await row.locator('[data-column="version"]').textContent()).toBe(String(before.version))
    expect(await row.textContent()).toContain('烟草')
    await screenshot(page, 'rules-table')

    await row.locator('button').click()
    await page.waitForSelector('#rule-limit')
    expect(await page.textContent('#rule-title')).toContain('小学')
    expect(await page.textContent('.rule-history')).toContain('第 1 版')
    expect(await page.isDisabled('#rule-save')).toBe(true)

    // A limit the API refuses: its message stands beside the limit field.
    await page.fill('#rule-limit', '6000')
    await page.click('#rule-preview')
    await expect.poll(() => page.textContent('#rule-limitM-error')).toContain('limitM')
    expect(await page.getAttribute('#rule-limit', 'aria-invalid')).toBe('true')

    await page.fill('#rule-limit', '300')
    await page.click('#rule-preview')
    await page.waitForSelector('#what-if')
    expect(await page.isVisible('#rule-limitM-error')).toBe(false)
    const expected = (
      await governance
        .post('/api/rules/preview')
        .send({ rules: [PROPOSAL] })
        .expect(200)
    ).body as Preview
    expect(expected.newlyConflicting.total).toBeGreaterThan(0)
    for (const breakdown of ['byCategory', 'byCounty', 'byBand'] as const)
      expect(await shownBreakdown(breakdown), breakdown).toEqual(expectedBreakdown(expected, breakdown))
    expect(await page.getAttribute('.what-if-summary', 'data-newly-conflicting')).toBe(String(expected.newlyConflicting.total))
    expect(await page.getAttribute('.what-if-summary', 'data-cleared')).toBe(String(expected.cleared.total))

    // The newly conflicting premises on the map: open the first from the list, and it is drawn in its layer.
    const newly = expected.premises.filter((p) => p.change === 'newly_conflicting')
    const first = newly[0]!
    await page.click(`.changed-premises li[data-premises-id="${first.premisesId}"] button`)
    const drawn = await waitForRendered(['what-if-newly-conflicting'])
    const drawnIds = new Set(drawn.map((f) => Number(f.properties.premisesId)))
    expect(drawnIds.has(first.premisesId)).toBe(true)
    for (const id of drawnIds) expect(newly.some((p) => p.premisesId === id)).toBe(true)
    const clearedIds = new Set(expected.premises.filter((p) => p.change === 'cleared').map((p) => p.premisesId))
    for (const f of await renderedFeatures(['what-if-cleared'])) expect(clearedIds.has(Number(f.properties.premisesId))).toBe(true)
    await expect.poll(() => page.textContent('#details')).toContain(first.name)

    // Clicking the point on the map opens its details too.
    await page.evaluate(() => (document.querySelector('#details')!.textContent = ''))
    await page.waitForFunction(() => window.zonesDesk!.map.loaded())
    const point = await page.evaluate(({ lon, lat }) => window.zonesDesk!.map.project([lon, lat]), first.location)
    const box = (await page.locator('#map canvas').boundingBox())!
    await page.mouse.click(box.x + point.x, box.y + point.y)
    await expect.poll(() => page.textContent('#details')).toContain(first.name)

    // Today's and the proposed zones, drawn by the server for the schools in view, shown one or the other or both.
    await expect.poll(() => page.getAttribute('#what-if-zones-status', 'data-schools')).toMatch(/^[1-9]/)
    const proposedLines = await waitForRendered(['what-if-proposed-line'])
    expect(proposedLines.every((f) => f.properties.limitM === 300)).toBe(true)
    expect((await renderedFeatures(['what-if-today-line'])).length).toBe(0)
    await screenshot(page, 'rules-what-if-proposed')
    await page.check('#zone-mode-today')
    const todayLines = await waitForRendered(['what-if-today-line'])
    expect(todayLines.every((f) => f.properties.limitM === 200)).toBe(true)
    await expect.poll(() => renderedFeatures(['what-if-proposed-line']).then((f) => f.length)).toBe(0)
    await page.check('#zone-mode-both')
    await waitForRendered(['what-if-proposed-line'])
    expect((await renderedFeatures(['what-if-today-line'])).length).toBeGreaterThan(0)
    await screenshot(page, 'rules-what-if-both')

    // Saving needs a reason: the API's refusal stands beside the reason field.
    expect(await page.isDisabled('#rule-save')).toBe(false)
    await page.click('#rule-save')
    await expect.poll(() => page.textContent('#rule-reason-error')).toContain('reason')
    await page.fill('#rule-reason', '试行：小学周边烟草零售点300米')
    await page.click('#rule-save')
    // The toast goes after a few seconds: read it first.
    await expect.poll(() => page.textContent('#toasts')).toContain('已保存')
    await expect.poll(() => page.textContent('[data-fact="version"]')).toBe(String(before.version + 1))
    expect(await page.textContent('[data-fact="limit"]')).toBe('300 m')
    expect(await page.textContent('.rule-history')).toContain('试行：小学周边烟草零售点300米')
    expect(await page.textContent('.rule-history')).toContain('200 m → 300 m')
    // The what-if is gone with the saved proposal.
    expect(await page.locator('#what-if').count()).toBe(0)
    expect((await renderedFeatures(['what-if-newly-conflicting'])).length).toBe(0)

    await page.click('button.back')
    await page.waitForSelector(`.rules-table tr[data-rule-id="${before.id}"]`)
    expect(await row.locator('[data-column="limit"]').textContent()).toBe('300 m')
    expect(await row.locator('[data-column="version"]').textContent()).toBe(String(before.version + 1))
    const after = (await governance.get(`/api/rules/${before.id}`).expect(200)).body
    expect(after.rule).toMatchObject({ limitM: 300, version: before.version + 1 })
    expect(after.versions.at(-1)).toMatchObject({
      version: before.version + 1,
      reason: '试行：小学周边烟草零售点300米',
      changedBy: 'governance',
    })
    // The saved conflicts are what the what-if said they would be.
    const conflicts = (await governance.get('/api/conflicts').query({ category: 'tobacco_retail', limit: 1 }).expect(200)).body
    const premisesNow = new Set<number>()
    for (let offset = 0; offset < conflicts.numberMatched; offset += 1000) {
      const chunk = (await governance.get('/api/conflicts').query({ category: 'tobacco_retail', limit: 1000, offset }).expect(200)).body
      for (const c of chunk.conflicts as { premisesId: number }[]) premisesNow.add(c.premisesId)
    }
    expect(premisesNow.size).toBe(expected.proposed.total)
  }, 300_000)

  test('one change for every school type of a category is previewed and saved together', async () => {
    const governance = await apiAs('governance')
    const before = (await governance.get('/api/rules').query({ category: 'internet_cafe' }).expect(200)).body.rules as {
      id: number
      version: number
    }[]
    expect(before).toHaveLength(8)
    await as('governance')
    await page.goto(`/#/rules?rule=${before[0]!.id}`)
    await page.waitForSelector('#rule-scope-category')
    await page.fill('#rule-limit', '250')
    await page.check('#rule-scope-category')
    await page.fill('#rule-reason', '网吧：全部学校类型250米')
    await page.click('#rule-preview')
    await page.waitForSelector('#what-if')
    const expected = (
      await governance
        .post('/api/rules/preview')
        .send({ rules: [{ category: 'internet_cafe', limitM: 250 }] })
        .expect(200)
    ).body as Preview
    expect(await shownBreakdown('byCounty')).toEqual(expectedBreakdown(expected, 'byCounty'))
    // Narrowing the scope again makes the what-if stale: saving waits for a new preview.
    await page.check('#rule-scope-rule')
    await expect.poll(() => page.isDisabled('#rule-save')).toBe(true)
    await page.check('#rule-scope-category')
    await page.click('#rule-preview')
    await expect.poll(() => page.isDisabled('#rule-save')).toBe(false)
    await page.click('#rule-save')
    await expect.poll(() => page.textContent('#toasts')).toContain('8 条规则已保存')
    await page.click('button.back')
    await page.selectOption('#rules-category', 'internet_cafe')
    for (const rule of before) {
      const row = page.locator(`.rules-table tr[data-rule-id="${rule.id}"]`)
      await expect.poll(() => row.locator('[data-column="limit"]').textContent()).toBe('250 m')
      expect(await row.locator('[data-column="version"]').textContent()).toBe(String(rule.version + 1))
    }
  }, 180_000)

  test('a change coming into force at a later date is saved and shown as not yet in force', async () => {
    const governance = await apiAs('governance')
    const rule = (await governance.get('/api/rules').query({ category: 'lottery_outlet', schoolType: 'kindergarten' }).expect(200)).body
      .rules[0] as { id: number; version: number }
    const year = new Date().getUTCFullYear() + 1
    await as('governance')
    await page.goto(`/#/rules?rule=${rule.id}`)
    await page.waitForSelector('#rule-effective-from')
    await page.fill('#rule-effective-from', `${year}-03-01`)
    await page.fill('#rule-limit', '150')
    await expect.poll(() => page.isVisible('#rule-future-warning')).toBe(true)
    await page.fill('#rule-reason', `${year}年3月1日起幼儿园周边彩票150米`)
    await page.click('#rule-preview')
    await page.waitForSelector('#what-if')
    await page.click('#rule-save')
    await expect.poll(() => page.textContent('[data-fact="version"]')).toBe(String(rule.version + 1))
    expect(await page.textContent('[data-fact="effective"]')).toContain(`尚未生效：${year}-03-01 起施行`)
    await page.click('button.back')
    await page.selectOption('#rules-category', 'lottery_outlet')
    const row = page.locator(`.rules-table tr[data-rule-id="${rule.id}"]`)
    await expect.poll(() => row.locator('[data-column="effective"]').textContent()).toContain('尚未生效')
    expect(await row.getAttribute('class')).toContain('not-in-force')
    await screenshot(page, 'rules-future')
  }, 180_000)

  test('no request left the test server', () => {
    expect(browser.outside).toEqual([])
  })
})
