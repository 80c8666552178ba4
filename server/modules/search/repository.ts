import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import { frameKx, geodesicDistance, inFrame, pointFromLonLat } from '../../db/postgis.ts'
import type { Database } from '../../db/types.ts'
import type { SearchKind } from '../../schemas/search.ts'
import { pinyinColumns, pinyinQuery } from './pinyin.ts'

type Db = Kysely<Database> | Transaction<Database>

/**
 * How each kind is searched. Table and column names come only from here. `geom` is what "near" measures
 * to (a campus itself; a village, which has no position, by its township's seat, so it cannot walk a
 * spatial index); `point` what a result shows, from the ranked row `c` (a school's point on its campus).
 */
interface KindSource {
  from: RawBuilder<unknown>
  columns: RawBuilder<unknown>
  geom: RawBuilder<unknown>
  point: RawBuilder<unknown>
  indexedGeom: boolean
}

/** The kinds searched row by row; streets are gathered from their ways (searchStreets). */
export type RowKind = Exclude<SearchKind, 'street'>

const SOURCES: Record<RowKind, KindSource> = {
  school: {
    from: sql`schools t`,
    columns: sql`t.id::text as id, t.name, t.school_type as type, t.address, null::text as township_name`,
    geom: sql`t.geom`,
    point: sql`ST_PointOnSurface(c.geom)`,
    indexedGeom: true,
  },
  premises: {
    from: sql`premises t`,
    columns: sql`t.id::text as id, t.name, t.category as type, t.address, null::text as township_name`,
    geom: sql`t.geom`,
    point: sql`c.geom`,
    indexedGeom: true,
  },
  township: {
    from: sql`townships t`,
    columns: sql`t.code::text as id, t.name, null::text as type, null::text as address, null::text as township_name`,
    geom: sql`t.geom`,
    point: sql`c.geom`,
    indexedGeom: true,
  },
  village: {
    from: sql`villages t left join townships w on w.code = t.township_code`,
    columns: sql`t.code::text as id, t.name, null::text as type, null::text as address, w.name as township_name`,
    geom: sql`w.geom`,
    point: sql`null::geometry`,
    indexedGeom: false,
  },
  address: {
    from: sql`address_points t`,
    columns: sql`t.id::text as id, t.address as name, null::text as type, null::text as address, null::text as township_name`,
    geom: sql`t.geom`,
    point: sql`c.geom`,
    indexedGeom: true,
  },
}

/** One way a name can match, best first; `score` is what the API reports. */
export type MatchTier = 'exact' | 'prefix' | 'substring' | 'ordered' | 'pinyin'

/** A tier's test as SQL over the row alias `t`, written so that the key's indexes find the candidates. */
export interface TierCondition {
  tier: MatchTier
  indexed: RawBuilder<boolean>
  /** The prefix tier also holds the exact matches: rows whose key is this one are ranked first, as 'exact'. */
  exactKey?: string
  /** Candidates come from the key's b-tree in key order (exact and prefix): the exact match comes first. */
  keyOrder: boolean
}

/** `\`, `%` and `_` are literal in a search: escaped for LIKE (whose escape character is `\`). */
const literal = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`)

/** The match tests for one normalised key; later tiers exclude what earlier tiers matched. */
export function tierConditions(key: string, q: string): Map<MatchTier, TierCondition> {
  const characters = Array.from(key)
  const unigrams = [...new Set(characters)]
  const bigrams = [...new Set(characters.slice(1).map((c, i) => `${characters[i]}${c}`))]
  const prefix = `${literal(key)}%`
  const contains = `%${literal(key)}%`
  const ordered = `%${characters.map(literal).join('%')}%`
  const result = new Map<MatchTier, TierCondition>()
  // Exact matches are the first prefix matches in key order: one part finds both.
  result.set('prefix', { tier: 'prefix', keyOrder: true, exactKey: key, indexed: sql<boolean>`t.search_key like ${prefix}` })
  const grams = characters.length === 1 ? unigrams : bigrams
  result.set('substring', {
    tier: 'substring',
    keyOrder: false,
    indexed: sql<boolean>`t.search_grams @> ${grams}::text[] and t.search_key like ${contains} and t.search_key not like ${prefix}`,
  })
  if (characters.length >= 2) {
    result.set('ordered', {
      tier: 'ordered',
      keyOrder: false,
      indexed: sql<boolean>`t.search_grams @> ${unigrams}::text[] and t.search_key like ${ordered} and t.search_key not like ${contains}`,
    })
  }
  const pinyin = pinyinQuery(q)
  if (pinyin) {
    result.set('pinyin', {
      tier: 'pinyin',
      keyOrder: false,
      indexed: sql<boolean>`(t.search_initials like ${`${pinyin}%`} or t.search_pinyin like ${`${pinyin}%`})`,
    })
  }
  return result
}

export interface SearchRow {
  kind: SearchKind
  tier: MatchTier
  id: string
  name: string
  type: string | null
  address: string | null
  township_name: string | null
  county_code: string
  key_length: number
  lon: number | null
  lat: number | null
  distance_m: number | null
  candidates: number
  /** A street's extent (west, south, east, north); other kinds have none. */
  bbox?: [number, number, number, number]
}

export interface ChildQuery {
  kind: RowKind
  condition: TierCondition
  countyCode: string | undefined
  near: readonly [number, number] | undefined
  limit: number
  /** How many candidates are ranked; more than this and the ranking falls back to a nearest-first walk. */
  cap: number
}

/** The normalised search key of a query, by the very function that keys the stored names. */
export async function searchKeyOf(db: Db, q: string): Promise<string> {
  const { rows } = await sql<{ key: string | null }>`select search_key(${q}::text) as key`.execute(db)
  return rows[0]?.key ?? ''
}

const countyFilter = (countyCode: string | undefined) => (countyCode ? sql`and t.county_code = ${countyCode}` : sql``)

/** A candidate row: cheap columns only; positions and distances are computed for the few rows kept. */
const candidate = (source: KindSource, child: ChildQuery) => sql`
  ${source.columns}, t.county_code::text as county_code, length(t.search_key) as key_length, ${source.geom} as geom,
  ${child.condition.exactKey === undefined ? sql`false` : sql`t.search_key = ${child.condition.exactKey}`} as exact,
  ${child.near ? sql`${source.geom} <-> ${pointFromLonLat(child.near[0], child.near[1])}` : sql`null::float8`} as planar_distance`

/** The row as the service reads it, from a ranked candidate `c`. */
const shown = (source: KindSource, child: ChildQuery, candidates: RawBuilder<unknown>) => sql`
  ${child.kind}::text as kind, case when c.exact then 'exact' else ${child.condition.tier}::text end as tier,
  c.id, c.name, c.type, c.address, c.township_name, c.county_code, c.key_length,
  ST_X(${source.point}) as lon, ST_Y(${source.point}) as lat,
  ${child.near ? geodesicDistance(sql`c.geom`, pointFromLonLat(child.near[0], child.near[1])) : sql`null::float8`} as distance_m,
  ${candidates} as candidates`

/**
 * One (tier, kind) part of a search: at most `cap + 1` candidates straight from the key's indexes, ranked
 * (exact first; then nearest first with `near`, else shortest name first) and cut to `limit`. Every row
 * also says how many candidates there were, so the caller knows when the cap was reached.
 */
function rankedChild(child: ChildQuery): RawBuilder<SearchRow> {
  const source = SOURCES[child.kind]
  const order = child.near ? sql`m.exact desc, m.planar_distance nulls last, m.key_length, m.id` : sql`m.exact desc, m.key_length, m.id`
  return sql<SearchRow>`(select ${shown(source, child, sql`c.candidates`)}
    from (
      select m.*, count(*) over () as candidates
      from (
        select ${candidate(source, child)}
        from ${source.from}
        where ${child.condition.indexed} ${countyFilter(child.countyCode)}
        ${child.condition.keyOrder ? sql`order by t.search_key` : sql``}
        limit ${child.cap + 1}
      ) m
      order by ${order}
      limit ${child.limit}
    ) c)`
}

/**
 * The same part when it has more candidates than the cap and `near` is given: the spatial index walks
 * outward from the point over at most `budget` rows and the match test filters them, so a common word
 * costs the rows nearest the point instead of every row that contains it. Bounded, because a word common
 * far away but rare near the point would otherwise walk most of the table.
 */
function nearestChild(child: ChildQuery & { near: readonly [number, number] }, budget: number): RawBuilder<SearchRow> {
  const source = SOURCES[child.kind]
  const point = pointFromLonLat(child.near[0], child.near[1])
  return sql<SearchRow>`(select ${shown(source, child, sql`0`)}
    from (
      select * from (
        select ${candidate(source, child)}, ${child.condition.indexed} as matches
        from ${source.from}
        where true ${countyFilter(child.countyCode)}
        order by ${source.geom} <-> ${point}
        limit ${budget}
      ) w
      where w.matches and not w.exact
      order by w.planar_distance
      limit ${child.limit}
    ) c)`
}

/** Runs several (tier, kind) parts in one statement; rows come back grouped by part, each part ranked. */
export async function searchParts(db: Db, children: readonly ChildQuery[]): Promise<SearchRow[]> {
  if (children.length === 0) return []
  const query = sql<SearchRow>`${sql.join(children.map(rankedChild), sql` union all `)}`
  const { rows } = await query.execute(db)
  return rows.map(numeric)
}

/**
 * A part's nearest-first walk (see nearestChild); only for kinds whose position has a spatial index. The
 * planner, which cannot know how far the walk goes, could prefer reading the whole table and sorting it:
 * within this transaction it may not.
 */
export async function searchNearest(
  db: Kysely<Database>,
  child: ChildQuery & { near: readonly [number, number] },
  budget: number,
): Promise<SearchRow[]> {
  const query = sql<SearchRow>`${nearestChild(child, budget)}`
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true)`.execute(
      trx,
    )
    const { rows } = await query.execute(trx)
    return rows.map(numeric)
  })
}

/** One named way that matches a tier, with what grouping it into streets needs. */
export interface StreetWayRow {
  id: number
  name: string
  key: string
  county_code: string | null
  /** Ways of the same key within about a kilometre of each other share this number (per key). */
  cluster: number
  exact: boolean
  key_length: number
  length_m: number
  /** The middle of the way. */
  lon: number
  lat: number
  bbox: [number, number, number, number]
  distance_m: number | null
  candidates: number
}

/** How close two ways of one name must come to be one street, in degrees of latitude (~1 km). */
const STREET_REACH_DEG = 0.009

/**
 * The named ways whose name passes one tier's test, at most `cap + 1` of them (exact matches first in key
 * order), each with its county (the one its middle lies in), its middle, extent and length, and its
 * cluster among the ways of the same key: ways drawn within about a kilometre of each other, measured in
 * the local frame of each way (east scaled as the verdicts do).
 */
export async function streetWays(
  db: Db,
  condition: TierCondition,
  countyCode: string | undefined,
  near: readonly [number, number] | undefined,
  cap: number,
): Promise<StreetWayRow[]> {
  const point = near ? pointFromLonLat(near[0], near[1]) : undefined
  const { rows } = await sql<Omit<StreetWayRow, 'bbox'> & { x0: number; y0: number; x1: number; y1: number }>`
    select w.id, w.name, w.search_key as key, w.county_code, w.exact, w.key_length,
      ST_Length(w.geom::geography) as length_m,
      ST_X(ST_LineInterpolatePoint(w.geom, 0.5)) as lon, ST_Y(ST_LineInterpolatePoint(w.geom, 0.5)) as lat,
      ST_XMin(w.geom) as x0, ST_YMin(w.geom) as y0, ST_XMax(w.geom) as x1, ST_YMax(w.geom) as y1,
      ${point ? geodesicDistance(sql`w.geom`, point) : sql`null::float8`} as distance_m,
      ST_ClusterDBSCAN(${inFrame(sql`w.geom`, frameKx(sql`radians(ST_Y(ST_StartPoint(w.geom)))`))}, ${STREET_REACH_DEG}::float8, 1)
        over (partition by w.search_key) as cluster,
      count(*) over () as candidates
    from (
      select t.id, t.name, t.search_key, t.geom, length(t.search_key) as key_length, k.county_code,
        ${condition.exactKey === undefined ? sql`false` : sql`t.search_key = ${condition.exactKey}`} as exact
      from roads t
      left join lateral (
        select c.code::text as county_code from counties c where ST_Covers(c.geom, ST_LineInterpolatePoint(t.geom, 0.5)) order by c.code limit 1
      ) k on true
      where t.name is not null and ${condition.indexed} ${countyCode ? sql`and k.county_code = ${countyCode}` : sql``}
      ${condition.keyOrder ? sql`order by t.search_key` : sql``}
      limit ${cap + 1}
    ) w`.execute(db)
  return rows.map(({ x0, y0, x1, y1, ...r }) => ({
    ...r,
    county_code: r.county_code === null ? null : r.county_code.trim(),
    cluster: Number(r.cluster),
    key_length: Number(r.key_length),
    length_m: Number(r.length_m),
    lon: Number(r.lon),
    lat: Number(r.lat),
    bbox: [Number(x0), Number(y0), Number(x1), Number(y1)],
    distance_m: r.distance_m === null ? null : Number(r.distance_m),
    candidates: Number(r.candidates),
  }))
}

/** Whether a kind's "near" distance can walk a spatial index. */
export const hasSpatialIndex = (kind: RowKind) => SOURCES[kind].indexedGeom

/** County names by code, for the result's detail. */
export async function countyNames(db: Db): Promise<Map<string, string>> {
  const rows = await db.selectFrom('counties').select(['code', 'name']).execute()
  return new Map(rows.map((r) => [r.code.trim(), r.name]))
}

const numeric = (row: SearchRow): SearchRow => ({
  ...row,
  key_length: Number(row.key_length),
  candidates: Number(row.candidates),
  lon: row.lon === null ? null : Number(row.lon),
  lat: row.lat === null ? null : Number(row.lat),
  distance_m: row.distance_m === null ? null : Number(row.distance_m),
})

const PINYIN_TABLES = [
  { table: 'schools', id: 'id', text: 'name' },
  { table: 'premises', id: 'id', text: 'name' },
  { table: 'townships', id: 'code', text: 'name' },
  { table: 'villages', id: 'code', text: 'name' },
  { table: 'address_points', id: 'id', text: 'address' },
  { table: 'roads', id: 'id', text: 'name' },
] as const

/**
 * Writes the pinyin columns of rows that lack them (rows written before the search existed, or by hand),
 * a thousand at a time; returns how many were filled. A no-op costs one index probe per table.
 */
export async function fillMissingPinyin(db: Kysely<Database>): Promise<number> {
  let filled = 0
  for (const { table, id, text } of PINYIN_TABLES) {
    for (;;) {
      const { rows } = await sql<{
        id: string
        text: string | null
      }>`select ${sql.ref(id)}::text as id, ${sql.ref(text)} as text from ${sql.table(table)} where search_initials is null limit 1000`.execute(
        db,
      )
      if (rows.length === 0) break
      const values = rows.map((r) => {
        // A road without a name gets empty columns, which no pinyin query matches, so it is not read again.
        const p = pinyinColumns(r.text ?? '')
        // Typed as the key column, so that the join below probes its index.
        const key = id === 'id' ? sql`${Number(r.id)}::integer` : sql`${r.id}::bpchar`
        return sql`(${key}, ${p.search_pinyin}::text, ${p.search_initials}::text)`
      })
      await sql`update ${sql.table(table)} as t set search_pinyin = v.pinyin, search_initials = v.initials
        from (values ${sql.join(values)}) as v(id, pinyin, initials) where t.${sql.ref(id)} = v.id`.execute(db)
      filled += rows.length
    }
  }
  return filled
}
