/**
 * GDAL as a real client of the OGC API (Debian's gdal-bin, OAPIF driver): every collection listed with the
 * API's feature count and extent, premises copied to a GeoPackage with the same rows and positions,
 * -where and -spat answered as the API answers, and small pages walking every feature once. GDAL signs
 * in with the session cookie in GDAL_HTTP_HEADERS.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GUYUAN, offset, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app.ts'

const run = promisify(execFile)
let t: TestApp
let admin: TestAgent
let cookie: string
let dir: string
const CENTER = [GUYUAN.lon, GUYUAN.lat] as const

// The service runs in this process: GDAL must be run without blocking its event loop.
const gdal = async (command: string, args: string[]) => {
  const { stdout } = await run(command, args, { env: { ...process.env, GDAL_HTTP_HEADERS: `Cookie: ${cookie}` }, maxBuffer: 64 * 2 ** 20 })
  return stdout
}
const source = () => `OAPIF:${t.url}/ogc`
/** The features GDAL reads from a source, as GeoJSON (ogr2ogr to standard output). */
const readWithGdal = async (input: string, layer: string, extra: string[] = []) =>
  JSON.parse(await gdal('ogr2ogr', ['-f', 'GeoJSON', '/vsistdout/', input, layer, ...extra])) as {
    features: { properties: Record<string, unknown>; geometry: { coordinates: number[] } }[]
  }
const apiItems = async (query: string) => {
  const { body } = await admin.get(`/ogc/collections/premises/items?limit=10000${query}`).expect(200)
  return body as {
    numberMatched: number
    features: { id: number; properties: Record<string, unknown>; geometry: { coordinates: number[] } }[]
  }
}

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
  for (let i = 0; i < 23; i += 1) {
    const at = offset(CENTER, 2000 + (i % 6) * 90, 1500 + Math.floor(i / 6) * 70)
    const body = premisesFeature({
      at,
      name: `数据源测试店${i}`,
      licenceNo: `GDAL-${i}`,
      category: i % 4 === 0 ? 'internet_cafe' : 'tobacco_retail',
      properties: { licenceStatus: i % 5 === 0 ? 'suspended' : 'active' },
    })
    await admin.post('/api/premises').send(body).expect(201)
  }
  await admin
    .post('/api/schools')
    .send(schoolFeature({ center: offset(CENTER, 2200, 1600), name: '数据源测试小学' }))
    .expect(201)
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ogc-gdal-'))
})
afterAll(async () => {
  await t?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

describe('GDAL reads the OGC API', () => {
  it('lists every collection the user sees, each with the API’s feature count and extent', async () => {
    const { body } = await admin.get('/ogc/collections').expect(200)
    const listing = await gdal('ogrinfo', ['-ro', '-so', source()])
    const layers = [...listing.matchAll(/^\d+: (\S+)/gm)].map((m) => m[1])
    expect(layers).toEqual(body.collections.map((c: { id: string }) => c.id))
    for (const collection of body.collections as { id: string; extent: { spatial?: { bbox: number[][] } } }[]) {
      const info = await gdal('ogrinfo', ['-ro', '-so', source(), collection.id])
      const { body: page } = await admin.get(`/ogc/collections/${collection.id}/items?limit=1`).expect(200)
      expect(info, collection.id).toContain(`Feature Count: ${page.numberMatched}\n`)
      if (!collection.extent.spatial) continue
      const extent = /Extent: \(([-\d.]+), ([-\d.]+)\) - \(([-\d.]+), ([-\d.]+)\)/.exec(info)
      expect(extent, collection.id).not.toBeNull()
      extent!
        .slice(1)
        .map(Number)
        .forEach((value, i) => expect(value).toBeCloseTo(collection.extent.spatial!.bbox[0]![i]!, 5))
    }
  })

  it('copies premises to a GeoPackage with the same rows and positions', async () => {
    const gpkg = path.join(dir, 'premises.gpkg')
    await gdal('ogr2ogr', ['-f', 'GPKG', gpkg, source(), 'premises'])
    const copy = await readWithGdal(gpkg, 'premises')
    const api = await apiItems('')
    expect(copy.features).toHaveLength(api.numberMatched)
    const byLicence = new Map(api.features.map((f) => [f.properties.licenceNo, f]))
    for (const feature of copy.features) {
      const original = byLicence.get(feature.properties.licenceNo)!
      expect(feature.properties.name).toBe(original.properties.name)
      expect(feature.properties.category).toBe(original.properties.category)
      expect(feature.geometry.coordinates[0]).toBeCloseTo(original.geometry.coordinates[0]!, 9)
      expect(feature.geometry.coordinates[1]).toBeCloseTo(original.geometry.coordinates[1]!, 9)
      byLicence.delete(feature.properties.licenceNo)
    }
    expect(byLicence.size).toBe(0)
  })

  it('answers -where as the API answers the same property filter', async () => {
    const read = await readWithGdal(source(), 'premises', ['-where', "licenceStatus = 'suspended' AND category = 'tobacco_retail'"])
    const api = await apiItems('&licenceStatus=suspended&category=tobacco_retail')
    expect(api.numberMatched).toBeGreaterThan(0)
    expect(read.features.map((f) => f.properties.licenceNo).sort()).toEqual(api.features.map((f) => f.properties.licenceNo).sort())
  })

  it('answers -spat as the API answers the same bbox', async () => {
    const [west, south] = offset(CENTER, 2050, 1450)
    const [east, north] = offset(CENTER, 2300, 1650)
    const read = await readWithGdal(source(), 'premises', ['-spat', String(west), String(south), String(east), String(north)])
    const api = await apiItems(`&bbox=${west},${south},${east},${north}`)
    expect(api.numberMatched).toBeGreaterThan(0)
    expect(api.numberMatched).toBeLessThan(23)
    expect(read.features.map((f) => f.properties.licenceNo).sort()).toEqual(api.features.map((f) => f.properties.licenceNo).sort())
  })

  it('walks every feature once with a page size of 7', async () => {
    const read = await readWithGdal(source(), 'premises', ['-oo', 'PAGE_SIZE=7'])
    const licences = read.features.map((f) => f.properties.licenceNo)
    expect(licences).toHaveLength(23)
    expect(new Set(licences).size).toBe(23)
  })
})
