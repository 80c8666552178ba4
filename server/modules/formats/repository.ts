import { sql, type Kysely, type Transaction } from 'kysely'
import { intersectsEnvelope, transformedToWgs84 } from '../../db/postgis.ts'
import type { Database } from '../../db/types.ts'
import type { PremisesRow, SchoolRow } from '../registry/kinds.ts'
import { premisesSelect, schoolSelect } from '../registry/repository.ts'
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

/** The registry list's filters, without paging. */
export interface ExportFilter {
  countyCode?: string | undefined
  type?: string | undefined
  licenceStatus?: string | undefined
  bbox?: [number, number, number, number] | undefined
  q?: string | undefined
}

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/** The next `limit` schools after `afterId` matching the filter, in id order (keyset: stable under concurrent inserts). */
export async function schoolsAfter(db: Db, filter: ExportFilter, afterId: number, limit: number): Promise<SchoolRow[]> {
  let query = schoolSelect(db).where('id', '>', afterId)
  if (filter.countyCode) query = query.where('county_code', '=', filter.countyCode)
  if (filter.type) query = query.where('school_type', '=', filter.type)
  if (filter.bbox) query = query.where(intersectsEnvelope(sql.ref('geom'), filter.bbox))
  if (filter.q) {
    const pattern = likePattern(filter.q)
    query = query.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('address', 'ilike', pattern)]))
  }
  return query.orderBy('id').limit(limit).execute()
}

/** The next `limit` premises after `afterId` matching the filter, in id order. */
export async function premisesAfter(db: Db, filter: ExportFilter, afterId: number, limit: number): Promise<PremisesRow[]> {
  let query = premisesSelect(db).where('id', '>', afterId)
  if (filter.countyCode) query = query.where('county_code', '=', filter.countyCode)
  if (filter.type) query = query.where('category', '=', filter.type)
  if (filter.licenceStatus) query = query.where('licence_status', '=', filter.licenceStatus)
  if (filter.bbox) query = query.where(intersectsEnvelope(sql.ref('geom'), filter.bbox))
  if (filter.q) {
    const pattern = likePattern(filter.q)
    query = query.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('address', 'ilike', pattern), eb('licence_no', 'ilike', pattern)]))
  }
  return query.orderBy('id').limit(limit).execute()
}

/** How many records of a register match the filter. */
export async function countMatching(db: Db, kind: 'schools' | 'premises', filter: ExportFilter): Promise<number> {
  let query = db.selectFrom(kind)
  if (filter.countyCode) query = query.where('county_code', '=', filter.countyCode)
  if (filter.type) query = query.where(kind === 'schools' ? 'school_type' : 'category', '=', filter.type)
  if (filter.licenceStatus && kind === 'premises') query = query.where('licence_status', '=', filter.licenceStatus)
  if (filter.bbox) query = query.where(intersectsEnvelope(sql.ref('geom'), filter.bbox))
  if (filter.q) {
    const pattern = likePattern(filter.q)
    const columns = kind === 'schools' ? (['name', 'address'] as const) : (['name', 'address', 'licence_no'] as const)
    query = query.where((eb) => eb.or(columns.map((c) => eb(c, 'ilike', pattern))))
  }
  const row = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  return Number(row.n)
}
