import { execFile } from 'node:child_process'
import fs from 'node:fs'
import { promisify } from 'node:util'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { offset, rectangle } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { geodesicDistanceM, GUYUAN_PLACES, ogr2ogr, scratchDirectory, zipEntries, zipFiles } from '../helpers/gdal.ts'
import { expectErrorBody } from './expect.ts'

const run = promisify(execFile)
const BODY_LIMIT = 4 * 1024 * 1024
let t: TestApp
let tobacco: TestAgent
let education: TestAgent
const scratch = scratchDirectory('import-formats')
beforeAll(async () => {
  t = await startTestApp({ importBodyLimitBytes: BODY_LIMIT })
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
})
afterAll(async () => {
  await t?.close()
  scratch.remove()
})

interface RowError {
  row: number
  field: string
  message: string
}

const count = async (table: 'schools' | 'premises') =>
  Number(
    (
      await t.app.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )

/** Premises at real Guyuan positions, one per county; `change` edits a feature's properties. */
function premisesCollection(prefix: string, change: (i: number, p: Record<string, unknown>) => void = () => {}) {
  return {
    type: 'FeatureCollection',
    features: GUYUAN_PLACES.map((place, i) => {
      const properties: Record<string, unknown> = {
        name: `${place.county}烟酒店${i + 1}号`,
        category: 'tobacco_retail',
        licenceNo: `${prefix}-${i + 1}`,
        licenceStatus: i === 2 ? 'suspended' : 'active',
        licensedOn: '2021-03-01',
        expiresOn: '2026-02-28',
        address: `${place.county}鼓楼街${i + 1}号`,
        countyCode: place.countyCode,
      }
      change(i, properties)
      return { type: 'Feature', properties, geometry: { type: 'Point', coordinates: [...place.at] } }
    }),
  }
}

/** School campuses (120 m × 80 m) 2 km north-east of each county seat. */
function schoolsCollection(prefix: string) {
  return {
    type: 'FeatureCollection',
    features: GUYUAN_PLACES.map((place, i) => ({
      type: 'Feature',
      properties: {
        name: `${place.county}${prefix}第${i + 1}小学`,
        schoolType: 'primary',
        countyCode: place.countyCode,
        address: `${place.county}育才路${i + 1}号`,
        students: 600 + i,
        staff: 40 + i,
        boarding: i % 2 === 0,
        openedOn: '1998-09-01',
      },
      geometry: { type: 'Polygon', coordinates: [rectangle(offset(place.at, 2000, 2000))] },
    })),
  }
}

function writeGeoJson(name: string, collection: unknown): string {
  const file = scratch.file(`${name}.geojson`)
  fs.writeFileSync(file, JSON.stringify(collection))
  return file
}

/** ogr2ogr writes a Shapefile in `srs` with its .dbf in `encoding`; the zip holds the parts named. */
async function shapefileZip(name: string, collection: unknown, srs: string, encoding: string, parts = ['shp', 'shx', 'dbf', 'prj', 'cpg']) {
  const source = writeGeoJson(name, collection)
  await ogr2ogr(['-f', 'ESRI Shapefile', scratch.file(`${name}.shp`), source, '-t_srs', srs, '-lco', `ENCODING=${encoding}`, '-nln', name])
  return zipFiles(
    scratch.file(`${name}.zip`),
    parts.map((p) => scratch.file(`${name}.${p}`)),
  )
}

const sendFile = (agent: TestAgent, kind: string, type: string, body: Buffer, query: Record<string, string> = {}) =>
  agent.post(`/api/import/${kind}`).query(query).set('Content-Type', type).send(body)

async function expectPremisesAsImported(ids: number[], collection: ReturnType<typeof premisesCollection>) {
  expect(ids).toHaveLength(collection.features.length)
  for (const id of ids) {
    const read = await tobacco.get(`/api/premises/${id}`).expect(200)
    // Matched by licence number: a file with a spatial index (FlatGeobuf) keeps its features in index order.
    const original = collection.features.find((f) => f.properties.licenceNo === read.body.properties.licenceNo)!
    expect(read.body.properties).toMatchObject(original.properties)
    expect(geodesicDistanceM(read.body.geometry.coordinates, original.geometry.coordinates)).toBeLessThan(0.01)
  }
}

/** Every original vertex has a stored vertex within 1 cm (the stored ring may start elsewhere or turn the other way). */
async function expectSchoolsAsImported(ids: number[], collection: ReturnType<typeof schoolsCollection>) {
  expect(ids).toHaveLength(collection.features.length)
  for (const id of ids) {
    const read = await education.get(`/api/schools/${id}`).expect(200)
    const original = collection.features.find((f) => f.properties.name === read.body.properties.name)!
    expect(read.body.properties).toMatchObject(original.properties)
    const stored = (read.body.geometry.coordinates as number[][][]).flat()
    const vertices = original.geometry.coordinates[0]!
    expect(stored).toHaveLength(vertices.length)
    for (const vertex of vertices) expect(Math.min(...stored.map((s) => geodesicDistanceM(s, vertex)))).toBeLessThan(0.01)
  }
}

describe('Shapefile import', () => {
  it('a Shapefile written by ogr2ogr in EPSG:4544 with GBK attributes imports to within 1 cm, its Chinese names intact', async () => {
    const collection = premisesCollection('GBK')
    const zip = await shapefileZip('premises_gbk', collection, 'EPSG:4544', 'GBK')
    // The .dbf really is GBK: the UTF-8 bytes of the name are not in it, the .cpg says so, and the .prj has no authority.
    const dbf = fs.readFileSync(scratch.file('premises_gbk.dbf'))
    expect(dbf.includes(Buffer.from('原州区', 'utf8'))).toBe(false)
    expect(fs.readFileSync(scratch.file('premises_gbk.cpg'), 'latin1').trim()).toMatch(/GBK|936/i)
    expect(fs.readFileSync(scratch.file('premises_gbk.prj'), 'utf8')).not.toMatch(/AUTHORITY/)
    const response = await sendFile(tobacco, 'premises', 'application/zip', zip).expect(201)
    await expectPremisesAsImported(response.body.ids, collection)
    const first = await tobacco.get(`/api/premises/${response.body.ids[0]}`).expect(200)
    expect(first.body.properties.sourceCrs).toBe('cgcs2000')
  })

  it('imports school campuses from a UTF-8 Shapefile with its .cpg (EPSG:4545), every vertex within 1 cm', async () => {
    const collection = schoolsCollection('四五四五')
    const zip = await shapefileZip('schools_utf8', collection, 'EPSG:4545', 'UTF-8')
    expect(fs.readFileSync(scratch.file('schools_utf8.dbf')).includes(Buffer.from('原州区', 'utf8'))).toBe(true)
    const response = await sendFile(education, 'schools', 'application/zip', zip).expect(201)
    await expectSchoolsAsImported(response.body.ids, collection)
  })

  it('a zip sent as application/octet-stream is recognised by its first bytes', async () => {
    const collection = premisesCollection('OCTET')
    const zip = await shapefileZip('premises_octet', collection, 'EPSG:4490', 'GBK')
    const response = await sendFile(tobacco, 'premises', 'application/octet-stream', zip).expect(201)
    await expectPremisesAsImported(response.body.ids, collection)
  })

  it('without a .prj the CRS is refused (422 naming crs) until ?crs= declares it, then the rows import', async () => {
    const collection = premisesCollection('NOPRJ')
    const zip = await shapefileZip('premises_noprj', collection, 'EPSG:4544', 'GBK', ['shp', 'shx', 'dbf', 'cpg'])
    const before = await count('premises')
    const refused = await sendFile(tobacco, 'premises', 'application/zip', zip)
    expectErrorBody(refused, 422, 'UNPROCESSABLE')
    expect(refused.body.message).toMatch(/^crs: .*no coordinate system/)
    expect(await count('premises')).toBe(before)
    const response = await sendFile(tobacco, 'premises', 'application/zip', zip, { crs: 'EPSG:4544' }).expect(201)
    await expectPremisesAsImported(response.body.ids, collection)
  })

  it('a .prj of a CRS the service does not take (Web Mercator) is refused with 422 naming it', async () => {
    const zip = await shapefileZip('premises_3857', premisesCollection('MERC'), 'EPSG:3857', 'UTF-8')
    const before = await count('premises')
    const refused = await sendFile(tobacco, 'premises', 'application/zip', zip)
    expectErrorBody(refused, 422, 'UNPROCESSABLE')
    expect(refused.body.message).toMatch(/^crs: .*\.prj declares .*Mercator.*EPSG:4544/)
    expect(await count('premises')).toBe(before)
  })

  it('a file whose CRS differs from the declared one is refused, naming both', async () => {
    const zip = await shapefileZip('premises_clash', premisesCollection('CLASH'), 'EPSG:4544', 'GBK')
    const refused = await sendFile(tobacco, 'premises', 'application/zip', zip, { crs: 'EPSG:4545' })
    expectErrorBody(refused, 422, 'UNPROCESSABLE')
    expect(refused.body.message).toMatch(/EPSG:4544.*EPSG:4545/)
  })

  it('bad rows are named by row and field, and nothing is written', async () => {
    const collection = premisesCollection('BAD', (i, p) => {
      if (i === 1) p.licenceStatus = 'forever'
      if (i === 3) p.countyCode = '64'
    })
    const zip = await shapefileZip('premises_bad', collection, 'EPSG:4544', 'GBK')
    const before = await count('premises')
    const response = await sendFile(tobacco, 'premises', 'application/zip', zip)
    expectErrorBody(response, 400, 'IMPORT_REJECTED')
    const errors = response.body.details.errors as RowError[]
    expect([...new Set(errors.map((e) => e.row))]).toEqual([2, 4])
    expect(errors.find((e) => e.row === 2)!.field).toBe('/properties/licenceStatus')
    expect(errors.find((e) => e.row === 4)!.field).toBe('/properties/countyCode')
    expect(response.body.message).toMatch(/2 of 5 rows/)
    expect(await count('premises')).toBe(before)
  })

  it('a column the registry does not know is refused naming it', async () => {
    const collection = premisesCollection('COL', (_, p) => (p.owner = '张三'))
    const zip = await shapefileZip('premises_column', collection, 'EPSG:4544', 'GBK')
    const response = await sendFile(tobacco, 'premises', 'application/zip', zip)
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toMatch(/^columns: unknown column owner/)
  })

  it('a zip bomb is refused with 413 naming the archive, nothing written', async () => {
    const zeros = scratch.file('bomb.dbf')
    fs.writeFileSync(zeros, Buffer.alloc(5 * BODY_LIMIT))
    fs.copyFileSync(zeros, scratch.file('bomb.shp'))
    const zip = await zipFiles(scratch.file('bomb.zip'), [scratch.file('bomb.shp'), zeros])
    expect(zip.byteLength).toBeLessThan(BODY_LIMIT)
    const before = await count('premises')
    const response = await sendFile(tobacco, 'premises', 'application/zip', zip)
    expectErrorBody(response, 413, 'PAYLOAD_TOO_LARGE')
    expect(response.body.message).toMatch(/^archive: unpacks to more than/)
    expect(await count('premises')).toBe(before)
  })

  it('an entry whose path climbs out of the archive is refused naming it', async () => {
    await shapefileZip('premises_path', premisesCollection('PATH'), 'EPSG:4544', 'GBK')
    const zip = await zipEntries(scratch.file('path.zip'), {
      '../premises_path.shp': scratch.file('premises_path.shp'),
      'premises_path.dbf': scratch.file('premises_path.dbf'),
    })
    const response = await sendFile(tobacco, 'premises', 'application/zip', zip)
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toBe('archive: entry "../premises_path.shp" climbs out of the archive (..)')
  })

  it('a zip without a .shp is refused naming the missing .shp', async () => {
    await shapefileZip('premises_noshp', premisesCollection('NOSHP'), 'EPSG:4544', 'GBK')
    const zip = await zipFiles(scratch.file('noshp.zip'), [scratch.file('premises_noshp.dbf'), scratch.file('premises_noshp.prj')])
    const response = await sendFile(tobacco, 'premises', 'application/zip', zip)
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toMatch(/^archive: holds no \.shp file/)
  })

  it('an anonymous zip upload is answered 401', async () => {
    const zip = fs.readFileSync(scratch.file('premises_gbk.zip'))
    const response = await t.request().post('/api/import/premises').set('Content-Type', 'application/zip').send(zip)
    expectErrorBody(response, 401)
  })

  it('a body that is none of the formats is refused with 415', async () => {
    const response = await sendFile(tobacco, 'premises', 'application/octet-stream', Buffer.from('not a file at all'))
    expectErrorBody(response, 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(response.body.message).toMatch(/^body: /)
  })
})

describe('GeoPackage and FlatGeobuf import', () => {
  it('imports school campuses from a GeoPackage in EPSG:4490 (CGCS2000)', async () => {
    const collection = schoolsCollection('国家二〇〇〇')
    const file = scratch.file('schools.gpkg')
    await ogr2ogr(['-f', 'GPKG', file, writeGeoJson('schools_gpkg', collection), '-t_srs', 'EPSG:4490', '-nln', 'campuses'])
    const response = await sendFile(education, 'schools', 'application/geopackage+sqlite3', fs.readFileSync(file)).expect(201)
    await expectSchoolsAsImported(response.body.ids, collection)
    const first = await education.get(`/api/schools/${response.body.ids[0]}`).expect(200)
    expect(first.body.properties.sourceCrs).toBe('cgcs2000')
  })

  it('imports premises from a FlatGeobuf in EPSG:4545 sent as application/octet-stream', async () => {
    const collection = premisesCollection('FGB')
    const file = scratch.file('premises.fgb')
    await ogr2ogr(['-f', 'FlatGeobuf', file, writeGeoJson('premises_fgb', collection), '-t_srs', 'EPSG:4545', '-nln', 'premises'])
    const response = await sendFile(tobacco, 'premises', 'application/octet-stream', fs.readFileSync(file)).expect(201)
    await expectPremisesAsImported(response.body.ids, collection)
  })

  it('names the bad row of a GeoPackage and writes nothing', async () => {
    const collection = premisesCollection('GPKGBAD', (i, p) => {
      if (i === 4) p.expiresOn = '2020-01-01'
    })
    const file = scratch.file('premises_bad.gpkg')
    await ogr2ogr(['-f', 'GPKG', file, writeGeoJson('premises_gpkg_bad', collection), '-t_srs', 'EPSG:4544', '-nln', 'premises'])
    const before = await count('premises')
    const response = await sendFile(tobacco, 'premises', 'application/geopackage+sqlite3', fs.readFileSync(file))
    expectErrorBody(response, 400, 'IMPORT_REJECTED')
    expect(response.body.details.errors).toEqual([
      { row: 5, field: '/properties/expiresOn', message: expect.stringContaining('licensedOn') },
    ])
    expect(await count('premises')).toBe(before)
  })

  it('a GeoPackage whose metadata is a view (which could run without end) is refused, not read', async () => {
    const file = scratch.file('premises_view.gpkg')
    await ogr2ogr([
      '-f',
      'GPKG',
      file,
      writeGeoJson('premises_view', premisesCollection('VIEW')),
      '-t_srs',
      'EPSG:4544',
      '-nln',
      'premises',
    ])
    await run('python3', [
      '-c',
      [
        'import sqlite3, sys',
        'c = sqlite3.connect(sys.argv[1])',
        'c.execute("ALTER TABLE gpkg_geometry_columns RENAME TO geometry_columns_table")',
        'c.execute("CREATE VIEW gpkg_geometry_columns AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT g.* FROM geometry_columns_table g, n")',
        'c.commit()',
      ].join('\n'),
      file,
    ])
    const response = await sendFile(tobacco, 'premises', 'application/geopackage+sqlite3', fs.readFileSync(file))
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toBe('body: is not a GeoPackage (no gpkg_geometry_columns table)')
  })

  it('a crs of the web maps (gcj02) is refused for a file, naming the parameter', async () => {
    const file = scratch.file('premises_gcj.fgb')
    await ogr2ogr(['-f', 'FlatGeobuf', file, writeGeoJson('premises_gcj', premisesCollection('GCJ')), '-nln', 'premises'])
    const response = await sendFile(tobacco, 'premises', 'application/flatgeobuf', fs.readFileSync(file), { crs: 'gcj02' })
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toMatch(/^querystring\/crs: gcj02 applies to GeoJSON and CSV/)
  })

  it('GeoJSON in Gauss-Krüger metres imports with ?crs=EPSG:4544', async () => {
    const collection = premisesCollection('GKJSON')
    const file = scratch.file('premises_4544.geojson')
    await ogr2ogr([
      '-f',
      'GeoJSON',
      file,
      writeGeoJson('premises_json', collection),
      '-t_srs',
      'EPSG:4544',
      '-lco',
      'COORDINATE_PRECISION=4',
    ])
    const body = fs.readFileSync(file, 'utf8')
    const response = await tobacco
      .post('/api/import/premises')
      .query({ crs: 'EPSG:4544' })
      .set('Content-Type', 'application/geo+json')
      .send(body)
      .expect(201)
    await expectPremisesAsImported(response.body.ids, collection)
  })
})
