import { sql, type Kysely, type Transaction } from 'kysely'
import { transformedToWgs84 } from '../../db/postgis.ts'
import type { Database } from '../../db/types.ts'
import type { FileSrid } from './crs.ts'

type Db = Kysely<Database> | Transaction<Database>

/** Positions in `srid` → WGS84 [lon, lat], in order, transformed by PostGIS (PROJ). */
export async function transformPositions(db: Db, srid: FileSrid, xs: number[], ys: number[]): Promise<[number, number][]> {
  const point = transformedToWgs84(sql.ref('t.x'), sql.ref('t.y'), srid)
  const { rows } = await sql<{ x: number; y: number }>`
    SELECT ST_X(p) AS x, ST_Y(p) AS y
    FROM (SELECT ${point} AS p, t.i FROM unnest(${xs}::float8[], ${ys}::float8[]) WITH ORDINALITY AS t(x, y, i)) AS s
    ORDER BY s.i`.execute(db)
  return rows.map((r) => [Number(r.x), Number(r.y)])
}
