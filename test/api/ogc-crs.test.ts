/**
 * OGC API – Features Part 2 (CRS): CRS84 by default, EPSG:4326 and EPSG:4490 in latitude, longitude order,
 * the CGCS2000 Gauss-Krüger zones EPSG:4544 and EPSG:4545 in northing, easting order (as EPSG defines
 * them) for `crs` and `bbox-crs`, with Content-Crs. The projected coordinates are checked against GDAL
 * (ogr2ogr reprojecting the CRS84 output), an implementation independent of PostGIS's.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GUYUAN, offset, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

const run = promisify(execFile)
let t: TestApp
let tobacco: TestAgent
let education: TestAgent
let dir: string
const CENTER = [GUYUAN.lon, GUYUAN.lat] as const
// West of 106.5°E lies in the 105°E zone, east of it in the 108°E zone: points on both sides.
const points = [offset(CENTER, 0, 500), offset(CENTER, 700, 900), [106.61, 35.9], [105.68, 35.97]] as [number, number][]
const uri = (code: number) => `http://www.opengis.net/def/crs/EPSG/0/${code}`
const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'

/** [easting, northing] of each point in an EPSG code, by GDAL. */
async function gdalProjected(positions: readonly (readonly number[])[], code: number): Promise<[number, number][]> {
  const file = path.join(dir, `points-${code}.geojson`)
  const features = positions.map((p, i) => ({ type: 'Feature', properties: { i }, geometry: { type: 'Point', coordinates: p } }))
  fs.writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', features }))
  const { stdout } = await run('ogr2ogr', ['-f', 'CSV', '/vsistdout/', file, '-t_srs', `EPSG:${code}`, '-lco', 'GEOMETRY=AS_XY'])
  return stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').slice(0, 2).map(Number) as [number, number])
}

const items = async (query: string) => {
  const response = await tobacco.get(`/ogc/collections/premises/items?${query}`).expect(200)
  return {
    crs: response.headers['content-crs'],
    features: response.body.features as { id: number; properties: { name: string }; geometry: { coordinates: number[] } }[],
  }
}

beforeAll(async () => {
  t = await startTestApp()
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  for (const [i, at] of points.entries())
    await tobacco
      .post('/api/premises')
      .send(premisesFeature({ at, name: `坐标测试${i}` }))
      .expect(201)
  await education
    .post('/api/schools')
    .send(schoolFeature({ center: offset(CENTER, 300, -400), name: '坐标测试小学' }))
    .expect(201)
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ogc-crs-'))
})
afterAll(async () => {
  await t?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

describe('crs', () => {
  it('answers CRS84 longitude, latitude by default, saying so in Content-Crs', async () => {
    const page = await items('')
    expect(page.crs).toBe(`<${CRS84}>`)
    page.features.forEach((f, i) => {
      expect(f.geometry.coordinates[0]).toBeCloseTo(points[i]![0], 9)
      expect(f.geometry.coordinates[1]).toBeCloseTo(points[i]![1], 9)
    })
    expect((await items(`crs=${encodeURIComponent(CRS84)}`)).crs).toBe(`<${CRS84}>`)
  })

  it('answers EPSG:4326 and EPSG:4490 in latitude, longitude order', async () => {
    for (const code of [4326, 4490]) {
      const page = await items(`crs=${encodeURIComponent(uri(code))}`)
      expect(page.crs).toBe(`<${uri(code)}>`)
      page.features.forEach((f, i) => {
        // CGCS2000 and WGS84 agree to well under a metre; PostGIS treats them as the same datum.
        expect(f.geometry.coordinates[0]).toBeCloseTo(points[i]![1], 7)
        expect(f.geometry.coordinates[1]).toBeCloseTo(points[i]![0], 7)
      })
    }
  })

  it('answers the Gauss-Krüger zones EPSG:4544 and EPSG:4545 as northing, easting, within a millimetre of GDAL', async () => {
    for (const code of [4544, 4545]) {
      const expected = await gdalProjected(points, code)
      const page = await items(`crs=${encodeURIComponent(uri(code))}`)
      expect(page.crs).toBe(`<${uri(code)}>`)
      page.features.forEach((f, i) => {
        const [easting, northing] = expected[i]!
        expect(Math.abs(f.geometry.coordinates[0]! - northing)).toBeLessThan(0.001)
        expect(Math.abs(f.geometry.coordinates[1]! - easting)).toBeLessThan(0.001)
      })
    }
  })

  it('transforms polygons too: a campus ring in EPSG:4544 matches GDAL', async () => {
    const { body: wgs84 } = await education.get('/ogc/collections/schools/items').expect(200)
    const { body: projected } = await education.get(`/ogc/collections/schools/items?crs=${encodeURIComponent(uri(4544))}`).expect(200)
    const ring = wgs84.features[0].geometry.coordinates[0] as number[][]
    const expected = await gdalProjected(ring, 4544)
    ;(projected.features[0].geometry.coordinates[0] as number[][]).forEach(([n, e], i) => {
      expect(Math.abs(n! - expected[i]![1])).toBeLessThan(0.001)
      expect(Math.abs(e! - expected[i]![0])).toBeLessThan(0.001)
    })
  })

  it('answers one feature in a requested CRS with Content-Crs', async () => {
    const [first] = (await items('')).features
    const response = await tobacco.get(`/ogc/collections/premises/items/${first!.id}?crs=${encodeURIComponent(uri(4326))}`).expect(200)
    expect(response.headers['content-crs']).toBe(`<${uri(4326)}>`)
    expect(response.body.geometry.coordinates[0]).toBeCloseTo(points[0]![1], 9)
  })

  it('refuses a CRS it does not serve, naming the parameter', async () => {
    for (const query of [`crs=${encodeURIComponent(uri(3857))}`, 'crs=wgs84', `bbox-crs=${encodeURIComponent(uri(2000))}&bbox=1,2,3,4`]) {
      const response = await tobacco.get(`/ogc/collections/premises/items?${query}`).expect(400)
      expectErrorBody(response, 400, 'VALIDATION_FAILED')
      expect(response.body.message).toMatch(/^(crs|bbox-crs): /)
    }
    await tobacco.get(`/ogc/collections/premises/items/1?crs=${encodeURIComponent(uri(3857))}`).expect(400)
  })
})

describe('bbox-crs', () => {
  // Around the first two points (in the 105°E zone), not the others.
  const [west, south] = offset(CENTER, -100, 400)
  const [east, north] = offset(CENTER, 800, 1000)
  const names = (page: { features: { properties: { name: string } }[] }) => page.features.map((f) => f.properties.name)

  it('reads the box in CRS84 by default and in EPSG:4326 as latitude, longitude', async () => {
    expect(names(await items(`bbox=${west},${south},${east},${north}`))).toEqual(['坐标测试0', '坐标测试1'])
    expect(names(await items(`bbox=${south},${west},${north},${east}&bbox-crs=${encodeURIComponent(uri(4326))}`))).toEqual([
      '坐标测试0',
      '坐标测试1',
    ])
    // The same numbers read as latitude first put the box beyond the pole: refused, naming bbox.
    const swapped = await tobacco.get(
      `/ogc/collections/premises/items?bbox=${west},${south},${east},${north}&bbox-crs=${encodeURIComponent(uri(4326))}`,
    )
    expectErrorBody(swapped, 400, 'VALIDATION_FAILED')
    expect(swapped.body.message).toMatch(/^bbox: /)
  })

  it('reads a box in EPSG:4544 as northing, easting corners, projected by GDAL', async () => {
    const [first, second] = await gdalProjected(
      [
        [west, south],
        [east, north],
      ],
      4544,
    )
    const [e1, n1] = first!
    const [e2, n2] = second!
    const box = [Math.min(n1, n2), Math.min(e1, e2), Math.max(n1, n2), Math.max(e1, e2)].join(',')
    expect(names(await items(`bbox=${box}&bbox-crs=${encodeURIComponent(uri(4544))}`))).toEqual(['坐标测试0', '坐标测试1'])
  })
})
