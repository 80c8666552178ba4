/**
 * The coordinate reference systems the OGC API serves (OGC API – Features Part 2). Storage is WGS84
 * (SRID 4326); every other CRS is reached with ST_Transform in the database.
 *
 * Axis order follows each CRS's definition, as Part 2 asks: CRS84 is longitude, latitude; EPSG:4326 and
 * EPSG:4490 (CGCS2000) are latitude, longitude; the CGCS2000 3° Gauss-Krüger zones EPSG:4544 (central
 * meridian 105°E) and EPSG:4545 (108°E) are northing (X), easting (Y). PostGIS writes easting/longitude
 * first, so those four are flipped on the way out and on the way in.
 */

export interface OgcCrs {
  uri: string
  srid: number
  /** True when the CRS's first axis is north (latitude or northing): coordinates are swapped against PostGIS. */
  northFirst: boolean
  /** Decimals written: 9 for degrees (0.1 mm), 4 for metres. */
  decimals: number
  title: string
}

export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'
export const CRS84H = 'http://www.opengis.net/def/crs/OGC/0/CRS84h'

const epsg = (code: number) => `http://www.opengis.net/def/crs/EPSG/0/${code}`

export const SUPPORTED_CRS: readonly OgcCrs[] = [
  { uri: CRS84, srid: 4326, northFirst: false, decimals: 9, title: 'WGS 84 longitude, latitude' },
  { uri: epsg(4326), srid: 4326, northFirst: true, decimals: 9, title: 'WGS 84 latitude, longitude' },
  { uri: epsg(4490), srid: 4490, northFirst: true, decimals: 9, title: 'CGCS2000 latitude, longitude' },
  { uri: epsg(4544), srid: 4544, northFirst: true, decimals: 4, title: 'CGCS2000 / 3-degree Gauss-Kruger CM 105E (northing, easting)' },
  { uri: epsg(4545), srid: 4545, northFirst: true, decimals: 4, title: 'CGCS2000 / 3-degree Gauss-Kruger CM 108E (northing, easting)' },
]

export const DEFAULT_CRS = SUPPORTED_CRS[0]!

/**
 * The CRS a request names, or undefined when it is not served. Accepts the OGC URI (also in angle brackets,
 * as the Content-Crs header writes it), its https form, a safe CURIE ([EPSG:4326]), and the short
 * EPSG:4326 / OGC:CRS84 forms clients also send.
 */
export function crsOf(value: string): OgcCrs | undefined {
  const text = value.trim().replace(/^\[(.*)\]$|^<(.*)>$/, '$1$2')
  const normalised = text.replace(/^https:/, 'http:')
  const direct = SUPPORTED_CRS.find((c) => c.uri === normalised)
  if (direct) return direct
  if (/^(OGC:)?CRS84$/i.test(text)) return DEFAULT_CRS
  const code = /^EPSG:(?:0:)?([0-9]{4,5})$/i.exec(text)?.[1]
  return code ? SUPPORTED_CRS.find((c) => c.uri === epsg(Number(code))) : undefined
}

/** The four bbox numbers as west, south, east, north in the CRS's PostGIS order (x first). */
export function bboxToXy(values: readonly number[], crs: OgcCrs): [number, number, number, number] {
  const [a, b, c, d] = values as [number, number, number, number]
  return crs.northFirst ? [b, a, d, c] : [a, b, c, d]
}
