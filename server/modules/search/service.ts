import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { invalid } from '../../errors.ts'
import { SEARCH_KINDS, type SearchItem, type SearchKind, type SearchQuery, type SearchResult } from '../../schemas/search.ts'
import { CATEGORY_NAMES, SCHOOL_TYPE_NAMES } from '../../schemas/labels.ts'
import * as repository from './repository.ts'
import type { ChildQuery, MatchTier, SearchRow } from './repository.ts'

const MAX_QUERY_CHARACTERS = 64
const SCORES: Record<MatchTier, number> = { exact: 1, prefix: 0.8, substring: 0.6, ordered: 0.4, pinyin: 0.3 }
const TIER_RANK: Record<MatchTier, number> = { exact: 0, prefix: 1, substring: 2, ordered: 3, pinyin: 4 }
const KIND_RANK: Record<SearchKind, number> = { school: 0, premises: 1, township: 2, village: 3, address: 4 }
/**
 * Candidates ranked per (tier, kind). A common word ("小学", "网吧") matches a large share of a national
 * registry; ranking all of them on every keystroke would read them all. Past this many, a search without
 * `near` ranks the first ones the index yields (shortest names first among them), and one with `near`
 * walks the spatial index outward instead, which stays exact.
 */
const CANDIDATE_CAP = 300
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
  score: SCORES[row.tier],
})

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
    for (const tier of stage) {
      const condition = tests.get(tier)
      if (!condition) continue
      for (const kind of parsed.kinds) {
        children.push({ kind, condition, countyCode: parsed.countyCode, near: parsed.near, limit: parsed.limit, cap: CANDIDATE_CAP })
      }
    }
    if (children.length === 0) continue
    let rows = await repository.searchParts(db, children)
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
