/**
 * Migration 0009 (police desk): the default policy row is version 1 with the agreed defaults, the checks
 * refuse what the desk must never store, and its down/up round trip leaves the schema as it was.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { migrateTo, migrateToLatest } from '../../server/db/migrate.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp

beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => {
  await t?.close()
})

it('inserts policy version 1 with the agreed defaults', async () => {
  const { rows } = await sql<{
    version: number
    visits: number
    gap: number
    dwell_min: number
    dwell_max: number
    peak_windows: unknown
    posts: unknown
    car: string
    foot: string
  }>`select version, visits_per_urban_school as visits, min_gap_minutes as gap, dwell_min_minutes as dwell_min,
       dwell_max_minutes as dwell_max, peak_windows, posts, car_speed_kmh::text as car, foot_speed_kmh::text as foot
     from patrol_policies`.execute(t.app.db)
  expect(rows).toEqual([
    {
      version: 1,
      visits: 2,
      gap: 120,
      dwell_min: 10,
      dwell_max: 15,
      peak_windows: [
        { name: 'morning', start: '07:20', end: '08:10' },
        { name: 'noon', start: '11:40', end: '12:20' },
        { name: 'afternoon', start: '16:30', end: '17:50' },
      ],
      posts: [{ scope: 'urban', gate: 1, windows: ['morning', 'afternoon'] }],
      car: '30',
      foot: '4.5',
    },
  ])
})

it('refuses a unit whose shift ends before it starts and a sign in an unknown state', async () => {
  const db = t.app.db
  const { rows } = await sql<{ id: number }>`insert into police_stations (name, county_code)
    select 'Test station', code from counties limit 1 returning id`.execute(db)
  const stationId = rows[0]!.id
  await expect(
    sql`insert into patrol_units (name, station_id, mode, shift_start, shift_end, base)
      values ('U', ${stationId}, 'car', '19:00', '07:00', ST_SetSRID(ST_MakePoint(106.24, 36.02), 4326))`.execute(db),
  ).rejects.toMatchObject({ code: '23514' })
  await expect(
    sql`insert into patrol_units (name, station_id, mode, shift_start, shift_end, base)
      values ('U', ${stationId}, 'bike', '07:00', '19:00', ST_SetSRID(ST_MakePoint(106.24, 36.02), 4326))`.execute(db),
  ).rejects.toMatchObject({ code: '23514' })
  await sql`delete from police_stations where id = ${stationId}`.execute(db)
})

it('goes down and up again', async () => {
  const db = t.app.db
  await migrateTo(db, '0008_road_tiles')
  const { rows: down } = await sql<{ n: number }>`select count(*)::int as n from pg_tables
    where tablename in ('police_stations', 'patrol_policies', 'patrol_visits', 'urban_areas', 'cameras')`.execute(db)
  expect(down[0]!.n).toBe(0)
  const { rows: columns } = await sql<{ n: number }>`select count(*)::int as n from information_schema.columns
    where table_name = 'schools' and column_name in ('urban', 'urban_source', 'peak_windows')`.execute(db)
  expect(columns[0]!.n).toBe(0)
  await migrateToLatest(db)
  const { rows: up } = await sql<{ n: number }>`select count(*)::int as n from pg_tables
    where tablename in ('police_stations', 'patrol_grids', 'patrol_units', 'urban_areas', 'warning_signs', 'cameras',
      'patrol_policies', 'patrol_plans', 'patrol_plan_units', 'patrol_plan_stops', 'patrol_visits')`.execute(db)
  expect(up[0]!.n).toBe(11)
  const { rows: policies } = await sql<{ n: number }>`select count(*)::int as n from patrol_policies where version = 1`.execute(db)
  expect(policies[0]!.n).toBe(1)
})
