/**
 * The session and API-token cache across two instances of the service on one database, which they share and nothing
 * else: a sign-out, an administrator ending a session, disabling a user and revoking a token take effect at once on the
 * instance that did it, and on the other once its cache time (SESSION_CACHE_MS, short here) has passed. On the server
 * each instance has its own connection pool; the embedded database, one process, serves both from this one.
 */
import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { connectDatabase, type DatabaseHandle } from '../../server/db/connect.ts'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app.ts'
import { onServer } from '../helpers/database.ts'
import { expectErrorBody } from './expect.ts'

const CACHE_MS = 400
/** Longer than the cache time, with a margin for a busy machine. */
const pastTheCache = () => new Promise((resolve) => setTimeout(resolve, CACHE_MS + 300))

let first: TestApp
let second: { app: FastifyInstance; url: string; database: DatabaseHandle | null }
let admin: Awaited<ReturnType<TestApp['signIn']>>

beforeAll(async () => {
  first = await startTestApp({ sessionCacheMs: CACHE_MS })
  let database: DatabaseHandle | null = null
  if (onServer()) {
    const { rows } = await sql<{ db: string }>`select current_database() as db`.execute(first.app.db)
    const url = new URL(process.env.TEST_DATABASE_URL!)
    url.pathname = `/${rows[0]!.db}`
    database = await connectDatabase({ databaseUrl: url.toString(), poolSize: 5 })
  }
  const config = loadConfig(
    {},
    { port: 0, loadDemoData: false, serveWeb: false, logLevel: 'silent', loginRateLimitPerMinute: 10_000, sessionCacheMs: CACHE_MS },
  )
  const app = await buildApp(config, { database: database ?? first.database, logger: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  second = { app, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, database }
  admin = await first.signIn({ department: 'admin', role: 'admin' })
})
afterAll(async () => {
  await second?.app.close()
  await second?.database?.close()
  await first?.close()
})

let n = 0
/** A fresh user signed in on the first instance: the session cookie. */
async function signedIn(): Promise<{ cookie: string; userId: number }> {
  n += 1
  const { user } = await first.signIn({ department: 'tobacco', role: 'clerk', username: `cache_${n}` })
  const login = await supertest(first.url).post('/api/auth/login').send({ username: user.username, password: TEST_PASSWORD }).expect(200)
  return { cookie: String(login.headers['set-cookie']![0]).split(';')[0]!, userId: user.id }
}
const me = (url: string, cookie: string) => supertest(url).get('/api/auth/me').set('Cookie', cookie)
const withToken = (url: string, token: string) => supertest(url).get('/api/auth/me').set('Authorization', `Bearer ${token}`)

/** Both instances have used (and so cached) the cookie. */
async function usedOnBoth(cookie: string) {
  await me(first.url, cookie).expect(200)
  await me(second.url, cookie).expect(200)
}

describe('revocation on one instance, seen by the other after the cache time', () => {
  it('sign-out', async () => {
    const { cookie } = await signedIn()
    await usedOnBoth(cookie)
    await supertest(first.url).post('/api/auth/logout').set('Cookie', cookie).set('Origin', first.url).expect(204)
    expectErrorBody(await me(first.url, cookie), 401, 'UNAUTHENTICATED')
    await pastTheCache()
    expectErrorBody(await me(second.url, cookie), 401, 'UNAUTHENTICATED')
  })

  it('an administrator ending the session', async () => {
    const { cookie } = await signedIn()
    await usedOnBoth(cookie)
    const publicId = createHash('sha256').update(cookie.slice('sid='.length)).digest('hex').slice(0, 16)
    await admin.agent.delete(`/api/sessions/${publicId}`).expect(204)
    expectErrorBody(await me(first.url, cookie), 401, 'UNAUTHENTICATED')
    await pastTheCache()
    expectErrorBody(await me(second.url, cookie), 401, 'UNAUTHENTICATED')
  })

  it('disabling the user ends their sessions and tokens', async () => {
    const { cookie, userId } = await signedIn()
    const created = await supertest(first.url)
      .post('/api/tokens')
      .set('Cookie', cookie)
      .set('Origin', first.url)
      .send({ name: 'cache', access: 'read' })
      .expect(201)
    const token = created.body.token as string
    await usedOnBoth(cookie)
    await withToken(first.url, token).expect(200)
    await withToken(second.url, token).expect(200)
    await admin.agent.patch(`/api/users/${userId}`).send({ disabled: true }).expect(200)
    expectErrorBody(await me(first.url, cookie), 401, 'UNAUTHENTICATED')
    expectErrorBody(await withToken(first.url, token), 401, 'INVALID_TOKEN')
    await pastTheCache()
    expectErrorBody(await me(second.url, cookie), 401, 'UNAUTHENTICATED')
    expectErrorBody(await withToken(second.url, token), 401, 'INVALID_TOKEN')
  })

  it('revoking an API token', async () => {
    const { cookie } = await signedIn()
    const created = await supertest(first.url)
      .post('/api/tokens')
      .set('Cookie', cookie)
      .set('Origin', first.url)
      .send({ name: 'cache', access: 'write' })
      .expect(201)
    const token = created.body.token as string
    await withToken(first.url, token).expect(200)
    await withToken(second.url, token).expect(200)
    await supertest(first.url).delete(`/api/tokens/${created.body.id}`).set('Cookie', cookie).set('Origin', first.url).expect(200)
    expect((await withToken(first.url, token)).status).toBe(401)
    await pastTheCache()
    const refused = await withToken(second.url, token)
    expectErrorBody(refused, 401, 'INVALID_TOKEN')
    expect(refused.body.message).toMatch(/revoked/)
    // The session that made it lives on, on both.
    await usedOnBoth(cookie)
  })
})
