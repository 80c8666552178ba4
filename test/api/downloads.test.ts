import fs from 'node:fs'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { offset, rectangle } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { GUYUAN_PLACES, ogrinfo, readWithGdal, scratchDirectory } from '../helpers/gdal.ts'
import { buildGeoPackage } from '../../server/modules/formats/writers.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let tobacco: TestAgent
let education: TestAgent
let viewer: TestAgent
const scratch = scratchDirectory('downloads')

/** Premises the API holds, by licence number: what every download must reproduce. */
const stored = new Map<string, { properties: Record<string, unknown>; geometry: { coordinates: number[] } }>()
const storedSchools = new Map<string, { properties: Record<string, unknown>; geometry: { coordinates: number[][][] } }>()
// Names that need care in every format: a comma, a double quote, a leading space, a line break.
const TRICKY_NAMES = ['原州区"老字号",烟酒店', ' 西吉县前导空格', '隆德县\n两行店名']
const MANY = 1_234

beforeAll(async () => {
  t = await startTestApp()
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  viewer = (await t.signIn({ department: 'governance', role: 'viewer' })).agent
  // More than one page of the download's reads (1,000) and many stream chunks.
  const premises = Array.from({ length: MANY }, (_, i) => {
    const place = GUYUAN_PLACES[i % GUYUAN_PLACES.length]!
    return {
      type: 'Feature',
      properties: {
        name: TRICKY_NAMES[i] ?? `${place.county}烟酒店${i + 1}号`,
        category: 'tobacco_retail',
        licenceNo: `DL-${String(i + 1).padStart(5, '0')}`,
        licenceStatus: i % 7 === 0 ? 'suspended' : 'active',
        licensedOn: '2021-03-01',
        expiresOn: i % 3 === 0 ? null : '2026-02-28',
        address: `${place.county}鼓楼街${i + 1}号`,
        countyCode: place.countyCode,
      },
      geometry: { type: 'Point', coordinates: offset(place.at, (i % 37) * 31.7, Math.floor(i / 37) * 23.3) },
    }
  })
  const imported = await tobacco.post('/api/import/premises').send({ type: 'FeatureCollection', features: premises }).expect(201)
  expect(imported.body.imported).toBe(MANY)
  const schools = GUYUAN_PLACES.map((place, i) => ({
    type: 'Feature',
    properties: {
      name: `${place.county}第${i + 1}中学`,
      schoolType: 'junior_middle',
      countyCode: place.countyCode,
      address: `${place.county}育才路`,
      students: 900 + i,
      staff: 70,
      boarding: true,
      openedOn: '1985-09-01',
    },
    geometry: { type: 'Polygon', coordinates: [rectangle(offset(place.at, -1500, 1800), 200, 150)] },
  }))
  await education.post('/api/import/schools').send({ type: 'FeatureCollection', features: schools }).expect(201)
  for (let offsetRows = 0; offsetRows < MANY; offsetRows += 1000) {
    const page = await viewer.get('/api/premises').query({ limit: 1000, offset: offsetRows }).expect(200)
    for (const f of page.body.features) stored.set(f.properties.licenceNo, f)
  }
  for (const f of (await viewer.get('/api/schools').query({ limit: 1000 }).expect(200)).body.features)
    storedSchools.set(f.properties.name, f)
})
afterAll(async () => {
  await t?.close()
  scratch.remove()
})

const FORMATS = {
  geojson: { type: /^application\/geo\+json/, openOptions: [] as string[] },
  // A CSV names no CRS: GDAL is told it is WGS84.
  csv: { type: /^text\/csv; charset=utf-8/, openOptions: ['X_POSSIBLE_NAMES=lon', 'Y_POSSIBLE_NAMES=lat', 'KEEP_GEOM_COLUMNS=NO'] },
  fgb: { type: /^application\/flatgeobuf/, openOptions: [] as string[] },
  gpkg: { type: /^application\/geopackage\+sqlite3/, openOptions: [] as string[] },
} as const

/** Downloads into a file and returns its path, checking the attachment headers. */
async function download(
  kind: 'premises' | 'schools',
  format: keyof typeof FORMATS,
  query: Record<string, string> = {},
  name: string = kind,
) {
  const response = await viewer
    .get(`/api/export/${kind}.${format}`)
    .query(query)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => done(null, Buffer.concat(chunks)))
    })
    .expect(200)
  expect(response.headers['content-type']).toMatch(FORMATS[format].type)
  expect(response.headers['content-disposition']).toMatch(new RegExp(`^attachment; filename="${kind}-\\d{4}-\\d{2}-\\d{2}\\.${format}"$`))
  const file = scratch.file(`${name}.${format === 'csv' && kind === 'schools' ? 'csv' : format}`)
  fs.writeFileSync(file, response.body as Buffer)
  return file
}

describe.each(Object.keys(FORMATS) as (keyof typeof FORMATS)[])('%s download read back by GDAL', (format) => {
  it('premises: the same count, positions to 1e-7°, Chinese text and every attribute intact', async () => {
    const file = await download('premises', format)
    const read = await readWithGdal(file, FORMATS[format].openOptions, format === 'csv')
    expect(read.features).toHaveLength(MANY)
    const seen = new Set<string>()
    for (const feature of read.features) {
      const licenceNo = String(feature.properties.licenceNo)
      const original = stored.get(licenceNo)!
      expect(original, licenceNo).toBeDefined()
      seen.add(licenceNo)
      expect(feature.properties.name).toBe(original.properties.name)
      expect(feature.properties.address).toBe(original.properties.address)
      expect(String(feature.properties.countyCode)).toBe(original.properties.countyCode)
      expect(feature.properties.licenceStatus).toBe(original.properties.licenceStatus)
      expect(String(feature.properties.licensedOn).replaceAll('/', '-')).toBe(original.properties.licensedOn)
      expect(feature.properties.expiresOn ? String(feature.properties.expiresOn).replaceAll('/', '-') : null).toBe(
        original.properties.expiresOn,
      )
      expect(Math.abs(feature.geometry.coordinates[0] - original.geometry.coordinates[0]!)).toBeLessThan(1e-7)
      expect(Math.abs(feature.geometry.coordinates[1] - original.geometry.coordinates[1]!)).toBeLessThan(1e-7)
    }
    expect(seen.size).toBe(MANY)
  })

  it('schools: campuses vertex by vertex to 1e-7°, names intact', async () => {
    const file = await download('schools', format)
    const read = await readWithGdal(file, format === 'csv' ? [] : FORMATS[format].openOptions, format === 'csv')
    expect(read.features).toHaveLength(storedSchools.size)
    for (const feature of read.features) {
      const original = storedSchools.get(String(feature.properties.name))!
      expect(original, String(feature.properties.name)).toBeDefined()
      expect(feature.geometry.type).toBe('Polygon')
      expect(Number(feature.properties.students)).toBe(original.properties.students)
      const ring = feature.geometry.coordinates[0] as number[][]
      const originalRing = original.geometry.coordinates[0]!
      expect(ring).toHaveLength(originalRing.length)
      ring.forEach((p, i) => {
        expect(Math.abs(p[0]! - originalRing[i]![0]!)).toBeLessThan(1e-7)
        expect(Math.abs(p[1]! - originalRing[i]![1]!)).toBeLessThan(1e-7)
      })
    }
  })

  it('a filter of the list applies: only one county', async () => {
    const file = await download('premises', format, { countyCode: '640422' }, 'premises_xiji')
    const read = await readWithGdal(file, FORMATS[format].openOptions, format === 'csv')
    const expected = [...stored.values()].filter((f) => f.properties.countyCode === '640422').length
    expect(expected).toBeGreaterThan(0)
    expect(read.features).toHaveLength(expected)
    expect(new Set(read.features.map((f) => String(f.properties.countyCode)))).toEqual(new Set(['640422']))
  })
})

describe('download details', () => {
  it('the CSV starts with a byte-order mark and has lon/lat columns for premises, a wkt column for schools', async () => {
    const premises = fs.readFileSync(await download('premises', 'csv', {}, 'bom_premises'), 'utf8')
    expect(premises.charCodeAt(0)).toBe(0xfeff)
    expect(premises.slice(1, premises.indexOf('\r\n'))).toBe(
      'id,name,category,licenceNo,licenceStatus,licensedOn,expiresOn,address,countyCode,sourceCrs,version,updatedAt,lon,lat',
    )
    const schools = fs.readFileSync(await download('schools', 'csv', {}, 'bom_schools'), 'utf8')
    expect(schools.slice(1, schools.indexOf('\r\n')).split(',').at(-1)).toBe('wkt')
  })

  it('the GeoPackage declares its layer in gpkg_contents in EPSG:4326 with its extent, as ogrinfo reports it', async () => {
    const file = await download('premises', 'gpkg', {}, 'info')
    const info = await ogrinfo(['-ro', '-so', file, 'premises'])
    expect(info).toContain(`Feature Count: ${MANY}`)
    expect(info).toMatch(/Geometry: Point/)
    expect(info).toMatch(/ID\["EPSG",4326\]/)
    const lons = [...stored.values()].map((f) => f.geometry.coordinates[0]!)
    const extent = /Extent: \(([\d.]+), ([\d.]+)\) - \(([\d.]+), ([\d.]+)\)/.exec(info)!
    expect(Number(extent[1])).toBeCloseTo(Math.min(...lons), 6)
    expect(Number(extent[3])).toBeCloseTo(Math.max(...lons), 6)
  })

  it('a GeoPackage past its bound is refused with 413 suggesting FlatGeobuf', async () => {
    async function* features() {
      for (let i = 0; i < 4; i++) yield { id: i + 1, properties: {}, geometry: { type: 'Point' as const, coordinates: [106.2, 36] } }
    }
    await expect(buildGeoPackage({ name: 'points', properties: [] }, features(), 3)).rejects.toMatchObject({
      statusCode: 413,
      message: expect.stringMatching(/FlatGeobuf/),
    })
  })

  it('an unknown format is refused naming it, and an anonymous download is answered 401', async () => {
    const unknown = await viewer.get('/api/export/premises.kml')
    expectErrorBody(unknown, 400, 'VALIDATION_FAILED')
    expect(unknown.body.message).toMatch(/format/)
    expectErrorBody(await t.request().get('/api/export/premises.csv'), 401)
  })
})

describe('downloads from the OGC API items (f=csv|fgb|gpkg)', () => {
  /** An items download into a file, checking its attachment headers. */
  async function ogcDownload(collection: string, query: Record<string, string>, name: string, type: RegExp) {
    const response = await viewer
      .get(`/ogc/collections/${collection}/items`)
      .query(query)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => done(null, Buffer.concat(chunks)))
      })
    expect(response.status, String(response.body)).toBe(200)
    expect(response.headers['content-type']).toMatch(type)
    expect(response.headers['content-disposition']).toBe(`attachment; filename="${collection}.${query.f}"`)
    const file = scratch.file(`${name}.${query.f}`)
    fs.writeFileSync(file, response.body as Buffer)
    return file
  }

  it('the collection document lists the downloads with their media types', async () => {
    const response = await viewer.get('/ogc/collections/premises').expect(200)
    const enclosures = response.body.links.filter((l: { rel: string }) => l.rel === 'enclosure')
    expect(enclosures.map((l: { href: string; type: string }) => [l.href.replace(t.url, ''), l.type])).toEqual([
      ['/ogc/collections/premises/items?f=csv', 'text/csv; charset=utf-8'],
      ['/ogc/collections/premises/items?f=fgb', 'application/flatgeobuf'],
      ['/ogc/collections/premises/items?f=gpkg', 'application/geopackage+sqlite3'],
    ])
  })

  it('f=fgb streams every premises: GDAL reads the same count and positions to 1e-7°', async () => {
    const file = await ogcDownload('premises', { f: 'fgb' }, 'ogc_premises', /^application\/flatgeobuf/)
    const read = await readWithGdal(file)
    expect(read.features).toHaveLength(MANY)
    for (const feature of read.features) {
      const original = stored.get(String(feature.properties.licenceNo))!
      expect(feature.properties.name).toBe(original.properties.name)
      expect(Math.abs(feature.geometry.coordinates[0] - original.geometry.coordinates[0]!)).toBeLessThan(1e-7)
      expect(Math.abs(feature.geometry.coordinates[1] - original.geometry.coordinates[1]!)).toBeLessThan(1e-7)
    }
  })

  it('f=gpkg applies the items filters (licenceStatus), f=csv writes the campuses as WKT', async () => {
    const file = await ogcDownload('premises', { f: 'gpkg', licenceStatus: 'suspended' }, 'ogc_suspended', /^application\/geopackage/)
    const read = await readWithGdal(file)
    const expected = [...stored.values()].filter((f) => f.properties.licenceStatus === 'suspended')
    expect(read.features).toHaveLength(expected.length)
    expect(new Set(read.features.map((f) => f.properties.licenceStatus))).toEqual(new Set(['suspended']))
    const schools = await readWithGdal(await ogcDownload('schools', { f: 'csv' }, 'ogc_schools', /^text\/csv/), [], true)
    expect(schools.features.map((f) => f.properties.name).sort()).toEqual([...storedSchools.keys()].sort())
    expect(new Set(schools.features.map((f) => f.geometry.type))).toEqual(new Set(['Polygon']))
  })

  it('limit and cursor do not apply to a download: 400 naming them', async () => {
    const response = await viewer.get('/ogc/collections/premises/items').query({ f: 'csv', limit: '10' })
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toMatch(/^limit: does not apply to a download/)
  })
})
