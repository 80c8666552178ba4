import { sql } from 'kysely'
import type TestAgent from 'supertest/lib/agent.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SearchItem } from '../../server/schemas/search.ts'
import { fillMissingPinyin } from '../../server/modules/search/repository.ts'
import { GUYUAN, offset } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

type Position = [number, number]
const CENTER = [GUYUAN.lon, GUYUAN.lat] as const
/** A point in 西吉县 (640422), far from the city centre in 原州区 (640402). */
const XIJI = [105.73, 35.965] as const
const at = (east: number, north: number, from: readonly number[] = CENTER): Position => offset(from, east, north)
const way = (name: string, points: Position[]) => ({
  type: 'Feature',
  properties: { highway: 'residential', name },
  geometry: { type: 'LineString', coordinates: points },
})

/**
 * 文化街 is drawn as three ways end to end (a block each, the middle one the longest) and a fourth piece
 * 5 km away in the same county; 团结路 runs in two counties; 文化巷 shares a prefix; an unnamed lane too.
 */
const ROADS = [
  way('文化街', [at(0, 0), at(200, 0)]),
  way('文化街', [at(200, 0), at(300, 0), at(600, 0)]),
  way('文化街', [at(600, 0), at(700, 0)]),
  way('文化街', [at(5000, 3000), at(5100, 3000)]),
  way('文化巷', [at(0, 500), at(150, 500)]),
  way('团结路', [at(0, -2000), at(300, -2000)]),
  way('团结路', [at(0, 0, XIJI), at(300, 0, XIJI)]),
  { type: 'Feature', properties: { highway: 'service' }, geometry: { type: 'LineString', coordinates: [at(0, 900), at(80, 900)] } },
]

let t: TestApp
let governance: TestAgent
let tobacco: TestAgent
beforeAll(async () => {
  t = await startTestApp()
  governance = (await t.signIn({ department: 'governance', role: 'clerk' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  await governance.post('/api/import/roads?source=street-search').send({ type: 'FeatureCollection', features: ROADS }).expect(201)
})
afterAll(async () => {
  await t?.close()
})

const search = async (query: Record<string, string | number>) => {
  const response = await tobacco.get('/api/search').query(query)
  expect(response.status, JSON.stringify(response.body)).toBe(200)
  return response.body.items as SearchItem[]
}
const streets = async (q: string, query: Record<string, string | number> = {}) => search({ q, kinds: 'street', ...query })

describe('street names in place search', () => {
  it('finds a street by its full name, once, however many ways it is drawn as', async () => {
    const items = await streets('文化街')
    expect(items).toHaveLength(1)
    const [street] = items
    expect(street).toMatchObject({ kind: 'street', name: '文化街', score: 1 })
    expect(street!.detail).toContain('原州区')
    expect(street!.detail).toContain('道路')
  })

  it('shows the street at the middle of its longest way, with the extent of all its ways', async () => {
    const [street] = await streets('文化街')
    const middle = at(400, 0)
    expect(street!.lon).toBeCloseTo(middle[0], 6)
    expect(street!.lat).toBeCloseTo(middle[1], 6)
    const west = at(0, 0)
    const northEast = at(5100, 3000)
    const bbox = street!.bbox!
    expect(bbox[0]).toBeCloseTo(west[0], 7)
    expect(bbox[1]).toBeCloseTo(west[1], 7)
    expect(bbox[2]).toBeCloseTo(northEast[0], 7)
    expect(bbox[3]).toBeCloseTo(northEast[1], 7)
  })

  it('finds streets by prefix, exact match first', async () => {
    const items = await streets('文化')
    expect(items.map((i) => [i.name, i.score])).toEqual([
      ['文化街', 0.8],
      ['文化巷', 0.8],
    ])
  })

  it('finds a street by a part of its name', async () => {
    expect((await streets('化街')).map((i) => [i.name, i.score])).toEqual([['文化街', 0.6]])
  })

  it('finds a street by its characters in order', async () => {
    expect((await streets('文街')).map((i) => [i.name, i.score])).toEqual([['文化街', 0.4]])
  })

  it('finds a street by pinyin and by pinyin initials', async () => {
    expect((await streets('wenhuajie')).map((i) => [i.name, i.score])).toEqual([['文化街', 0.3]])
    expect((await streets('whj')).map((i) => [i.name, i.score])).toEqual([['文化街', 0.3]])
    expect((await streets('WenHua')).map((i) => i.name)).toEqual(['文化街', '文化巷'])
  })

  it('answers one street per county for a name used in two counties, and the county filter keeps one', async () => {
    const both = await streets('团结路')
    expect(both).toHaveLength(2)
    expect(both.map((i) => i.detail.split(' · ')[0]).sort()).toEqual(['原州区', '西吉县'])
    const xiji = await streets('团结路', { countyCode: '640422' })
    expect(xiji).toHaveLength(1)
    expect(xiji[0]!.detail).toContain('西吉县')
    expect(xiji[0]!.lon).toBeCloseTo(at(150, 0, XIJI)[0], 6)
  })

  it('ranks streets with the other kinds: a street named exactly comes before a place it only prefixes', async () => {
    await governance
      .post('/api/import/addresses')
      .send({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: { address: '文化街8号', countyCode: '640402' },
            geometry: { type: 'Point', coordinates: at(100, 10) },
          },
        ],
      })
      .expect(201)
    const items = await search({ q: '文化街' })
    expect(items.map((i) => [i.kind, i.name, i.score])).toEqual([
      ['street', '文化街', 1],
      ['address', '文化街8号', 0.8],
    ])
  })

  it('nearer streets come first with near', async () => {
    const items = await streets('团结路', { near: `${XIJI[0]},${XIJI[1]}` })
    expect(items[0]!.detail).toContain('西吉县')
  })

  it('fills the pinyin of roads stored without it, as at start', async () => {
    await sql`update roads set search_pinyin = null, search_initials = null`.execute(t.app.db)
    expect(await streets('whj')).toEqual([])
    expect(await fillMissingPinyin(t.app.db)).toBe(ROADS.length)
    expect((await streets('whj')).map((i) => i.name)).toEqual(['文化街'])
    expect(await fillMissingPinyin(t.app.db)).toBe(0)
  })
})
