/**
 * Migration 0016: stops of plans made before it get the point their school has (the named gate, else a point
 * of the campus), the column is then required, and its down/up round trip leaves the schema as it was.
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

const hasColumn = async () => {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from information_schema.columns
    where table_name = 'patrol_plan_stops' and column_name = 'geom'`.execute(t.app.db)
  return rows[0]!.n === 1
}

it('gives the stops of earlier plans the point of their gate or campus, then requires it', async () => {
  const db = t.app.db
  await migrateTo(db, '0015_county_references')
  expect(await hasColumn()).toBe(false)
  const school = async (name: string, gates: string | null) => {
    const { rows } = await sql<{ id: number }>`insert into schools (name, school_type, county_code, geom, gates)
      values (${name}, 'primary', '640402',
        ST_SetSRID(ST_GeomFromText('POLYGON((106.240 36.010, 106.242 36.010, 106.242 36.012, 106.240 36.012, 106.240 36.010))'), 4326),
        ${gates === null ? null : sql`ST_SetSRID(ST_GeomFromText(${gates}), 4326)`}) returning id`.execute(db)
    return rows[0]!.id
  }
  const gated = await school('两门学校', 'MULTIPOINT((106.241 36.010), (106.242 36.011))')
  const gateless = await school('无门学校', null)
  const { rows: station } = await sql<{ id: number }>`insert into police_stations (name, county_code, geom)
    values ('迁移派出所', '640402', ST_SetSRID(ST_MakePoint(106.24, 36.0), 4326)) returning id`.execute(db)
  const { rows: unit } = await sql<{ id: number }>`insert into patrol_units (name, station_id, mode, shift_start, shift_end, base)
    values ('迁移车', ${station[0]!.id}, 'car', '07:00', '17:00', ST_SetSRID(ST_MakePoint(106.24, 36.0), 4326)) returning id`.execute(db)
  const { rows: plan } = await sql<{
    id: number
  }>`insert into patrol_plans (date, county_code, policy_version, seed, length_m, lower_bound_m, schools, unmet)
    values ('2026-12-02', '640402', 1, 'migration', 1000, 900, '[]'::jsonb, '[]'::jsonb) returning id`.execute(db)
  await sql`insert into patrol_plan_units (plan_id, unit_id, length_m) values (${plan[0]!.id}, ${unit[0]!.id}, 1000)`.execute(db)
  for (const [seq, schoolId, gate] of [
    [0, gated, 2],
    [1, gateless, null],
    [2, gated, null],
  ] as const)
    await sql`insert into patrol_plan_stops (plan_id, unit_id, seq, kind, school_id, gate, arrive_at, depart_at)
      values (${plan[0]!.id}, ${unit[0]!.id}, ${seq}, 'visit', ${schoolId}, ${gate},
        ${`2026-12-02T0${9 + seq}:00:00+08:00`}::timestamptz, ${`2026-12-02T0${9 + seq}:12:00+08:00`}::timestamptz)`.execute(db)

  await migrateToLatest(db)
  expect(await hasColumn()).toBe(true)
  const { rows } = await sql<{ seq: number; lon: number; lat: number; inside: boolean }>`
    select p.seq, ST_X(p.geom) as lon, ST_Y(p.geom) as lat, ST_Intersects(p.geom, s.geom) as inside
    from patrol_plan_stops p join schools s on s.id = p.school_id where p.plan_id = ${plan[0]!.id} order by p.seq`.execute(db)
  expect(rows[0]).toMatchObject({ lon: 106.242, lat: 36.011 })
  // Without a gate (or a school without gates): a point of the campus.
  expect(rows.slice(1).map((r) => r.inside)).toEqual([true, true])
  await expect(
    sql`insert into patrol_plan_stops (plan_id, unit_id, seq, kind, school_id, gate, arrive_at, depart_at)
      values (${plan[0]!.id}, ${unit[0]!.id}, 3, 'visit', ${gated}, 1, now(), now())`.execute(db),
  ).rejects.toMatchObject({ code: '23502' })
  await sql`delete from patrol_plans where id = ${plan[0]!.id}`.execute(db)
  await sql`delete from patrol_units where id = ${unit[0]!.id}`.execute(db)
  await sql`delete from police_stations where id = ${station[0]!.id}`.execute(db)
  await sql`delete from schools where id in (${gated}, ${gateless})`.execute(db)
})
