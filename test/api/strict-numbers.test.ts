/**
 * Numbers that arrive as text (query strings, path parameters, CSV cells) are read in plain decimal only: hex, blanks
 * and spaces are refused naming the field, where JavaScript's Number() would have taken them.
 */
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GUYUAN } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let tobacco: TestAgent
beforeAll(async () => {
  t = await startTestApp()
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
})
afterAll(async () => {
  await t?.close()
})

describe('query strings and paths', () => {
  it('serves zoom 16 written as 16, and refuses it written 0x10, naming z', async () => {
    expect((await tobacco.get('/tiles/schools/16/53170/25861.mvt')).status).toBeLessThan(300)
    const hex = await tobacco.get('/tiles/schools/0x10/53170/25861.mvt')
    expectErrorBody(hex, 400, 'VALIDATION_FAILED')
    expect(hex.body.details.problems).toEqual([{ field: 'params/z', message: 'must be a whole number in decimal digits' }])
  })

  it.each([
    ['0x10', 'hex'],
    [' 10', 'a leading space'],
    ['1e1', 'an exponent in a whole number'],
    ['Infinity', 'Infinity'],
    ['10abc', 'trailing letters'],
  ])('refuses limit=%s (%s), naming querystring/limit', async (value) => {
    const response = await tobacco.get('/api/conflicts').query({ limit: value })
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.details.problems[0].field).toBe('querystring/limit')
  })

  it('takes limit=10 and +10', async () => {
    expect((await tobacco.get('/api/conflicts').query({ limit: '10' })).status).toBe(200)
    expect((await tobacco.get('/api/conflicts?limit=%2B10')).status).toBe(200)
  })
})

describe('CSV cells', () => {
  const csv = (lon: string) => `name,category,lon,lat,countyCode\n严格数字商店,tobacco_retail,${lon},${GUYUAN.lat},640402\n`

  it.each([['0x6A'], ['Infinity'], ['106,2']])('refuses lon %s naming the row and lon, and writes nothing', async (lon) => {
    const response = await tobacco
      .post('/api/import/premises')
      .set('Content-Type', 'text/csv')
      .send(lon.includes(',') ? csv(`"${lon}"`) : csv(lon))
    expect(response.status).toBeGreaterThanOrEqual(400)
    expect(response.status).toBeLessThan(500)
    expect(JSON.stringify(response.body)).toMatch(/lon|coordinates/)
    const list = await tobacco.get('/api/premises').query({ q: '严格数字商店' })
    expect(list.body.numberMatched ?? list.body.features?.length ?? 0).toBe(0)
  })

  it('imports lon written in plain decimal', async () => {
    const response = await tobacco
      .post('/api/import/premises')
      .set('Content-Type', 'text/csv')
      .send(csv(String(GUYUAN.lon)))
    expect(response.status).toBe(201)
  })
})
