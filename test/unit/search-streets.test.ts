import { describe, expect, it } from 'vitest'
import type { StreetWayRow } from '../../server/modules/search/repository.ts'
import { streetsOf } from '../../server/modules/search/service.ts'

let nextId = 1
const way = (overrides: Partial<StreetWayRow> & { key: string; cluster: number; county_code: string | null }): StreetWayRow => {
  const id = nextId++
  return {
    id,
    name: overrides.key,
    exact: false,
    key_length: Array.from(overrides.key).length,
    length_m: 100,
    lon: 106 + id / 1000,
    lat: 36,
    bbox: [106 + id / 1000, 36, 106 + id / 1000 + 0.001, 36.001],
    distance_m: null,
    candidates: 0,
    ...overrides,
  }
}

describe('grouping ways into streets', () => {
  it('ways of one name in one county are one street, however far apart', () => {
    const rows = streetsOf(
      [way({ key: '文化街', cluster: 0, county_code: 'A' }), way({ key: '文化街', cluster: 1, county_code: 'A' })],
      'prefix',
      false,
      10,
    )
    expect(rows).toHaveLength(1)
  })

  it('ways of one name near each other are one street across a county line, and the longest way places it', () => {
    const longest = way({ key: '团结路', cluster: 0, county_code: 'B', length_m: 500 })
    const rows = streetsOf([way({ key: '团结路', cluster: 0, county_code: 'A' }), longest], 'prefix', false, 10)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ county_code: 'B', lon: longest.lon, lat: longest.lat })
  })

  it('ways of one name far apart in two counties are two streets', () => {
    const rows = streetsOf(
      [way({ key: '团结路', cluster: 0, county_code: 'A' }), way({ key: '团结路', cluster: 1, county_code: 'B' })],
      'prefix',
      false,
      10,
    )
    expect(rows.map((r) => r.county_code).sort()).toEqual(['A', 'B'])
  })

  it('joins transitively: county A near a way of county B, which shares B with a far one', () => {
    const rows = streetsOf(
      [
        way({ key: '长城路', cluster: 0, county_code: 'A' }),
        way({ key: '长城路', cluster: 0, county_code: 'B' }),
        way({ key: '长城路', cluster: 1, county_code: 'B' }),
        way({ key: '长城路', cluster: 2, county_code: null }),
      ],
      'prefix',
      false,
      10,
    )
    expect(rows).toHaveLength(2)
  })

  it('different names are different streets; an exact way makes its street exact and first', () => {
    const rows = streetsOf(
      [way({ key: '文化巷', cluster: 0, county_code: 'A' }), way({ key: '文化街', cluster: 0, county_code: 'A', exact: true })],
      'prefix',
      false,
      10,
    )
    expect(rows.map((r) => [r.name, r.tier])).toEqual([
      ['文化街', 'exact'],
      ['文化巷', 'prefix'],
    ])
  })

  it('the extent covers every way of the street', () => {
    const a = way({ key: '北京路', cluster: 0, county_code: 'A', bbox: [106.1, 36.1, 106.2, 36.2] })
    const b = way({ key: '北京路', cluster: 0, county_code: 'A', bbox: [106.15, 36.0, 106.3, 36.15] })
    expect(streetsOf([a, b], 'prefix', false, 10)[0]!.bbox).toEqual([106.1, 36.0, 106.3, 36.2])
  })
})
