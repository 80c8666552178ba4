/**
 * The point check certificate under a walking rule: the row states the walk along the roads beside the
 * straight distance (or, where the network cannot measure, the straight distance and why), and the drawing
 * carries the route. The text is read back with poppler's pdftotext, as in permits-certificate.test.ts.
 */
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConflictDetail } from '../../server/schemas/zones.ts'
import { GUYUAN, offset, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { binary, pdfText } from '../helpers/pdf.ts'

type Position = [number, number]
/** A part of town of its own, 6 km west of the centre, so that nothing else is in reach. */
const C = offset([GUYUAN.lon, GUYUAN.lat], -6000, 0)
const at = (east: number, north: number): Position => offset(C, east, north)
/** One street with the school's gate just south of it, and a second street 120 m north joined at its east end. */
const STREETS: Position[][] = [
  [-400, -200, 0, 200, 400].map((e) => at(e, 0)),
  [-400, -200, 0, 200, 400].map((e) => at(e, 120)),
  [at(400, 0), at(400, 120)],
]
const GATE = at(0, -15)
/** ~ 140 m on foot along the street. */
const NEAR = at(120, 8)
/** 125 m from the nearest road, 186 m from the gate in a straight line: the straight distance decides. */
const OFF_ROAD = at(-150, -125)

let t: TestApp
let tobacco: TestAgent

beforeAll(async () => {
  t = await startTestApp()
  const governance = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  const roadsClerk = (await t.signIn({ department: 'governance', role: 'clerk' })).agent
  const education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  await roadsClerk
    .post('/api/import/roads?source=certificate-walking')
    .send({
      type: 'FeatureCollection',
      features: STREETS.map((coordinates, i) => ({
        type: 'Feature',
        properties: { highway: 'residential', name: `证书步行街${i}` },
        geometry: { type: 'LineString', coordinates },
      })),
    })
    .expect(201)
  await education
    .post('/api/schools')
    .send(schoolFeature({ center: at(0, -70), name: '步行证书小学', gates: [GATE] }))
    .expect(201)
  const rules = await tobacco.get('/api/rules?category=tobacco_retail&schoolType=primary').expect(200)
  await governance
    .put(`/api/rules/${rules.body.rules[0].id}`)
    .send({ origin: 'gates', path: 'walking', reason: '按校门步行距离' })
    .expect(200)
})
afterAll(async () => {
  await t?.close()
})

const checked = async (point: Position) =>
  (await tobacco.post('/api/check').send({ lon: point[0], lat: point[1], category: 'tobacco_retail' }).expect(200)).body
    .conflicts as ConflictDetail[]
const certificate = async (point: Position) => {
  const response = await tobacco
    .get('/api/check/certificate.pdf')
    .query({ lon: point[0], lat: point[1], category: 'tobacco_retail' })
    .buffer(true)
    .parse(binary)
  expect(response.status).toBe(200)
  expect(response.headers['content-type']).toBe('application/pdf')
  return pdfText(response.body as Buffer)
}

describe('the check certificate under a walking rule', () => {
  it('states the walking distance with the straight one beside it, and the route in the legend', async () => {
    const [conflict] = await checked(NEAR)
    expect(conflict).toMatchObject({ path: 'walking', measuredBy: 'network' })
    expect(conflict!.route?.coordinates.length).toBeGreaterThan(2)
    const text = await certificate(NEAR)
    expect(text).toContain('审查结论：禁止')
    expect(text).toContain('步行证书小学')
    expect(text).toContain(`步行距离${conflict!.distanceM.toFixed(1)}米（直线${conflict!.straightM!.toFixed(1)}米），限值200米`)
    expect(text).toContain('测量起点校门最近点')
    expect(text).toContain('紫线步行路线')
    expect(text).toContain(`步行${conflict!.distanceM.toFixed(1)}m`)
  })

  it('where the network cannot measure, states the straight distance that decided and why', async () => {
    const [conflict] = await checked(OFF_ROAD)
    expect(conflict).toMatchObject({ path: 'walking', measuredBy: 'straight_fallback' })
    const text = await certificate(OFF_ROAD)
    expect(text).toContain(`距离${conflict!.distanceM.toFixed(1)}米（步行规则，按直线距离计：${conflict!.note!.replace(/\s+/g, '')}）`)
    expect(text).not.toMatch(/步行距离\d/)
    expect(text).not.toContain('紫线')
  })
})
