/**
 * The permit certificate: a one-page PDF in Chinese with an embedded CJK font, scoped like the permit.
 * The text is read back with poppler's pdftotext (Debian poppler-utils, installed by .ci/run), which
 * proves the Chinese is encoded with a Unicode map, not only drawn.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Response } from 'supertest'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { GUYUAN, offset, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let supervisor: TestAgent
let viewer: TestAgent
let lottery: TestAgent
let permitId: number
let supervisorName: string

const CENTRE = [GUYUAN.lon, GUYUAN.lat] as const
const binary = (response: Response, callback: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = []
  response.on('data', (chunk: Buffer) => chunks.push(chunk))
  response.on('end', () => callback(null, Buffer.concat(chunks)))
}

beforeAll(async () => {
  t = await startTestApp()
  const education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  const signed = await t.signIn({ department: 'tobacco', role: 'supervisor', countyCode: '640402' })
  supervisor = signed.agent
  supervisorName = signed.user.username
  viewer = (await t.signIn({ department: 'tobacco', role: 'viewer', countyCode: '640402' })).agent
  lottery = (await t.signIn({ department: 'lottery_sports', role: 'clerk' })).agent
  expect((await education.post('/api/schools').send(schoolFeature({ center: CENTRE, name: '证书测试小学' }))).status).toBe(201)
  const at = offset(CENTRE, 150, 0)
  const permit = await supervisor.post('/api/permits').send({
    applicant: { name: '李四', idNumber: '11010519491231002X' }, businessName: '便民烟酒店', category: 'tobacco_retail',
    address: '原州区文化街12号', location: { lon: at[0], lat: at[1] }, kind: 'new',
  })
  expect(permit.status).toBe(201)
  permitId = permit.body.id
  const decided = await supervisor.post(`/api/permits/${permitId}/decision`).send({ decision: 'approve', reason: '同意', version: 1, overrideJustification: '学校年内迁址' })
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
    for (const expected of ['经营许可选址审查证明', '审查结论：禁止', '证书测试小学', '便民烟酒店', '规则#', '越权批准理由', supervisorName, 'TOB-640402-']) {
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
