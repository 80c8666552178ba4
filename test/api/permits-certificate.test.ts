/**
 * The permit certificate and the point check certificate: one-page PDFs in Chinese with an embedded
 * CJK font; the permit's is scoped like the permit, the point's is for any signed-in user.
 * The text is read back with poppler's pdftotext (Debian poppler-utils, installed by .ci/run), which
 * proves the Chinese is encoded with a Unicode map, not only drawn.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GUYUAN, offset, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { binary, pdfText } from '../helpers/pdf.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let supervisor: TestAgent
let viewer: TestAgent
let lottery: TestAgent
let permitId: number
let supervisorName: string
let viewerName: string

const CENTRE = [GUYUAN.lon, GUYUAN.lat] as const

beforeAll(async () => {
  t = await startTestApp()
  const education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  const signed = await t.signIn({ department: 'tobacco', role: 'supervisor', countyCode: '640402' })
  supervisor = signed.agent
  supervisorName = signed.user.username
  const signedViewer = await t.signIn({ department: 'tobacco', role: 'viewer', countyCode: '640402' })
  viewer = signedViewer.agent
  viewerName = signedViewer.user.username
  lottery = (await t.signIn({ department: 'lottery_sports', role: 'clerk' })).agent
  expect((await education.post('/api/schools').send(schoolFeature({ center: CENTRE, name: '证书测试小学' }))).status).toBe(201)
  const at = offset(CENTRE, 150, 0)
  const permit = await supervisor.post('/api/permits').send({
    applicant: { name: '李四', idNumber: '11010519491231002X' },
    businessName: '便民烟酒店',
    category: 'tobacco_retail',
    address: '原州区文化街12号',
    location: { lon: at[0], lat: at[1] },
    kind: 'new',
  })
  expect(permit.status).toBe(201)
  permitId = permit.body.id
  const decided = await supervisor
    .post(`/api/permits/${permitId}/decision`)
    .send({ decision: 'approve', reason: '同意', version: 1, overrideJustification: '学校年内迁址' })
  expect(decided.status).toBe(200)
})

afterAll(async () => {
  await t?.close()
})

it('is a one-page PDF in Chinese with the verdict, each school, the decision and the operator', async () => {
  const response = await supervisor.get(`/api/permits/${permitId}/certificate.pdf`).buffer(true).parse(binary)
  expect(response.status).toBe(200)
  expect(response.headers['content-type']).toBe('application/pdf')
  const pdf = response.body as Buffer
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-')
  expect(pdf.toString('latin1')).toMatch(/\/FontFile2|\/FontFile3/)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certificate-'))
  try {
    fs.writeFileSync(path.join(dir, 'c.pdf'), pdf)
    const info = execFileSync('pdfinfo', [path.join(dir, 'c.pdf')], { encoding: 'utf8' })
    expect(info).toMatch(/Pages:\s+1\n/)
    const text = execFileSync('pdftotext', ['-layout', path.join(dir, 'c.pdf'), '-'], { encoding: 'utf8' }).replace(/\s+/g, '')
    for (const expected of [
      '经营许可选址审查证明',
      '审查结论：禁止',
      '证书测试小学',
      '便民烟酒店',
      '规则#',
      '越权批准理由',
      supervisorName,
      'TOB-640402-',
    ]) {
      expect(text).toContain(expected)
    }
    expect(text).toMatch(/距离9\d\.\d米/)
    expect(text).not.toContain('11010519491231002X')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

it('follows the permit scope: viewers in scope read it, other departments get 404, anonymous 401', async () => {
  expect((await viewer.get(`/api/permits/${permitId}/certificate.pdf`).buffer(true).parse(binary)).status).toBe(200)
  expectErrorBody(await lottery.get(`/api/permits/${permitId}/certificate.pdf`), 404, 'NOT_FOUND')
  expectErrorBody(await t.request().get(`/api/permits/${permitId}/certificate.pdf`), 401)
  expectErrorBody(await supervisor.get('/api/permits/abc/certificate.pdf'), 400)
})

describe('GET /api/check/certificate.pdf', () => {
  const get = (agent: TestAgent, query: Record<string, unknown>) =>
    agent.get('/api/check/certificate.pdf').query(query).buffer(true).parse(binary)

  it('for a point in a zone: the verdict, the school with distance, band, rule and basis, the point both ways, the time and the operator', async () => {
    const at = offset(CENTRE, 150, 0)
    const response = await get(viewer, { lon: at[0], lat: at[1], category: 'tobacco_retail' })
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('application/pdf')
    const text = pdfText(response.body as Buffer)
    for (const expected of [
      '选址距离测量证明',
      '审查结论：禁止',
      '证书测试小学',
      '烟草制品零售',
      '分带',
      '规则#',
      '依据：',
      '坐标系WGS84',
      '查询位置',
      '所在区县代码：640402',
      '打印人/时间',
      viewerName,
      '北京时间',
    ]) {
      expect(text).toContain(expected)
    }
    expect(text).toMatch(/距离9\d\.\d米，限值200米/)
    expect(text).toContain(`东经${at[0].toFixed(6)}°`)
  })

  it('converts a pasted GCJ-02 point, and far from schools answers 允许 with the nearest school', async () => {
    // Roughly the Amap rendering of a point 2 km north of the school: it converts back into Guyuan.
    const far = offset(CENTRE, 0, 2000)
    const response = await get(supervisor, { lon: far[0] + 0.0042, lat: far[1] - 0.0002, crs: 'gcj02', category: 'internet_cafe' })
    expect(response.status).toBe(200)
    const text = pdfText(response.body as Buffer)
    for (const expected of ['审查结论：允许', '最近的学校', '证书测试小学', 'GCJ-02', '互联网上网服务营业场所'])
      expect(text).toContain(expected)
  })

  it('needs a session', async () => {
    expectErrorBody(
      await t.request().get('/api/check/certificate.pdf').query({ lon: CENTRE[0], lat: CENTRE[1], category: 'tobacco_retail' }),
      401,
    )
  })

  const good = { lon: CENTRE[0], lat: CENTRE[1], category: 'tobacco_retail' }
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['missing lon', { lat: good.lat, category: good.category }, /querystring\/lon: is required/],
    ['missing lat', { lon: good.lon, category: good.category }, /querystring\/lat: is required/],
    ['missing category', { lon: good.lon, lat: good.lat }, /querystring\/category: is required/],
    ['lon not a number', { ...good, lon: 'east' }, /querystring\/lon/],
    ['lat NaN', { ...good, lat: 'NaN' }, /querystring\/lat/],
    ['lon out of range', { ...good, lon: 181 }, /querystring\/lon/],
    ['lat out of range', { ...good, lat: -90.5 }, /querystring\/lat/],
    ['lat Infinity', { ...good, lat: 'Infinity' }, /querystring\/lat/],
    ['unknown crs', { ...good, crs: 'epsg3857' }, /querystring\/crs: must be one of/],
    ['unknown category', { ...good, category: 'bar' }, /querystring\/category: must be one of/],
    ['an unknown parameter', { ...good, scale: 2 }, /querystring\/scale: is not a known field/],
    ['a point outside Guyuan', { ...good, lon: 116.4, lat: 39.9 }, /querystring\/lon: .*no county of Guyuan/],
  ]
  for (const [name, query, message] of cases) {
    it(`refuses ${name}, naming the field`, async () => {
      const response = await supervisor.get('/api/check/certificate.pdf').query(query)
      expectErrorBody(response, 400, 'VALIDATION_FAILED')
      expect(response.body.message).toMatch(message)
    })
  }
})
