/**
 * CQL2-JSON (OGC 21-065r2, its JSON schema) into the same tree as the text encoding. Walks the parsed value
 * with a depth and a node budget (CQL2_LIMITS), so a deeply nested or huge document ends in a Cql2Error.
 */
import {
  ARITHMETIC_OPERATORS,
  COMPARISON_OPERATORS,
  CQL2_LIMITS,
  Cql2Error,
  joinExpressions,
  quoteForMessage,
  SPATIAL_OPERATORS,
  TEMPORAL_OPERATORS,
  type ArithmeticOperator,
  type ComparisonOperator,
  type Cql2Expression,
  type Cql2Geometry,
  type Cql2IntervalBound,
  type Cql2Operand,
  type Position,
  type SpatialOperator,
  type TemporalOperator,
} from './ast.ts'
import { checkDate, checkGeometryShape, checkNumber, checkString, checkTimestamp, isDate, isTimestamp } from './literals.ts'

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object')
    return `an object with ${Object.keys(value).length === 0 ? 'no members' : `members ${Object.keys(value).slice(0, 5).map(quoteForMessage).join(', ')}`}`
  if (typeof value === 'string') return `the string ${quoteForMessage(value)}`
  return `${typeof value} ${quoteForMessage(String(value))}`
}

/** A JSON path for a message: its last part only when it is long. */
const shortPath = (path: string) => (path.length > 80 ? `…${path.slice(-60)}` : path)

const GEOMETRY_TYPES = new Set(['Point', 'LineString', 'Polygon', 'MultiPoint', 'MultiLineString', 'MultiPolygon', 'GeometryCollection'])

class Walker {
  private nodes = 0

  private fail(path: string, problem: string): never {
    throw new Cql2Error(`${problem} (at ${shortPath(path)})`)
  }
  private visit(path: string, depth: number) {
    if (depth > CQL2_LIMITS.maxDepth)
      throw new Cql2Error(`the filter is nested more than ${CQL2_LIMITS.maxDepth} levels deep (at ${shortPath(path)})`)
    if (++this.nodes > CQL2_LIMITS.maxNodes) throw new Cql2Error(`the filter has more than ${CQL2_LIMITS.maxNodes} parts`)
  }
  private onlyKeys(value: Json, keys: string[], path: string) {
    for (const k of Object.keys(value)) if (!keys.includes(k)) this.fail(path, `unexpected member ${quoteForMessage(k)}`)
  }
  private args(value: Json, path: string, count: number | [number, number]): unknown[] {
    this.onlyKeys(value, ['op', 'args'], path)
    const args = value.args
    if (!Array.isArray(args)) this.fail(`${path}.args`, `expected an array of arguments, got ${describe(args)}`)
    const [min, max] = typeof count === 'number' ? [count, count] : count
    if (args.length < min || args.length > max) {
      this.fail(`${path}.args`, `${String(value.op)} takes ${min === max ? min : `${min} or more`} arguments, got ${args.length}`)
    }
    return args
  }

  condition(value: unknown, path: string, depth: number): Cql2Expression {
    this.visit(path, depth)
    if (typeof value === 'boolean') return { kind: 'literal', value }
    if (!isObject(value) || typeof value.op !== 'string') {
      this.fail(path, `expected a condition ({"op": …, "args": […]} or true/false), got ${describe(value)}`)
    }
    const op = value.op
    const d = depth + 1
    switch (op) {
      case 'and':
      case 'or': {
        const args = this.args(value, path, [2, Infinity])
        return joinExpressions(
          op,
          args.map((a, i) => this.condition(a, `${path}.args[${i}]`, d)),
        )
      }
      case 'not': {
        const [a] = this.args(value, path, 1)
        return { kind: 'not', arg: this.condition(a, `${path}.args[0]`, d) }
      }
      case 'like': {
        const [a, b] = this.args(value, path, 2)
        return { kind: 'like', value: this.operand(a, `${path}.args[0]`, d), pattern: this.operand(b, `${path}.args[1]`, d) }
      }
      case 'between': {
        const [a, b, c] = this.args(value, path, 3)
        return {
          kind: 'between',
          value: this.operand(a, `${path}.args[0]`, d),
          low: this.operand(b, `${path}.args[1]`, d),
          high: this.operand(c, `${path}.args[2]`, d),
        }
      }
      case 'in': {
        const [a, list] = this.args(value, path, 2)
        if (!Array.isArray(list) || list.length === 0)
          this.fail(`${path}.args[1]`, `expected a non-empty array of values, got ${describe(list)}`)
        return {
          kind: 'in',
          value: this.operand(a, `${path}.args[0]`, d),
          list: list.map((item, i) => this.operand(item, `${path}.args[1][${i}]`, d + 1)),
        }
      }
      case 'isNull': {
        const [a] = this.args(value, path, 1)
        return { kind: 'isNull', value: this.operand(a, `${path}.args[0]`, d) }
      }
      case 's_dwithin': {
        const [a, b, distance] = this.args(value, path, 3)
        if (typeof distance !== 'number' || !Number.isFinite(distance) || distance < 0) {
          this.fail(`${path}.args[2]`, `expected a distance in metres (a number ≥ 0), got ${describe(distance)}`)
        }
        return {
          kind: 'dwithin',
          left: this.operand(a, `${path}.args[0]`, d),
          right: this.operand(b, `${path}.args[1]`, d),
          distanceM: distance,
        }
      }
    }
    if ((COMPARISON_OPERATORS as readonly string[]).includes(op)) {
      const [a, b] = this.args(value, path, 2)
      return {
        kind: 'comparison',
        op: op as ComparisonOperator,
        left: this.operand(a, `${path}.args[0]`, d),
        right: this.operand(b, `${path}.args[1]`, d),
      }
    }
    if ((SPATIAL_OPERATORS as readonly string[]).includes(op) || (TEMPORAL_OPERATORS as readonly string[]).includes(op)) {
      const [a, b] = this.args(value, path, 2)
      const left = this.operand(a, `${path}.args[0]`, d)
      const right = this.operand(b, `${path}.args[1]`, d)
      return op.startsWith('s_')
        ? { kind: 'spatial', op: op as SpatialOperator, left, right }
        : { kind: 'temporal', op: op as TemporalOperator, left, right }
    }
    if (op === 'accenti') this.fail(path, 'accenti (accent-insensitive comparison) is not supported')
    if (/^a_/.test(op)) this.fail(path, `${quoteForMessage(op)}: array functions are not supported`)
    return this.fail(path, `unknown operator ${quoteForMessage(op)}`)
  }

  operand(value: unknown, path: string, depth: number): Cql2Operand {
    this.visit(path, depth)
    const d = depth + 1
    if (typeof value === 'string') return { kind: 'string', value: checkString(value) }
    if (typeof value === 'number') return { kind: 'number', value: checkNumber(value) }
    if (typeof value === 'boolean') return { kind: 'boolean', value }
    if (!isObject(value)) this.fail(path, `expected a value, got ${describe(value)}`)
    if ('property' in value) {
      this.onlyKeys(value, ['property'], path)
      if (typeof value.property !== 'string' || value.property === '') this.fail(`${path}.property`, 'expected a property name')
      return { kind: 'property', name: checkString(value.property) }
    }
    if ('date' in value) {
      this.onlyKeys(value, ['date'], path)
      return { kind: 'date', value: checkDate(this.text(value.date, `${path}.date`)) }
    }
    if ('timestamp' in value) {
      this.onlyKeys(value, ['timestamp'], path)
      return { kind: 'timestamp', value: checkTimestamp(this.text(value.timestamp, `${path}.timestamp`)) }
    }
    if ('interval' in value) {
      this.onlyKeys(value, ['interval'], path)
      const bounds = value.interval
      if (!Array.isArray(bounds) || bounds.length !== 2) this.fail(`${path}.interval`, `expected [start, end], got ${describe(bounds)}`)
      return {
        kind: 'interval',
        start: this.bound(bounds[0], `${path}.interval[0]`, d),
        end: this.bound(bounds[1], `${path}.interval[1]`, d),
      }
    }
    if ('bbox' in value) {
      this.onlyKeys(value, ['bbox'], path)
      const b = value.bbox
      if (!Array.isArray(b) || (b.length !== 4 && b.length !== 6) || !b.every((n) => typeof n === 'number' && Number.isFinite(n))) {
        this.fail(`${path}.bbox`, 'expected 4 numbers (or 6 with heights)')
      }
      const n = b as number[]
      return { kind: 'bbox', bbox: n.length === 4 ? [n[0]!, n[1]!, n[2]!, n[3]!] : [n[0]!, n[1]!, n[3]!, n[4]!] }
    }
    if ('type' in value) return { kind: 'geometry', geometry: checkGeometryShape(this.geometry(value, path, depth)) }
    if (typeof value.op === 'string') {
      const op = value.op
      if (op === 'casei') {
        const [a] = this.args(value, path, 1)
        return { kind: 'casei', arg: this.operand(a, `${path}.args[0]`, d) }
      }
      if ((ARITHMETIC_OPERATORS as readonly string[]).includes(op)) {
        const [a, b] = this.args(value, path, 2)
        return {
          kind: 'arithmetic',
          op: op as ArithmeticOperator,
          left: this.operand(a, `${path}.args[0]`, d),
          right: this.operand(b, `${path}.args[1]`, d),
        }
      }
      if (op === 'accenti') this.fail(path, 'accenti (accent-insensitive comparison) is not supported')
      this.fail(path, `expected a value, got the operator ${quoteForMessage(op)}`)
    }
    return this.fail(path, `expected a value, got ${describe(value)}`)
  }

  private text(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, `expected a string, got ${describe(value)}`)
    return value
  }

  private bound(value: unknown, path: string, depth: number): Cql2IntervalBound {
    if (typeof value === 'string') {
      if (value === '..') return { kind: 'open' }
      if (isDate(value)) return { kind: 'date', value }
      if (isTimestamp(value)) return { kind: 'timestamp', value }
      this.fail(path, `${quoteForMessage(value)} is not a date, a timestamp or ".."`)
    }
    const operand = this.operand(value, path, depth)
    if (operand.kind === 'date' || operand.kind === 'timestamp' || operand.kind === 'property') return operand
    return this.fail(path, 'an interval bound must be a date, a timestamp, a property or ".."')
  }

  private geometry(value: Json, path: string, depth: number): Cql2Geometry {
    this.visit(path, depth)
    const type = value.type
    if (typeof type !== 'string' || !GEOMETRY_TYPES.has(type))
      this.fail(`${path}.type`, `expected a GeoJSON geometry type, got ${describe(type)}`)
    if (type === 'GeometryCollection') {
      this.onlyKeys(value, ['type', 'geometries', 'bbox'], path)
      const members = value.geometries
      if (!Array.isArray(members)) this.fail(`${path}.geometries`, `expected an array, got ${describe(members)}`)
      return {
        type,
        geometries: members.map((m, i) => {
          if (!isObject(m)) this.fail(`${path}.geometries[${i}]`, `expected a geometry, got ${describe(m)}`)
          return this.geometry(m, `${path}.geometries[${i}]`, depth + 1)
        }),
      }
    }
    this.onlyKeys(value, ['type', 'coordinates', 'bbox'], path)
    const levels = { Point: 0, LineString: 1, MultiPoint: 1, Polygon: 2, MultiLineString: 2, MultiPolygon: 3 }[type]!
    const coordinates = this.coordinates(value.coordinates, levels, `${path}.coordinates`)
    return { type, coordinates } as Cql2Geometry
  }

  /** Nested arrays of positions, `levels` deep above the positions; a third ordinate is dropped. */
  private coordinates(value: unknown, levels: number, path: string): unknown {
    if (levels === 0) {
      if (
        !Array.isArray(value) ||
        value.length < 2 ||
        value.length > 3 ||
        !value.every((n) => typeof n === 'number' && Number.isFinite(n))
      ) {
        this.fail(path, 'expected a position of 2 or 3 finite numbers')
      }
      if (++this.nodes > CQL2_LIMITS.maxNodes) throw new Cql2Error(`the filter has more than ${CQL2_LIMITS.maxNodes} parts`)
      return [value[0], value[1]] as Position
    }
    if (!Array.isArray(value)) this.fail(path, `expected an array, got ${describe(value)}`)
    return value.map((v, i) => this.coordinates(v, levels - 1, `${path}[${i}]`))
  }
}

/** Parses a CQL2-JSON filter (already parsed from JSON) into the typed tree; refuses with a Cql2Error. */
export function parseCql2Json(value: unknown): Cql2Expression {
  try {
    return new Walker().condition(value, '$', 1)
  } catch (error) {
    if (error instanceof Cql2Error) throw error
    throw new Cql2Error('the filter could not be read')
  }
}

/** Parses the text of a CQL2-JSON filter (as a query parameter carries it). */
export function parseCql2JsonText(text: string): Cql2Expression {
  if (typeof text !== 'string') throw new Cql2Error('the filter must be text')
  if (text.length > CQL2_LIMITS.maxLength) throw new Cql2Error(`the filter is longer than ${CQL2_LIMITS.maxLength} characters`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new Cql2Error('the filter is not valid JSON')
  }
  return parseCql2Json(value)
}
