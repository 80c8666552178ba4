/**
 * The CQL2 parsers: the standard's examples (OGC 21-065r2, clause 6–9 and annex), the same filter in both
 * encodings giving the same tree, GDAL ≤ 3.6's cql-text, and refusals with a position and a human message.
 */
import { describe, expect, it } from 'vitest'
import { Cql2Error, parseCql2Json, parseCql2JsonText, parseCql2Text, type Cql2Expression } from '../../server/modules/ogc/cql2/index.ts'

/** The refusal a filter gets (fails the test if it is accepted or throws anything else). */
function refusal(read: () => unknown): Cql2Error {
  try {
    read()
  } catch (error) {
    expect(error).toBeInstanceOf(Cql2Error)
    return error as Cql2Error
  }
  throw new Error('the filter was accepted')
}

const P = (name: string) => ({ kind: 'property', name }) as const

describe('the standard’s examples: text and JSON give one tree', () => {
  const pairs: [string, unknown][] = [
    ["city='Toronto'", { op: '=', args: [{ property: 'city' }, 'Toronto'] }],
    ['avg_wind_speed < 4', { op: '<', args: [{ property: 'avg_wind_speed' }, 4] }],
    ['balance-150.0 > 0', { op: '>', args: [{ op: '-', args: [{ property: 'balance' }, 150.0] }, 0] }],
    ["updated >= date('1970-01-01')", { op: '>=', args: [{ property: 'updated' }, { date: '1970-01-01' }] }],
    ['"owner" LIKE \'%Jones%\'', { op: 'like', args: [{ property: 'owner' }, '%Jones%'] }],
    ["owner NOT LIKE '%Mike%'", { op: 'not', args: [{ op: 'like', args: [{ property: 'owner' }, '%Mike%'] }] }],
    ['swimming_pool = true', { op: '=', args: [{ property: 'swimming_pool' }, true] }],
    ['depth BETWEEN 100.0 and 150.0', { op: 'between', args: [{ property: 'depth' }, 100.0, 150.0] }],
    [
      "cityName IN ('Toronto','Frankfurt','Tokyo','New York')",
      { op: 'in', args: [{ property: 'cityName' }, ['Toronto', 'Frankfurt', 'Tokyo', 'New York']] },
    ],
    ['category NOT IN (1,2,3,4)', { op: 'not', args: [{ op: 'in', args: [{ property: 'category' }, [1, 2, 3, 4]] }] }],
    ['geometry IS NOT NULL', { op: 'not', args: [{ op: 'isNull', args: [{ property: 'geometry' }] }] }],
    ['eo:cloud_cover BETWEEN 0 AND 50', { op: 'between', args: [{ property: 'eo:cloud_cover' }, 0, 50] }],
    [
      'vehicle_height > (bridge_clearance-1)',
      { op: '>', args: [{ property: 'vehicle_height' }, { op: '-', args: [{ property: 'bridge_clearance' }, 1] }] },
    ],
    [
      'S_INTERSECTS(geometry,POLYGON((-10.0 50.0,10.0 50.0,10.0 56.0,-10.0 56.0,-10.0 50.0)))',
      {
        op: 's_intersects',
        args: [
          { property: 'geometry' },
          {
            type: 'Polygon',
            coordinates: [
              [
                [-10.0, 50.0],
                [10.0, 50.0],
                [10.0, 56.0],
                [-10.0, 56.0],
                [-10.0, 50.0],
              ],
            ],
          },
        ],
      },
    ],
    [
      'S_INTERSECTS(geometry, BBOX(-118,33.8,-117.9,34))',
      { op: 's_intersects', args: [{ property: 'geometry' }, { bbox: [-118, 33.8, -117.9, 34] }] },
    ],
    [
      "T_INTERSECTS(event_date,INTERVAL('1969-07-16T05:32:00Z','1969-07-24T16:50:35Z'))",
      { op: 't_intersects', args: [{ property: 'event_date' }, { interval: ['1969-07-16T05:32:00Z', '1969-07-24T16:50:35Z'] }] },
    ],
    [
      "T_DURING(INTERVAL(touchdown, liftOff),INTERVAL('1969-07-16T13:32:00Z', '1969-07-24T16:50:35Z'))",
      {
        op: 't_during',
        args: [
          { interval: [{ property: 'touchdown' }, { property: 'liftOff' }] },
          { interval: ['1969-07-16T13:32:00Z', '1969-07-24T16:50:35Z'] },
        ],
      },
    ],
    [
      "CASEI(road_class) IN (CASEI('Οδος'),CASEI('Straße'))",
      {
        op: 'in',
        args: [
          { op: 'casei', args: [{ property: 'road_class' }] },
          [
            { op: 'casei', args: ['Οδος'] },
            { op: 'casei', args: ['Straße'] },
          ],
        ],
      },
    ],
    [
      "T_BEFORE(built, TIMESTAMP('2015-01-01T00:00:00Z')) AND T_AFTER(built, DATE('2012-06-05'))",
      {
        op: 'and',
        args: [
          { op: 't_before', args: [{ property: 'built' }, { timestamp: '2015-01-01T00:00:00Z' }] },
          { op: 't_after', args: [{ property: 'built' }, { date: '2012-06-05' }] },
        ],
      },
    ],
    [
      'S_WITHIN(location, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))) OR NOT S_CROSSES(road, LINESTRING(0 0, 1 1))',
      {
        op: 'or',
        args: [
          {
            op: 's_within',
            args: [
              { property: 'location' },
              {
                type: 'MultiPolygon',
                coordinates: [
                  [
                    [
                      [0, 0],
                      [1, 0],
                      [1, 1],
                      [0, 0],
                    ],
                  ],
                  [
                    [
                      [5, 5],
                      [6, 5],
                      [6, 6],
                      [5, 5],
                    ],
                  ],
                ],
              },
            ],
          },
          {
            op: 'not',
            args: [
              {
                op: 's_crosses',
                args: [
                  { property: 'road' },
                  {
                    type: 'LineString',
                    coordinates: [
                      [0, 0],
                      [1, 1],
                    ],
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
    [
      'S_DWITHIN(geom, POINT(106.2384 36.016), 200)',
      { op: 's_dwithin', args: [{ property: 'geom' }, { type: 'Point', coordinates: [106.2384, 36.016] }, 200] },
    ],
  ]
  for (const [text, json] of pairs) {
    it(text, () => {
      const fromText = parseCql2Text(text)
      expect(parseCql2Json(json)).toEqual(fromText)
      expect(parseCql2JsonText(JSON.stringify(json))).toEqual(fromText)
    })
  }
})

describe('cql2-text', () => {
  it('reads AND before OR and NOT before AND, and flattens chains', () => {
    const c = (name: string) => ({ kind: 'comparison', op: '=', left: P(name), right: { kind: 'number', value: 1 } }) as const
    expect(parseCql2Text('a = 1 OR b = 1 AND NOT c = 1 OR d = 1')).toEqual({
      kind: 'or',
      args: [c('a'), { kind: 'and', args: [c('b'), { kind: 'not', arg: c('c') }] }, c('d')],
    })
  })

  it('takes a parenthesis around a value or a condition', () => {
    expect(parseCql2Text('(a + 1) * 2 >= 3')).toMatchObject({ kind: 'comparison', left: { kind: 'arithmetic', op: '*' } })
    expect(parseCql2Text('((a = 1))')).toMatchObject({ kind: 'comparison' })
  })

  it("reads '' and \\' as a quote inside a string, and keywords in any case", () => {
    expect(parseCql2Text("name = 'O''Brien' and nick = 'it\\'s'")).toEqual({
      kind: 'and',
      args: [
        { kind: 'comparison', op: '=', left: P('name'), right: { kind: 'string', value: "O'Brien" } },
        { kind: 'comparison', op: '=', left: P('nick'), right: { kind: 'string', value: "it's" } },
      ],
    })
  })

  it('reads Chinese property names bare or quoted, and quoted names that are keywords', () => {
    expect(parseCql2Text("名称 = '固原一中'")).toEqual(parseCql2Text('"名称" = \'固原一中\''))
    expect(parseCql2Text('"date" IS NULL')).toEqual({ kind: 'isNull', value: P('date') })
  })

  it('reads WKT with Z, both MULTIPOINT forms and a geometry collection', () => {
    expect(parseCql2Text('S_EQUALS(g, POINT Z (1 2 3))')).toMatchObject({ right: { geometry: { type: 'Point', coordinates: [1, 2] } } })
    expect(parseCql2Text('S_EQUALS(g, MULTIPOINT((1 2), (3 4)))')).toEqual(parseCql2Text('S_EQUALS(g, MULTIPOINT(1 2, 3 4))'))
    expect(parseCql2Text('S_TOUCHES(g, GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(1 2, 3 4)))')).toMatchObject({
      right: { geometry: { type: 'GeometryCollection', geometries: [{ type: 'Point' }, { type: 'LineString' }] } },
    })
  })

  it('has no comments: -- is two minus signs', () => {
    expect(parseCql2Text('a = 1 -- b')).toMatchObject({
      right: { kind: 'arithmetic', op: '-', right: { kind: 'arithmetic', right: P('b') } },
    })
  })

  it('reads negative numbers, exponents and unary minus', () => {
    expect(parseCql2Text('a = -1.5e3')).toMatchObject({ right: { kind: 'number', value: -1500 } })
    expect(parseCql2Text('-a < .5')).toMatchObject({ left: { kind: 'arithmetic', op: '*' }, right: { value: 0.5 } })
  })

  it('reads every temporal operator of CQL2 1.0', () => {
    for (const op of [
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
    ]) {
      expect(parseCql2Text(`${op}(d, INTERVAL('2020-01-01', '..'))`)).toMatchObject({ kind: 'temporal', op: op.toLowerCase() })
    }
  })
})

describe('GDAL ≤ 3.6 cql-text (filter-lang=cql-text)', () => {
  it('reads what the OAPIF driver writes for -where', () => {
    // Its BuildFilterCQLText: parenthesised AND/OR, bare names, '' escapes, dates as strings, ILIKE.
    const gdal = "((name = 'O''Neil') AND (students > 300)) OR ((opened >= '2020-09-01T') AND (kind IS NULL))"
    expect(parseCql2Text(gdal, { legacy: true })).toEqual(parseCql2Text(gdal))
    expect(parseCql2Text("name ILIKE '%一中%'", { legacy: true })).toEqual(parseCql2Text("CASEI(name) LIKE CASEI('%一中%')"))
  })

  it('ILIKE is refused in cql2-text with the CQL2 spelling', () => {
    expect(refusal(() => parseCql2Text("name ILIKE 'a%'")).message).toBe(
      "filter: ILIKE is not CQL2: write CASEI(property) LIKE CASEI('pattern') at character 6",
    )
  })
})

describe('refusals: a Cql2Error with a position and a human message', () => {
  const cases: [string, string][] = [
    ["name = 'x' AND (kind = 'y'", "filter: expected ')', got the end of the filter at character 27"],
    ['name =', 'filter: expected a value or a condition, got the end of the filter at character 7'],
    ["name = 'abc", "filter: a string is not closed (expected ') at character 8"],
    [
      'name',
      'filter: expected a condition (a comparison, LIKE, IN, BETWEEN, IS NULL or a function such as S_INTERSECTS), got a value at character 1',
    ],
    ['a = 1 b = 2', "filter: expected AND, OR or the end of the filter, got 'b' at character 7"],
    ['a = 1; drop table schools', 'filter: unexpected character ";" at character 6'],
    ['a = 1 /* comment */', "filter: expected a value or a condition, got '*' at character 8"],
    ['', 'filter: the filter is empty'],
    ["d = DATE('2021-02-29')", 'filter: "2021-02-29" is not a date (YYYY-MM-DD) at character 10'],
    ["t = TIMESTAMP('2021-02-01 10:00')", 'filter: "2021-02-01 10:00" is not a timestamp (YYYY-MM-DDTHH:MM:SSZ) at character 15'],
    ['S_INTERSECTS(g, POLYGON((0 0, 1 0, 1 1)))', 'filter: a polygon ring needs at least 4 positions at character 17'],
    ['S_INTERSECTS(g, POLYGON((0 0, 1 0, 1 1, 0 1)))', 'filter: a polygon ring must end where it starts at character 17'],
    ['S_INTERSECTS(g, POINT EMPTY)', 'filter: empty geometries are not supported at character 23'],
    ["ACCENTI(name) = 'a'", 'filter: ACCENTI (accent-insensitive comparison) is not supported at character 1'],
    ['A_CONTAINS(tags, (1))', 'filter: A_CONTAINS: array functions are not supported at character 1'],
    ['pg_sleep(10) = 1', 'filter: unknown function "pg_sleep" at character 1'],
    ['S_DWITHIN(g, POINT(1 2), -5)', 'filter: the distance of S_DWITHIN must not be negative at character 26'],
    ['a = 1e999', 'filter: a number is out of range at character 5'],
    ["a = 'x\u0000y'", 'filter: a string may not contain the NUL character at character 5'],
  ]
  for (const [text, message] of cases) {
    it(JSON.stringify(text), () => {
      const error = refusal(() => parseCql2Text(text))
      expect(error.message).toBe(message)
      expect(error.field).toBe('filter')
    })
  }

  it('bounds length and nesting so hostile input cannot exhaust the stack', () => {
    expect(refusal(() => parseCql2Text(`a = '${'x'.repeat(10_000)}'`)).message).toBe('filter: the filter is longer than 10000 characters')
    expect(refusal(() => parseCql2Text('('.repeat(5000) + 'a = 1' + ')'.repeat(5000))).message).toBe(
      'filter: the filter is longer than 10000 characters',
    )
    expect(refusal(() => parseCql2Text('('.repeat(4000))).message).toMatch(
      /^filter: the filter is nested more than 100 levels deep at character \d+$/,
    )
    expect(refusal(() => parseCql2Text('NOT '.repeat(2000) + 'a = 1')).message).toMatch(/nested more than 100 levels/)
    expect(refusal(() => parseCql2Text('-'.repeat(5000) + 'a = 1')).message).toMatch(/nested more than 100 levels/)
    expect(refusal(() => parseCql2Text('S_INTERSECTS(g, ' + 'GEOMETRYCOLLECTION('.repeat(500))).message).toMatch(
      /nested more than 100 levels/,
    )
    // 99 levels are fine.
    expect(parseCql2Text('('.repeat(98) + 'a = 1' + ')'.repeat(98))).toMatchObject({ kind: 'comparison' })
  })
})

describe('cql2-json refusals', () => {
  it('names the place in the document', () => {
    expect(
      refusal(() =>
        parseCql2Json({
          op: 'and',
          args: [
            { op: '=', args: [{ property: 'a' }, 1] },
            { op: 'like', args: [1] },
          ],
        }),
      ).message,
    ).toBe('filter: like takes 2 arguments, got 1 (at $.args[1].args)')
    expect(refusal(() => parseCql2Json({ op: 'drop', args: [] })).message).toBe('filter: unknown operator "drop" (at $)')
    expect(refusal(() => parseCql2Json({ op: '=', args: [{ property: 'a', sql: 'x' }, 1] })).message).toBe(
      'filter: unexpected member "sql" (at $.args[0])',
    )
    expect(refusal(() => parseCql2Json({ property: 'a' })).message).toMatch(/^filter: expected a condition/)
    expect(
      refusal(() => parseCql2Json({ op: 's_intersects', args: [{ property: 'g' }, { type: 'Point', coordinates: [1] }] })).message,
    ).toBe('filter: expected a position of 2 or 3 finite numbers (at $.args[1].coordinates)')
    expect(refusal(() => parseCql2JsonText('{"op": "=", ')).message).toBe('filter: the filter is not valid JSON')
  })

  it('bounds nesting and size', () => {
    let deep: unknown = true
    for (let i = 0; i < 100_000; i++) deep = { op: 'not', args: [deep] }
    expect(refusal(() => parseCql2Json(deep)).message).toMatch(/^filter: the filter is nested more than 100 levels deep/)
    const wide = { op: 'in', args: [{ property: 'a' }, Array.from({ length: 50_000 }, (_, i) => i)] }
    expect(refusal(() => parseCql2Json(wide)).message).toBe('filter: the filter has more than 20000 parts')
    const cyclic: Record<string, unknown> = { op: 'not' }
    cyclic.args = [cyclic]
    expect(refusal(() => parseCql2Json(cyclic)).message).toMatch(/nested more than 100 levels/)
  })
})

it('a tree is plain data (serialisable, no positions), so equal filters compare equal', () => {
  const tree: Cql2Expression = parseCql2Text("a = 1 AND S_INTERSECTS(g, BBOX(1, 2, 3, 4)) AND T_AFTER(d, DATE('2020-01-01'))")
  expect(JSON.parse(JSON.stringify(tree))).toEqual(tree)
})
