import { sql, type Kysely, type RawBuilder } from 'kysely'
import { asGeoJson, expandByMetres, geodesicDistance, latitudeDegreesOf, longitudeDegreesOf, pointOf } from '../../db/postgis.ts'
import type { Database } from '../../db/types.ts'
import { GATE_REACH_M, rulesInForce } from './pairs.ts'

/** A school whose rule for the point's category reaches it in a straight line (under a walking rule: from a gate, a candidate). */
export interface BatchMeasuredRow {
  /** The point's place in the chunk. */
  i: number
  school_id: number
  school_name: string
  rule_id: number
  rule_version: number
  limit_m: number
  band_names: string[]
  band_edges: number[]
  path: string
  /** The school's gates, under a walking rule only. */
  gates: { coordinates: [number, number][] } | null
  distance_m: number
}

/**
 * For a chunk of points (WGS84, each with its category), every school within its rule's limit, nearest
 * first, in one statement: the points as arrays (unnest), the schools found through the GiST index with the
 * same box as the single check (repository.measurePoint: the point grown by the largest limit of the
 * category plus the gates' reach), then the same exact part-by-part geodesic distance and the same test
 * (distance ≤ limit). So each verdict and distance is the one POST /api/check gives for that point.
 */
export async function measureChunk(
  db: Kysely<Database>,
  points: { lon: readonly number[]; lat: readonly number[]; category: readonly string[] },
): Promise<BatchMeasuredRow[]> {
  const { rows } = await sql<BatchMeasuredRow>`
    with pt as materialized (
      select u.i::int as i, u.lon, u.lat, u.category, ${pointOf(sql`u.lon`, sql`u.lat`)} as g
      from unnest(${[...points.lon]}::float8[], ${[...points.lat]}::float8[], ${[...points.category]}::text[]) with ordinality as u(lon, lat, category, i)
    ),
    r as materialized (select * from ${rulesInForce} as r0 where r0.category in (select distinct category from pt)),
    k as materialized (select category, max(limit_m) + ${GATE_REACH_M} as reach from r group by category),
    -- Materialised so that each exact distance is computed once (not again in the filter below).
    found as materialized (
      select pt.i - 1 as i, s.id as school_id, s.name as school_name, r.id as rule_id, r.version as rule_version,
        r.limit_m, r.band_names, r.band_edges, r.path,
        case when r.path = 'walking' then ${asGeoJson(sql`s.gates`)} end as gates,
        ${geodesicDistance(sql`o.origin`, sql`pt.g`)} as distance_m
      from pt
      join k on k.category = pt.category
      join schools s on s.geom && ${expandByMetres(sql`pt.g`, sql`k.reach`, sql`pt.lat`)}
      join r on r.category = pt.category and r.school_type = s.school_type
      cross join lateral (select case when r.origin = 'gates' and s.gates is not null then s.gates else s.geom end as origin) o
      where ST_DWithin(o.origin, pt.g, ${degreesReached(sql`r.limit_m`, sql`pt.lat`)})
    )
    select * from found
    where found.distance_m <= found.limit_m
    order by found.i, found.distance_m, found.school_id`.execute(db)
  return rows.map((r) => ({
    ...r,
    i: Number(r.i),
    distance_m: Number(r.distance_m),
    limit_m: Number(r.limit_m),
    band_names: parseArray(r.band_names).map(String),
    band_edges: parseArray(r.band_edges).map(Number),
  }))
}

/**
 * A planar reach in degrees that no pair within `metres` on the ground can exceed, so the plain (cheap)
 * ST_DWithin on lon/lat geometry drops only pairs the exact test would drop too.
 *
 * Proof: the shortest ground path from the point to the school (length d) has, drawn in the lon/lat plane, a
 * length of at most d / m, where m is the least length of one degree (of longitude or latitude) met along it:
 * ds² = M(φ)²dφ² + N(φ)²cos²φ dλ² ≥ m²(dφ² + dλ²) in degrees. A path no longer than a rule's limit (at most
 * 5 km) stays within 0.05° of the point's latitude, where a degree of longitude is at least a·cos(φ + 0.05°)
 * and a degree of latitude at least Rmin (postgis.ts longitudeDegreesOf, latitudeDegreesOf). The planar
 * distance between the point and the school is at most the drawn path's length, so planar > limit / m
 * implies d > limit. The exact geodesic decides every pair that passes.
 */
export const degreesReached = (metres: RawBuilder<unknown>, lat: RawBuilder<unknown>) =>
  sql`greatest(${longitudeDegreesOf(metres, sql`radians(least(abs(${lat}) + 0.05, 89))`)}, ${latitudeDegreesOf(metres)}) * 1.000001`

// Array columns come back as arrays from pg and PGlite alike, but guard against the text form (as repository.ts does).
const parseArray = (v: unknown) => (Array.isArray(v) ? v : String(v).replace(/[{}]/g, '').split(',').filter(Boolean))
