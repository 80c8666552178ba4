/**
 * Read replicas (DATABASE_REPLICA_URLS): with a hot standby of the test server (TEST_REPLICA_URL, started by
 * .ci/run with pg_basebackup -R), tiles, search, lists and checks are read on the standby — seen in the standby's
 * own statistics — while writes and the writer's next reads go to the primary; a standby that is down costs
 * nothing but falls back to the primary. Without a server, replicas are refused in the configuration.
 */
import { sql } from 'kysely'
import pg from 'pg'
import supertest from 'supertest'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import type { DatabaseHandle } from '../../server/db/connect.ts'
import { createUser } from '../../server/modules/users/service.ts'
import { GUYUAN, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { TEST_PASSWORD } from '../helpers/app.ts'
import { createTestDatabase } from '../helpers/database.ts'

const replicaRoot = process.env.TEST_REPLICA_URL

it('refuses replicas without a PostgreSQL server, and malformed replica URLs', () => {
  expect(() => loadConfig({ DATABASE_REPLICA_URLS: 'postgres://standby/zones' })).toThrow(/DATABASE_REPLICA_URLS needs DATABASE_URL/)
  expect(() => loadConfig({ DATABASE_URL: 'postgres://primary/zones', DATABASE_REPLICA_URLS: 'mysql://x' })).toThrow(
    /DATABASE_REPLICA_URLS must be postgres/,
  )
  const config = loadConfig({ DATABASE_URL: 'postgres://primary/zones', DATABASE_REPLICA_URLS: ' postgres://a/zones, postgres://b/zones ' })
  expect(config.databaseReplicaUrls).toEqual(['postgres://a/zones', 'postgres://b/zones'])
})

if (process.env.TEST_DATABASE_URL && replicaRoot) {
  let database: DatabaseHandle
  let app: Awaited<ReturnType<typeof buildApp>>
  let url: string
  let standbyUrl: string
  let clerk: TestAgent

  /** The same database name on another server. */
  const onServer = (root: string, name: string) => {
    const target = new URL(root)
    target.pathname = `/${name}`
    return target.toString()
  }
  /** Transactions the standby has committed in this database: its own count of the reads it served. */
  const standbyReads = async () => {
    const client = new pg.Client({ connectionString: replicaRoot })
    await client.connect()
    try {
      const name = new URL(standbyUrl).pathname.slice(1)
      const { rows } = await client.query<{ n: string }>('select xact_commit::text as n from pg_stat_database where datname = $1', [name])
      return Number(rows[0]?.n ?? 0)
    } finally {
      await client.end()
    }
  }

  async function start(replicaUrls: string[]) {
    const { rows } = await sql<{ db: string }>`select current_database() as db`.execute(database.db)
    const primaryUrl = onServer(process.env.TEST_DATABASE_URL!, rows[0]!.db)
    const config = loadConfig(
      {},
      { port: 0, loadDemoData: false, serveWeb: false, logLevel: 'silent', databaseUrl: primaryUrl, databaseReplicaUrls: replicaUrls },
    )
    const instance = await buildApp(config, { database, logger: false })
    await instance.listen({ port: 0, host: '127.0.0.1' })
    return { instance, url: `http://127.0.0.1:${(instance.server.address() as { port: number }).port}` }
  }

  async function signIn(base: string, department: string, role: string) {
    const username = `${department}_${role}_${Math.random().toString(36).slice(2, 8)}`
    await createUser(database.db, { username, password: TEST_PASSWORD, department, role, countyCode: null } as never, {
      user: null,
      requestId: 'test',
    })
    const agent = supertest.agent(base).set('Origin', base)
    const login = await agent.post('/api/auth/login').send({ username, password: TEST_PASSWORD })
    expect(login.status).toBe(200)
    return agent
  }

  /** A client with only the session of a new user: no read-primary mark from a recent write (the sign-in is one). */
  async function reader(department: string, base = url) {
    const username = `${department}_reader_${Math.random().toString(36).slice(2, 8)}`
    await createUser(database.db, { username, password: TEST_PASSWORD, department, role: 'clerk', countyCode: null } as never, {
      user: null,
      requestId: 'test',
    })
    const login = await supertest(base).post('/api/auth/login').set('Origin', base).send({ username, password: TEST_PASSWORD })
    const sid = (login.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]!).find((c) => c.startsWith('sid='))!
    return supertest.agent(base).set('Cookie', sid).set('Origin', base)
  }

  /**
   * Waits until the standby has replayed what the primary committed so far. The insert location, not the write
   * location: with synchronous_commit off (as .ci/run runs its cluster) a commit returns before its WAL is written.
   */
  async function caughtUp() {
    const primary = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL })
    const standby = new pg.Client({ connectionString: replicaRoot })
    await Promise.all([primary.connect(), standby.connect()])
    try {
      const lsn = (await primary.query<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn')).rows[0]!.lsn
      for (let i = 0; i < 200; i += 1) {
        const { rows } = await standby.query<{ ok: boolean }>('select pg_last_wal_replay_lsn() >= $1::pg_lsn as ok', [lsn])
        if (rows[0]!.ok) return
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      throw new Error('the standby did not catch up within 10 s')
    } finally {
      await Promise.all([primary.end(), standby.end()])
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase()
    const { rows } = await sql<{ db: string }>`select current_database() as db`.execute(database.db)
    standbyUrl = onServer(replicaRoot, rows[0]!.db)
    const started = await start([standbyUrl])
    app = started.instance
    url = started.url
    clerk = await signIn(url, 'tobacco', 'clerk')
    const education = await signIn(url, 'education', 'clerk')
    expect((await education.post('/api/schools').send(schoolFeature({ name: '副本小学' }))).status).toBe(201)
    await caughtUp()
  })
  afterAll(async () => {
    await app?.close()
    await database?.close()
  })

  it('tiles, search, lists and checks are read on the standby', async () => {
    const before = { ours: app.replicas!.stats().perReplica[0]!, standby: await standbyReads() }
    const client = await reader('tobacco')
    expect((await client.get('/api/schools')).status).toBe(200)
    expect((await client.get('/api/search?q=副本')).status).toBe(200)
    expect((await client.get('/tiles/schools/14/13218/6362.mvt')).status).toBeLessThan(500)
    const check = await client.post('/api/check').send({ lon: GUYUAN.lon, lat: GUYUAN.lat, category: 'tobacco_retail' })
    expect(check.status, JSON.stringify(check.body)).toBe(200)
    expect(check.body.verdict).toBe('prohibited')
    expect(app.replicas!.stats().perReplica[0]! - before.ours).toBeGreaterThanOrEqual(4)
    // The standby's own count moved too. Its statistics lag: a backend left idle reports after about 10 s.
    let served = 0
    for (let i = 0; i < 80 && served < 4; i += 1) {
      served = (await standbyReads()) - before.standby
      if (served < 4) await new Promise((resolve) => setTimeout(resolve, 250))
    }
    expect(served).toBeGreaterThanOrEqual(4)
  })

  it('a write goes to the primary, and the writer reads it back at once from the primary', async () => {
    const created = await clerk
      .post('/api/premises')
      .send(premisesFeature({ name: '副本烟店', category: 'tobacco_retail', licenceNo: 'RP-1' }))
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    expect(String(created.headers['set-cookie'])).toMatch(/rp=\d+/)
    const fromReplica = app.replicas!.stats().perReplica[0]!
    const list = await clerk.get('/api/premises?q=副本烟店')
    expect(list.status).toBe(200)
    expect(list.body.features.map((f: { id: number }) => f.id)).toContain(created.body.id)
    // That read did not touch the standby.
    expect(app.replicas!.stats().perReplica[0]).toBe(fromReplica)
    // Another client reads it from the standby once replayed.
    await caughtUp()
    const other = await reader('market')
    const seen = await other.get('/api/premises?q=副本烟店')
    expect(seen.body.features.map((f: { id: number }) => f.id)).toContain(created.body.id)
    expect(app.replicas!.stats().perReplica[0]!).toBeGreaterThan(fromReplica)
  })

  it('a standby that is down costs nothing: reads fall back to the primary', async () => {
    const down = await start(['postgres://postgres@127.0.0.1:1/none'])
    try {
      const agent = await reader('tobacco', down.url)
      const list = await agent.get('/api/schools')
      expect(list.status).toBe(200)
      expect(list.body.features.length).toBeGreaterThanOrEqual(1)
      expect(down.instance.replicas!.stats().primaryFallbacks).toBeGreaterThanOrEqual(1)
    } finally {
      await down.instance.close()
    }
  })
}
