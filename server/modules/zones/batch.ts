import { setImmediate as nextTurn } from 'node:timers/promises'
import { parse as csvParser } from 'csv-parse'
import type { Kysely } from 'kysely'
import type { DatabaseKind } from '../../db/connect.ts'
import type { Database } from '../../db/types.ts'
import { AppError, invalid } from '../../errors.ts'
import { toWgs84 } from '../../geo/crs.ts'
import { BATCH_ID_MAX_LENGTH, BATCH_MAX_POINTS, type BatchCheck, type BatchResult } from '../../schemas/check-batch.ts'
import type { CrsName, PremisesCategory } from '../../schemas/common.ts'
import { CATEGORY_NAMES } from '../../schemas/labels.ts'
import { PREMISES_CATEGORIES } from '../../schemas/vocabulary.ts'
import { defaultEngine, measureWalkingMany, type WalkingOptions } from '../roads/walking.ts'
import { measureChunk, type BatchMeasuredRow } from './batch-repository.ts'
import { bandAt, round1 } from './service.ts'

/** A point as it came in, checked only when its chunk is decided (a bad one is answered in its place). */
export type RawPoint =
  { source: 'json'; value: unknown } | { source: 'csv'; id: string; lon: string; lat: string; category: string | undefined }

/** What applies to every point of a batch unless the point says otherwise. */
export interface BatchDefaults {
  category: PremisesCategory | undefined
  crs: CrsName
}

interface GoodPoint {
  id: string | number
  lon: number
  lat: number
  category: PremisesCategory
}
type Prepared = { ok: GoodPoint } | { error: BatchResult }

const CATEGORY_BY_NAME = new Map<string, PremisesCategory>([
  ...PREMISES_CATEGORIES.map((c) => [c, c] as const),
  ...Object.entries(CATEGORY_NAMES).map(([code, name]) => [name, code as PremisesCategory] as const),
])
const POINT_FIELDS = new Set(['id', 'lon', 'lat'])
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

const bad = (id: string | number | null, field: string, message: string): Prepared => ({ error: { id, error: { field, message } } })

function coordinate(field: 'lon' | 'lat', value: unknown): number | string {
  const limit = field === 'lon' ? 180 : 90
  if (value === undefined || value === null || value === '') return 'is required'
  if (typeof value !== 'number') return `must be a number, not ${JSON.stringify(value).slice(0, 40)}`
  if (!Number.isFinite(value)) return 'must be a finite number'
  if (value < -limit || value > limit) return `must be between -${limit} and ${limit} (got ${value})`
  return value
}

/** Checks one point and brings it to WGS84, or says what is wrong with it (the first problem found). */
function preparePoint(raw: RawPoint, defaults: BatchDefaults): Prepared {
  let id: unknown, lon: unknown, lat: unknown
  let category: PremisesCategory | undefined = defaults.category
  if (raw.source === 'json') {
    const value = raw.value
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return bad(null, 'point', 'must be an object {"id","lon","lat"}')
    const point = value as Record<string, unknown>
    id = point.id
    const unknownField = Object.keys(point).find((key) => !POINT_FIELDS.has(key))
    const echo = typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null
    if (unknownField !== undefined) return bad(echo, unknownField.slice(0, 100), 'is not a known field (a point has id, lon and lat)')
    lon = point.lon
    lat = point.lat
  } else {
    id = raw.id.trim()
    lon = raw.lon.trim() === '' ? undefined : DECIMAL.test(raw.lon.trim()) ? Number(raw.lon) : raw.lon.trim()
    lat = raw.lat.trim() === '' ? undefined : DECIMAL.test(raw.lat.trim()) ? Number(raw.lat) : raw.lat.trim()
    const named = raw.category?.trim()
    if (named) {
      category = CATEGORY_BY_NAME.get(named)
      if (!category)
        return bad(id as string, 'category', `must be one of ${PREMISES_CATEGORIES.join(', ')} (got ${JSON.stringify(named.slice(0, 40))})`)
    }
  }
  if (id === undefined || id === null || id === '') return bad(null, 'id', 'is required')
  if (typeof id === 'number' && !Number.isFinite(id)) return bad(null, 'id', 'must be a string or a finite number')
  if (typeof id !== 'string' && typeof id !== 'number') return bad(null, 'id', 'must be a string or a number')
  if (typeof id === 'string' && id.length > BATCH_ID_MAX_LENGTH)
    return bad(id.slice(0, BATCH_ID_MAX_LENGTH), 'id', `is longer than ${BATCH_ID_MAX_LENGTH} characters`)
  const checkedLon = coordinate('lon', lon)
  if (typeof checkedLon === 'string') return bad(id, 'lon', checkedLon)
  const checkedLat = coordinate('lat', lat)
  if (typeof checkedLat === 'string') return bad(id, 'lat', checkedLat)
  if (!category) return bad(id, 'category', 'is required: give it in the row or as ?category= for the whole file')
  const [wlon, wlat] = toWgs84(checkedLon, checkedLat, defaults.crs)
  return { ok: { id, lon: wlon, lat: wlat, category } }
}

/** The points of a JSON body (checked one by one as their chunk comes). */
export function pointsFromJson(body: BatchCheck): { points: RawPoint[]; defaults: BatchDefaults } {
  return {
    points: body.points.map((value) => ({ source: 'json', value })),
    defaults: { category: body.category, crs: body.crs ?? 'wgs84' },
  }
}

const HEADER_NAMES: Record<string, 'id' | 'lon' | 'lat' | 'category'> = {
  id: 'id',
  编号: 'id',
  lon: 'lon',
  lng: 'lon',
  longitude: 'lon',
  经度: 'lon',
  lat: 'lat',
  latitude: 'lat',
  纬度: 'lat',
  category: 'category',
  类别: 'category',
}

/** How much CSV text is parsed between two turns of the event loop. */
const CSV_SLICE_CHARS = 256 * 1024

/**
 * The points of a CSV upload: a header naming id, lon and lat (and optionally category; other columns are
 * the caller's own and are not read), then one point a row. Parsed a slice at a time, yielding between
 * slices, so that a 10 MB file never holds the event loop. A file that is not CSV, has no such header or
 * holds more than 100,000 rows is refused as a whole (400 naming the problem).
 */
export async function pointsFromCsv(
  text: string,
  query: { category?: PremisesCategory | undefined; crs?: CrsName | undefined },
): Promise<{ points: RawPoint[]; defaults: BatchDefaults }> {
  const records: string[][] = []
  const parser = csvParser({ bom: true, skip_empty_lines: true, relax_column_count: false })
  let failure: Error | undefined
  parser.on('readable', () => {
    for (let record = parser.read() as string[] | null; record !== null; record = parser.read() as string[] | null) records.push(record)
  })
  parser.on('error', (error) => (failure ??= error))
  const ended = new Promise<void>((resolve) => parser.on('end', resolve).on('error', () => resolve()))
  for (let offset = 0; offset < text.length && !failure;) {
    let end = Math.min(text.length, offset + CSV_SLICE_CHARS)
    // Never split a surrogate pair between two slices.
    if (end < text.length && /[\ud800-\udbff]/.test(text[end - 1]!)) end += 1
    parser.write(text.slice(offset, end))
    offset = end
    if (records.length > BATCH_MAX_POINTS + 1)
      throw invalid('body', `holds more than ${BATCH_MAX_POINTS} rows; split the file into batches of at most ${BATCH_MAX_POINTS}`)
    await nextTurn()
  }
  if (!failure) parser.end()
  await ended
  if (failure)
    throw new AppError('VALIDATION_FAILED', `body: is not valid CSV: ${failure.message}`, {
      problems: [{ field: 'body', message: 'is not valid CSV' }],
    })
  const header = records.shift()
  if (!header) throw invalid('body', 'the CSV is empty; it needs a header line naming id, lon and lat')
  if (records.length > BATCH_MAX_POINTS)
    throw invalid('body', `holds more than ${BATCH_MAX_POINTS} rows; split the file into batches of at most ${BATCH_MAX_POINTS}`)
  const columns = header.map((name) => HEADER_NAMES[name.trim().toLowerCase()])
  const at = (name: 'id' | 'lon' | 'lat' | 'category') => columns.indexOf(name)
  const missing = (['id', 'lon', 'lat'] as const).filter((name) => at(name) < 0)
  if (missing.length > 0)
    throw new AppError(
      'VALIDATION_FAILED',
      `body/header: the header line needs the columns id, lon and lat; missing ${missing.join(', ')}`,
      {
        problems: missing.map((name) => ({ field: `body/header/${name}`, message: 'is a required column' })),
      },
    )
  const twice = (['id', 'lon', 'lat', 'category'] as const).find((name) => columns.filter((c) => c === name).length > 1)
  if (twice) throw invalid(`body/header/${twice}`, 'is named twice')
  if (at('category') < 0 && !query.category) throw invalid('query/category', 'is required when the CSV has no category column')
  const [id, lon, lat, category] = [at('id'), at('lon'), at('lat'), at('category')]
  return {
    points: records.map((cells) => ({
      source: 'csv',
      id: cells[id]!,
      lon: cells[lon]!,
      lat: cells[lat]!,
      category: category < 0 ? undefined : cells[category],
    })),
    defaults: { category: query.category, crs: query.crs ?? 'wgs84' },
  }
}

/**
 * How points are cut into chunks. The embedded database runs one statement at a time (on its own thread), and
 * every other request waits for the one running, so its chunks are sized to take about 20 ms (measured as the
 * batch goes); a server runs them in its own processes, so chunks grow to 4,000 points and two are decided at once.
 */
interface Chunking {
  initial: number
  min: number
  max: number
  /** Statements in flight at once. */
  depth: number
  /** Target time of one chunk's measurement, ms (0: fixed size). */
  targetMs: number
}
const CHUNKING: Record<DatabaseKind, Chunking> = {
  embedded: { initial: 250, min: 50, max: 5000, depth: 1, targetMs: 20 },
  postgis: { initial: 1000, min: 1000, max: 4000, depth: 2, targetMs: 0 },
}

/**
 * Decides every point of a batch, as POST /api/check would, and yields the answers chunk by chunk in input
 * order. Set-based: one statement measures a whole chunk (batch-repository.ts measureChunk, the same exact
 * geodesic as the single check), walking rules measure each school's candidates of the chunk at once
 * (measureWalkingMany, as the conflicts do). The next chunk is asked for only when the consumer pulls, so a
 * slow reader holds the work back instead of filling memory; between chunks the event loop turns.
 */
export async function* checkBatch(
  db: Kysely<Database>,
  kind: DatabaseKind,
  points: readonly RawPoint[],
  defaults: BatchDefaults,
): AsyncGenerator<BatchResult[]> {
  const plan = CHUNKING[kind]
  let size = plan.initial
  let engine: Promise<NonNullable<WalkingOptions['engine']>> | undefined
  const walkingEngine = () => (engine ??= defaultEngine(db))
  const inFlight: Promise<BatchResult[]>[] = []
  let next = 0
  const launch = () => {
    const chunk = points.slice(next, next + size)
    next += chunk.length
    const started = performance.now()
    const decided = decideChunk(db, chunk, defaults, walkingEngine).then((results) => {
      const took = Math.max(1, performance.now() - started)
      // A server's chunks start small, so that the first answers come at once, and double up to the largest.
      const wanted = plan.targetMs > 0 ? Math.min(size * 2, Math.max(size / 2, (size * plan.targetMs) / took)) : size * 2
      size = Math.round(Math.min(plan.max, Math.max(plan.min, wanted)))
      return results
    })
    // A chunk still in flight when the client goes away is never awaited: its failure must not go unhandled.
    decided.catch(() => undefined)
    inFlight.push(decided)
  }
  while (next < points.length || inFlight.length > 0) {
    while (inFlight.length < plan.depth && next < points.length) launch()
    const results = await inFlight.shift()!
    yield results
    await nextTurn()
  }
}

interface Found {
  row: BatchMeasuredRow
  distanceM: number
  band: string
  walking: boolean
}

async function decideChunk(
  db: Kysely<Database>,
  chunk: readonly RawPoint[],
  defaults: BatchDefaults,
  walkingEngine: () => Promise<NonNullable<WalkingOptions['engine']>>,
): Promise<BatchResult[]> {
  const prepared = chunk.map((raw) => preparePoint(raw, defaults))
  const good: { at: number; point: GoodPoint }[] = []
  prepared.forEach((p, at) => {
    if ('ok' in p) good.push({ at, point: p.ok })
  })
  const rows =
    good.length === 0
      ? []
      : await measureChunk(db, {
          lon: good.map((g) => g.point.lon),
          lat: good.map((g) => g.point.lat),
          category: good.map((g) => g.point.category),
        })
  // found[k][j]: the j-th school in reach of the k-th good point, nearest first; null once a walk rules it out.
  const found: (Found | null)[][] = good.map(() => [])
  const walks = new Map<string, { gates: [number, number][]; limitM: number; items: { k: number; j: number; row: BatchMeasuredRow }[] }>()
  for (const row of rows) {
    const list = found[row.i]!
    if (row.path !== 'walking' || !row.gates) {
      // A walking rule at a school without gates measures straight from the campus, as the single check does.
      list.push({
        row,
        distanceM: row.distance_m,
        band: bandAt(row.band_names, row.band_edges, row.distance_m),
        walking: row.path === 'walking',
      })
      continue
    }
    const key = `${row.school_id}|${row.limit_m}`
    const group = walks.get(key) ?? { gates: row.gates.coordinates, limitM: row.limit_m, items: [] }
    walks.set(key, group)
    group.items.push({ k: row.i, j: list.length, row })
    list.push(null)
  }
  for (const group of walks.values()) {
    const measures = await measureWalkingMany(
      db,
      group.gates,
      group.items.map(({ k }) => [good[k]!.point.lon, good[k]!.point.lat] as [number, number]),
      { cutoffM: group.limitM, engine: await walkingEngine() },
    )
    measures.forEach((walk, n) => {
      const { k, j, row } = group.items[n]!
      if (walk.distanceM === null || walk.distanceM > group.limitM) return
      found[k]![j] = { row, distanceM: walk.distanceM, band: bandAt(row.band_names, row.band_edges, walk.distanceM), walking: true }
    })
  }
  const results = prepared.map((p) => ('error' in p ? p.error : undefined)) as (BatchResult | undefined)[]
  good.forEach(({ at, point }, k) => {
    const conflicts = found[k]!.filter((f): f is Found => f !== null)
    // Walking distances can reorder the schools (check() sorts then by the reported distance, then the school).
    if (conflicts.some((c) => c.walking))
      conflicts.sort((a, b) => round1(a.distanceM) - round1(b.distanceM) || a.row.school_id - b.row.school_id)
    const nearest = conflicts[0]
    results[at] = {
      id: point.id,
      verdict: nearest ? 'prohibited' : 'allowed',
      location: { lon: point.lon, lat: point.lat },
      conflict: nearest
        ? {
            schoolId: nearest.row.school_id,
            schoolName: nearest.row.school_name,
            distanceM: round1(nearest.distanceM),
            band: nearest.band,
            ruleId: nearest.row.rule_id,
            ruleVersion: nearest.row.rule_version,
          }
        : null,
      conflictCount: conflicts.length,
    }
  })
  return results as BatchResult[]
}
