import fs from 'node:fs'
import path from 'node:path'
import { loadConfig } from '../server/config.ts'
import { CRS_NAMES, type CrsName } from '../server/schemas/common.ts'
import { candidatesFromCsv, candidatesFromGeoJson, importRecords } from '../server/modules/registry/import.ts'
import { readRoadFile, roadFormatOfFileName } from '../server/modules/roads/read.ts'
import { importRoads } from '../server/modules/roads/service.ts'
import { refreshWalkingConflicts } from '../server/modules/zones/maintenance.ts'
import { openConfiguredDatabase, parseFlags, progressBar, run } from './cli.ts'

const USAGE = `usage: npm run import -- <schools|premises|addresses> <file.geojson|file.json|file.csv> [--crs ${CRS_NAMES.join('|')}] [--source TEXT (addresses)]
       npm run import -- roads <file.geojson|file.osm|file.osm.pbf> [--crs ${CRS_NAMES.join('|')} (GeoJSON)] [--source NAME] [--licence TEXT] [--attribution TEXT] [--replace]`

// Runs as the system (no user): the history records the import with request id "cli".
run(async () => {
  const [kind, file, ...rest] = process.argv.slice(2)
  if ((kind !== 'schools' && kind !== 'premises' && kind !== 'addresses' && kind !== 'roads') || !file) throw new Error(USAGE)
  const replace = rest.includes('--replace')
  const flags = parseFlags(
    rest.filter((a) => a !== '--replace'),
    kind === 'roads' ? ['crs', 'source', 'licence', 'attribution'] : ['crs', 'source'],
  )
  const crs = (flags.crs ?? 'wgs84') as CrsName
  if (!CRS_NAMES.includes(crs)) throw new Error(`--crs must be one of ${CRS_NAMES.join(', ')}`)
  const progress = progressBar(kind === 'roads' ? 'roads' : 'rows')
  if (kind === 'roads') {
    const format = roadFormatOfFileName(file)
    const bytes = fs.readFileSync(file)
    const road = await readRoadFile(
      format === 'geojson' ? JSON.parse(bytes.toString('utf8')) : bytes,
      format,
      crs,
      loadConfig().roadImportMaxNodes,
    )
    console.log(`${road.roads.length} roads and ${road.addresses.length} address nodes read from ${path.basename(file)}; storing…`)
    const handle = await openConfiguredDatabase()
    try {
      const result = await importRoads(
        handle.db,
        road,
        {
          format,
          source: flags.source ?? path.basename(file),
          licence: flags.licence,
          attribution: flags.attribution,
          replace,
          onProgress: progress.onProgress,
          onNetworkChanged: refreshWalkingConflicts,
        },
        { user: null, requestId: 'cli' },
      )
      progress.stop()
      console.log(
        `imported ${result.imported} roads (${result.skipped.notRoads} ways that are not roads and ${result.skipped.outside} outside the counties left out; ${result.addressPoints} address points), licence ${result.licence}`,
      )
    } finally {
      progress.stop()
      await handle.close()
    }
    return
  }
  if (replace) throw new Error('--replace is for roads only')
  const text = fs.readFileSync(file, 'utf8')
  const parsed =
    path.extname(file).toLowerCase() === '.csv'
      ? candidatesFromCsv(text, kind, crs)
      : { candidates: candidatesFromGeoJson(JSON.parse(text), crs), errors: [] }
  console.log(`${parsed.candidates.length + parsed.errors.length} rows read from ${path.basename(file)}; validating…`)
  const handle = await openConfiguredDatabase()
  try {
    const result = await importRecords(
      handle.db,
      parsed.candidates,
      parsed.errors,
      { kind, crs, source: flags.source ?? path.basename(file), onProgress: progress.onProgress },
      { user: null, requestId: 'cli' },
    )
    progress.stop()
    console.log(`imported ${result.imported} ${kind}`)
  } finally {
    progress.stop()
    await handle.close()
  }
})
