import fs from 'node:fs'
import path from 'node:path'
import { loadConfig } from '../server/config.ts'
import { backupEmbedded, backupServer, defaultBackupFile } from '../server/db/backup.ts'
import { parseFlags, run } from './cli.ts'

// npm run backup [-- --out FILE]
//   With DATABASE_URL: pg_dump of the server database in PostgreSQL's custom format.
//   Without it: a tarball of the embedded database in DATA_DIR (the service must be stopped; a running one is refused).
//   The default file is backups/zones-<embedded|postgis>-<UTC time>.<tar.gz|dump>.
run(async () => {
  const flags = parseFlags(process.argv.slice(2), ['out'])
  const config = loadConfig()
  const kind = config.databaseUrl ? 'postgis' : 'embedded'
  const out = path.resolve(flags.out ?? defaultBackupFile('backups', kind))
  if (fs.existsSync(out)) throw new Error(`${out} exists; choose another --out`)
  const started = Date.now()
  const { bytes } = config.databaseUrl ? await backupServer(config.databaseUrl, out) : await backupEmbedded(config.dataDir, out)
  console.log(`backup of the ${kind === 'postgis' ? 'server' : 'embedded'} database written to ${out}`)
  console.log(
    `${(bytes / 1024 / 1024).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s; restore with: npm run restore -- ${out}`,
  )
})
