/**
 * Several service instances on one PostgreSQL database behave as one service (here the test's own and a second
 * process started as `npm start` starts it): a session made on one works on the
 * other, a write through one is read through the other, an audit started on both runs once, and an instance that
 * starts while another runs an audit leaves it running. The embedded database has one process: a second service on
 * its data folder is refused.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import supertest from 'supertest'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { inject } from 'vitest'
import { connectDatabase, type DatabaseHandle } from '../../server/db/connect.ts'
import { holdSessionLock } from '../../server/db/session-lock.ts'
import { AUDIT_LOCK_CLASS, failInterruptedAudits, startAudit } from '../../server/modules/audits/service.ts'
import { applyRuleDates } from '../../server/modules/zones/schedule.ts'
import { premisesFeature } from '../factories/registry.ts'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app.ts'
import { onServer } from '../helpers/database.ts'
import { startServiceProcess, type ServiceProcess } from '../helpers/service-process.ts'

if (onServer()) {
  let first: TestApp
  /** The second instance: a process of its own (`node server/main.ts`) on the same database, on loopback. */
  let second: ServiceProcess
  let secondUrl: string
  /** A pool of the test's own on the same database, standing in for a third instance's sessions. */
  let other: DatabaseHandle

  beforeAll(async () => {
    first = await startTestApp()
    const { rows } = await sql<{ db: string }>`select current_database() as db`.execute(first.app.db)
    const url = new URL(process.env.TEST_DATABASE_URL!)
    url.pathname = `/${rows[0]!.db}`
    other = await connectDatabase({ databaseUrl: url.toString(), poolSize: 3 })
    second = startServiceProcess('server/main.ts', { DATABASE_URL: url.toString(), SERVE_WEB: 'false' }, 'the second instance')
    secondUrl = await second.listening
  }, 120_000)
  afterAll(async () => {
    await second?.stop()
    await other?.close()
    await first?.close()
  })

  /** A session made by signing in on the first instance, as its cookie header. */
  const sessionCookie = async (username: string) => {
    const login = await supertest(first.url).post('/api/auth/login').send({ username, password: TEST_PASSWORD })
    return String(login.headers['set-cookie']![0]).split(';')[0]!
  }

  it('a session made on one instance works on the other, and a write through one is read through the other', async () => {
    const { agent, user } = await first.signIn({ department: 'tobacco', role: 'clerk' })
    const cookie = await sessionCookie(user.username)
    const me = await supertest(secondUrl).get('/api/auth/me').set('Cookie', cookie)
    expect(me.status, JSON.stringify(me.body)).toBe(200)
    expect(me.body.user.username).toBe(user.username)
    const created = await agent
      .post('/api/premises')
      .send(premisesFeature({ name: '两实例烟店', category: 'tobacco_retail', licenceNo: 'MI-1' }))
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const read = await supertest(secondUrl).get(`/api/premises/${created.body.id}`).set('Cookie', cookie)
    expect(read.status).toBe(200)
    expect(read.body.properties.name).toBe('两实例烟店')
    // Signed out on the second, the session is gone on the first too.
    expect((await supertest(secondUrl).post('/api/auth/logout').set('Cookie', cookie).set('Origin', secondUrl)).status).toBeLessThan(300)
    expect((await supertest(first.url).get('/api/auth/me').set('Cookie', cookie)).status).toBe(401)
  })

  it('an audit started on both instances at once runs once', async () => {
    const { agent: a, user } = await first.signIn({ department: 'governance', role: 'supervisor' })
    const b = supertest
      .agent(secondUrl)
      .set('Origin', secondUrl)
      .set('Cookie', await sessionCookie(user.username))
    const [one, two] = await Promise.all([a.post('/api/audits').send(), b.post('/api/audits').send()])
    expect([one.status, two.status].sort()).toEqual([202, 409])
    const id = (one.status === 202 ? one : two).body.id as number
    for (let i = 0; i < 300; i += 1) {
      const audit = await a.get(`/api/audits/${id}`)
      if (audit.body.status !== 'running') {
        expect(audit.body.status).toBe('done')
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from audits where id >= ${id}`.execute(first.app.db)
    expect(rows[0]!.n).toBe(1)
  })

  it('an instance starting while another runs an audit leaves that audit running; one left by a dead instance is failed', async () => {
    const audit = await startAudit(first.app.db, { user: null, requestId: 'multi' })
    const release = await holdSessionLock(first.app.db, 'postgis', AUDIT_LOCK_CLASS, audit.id)
    expect(release).not.toBeNull()
    // The other instance cannot take the same audit's lock, and its start-up leaves the audit alone.
    expect(await holdSessionLock(other.db, 'postgis', AUDIT_LOCK_CLASS, audit.id)).toBeNull()
    await failInterruptedAudits(other.db, 'postgis')
    const status = () => sql<{ status: string }>`select status from audits where id = ${audit.id}`.execute(first.app.db)
    expect((await status()).rows[0]!.status).toBe('running')
    // Its runner gone (the lock released with the session), the next start-up fails it.
    await release!()
    await failInterruptedAudits(other.db, 'postgis')
    expect((await status()).rows[0]!.status).toBe('failed')
  })

  it('the rule-date schedule run by both instances at once applies a day once', async () => {
    await sql`update app_settings set value = to_jsonb((((now() at time zone 'Asia/Shanghai')::date - 1))::text)
      where key = 'rules_applied_on'`.execute(first.app.db)
    const results = await Promise.all([applyRuleDates(first.app.db), applyRuleDates(other.db)])
    // One instance applied it (an empty list: no rule date fell on the day); the other skipped or found it done.
    expect(results.filter((r) => r !== null).length).toBeGreaterThanOrEqual(1)
    const { rows } = await sql<{ applied: string; today: string }>`select value #>> '{}' as applied,
      ((now() at time zone 'Asia/Shanghai')::date)::text as today from app_settings where key = 'rules_applied_on'`.execute(first.app.db)
    expect(rows[0]!.applied).toBe(rows[0]!.today)
  })
} else {
  it('a second service on the embedded data folder is refused while the first runs', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zones-instances-'))
    const dataDir = path.join(dir, 'data')
    try {
      const running = await connectDatabase({ dataDir, loadDataDir: new Blob([fs.readFileSync(inject('embeddedTemplate'))]) })
      try {
        await expect(connectDatabase({ dataDir })).rejects.toThrow(/already open in this process/)
      } finally {
        await running.close()
      }
      const again = await connectDatabase({ dataDir })
      await again.close()
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
}
