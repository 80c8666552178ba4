import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let admin: TestAgent
beforeAll(async () => {
  t = await startTestApp()
  admin = (await t.signIn({ department: 'admin', role: 'admin' })).agent
})
afterAll(async () => {
  await t?.close()
})

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH'])
// Routes whose body is a file kept as bytes (its type is read from the content), not text: a NUL is a byte like any other.
const FILE_BODIES = new Set(['POST /api/hazards/:id/attachments'])
const urlOf = (pattern: string) =>
  pattern
    .replace(':kind', 'schools')
    .replace(':collectionId', 'schools')
    .replace(/:[a-zA-Z]+/g, '1')

describe('NUL characters and lone surrogates', () => {
  it('are refused in the body of every route that takes one, naming the field, before anything else is done', async () => {
    const routes = [...new Set(t.app.routeInventory.filter((r) => WITH_BODY.has(r.method)).map((r) => `${r.method} ${r.url}`))].filter(
      (route) => !FILE_BODIES.has(route),
    )
    expect(routes.length).toBeGreaterThan(15)
    for (const route of routes) {
      const [method, pattern] = route.split(' ') as [string, string]
      for (const [text, what] of [
        ['a\u0000b', 'NUL'],
        ['a\ud800b', 'lone surrogate'],
      ] as const) {
        const response = await admin[method.toLowerCase() as 'post' | 'put' | 'patch'](urlOf(pattern)).send({ probe: text })
        expectErrorBody(response, 400, 'VALIDATION_FAILED')
        expect(response.body.details.problems, `${route} with a ${what}`).toEqual([
          { field: 'body/probe', message: expect.stringContaining(what === 'NUL' ? 'NUL' : 'surrogate') },
        ])
      }
    }
  })

  it('a rule change with a NUL in its reason is a 400 naming body/reason, not a database error', async () => {
    const rules = await admin.get('/api/rules').expect(200)
    const response = await admin.put(`/api/rules/${rules.body.rules[0].id}`).send({ reason: '试行\u0000', legalBasis: '依据' })
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.details.problems).toEqual([{ field: 'body/reason', message: expect.stringContaining('NUL') }])
  })

  it('are refused in query strings and in keys, and nested fields are named by their path', async () => {
    const query = await admin.get('/api/search').query({ q: 'a\u0000b' })
    expectErrorBody(query, 400, 'VALIDATION_FAILED')
    expect(query.body.details.problems[0].field).toBe('querystring/q')
    const nested = await admin.post('/api/schools').send({ type: 'Feature', properties: { name: 'ok', ['k\u0000']: 1 }, geometry: null })
    expect(nested.body.details.problems[0].field).toBe('body/properties/k\u0000')
    const deep = await admin.post('/api/schools').send({ type: 'Feature', properties: { gates: [[1, 2], ['\udc00']] }, geometry: null })
    expect(deep.body.details.problems[0].field).toBe('body/properties/gates/1/0')
  })

  it('well-formed text with astral characters (a surrogate pair) passes the check', async () => {
    const response = await admin.get('/api/search').query({ q: '𠀀' })
    expect(response.status).toBe(200)
  })
})
