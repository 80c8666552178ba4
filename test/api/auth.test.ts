import { createHash } from 'node:crypto'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertUser } from '../../server/modules/users/repository.ts'
import { createUser, hashPassword } from '../../server/modules/users/service.ts'
import { schoolFeature } from '../factories/registry.ts'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let n = 0
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => {
  await t?.close()
})

/** A user created directly in the database (no sign-in). */
async function makeUser(spec: { department?: 'education' | 'tobacco' | 'admin' | 'governance'; role?: 'clerk' | 'viewer' | 'admin' } = {}) {
  n += 1
  const username = `auth_user_${n}`
  await createUser(
    t.app.db,
    { username, password: TEST_PASSWORD, department: spec.department ?? 'education', role: spec.role ?? 'clerk' },
    { user: null, requestId: 'test' },
  )
  return username
}

function sessionCookie(setCookie: string[] | string | undefined): { raw: string; token: string } {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []
  const raw = list.find((c) => c.startsWith('sid='))
  if (!raw) throw new Error(`no session cookie in ${JSON.stringify(list)}`)
  return { raw, token: decodeURIComponent(raw.slice(4).split(';')[0]!) }
}

async function logIn(username: string) {
  const response = await t.request().post('/api/auth/login').send({ username, password: TEST_PASSWORD }).expect(200)
  return sessionCookie(response.headers['set-cookie'])
}

describe('sign-in', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie and answers the user', async () => {
    const username = await makeUser()
    const response = await t.request().post('/api/auth/login').send({ username, password: TEST_PASSWORD }).expect(200)
    expect(response.body.user).toMatchObject({ username, department: 'education', role: 'clerk', countyCode: null, demo: false })
    const { raw } = sessionCookie(response.headers['set-cookie'])
    expect(raw).toMatch(/;\s*HttpOnly/i)
    expect(raw).toMatch(/;\s*SameSite=Strict/i)
    expect(raw).toMatch(/;\s*Path=\//i)
  })

  it('refuses a wrong password with 401 and the error body, setting no cookie', async () => {
    const username = await makeUser()
    const response = await t.request().post('/api/auth/login').send({ username, password: 'not the password' })
    expectErrorBody(response, 401, 'INVALID_CREDENTIALS')
    expect(response.headers['set-cookie']).toBeUndefined()
  })

  it('refuses an unknown username exactly like a wrong password', async () => {
    const response = await t.request().post('/api/auth/login').send({ username: 'nobody_at_all', password: TEST_PASSWORD })
    expectErrorBody(response, 401, 'INVALID_CREDENTIALS')
    expect(response.body.message).toBe('username or password is wrong')
  })

  it('answers /api/auth/me with the signed-in user, and 401 without a session', async () => {
    const { agent, user } = await t.signIn({ department: 'tobacco', role: 'supervisor', countyCode: '640422' })
    const me = await agent.get('/api/auth/me').expect(200)
    expect(me.body.user).toEqual(user)
    expectErrorBody(await t.request().get('/api/auth/me'), 401, 'UNAUTHENTICATED')
  })

  it('keeps sessions on the server: the database holds the token hash, never the token', async () => {
    const username = await makeUser()
    const { token } = await logIn(username)
    const rows = await t.app.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['sessions.token_hash'])
      .where('users.username', '=', username)
      .execute()
    expect(rows).toHaveLength(1)
    expect(rows[0]!.token_hash).toBe(createHash('sha256').update(token).digest('hex'))
    expect(rows[0]!.token_hash).not.toContain(token)
  })

  it('refuses a cookie whose session is unknown', async () => {
    const response = await t.request().get('/api/auth/me').set('Cookie', 'sid=made-up-token')
    expectErrorBody(response, 401, 'UNAUTHENTICATED')
  })

  it('logout takes no body or {}; an unknown field is refused and the session stays open', async () => {
    const username = await makeUser()
    const { token } = await logIn(username)
    const cookie = `sid=${token}`
    const refused = await t.request().post('/api/auth/logout').set('Cookie', cookie).set('Origin', t.url).send({ allSessions: true })
    expectErrorBody(refused, 400, 'VALIDATION_FAILED')
    expect(refused.body.message).toContain('body/allSessions')
    await t.request().get('/api/auth/me').set('Cookie', cookie).expect(200)
    await t.request().post('/api/auth/logout').set('Cookie', cookie).set('Origin', t.url).send({}).expect(204)
    expectErrorBody(await t.request().get('/api/auth/me').set('Cookie', cookie), 401, 'UNAUTHENTICATED')
  })

  it('logout revokes the session: the old cookie gets 401 afterwards', async () => {
    const username = await makeUser()
    const { token } = await logIn(username)
    const cookie = `sid=${token}`
    await t.request().get('/api/auth/me').set('Cookie', cookie).expect(200)
    const out = await t.request().post('/api/auth/logout').set('Cookie', cookie).set('Origin', t.url).expect(204)
    expect(sessionCookie(out.headers['set-cookie']).raw).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/i)
    expectErrorBody(await t.request().get('/api/auth/me').set('Cookie', cookie), 401, 'UNAUTHENTICATED')
    const row = await t.app.db
      .selectFrom('sessions')
      .select('revoked_at')
      .where('token_hash', '=', createHash('sha256').update(token).digest('hex'))
      .executeTakeFirstOrThrow()
    expect(row.revoked_at).not.toBeNull()
  })

  it('refuses a session past its expiry time', async () => {
    const username = await makeUser()
    const { token } = await logIn(username)
    await t.app.db
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('token_hash', '=', createHash('sha256').update(token).digest('hex'))
      .execute()
    expectErrorBody(await t.request().get('/api/auth/me').set('Cookie', `sid=${token}`), 401, 'UNAUTHENTICATED')
  })

  it('ends the sessions of a disabled user and refuses their sign-in', async () => {
    const username = await makeUser()
    const { token } = await logIn(username)
    await t.app.db.updateTable('users').set({ disabled_at: new Date() }).where('username', '=', username).execute()
    expectErrorBody(await t.request().get('/api/auth/me').set('Cookie', `sid=${token}`), 401, 'UNAUTHENTICATED')
    expectErrorBody(await t.request().post('/api/auth/login').send({ username, password: TEST_PASSWORD }), 401, 'INVALID_CREDENTIALS')
  })

  it('records sign-ins and failed sign-ins in the audit log without the password', async () => {
    const username = await makeUser()
    await logIn(username)
    await t.request().post('/api/auth/login').send({ username, password: 'a wrong password 123' }).expect(401)
    const rows = await t.app.db
      .selectFrom('audit_log')
      .select(['action', 'after'])
      .where('entity_type', '=', 'session')
      .where('request_id', 'is not', null)
      .execute()
    const text = JSON.stringify(rows)
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['login', 'login_failed']))
    expect(text).not.toContain('a wrong password 123')
    expect(text).not.toContain(TEST_PASSWORD)
  })
})

describe('cross-site request forgery', () => {
  it('refuses a write with the session cookie from a foreign Origin (403 CSRF_REJECTED)', async () => {
    const username = await makeUser()
    const { token } = await logIn(username)
    const response = await t
      .request()
      .post('/api/schools')
      .set('Cookie', `sid=${token}`)
      .set('Origin', 'https://evil.example')
      .send(schoolFeature())
    expectErrorBody(response, 403, 'CSRF_REJECTED')
    expect(response.body.message).toMatch(/^origin: /)
  })

  it('refuses a write with the session cookie and neither Origin nor Referer (403)', async () => {
    const username = await makeUser()
    const { token } = await logIn(username)
    const response = await t.request().post('/api/auth/logout').set('Cookie', `sid=${token}`)
    expectErrorBody(response, 403, 'CSRF_REJECTED')
    await t.request().get('/api/auth/me').set('Cookie', `sid=${token}`).expect(200)
  })

  it('refuses a foreign Referer when no Origin is sent', async () => {
    const username = await makeUser()
    const { token } = await logIn(username)
    const response = await t.request().post('/api/auth/logout').set('Cookie', `sid=${token}`).set('Referer', 'https://evil.example/page')
    expectErrorBody(response, 403, 'CSRF_REJECTED')
  })

  it('accepts a write whose Referer is the service itself (browsers that omit Origin)', async () => {
    const username = await makeUser()
    const { token } = await logIn(username)
    await t.request().post('/api/auth/logout').set('Cookie', `sid=${token}`).set('Referer', `${t.url}/map`).expect(204)
  })

  it('refuses a sign-in posted from a foreign Origin', async () => {
    const username = await makeUser()
    const response = await t
      .request()
      .post('/api/auth/login')
      .set('Origin', 'https://evil.example')
      .send({ username, password: TEST_PASSWORD })
    expectErrorBody(response, 403, 'CSRF_REJECTED')
  })

  it('lets a script that signs in and sends the cookie back with the server Origin write', async () => {
    const username = await makeUser({ department: 'education', role: 'clerk' })
    const script = supertest.agent(t.url)
    await script.post('/api/auth/login').send({ username, password: TEST_PASSWORD }).expect(200)
    const created = await script
      .post('/api/schools')
      .set('Origin', t.url)
      .send(schoolFeature({ name: '脚本测试学校' }))
      .expect(201)
    expect(created.body.id).toBeGreaterThan(0)
  })
})

describe('user administration', () => {
  it('refuses a user of a county that does not exist: 422 naming countyCode, nothing written', async () => {
    const { agent } = await t.signIn({ department: 'admin', role: 'admin' })
    const response = await agent
      .post('/api/users')
      .send({
        username: 'clerk.nowhere',
        password: 'a long enough password 42',
        department: 'culture',
        role: 'clerk',
        countyCode: '640499',
      })
      .expect(422)
    expect(response.body.code).toBe('UNPROCESSABLE')
    expect(response.body.message).toMatch(/^countyCode: 640499 is not a county of Guyuan; one of 640402, /)
    expect(response.body.details.problems).toEqual([{ field: '/countyCode', message: '640499 is not a county of Guyuan' }])
    const rows = await t.app.db.selectFrom('users').select('id').where('username', '=', 'clerk.nowhere').execute()
    expect(rows).toEqual([])
  })

  it('lets an admin create a user: 201, the password is never echoed and is stored as argon2id', async () => {
    const { agent } = await t.signIn({ department: 'admin', role: 'admin' })
    const password = 'a long enough password 42'
    const response = await agent
      .post('/api/users')
      .send({ username: 'new.clerk-1', password, department: 'culture', role: 'clerk', countyCode: '640423' })
      .expect(201)
    expect(response.body.user).toEqual({
      id: expect.any(Number),
      username: 'new.clerk-1',
      department: 'culture',
      role: 'clerk',
      countyCode: '640423',
      demo: false,
    })
    expect(response.text).not.toContain(password)
    const row = await t.app.db.selectFrom('users').select('password_hash').where('username', '=', 'new.clerk-1').executeTakeFirstOrThrow()
    expect(row.password_hash).toMatch(/^\$argon2id\$/)
    expect(row.password_hash).not.toContain(password)
    const audit = await t.app.db
      .selectFrom('audit_log')
      .select(['after'])
      .where('entity_type', '=', 'user')
      .where('entity_id', '=', String(response.body.user.id))
      .execute()
    expect(JSON.stringify(audit)).not.toContain(password)
    await t.request().post('/api/auth/login').send({ username: 'new.clerk-1', password }).expect(200)
  })

  it('refuses POST /api/users to a clerk with 403', async () => {
    const { agent } = await t.signIn({ department: 'education', role: 'clerk' })
    const response = await agent
      .post('/api/users')
      .send({ username: 'sneaky', password: 'a long enough password', department: 'admin', role: 'admin' })
    expectErrorBody(response, 403, 'FORBIDDEN')
    expect(await t.app.db.selectFrom('users').select('id').where('username', '=', 'sneaky').executeTakeFirst()).toBeUndefined()
  })

  it('refuses POST /api/users without a session with 401', async () => {
    const response = await t
      .request()
      .post('/api/users')
      .send({ username: 'anon_made', password: 'a long enough password', department: 'admin', role: 'admin' })
    expectErrorBody(response, 401, 'UNAUTHENTICATED')
  })

  it('answers a taken username with 409', async () => {
    const { agent } = await t.signIn({ department: 'admin', role: 'admin' })
    const username = await makeUser()
    const response = await agent
      .post('/api/users')
      .send({ username, password: 'a long enough password', department: 'culture', role: 'clerk' })
    expectErrorBody(response, 409, 'DUPLICATE')
  })

  it('refuses the admin role outside the admin department, naming the field', async () => {
    const { agent } = await t.signIn({ department: 'admin', role: 'admin' })
    const response = await agent
      .post('/api/users')
      .send({ username: 'fake_admin', password: 'a long enough password', department: 'culture', role: 'admin' })
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message).toMatch(/^role: /)
  })
})

describe('demo users', () => {
  it('refuses a demo user while the demo data is not loaded, and accepts them once it is', async () => {
    const passwordHash = await hashPassword(TEST_PASSWORD)
    await insertUser(t.app.db, { username: 'demo_clerk', passwordHash, department: 'tobacco', role: 'clerk', countyCode: null, demo: true })
    const refused = await t.request().post('/api/auth/login').send({ username: 'demo_clerk', password: TEST_PASSWORD })
    expectErrorBody(refused, 401, 'INVALID_CREDENTIALS')
    expect(refused.headers['set-cookie']).toBeUndefined()
    await t.app.db
      .insertInto('app_settings')
      .values({ key: 'demo_data', value: JSON.stringify({ test: true }) })
      .execute()
    try {
      const accepted = await t.request().post('/api/auth/login').send({ username: 'demo_clerk', password: TEST_PASSWORD }).expect(200)
      expect(accepted.body.user.demo).toBe(true)
    } finally {
      await t.app.db.deleteFrom('app_settings').where('key', '=', 'demo_data').execute()
    }
  })
})

describe('sign-in rate limit', () => {
  let limited: TestApp
  beforeAll(async () => {
    limited = await startTestApp({ loginRateLimitPerMinute: 3 })
  })
  afterAll(async () => {
    await limited?.close()
  })

  it('answers 429 with the error body once a username has been tried too often', async () => {
    for (let i = 0; i < 3; i += 1) {
      await limited
        .request()
        .post('/api/auth/login')
        .send({ username: 'target_user', password: `guess ${i}` })
        .expect(401)
    }
    const response = await limited.request().post('/api/auth/login').send({ username: 'target_user', password: 'guess 4' })
    expectErrorBody(response, 429, 'RATE_LIMITED')
    expect(response.headers['retry-after']).toBeDefined()
  })

  it('keeps counting per username, so colleagues behind one address still sign in', async () => {
    await createUser(
      limited.app.db,
      { username: 'colleague', password: TEST_PASSWORD, department: 'market', role: 'clerk' },
      { user: null, requestId: 'test' },
    )
    for (let i = 0; i < 4; i += 1)
      await limited
        .request()
        .post('/api/auth/login')
        .send({ username: 'other_target', password: `guess ${i}` })
    await limited.request().post('/api/auth/login').send({ username: 'colleague', password: TEST_PASSWORD }).expect(200)
  })
})
