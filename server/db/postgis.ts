import { sql, type Expression, type RawBuilder } from 'kysely'

/**
 * Typed PostGIS fragments; every geometry the service writes or reads passes through here, and so does
 * everything geodesic: the WGS84 figures, degrees reached by a distance in metres, the local metric
 * frame, the closest point and the one exact distance. Repositories compose these; none writes its own.
 */

type Sql = Expression<unknown> | RawBuilder<unknown>

/** WGS84 semi-major axis (m): also the sphere radius of Web Mercator (EPSG:3857). */
export const WGS84_A_M = 6378137
/** WGS84 first eccentricity squared. */
export const WGS84_E2 = 0.00669437999014
/** The smallest radius of curvature of the WGS84 ellipsoid anywhere (the meridian radius at the equator), in metres. */
export const WGS84_RADIUS_MIN_M = 6335439

const A = sql.lit(WGS84_A_M)
const E2 = sql.lit(WGS84_E2)
const R_MIN = sql.lit(WGS84_RADIUS_MIN_M)
const SPHEROID = sql`'SPHEROID["WGS 84",6378137,298.257223563]'::spheroid`

/** GeoJSON geometry (already validated, WGS84) → geometry(4326). */
export const geomFromGeoJson = (geometry: unknown): RawBuilder<unknown> =>
  sql`ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(geometry)}), 4326)`

/** A campus polygon, stored with exterior rings counter-clockwise as RFC 7946 asks. */
export const campusFromGeoJson = (geometry: unknown): RawBuilder<unknown> => sql`ST_ForcePolygonCCW(${geomFromGeoJson(geometry)})`

/** [[lon, lat], …] → MultiPoint(4326), or NULL for no positions. */
export const multiPointFromPositions = (positions: readonly (readonly number[])[]): RawBuilder<unknown> =>
  positions.length === 0 ? sql`NULL` : geomFromGeoJson({ type: 'MultiPoint', coordinates: positions.map((p) => [p[0], p[1]]) })

/** lon, lat → Point(4326). */
export const pointFromLonLat = (lon: number, lat: number): RawBuilder<unknown> => pointOf(sql`${lon}::float8`, sql`${lat}::float8`)

/** Longitude and latitude expressions (float8, e.g. columns of a JSON batch) → Point(4326). */
export const pointOf = (lon: Sql, lat: Sql): RawBuilder<unknown> => sql`ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326)`

/** A column holding GeoJSON geometries (json or text, already validated, WGS84) → geometry(4326). */
export const geomFromGeoJsonColumn = (column: Sql): RawBuilder<unknown> => sql`ST_SetSRID(ST_GeomFromGeoJSON(${column}::text), 4326)`

/** geometry → GeoJSON object; 9 decimals keep 0.1 mm, far below any distance the service reports. */
export const asGeoJson = (geometry: Sql): RawBuilder<{ type: string; coordinates: unknown }> => sql`ST_AsGeoJSON(${geometry}, 9)::json`

/** geometry → GeoJSON object for drawing only: 7 decimals (about 1 cm) keep large outlines light. */
export const asDrawnGeoJson = (geometry: Sql): RawBuilder<{ type: string; coordinates: unknown }> => sql`ST_AsGeoJSON(${geometry}, 7)::json`

/** The WGS84 envelope [west, south, east, north] as a geometry(4326). */
export const envelope = (bbox: readonly [number, number, number, number]): RawBuilder<unknown> =>
  sql`ST_MakeEnvelope(${bbox[0]}::float8, ${bbox[1]}::float8, ${bbox[2]}::float8, ${bbox[3]}::float8, 4326)`

/** The bbox filter: geometries whose bounding box meets the envelope (uses the GiST index). */
export const intersectsEnvelope = (
  column: RawBuilder<unknown> | Expression<unknown>,
  bbox: readonly [number, number, number, number],
): RawBuilder<boolean> => sql`${column} && ${envelope(bbox)}`

/**
 * Degrees of longitude that `metres` can span at latitudes up to `phiMax` (radians): measured with the
 * smallest length a degree of longitude has there (a·cos φ), so the figure can only over-cover.
 */
export const longitudeDegreesOf = (metres: Sql, phiMax: Sql): RawBuilder<number> =>
  sql`${metres} / (${A}::float8 * pi() / 180 * cos(${phiMax}))`

/** Degrees of latitude that `metres` can span anywhere (with the smallest radius of curvature, so over-covering). */
export const latitudeDegreesOf = (metres: Sql): RawBuilder<number> => sql`${metres} / (${R_MIN}::float8 * pi() / 180)`

/**
 * The geometry's box grown by at least `metres` on the ground every way, for a GiST candidate search near
 * latitude `lat` (degrees; the figure holds within 0.05° of it). Over-covers by 0.1 %; the exact test decides.
 */
export const expandByMetres = (geometry: Sql, metres: Sql, lat: Sql): RawBuilder<unknown> =>
  sql`ST_Expand(${geometry},
    ${longitudeDegreesOf(metres, sql`radians(least(abs(${lat}) + 0.05, 89))`)} * 1.001,
    ${latitudeDegreesOf(metres)} * 1.001)`

/** The meridian radius of curvature M(φ) in metres per degree of latitude, at `phi` (radians). */
export const meridianMetresPerDegree = (phi: Sql): RawBuilder<number> =>
  sql`(${A}::float8 * (1 - ${E2}::float8) / power(1 - ${E2}::float8 * sin(${phi}) ^ 2, 1.5) * pi() / 180)`

/**
 * kx of the local frame at `phi` (radians): N(φ)·cos φ / M(φ), the length of a degree of longitude in
 * degrees of latitude. Scaling x by it makes lon/lat a metric frame up to the factor M(φ)·π/180, good to
 * the bound proved in zones/pairs.ts near φ; closest points found in it are right to millimetres.
 */
export const frameKx = (phi: Sql): RawBuilder<number> => sql`(cos(${phi}) * (1 - ${E2}::float8 * sin(${phi}) ^ 2) / (1 - ${E2}::float8))`

/** A geometry in the frame of `kx` (see frameKx). */
export const inFrame = (geometry: Sql, kx: Sql): RawBuilder<unknown> => sql`ST_Scale(${geometry}, ${kx}, 1)`

/**
 * Affine maps between lon/lat and a local frame in metres at the latitude `lat0` (degrees): east scaled by
 * the ellipsoid's parallel radius N·cos φ, north by its meridian radius M. Within a kilometre of lat0 the
 * frame's scale is right to about 1e-4 at 36°N (tan φ · Δφ), so a 200 m buffer drawn in it lies within
 * 2 cm of the true distance; unlike a PROJ string per row (ST_Transform(geom, text) builds a new PROJ
 * pipeline on every call, about 17 ms on PostGIS 3.3) it costs nothing to set up.
 */
export const toLocalFrame = (geometry: Sql, lon0: Sql, lat0: Sql): RawBuilder<unknown> =>
  sql`ST_Affine(${geometry}, ${parallelMetresPerDegree(lat0)}, 0, 0, ${localMeridianMetresPerDegree(lat0)}, -(${lon0}) * ${parallelMetresPerDegree(lat0)}, -(${lat0}) * ${localMeridianMetresPerDegree(lat0)})`
/** The inverse of toLocalFrame. */
export const fromLocalFrame = (geometry: Sql, lon0: Sql, lat0: Sql): RawBuilder<unknown> =>
  sql`ST_Affine(${geometry}, 1 / ${parallelMetresPerDegree(lat0)}, 0, 0, 1 / ${localMeridianMetresPerDegree(lat0)}, ${lon0}, ${lat0})`
const parallelMetresPerDegree = (lat: Sql) => sql`(radians(1) * ${A} * cos(radians(${lat})) / sqrt(1 - ${E2} * sin(radians(${lat})) ^ 2))`
const localMeridianMetresPerDegree = (lat: Sql) => sql`(radians(1) * ${A} * (1 - ${E2}) / (1 - ${E2} * sin(radians(${lat})) ^ 2) ^ 1.5)`

/** A buffer of `radius` metres around a geometry already in a metric frame (64 segments a quarter circle: 1.5 cm chord cut-in at 200 m). */
export const drawnBuffer = (projected: Sql, radius: Sql): RawBuilder<unknown> => sql`ST_Buffer(${projected}, ${radius}, 'quad_segs=64')`

/**
 * Geodesic distance in metres from a point to a campus, to gates or to another point, measured part by part.
 *
 * ST_Distance / ST_DWithin on a whole geography look for the nearest segment (or point of a
 * MultiPoint) on a sphere and only then measure that one on the ellipsoid. The sphere stretches
 * north–south and shrinks east–west distances against the ellipsoid by up to about 0.45 %, so where two
 * parts are almost equally far they can pick the wrong one and answer up to ~0.9 m too far at 200 m:
 * a point 199.89 m from the notch of an L-shaped campus came out "allowed", one 199.94 m from the second
 * of two gates was left out of the conflicts (test/api/zoning-verdicts.test.ts, conflicts-equivalence).
 *
 * Here the campus boundary is taken apart into its segments (a MultiLineString of 2-point lines), and
 * ST_DistanceSpheroid measures a collection member by member on the ellipsoid and keeps the least, so
 * there is no choice to get wrong. Each segment is measured like geography does (to the nearest point of
 * its great-circle arc; within about 3 mm of GeographicLib at 200 m), each gate or point exactly. It is one
 * call rather than a set-returning scan of ST_Distance calls, which keeps the planner's cost low (a scan
 * estimated at 1,000 rows × ST_Distance made the server JIT-compile every check: ~200 ms).
 *
 * `origin` is a Polygon/MultiPolygon campus, a MultiPoint of gates or a Point (geometry, SRID 4326);
 * `point` a Point. 0 when the point lies inside the campus.
 */
export const geodesicDistance = (origin: Sql, point: Sql): RawBuilder<number> =>
  sql<number>`(case when ST_Intersects(${origin}, ${point}) then 0::float8 else ST_DistanceSpheroid(${partsOf(origin)}, ${point}, ${SPHEROID}) end)`

const partsOf = (origin: Sql) =>
  sql`(case when GeometryType(${origin}) in ('POINT', 'MULTIPOINT') then ${origin} else (select ST_Collect(d.geom) from ST_DumpSegments(${origin}) d) end)`

/** Whether the nearest part lies within `limit` metres of the point (or the point is inside the campus). */
export const geodesicWithin = (origin: Sql, point: Sql, limit: Sql): RawBuilder<boolean> =>
  sql<boolean>`(${geodesicDistance(origin, point)} <= ${limit})`

/**
 * The point of `origin` nearest to `point`: the nearest gate of a MultiPoint (measured exactly), else the
 * closest boundary point of a campus found in the local frame at the point's latitude (frameKx).
 */
export const closestPoint = (origin: Sql, point: Sql): RawBuilder<unknown> => {
  const kx = frameKx(sql`radians(ST_Y(${point}))`)
  return sql`(case
    when GeometryType(${origin}) in ('POINT', 'MULTIPOINT')
      then (select d.geom from ST_Dump(${origin}) d order by ${geodesicDistance(sql`d.geom`, point)} limit 1)
    else ST_Scale(ST_ClosestPoint(${inFrame(origin, kx)}, ${inFrame(point, kx)}), 1 / ${kx}, 1)
  end)`
}

/** x, y expressions in a whitelisted source SRID (a surveyed file's CRS) → Point(4326). */
export const transformedToWgs84 = (x: Sql, y: Sql, srid: number): RawBuilder<unknown> =>
  sql`ST_Transform(ST_SetSRID(ST_MakePoint(${x}, ${y}), ${sql.lit(Math.trunc(srid))}), 4326)`
