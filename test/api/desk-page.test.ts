/**
 * The desk's page carries its first data (the signed-in user, the map settings with the TileJSON of every source), so
 * the map asks for tiles as soon as the script runs; /api/map-config answers the same settings. Tile URLs follow
 * PUBLIC_URL; the data is JSON in a <script type="application/json">, which can hold no markup.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scriptSafeJson, withBootData } from '../../server/modules/map/page.ts'
import { loadReferenceData } from '../../server/modules/reference/load.ts'
import type { DeskBoot } from '../../server/schemas/map.ts'
import { buildWebOnce } from '../helpers/browser.ts'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app.ts'
import { createUser } from '../../server/modules/users/service.ts'

const PUBLIC = 'https://zones.example.gov.cn'
let t: TestApp
let published: TestApp

/** The boot data of a page, parsed from its JSON element. */
function bootOf(html: string): DeskBoot {
  const match = /<script type="application\/json" id="desk-boot">([^<]*)<\/script>/.exec(html)
  if (!match) throw new Error('no boot data in the page')
  return JSON.parse(match[1]!) as DeskBoot
}

beforeAll(async () => {
  await buildWebOnce()
  t = await startTestApp({ serveWeb: true })
  await loadReferenceData(t.app.db)
  published = await startTestApp({ serveWeb: true, publicUrl: PUBLIC })
})
afterAll(async () => {
  await t?.close()
  await published?.close()
})

describe('the desk page', () => {
  it('carries the map settings with the basemap sources inline for anyone, no user, and is never cached', async () => {
    const response = await t.request().get('/').expect(200)
    expect(response.headers['content-type']).toMatch(/^text\/html/)
    expect(response.headers['cache-control']).toBe('no-store')
    // The data is no script: the page keeps a CSP without inline script.
    expect(response.headers['content-security-policy']).toMatch(/script-src 'self';/)
    expect(response.text).toMatch(/<script type="module" crossorigin src="\/assets\/index-[^"]+\.js"><\/script>/)
    const boot = bootOf(response.text)
    expect(boot.user).toBeNull()
    expect(Object.keys(boot.mapConfig.sources).sort()).toEqual(['counties', 'roads', 'townships'])
    expect(boot.mapConfig).toEqual((await t.request().get('/api/map-config').expect(200)).body)
    expect(boot.mapConfig.sources.counties!.tiles[0]).toMatch(new RegExp(`^${t.url}/tiles/counties/\\{z\\}/\\{x\\}/\\{y\\}\\.mvt\\?v=`))
    expect(boot.mapConfig.sources.counties).toEqual((await t.request().get('/tiles/counties.json').expect(200)).body)
    expect(bootOf((await t.request().get('/index.html').expect(200)).text).user).toBeNull()
  })

  it('carries the signed-in user as /api/auth/me answers it, and the registry source with the same TileJSON as /tiles/registry.json', async () => {
    const { agent } = await t.signIn({ department: 'education', role: 'clerk' })
    const boot = bootOf((await agent.get('/').expect(200)).text)
    expect(boot.user).toEqual((await agent.get('/api/auth/me').expect(200)).body.user)
    expect(Object.keys(boot.mapConfig.sources).sort()).toEqual(['counties', 'registry', 'roads', 'townships'])
    expect(boot.mapConfig.sources.registry).toEqual((await agent.get('/tiles/registry.json').expect(200)).body)
    expect(boot.mapConfig).toEqual((await agent.get('/api/map-config').expect(200)).body)
    // A signed-out cookie is no user.
    await agent.post('/api/auth/logout').expect(204)
    expect(bootOf((await agent.get('/').expect(200)).text).user).toBeNull()
  })

  it('writes tile URLs under PUBLIC_URL, whatever Host the client sent', async () => {
    // Signed in from the published origin, as a browser behind the proxy would be (the cookie is Secure: sent by hand here).
    const username = 'proxied_clerk'
    await createUser(
      published.app.db,
      { username, password: TEST_PASSWORD, department: 'education', role: 'clerk' },
      { user: null, requestId: 'test' },
    )
    const login = await published
      .request()
      .post('/api/auth/login')
      .set('Origin', PUBLIC)
      .send({ username, password: TEST_PASSWORD })
      .expect(200)
    const cookie = String((login.headers['set-cookie'] as unknown as string[])[0]).split(';')[0]!
    const get = (url: string) => published.request().get(url).set('Cookie', cookie).set('Host', 'evil.example.com')
    const boot = bootOf((await get('/').expect(200)).text)
    expect(boot.user?.username).toBe(username)
    expect(Object.keys(boot.mapConfig.sources)).toContain('registry')
    for (const tileJson of Object.values(boot.mapConfig.sources)) expect(tileJson.tiles[0]!.startsWith(`${PUBLIC}/tiles/`)).toBe(true)
    const config = (await get('/api/map-config').expect(200)).body as DeskBoot['mapConfig']
    expect(config.sources.registry!.tiles[0]!.startsWith(`${PUBLIC}/tiles/registry/`)).toBe(true)
  })

  it('refuses a Host that is no host name when no PUBLIC_URL is set, naming the header', async () => {
    const response = await t.request().get('/api/map-config').set('Host', 'bad host"<x>')
    expect(response.status).toBe(400)
    expect(JSON.stringify(response.body)).toContain('headers/host')
  })

  it('lets browsers keep the hashed assets for a year', async () => {
    const script = /src="(\/assets\/index-[^"]+\.js)"/.exec((await t.request().get('/').expect(200)).text)![1]!
    const response = await t.request().get(script).expect(200)
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable')
  })
})

describe('boot data inside a <script> element', () => {
  it('holds no "<" and no line separators, and reads back as the same value', () => {
    const hostile = { name: '</script><script>alert(1)</script><!-- \u2028\u2029 示例' }
    const text = scriptSafeJson(hostile)
    expect(text).not.toMatch(/[<\u2028\u2029]/)
    expect(JSON.parse(text)).toEqual(hostile)
    const page = withBootData('<html><head><title>x</title></head><body></body></html>', {
      user: null,
      mapConfig: { tianditu: null, approvalNumber: hostile.name, bounds: [0, 0, 1, 1], sources: {} },
    })
    expect(page.match(/<\/script>/g)).toHaveLength(1)
    expect(bootOf(page).mapConfig.approvalNumber).toBe(hostile.name)
  })
})
