import { sql, type Kysely, type Transaction } from 'kysely'
import { geomFromGeoJson, pointFromLonLat } from '../../db/postgis.ts'
import type { Database } from '../../db/types.ts'

type Db = Kysely<Database> | Transaction<Database>

/** The pinyin search columns of a name, when the caller computes them. */
export interface SearchColumns {
  search_pinyin: string
  search_initials: string
}

export interface CountyRecord {
  code: string
  name: string
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown }
}
export interface TownshipRecord {
  code: string
  name: string
  countyCode: string
  seat: [number, number] | undefined
  search: SearchColumns | undefined
}
export interface VillageRecord {
  code: string
  name: string
  townshipCode: string
  countyCode: string
  search: SearchColumns | undefined
}

/** Whether any county outline is loaded. */
export async function hasCounties(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom('counties')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n) > 0
}

/** The codes of the counties loaded, in order. */
export async function countyCodes(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('counties').select('code').orderBy('code').execute()
  return rows.map((r) => r.code.trim())
}

/** Inserts county outlines (stored as MultiPolygons). */
export async function insertCounties(db: Db, counties: readonly CountyRecord[]): Promise<void> {
  if (counties.length === 0) return
  await db
    .insertInto('counties')
    .values(counties.map((c) => ({ code: c.code, name: c.name, geom: sql`ST_Multi(${geomFromGeoJson(c.geometry)})` })))
    .execute()
}

/** Inserts townships with their seats where known. */
export async function insertTownships(db: Db, townships: readonly TownshipRecord[]): Promise<void> {
  if (townships.length === 0) return
  await db
    .insertInto('townships')
    .values(
      townships.map((t) => ({
        code: t.code,
        name: t.name,
        county_code: t.countyCode,
        geom: t.seat ? pointFromLonLat(t.seat[0], t.seat[1]) : null,
        ...t.search,
      })),
    )
    .execute()
}

/** Inserts villages, 500 a statement. */
export async function insertVillages(db: Db, villages: readonly VillageRecord[]): Promise<void> {
  for (let i = 0; i < villages.length; i += 500) {
    await db
      .insertInto('villages')
      .values(
        villages
          .slice(i, i + 500)
          .map((v) => ({ code: v.code, name: v.name, township_code: v.townshipCode, county_code: v.countyCode, ...v.search })),
      )
      .execute()
  }
}

/** Where a record lies, for the county look-up: a point, or a campus whose point on its surface decides. */
export interface CountyProbe {
  type: string
  coordinates: unknown
}
/** A county found for a record: its code and name, and the position that decided it (WGS84). */
export interface CountyFound {
  code: string
  name: string
  at: [number, number]
}

/**
 * The county whose outline covers each geometry's point on its surface (a point is its own), or null
 * outside every county, in input order: one query for all of them (the geometries travel as one JSON
 * parameter). A point on a shared border, covered by both outlines, goes to the lower code.
 */
export async function countiesAt(
  db: Db,
  geometries: readonly CountyProbe[],
): Promise<{ found: CountyFound | null; at: [number, number] }[]> {
  if (geometries.length === 0) return []
  const batch = JSON.stringify(geometries.map((g, i) => ({ i, g })))
  const { rows } = await sql<{ i: number; code: string | null; name: string | null; lon: number; lat: number }>`
    select p.i, c.code, c.name, ST_X(p.at) as lon, ST_Y(p.at) as lat
    from (
      select x.i, ST_PointOnSurface(ST_SetSRID(ST_GeomFromGeoJSON(x.g::text), 4326)) as at
      from json_to_recordset(${batch}::json) as x(i integer, g json)
      -- A fence: flattened, the subquery's point would be parsed and computed again for the index, the filter and
      -- each output column (a campus of 1,000 vertices five times over).
      offset 0
    ) p
    left join lateral (select code, name from counties where ST_Covers(geom, p.at) order by code limit 1) c on true
    order by p.i`.execute(db)
  return rows.map((r) => {
    const at: [number, number] = [Number(r.lon), Number(r.lat)]
    return { found: r.code === null ? null : { code: r.code.trim(), name: r.name!, at }, at }
  })
}
