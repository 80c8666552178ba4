/**
 * The governance desk in a real browser (Debian's Chromium, headless) against the real service with the demo data:
 * the dashboard against GET /api/stats, open hazards on the map, a hazard walked along the loop through the forms
 * (a refused skip, the five fixed items, an evidence photo, acceptance by another user), a school's file and its
 * PDF, the month's XLSX report, and what another department is offered. No request may leave the test server.
 */
import ExcelJS from 'exceljs'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadDemoData } from '../../server/modules/demo/load.ts'
import { loadReferenceData } from '../../server/modules/reference/load.ts'
import { buildWebOnce, openBrowser, screenshot, type BrowserSession } from '../helpers/browser.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

const PASSWORD = 'guyuan-demo'
/** A 1×1 PNG, as a phone would send a photo: the service takes the type from these bytes. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')
let service: TestApp
let browser: BrowserSession
let page: Page
/** The hazard walked through the forms (tobacco's), and one taken over from an old ledger, long overdue. */
let walked: { id: number; schoolId: number; position: [number, number] }
let overdue: { id: number; daysOverdue: number; escalation: string | null }

async function apiAs(username: string) {
  const agent = service.request().set('Origin', service.url)
  const response = await agent.post('/api/auth/login').send({ username, password: PASSWORD })
  expect(response.status).toBe(200)
  return agent
}

async function signIn(username: string) {
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

async function openGovernance(query = '') {
  await page.evaluate((hash) => (location.hash = hash), `#/governance${query ? `?${query}` : ''}`)
  await page.waitForSelector('#governance')
}

/** A few days before today in China Standard Time (YYYY-MM-DD). */
const daysAgo = (days: number) => new Date(Date.now() + 8 * 3_600_000 - days * 86_400_000).toISOString().slice(0, 10)
const digits = (text: string | null) => Number((text ?? '').replace(/[^0-9.]/g, ''))

/** Chooses a move in the transition form, fills what it asks for, submits, and waits for the hazard to be drawn again. */
async function move(to: string, fill: Record<string, string> = {}) {
  await page.selectOption('#move-to', to)
  for (const [id, value] of Object.entries(fill)) await page.fill(`#${id}`, value)
  await page.click('#move-submit')
}
async function stateShown() {
  return page.getAttribute('#hazard-state', 'data-state')
}

beforeAll(async () => {
  await buildWebOnce()
  service = await startTestApp({ serveWeb: true, demoPassword: PASSWORD })
  await loadReferenceData(service.app.db)
  await loadDemoData(service.app.db, PASSWORD)
  const governance = await apiAs('governance')
  const found = await governance.get('/api/conflicts').query({ category: 'tobacco_retail', limit: 1 })
  expect(found.status).toBe(200)
  const conflict = found.body.conflicts[0]
  const position: [number, number] = [conflict.location.lon, conflict.location.lat]
  const created = await governance.post('/api/hazards').send({
    schoolId: conflict.schoolId,
    kind: 'other',
    title: '校门口烟草零售点向学生售烟（测试）',
    description: '家长举报：放学时段向学生出售香烟',
    position,
    source: 'report',
    department: 'tobacco',
  })
  expect(created.status).toBe(201)
  walked = { id: created.body.id, schoolId: conflict.schoolId, position }
  // An item taken over from an existing ledger, in rectification since a deadline 12 days ago.
  const old = await governance.post('/api/hazards').send({
    schoolId: conflict.schoolId,
    kind: 'traffic',
    grade: 'general',
    title: '校门前缺少减速带（原台账）',
    position: [position[0] + 0.0008, position[1] + 0.0005],
    source: 'inspection',
    department: 'police',
    state: 'rectifying',
    foundAt: new Date(Date.now() - 40 * 86_400_000).toISOString(),
    responsibleParty: '交警大队',
    measures: '施划减速带',
    funds: '0.5万元',
    deadline: daysAgo(12),
    contingencyPlan: '上下学时段民警值守',
  })
  expect(old.status).toBe(201)
  const read = await governance.get(`/api/hazards/${old.body.id}`)
  overdue = { id: old.body.id, daysOverdue: read.body.daysOverdue, escalation: read.body.escalation }
  expect(overdue.daysOverdue).toBe(12)
  expect(overdue.escalation).toBe('ordered')
  browser = await openBrowser(service.url)
  page = browser.page
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await service?.close()
})

describe('governance desk in Chromium', () => {
  test('the dashboard shows the figures of GET /api/stats, in total and per county, with bar charts', async () => {
    await signIn('governance')
    await openGovernance('tab=dashboard')
    const stats = (await (await apiAs('governance')).get('/api/stats')).body
    await page.waitForSelector('[data-figure="hazards.open"]')
    const shown = async (key: string) => digits(await page.textContent(`.figures [data-figure="${key}"] .figure-value`))
    expect(await shown('schools')).toBe(stats.totals.schools)
    expect(await shown('conflicts.total')).toBe(stats.totals.conflicts.total)
    expect(await shown('hazards.open')).toBe(stats.totals.hazards.open)
    expect(await shown('hazards.overdue')).toBe(stats.totals.hazards.overdue)
    expect(await shown('permitsThisMonth.decided')).toBe(stats.totals.permitsThisMonth.decided)
    expect(await shown('compliance.compliant')).toBeCloseTo(Math.round(stats.totals.compliance.share * 1000) / 10, 5)
    // Every bar of the charts carries the API's count.
    const bars = await page.$$eval('#chart-hazards-state g.bar', (groups) =>
      Object.fromEntries(groups.map((g) => [g.getAttribute('data-key'), Number(g.getAttribute('data-value'))])),
    )
    const expectedStates = Object.fromEntries(
      Object.entries(stats.totals.hazards.byState as Record<string, number>).filter(([, n]) => n > 0),
    )
    expect(bars).toEqual(expectedStates)
    const categories = await page.$$eval('#chart-conflicts-category g.bar', (groups) =>
      Object.fromEntries(groups.map((g) => [g.getAttribute('data-key'), Number(g.getAttribute('data-value'))])),
    )
    expect(categories).toEqual(
      Object.fromEntries(Object.entries(stats.totals.conflicts.byCategory as Record<string, number>).filter(([, n]) => n > 0)),
    )
    for (const county of stats.counties as { code: string; schools: number; hazards: { open: number; overdue: number } }[]) {
      const row = `#county-table tr[data-county="${county.code}"]`
      expect(digits(await page.textContent(`${row} [data-figure="schools"]`))).toBe(county.schools)
      expect(digits(await page.textContent(`${row} [data-figure="hazards.overdue"]`))).toBe(county.hazards.overdue)
    }
    // One county chosen: its own figures.
    const one = stats.counties.find((c: { hazards: { open: number } }) => c.hazards.open > 0) ?? stats.counties[0]
    const countyStats = (await (await apiAs('governance')).get('/api/stats').query({ countyCode: one.code })).body
    const figures = countyStats.counties.find((c: { code: string }) => c.code === one.code) ?? countyStats.totals
    await page.selectOption('#dashboard-county', one.code)
    await expect.poll(() => shown('schools')).toBe(figures.schools)
    expect(await shown('hazards.open')).toBe(figures.hazards.open)
    await screenshot(page, 'governance-dashboard')
  })

  test('open hazards are drawn on the map coloured by their escalation step, and a click opens the hazard', async () => {
    await signIn('governance')
    await page.evaluate(
      ([lon, lat]) => (location.hash = `#/governance?tab=map&at=16.00/${lat}/${lon}`),
      [walked.position[0] + 0.0004, walked.position[1] + 0.00025],
    )
    await page.waitForFunction(
      () => {
        const map = window.zonesDesk?.map
        return Boolean(
          map?.getLayer('governance-hazard-points') && map.queryRenderedFeatures({ layers: ['governance-hazard-points'] }).length >= 2,
        )
      },
      undefined,
      { timeout: 30_000, polling: 200 },
    )
    const rendered = await page.evaluate(() =>
      window
        .zonesDesk!.map.queryRenderedFeatures({ layers: ['governance-hazard-points'] })
        .map((f) => f.properties as Record<string, unknown>),
    )
    const byId = new Map(rendered.map((p) => [Number(p.id), p]))
    expect(byId.get(walked.id)?.escalation).toBe('current')
    expect(byId.get(overdue.id)?.escalation).toBe('ordered')
    expect(byId.get(overdue.id)?.daysOverdue).toBe(12)
    // Whatever is drawn is open in the ledger.
    const governance = await apiAs('governance')
    for (const id of byId.keys()) {
      const hazard = (await governance.get(`/api/hazards/${id}`)).body
      expect(['accepted', 'closed', 'closed_without_rectification']).not.toContain(hazard.state)
    }
    const status = await page.textContent('#map-status')
    const open = (await governance.get('/api/hazards').query({ open: true, limit: 1 })).body.numberMatched
    expect(status).toContain(String(open))
    await screenshot(page, 'governance-map')
    const point = await page.evaluate((at) => {
      const map = window.zonesDesk!.map
      const p = map.project(at)
      const box = map.getCanvas().getBoundingClientRect()
      // The demo ledger may draw other hazards on the same spot (a conflict's hazard at that shop): all are noted.
      const here = map.queryRenderedFeatures([p.x, p.y], { layers: ['governance-hazard-points'] }).map((f) => Number(f.properties.id))
      return { x: box.left + p.x, y: box.top + p.y, here }
    }, walked.position)
    expect(point.here).toContain(walked.id)
    await page.mouse.click(point.x, point.y)
    await page.waitForSelector('#hazard-title')
    const titles = await Promise.all(point.here.map(async (id) => (await governance.get(`/api/hazards/${id}`)).body.title as string))
    const opened = (await page.textContent('#hazard-title')) ?? ''
    expect(titles.some((title) => opened.includes(title))).toBe(true)
  })

  test('a hazard walked through the forms: a refused skip, the five fixed items, evidence, four eyes at acceptance', async () => {
    await signIn('governance')
    await openGovernance(`tab=ledger&hazard=${walked.id}`)
    await page.waitForSelector('#move-to')
    expect(await stateShown()).toBe('warning')
    // Only the allowed next states are offered.
    expect(await page.$$eval('#move-to option', (options) => options.map((o) => (o as HTMLOptionElement).value))).toEqual([
      'inspected',
      'closed_without_rectification',
    ])
    for (const [to, note] of [
      ['inspected', '已现场排查'],
      ['registered', '已登记入账'],
      ['assessed', '评估为一般隐患'],
    ] as const) {
      await move(to, { 'move-note': note })
      await expect.poll(stateShown).toBe(to)
    }
    // A form from an outdated page asks to skip ahead: the service's 409 is shown beside the choice of state.
    await page.evaluate(() => {
      const select = document.querySelector<HTMLSelectElement>('#move-to')!
      select.add(new Option('monitored', 'monitored'))
      select.value = 'monitored'
    })
    await page.click('#move-submit')
    await expect.poll(() => page.textContent('#error-to')).toContain('reported')
    expect(await page.getAttribute('#move-to', 'aria-invalid')).toBe('true')
    expect(await stateShown()).toBe('assessed')
    await move('reported', { 'move-note': '已报告综治办' })
    await expect.poll(stateShown).toBe('reported')
    await move('monitored')
    await expect.poll(stateShown).toBe('monitored')
    // Rectifying asks for the five fixed items; the form refuses to send without them.
    await page.selectOption('#move-to', 'rectifying')
    expect(await page.isVisible('#fixed-responsibleParty')).toBe(true)
    await page.click('#move-submit')
    expect(await page.textContent('#error-responsibleParty')).not.toBe('')
    expect(await stateShown()).toBe('monitored')
    // A deadline already past is the service's refusal, shown by the deadline.
    await page.fill('#fixed-responsibleParty', '区烟草专卖局稽查大队')
    await page.fill('#fixed-measures', '约谈经营者，责令停止向未成年人售烟，张贴禁售标识')
    await page.fill('#fixed-funds', '无需资金')
    await page.fill('#fixed-deadline', daysAgo(3))
    await page.fill('#fixed-contingencyPlan', '复查时仍售烟的，依法立案查处')
    await page.click('#move-submit')
    await expect.poll(() => page.textContent('#error-deadline')).toMatch(/past/)
    await page.fill('#fixed-deadline', daysAgo(-20))
    await page.click('#move-submit')
    await expect.poll(stateShown).toBe('rectifying')
    expect(await page.textContent('.facts')).toContain('区烟草专卖局稽查大队')
    // The rectification reported done by the governance office…
    await move('report_rectified', { 'move-note': '经营者已整改' })
    await page.waitForSelector('#awaiting-acceptance')
    // …cannot be accepted by the same user (four eyes): the service's words are shown.
    await move('accepted')
    await expect.poll(() => page.textContent('#move-error')).toMatch(/four eyes/)
    // The evidence photo, uploaded and listed with its download.
    await page.setInputFiles('#attachment-file', { name: '整改后.png', mimeType: 'image/png', buffer: PNG })
    await page.selectOption('#attachment-phase', 'evidence')
    await page.click('#attachment-upload')
    await page.waitForSelector('#attachment-list li[data-phase="evidence"]')
    const href = await page.getAttribute('#attachment-list li[data-phase="evidence"] a', 'href')
    const download = await page.request.get(href!)
    expect(download.status()).toBe(200)
    expect(download.headers()['content-type']).toBe('image/png')
    expect(Buffer.compare(await download.body(), PNG)).toBe(0)
    await screenshot(page, 'governance-hazard')

    // Another user accepts: the tobacco department's supervisor, from its inbox.
    await signIn('tobacco_supervisor')
    await openGovernance('tab=inbox')
    const item = page.locator(`.inbox button[data-hazard-id="${walked.id}"]`)
    await item.waitFor()
    expect(await item.textContent()).toContain('待验收')
    await item.click()
    await page.waitForSelector('#move-to')
    expect(await page.$$eval('#move-to option', (options) => options.map((o) => (o as HTMLOptionElement).value))).toContain('accepted')
    await move('accepted', { 'move-note': '复查属实，验收通过' })
    await expect.poll(stateShown).toBe('accepted')
    // Closing (销号) is the governance office's: the supervisor of the department is not offered it.
    expect(await page.textContent('#no-move')).not.toBe('')

    await signIn('governance')
    await openGovernance(`tab=ledger&hazard=${walked.id}`)
    await page.waitForSelector('#move-to')
    await move('closed', { 'move-note': '销号' })
    await expect.poll(stateShown).toBe('closed')
    const history = await page.$$eval('#hazard-history li[data-action]', (items) => items.map((li) => li.getAttribute('data-action')))
    expect(history).toEqual(expect.arrayContaining(['create', 'transition', 'report_rectified', 'attachment']))
    const detail = (await (await apiAs('governance')).get(`/api/hazards/${walked.id}`)).body
    expect(detail.state).toBe('closed')
    expect(detail.acceptedBy).not.toBe(detail.rectifiedBy)
    expect(detail.events.filter((e: { action: string }) => e.action === 'transition').map((e: { toState: string }) => e.toState)).toEqual([
      'inspected',
      'registered',
      'assessed',
      'reported',
      'monitored',
      'rectifying',
      'accepted',
      'closed',
    ])
  }, 300_000)

  test('the ledger filters by state and overdue and pages, each filter kept in the URL', async () => {
    await signIn('governance')
    await openGovernance('tab=ledger')
    await page.waitForSelector('#ledger-count[data-matched]')
    const governance = await apiAs('governance')
    const all = (await governance.get('/api/hazards').query({ limit: 1 })).body.numberMatched
    await expect.poll(async () => Number(await page.getAttribute('#ledger-count', 'data-matched'))).toBe(all)
    await page.check('#filter-overdue')
    const late = (await governance.get('/api/hazards').query({ overdue: true, limit: 20 })).body
    await expect.poll(async () => Number(await page.getAttribute('#ledger-count', 'data-matched'))).toBe(late.numberMatched)
    const ids = await page.$$eval('.hazard-list button[data-hazard-id]', (buttons) =>
      buttons.map((b) => Number(b.getAttribute('data-hazard-id'))),
    )
    expect(ids).toEqual(late.hazards.map((h: { id: number }) => h.id))
    expect(ids).toContain(overdue.id)
    expect(page.url()).toContain('overdue=true')
    await page.uncheck('#filter-overdue')
    await page.selectOption('#filter-state', 'closed')
    const closed = (await governance.get('/api/hazards').query({ state: 'closed', limit: 20 })).body
    await expect.poll(async () => Number(await page.getAttribute('#ledger-count', 'data-matched'))).toBe(closed.numberMatched)
    expect(await page.$$eval('.hazard-list button[data-state]', (b) => b.map((x) => x.getAttribute('data-state')))).toEqual(
      closed.hazards.map(() => 'closed'),
    )
    await page.selectOption('#filter-state', '')
    if (all > 20) {
      await page.click('#ledger-next')
      const second = (await governance.get('/api/hazards').query({ limit: 20, offset: 20 })).body
      await expect
        .poll(() => page.$$eval('.hazard-list button[data-hazard-id]', (b) => b.map((x) => Number(x.getAttribute('data-hazard-id')))))
        .toEqual(second.hazards.map((h: { id: number }) => h.id))
    }
  })

  test('a school’s file opens from a hazard with its sections and a link to its PDF', async () => {
    await signIn('governance')
    await openGovernance(`tab=ledger&hazard=${overdue.id}`)
    await page.click('#open-school-file')
    await page.waitForSelector('#school-file-name')
    const file = (await (await apiAs('governance')).get(`/api/schools/${walked.schoolId}/file`)).body
    expect(await page.textContent('#school-file-name')).toBe(file.school.properties.name)
    for (const section of [
      'file-registry',
      'file-conflicts',
      'file-hazards-open',
      'file-hazards-closed',
      'file-inspections',
      'file-patrol',
      'file-signs',
      'file-cameras',
      'file-staffing',
    ])
      expect(await page.isVisible(`#${section}`)).toBe(true)
    expect(
      await page.$$eval('#file-hazards-open [data-hazard-id]', (b) => b.map((x) => Number(x.getAttribute('data-hazard-id')))),
    ).toContain(overdue.id)
    expect(
      await page.$$eval('#file-hazards-closed [data-hazard-id]', (b) => b.map((x) => Number(x.getAttribute('data-hazard-id')))),
    ).toContain(walked.id)
    const href = await page.getAttribute('#school-file-pdf', 'href')
    expect(href).toBe(`/api/schools/${walked.schoolId}/file.pdf`)
    const pdf = await page.request.get(href!)
    expect(pdf.status()).toBe(200)
    expect(pdf.headers()['content-type']).toBe('application/pdf')
    expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-')
    // The search box finds a school and opens its file.
    await openGovernance('tab=school')
    await page.fill('#search', file.school.properties.name)
    await page.waitForSelector('#search-results li[data-kind="school"]')
    await page.click('#search-results li[data-kind="school"] >> nth=0')
    await page.waitForSelector('#school-file-name')
    await screenshot(page, 'governance-school-file')
  })

  test('the month’s hazard report downloads as XLSX that exceljs reads', async () => {
    await signIn('governance')
    await openGovernance('tab=reports')
    const href = await page.getAttribute('#report-hazards-xlsx', 'href')
    const month = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7)
    expect(href).toContain('/api/reports/hazards.xlsx?')
    expect(href).toContain(`from=${month}-01`)
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#report-hazards-xlsx')])
    const saved = await download.path()
    const response = await page.request.get(href!)
    expect(response.status()).toBe(200)
    expect(response.headers()['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    const workbook = new ExcelJS.Workbook()
    await workbook.xlsx.readFile(saved)
    expect(workbook.worksheets.length).toBeGreaterThan(1)
    const items = workbook.worksheets.at(-1)!
    // The items sheet: a header row, then the hazards found this month (the one walked above among them).
    expect(items.rowCount).toBeGreaterThan(1)
    // A county chosen goes into every link.
    await page.selectOption('#report-county', '640402')
    expect(await page.getAttribute('#report-conflicts-pdf', 'href')).toContain('countyCode=640402')
    await screenshot(page, 'governance-reports')
  })

  test('another department is offered only what it may read, and nothing leaves the test server', async () => {
    await signIn('culture')
    await openGovernance()
    const tabs = await page.$$eval('.tabs button', (buttons) => buttons.map((b) => b.id))
    expect(tabs).toEqual(['tab-inbox', 'tab-ledger', 'tab-map', 'tab-school', 'tab-reports'])
    await openGovernance('tab=dashboard')
    expect(await page.getAttribute('#tab-inbox', 'aria-selected')).toBe('true')
    await openGovernance('tab=ledger')
    await page.waitForSelector('#ledger-count[data-matched]')
    const culture = await apiAs('culture')
    const own = (await culture.get('/api/hazards').query({ limit: 20 })).body
    await expect.poll(async () => Number(await page.getAttribute('#ledger-count', 'data-matched'))).toBe(own.numberMatched)
    const ids = await page.$$eval('.hazard-list button[data-hazard-id]', (b) => b.map((x) => Number(x.getAttribute('data-hazard-id'))))
    expect(ids).not.toContain(walked.id)
    expect(ids).not.toContain(overdue.id)
    // Tobacco's hazard opened by its address: not found for culture.
    await openGovernance(`tab=ledger&hazard=${walked.id}`)
    await expect.poll(() => page.textContent('#governance .error')).toContain('不存在')
    await openGovernance('tab=reports')
    const reports = await page.$$eval('#report-table tr[data-report]', (rows) => rows.map((r) => r.getAttribute('data-report')))
    expect(reports).not.toContain('patrols')
    expect(reports).toContain('hazards')

    // The viewer of the governance office reads everything and changes nothing.
    await signIn('viewer')
    await openGovernance(`tab=ledger&hazard=${overdue.id}`)
    await page.waitForSelector('#no-move')
    expect(await page.isVisible('#move-to')).toBe(false)
    expect(await page.isVisible('#attachment-file')).toBe(false)

    expect(browser.outside).toEqual([])
    // The refusals the walk provoked (409, 400, 403) and culture's 404 are logged by Chromium as failed loads; nothing else.
    expect(browser.errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([])
  })
})
