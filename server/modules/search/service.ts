import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { invalid } from '../../errors.ts'
import { SEARCH_KINDS, type SearchItem, type SearchKind, type SearchQuery, type SearchResult } from '../../schemas/search.ts'
import { CATEGORY_NAMES, SCHOOL_TYPE_NAMES } from '../../schemas/labels.ts'
import * as repository from './repository.ts'
import type { ChildQuery, MatchTier, SearchRow, StreetWayRow, TierCondition } from './repository.ts'

const MAX_QUERY_CHARACTERS = 64
const SCORES: Record<MatchTier, number> = { exact: 1, prefix: 0.8, substring: 0.6, ordered: 0.4, pinyin: 0.3 }
const TIER_RANK: Record<MatchTier, number> = { exact: 0, prefix: 1, substring: 2, ordered: 3, pinyin: 4 }
const KIND_RANK: Record<SearchKind, number> = { school: 0, premises: 1, township: 2, village: 3, street: 4, address: 5 }
/**
 * Candidates ranked per (tier, kind). A common word ("小学", "网吧") matches a large share of a national
 * registry; ranking all of them on every keystroke would read them all. Past this many, a search without
 * `near` ranks the first ones the index yields (shortest names first among them), and one with `near`
 * walks the spatial index outward instead, which stays exact.
 */
const CANDIDATE_CAP = 300
/**
 * Ways read per tier for streets. A street is drawn as many ways (one per block in OpenStreetMap), so it
 * takes more rows than a school; past this many the ways the index yields first are grouped.
 */
const STREET_WAY_CAP = 3000
/** Rows the nearest-first walk may visit. */
const NEAREST_BUDGET = 5000

// Whole tiers are asked for in stages, and later stages only when the earlier ones have not filled the page.
const STAGES: readonly (readonly MatchTier[])[] = [['prefix'], ['substring'], ['ordered'], ['pinyin']]

export interface ParsedSearch {
  q: string
  kinds: SearchKind[]
  limit: number
  near: [number, number] | undefined
  countyCode: string | undefined
}

/** Checks the query string beyond its schema; every problem names its field. */
export function parseSearch(query: SearchQuery): ParsedSearch {
  const q = query.q.trim()
  const length = Array.from(q).length
  if (length === 0) throw invalid('querystring/q', 'must contain something other than spaces')
  if (length > MAX_QUERY_CHARACTERS)
    throw invalid('querystring/q', `must be at most ${MAX_QUERY_CHARACTERS} characters after trimming (got ${length})`)
  let kinds: SearchKind[] = [...SEARCH_KINDS]
  if (query.kinds !== undefined) {
    const names = query.kinds.split(',').map((k) => k.trim())
    const wrong = names.filter((k) => !(SEARCH_KINDS as readonly string[]).includes(k))
    if (wrong.length > 0 || names.length === 0) {
      throw invalid(
        'querystring/kinds',
        `must be a comma-separated list of ${SEARCH_KINDS.join(', ')}; not ${wrong.map((w) => JSON.stringify(w)).join(', ')}`,
      )
    }
    kinds = SEARCH_KINDS.filter((k) => names.includes(k))
  }
  let near: [number, number] | undefined
  if (query.near !== undefined) {
    const parts = query.near.split(',')
    const numbers = parts.map((p) => (/^\s*-?\d+(\.\d+)?\s*$/.test(p) ? Number(p) : Number.NaN))
    const [lon, lat] = numbers as [number, number]
    const problem =
      parts.length !== 2 || numbers.some((n) => !Number.isFinite(n))
        ? 'must be lon,lat (two decimal numbers, WGS84)'
        : lon < -180 || lon > 180
          ? `longitude ${lon} is outside -180..180`
          : lat < -90 || lat > 90
            ? `latitude ${lat} is outside -90..90`
            : undefined
    if (problem) throw invalid('querystring/near', problem)
    near = [lon, lat]
  }
  return { q, kinds, limit: query.limit ?? 10, near, countyCode: query.countyCode }
}

function compareRows(near: boolean) {
  return (a: SearchRow, b: SearchRow) =>
    TIER_RANK[a.tier] - TIER_RANK[b.tier] ||
    KIND_RANK[a.kind] - KIND_RANK[b.kind] ||
    (near ? (a.distance_m ?? Infinity) - (b.distance_m ?? Infinity) || 0 : 0) ||
    a.key_length - b.key_length ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

function detailOf(row: SearchRow, counties: Map<string, string>): string {
  const county = counties.get(row.county_code.trim()) ?? row.county_code
  const parts =
    row.kind === 'school'
      ? [county, SCHOOL_TYPE_NAMES[row.type ?? ''], row.address]
      : row.kind === 'premises'
        ? [county, CATEGORY_NAMES[row.type ?? ''], row.address]
        : row.kind === 'township'
          ? [county, '乡镇（街道）']
          : row.kind === 'village'
            ? [row.township_name, county, '村（社区）']
            : row.kind === 'street'
              ? [county, '道路']
              : [county, '门牌地址']
  return parts.filter((p): p is string => Boolean(p)).join(' · ')
}

const itemOf = (row: SearchRow, counties: Map<string, string>): SearchItem => ({
  kind: row.kind,
  id: row.id,
  name: row.name,
  detail: detailOf(row, counties),
  lon: row.lon,
  lat: row.lat,
  ...(row.bbox ? { bbox: row.bbox } : {}),
  score: SCORES[row.tier],
})

/**
 * Groups matching ways into streets: ways of one name (one search key) are one street where they lie in
 * the same county or within about a kilometre of each other, and so on transitively. A street is shown at
 * the middle of its longest way, in that way's county, named as that way is, with the extent of all its
 * ways; it matches exactly when any of its ways does. Ranked like a part: exact first, then nearest to
 * `near`, then shorter names.
 */
export function streetsOf(ways: readonly StreetWayRow[], tier: MatchTier, near: boolean, limit: number): SearchRow[] {
  const groupOf = new Map<string, string>()
  const root = (x: string): string => {
    if (!groupOf.has(x)) groupOf.set(x, x)
    let r = x
    while (groupOf.get(r) !== r) r = groupOf.get(r)!
    groupOf.set(x, r)
    return r
  }
  const join = (a: string, b: string) => {
    const ra = root(a)
    const rb = root(b)
    if (ra !== rb) groupOf.set(rb, ra)
  }
  for (const way of ways) {
    const cluster = `${way.key}\u0000d${way.cluster}`
    if (way.county_code !== null) join(cluster, `${way.key}\u0000c${way.county_code}`)
    else root(cluster)
  }
  const streets = new Map<string, StreetWayRow[]>()
  for (const way of ways) {
    const id = root(`${way.key}\u0000d${way.cluster}`)
    const list = streets.get(id)
    if (list) list.push(way)
    else streets.set(id, [way])
  }
  const candidates = ways[0]?.candidates ?? 0
  const rows: SearchRow[] = [...streets.values()].map((list) => {
    const longest = list.reduce((best, w) => (w.length_m > best.length_m || (w.length_m === best.length_m && w.id < best.id) ? w : best))
    const county = longest.county_code ?? list.find((w) => w.county_code !== null)?.county_code ?? ''
    const distances = list.map((w) => w.distance_m).filter((d): d is number => d !== null)
    return {
      kind: 'street',
      tier: list.some((w) => w.exact) ? 'exact' : tier,
      id: String(Math.min(...list.map((w) => w.id))),
      name: longest.name,
      type: null,
      address: null,
      township_name: null,
      county_code: county,
      key_length: longest.key_length,
      lon: longest.lon,
      lat: longest.lat,
      distance_m: distances.length > 0 ? Math.min(...distances) : null,
      candidates,
      bbox: [
        Math.min(...list.map((w) => w.bbox[0])),
        Math.min(...list.map((w) => w.bbox[1])),
        Math.max(...list.map((w) => w.bbox[2])),
        Math.max(...list.map((w) => w.bbox[3])),
      ],
    }
  })
  rows.sort(
    (a, b) =>
      Number(b.tier === 'exact') - Number(a.tier === 'exact') ||
      (near ? (a.distance_m ?? Infinity) - (b.distance_m ?? Infinity) || 0 : 0) ||
      a.key_length - b.key_length ||
      Number(a.id) - Number(b.id),
  )
  return rows.slice(0, limit)
}

async function searchStreets(db: Kysely<Database>, condition: TierCondition, parsed: ParsedSearch): Promise<SearchRow[]> {
  const ways = await repository.streetWays(db, condition, parsed.countyCode, parsed.near, STREET_WAY_CAP)
  return streetsOf(ways, condition.tier, parsed.near !== undefined, parsed.limit)
}

/**
 * Fuzzy place search over schools, premises, townships, villages and address points: exact and prefix
 * matches first, then substrings, then the query's characters in order, then pinyin; within a tier by
 * kind, then distance to `near`, then shorter names.
 */
export async function search(db: Kysely<Database>, parsed: ParsedSearch): Promise<SearchResult> {
  const key = await repository.searchKeyOf(db, parsed.q)
  if (key === '') throw invalid('querystring/q', 'has nothing to search for once spaces are removed')
  const tests = repository.tierConditions(key, parsed.q)
  const found: SearchRow[] = []
  const seen = new Set<string>()
  for (const stage of STAGES) {
    const children: ChildQuery[] = []
    const streetConditions: TierCondition[] = []
    for (const tier of stage) {
      const condition = tests.get(tier)
      if (!condition) continue
      for (const kind of parsed.kinds) {
        if (kind === 'street') streetConditions.push(condition)
        else children.push({ kind, condition, countyCode: parsed.countyCode, near: parsed.near, limit: parsed.limit, cap: CANDIDATE_CAP })
      }
    }
    if (children.length === 0 && streetConditions.length === 0) continue
    let rows = await repository.searchParts(db, children)
    for (const condition of streetConditions) rows = rows.concat(await searchStreets(db, condition, parsed))
    const near = parsed.near
    if (near) {
      for (const child of children) {
        const first = rows.find((r) => r.kind === child.kind && (r.tier === child.condition.tier || r.tier === 'exact'))
        if ((first?.candidates ?? 0) <= CANDIDATE_CAP || !repository.hasSpatialIndex(child.kind)) continue
        // The walk's rows are the truly nearest within its reach; past it the ranked candidates fill in.
        rows = rows.concat(await repository.searchNearest(db, { ...child, near }, NEAREST_BUDGET))
      }
    }
    rows.sort(compareRows(near !== undefined))
    for (const row of rows) {
      const id = `${row.kind}:${row.id}`
      if (seen.has(id)) continue
      seen.add(id)
      found.push(row)
    }
    if (found.length >= parsed.limit) break
  }
  const items = found.slice(0, parsed.limit)
  let cached = countyCache.get(db)
  if (!cached || (items.some((i) => !cached!.names.has(i.county_code.trim())) && Date.now() - cached.at > 60_000)) {
    cached = { names: await repository.countyNames(db), at: Date.now() }
    countyCache.set(db, cached)
  }
  const names = cached.names
  return { items: items.map((row) => itemOf(row, names)) }
}

// County names change only with the reference data: a code missing from the cache reloads it, once a minute at most.
const countyCache = new WeakMap<Kysely<Database>, { names: Map<string, string>; at: number }>()

/** Writes the pinyin of rows stored without it (by the database's own writers or before a dictionary change); returns how many. */
export async function fillMissingPinyin(db: Kysely<Database>): Promise<number> {
  return repository.fillMissingPinyin(db)
}
