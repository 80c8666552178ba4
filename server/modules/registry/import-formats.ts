/**
 * Surveyed files (a zipped Shapefile, a GeoPackage, a FlatGeobuf) → the same import candidates the GeoJSON
 * path produces: attribute columns mapped by the CSV import's names (and the 10-character names a .dbf
 * truncates them to), positions in the file's CRS transformed to WGS84 by PostGIS. The candidates then
 * pass the same validation, all rows or none.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, invalid } from '../../errors.ts'
import { CRS_NAMES, type CrsName } from '../../schemas/common.ts'
import { IMPORT_FILE_CRS, type ImportRowError } from '../../schemas/registry.ts'
import { DECLARED_CRS, FILE_SRIDS, sourceCrsOf, sridLabel, type FileSrid } from '../formats/crs.ts'
import { CHUNK, FORMAT_NAMES, readDataset, type FileDataset } from '../formats/readers.ts'
import { transformPositions } from '../formats/repository.ts'
import { positionsOf } from '../formats/wkb.ts'
import { candidatesFromCsv, candidatesFromGeoJson, csvValue, HEADER_ALIASES, parseGates, type Candidate } from './import.ts'
import type { RegistryKind } from './kinds.ts'

/** Column names a .dbf cuts to 10 characters, beside the CSV import's own names. */
const TRUNCATED_ALIASES: Record<string, string> = {
  licencesta: 'licenceStatus',
  licensesta: 'licenceStatus',
  psychology: 'psychologyTeachers',
  boardingst: 'boardingStudents',
  dormitorie: 'dormitories',
  alarmlinke: 'alarmLinkedToPolice',
  peakwindow: 'peakWindows',
  psychologyteac: 'psychologyTeachers',
}
/** Columns the service assigns itself or that repeat the geometry: read past, not refused (a download imports again). */
const IGNORED_COLUMNS = new Set([
  'id',
  'fid',
  'objectid',
  'sourcecrs',
  'version',
  'demo',
  'createdat',
  'updatedat',
  'urbansource',
  'shapeleng',
  'shapelength',
  'shapearea',
  'lon',
  'lat',
  'geometry',
  'wkt',
  'crs',
])
const STRING_FIELDS = new Set([
  'name',
  'schoolType',
  'countyCode',
  'address',
  'openedOn',
  'category',
  'licenceNo',
  'licenceStatus',
  'licensedOn',
  'expiresOn',
])
const BOOLEAN_FIELDS = new Set(['boarding', 'urban', 'alarmLinkedToPolice'])
const DATE_FIELDS = new Set(['openedOn', 'licensedOn', 'expiresOn'])
// A date kept in a date-time column (FlatGeobuf has no date type): midnight only, so no day is shifted.
const MIDNIGHT = /^(\d{4}-\d{2}-\d{2})[T ]00:00(:00(\.0+)?)?(Z|[+-]00(:?00)?)?$/

const normalisedColumn = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/[_\s-]/g, '')
const fieldOf = (column: string): string | undefined => {
  const key = normalisedColumn(column)
  const field = HEADER_ALIASES[key] ?? TRUNCATED_ALIASES[key]
  return field && !['lon', 'lat', 'geometry', 'crs'].includes(field) ? field : undefined
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** A file's attribute value → what the GeoJSON import would carry for that field (undefined: not given). */
function fileValue(field: string, value: unknown): unknown {
  if (value === null || value === undefined) return undefined
  // The Shapefile reader builds dates at local midnight.
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? undefined : `${pad(value.getFullYear(), 4)}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`
  if (typeof value === 'bigint') return Number(value)
  if (typeof value === 'number') {
    if (BOOLEAN_FIELDS.has(field) && (value === 0 || value === 1)) return value === 1
    if (STRING_FIELDS.has(field) && Number.isInteger(value)) return String(value)
    return value
  }
  if (typeof value !== 'string') return value
  if (value.trim() === '') return undefined
  if (field === 'gates') return parseGates(value)
  if (field === 'dormitories') return JSON.parse(value) as unknown
  if (DATE_FIELDS.has(field)) return MIDNIGHT.exec(value.trim())?.[1] ?? value.trim()
  return csvValue(field, value)
}

/** The plausible coordinates of each CRS: geographic degrees, or Gauss-Krüger metres without a zone prefix. */
function positionProblem(position: unknown, srid: FileSrid): string | undefined {
  if (!Array.isArray(position) || position.length < 2) return 'is not a position'
  const [x, y] = position as unknown[]
  if (typeof x !== 'number' || typeof y !== 'number' || !Number.isFinite(x) || !Number.isFinite(y))
    return `${JSON.stringify(position)} is not a pair of finite numbers`
  if (srid === 4326 || srid === 4490) {
    if (Math.abs(x) > 180 || Math.abs(y) > 90) return `${x} ${y} is not a longitude and latitude in ${sridLabel(srid)}`
  } else if (x < 0 || x > 1_000_000 || y < 0 || y > 10_000_000)
    return `${x} ${y} is outside ${sridLabel(srid)} (easting 0–1,000,000 m without a zone prefix, northing 0–10,000,000 m)`
  return undefined
}

/** Leaf positions of nested coordinate arrays (defensive: the GeoJSON path has not been validated yet). */
function leafPositions(value: unknown, out: unknown[][], depth = 0): void {
  if (!Array.isArray(value) || depth > 4) return
  if (typeof value[0] === 'number' || value.length === 0) {
    if (value.length > 0) out.push(value)
    return
  }
  for (const item of value) {
    if (Array.isArray(item) && (item.length === 0 || typeof item[0] !== 'number')) leafPositions(item, out, depth + 1)
    else out.push(item as unknown[])
  }
}

const POSITIONS_PER_QUERY = 5000

/**
 * Transforms every position of the candidates (geometry and gates) from `srid` to WGS84 in the database,
 * after checking each lies in that CRS; candidates with a position that does not are named as bad rows.
 */
export async function transformCandidates(
  db: Kysely<Database> | Transaction<Database>,
  candidates: Candidate[],
  srid: FileSrid,
): Promise<{ candidates: Candidate[]; errors: ImportRowError[] }> {
  const errors: ImportRowError[] = []
  const kept: Candidate[] = []
  const positions: unknown[][] = []
  for (const [index, candidate] of candidates.entries()) {
    candidate.crs = sourceCrsOf(srid)
    const feature = candidate.feature as { geometry?: { coordinates?: unknown }; properties?: { gates?: unknown } }
    const own: { field: string; positions: unknown[][] }[] = [
      { field: '/geometry', positions: [] },
      { field: '/properties/gates', positions: [] },
    ]
    leafPositions(feature?.geometry?.coordinates, own[0]!.positions)
    leafPositions(feature?.properties?.gates, own[1]!.positions)
    const problems = own.flatMap(({ field, positions }) =>
      positions.flatMap((p) => {
        const problem = positionProblem(p, srid)
        return problem ? [{ row: candidate.row, field, message: problem }] : []
      }),
    )
    if (problems.length > 0) errors.push(problems[0]!)
    else {
      kept.push(candidate)
      for (const { positions: p } of own) positions.push(...p)
    }
    if (index % CHUNK === CHUNK - 1) await yieldToEventLoop()
  }
  if (srid !== 4326) {
    for (let i = 0; i < positions.length; i += POSITIONS_PER_QUERY) {
      const batch = positions.slice(i, i + POSITIONS_PER_QUERY) as number[][]
      const transformed = await transformPositions(
        db,
        srid,
        batch.map((p) => p[0]!),
        batch.map((p) => p[1]!),
      )
      batch.forEach((p, j) => {
        p.length = 0
        p.push(...transformed[j]!)
      })
    }
  } else for (const p of positions) p.length = 2
  return { candidates: kept, errors }
}

const crsProblem = (message: string) => new AppError('UNPROCESSABLE', `crs: ${message}`, { problems: [{ field: 'crs', message }] })
const SUPPORTED = `CRS84, ${FILE_SRIDS.map(sridLabel).join(', ')}`

/** The SRID a `crs` query value declares, or undefined for none. */
export function declaredSrid(crs: string | undefined): FileSrid | undefined {
  return crs === undefined ? undefined : DECLARED_CRS[crs]
}

/** The file's CRS, or the declared one where the file has none (or one this service does not know); 422 otherwise. */
function resolveCrs(dataset: FileDataset, declared: FileSrid | undefined): FileSrid {
  const { crs, crsSource } = dataset
  if (crs && 'srid' in crs) {
    if (declared !== undefined && declared !== crs.srid)
      throw crsProblem(`${crsSource} says ${sridLabel(crs.srid)} but the crs parameter says ${sridLabel(declared)}`)
    return crs.srid
  }
  if (declared !== undefined) return declared
  if (crs) throw crsProblem(`${crsSource} declares ${crs.unknown}, which is not one of ${SUPPORTED} (declare it with ?crs= if it is)`)
  throw crsProblem(`${crsSource} declares no coordinate system; declare it with ?crs= (one of ${SUPPORTED})`)
}

/**
 * A Shapefile (zipped), GeoPackage or FlatGeobuf upload → import candidates in WGS84 and the rows already
 * known bad. Unknown columns are refused naming them, as in the CSV import.
 */
export async function candidatesFromFile(
  db: Kysely<Database> | Transaction<Database>,
  bytes: Uint8Array,
  kind: RegistryKind,
  declared: FileSrid | undefined,
  maxUnpackedBytes: number,
): Promise<{ candidates: Candidate[]; errors: ImportRowError[] }> {
  const dataset = await readDataset(bytes, maxUnpackedBytes)
  try {
    return await candidatesOf(db, dataset, kind, declared)
  } finally {
    dataset.close()
  }
}

async function candidatesOf(
  db: Kysely<Database> | Transaction<Database>,
  dataset: FileDataset,
  kind: RegistryKind,
  declared: FileSrid | undefined,
): Promise<{ candidates: Candidate[]; errors: ImportRowError[] }> {
  const srid = resolveCrs(dataset, declared)
  const fields = new Map<string, string>()
  const unknown: string[] = []
  for (const column of dataset.columns) {
    const field = fieldOf(column)
    if (field) fields.set(column, field)
    else if (!IGNORED_COLUMNS.has(normalisedColumn(column))) unknown.push(column)
  }
  if (unknown.length > 0)
    throw new AppError('VALIDATION_FAILED', `columns: unknown column ${unknown.join(', ')} in the ${FORMAT_NAMES[dataset.format]}`, {
      problems: unknown.map((u) => ({ field: `columns/${u}`, message: 'is not a known column' })),
    })
  const candidates: Candidate[] = []
  const errors: ImportRowError[] = []
  for await (const feature of dataset.features) {
    if (feature.problem) {
      errors.push({ row: feature.row, field: '/geometry', message: feature.problem })
      continue
    }
    const properties: Record<string, unknown> = {}
    let failed = false
    for (const [column, field] of fields) {
      try {
        const value = fileValue(field, feature.properties[column])
        if (value !== undefined) properties[field] = value
      } catch (error) {
        errors.push({ row: feature.row, field: `/properties/${field}`, message: `${column}: ${(error as Error).message}` })
        failed = true
      }
    }
    if (failed) continue
    let geometry: unknown = feature.geometry
    // A premises is a point; GeoPackages often store single points as MultiPoint.
    if (kind === 'premises' && feature.geometry?.type === 'MultiPoint' && feature.geometry.coordinates.length === 1)
      geometry = { type: 'Point', coordinates: feature.geometry.coordinates[0] }
    if (feature.geometry && positionsOf(feature.geometry).length === 0) geometry = null
    candidates.push({ row: feature.row, feature: { type: 'Feature', properties, geometry }, crs: 'wgs84' })
  }
  if (candidates.length === 0 && errors.length === 0)
    throw new AppError('VALIDATION_FAILED', `body: the ${FORMAT_NAMES[dataset.format]} has no features`, {
      problems: [{ field: 'body', message: 'has no features' }],
    })
  const transformed = await transformCandidates(db, candidates, srid)
  return { candidates: transformed.candidates, errors: [...errors, ...transformed.errors] }
}

/**
 * Any import body → candidates and the CRS they were read in, as the import route and `npm run import` take it:
 * bytes are a surveyed file (its own CRS, or the declared EPSG code), text is CSV (a row may name its crs), anything
 * else parsed GeoJSON (the service's CRS names, or a declared EPSG code transformed by PostGIS).
 */
export async function candidatesFromBody(
  db: Kysely<Database> | Transaction<Database>,
  body: unknown,
  kind: RegistryKind,
  declared: string | undefined,
  maxUnpackedBytes: number,
): Promise<{ candidates: Candidate[]; errors: ImportRowError[]; crs: CrsName }> {
  const named = (CRS_NAMES as readonly string[]).includes(declared ?? 'wgs84') ? ((declared ?? 'wgs84') as CrsName) : undefined
  const srid = named ? undefined : declaredSrid(declared)
  if (!named && srid === undefined) throw invalid('querystring/crs', `must be one of ${[...CRS_NAMES, ...IMPORT_FILE_CRS].join(', ')}`)
  if (body instanceof Uint8Array) {
    if (declared !== undefined && srid === undefined)
      throw invalid('querystring/crs', `${declared} applies to GeoJSON and CSV; a file's CRS is ${SUPPORTED}`)
    const parsed = await candidatesFromFile(db, body, kind, srid, maxUnpackedBytes)
    return { ...parsed, crs: parsed.candidates[0]?.crs ?? sourceCrsOf(srid ?? 4326) }
  }
  const crs: CrsName = named ?? sourceCrsOf(srid!)
  if (typeof body === 'string') {
    if (srid === 4544 || srid === 4545)
      throw invalid('querystring/crs', `${declared} applies to Shapefile, GeoPackage, FlatGeobuf and GeoJSON uploads, not CSV`)
    return { ...candidatesFromCsv(body, kind, crs), crs }
  }
  const candidates = candidatesFromGeoJson(body, named ?? 'wgs84')
  if (srid === undefined) return { candidates, errors: [], crs }
  return { ...(await transformCandidates(db, candidates, srid)), crs }
}
