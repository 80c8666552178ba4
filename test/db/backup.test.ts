/**
 * Backups: `npm run backup` and `npm run restore` round-trip the database of the run (the embedded data folder, or
 * the server database with pg_dump/pg_restore) so that every table comes back row for row and the audit-log chain
 * still verifies. A restore never overwrites a database silently, and a running embedded service is never copied.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { randomBytes } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { inject } from 'vitest'
import { connectDatabase, type DatabaseHandle } from '../../server/db/connect.ts'
import { createScratchDatabase, type ScratchDatabase } from '../../server/db/scratch-database.ts'
import type { Database } from '../../server/db/types.ts'
import { appendAudit } from '../../server/modules/audit-log/repository.ts'
import { sealPending } from '../../server/modules/audit-log/service.ts'
import { rectangle } from '../factories/registry.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const actor = { user: null, requestId: 'backup-test' }
let dir: string
const scratches: ScratchDatabase[] = []

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zones-backup-'))
})
afterAll(async () => {
  for (const scratch of scratches) await scratch.drop()
  fs.rmSync(dir, { recursive: true, force: true })
})

const cli = (script: 'backup.ts' | 'restore.ts', args: string[], env: Record<string, string>) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', path.join('scripts', script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    timeout: 180_000,
  })
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the command to fail')
    },
    (error: { code?: number; stderr?: string }) => error,
  )

/** One row count and one digest of the rows per table of the service, to compare two databases whole. */
async function fingerprint(db: Kysely<Database>): Promise<Record<string, string>> {
  const { rows: tables } = await sql<{ name: string }>`
    select tablename as name from pg_tables where schemaname = 'public' and tablename <> 'spatial_ref_sys' order by 1`.execute(db)
  const result: Record<string, string> = {}
  for (const { name } of tables) {
    const { rows } = await sql<{ n: number; digest: string | null }>`
      select count(*)::int as n, md5(string_agg(t::text, '|' order by t::text)) as digest from ${sql.table(name)} t`.execute(db)
    result[name] = `${rows[0]!.n}:${rows[0]!.digest ?? ''}`
  }
  return result
}

/** A school, a premises and sealed audit entries, written as the service would store them. */
async function seed(db: Kysely<Database>, label: string) {
  const ring = rectangle([106.2384, 36.016])
  const polygon = `POLYGON((${ring.map(([lon, lat]) => `${lon} ${lat}`).join(', ')}))`
  const school = await db
    .insertInto('schools')
    .values({ name: `备份小学${label}`, school_type: 'primary', county_code: '640402', geom: sql`ST_GeomFromText(${polygon}, 4326)` })
    .returning('id')
    .executeTakeFirstOrThrow()
  await db
    .insertInto('premises')
    .values({
      name: `备份网吧${label}`,
      category: 'internet_cafe',
      county_code: '640402',
      geom: sql`ST_SetSRID(ST_MakePoint(106.2391, 36.0163), 4326)`,
    })
    .execute()
  await appendAudit(db, actor, { action: 'create', entityType: 'school', entityId: school.id, after: { name: `备份小学${label}` } })
  await sealPending(db)
}

/** A database of its own that the CLI reaches through DATA_DIR or DATABASE_URL. */
async function standalone(name: string): Promise<{ env: Record<string, string>; open: () => Promise<DatabaseHandle> }> {
  const url = process.env.TEST_DATABASE_URL
  if (url) {
    const scratch = await createScratchDatabase(url, `zones_backup_${name}_${randomBytes(4).toString('hex')}`, inject('serverTemplate'))
    scratches.push(scratch)
    return { env: { DATABASE_URL: scratch.url }, open: () => connectDatabase({ databaseUrl: scratch.url, poolSize: 2 }) }
  }
  const dataDir = path.join(dir, name)
  const template = new Blob([fs.readFileSync(inject('embeddedTemplate'))])
  let first = true
  return {
    env: { DATA_DIR: dataDir, DATABASE_URL: '' },
    open: () => {
      const handle = connectDatabase(first ? { dataDir, loadDataDir: template } : { dataDir })
      first = false
      return handle
    },
  }
}

/** An empty target: a new database on the server, or a data folder not yet made. */
async function emptyTarget(name: string): Promise<{ env: Record<string, string>; open: () => Promise<DatabaseHandle> }> {
  const url = process.env.TEST_DATABASE_URL
  if (url) {
    const scratch = await createScratchDatabase(url, `zones_restore_${name}_${randomBytes(4).toString('hex')}`)
    scratches.push(scratch)
    return { env: { DATABASE_URL: scratch.url }, open: () => connectDatabase({ databaseUrl: scratch.url, poolSize: 2 }) }
  }
  const dataDir = path.join(dir, name)
  return { env: { DATA_DIR: dataDir, DATABASE_URL: '' }, open: () => connectDatabase({ dataDir }) }
}

it(
  'npm run backup and npm run restore bring back every table row for row, with the audit-log chain intact',
  { timeout: 300_000 },
  async () => {
    const source = await standalone('source')
    const handle = await source.open()
    await seed(handle.db, 'A')
    const before = await fingerprint(handle.db)
    await handle.close()

    const file = path.join(dir, process.env.TEST_DATABASE_URL ? 'round-trip.dump' : 'round-trip.tar.gz')
    const backup = await cli('backup.ts', ['--out', file], source.env)
    expect(backup.stdout).toContain(`written to ${file}`)
    expect(fs.statSync(file).size).toBeGreaterThan(1000)
    // A second backup to the same file is refused rather than overwriting the first.
    expect((await failure(cli('backup.ts', ['--out', file], source.env))).stderr).toContain('exists')

    const target = await emptyTarget('target')
    const restore = await cli('restore.ts', [file], target.env)
    expect(restore.stdout).toMatch(/1 schools, 1 premises/)
    expect(restore.stdout).toContain('audit-log chain intact')
    const restored = await target.open()
    try {
      expect(await fingerprint(restored.db)).toEqual(before)
      // The restored database is a working one: it takes writes.
      await seed(restored.db, 'B')
    } finally {
      await restored.close()
    }

    // A restore onto a database that holds data is refused, and nothing in it changes.
    const refused = await failure(cli('restore.ts', [file], target.env))
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(process.env.TEST_DATABASE_URL ? /already holds tables.*--clean/ : /already holds a database.*--replace/)
    const unchanged = await target.open()
    try {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from schools`.execute(unchanged.db)
      expect(rows[0]!.n).toBe(2)
    } finally {
      await unchanged.close()
    }

    // Asked to, it replaces the database with the backup's (the embedded one moved aside, not deleted).
    const replaced = await cli('restore.ts', [file, process.env.TEST_DATABASE_URL ? '--clean' : '--replace'], target.env)
    expect(replaced.stdout).toMatch(/1 schools, 1 premises/)
    if (!process.env.TEST_DATABASE_URL) {
      expect(replaced.stdout).toContain('is kept in')
      expect(fs.readdirSync(dir).some((entry) => entry.startsWith('target.before-restore-'))).toBe(true)
    }
    const again = await target.open()
    try {
      expect(await fingerprint(again.db)).toEqual(before)
    } finally {
      await again.close()
    }
  },
)

it('refuses a file that is not a backup, and a backup of the other kind of database', { timeout: 120_000 }, async () => {
  const target = await emptyTarget('wrong_kind')
  const junk = path.join(dir, 'junk.bin')
  fs.writeFileSync(junk, 'not a backup at all')
  expect((await failure(cli('restore.ts', [junk], target.env))).stderr).toContain('neither a backup')
  const other = path.join(dir, process.env.TEST_DATABASE_URL ? 'other.tar.gz' : 'other.dump')
  fs.writeFileSync(other, process.env.TEST_DATABASE_URL ? Buffer.from([0x1f, 0x8b, 8, 0, 0]) : Buffer.from('PGDMP-----'))
  expect((await failure(cli('restore.ts', [other], target.env))).stderr).toMatch(
    process.env.TEST_DATABASE_URL ? /embedded database; unset DATABASE_URL/ : /PostgreSQL dump; set DATABASE_URL/,
  )
  expect((await failure(cli('restore.ts', [], target.env))).stderr).toContain('usage: npm run restore')
})

it('an embedded data folder in use by a running process is neither backed up nor opened a second time', { timeout: 120_000 }, async () => {
  const dataDir = path.join(dir, 'in-use')
  // On a server run there is no embedded template: an empty embedded database shows the same.
  const templateFile = inject('embeddedTemplate')
  const running = await connectDatabase(templateFile ? { dataDir, loadDataDir: new Blob([fs.readFileSync(templateFile)]) } : { dataDir })
  try {
    const refused = await failure(cli('backup.ts', ['--out', path.join(dir, 'in-use.tar.gz')], { DATA_DIR: dataDir, DATABASE_URL: '' }))
    expect(refused.stderr).toMatch(/in use by process \d+; stop it first/)
    expect(fs.existsSync(path.join(dir, 'in-use.tar.gz'))).toBe(false)
  } finally {
    await running.close()
  }
  // Once it has stopped, the same command works; a lock left by a process that died is taken over.
  fs.writeFileSync(`${dataDir}.lock`, '999999999\n')
  const ok = await cli('backup.ts', ['--out', path.join(dir, 'in-use.tar.gz')], { DATA_DIR: dataDir, DATABASE_URL: '' })
  expect(ok.stdout).toContain('written to')
  expect(fs.existsSync(`${dataDir}.lock`)).toBe(false)
})
