/**
 * Attachments of hazards: the type read from the content (JPEG, PNG, PDF only; an HTML file named .jpg is
 * refused), at most 10 MB, access decided before the body is read, and served back with its type, an RFC 6266
 * file name and nosniff, only to those who may read the hazard.
 */
import http from 'node:http'
import { createHash } from 'node:crypto'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_ATTACHMENT_BYTES } from '../../server/modules/hazards/attachments.ts'
import { hazardBody, HTML, jpeg, pdf, png, registerSchool } from '../factories/hazards.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let emergency: TestAgent
let culture: TestAgent
let governance: TestAgent
let hazardId: number

beforeAll(async () => {
  t = await startTestApp()
  const education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  emergency = (await t.signIn({ department: 'emergency', role: 'clerk' })).agent
  culture = (await t.signIn({ department: 'culture', role: 'clerk' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'viewer' })).agent
  const schoolId = await registerSchool(education)
  hazardId = (await emergency.post('/api/hazards').send(hazardBody(schoolId)).expect(201)).body.id
})
afterAll(async () => {
  await t?.close()
})

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

describe('storing', () => {
  it('takes a PNG as the body and answers 201 {id, sha256, contentType}', async () => {
    const file = png()
    const response = await emergency
      .post(`/api/hazards/${hazardId}/attachments?phase=before&filename=${encodeURIComponent('现场照片.png')}`)
      .set('content-type', 'image/png')
      .send(file)
    expect(response.status, JSON.stringify(response.body)).toBe(201)
    expect(response.body).toMatchObject({
      id: expect.any(Number),
      sha256: sha256(file),
      contentType: 'image/png',
      bytes: file.length,
      phase: 'before',
      filename: '现场照片.png',
    })
  })

  it('takes a multipart upload with its file name and phase', async () => {
    const file = pdf()
    const response = await emergency
      .post(`/api/hazards/${hazardId}/attachments`)
      .field('phase', 'evidence')
      .attach('file', file, { filename: '验收报告.pdf', contentType: 'application/pdf' })
    expect(response.status, JSON.stringify(response.body)).toBe(201)
    expect(response.body).toMatchObject({
      sha256: sha256(file),
      contentType: 'application/pdf',
      phase: 'evidence',
      filename: '验收报告.pdf',
    })
  })

  it('reads the type from the content: a JPEG sent as application/octet-stream named .png is a JPEG', async () => {
    const response = await emergency
      .post(`/api/hazards/${hazardId}/attachments?filename=photo.png`)
      .set('content-type', 'application/octet-stream')
      .send(jpeg())
    expect(response.status).toBe(201)
    expect(response.body).toMatchObject({ contentType: 'image/jpeg', filename: 'photo.jpg' })
  })

  it('refuses an HTML file named .jpg, as the body or multipart, naming the problem', async () => {
    const raw = await emergency.post(`/api/hazards/${hazardId}/attachments?filename=photo.jpg`).set('content-type', 'image/jpeg').send(HTML)
    expect(raw.status).toBe(415)
    expect(raw.body.code).toBe('UNSUPPORTED_MEDIA_TYPE')
    expect(raw.body.message).toContain('HTML')
    expect(raw.body.message).toContain('not JPEG, PNG or PDF')
    const form = await emergency
      .post(`/api/hazards/${hazardId}/attachments`)
      .attach('file', HTML, { filename: 'photo.jpg', contentType: 'image/jpeg' })
    expect(form.status).toBe(415)
    expect(form.body.message).toContain('HTML')
    const text = await emergency.post(`/api/hazards/${hazardId}/attachments`).set('content-type', 'text/html').send(HTML.toString())
    expect(text.status).toBe(415)
  })

  it('refuses other types and empty files', async () => {
    const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1')
    expect((await emergency.post(`/api/hazards/${hazardId}/attachments`).set('content-type', 'image/gif').send(gif)).status).toBe(415)
    const empty = await emergency.post(`/api/hazards/${hazardId}/attachments`).set('content-type', 'image/png').send(Buffer.alloc(0))
    expect(empty.status).toBeGreaterThanOrEqual(400)
    expect(empty.status).toBeLessThan(500)
    expect(
      (await emergency.post(`/api/hazards/${hazardId}/attachments?phase=later`).set('content-type', 'image/png').send(png())).status,
    ).toBe(400)
  })

  it('takes a file of exactly 10 MB and refuses 10 MB + 1 byte, as the body and as multipart', async () => {
    const exact = jpeg(MAX_ATTACHMENT_BYTES)
    expect((await emergency.post(`/api/hazards/${hazardId}/attachments`).set('content-type', 'image/jpeg').send(exact)).status).toBe(201)
    const over = jpeg(MAX_ATTACHMENT_BYTES + 1)
    const raw = await emergency.post(`/api/hazards/${hazardId}/attachments`).set('content-type', 'image/jpeg').send(over)
    expect(raw.status).toBe(413)
    expect(raw.body.code).toBe('PAYLOAD_TOO_LARGE')
    const form = await emergency
      .post(`/api/hazards/${hazardId}/attachments`)
      .attach('file', over, { filename: 'big.jpg', contentType: 'image/jpeg' })
    expect(form.status).toBe(413)
  })

  it('keeps every attachment on the hazard with an event and an audit entry', async () => {
    const detail = (await governance.get(`/api/hazards/${hazardId}`).expect(200)).body
    expect(detail.attachments.length).toBe(4)
    expect(detail.events.filter((e: { action: string }) => e.action === 'attachment')).toHaveLength(4)
    const entries = await t.app.db
      .selectFrom('audit_log')
      .select('action')
      .where('entity_type', '=', 'hazard')
      .where('entity_id', '=', String(hazardId))
      .where('action', '=', 'attach')
      .execute()
    expect(entries).toHaveLength(4)
  })
})

describe('access', () => {
  /** Sends headers announcing a large upload and the first bytes only, and reports how the server answers. */
  function announce(path: string, cookie?: string): Promise<{ status: number; body: string }> {
    const url = new URL(t.url)
    return new Promise((resolve, reject) => {
      const request = http.request({
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path,
        headers: {
          'content-type': 'image/jpeg',
          'content-length': String(MAX_ATTACHMENT_BYTES),
          origin: t.url,
          ...(cookie ? { cookie } : {}),
        },
      })
      request.on('response', (response) => {
        let body = ''
        response.on('data', (chunk) => (body += chunk))
        response.on('end', () => resolve({ status: response.statusCode!, body }))
      })
      request.on('error', reject)
      // Only the start of the announced body is ever sent: an answer can only come from a refusal before reading it.
      request.write(jpeg(1024))
    })
  }

  it('answers an anonymous big upload 401 at once, before its body', async () => {
    const answer = await announce(`/api/hazards/${hazardId}/attachments`)
    expect(answer.status).toBe(401)
  })

  it('answers an upload by a department that may not touch the hazard 404 at once', async () => {
    const login = await t
      .request()
      .post('/api/auth/login')
      .send({
        username: (await t.signIn({ department: 'culture', role: 'clerk', username: 'culture_uploader' })).user.username,
        password: 'correct horse battery staple',
      })
    const cookie = String(login.headers['set-cookie']![0]).split(';')[0]!
    const answer = await announce(`/api/hazards/${hazardId}/attachments`, cookie)
    expect(answer.status).toBe(404)
    expect((await culture.post(`/api/hazards/${hazardId}/attachments`).set('content-type', 'image/png').send(png())).status).toBe(404)
    // Viewers read but may not attach.
    expect((await governance.post(`/api/hazards/${hazardId}/attachments`).set('content-type', 'image/png').send(png())).status).toBe(403)
  })
})

describe('serving', () => {
  it('serves an attachment as stored with its type, an RFC 6266 name and nosniff', async () => {
    const listed = (await governance.get(`/api/hazards/${hazardId}`).expect(200)).body.attachments as {
      id: number
      filename: string
      sha256: string
    }[]
    const photo = listed.find((a) => a.filename === '现场照片.png')!
    const response = await governance
      .get(`/api/hazards/${hazardId}/attachments/${photo.id}`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => done(null, Buffer.concat(chunks)))
      })
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('image/png')
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['content-disposition']).toBe(
      `inline; filename="____.png"; filename*=UTF-8''${encodeURIComponent('现场照片.png')}`,
    )
    expect(sha256(response.body as Buffer)).toBe(photo.sha256)
  })

  it('serves nothing to those who may not read the hazard', async () => {
    const listed = (await governance.get(`/api/hazards/${hazardId}`).expect(200)).body.attachments as { id: number }[]
    expect((await culture.get(`/api/hazards/${hazardId}/attachments/${listed[0]!.id}`)).status).toBe(404)
    expect((await t.request().get(`/api/hazards/${hazardId}/attachments/${listed[0]!.id}`)).status).toBe(401)
    expect((await governance.get(`/api/hazards/${hazardId}/attachments/999999`)).status).toBe(404)
  })
})
