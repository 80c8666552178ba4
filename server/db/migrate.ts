import fs from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely'

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../migrations')

/** Loads migrations/NNNN_name.ts in name order. */
class FolderMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await fs.readdir(MIGRATIONS_DIR)).filter((f) => /^\d{4}_[a-z0-9_]+\.ts$/.test(f)).sort()
    const migrations: Record<string, Migration> = {}
    for (const file of files) {
      migrations[file.replace(/\.ts$/, '')] = (await import(pathToFileURL(path.join(MIGRATIONS_DIR, file)).href)) as Migration
    }
    return migrations
  }
}

/**
 * Whether the database has applied exactly the migrations in the folder. Checked with one query so that an
 * up-to-date database (every later start) skips the migrator's locking and its import of every migration.
 */
async function upToDate(db: Kysely<any>): Promise<boolean> {
  const files = (await fs.readdir(MIGRATIONS_DIR))
    .filter((f) => /^\d{4}_[a-z0-9_]+\.ts$/.test(f))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort()
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)
    return rows.length === files.length && rows.every((row, i) => row.name === files[i])
  } catch {
    // No migration table yet: a new database.
    return false
  }
}

/** Brings the schema to the newest migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  if (await upToDate(db)) return []
  const migrator = new Migrator({ db, provider: new FolderMigrationProvider() })
  return report(await migrator.migrateToLatest())
}

/** Undoes the newest migration. */
export async function migrateDown(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new FolderMigrationProvider() })
  return report(await migrator.migrateDown())
}

/** Migrates up or down to the named migration (the file name without its extension). */
export async function migrateTo(db: Kysely<any>, name: string): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new FolderMigrationProvider() })
  return report(await migrator.migrateTo(name))
}

function report({ error, results }: MigrationResultSet): string[] {
  const failed = results?.find((r) => r.status === 'Error')
  if (error) {
    const cause = error instanceof Error ? error.message : String(error)
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${cause}`, { cause: error })
  }
  return (results ?? [])
    .filter((r) => r.status === 'Success')
    .map((r) => `${r.direction === 'Up' ? 'applied' : 'reverted'} ${r.migrationName}`)
}
