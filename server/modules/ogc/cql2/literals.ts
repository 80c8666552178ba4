import { CQL2_LIMITS, Cql2Error, quoteForMessage, type Cql2Geometry, type Position } from './ast.ts'

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/

function validDay(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false
  const days = new Date(Date.UTC(2000, month, 0)).getUTCDate() // days of `month` in a leap year
  if (month === 2 && day === 29) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  return day <= days
}

/** Whether the text is a calendar date the database accepts (years 0001–9999). */
export function isDate(text: string): boolean {
  const m = DATE.exec(text)
  return m !== null && validDay(Number(m[1]), Number(m[2]), Number(m[3]))
}

/** Whether the text is an RFC 3339 timestamp (as CQL2 writes them, `Z` or an offset) the database accepts. */
export function isTimestamp(text: string): boolean {
  const m = TIMESTAMP.exec(text)
  if (m === null || !validDay(Number(m[1]), Number(m[2]), Number(m[3]))) return false
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59) return false
  const offset = m[8]!
  return offset === 'Z' || (Number(offset.slice(1, 3)) <= 14 && Number(offset.slice(4, 6)) <= 59)
}

export function checkDate(text: string, position?: number): string {
  if (!isDate(text)) throw new Cql2Error(`${quoteForMessage(text)} is not a date (YYYY-MM-DD)`, position)
  return text
}

export function checkTimestamp(text: string, position?: number): string {
  if (!isTimestamp(text)) throw new Cql2Error(`${quoteForMessage(text)} is not a timestamp (YYYY-MM-DDTHH:MM:SSZ)`, position)
  return text
}

/**
 * What the database cannot hold in text (NUL) or would silently change (a lone UTF-16 surrogate): refused
 * here, so a string reaches the database only as a parameter it stores unchanged.
 */
export function checkString(text: string, position?: number): string {
  // eslint-disable-next-line no-control-regex
  if (/\u0000/.test(text)) throw new Cql2Error('a string may not contain the NUL character', position)
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)) {
    throw new Cql2Error('a string contains an unpaired UTF-16 surrogate', position)
  }
  return text
}

export function checkNumber(value: number, position?: number): number {
  if (!Number.isFinite(value)) throw new Cql2Error('a number is out of range', position)
  return value
}

/**
 * Shape rules for a geometry literal that the database would otherwise refuse with an error: positions of
 * finite numbers, at least 2 positions in a line, closed rings of at least 4, no empty parts. Ranges and
 * polygon validity depend on the filter CRS and are checked when the filter is compiled.
 */
export function checkGeometryShape(geometry: Cql2Geometry, position?: number): Cql2Geometry {
  let count = 0
  const positions = (list: Position[], min: number, what: string) => {
    if (list.length < min) throw new Cql2Error(`a ${what} needs at least ${min} positions`, position)
    count += list.length
    if (count > CQL2_LIMITS.maxPositions) throw new Cql2Error(`a geometry may have at most ${CQL2_LIMITS.maxPositions} positions`, position)
    for (const p of list) {
      checkNumber(p[0], position)
      checkNumber(p[1], position)
    }
  }
  const ring = (r: Position[]) => {
    positions(r, 4, 'polygon ring')
    const a = r[0]!
    const b = r[r.length - 1]!
    if (a[0] !== b[0] || a[1] !== b[1]) throw new Cql2Error('a polygon ring must end where it starts', position)
  }
  const polygon = (rings: Position[][]) => {
    if (rings.length === 0) throw new Cql2Error('a polygon needs a ring', position)
    rings.forEach(ring)
  }
  const walk = (g: Cql2Geometry): void => {
    switch (g.type) {
      case 'Point':
        return positions([g.coordinates], 1, 'point')
      case 'LineString':
        return positions(g.coordinates, 2, 'line')
      case 'Polygon':
        return polygon(g.coordinates)
      case 'MultiPoint':
        return positions(g.coordinates, 1, 'multipoint')
      case 'MultiLineString':
        if (g.coordinates.length === 0) throw new Cql2Error('a multilinestring needs a line', position)
        return g.coordinates.forEach((l) => positions(l, 2, 'line'))
      case 'MultiPolygon':
        if (g.coordinates.length === 0) throw new Cql2Error('a multipolygon needs a polygon', position)
        return g.coordinates.forEach(polygon)
      case 'GeometryCollection':
        if (g.geometries.length === 0) throw new Cql2Error('a geometry collection needs a member', position)
        return g.geometries.forEach(walk)
    }
  }
  walk(geometry)
  return geometry
}
