/**
 * OGC API – Features Part 1 through HTTP: landing page, conformance, OpenAPI, collections with their extent
 * and scope, queryables, items with keyset paging (stable under inserts and deletes between pages), bbox,
 * datetime and property filters, strict parameters, single features.
 */
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GUYUAN, offset, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { collectionOf } from '../../server/modules/ogc/collections.ts'
import { parseItemsQuery } from '../../server/modules/ogc/query.ts'
import { streamFeatures } from '../../server/modules/ogc/service.ts'
import { toUser } from '../../server/modules/users/service.ts'
import { expectErrorBody } from './expect.ts'

const refused = (
  response: { status: number; body: { message?: string }; headers: Record<string, string> },
  status: number,
  code: string,
  message?: RegExp,
) => {
  expectErrorBody(response, status, code)
  if (message) expect(response.body.message).toMatch(message)
}

let t: TestApp
let education: TestAgent
let tobacco: TestAgent
const premisesIds: number[] = []
const CENTER = [GUYUAN.lon, GUYUAN.lat] as const
// Far from every other test's points, so the bbox and the extent are this file's own.
const positions = Array.from({ length: 12 }, (_, i) => offset(CENTER, 5000 + i * 150, 3000 + (i % 4) * 120))

beforeAll(async () => {
  t = await startTestApp()
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  for (const [i, at] of positions.entries()) {
    const body = premisesFeature({
      at,
      name: `开放接口测试店${i}`,
      licenceNo: `OGC-${i}`,
      properties: { licensedOn: `20${10 + i}-03-01`, licenceStatus: i % 3 === 0 ? 'suspended' : 'active' },
    })
    const created = await tobacco.post('/api/premises').send(body).expect(201)
    premisesIds.push(created.body.id)
  }
  await education
    .post('/api/schools')
    .send(schoolFeature({ center: offset(CENTER, -3000, 0), name: '开放接口测试小学' }))
    .expect(201)
})
afterAll(async () => {
  await t?.close()
})

const items = async (agent: TestAgent, path: string) => {
  const response = await agent.get(path).expect(200)
  expect(response.headers['content-type']).toMatch(/^application\/geo\+json/)
  return response.body as {
    features: { id: number; properties: Record<string, unknown>; geometry: { coordinates: number[] } }[]
    numberMatched: number
    numberReturned: number
    timeStamp: string
    links: { rel: string; href: string }[]
  }
}
const link = (body: { links: { rel: string; href: string }[] }, rel: string) => body.links.find((l) => l.rel === rel)?.href
const relative = (href: string) => href.replace(t.url, '')

describe('landing page, conformance, API definition', () => {
  it('links the API definition, its documentation, the conformance classes and the data', async () => {
    const response = await t.request().get('/ogc').expect(200)
    const rels = Object.fromEntries(response.body.links.map((l: { rel: string; href: string }) => [l.rel, l.href]))
    expect(rels).toMatchObject({
      self: `${t.url}/ogc`,
      'service-desc': `${t.url}/ogc/api`,
      'service-doc': `${t.url}/docs`,
      conformance: `${t.url}/ogc/conformance`,
      data: `${t.url}/ogc/collections`,
    })
  })

  it('declares core, GeoJSON, OpenAPI 3.0, CRS, create/replace/delete/update with ETag locking, and the Common classes', async () => {
    const { body } = await t.request().get('/ogc/conformance').expect(200)
    for (const uri of [
      'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
      'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
      'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
      'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs',
      'http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete',
      'http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update',
      'http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags',
      'http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core',
      'http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections',
    ])
      expect(body.conformsTo).toContain(uri)
    // Part 3 filtering with CQL2 (test/api/ogc-filter.test.ts).
    for (const uri of [
      'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter',
      'http://www.opengis.net/spec/cql2/1.0/conf/cql2-text',
    ])
      expect(body.conformsTo).toContain(uri)
  })

  it('serves an OpenAPI 3.0 document listing each collection’s items parameters, one per queryable', async () => {
    const response = await education.get('/ogc/api').expect(200)
    expect(response.headers['content-type']).toMatch(/^application\/vnd\.oai\.openapi\+json/)
    expect(response.body.openapi).toMatch(/^3\.0\./)
    const parameters = response.body.paths['/collections/premises/items'].get.parameters.map((p: { name: string }) => p.name)
    expect(parameters).toEqual(
      expect.arrayContaining(['limit', 'bbox', 'datetime', 'crs', 'bbox-crs', 'category', 'licenceStatus', 'countyCode']),
    )
    expect(response.body.paths['/collections/premises/items'].post).toBeDefined()
    expect(response.body.paths['/collections/counties/items'].post).toBeUndefined()
  })
})

describe('collections and their scope', () => {
  it('shows a signed-out caller only the public reference layers, and asks it to sign in for the others', async () => {
    const { body } = await t.request().get('/ogc/collections').expect(200)
    expect(body.collections.map((c: { id: string }) => c.id)).toEqual(['counties', 'townships'])
    refused(await t.request().get('/ogc/collections/premises/items').expect(401), 401, 'UNAUTHENTICATED')
  })

  it('lists the layers of the JSON API a user reads: education sees the police registers but no permits', async () => {
    const { body } = await education.get('/ogc/collections').expect(200)
    const ids = body.collections.map((c: { id: string }) => c.id)
    expect(ids).toEqual(expect.arrayContaining(['schools', 'premises', 'zones', 'conflicts', 'counties', 'townships', 'roads', 'hazards']))
    expect(ids).toEqual(expect.arrayContaining(['stations', 'grids', 'units', 'signs', 'cameras']))
    expect(ids).not.toContain('permits')
    refused(await education.get('/ogc/collections/permits').expect(404), 404, 'NOT_FOUND')
    refused(await education.get('/ogc/collections/permits/items').expect(404), 404, 'NOT_FOUND')
  })

  it('gives a licensing clerk the permits layer and none of the police registers', async () => {
    const { body } = await tobacco.get('/ogc/collections').expect(200)
    const ids = body.collections.map((c: { id: string }) => c.id)
    expect(ids).toContain('permits')
    expect(ids).not.toContain('stations')
    await tobacco.get('/ogc/collections/stations/items').expect(404)
    await tobacco.get('/ogc/collections/cameras/items/1').expect(404)
  })

  it('describes a collection: extent from the data in CRS84, temporal interval, CRS list, storage CRS, items and queryables links', async () => {
    const { body } = await tobacco.get('/ogc/collections/premises').expect(200)
    const lons = positions.map((p) => p[0])
    const lats = positions.map((p) => p[1])
    const [west, south, east, north] = body.extent.spatial.bbox[0]
    expect(west).toBeCloseTo(Math.min(...lons), 7)
    expect(south).toBeCloseTo(Math.min(...lats), 7)
    expect(east).toBeCloseTo(Math.max(...lons), 7)
    expect(north).toBeCloseTo(Math.max(...lats), 7)
    expect(body.extent.spatial.crs).toBe('http://www.opengis.net/def/crs/OGC/1.3/CRS84')
    expect(body.extent.temporal.interval[0]).toEqual(['2010-03-01T00:00:00Z', '2021-03-01T00:00:00Z'])
    expect(body.crs).toEqual(
      expect.arrayContaining(['http://www.opengis.net/def/crs/OGC/1.3/CRS84', 'http://www.opengis.net/def/crs/EPSG/0/4544']),
    )
    expect(body.storageCrs).toBe('http://www.opengis.net/def/crs/OGC/1.3/CRS84')
    const rels = body.links.map((l: { rel: string }) => l.rel)
    expect(rels).toEqual(expect.arrayContaining(['self', 'items', 'http://www.opengis.net/def/rel/ogc/1.0/queryables']))
  })

  it('answers the queryables as a JSON Schema with each property’s type', async () => {
    const response = await tobacco.get('/ogc/collections/premises/queryables').expect(200)
    expect(response.headers['content-type']).toMatch(/^application\/schema\+json/)
    expect(response.body.properties.category).toMatchObject({ type: 'string', enum: expect.arrayContaining(['tobacco_retail']) })
    expect(response.body.properties.licensedOn).toMatchObject({ type: 'string', format: 'date' })
    expect(response.body.properties.geometry.$ref).toMatch(/Point/)
  })

  it('answers 404 for a collection that does not exist', async () => {
    refused(await tobacco.get('/ogc/collections/nothing/items').expect(404), 404, 'NOT_FOUND')
  })
})

describe('items', () => {
  it('answers GeoJSON with numberMatched, numberReturned, timeStamp and links; 100 features by default', async () => {
    const body = await items(tobacco, '/ogc/collections/premises/items')
    expect(body.numberMatched).toBe(12)
    expect(body.numberReturned).toBe(12)
    expect(Date.parse(body.timeStamp)).not.toBeNaN()
    expect(link(body, 'self')).toBe(`${t.url}/ogc/collections/premises/items`)
    expect(link(body, 'next')).toBeUndefined()
    expect(body.features[0]).toMatchObject({
      type: 'Feature',
      id: premisesIds[0],
      properties: { name: '开放接口测试店0', category: 'tobacco_retail' },
    })
    expect(body.features[0]!.geometry.coordinates[0]).toBeCloseTo(positions[0]![0], 9)
  })

  it('pages by keyset: next and prev walk every feature once, also when rows are added and removed between pages', async () => {
    const first = await items(tobacco, '/ogc/collections/premises/items?limit=5&licenceStatus=active')
    expect(first.numberReturned).toBe(5)
    expect(link(first, 'prev')).toBeUndefined()
    // Between pages: one premises is added (it sorts last) and one of the first page is removed.
    const added = await tobacco
      .post('/api/premises')
      .send(premisesFeature({ at: positions[5], name: '翻页中新增', licenceNo: 'OGC-NEW' }))
      .expect(201)
    await tobacco.delete(`/api/premises/${first.features[1]!.id}`).expect(204)
    const seen = first.features.map((f) => f.id)
    let page = first
    const pages = [first]
    while (link(page, 'next')) {
      page = await items(tobacco, relative(link(page, 'next')!))
      pages.push(page)
      seen.push(...page.features.map((f) => f.id))
    }
    const expected = premisesIds.filter((_, i) => i % 3 !== 0)
    expect(seen).toEqual([...expected, added.body.id])
    expect(new Set(seen).size).toBe(seen.length)
    // And back: prev from the last page returns the page before it.
    const back = await items(tobacco, relative(link(page, 'prev')!))
    expect(back.features.map((f) => f.id)).toEqual(
      pages
        .at(-2)!
        .features.slice(-5)
        .map((f) => f.id)
        .filter((id) => id !== first.features[1]!.id),
    )
    expect(link(back, 'next')).toBeDefined()
  })

  it('filters by bbox in CRS84 (4 or 6 numbers)', async () => {
    const [west, south] = offset(CENTER, 4900, 2900)
    const [east, north] = offset(CENTER, 5000 + 2 * 150 + 50, 3000 + 3 * 120 + 50)
    const body = await items(tobacco, `/ogc/collections/premises/items?bbox=${west},${south},${east},${north}`)
    // 开放接口测试店2 lay in the box too, but the paging test removed it.
    expect(body.features.map((f) => f.properties.name)).toEqual(['开放接口测试店0', '开放接口测试店1'])
    const six = await items(tobacco, `/ogc/collections/premises/items?bbox=${west},${south},0,${east},${north},100`)
    expect(six.numberMatched).toBe(body.numberMatched)
  })

  it('filters by datetime: an instant, a closed interval and open ends', async () => {
    const instant = await items(tobacco, '/ogc/collections/premises/items?datetime=2015-03-01')
    expect(instant.features.map((f) => f.properties.name)).toEqual(['开放接口测试店5'])
    const interval = await items(tobacco, '/ogc/collections/premises/items?datetime=2015-01-01T00:00:00Z/2016-12-31T00:00:00Z')
    expect(interval.features.map((f) => f.properties.licensedOn)).toEqual(['2015-03-01', '2016-03-01'])
    const after = await items(tobacco, '/ogc/collections/premises/items?datetime=2020-01-01/..')
    // The premises added by the paging test were licensed on 2020-01-01 (the factory's date).
    expect(after.features.map((f) => f.properties.licensedOn)).toEqual(['2020-03-01', '2021-03-01', '2020-01-01'])
    const before = await items(tobacco, '/ogc/collections/premises/items?datetime=../2010-12-31')
    expect(before.features.map((f) => f.properties.licensedOn)).toEqual(['2010-03-01'])
  })

  it('filters by every queryable with ?name=value, read as the property’s type', async () => {
    const suspended = await items(tobacco, '/ogc/collections/premises/items?licenceStatus=suspended')
    expect(suspended.features.map((f) => f.properties.licenceNo)).toEqual(['OGC-0', 'OGC-3', 'OGC-6', 'OGC-9'])
    const named = await items(tobacco, `/ogc/collections/premises/items?name=${encodeURIComponent('开放接口测试店7')}&countyCode=640402`)
    expect(named.numberMatched).toBe(1)
    const schools = await items(education, '/ogc/collections/schools/items?boarding=false&schoolType=primary')
    expect(schools.features.map((f) => f.properties.name)).toContain('开放接口测试小学')
    refused(await education.get('/ogc/collections/schools/items?boarding=yes').expect(400), 400, 'VALIDATION_FAILED', /boarding/)
    refused(await education.get('/ogc/collections/schools/items?students=many').expect(400), 400, 'VALIDATION_FAILED', /students/)
    refused(await tobacco.get('/ogc/collections/premises/items?category=shop').expect(400), 400, 'VALIDATION_FAILED', /category/)
  })

  it('refuses unknown parameters naming them, and malformed filter parameters naming each', async () => {
    refused(await tobacco.get('/ogc/collections/premises/items?colour=red').expect(400), 400, 'VALIDATION_FAILED', /colour/)
    for (const name of ['filter', 'filter-lang', 'filter-crs'])
      refused(
        await tobacco.get(`/ogc/collections/premises/items?${name}=x`).expect(400),
        400,
        'VALIDATION_FAILED',
        new RegExp(`^${name}: `),
      )
  })

  it('refuses a limit outside 1–10,000, malformed bbox and datetime, a foreign cursor and a repeated parameter', async () => {
    for (const query of ['limit=0', 'limit=10001', 'limit=ten', 'limit=1.5'])
      refused(await tobacco.get(`/ogc/collections/premises/items?${query}`).expect(400), 400, 'VALIDATION_FAILED', /limit/)
    await tobacco.get('/ogc/collections/premises/items?limit=10000').expect(200)
    for (const query of ['bbox=1,2,3', 'bbox=a,b,c,d', 'bbox=106,36,105,37', 'bbox=106,36,107,95'])
      refused(await tobacco.get(`/ogc/collections/premises/items?${query}`).expect(400), 400, 'VALIDATION_FAILED', /bbox/)
    for (const query of ['datetime=yesterday', 'datetime=2020-02-30', 'datetime=../..', 'datetime=2021-01-01/2020-01-01'])
      refused(await tobacco.get(`/ogc/collections/premises/items?${query}`).expect(400), 400, 'VALIDATION_FAILED', /datetime/)
    refused(await tobacco.get('/ogc/collections/zones/items?datetime=2020-01-01').expect(400), 400, 'VALIDATION_FAILED', /datetime/)
    refused(await tobacco.get('/ogc/collections/premises/items?cursor=bm90IGEgY3Vyc29y').expect(400), 400, 'VALIDATION_FAILED', /cursor/)
    refused(await tobacco.get('/ogc/collections/premises/items?limit=1&limit=2').expect(400), 400, 'VALIDATION_FAILED', /limit/)
  })

  it('reads one feature by id with a strong ETag, and answers 404 for an unknown or malformed id', async () => {
    const response = await tobacco.get(`/ogc/collections/premises/items/${premisesIds[4]}`).expect(200)
    expect(response.headers['content-type']).toMatch(/^application\/geo\+json/)
    expect(response.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/)
    expect(response.headers['last-modified']).toBeDefined()
    expect(response.body).toMatchObject({ type: 'Feature', id: premisesIds[4], properties: { licenceNo: 'OGC-4' } })
    expect(response.body.links.map((l: { rel: string }) => l.rel)).toEqual(expect.arrayContaining(['self', 'collection']))
    await tobacco.get(`/ogc/collections/premises/items/${premisesIds[4]}`).set('if-none-match', response.headers.etag!).expect(304)
    refused(await tobacco.get('/ogc/collections/premises/items/99999999').expect(404), 404, 'NOT_FOUND')
    refused(await tobacco.get('/ogc/collections/premises/items/abc').expect(404), 404, 'NOT_FOUND')
    refused(await tobacco.get(`/ogc/collections/premises/items/${premisesIds[4]}?limit=1`).expect(400), 400, 'VALIDATION_FAILED', /limit/)
  })

  it('keys composite collections by their parts: a zone band of a school', async () => {
    const zones = await items(education, '/ogc/collections/zones/items?limit=2')
    expect(zones.numberMatched).toBeGreaterThan(0)
    const id = zones.features[0]!.id
    expect(String(id)).toMatch(/^\d+-[\d.]+-(campus|gates)-\d+$/)
    const one = await education.get(`/ogc/collections/zones/items/${id}`).expect(200)
    expect(one.body.properties).toEqual(zones.features[0]!.properties)
  })

  it('serves the public counties to anyone', async () => {
    const body = await items(t.request(), '/ogc/collections/counties/items')
    expect(body.numberMatched).toBeGreaterThanOrEqual(5)
    expect(body.features.map((f) => f.id)).toContain('640402')
  })

  it('streams the whole filtered collection in keyset pages for downloads, as the items pages answer it', async () => {
    const premises = collectionOf('premises')!
    const row = await t.app.db.selectFrom('users').selectAll().where('department', '=', 'tobacco').executeTakeFirstOrThrow()
    const request = parseItemsQuery(premises, { licenceStatus: 'active', limit: '1' })
    const streamed = []
    for await (const feature of streamFeatures(t.app.db, premises, request, toUser(row), 3)) streamed.push(feature)
    const page = await items(tobacco, '/ogc/collections/premises/items?licenceStatus=active&limit=10000')
    expect(streamed.length).toBeGreaterThan(3)
    expect(streamed).toEqual(page.features)
    // A user who may not see the collection streams nothing.
    const none = []
    for await (const feature of streamFeatures(t.app.db, premises, request, null)) none.push(feature)
    expect(none).toEqual([])
  })

  it('scopes the hazards exactly as the ledger does: a department reads its own, governance all, within their county', async () => {
    const governance = (await t.signIn({ department: 'governance', role: 'clerk' })).agent
    const emergency = (await t.signIn({ department: 'emergency', role: 'clerk', countyCode: '640402' })).agent
    const emergencyElsewhere = (await t.signIn({ department: 'emergency', role: 'clerk', countyCode: '640422' })).agent
    const school = (await items(education, `/ogc/collections/schools/items?name=${encodeURIComponent('开放接口测试小学')}`)).features[0]!
    for (const [department, title] of [
      ['emergency', '消防通道堵塞'],
      ['market', '校门口无证摊点'],
    ] as const)
      await governance
        .post('/api/hazards')
        .send({ schoolId: school.id, kind: 'fire', title, source: 'inspection', department, position: offset(CENTER, -3000, 100) })
        .expect(201)
    for (const agent of [governance, emergency, emergencyElsewhere, tobacco]) {
      const ledger = (await agent.get('/api/hazards?limit=1000').expect(200)).body
      const layer = await items(agent, '/ogc/collections/hazards/items?limit=1000')
      expect(layer.features.map((f) => f.id).sort()).toEqual(ledger.hazards.map((h: { id: number }) => h.id).sort())
    }
    expect((await items(governance, '/ogc/collections/hazards/items')).numberMatched).toBe(2)
    expect((await items(emergency, '/ogc/collections/hazards/items')).features.map((f) => f.properties.title)).toEqual(['消防通道堵塞'])
    expect((await items(emergencyElsewhere, '/ogc/collections/hazards/items')).numberMatched).toBe(0)
  })

  it('counts numberMatched again after every write, however often the same filter was asked', async () => {
    const before = await items(tobacco, '/ogc/collections/premises/items?limit=1&countyCode=640402')
    expect((await items(tobacco, '/ogc/collections/premises/items?limit=1&countyCode=640402')).numberMatched).toBe(before.numberMatched)
    const added = await tobacco
      .post('/api/premises')
      .send(premisesFeature({ at: offset(CENTER, 7000, 7000), licenceNo: 'OGC-COUNT' }))
      .expect(201)
    expect((await items(tobacco, '/ogc/collections/premises/items?limit=1&countyCode=640402')).numberMatched).toBe(before.numberMatched + 1)
    await tobacco.delete(`/api/premises/${added.body.id}`).expect(204)
    expect((await items(tobacco, '/ogc/collections/premises/items?limit=1&countyCode=640402')).numberMatched).toBe(before.numberMatched)
  })
})
