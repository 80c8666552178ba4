import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app.ts'

let t: TestApp
let viewerCookie: string
beforeAll(async () => {
  t = await startTestApp()
  await t.signIn({ username: 'early_viewer', department: 'governance', role: 'viewer' })
  const login = await t
    .request()
    .post('/api/auth/login')
    .set('Origin', t.url)
    .send({ username: 'early_viewer', password: TEST_PASSWORD })
    .expect(200)
  viewerCookie = String(login.headers['set-cookie']![0]).split(';')[0]!
})
afterAll(async () => {
  await t?.close()
})

/**
 * Starts an upload that announces `announcedBytes` but sends only its first kilobyte, and resolves with the
 * status the server answers while the rest has not been sent (or rejects when nothing comes within 10 s).
 */
function startUpload(
  path: string,
  announcedBytes: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; connection: string | undefined }> {
  const { port } = new URL(t.url)
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(announcedBytes), origin: t.url, ...headers },
    })
    const timer = setTimeout(() => {
      request.destroy()
      reject(new Error('no answer while the body was still being sent'))
    }, 10_000)
    request.on('response', (response) => {
      clearTimeout(timer)
      resolve({ status: response.statusCode ?? 0, connection: response.headers.connection })
      response.resume()
      request.destroy()
    })
    request.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    request.write('{"type":"FeatureCollection","features":[' + ' '.repeat(1024))
  })
}

describe('refused before the body is read', () => {
  it('an anonymous upload announcing 94 MB is answered 401 at once, with the connection closed, before the body arrives', async () => {
    const answer = await startUpload('/api/import/schools', 94 * 1024 * 1024)
    expect(answer).toEqual({ status: 401, connection: 'close' })
  })

  it('a signed-in user whose role may not write is answered 403 the same way', async () => {
    const answer = await startUpload('/api/import/schools', 94 * 1024 * 1024, { cookie: viewerCookie })
    expect(answer).toEqual({ status: 403, connection: 'close' })
  })

  it('an anonymous check with an invalid body is 401, not a validation error', async () => {
    const response = await t.request().post('/api/check').set('Origin', t.url).send({})
    expect(response.status).toBe(401)
    expect(response.body.code).toBe('UNAUTHENTICATED')
  })

  it('the service keeps answering afterwards', async () => {
    const health = await t.request().get('/health')
    expect(health.status).toBe(200)
  })
})
