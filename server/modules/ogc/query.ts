/**
 * The items query string of OGC API – Features read strictly: every parameter is known or refused (400
 * naming it), numbers and dates are checked, and the values come out in the database's terms.
 */
import { sql, type RawBuilder } from 'kysely'
import { AppError } from '../../errors.ts'
import type { Collection, CollectionProperty } from './collections.ts'
import { Cql2Error, FILTER_LANGUAGES, filterCondition, resolveFilterCrs, type Queryable } from './cql2/index.ts'
import { bboxToXy, crsOf, DEFAULT_CRS, type OgcCrs } from './crs.ts'
import type { ItemsFilter, KeyValue } from './repository.ts'

/** Features per page when `limit` is not given (GDAL and QGIS ask for their own page size). */
export const DEFAULT_LIMIT = 100
/** The most features a page may hold. */
export const MAX_LIMIT = 10_000

/** Parameters of the items request besides the queryables. */
export const ITEMS_PARAMETERS = ['limit', 'bbox', 'bbox-crs', 'datetime', 'crs', 'cursor', 'f'] as const
/** Part 3 parameters: a CQL2 filter, its encoding and the CRS of its geometries. */
export const FILTER_PARAMETERS = ['filter', 'filter-lang', 'filter-crs'] as const

export const bad = (field: string, problem: string) =>
  new AppError('VALIDATION_FAILED', `${field}: ${problem}`, { problems: [{ field, message: problem }] })

export interface ItemsRequest {
  limit: number
  crs: OgcCrs
  filter: Omit<ItemsFilter, 'scope'>
  after?: KeyValue[] | undefined
  before?: KeyValue[] | undefined
}

type Query = Record<string, unknown>

/** One value of a parameter: text, or a 400 when it is repeated. */
function single(query: Query, name: string): string | undefined {
  const value = query[name]
  if (value === undefined) return undefined
  if (Array.isArray(value)) throw bad(name, 'is given more than once')
  return String(value)
}

const DECIMAL = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/

/** The `crs` (or `bbox-crs`, `filter-crs`, `Content-Crs`) value as a served CRS, or a 400. */
export function parseCrs(value: string | undefined, field: string): OgcCrs {
  if (value === undefined) return DEFAULT_CRS
  const crs = crsOf(value)
  if (!crs) throw bad(field, `${value.slice(0, 100)} is not a CRS this service serves (see the collection's crs list)`)
  return crs
}

/** The `limit` parameter: 1–10,000, DEFAULT_LIMIT when absent. */
export function parseLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT
  if (!/^[0-9]+$/.test(value)) throw bad('limit', 'must be a whole number in decimal digits')
  const limit = Number(value)
  if (limit < 1 || limit > MAX_LIMIT) throw bad('limit', `must be between 1 and ${MAX_LIMIT}`)
  return limit
}

/** The bbox (4 or 6 numbers, in bbox-crs and its axis order) as an x/y box in that CRS. */
export function parseBbox(value: string | undefined, crs: OgcCrs): ItemsFilter['bbox'] {
  if (value === undefined) return undefined
  const parts = value.split(',')
  if ((parts.length !== 4 && parts.length !== 6) || parts.some((p) => !DECIMAL.test(p.trim())))
    throw bad('bbox', 'must be 4 or 6 comma-separated numbers (lower corner, upper corner)')
  const numbers = parts.map((p) => Number(p))
  if (numbers.some((n) => !Number.isFinite(n))) throw bad('bbox', 'must be finite numbers')
  const corners = numbers.length === 6 ? [numbers[0]!, numbers[1]!, numbers[3]!, numbers[4]!] : numbers
  const xy = bboxToXy(corners, crs)
  const [x1, y1, x2, y2] = xy
  if (crs.srid === 4326 || crs.srid === 4490) {
    if (y1 < -90 || y2 > 90 || x1 < -180 || x2 > 180) throw bad('bbox', 'lies outside -180..180 longitude, -90..90 latitude')
    // A box across the antimeridian (x1 > x2) is allowed by the standard; Guyuan is nowhere near it.
    if (x1 > x2) throw bad('bbox', 'crosses the antimeridian, which this service does not serve')
  } else if (x1 > x2) throw bad('bbox', 'lower corner must lie below the upper corner')
  if (y1 > y2) throw bad('bbox', 'lower corner must lie below the upper corner')
  return { xy, srid: crs.srid }
}

const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/
const DATE_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$/

/** One end of a datetime: an ISO instant; a date stands for its whole day (UTC). */
function instant(text: string, end: boolean): string {
  if (DATE.test(text)) {
    const day = new Date(`${text}T00:00:00Z`)
    if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== text) throw bad('datetime', `${text} is not a calendar date`)
    return end ? new Date(day.getTime() + 86_400_000 - 1).toISOString() : day.toISOString()
  }
  if (DATE_TIME.test(text)) {
    const at = new Date(text.replace(' ', 'T'))
    if (Number.isNaN(at.getTime())) throw bad('datetime', `${text} is not a valid date-time`)
    return at.toISOString()
  }
  throw bad('datetime', `${text.slice(0, 40)} is not an RFC 3339 date or date-time (or .. for an open end)`)
}

/** `datetime`: an instant, or an interval start/end with either end open (`..` or empty). */
export function parseDatetime(value: string | undefined, collection: Collection): ItemsFilter['datetime'] {
  if (value === undefined) return undefined
  if (!collection.temporal) throw bad('datetime', `collection ${collection.id} has no temporal property`)
  const parts = value.split('/')
  if (parts.length > 2) throw bad('datetime', 'must be one instant or start/end')
  if (parts.length === 1) {
    if (parts[0] === '..' || parts[0] === '') throw bad('datetime', 'an instant cannot be open')
    return { start: instant(parts[0]!, false), end: instant(parts[0]!, true) }
  }
  const open = (p: string) => p === '..' || p === ''
  const [a, b] = parts as [string, string]
  if (open(a) && open(b)) throw bad('datetime', 'at most one end of an interval may be open')
  const start = open(a) ? undefined : instant(a, false)
  const end = open(b) ? undefined : instant(b, true)
  if (start && end && start > end) throw bad('datetime', 'the start lies after the end')
  return { start, end }
}

/** A `?name=value` filter on a queryable, the value read as the property's type. */
function propertyValue(property: CollectionProperty, text: string): string | number | boolean {
  const field = property.name
  switch (property.type) {
    case 'integer':
      if (!/^-?[0-9]{1,15}$/.test(text)) throw bad(field, 'must be a whole number')
      return Number(text)
    case 'number':
      if (!DECIMAL.test(text) || !Number.isFinite(Number(text))) throw bad(field, 'must be a number')
      return Number(text)
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw bad(field, 'must be true or false')
      return text === 'true'
    case 'date':
      if (!DATE.test(text) || instant(text, false).slice(0, 10) !== text) throw bad(field, 'must be a date YYYY-MM-DD')
      return text
    default:
      if (text.length > 500) throw bad(field, 'is longer than 500 characters')
      if (text.includes('\u0000')) throw bad(field, 'must not contain U+0000')
      if (property.enum && !property.enum.includes(text)) throw bad(field, `must be one of ${property.enum.join(', ')}`)
      return text
  }
}

/**
 * What a CQL2 filter may name: the collection's queryables (compared on their filter expression, which keeps
 * the column's type and index) and `geometry`, as /queryables lists them.
 */
export function filterQueryables(collection: Collection): Map<string, Queryable> {
  const map = new Map<string, Queryable>([['geometry', { type: 'geometry', sql: collection.geometry }]])
  for (const p of collection.properties) {
    if (!p.queryable) continue
    const expression = p.filter ?? p.sql
    if (p.type === 'date') map.set(p.name, { type: 'date', sql: p.filter ?? sql`(${p.sql})::date` })
    else if (p.type === 'date-time') map.set(p.name, { type: 'timestamp', sql: sql`(${expression})::timestamptz` })
    // As text whatever the column is (roads.osm_id is a bigint served as a string): comparing it stays valid SQL.
    else if (p.type === 'string') map.set(p.name, { type: 'string', sql: sql`(${expression})::text` })
    else if (p.type !== 'json') map.set(p.name, { type: p.type, sql: expression })
  }
  return map
}

/** `filter` (in `filter-lang`, with geometries in `filter-crs`) as one SQL condition, or a 400 naming the parameter. */
export function parseFilter(collection: Collection, query: Query): RawBuilder<boolean> | undefined {
  const text = single(query, 'filter')
  const language = single(query, 'filter-lang')
  const crs = single(query, 'filter-crs')
  if (language !== undefined && !(FILTER_LANGUAGES as readonly string[]).includes(language))
    throw bad('filter-lang', `must be one of ${FILTER_LANGUAGES.join(', ')}`)
  try {
    if (crs !== undefined) resolveFilterCrs(crs)
    return text === undefined ? undefined : filterCondition(text, language, crs, filterQueryables(collection))
  } catch (error) {
    if (error instanceof Cql2Error) throw bad(error.field, error.problem)
    throw error
  }
}

/** The key values of a feature id (integer, number and text parts joined by '-'), or undefined when it is none of this collection's. */
export function parseFeatureId(collection: Collection, featureId: string): KeyValue[] | undefined {
  const parts = collection.key.length === 1 ? [featureId] : featureId.split('-')
  if (parts.length !== collection.key.length) return undefined
  const values: KeyValue[] = []
  for (const [i, part] of collection.key.entries()) {
    const text = parts[i]!
    if (part.type === 'integer') {
      if (!/^[0-9]{1,10}$/.test(text) || Number(text) > 2147483647) return undefined
      values.push(Number(text))
    } else if (part.type === 'number') {
      if (!DECIMAL.test(text)) return undefined
      values.push(Number(text))
    } else {
      if (text.length === 0 || text.length > 100) return undefined
      values.push(text)
    }
  }
  return values
}

/** A feature id of key values. */
export const featureIdOf = (collection: Collection, key: readonly KeyValue[]): string | number =>
  collection.key.length === 1 && collection.key[0]!.type === 'integer' ? Number(key[0]) : key.map(String).join('-')

/** A paging cursor: the key of the row a page starts after (a) or ends before (b), base64url JSON. */
export const encodeCursor = (direction: 'a' | 'b', key: readonly KeyValue[]) =>
  Buffer.from(JSON.stringify({ [direction]: key })).toString('base64url')

function decodeCursor(collection: Collection, text: string): { after?: KeyValue[]; before?: KeyValue[] } {
  const problem = () => bad('cursor', 'is not a paging cursor of this collection (follow the next and prev links)')
  if (text.length > 1000 || !/^[A-Za-z0-9_-]+$/.test(text)) throw problem()
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
  } catch {
    throw problem()
  }
  const object = parsed as { a?: unknown; b?: unknown }
  const values = object?.a ?? object?.b
  if (!Array.isArray(values) || values.length !== collection.key.length || (object.a !== undefined && object.b !== undefined))
    throw problem()
  for (const [i, part] of collection.key.entries()) {
    const value = values[i]
    if (part.type === 'text' ? typeof value !== 'string' : typeof value !== 'number' || !Number.isFinite(value)) throw problem()
  }
  return object.a !== undefined ? { after: values as KeyValue[] } : { before: values as KeyValue[] }
}

/** The whole items query of a collection, checked: unknown parameters are refused by name. */
export function parseItemsQuery(collection: Collection, query: Query): ItemsRequest {
  const queryables = new Map(collection.properties.filter((p) => p.queryable).map((p) => [p.name, p]))
  for (const name of Object.keys(query)) {
    if (
      !(ITEMS_PARAMETERS as readonly string[]).includes(name) &&
      !(FILTER_PARAMETERS as readonly string[]).includes(name) &&
      !queryables.has(name)
    )
      throw bad(name, `is not a parameter of the ${collection.id} items (see /ogc/collections/${collection.id}/queryables)`)
  }
  const f = single(query, 'f')
  if (f !== undefined && f !== 'json' && f !== 'geojson') throw bad('f', 'must be json (GeoJSON is the one encoding served)')
  const crs = parseCrs(single(query, 'crs'), 'crs')
  const bboxCrs = parseCrs(single(query, 'bbox-crs'), 'bbox-crs')
  const properties = [...queryables.values()]
    .filter((p) => query[p.name] !== undefined)
    .map((property) => ({ property, value: propertyValue(property, single(query, property.name)!) }))
  const cursor = single(query, 'cursor')
  return {
    limit: parseLimit(single(query, 'limit')),
    crs,
    filter: {
      bbox: parseBbox(single(query, 'bbox'), bboxCrs),
      datetime: parseDatetime(single(query, 'datetime'), collection),
      properties,
      cql: parseFilter(collection, query),
    },
    ...(cursor === undefined ? {} : decodeCursor(collection, cursor)),
  }
}
