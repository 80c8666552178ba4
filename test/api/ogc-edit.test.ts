/**
 * OGC API – Features Part 4 on schools and premises through HTTP: create (201 + Location), replace (PUT),
 * update (PATCH, JSON merge patch) and delete, each behind If-Match (428 without, 412 when stale) or
 * If-Unmodified-Since; OPTIONS naming the methods this user may use; the registry's validation, rules,
 * conflicts and audit log applying as in the JSON API; bodies in CRS84 or the Content-Crs given.
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

let t: TestApp
let education: TestAgent
let tobacco: TestAgent
let viewer: TestAgent
const CENTER = [GUYUAN.lon, GUYUAN.lat] as const
const GK105 = 'http://www.opengis.net/def/crs/EPSG/0/4544'

const refused = (
  response: { status: number; body: { message?: string }; headers: Record<string, string> },
  status: number,
  code: string,
  message?: RegExp,
) => {
  expectErrorBody(response, status, code)
  if (message) expect(response.body.message).toMatch(message)
}
/** [easting, northing] of a WGS84 position in an EPSG code, by GDAL. */
async function gdalProjected(position: readonly number[], code: number): Promise<[number, number]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ogc-edit-'))
  try {
    const file = path.join(dir, 'point.geojson')
    fs.writeFileSync(file, JSON.stringify({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: position } }))
    const { stdout } = await promisify(execFile)('ogr2ogr', [
      '-f',
      'CSV',
      '/vsistdout/',
      file,
      '-t_srs',
      `EPSG:${code}`,
      '-lco',
      'GEOMETRY=AS_XY',
    ])
    return stdout.trim().split('\n')[1]!.split(',').slice(0, 2).map(Number) as [number, number]
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
const geojson = (agent: TestAgent, method: 'post' | 'put' | 'patch', path: string, body: unknown, type = 'application/geo+json') =>
  agent[method](path).set('content-type', type).send(JSON.stringify(body))

beforeAll(async () => {
  t = await startTestApp()
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  viewer = (await t.signIn({ department: 'education', role: 'viewer' })).agent
})
afterAll(async () => {
  await t?.close()
})

const createSchool = async (eastM: number, name: string) => {
  const response = await geojson(
    education,
    'post',
    '/ogc/collections/schools/items',
    schoolFeature({ center: offset(CENTER, eastM, -2000), name }),
  ).expect(201)
  return response
}
const history = async (kind: 'schools' | 'premises', id: number) =>
  (await education.get(`/api/${kind}/${id}/history`).expect(200)).body.entries as { action: string; requestId: string }[]

describe('create', () => {
  it('adds a school: 201 with Location, ETag and the feature as stored, recorded in its history', async () => {
    const response = await createSchool(0, '编辑接口测试小学')
    const id = response.body.id as number
    expect(response.headers.location).toBe(`${t.url}/ogc/collections/schools/items/${id}`)
    expect(response.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/)
    expect(response.body.properties).toMatchObject({ name: '编辑接口测试小学', schoolType: 'primary', version: 1 })
    const read = await education.get(`/ogc/collections/schools/items/${id}`).expect(200)
    expect(read.headers.etag).toBe(response.headers.etag)
    const entries = await history('schools', id)
    expect(entries.map((e) => e.action)).toEqual(['create'])
    expect(entries[0]!.requestId).toBe(response.headers['x-request-id'])
  })

  it('adds premises given in EPSG:4544 (Content-Crs), stored in WGS84 within a centimetre, and keeps their conflicts', async () => {
    const school = await createSchool(3000, '冲突维护测试小学')
    const at = offset(CENTER, 3000 + 100, -2000)
    // The position in the 105°E zone as GDAL projects it, sent northing first as EPSG:4544 defines.
    const [easting, northing] = await gdalProjected(at, 4544)
    const body = {
      ...premisesFeature({ at: [0, 0], name: '高斯坐标烟酒店', licenceNo: 'EDIT-GK' }),
      geometry: { type: 'Point', coordinates: [northing, easting] },
    }
    const created = await geojson(tobacco, 'post', '/ogc/collections/premises/items', body).set('content-crs', `<${GK105}>`).expect(201)
    expect(Math.abs(created.body.geometry.coordinates[0] - at[0]) * 90_000).toBeLessThan(0.01)
    expect(Math.abs(created.body.geometry.coordinates[1] - at[1]) * 110_950).toBeLessThan(0.01)
    const { body: conflicts } = await tobacco.get(`/ogc/collections/conflicts/items?premisesId=${created.body.id}`).expect(200)
    expect(conflicts.features.map((f: { properties: { schoolId: number } }) => f.properties.schoolId)).toEqual([school.body.id])
  })

  it('refuses a bad body naming the field, a collection that cannot be edited, and writers of other departments', async () => {
    const bad = schoolFeature({ center: offset(CENTER, 6000, -2000) })
    refused(
      await geojson(education, 'post', '/ogc/collections/schools/items', {
        ...bad,
        properties: { ...bad.properties, schoolType: 'college' },
      }).expect(400),
      400,
      'VALIDATION_FAILED',
      /properties\/schoolType/,
    )
    refused(
      await geojson(education, 'post', '/ogc/collections/schools/items', {
        ...bad,
        properties: { ...bad.properties, colour: 'red' },
      }).expect(400),
      400,
      'VALIDATION_FAILED',
      /colour/,
    )
    refused(
      await geojson(education, 'post', '/ogc/collections/schools/items', { ...bad, type: 'FeatureCollection' }).expect(400),
      400,
      'VALIDATION_FAILED',
      /body\/type/,
    )
    refused(
      await education.post('/ogc/collections/schools/items').set('content-type', 'application/geo+json').send('{"type":').expect(400),
      400,
      'INVALID_JSON',
    )
    refused(
      await geojson(education, 'post', '/ogc/collections/schools/items', bad)
        .set('content-crs', '<http://www.opengis.net/def/crs/EPSG/0/3857>')
        .expect(400),
      400,
      'VALIDATION_FAILED',
      /content-crs/,
    )
    refused(await geojson(education, 'post', '/ogc/collections/counties/items', bad).expect(405), 405, 'METHOD_NOT_ALLOWED')
    refused(await geojson(tobacco, 'post', '/ogc/collections/schools/items', bad).expect(403), 403, 'FORBIDDEN', /education/)
    refused(await geojson(viewer, 'post', '/ogc/collections/schools/items', bad).expect(403), 403, 'FORBIDDEN')
    refused(await geojson(t.request(), 'post', '/ogc/collections/schools/items', bad).expect(401), 401, 'UNAUTHENTICATED')
  })
})

describe('replace, update, delete', () => {
  it('needs If-Match (428 without it, 412 when stale) and replaces with the current one, clearing what the body leaves out', async () => {
    const created = await createSchool(9000, '替换测试小学')
    const path = `/ogc/collections/schools/items/${created.body.id}`
    const replacement = schoolFeature({
      center: offset(CENTER, 9000, -2000),
      name: '替换后的小学',
      properties: { address: undefined, students: 1200 },
    })
    refused(await geojson(education, 'put', path, replacement).expect(428), 428, 'PRECONDITION_REQUIRED', /if-match/)
    refused(
      await geojson(education, 'put', path, replacement).set('if-match', '"stale"').expect(412),
      412,
      'PRECONDITION_FAILED',
      /if-match/,
    )
    // A weak tag never matches under the strong comparison If-Match uses.
    await geojson(education, 'put', path, replacement).set('if-match', `W/${created.headers.etag}`).expect(412)
    const replaced = await geojson(education, 'put', path, replacement).set('if-match', created.headers.etag!).expect(200)
    expect(replaced.body.properties).toMatchObject({ name: '替换后的小学', students: 1200, address: null, version: 2 })
    expect(replaced.headers.etag).not.toBe(created.headers.etag)
    // The old tag is now stale.
    await geojson(education, 'put', path, replacement).set('if-match', created.headers.etag!).expect(412)
    expect((await history('schools', created.body.id)).map((e) => e.action)).toEqual(['create', 'update'])
  })

  it('sends back the properties it read: the read-only ones are ignored, not refused', async () => {
    const created = await createSchool(12000, '回写测试小学')
    const path = `/ogc/collections/schools/items/${created.body.id}`
    const { type, properties, geometry } = created.body
    const updated = await geojson(education, 'put', path, { type, properties: { ...properties, staff: 77 }, geometry })
      .set('if-match', created.headers.etag!)
      .expect(200)
    expect(updated.body.properties).toMatchObject({ staff: 77, version: 2, name: '回写测试小学' })
  })

  it('updates with a JSON merge patch: members given change, null clears, the rest stays', async () => {
    const created = await createSchool(15000, '合并补丁测试小学')
    const path = `/ogc/collections/schools/items/${created.body.id}`
    const patch = { properties: { students: 950, address: null } }
    refused(await geojson(education, 'patch', path, patch, 'application/merge-patch+json').expect(428), 428, 'PRECONDITION_REQUIRED')
    const patched = await geojson(education, 'patch', path, patch, 'application/merge-patch+json')
      .set('if-match', created.headers.etag!)
      .expect(200)
    expect(patched.body.properties).toMatchObject({
      students: 950,
      address: null,
      staff: created.body.properties.staff,
      name: '合并补丁测试小学',
    })
    expect(patched.body.geometry).toEqual(created.body.geometry)
    refused(
      await geojson(education, 'patch', path, { properties: { name: null } }, 'application/merge-patch+json')
        .set('if-match', patched.headers.etag!)
        .expect(400),
      400,
      'VALIDATION_FAILED',
      /name/,
    )
    refused(
      await geojson(education, 'patch', path, { colour: 1 }, 'application/merge-patch+json')
        .set('if-match', patched.headers.etag!)
        .expect(400),
      400,
      'VALIDATION_FAILED',
      /colour/,
    )
  })

  it('takes If-Unmodified-Since as the precondition: a date before the last change is stale', async () => {
    const created = await createSchool(18000, '时间前提测试小学')
    const path = `/ogc/collections/schools/items/${created.body.id}`
    const modified = created.headers['last-modified']!
    expect(Date.parse(modified)).not.toBeNaN()
    await geojson(education, 'patch', path, { properties: { staff: 5 } })
      .set('if-unmodified-since', 'Tue, 01 Jan 2019 00:00:00 GMT')
      .expect(412)
    await geojson(education, 'patch', path, { properties: { staff: 5 } })
      .set('if-unmodified-since', modified)
      .expect(200)
  })

  it('deletes behind If-Match; the feature is gone and its history ends with the deletion', async () => {
    const created = await createSchool(21000, '删除测试小学')
    const path = `/ogc/collections/schools/items/${created.body.id}`
    refused(await education.delete(path).expect(428), 428, 'PRECONDITION_REQUIRED')
    refused(await education.delete(path).set('if-match', '"stale"').expect(412), 412, 'PRECONDITION_FAILED')
    refused(await tobacco.delete(path).set('if-match', created.headers.etag!).expect(403), 403, 'FORBIDDEN')
    await education.delete(path).set('if-match', created.headers.etag!).expect(204)
    await education.get(path).expect(404)
    expect((await history('schools', created.body.id)).map((e) => e.action)).toEqual(['create', 'delete'])
    refused(await education.delete(path).set('if-match', '*').expect(404), 404, 'NOT_FOUND')
  })
})

describe('OPTIONS', () => {
  it('names the methods this user may use on the items and on a feature', async () => {
    const created = await createSchool(24000, '方法测试小学')
    const allow = (response: { headers: Record<string, string> }) => response.headers.allow!.split(/,\s*/).sort()
    expect(allow(await education.options('/ogc/collections/schools/items').expect(204))).toEqual(['GET', 'HEAD', 'OPTIONS', 'POST'])
    expect(allow(await tobacco.options('/ogc/collections/schools/items').expect(204))).toEqual(['GET', 'HEAD', 'OPTIONS'])
    expect(allow(await tobacco.options('/ogc/collections/premises/items').expect(204))).toEqual(['GET', 'HEAD', 'OPTIONS', 'POST'])
    expect(allow(await viewer.options('/ogc/collections/schools/items').expect(204))).toEqual(['GET', 'HEAD', 'OPTIONS'])
    expect(allow(await education.options('/ogc/collections/counties/items').expect(204))).toEqual(['GET', 'HEAD', 'OPTIONS'])
    const item = `/ogc/collections/schools/items/${created.body.id}`
    expect(allow(await education.options(item).expect(204))).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'PUT'])
    expect(allow(await tobacco.options(item).expect(204))).toEqual(['GET', 'HEAD', 'OPTIONS'])
    await education.options('/ogc/collections/schools/items/99999999').expect(404)
  })
})
