/**
 * Fuzzing the CQL2 parsers and compiler with seeded random and hostile input (reproducible: the seed and the
 * input are in every failure message). Properties: nothing but a Cql2Error is ever thrown; SQL text comes only
 * from the compiler (no quote, semicolon or comment of the request in it, every literal a parameter); and every
 * compiled filter runs on the database without an error (all refusals happen before the database).
 */
import { sql, type RawBuilder } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../server/db/connect.ts'
import {
  compileCql2,
  Cql2Error,
  parseCql2Json,
  parseCql2JsonText,
  parseCql2Text,
  type Cql2Expression,
  type Cql2IntervalBound,
  type Cql2Operand,
  type Queryables,
} from '../../server/modules/ogc/cql2/index.ts'
import { GUYUAN, offset, rectangle } from '../factories/registry.ts'
import { createTestDatabase } from '../helpers/database.ts'

/** mulberry32: a small seeded PRNG, so every run sees the same inputs. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!
  return { next, int, pick, chance: (p: number) => next() < p }
}
type Random = ReturnType<typeof prng>

let database: DatabaseHandle
const C: [number, number] = [GUYUAN.lon, GUYUAN.lat]

const QUERYABLES: Queryables = {
  name: { type: 'string', sql: sql.ref('t.name') },
  students: { type: 'integer', sql: sql.ref('t.students') },
  ratio: { type: 'number', sql: sql.ref('t.ratio') },
  boarding: { type: 'boolean', sql: sql.ref('t.boarding') },
  opened: { type: 'date', sql: sql.ref('t.opened') },
  inspectedAt: { type: 'timestamp', sql: sql.ref('t.inspected_at') },
  geom: { type: 'geometry', sql: sql.ref('t.geom') },
}
const NAMES = Object.keys(QUERYABLES)

beforeAll(async () => {
  database = await createTestDatabase()
  await sql`create table cql2_fuzz (id integer primary key, name text, students integer, ratio float8, boarding boolean, opened date,
    inspected_at timestamptz, geom geometry(Geometry, 4326))`.execute(database.db)
  const rows = [
    [1, '固原一中', 1800, 0.5, true, '1958-09-01', '2024-05-01T08:00:00Z', { type: 'Point', coordinates: C }],
    [2, "O'Neil", 0, 1e300, false, '2015-09-01', null, { type: 'Polygon', coordinates: [rectangle(offset(C, 300, 0))] }],
    [3, null, null, null, null, null, null, null],
    [
      4,
      '%_\\',
      -5,
      -0.0,
      true,
      '2000-02-29',
      '1970-01-01T00:00:00Z',
      { type: 'LineString', coordinates: [offset(C, -500, -500), offset(C, 500, 500)] },
    ],
    [
      5,
      '',
      7,
      3.5,
      false,
      '9999-12-31',
      '2262-04-11T23:47:16Z',
      { type: 'MultiPolygon', coordinates: [[rectangle(offset(C, -900, 0))], [rectangle(offset(C, 900, 0))]] },
    ],
  ] as const
  for (const [id, name, students, ratio, boarding, opened, inspected, geom] of rows) {
    await sql`insert into cql2_fuzz values (${id}, ${name}, ${students}, ${ratio}, ${boarding}, ${opened}::date, ${inspected}::timestamptz,
      ST_SetSRID(ST_GeomFromGeoJSON(${geom ? JSON.stringify(geom) : null}::text), 4326))`.execute(database.db)
  }
})
afterAll(async () => {
  await database?.close()
})

// ---------------------------------------------------------------------------------------------------------
// Input generators

const HOSTILE_STRINGS = [
  "'; drop table cql2_fuzz; --",
  "x' OR '1'='1",
  '/* comment */',
  '-- comment',
  '\\',
  '%',
  '_',
  '$1',
  '::text',
  '\u0000',
  '\uD800',
  '😀',
  '固原',
  "O''Neil",
  '',
  ' '.repeat(50),
  'pg_sleep(10)',
  "E'\\x00'",
]
const NUMBERS = [
  0, 1, -1, 0.5, 1e308, -1e308, 5e-324, 36.016, 106.238, 3988031.6, 611639.8, 341193.0, 180, 90, -180, -90, 180.0001, 1e6, 1e7, 9.3e6,
  100000, 2147483648,
]
const DATES = ['2020-01-01', '0001-01-01', '9999-12-31', '2000-02-29', '2021-02-29', '2020-13-01', '1970-01-01']
const TIMESTAMPS = [
  '2020-01-01T00:00:00Z',
  '0001-01-01T00:00:00+14:00',
  '9999-12-31T23:59:59.999999999Z',
  '2024-05-01T16:00:00+08:00',
  '2020-01-01T24:00:00Z',
  '2020-01-01T00:00:00',
]
const FILTER_CRS = [
  undefined,
  'http://www.opengis.net/def/crs/OGC/1.3/CRS84',
  'http://www.opengis.net/def/crs/EPSG/0/4326',
  'http://www.opengis.net/def/crs/EPSG/0/4490',
  'http://www.opengis.net/def/crs/EPSG/0/4544',
  'http://www.opengis.net/def/crs/EPSG/0/4545',
  'EPSG:3857',
  "'; drop table x; --",
]
const SPATIAL = ['S_INTERSECTS', 'S_EQUALS', 'S_DISJOINT', 'S_TOUCHES', 'S_WITHIN', 'S_OVERLAPS', 'S_CROSSES', 'S_CONTAINS']
const TEMPORAL = [
  'T_AFTER',
  'T_BEFORE',
  'T_CONTAINS',
  'T_DISJOINT',
  'T_DURING',
  'T_EQUALS',
  'T_FINISHEDBY',
  'T_FINISHES',
  'T_INTERSECTS',
  'T_MEETS',
  'T_METBY',
  'T_OVERLAPPEDBY',
  'T_OVERLAPS',
  'T_STARTEDBY',
  'T_STARTS',
]

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`
const number = (r: Random) => (r.chance(0.5) ? r.pick(NUMBERS) : (r.next() - 0.5) * 10 ** r.int(12)) * (r.chance(0.1) ? -1 : 1)

/** A position near Guyuan in one of the CRSs' axis orders, or a wild one. */
function position(r: Random): [number, number] {
  const p = offset(C, (r.next() - 0.5) * 4000, (r.next() - 0.5) * 4000)
  switch (r.int(6)) {
    case 0:
      return p
    case 1:
      return [p[1], p[0]]
    case 2:
      return [3988031 + (r.next() - 0.5) * 4000, 611639 + (r.next() - 0.5) * 4000]
    case 3:
      return [3988757 + (r.next() - 0.5) * 4000, 341193 + (r.next() - 0.5) * 4000]
    default:
      return [number(r), number(r)]
  }
}
const wktPosition = (p: readonly number[]) => `${p[0]} ${p[1]}`

function wktGeometry(r: Random, depth = 0): string {
  const ring = () => {
    const a = position(r)
    if (r.chance(0.5)) {
      const d = r.next() * 0.01 + 1e-6
      return `(${[a, [a[0] + d, a[1]], [a[0] + d, a[1] + d], [a[0], a[1] + d], a].map(wktPosition).join(', ')})`
    }
    const pts = Array.from({ length: 3 + r.int(5) }, () => position(r))
    return `(${[...pts, r.chance(0.9) ? pts[0]! : position(r)].map(wktPosition).join(', ')})`
  }
  const line = () => `(${Array.from({ length: 1 + r.int(4) }, () => wktPosition(position(r))).join(', ')})`
  switch (r.int(depth > 2 ? 7 : 8)) {
    case 0:
      return `POINT(${wktPosition(position(r))})`
    case 1:
      return `LINESTRING${line()}`
    case 2:
      return `POLYGON(${ring()})`
    case 3:
      return `MULTIPOINT${line()}`
    case 4:
      return `MULTILINESTRING(${line()}, ${line()})`
    case 5:
      return `MULTIPOLYGON((${ring()}), (${ring()}))`
    case 6: {
      const a = position(r)
      const b = position(r)
      return `BBOX(${a[0]}, ${a[1]}, ${b[0]}, ${b[1]})`
    }
    default:
      return `GEOMETRYCOLLECTION(${wktGeometry(r, depth + 1)}, ${wktGeometry(r, depth + 1)})`
  }
}

/** A scalar of mostly the right kind for the property, sometimes not. */
function scalar(r: Random, depth: number): string {
  switch (r.int(12)) {
    case 0:
      return quote(r.pick(HOSTILE_STRINGS))
    case 1:
      return String(number(r))
    case 2:
      return `DATE(${quote(r.pick(DATES))})`
    case 3:
      return `TIMESTAMP(${quote(r.pick(TIMESTAMPS))})`
    case 4:
      return r.pick(['TRUE', 'FALSE'])
    case 5:
      return depth < 4 ? `(${scalar(r, depth + 1)} ${r.pick(['+', '-', '*', '/', '%', 'div'])} ${scalar(r, depth + 1)})` : '1'
    case 6:
      return `CASEI(${r.chance(0.7) ? 'name' : scalar(r, depth + 1)})`
    case 7:
      return `"${r.pick([...NAMES, 'id', 'name"; drop table x; --', 't.id', 'constructor', '__proto__'])}"`
    default:
      return r.pick(NAMES)
  }
}

const bound = (r: Random) =>
  r.pick([quote('..'), quote(r.pick(DATES)), quote(r.pick(TIMESTAMPS)), 'opened', 'inspectedAt', `DATE(${quote(r.pick(DATES))})`, 'name'])

function condition(r: Random, depth = 0): string {
  const k = r.int(depth > 5 ? 10 : 13)
  switch (k) {
    case 0:
      return `${scalar(r, depth)} ${r.pick(['=', '<>', '<', '>', '<=', '>='])} ${scalar(r, depth)}`
    case 1:
      return `${r.chance(0.8) ? 'name' : scalar(r, depth)}${r.chance(0.3) ? ' NOT' : ''} LIKE ${r.chance(0.8) ? quote(r.pick([...HOSTILE_STRINGS, '%一%', 'a\\%', '\\'])) : scalar(r, depth)}`
    case 2:
      return `${scalar(r, depth)}${r.chance(0.3) ? ' NOT' : ''} BETWEEN ${scalar(r, depth)} AND ${scalar(r, depth)}`
    case 3:
      return `${scalar(r, depth)}${r.chance(0.3) ? ' NOT' : ''} IN (${Array.from({ length: 1 + r.int(4) }, () => scalar(r, depth)).join(', ')})`
    case 4:
      return `${scalar(r, depth)} IS${r.chance(0.5) ? ' NOT' : ''} NULL`
    case 5:
    case 6:
      return `${r.pick(SPATIAL)}(${r.chance(0.8) ? 'geom' : scalar(r, depth)}, ${r.chance(0.9) ? wktGeometry(r) : 'geom'})`
    case 7:
      return `S_DWITHIN(geom, ${wktGeometry(r)}, ${r.chance(0.9) ? Math.abs(number(r)) : number(r)})`
    case 8:
      return `${r.pick(TEMPORAL)}(${r.pick(['opened', 'inspectedAt', `INTERVAL(${bound(r)}, ${bound(r)})`, scalar(r, depth)])}, ${r.pick([`INTERVAL(${bound(r)}, ${bound(r)})`, scalar(r, depth), 'opened'])})`
    case 9:
      return r.pick(['TRUE', 'FALSE'])
    case 10:
      return `(${condition(r, depth + 1)}) AND (${condition(r, depth + 1)})`
    case 11:
      return `${condition(r, depth + 1)} OR ${condition(r, depth + 1)}`
    default:
      return `NOT (${condition(r, depth + 1)})`
  }
}

const SOUP = [
  'AND',
  'OR',
  'NOT',
  'LIKE',
  'ILIKE',
  'BETWEEN',
  'IN',
  'IS',
  'NULL',
  'TRUE',
  'FALSE',
  'DATE',
  'TIMESTAMP',
  'INTERVAL',
  'CASEI',
  'ACCENTI',
  'BBOX',
  'POINT',
  'POLYGON',
  'GEOMETRYCOLLECTION',
  'EMPTY',
  'Z',
  'S_INTERSECTS',
  'S_DWITHIN',
  'T_AFTER',
  'A_CONTAINS',
  'div',
  '(',
  ')',
  '(',
  ')',
  ',',
  '=',
  '<>',
  '<',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  ';',
  '--',
  '/*',
  '*/',
  '"',
  "'",
  '\\',
  '[',
  ']',
  '..',
  '1',
  '-1e308',
  '1e999',
  '.5',
  '0x1F',
  "'a'",
  "''",
  "'''",
  '"name"',
  '"',
  'name',
  'geom',
  'opened',
  'drop',
  'table',
  'select',
  '$1',
  '::',
  '\u0000',
  '\uDC00',
  '固原',
  '😀',
  '\n',
  '\t',
]

function soup(r: Random): string {
  return Array.from({ length: r.int(40) }, () => r.pick(SOUP)).join(r.chance(0.5) ? ' ' : '')
}

function mutate(r: Random, text: string): string {
  let s = text
  for (let i = 0, n = 1 + r.int(4); i < n; i++) {
    const at = r.int(s.length + 1)
    switch (r.int(4)) {
      case 0:
        s = s.slice(0, at) + s.slice(at + 1 + r.int(5))
        break
      case 1:
        s = s.slice(0, at) + r.pick(SOUP) + s.slice(at)
        break
      case 2:
        s = s.slice(0, at) + s.slice(r.int(s.length)) // splice a tail in
        break
      default:
        s = s.slice(0, at) + String.fromCharCode(r.int(0x10000)) + s.slice(at)
    }
  }
  return s
}

function randomCharacters(r: Random): string {
  return Array.from({ length: r.int(120) }, () =>
    r.chance(0.7) ? r.pick([...'\'"();,-*/=<>%_ \\.:abcAND OR']) : String.fromCharCode(r.int(0x10000)),
  ).join('')
}

/** Random JSON shaped like CQL2-JSON, with wrong members, types and depths mixed in. */
function json(r: Random, depth = 0): unknown {
  if (depth > 6 || r.chance(0.25)) {
    return r.pick<unknown>([
      { property: r.pick([...NAMES, 'x', "'; drop table x; --"]) },
      r.pick(HOSTILE_STRINGS),
      number(r),
      r.chance(0.5),
      null,
      { date: r.pick(DATES) },
      { timestamp: r.pick(TIMESTAMPS) },
      { interval: [r.pick(['..', ...DATES, ...TIMESTAMPS]), r.chance(0.5) ? { property: 'opened' } : '..'] },
      { bbox: [number(r), number(r), number(r), number(r)] },
      { type: 'Point', coordinates: position(r) },
      { type: 'Polygon', coordinates: [[C, offset(C, 10, 0), offset(C, 10, 10), C]] },
      { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: position(r) }] },
      { type: 'LineString', coordinates: [position(r)] },
      [],
      {},
      { op: 'x', args: 'y' },
      { property: 'name', extra: 1 },
    ])
  }
  const op = r.pick([
    'and',
    'or',
    'not',
    '=',
    '<>',
    '<',
    '>',
    '<=',
    '>=',
    'like',
    'between',
    'in',
    'isNull',
    's_intersects',
    's_within',
    's_dwithin',
    's_crosses',
    't_after',
    't_during',
    't_intersects',
    'casei',
    '+',
    '*',
    '/',
    'div',
    'accenti',
    'a_equals',
    'sql',
  ])
  const arity: Record<string, number> = { not: 1, isNull: 1, casei: 1, accenti: 1, between: 3, s_dwithin: 3 }
  const n = r.chance(0.85) ? (arity[op] ?? 2) : r.int(4)
  const args = Array.from({ length: n }, () => json(r, depth + 1))
  if (op === 'in' && r.chance(0.7)) args[1] = [json(r, depth + 1), json(r, depth + 1)]
  return r.chance(0.95) ? { op, args } : { op, args, sql: 'drop' }
}

/** A tree written as CQL2-JSON, as the standard's JSON schema spells it (for the text/JSON equivalence). */
function toJson(e: Cql2Expression): unknown {
  switch (e.kind) {
    case 'and':
    case 'or':
      return { op: e.kind, args: e.args.map(toJson) }
    case 'not':
      return { op: 'not', args: [toJson(e.arg)] }
    case 'literal':
      return e.value
    case 'comparison':
      return { op: e.op, args: [operandJson(e.left), operandJson(e.right)] }
    case 'like':
      return { op: 'like', args: [operandJson(e.value), operandJson(e.pattern)] }
    case 'between':
      return { op: 'between', args: [operandJson(e.value), operandJson(e.low), operandJson(e.high)] }
    case 'in':
      return { op: 'in', args: [operandJson(e.value), e.list.map(operandJson)] }
    case 'isNull':
      return { op: 'isNull', args: [operandJson(e.value)] }
    case 'spatial':
    case 'temporal':
      return { op: e.op, args: [operandJson(e.left), operandJson(e.right)] }
    case 'dwithin':
      return { op: 's_dwithin', args: [operandJson(e.left), operandJson(e.right), e.distanceM] }
  }
}
function operandJson(o: Cql2Operand): unknown {
  const bound = (b: Cql2IntervalBound) => (b.kind === 'open' ? '..' : b.kind === 'property' ? { property: b.name } : b.value)
  switch (o.kind) {
    case 'property':
      return { property: o.name }
    case 'string':
    case 'number':
    case 'boolean':
      return o.value
    case 'date':
      return { date: o.value }
    case 'timestamp':
      return { timestamp: o.value }
    case 'interval':
      return { interval: [bound(o.start), bound(o.end)] }
    case 'geometry':
      return o.geometry
    case 'bbox':
      return { bbox: o.bbox }
    case 'arithmetic':
      return { op: o.op, args: [operandJson(o.left), operandJson(o.right)] }
    case 'casei':
      return { op: 'casei', args: [operandJson(o.arg)] }
  }
}

// ---------------------------------------------------------------------------------------------------------

/** What the compiler itself writes as SQL literals; anything else quoted in the SQL text would be from the request. */
const OWN_LITERALS = /'UTC'|'-infinity'|'infinity'/g

interface Outcome {
  parsed: number
  compiled: number
  ran: number
}

async function check(
  label: string,
  input: string,
  read: () => ReturnType<typeof parseCql2Text>,
  crs: string | undefined,
  outcome: Outcome,
) {
  const context = `${label}: ${JSON.stringify(input).slice(0, 400)} (filter-crs ${String(crs)})`
  let condition: RawBuilder<boolean>
  try {
    const expression = read()
    outcome.parsed++
    condition = compileCql2(expression, QUERYABLES, { filterCrs: crs })
    outcome.compiled++
  } catch (error) {
    if (!(error instanceof Cql2Error)) throw new Error(`${context} threw ${String(error)}`, { cause: error })
    expect(error.message, context).toMatch(/^filter(-crs)?: ./)
    return
  }
  const query = sql<{ n: number }>`select count(*)::int as n from cql2_fuzz t where ${condition}`
  const text = query.compile(database.db).sql
  expect(text.replace(OWN_LITERALS, ''), context).not.toMatch(/'|;|--|\/\*|drop|pg_sleep/i)
  try {
    await query.execute(database.db)
    outcome.ran++
  } catch (error) {
    throw new Error(`${context} raised a database error: ${String(error)}`, { cause: error })
  }
}

describe('fuzz', () => {
  it('generated filters (mostly well-formed, often wrongly typed) in text, compiled and run', async () => {
    const r = prng(20261201)
    const outcome = { parsed: 0, compiled: 0, ran: 0 }
    for (let i = 0; i < 2500; i++) {
      const text = condition(r)
      await check(`generated #${i}`, text, () => parseCql2Text(text), r.pick(FILTER_CRS), outcome)
    }
    // The generator must reach the database often, or the property above says little.
    expect(outcome.ran).toBeGreaterThan(500)
  })

  it('mutated, random-character and token-soup text, also as GDAL cql-text', async () => {
    const r = prng(13)
    const outcome = { parsed: 0, compiled: 0, ran: 0 }
    for (let i = 0; i < 4000; i++) {
      const kind = i % 3
      const text = kind === 0 ? mutate(r, condition(r)) : kind === 1 ? randomCharacters(r) : soup(r)
      const legacy = r.chance(0.3)
      await check(`text #${i}`, text, () => parseCql2Text(text, { legacy }), r.pick(FILTER_CRS), outcome)
    }
    expect(outcome.parsed).toBeGreaterThan(100)
  })

  it('random and hostile CQL2-JSON, as values and as text', async () => {
    const r = prng(4544)
    const outcome = { parsed: 0, compiled: 0, ran: 0 }
    for (let i = 0; i < 3000; i++) {
      const value = json(r)
      const text = JSON.stringify(value)
      await check(
        `json #${i}`,
        text,
        () => (i % 2 ? parseCql2Json(value) : parseCql2JsonText(r.chance(0.2) ? mutate(r, text) : text)),
        r.pick(FILTER_CRS),
        outcome,
      )
    }
    expect(outcome.parsed).toBeGreaterThan(50)
  })

  it('every generated filter written as CQL2-JSON parses to the same tree, and compiles and runs the same', async () => {
    const r = prng(4545)
    const outcome = { parsed: 0, compiled: 0, ran: 0 }
    let equal = 0
    for (let i = 0; i < 1500; i++) {
      const text = condition(r)
      let tree: Cql2Expression
      try {
        tree = parseCql2Text(text)
      } catch (error) {
        expect(error, text).toBeInstanceOf(Cql2Error)
        continue
      }
      const document = JSON.stringify(toJson(tree))
      expect(parseCql2JsonText(document), `${text} → ${document}`).toEqual(tree)
      equal++
      await check(`as JSON #${i}`, document, () => parseCql2JsonText(document), r.pick(FILTER_CRS), outcome)
    }
    expect(equal).toBeGreaterThan(1000)
    expect(outcome.ran).toBeGreaterThan(200)
  })

  it('huge and deeply nested input ends in a Cql2Error, quickly', async () => {
    const outcome = { parsed: 0, compiled: 0, ran: 0 }
    const inputs = [
      '('.repeat(9_999),
      'NOT '.repeat(2_499),
      '-'.repeat(9_999) + '1 = 1',
      `students = ${'1e308 * '.repeat(1_200)}1`,
      `name IN (${"'a', ".repeat(1_600)}'a')`,
      `S_INTERSECTS(geom, MULTIPOINT(${'1 2, '.repeat(1_900)}1 2))`,
      `S_INTERSECTS(geom, ${'GEOMETRYCOLLECTION('.repeat(400)}`,
      "'".repeat(9_999),
      '"'.repeat(9_999),
      'a'.repeat(10_001),
    ]
    for (const [i, text] of inputs.entries()) await check(`huge #${i}`, text, () => parseCql2Text(text), undefined, outcome)
    expect(outcome.ran).toBeGreaterThanOrEqual(1) // the IN list of 1,601 strings is fine and runs
  })
})
