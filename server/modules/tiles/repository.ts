import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import { asGeoJson, envelope, inFrame, WGS84_A_M } from '../../db/postgis.ts'
import type { Database } from '../../db/types.ts'
import type { TileLayer } from '../../schemas/tiles.ts'
import {
  ALL_ROADS_FROM_ZOOM,
  ARTERIAL_ROAD_KINDS,
  LAYERS,
  ROAD_NAMES_FROM_ZOOM,
  TILE_BUFFER,
  TILE_EXTENT,
  type SourceLayerId,
} from './layers.ts'

type Db = Kysely<Database> | Transaction<Database>

/** Half the Web Mercator world width in metres (EPSG:3857). */
const ORIGIN_SHIFT = 20037508.342789244
/** Web Mercator's sphere has the WGS84 semi-major axis as its radius. */
const EARTH_RADIUS = WGS84_A_M

/** A tile's bounds in EPSG:3857 and its buffered bounds in WGS84 (for the index filter). */
export interface TileBox {
  z: number
  x: number
  y: number
  minX: number
  minY: number
  maxX: number
  maxY: number
  /** [west, south, east, north] of the tile grown by the buffer, WGS84. */
  lonLat: [number, number, number, number]
}

const mercatorToLon = (mx: number) => (mx / EARTH_RADIUS) * (180 / Math.PI)
const mercatorToLat = (my: number) => (2 * Math.atan(Math.exp(my / EARTH_RADIUS)) - Math.PI / 2) * (180 / Math.PI)

/** Bounds of tile z/x/y (XYZ scheme, y from the north), computed as ST_TileEnvelope computes them. */
export function tileBox(z: number, x: number, y: number): TileBox {
  const size = (2 * ORIGIN_SHIFT) / 2 ** z
  const minX = -ORIGIN_SHIFT + x * size
  const maxY = ORIGIN_SHIFT - y * size
  const box = { z, x, y, minX, minY: maxY - size, maxX: minX + size, maxY }
  const margin = (size * TILE_BUFFER) / TILE_EXTENT
  return {
    ...box,
    lonLat: [
      mercatorToLon(box.minX - margin),
      mercatorToLat(box.minY - margin),
      mercatorToLon(box.maxX + margin),
      mercatorToLat(box.maxY + margin),
    ],
  }
}

interface Source {
  /** Property columns, named as in the tile (whitelisted here, never taken from a request). */
  columns: string[]
  geometry: 'point' | 'line' | 'polygon'
  /** The rows meeting the WGS84 envelope `box` at zoom `z`: the property columns and `g`, geometry(4326). */
  rows: (box: RawBuilder<unknown>, z: number) => RawBuilder<unknown>
}

const SOURCES: Record<SourceLayerId, Source> = {
  campuses: {
    columns: ['id', 'name', 'schoolType', 'countyCode', 'gateCount'],
    geometry: 'polygon',
    rows: (box) => sql`select s.id as "id", s.name as "name", s.school_type as "schoolType", trim(s.county_code) as "countyCode",
      coalesce(ST_NumGeometries(s.gates), 0) as "gateCount", s.geom as g
      from schools s where s.geom && ${box}`,
  },
  gates: {
    columns: ['schoolId'],
    geometry: 'point',
    rows: (box) => sql`select s.id as "schoolId", d.geom as g
      from schools s cross join lateral ST_Dump(s.gates) d where s.gates && ${box} and d.geom && ${box}`,
  },
  school_labels: {
    columns: ['id', 'name', 'schoolType'],
    geometry: 'point',
    rows: (box) => sql`select s.id as "id", s.name as "name", s.school_type as "schoolType", l.g
      from schools s cross join lateral (select ST_PointOnSurface(s.geom) as g) l where s.geom && ${box} and l.g && ${box}`,
  },
  zones: {
    columns: ['schoolId', 'schoolName', 'band', 'innerM', 'outerM', 'limitM'],
    geometry: 'polygon',
    rows: (
      box,
    ) => sql`select z.school_id as "schoolId", s.name as "schoolName", z.band as "band", z.inner_m as "innerM", z.outer_m as "outerM",
      z.limit_m as "limitM", z.geom as g
      from school_zones z join schools s on s.id = z.school_id where z.geom && ${box}`,
  },
  premises: {
    columns: ['id', 'name', 'category', 'licenceStatus', 'conflict', 'band', 'nearestSchoolId'],
    geometry: 'point',
    // The nearest of the schools it conflicts with, measured in degrees with longitude scaled by
    // cos(latitude): right for ranking schools a few hundred metres away, and cheap (a geography
    // distance per conflict made a dense tile take over a second). Drawing only, never a verdict.
    // Materialized, so the ranking runs once for the tile whatever the planner estimates.
    rows: (box) => sql`with n as materialized (
        select distinct on (c.premises_id) c.premises_id, c.school_id, c.band
        from conflicts c join premises q on q.id = c.premises_id join schools s on s.id = c.school_id
        where q.geom && ${box}
        order by c.premises_id, ST_Distance(${inFrame(sql`s.geom`, sql`cos(radians(ST_Y(q.geom)))`)}, ${inFrame(sql`q.geom`, sql`cos(radians(ST_Y(q.geom)))`)}), c.school_id
      )
      select p.id as "id", p.name as "name", p.category as "category", p.licence_status as "licenceStatus",
        (n.school_id is not null) as "conflict", n.band as "band", n.school_id as "nearestSchoolId", p.geom as g
      from premises p left join n on n.premises_id = p.id
      where p.geom && ${box}`,
  },
  counties: {
    columns: ['code', 'name'],
    geometry: 'polygon',
    rows: (box) => sql`select c.code as "code", c.name as "name", c.geom as g from counties c where c.geom && ${box}`,
  },
  county_labels: {
    columns: ['code', 'name'],
    geometry: 'point',
    rows: (box) => sql`select c.code as "code", c.name as "name", l.g
      from counties c cross join lateral (select ST_PointOnSurface(c.geom) as g) l where c.geom && ${box} and l.g && ${box}`,
  },
  townships: {
    columns: ['code', 'name', 'countyCode'],
    geometry: 'point',
    rows: (box) =>
      sql`select t.code as "code", t.name as "name", trim(t.county_code) as "countyCode", t.geom as g from townships t where t.geom && ${box}`,
  },
  roads: {
    columns: ['kind', 'walkable', 'name'],
    geometry: 'line',
    // Filtered by zoom here rather than in the style, so a zoom 11 tile does not carry every lane and footway.
    rows: (
      box,
      z,
    ) => sql`select r.kind as "kind", r.walkable as "walkable", ${z >= ROAD_NAMES_FROM_ZOOM ? sql`r.name` : sql`null::text`} as "name", r.geom as g
      from roads r where r.geom && ${box}${z >= ALL_ROADS_FROM_ZOOM ? sql`` : sql` and r.kind in (${sql.join([...ARTERIAL_ROAD_KINDS])})`}`,
  },
}

/**
 * Lines and polygons are first simplified in lon/lat by a fifth of a tile unit (keeping collapsed parts for the
 * encoder to judge), so that the transformation to Web Mercator and the clipping handle a few vertices
 * instead of the 256-segment rings of every zone in a zoom 11 tile; the encoders then simplify by half a
 * unit as ST_AsMVTGeom does.
 */
const presimplified = (source: Source, box: TileBox) => {
  if (source.geometry === 'point') return sql`f.g`
  const unitDegrees = 360 / 2 ** box.z / TILE_EXTENT
  const lat = Math.max(Math.abs(box.lonLat[1]), Math.abs(box.lonLat[3]))
  return sql`ST_Simplify(f.g, ${(unitDegrees * Math.cos((Math.min(lat, 85) * Math.PI) / 180)) / 5}::float8, true)`
}

const columnList = (source: Source) => sql.join(source.columns.map((c) => sql.ref(`f.${c}`)))

/** The layer's data version as one SQL value, read in the same statement (and so the same snapshot) as the tile's data. */
const versionColumn = (layer: TileLayer | undefined) => {
  if (!layer) return sql`null::text`
  const parts = LAYERS[layer].parts
  if (parts.length === 1) return sql`(select epoch || '-' || version from tile_versions where layer = ${parts[0]})`
  // A composite layer's version: its parts' versions in their order, joined by dots (as compositeVersion joins them).
  return sql`(select string_agg(epoch || '-' || version, '.' order by array_position(array[${sql.join([...parts])}]::text[], layer))
    from tile_versions where layer in (${sql.join([...parts])}) having count(*) = ${parts.length})`
}

/**
 * One tile encoded by the database (ST_AsMVT / ST_AsMVTGeom on ST_TileEnvelope), every source-layer in
 * one statement (an empty Buffer when no layer has a feature), with the data version of `versionOf`
 * read in the same snapshot.
 */
export async function renderTileInDatabase(
  db: Db,
  box: TileBox,
  sourceLayers: readonly SourceLayerId[],
  versionOf?: TileLayer,
): Promise<{ tile: Buffer; version: string | null }> {
  const bbox = envelope(box.lonLat)
  const parts = sourceLayers.map((id) => {
    const source = SOURCES[id]
    return sql`coalesce((select ST_AsMVT(t, ${id}, ${TILE_EXTENT}, 'geom') from (
      select ${columnList(source)}, ST_AsMVTGeom(ST_Transform(${presimplified(source, box)}, 3857), ST_TileEnvelope(${box.z}, ${box.x}, ${box.y}), ${TILE_EXTENT}, ${TILE_BUFFER}, true) as geom
      from (${source.rows(bbox, box.z)}) f
    ) t where t.geom is not null), ''::bytea)`
  })
  const tile = parts.length > 0 ? sql.join(parts, sql` || `) : sql`''::bytea`
  const { rows } = await sql<{
    tile: Buffer
    version: string | null
  }>`select ${tile} as tile, ${versionColumn(versionOf)} as version`.execute(db)
  return { tile: Buffer.from(rows[0]?.tile ?? Buffer.alloc(0)), version: rows[0]?.version ?? null }
}

/** A feature of one source-layer in tile coordinates (GeoJSON geometry with integer coordinates, y down). */
export interface TileFeatureRow {
  properties: Record<string, string | number | boolean | null>
  geometry: { type: string; coordinates: unknown }
}

/**
 * The features of a tile already in tile coordinates, for encoding outside the database (the embedded
 * PostGIS is built without protobuf-c, so ST_AsMVT does not exist there). Does what ST_AsMVTGeom does:
 * drops points closer than half a unit and simplifies by half a unit, transforms to tile units with y
 * flipped, clips lines and polygons to the buffered tile, snaps to the integer grid, drops what collapsed, and
 * orients exterior rings as the vector tile specification wants. The data version of `versionOf` comes
 * from the same statement.
 */
export async function tileFeatures(
  db: Db,
  box: TileBox,
  sourceLayers: readonly SourceLayerId[],
  versionOf?: TileLayer,
): Promise<{ layers: Record<string, TileFeatureRow[]>; version: string | null }> {
  const bbox = envelope(box.lonLat)
  const fx = TILE_EXTENT / (box.maxX - box.minX)
  const fy = -TILE_EXTENT / (box.maxY - box.minY)
  const halfUnit = (box.maxX - box.minX) / TILE_EXTENT / 2
  const toTile = (geometry: RawBuilder<unknown>) =>
    sql`ST_Affine(${geometry}, ${fx}::float8, 0, 0, ${fy}::float8, ${-box.minX * fx}::float8, ${-box.maxY * fy}::float8)`
  const clip = sql`ST_MakeEnvelope(${-TILE_BUFFER}, ${-TILE_BUFFER}, ${TILE_EXTENT + TILE_BUFFER}, ${TILE_EXTENT + TILE_BUFFER})`
  const parts = sourceLayers.map((id) => {
    const source = SOURCES[id]
    const properties = sql.join(source.columns.map((c) => sql`${sql.lit(c)}, ${sql.ref(`f.${c}`)}`))
    const clipped = sql`(select case when a.g @ ${clip} then a.g else ST_ClipByBox2D(a.g, ${clip}) end
             from (select ${toTile(sql`ST_Simplify(ST_RemoveRepeatedPoints(ST_Transform(${presimplified(source, box)}, 3857), ${halfUnit}::float8), ${halfUnit}::float8)`)} as g) a)`
    const tileGeometry =
      source.geometry === 'point'
        ? sql`ST_SnapToGrid(${toTile(sql`ST_Transform(${presimplified(source, box)}, 3857)`)}, 1)`
        : source.geometry === 'line'
          ? sql`ST_RemoveRepeatedPoints(ST_CollectionExtract(ST_SnapToGrid(${clipped}, 1), 2))`
          : sql`ST_ForcePolygonCCW(ST_CollectionExtract(ST_SnapToGrid(${clipped}, 1), 3))`
    const kept =
      source.geometry === 'point'
        ? sql`t.geom && ${clip}`
        : source.geometry === 'line'
          ? sql`not ST_IsEmpty(t.geom) and ST_Length(t.geom) > 0`
          : sql`not ST_IsEmpty(t.geom) and ST_Area(t.geom) > 0`
    return sql`coalesce((select json_agg(json_build_object('properties', t.properties, 'geometry', ${asGeoJson(sql`t.geom`)})) from (
      select json_build_object(${properties}) as properties, ${tileGeometry} as geom
      from (${source.rows(bbox, box.z)}) f
    ) t where t.geom is not null and ${kept}), '[]'::json) as ${sql.ref(id)}`
  })
  const { rows } = await sql<
    Record<string, TileFeatureRow[] | string | null>
  >`select ${sql.join([...parts, sql`${versionColumn(versionOf)} as version`])}`.execute(db)
  const row = rows[0] ?? {}
  const layers: Record<string, TileFeatureRow[]> = {}
  for (const id of sourceLayers) {
    const value = row[id]
    layers[id] = typeof value === 'string' ? (JSON.parse(value) as TileFeatureRow[]) : (value ?? [])
  }
  return { layers, version: typeof row.version === 'string' ? row.version : null }
}

/**
 * Each layer's data version: a counter bumped at the commit of any write to its sources, and the database's epoch; a
 * composite layer's is its parts' versions joined by dots (missing when a part has none).
 */
export async function dataVersions(db: Db): Promise<Map<string, string>> {
  const rows = await db.selectFrom('tile_versions').select(['layer', 'version', 'epoch']).execute()
  const versions = new Map(rows.map((r) => [r.layer, `${r.epoch}-${Number(r.version)}`]))
  for (const [layer, { parts }] of Object.entries(LAYERS)) {
    if (parts.length < 2) continue
    const each = parts.map((part) => versions.get(part))
    if (each.every((version) => version !== undefined)) versions.set(layer, each.join('.'))
  }
  return versions
}

const EXTENT_OF: Record<TileLayer, RawBuilder<unknown>> = {
  schools: sql`(select ST_Extent(geom) from schools)`,
  zones: sql`(select ST_Extent(geom) from school_zones)`,
  premises: sql`(select ST_Extent(geom) from premises)`,
  counties: sql`(select ST_Extent(geom) from counties)`,
  townships: sql`(select ST_Extent(geom) from townships)`,
  roads: sql`(select ST_Extent(geom) from roads)`,
  // Zones surround their schools; the schools are there for a registry with no zones drawn yet.
  registry: sql`(select ST_Extent(g) from (select geom as g from schools union all select geom from school_zones union all select geom from premises) x)`,
}

/** The layer's data extent [west, south, east, north], or null when it has no data. */
export async function layerExtent(db: Db, layer: TileLayer): Promise<[number, number, number, number] | null> {
  const { rows } = await sql<{ w: number | null; s: number | null; e: number | null; n: number | null }>`
    select ST_XMin(b) as w, ST_YMin(b) as s, ST_XMax(b) as e, ST_YMax(b) as n from (select ${EXTENT_OF[layer]}::geometry as b) x`.execute(
    db,
  )
  const row = rows[0]
  if (!row || row.w === null || row.s === null || row.e === null || row.n === null) return null
  return [Number(row.w), Number(row.s), Number(row.e), Number(row.n)]
}

/** The distinct attributions of the road imports, in the order they were first imported (the roads TileJSON names them all). */
export async function roadAttributions(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('road_sources')
    .select('attribution')
    .groupBy('attribution')
    .orderBy(sql`min(id)`)
    .execute()
  return rows.map((r) => r.attribution)
}
