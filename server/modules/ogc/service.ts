import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, notFound } from '../../errors.ts'
import type { User } from '../../schemas/auth.ts'
import { COLLECTIONS, collectionOf, type Collection, type CollectionProperty } from './collections.ts'
import { CRS84, DEFAULT_CRS, SUPPORTED_CRS, type OgcCrs } from './crs.ts'
import { CQL2_CONFORMANCE } from './cql2/conformance.ts'
import { encodeCursor, featureIdOf, parseFeatureId, type ItemsRequest } from './query.ts'
import * as repository from './repository.ts'
import type { FeatureRow } from './repository.ts'
import { downloadLinks } from './downloads.ts'
import { adaptivePage } from '../../db/turns.ts'

/**
 * Part 1, 2 and 4 conformance classes this service meets, with the OGC API – Common classes they build on (core,
 * JSON, OpenAPI 3.0, collections) and Part 4's optimistic locking by strong ETags (If-Match, 412, 428).
 */
export const CORE_CONFORMANCE = [
  'http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/json',
  'http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/oas30',
  'http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
  'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs',
  'http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete',
  'http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update',
  'http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features',
  'http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags',
] as const

/** Part 3 (filtering) classes: queryables, the `?name=value` parameters on them, and the CQL2 filter's classes. */
export const FILTERING_CONFORMANCE: readonly string[] = [
  'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables',
  'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters',
  ...CQL2_CONFORMANCE,
]

export const GEOJSON = 'application/geo+json'
const JSON_TYPE = 'application/json'
const TRS = 'http://www.opengis.net/def/uom/ISO-8601/0/Gregorian'

export interface Link {
  href: string
  rel: string
  type?: string
  title?: string
}

/** The collections a user sees (anonymous callers: the public ones). */
export const visibleCollections = (user: User | null): Collection[] => COLLECTIONS.filter((c) => c.scope(user) !== undefined)

/**
 * The collection of a request for this user: 404 for an unknown id, 401 for a signed-out caller of a
 * collection that needs sign-in, 404 for a user whose scope does not include it (it is not listed for them).
 */
export function collectionFor(id: string, user: User | null): Collection {
  const collection = collectionOf(id)
  if (!collection) throw notFound('collection', id)
  if (collection.scope(user) === undefined) {
    if (!user) throw new AppError('UNAUTHENTICATED', `collection ${id}: sign in first (POST /api/auth/login)`)
    throw notFound('collection', id)
  }
  return collection
}

/** The landing page. */
export function landing(base: string) {
  return {
    title: '固原市校园安全区域 OGC API – Features',
    description:
      'Schools, licensed premises, safety zones, conflicts, hazards, permits and the police registers of Guyuan as OGC API – Features collections (GeoJSON; CRS84, EPSG:4326, EPSG:4490, EPSG:4544, EPSG:4545).',
    links: [
      { href: `${base}`, rel: 'self', type: JSON_TYPE, title: 'this document' },
      { href: `${base}/api`, rel: 'service-desc', type: 'application/vnd.oai.openapi+json;version=3.0', title: 'the API definition' },
      { href: `${base.replace(/\/ogc$/, '')}/docs`, rel: 'service-doc', type: 'text/html', title: 'the API documentation' },
      { href: `${base}/conformance`, rel: 'conformance', type: JSON_TYPE, title: 'conformance classes' },
      { href: `${base}/collections`, rel: 'data', type: JSON_TYPE, title: 'the collections' },
    ] satisfies Link[],
  }
}

/** The conformance declaration. */
export const conformance = () => ({ conformsTo: [...CORE_CONFORMANCE, ...FILTERING_CONFORMANCE] })

const CRS_LIST = SUPPORTED_CRS.map((c) => c.uri)

async function collectionDocument(db: Kysely<Database>, collection: Collection, user: User | null, base: string) {
  const extent = await repository.extentOf(db, collection, collection.scope(user)!)
  const href = `${base}/collections/${collection.id}`
  return {
    id: collection.id,
    title: collection.title,
    description: collection.description,
    itemType: 'feature',
    links: [
      { href, rel: 'self', type: JSON_TYPE, title: 'this collection' },
      { href: `${href}/items`, rel: 'items', type: GEOJSON, title: 'the features' },
      ...downloadLinks(`${href}/items`),
      {
        href: `${href}/queryables`,
        rel: 'http://www.opengis.net/def/rel/ogc/1.0/queryables',
        type: 'application/schema+json',
        title: 'queryables',
      },
    ] satisfies Link[],
    extent: {
      ...(extent.bbox ? { spatial: { bbox: [extent.bbox], crs: CRS84 } } : {}),
      ...(extent.interval ? { temporal: { interval: [extent.interval], trs: TRS } } : {}),
    },
    crs: CRS_LIST,
    storageCrs: CRS84,
  }
}

/** The collections document, with each collection's extent within the user's scope. */
export async function collections(db: Kysely<Database>, user: User | null, base: string) {
  const documents = []
  for (const collection of visibleCollections(user)) documents.push(await collectionDocument(db, collection, user, base))
  return {
    links: [{ href: `${base}/collections`, rel: 'self', type: JSON_TYPE, title: 'this document' }] satisfies Link[],
    collections: documents,
    crs: CRS_LIST,
  }
}

/** One collection's document. */
export const collection = (db: Kysely<Database>, id: string, user: User | null, base: string) =>
  collectionDocument(db, collectionFor(id, user), user, base)

const jsonSchemaOf = (property: CollectionProperty): Record<string, unknown> => {
  const base = { title: property.name, ...(property.description ? { description: property.description } : {}) }
  switch (property.type) {
    case 'date':
      return { ...base, type: 'string', format: 'date' }
    case 'date-time':
      return { ...base, type: 'string', format: 'date-time' }
    case 'json':
      return base
    default:
      return { ...base, type: property.type, ...(property.enum ? { enum: [...property.enum] } : {}) }
  }
}

const GEOMETRY_SCHEMA: Record<Collection['geometryKind'], string> = {
  point: 'https://geojson.org/schema/Point.json',
  linestring: 'https://geojson.org/schema/LineString.json',
  polygon: 'https://geojson.org/schema/Polygon.json',
  multipolygon: 'https://geojson.org/schema/Geometry.json',
  geometry: 'https://geojson.org/schema/Geometry.json',
}

/** The queryables of a collection as a JSON Schema (Part 3). */
export function queryables(id: string, user: User | null, base: string) {
  const collection = collectionFor(id, user)
  const properties: Record<string, unknown> = { geometry: { $ref: GEOMETRY_SCHEMA[collection.geometryKind] } }
  for (const p of collection.properties.filter((p) => p.queryable)) properties[p.name] = jsonSchemaOf(p)
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `${base}/collections/${collection.id}/queryables`,
    type: 'object',
    title: collection.title,
    properties,
    additionalProperties: false,
  }
}

/** A row as a GeoJSON feature. */
export const featureOf = (collection: Collection, row: FeatureRow) => ({
  type: 'Feature' as const,
  id: featureIdOf(collection, row.key),
  geometry: row.geometry,
  properties: row.properties,
})
export type OgcFeature = ReturnType<typeof featureOf>

/** A strong entity tag of a feature's content (id, geometry, properties). */
export const etagOf = (feature: OgcFeature) =>
  `"${createHash('sha256')
    .update(JSON.stringify([feature.id, feature.geometry, feature.properties]))
    .digest('base64url')
    .slice(0, 32)}"`

/** The query string of a link: the request's own parameters with the cursor set (or removed). */
function withCursor(query: Record<string, unknown>, cursor: string | undefined): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) {
    if (name === 'cursor') continue
    for (const v of [value].flat()) params.append(name, String(v))
  }
  if (cursor) params.set('cursor', cursor)
  const text = params.toString()
  return text ? `?${text}` : ''
}

const COUNT_CACHE_SIZE = 1000
const counts = new Map<string, number>()

/**
 * numberMatched of a filter. Counting a million rows takes longer than a page, so a collection whose tables
 * carry a data version has its counts kept per filter and version: a walk through the pages (the same filter,
 * other cursors) counts once, and any committed write changes the version. The version is read before the
 * count, so a count is never filed under a version older than the rows it saw.
 */
async function numberMatchedOf(db: Kysely<Database>, collection: Collection, filter: repository.ItemsFilter): Promise<number> {
  if (!collection.countVersion) return repository.countFeatures(db, collection, filter)
  const version = await repository.dataVersion(db, collection.countVersion)
  if (version === undefined) return repository.countFeatures(db, collection, filter)
  const key = `${version}|${repository.countKey(db, collection, filter)}`
  const cached = counts.get(key)
  if (cached !== undefined) return cached
  const n = await repository.countFeatures(db, collection, filter)
  if (counts.size >= COUNT_CACHE_SIZE) counts.delete(counts.keys().next().value!)
  counts.set(key, n)
  return n
}

/** One page of a collection's items, with numberMatched and the self, next and prev links. */
export async function items(
  db: Kysely<Database>,
  collection: Collection,
  user: User | null,
  request: ItemsRequest,
  base: string,
  query: Record<string, unknown>,
) {
  const filter = { ...request.filter, scope: collection.scope(user)! }
  const [rows, numberMatched] = await Promise.all([
    repository.pageOfFeatures(db, collection, filter, { after: request.after, before: request.before, limit: request.limit }, request.crs),
    numberMatchedOf(db, collection, filter),
  ])
  const more = rows.length > request.limit
  const page = rows.slice(0, request.limit)
  if (request.before) page.reverse()
  const hasNext = request.before ? true : more
  const hasPrev = request.before ? more : request.after !== undefined
  const href = `${base}/collections/${collection.id}/items`
  const links: Link[] = [
    { href: `${href}${withCursor(query, query.cursor as string | undefined)}`, rel: 'self', type: GEOJSON, title: 'this page' },
    { href: `${base}/collections/${collection.id}`, rel: 'collection', type: JSON_TYPE, title: 'the collection' },
  ]
  const first = page[0]
  const last = page.at(-1)
  if (hasNext && last)
    links.push({ href: `${href}${withCursor(query, encodeCursor('a', last.key))}`, rel: 'next', type: GEOJSON, title: 'next page' })
  if (hasNext && !last && request.before)
    links.push({ href: `${href}${withCursor(query, encodeCursor('a', request.before))}`, rel: 'next', type: GEOJSON, title: 'next page' })
  if (hasPrev && first)
    links.push({ href: `${href}${withCursor(query, encodeCursor('b', first.key))}`, rel: 'prev', type: GEOJSON, title: 'previous page' })
  if (hasPrev && !first && request.after)
    links.push({
      href: `${href}${withCursor(query, encodeCursor('b', request.after))}`,
      rel: 'prev',
      type: GEOJSON,
      title: 'previous page',
    })
  return {
    type: 'FeatureCollection' as const,
    features: page.map((r) => featureOf(collection, r)),
    numberMatched,
    numberReturned: page.length,
    timeStamp: new Date().toISOString(),
    links,
  }
}

export interface ItemResult {
  feature: OgcFeature & { links: Link[] }
  etag: string
  lastModified?: Date | undefined
  version?: number | undefined
}

/** One feature within the user's scope, with its ETag and change time; 404 when there is none. */
export async function item(
  db: Kysely<Database>,
  collection: Collection,
  user: User | null,
  featureId: string,
  crs: OgcCrs,
  base: string,
): Promise<ItemResult> {
  const key = parseFeatureId(collection, featureId)
  const row = key && (await repository.findFeature(db, collection, collection.scope(user)!, key, crs))
  if (!row) throw notFound(`feature of ${collection.id}`, featureId)
  const feature = featureOf(collection, row)
  const href = `${base}/collections/${collection.id}`
  return {
    feature: {
      ...feature,
      links: [
        { href: `${href}/items/${encodeURIComponent(String(feature.id))}`, rel: 'self', type: GEOJSON, title: 'this feature' },
        { href, rel: 'collection', type: JSON_TYPE, title: 'the collection' },
      ],
    },
    etag: etagOf(feature),
    lastModified: row.updatedAt,
    version: row.version,
  }
}

/** The most features a page of the stream reads at a time (fewer where a page takes long: adaptivePage). */
const STREAM_PAGE = 1000

/**
 * Every feature of the filtered collection the user sees, in key order, read in keyset pages so that a
 * download of any size holds one page in memory. `request.limit` and its cursor are not applied: the whole
 * filtered collection is streamed. For the format writers (FlatGeobuf, GeoPackage, CSV …).
 */
export async function* streamFeatures(
  db: Kysely<Database>,
  collection: Collection,
  request: Pick<ItemsRequest, 'filter'> & { crs?: OgcCrs },
  user: User | null,
  pageSize = STREAM_PAGE,
): AsyncGenerator<OgcFeature> {
  const scope = collection.scope(user)
  if (!scope) return
  const filter = { ...request.filter, scope }
  let after: repository.KeyValue[] | undefined
  // Pages adapt to how long the last took (about 40 ms, at most pageSize rows), with a turn for other requests between them.
  const pages = adaptivePage(Math.min(100, pageSize), pageSize)
  for (;;) {
    const size = pages.size
    const started = performance.now()
    const rows = await repository.pageOfFeatures(db, collection, filter, { after, limit: size }, request.crs ?? DEFAULT_CRS)
    pages.took(performance.now() - started)
    const page = rows.slice(0, size)
    for (const row of page) yield featureOf(collection, row)
    if (rows.length <= size) return
    after = page.at(-1)!.key
    await new Promise((resolve) => setImmediate(resolve))
  }
}
