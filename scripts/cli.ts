import cliProgress from 'cli-progress'
import { loadConfig } from '../server/config.ts'
import { connectDatabase, type DatabaseHandle } from '../server/db/connect.ts'
import { migrateToLatest } from '../server/db/migrate.ts'
import { loadReferenceData } from '../server/modules/reference/load.ts'

/** Opens the configured database (DATABASE_URL, or the embedded one in DATA_DIR), migrates it and loads the county outlines. */
export async function openConfiguredDatabase(): Promise<DatabaseHandle> {
  const config = loadConfig()
  if (!config.databaseUrl)
    console.error(`embedded database in ${config.dataDir} (stop the server first: the embedded database has one user at a time)`)
  const handle = await connectDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 4 })
  await migrateToLatest(handle.db)
  // Every county_code refers to the county outlines, and registry records take their county from them: a database
  // the service never started gets them here (once; later runs find them).
  await loadReferenceData(handle.db)
  return handle
}

/** Parses `--name value` pairs; refuses unknown names. */
export function parseFlags(args: string[], allowed: readonly string[]): Record<string, string> {
  const flags: Record<string, string> = {}
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`)
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined]
    if (!allowed.includes(name)) throw new Error(`unknown option --${name}; options: ${allowed.map((a) => `--${a}`).join(' ')}`)
    const value = inline ?? args[++i]
    if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`)
    flags[name] = value
  }
  return flags
}

/** Runs a CLI main, printing errors without a stack and exiting non-zero. */
export function run(main: () => Promise<void>) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`error: ${error instanceof Error ? error.message : String(error)}`)
      const details = (error as { details?: { errors?: unknown[] } }).details
      if (details?.errors) for (const e of details.errors.slice(0, 50)) console.error(`  ${JSON.stringify(e)}`)
      process.exit(1)
    },
  )
}

/** A progress bar started on the first report: `onProgress(done, total)` for the import or audit, `stop()` when it ends. */
export function progressBar(unit: string): { onProgress: (done: number, total: number) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar(
    { format: `importing {bar} {percentage}% | {value}/{total} ${unit} | {duration}s`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  return {
    onProgress: (done, total) => {
      if (!started) {
        bar.start(total, 0)
        started = true
      }
      bar.update(done)
    },
    stop: () => {
      if (started) bar.stop()
      started = false
    },
  }
}
