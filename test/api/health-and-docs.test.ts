import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { onServer } from '../helpers/database.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => {
  await t?.close()
})

describe('service', () => {
  it('answers /health with the database kind and the PostGIS version', async () => {
    const response = await t.request().get('/health').expect(200)
    expect(response.body).toEqual({
      status: 'ok',
      database: onServer() ? 'postgis' : 'embedded',
      postgis: expect.stringMatching(/^3\.\d+/),
    })
  })

  it('serves the API documentation page at /docs', async () => {
    const response = await t.request().get('/docs/').redirects(2)
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toMatch(/text\/html/)
    expect(response.text).toMatch(/swagger/i)
  })

  it('publishes an OpenAPI 3 document listing the registry routes', async () => {
    const response = await t.request().get('/docs/json').expect(200)
    const document = response.body as { openapi: string; paths: Record<string, Record<string, unknown>> }
    expect(document.openapi).toMatch(/^3\./)
    const paths = document.paths
    for (const kind of ['schools', 'premises']) {
      expect(Object.keys(paths[`/api/${kind}`] ?? {})).toEqual(expect.arrayContaining(['get', 'post']))
      expect(Object.keys(paths[`/api/${kind}/{id}`] ?? {})).toEqual(expect.arrayContaining(['get', 'patch', 'delete']))
      expect(Object.keys(paths[`/api/${kind}/{id}/history`] ?? {})).toContain('get')
    }
    expect(paths['/api/import/{kind}']).toHaveProperty('post')
    expect(paths['/api/auth/login']).toHaveProperty('post')
    expect(paths['/api/users']).toHaveProperty('post')
  })

  it('answers an unknown route with 404 and the error body', async () => {
    const response = await t.request().get('/api/nothing-here?x=1').expect(404)
    expectErrorBody(response, 404, 'NOT_FOUND')
    expect(response.body.message).toContain('/api/nothing-here')
  })
})
