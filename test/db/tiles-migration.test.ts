/**
 * Migration 0004 draws the zones of the schools already registered exactly as the service redraws
 * them, and its down/up round trip leaves tile versions and stored zones in place.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { migrateTo, migrateToLatest } from '../../server/db/migrate.ts'
import { redrawZones } from '../../server/modules/zones/maintenance.ts'
import { GUYUAN, offset, schoolFeature } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp

beforeAll(async () => {
  t = await startTestApp()
  const { agent } = await t.signIn({ department: 'admin', role: 'admin' })
  await agent
    .post('/api/schools')
    .send(schoolFeature({ center: [GUYUAN.lon, GUYUAN.lat] }))
    .expect(201)
  const second = offset([GUYUAN.lon, GUYUAN.lat], 2000, 1000)
  await agent
    .post('/api/schools')
    .send(schoolFeature({ center: second, gates: [offset(second, 0, -40), offset(second, 30, 40)] }))
    .expect(201)
})
afterAll(async () => {
  await t?.close()
})

it('fills school_zones for existing schools as redrawZones draws them', async () => {
  const db = t.app.db
  // Down to just before the tiles migration (undoing the later ones on the way), then up again.
  await migrateTo(db, '0003_permits')
  const { rows: tables } = await sql<{
    n: number
  }>`select count(*)::int as n from pg_tables where tablename in ('school_zones', 'tile_versions', 'tile_changes')`.execute(db)
  expect(tables[0]!.n).toBe(0)
  await migrateToLatest(db)
  await sql`create table zones_from_migration as select * from school_zones`.execute(db)
  await redrawZones(db, sql<boolean>`true`)
  const { rows } = await sql<{ n: number; worst: number | null; missing: number }>`
    select count(*)::int as n, max(ST_HausdorffDistance(m.geom, z.geom)) as worst, count(*) filter (where z.school_id is null)::int as missing
    from zones_from_migration m
    left join school_zones z on z.school_id = m.school_id and z.limit_m = m.limit_m and z.origin = m.origin and z.band_index = m.band_index`.execute(
    db,
  )
  expect(rows[0]!.n).toBe(4)
  expect(rows[0]!.missing).toBe(0)
  expect(Number(rows[0]!.worst)).toBeLessThan(1e-9)
  const versions = await db.selectFrom('tile_versions').select(['layer', 'version']).orderBy('layer').execute()
  expect(versions.map((v) => v.layer)).toEqual(['counties', 'premises', 'roads', 'schools', 'townships', 'zones'])
})
