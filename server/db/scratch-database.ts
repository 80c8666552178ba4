import pg from 'pg'

export interface ScratchDatabase {
  /** Connection URL of the new database. */
  url: string
  /** Drops it (closing other sessions) and disconnects. */
  drop: () => Promise<void>
}

/**
 * Creates a throwaway database on the server that `serverUrl` reaches (tests and benchmarks), empty
 * or cloned from `template`; an older one of the same name is dropped first.
 */
export async function createScratchDatabase(serverUrl: string, name: string, template?: string): Promise<ScratchDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name) || (template && !/^[a-z_][a-z0-9_]*$/.test(template)))
    throw new Error(`not a plain database name: ${name}`)
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${name} with (force)`)
  await admin.query(`create database ${name}${template ? ` template ${template}` : ''}`)
  const target = new URL(serverUrl)
  target.pathname = `/${name}`
  return {
    url: target.toString(),
    drop: async () => {
      await admin.query(`drop database if exists ${name} with (force)`)
      await admin.end()
    },
  }
}
