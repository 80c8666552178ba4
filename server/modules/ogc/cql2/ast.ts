/**
 * The one typed tree both CQL2 encodings parse to (OGC 21-065r2). Positions are not part of it, so the text
 * and the JSON form of one filter give equal trees; `NOT LIKE`, `NOT IN`, `NOT BETWEEN` and `IS NOT NULL` are
 * `not` around the positive predicate, as CQL2-JSON writes them, and nested `and`/`or` are flattened.
 */

export const COMPARISON_OPERATORS = ['=', '<>', '<', '>', '<=', '>='] as const
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number]

export const SPATIAL_OPERATORS = [
  's_intersects',
  's_equals',
  's_disjoint',
  's_touches',
  's_within',
  's_overlaps',
  's_crosses',
  's_contains',
] as const
export type SpatialOperator = (typeof SPATIAL_OPERATORS)[number]

export const TEMPORAL_OPERATORS = [
  't_after',
  't_before',
  't_contains',
  't_disjoint',
  't_during',
  't_equals',
  't_finishedby',
  't_finishes',
  't_intersects',
  't_meets',
  't_metby',
  't_overlappedby',
  't_overlaps',
  't_startedby',
  't_starts',
] as const
export type TemporalOperator = (typeof TEMPORAL_OPERATORS)[number]

export const ARITHMETIC_OPERATORS = ['+', '-', '*', '/', '%', 'div'] as const
export type ArithmeticOperator = (typeof ARITHMETIC_OPERATORS)[number]

/** 2D positions only: a third ordinate is accepted in the input and dropped (every predicate here is 2D). */
export type Position = [number, number]
export type Cql2Geometry =
  | { type: 'Point'; coordinates: Position }
  | { type: 'LineString'; coordinates: Position[] }
  | { type: 'Polygon'; coordinates: Position[][] }
  | { type: 'MultiPoint'; coordinates: Position[] }
  | { type: 'MultiLineString'; coordinates: Position[][] }
  | { type: 'MultiPolygon'; coordinates: Position[][][] }
  | { type: 'GeometryCollection'; geometries: Cql2Geometry[] }

/** An instant bound of an interval: a literal, a property, or `..` (open). */
export type Cql2IntervalBound = { kind: 'open' } | Cql2Date | Cql2Timestamp | Cql2Property

export type Cql2Property = { kind: 'property'; name: string }
export type Cql2Date = { kind: 'date'; value: string }
export type Cql2Timestamp = { kind: 'timestamp'; value: string }

export type Cql2Operand =
  | Cql2Property
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | Cql2Date
  | Cql2Timestamp
  | { kind: 'interval'; start: Cql2IntervalBound; end: Cql2IntervalBound }
  | { kind: 'geometry'; geometry: Cql2Geometry }
  /** [west, south, east, north] in the filter CRS's axis order as written. */
  | { kind: 'bbox'; bbox: [number, number, number, number] }
  | { kind: 'arithmetic'; op: ArithmeticOperator; left: Cql2Operand; right: Cql2Operand }
  | { kind: 'casei'; arg: Cql2Operand }

export type Cql2Expression =
  | { kind: 'and'; args: Cql2Expression[] }
  | { kind: 'or'; args: Cql2Expression[] }
  | { kind: 'not'; arg: Cql2Expression }
  | { kind: 'literal'; value: boolean }
  | { kind: 'comparison'; op: ComparisonOperator; left: Cql2Operand; right: Cql2Operand }
  | { kind: 'like'; value: Cql2Operand; pattern: Cql2Operand }
  | { kind: 'between'; value: Cql2Operand; low: Cql2Operand; high: Cql2Operand }
  | { kind: 'in'; value: Cql2Operand; list: Cql2Operand[] }
  | { kind: 'isNull'; value: Cql2Operand }
  | { kind: 'spatial'; op: SpatialOperator; left: Cql2Operand; right: Cql2Operand }
  /** Extension (not in CQL2 1.0): within `distanceM` metres on the ellipsoid. */
  | { kind: 'dwithin'; left: Cql2Operand; right: Cql2Operand; distanceM: number }
  | { kind: 'temporal'; op: TemporalOperator; left: Cql2Operand; right: Cql2Operand }

/** Input bounds: hostile filters end in a Cql2Error long before they cost real time or stack. */
export const CQL2_LIMITS = Object.freeze({ maxLength: 10_000, maxDepth: 100, maxNodes: 20_000, maxPositions: 10_000 })

/** A refused filter: `problem` says what was wrong (and where), `message` adds the parameter's name. */
export class Cql2Error extends Error {
  readonly problem: string
  constructor(
    problem: string,
    readonly position?: number,
    readonly field: 'filter' | 'filter-crs' = 'filter',
  ) {
    const where = position === undefined ? '' : ` at character ${position}`
    super(`${field}: ${problem}${where}`)
    this.name = 'Cql2Error'
    this.problem = `${problem}${where}`
  }
}

/** Joins conditions, flattening nested ones of the same kind. */
export function joinExpressions(kind: 'and' | 'or', args: Cql2Expression[]): Cql2Expression {
  const flat: Cql2Expression[] = []
  for (const a of args) {
    if (a.kind === kind) flat.push(...a.args)
    else flat.push(a)
  }
  return flat.length === 1 ? flat[0]! : { kind, args: flat }
}

/** A name or value quoted for a message: at most 60 characters, control characters shown as escapes. */
export function quoteForMessage(value: string): string {
  const cut = value.length > 60 ? `${value.slice(0, 60)}…` : value
  return JSON.stringify(cut)
}
