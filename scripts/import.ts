import fs from 'node:fs'
import path from 'node:path'
import { loadConfig } from '../server/config.ts'
import { CRS_NAMES, type CrsName } from '../server/schemas/common.ts'
import { zipSync } from 'fflate'
import { candidatesFromCsv, candidatesFromGeoJson, importRecords } from '../server/modules/registry/import.ts'
import { candidatesFromBody } from '../server/modules/registry/import-formats.ts'
import { readRoadFile, roadFormatOfFileName } from '../server/modules/roads/read.ts'
import { importRoads } from '../server/modules/roads/service.ts'
import { refreshWalkingConflicts } from '../server/modules/zones/maintenance.ts'
import { openConfiguredDatabase, parseFlags, progressBar, run } from './cli.ts'

const USAGE = `usage: npm run import -- <schools|premises> <file.geojson|file.json|file.csv|file.shp|file.zip|file.gpkg|file.fgb> [--crs ${CRS_NAMES.join('|')}|EPSG:4490|…]
       npm run import -- addresses <file.geojson|file.json|file.csv> [--crs ${CRS_NAMES.join('|')}] [--source TEXT]
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
  // Schools and premises also take the EPSG codes of surveyed files (checked where the file is read).
  const registry = kind === 'schools' || kind === 'premises'
  if (!registry && !CRS_NAMES.includes(crs)) throw new Error(`--crs must be one of ${CRS_NAMES.join(', ')}`)
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
  const extension = path.extname(file).toLowerCase()
  if (kind === 'addresses' && !['.csv', '.json', '.geojson'].includes(extension))
    throw new Error('address points are imported from GeoJSON or CSV')
  const handle = await openConfiguredDatabase()
  try {
    const { crs: readCrs, ...parsed } = !registry
      ? {
          ...(extension === '.csv'
            ? candidatesFromCsv(fs.readFileSync(file, 'utf8'), kind, crs)
            : { candidates: candidatesFromGeoJson(JSON.parse(fs.readFileSync(file, 'utf8')), crs), errors: [] }),
          crs,
        }
      : await candidatesFromBody(handle.db, importBody(file), kind, flags.crs, MAX_UNPACKED_BYTES)
    console.log(`${parsed.candidates.length + parsed.errors.length} rows read from ${path.basename(file)}; validating…`)
    const result = await importRecords(
      handle.db,
      parsed.candidates,
      parsed.errors,
      { kind, crs: readCrs, source: flags.source ?? path.basename(file), onProgress: progress.onProgress },
      { user: null, requestId: 'cli' },
    )
    progress.stop()
    console.log(`imported ${result.imported} ${kind}`)
  } finally {
    progress.stop()
    await handle.close()
  }
})

/** A surveyed file may unpack to this much (a zip bomb is refused once past it). */
const MAX_UNPACKED_BYTES = 4 * 1024 ** 3

/**
 * The file as the import route would receive it: CSV as text, GeoJSON parsed, a zip, GeoPackage or FlatGeobuf as
 * bytes, and a Shapefile's .shp zipped with the files beside it that make it whole (.shx, .dbf, .prj, .cpg).
 */
function importBody(file: string): unknown {
  const extension = path.extname(file).toLowerCase()
  if (extension === '.csv') return fs.readFileSync(file, 'utf8')
  if (extension === '.json' || extension === '.geojson') return JSON.parse(fs.readFileSync(file, 'utf8'))
  if (extension === '.zip' || extension === '.gpkg' || extension === '.fgb') return fs.readFileSync(file)
  if (extension === '.shp') {
    const stem = file.slice(0, -extension.length)
    const parts: Record<string, Uint8Array> = {}
    for (const sibling of ['.shp', '.shx', '.dbf', '.prj', '.cpg']) {
      const found = [sibling, sibling.toUpperCase()].map((e) => stem + e).find((f) => fs.existsSync(f))
      if (found) parts[path.basename(stem) + sibling] = fs.readFileSync(found)
    }
    if (!parts[path.basename(stem) + '.dbf']) throw new Error(`${path.basename(stem)}.dbf is missing beside ${path.basename(file)}`)
    return zipSync(parts)
  }
  throw new Error(`${path.basename(file)}: import reads .geojson, .json, .csv, .shp, .zip (a zipped Shapefile), .gpkg or .fgb`)
}
