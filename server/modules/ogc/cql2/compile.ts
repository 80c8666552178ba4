/**
 * A CQL2 tree → one parameterised SQL condition over whitelisted properties (Kysely `sql`). Every literal is a
 * bound parameter; the only SQL text is this file's and the queryables' column expressions. Every check that
 * the database would otherwise answer with an error (unknown names, type mismatches, division by zero, LIKE
 * escapes, invalid polygons, coordinates outside the CRS) is made here, so a compiled filter always runs.
 */
import { sql, type RawBuilder } from 'kysely'
import { validateCampus } from '../../../geo/validate.ts'
import {
  COMPARISON_OPERATORS,
  Cql2Error,
  quoteForMessage,
  SPATIAL_OPERATORS,
  type Cql2Expression,
  type Cql2Geometry,
  type Cql2IntervalBound,
  type Cql2Operand,
  type Position,
} from './ast.ts'
import { isDate } from './literals.ts'

export type QueryableType = 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'timestamp' | 'geometry'

export interface Queryable {
  type: QueryableType
  /** The column expression; for geometry a geometry(4326) expression, for date a date, for timestamp a timestamptz. */
  sql: RawBuilder<unknown>
}

export type Queryables = Readonly<Record<string, Queryable>> | ReadonlyMap<string, Queryable>

export interface CompileOptions {
  /** The filter-crs URI (CRS84 when absent). */
  filterCrs?: string
  /**
   * GDAL ≤ 3.6's `cql-text` writes dates and timestamps as strings ('2024-09-01T', '2024-09-01T08:00:00Z'):
   * allow such a string where a date or timestamp property is compared.
   */
  temporalStrings?: boolean
}

// ------------------------------------------------------------------------------------------------------------
// Filter CRS

interface FilterCrs {
  srid: 4326 | 4490 | 4544 | 4545
  /** Positions are written in the CRS's own axis order: latitude first (4326, 4490) or northing first (4544/5). */
  swapAxes: boolean
  projected: boolean
}

export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'
const EPSG = (code: number) => `http://www.opengis.net/def/crs/EPSG/0/${code}`

/** The filter-crs values accepted, as OGC URIs (also accepted as `EPSG:4544`, `[EPSG:4544]`, `OGC:CRS84`). */
export const FILTER_CRS_URIS = [CRS84, EPSG(4326), EPSG(4490), EPSG(4544), EPSG(4545)] as const

/** The one filter CRS named by a URI or CURIE, or a Cql2Error naming filter-crs. */
export function resolveFilterCrs(value: string | undefined): FilterCrs {
  const text = (value ?? CRS84)
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/^https:/, 'http:')
  if (text === CRS84 || /^(OGC:)?CRS84$/i.test(text)) return { srid: 4326, swapAxes: false, projected: false }
  const m = /^(?:http:\/\/www\.opengis\.net\/def\/crs\/EPSG\/0\/|EPSG:)(\d+)$/i.exec(text)
  const code = m ? Number(m[1]) : NaN
  if (code === 4326 || code === 4490) return { srid: code, swapAxes: true, projected: false }
  if (code === 4544 || code === 4545) return { srid: code, swapAxes: true, projected: true }
  throw new Cql2Error(`${quoteForMessage(value ?? '')} is not supported; use one of ${FILTER_CRS_URIS.join(', ')}`, undefined, 'filter-crs')
}

// Where a CGCS2000 3° Gauss–Krüger position is taken: within about ±4.5° of the central meridian (false easting
// 500 km) from the equator to 84°N, far wider than the zones' own areas and inside what PROJ inverts cleanly.
const GK_EASTING = [100_000, 900_000] as const
const GK_NORTHING = [0, 9_300_000] as const

/** The diagonal of a geometry's bounding box, in its own units. */
function extentOf(geometry: Cql2Geometry): number {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity]
  const walk = (value: unknown): void => {
    const list = value as unknown[]
    if (typeof list[0] === 'number') {
      const [x, y] = list as Position
      x0 = Math.min(x0, x)
      y0 = Math.min(y0, y)
      x1 = Math.max(x1, x)
      y1 = Math.max(y1, y)
    } else list.forEach(walk)
  }
  const visit = (g: Cql2Geometry): void => (g.type === 'GeometryCollection' ? g.geometries.forEach(visit) : walk(g.coordinates))
  visit(geometry)
  return Math.hypot(x1 - x0, y1 - y0)
}

// ------------------------------------------------------------------------------------------------------------
// Typed pieces

type ValueType = 'string' | 'number' | 'boolean' | 'date' | 'timestamp' | 'geometry' | 'interval'
interface Typed {
  type: ValueType
  sql: RawBuilder<unknown>
}
interface Bounds {
  start: RawBuilder<unknown> | 'open'
  end: RawBuilder<unknown> | 'open'
  type: 'date' | 'timestamp'
}

const NAMES: Record<ValueType, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  date: 'a date',
  timestamp: 'a timestamp',
  geometry: 'a geometry',
  interval: 'an interval',
}

const containsArithmetic = (o: Cql2Operand): boolean => o.kind === 'arithmetic' || (o.kind === 'casei' && containsArithmetic(o.arg))

const LEGACY_INSTANT = /^(\d{4}-\d{2}-\d{2})(?:T(?:(\d{2})(?::(\d{2})(?::(\d{2}(?:\.\d+)?))?)?Z?)?)?$/

/**
 * Arithmetic operations per filter: numeric holds 131,072 digits, so 100 products of the largest literals
 * (1e308) stay far inside it, while a 10,000-character chain of them would overflow with a database error.
 */
const MAX_ARITHMETIC = 100

class Compiler {
  private readonly crs: FilterCrs
  private arithmetic = 0
  constructor(
    private readonly queryables: Queryables,
    private readonly options: CompileOptions,
  ) {
    this.crs = resolveFilterCrs(options.filterCrs)
  }

  private queryable(name: string): Queryable {
    const q =
      this.queryables instanceof Map
        ? this.queryables.get(name)
        : Object.prototype.hasOwnProperty.call(this.queryables, name)
          ? (this.queryables as Record<string, Queryable>)[name]
          : undefined
    if (!q) {
      const known = this.queryables instanceof Map ? [...this.queryables.keys()] : Object.keys(this.queryables)
      throw new Cql2Error(`unknown property ${quoteForMessage(name)}; the queryables are ${known.join(', ') || '(none)'}`)
    }
    return q
  }

  condition(e: Cql2Expression): RawBuilder<boolean> {
    switch (e.kind) {
      case 'and':
        return sql<boolean>`(${sql.join(
          e.args.map((a) => this.condition(a)),
          sql` and `,
        )})`
      case 'or':
        return sql<boolean>`(${sql.join(
          e.args.map((a) => this.condition(a)),
          sql` or `,
        )})`
      case 'not':
        return sql<boolean>`(not ${this.condition(e.arg)})`
      case 'literal':
        return sql<boolean>`(${e.value}::boolean)`
      case 'comparison': {
        const numeric = containsArithmetic(e.left) || containsArithmetic(e.right)
        const [l, r] = this.pair(e.left, e.right, `compare with ${e.op}`, numeric)
        if (l.type === 'geometry' || l.type === 'interval') {
          throw new Cql2Error(
            `${NAMES[l.type]} cannot be compared with ${e.op}; use ${l.type === 'geometry' ? 'S_EQUALS or S_INTERSECTS' : 'T_EQUALS or T_INTERSECTS'}`,
          )
        }
        if (!(COMPARISON_OPERATORS as readonly string[]).includes(e.op)) throw new Cql2Error('unknown comparison operator')
        if (l.type === 'boolean' && e.op !== '=' && e.op !== '<>') throw new Cql2Error(`booleans cannot be compared with ${e.op}`)
        return sql<boolean>`(${l.sql} ${sql.raw(e.op)} ${r.sql})`
      }
      case 'like': {
        const value = this.operand(e.value, false)
        if (value.type !== 'string') throw new Cql2Error(`LIKE needs a string on its left, got ${NAMES[value.type]}`)
        const pattern = this.pattern(e.pattern)
        return sql<boolean>`(${value.sql} like ${pattern})`
      }
      case 'between': {
        const numeric = [e.value, e.low, e.high].some(containsArithmetic)
        const [v, low] = this.pair(e.value, e.low, 'use BETWEEN on', numeric)
        const [, high] = this.pair(e.value, e.high, 'use BETWEEN on', numeric)
        if (!['number', 'string', 'date', 'timestamp'].includes(v.type)) throw new Cql2Error(`BETWEEN cannot be used on ${NAMES[v.type]}`)
        return sql<boolean>`(${v.sql} between ${low.sql} and ${high.sql})`
      }
      case 'in': {
        const numeric = [e.value, ...e.list].some(containsArithmetic)
        const items = e.list.map((item) => this.pair(e.value, item, 'use IN on', numeric))
        const v = items[0]![0]
        if (v.type === 'geometry' || v.type === 'interval') throw new Cql2Error(`IN cannot be used on ${NAMES[v.type]}`)
        return sql<boolean>`(${v.sql} in (${sql.join(items.map((p) => p[1].sql))}))`
      }
      case 'isNull': {
        const v = this.operand(e.value, false)
        if (v.type === 'interval') throw new Cql2Error('IS NULL cannot be used on an interval')
        return sql<boolean>`(${v.sql} is null)`
      }
      case 'spatial': {
        const a = this.geometry(e.left, e.op)
        const b = this.geometry(e.right, e.op)
        if (!(SPATIAL_OPERATORS as readonly string[]).includes(e.op)) throw new Cql2Error('unknown spatial operator')
        // GEOS before 3.13 (the embedded PostGIS has an older one than the server) relates a collection member by
        // member and answers S_WITHIN and the like wrongly for collections; intersection and disjointness are sound.
        const collection = (o: Cql2Operand) => o.kind === 'geometry' && o.geometry.type === 'GeometryCollection'
        if (e.op !== 's_intersects' && e.op !== 's_disjoint' && (collection(e.left) || collection(e.right))) {
          throw new Cql2Error(
            `${e.op.toUpperCase()} with a GEOMETRYCOLLECTION is not supported; use S_INTERSECTS or S_DISJOINT, or one condition per member`,
          )
        }
        const fn = sql.raw(`ST_${e.op.slice(2).replace(/^./, (c) => c.toUpperCase())}`)
        return sql<boolean>`${fn}(${a}, ${b})`
      }
      case 'dwithin': {
        const a = this.geometry(e.left, 's_dwithin')
        const b = this.geometry(e.right, 's_dwithin')
        if (!Number.isFinite(e.distanceM) || e.distanceM < 0) throw new Cql2Error('the distance of S_DWITHIN must be a number ≥ 0')
        return sql<boolean>`ST_DWithin((${a})::geography, (${b})::geography, ${e.distanceM}::float8)`
      }
      case 'temporal':
        return this.temporal(e.op, e.left, e.right)
    }
  }

  /** Two operands of one comparison, checked to have one type (a date may meet a timestamp: both as UTC instants). */
  private pair(a: Cql2Operand, b: Cql2Operand, what: string, numeric: boolean): [Typed, Typed] {
    let l = this.operand(a, numeric)
    let r = this.operand(b, numeric)
    if (this.options.temporalStrings) {
      l = this.legacyInstant(l, a, r.type)
      r = this.legacyInstant(r, b, l.type)
    }
    if (l.type === r.type) return [l, r]
    const instants = ['date', 'timestamp']
    if (instants.includes(l.type) && instants.includes(r.type)) return [this.asTimestamp(l), this.asTimestamp(r)]
    throw new Cql2Error(`cannot ${what} ${NAMES[l.type]} and ${NAMES[r.type]}`)
  }

  private legacyInstant(typed: Typed, operand: Cql2Operand, other: ValueType): Typed {
    if (operand.kind !== 'string' || (other !== 'date' && other !== 'timestamp')) return typed
    const m = LEGACY_INSTANT.exec(operand.value)
    if (!m || !isDate(m[1]!)) return typed
    if (m[2] === undefined) return { type: 'date', sql: sql`${m[1]}::date` }
    const [hh, mm = '00', ss = '00'] = [m[2], m[3], m[4]]
    if (Number(hh) > 23 || Number(mm) > 59 || Number(ss) >= 60) throw new Cql2Error(`${quoteForMessage(operand.value)} is not a timestamp`)
    return { type: 'timestamp', sql: sql`${`${m[1]}T${hh}:${mm}:${ss}Z`}::timestamptz` }
  }

  private asTimestamp(t: Typed): Typed {
    return t.type === 'date' ? { type: 'timestamp', sql: sql`((${t.sql})::timestamp at time zone 'UTC')` } : t
  }

  private operand(o: Cql2Operand, numeric: boolean): Typed {
    switch (o.kind) {
      case 'property': {
        const q = this.queryable(o.name)
        const type: ValueType = q.type === 'integer' ? 'number' : q.type
        return { type, sql: type === 'number' && numeric ? sql`(${q.sql})::numeric` : q.sql }
      }
      case 'string':
        return { type: 'string', sql: sql`${o.value}::text` }
      case 'number':
        return { type: 'number', sql: numeric ? sql`${String(o.value)}::numeric` : sql`${o.value}::float8` }
      case 'boolean':
        return { type: 'boolean', sql: sql`${o.value}::boolean` }
      case 'date':
        return { type: 'date', sql: sql`${o.value}::date` }
      case 'timestamp':
        return { type: 'timestamp', sql: sql`${o.value}::timestamptz` }
      case 'interval':
        return { type: 'interval', sql: sql`null` }
      case 'geometry':
      case 'bbox':
        return { type: 'geometry', sql: this.literalGeometry(o) }
      case 'casei': {
        const inner = this.operand(o.arg, numeric)
        if (inner.type !== 'string') throw new Cql2Error(`CASEI needs a string, got ${NAMES[inner.type]}`)
        return { type: 'string', sql: sql`lower(${inner.sql})` }
      }
      case 'arithmetic': {
        if (++this.arithmetic > MAX_ARITHMETIC) throw new Cql2Error(`a filter may have at most ${MAX_ARITHMETIC} arithmetic operations`)
        const l = this.operand(o.left, true)
        const r = this.operand(o.right, true)
        if (l.type !== 'number' || r.type !== 'number') {
          throw new Cql2Error(`arithmetic (${o.op}) needs numbers, got ${NAMES[l.type !== 'number' ? l.type : r.type]}`)
        }
        // numeric cannot overflow at these sizes; a zero divisor gives NULL (no row) rather than an error.
        switch (o.op) {
          case '+':
          case '-':
          case '*':
            return { type: 'number', sql: sql`(${l.sql} ${sql.raw(o.op)} ${r.sql})` }
          case '/':
            return { type: 'number', sql: sql`(${l.sql} / nullif(${r.sql}, 0))` }
          case '%':
            return { type: 'number', sql: sql`mod(${l.sql}, nullif(${r.sql}, 0))` }
          case 'div':
            return { type: 'number', sql: sql`div(${l.sql}, nullif(${r.sql}, 0))` }
        }
      }
    }
  }

  /** A LIKE pattern: a string literal (optionally under CASEI); `\` escapes the next character as in CQL2. */
  private pattern(p: Cql2Operand): RawBuilder<unknown> {
    if (p.kind === 'casei') return sql`lower(${this.pattern(p.arg)})`
    if (p.kind !== 'string') throw new Cql2Error('the pattern of LIKE must be a string literal')
    let escaped = false
    for (const c of p.value) escaped = !escaped && c === '\\'
    if (escaped) throw new Cql2Error('a LIKE pattern may not end with the escape character \\')
    return sql`${p.value}::text`
  }

  private geometry(o: Cql2Operand, op: string): RawBuilder<unknown> {
    const g = this.operand(o, false)
    if (g.type !== 'geometry') throw new Cql2Error(`${op.toUpperCase()} needs geometries, got ${NAMES[g.type]}`)
    return g.sql
  }

  // Geometry literals -----------------------------------------------------------------------------------

  private position(p: Position): Position {
    const [x, y] = this.crs.swapAxes ? [p[1], p[0]] : [p[0], p[1]]
    if (this.crs.projected) {
      if (x < GK_EASTING[0] || x > GK_EASTING[1] || y < GK_NORTHING[0] || y > GK_NORTHING[1]) {
        throw new Cql2Error(
          `the position (${p[0]} ${p[1]}) is outside the Gauss–Krüger zone of EPSG:${this.crs.srid} (northing ${GK_NORTHING.join('–')} m, easting ${GK_EASTING.join('–')} m)`,
        )
      }
    } else if (x < -180 || x > 180 || y < -90 || y > 90) {
      throw new Cql2Error(
        `the position (${p[0]} ${p[1]}) is outside the range of ${this.crs.swapAxes ? 'latitude, longitude' : 'longitude, latitude'}`,
      )
    }
    return [x, y]
  }

  /** The geometry in (easting/longitude, northing/latitude) order, ranges checked and polygons validated. */
  private normalised(g: Cql2Geometry): Cql2Geometry {
    const ps = (list: Position[]) => list.map((p) => this.position(p))
    switch (g.type) {
      case 'Point':
        return { type: 'Point', coordinates: this.position(g.coordinates) }
      case 'LineString':
      case 'MultiPoint':
        return { type: g.type, coordinates: ps(g.coordinates) }
      case 'MultiLineString':
        return { type: g.type, coordinates: g.coordinates.map(ps) }
      case 'Polygon': {
        const polygon = { type: g.type, coordinates: g.coordinates.map(ps) }
        this.validatePolygonal(polygon)
        return polygon
      }
      case 'MultiPolygon': {
        const polygons = { type: g.type, coordinates: g.coordinates.map((rings) => rings.map(ps)) }
        this.validatePolygonal(polygons)
        return polygons
      }
      case 'GeometryCollection':
        return { type: g.type, geometries: g.geometries.map((m) => this.normalised(m)) }
    }
  }

  /**
   * GEOS predicates can throw on an invalid polygon (and the embedded PostGIS may hang on it), so polygons are
   * checked with the registry's validator first. Projected positions are moved near the origin and scaled
   * (100 km to a unit): validity does not change under such a map, and the validator checks degree ranges.
   */
  private validatePolygonal(g: { type: 'Polygon'; coordinates: Position[][] } | { type: 'MultiPolygon'; coordinates: Position[][][] }) {
    let candidate: typeof g = g
    if (this.crs.projected) {
      const [x0, y0] = g.type === 'Polygon' ? g.coordinates[0]![0]! : g.coordinates[0]![0]![0]!
      const map = (p: Position): Position => [(p[0] - x0) / 100_000, (p[1] - y0) / 100_000]
      candidate =
        g.type === 'Polygon'
          ? { type: 'Polygon', coordinates: g.coordinates.map((r) => r.map(map)) }
          : { type: 'MultiPolygon', coordinates: g.coordinates.map((rings) => rings.map((r) => r.map(map))) }
    }
    const problems = validateCampus(candidate, 'polygon', { minAreaM2: 0, maxAreaM2: Infinity, what: 'polygon' })
    if (problems.length > 0) throw new Cql2Error(`a polygon of the filter is not valid: ${problems[0]!.message}`)
  }

  private literalGeometry(o: Cql2Operand & { kind: 'geometry' | 'bbox' }): RawBuilder<unknown> {
    let geometry: Cql2Geometry
    if (o.kind === 'bbox') {
      // BBOX is written in the CRS's axis order too: (minLat, minLon, maxLat, maxLon) in EPSG:4326.
      const [a, b] = [this.position([o.bbox[0], o.bbox[1]]), this.position([o.bbox[2], o.bbox[3]])]
      if (a[0] > b[0] || a[1] > b[1]) throw new Cql2Error('a BBOX must give its lower corner first (and may not cross the antimeridian)')
      const [w, s, e, n] = [a[0], a[1], b[0], b[1]]
      geometry = {
        type: 'Polygon',
        coordinates: [
          [
            [w, s],
            [e, s],
            [e, n],
            [w, n],
            [w, s],
          ],
        ],
      }
      if (w === e || s === n)
        geometry =
          w === e && s === n
            ? { type: 'Point', coordinates: [w, s] }
            : {
                type: 'LineString',
                coordinates: [
                  [w, s],
                  [e, n],
                ],
              }
    } else {
      geometry = this.normalised(o.geometry)
    }
    const g = sql`ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(geometry)}::text), ${sql.lit(this.crs.srid)})`
    if (this.crs.srid === 4326) return g
    if (!this.crs.projected) return sql`ST_Transform(${g}, 4326)`
    // A straight edge in the projection is not one in degrees: densify first (as the bbox parameter does), at most
    // 32 pieces across the geometry's extent and no finer than 100 m, so the vertex count stays bounded.
    return sql`ST_Transform(ST_Segmentize(${g}, ${Math.max(100, extentOf(geometry) / 32)}::float8), 4326)`
  }

  // Temporal -----------------------------------------------------------------------------------------------

  private bounds(o: Cql2Operand, op: string): Bounds {
    if (o.kind === 'interval') {
      const bound = (b: Cql2IntervalBound): { sql: RawBuilder<unknown> | 'open'; type: 'date' | 'timestamp' | 'open' } => {
        if (b.kind === 'open') return { sql: 'open', type: 'open' }
        const t = this.operand(b, false)
        if (t.type !== 'date' && t.type !== 'timestamp')
          throw new Cql2Error(`an interval bound must be a date or a timestamp, got ${NAMES[t.type]}`)
        return { sql: t.sql, type: t.type }
      }
      const s = bound(o.start)
      const e = bound(o.end)
      const type = s.type === 'timestamp' || e.type === 'timestamp' ? 'timestamp' : 'date'
      const cast = (b: typeof s) =>
        b.sql === 'open' ? 'open' : type === 'timestamp' && b.type === 'date' ? this.asTimestamp({ type: 'date', sql: b.sql }).sql : b.sql
      return { start: cast(s), end: cast(e), type }
    }
    let t = this.operand(o, false)
    if (this.options.temporalStrings && o.kind === 'string') t = this.legacyInstant(t, o, 'timestamp')
    if (t.type !== 'date' && t.type !== 'timestamp')
      throw new Cql2Error(`${op.toUpperCase()} needs dates, timestamps or intervals, got ${NAMES[t.type]}`)
    return { start: t.sql, end: t.sql, type: t.type }
  }

  private temporal(op: string, left: Cql2Operand, right: Cql2Operand): RawBuilder<boolean> {
    let a = this.bounds(left, op)
    let b = this.bounds(right, op)
    if (a.type !== b.type) {
      const up = (x: Bounds): Bounds => {
        const cast = (v: RawBuilder<unknown> | 'open') => (v === 'open' ? 'open' : this.asTimestamp({ type: 'date', sql: v }).sql)
        return x.type === 'date' ? { start: cast(x.start), end: cast(x.end), type: 'timestamp' } : x
      }
      a = up(a)
      b = up(b)
    }
    const type = a.type === 'date' ? sql.raw('date') : sql.raw('timestamptz')
    const low = (v: RawBuilder<unknown> | 'open') => (v === 'open' ? sql`'-infinity'::${type}` : v)
    const high = (v: RawBuilder<unknown> | 'open') => (v === 'open' ? sql`'infinity'::${type}` : v)
    const [as, ae, bs, be] = [low(a.start), high(a.end), low(b.start), high(b.end)]
    // Allen's relations with instants as intervals of no length (OGC 21-065r2, clause 7.9 table).
    switch (op) {
      case 't_after':
        return sql<boolean>`(${as} > ${be})`
      case 't_before':
        return sql<boolean>`(${ae} < ${bs})`
      case 't_contains':
        return sql<boolean>`(${as} < ${bs} and ${ae} > ${be})`
      case 't_disjoint':
        return sql<boolean>`(${ae} < ${bs} or ${as} > ${be})`
      case 't_during':
        return sql<boolean>`(${as} > ${bs} and ${ae} < ${be})`
      case 't_equals':
        return sql<boolean>`(${as} = ${bs} and ${ae} = ${be})`
      case 't_finishedby':
        return sql<boolean>`(${as} < ${bs} and ${ae} = ${be})`
      case 't_finishes':
        return sql<boolean>`(${as} > ${bs} and ${ae} = ${be})`
      case 't_intersects':
        return sql<boolean>`(${as} <= ${be} and ${ae} >= ${bs})`
      case 't_meets':
        return sql<boolean>`(${ae} = ${bs})`
      case 't_metby':
        return sql<boolean>`(${as} = ${be})`
      case 't_overlappedby':
        return sql<boolean>`(${as} > ${bs} and ${as} < ${be} and ${ae} > ${be})`
      case 't_overlaps':
        return sql<boolean>`(${as} < ${bs} and ${ae} > ${bs} and ${ae} < ${be})`
      case 't_startedby':
        return sql<boolean>`(${as} = ${bs} and ${ae} > ${be})`
      default:
        return sql<boolean>`(${as} = ${bs} and ${ae} < ${be})`
    }
  }
}

/**
 * Compiles a parsed filter over the whitelisted `queryables` into one boolean SQL expression with every literal
 * bound as a parameter; refuses with a Cql2Error (unknown property, type mismatch, bad geometry, bad filter-crs).
 */
export function compileCql2(expression: Cql2Expression, queryables: Queryables, options: CompileOptions = {}): RawBuilder<boolean> {
  try {
    return new Compiler(queryables, options).condition(expression)
  } catch (error) {
    if (error instanceof Cql2Error) throw error
    throw new Cql2Error('the filter could not be compiled')
  }
}
