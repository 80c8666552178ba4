import type TestAgent from 'supertest/lib/agent.js'
import type { SearchItem } from '../../server/schemas/search.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toWgs84 } from '../../server/geo/crs.ts'
import { fillMissingPinyin } from '../../server/modules/search/repository.ts'
import { GUYUAN, offset, premisesFeature, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { expectErrorBody } from './expect.ts'

let t: TestApp
let education: TestAgent
let tobacco: TestAgent
let governance: TestAgent
beforeAll(async () => {
  t = await startTestApp()
  education = (await t.signIn({ department: 'education', role: 'clerk' })).agent
  tobacco = (await t.signIn({ department: 'tobacco', role: 'clerk' })).agent
  governance = (await t.signIn({ department: 'governance', role: 'supervisor' })).agent
  // Schools far enough apart never to overlap; names chosen so each ranking tier has one.
  const schools = [
    { name: '原州区第三小学', east: 0 },
    { name: '青石小学', east: 1000 },
    { name: '青石小学分校', east: 2000 },
    { name: '城关青石小学', east: 3000 },
    { name: '青山石头小学', east: 4000 },
  ]
  await education
    .post('/api/import/schools')
    .send(collection(schools.map((s) => schoolFeature({ name: s.name, center: offset(CENTER, s.east, -6000) }))))
    .expect(201)
  await education
    .post('/api/schools')
    .send(schoolFeature({ name: '西吉县青石中学', countyCode: '640422', center: [105.73, 35.965] }))
    .expect(201)
  const premises = [
    { name: '鑫鑫烟酒店', at: offset(CENTER, 0, -8000) },
    { name: '星辰网吧２号店', at: offset(CENTER, 500, -8000) },
    { name: '百%便利', at: offset(CENTER, 1000, -8000) },
    { name: '同名便利店', at: offset(CENTER, 0, -9000) },
    { name: '同名便利店', at: offset(CENTER, 5000, -9000) },
  ]
  await tobacco
    .post('/api/import/premises')
    .send(collection(premises.map((p, i) => premisesFeature({ name: p.name, at: p.at, licenceNo: `SEARCH-${i}` }))))
    .expect(201)
  await governance
    .post('/api/import/addresses')
    .send(
      collection([
        addressFeature('原州区文化路12号', offset(CENTER, 200, 200)),
        addressFeature('原州区文化路14号', offset(CENTER, 230, 200)),
      ]),
    )
    .expect(201)
})
afterAll(async () => {
  await t?.close()
})

const CENTER = [GUYUAN.lon, GUYUAN.lat] as const
const collection = (features: unknown[]) => ({ type: 'FeatureCollection', features })
const addressFeature = (address: string, at: readonly number[], properties: Record<string, unknown> = {}) => ({
  type: 'Feature',
  properties: { address, countyCode: '640402', ...properties },
  geometry: { type: 'Point', coordinates: [at[0], at[1]] },
})

const search = async (query: Record<string, string | number>, agent: TestAgent = tobacco) => {
  const response = await agent.get('/api/search').query(query)
  expect(response.status, JSON.stringify(response.body)).toBe(200)
  return response.body.items as SearchItem[]
}
const names = (items: SearchItem[]) => items.map((i) => i.name)
const addressCount = async () =>
  Number(
    (
      await t.app.db
        .selectFrom('address_points')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )

describe('each kind is found', () => {
  it('a school by its exact name, with the point on its campus and a Chinese detail', async () => {
    const [first] = await search({ q: '原州区第三小学' })
    expect(first).toMatchObject({ kind: 'school', name: '原州区第三小学', score: 1, id: expect.stringMatching(/^\d+$/) })
    expect(first!.detail).toBe('原州区 · 小学 · 原州区测试路1号')
    const expected = offset(CENTER, 0, -6000)
    expect(Math.abs(first!.lon! - expected[0]!)).toBeLessThan(0.001)
    expect(Math.abs(first!.lat! - expected[1]!)).toBeLessThan(0.001)
  })

  it('premises by name, with their category in Chinese', async () => {
    const [first] = await search({ q: '鑫鑫烟酒' })
    expect(first).toMatchObject({ kind: 'premises', name: '鑫鑫烟酒店', score: 0.8 })
    expect(first!.detail).toBe('原州区 · 烟草制品零售 · 原州区测试街2号')
    expect(first!.lon).toBeCloseTo(offset(CENTER, 0, -8000)[0]!, 9)
  })

  it('a township at its seat', async () => {
    const items = await search({ q: '三营镇' })
    expect(items[0]).toMatchObject({ kind: 'township', id: '640402100', name: '三营镇', score: 1 })
    expect(items[0]!.detail).toBe('原州区 · 乡镇（街道）')
    expect(items[0]!.lon).toEqual(expect.any(Number))
    expect(items[0]!.lat).toEqual(expect.any(Number))
  })

  it('a village without coordinates: lon/lat null, its township and county in the detail', async () => {
    const items = await search({ q: '戴堡村委会' })
    expect(items[0]).toEqual({
      kind: 'village',
      id: '640402100202',
      name: '戴堡村委会',
      detail: '三营镇 · 原州区 · 村（社区）',
      lon: null,
      lat: null,
      score: 1,
    })
  })

  it('an imported address point', async () => {
    const items = await search({ q: '文化路12号' })
    expect(items[0]).toMatchObject({ kind: 'address', name: '原州区文化路12号', score: 0.6, detail: '原州区 · 门牌地址' })
    expect(items[0]!.lon).toBeCloseTo(offset(CENTER, 200, 200)[0]!, 9)
  })
})

describe('ranking', () => {
  it('exact, then prefix, then substring, then the characters in order', async () => {
    const items = await search({ q: '青石小学', kinds: 'school' })
    expect(names(items)).toEqual(
      ['青石小学', '青石小学分校', '城关青石小学', '西吉县青石中学', '青山石头小学'].filter((n) => n !== '西吉县青石中学'),
    )
    expect(items.map((i) => i.score)).toEqual([1, 0.8, 0.6, 0.4])
  })

  it('finds 原州区第三小学 from 原州三小 (characters in order)', async () => {
    const items = await search({ q: '原州三小' })
    expect(items.find((i) => i.name === '原州区第三小学')).toMatchObject({ kind: 'school', score: 0.4 })
  })

  it('scores are never rising down the list', async () => {
    const items = await search({ q: '小学', limit: 50 })
    expect(items.length).toBeGreaterThan(4)
    items.slice(1).forEach((item, i) => expect(item.score).toBeLessThanOrEqual(items[i]!.score))
  })

  it('among equal matches, nearer to `near` comes first', async () => {
    const far = offset(CENTER, 5000, -9000)
    const nearFar = await search({ q: '同名便利店', near: `${far[0]},${far[1]}` })
    const near = offset(CENTER, 0, -9000)
    const nearNear = await search({ q: '同名便利店', near: `${near[0]},${near[1]}` })
    expect(nearFar.map((i) => i.lon)).toHaveLength(2)
    expect(nearFar[0]!.lon).toBeCloseTo(far[0]!, 9)
    expect(nearNear[0]!.lon).toBeCloseTo(near[0]!, 9)
    expect(nearFar.map((i) => i.id)).toEqual([...nearNear.map((i) => i.id)].reverse())
  })

  it('a common word (more candidates than are ranked) with near: the nearest come first, in order', async () => {
    const chain = Array.from({ length: 320 }, (_, i) =>
      premisesFeature({ name: `连锁便利店${i}号`, at: offset(CENTER, -20_000 + i * 50, 12_000), licenceNo: `CHAIN-${i}` }),
    )
    await tobacco.post('/api/import/premises').send(collection(chain)).expect(201)
    // Ranked parts take candidates in key order, where 连锁便利店95号 comes after the first 300: only the walk finds it.
    const at = offset(CENTER, -20_000 + 95 * 50 + 10, 12_000)
    const items = await search({ q: '连锁便利店', near: `${at[0]},${at[1]}`, kinds: 'premises' })
    expect(names(items).slice(0, 3)).toEqual(['连锁便利店95号', '连锁便利店96号', '连锁便利店94号'])
    const distances = items.map((i) => Math.abs(i.lon! - at[0]!))
    expect(distances).toEqual([...distances].sort((a, b) => a - b))
    expect(items).toHaveLength(10)
    const anywhere = await search({ q: '连锁便利店', kinds: 'premises' })
    expect(anywhere).toHaveLength(10)
    expect(anywhere.every((i) => i.score === 0.8)).toBe(true)
  })

  it('match quality outranks kind, and kind outranks distance', async () => {
    // 三营镇 is an exact township match; schools named with 三营 would only be substrings.
    const items = await search({ q: '三营', limit: 50 })
    expect(items[0]).toMatchObject({ kind: 'township', name: '三营镇', score: 0.8 })
    const prefixKinds = items.filter((i) => i.score === 0.8).map((i) => i.kind)
    expect(prefixKinds).toEqual(
      [...prefixKinds].sort(
        (a, b) =>
          ['school', 'premises', 'township', 'village', 'address'].indexOf(a) -
          ['school', 'premises', 'township', 'village', 'address'].indexOf(b),
      ),
    )
  })
})

describe('Chinese input tolerance', () => {
  it('full-width digits and spaces: 星辰 网吧2号 finds 星辰网吧２号店', async () => {
    for (const q of ['星辰网吧2号', '星辰　网吧２号', ' 星 辰 网 吧 2 号 ']) {
      const items = await search({ q })
      expect(items[0], q).toMatchObject({ name: '星辰网吧２号店', score: 0.8 })
    }
  })

  it('Arabic and Chinese numerals match: 原州区第3小学 is the exact name 原州区第三小学', async () => {
    const items = await search({ q: '原州区第3小学' })
    expect(items[0]).toMatchObject({ name: '原州区第三小学', score: 1 })
  })

  it('full-width letters and punctuation equal half-width: （ and ( are one', async () => {
    await tobacco
      .post('/api/premises')
      .send(premisesFeature({ name: '晨光商店(东门)', at: offset(CENTER, 1500, -8000), licenceNo: 'SEARCH-PAREN' }))
      .expect(201)
    const items = await search({ q: '晨光商店（东门）' })
    expect(items[0]).toMatchObject({ name: '晨光商店(东门)', score: 1 })
  })

  it('rows written without pinyin (before the search existed, or by hand) get it when the service starts', async () => {
    await t.app.db.updateTable('schools').set({ search_pinyin: null, search_initials: null }).where('name', '=', '青山石头小学').execute()
    expect(await search({ q: 'qsst', kinds: 'school' })).toEqual([])
    expect(await fillMissingPinyin(t.app.db)).toBe(1)
    expect(names(await search({ q: 'qsst', kinds: 'school' }))).toEqual(['青山石头小学'])
  })

  it('pinyin initials and full pinyin find a name', async () => {
    const initials = await search({ q: 'yzqdsxx' })
    expect(initials[0]).toMatchObject({ name: '原州区第三小学', score: 0.3 })
    const full = await search({ q: 'YuanZhouQuDiSan' })
    expect(full[0]).toMatchObject({ name: '原州区第三小学', score: 0.3 })
  })
})

describe('scope', () => {
  it('kinds limits the kinds searched', async () => {
    const schools = await search({ q: '三', kinds: 'school', limit: 50 })
    expect(new Set(schools.map((i) => i.kind))).toEqual(new Set(['school']))
    const places = await search({ q: '三营', kinds: 'township,village', limit: 50 })
    expect(places.length).toBeGreaterThan(1)
    expect(new Set(places.map((i) => i.kind))).toEqual(new Set(['township', 'village']))
  })

  it('countyCode keeps to one county', async () => {
    const all = await search({ q: '青石', kinds: 'school' })
    expect(names(all)).toContain('西吉县青石中学')
    const xiji = await search({ q: '青石', kinds: 'school', countyCode: '640422' })
    expect(names(xiji)).toEqual(['西吉县青石中学'])
  })

  it('limit cuts the list', async () => {
    expect(await search({ q: '村委会', limit: 3 })).toHaveLength(3)
    expect(await search({ q: '村委会' })).toHaveLength(10)
  })
})

describe('bad input', () => {
  const bad = async (query: Record<string, string | number>, field: string) => {
    const response = await tobacco.get('/api/search').query(query)
    expectErrorBody(response, 400, 'VALIDATION_FAILED')
    expect(response.body.message, JSON.stringify(query)).toContain(field)
  }

  it('an empty or blank q, a missing q, or one over 64 characters', async () => {
    await bad({ q: '' }, 'querystring/q')
    await bad({ q: '   ' }, 'querystring/q')
    await bad({ q: '　' }, 'querystring/q')
    await bad({ kinds: 'school' }, 'querystring/q')
    await bad({ q: '学'.repeat(65) }, 'querystring/q')
    expect(await search({ q: ` ${'学'.repeat(64)} ` })).toEqual([])
  })

  it('kinds, near, limit and countyCode that are wrong, SQL-ish strings among them', async () => {
    await bad({ q: '学', kinds: 'school,city' }, 'querystring/kinds')
    await bad({ q: '学', kinds: '' }, 'querystring/kinds')
    await bad({ q: '学', kinds: `school'; drop table schools; --` }, 'querystring/kinds')
    await bad({ q: '学', kinds: "%_\\'" }, 'querystring/kinds')
    await bad({ q: '学', near: 'abc' }, 'querystring/near')
    await bad({ q: '学', near: '106.2' }, 'querystring/near')
    await bad({ q: '学', near: '106,36,1' }, 'querystring/near')
    await bad({ q: '学', near: '200,36' }, 'querystring/near')
    await bad({ q: '学', near: '106,-91' }, 'querystring/near')
    await bad({ q: '学', near: 'NaN,36' }, 'querystring/near')
    await bad({ q: '学', near: "%_\\'" }, 'querystring/near')
    await bad({ q: '学', limit: 0 }, 'querystring/limit')
    await bad({ q: '学', limit: 51 }, 'querystring/limit')
    await bad({ q: '学', limit: '1; select 1' }, 'querystring/limit')
    await bad({ q: '学', countyCode: '6404' }, 'querystring/countyCode')
    await bad({ q: '学', countyCode: `640402' or '1'='1` }, 'querystring/countyCode')
    await bad({ q: '学', colour: 'red' }, 'querystring/colour')
    await bad({ q: 'a\u0000b' }, 'querystring/q')
  })

  it('SQL-ish text in q is just text: no crash, no match of everything', async () => {
    for (const q of ["%_\\'", `'; drop table schools; --`, '\\', "' or 1=1 --", '%%', '_']) {
      expect(await search({ q }), q).toEqual([])
    }
    expect(await search({ q: '原州区第三小学' })).not.toEqual([])
  })

  it('LIKE wildcards in q are literal: % finds only a name with %, 星_网吧 finds nothing', async () => {
    expect(names(await search({ q: '%' }))).toEqual(['百%便利'])
    expect(names(await search({ q: '百%' }))).toEqual(['百%便利'])
    expect(await search({ q: '星_网吧' })).toEqual([])
    expect(await search({ q: '星%网吧' })).toEqual([])
  })

  it('answers 401 without a session', async () => {
    expectErrorBody(await t.request().get('/api/search').query({ q: '小学' }), 401, 'UNAUTHENTICATED')
  })
})

describe('address import', () => {
  it('stores all rows or none, listing every bad row', async () => {
    const before = await addressCount()
    const response = await governance
      .post('/api/import/addresses')
      .send(
        collection([
          addressFeature('原州区和平路1号', offset(CENTER, 0, 400)),
          addressFeature('原州区和平路3号', [200, 36]),
          addressFeature('原州区和平路5号', offset(CENTER, 40, 400), { countyCode: '6404' }),
          { type: 'Feature', properties: { countyCode: '640402' }, geometry: { type: 'Point', coordinates: [106.2, 36] } },
        ]),
      )
    expectErrorBody(response, 400, 'IMPORT_REJECTED')
    expect(response.body.details.badRows).toBe(3)
    expect(response.body.details.errors.map((e: { row: number; field: string }) => [e.row, e.field])).toEqual([
      [2, expect.stringMatching(/^\/geometry/)],
      [3, '/properties/countyCode'],
      [4, '/properties/address'],
    ])
    expect(await addressCount()).toBe(before)
    expect(await search({ q: '和平路1号' })).toEqual([])
  })

  it('imports CSV with lon/lat columns, converting GCJ-02, and the points are found at once', async () => {
    const response = await governance
      .post('/api/import/addresses')
      .query({ crs: 'gcj02', source: '测试门牌册' })
      .set('Content-Type', 'text/csv')
      .send('address,countyCode,lon,lat\n原州区育才巷7号,640402,106.2445,36.0139\n原州区育才巷9号,640402,106.2446,36.0139\n')
      .expect(201)
    expect(response.body.imported).toBe(2)
    const [first] = await search({ q: '育才巷7号' })
    const expected = toWgs84(106.2445, 36.0139, 'gcj02')
    expect(first!.lon).toBeCloseTo(expected[0], 9)
    expect(first!.lat).toBeCloseTo(expected[1], 9)
    const row = await t.app.db
      .selectFrom('address_points')
      .select(['source', 'source_crs'])
      .where('id', '=', Number(first!.id))
      .executeTakeFirstOrThrow()
    expect(row).toEqual({ source: '测试门牌册', source_crs: 'gcj02' })
  })

  it('is for education, governance and admins: a tobacco clerk or a viewer gets 403, nobody signed in 401', async () => {
    const body = collection([addressFeature('原州区团结路2号', offset(CENTER, 0, 600))])
    expectErrorBody(await tobacco.post('/api/import/addresses').send(body), 403, 'FORBIDDEN')
    const viewer = (await t.signIn({ department: 'governance', role: 'viewer' })).agent
    expectErrorBody(await viewer.post('/api/import/addresses').send(body), 403, 'FORBIDDEN')
    expectErrorBody(await t.request().post('/api/import/addresses').send(body), 401, 'UNAUTHENTICATED')
    await education.post('/api/import/addresses').send(body).expect(201)
  })

  it('keeps a county-scoped user to their county', async () => {
    const scoped = (await t.signIn({ department: 'education', role: 'clerk', countyCode: '640422' })).agent
    const response = await scoped
      .post('/api/import/addresses')
      .send(collection([addressFeature('原州区团结路4号', offset(CENTER, 0, 650))]))
    expectErrorBody(response, 400, 'IMPORT_REJECTED')
    expect(response.body.details.errors[0].message).toMatch(/scope/)
  })
})
