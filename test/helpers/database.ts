import fs from 'node:fs'
import { randomBytes } from 'node:crypto'
import { createScratchDatabase } from '../../server/db/scratch-database.ts'
import { inject } from 'vitest'
import { connectDatabase, type DatabaseHandle } from '../../server/db/connect.ts'

/** Whether this run is against a PostgreSQL/PostGIS server (TEST_DATABASE_URL) rather than the embedded database. */
export const onServer = () => Boolean(process.env.TEST_DATABASE_URL)

/**
 * A fresh, migrated database with the reference layers for one test file: an embedded PGlite restored
 * from the run's template, or a new server database cloned from the template database.
 */
export async function createTestDatabase(): Promise<DatabaseHandle> {
  const url = process.env.TEST_DATABASE_URL
  if (url) {
    const scratch = await createScratchDatabase(url, `zones_test_${randomBytes(6).toString('hex')}`, inject('serverTemplate'))
    const handle = await connectDatabase({ databaseUrl: scratch.url, poolSize: 20 })
    return {
      ...handle,
      close: async () => {
        await handle.close()
        await scratch.drop()
      },
    }
  }
  const template = new Blob([fs.readFileSync(inject('embeddedTemplate'))])
  return connectDatabase({ loadDataDir: template })
}
