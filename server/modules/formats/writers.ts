/**
 * Downloads: a layer's features (WGS84 GeoJSON, read page by page) written as GeoJSON, CSV, FlatGeobuf or
 * GeoPackage. The first three stream as the features arrive; a GeoPackage is a SQLite file, built in
 * memory and sent whole, so its size is bounded by MAX_GEOPACKAGE_FEATURES.
 */
import { Readable } from 'node:stream'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { buildFeature, type IProperties } from 'flatgeobuf/lib/mjs/generic/feature.js'
import { buildHeader } from 'flatgeobuf/lib/mjs/generic/featurecollection.js'
import { parseGeometry } from 'flatgeobuf/lib/mjs/geojson/geometry.js'
import { ColumnType } from 'flatgeobuf/lib/mjs/flat-geobuf/column-type.js'
import { GeometryType } from 'flatgeobuf/lib/mjs/flat-geobuf/geometry-type.js'
import type { ColumnMeta } from 'flatgeobuf/lib/mjs/column-meta.js'
import type { HeaderMeta } from 'flatgeobuf/lib/mjs/header-meta.js'
import { AppError } from '../../errors.ts'
import { sqlite, CHUNK } from './readers.ts'
import { boundsOf, writeGeoPackageGeometry, type Geometry } from './wkb.ts'

/** One attribute of a layer and how it is typed in the files. */
export interface PropertyDefinition {
  name: string
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'datetime' | 'json'
}

/** A WGS84 feature to write; a numeric `id` becomes the GeoPackage fid. */
export interface OutputFeature {
  id?: number | string
  properties: Record<string, unknown>
  geometry: Geometry
}

/** What a layer holds: its name, attributes and geometry type (GeoJSON name, or undefined for mixed). */
export interface Layer {
  name: string
  properties: readonly PropertyDefinition[]
  geometryType?: Geometry['type']
}

/** The download formats, their media types and file extensions. */
export const DOWNLOAD_FORMATS = {
  geojson: { mediaType: 'application/geo+json', extension: 'geojson' },
  csv: { mediaType: 'text/csv; charset=utf-8', extension: 'csv' },
  fgb: { mediaType: 'application/flatgeobuf', extension: 'fgb' },
  gpkg: { mediaType: 'application/geopackage+sqlite3', extension: 'gpkg' },
} as const
export type DownloadFormat = keyof typeof DOWNLOAD_FORMATS

/** A GeoPackage is built in memory: more features than this are refused (FlatGeobuf streams any number). */
export const MAX_GEOPACKAGE_FEATURES = 100_000

/** Feature → GeoJSON text, streamed as one FeatureCollection. */
export function writeGeoJson(layer: Layer, features: AsyncIterable<OutputFeature>): Readable {
  return Readable.from(
    (async function* () {
      yield `{"type":"FeatureCollection","name":${JSON.stringify(layer.name)},"features":[`
      let batch: string[] = []
      let written = false
      const flush = () => {
        const text = (written ? ',' : '') + batch.join(',')
        written = true
        batch = []
        return text
      }
      for await (const feature of features) {
        const properties = Object.fromEntries(layer.properties.map((p) => [p.name, feature.properties[p.name] ?? null]))
        batch.push(JSON.stringify({ type: 'Feature', id: feature.id, properties, geometry: feature.geometry }))
        if (batch.length === CHUNK) {
          yield flush()
          await yieldToEventLoop()
        }
      }
      if (batch.length > 0) yield flush()
      yield ']}\n'
    })(),
    { objectMode: false },
  )
}

const csvCell = (value: string) => (/[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value)

function textOf(definition: PropertyDefinition, value: unknown): string {
  if (value === null || value === undefined) return ''
  if (definition.type === 'json' || typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** Well-known text of a geometry, coordinates in JavaScript's shortest round-trip form. */
export function wktOf(geometry: Geometry): string {
  const position = (p: number[]) => `${p[0]} ${p[1]}`
  const line = (ps: number[][]) => `(${ps.map(position).join(', ')})`
  const polygon = (rings: number[][][]) => `(${rings.map(line).join(', ')})`
  switch (geometry.type) {
    case 'Point':
      return `POINT (${position(geometry.coordinates)})`
    case 'LineString':
      return `LINESTRING ${line(geometry.coordinates)}`
    case 'MultiPoint':
      return `MULTIPOINT ${line(geometry.coordinates)}`
    case 'Polygon':
      return `POLYGON ${polygon(geometry.coordinates)}`
    case 'MultiLineString':
      return `MULTILINESTRING ${polygon(geometry.coordinates)}`
    case 'MultiPolygon':
      return `MULTIPOLYGON (${geometry.coordinates.map(polygon).join(', ')})`
  }
}

/**
 * CSV in UTF-8 with a byte-order mark (so Excel reads Chinese): a point layer gets `lon` and `lat` columns
 * (what the CSV import reads back), any other layer a `wkt` column (what GDAL and QGIS read).
 */
export function writeCsv(layer: Layer, features: AsyncIterable<OutputFeature>): Readable {
  const points = layer.geometryType === 'Point'
  return Readable.from(
    (async function* () {
      const header = [...layer.properties.map((p) => p.name), ...(points ? ['lon', 'lat'] : ['wkt'])]
      yield `\uFEFF${header.map(csvCell).join(',')}\r\n`
      let n = 0
      let batch = ''
      for await (const feature of features) {
        const cells = layer.properties.map((p) => csvCell(textOf(p, feature.properties[p.name])))
        if (points && feature.geometry.type === 'Point')
          cells.push(String(feature.geometry.coordinates[0]), String(feature.geometry.coordinates[1]))
        else if (points) cells.push('', '')
        else cells.push(csvCell(wktOf(feature.geometry)))
        batch += `${cells.join(',')}\r\n`
        if (++n % CHUNK === 0) {
          yield batch
          batch = ''
          await yieldToEventLoop()
        }
      }
      if (batch) yield batch
    })(),
    { objectMode: false },
  )
}

const FGB_MAGIC = new Uint8Array([0x66, 0x67, 0x62, 0x03, 0x66, 0x67, 0x62, 0x00])
const FGB_COLUMN_TYPES: Record<PropertyDefinition['type'], ColumnType> = {
  string: ColumnType.String,
  integer: ColumnType.Long,
  number: ColumnType.Double,
  boolean: ColumnType.Bool,
  date: ColumnType.String,
  datetime: ColumnType.DateTime,
  json: ColumnType.Json,
}

/** FlatGeobuf streamed feature by feature: no spatial index, so no count is needed first (the header says 0, unknown). */
export function writeFlatGeobuf(layer: Layer, features: AsyncIterable<OutputFeature>): Readable {
  const columns: ColumnMeta[] = layer.properties.map((p) => ({
    name: p.name,
    type: FGB_COLUMN_TYPES[p.type],
    title: null,
    description: null,
    width: -1,
    precision: -1,
    scale: -1,
    nullable: true,
    unique: false,
    primary_key: false,
  }))
  const header: HeaderMeta = {
    geometryType: layer.geometryType ? GeometryType[layer.geometryType] : GeometryType.Unknown,
    columns,
    envelope: null,
    featuresCount: 0,
    indexNodeSize: 0,
    crs: null,
    title: null,
    description: null,
    metadata: null,
  }
  return Readable.from(
    (async function* () {
      // The library's header builder names the layer L1 and writes the CRS code given (EPSG:4326).
      yield Buffer.concat([FGB_MAGIC, buildHeader(header, 4326)])
      let n = 0
      let batch: Uint8Array[] = []
      for await (const feature of features) {
        const properties = Object.fromEntries(layer.properties.map((p) => [p.name, fgbValue(p, feature.properties[p.name])]))
        batch.push(buildFeature(parseGeometry(feature.geometry as never), properties as IProperties, header))
        if (++n % CHUNK === 0) {
          yield Buffer.concat(batch)
          batch = []
          await yieldToEventLoop()
        }
      }
      if (batch.length > 0) yield Buffer.concat(batch)
    })(),
    { objectMode: false },
  )
}

function fgbValue(definition: PropertyDefinition, value: unknown): unknown {
  if (value === undefined || value === null) return null
  if (definition.type === 'json') return value
  if (definition.type === 'boolean') return value ? 1 : 0
  if (definition.type === 'string' || definition.type === 'date' || definition.type === 'datetime') return String(value)
  return value
}

const GPKG_COLUMN_TYPES: Record<PropertyDefinition['type'], string> = {
  string: 'TEXT',
  integer: 'INTEGER',
  number: 'REAL',
  boolean: 'BOOLEAN',
  date: 'DATE',
  datetime: 'DATETIME',
  json: 'TEXT',
}
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`
const WGS84_WKT =
  'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'

/** The tables GeoPackage 1.3 requires (§1.1.2, §1.1.3, §2.1.5), so GDAL and QGIS open the file. */
const GEOPACKAGE_SCHEMA = [
  'PRAGMA application_id = 1196444487',
  'PRAGMA user_version = 10300',
  `CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
     organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)`,
  `CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
     description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
     min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
     CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))`,
  `CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
     srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
     CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT uk_gc_table_name UNIQUE (table_name),
     CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
     CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))`,
]

function geoPackageValue(definition: PropertyDefinition, value: unknown): string | number | null {
  if (value === null || value === undefined) return null
  if (definition.type === 'boolean') return value ? 1 : 0
  if (definition.type === 'json' || typeof value === 'object') return JSON.stringify(value)
  if (typeof value === 'number') return value
  return String(value)
}

/** A GeoPackage of one feature table in EPSG:4326, built in memory; more than `maxFeatures` → 413. */
export async function buildGeoPackage(
  layer: Layer,
  features: AsyncIterable<OutputFeature>,
  maxFeatures = MAX_GEOPACKAGE_FEATURES,
): Promise<Buffer> {
  const SQL = await sqlite()
  const database = new SQL.Database()
  try {
    for (const statement of GEOPACKAGE_SCHEMA) database.run(statement)
    const srs = database.prepare('INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)')
    srs.run(['WGS 84 geodetic', 4326, 'EPSG', 4326, WGS84_WKT, 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid'])
    srs.run(['Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'])
    srs.run(['Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'])
    srs.free()
    const table = layer.name
    const columns = layer.properties.map((p) => `${quote(p.name)} ${GPKG_COLUMN_TYPES[p.type]}`)
    database.run(
      `CREATE TABLE ${quote(table)} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom GEOMETRY${columns.map((c) => `, ${c}`).join('')})`,
    )
    database.run("INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES (?, 'features', ?, 4326)", [table, table])
    database.run('INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, 4326, 0, 0)', [
      table,
      'geom',
      (layer.geometryType ?? 'GEOMETRY').toUpperCase(),
    ])
    const insert = database.prepare(
      `INSERT INTO ${quote(table)} (fid, geom${layer.properties.map((p) => `, ${quote(p.name)}`).join('')}) VALUES (?, ?${layer.properties.map(() => ', ?').join('')})`,
    )
    let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity]
    let n = 0
    database.run('BEGIN')
    for await (const feature of features) {
      if (++n > maxFeatures)
        throw new AppError(
          'PAYLOAD_TOO_LARGE',
          `format: a GeoPackage download holds at most ${maxFeatures} features; narrow the filter or download FlatGeobuf (f=fgb), which streams any number`,
          {
            problems: [{ field: 'format', message: `more than ${maxFeatures} features for a GeoPackage` }],
          },
        )
      const [x0, y0, x1, y1] = boundsOf(feature.geometry)
      minX = Math.min(minX, x0)
      minY = Math.min(minY, y0)
      maxX = Math.max(maxX, x1)
      maxY = Math.max(maxY, y1)
      insert.run([
        typeof feature.id === 'number' ? feature.id : null,
        writeGeoPackageGeometry(feature.geometry, 4326),
        ...layer.properties.map((p) => geoPackageValue(p, feature.properties[p.name])),
      ])
      if (n % CHUNK === 0) await yieldToEventLoop()
    }
    insert.free()
    if (n > 0)
      database.run('UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?', [
        minX,
        minY,
        maxX,
        maxY,
        table,
      ])
    database.run('COMMIT')
    return Buffer.from(database.export())
  } finally {
    database.close()
  }
}

/** A GeoPackage download as a stream of its one buffer. */
export function writeGeoPackage(layer: Layer, features: AsyncIterable<OutputFeature>): Readable {
  return Readable.from(
    (async function* () {
      yield await buildGeoPackage(layer, features)
    })(),
    { objectMode: false },
  )
}
