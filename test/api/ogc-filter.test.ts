/**
 * OGC API – Features Part 3 through HTTP: `filter` in CQL2-text and CQL2-JSON, `filter-crs`, errors that name
 * the parameter with the parser's message, hostile literals, paging of a filtered collection, and GDAL's
 * `-where` (which GDAL 3.6 sends as `filter-lang=cql-text`) answered as the API answers the same filter.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { distance } from '../factories/geodesic.ts'
import { GUYUAN, offset, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

const run = promisify(execFile)
let t: TestApp
let admin: TestAgent
let cookie: string
const CENTER = [GUYUAN.lon, GUYUAN.lat] as const
const BASE = offset(CENTER, -6000, -4000)

interface Created {
  name: string
  licenceNo: string
  category: string
  licensedOn: string
  at: [number, number]
}
const created: Created[] = []

beforeAll(async () => {
  t = await startTestApp()
  const signed = await t.signIn({ department: 'admin', role: 'admin' })
  admin = signed.agent
  const login = await fetch(`${t.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: t.url },
    body: JSON.stringify({ username: signed.user.username, password: TEST_PASSWORD }),
  })
  cookie = login.headers.get('set-cookie')!.split(';')[0]!
  for (let i = 0; i < 16; i += 1) {
    // A grid 70 m by 55 m: distances from the grid's corner differ by far more than a centimetre.
    const at = offset(BASE, (i % 4) * 70, Math.floor(i / 4) * 55)
    const item: Created = {
      name: i % 3 === 0 ? `过滤测试网吧${i}` : `过滤测试烟酒店${i}`,
      licenceNo: `CQL-${i}`,
      category: i % 3 === 0 ? 'internet_cafe' : 'tobacco_retail',
      licensedOn: `20${10 + i}-06-01`,
      at,
    }
    created.push(item)
    await admin
      .post('/api/premises')
      .send(
        premisesFeature({
          at,
          name: item.name,
          licenceNo: item.licenceNo,
          category: item.category,
          properties: { licensedOn: item.licensedOn },
        }),
      )
      .expect(201)
  }
  await admin
    .post('/api/schools')
    .send(schoolFeature({ center: offset(BASE, 100, 300), name: '过滤测试小学' }))
    .expect(201)
})
afterAll(async () => {
  await t?.close()
})

type Page = { numberMatched: number; features: { properties: Record<string, unknown> }[]; links: { rel: string; href: string }[] }
const licences = (page: Page) => page.features.map((f) => String(f.properties.licenceNo)).sort()
const expected = (keep: (c: Created) => boolean) =>
  created
    .filter(keep)
    .map((c) => c.licenceNo)
    .sort()

async function premises(params: Record<string, string>): Promise<Page> {
  const query = new URLSearchParams({ limit: '1000', ...params })
  const { body } = await admin.get(`/ogc/collections/premises/items?${query}`).expect(200)
  return body as Page
}

describe('filter through HTTP', () => {
  it('CQL2-text and CQL2-JSON of one filter give the same features', async () => {
    const keep = (c: Created) => c.category === 'tobacco_retail' && c.licensedOn >= '2015-01-01' && c.name.startsWith('过滤测试')
    const text = await premises({ filter: "category = 'tobacco_retail' AND licensedOn >= DATE('2015-01-01') AND name LIKE '过滤测试%'" })
    const json = await premises({
      'filter-lang': 'cql2-json',
      filter: JSON.stringify({
        op: 'and',
        args: [
          { op: '=', args: [{ property: 'category' }, 'tobacco_retail'] },
          { op: '>=', args: [{ property: 'licensedOn' }, { date: '2015-01-01' }] },
          { op: 'like', args: [{ property: 'name' }, '过滤测试%'] },
        ],
      }),
    })
    expect(licences(text)).toEqual(expected(keep))
    expect(licences(json)).toEqual(licences(text))
    expect(text.numberMatched).toBe(expected(keep).length)
  })

  it('IN, BETWEEN, NOT and temporal functions', async () => {
    expect(licences(await premises({ filter: "licenceNo IN ('CQL-1', 'CQL-5', 'CQL-99')" }))).toEqual(['CQL-1', 'CQL-5'])
    expect(
      licences(await premises({ filter: "T_DURING(licensedOn, INTERVAL('2012-01-01', '2014-12-31')) AND NOT category = 'internet_cafe'" })),
    ).toEqual(expected((c) => c.licensedOn > '2012-01-01' && c.licensedOn < '2014-12-31' && c.category !== 'internet_cafe'))
  })

  it('S_DWITHIN in metres on the ellipsoid, as GeographicLib measures', async () => {
    const from = offset(BASE, -30, -20)
    for (const radius of [60, 150, 222.5]) {
      const page = await premises({ filter: `S_DWITHIN(geometry, POINT(${from[0]} ${from[1]}), ${radius})` })
      const keep = (c: Created) => distance(from, c.at) <= radius
      for (const c of created) expect(Math.abs(distance(from, c.at) - radius)).toBeGreaterThan(0.01)
      expect(licences(page)).toEqual(expected(keep))
      expect(page.numberMatched).toBeGreaterThan(0)
    }
  })

  it('filter-crs EPSG:4544: a box in Gauss–Krüger northing, easting (positions from GDAL) finds the same premises', async () => {
    const [lower, upper] = [offset(BASE, -10, -10), offset(BASE, 150, 60)]
    const transform = async (p: readonly number[]) => {
      const child = execFile('gdaltransform', ['-s_srs', 'EPSG:4326', '-t_srs', 'EPSG:4544', '-output_xy'])
      const out = new Promise<string>((resolve) => {
        let text = ''
        child.stdout!.on('data', (d) => (text += d))
        child.on('close', () => resolve(text))
      })
      child.stdin!.end(`${p[0]} ${p[1]}\n`)
      return (await out).trim().split(/\s+/).map(Number) as [number, number]
    }
    const [e1, n1] = await transform(lower)
    const [e2, n2] = await transform(upper)
    for (const v of [e1, n1, e2, n2]) expect(Number.isFinite(v), 'gdaltransform answered').toBe(true)
    const page = await premises({
      filter: `S_INTERSECTS(geometry, BBOX(${n1}, ${e1}, ${n2}, ${e2}))`,
      'filter-crs': 'http://www.opengis.net/def/crs/EPSG/0/4544',
    })
    const bboxPage = await premises({ bbox: `${lower[0]},${lower[1]},${upper[0]},${upper[1]}` })
    expect(page.numberMatched).toBeGreaterThan(0)
    expect(page.numberMatched).toBeLessThan(16)
    expect(licences(page)).toEqual(licences(bboxPage))
  })

  it('pages of a filtered collection keep the filter in their next links', async () => {
    const filter = "category = 'tobacco_retail'"
    const seen: string[] = []
    let path: string | undefined = `/ogc/collections/premises/items?limit=3&filter=${encodeURIComponent(filter)}`
    while (path) {
      const { body } = (await admin.get(path).expect(200)) as { body: Page }
      seen.push(...licences(body))
      const next: string | undefined = body.links.find((l) => l.rel === 'next')?.href
      path = next ? new URL(next).pathname + new URL(next).search : undefined
    }
    expect(seen.sort()).toEqual(expected((c) => c.category === 'tobacco_retail'))
  })
})

describe('refusals name the parameter with the parser’s message', () => {
  const refused = async (params: Record<string, string>, message: string | RegExp) => {
    const response = await admin.get(`/ogc/collections/premises/items?${new URLSearchParams(params)}`).expect(400)
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    if (typeof message === 'string') expect(response.body.message).toBe(message)
    else expect(response.body.message).toMatch(message)
    return response.body
  }

  it('a syntax error, with its position', async () => {
    const body = await refused({ filter: "(name = 'a' AND x = 1" }, "filter: expected ')', got the end of the filter at character 22")
    expect(body.details).toEqual({ problems: [{ field: 'filter', message: "expected ')', got the end of the filter at character 22" }] })
  })

  it('unknown properties, type mismatches, bad languages and CRSs', async () => {
    await refused({ filter: 'colour = 1' }, /^filter: unknown property "colour"; the queryables are geometry, name, category, /)
    await refused({ filter: "licensedOn > 'yesterday'" }, 'filter: cannot compare with > a date and a string')
    await refused({ filter: 'S_WITHIN(name, POINT(1 2))' }, 'filter: S_WITHIN needs geometries, got a string')
    await refused({ filter: 'name IS NULL', 'filter-lang': 'sql' }, 'filter-lang: must be one of cql2-text, cql2-json, cql-text')
    await refused({ filter: 'S_INTERSECTS(geometry, POINT(1 2))', 'filter-crs': 'EPSG:3857' }, /^filter-crs: "EPSG:3857" is not supported/)
    await refused({ filter: '{"op":', 'filter-lang': 'cql2-json' }, 'filter: the filter is not valid JSON')
    await refused({ filter: '('.repeat(300) }, /^filter: the filter is nested more than 100 levels deep/)
  })

  it('a hostile literal is only a parameter: nothing matches and nothing changes', async () => {
    const page = await premises({ filter: "name = '''; delete from premises; --' OR licenceNo = 'x'' OR ''1''=''1'" })
    expect(page.numberMatched).toBe(0)
    expect((await premises({})).numberMatched).toBe(16)
  })
})

describe('GDAL’s -where', () => {
  const gdal = (args: string[]) =>
    run('ogr2ogr', ['-f', 'GeoJSON', '/vsistdout/', `OAPIF:${t.url}/ogc`, 'premises', '--debug', 'on', ...args], {
      env: { ...process.env, GDAL_HTTP_HEADERS: `Cookie: ${cookie}` },
      maxBuffer: 64 * 2 ** 20,
    })

  const cases: [string, string][] = [
    ["name = '过滤测试网吧3'", "name = '过滤测试网吧3'"],
    ["category = 'tobacco_retail' AND licensedOn >= '2018-01-01'", "category = 'tobacco_retail' AND licensedOn >= DATE('2018-01-01')"],
    ["name LIKE '%网吧%' OR licenceNo = 'CQL-2'", "name LIKE '%网吧%' OR licenceNo = 'CQL-2'"],
    [
      "licenceNo IN ('CQL-1', 'CQL-4') AND NOT (category = 'internet_cafe')",
      "licenceNo IN ('CQL-1', 'CQL-4') AND NOT category = 'internet_cafe'",
    ],
  ]
  for (const [where, filter] of cases) {
    it(`${where} returns what the API returns`, async () => {
      const { stdout, stderr } = await gdal(['-where', where])
      // GDAL found cql-text in the OpenAPI document and sent the filter to the server.
      expect(stderr).toContain('CQL text detected')
      expect(stderr).toMatch(/filter-lang=cql-text/)
      const read = JSON.parse(stdout) as Page
      const api = await premises({ filter })
      expect(api.numberMatched).toBeGreaterThan(0)
      expect(licences(read)).toEqual(licences(api))
    })
  }
})
