import path from 'node:path'
import { sql } from 'kysely'
import { loadConfig } from '../server/config.ts'
import { backupKindOf, restoreEmbedded, restoreServer } from '../server/db/backup.ts'
import { verifyChain } from '../server/modules/audit-log/service.ts'
import { openConfiguredDatabase, run } from './cli.ts'

// npm run restore -- FILE [--replace | --clean]
//   A tarball of the embedded database goes into DATA_DIR. A database already there is moved aside to
//   DATA_DIR.before-restore-<time> with --replace (never deleted), refused without it.
//   A pg_dump file goes into DATABASE_URL's database in one transaction: into an empty database, or with --clean
//   replacing the objects the dump holds.
//   Afterwards the database is migrated to this version, counted and its audit-log chain verified.
const USAGE = 'usage: npm run restore -- FILE [--replace | --clean]'

run(async () => {
  const args = process.argv.slice(2)
  const file = args.find((arg) => !arg.startsWith('--'))
  const unknown = args.filter((arg) => arg.startsWith('--') && arg !== '--replace' && arg !== '--clean')
  if (!file || unknown.length > 0 || args.length > 2) throw new Error(USAGE)
  const config = loadConfig()
  const kind = backupKindOf(path.resolve(file))
  if (config.databaseUrl) {
    if (kind !== 'postgis') throw new Error(`${file} is a backup of the embedded database; unset DATABASE_URL to restore it into DATA_DIR`)
    await restoreServer(path.resolve(file), config.databaseUrl, { clean: args.includes('--clean') })
    console.log('restored into the server database')
  } else {
    if (kind !== 'embedded') throw new Error(`${file} is a PostgreSQL dump; set DATABASE_URL to the database to restore it into`)
    const { movedAside } = await restoreEmbedded(path.resolve(file), config.dataDir, { replace: args.includes('--replace') })
    if (movedAside) console.log(`the database that was in ${config.dataDir} is kept in ${movedAside}`)
    console.log(`restored into ${config.dataDir}`)
  }
  const handle = await openConfiguredDatabase()
  try {
    const { rows } = await sql<{ schools: number; premises: number; permits: number; hazards: number; entries: number }>`
      select (select count(*) from schools)::int as schools, (select count(*) from premises)::int as premises,
             (select count(*) from permits)::int as permits, (select count(*) from hazards)::int as hazards,
             (select count(*) from audit_log)::int as entries`.execute(handle.db)
    const counts = rows[0]!
    console.log(
      `${counts.schools} schools, ${counts.premises} premises, ${counts.permits} permits, ${counts.hazards} hazards, ${counts.entries} audit-log entries`,
    )
    const chain = await verifyChain(handle.db)
    if (!chain.intact)
      throw new Error(`restored, but the audit-log chain is broken: ${chain.problems.length} problem(s); see npm run audit-log -- verify`)
    console.log(`audit-log chain intact (head: seq ${chain.head.seq})`)
  } finally {
    await handle.close()
  }
})
