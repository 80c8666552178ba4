import { sql, type RawBuilder } from 'kysely'

/**
 * Geodesic distance from a point to a campus or to gates, as SQL, measured part by part.
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
 * its great-circle arc; within about 3 mm of GeographicLib at 200 m), each gate exactly. It is one call
 * rather than a set-returning scan of ST_Distance calls, which keeps the planner's cost low (a scan
 * estimated at 1,000 rows × ST_Distance made the server JIT-compile every check: ~200 ms).
 *
 * `origin` is a Polygon/MultiPolygon campus or a MultiPoint of gates (geometry, SRID 4326); `point` a Point.
 */
const WGS84 = sql`'SPHEROID["WGS 84",6378137,298.257223563]'::spheroid`

const partsOf = (origin: RawBuilder<unknown>) =>
  sql`(case when GeometryType(${origin}) = 'MULTIPOINT' then ${origin} else (select ST_Collect(d.geom) from ST_DumpSegments(${origin}) d) end)`

/** Metres from the point to the nearest part (0 inside a campus). */
export const geodesicDistance = (origin: RawBuilder<unknown>, point: RawBuilder<unknown>) =>
  sql<number>`(case when ST_Intersects(${origin}, ${point}) then 0::float8 else ST_DistanceSpheroid(${partsOf(origin)}, ${point}, ${WGS84}) end)`

/** Whether the nearest part lies within `limit` metres of the point (or the point is inside the campus). */
export const geodesicWithin = (origin: RawBuilder<unknown>, point: RawBuilder<unknown>, limit: RawBuilder<unknown>) =>
  sql<boolean>`(${geodesicDistance(origin, point)} <= ${limit})`
