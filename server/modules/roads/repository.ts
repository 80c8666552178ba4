import { sql, type Kysely, type Transaction } from 'kysely'
import {
  asGeoJson,
  expandByMetres,
  frameKx,
  geodesicDistance,
  geomFromGeoJson,
  geomFromGeoJsonColumn,
  inFrame,
  intersectsEnvelope,
  pointFromLonLat,
  pointOf,
} from '../../db/postgis.ts'
import type { Database } from '../../db/types.ts'
import type { RoadFormat } from '../../schemas/roads.ts'
import { pinyinColumns } from '../search/pinyin.ts'
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
export async function insertSource(
  db: Db,
  source: { name: string; format: RoadFormat | 'demo'; licence: string; attribution: string; userId: number | null },
): Promise<number> {
  const row = await db
    .insertInto('road_sources')
    .values({
      name: source.name,
      format: source.format,
      licence: source.licence,
      attribution: source.attribution,
      imported_by: source.userId,
    })
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
    roads.map((r) => ({
      osm_id: r.osmId,
      name: r.name,
      kind: r.kind,
      walkable: r.walkable,
      drivable: r.drivable,
      oneway: r.oneway,
      geom: { type: 'LineString', coordinates: r.coordinates },
      // Street names join the place search; an unnamed road gets empty columns, which no query matches.
      ...pinyinColumns(r.name ?? ''),
    })),
  )
  await sql`insert into roads (source_id, osm_id, name, kind, walkable, drivable, oneway, geom, search_pinyin, search_initials)
    select ${sourceId}, r.osm_id, r.name, r.kind, r.walkable, r.drivable, r.oneway, ${geomFromGeoJsonColumn(sql`r.geom`)}, r.search_pinyin, r.search_initials
    from json_to_recordset(${batch}::json) as r(osm_id bigint, name text, kind text, walkable boolean, drivable boolean, oneway boolean, geom json,
      search_pinyin text, search_initials text)`.execute(db)
}

/** The county each address lies in (null outside every county), in input order. */
export async function countiesOfPoints(db: Db, points: readonly AddressCandidate[]): Promise<(string | null)[]> {
  if (points.length === 0) return []
  const batch = JSON.stringify(points.map((p, i) => ({ i, lon: p.lon, lat: p.lat })))
  const { rows } = await sql<{ i: number; code: string | null }>`
    select p.i, (select c.code from counties c where ST_Covers(c.geom, p.g) order by c.code limit 1) as code
    from (select x.i, ${pointOf(sql`x.lon`, sql`x.lat`)} as g from json_to_recordset(${batch}::json) as x(i integer, lon float8, lat float8)) p
    order by p.i`.execute(db)
  return rows.map((r) => (r.code === null ? null : r.code.trim()))
}

/** Refreshes the planner's statistics after a bulk load. */
export async function analyzeRoads(db: Db): Promise<void> {
  await sql`analyze roads`.execute(db)
}

/**
 * Adds the graph of one import's roads: its distinct vertices (shared with roads already there at the same
 * position, as OpenStreetMap shares nodes) and one segment for each pair of consecutive vertices, measured
 * on the WGS84 ellipsoid (ST_Length on geography).
 */
export async function insertTopology(db: Db, roads: { sourceId: number } | { roadId: number }): Promise<void> {
  const which = 'sourceId' in roads ? sql`r.source_id = ${roads.sourceId}` : sql`r.id = ${roads.roadId}`
  await sql`insert into road_vertices (lon, lat)
    select distinct ST_X(d.geom), ST_Y(d.geom) from roads r cross join lateral ST_DumpPoints(r.geom) d where ${which}
    on conflict (lon, lat) do nothing`.execute(db)
  await sql`insert into road_segments (road_id, seq, source, target, length_m, walkable, drivable, oneway, geom)
    select r.id, s.path[1], va.id, vb.id, ST_Length(s.geom::geography), r.walkable, r.drivable, r.oneway, s.geom
    from roads r
    cross join lateral ST_DumpSegments(r.geom) s
    join road_vertices va on va.lon = ST_X(ST_StartPoint(s.geom)) and va.lat = ST_Y(ST_StartPoint(s.geom))
    join road_vertices vb on vb.lon = ST_X(ST_EndPoint(s.geom)) and vb.lat = ST_Y(ST_EndPoint(s.geom))
    where ${which}`.execute(db)
}

/** Removes vertices no segment uses any more (after roads were removed). */
export async function deleteLooseVertices(db: Db): Promise<void> {
  await sql`delete from road_vertices v where not exists (select 1 from road_segments s where s.source = v.id)
    and not exists (select 1 from road_segments s where s.target = v.id)`.execute(db)
}

/** Every walkable segment's two vertex ids, for labelling the network's connected components. */
export async function walkableEdges(db: Db): Promise<{ source: Int32Array; target: Int32Array; maxVertex: number }> {
  const { rows } = await sql<{ source: number; target: number }>`select source, target from road_segments where walkable`.execute(db)
  const source = new Int32Array(rows.length)
  const target = new Int32Array(rows.length)
  let maxVertex = 0
  rows.forEach((r, i) => {
    source[i] = r.source
    target[i] = r.target
    maxVertex = Math.max(maxVertex, r.source, r.target)
  })
  return { source, target, maxVertex }
}

/** Stores the walk component of each vertex (vertex ids and labels in matching order); the others get null. */
export async function writeWalkComponents(db: Db, vertexIds: Int32Array, components: Int32Array): Promise<void> {
  await sql`delete from road_walk_components`.execute(db)
  const BATCH = 100_000
  for (let i = 0; i < vertexIds.length; i += BATCH) {
    const ids = `{${Array.from(vertexIds.subarray(i, i + BATCH)).join(',')}}`
    const labels = `{${Array.from(components.subarray(i, i + BATCH)).join(',')}}`
    await sql`insert into road_walk_components (vertex_id, component) select * from unnest(${ids}::int[], ${labels}::int[])`.execute(db)
  }
}

/** A point snapped to the nearest walkable segment within reach. */
export interface SnappedPoint {
  segmentId: number
  /** The segment's vertices: the place is `fraction` of the way from source to target. */
  source: number
  target: number
  fraction: number
  connectorM: number
  snapped: [number, number]
  component: number | null
}

/**
 * For each point, the nearest point of the nearest walkable segment no farther than `reachM`, or null. The
 * nearest point is found in the local frame of the point (east scaled by the ellipsoid's parallel radius
 * against its meridian radius, as the verdicts do), the connector measured on the ellipsoid.
 */
export async function snapToWalkable(
  db: Db,
  points: readonly (readonly [number, number])[],
  reachM: number,
): Promise<(SnappedPoint | null)[]> {
  if (points.length === 0) return []
  const batch = JSON.stringify(points.map(([lon, lat], i) => ({ i, lon, lat })))
  const { rows } = await sql<{
    i: number
    segment_id: number | null
    source: number
    target: number
    fraction: number
    connector_m: number
    lon: number
    lat: number
    component: number | null
  }>`
    with p as (select x.i, ${pointOf(sql`x.lon`, sql`x.lat`)} as g, x.lat, ${frameKx(sql`radians(x.lat)`)} as kx
      from json_to_recordset(${batch}::json) as x(i integer, lon float8, lat float8))
    select p.i, best.segment_id, best.source, best.target, best.fraction, best.connector_m, ST_X(best.snapped) as lon, ST_Y(best.snapped) as lat, best.component
    from p
    left join lateral (
      select s.id as segment_id, s.source, s.target, f.fraction, ${geodesicDistance(sql`p.g`, sql`f.snapped`)} as connector_m, f.snapped,
        (select w.component from road_walk_components w where w.vertex_id = s.source) as component
      from road_segments s
      cross join lateral (select ST_LineLocatePoint(${inFrame(sql`s.geom`, sql`p.kx`)}, ${inFrame(sql`p.g`, sql`p.kx`)}) as fraction) l
      cross join lateral (select l.fraction, ST_LineInterpolatePoint(s.geom, l.fraction) as snapped) f
      where s.walkable and s.geom && ${expandByMetres(sql`p.g`, sql`${reachM}::float8`, sql`p.lat`)}
      order by connector_m, s.id
      limit 1
    ) best on true
    order by p.i`.execute(db)
  return rows.map((r) =>
    r.segment_id === null || Number(r.connector_m) > reachM
      ? null
      : {
          segmentId: r.segment_id,
          source: r.source,
          target: r.target,
          fraction: Number(r.fraction),
          connectorM: Number(r.connector_m),
          snapped: [Number(r.lon), Number(r.lat)],
          component: r.component,
        },
  )
}

/** The walkable segments within `radiusM` of a point (by bounding box, which over-covers). */
export async function walkableSegmentsNear(
  db: Db,
  lon: number,
  lat: number,
  radiusM: number,
): Promise<{ id: number; source: number; target: number; lengthM: number }[]> {
  return walkableSegmentsNearAny(db, [[lon, lat]], radiusM)
}

/** The walkable segments whose boxes meet the box of any of the centres (each box as walkableSegmentsNear's), each once. */
export async function walkableSegmentsNearAny(
  db: Db,
  centres: readonly (readonly [number, number])[],
  radiusM: number,
): Promise<{ id: number; source: number; target: number; lengthM: number }[]> {
  if (centres.length === 0) return []
  const boxes = centres.map(
    ([lon, lat]) => sql`geom && ${expandByMetres(pointFromLonLat(lon, lat), sql`${radiusM}::float8`, sql`${lat}::float8`)}`,
  )
  const { rows } = await sql<{ id: number; source: number; target: number; length_m: number }>`
    select id, source, target, length_m from road_segments
    where walkable and (${sql.join(boxes, sql` or `)})`.execute(db)
  return rows.map((r) => ({ id: r.id, source: r.source, target: r.target, lengthM: Number(r.length_m) }))
}

/** Positions of vertices, by id. */
export async function vertexPositions(db: Db, ids: readonly number[]): Promise<Map<number, [number, number]>> {
  if (ids.length === 0) return new Map()
  const { rows } = await sql<{
    id: number
    lon: number
    lat: number
  }>`select id, lon, lat from road_vertices where id = any(${`{${ids.join(',')}}`}::int[])`.execute(db)
  return new Map(rows.map((r) => [r.id, [Number(r.lon), Number(r.lat)]]))
}

/**
 * Whether the database has pgRouting (a PostgreSQL server with the extension; never the embedded one), as an
 * expression: a statement can ask it beside its own work, as of its own snapshot.
 */
export const pgRoutingInstalled = sql<boolean>`exists (select from pg_extension where extname = 'pgrouting')`

/** Whether the database has pgRouting (a PostgreSQL server with the extension; never the embedded one). */
export async function hasPgRouting(db: Db): Promise<boolean> {
  const { rows } = await sql<{ present: boolean }>`select ${pgRoutingInstalled} as present`.execute(db)
  return rows[0]?.present === true
}

/**
 * pgRouting's lengths from one place to several over the walkable segments within `radiusM` of a point
 * (pgr_withPoints, undirected), with the vertex path of each. A place inside a segment is a pgRouting
 * point; one at a segment's end is that vertex (pgr_withPoints drops points at fraction 0 or 1).
 */
export async function pgRoutingPaths(
  db: Db,
  centre: readonly [number, number],
  radiusM: number,
  from: Pick<SnappedPoint, 'segmentId' | 'source' | 'target' | 'fraction'>,
  to: readonly Pick<SnappedPoint, 'segmentId' | 'source' | 'target' | 'fraction'>[],
): Promise<({ lengthM: number; vertices: number[] } | null)[]> {
  if (to.length === 0) return []
  const [lon, lat] = centre
  const points: string[] = []
  const idOf = (place: Pick<SnappedPoint, 'segmentId' | 'source' | 'target' | 'fraction'>) => {
    if (place.fraction <= 0) return place.source
    if (place.fraction >= 1) return place.target
    points.push(
      `select ${points.length + 1}::bigint as pid, ${Math.trunc(place.segmentId)}::bigint as edge_id, ${Number(place.fraction)}::float8 as fraction, 'b'::char as side`,
    )
    return -points.length
  }
  const start = idOf(from)
  const ends = to.map(idOf)
  const pointsSql =
    points.length > 0
      ? points.join(' union all ')
      : `select 0::bigint as pid, 0::bigint as edge_id, 0::float8 as fraction, 'b'::char as side where false`
  const { rows } = await sql<{ end_pid: string; node: string; agg_cost: number }>`
    select w.end_pid::text, w.node::text, w.agg_cost
    from pgr_withPoints(
      format('select id, source, target, length_m as cost, length_m as reverse_cost from road_segments where walkable and geom && %L::geometry',
        ${expandByMetres(pointFromLonLat(lon, lat), sql`${radiusM}::float8`, sql`${lat}::float8`)}),
      ${pointsSql}, ${start}::bigint, ${`{${ends.join(',')}}`}::bigint[], directed => false, details => false) w
    order by w.end_pid, w.path_seq`.execute(db)
  const byEnd = new Map<number, { lengthM: number; vertices: number[] }>()
  for (const r of rows) {
    const end = Number(r.end_pid)
    const path = byEnd.get(end) ?? { lengthM: 0, vertices: [] }
    const node = Number(r.node)
    if (node > 0) path.vertices.push(node)
    path.lengthM = Math.max(path.lengthM, Number(r.agg_cost))
    byEnd.set(end, path)
  }
  return ends.map((end) => (end === start ? { lengthM: 0, vertices: end > 0 ? [end] : [] } : (byEnd.get(end) ?? null)))
}

/** A road as read, with its import's name and licence. */
export interface RoadRow {
  id: number
  name: string | null
  kind: string
  walkable: boolean
  drivable: boolean
  oneway: boolean
  osm_id: string | null
  source_id: number
  source: string
  licence: string
  updated_at: Date
  geometry: { type: 'LineString'; coordinates: number[][] }
}

const roadColumns = sql`r.id, r.name, r.kind, r.walkable, r.drivable, r.oneway, r.osm_id::text as osm_id, r.source_id, rs.name as source, rs.licence,
  r.updated_at, ${asGeoJson(sql`r.geom`)} as geometry`

/** A page of roads matching the filter, ordered by id, and how many match. */
export async function listRoads(
  db: Db,
  filter: {
    bbox?: [number, number, number, number] | undefined
    kind?: string | undefined
    q?: string | undefined
    sourceId?: number | undefined
    limit: number
    offset: number
  },
): Promise<{ rows: RoadRow[]; numberMatched: number }> {
  const parts = [sql`true`]
  if (filter.bbox) parts.push(intersectsEnvelope(sql`r.geom`, filter.bbox))
  if (filter.kind) parts.push(sql`r.kind = ${filter.kind}`)
  if (filter.q) parts.push(sql`strpos(r.name, ${filter.q}) > 0`)
  if (filter.sourceId) parts.push(sql`r.source_id = ${filter.sourceId}`)
  const where = sql.join(parts, sql` and `)
  const [page, count] = await Promise.all([
    sql<RoadRow>`select ${roadColumns} from roads r join road_sources rs on rs.id = r.source_id where ${where} order by r.id limit ${filter.limit} offset ${filter.offset}`.execute(
      db,
    ),
    sql<{ n: number }>`select count(*)::int as n from roads r where ${where}`.execute(db),
  ])
  return { rows: page.rows, numberMatched: Number(count.rows[0]?.n ?? 0) }
}

/** One road, optionally locked for update. */
export async function findRoad(db: Db, id: number, lock = false): Promise<RoadRow | undefined> {
  const { rows } =
    await sql<RoadRow>`select ${roadColumns} from roads r join road_sources rs on rs.id = r.source_id where r.id = ${id} ${lock ? sql`for update of r` : sql``}`.execute(
      db,
    )
  return rows[0]
}

/** Writes a road's new values and removes its segments (the caller adds them again from the new line). */
export async function updateRoad(
  db: Db,
  id: number,
  change: { name: string | null; kind: string; walkable: boolean; drivable: boolean; oneway: boolean; coordinates: [number, number][] },
): Promise<void> {
  await sql`delete from road_segments where road_id = ${id}`.execute(db)
  await sql`update roads set name = ${change.name}, kind = ${change.kind}, walkable = ${change.walkable}, drivable = ${change.drivable}, oneway = ${change.oneway},
    geom = ${geomFromGeoJson({ type: 'LineString', coordinates: change.coordinates })}, updated_at = now(), search_pinyin = null, search_initials = null
    where id = ${id}`.execute(db)
}

/** Deletes a road (its segments go with it). */
export async function deleteRoad(db: Db, id: number): Promise<void> {
  await db.deleteFrom('roads').where('id', '=', id).execute()
}

/**
 * Which of the lines do not lie within a county's outline (ST_CoveredBy), as their indexes: one query for all
 * of them (the lines travel as one JSON parameter). All of them when there is no such county.
 */
export async function linesOutsideCounty(db: Db, countyCode: string, lines: readonly (readonly [number, number][])[]): Promise<number[]> {
  if (lines.length === 0) return []
  const batch = JSON.stringify(lines.map((coordinates, i) => ({ i, g: { type: 'LineString', coordinates } })))
  const { rows } = await sql<{ i: number }>`
    select x.i from json_to_recordset(${batch}::json) as x(i integer, g json)
    where not coalesce((select ST_CoveredBy(${geomFromGeoJsonColumn(sql`x.g`)}, c.geom) from counties c where c.code = ${countyCode}), false)
    order by x.i`.execute(db)
  return rows.map((r) => r.i)
}

/** The number of an import's roads that do not lie within a county's outline. */
export async function sourceRoadsOutsideCounty(db: Db, sourceId: number, countyCode: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from roads r
    where r.source_id = ${sourceId}
      and not coalesce((select ST_CoveredBy(r.geom, c.geom) from counties c where c.code = ${countyCode}), false)`.execute(db)
  return rows[0]?.n ?? 0
}
