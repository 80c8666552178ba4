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
