/**
 * POST /api/check/batch answers every point exactly as POST /api/check does (verdict, position, nearest
 * conflicting school, its distance to 0.1 m, band, rule and version, number of conflicts), for thousands of
 * points placed 1–30 cm either side of the 200 m and 50 m edges of campuses and gates (GeographicLib's direct
 * problem) and at random, under straight rules and after a rule switches to walking distance; bad points are
 * answered in their place; CSV in and out; limits; access; the server keeps answering during a 100,000-point batch.
 */
import http from 'node:http'
import { parse as parseCsv } from 'csv-parse/sync'
import ExcelJS from 'exceljs'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SchoolFeature } from '../../scripts/demo/features.ts'
import { generateRegistry } from '../../scripts/demo/generator.ts'
import { loadReferenceData } from '../../scripts/demo/reference.ts'
import { DATA_DIR } from '../../server/modules/reference/load.ts'
import { direct, offCorner, offEdge, prng, type LonLat } from '../factories/geodesic.ts'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let tobacco: TestAgent
let governance: TestAgent
let tobaccoCookie: string

/** A 6.3 × 5.5 km part of Guyuan, covered by a street grid (100 m) so that walking rules have roads to walk. */
const BBOX: [number, number, number, number] = [106.2, 35.98, 106.27, 36.03]

type Point = { id: string; lon: number; lat: number }
type Line = Record<string, unknown>

/** Points 1–30 cm either side of 200 m and 50 m from campus edges and gates, and random points over the box. */
function edgePoints(schools: SchoolFeature[], random: () => number): Point[] {
  const out: Point[] = []
  const add = ([lon, lat]: LonLat) => out.push({ id: `p${out.length}`, lon, lat })
  const off = () => (random() < 0.5 ? -1 : 1) * (0.01 + 0.29 * random())
  for (const school of schools) {
    const polygons = school.geometry.type === 'Polygon' ? [school.geometry.coordinates] : school.geometry.coordinates
    const ring = polygons[0]![0]!
    // Generated rings are counter-clockwise: right of travel is outside.
    for (const radius of [200, 200, 200, 200, 200, 200, 50, 50, 50]) {
      const i = Math.floor(random() * (ring.length - 1))
      add(offEdge(ring[i]!, ring[i + 1]!, 0.2 + 0.6 * random(), radius + off(), 'right').point)
    }
    for (let n = 0; n < 3; n += 1) {
      const i = 1 + Math.floor(random() * (ring.length - 2))
      add(offCorner(ring[i - 1]!, ring[i]!, ring[i + 1]!, 200 + off()))
    }
    for (const gate of school.properties.gates)
      for (const radius of [200, 200, 200, 50, 50]) add(direct(gate, 360 * random(), radius + off()))
  }
  for (let i = 0; i < 500; i += 1) add([BBOX[0] + (BBOX[2] - BBOX[0]) * random(), BBOX[1] + (BBOX[3] - BBOX[1]) * random()])
  return out
}

/** A street grid over the box, every 100 m, sharing a vertex at each crossing (so the streets connect). */
function streetGrid() {
  const [w, s, e, n] = BBOX
  const dLon = 100 / (111_320 * Math.cos((36 * Math.PI) / 180))
  const dLat = 100 / 110_950
  const lons: number[] = []
  const lats: number[] = []
  for (let lon = w - dLon; lon <= e + dLon; lon += dLon) lons.push(lon)
  for (let lat = s - dLat; lat <= n + dLat; lat += dLat) lats.push(lat)
  const features = [
    ...lats.map((lat, i) => ({ name: `横街${i}`, coordinates: lons.map((lon) => [lon, lat]) })),
    ...lons.map((lon, i) => ({ name: `纵街${i}`, coordinates: lats.map((lat) => [lon, lat]) })),
  ].map(({ name, coordinates }) => ({
    type: 'Feature',
    properties: { highway: 'residential', name },
    geometry: { type: 'LineString', coordinates },
  }))
  return { type: 'FeatureCollection', features }
}

/** Reads an NDJSON answer. */
const ndjson = (text: string): Line[] =>
  text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Line)

/** The answer read whole as text, whatever its type. */
const asText = <R extends { body: unknown }>(response: R) => Object.assign(response, { text: (response.body as Buffer).toString('utf8') })
async function batch(agent: TestAgent, body: unknown, accept?: string) {
  const request = agent.post('/api/check/batch').set('content-type', 'application/json')
  if (accept) request.set('accept', accept)
  return asText(await request.buffer(true).parse(bytesParser).send(JSON.stringify(body)))
}
/** A Supertest parser keeping the body as bytes (superagent's own parsers would not know NDJSON or XLSX). */
function bytesParser(response: unknown, callback: (error: Error | null, body: Buffer) => void) {
  const parts: Buffer[] = []
  const stream = response as NodeJS.ReadableStream
  stream.on('data', (part: Buffer) => parts.push(part))
  stream.on('end', () => callback(null, Buffer.concat(parts)))
}

/** Every point checked one by one through POST /api/check, four at a time. */
async function singleChecks(points: readonly Point[], category: string): Promise<Line[]> {
  const answers: Line[] = new Array(points.length)
  let next = 0
  const worker = async () => {
    for (let i = next++; i < points.length; i = next++) {
      const { lon, lat } = points[i]!
      const response = await tobacco.post('/api/check').send({ lon, lat, category })
      expect(response.status, JSON.stringify(response.body)).toBe(200)
      answers[i] = response.body as Line
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()])
  return answers
}

/** What the batch line for a point must be, from the single check's full answer. */
function expectedLine(id: string, single: Line): Line {
  const conflicts = single.conflicts as Line[]
  const nearest = conflicts[0]
  return {
    id,
    verdict: single.verdict,
    location: single.location,
    conflict: nearest
      ? {
          schoolId: nearest.schoolId,
          schoolName: nearest.schoolName,
          distanceM: nearest.distanceM,
          band: nearest.band,
          ruleId: nearest.ruleId,
          ruleVersion: nearest.ruleVersion,
        }
      : null,
    conflictCount: conflicts.length,
  }
}

let points: Point[] = []
beforeAll(async () => {
  t = await startTestApp()
  const education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  const signedIn = await t.signIn({ username: 'batch_tobacco', department: 'tobacco', role: 'clerk' })
  tobacco = signedIn.agent
  const login = await t
    .request()
    .post('/api/auth/login')
    .set('Origin', t.url)
    .send({ username: 'batch_tobacco', password: TEST_PASSWORD })
    .expect(200)
  tobaccoCookie = String(login.headers['set-cookie']![0]).split(';')[0]!
  const set = generateRegistry({ schools: 90, premises: 0, seed: 15_0001, bbox: BBOX }, loadReferenceData(DATA_DIR))
  const schools = await education
    .post('/api/import/schools')
    .send({ type: 'FeatureCollection', features: set.schools.map((f) => ({ ...f, properties: { ...f.properties, demo: undefined } })) })
  expect(schools.status, JSON.stringify(schools.body).slice(0, 2000)).toBe(201)
  await governance.post('/api/import/roads?source=batch-grid').send(streetGrid()).expect(201)
  points = edgePoints(set.schools, prng(15_0002))
})
afterAll(async () => {
  await t?.close()
})

/** The batch's lines for the points equal the single checks', point by point; the points lie on both sides of the edges. */
async function expectSameAsSingleChecks(category: string) {
  const response = await batch(tobacco, { category, points })
  expect(response.status, response.text.slice(0, 500)).toBe(200)
  expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/)
  const lines = ndjson(response.text)
  const singles = await singleChecks(points, category)
  expect(lines.length).toBe(points.length)
  const differing = lines.filter((line, i) => JSON.stringify(line) !== JSON.stringify(expectedLine(points[i]!.id, singles[i]!)))
  expect(differing.slice(0, 5), `${differing.length} of ${lines.length} points differ`).toEqual([])
  const prohibited = lines.filter((l) => l.verdict === 'prohibited').length
  expect(prohibited).toBeGreaterThan(100)
  expect(points.length - prohibited).toBeGreaterThan(100)
  return singles
}
const limitEdge = (singles: Line[]) =>
  singles.flatMap((s) => (s.conflicts as Line[]).map((c) => c.distanceM as number)).filter((d) => d >= 199.7).length

describe('the same verdicts and distances as POST /api/check', () => {
  it('has thousands of points, hundreds within 30 cm of a 200 m or 50 m edge', () => {
    expect(points.length).toBeGreaterThan(2000)
  })

  it('measured from the campus boundary (the default rules)', { timeout: 1_500_000 }, async () => {
    const singles = await expectSameAsSingleChecks('tobacco_retail')
    expect(limitEdge(singles)).toBeGreaterThan(100)
  })

  it('measured from the gates (lottery rules switched to origin gates)', { timeout: 1_500_000 }, async () => {
    const rules = (await governance.get('/api/rules?category=lottery_outlet').expect(200)).body.rules as { id: number }[]
    for (const rule of rules) await governance.put(`/api/rules/${rule.id}`).send({ origin: 'gates', reason: '从校门起算' }).expect(200)
    const singles = await expectSameAsSingleChecks('lottery_outlet')
    expect(singles.filter((s) => (s.conflicts as Line[]).some((c) => c.origin === 'gates')).length).toBeGreaterThan(100)
    expect(limitEdge(singles)).toBeGreaterThan(50)
  })

  it('under a walking rule (tobacco × primary switched to the walk from the gates)', { timeout: 1_500_000 }, async () => {
    const rules = await governance.get('/api/rules?category=tobacco_retail&schoolType=primary').expect(200)
    const rule = rules.body.rules[0]
    await governance.put(`/api/rules/${rule.id}`).send({ origin: 'gates', path: 'walking', reason: '按步行距离核查' }).expect(200)
    try {
      const singles = await expectSameAsSingleChecks('tobacco_retail')
      const walked = singles.filter((s) => (s.conflicts as Line[]).some((c) => c.path === 'walking' && c.measuredBy === 'network'))
      expect(walked.length, 'some conflicts are measured on the street grid').toBeGreaterThan(20)
    } finally {
      await governance.put(`/api/rules/${rule.id}`).send({ origin: 'campus', path: 'straight', reason: '恢复直线距离' }).expect(200)
    }
  })
})

describe('answers', () => {
  it('keep the input order over many chunks, duplicates and CRS intake included', async () => {
    const many = Array.from({ length: 6000 }, (_, i) => ({
      id: `n${i}`,
      lon: points[i % points.length]!.lon,
      lat: points[i % points.length]!.lat,
    }))
    const response = await batch(tobacco, { category: 'tobacco_retail', points: many })
    const lines = ndjson(response.text)
    expect(lines.map((l) => l.id)).toEqual(many.map((p) => p.id))
    for (let i = points.length; i < many.length; i += 997)
      expect({ ...lines[i], id: 'x' }).toEqual({ ...lines[i % points.length], id: 'x' })

    const gcj = await batch(tobacco, { category: 'tobacco_retail', crs: 'gcj02', points: [{ id: 1, lon: 106.2445, lat: 36.0139 }] })
    const single = await tobacco
      .post('/api/check')
      .send({ lon: 106.2445, lat: 36.0139, crs: 'gcj02', category: 'tobacco_retail' })
      .expect(200)
    expect(ndjson(gcj.text)).toEqual([expectedLine('x', single.body)].map((l) => ({ ...l, id: 1 })))
  })

  it('answer a bad point with its error in its place and go on', async () => {
    const good = points[0]!
    const body = {
      category: 'tobacco_retail',
      points: [
        { id: 'a', lon: good.lon, lat: good.lat },
        { id: 'b', lon: 200, lat: 36 },
        { lon: good.lon, lat: good.lat },
        { id: 'd', lon: 'NaN', lat: 36 },
        { id: 'e', lon: 106.2, lat: -91 },
        { id: 'f', lon: 106.2, lat: 36, colour: 'red' },
        'not a point',
        { id: 'x'.repeat(101), lon: 106.2, lat: 36 },
        { id: 'i', lon: 106.2 },
        { id: 'j', lon: good.lon, lat: good.lat },
      ],
    }
    const response = await batch(tobacco, body)
    expect(response.status).toBe(200)
    const lines = ndjson(response.text)
    expect(lines.map((l) => [l.id, (l.error as Line | undefined)?.field ?? l.verdict])).toEqual([
      ['a', lines[0]!.verdict],
      ['b', 'lon'],
      [null, 'id'],
      ['d', 'lon'],
      ['e', 'lat'],
      ['f', 'colour'],
      [null, 'point'],
      ['x'.repeat(100), 'id'],
      ['i', 'lat'],
      ['j', lines[0]!.verdict],
    ])
    expect(lines[1]!.error).toEqual({ field: 'lon', message: 'must be between -180 and 180 (got 200)' })
    expect(lines[8]!.error).toEqual({ field: 'lat', message: 'is required' })
    expect({ ...lines[9], id: 'a' }).toEqual(lines[0])
  })

  it('take a CSV upload (category per row or for the file) and answer CSV with a BOM when asked', async () => {
    const rows = points.slice(0, 40)
    const csv = [
      'ID,Lon,Lat,category,name',
      ...rows.map((p, i) => `${p.id},${p.lon},${p.lat},${i % 2 ? 'internet_cafe' : ''},"店, ${i}"`),
      'bad1,106.2,36.0,cinema,x',
      'bad2,abc,36.0,,x',
      'bad3,106.2,,,x',
      ',106.2,36.0,,x',
    ].join('\r\n')
    const upload = (accept?: string) => {
      const request = tobacco.post('/api/check/batch?category=tobacco_retail').set('content-type', 'text/csv')
      if (accept) request.set('accept', accept)
      return request.buffer(true).parse(bytesParser).send(`\uFEFF${csv}`).then(asText)
    }
    const response = await upload()
    expect(response.status, response.text.slice(0, 300)).toBe(200)
    const lines = ndjson(response.text)
    const tobaccoLines = ndjson((await batch(tobacco, { category: 'tobacco_retail', points: rows })).text)
    const cafeLines = ndjson((await batch(tobacco, { category: 'internet_cafe', points: rows })).text)
    expect(lines.slice(0, 40)).toEqual(rows.map((_, i) => (i % 2 ? cafeLines[i] : tobaccoLines[i])))
    expect(lines.slice(40).map((l) => [l.id, (l.error as Line).field])).toEqual([
      ['bad1', 'category'],
      ['bad2', 'lon'],
      ['bad3', 'lat'],
      [null, 'id'],
    ])

    const asCsv = await upload('text/csv')
    expect(asCsv.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/)
    expect(asCsv.headers['content-disposition']).toMatch(/^attachment; filename="check-batch-.*\.csv"$/)
    expect(asCsv.text.charCodeAt(0)).toBe(0xfeff)
    const table = parseCsv(asCsv.text.slice(1), { columns: true }) as Record<string, string>[]
    expect(table.length).toBe(44)
    table.forEach((row, i) => {
      const line = lines[i]!
      const conflict = line.conflict as Line | null | undefined
      expect(row.id).toBe(String(line.id ?? ''))
      expect(row.verdict).toBe(String(line.verdict ?? ''))
      if (line.location) expect([Number(row.lon), Number(row.lat)]).toEqual([(line.location as Line).lon, (line.location as Line).lat])
      expect(row.schoolId).toBe(conflict ? String(conflict.schoolId) : '')
      expect(row.distanceM).toBe(conflict ? String(conflict.distanceM) : '')
      expect(row.errorField).toBe(String((line.error as Line | undefined)?.field ?? ''))
    })
  })

  it('answer XLSX when asked, the same rows', async () => {
    const rows = points.slice(0, 30)
    const response = await tobacco
      .post('/api/check/batch')
      .set('accept', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .buffer(true)
      .parse(bytesParser)
      .send({ category: 'tobacco_retail', points: rows })
    expect(response.status).toBe(200)
    const workbook = new ExcelJS.Workbook()
    await workbook.xlsx.load(response.body as ArrayBuffer)
    const sheet = workbook.worksheets[0]!
    expect(sheet.getRow(1).values).toEqual([
      undefined,
      'id',
      'verdict',
      'lon',
      'lat',
      'schoolId',
      'schoolName',
      'distanceM',
      'band',
      'ruleId',
      'ruleVersion',
      'conflictCount',
      'errorField',
      'errorMessage',
    ])
    const lines = ndjson((await batch(tobacco, { category: 'tobacco_retail', points: rows })).text)
    expect(sheet.rowCount).toBe(31)
    lines.forEach((line, i) => {
      const row = sheet.getRow(i + 2)
      expect(row.getCell(1).value).toBe(line.id)
      expect(row.getCell(2).value).toBe(line.verdict)
      expect(row.getCell(7).value).toBe((line.conflict as Line | null)?.distanceM ?? null)
    })
  })
})

describe('refused as a whole', () => {
  it('a body that is not JSON, or of the wrong shape, is a 400 naming the field', async () => {
    const notJson = await tobacco.post('/api/check/batch').set('content-type', 'application/json').send('{"category":')
    expectErrorBody(notJson, 400, 'INVALID_JSON')
    const noPoints = await tobacco.post('/api/check/batch').send({ category: 'tobacco_retail' })
    expectErrorBody(noPoints, 400, 'VALIDATION_FAILED')
    expect(noPoints.body.details.problems).toContainEqual({ field: 'body/points', message: 'is required' })
    const notArray = await tobacco.post('/api/check/batch').send({ category: 'tobacco_retail', points: {} })
    expect(notArray.body.details.problems[0].field).toBe('body/points')
    const badCategory = await tobacco.post('/api/check/batch').send({ category: 'cinema', points: [] })
    expect(badCategory.body.details.problems[0].field).toBe('body/category')
    const extra = await tobacco.post('/api/check/batch').send({ category: 'tobacco_retail', points: [], colour: 1 })
    expect(extra.body.details.problems).toContainEqual({ field: 'body/colour', message: 'is not a known field' })
    const text = await tobacco.post('/api/check/batch').set('content-type', 'application/json').send('"id,lon,lat"')
    expectErrorBody(text, 400, 'VALIDATION_FAILED')
  })

  it('more than 100,000 points is a 400 naming body/points; a body over the route limit is a 413', async () => {
    const tooMany = { category: 'tobacco_retail', points: Array.from({ length: 100_001 }, (_, i) => ({ id: i, lon: 106.2, lat: 36 })) }
    const response = await batch(tobacco, tooMany)
    expect(response.status).toBe(400)
    expect(JSON.parse(response.text).details.problems[0]).toEqual({ field: 'body/points', message: 'must NOT have more than 100000 items' })
    const rows = Array.from({ length: 100_001 }, (_, i) => `${i},106.2,36`).join('\n')
    const csv = await tobacco.post('/api/check/batch?category=tobacco_retail').set('content-type', 'text/csv').send(`id,lon,lat\n${rows}`)
    expectErrorBody(csv, 400, 'VALIDATION_FAILED')
    expect(csv.body.message).toMatch(/^body: holds more than 100000 rows/)
    const huge = await tobacco
      .post('/api/check/batch')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ category: 'tobacco_retail', points: [{ id: 'x'.repeat(33 * 1024 * 1024), lon: 1, lat: 1 }] }))
    expectErrorBody(huge, 413, 'PAYLOAD_TOO_LARGE')
  })

  it('a CSV without the needed columns, or without a category anywhere, is a 400 naming it', async () => {
    const noLon = await tobacco.post('/api/check/batch?category=tobacco_retail').set('content-type', 'text/csv').send('id,lat\n1,36')
    expectErrorBody(noLon, 400, 'VALIDATION_FAILED')
    expect(noLon.body.details.problems).toEqual([{ field: 'body/header/lon', message: 'is a required column' }])
    const noCategory = await tobacco.post('/api/check/batch').set('content-type', 'text/csv').send('id,lon,lat\n1,106.2,36')
    expect(noCategory.body.details.problems).toEqual([
      { field: 'query/category', message: 'is required when the CSV has no category column' },
    ])
    const broken = await tobacco
      .post('/api/check/batch?category=tobacco_retail')
      .set('content-type', 'text/csv')
      .send('id,lon,lat\n1,"106.2,36\n2,1')
    expectErrorBody(broken, 400, 'VALIDATION_FAILED')
  })
})

/** Starts an upload announcing `bytes` but sending only a kilobyte; resolves with the status answered meanwhile. */
function startUpload(announced: number, headers: Record<string, string>): Promise<number> {
  const { port } = new URL(t.url)
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: '127.0.0.1',
      port,
      path: '/api/check/batch',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(announced), origin: t.url, ...headers },
    })
    const timer = setTimeout(() => reject(new Error('no answer while the body was still being sent')), 10_000)
    request.on('response', (response) => {
      clearTimeout(timer)
      resolve(response.statusCode ?? 0)
      response.resume()
      request.destroy()
    })
    request.on('error', reject)
    request.write('{"category":"tobacco_retail","points":[' + ' '.repeat(1024))
  })
}

describe('who may run it', () => {
  it('anonymous is 401 at once, before a 30 MB body is sent', async () => {
    expect(await startUpload(30 * 1024 * 1024, {})).toBe(401)
  })

  it('a department that licenses nothing is 403; licensing departments pass', async () => {
    const police = (await t.signIn({ department: 'police', role: 'clerk' })).agent
    expectErrorBody(await police.post('/api/check/batch').send({ category: 'tobacco_retail', points: [] }), 403, 'FORBIDDEN')
    const market = (await t.signIn({ department: 'market', role: 'viewer' })).agent
    expect((await market.post('/api/check/batch').send({ category: 'tobacco_retail', points: [] })).status).toBe(200)
  })
})

describe('a 100,000-point batch', () => {
  it('streams while the server keeps answering /health', { timeout: 1_500_000 }, async () => {
    const random = prng(15_0003)
    // Over 原州区 and beyond, like a district's shop addresses: some near the schools, most not.
    const many = Array.from({ length: 100_000 }, (_, i) => ({
      id: `big${i}`,
      lon: 106.0 + 0.5 * random(),
      lat: 35.8 + 0.4 * random(),
    }))
    const response = await fetch(`${t.url}/api/check/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: tobaccoCookie, origin: t.url },
      body: JSON.stringify({ category: 'tobacco_retail', points: many }),
    })
    expect(response.status).toBe(200)
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let text = ''
    let linesSeen = 0
    const healthTimes: number[] = []
    let firstLinesAt = -1
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
      linesSeen = text.length - text.replaceAll('\n', '').length
      if (firstLinesAt < 0 && linesSeen > 0) firstLinesAt = linesSeen
      // While the batch runs (not yet all lines out), /health answers.
      if (linesSeen < many.length && healthTimes.length < 5 && linesSeen > healthTimes.length * 15_000) {
        const started = performance.now()
        const health = await fetch(`${t.url}/health`)
        expect(health.status).toBe(200)
        healthTimes.push(performance.now() - started)
      }
    }
    const lines = ndjson(text)
    expect(lines.length).toBe(many.length)
    expect(lines[0]!.id).toBe('big0')
    expect(lines[99_999]!.id).toBe('big99999')
    expect(healthTimes.length, 'health was asked while the batch was streaming').toBeGreaterThanOrEqual(3)
    expect(firstLinesAt, 'the first answers came before the last were decided').toBeLessThan(many.length)
  })
})
