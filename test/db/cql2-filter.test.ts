/**
 * CQL2 filters compiled and run on the database (both drivers) over a small table of real rows: every operator
 * class, S_DWITHIN at a metre-exact distance against GeographicLib, filter-crs in EPSG:4326 (latitude first)
 * and the CGCS2000 Gauss–Krüger zones against positions GDAL/PROJ computed, refusals, and literals that are
 * only ever parameters.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../server/db/connect.ts'
import {
  compileCql2,
  Cql2Error,
  filterCondition,
  parseCql2Json,
  parseCql2Text,
  type CompileOptions,
  type Queryables,
} from '../../server/modules/ogc/cql2/index.ts'
import { direct, distance } from '../factories/geodesic.ts'
import { GUYUAN, offset, rectangle } from '../factories/registry.ts'
import { createTestDatabase } from '../helpers/database.ts'

let database: DatabaseHandle

const C: [number, number] = [GUYUAN.lon, GUYUAN.lat]
const EAST_500 = offset(C, 500, 0)
const CAMPUS_CENTRE = offset(C, -800, 300)
const CAMPUS = rectangle(CAMPUS_CENTRE, 120, 80)
const ROAD = [offset(C, -1000, -1000), offset(C, 1000, -1000)]

const geojson = (g: unknown) => JSON.stringify(g)
const ROWS = [
  {
    id: 1,
    name: '固原一中',
    kind: 'senior_high',
    students: 1800,
    ratio: 0.5,
    boarding: true,
    opened: '1958-09-01',
    inspected: '2024-05-01T08:00:00Z',
    geom: { type: 'Point', coordinates: C },
  },
  {
    id: 2,
    name: "O'Neil school",
    kind: 'primary',
    students: 300,
    ratio: 1.25,
    boarding: false,
    opened: '2015-09-01',
    inspected: '2023-01-01T00:00:00Z',
    geom: { type: 'Point', coordinates: EAST_500 },
  },
  {
    id: 3,
    name: '原州区幼儿园',
    kind: 'kindergarten',
    students: 120,
    ratio: null,
    boarding: false,
    opened: '2020-03-15',
    inspected: null,
    geom: { type: 'Polygon', coordinates: [CAMPUS] },
  },
  {
    id: 4,
    name: 'Percent 100% shop',
    kind: null,
    students: null,
    ratio: 2,
    boarding: null,
    opened: null,
    inspected: '2024-12-31T23:59:59Z',
    geom: null,
  },
  {
    id: 5,
    name: 'Road',
    kind: 'road',
    students: 0,
    ratio: 0,
    boarding: false,
    opened: '2001-01-01',
    inspected: '2001-01-01T00:00:00Z',
    geom: { type: 'LineString', coordinates: ROAD },
  },
]

const QUERYABLES: Queryables = {
  name: { type: 'string', sql: sql.ref('t.name') },
  kind: { type: 'string', sql: sql.ref('t.kind') },
  students: { type: 'integer', sql: sql.ref('t.students') },
  ratio: { type: 'number', sql: sql.ref('t.ratio') },
  boarding: { type: 'boolean', sql: sql.ref('t.boarding') },
  opened: { type: 'date', sql: sql.ref('t.opened') },
  inspectedAt: { type: 'timestamp', sql: sql.ref('t.inspected_at') },
  geom: { type: 'geometry', sql: sql.ref('t.geom') },
}

beforeAll(async () => {
  database = await createTestDatabase()
  await sql`create table cql2_places (id integer primary key, name text, kind text, students integer, ratio float8, boarding boolean,
    opened date, inspected_at timestamptz, geom geometry(Geometry, 4326))`.execute(database.db)
  for (const r of ROWS) {
    await sql`insert into cql2_places values (${r.id}, ${r.name}, ${r.kind}, ${r.students}, ${r.ratio}, ${r.boarding}, ${r.opened}::date,
      ${r.inspected}::timestamptz, case when ${r.geom === null} then null else ST_SetSRID(ST_GeomFromGeoJSON(${r.geom ? geojson(r.geom) : null}::text), 4326) end)`.execute(
      database.db,
    )
  }
})
afterAll(async () => {
  await database?.close()
})

async function ids(filter: string, options: CompileOptions = {}): Promise<number[]> {
  const condition = compileCql2(parseCql2Text(filter), QUERYABLES, options)
  const result = await sql<{ id: number }>`select id from cql2_places t where ${condition} order by id`.execute(database.db)
  return result.rows.map((r) => Number(r.id))
}

function refusal(read: () => unknown): Cql2Error {
  try {
    read()
  } catch (error) {
    expect(error).toBeInstanceOf(Cql2Error)
    return error as Cql2Error
  }
  throw new Error('the filter was accepted')
}
const refused = (filter: string, options: CompileOptions = {}) => refusal(() => compileCql2(parseCql2Text(filter), QUERYABLES, options))

const wkt = (p: readonly number[]) => `${p[0]} ${p[1]}`

describe('comparison, LIKE, IN, BETWEEN, IS NULL, arithmetic', () => {
  const cases: [string, number[]][] = [
    ['students > 200', [1, 2]],
    ['students <> 300', [1, 3, 5]],
    ["name = 'O''Neil school'", [2]],
    ['ratio >= 1.25', [2, 4]],
    ['boarding = true', [1]],
    ['boarding <> TRUE', [2, 3, 5]],
    ["name LIKE '固原%'", [1]],
    ["name LIKE '%100\\%%'", [4]],
    ["name LIKE '_oad'", [5]],
    ["CASEI(name) LIKE CASEI('o''neil%')", [2]],
    ["name NOT LIKE '%school%'", [1, 3, 4, 5]],
    ["kind IN ('primary', 'road')", [2, 5]],
    ['students NOT IN (300, 0)', [1, 3]],
    ['students BETWEEN 120 AND 300', [2, 3]],
    ['students NOT BETWEEN 120 AND 300', [1, 5]],
    ['kind IS NULL', [4]],
    ['geom IS NOT NULL', [1, 2, 3, 5]],
    ['students / 2 > 500', [1]],
    ['students * ratio > 370', [1, 2]],
    ['students % 7 = 1800 % 7', [1, 3]],
    ['students div 7 = 257', [1]],
    ['students / 0 > 1 OR students % 0 = 0', []],
    ['(students + 1e308) * 1e308 * 1e308 > 0', [1, 2, 3, 5]],
    ['students > ratio', [1, 2]],
    ["NOT (kind = 'road' OR students > 1000) AND students IS NOT NULL", [2, 3]],
    ['TRUE AND NOT FALSE', [1, 2, 3, 4, 5]],
  ]
  for (const [filter, expected] of cases) it(filter, async () => expect(await ids(filter)).toEqual(expected))
})

describe('dates, timestamps and the temporal functions', () => {
  const cases: [string, number[]][] = [
    ["opened > DATE('2015-01-01')", [2, 3]],
    ["inspectedAt >= TIMESTAMP('2024-01-01T00:00:00Z')", [1, 4]],
    ["opened < TIMESTAMP('2016-01-01T00:00:00Z')", [1, 2, 5]],
    ["inspectedAt > TIMESTAMP('2024-05-01T16:00:00+08:00')", [4]],
    ["T_BEFORE(opened, DATE('2000-01-01'))", [1]],
    ["T_AFTER(inspectedAt, TIMESTAMP('2024-06-01T00:00:00Z'))", [4]],
    ["T_DURING(opened, INTERVAL('2015-01-01', '2021-01-01'))", [2, 3]],
    ["T_INTERSECTS(inspectedAt, INTERVAL('2024-01-01T00:00:00Z', '..'))", [1, 4]],
    ["T_EQUALS(opened, DATE('2020-03-15'))", [3]],
    ["T_DISJOINT(opened, INTERVAL('..', '2000-01-01'))", [2, 3, 5]],
    ["T_INTERSECTS(INTERVAL(opened, inspectedAt), INTERVAL('2016-01-01T00:00:00Z', '2022-12-31T00:00:00Z'))", [1, 2]],
    ["T_CONTAINS(INTERVAL(opened, inspectedAt), DATE('2023-01-01'))", [1]],
    ["T_STARTS(INTERVAL('2015-09-01', '2016-01-01'), INTERVAL(opened, inspectedAt))", [2]],
    ["T_MEETS(INTERVAL('2000-01-01', '2015-09-01'), INTERVAL(opened, '..'))", [2]],
  ]
  for (const [filter, expected] of cases) it(filter, async () => expect(await ids(filter)).toEqual(expected))
})

describe('spatial functions', () => {
  const box = `BBOX(${C[0] - 0.001}, ${C[1] - 0.001}, ${C[0] + 0.001}, ${C[1] + 0.001})`
  const cases: [string, number[]][] = [
    [`S_INTERSECTS(geom, ${box})`, [1]],
    [`S_DISJOINT(geom, ${box})`, [2, 3, 5]],
    [`S_EQUALS(geom, POINT(${wkt(C)}))`, [1]],
    [`S_CONTAINS(geom, POINT(${wkt(CAMPUS_CENTRE)}))`, [3]],
    [
      `S_WITHIN(geom, POLYGON((${[offset(C, -2000, -2000), offset(C, 2000, -2000), offset(C, 2000, 2000), offset(C, -2000, 2000), offset(C, -2000, -2000)].map(wkt).join(', ')})))`,
      [1, 2, 3, 5],
    ],
    [`S_CROSSES(geom, LINESTRING(${wkt(offset(C, 0, -2000))}, ${wkt(offset(C, 0, 0))}))`, [5]],
    [`S_TOUCHES(geom, POINT(${wkt(CAMPUS[0]!)}))`, [3]],
    [
      `S_OVERLAPS(geom, POLYGON((${[offset(CAMPUS_CENTRE, 0, -100), offset(CAMPUS_CENTRE, 200, -100), offset(CAMPUS_CENTRE, 200, 100), offset(CAMPUS_CENTRE, 0, 100), offset(CAMPUS_CENTRE, 0, -100)].map(wkt).join(', ')})))`,
      [3],
    ],
    [`S_INTERSECTS(geom, MULTIPOINT((${wkt(C)}), (${wkt(EAST_500)})))`, [1, 2]],
    [
      `S_INTERSECTS(geom, GEOMETRYCOLLECTION(POINT(${wkt(EAST_500)}), LINESTRING(${wkt(offset(C, 0, -2000))}, ${wkt(offset(C, 0, 0))})))`,
      [1, 2, 5],
    ],
  ]
  for (const [filter, expected] of cases) it(filter.slice(0, 60), async () => expect(await ids(filter)).toEqual(expected))

  it('a geometry collection works with S_INTERSECTS, S_DISJOINT and S_DWITHIN and is refused by the others', async () => {
    const collection = `GEOMETRYCOLLECTION(POINT(${wkt(C)}), POLYGON((${CAMPUS.map(wkt).join(', ')})), LINESTRING(${ROAD.map(wkt).join(', ')}))`
    expect(await ids(`S_INTERSECTS(geom, ${collection})`)).toEqual([1, 3, 5])
    expect(await ids(`S_INTERSECTS(${collection}, geom)`)).toEqual([1, 3, 5])
    expect(await ids(`S_DISJOINT(geom, ${collection})`)).toEqual([2])
    expect(await ids(`S_DWITHIN(geom, ${collection}, 10)`)).toEqual([1, 3, 5])
    for (const op of ['S_EQUALS', 'S_TOUCHES', 'S_WITHIN', 'S_OVERLAPS', 'S_CROSSES', 'S_CONTAINS']) {
      expect(refused(`${op}(geom, ${collection})`).message).toBe(
        `filter: ${op} with a GEOMETRYCOLLECTION is not supported; use S_INTERSECTS or S_DISJOINT, or one condition per member`,
      )
    }
  })

  it('CQL2-JSON with a GeoJSON geometry gives the text filter’s rows', async () => {
    const json = { op: 's_intersects', args: [{ property: 'geom' }, { type: 'MultiPoint', coordinates: [C, EAST_500] }] }
    const condition = compileCql2(parseCql2Json(json), QUERYABLES)
    const rows = await sql<{ id: number }>`select id from cql2_places t where ${condition} order by id`.execute(database.db)
    expect(rows.rows.map((r) => Number(r.id))).toEqual([1, 2])
  })
})

describe('S_DWITHIN: metres on the ellipsoid', () => {
  for (const azimuth of [0, 45, 90, 200]) {
    it(`a point 200 m away at azimuth ${azimuth}° is within 1 cm more and not within 1 cm less`, async () => {
      const q = direct(C, azimuth, 200)
      const d = distance(C, q) // GeographicLib
      expect(d).toBeCloseTo(200, 6)
      expect(await ids(`S_DWITHIN(geom, POINT(${wkt(q)}), ${d + 0.01})`)).toEqual([1])
      expect(await ids(`S_DWITHIN(geom, POINT(${wkt(q)}), ${d - 0.01})`)).toEqual([])
      const measured = await sql<{
        d: number
      }>`select ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(${q[0]}::float8, ${q[1]}::float8), 4326)::geography) as d from cql2_places where id = 1`.execute(
        database.db,
      )
      expect(Math.abs(Number(measured.rows[0]!.d) - d)).toBeLessThan(0.001)
    })
  }

  it('reaches the road and the campus by their nearest part', async () => {
    // The road runs 1,000 m south of the centre; the campus edge lies 800 − 60 = 740 m west of it.
    expect(await ids(`S_DWITHIN(geom, POINT(${wkt(C)}), 990)`)).toEqual([1, 2, 3])
    expect(await ids(`S_DWITHIN(geom, POINT(${wkt(C)}), 1010)`)).toEqual([1, 2, 3, 5])
  })
})

describe('filter-crs', () => {
  // gdaltransform -s_srs EPSG:4326 -t_srs EPSG:4544 (and 4545) -output_xy of the centre (106.238411, 36.016037):
  const GK_4544 = { easting: 611639.797411758, northing: 3988031.62893008 }
  const GK_4545 = { easting: 341193.015563069, northing: 3988757.8998119 }

  it('EPSG:4544 (CM 105°E): northing first, transformed to within 1 cm of the WGS84 position', async () => {
    const options = { filterCrs: 'http://www.opengis.net/def/crs/EPSG/0/4544' }
    expect(await ids(`S_DWITHIN(geom, POINT(${GK_4544.northing} ${GK_4544.easting}), 0.01)`, options)).toEqual([1])
    expect(
      await ids(
        `S_INTERSECTS(geom, BBOX(${GK_4544.northing - 1}, ${GK_4544.easting - 1}, ${GK_4544.northing + 1}, ${GK_4544.easting + 1}))`,
        options,
      ),
    ).toEqual([1])
    expect(
      await ids(
        `S_INTERSECTS(geom, BBOX(${GK_4544.northing + 1}, ${GK_4544.easting - 1}, ${GK_4544.northing + 3}, ${GK_4544.easting + 1}))`,
        options,
      ),
    ).toEqual([])
    // Easting first (the traditional GIS order) is a position far outside the zone.
    expect(refused(`S_INTERSECTS(geom, POINT(${GK_4544.easting} ${GK_4544.northing}))`, options).message).toMatch(
      /outside the Gauss–Krüger zone of EPSG:4544/,
    )
  })

  it('a projected polygon is densified before it is transformed: its edges stay where they are on the ground', async () => {
    // A 60 km square in EPSG:4544 whose southern edge passes 20 m north of the centre: in degrees that edge is
    // curved (the chord between its corners runs about 50 m south of it at the middle), so joining the transformed corners alone would move it south of the centre.
    const [n, e] = [GK_4544.northing + 20, GK_4544.easting]
    const square = `POLYGON((${n} ${e - 30_000}, ${n} ${e + 30_000}, ${n + 60_000} ${e + 30_000}, ${n + 60_000} ${e - 30_000}, ${n} ${e - 30_000}))`
    expect(await ids(`S_INTERSECTS(geom, ${square})`, { filterCrs: 'EPSG:4544' })).not.toContain(1)
    const below = square.replaceAll(String(n), String(n - 40))
    expect(await ids(`S_INTERSECTS(geom, ${below})`, { filterCrs: 'EPSG:4544' })).toContain(1)
  })

  it('EPSG:4545 (CM 108°E) and the CURIE form', async () => {
    expect(await ids(`S_DWITHIN(geom, POINT(${GK_4545.northing} ${GK_4545.easting}), 0.01)`, { filterCrs: 'EPSG:4545' })).toEqual([1])
    expect(await ids(`S_DWITHIN(geom, POINT(${GK_4545.northing} ${GK_4545.easting}), 0.01)`, { filterCrs: '[EPSG:4545]' })).toEqual([1])
  })

  it('EPSG:4326 and EPSG:4490 take latitude first; CRS84 longitude first', async () => {
    const latLonBox = `BBOX(${C[1] - 0.001}, ${C[0] - 0.001}, ${C[1] + 0.001}, ${C[0] + 0.001})`
    expect(await ids(`S_INTERSECTS(geom, ${latLonBox})`, { filterCrs: 'http://www.opengis.net/def/crs/EPSG/0/4326' })).toEqual([1])
    expect(await ids(`S_INTERSECTS(geom, POINT(${C[1]} ${C[0]}))`, { filterCrs: 'http://www.opengis.net/def/crs/EPSG/0/4490' })).toEqual([
      1,
    ])
    expect(await ids(`S_INTERSECTS(geom, POINT(${wkt(C)}))`, { filterCrs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84' })).toEqual([1])
    expect(refused(`S_INTERSECTS(geom, ${latLonBox})`).message).toBe(
      `filter: the position (${C[1] - 0.001} ${C[0] - 0.001}) is outside the range of longitude, latitude`,
    )
  })

  it('an unknown filter-crs is refused naming filter-crs', () => {
    const error = refused('S_INTERSECTS(geom, POINT(1 2))', { filterCrs: 'http://www.opengis.net/def/crs/EPSG/0/3857' })
    expect(error.field).toBe('filter-crs')
    expect(error.message).toMatch(/^filter-crs: "http:\/\/www.opengis.net\/def\/crs\/EPSG\/0\/3857" is not supported; use one of /)
  })
})

describe('refusals at compile time', () => {
  const cases: [string, string][] = [
    [
      "colour = 'red'",
      'filter: unknown property "colour"; the queryables are name, kind, students, ratio, boarding, opened, inspectedAt, geom',
    ],
    ['name = 3', 'filter: cannot compare with = a string and a number'],
    ["students LIKE '1%'", 'filter: LIKE needs a string on its left, got a number'],
    ['name LIKE kind', 'filter: the pattern of LIKE must be a string literal'],
    ['S_INTERSECTS(name, POINT(1 2))', 'filter: S_INTERSECTS needs geometries, got a string'],
    ['geom = POINT(1 2)', 'filter: a geometry cannot be compared with =; use S_EQUALS or S_INTERSECTS'],
    ["T_AFTER(name, DATE('2020-01-01'))", 'filter: T_AFTER needs dates, timestamps or intervals, got a string'],
    ["opened > '2020-01-01'", 'filter: cannot compare with > a date and a string'],
    ['boarding > false', 'filter: booleans cannot be compared with >'],
    ['students + name > 1', 'filter: arithmetic (+) needs numbers, got a string'],
    ["CASEI(students) = 'a'", 'filter: CASEI needs a string, got a number'],
    ["students IN (1, 2, '3')", 'filter: cannot use IN on a number and a string'],
    [`S_INTERSECTS(geom, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))`, 'filter: a polygon of the filter is not valid:'],
  ]
  for (const [filter, message] of cases) it(filter, () => expect(refused(filter).message.startsWith(message)).toBe(true))
})

describe('literals are parameters, never SQL', () => {
  it('a string with quotes, semicolons and comments is bound and matches nothing', async () => {
    const hostile = "x'; drop table cql2_places; -- /* */"
    const condition = compileCql2(parseCql2Json({ op: '=', args: [{ property: 'name' }, hostile] }), QUERYABLES)
    const compiled = sql`select id from cql2_places t where ${condition}`.compile(database.db)
    expect(compiled.sql).not.toContain('drop')
    expect(compiled.parameters).toContain(hostile)
    expect(await ids(`name = '${hostile.replace(/'/g, "''")}'`)).toEqual([])
    expect(await ids('students > 0')).toEqual([1, 2, 3])
  })

  it('a LIKE pattern ending in the escape character is refused (the database would raise an error)', () => {
    const like = parseCql2Json({ op: 'like', args: [{ property: 'name' }, 'abc\\'] })
    expect(refusal(() => compileCql2(like, QUERYABLES)).message).toBe('filter: a LIKE pattern may not end with the escape character \\')
  })

  it('a property name that is SQL is refused as unknown', () => {
    expect(refused('"name""; drop table cql2_places; --" = 1').message).toMatch(/^filter: unknown property/)
    expect(refusal(() => compileCql2(parseCql2Json({ op: 'isNull', args: [{ property: 't.id) or (1=1' }] }), QUERYABLES)).message).toMatch(
      /^filter: unknown property "t.id\) or \(1=1"/,
    )
    expect(refused('constructor IS NULL').message).toMatch(/^filter: unknown property "constructor"/)
  })
})

describe("GDAL ≤ 3.6's cql-text", () => {
  it('dates and timestamps written as strings compare with date and timestamp properties', async () => {
    const run = async (filter: string, language: string) => {
      const condition = filterCondition(filter, language, undefined, QUERYABLES)
      const rows = await sql<{ id: number }>`select id from cql2_places t where ${condition} order by id`.execute(database.db)
      return rows.rows.map((r) => Number(r.id))
    }
    expect(await run("(name = 'O''Neil school') AND (opened >= '2015-09-01T')", 'cql-text')).toEqual([2])
    expect(await run("(inspectedAt > '2024-06-01T00:00:00Z')", 'cql-text')).toEqual([4])
    expect(await run("(name ILIKE '%SCHOOL%') OR (kind IS NULL)", 'cql-text')).toEqual([2, 4])
    expect(refusal(() => filterCondition("(opened >= '2015-09-01T')", 'cql2-text', undefined, QUERYABLES)).message).toBe(
      'filter: cannot compare with >= a date and a string',
    )
    expect(refusal(() => filterCondition('a = 1', 'sql', undefined, QUERYABLES)).message).toMatch(
      /is not supported; use cql2-text, cql2-json or cql-text/,
    )
  })
})
