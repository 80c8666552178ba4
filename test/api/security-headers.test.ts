/**
 * Headers on every answer (CSP, nosniff, referrer, framing, no-store on the API), and PUBLIC_URL behind a proxy: HSTS and
 * Secure cookies when https, the CSRF check against the published origin rather than the Host header, TileJSON URLs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../server/config.ts'
import { createUser } from '../../server/modules/users/service.ts'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

describe('on the service as it runs by default', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(async () => {
    await t?.close()
  })

  it('sends the CSP, nosniff, same-origin referrers and no framing on every answer, errors included', async () => {
    for (const url of ['/health', '/api/auth/me', '/no/such/route']) {
      const response = await t.request().get(url)
      const csp = response.headers['content-security-policy']
      expect(csp, url).toContain("script-src 'self'")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).toContain("worker-src 'self' blob:")
      expect(csp).not.toMatch(/script-src[^;]*unsafe/)
      expect(response.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'same-origin',
        'x-frame-options': 'DENY',
      })
      expect(response.headers['strict-transport-security']).toBeUndefined()
    }
  })

  it('marks API answers no-store, and leaves tiles their own caching', async () => {
    const { agent } = await t.signIn({ department: 'tobacco', role: 'clerk' })
    expect((await agent.get('/api/auth/me').expect(200)).headers['cache-control']).toBe('no-store')
    expect((await agent.get('/api/conflicts').expect(200)).headers['cache-control']).toBe('no-store')
    const tileJson = await agent.get('/tiles/schools.json').expect(200)
    expect(tileJson.headers['cache-control']).toMatch(/no-cache/)
    expect(tileJson.headers['cache-control']).not.toBe('no-store')
  })

  it('builds TileJSON URLs from the request when no PUBLIC_URL is set', async () => {
    const { agent } = await t.signIn({ department: 'tobacco', role: 'clerk' })
    const tileJson = await agent.get('/tiles/schools.json').expect(200)
    expect(tileJson.body.tiles[0]).toMatch(new RegExp(`^${t.url}/tiles/schools/`))
  })
})

describe('behind a proxy, published at https://zones.example.gov.cn', () => {
  const PUBLIC = 'https://zones.example.gov.cn'
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ publicUrl: PUBLIC, cookieSecure: true })
  })
  afterAll(async () => {
    await t?.close()
  })

  let n = 0
  /** A user of the department, signed in from the published origin: a cookie for the next requests. */
  async function signInPublished(department: 'market' | 'tobacco') {
    n += 1
    const username = `proxied_${department}_${n}`
    await createUser(t.app.db, { username, password: TEST_PASSWORD, department, role: 'clerk' }, { user: null, requestId: 'test' })
    const login = await t.request().post('/api/auth/login').set('Origin', PUBLIC).send({ username, password: TEST_PASSWORD })
    return { username, login, cookie: String((login.headers['set-cookie'] as unknown as string[])[0]).split(';')[0]! }
  }

  it('sends HSTS and a Secure session cookie', async () => {
    expect((await t.request().get('/health')).headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains')
    const { login } = await signInPublished('market')
    expect(login.status).toBe(200)
    expect(String(login.headers['set-cookie'])).toMatch(/; Secure/i)
  })

  it('takes writes from the published origin only, whatever Host the client sends', async () => {
    const { username } = await signInPublished('market')
    const forged = await t
      .request()
      .post('/api/auth/login')
      .set('Host', 'evil.example')
      .set('Origin', 'http://evil.example')
      .send({ username, password: TEST_PASSWORD })
    expectErrorBody(forged, 403, 'CSRF_REJECTED')
    expect(forged.body.message).toContain(PUBLIC)
  })

  it('writes the published origin into TileJSON, not the Host header', async () => {
    const { cookie } = await signInPublished('tobacco')
    const tileJson = await t.request().get('/tiles/schools.json').set('Cookie', cookie).set('Host', 'evil.example').expect(200)
    expect(tileJson.body.tiles[0]).toMatch(new RegExp(`^${PUBLIC}/tiles/schools/`))
  })
})

describe('configuration', () => {
  it('takes PUBLIC_URL as an origin, makes cookies Secure for https, and refuses a path or a non-URL', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://zones.example.gov.cn/' })).toMatchObject({
      publicUrl: 'https://zones.example.gov.cn',
      cookieSecure: true,
    })
    expect(loadConfig({ PUBLIC_URL: 'http://10.0.0.5:8080' })).toMatchObject({ publicUrl: 'http://10.0.0.5:8080', cookieSecure: false })
    expect(() => loadConfig({ PUBLIC_URL: 'https://zones.example.gov.cn/app' })).toThrow(/PUBLIC_URL/)
    expect(() => loadConfig({ PUBLIC_URL: 'zones.example.gov.cn' })).toThrow(/PUBLIC_URL/)
  })

  it('reads TRUST_PROXY as a flag or addresses, and refuses anything else', () => {
    expect(loadConfig({}).trustProxy).toBe(false)
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true)
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toBe('10.0.0.0/8, 127.0.0.1')
    expect(() => loadConfig({ TRUST_PROXY: 'everyone; drop table' })).toThrow(/TRUST_PROXY/)
  })
})
