import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { connectDatabase, openEmbedded } from '../../server/db/connect.ts'
import { migrateToLatest } from '../../server/db/migrate.ts'
import { loadReferenceData } from '../../server/modules/reference/load.ts'
import { pinyinColumns } from '../../server/modules/search/pinyin.ts'
import { Kysely } from 'kysely'
import { createScratchDatabase } from '../../server/db/scratch-database.ts'
import { PGliteDialect } from '../../server/db/pglite-dialect.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    embeddedTemplate: string
    serverTemplate: string
  }
}

/**
 * Prepares one migrated database with the reference layers, once per run: a PGlite data-dir tarball
 * (every test file restores its own instance from it) or a template database on the server
 * (every test file clones it). Initialising PostGIS once instead of per file saves ~10 s a file.
 */
export default async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL
  if (url) {
    const name = `zones_template_${process.pid}`
    const scratch = await createScratchDatabase(url, name)
    const handle = await connectDatabase({ databaseUrl: scratch.url, poolSize: 2 })
    await migrateToLatest(handle.db)
    await loadReferenceData(handle.db, undefined, { searchColumns: pinyinColumns })
    await handle.close()
    project.provide('serverTemplate', name)
    project.provide('embeddedTemplate', '')
    return scratch.drop
  }
  const pglite = await openEmbedded(undefined)
  const db = new Kysely<any>({ dialect: new PGliteDialect(pglite) })
  await migrateToLatest(db)
  await loadReferenceData(db, undefined, { searchColumns: pinyinColumns })
  const dump = await pglite.dumpDataDir('none')
  await db.destroy()
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zones-test-')), 'template.tar')
  fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()))
  project.provide('embeddedTemplate', file)
  project.provide('serverTemplate', '')
  return () => fs.rmSync(path.dirname(file), { recursive: true, force: true })
}
