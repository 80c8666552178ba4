import { sql, type Kysely } from 'kysely'
import { pinyin } from 'pinyin-pro'
import type { Database } from '../server/db/types.ts'
import { Rng } from '../scripts/demo/random.ts'
import { insertAddressPoints } from '../server/modules/addresses/repository.ts'
import type { AddressPointRecord } from '../server/modules/addresses/service.ts'
import { parseSearch, search } from '../server/modules/search/service.ts'
import { bulkLoad, figure, numberArgs, openBenchDatabase, percentile, seconds } from './support.ts'

const CHINA: [number, number, number, number] = [73, 18, 135, 53]
/** The part of a generated name a person would type: without the 示例 prefix and the （演示） suffix. */
const core = (name: string) => name.replace(/^示例/, '').replace(/（演示）$/, '')

interface BenchQuery {
  type: string
  q: string
  near?: string
}

/**
 * Place search at national scale: a registry over all of China, 500 typical queries (name fragments,
 * exact names, characters in order like 原州三小, address fragments, townships, pinyin initials; half
 * with `near`) through the service, and the naive `name LIKE '%q%'` scan over the same tables in the
 * same run.
 *   npm run bench -- search [--schools 200000] [--premises 1000000] [--requests 500]
 */
export async function benchSearch(args: Record<string, string>) {
  const { schools, premises, requests } = numberArgs(args, { schools: 200_000, premises: 1_000_000, requests: 500 })
  const addresses = Math.round(premises / 5)
  const handle = await openBenchDatabase('search')
  console.log(
    `search benchmark on ${handle.where}: ${schools} schools, ${premises} premises, ${addresses} address points over China; ${requests} queries`,
  )
  try {
    let t = performance.now()
    const gen = await bulkLoad(handle, { schools, premises, bbox: CHINA }, console.log)
    // Address points: the generated premises' street addresses at their positions.
    let batch: AddressPointRecord[] = []
    let n = 0
    for (const p of gen.premises()) {
      if (n >= addresses) break
      n += 1
      batch.push({
        properties: { address: p.properties.address!, countyCode: p.properties.countyCode, source: 'bench' },
        geometry: p.geometry as AddressPointRecord['geometry'],
        sourceCrs: 'wgs84',
        demo: true,
      })
      if (batch.length === 1000) {
        await insertAddressPoints(handle.db, batch)
        batch = []
      }
    }
    await insertAddressPoints(handle.db, batch)
    figure('load (bulk insert, search keys and pinyin included)', seconds(t), 's')
    t = performance.now()
    await sql`analyze`.execute(handle.db)
    figure('analyze', seconds(t), 's')
    const { rows: sizes } = await sql<{ table: string; data: number; search: number }>`
      select c.relname as table, pg_relation_size(c.oid) as data,
        (select coalesce(sum(pg_relation_size(i.indexrelid)), 0) from pg_index i join pg_class x on x.oid = i.indexrelid
          where i.indrelid = c.oid and x.relname like '%search%') as search
      from pg_class c where c.relname in ('schools', 'premises', 'address_points') order by 1`.execute(handle.db)
    for (const s of sizes)
      figure(
        `${s.table}: table / search indexes`,
        Number(s.data) / 2 ** 20,
        'MiB',
        `search indexes ${(Number(s.search) / 2 ** 20).toFixed(1)} MiB`,
      )

    const queries = await typicalQueries(gen, handle.db, requests)
    const timed = async (run: (q: BenchQuery) => Promise<number>) => {
      const times: number[] = []
      const byType = new Map<string, number[]>()
      let found = 0
      for (let i = 0; i < queries.length + 50; i += 1) {
        const query = queries[i % queries.length]!
        const start = performance.now()
        const count = await run(query)
        const took = performance.now() - start
        if (i < 50) continue
        times.push(took)
        ;(byType.get(query.type) ?? byType.set(query.type, []).get(query.type)!).push(took)
        if (count > 0) found += 1
      }
      times.sort((a, b) => a - b)
      return { times, byType, found }
    }
    const fuzzy = await timed(async (query) => {
      const result = await search(handle.db, parseSearch({ q: query.q, limit: 10, ...(query.near ? { near: query.near } : {}) }))
      return result.items.length
    })
    const naive = await timed(async (query) => {
      const pattern = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
      const { rows } = await sql`select * from (
          select id::text, name from schools where name like ${pattern}
          union all select id::text, name from premises where name like ${pattern}
          union all select code::text, name from townships where name like ${pattern}
          union all select code::text, name from villages where name like ${pattern}
          union all select id::text, address from address_points where address like ${pattern}
        ) s limit 10`.execute(handle.db)
      return rows.length
    })
    figure('search p50', percentile(fuzzy.times, 50), 'ms', `${fuzzy.found} of ${fuzzy.times.length} queries found something`)
    figure('search p99', percentile(fuzzy.times, 99), 'ms', `max ${fuzzy.times.at(-1)!.toFixed(1)} ms`)
    figure(
      "naive name LIKE '%q%' p50",
      percentile(naive.times, 50),
      'ms',
      `${naive.found} found something (no normalising, no ranking, stops at 10)`,
    )
    figure("naive name LIKE '%q%' p99", percentile(naive.times, 99), 'ms', `max ${naive.times.at(-1)!.toFixed(1)} ms`)
    for (const [type, times] of fuzzy.byType) {
      times.sort((a, b) => a - b)
      const base = naive.byType.get(type)!.sort((a, b) => a - b)
      figure(
        `  ${type} (${times.length}) p50 / p99`,
        percentile(times, 50),
        'ms',
        `p99 ${percentile(times, 99).toFixed(1)} ms; naive p50 ${percentile(base, 50).toFixed(1)}, p99 ${percentile(base, 99).toFixed(1)} ms`,
      )
    }
  } finally {
    await handle.close()
  }
}

/** A deterministic mix of what clerks type, drawn from the loaded records. */
async function typicalQueries(gen: Awaited<ReturnType<typeof bulkLoad>>, db: Kysely<Database>, count: number): Promise<BenchQuery[]> {
  const rng = new Rng(20260101, 9)
  const schoolNames: string[] = []
  for (const s of gen.schools()) {
    if (rng.chance(0.01) || schoolNames.length < 50) schoolNames.push(s.properties.name)
    if (schoolNames.length >= 2000) break
  }
  const premisesNames: string[] = []
  const addressTexts: string[] = []
  const points: [number, number][] = []
  for (const p of gen.premises()) {
    premisesNames.push(p.properties.name)
    addressTexts.push(p.properties.address!)
    points.push(p.geometry.coordinates as [number, number])
    if (premisesNames.length >= 2000) break
  }
  const { rows: places } = await sql<{ name: string }>`select name from townships union all select name from villages`.execute(db)
  const fragment = (text: string, min: number, max: number) => {
    const chars = Array.from(text)
    const length = Math.min(chars.length, rng.int(min, max))
    const start = rng.int(0, chars.length - length)
    return chars.slice(start, start + length).join('')
  }
  const makers: [string, () => string][] = [
    ['school fragment', () => fragment(core(rng.pick(schoolNames)), 3, 6)],
    ['premises fragment', () => fragment(core(rng.pick(premisesNames)), 2, 4)],
    ['exact school name', () => rng.pick(schoolNames)],
    // 原州三小 for 原州区第三小学: place, then the ordinal and the first character of the type.
    [
      'characters in order',
      () => {
        const chars = Array.from(core(rng.pick(schoolNames)).replace(/第/, ''))
        return chars.filter((_, i) => i < 2 || i % 2 === 0).join('')
      },
    ],
    ['address fragment', () => fragment(rng.pick(addressTexts).replace(/^.*?示例/, ''), 4, 7)],
    ['township or village', () => fragment(rng.pick(places).name, 2, 3)],
    ['pinyin initials', () => pinyin(rng.pick(places).name, { pattern: 'first', toneType: 'none', type: 'array' }).join('').slice(0, 3)],
  ]
  const queries: BenchQuery[] = []
  for (let i = 0; i < count; i += 1) {
    const [type, make] = makers[i % makers.length]!
    const q = make()
    const near = i % 2 === 0 ? rng.pick(points) : undefined
    queries.push({ type: near ? `${type}, near` : type, q, ...(near ? { near: `${near[0]},${near[1]}` } : {}) })
  }
  return queries
}
