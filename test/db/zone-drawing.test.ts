/**
 * The stored zone bands (zones/maintenance.ts redrawZones) are exactly the outer buffer less the inner one, as the
 * overlay (ST_Difference) draws them — the same rings, the same orientation — whether a band is built directly as a
 * ring with a hole or, where that shortcut does not apply (a courtyard campus whose inner buffer keeps a hole, a campus
 * in two parts, two radii almost equal), by the overlay itself.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { redrawZones } from '../../server/modules/zones/maintenance.ts'
import { GUYUAN, offset, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp

const square = (centre: readonly number[], half: number) => [
  offset(centre, -half, -half),
  offset(centre, half, -half),
  offset(centre, half, half),
  offset(centre, -half, half),
  offset(centre, -half, -half),
]

beforeAll(async () => {
  t = await startTestApp()
  const { agent } = await t.signIn({ department: 'admin', role: 'admin' })
  const centre = [GUYUAN.lon, GUYUAN.lat]
  await agent
    .post('/api/schools')
    .send(schoolFeature({ center: centre }))
    .expect(201)
  // A courtyard 300 m across inside a campus 500 m across: its 50 m buffer keeps a hole, its 200 m one none.
  const yard = offset(centre, 3000, 0)
  await agent
    .post('/api/schools')
    .send(
      schoolFeature({
        center: yard,
        gates: [offset(yard, 0, -250)],
        geometry: { type: 'Polygon', coordinates: [square(yard, 250), square(yard, 150).reverse()] },
      }),
    )
    .expect(201)
  // Two parts 160 m apart: their 50 m buffers stay apart (a MultiPolygon), their 200 m ones merge.
  const split = offset(centre, 0, 3000)
  await agent
    .post('/api/schools')
    .send(
      schoolFeature({
        center: split,
        gates: [offset(split, -130, -50)],
        geometry: {
          type: 'MultiPolygon',
          coordinates: [[square(offset(split, -130, 0), 50)], [square(offset(split, 130, 0), 50)]],
        },
      }),
    )
    .expect(201)
})
afterAll(async () => {
  await t?.close()
})

it('draws each band as the overlay does, through the ring shortcut and without it', async () => {
  const db = t.app.db
  // A third band 0.1 m wide under the middle-school rules: radii too close for the shortcut.
  await sql`update rules set band_edges = array[50, 199.9]::float8[], band_names = array['core', 'control', 'edge'] where school_type = 'primary' and category = 'tobacco_retail'`.execute(
    db,
  )
  await redrawZones(db, sql<boolean>`true`)
  const east = sql`(radians(1) * 6378137 * cos(radians(f.lat0)) / sqrt(1 - 0.00669437999014 * sin(radians(f.lat0)) ^ 2))`
  const north = sql`(radians(1) * 6378137 * (1 - 0.00669437999014) / (1 - 0.00669437999014 * sin(radians(f.lat0)) ^ 2) ^ 1.5)`
  const { rows } = await sql<{
    n: number
    worst: number
    same_orientation: number
    valid: number
    with_holes: number
    multi_inner: number
    narrow: number
  }>`
    with z as (
      select z.*, case when z.origin = 'gates' then s.gates else s.geom end as o from school_zones z join schools s on s.id = z.school_id
    ), r as (
      select z.*, ST_Multi(ST_Affine(case when z.inner_m = 0 then ST_Buffer(p.local, z.outer_m, 'quad_segs=64')
          else ST_Difference(ST_Buffer(p.local, z.outer_m, 'quad_segs=64'), ST_Buffer(p.local, z.inner_m, 'quad_segs=64')) end,
          1 / ${east}, 0, 0, 1 / ${north}, f.lon0, f.lat0)) as reference,
        case when z.inner_m > 0 then ST_Buffer(p.local, z.inner_m, 'quad_segs=64') end as inner_buffer
      from z
      cross join lateral (select (ST_XMin(z.o) + ST_XMax(z.o)) / 2 as lon0, (ST_YMin(z.o) + ST_YMax(z.o)) / 2 as lat0) f
      cross join lateral (select ST_Affine(z.o, ${east}, 0, 0, ${north}, -f.lon0 * ${east}, -f.lat0 * ${north}) as local) p
    )
    select count(*)::int as n, max(ST_HausdorffDistance(r.geom, r.reference)) as worst,
      count(*) filter (where ST_IsPolygonCW(r.geom) = ST_IsPolygonCW(r.reference) and ST_IsPolygonCCW(r.geom) = ST_IsPolygonCCW(r.reference))::int as same_orientation,
      count(*) filter (where ST_IsValid(r.geom) and ST_Equals(ST_Normalize(r.geom), ST_Normalize(r.reference)))::int as valid,
      count(*) filter (where r.inner_buffer is not null and ST_NumInteriorRings(ST_GeometryN(r.inner_buffer, 1)) > 0)::int as with_holes,
      count(*) filter (where GeometryType(r.inner_buffer) = 'MULTIPOLYGON')::int as multi_inner,
      count(*) filter (where r.outer_m - r.inner_m < 1 and r.inner_m > 0)::int as narrow
    from r`.execute(db)
  const row = rows[0]!
  // Every school has the default shape (2 bands) and the primary school the 3-band one too.
  expect(row.n).toBeGreaterThanOrEqual(3 * 2 + 3)
  expect(Number(row.worst)).toBeLessThan(1e-9)
  expect(row.same_orientation).toBe(row.n)
  expect(row.valid).toBe(row.n)
  // The cases the shortcut leaves to the overlay were drawn.
  expect(row.with_holes).toBeGreaterThan(0)
  expect(row.multi_inner).toBeGreaterThan(0)
  expect(row.narrow).toBeGreaterThan(0)
})
