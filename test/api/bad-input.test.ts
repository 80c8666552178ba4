/**
 * A corpus of hostile inputs sent to every write route. Every answer must be a 4xx with the one
 * error body naming the field at fault; nothing may be written; the database keeps answering.
 */
import fs from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GUYUAN, offset, premisesFeature, rectangle, schoolFeature } from '../factories/registry.ts'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

const IMPORT_LIMIT = 3 * 1024 * 1024
let t: TestApp
let admin: TestAgent
let leaver: TestAgent
let schoolId: number
let premisesId: number
let counts: Counts

interface Counts {
  schools: number
  premises: number
  users: number
  sessions: number
  audit: number
}

async function countAll(): Promise<Counts> {
  const n = async (query: Promise<{ n: number | string | bigint }>) => Number((await query).n)
  const db = t.app.db
  return {
    schools: await n(
      db
        .selectFrom('schools')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ),
    premises: await n(
      db
        .selectFrom('premises')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ),
    users: await n(
      db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ),
    sessions: await n(
      db
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ),
    // Failed sign-ins are audited on purpose; every other entry would mean a write got through.
    audit: await n(
      db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('action', '<>', 'login_failed')
        .executeTakeFirstOrThrow(),
    ),
  }
}

beforeAll(async () => {
  t = await startTestApp({ importBodyLimitBytes: IMPORT_LIMIT })
  admin = (await t.signIn({ department: 'admin', role: 'admin' })).agent
  leaver = (await t.signIn({ department: 'market', role: 'clerk' })).agent
  schoolId = (await admin.post('/api/schools').send(schoolFeature()).expect(201)).body.id
  premisesId = (
    await admin
      .post('/api/premises')
      .send(premisesFeature({ licenceNo: 'FIXTURE-1' }))
      .expect(201)
  ).body.id
  await admin
    .post('/api/premises')
    .send(premisesFeature({ licenceNo: 'FIXTURE-2' }))
    .expect(201)
  counts = await countAll()
})
afterAll(async () => {
  await t?.close()
})

// ------------------------------------------------------------------------------------------------
// The corpus

interface Case {
  label: string
  method: 'post' | 'patch' | 'delete'
  path: () => string
  /** A JSON value to send, or raw text with `contentType`. */
  body?: unknown
  raw?: string | Buffer
  contentType?: string
  /** The message must mention this (the field at fault). */
  names: RegExp
  status?: number
  agent?: () => TestAgent
}

const fixture = (name: string) =>
  (JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../fixtures/geometry', `${name}.json`), 'utf8')) as { geometry: unknown })
    .geometry
const CENTER = [GUYUAN.lon, GUYUAN.lat] as const
const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
const big = (bytes: number) => JSON.stringify({ ...schoolFeature(), padding: 'x'.repeat(bytes) })
/** A closed ring of n positions around a circle (valid, only too long). */
const circle = (n: number) => {
  const ring = Array.from({ length: n - 1 }, (_, i) =>
    offset(CENTER, 200 * Math.cos((2 * Math.PI * i) / (n - 1)), 200 * Math.sin((2 * Math.PI * i) / (n - 1))),
  )
  return [...ring, ring[0]!]
}
const withProperties = (feature: { properties: object }, properties: Record<string, unknown>) => ({
  ...feature,
  properties: { ...feature.properties, ...properties },
})
const withGeometry = (feature: object, geometry: unknown) => ({ ...feature, geometry })
const SQL = "'; drop table schools; --"

/** Inputs refused on any route that takes a JSON body, whatever its schema. */
function transportCases(method: Case['method'], route: () => string, limit = 1024 * 1024, agent?: () => TestAgent): Case[] {
  const c = (label: string, rest: Omit<Case, 'label' | 'method' | 'path'>): Case => ({ label, method, path: route, agent, ...rest })
  return [
    c('malformed JSON', { raw: '{"type": "Feature", "properties": {', contentType: 'application/json', names: /^body: / }),
    c('JSON with a trailing comma', { raw: '{"type": "Feature",}', contentType: 'application/json', names: /^body: / }),
    c('an empty JSON body', { raw: '', contentType: 'application/json', names: /^body: / }),
    c('text/plain', { raw: 'name=x', contentType: 'text/plain', names: /body|content-type/i }),
    c('multipart/form-data', {
      raw: '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n',
      contentType: 'multipart/form-data; boundary=b',
      names: /content-type|multipart/i,
      status: 415,
    }),
    c('application/xml', { raw: '<school/>', contentType: 'application/xml', names: /content-type|xml/i, status: 415 }),
    c('a body over the limit', { raw: big(limit + 1024), contentType: 'application/json', names: /^body: /, status: 413 }),
    c('50,000 nested arrays', { raw: deepArray(50_000), contentType: 'application/json', names: /body/ }),
    c('50,000 nested objects', { raw: deepObject(50_000), contentType: 'application/json', names: /body/ }),
    c('a prototype-pollution key', {
      raw: '{"__proto__": {"role": "admin"}, "constructor": {"prototype": {"x": 1}}}',
      contentType: 'application/json',
      names: /body/,
    }),
  ]
}

function schoolBodyCases(method: 'post' | 'patch', route: () => string): Case[] {
  const school = schoolFeature({ center: offset(CENTER, 0, 3000) })
  // PATCH takes { properties?, geometry?, version? }; POST a whole Feature.
  const props = (properties: Record<string, unknown>) => (method === 'post' ? withProperties(school, properties) : { properties })
  const geom = (geometry: unknown) => (method === 'post' ? withGeometry(school, geometry) : { geometry })
  const c = (label: string, rest: Omit<Case, 'label' | 'method' | 'path'>): Case => ({ label, method, path: route, ...rest })
  const rawGeometry = (coordinates: string) => {
    const text = JSON.stringify(geom({ type: 'Polygon', coordinates: '@' })).replace('"@"', coordinates)
    return { raw: text, contentType: 'application/json' }
  }
  return [
    ...transportCases(method, route),
    c('a JSON array body', { body: [school], names: /body/ }),
    c('a JSON string body', { raw: '"school"', contentType: 'application/json', names: /body/ }),
    c('null', { raw: 'null', contentType: 'application/json', names: /body/ }),
    c('students as a string', { body: props({ students: '5' }), names: /students/ }),
    c('students negative', { body: props({ students: -1 }), names: /students/ }),
    c('students fractional', { body: props({ students: 1.5 }), names: /students/ }),
    c('boarding as "yes"', { body: props({ boarding: 'yes' }), names: /boarding/ }),
    c('an unknown property', { body: props({ colour: 'red' }), names: /colour/ }),
    c('an unknown schoolType', { body: props({ schoolType: 'university' }), names: /schoolType/ }),
    c('a five-digit countyCode', { body: props({ countyCode: '64040' }), names: /countyCode/ }),
    c('a SQL-looking countyCode', { body: props({ countyCode: "640402' or '1'='1" }), names: /countyCode/ }),
    c('an empty name', { body: props({ name: '' }), names: /name/ }),
    c('a 201-character name', { body: props({ name: '校'.repeat(201) }), names: /name/ }),
    c('a name with a NUL character', { body: props({ name: 'a\u0000b' }), names: /name/ }),
    c('February 30th', { body: props({ openedOn: '2023-02-30' }), names: /openedOn/ }),
    c('a date in another format', { body: props({ openedOn: '01/09/2001' }), names: /openedOn/ }),
    c('a gate 1 km away', { body: props({ gates: [offset(CENTER, 0, 4000)] }), names: /gates\/0/ }),
    c('a gate of one number', { body: props({ gates: [[106.2]] }), names: /gates\/0/ }),
    c('51 gates', { body: props({ gates: Array.from({ length: 51 }, () => [GUYUAN.lon, GUYUAN.lat + 0.027]) }), names: /gates/ }),
    c('a Point campus', { body: geom({ type: 'Point', coordinates: [106.2, 36] }), names: /geometry/ }),
    c('a geometry without coordinates', { body: geom({ type: 'Polygon' }), names: /geometry/ }),
    c('a geometry with extra members', {
      body: geom({ type: 'Polygon', coordinates: [rectangle(CENTER)], crs: 'EPSG:3857' }),
      names: /geometry\/crs/,
    }),
    c('a self-intersecting ring', { body: geom(fixture('bowtie')), names: /geometry\/coordinates\/0/ }),
    c('an unclosed ring', { body: geom(fixture('unclosed-ring')), names: /geometry\/coordinates\/0/ }),
    c('a 3-position ring', { body: geom(fixture('three-position-ring')), names: /geometry\/coordinates\/0/ }),
    c('a zero-width spike', { body: geom(fixture('spike')), names: /geometry\/coordinates\/0/ }),
    c('a 6 km² campus', { body: geom(fixture('huge-6km2')), names: /geometry\/coordinates/ }),
    c('a 50 m² campus', { body: geom({ type: 'Polygon', coordinates: [rectangle(CENTER, 10, 5)] }), names: /geometry\/coordinates/ }),
    c('longitude 200', { body: geom(fixture('lon-200')), names: /geometry\/coordinates\/0\/2\/0/ }),
    c('latitude 91', {
      body: geom({
        type: 'Polygon',
        coordinates: [
          [
            [106.2, 36],
            [106.21, 36],
            [106.21, 91],
            [106.2, 36],
          ],
        ],
      }),
      names: /geometry\/coordinates\/0\/2\/1/,
    }),
    c('coordinates as strings', { body: geom(fixture('string-coordinates')), names: /geometry\/coordinates\/0\/1\/0/ }),
    c('1e309 (Infinity) as a longitude', {
      ...rawGeometry('[[[1e309, 36], [106.21, 36], [106.21, 36.01], [1e309, 36]]]'),
      names: /geometry\/coordinates\/0\/0\/0/,
    }),
    c('-1e309 as a latitude', {
      ...rawGeometry('[[[106.2, -1e309], [106.21, 36], [106.21, 36.01], [106.2, -1e309]]]'),
      names: /geometry\/coordinates\/0\/0\/1/,
    }),
    c('10,001 vertices', { body: geom({ type: 'Polygon', coordinates: [circle(10_001)] }), names: /geometry\/coordinates/ }),
    c('coordinates nested 50,000 deep', { ...rawGeometry(deepArray(50_000)), names: /geometry\/coordinates/ }),
    c('200,000 empty rings', { ...rawGeometry(`[${Array(200_000).fill('[]').join(',')}]`), names: /geometry\/coordinates/ }),
    c('an unknown crs', { body: method === 'post' ? school : { properties: { name: 'x' } }, names: /crs/, ...{ query: 'crs=epsg3857' } }),
    ...(method === 'post'
      ? [
          c('a FeatureCollection instead of a Feature', {
            body: { type: 'FeatureCollection', features: [school] },
            names: /type|features/,
          }),
          c('no properties', { body: { type: 'Feature', geometry: school.geometry }, names: /properties/ }),
          c('a missing required property', { body: { ...school, properties: { ...school.properties, name: undefined } }, names: /name/ }),
          c('an unknown top-level member', { body: { ...school, owner: 'x' }, names: /owner/ }),
        ]
      : [
          c('an empty patch', { body: {}, names: /body/ }),
          c('version 0', { body: { version: 0, properties: { name: 'x' } }, names: /version/ }),
          c('version as a string', { body: { version: '1', properties: { name: 'x' } }, names: /version/ }),
          c('a whole Feature as a patch', { body: school, names: /type/ }),
        ]),
  ]
}

function premisesBodyCases(method: 'post' | 'patch', route: () => string): Case[] {
  const premises = premisesFeature({ licenceNo: 'NEVER-STORED' })
  const props = (properties: Record<string, unknown>) => (method === 'post' ? withProperties(premises, properties) : { properties })
  const geom = (geometry: unknown) => (method === 'post' ? withGeometry(premises, geometry) : { geometry })
  const rawPoint = (coordinates: string) => ({
    raw: JSON.stringify(geom({ type: 'Point', coordinates: '@' })).replace('"@"', coordinates),
    contentType: 'application/json',
  })
  const c = (label: string, rest: Omit<Case, 'label' | 'method' | 'path'>): Case => ({ label, method, path: route, ...rest })
  return [
    ...transportCases(method, route),
    c('a JSON array body', { body: [premises], names: /body/ }),
    c('an unknown category', { body: props({ category: 'casino' }), names: /category/ }),
    c('an unknown licenceStatus', { body: props({ licenceStatus: 'pending' }), names: /licenceStatus/ }),
    c('an unknown property', { body: props({ owner: 'x' }), names: /owner/ }),
    c('licenceNo as a number', { body: props({ licenceNo: 12345 }), names: /licenceNo/ }),
    c('an empty licenceNo', { body: props({ licenceNo: '' }), names: /licenceNo/ }),
    c('a licence taken by another premises', { body: props({ licenceNo: 'FIXTURE-2', name: 'x' }), names: /licenceNo/, status: 409 }),
    c('expiry before licence date', { body: props({ licensedOn: '2024-05-01', expiresOn: '2024-04-30' }), names: /expiresOn/ }),
    c('a NUL in the address', { body: props({ address: 'x\u0000y' }), names: /address/ }),
    c('a Polygon instead of a Point', { body: geom({ type: 'Polygon', coordinates: [rectangle(CENTER)] }), names: /geometry/ }),
    c('a Point with one number', { body: geom({ type: 'Point', coordinates: [106.2] }), names: /geometry\/coordinates/ }),
    c('a Point with four numbers', { body: geom({ type: 'Point', coordinates: [106.2, 36, 1, 2] }), names: /geometry\/coordinates/ }),
    c('longitude 200', { body: geom({ type: 'Point', coordinates: [200, 36] }), names: /geometry\/coordinates\/0/ }),
    c('latitude -91', { body: geom({ type: 'Point', coordinates: [106.2, -91] }), names: /geometry\/coordinates\/1/ }),
    c('a null longitude', { body: geom({ type: 'Point', coordinates: [null, 36] }), names: /geometry\/coordinates\/0/ }),
    c('1e309 as a longitude', { ...rawPoint('[1e309, 36]'), names: /geometry\/coordinates\/0/ }),
    c('coordinates nested 50,000 deep', { ...rawPoint(deepArray(50_000)), names: /geometry\/coordinates/ }),
    ...(method === 'post'
      ? [
          c('no geometry', { body: { type: 'Feature', properties: premises.properties }, names: /geometry/ }),
          c('geometry null', { body: { ...premises, geometry: null }, names: /geometry/ }),
        ]
      : [c('an empty patch', { body: {}, names: /body/ })]),
  ]
}

function idCases(method: 'patch' | 'delete', kind: 'schools' | 'premises'): Case[] {
  const body = method === 'patch' ? { properties: { name: '不存在' } } : undefined
  const what = kind === 'schools' ? 'school' : 'premises'
  return [
    { label: 'an unknown id', method, path: () => `/api/${kind}/999999`, body, names: new RegExp(`${what} 999999`), status: 404 },
    { label: 'id 2147483647', method, path: () => `/api/${kind}/2147483647`, body, names: /2147483647/, status: 404 },
    { label: 'id 0', method, path: () => `/api/${kind}/0`, body, names: /id/ },
    { label: 'id -1', method, path: () => `/api/${kind}/-1`, body, names: /id/ },
    { label: "id 'abc'", method, path: () => `/api/${kind}/abc`, body, names: /id/ },
    { label: 'id 1e20', method, path: () => `/api/${kind}/1e20`, body, names: /id/ },
    { label: 'id 2147483648 (beyond integer)', method, path: () => `/api/${kind}/2147483648`, body, names: /id/ },
    { label: 'id 1.5', method, path: () => `/api/${kind}/1.5`, body, names: /id/ },
    { label: 'a SQL-looking id', method, path: () => `/api/${kind}/${encodeURIComponent('1 or 1=1')}`, body, names: /id/ },
  ]
}

function importCases(kind: 'schools' | 'premises'): Case[] {
  const route = () => `/api/import/${kind}`
  const c = (label: string, rest: Omit<Case, 'label' | 'method' | 'path'>): Case => ({ label, method: 'post', path: route, ...rest })
  const good = kind === 'schools' ? schoolFeature({ center: offset(CENTER, 0, 6000) }) : premisesFeature({ licenceNo: 'IMPORT-NEVER' })
  return [
    // A bare array of Features is accepted, so 50,000 nested arrays is one bad row rather than a bad body.
    ...transportCases('post', route, IMPORT_LIMIT)
      .filter((x) => x.label !== 'text/plain')
      .map((x) => (x.label === '50,000 nested arrays' ? { ...x, names: /row 1/ } : x)),
    c('text/plain', { raw: 'name,lon,lat', contentType: 'text/plain', names: /content-type|text\/plain|body/i }),
    c('a bare Feature', { body: good, names: /body/ }),
    c('features not an array', { body: { type: 'FeatureCollection', features: {} }, names: /body/ }),
    c('an empty FeatureCollection', { body: { type: 'FeatureCollection', features: [] }, names: /body/ }),
    c('a feature that is a string', { body: { type: 'FeatureCollection', features: [good, 'x'] }, names: /row 2/ }),
    c('a feature with 1e309', {
      raw: `{"type":"FeatureCollection","features":[${JSON.stringify(good)},${JSON.stringify(good).replace(/"coordinates":\[+[-0-9.]+/, (m) => m.replace(/[-0-9.]+$/, '1e309'))}]}`,
      contentType: 'application/json',
      names: /row 2/,
    }),
    c('a deeply nested feature', {
      raw: `{"type":"FeatureCollection","features":[${deepArray(50_000)}]}`,
      contentType: 'application/json',
      names: /row 1/,
    }),
    c('an unknown crs', { body: { type: 'FeatureCollection', features: [good] }, names: /crs/, ...{ query: 'crs=wgs72' } }),
    c('an unknown query parameter', { body: { type: 'FeatureCollection', features: [good] }, names: /dryRun/, ...{ query: 'dryRun=1' } }),
    c('CSV with an unclosed quote', {
      raw: 'name,category,lon,lat,countyCode\n"x,tobacco_retail,106.2,36,640402\n',
      contentType: 'text/csv',
      names: /body/,
    }),
    c('CSV with a ragged row', {
      raw: 'name,category,lon,lat,countyCode\nx,tobacco_retail,106.2\n',
      contentType: 'text/csv',
      names: /body/,
    }),
    c('CSV with only a header', { raw: 'name,category,lon,lat,countyCode\n', contentType: 'text/csv', names: /body/ }),
    c('an empty CSV', { raw: '', contentType: 'text/csv', names: /body/ }),
    c('CSV with an unknown column', {
      raw: 'name,category,lon,lat,countyCode,"\'; drop table premises; --"\nx,tobacco_retail,106.2,36,640402,1\n',
      contentType: 'text/csv',
      names: /header/,
    }),
    ...(kind === 'premises'
      ? [
          c('CSV with lon 1e309', {
            raw: 'name,category,lon,lat,countyCode\nx,tobacco_retail,1e309,36,640402\n',
            contentType: 'text/csv',
            names: /row 1 \/geometry\/coordinates\/0: .*finite/,
          }),
          c('CSV with lat NaN', {
            raw: 'name,category,lon,lat,countyCode\nx,tobacco_retail,106.2,NaN,640402\n',
            contentType: 'text/csv',
            // NaN is not written in decimal digits: it stays text, refused as such.
            names: /row 1 \/geometry\/coordinates\/1: .*(finite|must be a number)/,
          }),
          c('CSV without lat', {
            raw: 'name,category,lon,countyCode\nx,tobacco_retail,106.2,640402\n',
            contentType: 'text/csv',
            names: /row 1 lon\/lat/,
          }),
          c('CSV with an unknown crs', {
            raw: 'name,category,lon,lat,countyCode,crs\nx,tobacco_retail,106.2,36,640402,wgs72\n',
            contentType: 'text/csv',
            names: /row 1 .*crs/,
          }),
        ]
      : [
          c('CSV with a geometry that is not JSON', {
            raw: 'name,schoolType,countyCode,geometry\nx,primary,640402,POLYGON((1 2))\n',
            contentType: 'text/csv',
            names: /row 1/,
          }),
          c('CSV with gates nested 50,000 deep', {
            raw: `name,schoolType,countyCode,gates\nx,primary,640402,"${deepArray(50_000)}"\n`,
            contentType: 'text/csv',
            names: /row 1/,
          }),
        ]),
  ]
}

function userCases(): Case[] {
  const route = () => '/api/users'
  const good = { username: 'valid_user', password: 'a long enough password', department: 'culture', role: 'clerk' }
  const c = (label: string, rest: Omit<Case, 'label' | 'method' | 'path'>): Case => ({ label, method: 'post', path: route, ...rest })
  return [
    ...transportCases('post', route),
    c('a short password', { body: { ...good, password: 'short' }, names: /password/ }),
    c('a SQL-looking username', { body: { ...good, username: "'; drop table users; --" }, names: /username/ }),
    c('a username with spaces', { body: { ...good, username: 'has space' }, names: /username/ }),
    c('an unknown department', { body: { ...good, department: 'army' }, names: /department/ }),
    c('an unknown role', { body: { ...good, role: 'root' }, names: /role/ }),
    c('admin role outside admin department', { body: { ...good, role: 'admin' }, names: /role/ }),
    c('a bad countyCode', { body: { ...good, countyCode: '6404' }, names: /countyCode/ }),
    c('an extra field', { body: { ...good, isAdmin: true }, names: /isAdmin/ }),
    c('a password hash smuggled in', { body: { ...good, passwordHash: '$argon2id$...' }, names: /passwordHash/ }),
    c('demo: true', { body: { ...good, demo: true }, names: /demo/ }),
    c('the password as a number', { body: { ...good, password: 12345678901 }, names: /password/ }),
    c('a taken username', { body: { ...good, username: 'taken_name' }, names: /taken_name|username|exists/, status: 409 }),
  ]
}

function loginCases(): Case[] {
  const route = () => '/api/auth/login'
  const anonymous = () => t.request()
  const c = (label: string, rest: Omit<Case, 'label' | 'method' | 'path'>): Case => ({
    label,
    method: 'post',
    path: route,
    agent: anonymous,
    ...rest,
  })
  return [
    ...transportCases('post', route, undefined, anonymous),
    c('no password', { body: { username: 'x' }, names: /password/ }),
    c('the username as a number', { body: { username: 1, password: 'x' }, names: /username/ }),
    c('an array for a password', { body: { username: 'x', password: ['a', 'b'] }, names: /password/ }),
    c('an extra field', { body: { username: 'x', password: 'y', remember: true }, names: /remember/ }),
    c('a 65-character username', { body: { username: 'u'.repeat(65), password: 'y' }, names: /username/ }),
    c('a SQL-looking username', {
      body: { username: "admin' or '1'='1", password: "' or ''='" },
      names: /username or password/,
      status: 401,
    }),
    c('a NUL in the username', { body: { username: 'ad\u0000min', password: 'x' }, names: /username/ }),
  ]
}

function logoutCases(): Case[] {
  const route = () => '/api/auth/logout'
  const c = (label: string, rest: Omit<Case, 'label' | 'method' | 'path'>): Case => ({
    label,
    method: 'post',
    path: route,
    agent: () => leaver,
    ...rest,
  })
  return [
    c('malformed JSON', { raw: '{"a":', contentType: 'application/json', names: /^body: / }),
    c('a body over the limit', { raw: big(1024 * 1024 + 1024), contentType: 'application/json', names: /^body: /, status: 413 }),
    c('multipart/form-data', {
      raw: '--b\r\n\r\n--b--\r\n',
      contentType: 'multipart/form-data; boundary=b',
      names: /content-type|multipart/i,
      status: 415,
    }),
    c('no session', { agent: () => t.request(), names: /sign in/, status: 401 }),
    c('an unknown field', { body: { everywhere: true }, names: /body\/everywhere: is not a known field/ }),
    c('an array body', { body: [1], names: /^body: must be object/ }),
    c('a JSON string', { raw: '"bye"', contentType: 'application/json', names: /^body: must be object/ }),
  ]
}

function auditStartCases(): Case[] {
  const route = () => '/api/audits'
  const c = (label: string, rest: Omit<Case, 'label' | 'method' | 'path'>): Case => ({ label, method: 'post', path: route, ...rest })
  return [
    c('an unknown field', { body: { schools: [1] }, names: /body\/schools: is not a known field/ }),
    c('malformed JSON', { raw: '{', contentType: 'application/json', names: /^body: / }),
  ]
}

const corpus: [string, Case[]][] = [
  ['POST /api/schools', schoolBodyCases('post', () => '/api/schools')],
  ['PATCH /api/schools/:id', [...schoolBodyCases('patch', () => `/api/schools/${schoolId}`), ...idCases('patch', 'schools')]],
  ['DELETE /api/schools/:id', idCases('delete', 'schools')],
  ['POST /api/premises', premisesBodyCases('post', () => '/api/premises')],
  ['PATCH /api/premises/:id', [...premisesBodyCases('patch', () => `/api/premises/${premisesId}`), ...idCases('patch', 'premises')]],
  ['DELETE /api/premises/:id', idCases('delete', 'premises')],
  ['POST /api/import/schools', importCases('schools')],
  ['POST /api/import/premises', importCases('premises')],
  ['POST /api/users', userCases()],
  ['POST /api/auth/login', loginCases()],
  ['POST /api/auth/logout', logoutCases()],
  ['POST /api/audits', auditStartCases()],
]

async function send(testCase: Case & { query?: string }) {
  const agent = testCase.agent?.() ?? admin
  const url = testCase.query ? `${testCase.path()}?${testCase.query}` : testCase.path()
  let request = agent[testCase.method](url)
  if (testCase.raw !== undefined)
    return request.set('Content-Type', testCase.contentType ?? 'application/json').send(testCase.raw as string)
  if (testCase.body !== undefined) request = request.send(testCase.body as object)
  return request
}

describe('hostile input', () => {
  beforeAll(async () => {
    await admin
      .post('/api/users')
      .send({ username: 'taken_name', password: 'a long enough password', department: 'culture', role: 'clerk' })
      .expect(201)
    counts = await countAll()
  })

  for (const [route, cases] of corpus) {
    describe(route, () => {
      it.each(cases.map((c) => [c.label, c] as const))('%s → 4xx naming the field', async (_label, testCase) => {
        const response = await send(testCase)
        expect(response.status, `${response.status} ${JSON.stringify(response.body)}`).toBeGreaterThanOrEqual(400)
        expect(response.status, JSON.stringify(response.body)).toBeLessThan(500)
        if (testCase.status) expect(response.status, JSON.stringify(response.body)).toBe(testCase.status)
        expectErrorBody(response, response.status)
        expect(Object.keys(response.body).sort()).toEqual(expect.arrayContaining(['code', 'error', 'message', 'statusCode']))
        expect(response.body.message).toMatch(testCase.names)
      })
    })
  }
})

describe('after the corpus', () => {
  it('still answers /health with 200', async () => {
    await t.request().get('/health').expect(200)
  })

  it('wrote nothing: schools, premises, users, sessions and audit entries are unchanged', async () => {
    expect(await countAll()).toEqual(counts)
    const school = await admin.get(`/api/schools/${schoolId}`).expect(200)
    expect(school.body.properties.version).toBe(1)
    const premises = await admin.get(`/api/premises/${premisesId}`).expect(200)
    expect(premises.body.properties.version).toBe(1)
  })

  it('kept the sessions of the signed-in users', async () => {
    await admin.get('/api/auth/me').expect(200)
    await leaver.get('/api/auth/me').expect(200)
  })

  it('stores a SQL-looking name verbatim, never executing it', async () => {
    const created = await admin
      .post('/api/schools')
      .send(schoolFeature({ center: offset(CENTER, 0, 9000), name: SQL }))
      .expect(201)
    const read = await admin.get(`/api/schools/${created.body.id}`).expect(200)
    expect(read.body.properties.name).toBe(SQL)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from schools`.execute(t.app.db)
    expect(rows[0]!.n).toBe(counts.schools + 1)
  })

  it('refuses a NUL character in a search, naming the parameter', async () => {
    const response = await admin.get('/api/schools').query({ q: 'a\u0000b' })
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toContain('q')
  })

  it('searches for a SQL-looking string as plain text', async () => {
    const response = await admin.get('/api/schools').query({ q: SQL }).expect(200)
    expect(response.body.features.map((f: { properties: { name: string } }) => f.properties.name)).toEqual([SQL])
    const wildcard = await admin.get('/api/schools').query({ q: '%' }).expect(200)
    expect(wildcard.body.numberMatched).toBe(0)
  })

  it('stores SQL-looking premises names and licence numbers from a CSV import verbatim', async () => {
    const name = `"x'); delete from premises; --"`
    const response = await admin
      .post('/api/import/premises')
      .set('Content-Type', 'text/csv')
      .send(`name,category,licenceNo,countyCode,lon,lat\n${name},tobacco_retail,"1' or '1'='1",640402,106.2,36\n`)
      .expect(201)
    const read = await admin.get(`/api/premises/${response.body.ids[0]}`).expect(200)
    expect(read.body.properties).toMatchObject({ name: "x'); delete from premises; --", licenceNo: "1' or '1'='1" })
    expect((await countAll()).premises).toBe(counts.premises + 1)
  })

  it('still signs in and answers /health after everything', async () => {
    const { agent } = await t.signIn({ department: 'education', role: 'clerk', username: 'after_corpus' })
    await agent.get('/api/schools').expect(200)
    await t.request().post('/api/auth/login').send({ username: 'after_corpus', password: TEST_PASSWORD }).expect(200)
    const health = await t.request().get('/health').expect(200)
    expect(health.body.status).toBe('ok')
  })
})
