import fs from 'node:fs'
import path from 'node:path'
import cliProgress from 'cli-progress'
import { CRS_NAMES, type CrsName } from '../server/schemas/common.ts'
import { candidatesFromCsv, candidatesFromGeoJson, importRecords } from '../server/modules/registry/import.ts'
import { openConfiguredDatabase, parseFlags, run } from './cli.ts'

const USAGE = `usage: npm run import -- <schools|premises|addresses> <file.geojson|file.json|file.csv> [--crs ${CRS_NAMES.join('|')}] [--source TEXT (addresses)]`

// Runs as the system (no user): the history records the import with request id "cli".
run(async () => {
  const [kind, file, ...rest] = process.argv.slice(2)
  if ((kind !== 'schools' && kind !== 'premises' && kind !== 'addresses') || !file) throw new Error(USAGE)
  const flags = parseFlags(rest, ['crs', 'source'])
  const crs = (flags.crs ?? 'wgs84') as CrsName
  if (!CRS_NAMES.includes(crs)) throw new Error(`--crs must be one of ${CRS_NAMES.join(', ')}`)
  const text = fs.readFileSync(file, 'utf8')
  const parsed = path.extname(file).toLowerCase() === '.csv' ? candidatesFromCsv(text, kind, crs) : { candidates: candidatesFromGeoJson(JSON.parse(text), crs), errors: [] }
  console.log(`${parsed.candidates.length + parsed.errors.length} rows read from ${path.basename(file)}; validating…`)
  const handle = await openConfiguredDatabase()
  const bar = new cliProgress.SingleBar({ format: 'importing {bar} {percentage}% | {value}/{total} rows | {duration}s', hideCursor: true }, cliProgress.Presets.shades_classic)
  let started = false
  try {
    const result = await importRecords(handle.db, parsed.candidates, parsed.errors, {
      kind,
      crs,
      source: flags.source ?? path.basename(file),
      onProgress: (done, total) => {
        if (!started) {
          bar.start(total, 0)
          started = true
        }
        bar.update(done)
      },
    }, { user: null, requestId: 'cli' })
    bar.stop()
    console.log(`imported ${result.imported} ${kind}`)
  } finally {
    if (started) bar.stop()
    await handle.close()
  }
})
