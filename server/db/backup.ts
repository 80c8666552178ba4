import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { openEmbedded } from './connect.ts'
import { lockDataDir } from './data-dir-lock.ts'

const run = promisify(execFile)

/** What a backup file holds: a tarball of the embedded database's folder, or a PostgreSQL custom-format dump. */
export type BackupKind = 'embedded' | 'postgis'

/** Reads the kind of a backup from its first bytes (gzip for the embedded tarball, PGDMP for pg_dump's custom format). */
export function backupKindOf(file: string): BackupKind {
  const head = Buffer.alloc(5)
  const fd = fs.openSync(file, 'r')
  try {
    fs.readSync(fd, head, 0, 5, 0)
  } finally {
    fs.closeSync(fd)
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return 'embedded'
  if (head.toString('latin1') === 'PGDMP') return 'postgis'
  throw new Error(`${file} is neither a backup of the embedded database (.tar.gz) nor a pg_dump custom-format file`)
}

/** A file name for a new backup, by kind and time (UTC), in `folder`. */
export function defaultBackupFile(folder: string, kind: BackupKind, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  return path.join(folder, `zones-${kind}-${stamp}${kind === 'embedded' ? '.tar.gz' : '.dump'}`)
}

/**
 * Writes the embedded database's folder as a gzipped tarball (PGlite's own dump of its data folder, which it
 * loads back as it is). The folder's lock is held meanwhile, so a running service and a backup never meet.
 */
export async function backupEmbedded(dataDir: string, outFile: string): Promise<{ bytes: number }> {
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) throw new Error(`no embedded database in ${dataDir}`)
  const unlock = lockDataDir(dataDir)
  try {
    const pglite = await openEmbedded(dataDir)
    try {
      const dump = await pglite.dumpDataDir('gzip')
      const bytes = Buffer.from(await dump.arrayBuffer())
      writeAtomically(outFile, bytes)
      return { bytes: bytes.length }
    } finally {
      await pglite.close()
    }
  } finally {
    unlock()
  }
}

/**
 * Restores a tarball into the embedded data folder. An existing database there is kept, moved aside to
 * `<folder>.before-restore-<time>`, and only when `replace` is set; it is never deleted.
 */
export async function restoreEmbedded(
  file: string,
  dataDir: string,
  options: { replace?: boolean } = {},
): Promise<{ movedAside?: string }> {
  if (backupKindOf(file) !== 'embedded') throw new Error(`${file} is a PostgreSQL dump: restore it with DATABASE_URL set`)
  const unlock = lockDataDir(dataDir)
  try {
    let movedAside: string | undefined
    if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
      if (!options.replace) throw new Error(`${dataDir} already holds a database; pass --replace to move it aside and restore`)
      movedAside = `${dataDir}.before-restore-${new Date()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z')}`
      fs.renameSync(dataDir, movedAside)
    }
    try {
      const pglite = await openEmbedded(dataDir, new Blob([fs.readFileSync(file)]))
      await pglite.query('select 1')
      await pglite.close()
    } catch (error) {
      // A tarball that does not load leaves nothing half restored: the folder goes, the old one comes back.
      fs.rmSync(dataDir, { recursive: true, force: true })
      if (movedAside) fs.renameSync(movedAside, dataDir)
      throw error
    }
    return movedAside ? { movedAside } : {}
  } finally {
    unlock()
  }
}

/** pg_dump in PostgreSQL's custom format (compressed, restorable table by table), without owners or grants. */
export async function backupServer(databaseUrl: string, outFile: string): Promise<{ bytes: number }> {
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true })
  const partial = `${outFile}.partial`
  try {
    await run(tool('pg_dump'), ['--format=custom', '--no-owner', '--no-privileges', `--file=${partial}`, `--dbname=${databaseUrl}`], {
      maxBuffer: 16 * 1024 * 1024,
    })
  } catch (error) {
    fs.rmSync(partial, { force: true })
    throw new Error(`pg_dump failed: ${stderrOf(error)}`, { cause: error })
  }
  fs.renameSync(partial, outFile)
  return { bytes: fs.statSync(outFile).size }
}

/**
 * Restores a custom-format dump in one transaction, so that a failure leaves the database as it was. The target
 * must hold no tables of the service unless `clean` is set, in which case the dump's objects replace its own.
 */
export async function restoreServer(file: string, databaseUrl: string, options: { clean?: boolean } = {}): Promise<void> {
  if (backupKindOf(file) !== 'postgis') throw new Error(`${file} is a backup of the embedded database: restore it without DATABASE_URL`)
  if (!options.clean) {
    const client = new pg.Client({ connectionString: databaseUrl })
    await client.connect()
    try {
      const { rows } = await client.query<{ n: string }>(
        `select count(*) as n from pg_tables where schemaname not in ('pg_catalog', 'information_schema', 'tiger', 'topology')
           and tablename <> 'spatial_ref_sys'`,
      )
      if (Number(rows[0]?.n) > 0)
        throw new Error(
          'the target database already holds tables; restore into an empty database (createdb) or pass --clean to replace them',
        )
    } finally {
      await client.end()
    }
  }
  const args = ['--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', `--dbname=${databaseUrl}`]
  if (options.clean) args.push('--clean', '--if-exists')
  try {
    await run(tool('pg_restore'), [...args, file], { maxBuffer: 16 * 1024 * 1024 })
  } catch (error) {
    throw new Error(`pg_restore failed (nothing was changed): ${stderrOf(error)}`, { cause: error })
  }
}

/** A PostgreSQL client program: from PG_BIN when set, else the PATH (Debian's wrappers pick the right version). */
function tool(name: 'pg_dump' | 'pg_restore'): string {
  const bin = process.env.PG_BIN?.trim()
  return bin ? path.join(bin, name) : name
}

function stderrOf(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr?.trim()
  const text = stderr || (error instanceof Error ? error.message : String(error))
  // The connection URL may carry a password: never print it back.
  return text.replace(/postgres(ql)?:\/\/[^\s'"]+/g, 'postgres://…').slice(0, 2000)
}

function writeAtomically(file: string, bytes: Buffer) {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
  const partial = `${file}.partial`
  fs.writeFileSync(partial, bytes)
  fs.renameSync(partial, file)
}
