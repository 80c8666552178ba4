import { sql, type Kysely } from 'kysely'
import type { DatabaseKind } from './connect.ts'
import type { Database } from './types.ts'

/**
 * Holds a PostgreSQL session-level advisory lock (two keys) on a connection of its own for as long as some work
 * runs, so that other instances can tell the work is alive: the lock goes with the session, also when the process
 * dies. The embedded database has one process by its data folder's lock, so nothing is held there (pinning its
 * single connection would stop every other query). Answers the release, or null when another session holds it.
 */
export async function holdSessionLock(
  db: Kysely<Database>,
  kind: DatabaseKind,
  classId: number,
  objectId: number,
): Promise<(() => Promise<void>) | null> {
  if (kind === 'embedded') return async () => {}
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let answer!: (locked: boolean) => void
  const acquired = new Promise<boolean>((resolve) => (answer = resolve))
  const session = db.connection().execute(async (connection) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${classId}::int, ${objectId}::int) as locked`.execute(
      connection,
    )
    answer(rows[0]!.locked)
    if (!rows[0]!.locked) return
    await released
    await sql`select pg_advisory_unlock(${classId}::int, ${objectId}::int)`.execute(connection)
  })
  session.catch(() => answer(false))
  if (!(await acquired)) {
    await session.catch(() => {})
    return null
  }
  return async () => {
    release()
    await session
  }
}
