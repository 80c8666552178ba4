/**
 * Sign-in under attack and sessions under administration: a per-address limit across usernames (password spraying),
 * failed sign-ins aggregated in the audit log, an optional lockout that tells nothing about which names exist, the idle
 * lifetime beside the absolute one, and administrators listing and ending sessions and disabling users.
 */
import { createHash } from 'node:crypto'
import type TestAgent from 'supertest/lib/agent.js'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../server/modules/users/service.ts'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let n = 0
async function makeUser(t: TestApp) {
  n += 1
  const username = `hardening_${n}`
  const user = await createUser(
    t.app.db,
    { username, password: TEST_PASSWORD, department: 'market', role: 'clerk' },
    { user: null, requestId: 'test' },
  )
  return { username, id: user.id }
}
const signIn = (t: TestApp, username: string, password = TEST_PASSWORD) => t.request().post('/api/auth/login').send({ username, password })
/** The public id of the session behind a cookie: the first 16 hex digits of the token's SHA-256. */
const publicIdOf = (cookie: string) =>
  createHash('sha256')
    .update(decodeURIComponent(cookie.slice('sid='.length)))
    .digest('hex')
    .slice(0, 16)
const cookieOf = (response: { headers: Record<string, unknown> }) =>
  ((response.headers['set-cookie'] as string[]).find((c) => c.startsWith('sid=')) ?? '').split(';')[0]!

describe('password spraying from one address', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ loginMaxFailuresPerAddress: 5, loginFailureWindowMinutes: 60 })
  })
  afterAll(async () => {
    await t?.close()
  })

  it('refuses the address with 429 and Retry-After after 5 failures across 5 usernames, even with a right password', async () => {
    const real = await makeUser(t)
    for (let i = 0; i < 5; i += 1) expect((await signIn(t, `sprayed_${i}`, 'Winter2026!')).status).toBe(401)
    const refused = await signIn(t, real.username)
    expectErrorBody(refused, 429, 'RATE_LIMITED')
    expect(refused.body.message).toContain('from this address')
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
  })
})

describe('failed sign-ins in the audit log', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ loginMaxFailuresPerAddress: 10_000, loginFailureWindowMinutes: 60 })
  })
  afterAll(async () => {
    await t?.close()
  })

  it('a flood of 120 failures over 120 usernames writes 3 entries (the 1st, 10th and 100th), each with the counts', async () => {
    const before = Date.now()
    for (let i = 0; i < 120; i += 1) await signIn(t, `flood_${i}`, 'guess').expect(401)
    const entries = await t.app.db
      .selectFrom('audit_log')
      .select(['after'])
      .where('action', '=', 'login_failed')
      .where('at', '>=', new Date(before))
      .orderBy('id')
      .execute()
    expect(entries.map((e) => (e.after as { failuresFromAddress: number }).failuresFromAddress)).toEqual([1, 10, 100])
    expect(entries[0]!.after).toMatchObject({ username: 'flood_0', address: '127.0.0.1', failuresForUsername: 1 })
    const stored = await sql<{
      failures: number
    }>`select failures from login_failures where scope = 'address' and key = '127.0.0.1'`.execute(t.app.db)
    expect(stored.rows.reduce((total, r) => total + r.failures, 0)).toBe(120)
  })
})

describe('lockout', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ loginLockoutFailures: 3, loginFailureWindowMinutes: 60, loginMaxFailuresPerAddress: 10_000 })
  })
  afterAll(async () => {
    await t?.close()
  })

  it('locks a username after 3 failures, even for the right password, while a colleague signs in', async () => {
    const target = await makeUser(t)
    const colleague = await makeUser(t)
    for (let i = 0; i < 3; i += 1) await signIn(t, target.username, `guess ${i}`).expect(401)
    const locked = await signIn(t, target.username)
    expectErrorBody(locked, 429, 'RATE_LIMITED')
    expect(locked.body.message).toContain('locked after 3 failed sign-ins')
    await signIn(t, colleague.username).expect(200)
  })

  it('answers a name that does not exist exactly as a real one, so a lockout reveals nothing', async () => {
    const real = await makeUser(t)
    for (let i = 0; i < 3; i += 1) {
      await signIn(t, real.username, `guess ${i}`).expect(401)
      await signIn(t, 'no_such_person_here', `guess ${i}`).expect(401)
    }
    const [a, b] = [await signIn(t, real.username, 'guess'), await signIn(t, 'no_such_person_here', 'guess')]
    expect([a.status, b.status]).toEqual([429, 429])
    expect(a.body.message.replace(/\d+ s$/, '')).toBe(b.body.message.replace(/\d+ s$/, ''))
  })

  it('forgets a username’s failures once it signs in', async () => {
    const user = await makeUser(t)
    for (let round = 0; round < 2; round += 1) {
      await signIn(t, user.username, 'wrong 1').expect(401)
      await signIn(t, user.username, 'wrong 2').expect(401)
      await signIn(t, user.username).expect(200)
    }
  })
})

describe('session lifetimes and administration', () => {
  let t: TestApp
  let admin: TestAgent
  beforeAll(async () => {
    t = await startTestApp({ sessionIdleMinutes: 30 })
    admin = (await t.signIn({ department: 'admin', role: 'admin' })).agent
  })
  afterAll(async () => {
    await t?.close()
  })

  it('ends a session unused for longer than the idle lifetime, and keeps one used within it alive', async () => {
    const user = await makeUser(t)
    const idle = cookieOf(await signIn(t, user.username).expect(200))
    const busy = cookieOf(await signIn(t, user.username).expect(200))
    const lastUse = (cookie: string, minutesAgo: number) =>
      t.app.db
        .updateTable('sessions')
        .set({ last_seen_at: new Date(Date.now() - minutesAgo * 60_000) })
        .where('public_id', '=', publicIdOf(cookie))
        .execute()
    await lastUse(idle, 31)
    await lastUse(busy, 29)
    expectErrorBody(await t.request().get('/api/auth/me').set('Cookie', idle), 401, 'UNAUTHENTICATED')
    await t.request().get('/api/auth/me').set('Cookie', busy).expect(200)
    const listed = (await admin.get('/api/sessions').query({ userId: user.id }).expect(200)).body.sessions
    expect(listed.map((s: { id: string }) => s.id)).toEqual([publicIdOf(busy)])
  })

  it('marks a session used at most once a minute, and the idle clock restarts with use', async () => {
    const user = await makeUser(t)
    const cookie = cookieOf(await signIn(t, user.username).expect(200))
    await t.app.db
      .updateTable('sessions')
      .set({ last_seen_at: new Date(Date.now() - 20 * 60_000) })
      .where('user_id', '=', user.id)
      .execute()
    await t.request().get('/api/auth/me').set('Cookie', cookie).expect(200)
    const row = await t.app.db.selectFrom('sessions').select('last_seen_at').where('user_id', '=', user.id).executeTakeFirstOrThrow()
    expect(Date.now() - new Date(row.last_seen_at).getTime()).toBeLessThan(60_000)
  })

  it('lists a user’s live sessions without their tokens, and ends one while the other lives', async () => {
    const user = await makeUser(t)
    const first = cookieOf(await signIn(t, user.username).expect(200))
    const second = cookieOf(await signIn(t, user.username).expect(200))
    const listed = (await admin.get('/api/sessions').query({ userId: user.id }).expect(200)).body.sessions
    expect(listed).toHaveLength(2)
    expect(listed[0]).toMatchObject({
      userId: user.id,
      username: user.username,
      address: '127.0.0.1',
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
    })
    expect(JSON.stringify(listed)).not.toContain(first.slice(4))
    // Newest first: the second sign-in's session is ended.
    await admin.delete(`/api/sessions/${listed[0].id}`).expect(204)
    expectErrorBody(await t.request().get('/api/auth/me').set('Cookie', second), 401, 'UNAUTHENTICATED')
    await t.request().get('/api/auth/me').set('Cookie', first).expect(200)
    expectErrorBody(await admin.delete(`/api/sessions/${listed[0].id}`), 404, 'NOT_FOUND')
    expectErrorBody(await admin.delete('/api/sessions/not-an-id'), 400, 'VALIDATION_FAILED')
  })

  it('disables a user (every session ends, sign-in refused) and enables them again', async () => {
    const user = await makeUser(t)
    const cookie = cookieOf(await signIn(t, user.username).expect(200))
    const disabled = await admin.patch(`/api/users/${user.id}`).send({ disabled: true }).expect(200)
    expect(disabled.body).toMatchObject({ user: { id: user.id, username: user.username }, disabled: true })
    expectErrorBody(await t.request().get('/api/auth/me').set('Cookie', cookie), 401, 'UNAUTHENTICATED')
    expectErrorBody(await signIn(t, user.username), 401, 'INVALID_CREDENTIALS')
    await admin.patch(`/api/users/${user.id}`).send({ disabled: false }).expect(200)
    await signIn(t, user.username).expect(200)
  })

  it('refuses what an administrator may not do, and what others may not do at all', async () => {
    const me = (await admin.get('/api/auth/me').expect(200)).body.user
    expectErrorBody(await admin.patch(`/api/users/${me.id}`).send({ disabled: true }), 400, 'VALIDATION_FAILED')
    expectErrorBody(await admin.patch('/api/users/999999').send({ disabled: true }), 404, 'NOT_FOUND')
    expectErrorBody(await admin.patch(`/api/users/${me.id}`).send({ disabled: 'yes' }), 400, 'VALIDATION_FAILED')
    const clerk = (await t.signIn({ department: 'market', role: 'clerk' })).agent
    expectErrorBody(await clerk.get('/api/sessions'), 403, 'FORBIDDEN')
    expectErrorBody(await clerk.patch(`/api/users/${me.id}`).send({ disabled: true }), 403, 'FORBIDDEN')
  })
})
