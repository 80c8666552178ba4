import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
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

  it('answers /health while a transaction holds the database (an import on the one embedded connection)', async () => {
    const answered = await t.app.db.transaction().execute(async (trx) => {
      await trx.selectFrom('schools').select('id').limit(1).execute()
      const response = await t.request().get('/health')
      // Still usable afterwards: the probe did not disturb the transaction.
      await trx.selectFrom('schools').select('id').limit(1).execute()
      return response
    })
    expect(answered.status).toBe(200)
    expect(answered.body.status).toBe('ok')
  })

  it('answers /health with 503 once the database is gone', async () => {
    const other = await startTestApp()
    try {
      await other.database.close()
      const response = await other.request().get('/health').expect(503)
      expectErrorBody(response, 503, 'UNAVAILABLE')
    } finally {
      await other.app.close().catch(() => {})
    }
  })

  // The embedded database runs on a thread of its own; a thread that dies (a WebAssembly abort) must not leave
  // requests hanging. The server database has no such thread.
  if (!onServer())
    it("answers /health with 503, and fails the request that was waiting, once the embedded database's thread dies", async () => {
      const other = await startTestApp()
      try {
        const { agent } = await other.signIn({ department: 'education', role: 'clerk' })
        const waiting = other.app.db.transaction().execute(async (trx) => {
          await sql`select pg_sleep(30)`.execute(trx)
        })
        const failed = waiting.catch((error: unknown) => error)
        await new Promise((resolve) => setTimeout(resolve, 200))
        await other.database.embedded!.terminate()
        expect(await failed).toMatchObject({ message: expect.stringMatching(/the embedded database stopped/) })
        expectErrorBody(await other.request().get('/health').expect(503), 503, 'UNAVAILABLE')
        expect((await agent.get('/api/schools')).status).toBe(500)
      } finally {
        await other.close().catch(() => {})
      }
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
