import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import { pointFromLonLat } from '../../db/postgis.ts'
import type { Database } from '../../db/types.ts'
import type { SearchKind } from '../../schemas/search.ts'
import { pinyinColumns } from './pinyin.ts'

type Db = Kysely<Database> | Transaction<Database>

/**
 * How each kind is searched. Table and column names come only from here. `point` is what a result shows
 * (a school's point on its campus surface), `geom` what "near" measures to (the campus itself; a village,
 * which has no position, by its township's seat, so it cannot walk a spatial index).
 */
interface KindSource {
  from: RawBuilder<unknown>
  id: RawBuilder<unknown>
  point: RawBuilder<unknown>
  geom: RawBuilder<unknown>
  indexedGeom: boolean
  extra: RawBuilder<unknown>
}

const SOURCES: Record<SearchKind, KindSource> = {
  school: {
    from: sql`schools t`,
    id: sql`t.id::text`,
    point: sql`ST_PointOnSurface(t.geom)`,
    geom: sql`t.geom`,
    indexedGeom: true,
    extra: sql`t.name, t.school_type as type, t.address, null::text as township_name`,
  },
  premises: {
    from: sql`premises t`,
    id: sql`t.id::text`,
    point: sql`t.geom`,
    geom: sql`t.geom`,
    indexedGeom: true,
    extra: sql`t.name, t.category as type, t.address, null::text as township_name`,
  },
  township: {
    from: sql`townships t`,
    id: sql`t.code::text`,
    point: sql`t.geom`,
    geom: sql`t.geom`,
    indexedGeom: true,
    extra: sql`t.name, null::text as type, null::text as address, null::text as township_name`,
  },
  village: {
    from: sql`villages t left join townships w on w.code = t.township_code`,
    id: sql`t.code::text`,
    point: sql`null::geometry`,
    geom: sql`w.geom`,
    indexedGeom: false,
    extra: sql`t.name, null::text as type, null::text as address, w.name as township_name`,
  },
  address: {
    from: sql`address_points t`,
    id: sql`t.id::text`,
    point: sql`t.geom`,
    geom: sql`t.geom`,
    indexedGeom: true,
    extra: sql`t.address as name, null::text as type, null::text as address, null::text as township_name`,
  },
}

/** One way a name can match, best first; `score` is what the API reports. */
export type MatchTier = 'exact' | 'prefix' | 'substring' | 'ordered' | 'pinyin'

/** A tier's test as SQL over the row alias `t`: `indexed` lets an index find candidates, `plain` the same test hidden from indexes. */
export interface TierCondition {
  tier: MatchTier
  indexed: RawBuilder<boolean>
  plain: RawBuilder<boolean>
  /** Candidates come from the key's b-tree in key order (exact and prefix), so the shortest keys come first. */
  keyOrder: boolean
}

export interface SearchRow {
  kind: SearchKind
  tier: MatchTier
  id: string
  name: string
  type: string | null
  address: string | null
  township_name: string | null
  county_name: string | null
  county_code: string
  key_length: number
  lon: number | null
  lat: number | null
  distance_m: number | null
  candidates: number
}

export interface ChildQuery {
  kind: SearchKind
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

const output = (source: KindSource, near: ChildQuery['near']) => sql`
  ${source.id} as id, ${source.extra}, t.county_code::text as county_code, length(t.search_key) as key_length,
  ST_X(${source.point}) as lon, ST_Y(${source.point}) as lat,
  ${near ? sql`ST_Distance(${source.geom}::geography, ${pointFromLonLat(near[0], near[1])}::geography)` : sql`null::float8`} as distance_m`

const countyFilter = (countyCode: string | undefined) => (countyCode ? sql`and t.county_code = ${countyCode}` : sql``)

/**
 * One (tier, kind) part of a search: at most `cap + 1` candidates straight from the key's indexes, ranked
 * (nearest first with `near`, else shortest name first) and cut to `limit`. Every row also says how many
 * candidates there were, so the caller knows when the cap was reached.
 */
function rankedChild(child: ChildQuery): RawBuilder<SearchRow> {
  const source = SOURCES[child.kind]
  const { condition, near } = child
  const order = near
    ? sql`c.planar_distance nulls last, c.key_length, c.id`
    : sql`c.key_length, c.id`
  return sql<SearchRow>`(select ${child.kind}::text as kind, ${condition.tier}::text as tier, c.*, count(*) over () as candidates,
      (select name from counties where code = c.county_code) as county_name
    from (
      select ${output(source, near)}, ${near ? sql`${source.geom} <-> ${pointFromLonLat(near[0], near[1])}` : sql`null::float8`} as planar_distance
      from ${source.from}
      where ${condition.indexed} ${countyFilter(child.countyCode)}
      ${condition.keyOrder ? sql`order by t.search_key` : sql``}
      limit ${child.cap + 1}
    ) c
    order by ${order}
    limit ${child.limit})`
}

/**
 * The same part when it has more candidates than the cap and `near` is given: the spatial index walks
 * outward from the point and the (index-hidden) match test filters, so a common word costs the few rows
 * nearest the point instead of every row that contains it.
 */
function nearestChild(child: ChildQuery & { near: readonly [number, number] }): RawBuilder<SearchRow> {
  const source = SOURCES[child.kind]
  const point = pointFromLonLat(child.near[0], child.near[1])
  return sql<SearchRow>`(select ${child.kind}::text as kind, ${child.condition.tier}::text as tier, c.*, 0 as candidates,
      (select name from counties where code = c.county_code) as county_name
    from (
      select ${output(source, child.near)}
      from ${source.from}
      where ${child.condition.plain} ${countyFilter(child.countyCode)}
      order by ${source.geom} <-> ${point}
      limit ${child.limit}
    ) c)`
}

/** Runs several (tier, kind) parts in one statement; rows come back grouped by part, each part ranked. */
export async function searchParts(db: Db, children: readonly ChildQuery[]): Promise<SearchRow[]> {
  if (children.length === 0) return []
  const parts = children.map((child) => rankedChild(child))
  const { rows } = await sql<SearchRow>`${sql.join(parts, sql` union all `)}`.execute(db)
  return rows.map(numeric)
}

/** A part's nearest-first walk (see nearestChild); only for kinds whose position has a spatial index. */
export async function searchNearest(db: Db, child: ChildQuery & { near: readonly [number, number] }): Promise<SearchRow[]> {
  const { rows } = await sql<SearchRow>`${nearestChild(child)}`.execute(db)
  return rows.map(numeric)
}

/** Whether a kind's "near" distance can walk a spatial index. */
export const hasSpatialIndex = (kind: SearchKind) => SOURCES[kind].indexedGeom

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
] as const

/**
 * Writes the pinyin columns of rows that lack them (rows written before the search existed, or by hand),
 * a thousand at a time; returns how many were filled. A no-op costs one index probe per table.
 */
export async function fillMissingPinyin(db: Kysely<Database>): Promise<number> {
  let filled = 0
  for (const { table, id, text } of PINYIN_TABLES) {
    for (;;) {
      const { rows } = await sql<{ id: string; text: string }>`select ${sql.ref(id)}::text as id, ${sql.ref(text)} as text from ${sql.table(table)} where search_initials is null limit 1000`.execute(db)
      if (rows.length === 0) break
      const values = rows.map((r) => {
        const p = pinyinColumns(r.text)
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
