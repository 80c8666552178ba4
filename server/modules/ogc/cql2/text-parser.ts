/**
 * CQL2-text (OGC 21-065r2, the BNF of its annex B) by recursive descent, plus the older `cql-text` GDAL's
 * OGC API driver sends up to GDAL 3.6 (the same grammar with `ILIKE`, see `legacy`).
 *
 * Boolean and scalar expressions share one precedence ladder (OR < AND < NOT < predicates < + - < * / % div
 * < unary minus) and a parenthesis may hold either, so `(a + 1) > 2` and `(a = 1 OR b = 2)` are read without
 * backtracking (which hostile nesting would make exponential); each node's role is checked where it is used.
 * Nesting is bounded by CQL2_LIMITS.maxDepth and input by maxLength, so no input can exhaust the stack.
 */
import {
  COMPARISON_OPERATORS,
  CQL2_LIMITS,
  Cql2Error,
  joinExpressions,
  quoteForMessage,
  SPATIAL_OPERATORS,
  TEMPORAL_OPERATORS,
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

type Token =
  | { type: 'ident'; value: string; upper: string; pos: number }
  | { type: 'qident'; value: string; pos: number }
  | { type: 'string'; value: string; pos: number }
  | { type: 'number'; value: string; pos: number }
  | { type: 'symbol'; value: string; pos: number }
  | { type: 'end'; pos: number }

// identifierStart / identifierPart of the BNF: classes of single code points (joiners and combining marks are
// allowed inside a name), so the misleading-class rule does not apply.
/* eslint-disable no-misleading-character-class */
const IDENT_START =
  /[:_A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFE\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{EFFFF}]/u
const IDENT_PART =
  /[:_A-Za-z0-9.\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0300-\u036F\u0370-\u037D\u037F-\u1FFE\u200C\u200D\u203F\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{EFFFF}]/u
/* eslint-enable no-misleading-character-class */
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y
const SYMBOLS = ['<>', '<=', '>=', '(', ')', ',', '=', '<', '>', '+', '-', '*', '/', '%', '[', ']']

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++
      continue
    }
    const pos = i + 1
    if (c === "'") {
      // characterLiteral: '' (and, as CQL2 1.0 also allows, \') is a quote inside.
      let value = ''
      let j = i + 1
      for (;;) {
        if (j >= text.length) throw new Cql2Error("a string is not closed (expected ')", pos)
        const d = text[j]!
        if (d === "'" && text[j + 1] === "'") {
          value += "'"
          j += 2
        } else if (d === '\\' && text[j + 1] === "'") {
          value += "'"
          j += 2
        } else if (d === "'") {
          j++
          break
        } else {
          value += d
          j++
        }
      }
      tokens.push({ type: 'string', value: checkString(value, pos), pos })
      i = j
      continue
    }
    if (c === '"') {
      let value = ''
      let j = i + 1
      for (;;) {
        if (j >= text.length) throw new Cql2Error('a quoted property name is not closed (expected ")', pos)
        const d = text[j]!
        if (d === '"' && text[j + 1] === '"') {
          value += '"'
          j += 2
        } else if (d === '"') {
          j++
          break
        } else {
          value += d
          j++
        }
      }
      if (value === '') throw new Cql2Error('a quoted property name is empty', pos)
      tokens.push({ type: 'qident', value: checkString(value, pos), pos })
      i = j
      continue
    }
    if ((c >= '0' && c <= '9') || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      NUMBER.lastIndex = i
      const m = NUMBER.exec(text)!
      tokens.push({ type: 'number', value: m[0], pos })
      i += m[0].length
      continue
    }
    const cp = text.codePointAt(i)!
    const ch = String.fromCodePoint(cp)
    if (IDENT_START.test(ch)) {
      let j = i + ch.length
      while (j < text.length) {
        const next = String.fromCodePoint(text.codePointAt(j)!)
        if (!IDENT_PART.test(next)) break
        j += next.length
      }
      const value = text.slice(i, j)
      tokens.push({ type: 'ident', value, upper: value.toUpperCase(), pos })
      i = j
      continue
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i))
    if (symbol) {
      tokens.push({ type: 'symbol', value: symbol, pos })
      i += symbol.length
      continue
    }
    throw new Cql2Error(`unexpected character ${quoteForMessage(ch)}`, pos)
  }
  tokens.push({ type: 'end', pos: text.length + 1 })
  return tokens
}

const RESERVED = new Set(['AND', 'OR', 'NOT', 'LIKE', 'ILIKE', 'BETWEEN', 'IN', 'IS', 'NULL', 'DIV', 'TRUE', 'FALSE'])
const GEOMETRY_TAGS = new Set(['POINT', 'LINESTRING', 'POLYGON', 'MULTIPOINT', 'MULTILINESTRING', 'MULTIPOLYGON', 'GEOMETRYCOLLECTION'])

/** A parsed piece: a condition or a value, with where it started. */
type Piece = { condition: Cql2Expression; pos: number } | { operand: Cql2Operand; pos: number }

export interface TextParseOptions {
  /** The `cql-text` of GDAL ≤ 3.6: also `ILIKE`. */
  legacy?: boolean
}

class Parser {
  private index = 0
  private depth = 0
  constructor(
    private readonly tokens: Token[],
    private readonly options: TextParseOptions,
  ) {}

  private get token(): Token {
    return this.tokens[this.index]!
  }
  private peek(offset = 1): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!
  }
  private atEnd(): boolean {
    return this.token.type === 'end'
  }
  /** Consumes a token known not to be the end. */
  private take(): Token & { value: string } {
    return this.advance() as Token & { value: string }
  }
  private advance(): Token {
    const t = this.token
    if (t.type !== 'end') this.index++
    return t
  }
  private isKeyword(word: string, t: Token = this.token): boolean {
    return t.type === 'ident' && t.upper === word
  }
  private isSymbol(symbol: string, t: Token = this.token): boolean {
    return t.type === 'symbol' && t.value === symbol
  }
  private describe(t: Token): string {
    switch (t.type) {
      case 'end':
        return 'the end of the filter'
      case 'string':
        return `the string ${quoteForMessage(t.value)}`
      case 'qident':
        return `the property ${quoteForMessage(t.value)}`
      default:
        return quoteForMessage(t.value).replace(/^"|"$/g, "'")
    }
  }
  private fail(expected: string, t: Token = this.token): never {
    throw new Cql2Error(`expected ${expected}, got ${this.describe(t)}`, t.pos)
  }
  private expectSymbol(symbol: string): Token {
    if (!this.isSymbol(symbol)) this.fail(`'${symbol}'`)
    return this.advance()
  }
  private enter(pos: number) {
    if (++this.depth > CQL2_LIMITS.maxDepth) throw new Cql2Error(`the filter is nested more than ${CQL2_LIMITS.maxDepth} levels deep`, pos)
  }
  private leave() {
    this.depth--
  }

  private condition(piece: Piece): Cql2Expression {
    if ('condition' in piece) return piece.condition
    if (piece.operand.kind === 'boolean') return { kind: 'literal', value: piece.operand.value }
    throw new Cql2Error(
      'expected a condition (a comparison, LIKE, IN, BETWEEN, IS NULL or a function such as S_INTERSECTS), got a value',
      piece.pos,
    )
  }
  private operand(piece: Piece): Cql2Operand {
    if ('operand' in piece) return piece.operand
    if (piece.condition.kind === 'literal') return { kind: 'boolean', value: piece.condition.value }
    throw new Cql2Error('expected a value, got a condition', piece.pos)
  }

  parseFilter(): Cql2Expression {
    if (this.token.type === 'end') throw new Cql2Error('the filter is empty')
    const piece = this.parseOr()
    if (!this.atEnd()) this.fail('AND, OR or the end of the filter')
    return this.condition(piece)
  }

  private parseOr(): Piece {
    const pos = this.token.pos
    this.enter(pos)
    const first = this.parseAnd()
    if (!this.isKeyword('OR')) {
      this.leave()
      return first
    }
    const args = [this.condition(first)]
    while (this.isKeyword('OR')) {
      this.advance()
      args.push(this.condition(this.parseAnd()))
    }
    this.leave()
    return { condition: joinExpressions('or', args), pos }
  }

  private parseAnd(): Piece {
    const pos = this.token.pos
    const first = this.parseNot()
    if (!this.isKeyword('AND')) return first
    const args = [this.condition(first)]
    while (this.isKeyword('AND')) {
      this.advance()
      args.push(this.condition(this.parseNot()))
    }
    return { condition: joinExpressions('and', args), pos }
  }

  private parseNot(): Piece {
    if (this.isKeyword('NOT')) {
      const pos = this.advance().pos
      this.enter(pos)
      const arg = this.condition(this.parseNot())
      this.leave()
      return { condition: { kind: 'not', arg }, pos }
    }
    return this.parsePredicate()
  }

  private parsePredicate(): Piece {
    const left = this.parseAdditive()
    const t = this.token
    if (t.type === 'symbol' && (COMPARISON_OPERATORS as readonly string[]).includes(t.value)) {
      this.advance()
      const right = this.parseAdditive()
      return {
        condition: { kind: 'comparison', op: t.value as ComparisonOperator, left: this.operand(left), right: this.operand(right) },
        pos: left.pos,
      }
    }
    let negated = false
    if (this.isKeyword('NOT') && ['LIKE', 'ILIKE', 'BETWEEN', 'IN'].some((w) => this.isKeyword(w, this.peek()))) {
      this.advance()
      negated = true
    }
    const wrap = (condition: Cql2Expression): Piece => ({ condition: negated ? { kind: 'not', arg: condition } : condition, pos: left.pos })
    if (this.isKeyword('LIKE') || this.isKeyword('ILIKE')) {
      const keyword = this.advance() as Token & { upper: string }
      if (keyword.upper === 'ILIKE' && !this.options.legacy) {
        throw new Cql2Error("ILIKE is not CQL2: write CASEI(property) LIKE CASEI('pattern')", keyword.pos)
      }
      const pattern = this.operand(this.parseAdditive())
      const value = this.operand(left)
      if (keyword.upper === 'ILIKE')
        return wrap({ kind: 'like', value: { kind: 'casei', arg: value }, pattern: { kind: 'casei', arg: pattern } })
      return wrap({ kind: 'like', value, pattern })
    }
    if (this.isKeyword('BETWEEN')) {
      this.advance()
      const low = this.operand(this.parseAdditive())
      if (!this.isKeyword('AND')) this.fail('AND (of BETWEEN … AND …)')
      this.advance()
      const high = this.operand(this.parseAdditive())
      return wrap({ kind: 'between', value: this.operand(left), low, high })
    }
    if (this.isKeyword('IN')) {
      this.advance()
      this.expectSymbol('(')
      const list = [this.operand(this.parseAdditive())]
      while (this.isSymbol(',')) {
        this.advance()
        list.push(this.operand(this.parseAdditive()))
      }
      this.expectSymbol(')')
      return wrap({ kind: 'in', value: this.operand(left), list })
    }
    if (negated) this.fail('LIKE, BETWEEN or IN')
    if (this.isKeyword('IS')) {
      this.advance()
      let not = false
      if (this.isKeyword('NOT')) {
        this.advance()
        not = true
      }
      if (!this.isKeyword('NULL')) this.fail('NULL')
      this.advance()
      const condition: Cql2Expression = { kind: 'isNull', value: this.operand(left) }
      return { condition: not ? { kind: 'not', arg: condition } : condition, pos: left.pos }
    }
    return left
  }

  private parseAdditive(): Piece {
    let left = this.parseMultiplicative()
    while (this.isSymbol('+') || this.isSymbol('-')) {
      const op = this.take().value as '+' | '-'
      const right = this.parseMultiplicative()
      left = { operand: { kind: 'arithmetic', op, left: this.operand(left), right: this.operand(right) }, pos: left.pos }
    }
    return left
  }

  private parseMultiplicative(): Piece {
    let left = this.parseUnary()
    for (;;) {
      const t = this.token
      let op: '*' | '/' | '%' | 'div' | undefined
      if (t.type === 'symbol' && (t.value === '*' || t.value === '/' || t.value === '%')) op = t.value
      else if (this.isKeyword('DIV')) op = 'div'
      if (!op) return left
      this.advance()
      const right = this.parseUnary()
      left = { operand: { kind: 'arithmetic', op, left: this.operand(left), right: this.operand(right) }, pos: left.pos }
    }
  }

  private parseUnary(): Piece {
    if (this.isSymbol('-') || this.isSymbol('+')) {
      const sign = this.take()
      if (this.token.type === 'number') {
        const n = this.parseNumberToken()
        return { operand: { kind: 'number', value: sign.value === '-' ? -n : n }, pos: sign.pos }
      }
      this.enter(sign.pos)
      const arg = this.operand(this.parseUnary())
      this.leave()
      if (sign.value === '+') return { operand: arg, pos: sign.pos }
      return { operand: { kind: 'arithmetic', op: '*', left: { kind: 'number', value: -1 }, right: arg }, pos: sign.pos }
    }
    return this.parsePrimary()
  }

  private parseNumberToken(): number {
    const t = this.advance()
    return checkNumber(Number(t.type === 'number' ? t.value : NaN), t.pos)
  }

  private parsePrimary(): Piece {
    const t = this.token
    switch (t.type) {
      case 'symbol':
        if (t.value === '(') {
          this.advance()
          const inner = this.parseOr()
          this.expectSymbol(')')
          return inner
        }
        return this.fail('a value or a condition')
      case 'string':
        this.advance()
        return { operand: { kind: 'string', value: t.value }, pos: t.pos }
      case 'number':
        return { operand: { kind: 'number', value: this.parseNumberToken() }, pos: t.pos }
      case 'qident':
        this.advance()
        return { operand: { kind: 'property', name: t.value }, pos: t.pos }
      case 'ident': {
        if (t.upper === 'TRUE' || t.upper === 'FALSE') {
          this.advance()
          return { operand: { kind: 'boolean', value: t.upper === 'TRUE' }, pos: t.pos }
        }
        if (GEOMETRY_TAGS.has(t.upper)) return { operand: { kind: 'geometry', geometry: this.parseGeometry() }, pos: t.pos }
        if (this.isSymbol('(', this.peek())) return this.parseFunction()
        if (RESERVED.has(t.upper)) return this.fail('a value or a condition')
        this.advance()
        return { operand: { kind: 'property', name: checkString(t.value, t.pos) }, pos: t.pos }
      }
      case 'end':
        return this.fail('a value or a condition')
    }
  }

  /** An argument of a function: any value (conditions are not arguments of the functions here). */
  private argument(): Cql2Operand {
    return this.operand(this.parseOr())
  }

  private parseFunction(): Piece {
    const name = this.advance() as Token & { upper: string; value: string }
    const pos = name.pos
    this.expectSymbol('(')
    this.enter(pos)
    const done = (piece: Piece): Piece => {
      this.expectSymbol(')')
      this.leave()
      return piece
    }
    const upper = name.upper
    if (upper === 'DATE' || upper === 'TIMESTAMP') {
      const s = this.token
      if (s.type !== 'string') this.fail(`a quoted ${upper === 'DATE' ? 'date' : 'timestamp'}`)
      this.advance()
      const operand: Cql2Operand =
        upper === 'DATE' ? { kind: 'date', value: checkDate(s.value, s.pos) } : { kind: 'timestamp', value: checkTimestamp(s.value, s.pos) }
      return done({ operand, pos })
    }
    if (upper === 'INTERVAL') {
      const start = this.intervalBound()
      this.expectSymbol(',')
      const end = this.intervalBound()
      return done({ operand: { kind: 'interval', start, end }, pos })
    }
    if (upper === 'CASEI') return done({ operand: { kind: 'casei', arg: this.argument() }, pos })
    if (upper === 'ACCENTI') throw new Cql2Error('ACCENTI (accent-insensitive comparison) is not supported', pos)
    if (upper === 'BBOX' || upper === 'ENVELOPE') {
      const values = [this.signedNumber()]
      while (this.isSymbol(',')) {
        this.advance()
        values.push(this.signedNumber())
      }
      if (values.length !== 4 && values.length !== 6) throw new Cql2Error('BBOX takes 4 numbers (or 6 with heights)', pos)
      const [w, s, e, n] = values.length === 4 ? values : [values[0]!, values[1]!, values[3]!, values[4]!]
      return done({ operand: { kind: 'bbox', bbox: [w!, s!, e!, n!] }, pos })
    }
    const lower = name.value.toLowerCase()
    if ((SPATIAL_OPERATORS as readonly string[]).includes(lower) || (TEMPORAL_OPERATORS as readonly string[]).includes(lower)) {
      const left = this.argument()
      this.expectSymbol(',')
      const right = this.argument()
      const condition: Cql2Expression = lower.startsWith('s_')
        ? { kind: 'spatial', op: lower as SpatialOperator, left, right }
        : { kind: 'temporal', op: lower as TemporalOperator, left, right }
      return done({ condition, pos })
    }
    if (upper === 'S_DWITHIN') {
      const left = this.argument()
      this.expectSymbol(',')
      const right = this.argument()
      this.expectSymbol(',')
      const at = this.token.pos
      const distanceM = this.signedNumber()
      if (distanceM < 0) throw new Cql2Error('the distance of S_DWITHIN must not be negative', at)
      return done({ condition: { kind: 'dwithin', left, right, distanceM }, pos })
    }
    if (/^A_/.test(upper)) throw new Cql2Error(`${name.value}: array functions are not supported`, pos)
    throw new Cql2Error(`unknown function ${quoteForMessage(name.value)}`, pos)
  }

  private intervalBound(): Cql2IntervalBound {
    const t = this.token
    if (t.type === 'string') {
      this.advance()
      if (t.value === '..') return { kind: 'open' }
      if (isDate(t.value)) return { kind: 'date', value: t.value }
      if (isTimestamp(t.value)) return { kind: 'timestamp', value: t.value }
      throw new Cql2Error(`${quoteForMessage(t.value)} is not a date, a timestamp or '..'`, t.pos)
    }
    const operand = this.argument()
    if (operand.kind === 'date' || operand.kind === 'timestamp' || operand.kind === 'property') return operand
    throw new Cql2Error("an interval bound must be a date, a timestamp, a property or '..'", t.pos)
  }

  private signedNumber(): number {
    let sign = 1
    if (this.isSymbol('-') || this.isSymbol('+')) sign = this.take().value === '-' ? -1 : 1
    if (this.token.type !== 'number') this.fail('a number')
    return sign * this.parseNumberToken()
  }

  // WKT ----------------------------------------------------------------------------------------

  private parseGeometry(): Cql2Geometry {
    const tag = this.advance() as Token & { upper: string }
    this.enter(tag.pos)
    // POINT Z (…), POINT M (…), POINT ZM (…), or the tag run together: POINTZ is not WKT.
    if (this.token.type === 'ident' && ['Z', 'M', 'ZM'].includes(this.token.upper)) this.advance()
    if (this.isKeyword('EMPTY')) throw new Cql2Error('empty geometries are not supported', this.token.pos)
    let geometry: Cql2Geometry
    switch (tag.upper) {
      case 'POINT':
        geometry = { type: 'Point', coordinates: this.inParens(() => this.position()) }
        break
      case 'LINESTRING':
        geometry = { type: 'LineString', coordinates: this.positions() }
        break
      case 'POLYGON':
        geometry = { type: 'Polygon', coordinates: this.list(() => this.positions()) }
        break
      case 'MULTIPOINT':
        // Both MULTIPOINT((1 2), (3 4)) and the common MULTIPOINT(1 2, 3 4).
        geometry = {
          type: 'MultiPoint',
          coordinates: this.list(() => (this.isSymbol('(') ? this.inParens(() => this.position()) : this.position())),
        }
        break
      case 'MULTILINESTRING':
        geometry = { type: 'MultiLineString', coordinates: this.list(() => this.positions()) }
        break
      case 'MULTIPOLYGON':
        geometry = { type: 'MultiPolygon', coordinates: this.list(() => this.list(() => this.positions())) }
        break
      default: {
        const geometries = this.list(() => {
          const t = this.token
          if (t.type !== 'ident' || !GEOMETRY_TAGS.has(t.upper)) this.fail('a geometry (POINT, LINESTRING, POLYGON, …)')
          return this.parseGeometry()
        })
        geometry = { type: 'GeometryCollection', geometries }
      }
    }
    this.leave()
    return checkGeometryShape(geometry, tag.pos)
  }

  private inParens<T>(read: () => T): T {
    this.expectSymbol('(')
    const value = read()
    this.expectSymbol(')')
    return value
  }
  private list<T>(read: () => T): T[] {
    return this.inParens(() => {
      const items = [read()]
      while (this.isSymbol(',')) {
        this.advance()
        items.push(read())
      }
      return items
    })
  }
  private positions(): Position[] {
    return this.list(() => this.position())
  }
  private position(): Position {
    const x = this.signedNumber()
    const y = this.signedNumber()
    // Z and M, if present, are read and dropped.
    for (let k = 0; k < 2 && (this.token.type === 'number' || this.isSymbol('-') || this.isSymbol('+')); k++) this.signedNumber()
    return [x, y]
  }
}

/** Parses a CQL2-text filter (or, with `legacy`, GDAL's `cql-text`) into the typed tree; refuses with a Cql2Error. */
export function parseCql2Text(text: string, options: TextParseOptions = {}): Cql2Expression {
  if (typeof text !== 'string') throw new Cql2Error('the filter must be text')
  if (text.length > CQL2_LIMITS.maxLength) throw new Cql2Error(`the filter is longer than ${CQL2_LIMITS.maxLength} characters`)
  try {
    return new Parser(tokenize(text), options).parseFilter()
  } catch (error) {
    if (error instanceof Cql2Error) throw error
    // The limits above make this unreachable; a filter is never answered with anything but a Cql2Error.
    throw new Cql2Error('the filter could not be read')
  }
}
