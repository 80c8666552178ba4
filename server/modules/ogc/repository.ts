import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import type { Collection, CollectionProperty, KeyPart } from './collections.ts'
import type { OgcCrs } from './crs.ts'

type Db = Kysely<Database> | Transaction<Database>

/** A key value as the keyset compares it: numbers for integer and number parts, text for text parts. */
export type KeyValue = number | string

/** The filters of an items request, already checked and in the database's terms. */
export interface ItemsFilter {
  /** The rows the user may see (the collection's scope rule). */
  scope: RawBuilder<boolean>
  /** A box in the PostGIS axis order (x, y) of `srid`. */
  bbox?: { xy: readonly [number, number, number, number]; srid: number } | undefined
  /** Bounds of the temporal property (ISO instants; either may be open). */
  datetime?: { start?: string | undefined; end?: string | undefined } | undefined
  /** Equality on queryables: the property and the value, already of its type. */
  properties: readonly { property: CollectionProperty; value: string | number | boolean }[]
  /** The CQL2 `filter`, compiled (every literal a parameter). */
  cql?: RawBuilder<boolean> | undefined
}

export interface FeatureRow {
  key: KeyValue[]
  properties: Record<string, unknown>
  geometry: { type: string; coordinates: unknown } | null
  version?: number
  updatedAt?: Date
}

const keyParam = (part: KeyPart, value: KeyValue) =>
  part.type === 'integer' ? sql`${value}::int` : part.type === 'number' ? sql`${value}::float8` : sql`${value}::text`

const propertyParam = (property: CollectionProperty, value: string | number | boolean) => {
  switch (property.type) {
    case 'integer':
      return sql`${value}::bigint`
    case 'number':
      return sql`${value}::float8`
    case 'boolean':
      return sql`${value}::boolean`
    case 'date':
      return sql`${value}::date`
    default:
      return sql`${value}::text`
  }
}

/** The geometry written out in `crs`: transformed in PostGIS and flipped where the CRS puts north first. */
export function geometryOut(geometry: RawBuilder<unknown>, crs: OgcCrs): RawBuilder<unknown> {
  const transformed = crs.srid === 4326 ? geometry : sql`ST_Transform(${geometry}, ${sql.lit(crs.srid)})`
  const ordered = crs.northFirst ? sql`ST_FlipCoordinates(${transformed})` : transformed
  // Options 0: no member "crs" inside the geometry (not GeoJSON); the CRS is in the Content-Crs header.
  return sql`ST_AsGeoJSON(${ordered}, ${sql.lit(crs.decimals)}, 0)::json`
}

/** A GeoJSON geometry in `crs` (validated structure) → geometry(4326). */
export function geometryIn(geometry: unknown, crs: OgcCrs): RawBuilder<unknown> {
  const read = sql`ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(geometry)}), ${sql.lit(crs.srid)})`
  const ordered = crs.northFirst ? sql`ST_FlipCoordinates(${read})` : read
  return crs.srid === 4326 ? ordered : sql`ST_Transform(${ordered}, 4326)`
}

function where(collection: Collection, filter: ItemsFilter): RawBuilder<boolean> {
  const parts: RawBuilder<unknown>[] = [filter.scope]
  if (filter.bbox) {
    const [x1, y1, x2, y2] = filter.bbox.xy
    const box = sql`ST_MakeEnvelope(${x1}::float8, ${y1}::float8, ${x2}::float8, ${y2}::float8, ${sql.lit(filter.bbox.srid)})`
    // A projected box is densified before it is brought to WGS84, so its edges stay where they are on the ground.
    const wgs84 = filter.bbox.srid === 4326 ? box : sql`ST_Transform(ST_Segmentize(${box}, 100), 4326)`
    parts.push(sql`(${collection.geometry} && ${wgs84} and ST_Intersects(${collection.geometry}, ${wgs84}))`)
  }
  if (filter.datetime && collection.temporal) {
    if (filter.datetime.start) parts.push(sql`${collection.temporal.sql} >= ${filter.datetime.start}::timestamptz`)
    if (filter.datetime.end) parts.push(sql`${collection.temporal.sql} <= ${filter.datetime.end}::timestamptz`)
  }
  for (const { property, value } of filter.properties)
    parts.push(sql`${property.filter ?? property.sql} = ${propertyParam(property, value)}`)
  if (filter.cql) parts.push(filter.cql)
  return sql<boolean>`(${sql.join(parts, sql` and `)})`
}

const keyTuple = (collection: Collection) => sql`(${sql.join(collection.key.map((k) => k.sql))})`

function selectList(collection: Collection, crs: OgcCrs): RawBuilder<unknown> {
  const keys = collection.key.map((k, i) => sql`${k.sql} as ${sql.id(`k${i}`)}`)
  const properties = collection.properties.map((p) => sql`${p.sql} as ${sql.id(`p_${p.name}`)}`)
  const versioned = collection.versioned
    ? [sql`${collection.versioned.version} as "v_version"`, sql`${collection.versioned.updatedAt} as "v_updated_at"`]
    : []
  return sql.join([...keys, ...properties, ...versioned, sql`${geometryOut(collection.geometry, crs)} as "g_geometry"`])
}

function toFeatureRow(collection: Collection, row: Record<string, unknown>): FeatureRow {
  const properties: Record<string, unknown> = {}
  for (const p of collection.properties) {
    const value = row[`p_${p.name}`]
    properties[p.name] = typeof value === 'string' && (p.type === 'integer' || p.type === 'number') ? Number(value) : value
  }
  return {
    key: collection.key.map((k, i) => {
      const value = row[`k${i}`]
      return k.type === 'text' ? String(value) : Number(value)
    }),
    properties,
    geometry: (row.g_geometry as FeatureRow['geometry']) ?? null,
    ...(collection.versioned ? { version: Number(row.v_version), updatedAt: new Date(row.v_updated_at as string) } : {}),
  }
}

/**
 * One keyset page: the rows after (or before) a key in the key order, `limit` + 1 of them so that the
 * caller knows whether there are more. A page costs O(limit) on the key's index however deep it is.
 */
export async function pageOfFeatures(
  db: Db,
  collection: Collection,
  filter: ItemsFilter,
  page: { after?: readonly KeyValue[] | undefined; before?: readonly KeyValue[] | undefined; limit: number },
  crs: OgcCrs,
): Promise<FeatureRow[]> {
  const conditions: RawBuilder<unknown>[] = [where(collection, filter)]
  const cursorOf = (values: readonly KeyValue[]) => sql`(${sql.join(collection.key.map((k, i) => keyParam(k, values[i]!)))})`
  if (page.after) conditions.push(sql`${keyTuple(collection)} > ${cursorOf(page.after)}`)
  if (page.before) conditions.push(sql`${keyTuple(collection)} < ${cursorOf(page.before)}`)
  const direction = page.before ? sql`desc` : sql`asc`
  const order = sql.join(collection.key.map((k) => sql`${k.sql} ${direction}`))
  const { rows } = await sql<Record<string, unknown>>`select ${selectList(collection, crs)} from ${collection.from}
    where ${sql.join(conditions, sql` and `)} order by ${order} limit ${page.limit + 1}`.execute(db)
  const features = rows.map((r) => toFeatureRow(collection, r))
  return features
}

/** The number of rows matching the filter. */
export async function countFeatures(db: Db, collection: Collection, filter: ItemsFilter): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${collection.from} where ${where(collection, filter)}`.execute(
    db,
  )
  return Number(rows[0]?.n ?? 0)
}

/** The count query's text and parameters: what a cached count is keyed by. */
export function countKey(db: Db, collection: Collection, filter: ItemsFilter): string {
  const compiled = sql`select count(*) from ${collection.from} where ${where(collection, filter)}`.compile(db)
  return JSON.stringify([compiled.sql, compiled.parameters])
}

/** A tile layer's data version (its counter and the database's epoch), which changes with every committed write behind it. */
export async function dataVersion(db: Db, layer: string): Promise<string | undefined> {
  const { rows } = await sql<{ version: string; epoch: string }>`select version, epoch from tile_versions where layer = ${layer}`.execute(
    db,
  )
  return rows[0] && `${rows[0].epoch}.${rows[0].version}`
}

/** One feature by its key within the scope, or undefined. */
export async function findFeature(
  db: Db,
  collection: Collection,
  scope: RawBuilder<boolean>,
  key: readonly KeyValue[],
  crs: OgcCrs,
): Promise<FeatureRow | undefined> {
  const match = sql.join(
    collection.key.map((k, i) => sql`${k.sql} = ${keyParam(k, key[i]!)}`),
    sql` and `,
  )
  const { rows } = await sql<Record<string, unknown>>`select ${selectList(collection, crs)} from ${collection.from}
    where ${scope} and ${match}`.execute(db)
  return rows[0] && toFeatureRow(collection, rows[0])
}

export interface Extent {
  bbox: [number, number, number, number] | null
  interval: [string | null, string | null] | null
}

/** The WGS84 box of the rows a user sees and the span of the temporal property. */
export async function extentOf(db: Db, collection: Collection, scope: RawBuilder<boolean>): Promise<Extent> {
  const temporal = collection.temporal
    ? sql`, to_char(min(${collection.temporal.sql}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as t0,
        to_char(max(${collection.temporal.sql}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as t1`
    : sql``
  const { rows } = await sql<{ x0: number | null; y0: number | null; x1: number | null; y1: number | null; t0?: string; t1?: string }>`
    select ST_XMin(e) as x0, ST_YMin(e) as y0, ST_XMax(e) as x1, ST_YMax(e) as y1 ${collection.temporal ? sql`, t0, t1` : sql``}
    from (select ST_Extent(${collection.geometry}) as e ${temporal} from ${collection.from} where ${scope}) x`.execute(db)
  const row = rows[0]
  const bbox = row && row.x0 !== null ? ([row.x0, row.y0, row.x1, row.y1].map(Number) as [number, number, number, number]) : null
  return { bbox, interval: collection.temporal ? [row?.t0 ?? null, row?.t1 ?? null] : null }
}

/** A GeoJSON geometry given in `crs`, as WGS84 GeoJSON (the registry service takes WGS84). */
export async function geometryToWgs84(db: Db, geometry: unknown, crs: OgcCrs): Promise<{ type: string; coordinates: unknown }> {
  const { rows } = await sql<{
    g: { type: string; coordinates: unknown }
  }>`select ST_AsGeoJSON(${geometryIn(geometry, crs)}, 9)::json as g`.execute(db)
  return rows[0]!.g
}
