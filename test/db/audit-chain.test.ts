/**
 * The audit log's hash chain: entries are sealed after they commit, in order; verification recomputes every seal with
 * its own hash of the stored entry, and finds an entry changed or removed, a seal removed, an entry taken off the list
 * to seal. Tampering is done as a database owner would: by switching off the append-only triggers.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { createHash, randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inject } from 'vitest'
import { connectDatabase, type DatabaseHandle } from '../../server/db/connect.ts'
import { createScratchDatabase } from '../../server/db/scratch-database.ts'
import { appendAudit } from '../../server/modules/audit-log/repository.ts'
import { sealPending, verifyChain } from '../../server/modules/audit-log/service.ts'
import { startTestApp } from '../helpers/app.ts'
import { createTestDatabase, onServer } from '../helpers/database.ts'

const actor = { user: null, requestId: 'chain-test' }
let database: DatabaseHandle

beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(async () => {
  await database?.close()
})

const append = (n: number, label: string) =>
  Promise.all(
    Array.from({ length: n }, (_, i) =>
      appendAudit(database.db, actor, {
        action: 'update',
        entityType: 'school',
        entityId: i + 1,
        before: { name: `${label} ${i}` },
        after: { name: `${label} ${i}′`, 名称: '示例' },
      }),
    ),
  )

/** Runs statements with the append-only triggers of both tables switched off, as a database owner could. */
async function tamper(statement: ReturnType<typeof sql>) {
  await sql`alter table audit_log disable trigger audit_log_no_update_delete`.execute(database.db)
  await sql`alter table audit_log_seals disable trigger audit_log_seals_no_update_delete`.execute(database.db)
  try {
    await statement.execute(database.db)
  } finally {
    await sql`alter table audit_log enable trigger audit_log_no_update_delete`.execute(database.db)
    await sql`alter table audit_log_seals enable trigger audit_log_seals_no_update_delete`.execute(database.db)
  }
}

/** An independent reading of one seal: SHA-256 of the JSON array of the previous link and the entry's columns as text. */
async function recomputeSeal(auditId: string): Promise<{ stored: string; recomputed: string }> {
  const { rows } = await sql<Record<string, string | null>>`
    select s.hash, s.prev_hash, a.id::text as id, to_char(a.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at,
      a.user_id::text as user_id, a.username, a.role, a.department, a.action, a.entity_type, a.entity_id,
      a.before::text as before, a.after::text as after, a.request_id
    from audit_log_seals s join audit_log a on a.id = s.audit_id where s.audit_id = ${auditId}`.execute(database.db)
  const r = rows[0]!
  const fields = [
    'prev_hash',
    'id',
    'at',
    'user_id',
    'username',
    'role',
    'department',
    'action',
    'entity_type',
    'entity_id',
    'before',
    'after',
    'request_id',
  ]
  return {
    stored: r.hash!,
    recomputed: createHash('sha256')
      .update(JSON.stringify(fields.map((f) => r[f] ?? null)))
      .digest('hex'),
  }
}

describe('sealing', () => {
  it('seals every entry once, in a chain that verifies, and a second sealing finds nothing', async () => {
    await append(30, 'first')
    const sealed = await sealPending(database.db)
    expect(sealed).toBeGreaterThanOrEqual(30)
    expect(await sealPending(database.db)).toBe(0)
    const report = await verifyChain(database.db)
    expect(report).toMatchObject({ intact: true, pending: 0, problems: [] })
    const { rows } = await sql<{ n: string }>`select count(*)::text as n from audit_log`.execute(database.db)
    expect(report.sealed).toBe(Number(rows[0]!.n))
    expect(report.head.seq).toBe(report.sealed)
    expect(report.head.hash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('continues the chain from its head in batches larger than one transaction takes', async () => {
    await append(4500, 'bulk')
    expect((await verifyChain(database.db)).pending).toBeGreaterThanOrEqual(4500)
    await sealPending(database.db)
    const report = await verifyChain(database.db)
    expect(report).toMatchObject({ intact: true, pending: 0 })
    const { rows } = await sql<{ id: string }>`select audit_id::text as id from audit_log_seals order by seq desc limit 1`.execute(
      database.db,
    )
    const seal = await recomputeSeal(rows[0]!.id)
    expect(seal.recomputed).toBe(seal.stored)
  })

  // Two transactions at once need a server: the embedded database has one connection.
  if (onServer())
    it('seals an entry that commits after later ids were sealed, after them', async () => {
      let release!: () => void
      const held = new Promise<void>((resolve) => (release = resolve))
      let earlyId = ''
      const slow = database.db.transaction().execute(async (trx) => {
        await appendAudit(trx, actor, { action: 'update', entityType: 'school', entityId: 1, after: { slow: true } })
        earlyId = (await sql<{ id: string }>`select max(id)::text as id from audit_log`.execute(trx)).rows[0]!.id
        await held
      })
      await new Promise((resolve) => setTimeout(resolve, 200))
      await append(3, 'meanwhile')
      await sealPending(database.db)
      release()
      await slow
      await sealPending(database.db)
      const { rows } = await sql<{ id: string; seq: string }>`select audit_id::text as id, seq::text as seq from audit_log_seals s
      order by s.seq desc limit 4`.execute(database.db)
      expect(rows[0]!.id).toBe(earlyId)
      expect(rows.slice(1).every((r) => BigInt(r.id) > BigInt(earlyId))).toBe(true)
      expect(await verifyChain(database.db)).toMatchObject({ intact: true })
    })
})

describe('verification finds tampering', () => {
  // Each case tampers and then restores, so the next one starts from an intact chain.
  it('an entry changed after it was sealed, and only that one', async () => {
    const { rows } = await sql<{
      id: string
      after: unknown
    }>`select id::text as id, after from audit_log order by id limit 1 offset 5`.execute(database.db)
    const target = rows[0]!
    await tamper(sql`update audit_log set after = '{"name":"forged"}'::jsonb where id = ${target.id}`)
    const report = await verifyChain(database.db)
    expect(report.intact).toBe(false)
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'entry_changed', auditId: target.id })])
    await tamper(sql`update audit_log set after = ${JSON.stringify(target.after)}::jsonb where id = ${target.id}`)
    expect((await verifyChain(database.db)).intact).toBe(true)
  })

  it('a time moved by a microsecond', async () => {
    const { rows } = await sql<{ id: string }>`select id::text as id from audit_log order by id limit 1 offset 7`.execute(database.db)
    const id = rows[0]!.id
    await tamper(sql`update audit_log set at = at + interval '1 microsecond' where id = ${id}`)
    expect((await verifyChain(database.db)).problems).toEqual([expect.objectContaining({ kind: 'entry_changed', auditId: id })])
    await tamper(sql`update audit_log set at = at - interval '1 microsecond' where id = ${id}`)
    expect((await verifyChain(database.db)).intact).toBe(true)
  })

  it('the API token named by an entry, changed after it was sealed', async () => {
    await appendAudit(database.db, { ...actor, token: { id: 7, name: 'QGIS' } }, { action: 'create', entityType: 'school', entityId: 1 })
    await sealPending(database.db)
    expect((await verifyChain(database.db)).intact).toBe(true)
    const { rows } = await sql<{ id: string }>`select max(id)::text as id from audit_log where token_id = 7`.execute(database.db)
    const id = rows[0]!.id
    await tamper(sql`update audit_log set token_name = 'forged' where id = ${id}`)
    expect((await verifyChain(database.db)).problems).toEqual([expect.objectContaining({ kind: 'entry_changed', auditId: id })])
    await tamper(sql`update audit_log set token_name = 'QGIS', token_id = 8 where id = ${id}`)
    expect((await verifyChain(database.db)).problems).toEqual([expect.objectContaining({ kind: 'entry_changed', auditId: id })])
    await tamper(sql`update audit_log set token_id = 7 where id = ${id}`)
    expect((await verifyChain(database.db)).intact).toBe(true)
  })

  it('a seal removed, with the entry it sealed', async () => {
    const { rows } = await sql<{ id: string; seq: string }>`select s.audit_id::text as id, s.seq::text as seq from audit_log_seals s
      order by s.seq limit 1 offset 10`.execute(database.db)
    const { id, seq } = rows[0]!
    await tamper(sql`delete from audit_log_seals where audit_id = ${id}`)
    await tamper(sql`delete from audit_log where id = ${id}`)
    const report = await verifyChain(database.db)
    expect(report.problems.map((p) => p.kind).sort()).toEqual(['link_broken', 'seal_missing'])
    expect(report.problems.find((p) => p.kind === 'seal_missing')!.message).toContain(`seals ${seq}–${seq}`)
  })

  it('an entry removed while its seal stays', async () => {
    const { rows } = await sql<{ id: string }>`select audit_id::text as id from audit_log_seals order by seq limit 1 offset 20`.execute(
      database.db,
    )
    await tamper(sql`delete from audit_log where id = ${rows[0]!.id}`)
    expect((await verifyChain(database.db)).problems).toContainEqual(
      expect.objectContaining({ kind: 'entry_missing', auditId: rows[0]!.id }),
    )
  })

  it('an entry taken off the list to seal', async () => {
    await append(1, 'hidden')
    const { rows } = await sql<{ id: string }>`select max(audit_id)::text as id from audit_log_pending`.execute(database.db)
    await sql`delete from audit_log_pending where audit_id = ${rows[0]!.id}`.execute(database.db)
    expect((await verifyChain(database.db)).problems).toContainEqual(expect.objectContaining({ kind: 'unsealed', auditId: rows[0]!.id }))
  })
})

it('the running service seals what its requests log, by itself', async () => {
  const t = await startTestApp({ auditSealIntervalSeconds: 1 })
  try {
    const { agent } = await t.signIn({ department: 'admin', role: 'admin' })
    const created = await agent
      .post('/api/users')
      .send({ username: 'chain_user', password: 'a long enough password', department: 'education', role: 'viewer' })
    expect(created.status).toBe(201)
    let report = await verifyChain(t.app.db)
    // The seal runs every second; on a loaded machine its turn can come late, so wait up to 40 s.
    for (const deadline = Date.now() + 40_000; report.pending > 0 && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      report = await verifyChain(t.app.db)
    }
    expect(report).toMatchObject({ intact: true, pending: 0 })
    expect(report.sealed).toBeGreaterThan(0)
  } finally {
    await t.close()
  }
})

/** A database the CLI can open on its own: a server database cloned from the template, or an embedded one in a folder. */
async function standaloneDatabase(
  dir: string,
): Promise<{ env: Record<string, string>; open: () => Promise<DatabaseHandle>; drop: () => Promise<void> }> {
  const url = process.env.TEST_DATABASE_URL
  if (url) {
    const scratch = await createScratchDatabase(url, `zones_chain_${randomBytes(6).toString('hex')}`, inject('serverTemplate'))
    return {
      env: { DATABASE_URL: scratch.url },
      open: () => connectDatabase({ databaseUrl: scratch.url, poolSize: 2 }),
      drop: () => scratch.drop(),
    }
  }
  const dataDir = path.join(dir, 'data')
  const template = new Blob([fs.readFileSync(inject('embeddedTemplate'))])
  let first = true
  return {
    env: { DATA_DIR: dataDir, DATABASE_URL: '' },
    open: () => {
      const handle = connectDatabase(first ? { dataDir, loadDataDir: template } : { dataDir })
      first = false
      return handle
    },
    drop: async () => {},
  }
}

it('npm run audit-log -- verify reports an intact chain, and a changed entry with exit status 1', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zones-chain-'))
  const standalone = await standaloneDatabase(dir)
  try {
    const handle = await standalone.open()
    await appendAudit(handle.db, actor, { action: 'create', entityType: 'school', entityId: 1, after: { name: 'cli' } })
    await sealPending(handle.db)
    await handle.close()
    const cli = (args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/audit-log.ts', ...args], {
        cwd: path.resolve(import.meta.dirname, '../..'),
        env: { ...process.env, ...standalone.env },
      })
    const ok = await cli(['verify'])
    expect(ok.stdout).toContain('the chain is intact')
    const tampered = await standalone.open()
    await sql`alter table audit_log disable trigger audit_log_no_update_delete`.execute(tampered.db)
    await sql`update audit_log set action = 'forged' where id = (select max(id) from audit_log)`.execute(tampered.db)
    await tampered.close()
    const failed = await cli(['verify']).then(
      () => null,
      (error: { code: number; stdout: string }) => error,
    )
    expect(failed?.code).toBe(1)
    expect(failed?.stdout).toContain('entry_changed')
  } finally {
    await standalone.drop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}, 240_000)
