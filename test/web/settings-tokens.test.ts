/**
 * The settings screen in a real browser (Debian's Chromium, headless, under the service's CSP): a clerk creates an API
 * token, reads the once-only warning, copies the token, finds it in the list with its prefix, uses it from a script,
 * sees the API's refusals beside their fields, and revokes it after confirming, after which the token is refused.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createUser } from '../../server/modules/users/service.ts'
import { buildWebOnce, openBrowser, screenshot, type BrowserSession } from '../helpers/browser.ts'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app.ts'

let service: TestApp
let browser: BrowserSession
let page: Page
const USERNAME = 'token_clerk'

beforeAll(async () => {
  await buildWebOnce()
  service = await startTestApp({ serveWeb: true })
  await createUser(
    service.app.db,
    { username: USERNAME, password: TEST_PASSWORD, department: 'education', role: 'clerk', countyCode: '640402' },
    { user: null, requestId: 'test' },
  )
  browser = await openBrowser(service.url)
  page = browser.page
  page.setDefaultTimeout(90_000)
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: service.url })
  await page.goto('/')
  await page.fill('#username', USERNAME)
  await page.fill('#password', TEST_PASSWORD)
  await page.click('form.login button[type=submit]')
  await page.waitForSelector('header.bar .user')
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await service?.close()
})

const bearer = (token: string) => service.request().get('/api/auth/me').set('Authorization', `Bearer ${token}`)

describe('settings screen in Chromium', () => {
  test('a clerk creates a token, sees it once with a warning, copies it, finds it listed, and a script can use it', async () => {
    await page.click('header.bar nav a[href="#/settings"]')
    await page.waitForSelector('#token-name')
    expect(await page.evaluate(() => location.hash)).toMatch(/^#\/settings(\?|$)/)
    expect(await page.textContent('#tokens-empty')).toContain('还没有令牌')

    await page.fill('#token-name', 'GIS 科 QGIS')
    await page.selectOption('#token-access', 'write')
    await page.click('.token-form button[type=submit]')
    await page.waitForSelector('#token-secret')
    const token = await page.inputValue('#token-secret')
    expect(token).toMatch(/^gyz_[A-Za-z0-9_-]{43}$/)
    expect(await page.textContent('.token-created .warning')).toContain('唯一一次显示')
    await page.click('#token-copy')
    await expect.poll(() => page.textContent('#token-copy-status')).toContain('已复制')
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token)
    await screenshot(page, 'settings-token-created')

    const row = page.locator('.tokens-table tbody tr')
    await expect.poll(() => row.count()).toBe(1)
    expect(await row.textContent()).toContain('GIS 科 QGIS')
    expect(await row.locator('code').textContent()).toBe(`${token.slice(0, 12)}…`)
    expect(await row.locator('[data-column="access"]').textContent()).toBe('读写')
    expect(await row.locator('[data-column="state"]').textContent()).toBe('有效')
    expect(await row.textContent()).toContain('从未使用')
    // The secret is not in the list, only its prefix.
    expect(await page.textContent('.tokens-list')).not.toContain(token.slice(12))

    // A script uses it; the list then shows a last use.
    expect((await bearer(token)).status).toBe(200)
    await page.click('#token-done')
    expect(await page.locator('#token-secret').count()).toBe(0)
    await page.click('header.bar nav a:has-text("选址核查")')
    await page.click('header.bar nav a[href="#/settings"]')
    await page.waitForSelector('.tokens-table tbody tr')
    expect(await page.locator('.tokens-table tbody tr').textContent()).not.toContain('从未使用')
  }, 180_000)

  test('the API’s refusals stand beside their fields', async () => {
    await page.fill('#token-name', '   ')
    await page.click('.token-form button[type=submit]')
    await expect.poll(() => page.isVisible('#token-name-error')).toBe(true)
    expect(await page.textContent('#token-name-error')).not.toBe('')

    await page.fill('#token-name', '太长的有效期')
    await page.fill('#token-expires', '2099-01-01')
    await page.click('.token-form button[type=submit]')
    await expect.poll(() => page.textContent('#token-expiresOn-error')).toContain('365')
    expect(await page.isVisible('#token-name-error')).toBe(false)
    expect(await page.locator('.tokens-table tbody tr').count()).toBe(1)
  }, 120_000)

  test('revoking asks first; cancelled it stays, confirmed the token is refused at once', async () => {
    const listed = await (async () => {
      const agent = service.request().set('Origin', service.url)
      await agent.post('/api/auth/login').send({ username: USERNAME, password: TEST_PASSWORD }).expect(200)
      return (await agent.get('/api/tokens').expect(200)).body.tokens as { id: number; name: string }[]
    })()
    expect(listed.map((x) => x.name)).toEqual(['GIS 科 QGIS'])
    const row = page.locator(`.tokens-table tr[data-token-id="${listed[0]!.id}"]`)

    await row.locator('[data-action="revoke"]').click()
    expect(await row.textContent()).toContain('撤销“GIS 科 QGIS”？')
    await row.locator('[data-action="cancel-revoke"]').click()
    expect(await row.locator('[data-action="revoke"]').count()).toBe(1)
    expect(await row.getAttribute('data-state')).toBe('active')

    await row.locator('[data-action="revoke"]').click()
    await row.locator('[data-action="confirm-revoke"]').click()
    await page.waitForSelector('#tokens-empty')
    expect(await page.textContent('#toasts')).toContain('已撤销')
  }, 120_000)

  test('the token revoked in the browser no longer authenticates', async () => {
    const rows = await service.app.db.selectFrom('api_tokens').select(['token_hash', 'revoked_at', 'revoked_by']).execute()
    expect(rows).toHaveLength(1)
    expect(rows[0]!.revoked_at).not.toBeNull()
    const token = await page.evaluate(() => navigator.clipboard.readText())
    expect((await bearer(token)).status).toBe(401)
  }, 60_000)
})
