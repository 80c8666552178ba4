/**
 * The coordinate systems surveyed files come in, recognised from what the file says: the WKT of a
 * Shapefile's .prj (with or without an AUTHORITY), a GeoPackage's gpkg_spatial_ref_sys row or a
 * FlatGeobuf header. Esri-flavoured .prj files (what ogr2ogr and ArcGIS write) carry no authority, so
 * the projection parameters decide: a transverse Mercator on the CGCS2000 (GRS80) ellipsoid with
 * central meridian 105°E and false easting 500 km is EPSG:4544, 108°E is EPSG:4545.
 */
import type { CrsName } from '../../schemas/common.ts'

/** The SRIDs an import may come in; PostGIS (server and embedded) knows each of them. */
export const FILE_SRIDS = [4326, 4490, 4544, 4545] as const
export type FileSrid = (typeof FILE_SRIDS)[number]

/** How a file's CRS is named in the API and in error messages. */
export const sridLabel = (srid: FileSrid) => `EPSG:${srid}`

/** The registry's record of the source datum: CGCS2000 for its geographic and Gauss-Krüger systems. */
export const sourceCrsOf = (srid: FileSrid): CrsName => (srid === 4326 ? 'wgs84' : 'cgcs2000')

/** The `crs` values that declare a file's CRS, as the OGC APIs and GDAL name them. */
export const DECLARED_CRS: Record<string, FileSrid> = {
  'OGC:CRS84': 4326,
  CRS84: 4326,
  'http://www.opengis.net/def/crs/OGC/1.3/CRS84': 4326,
  'EPSG:4326': 4326,
  'EPSG:4490': 4490,
  'EPSG:4544': 4544,
  'EPSG:4545': 4545,
  'http://www.opengis.net/def/crs/EPSG/0/4326': 4326,
  'http://www.opengis.net/def/crs/EPSG/0/4490': 4490,
  'http://www.opengis.net/def/crs/EPSG/0/4544': 4544,
  'http://www.opengis.net/def/crs/EPSG/0/4545': 4545,
  // The service's own names for the geographic systems.
  wgs84: 4326,
  cgcs2000: 4490,
}

/** The result of reading a CRS: a supported SRID, or the name of what the file declares. */
export type CrsReading = { srid: FileSrid } | { unknown: string }

const isFileSrid = (code: number): code is FileSrid => (FILE_SRIDS as readonly number[]).includes(code)

/** An authority code → a supported SRID or the unknown name. */
export function fromAuthority(organization: string | null | undefined, code: number | string): CrsReading {
  const org = (organization ?? 'EPSG').toUpperCase()
  const number = Number(code)
  if (org === 'EPSG' && isFileSrid(number)) return { srid: number }
  if (org === 'OGC' && String(code).toUpperCase() === 'CRS84') return { srid: 4326 }
  return { unknown: `${org}:${String(code)}` }
}

/** One WKT node: KEYWORD[arg, …] where an arg is a quoted string, a number or a node. */
interface WktNode {
  keyword: string
  args: (string | number | WktNode)[]
}

const MAX_WKT_LENGTH = 64 * 1024
const MAX_WKT_DEPTH = 32

/** Parses WKT (version 1, Esri's or version 2); undefined when it is not WKT. */
export function parseWkt(text: string): WktNode | undefined {
  if (text.length > MAX_WKT_LENGTH) return undefined
  let i = 0
  const space = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++
  }
  const node = (depth: number): WktNode => {
    if (depth > MAX_WKT_DEPTH) throw new Error('too deep')
    space()
    const start = i
    while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++
    const keyword = text.slice(start, i).toUpperCase()
    if (!keyword) throw new Error('keyword expected')
    space()
    const open = text[i]
    if (open !== '[' && open !== '(') {
      // Bare words are enum values inside a node (north, Cartesian); a CRS itself always has brackets.
      if (depth === 0) throw new Error('brackets expected')
      return { keyword, args: [] }
    }
    const close = open === '[' ? ']' : ')'
    i++
    const args: WktNode['args'] = []
    for (;;) {
      space()
      const c = text[i]
      if (c === undefined) throw new Error('unclosed')
      if (c === '"') {
        let value = ''
        i++
        for (;;) {
          const d = text[i]
          if (d === undefined) throw new Error('unclosed string')
          i++
          if (d === '"') {
            if (text[i] === '"') {
              value += '"'
              i++
              continue
            }
            break
          }
          value += d
        }
        args.push(value)
      } else if (/[-+.0-9]/.test(c)) {
        const start = i
        while (i < text.length && /[-+.0-9eE]/.test(text[i]!)) i++
        args.push(Number(text.slice(start, i)))
      } else args.push(node(depth + 1))
      space()
      if (text[i] === ',') {
        i++
        continue
      }
      if (text[i] === close || text[i] === ']' || text[i] === ')') {
        i++
        break
      }
      throw new Error('separator expected')
    }
    return { keyword, args }
  }
  try {
    const root = node(0)
    space()
    return i === text.length ? root : undefined
  } catch {
    return undefined
  }
}

const children = (node: WktNode, ...keywords: string[]) =>
  node.args.filter((a): a is WktNode => typeof a === 'object' && keywords.includes(a.keyword))
const child = (node: WktNode, ...keywords: string[]) => children(node, ...keywords)[0]
const nameOf = (node: WktNode) => (typeof node.args[0] === 'string' ? node.args[0] : node.keyword)
const normalised = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '')

/** The ellipsoid of a geographic node: CGCS2000/GRS80, WGS84, or something else. */
function datumOf(geographic: WktNode): 'cgcs2000' | 'wgs84' | undefined {
  const datum = child(geographic, 'DATUM', 'GEODETICDATUM', 'TRF')
  const ellipsoid = datum && child(datum, 'SPHEROID', 'ELLIPSOID')
  const names = [nameOf(geographic), datum ? nameOf(datum) : '', ellipsoid ? nameOf(ellipsoid) : ''].map(normalised)
  const inverseFlattening = ellipsoid && typeof ellipsoid.args[2] === 'number' ? ellipsoid.args[2] : undefined
  const semiMajor = ellipsoid && typeof ellipsoid.args[1] === 'number' ? ellipsoid.args[1] : undefined
  if (semiMajor !== undefined && Math.abs(semiMajor - 6378137) > 1e-3) return undefined
  if (names.some((n) => n.includes('cgcs2000') || n.includes('china2000') || n.includes('chinageodeticcoordinatesystem2000')))
    return inverseFlattening === undefined || Math.abs(inverseFlattening - 298.257222101) < 1e-6 ? 'cgcs2000' : undefined
  if (names.some((n) => n.includes('wgs84') || n.includes('wgs1984') || n.includes('worldgeodeticsystem1984')))
    return inverseFlattening === undefined || Math.abs(inverseFlattening - 298.257223563) < 1e-6 ? 'wgs84' : undefined
  return undefined
}

/** The parameter values of a projected node (WKT1 PARAMETER or WKT2 CONVERSION/METHOD/PARAMETER), by normalised name. */
function parametersOf(projected: WktNode): Map<string, number> {
  const conversion = child(projected, 'CONVERSION') ?? projected
  const values = new Map<string, number>()
  for (const p of children(conversion, 'PARAMETER', 'PARM')) {
    if (typeof p.args[0] === 'string' && typeof p.args[1] === 'number') values.set(normalised(p.args[0]), p.args[1])
  }
  return values
}

function projectionOf(projected: WktNode): string {
  const conversion = child(projected, 'CONVERSION')
  const method = conversion ? child(conversion, 'METHOD', 'PROJECTION') : child(projected, 'PROJECTION')
  return method ? normalised(nameOf(method)) : ''
}

const near = (a: number | undefined, b: number, tolerance = 1e-9) => a !== undefined && Math.abs(a - b) <= tolerance

/** The CRS a WKT text describes: by its own AUTHORITY/ID when it has one, else by its datum and projection. */
export function crsFromWkt(text: string): CrsReading {
  const root = parseWkt(text.trim())
  if (!root) return { unknown: `a .prj that is not WKT (${JSON.stringify(text.trim().slice(0, 60))})` }
  const label = nameOf(root)
  const authority = child(root, 'AUTHORITY', 'ID')
  if (authority && typeof authority.args[0] === 'string' && authority.args[1] !== undefined && typeof authority.args[1] !== 'object') {
    const reading = fromAuthority(authority.args[0], authority.args[1])
    return 'srid' in reading ? reading : { unknown: `${label} (${reading.unknown})` }
  }
  if (['GEOGCS', 'GEOGCRS', 'GEODCRS', 'GEOGRAPHICCRS', 'GEODETICCRS'].includes(root.keyword)) {
    const datum = datumOf(root)
    if (datum === 'cgcs2000') return { srid: 4490 }
    if (datum === 'wgs84') return { srid: 4326 }
    return { unknown: label }
  }
  if (['PROJCS', 'PROJCRS', 'PROJECTEDCRS'].includes(root.keyword)) {
    const geographic = child(root, 'GEOGCS', 'BASEGEOGCRS', 'BASEGEODCRS')
    const unit = child(root, 'UNIT', 'LENGTHUNIT')
    const metres = !unit || (typeof unit.args[1] === 'number' && near(unit.args[1], 1))
    const values = parametersOf(root)
    const projection = projectionOf(root)
    const transverseMercator = ['transversemercator', 'gausskruger', 'gausskrueger'].includes(projection)
    const centralMeridian = values.get('centralmeridian') ?? values.get('longitudeofnaturalorigin')
    const falseEasting = values.get('falseeasting') ?? 0
    const falseNorthing = values.get('falsenorthing') ?? 0
    const scale = values.get('scalefactor') ?? values.get('scalefactoratnaturalorigin') ?? 1
    const origin = values.get('latitudeoforigin') ?? values.get('latitudeofnaturalorigin') ?? 0
    if (
      geographic &&
      datumOf(geographic) === 'cgcs2000' &&
      transverseMercator &&
      metres &&
      near(falseEasting, 500000, 1e-6) &&
      near(falseNorthing, 0, 1e-6) &&
      near(scale, 1) &&
      near(origin, 0)
    ) {
      if (near(centralMeridian, 105)) return { srid: 4544 }
      if (near(centralMeridian, 108)) return { srid: 4545 }
    }
    return { unknown: label }
  }
  return { unknown: label }
}
