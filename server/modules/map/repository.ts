import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'

type Db = Kysely<Database> | Transaction<Database>

/** The bounding box [minLon, minLat, maxLon, maxLat] of the loaded county outlines, or undefined when none are loaded. */
export async function countiesExtent(db: Db): Promise<[number, number, number, number] | undefined> {
  const { rows } = await sql<{ xmin: number | null; ymin: number | null; xmax: number | null; ymax: number | null }>`
    select ST_XMin(e) as xmin, ST_YMin(e) as ymin, ST_XMax(e) as xmax, ST_YMax(e) as ymax
    from (select ST_Extent(geom) as e from counties) as extent`.execute(db)
  const row = rows[0]
  return row?.xmin != null ? [row.xmin, row.ymin!, row.xmax!, row.ymax!] : undefined
}
