/**
 * API tokens: created from a session and shown once, stored only as a hash, sent as `Authorization: Bearer …` with the
 * owner's role and scope, no CSRF check; a read token never writes; revoked, expired or a disabled user's → 401; the
 * audit entries of a write made with a token name it.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GUYUAN, offset, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let admin: { agent: TestAgent; user: { id: number; username: string } }
let education: { agent: TestAgent; user: { id: number; username: string } }
let governance: { agent: TestAgent; user: { id: number; username: string } }

const beijingDay = (days = 0) => new Date(Date.now() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10)
let schools = 0
/** Points well inside two counties (10–20 km from their outlines), so a school's campus lies in the county it declares. */
const COUNTY_POINTS: Record<string, readonly [number, number]> = { '640402': [GUYUAN.lon, GUYUAN.lat], '640422': [105.676322, 35.938921] }
/** A school body in a county, 500 m from the others. */
const school = (countyCode: '640402' | '640422' = '640402') => {
  schools += 1
  const center = offset(COUNTY_POINTS[countyCode]!, 500 * (schools % 8), 500 * Math.floor(schools / 8))
  return schoolFeature({ center, name: `令牌测试小学${schools}`, countyCode })
}

beforeAll(async () => {
  t = await startTestApp()
  admin = await t.signIn({ department: 'admin', role: 'admin' })
  education = await t.signIn({ department: 'education', role: 'clerk', countyCode: '640402' })
  governance = await t.signIn({ department: 'governance', role: 'supervisor' })
})
afterAll(async () => {
  await t?.close()
})

/** Creates a token from a session and answers the whole answer (with the secret). */
async function createToken(agent: TestAgent, body: Record<string, unknown> = {}) {
  const response = await agent.post('/api/tokens').send({ name: 'script', access: 'write', ...body })
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body as { id: number; token: string; prefix: string; name: string; access: string; expiresOn: string }
}
/** A client that sends only the token: no cookie, no Origin, as curl or GDAL would. */
const bearer = (token: string) => ({
  get: (url: string) => t.request().get(url).set('Authorization', `Bearer ${token}`),
  post: (url: string) => t.request().post(url).set('Authorization', `Bearer ${token}`),
  patch: (url: string) => t.request().patch(url).set('Authorization', `Bearer ${token}`),
  delete: (url: string) => t.request().delete(url).set('Authorization', `Bearer ${token}`),
})
// Asynchronous: the service answering GDAL runs in this same process.
const run = promisify(execFile)
const auditOf = (requestId: string) =>
  t.app.db.selectFrom('audit_log').selectAll().where('request_id', '=', requestId).orderBy('id').execute()

describe('creating a token', () => {
  it('answers 201 with the token once, recognisable by its prefix, stored only as its SHA-256', async () => {
    const response = await education.agent.post('/api/tokens').send({ name: 'QGIS 办公室', access: 'read' })
    expect(response.status, JSON.stringify(response.body)).toBe(201)
    const created = response.body
    expect(created).toMatchObject({
      id: expect.any(Number),
      userId: education.user.id,
      username: education.user.username,
      name: 'QGIS 办公室',
      access: 'read',
      expiresOn: beijingDay(90),
      lastUsedAt: null,
      revokedAt: null,
      state: 'active',
    })
    expect(created.token).toMatch(/^gyz_[A-Za-z0-9_-]{43}$/)
    expect(created.prefix).toBe(created.token.slice(0, 12))

    const row = await t.app.db.selectFrom('api_tokens').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow()
    expect(row.token_hash).toBe(createHash('sha256').update(created.token).digest('hex'))
    const secretPart = created.token.slice(12)
    expect(JSON.stringify(row)).not.toContain(secretPart)

    const listed = await education.agent.get('/api/tokens').expect(200)
    const mine = listed.body.tokens.find((token: { id: number }) => token.id === created.id)
    expect(mine).toMatchObject({ name: 'QGIS 办公室', prefix: created.prefix, state: 'active' })
    expect(JSON.stringify(listed.body)).not.toContain(secretPart)

    const entries = await auditOf(response.headers['x-request-id']!)
    expect(entries.map((e) => `${e.action} ${e.entity_type} ${e.entity_id}`)).toEqual([`create api_token ${created.id}`])
    expect(entries[0]!.after).toMatchObject({ name: 'QGIS 办公室', access: 'read', prefix: created.prefix })
    expect(JSON.stringify(entries[0])).not.toContain(secretPart)
  })

  it('takes an expiry day from today up to 365 days ahead', async () => {
    expect((await createToken(education.agent, { expiresOn: beijingDay() })).expiresOn).toBe(beijingDay())
    expect((await createToken(education.agent, { expiresOn: beijingDay(365) })).expiresOn).toBe(beijingDay(365))
  })

  it.each([
    ['an empty name', { name: '' }, /name/],
    ['a name of spaces', { name: '   ' }, /name/],
    ['a name of 101 characters', { name: 'n'.repeat(101) }, /name/],
    ['a name with a control character', { name: 'a\tb' }, /name/],
    ['no access', { access: undefined }, /access/],
    ['an unknown access', { access: 'admin' }, /access/],
    ['an expiry in the past', { expiresOn: beijingDay(-1) }, /expiresOn.*past/],
    ['an expiry too far ahead', { expiresOn: beijingDay(366) }, /expiresOn.*365 days/],
    ['an expiry not of the calendar', { expiresOn: '2027-02-30' }, /expiresOn.*calendar/],
    ['an expiry not a date', { expiresOn: 'tomorrow' }, /expiresOn/],
    ['an unknown field', { scope: 'all' }, /scope/],
  ])('refuses %s with 400 naming the field, writing nothing', async (_what, change, names) => {
    const before = await t.app.db
      .selectFrom('api_tokens')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow()
    const response = await education.agent.post('/api/tokens').send({ name: 'ok', access: 'read', ...change })
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toMatch(names)
    const after = await t.app.db
      .selectFrom('api_tokens')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow()
    expect(after.n).toBe(before.n)
  })

  it('refuses anonymous callers, and a token cannot create tokens', async () => {
    expectErrorBody(await t.request().post('/api/tokens').send({ name: 'x', access: 'read' }), 401, 'UNAUTHENTICATED')
    const { token } = await createToken(education.agent)
    const response = await bearer(token).post('/api/tokens').send({ name: 'child', access: 'write' })
    expectErrorBody(response, 403, 'FORBIDDEN')
    expect(response.body.message).toMatch(/session/)
  })

  it('allows at most 20 working tokens per user; revoking one makes room', async () => {
    const user = await t.signIn({ department: 'market', role: 'clerk' })
    const ids: number[] = []
    for (let i = 0; i < 20; i += 1) ids.push((await createToken(user.agent, { name: `t${i}` })).id)
    const refused = await user.agent.post('/api/tokens').send({ name: 't20', access: 'read' })
    expectErrorBody(refused, 409, 'CONFLICT')
    expect(refused.body.message).toMatch(/20 working tokens/)
    await user.agent.delete(`/api/tokens/${ids[0]}`).expect(200)
    await createToken(user.agent, { name: 't20' })
  })
})

describe('using a token', () => {
  it('a write token reads and writes with its owner’s role, without cookie or Origin, and the audit entry names the token', async () => {
    const { id, token } = await createToken(education.agent, { name: '测绘脚本', access: 'write' })
    const me = await bearer(token).get('/api/auth/me').expect(200)
    expect(me.body.user).toMatchObject({ id: education.user.id, department: 'education', countyCode: '640402' })
    await bearer(token).get('/api/schools').expect(200)

    const created = await bearer(token).post('/api/schools').send(school())
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const entries = await auditOf(created.headers['x-request-id']!)
    expect(entries.length).toBeGreaterThan(0)
    for (const entry of entries)
      expect({ user: entry.user_id, tokenId: entry.token_id, tokenName: entry.token_name }).toEqual({
        user: education.user.id,
        tokenId: id,
        tokenName: '测绘脚本',
      })

    const changed = await bearer(token)
      .patch(`/api/schools/${created.body.id}`)
      .send({ properties: { students: 900 } })
    expect(changed.status, JSON.stringify(changed.body)).toBe(200)
    expect((await auditOf(changed.headers['x-request-id']!)).map((e) => e.token_id)).toContain(id)

    // The governance office finds every entry made with the token.
    const trail = await governance.agent.get('/api/audit-log').query({ tokenId: id }).expect(200)
    expect(trail.body.entries.length).toBeGreaterThanOrEqual(2)
    for (const entry of trail.body.entries) expect(entry.token).toEqual({ id, name: '测绘脚本' })
    // A session's entries name no token.
    const bySession = await education.agent.post('/api/schools').send(school()).expect(201)
    for (const entry of await auditOf(bySession.headers['x-request-id']!)) expect(entry.token_id).toBeNull()
  })

  it('no CSRF check applies to a token, even with a foreign Origin', async () => {
    const { token } = await createToken(education.agent)
    const response = await bearer(token).post('/api/schools').set('Origin', 'https://evil.example').send(school())
    expect(response.status, JSON.stringify(response.body)).toBe(201)
  })

  it('a read token reads, and may call the POST routes that only compute, but every write is 403 naming its access', async () => {
    const { token } = await createToken(education.agent, { name: '只读', access: 'read' })
    await bearer(token).get('/api/schools').expect(200)
    const check = await bearer(token).post('/api/check').send({ lon: GUYUAN.lon, lat: GUYUAN.lat, category: 'internet_cafe' })
    expect(check.status, JSON.stringify(check.body)).toBe(200)
    const preview = await bearer(token)
      .post('/api/rules/preview')
      .send({ rules: [{ category: 'lottery_outlet', limitM: 150 }] })
    expect(preview.status, JSON.stringify(preview.body)).toBe(200)

    const count = async () =>
      Number(
        (
          await t.app.db
            .selectFrom('schools')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )
    const before = await count()
    const refused = await bearer(token).post('/api/schools').send(school())
    expectErrorBody(refused, 403, 'FORBIDDEN')
    expect(refused.body.message).toMatch(/POST \/api\/schools writes; the API token "只读" has read access only/)
    // Refused when the request arrives, before its body is read.
    expect(refused.headers.connection).toBe('close')
    expect(await count()).toBe(before)
    const existing = await education.agent.post('/api/schools').send(school()).expect(201)
    expectErrorBody(
      await bearer(token)
        .patch(`/api/schools/${existing.body.id}`)
        .send({ properties: { students: 1 } }),
      403,
      'FORBIDDEN',
    )
    expectErrorBody(await bearer(token).delete(`/api/schools/${existing.body.id}`), 403, 'FORBIDDEN')
  })

  it('a token has its owner’s scope: a county clerk’s token sees and writes its own county only', async () => {
    const { token } = await createToken(education.agent)
    const own = await education.agent.post('/api/schools').send(school('640402')).expect(201)
    const elsewhere = await admin.agent.post('/api/schools').send(school('640422')).expect(201)
    await bearer(token).get(`/api/schools/${own.body.id}/file`).expect(200)
    const refused = await bearer(token).get(`/api/schools/${elsewhere.body.id}/file`)
    expectErrorBody(refused, 403, 'FORBIDDEN')
    expect(refused.body.message).toMatch(/640402/)
    expectErrorBody(await bearer(token).post('/api/schools').send(school('640422')), 403, 'FORBIDDEN')
    // And its owner's role: an education clerk's token cannot register premises.
    expectErrorBody(
      await bearer(token)
        .post('/api/premises')
        .send(premisesFeature({ countyCode: '640402' })),
      403,
      'FORBIDDEN',
    )
  })

  it('marks the last use, at most once a minute', async () => {
    const { id, token } = await createToken(education.agent)
    await bearer(token).get('/api/auth/me').expect(200)
    const first = await t.app.db.selectFrom('api_tokens').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow()
    expect(first.last_used_at).not.toBeNull()
    await bearer(token).get('/api/auth/me').expect(200)
    const second = await t.app.db.selectFrom('api_tokens').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow()
    expect(new Date(second.last_used_at!).getTime()).toBe(new Date(first.last_used_at!).getTime())
    await t.app.db
      .updateTable('api_tokens')
      .set({ last_used_at: new Date(Date.now() - 61_000) })
      .where('id', '=', id)
      .execute()
    // The minute passed: so did the few seconds the instance keeps a token's look-up (SESSION_CACHE_MS).
    t.app.credentialCache.forgetApiToken(id)
    await bearer(token).get('/api/auth/me').expect(200)
    const third = await t.app.db.selectFrom('api_tokens').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow()
    expect(new Date(third.last_used_at!).getTime()).toBeGreaterThan(Date.now() - 10_000)
  })

  it('GDAL reads a layer with the token in GDAL_HTTP_HEADERS, and is refused without it', async () => {
    const { id, token } = await createToken(education.agent, { name: 'GDAL', access: 'read' })
    await education.agent.post('/api/schools').send(school()).expect(201)
    const count = (await bearer(token).get('/api/schools').expect(200)).body.features.length as number
    expect(count).toBeGreaterThan(0)
    const source = `GeoJSON:${t.url}/api/schools`
    const env = { ...process.env, GDAL_HTTP_HEADERS: `Authorization: Bearer ${token}`, GDAL_HTTP_MAX_RETRY: '0' }
    const { stdout } = await run('ogrinfo', ['-ro', '-so', '-al', source], { env })
    expect(stdout).toContain(`Feature Count: ${count}`)
    const trail = await t.app.db.selectFrom('api_tokens').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow()
    expect(trail.last_used_at).not.toBeNull()
    const { GDAL_HTTP_HEADERS: _dropped, ...without } = env
    await expect(run('ogrinfo', ['-ro', '-so', '-al', source], { env: without })).rejects.toThrow(/401/)
  })

  it('with both a session cookie and a token, the token alone decides', async () => {
    const { token } = await createToken(education.agent, { name: '读', access: 'read' })
    // The admin's session cookie (and its Origin) come along; the read token of the clerk is what counts.
    const me = await admin.agent.get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(200)
    expect(me.body.user.id).toBe(education.user.id)
    expectErrorBody(await admin.agent.post('/api/schools').set('Authorization', `Bearer ${token}`).send(school()), 403, 'FORBIDDEN')
    expectErrorBody(await admin.agent.get('/api/users').set('Authorization', `Bearer ${token}`), 403, 'FORBIDDEN')
  })
})

describe('refused tokens', () => {
  it.each([
    ['another scheme', 'Basic dXNlcjpwYXNz', /Bearer/],
    ['no token', 'Bearer', /Bearer/],
    ['a token of another shape', 'Bearer abc.def', /gyz_/],
    ['two tokens', `Bearer gyz_${'a'.repeat(43)} gyz_${'b'.repeat(43)}`, /Bearer/],
    ['an unknown token', `Bearer gyz_${'a'.repeat(43)}`, /unknown/],
  ])('%s: 401 naming the Authorization header, on public routes too', async (_what, header, names) => {
    for (const request of [t.request().get('/api/auth/me'), t.request().get('/health')]) {
      const response = await request.set('Authorization', header)
      expectErrorBody(response, 401, 'INVALID_TOKEN')
      expect(response.body.message).toMatch(/^authorization: /)
      expect(response.body.message).toMatch(names)
      expect(response.headers['www-authenticate']).toMatch(/^Bearer /)
    }
  })

  it('a revoked token is 401 at once', async () => {
    const { id, token } = await createToken(education.agent, { name: '要撤销' })
    await bearer(token).get('/api/auth/me').expect(200)
    const revoked = await education.agent.delete(`/api/tokens/${id}`).expect(200)
    expect(revoked.body.token).toMatchObject({ id, state: 'revoked', revokedAt: expect.any(String) })
    const response = await bearer(token).get('/api/schools')
    expectErrorBody(response, 401, 'INVALID_TOKEN')
    expect(response.body.message).toMatch(/"要撤销" was revoked/)
    expectErrorBody(await education.agent.delete(`/api/tokens/${id}`), 409, 'CONFLICT')
    // Revoked tokens leave the list unless asked for.
    expect((await education.agent.get('/api/tokens').expect(200)).body.tokens.map((x: { id: number }) => x.id)).not.toContain(id)
    const all = await education.agent.get('/api/tokens').query({ includeRevoked: true }).expect(200)
    expect(all.body.tokens.find((x: { id: number }) => x.id === id)).toMatchObject({ state: 'revoked' })
  })

  it('a token works through its last day and is 401 after it', async () => {
    const { id, token } = await createToken(education.agent, { name: '到期', expiresOn: beijingDay() })
    await bearer(token).get('/api/auth/me').expect(200)
    await t.app.db
      .updateTable('api_tokens')
      .set({ expires_on: beijingDay(-1) })
      .where('id', '=', id)
      .execute()
    // The day passed: so did the few seconds the instance keeps a token's look-up (SESSION_CACHE_MS).
    t.app.credentialCache.forgetApiToken(id)
    const response = await bearer(token).get('/api/auth/me')
    expectErrorBody(response, 401, 'INVALID_TOKEN')
    expect(response.body.message).toMatch(/expired/)
    const listed = await education.agent.get('/api/tokens').expect(200)
    expect(listed.body.tokens.find((x: { id: number }) => x.id === id)).toMatchObject({ state: 'expired' })
  })

  it('a disabled user’s token is 401', async () => {
    const leaver = await t.signIn({ department: 'culture', role: 'clerk' })
    const { token } = await createToken(leaver.agent)
    await bearer(token).get('/api/auth/me').expect(200)
    await admin.agent.patch(`/api/users/${leaver.user.id}`).send({ disabled: true }).expect(200)
    const response = await bearer(token).get('/api/auth/me')
    expectErrorBody(response, 401, 'INVALID_TOKEN')
    expect(response.body.message).toMatch(/disabled/)
  })
})

describe('listing and revoking', () => {
  it('another user’s tokens can be neither listed nor revoked', async () => {
    const mine = await createToken(education.agent, { name: '他人' })
    const other = await t.signIn({ department: 'tobacco', role: 'clerk' })
    expect((await other.agent.get('/api/tokens').expect(200)).body.tokens).toEqual([])
    expectErrorBody(await other.agent.get('/api/tokens').query({ userId: education.user.id }), 403, 'FORBIDDEN')
    expectErrorBody(await other.agent.get('/api/tokens').query({ all: true }), 403, 'FORBIDDEN')
    expectErrorBody(await other.agent.delete(`/api/tokens/${mine.id}`), 403, 'FORBIDDEN')
    const otherToken = await createToken(other.agent)
    expectErrorBody(await bearer(otherToken.token).delete(`/api/tokens/${mine.id}`), 403, 'FORBIDDEN')
    await bearer(mine.token).get('/api/auth/me').expect(200)
    expectErrorBody(await other.agent.delete('/api/tokens/999999'), 404, 'NOT_FOUND')
    expectErrorBody(await other.agent.delete('/api/tokens/abc'), 400, 'VALIDATION_FAILED')
    expectErrorBody(await other.agent.get('/api/tokens').query({ userId: 'me' }), 400, 'VALIDATION_FAILED')
  })

  it('an administrator lists one user’s or everyone’s tokens and revokes any, and the entry says who revoked', async () => {
    const theirs = await createToken(education.agent, { name: '管理员撤销' })
    const one = await admin.agent.get('/api/tokens').query({ userId: education.user.id }).expect(200)
    expect(one.body.tokens.map((x: { id: number }) => x.id)).toContain(theirs.id)
    for (const token of one.body.tokens) expect(token.userId).toBe(education.user.id)
    const all = await admin.agent.get('/api/tokens').query({ all: true }).expect(200)
    expect(new Set(all.body.tokens.map((x: { userId: number }) => x.userId)).size).toBeGreaterThan(1)
    expectErrorBody(await admin.agent.get('/api/tokens').query({ all: true, userId: education.user.id }), 400, 'VALIDATION_FAILED')

    const revoked = await admin.agent.delete(`/api/tokens/${theirs.id}`).expect(200)
    expectErrorBody(await bearer(theirs.token).get('/api/auth/me'), 401, 'INVALID_TOKEN')
    const [entry] = await auditOf(revoked.headers['x-request-id']!)
    expect(entry).toMatchObject({ action: 'revoke', entity_type: 'api_token', entity_id: String(theirs.id), user_id: admin.user.id })
    const row = await t.app.db.selectFrom('api_tokens').select('revoked_by').where('id', '=', theirs.id).executeTakeFirstOrThrow()
    expect(row.revoked_by).toBe(admin.user.id)
  })

  it('a write token may revoke itself; a read token may list but not revoke', async () => {
    const read = await createToken(education.agent, { access: 'read' })
    expect((await bearer(read.token).get('/api/tokens').expect(200)).body.tokens.map((x: { id: number }) => x.id)).toContain(read.id)
    expectErrorBody(await bearer(read.token).delete(`/api/tokens/${read.id}`), 403, 'FORBIDDEN')
    const write = await createToken(education.agent, { access: 'write', name: '自撤销' })
    const response = await bearer(write.token).delete(`/api/tokens/${write.id}`).expect(200)
    const [entry] = await auditOf(response.headers['x-request-id']!)
    expect({ tokenId: entry!.token_id, tokenName: entry!.token_name }).toEqual({ tokenId: write.id, tokenName: '自撤销' })
    expectErrorBody(await bearer(write.token).get('/api/auth/me'), 401, 'INVALID_TOKEN')
  })
})
