/**
 * Well-known binary and the GeoPackage geometry blob around it (GeoPackage 1.3 §2.1.3): read with every
 * count checked against the bytes left (a hostile blob cannot make us allocate), written little-endian
 * in 2D with an xy envelope.
 */

/** The GeoJSON geometries the registers hold (and that surveyed files bring). */
export type Geometry =
  | { type: 'Point'; coordinates: number[] }
  | { type: 'LineString' | 'MultiPoint'; coordinates: number[][] }
  | { type: 'Polygon' | 'MultiLineString'; coordinates: number[][][] }
  | { type: 'MultiPolygon'; coordinates: number[][][][] }

const TYPES = ['', 'Point', 'LineString', 'Polygon', 'MultiPoint', 'MultiLineString', 'MultiPolygon'] as const
const CODES: Record<Geometry['type'], number> = { Point: 1, LineString: 2, Polygon: 3, MultiPoint: 4, MultiLineString: 5, MultiPolygon: 6 }

/** A geometry blob that cannot be read; the message says why. */
export class WkbError extends Error {}

/** Reads one WKB geometry (ISO or extended, 2D/Z/M/ZM; Z and M are dropped). */
export function readWkb(bytes: Uint8Array, start = 0): Geometry | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = start
  const need = (n: number) => {
    if (offset + n > bytes.byteLength) throw new WkbError('the geometry blob ends early')
  }
  const geometry = (depth: number): { type: Geometry['type']; coordinates: unknown } | null => {
    if (depth > 2) throw new WkbError('the geometry nests too deeply')
    need(5)
    const little = view.getUint8(offset) === 1
    offset += 1
    let code = view.getUint32(offset, little)
    offset += 4
    let dimensions = 2
    if (code & 0x20000000) {
      need(4)
      offset += 4 // an EWKB SRID: the file's CRS decides
    }
    if (code & 0x80000000) dimensions += 1
    if (code & 0x40000000) dimensions += 1
    code &= 0x0fffffff
    const iso = Math.floor(code / 1000)
    if (iso === 1 || iso === 2) dimensions += 1
    else if (iso === 3) dimensions += 2
    else if (iso !== 0) throw new WkbError(`geometry type code ${code} is not supported`)
    const type = TYPES[code % 1000]
    if (!type) throw new WkbError(`geometry type code ${code} is not supported (only points, lines and polygons)`)
    const uint = () => {
      need(4)
      const value = view.getUint32(offset, little)
      offset += 4
      return value
    }
    const position = () => {
      need(8 * dimensions)
      const x = view.getFloat64(offset, little)
      const y = view.getFloat64(offset + 8, little)
      offset += 8 * dimensions
      return [x, y]
    }
    const positions = () => {
      const n = uint()
      need(n * 8 * dimensions)
      return Array.from({ length: n }, position)
    }
    const rings = () => {
      const n = uint()
      need(n * 4)
      return Array.from({ length: n }, positions)
    }
    const parts = (expected: Geometry['type']) => {
      const n = uint()
      need(n * 5)
      return Array.from({ length: n }, () => {
        const part = geometry(depth + 1)
        if (!part || part.type !== expected) throw new WkbError(`a ${type} holds a ${part?.type ?? 'empty part'}`)
        return part.coordinates
      })
    }
    switch (type) {
      case 'Point': {
        const p = position()
        return Number.isNaN(p[0]) && Number.isNaN(p[1]) ? null : { type, coordinates: p }
      }
      case 'LineString':
        return { type, coordinates: positions() }
      case 'Polygon':
        return { type, coordinates: rings() }
      case 'MultiPoint':
        return { type, coordinates: parts('Point') }
      case 'MultiLineString':
        return { type, coordinates: parts('LineString') }
      case 'MultiPolygon':
        return { type, coordinates: parts('Polygon') }
    }
  }
  return geometry(0) as Geometry | null
}

/** Reads a GeoPackage geometry blob: its srs_id and geometry (null when empty). */
export function readGeoPackageGeometry(blob: Uint8Array): { srsId: number; geometry: Geometry | null } {
  if (blob.byteLength < 8 || blob[0] !== 0x47 || blob[1] !== 0x50) throw new WkbError('is not a GeoPackage geometry (no GP header)')
  const flags = blob[3]!
  if (flags & 0x20) throw new WkbError('uses an extended GeoPackage geometry type')
  const little = (flags & 1) === 1
  const envelope = (flags >> 1) & 7
  const envelopeBytes = [0, 32, 48, 48, 64][envelope]
  if (envelopeBytes === undefined) throw new WkbError(`has an invalid envelope indicator ${envelope}`)
  const srsId = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getInt32(4, little)
  if (flags & 0x10) return { srsId, geometry: null }
  return { srsId, geometry: readWkb(blob, 8 + envelopeBytes) }
}

/** Every position of a geometry. */
export function positionsOf(geometry: Geometry): number[][] {
  switch (geometry.type) {
    case 'Point':
      return [geometry.coordinates]
    case 'LineString':
    case 'MultiPoint':
      return geometry.coordinates
    case 'Polygon':
    case 'MultiLineString':
      return geometry.coordinates.flat()
    case 'MultiPolygon':
      return geometry.coordinates.flat(2)
  }
}

const lineSize = (positions: number[][]) => 4 + positions.length * 16
const polygonSize = (rings: number[][][]) => 4 + rings.reduce((sum, ring) => sum + lineSize(ring), 0)

/** The bytes of a geometry's 2D WKB. */
function wkbSize(geometry: Geometry): number {
  switch (geometry.type) {
    case 'Point':
      return 21
    case 'LineString':
      return 5 + lineSize(geometry.coordinates)
    case 'Polygon':
      return 5 + polygonSize(geometry.coordinates)
    case 'MultiPoint':
      return 9 + geometry.coordinates.length * 21
    case 'MultiLineString':
      return 9 + geometry.coordinates.reduce((sum, l) => sum + 5 + lineSize(l), 0)
    case 'MultiPolygon':
      return 9 + geometry.coordinates.reduce((sum, p) => sum + 5 + polygonSize(p), 0)
  }
}

/** Writes a geometry as little-endian 2D WKB. */
export function writeWkb(geometry: Geometry): Uint8Array {
  const buffer = new ArrayBuffer(wkbSize(geometry))
  const view = new DataView(buffer)
  let offset = 0
  const uint = (value: number) => {
    view.setUint32(offset, value, true)
    offset += 4
  }
  const header = (type: Geometry['type']) => {
    view.setUint8(offset, 1)
    offset += 1
    uint(CODES[type])
  }
  const position = (p: number[]) => {
    view.setFloat64(offset, p[0]!, true)
    view.setFloat64(offset + 8, p[1]!, true)
    offset += 16
  }
  const line = (positions: number[][]) => {
    uint(positions.length)
    positions.forEach(position)
  }
  const polygon = (rings: number[][][]) => {
    uint(rings.length)
    rings.forEach(line)
  }
  header(geometry.type)
  switch (geometry.type) {
    case 'Point':
      position(geometry.coordinates)
      break
    case 'LineString':
      line(geometry.coordinates)
      break
    case 'Polygon':
      polygon(geometry.coordinates)
      break
    case 'MultiPoint':
      uint(geometry.coordinates.length)
      for (const p of geometry.coordinates) {
        header('Point')
        position(p)
      }
      break
    case 'MultiLineString':
      uint(geometry.coordinates.length)
      for (const l of geometry.coordinates) {
        header('LineString')
        line(l)
      }
      break
    case 'MultiPolygon':
      uint(geometry.coordinates.length)
      for (const p of geometry.coordinates) {
        header('Polygon')
        polygon(p)
      }
      break
  }
  return new Uint8Array(buffer, 0, offset)
}

/** The xy bounds of a geometry: [minX, minY, maxX, maxY]. */
export function boundsOf(geometry: Geometry): [number, number, number, number] {
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity
  for (const [x, y] of positionsOf(geometry)) {
    if (x! < minX) minX = x!
    if (x! > maxX) maxX = x!
    if (y! < minY) minY = y!
    if (y! > maxY) maxY = y!
  }
  return [minX, minY, maxX, maxY]
}

/** A GeoPackage geometry blob (little-endian header with an xy envelope, then WKB). */
export function writeGeoPackageGeometry(geometry: Geometry, srsId: number): Uint8Array {
  const wkb = writeWkb(geometry)
  const blob = new Uint8Array(8 + 32 + wkb.byteLength)
  const view = new DataView(blob.buffer)
  blob[0] = 0x47
  blob[1] = 0x50
  blob[2] = 0 // version 1
  blob[3] = 0b0000_0011 // little-endian, xy envelope
  view.setInt32(4, srsId, true)
  const [minX, minY, maxX, maxY] = boundsOf(geometry)
  view.setFloat64(8, minX, true)
  view.setFloat64(16, maxX, true)
  view.setFloat64(24, minY, true)
  view.setFloat64(32, maxY, true)
  blob.set(wkb, 40)
  return blob
}
