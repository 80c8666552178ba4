import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { sql } from 'kysely'
import pg from 'pg'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { connectDatabase } from '../../server/db/connect.ts'
import { toWgs84 } from '../../server/geo/crs.ts'
import { GUYUAN, offset, premisesFeature, rectangle, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { onServer } from '../helpers/database.ts'
import { geodesicDistanceM, ogr2ogr } from '../helpers/gdal.ts'
import { expectErrorBody } from './expect.ts'

const run = promisify(execFile)
const ROOT = path.resolve(import.meta.dirname, '../..')

let t: TestApp
let education: TestAgent
let tobacco: TestAgent
beforeAll(async () => {
  t = await startTestApp()
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
})
afterAll(async () => {
  await t?.close()
})

const CENTER = [GUYUAN.lon, GUYUAN.lat] as const
const collection = (features: unknown[]) => ({ type: 'FeatureCollection', features })
const count = async (table: 'schools' | 'premises') =>
  Number(
    (
      await t.app.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )
const csv = (lines: string[]) => `${lines.join('\n')}\n`
const sendCsv = (agent: TestAgent, kind: string, text: string) =>
  agent.post(`/api/import/${kind}`).set('Content-Type', 'text/csv').send(text)

interface RowError {
  row: number
  field: string
  message: string
}

describe('GeoJSON import', () => {
  it('imports a FeatureCollection of schools: 201 with the new ids, readable afterwards', async () => {
    const features = [0, 1, 2].map((i) => schoolFeature({ center: offset(CENTER, i * 400, 5000), name: `导入学校${i}` }))
    const response = await education.post('/api/import/schools').send(collection(features)).expect(201)
    expect(response.body).toEqual({ imported: 3, ids: [expect.any(Number), expect.any(Number), expect.any(Number)] })
    const second = await education.get(`/api/schools/${response.body.ids[1]}`).expect(200)
    expect(second.body.properties.name).toBe('导入学校1')
    const history = await education.get(`/api/schools/${response.body.ids[0]}/history`).expect(200)
    expect(history.body.entries.map((e: { action: string }) => e.action)).toEqual(['import'])
  })

  it('imports premises sent as application/geo+json', async () => {
    const features = [0, 1].map((i) => premisesFeature({ at: offset(CENTER, i * 100, 5500), licenceNo: `GEO-${i}` }))
    const response = await tobacco
      .post('/api/import/premises')
      .set('Content-Type', 'application/geo+json')
      .send(JSON.stringify(collection(features)))
      .expect(201)
    expect(response.body.imported).toBe(2)
    const read = await tobacco.get(`/api/premises/${response.body.ids[1]}`).expect(200)
    expect(read.body.properties.licenceNo).toBe('GEO-1')
  })

  it('converts every position with ?crs=gcj02 and records the source system', async () => {
    const at = [106.26, 36.03] as const
    const response = await tobacco
      .post('/api/import/premises')
      .query({ crs: 'gcj02' })
      .send(collection([premisesFeature({ at })]))
      .expect(201)
    const read = await tobacco.get(`/api/premises/${response.body.ids[0]}`).expect(200)
    const expected = toWgs84(at[0], at[1], 'gcj02')
    expect(read.body.properties.sourceCrs).toBe('gcj02')
    expect(Math.abs(read.body.geometry.coordinates[0] - expected[0])).toBeLessThan(1e-9)
    expect(Math.abs(read.body.geometry.coordinates[1] - expected[1])).toBeLessThan(1e-9)
  })

  it('refuses a body that is not a FeatureCollection, naming the body', async () => {
    const response = await education.post('/api/import/schools').send({ type: 'Feature', properties: {}, geometry: null })
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toMatch(/^body: /)
  })
})

describe('CSV import', () => {
  it('imports premises from lon/lat columns, converting the rows whose crs column says gcj02', async () => {
    const response = await sendCsv(
      tobacco,
      'premises',
      csv([
        'name,category,licenceNo,licenceStatus,countyCode,lon,lat,crs',
        'CSV烟酒一号,tobacco_retail,CSV-1,active,640402,106.2401,36.0101,wgs84',
        'CSV烟酒二号,tobacco_retail,CSV-2,suspended,640402,106.2402,36.0102,gcj02',
      ]),
    ).expect(201)
    expect(response.body.imported).toBe(2)
    const [first, second] = await Promise.all(response.body.ids.map((id: number) => tobacco.get(`/api/premises/${id}`).expect(200)))
    expect(first!.body.geometry.coordinates).toEqual([106.2401, 36.0101])
    expect(first!.body.properties.sourceCrs).toBe('wgs84')
    const expected = toWgs84(106.2402, 36.0102, 'gcj02')
    expect(second!.body.properties).toMatchObject({
      sourceCrs: 'gcj02',
      licenceStatus: 'suspended',
      licenceNo: 'CSV-2',
      name: 'CSV烟酒二号',
    })
    expect(Math.abs(second!.body.geometry.coordinates[0] - expected[0])).toBeLessThan(1e-9)
    expect(Math.abs(second!.body.geometry.coordinates[1] - expected[1])).toBeLessThan(1e-9)
  })

  it('understands header aliases, case and a byte-order mark (Longitude, LAT, License_No, adcode)', async () => {
    const response = await tobacco
      .post('/api/import/premises')
      .set('Content-Type', 'text/csv; charset=utf-8')
      .send(
        '\uFEFF' +
          csv([
            'Name,Category,License_No,adcode,Longitude,LAT,Licensed On,expires_on,Address',
            '别名烟店,tobacco_retail,ALIAS-1,640422,105.73,35.97,2022-03-01,2027-02-28,西吉县别名街',
          ]),
      )
      .expect(201)
    const read = await tobacco.get(`/api/premises/${response.body.ids[0]}`).expect(200)
    expect(read.body.properties).toMatchObject({
      name: '别名烟店',
      licenceNo: 'ALIAS-1',
      countyCode: '640422',
      licensedOn: '2022-03-01',
      expiresOn: '2027-02-28',
      address: '西吉县别名街',
    })
    expect(read.body.geometry.coordinates).toEqual([105.73, 35.97])
  })

  it('imports schools with a GeoJSON geometry column and gates as "lon lat; lon lat"', async () => {
    const ring = rectangle(offset(CENTER, 0, 7000))
    const gate = ring[0]!.map((v, i) => (v + ring[1]![i]!) / 2)
    const geometry = JSON.stringify({ type: 'Polygon', coordinates: [ring] }).replaceAll('"', '""')
    const response = await sendCsv(
      education,
      'schools',
      csv([
        'name,schoolType,countyCode,students,boarding,geometry,gates',
        `CSV小学,primary,640402,420,是,"${geometry}",${gate[0]} ${gate[1]}`,
      ]),
    ).expect(201)
    const read = await education.get(`/api/schools/${response.body.ids[0]}`).expect(200)
    expect(read.body.properties).toMatchObject({ name: 'CSV小学', students: 420, boarding: true })
    expect(read.body.properties.gates).toHaveLength(1)
  })

  it('refuses an unknown column, naming it', async () => {
    const response = await sendCsv(
      tobacco,
      'premises',
      csv(['name,category,colour,lon,lat,countyCode', 'x,tobacco_retail,red,106.2,36,640402']),
    )
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toContain('colour')
  })
})

describe('all or nothing', () => {
  it('imports nothing from a file with two bad rows among good ones and lists both with field and reason', async () => {
    const before = await count('premises')
    const response = await sendCsv(
      tobacco,
      'premises',
      csv([
        'name,category,licenceNo,countyCode,lon,lat',
        '好店一,tobacco_retail,AON-1,640402,106.21,36.01',
        '坏店二,tobacco_retail,AON-2,640402,200,36.01',
        '好店三,tobacco_retail,AON-3,640402,106.23,36.01',
        '坏店四,no_such_category,AON-4,640402,106.24,36.01',
        '好店五,tobacco_retail,AON-5,640402,106.25,36.01',
      ]),
    )
    expectErrorBody(response, 400, 'IMPORT_REJECTED')
    const errors = response.body.details.errors as RowError[]
    expect([...new Set(errors.map((e) => e.row))]).toEqual([2, 4])
    const lon = errors.find((e) => e.row === 2)!
    expect(lon.field).toMatch(/geometry\/coordinates\/0$/)
    expect(lon.message).toContain('200')
    const category = errors.find((e) => e.row === 4)!
    expect(category.field).toMatch(/properties\/category$/)
    expect(category.message).toContain('tobacco_retail')
    expect(response.body.details.badRows).toBe(2)
    expect(response.body.message).toMatch(/2 of 5 rows/)
    expect(await count('premises')).toBe(before)
    expect(await t.app.db.selectFrom('premises').select('id').where('licence_no', 'like', 'AON-%').execute()).toEqual([])
  })

  it('imports no school from a GeoJSON file with one self-intersecting campus, naming its feature', async () => {
    const before = await count('schools')
    const bowtie = offset(CENTER, 0, 9000)
    const [a, b, c, d] = [offset(bowtie, 0, 0), offset(bowtie, 100, 100), offset(bowtie, 100, 0), offset(bowtie, 0, 100)]
    const features = [
      schoolFeature({ center: offset(CENTER, 0, 8000) }),
      schoolFeature({ geometry: { type: 'Polygon', coordinates: [[a, b, c, d, a]] }, gates: [] }),
    ]
    const response = await education.post('/api/import/schools').send(collection(features))
    expectErrorBody(response, 400, 'IMPORT_REJECTED')
    const errors = response.body.details.errors as RowError[]
    expect(errors.every((e) => e.row === 2)).toBe(true)
    expect(errors[0]!.field).toMatch(/^\/?geometry/)
    expect(await count('schools')).toBe(before)
  })

  it('refuses a licence number repeated inside the file, naming both rows', async () => {
    const response = await sendCsv(
      tobacco,
      'premises',
      csv([
        'name,category,licenceNo,countyCode,lon,lat',
        '甲,tobacco_retail,TWICE-1,640402,106.21,36.02',
        '乙,tobacco_retail,TWICE-1,640402,106.22,36.02',
      ]),
    )
    expectErrorBody(response, 400, 'IMPORT_REJECTED')
    const errors = response.body.details.errors as RowError[]
    expect(errors).toEqual([{ row: 2, field: '/properties/licenceNo', message: expect.stringContaining('row 1') }])
    expect(await t.app.db.selectFrom('premises').select('id').where('licence_no', '=', 'TWICE-1').execute()).toEqual([])
  })

  it('refuses a licence number already registered, naming the row', async () => {
    await tobacco
      .post('/api/premises')
      .send(premisesFeature({ licenceNo: 'TAKEN-1' }))
      .expect(201)
    const response = await sendCsv(
      tobacco,
      'premises',
      csv([
        'name,category,licenceNo,countyCode,lon,lat',
        '新店,tobacco_retail,FRESH-1,640402,106.21,36.03',
        '重号,tobacco_retail,TAKEN-1,640402,106.22,36.03',
      ]),
    )
    expectErrorBody(response, 400, 'IMPORT_REJECTED')
    expect(response.body.details.errors).toEqual([
      { row: 2, field: '/properties/licenceNo', message: expect.stringContaining('already registered') },
    ])
    expect(await t.app.db.selectFrom('premises').select('id').where('licence_no', '=', 'FRESH-1').execute()).toEqual([])
  })

  it('refuses rows the user may not write (an internet cafe from the tobacco department)', async () => {
    const response = await tobacco
      .post('/api/import/premises')
      .send(collection([premisesFeature(), premisesFeature({ category: 'internet_cafe' })]))
    expectErrorBody(response, 400, 'IMPORT_REJECTED')
    expect(response.body.details.errors).toEqual([{ row: 2, field: '/properties', message: expect.stringContaining('culture') }])
  })

  it('refuses an import to a viewer with 403 and to anonymous callers with 401', async () => {
    const { agent } = await t.signIn({ department: 'tobacco', role: 'viewer' })
    expectErrorBody(await agent.post('/api/import/premises').send(collection([premisesFeature()])), 403, 'FORBIDDEN')
    expectErrorBody(
      await t
        .request()
        .post('/api/import/premises')
        .send(collection([premisesFeature()])),
      401,
      'UNAUTHENTICATED',
    )
  })

  it('accepts an import larger than the 1 MiB limit of ordinary routes', async () => {
    const padding = '路'.repeat(160)
    const lines = ['name,category,licenceNo,countyCode,lon,lat,address']
    for (let i = 0; i < 2500; i += 1)
      lines.push(`大文件${i},tobacco_retail,BIG-${i},640402,${(106.1 + i * 1e-5).toFixed(5)},36.05,${padding}`)
    const text = csv(lines)
    expect(Buffer.byteLength(text)).toBeGreaterThan(1024 * 1024)
    const response = await sendCsv(tobacco, 'premises', text).expect(201)
    expect(response.body.imported).toBe(2500)
  })
})

describe('command line', () => {
  // A fresh database of its own: the CLI opens the embedded data folder (DATA_DIR) or DATABASE_URL itself.
  let env: NodeJS.ProcessEnv
  let folder: string
  let cleanup: () => Promise<void> = async () => {}
  beforeAll(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'zones-cli-'))
    const url = process.env.TEST_DATABASE_URL
    if (url) {
      const name = `zones_cli_${randomBytes(6).toString('hex')}`
      const admin = new pg.Client({ connectionString: url })
      await admin.connect()
      await admin.query(`create database ${name}`)
      const target = new URL(url)
      target.pathname = `/${name}`
      env = { ...process.env, DATABASE_URL: target.toString() }
      cleanup = async () => {
        await admin.query(`drop database if exists ${name} with (force)`)
        await admin.end()
      }
    } else {
      // Seed the data folder from the migrated template rather than initialising PostGIS again.
      const dataDir = path.join(folder, 'data')
      const seeded = await connectDatabase({ dataDir, loadDataDir: new Blob([fs.readFileSync(inject('embeddedTemplate'))]) })
      await seeded.close()
      env = { ...process.env, DATA_DIR: dataDir }
      delete env.DATABASE_URL
    }
  })
  afterAll(async () => {
    await cleanup()
    fs.rmSync(folder, { recursive: true, force: true })
  })

  const cli = (script: string, args: string[]) =>
    run(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'scripts', script), ...args], { cwd: ROOT, env, timeout: 120_000 })
  const openCliDatabase = () => connectDatabase(onServer() ? { databaseUrl: env.DATABASE_URL } : { dataDir: env.DATA_DIR })

  it('creates a user with `npm run user -- create` and imports a CSV with `npm run import -- premises`, all or nothing', async () => {
    const created = await cli('user.ts', [
      'create',
      '--username',
      'cli_clerk',
      '--password',
      'a long cli password',
      '--department',
      'tobacco',
      '--role',
      'clerk',
      '--county',
      '640402',
    ])
    expect(created.stdout).toMatch(/created user cli_clerk/)
    // A county that does not exist is said so in the service's words, not as the database's foreign-key refusal.
    const unknownCounty = await cli('user.ts', [
      'create',
      '--username',
      'cli_nowhere',
      '--password',
      'a long cli password',
      '--department',
      'tobacco',
      '--role',
      'clerk',
      '--county',
      '640499',
    ]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    )
    expect(unknownCounty?.code).toBe(1)
    expect(unknownCounty?.stderr).toMatch(/error: countyCode: 640499 is not a county of Guyuan; one of 640402, 640422/)
    expect(unknownCounty?.stderr).not.toMatch(/foreign key|violates|constraint/i)

    const bad = path.join(folder, 'bad.csv')
    fs.writeFileSync(
      bad,
      csv([
        'name,category,licenceNo,countyCode,lon,lat',
        '好,tobacco_retail,CLI-OK,640402,106.2,36.0',
        '坏,tobacco_retail,CLI-BAD,640402,106.2,999',
      ]),
    )
    const failure = await cli('import.ts', ['premises', bad]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    )
    expect(failure?.code).toBe(1)
    expect(failure?.stderr).toMatch(/"row":2/)

    const good = path.join(folder, 'premises.csv')
    fs.writeFileSync(
      good,
      csv([
        'name,category,licenceNo,countyCode,lon,lat,crs',
        '命令行一,tobacco_retail,CLI-1,640402,106.241,36.011,wgs84',
        '命令行二,lottery_outlet,CLI-2,640402,106.242,36.012,gcj02',
      ]),
    )
    const imported = await cli('import.ts', ['premises', good])
    expect(imported.stdout).toMatch(/imported 2 premises/)

    const handle = await openCliDatabase()
    try {
      const users = await handle.db.selectFrom('users').select(['username', 'department', 'role', 'county_code', 'password_hash']).execute()
      expect(users).toEqual([
        {
          username: 'cli_clerk',
          department: 'tobacco',
          role: 'clerk',
          county_code: '640402',
          password_hash: expect.stringMatching(/^\$argon2id\$/),
        },
      ])
      const premises = await handle.db.selectFrom('premises').select(['licence_no', 'source_crs']).orderBy('licence_no').execute()
      expect(premises).toEqual([
        { licence_no: 'CLI-1', source_crs: 'wgs84' },
        { licence_no: 'CLI-2', source_crs: 'gcj02' },
      ])
    } finally {
      await handle.close()
    }
  }, 240_000)

  it('imports a Shapefile named by its .shp and a GeoPackage with `npm run import`, in the CRS the files declare', async () => {
    const source = path.join(folder, 'survey.geojson')
    const feature = (licenceNo: string, name: string, at: [number, number]) => ({
      type: 'Feature',
      properties: { name, category: 'tobacco_retail', licenceNo, countyCode: '640402' },
      geometry: { type: 'Point', coordinates: at },
    })
    fs.writeFileSync(
      source,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [feature('SHP-CLI-1', '测绘一', [106.2431, 36.0121]), feature('SHP-CLI-2', '测绘二', [106.2452, 36.0133])],
      }),
    )
    // A CGCS2000 Gauss–Krüger Shapefile (EPSG:4544), its .dbf in GBK, as surveyors hand them over.
    const shp = path.join(folder, 'survey.shp')
    await ogr2ogr(['-f', 'ESRI Shapefile', shp, source, '-s_srs', 'EPSG:4326', '-t_srs', 'EPSG:4544', '-lco', 'ENCODING=GBK'])
    const fromShp = await cli('import.ts', ['premises', shp])
    expect(fromShp.stdout).toMatch(/imported 2 premises/)

    const gpkg = path.join(folder, 'survey.gpkg')
    fs.writeFileSync(
      source,
      JSON.stringify({ type: 'FeatureCollection', features: [feature('GPKG-CLI-1', '测绘三', [106.2461, 36.0142])] }),
    )
    await ogr2ogr(['-f', 'GPKG', gpkg, source, '-s_srs', 'EPSG:4326', '-t_srs', 'EPSG:4490', '-nln', 'premises'])
    const fromGpkg = await cli('import.ts', ['premises', gpkg])
    expect(fromGpkg.stdout).toMatch(/imported 1 premises/)

    // A Shapefile without its .dbf cannot be whole: said so, nothing written.
    fs.rmSync(path.join(folder, 'survey.dbf'))
    const broken = await cli('import.ts', ['premises', shp]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    )
    expect(broken?.code).toBe(1)
    expect(broken?.stderr).toMatch(/survey\.dbf is missing/)

    const handle = await openCliDatabase()
    try {
      const rows = await sql<{ licence_no: string; name: string; source_crs: string; lon: number; lat: number }>`
        select licence_no, name, source_crs, ST_X(geom) as lon, ST_Y(geom) as lat
        from premises where licence_no like '%-CLI-%' order by licence_no`.execute(handle.db)
      expect(rows.rows.map((r) => [r.licence_no, r.name, r.source_crs])).toEqual([
        ['GPKG-CLI-1', '测绘三', 'cgcs2000'],
        ['SHP-CLI-1', '测绘一', 'cgcs2000'],
        ['SHP-CLI-2', '测绘二', 'cgcs2000'],
      ])
      // Back from the projected grid to within a millimetre of where they were surveyed.
      const at = Object.fromEntries(rows.rows.map((r) => [r.licence_no, [r.lon, r.lat]]))
      expect(geodesicDistanceM(at['SHP-CLI-1']!, [106.2431, 36.0121])).toBeLessThan(0.001)
      expect(geodesicDistanceM(at['GPKG-CLI-1']!, [106.2461, 36.0142])).toBeLessThan(0.001)
    } finally {
      await handle.close()
    }
  }, 240_000)
})
