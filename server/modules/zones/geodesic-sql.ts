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
 * Measured one segment or one gate at a time there is no choice to get wrong; the least distance wins.
 * A single segment is still measured to the point found on PostGIS's great-circle arc, which is within
 * about 3 mm of GeographicLib at 200 m.
 *
 * `origin` is a Polygon/MultiPolygon campus or a MultiPoint of gates (geometry, SRID 4326); `point` a Point.
 */
const partsOf = (origin: RawBuilder<unknown>) =>
  sql`(select d.geom from ST_DumpSegments(case when GeometryType(${origin}) <> 'MULTIPOINT' then ${origin} end) d
    union all select d.geom from ST_DumpPoints(case when GeometryType(${origin}) = 'MULTIPOINT' then ${origin} end) d)`

/** Metres from the point to the nearest part (0 inside a campus). */
export const geodesicDistance = (origin: RawBuilder<unknown>, point: RawBuilder<unknown>) =>
  sql<number>`(select case when ST_Intersects(${origin}, ${point}) then 0::float8 else min(ST_Distance(part.geom::geography, ${point}::geography)) end from ${partsOf(origin)} part)`

/** Whether some part lies within `limit` metres of the point (or the point is inside the campus). */
export const geodesicWithin = (origin: RawBuilder<unknown>, point: RawBuilder<unknown>, limit: RawBuilder<unknown>) =>
  sql<boolean>`(ST_Intersects(${origin}, ${point}) or exists (select 1 from ${partsOf(origin)} part where ST_DWithin(part.geom::geography, ${point}::geography, ${limit})))`
