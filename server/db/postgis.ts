import { sql, type Expression, type RawBuilder } from 'kysely'

/** Typed PostGIS fragments; every geometry the service writes or reads passes through here. */

/** GeoJSON geometry (already validated, WGS84) → geometry(4326). */
export const geomFromGeoJson = (geometry: unknown): RawBuilder<unknown> =>
  sql`ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(geometry)}), 4326)`

/** A campus polygon, stored with exterior rings counter-clockwise as RFC 7946 asks. */
export const campusFromGeoJson = (geometry: unknown): RawBuilder<unknown> => sql`ST_ForcePolygonCCW(${geomFromGeoJson(geometry)})`

/** [[lon, lat], …] → MultiPoint(4326), or NULL for no positions. */
export const multiPointFromPositions = (positions: readonly (readonly number[])[]): RawBuilder<unknown> =>
  positions.length === 0 ? sql`NULL` : geomFromGeoJson({ type: 'MultiPoint', coordinates: positions.map((p) => [p[0], p[1]]) })

/** lon, lat → Point(4326). */
export const pointFromLonLat = (lon: number, lat: number): RawBuilder<unknown> =>
  sql`ST_SetSRID(ST_MakePoint(${lon}::float8, ${lat}::float8), 4326)`

/** geometry → GeoJSON object; 9 decimals keep 0.1 mm, far below any distance the service reports. */
export const asGeoJson = (geometry: Expression<unknown> | RawBuilder<unknown>): RawBuilder<{ type: string; coordinates: unknown }> =>
  sql`ST_AsGeoJSON(${geometry}, 9)::json`

/** The bbox filter: geometries whose bounding box meets the envelope (uses the GiST index). */
export const intersectsEnvelope = (column: RawBuilder<unknown> | Expression<unknown>, bbox: readonly [number, number, number, number]): RawBuilder<boolean> =>
  sql`${column} && ST_MakeEnvelope(${bbox[0]}::float8, ${bbox[1]}::float8, ${bbox[2]}::float8, ${bbox[3]}::float8, 4326)`

/**
 * PROJ string of an azimuthal equidistant projection centred on the geometry's bounding box: distances
 * from near its centre are geodesic, so a buffer drawn there lies at the true distance on the ground
 * (to about 1e-8 of it a few kilometres out). Buffering on geography would use a UTM zone instead,
 * whose scale draws 200 m as 199.8–200.08 m.
 */
export const aeqdProjection = (geometry: RawBuilder<unknown>): RawBuilder<string> =>
  sql<string>`format('+proj=aeqd +lat_0=%s +lon_0=%s +ellps=WGS84 +units=m +no_defs',
    (ST_YMin(${geometry}) + ST_YMax(${geometry})) / 2, (ST_XMin(${geometry}) + ST_XMax(${geometry})) / 2)`

/**
 * Affine maps between lon/lat and a local frame in metres at the latitude `lat0` (degrees): east scaled by
 * the ellipsoid's parallel radius N·cos φ, north by its meridian radius M. Within a kilometre of lat0 the
 * frame's scale is right to about 1e-4 at 36°N (tan φ · Δφ), so a 200 m buffer drawn in it lies within
 * 2 cm of the true distance; unlike a PROJ string per row (ST_Transform(geom, text) builds a new PROJ
 * pipeline on every call, about 17 ms on PostGIS 3.3) it costs nothing to set up.
 */
export const toLocalFrame = (geometry: RawBuilder<unknown>, lon0: RawBuilder<unknown>, lat0: RawBuilder<unknown>): RawBuilder<unknown> =>
  sql`ST_Affine(${geometry}, ${parallelMetresPerDegree(lat0)}, 0, 0, ${meridianMetresPerDegree(lat0)}, -(${lon0}) * ${parallelMetresPerDegree(lat0)}, -(${lat0}) * ${meridianMetresPerDegree(lat0)})`
export const fromLocalFrame = (geometry: RawBuilder<unknown>, lon0: RawBuilder<unknown>, lat0: RawBuilder<unknown>): RawBuilder<unknown> =>
  sql`ST_Affine(${geometry}, 1 / ${parallelMetresPerDegree(lat0)}, 0, 0, 1 / ${meridianMetresPerDegree(lat0)}, ${lon0}, ${lat0})`
const WGS84_A = sql.lit(6378137)
const WGS84_E2 = sql.lit(0.00669437999014)
const parallelMetresPerDegree = (lat: RawBuilder<unknown>) =>
  sql`(radians(1) * ${WGS84_A} * cos(radians(${lat})) / sqrt(1 - ${WGS84_E2} * sin(radians(${lat})) ^ 2))`
const meridianMetresPerDegree = (lat: RawBuilder<unknown>) =>
  sql`(radians(1) * ${WGS84_A} * (1 - ${WGS84_E2}) / (1 - ${WGS84_E2} * sin(radians(${lat})) ^ 2) ^ 1.5)`

/** A buffer of `radius` metres around a geometry already in a metric frame (64 segments a quarter circle: 1.5 cm chord cut-in at 200 m). */
export const drawnBuffer = (projected: RawBuilder<unknown>, radius: RawBuilder<unknown>): RawBuilder<unknown> =>
  sql`ST_Buffer(${projected}, ${radius}, 'quad_segs=64')`

/** Geodesic distance in metres on the WGS84 ellipsoid between two geometries(4326). */
export const geodesicDistance = (a: Expression<unknown> | RawBuilder<unknown>, b: Expression<unknown> | RawBuilder<unknown>): RawBuilder<number> =>
  sql`ST_Distance(${a}::geography, ${b}::geography)`
