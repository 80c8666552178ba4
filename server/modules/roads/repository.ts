import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import type { RoadFormat } from '../../schemas/roads.ts'
import type { AddressCandidate, RoadCandidate } from './read.ts'

type Db = Kysely<Database> | Transaction<Database>

/** The import of this name, if there is one, locked against a concurrent import of the same name. */
export async function findSourceByName(db: Db, name: string): Promise<{ id: number; roads: number } | undefined> {
  const { rows } = await sql<{ id: number; roads: number }>`
    select s.id, (select count(*)::int from roads r where r.source_id = s.id) as roads
    from road_sources s where s.name = ${name} for update of s`.execute(db)
  return rows[0]
}

/** Removes an import and its roads. */
export async function deleteSource(db: Db, id: number): Promise<void> {
  await db.deleteFrom('road_sources').where('id', '=', id).execute()
}

/** Records an import with its licence and attribution; returns its id. */
export async function insertSource(db: Db, source: { name: string; format: RoadFormat | 'demo'; licence: string; attribution: string; userId: number | null }): Promise<number> {
  const row = await db
    .insertInto('road_sources')
    .values({ name: source.name, format: source.format, licence: source.licence, attribution: source.attribution, imported_by: source.userId })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

/** The bounding box of the county outlines, expanded by `marginDeg` degrees. */
export async function countiesExtent(db: Db, marginDeg: number): Promise<[number, number, number, number] | undefined> {
  const { rows } = await sql<{ x0: number | null; y0: number; x1: number; y1: number }>`
    select ST_XMin(e) - ${marginDeg}::float8 as x0, ST_YMin(e) - ${marginDeg}::float8 as y0, ST_XMax(e) + ${marginDeg}::float8 as x1, ST_YMax(e) + ${marginDeg}::float8 as y1
    from (select ST_Extent(geom)::geometry as e from counties) c`.execute(db)
  const r = rows[0]
  return r && r.x0 !== null ? [Number(r.x0), Number(r.y0), Number(r.x1), Number(r.y1)] : undefined
}

/** Inserts roads of one import in one statement (the batch travels as one JSON parameter). */
export async function insertRoads(db: Db, sourceId: number, roads: readonly RoadCandidate[]): Promise<void> {
  if (roads.length === 0) return
  const batch = JSON.stringify(
    roads.map((r) => ({ osm_id: r.osmId, name: r.name, kind: r.kind, walkable: r.walkable, drivable: r.drivable, oneway: r.oneway, geom: { type: 'LineString', coordinates: r.coordinates } })),
  )
  await sql`insert into roads (source_id, osm_id, name, kind, walkable, drivable, oneway, geom)
    select ${sourceId}, r.osm_id, r.name, r.kind, r.walkable, r.drivable, r.oneway, ST_SetSRID(ST_GeomFromGeoJSON(r.geom::text), 4326)
    from json_to_recordset(${batch}::json) as r(osm_id bigint, name text, kind text, walkable boolean, drivable boolean, oneway boolean, geom json)`.execute(db)
}

/** The county each address lies in (null outside every county), in input order. */
export async function countiesOfPoints(db: Db, points: readonly AddressCandidate[]): Promise<(string | null)[]> {
  if (points.length === 0) return []
  const batch = JSON.stringify(points.map((p, i) => ({ i, lon: p.lon, lat: p.lat })))
  const { rows } = await sql<{ i: number; code: string | null }>`
    select p.i, (select c.code from counties c where ST_Covers(c.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)) order by c.code limit 1) as code
    from json_to_recordset(${batch}::json) as p(i integer, lon float8, lat float8)
    order by p.i`.execute(db)
  return rows.map((r) => (r.code === null ? null : r.code.trim()))
}

/** Refreshes the planner's statistics after a bulk load. */
export async function analyzeRoads(db: Db): Promise<void> {
  await sql`analyze roads`.execute(db)
}
