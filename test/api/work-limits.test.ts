/**
 * Expensive work is limited per user: while one of a user's what-if previews is in flight (here: its body still
 * arriving, which holds the slot as a long run does), a second is 429 naming the route, another user's is served,
 * and the slot comes back when the first is answered or its client goes away.
 */
import http from 'node:http'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app.ts'

let t: TestApp
const cookies: Record<string, string> = {}

beforeAll(async () => {
  t = await startTestApp()
  for (const username of ['limit_a', 'limit_b']) {
    await t.signIn({ username, department: 'governance', role: 'viewer' })
    const login = await t.request().post('/api/auth/login').set('Origin', t.url).send({ username, password: TEST_PASSWORD })
    cookies[username] = String(login.headers['set-cookie']![0]).split(';')[0]!
  }
})
afterAll(async () => {
  await t?.close()
})

const BODY = JSON.stringify({ rules: [{ category: 'internet_cafe', limitM: 300 }] })

/** A preview whose body is sent in two halves: the first now, the second when `finish` is called. */
function slowPreview(cookie: string) {
  const { port } = new URL(t.url)
  const request = http.request({
    host: '127.0.0.1',
    port,
    path: '/api/rules/preview',
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(BODY)), origin: t.url, cookie },
  })
  const answered = new Promise<number>((resolve, reject) => {
    request.on('response', (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode ?? 0))
    })
    request.on('error', reject)
  })
  request.write(BODY.slice(0, 10))
  return { finish: () => request.end(BODY.slice(10)), abort: () => request.destroy(), answered }
}

const preview = (username: string) =>
  t
    .request()
    .post('/api/rules/preview')
    .set('Origin', t.url)
    .set('Cookie', cookies[username]!)
    .set('Content-Type', 'application/json')
    .send(BODY)

/** Waits until the server has taken the slow request in (its headers read), by polling a second one until it is refused. */
async function refusedWhileHeld(username: string) {
  for (let i = 0; i < 50; i += 1) {
    const response = await preview(username)
    if (response.status === 429) return response
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('the second preview was never refused')
}

it('a second preview of one user while the first runs is 429 naming the route; another user is served', async () => {
  const first = slowPreview(cookies.limit_a!)
  const refused = await refusedWhileHeld('limit_a')
  expect(refused.body.code).toBe('RATE_LIMITED')
  expect(refused.body.message).toMatch(/^POST \/api\/rules\/preview: one at a time per user/)
  expect((await preview('limit_b')).status).toBe(200)
  first.finish()
  expect(await first.answered).toBe(200)
  expect((await preview('limit_a')).status).toBe(200)
})

it('a client that goes away gives its slot back', async () => {
  const first = slowPreview(cookies.limit_a!)
  first.answered.catch(() => {})
  await refusedWhileHeld('limit_a')
  first.abort()
  for (let i = 0; i < 50; i += 1) {
    const response = await preview('limit_a')
    if (response.status === 200) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('the slot of an aborted preview was not given back')
})
