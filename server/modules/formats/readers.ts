/**
 * Surveyed files → features in their own CRS: a zipped Shapefile (attributes in the encoding its .cpg
 * or .dbf names), a GeoPackage or a FlatGeobuf. Every reader yields to the event loop between small
 * chunks of features, so a large upload does not hold other requests.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import initSqlJs, { type SqlJsStatic } from 'sql.js'
import * as shapefile from 'shapefile'
import { deserialize as deserializeFlatGeobuf } from 'flatgeobuf/lib/mjs/geojson.js'
import type { HeaderMeta } from 'flatgeobuf/lib/mjs/header-meta.js'
import { AppError } from '../../errors.ts'
import { unzipBounded } from './archive.ts'
import { crsFromWkt, fromAuthority, type CrsReading } from './crs.ts'
import { readGeoPackageGeometry, WkbError, type Geometry } from './wkb.ts'

export type FileFormat = 'shapefile' | 'geopackage' | 'flatgeobuf'
export const FORMAT_NAMES: Record<FileFormat, string> = { shapefile: 'Shapefile', geopackage: 'GeoPackage', flatgeobuf: 'FlatGeobuf' }

/** One record of a file: its 1-based row, attributes as stored, and geometry in the file's CRS (or why it has none). */
export interface FileFeature {
  row: number
  properties: Record<string, unknown>
  geometry: Geometry | null
  problem?: string
}

/** What a file holds: its attribute columns, the CRS it declares (undefined: none) and its features. */
export interface FileDataset {
  format: FileFormat
  /** Where the CRS was read from, for messages ("the .prj", "the GeoPackage"). */
  crsSource: string
  crs: CrsReading | undefined
  columns: string[]
  features: AsyncIterable<FileFeature>
  /** Frees what reading holds (the GeoPackage's in-memory database); safe to call more than once. */
  close: () => void
}

/** Features handled between yields to the event loop. */
export const CHUNK = 500

const bad = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', `${field}: ${message}`, { problems: [{ field, message }] })

const ZIP = [0x50, 0x4b, 0x03, 0x04]
const SQLITE = [...Buffer.from('SQLite format 3\0')]
const FGB = [0x66, 0x67, 0x62, 0x03]
const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b)

/** What a body is by its first bytes: a zip, a GeoPackage (SQLite), a FlatGeobuf, or unknown. */
export function sniff(bytes: Uint8Array): 'zip' | 'geopackage' | 'flatgeobuf' | undefined {
  if (startsWith(bytes, ZIP)) return 'zip'
  if (startsWith(bytes, SQLITE)) return 'geopackage'
  if (startsWith(bytes, FGB)) return 'flatgeobuf'
  return undefined
}

/** Reads an upload: a zip (holding one Shapefile, GeoPackage or FlatGeobuf), a GeoPackage or a FlatGeobuf. */
export async function readDataset(bytes: Uint8Array, maxUnpackedBytes: number): Promise<FileDataset> {
  const kind = sniff(bytes)
  if (kind === 'geopackage') return readGeoPackage(bytes)
  if (kind === 'flatgeobuf') return readFlatGeobuf(bytes)
  if (kind !== 'zip')
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'body: is not a zip archive, a GeoPackage or a FlatGeobuf file', {
      problems: [{ field: 'body', message: 'is not a zip, GeoPackage or FlatGeobuf file' }],
    })
  const files = await unzipBounded(bytes, maxUnpackedBytes, (name) => !isNoise(name) && /\.(shp|shx|dbf|prj|cpg|gpkg|fgb)$/i.test(name))
  const names = [...files.keys()]
  const shp = names.filter((n) => /\.shp$/i.test(n))
  if (shp.length > 1) throw bad('archive', `holds ${shp.length} Shapefiles (${shp.join(', ')}); send one per upload`)
  if (shp.length === 1) return readShapefile(files, shp[0]!)
  const others = names.filter((n) => /\.(gpkg|fgb)$/i.test(n))
  if (others.length === 1) {
    const inner = files.get(others[0]!)!
    if (sniff(inner) === 'geopackage') return readGeoPackage(inner)
    if (sniff(inner) === 'flatgeobuf') return readFlatGeobuf(inner)
    throw bad('archive', `${others[0]} is not a GeoPackage or FlatGeobuf file`)
  }
  throw bad('archive', 'holds no .shp file (a zipped Shapefile needs its .shp, .dbf and .prj, optionally .shx and .cpg)')
}

// Folders macOS and Windows add when zipping.
const isNoise = (name: string) => name.startsWith('__MACOSX/') || /(^|\/)\.[^/]*$/.test(name)

/** A .cpg's text → a TextDecoder label. */
function encodingFromCpg(text: string): string {
  const value = text.trim().toLowerCase()
  if (/^(cp|ansi[ _]?)?936$/.test(value)) return 'gbk'
  if (/^(cp|ansi[ _]?)?65001$/.test(value) || value === 'utf8') return 'utf-8'
  const codePage = /^(?:cp|ansi[ _]?)?(\d{3,4})$/.exec(value)
  if (codePage) return `windows-${codePage[1]}`
  return value
}

/** The .dbf's encoding: the .cpg's, else its language driver byte, else UTF-8 when the bytes are valid UTF-8, else GBK. */
function dbfEncoding(dbf: Uint8Array, cpg: Uint8Array | undefined, cpgName: string): string {
  if (cpg) {
    const label = encodingFromCpg(new TextDecoder('latin1').decode(cpg))
    try {
      new TextDecoder(label)
    } catch {
      throw bad('archive', `${cpgName} names the encoding ${JSON.stringify(label)}, which is not known`)
    }
    return label
  }
  const driver = dbf[29]
  if (driver === 0x4d || driver === 0x7a) return 'gbk'
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(dbf)
    return 'utf-8'
  } catch {
    // Without a .cpg, text that is not UTF-8 is taken as what Chinese desktop GIS writes.
    return 'gbk'
  }
}

/** Fields of a .dbf, from its header (names end at the first NUL). */
function dbfColumns(dbf: Uint8Array, decoder: TextDecoder): string[] {
  const columns: string[] = []
  for (let offset = 32; offset + 32 <= dbf.byteLength && dbf[offset] !== 0x0d; offset += 32) {
    const raw = dbf.subarray(offset, offset + 11)
    const end = raw.indexOf(0)
    columns.push(decoder.decode(end >= 0 ? raw.subarray(0, end) : raw).trim())
  }
  return columns
}

async function readShapefile(files: Map<string, Uint8Array>, shpName: string): Promise<FileDataset> {
  const base = shpName.slice(0, -4)
  const sibling = (extension: string) => {
    for (const [name, bytes] of files) if (name.slice(0, -4) === base && name.slice(-4).toLowerCase() === extension) return { name, bytes }
    return undefined
  }
  const dbf = sibling('.dbf')
  if (!dbf) throw bad('archive', `${base}.dbf is missing (the Shapefile's attributes)`)
  const prj = sibling('.prj')
  const cpg = sibling('.cpg')
  const encoding = dbfEncoding(dbf.bytes, cpg?.bytes, cpg?.name ?? '')
  const crs = prj ? crsFromWkt(new TextDecoder('utf-8').decode(prj.bytes)) : undefined
  const columns = dbfColumns(dbf.bytes, new TextDecoder(encoding))
  let source: Awaited<ReturnType<typeof shapefile.open>>
  try {
    // Copies: the library reads the whole underlying buffer, and small Buffers share a pool.
    source = await shapefile.open(new Uint8Array(files.get(shpName)!), new Uint8Array(dbf.bytes), { encoding })
  } catch (error) {
    throw bad('archive', `${shpName} is not a readable Shapefile (${(error as Error).message})`)
  }
  async function* features(): AsyncGenerator<FileFeature> {
    for (let row = 1; ; row++) {
      let next: { done: boolean; value: GeoJSON.Feature }
      try {
        next = await source.read()
      } catch (error) {
        throw bad('archive', `${shpName} is not readable at record ${row} (${(error as Error).message})`)
      }
      if (next.done) return
      yield { row, properties: next.value.properties ?? {}, geometry: (next.value.geometry as Geometry | null) ?? null }
      if (row % CHUNK === 0) await yieldToEventLoop()
    }
  }
  return {
    format: 'shapefile',
    crsSource: prj ? `the Shapefile's ${prj.name}` : 'the Shapefile',
    crs,
    columns,
    features: features(),
    close: () => {},
  }
}

let sqlJs: Promise<SqlJsStatic> | undefined
/** The SQLite engine (WebAssembly), loaded once. */
export const sqlite = () => (sqlJs ??= initSqlJs())

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`

async function readGeoPackage(bytes: Uint8Array): Promise<FileDataset> {
  const SQL = await sqlite()
  let database: InstanceType<SqlJsStatic['Database']>
  let table: string, geometryColumn: string, srsId: number
  let organization: unknown, code: unknown, definition: unknown
  let columns: string[]
  try {
    database = new SQL.Database(bytes)
  } catch (error) {
    throw bad('body', `is not a readable GeoPackage (${(error as Error).message})`)
  }
  let closed = false
  const close = () => {
    if (!closed) database.close()
    closed = true
  }
  try {
    // Only plain tables are read: a view (or a generated column) could make a query of ours run without end.
    const objects = new Map(
      (
        database.exec(
          "SELECT name, type FROM sqlite_master WHERE name IN ('gpkg_contents', 'gpkg_geometry_columns', 'gpkg_spatial_ref_sys')",
        )[0]?.values ?? []
      ).map((r) => [String(r[0]), String(r[1])]),
    )
    for (const name of ['gpkg_contents', 'gpkg_geometry_columns', 'gpkg_spatial_ref_sys'])
      if (objects.get(name) !== 'table') throw bad('body', `is not a GeoPackage (no ${name} table)`)
    const layers = database.exec(
      "SELECT g.table_name, g.column_name, g.srs_id FROM gpkg_geometry_columns g JOIN gpkg_contents c ON c.table_name = g.table_name WHERE c.data_type = 'features'",
    )[0]?.values
    if (!layers?.length) throw bad('body', 'the GeoPackage has no feature table')
    if (layers.length > 1)
      throw bad('body', `the GeoPackage has ${layers.length} feature tables (${layers.map((l) => l[0]).join(', ')}); send one`)
    ;[table, geometryColumn, srsId] = layers[0] as [string, string, number]
    const srs = database.exec('SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?', [
      srsId,
    ])[0]?.values[0]
    ;[organization, code, definition] = srs ?? []
    const kind = database.exec('SELECT type FROM sqlite_master WHERE name = ?', [table])[0]?.values[0]?.[0]
    if (kind !== 'table') throw bad('body', `the GeoPackage's feature table ${table} is a ${String(kind ?? 'missing object')}, not a table`)
    const info = database.exec(`PRAGMA table_xinfo(${quoteIdentifier(table)})`)[0]?.values ?? []
    // table_xinfo rows: cid, name, type, notnull, default, pk, hidden (2, 3: generated)
    const generated = info.filter((c) => c[6] !== 0).map((c) => String(c[1]))
    if (generated.length > 0) throw bad('body', `the GeoPackage's table ${table} has generated columns (${generated.join(', ')})`)
    columns = info.filter((c) => c[1] !== geometryColumn && !c[5]).map((c) => String(c[1]))
  } catch (error) {
    close()
    if (error instanceof AppError) throw error
    throw bad('body', `is not a readable GeoPackage (${(error as Error).message})`)
  }
  let crs: CrsReading | undefined
  if (srsId === 0 || srsId === -1) crs = undefined
  else if (typeof organization === 'string' && organization.toUpperCase() === 'EPSG' && typeof code === 'number') {
    crs = fromAuthority('EPSG', code)
    if ('unknown' in crs && typeof definition === 'string') {
      const fromWkt = crsFromWkt(definition)
      crs = 'srid' in fromWkt ? fromWkt : crs
    }
  } else if (typeof definition === 'string' && definition !== 'undefined') crs = crsFromWkt(definition)
  else crs = { unknown: `${String(organization)}:${String(code)}` }
  async function* features(): AsyncGenerator<FileFeature> {
    const statement = database.prepare(
      `SELECT ${[geometryColumn, ...columns].map(quoteIdentifier).join(', ')} FROM ${quoteIdentifier(table)} ORDER BY rowid`,
    )
    try {
      for (let row = 1; statement.step(); row++) {
        const [blob, ...values] = statement.get()
        const properties: Record<string, unknown> = {}
        columns.forEach((c, i) => (properties[c] = values[i]))
        let geometry: Geometry | null = null
        let problem: string | undefined
        if (blob instanceof Uint8Array) {
          try {
            geometry = readGeoPackageGeometry(blob).geometry
          } catch (error) {
            if (!(error instanceof WkbError)) throw error
            problem = error.message
          }
        }
        yield { row, properties, geometry, ...(problem ? { problem } : {}) }
        if (row % CHUNK === 0) await yieldToEventLoop()
      }
    } finally {
      statement.free()
      close()
    }
  }
  return { format: 'geopackage', crsSource: 'the GeoPackage', crs, columns, features: features(), close }
}

async function readFlatGeobuf(bytes: Uint8Array): Promise<FileDataset> {
  let header: HeaderMeta | undefined
  const iterator = deserializeFlatGeobuf(bytes, { headerMetaFn: (meta: HeaderMeta) => (header = meta) })[Symbol.asyncIterator]()
  let first: IteratorResult<GeoJSON.Feature>
  try {
    first = (await iterator.next()) as IteratorResult<GeoJSON.Feature>
  } catch (error) {
    throw bad('body', `is not a readable FlatGeobuf (${(error as Error).message})`)
  }
  const meta = header
  let crs: CrsReading | undefined
  if (meta?.crs && meta.crs.code > 0) crs = fromAuthority(meta.crs.org, meta.crs.code)
  else if (meta?.crs?.wkt) crs = crsFromWkt(meta.crs.wkt)
  else if (meta?.crs?.code_string) crs = { unknown: meta.crs.code_string }
  async function* features(): AsyncGenerator<FileFeature> {
    let current = first
    for (let row = 1; !current.done; row++) {
      const feature = current.value
      yield {
        row,
        properties: (feature.properties as Record<string, unknown> | null) ?? {},
        geometry: (feature.geometry as Geometry | null) ?? null,
      }
      if (row % CHUNK === 0) await yieldToEventLoop()
      try {
        current = (await iterator.next()) as IteratorResult<GeoJSON.Feature>
      } catch (error) {
        throw bad('body', `the FlatGeobuf is not readable at feature ${row + 1} (${(error as Error).message})`)
      }
    }
  }
  return {
    format: 'flatgeobuf',
    crsSource: 'the FlatGeobuf header',
    crs,
    columns: meta?.columns?.map((c) => c.name) ?? [],
    features: features(),
    close: () => {},
  }
}
