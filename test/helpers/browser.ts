/**
 * Real headless Chromium (Debian's build) driven by playwright-core, with the flags that keep it from dialling out on
 * a closed network, a fresh profile per launch, and a record of every request that tried to leave localhost.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { ensureWebBuilt } from '../../scripts/web-build.ts'
import { inject } from 'vitest'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts')

export interface BrowserSession {
  context: BrowserContext
  page: Page
  /** URLs the page tried to fetch from anywhere but the test server (blocked). */
  outside: string[]
  /** Console errors and uncaught page errors. */
  errors: string[]
  close(): Promise<void>
}

export async function openBrowser(
  baseUrl: string,
  options: { locale?: string; viewport?: { width: number; height: number } } = {},
): Promise<BrowserSession> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'zones-chromium-'))
  // A persistent context is how playwright takes a fresh --user-data-dir of our choosing.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // WebGL without a GPU: SwiftShader, which Chromium ships.
      '--use-gl=angle',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
    ],
    baseURL: baseUrl,
    locale: options.locale ?? 'zh-CN',
    viewport: options.viewport ?? { width: 1280, height: 800 },
  })
  const origin = new URL(baseUrl).origin
  const outside: string[] = []
  await context.route('**/*', (route) => {
    const url = route.request().url()
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue()
    outside.push(url)
    return route.abort('blockedbyclient')
  })
  const page = context.pages()[0] ?? (await context.newPage())
  const errors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  page.on('pageerror', (error) => errors.push(error.message))
  return {
    context,
    page,
    outside,
    errors,
    async close() {
      await context.close()
      fs.rmSync(profile, { recursive: true, force: true })
    },
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true })
  const file = path.join(ARTIFACTS, `${name}.png`)
  await page.screenshot({ path: file })
  return file
}

/**
 * Builds the web app once per test run, whichever browser test file starts first; the others wait for that
 * build. Two files building at once would empty web/dist under a page the other is serving.
 */
export async function buildWebOnce(): Promise<void> {
  const run = createHash('sha1')
    .update(`${inject('embeddedTemplate')}|${inject('serverTemplate')}`)
    .digest('hex')
    .slice(0, 16)
  const marker = path.join(os.tmpdir(), `zones-web-build-${run}`)
  try {
    fs.mkdirSync(marker)
  } catch {
    for (;;) {
      if (fs.existsSync(path.join(marker, 'done'))) return
      if (fs.existsSync(path.join(marker, 'failed')))
        throw new Error(`the web build failed: ${fs.readFileSync(path.join(marker, 'failed'), 'utf8')}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  try {
    await ensureWebBuilt(() => {})
    fs.writeFileSync(path.join(marker, 'done'), '')
  } catch (error) {
    fs.writeFileSync(path.join(marker, 'failed'), String(error))
    throw error
  }
}
