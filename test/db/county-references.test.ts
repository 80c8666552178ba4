/**
 * Migration 0015 (county references): every county_code refers to the counties table; on the way up a
 * located record naming no county gets the county its geometry lies in, and a row it cannot place (a user's
 * scope) stops the migration naming the row; the down/up round trip leaves the keys as they were.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { migrateTo, migrateToLatest } from '../../server/db/migrate.ts'
import { COUNTY_POINTS } from '../factories/registry.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
const TABLES = ['address_points', 'hazards', 'inspections', 'premises', 'schools', 'users']

beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => {
  await t?.close()
})

const keys = async () => {
  const { rows } = await sql<{ table_name: string }>`select tc.table_name from information_schema.table_constraints tc
    join information_schema.constraint_column_usage cu on cu.constraint_name = tc.constraint_name
    where tc.constraint_type = 'FOREIGN KEY' and cu.table_name = 'counties' and tc.table_name = any(${TABLES})
    order by tc.table_name`.execute(t.app.db)
  return rows.map((r) => r.table_name)
}
const point = ([lon, lat]: readonly number[]) => sql`ST_SetSRID(ST_MakePoint(${lon}::float8, ${lat}::float8), 4326)`

it('holds a foreign key to the counties table on every county_code column the earlier migrations left without one', async () => {
  expect(await keys()).toEqual(TABLES)
  await expect(
    sql`insert into premises (name, category, county_code, geom) values ('x', 'tobacco_retail', '640499', ${point(COUNTY_POINTS['640402']!)})`.execute(
      t.app.db,
    ),
  ).rejects.toMatchObject({ code: '23503' })
})

it('places records naming no county by their geometry on the way up, and stops at a row it cannot place', async () => {
  const db = t.app.db
  await migrateTo(db, '0014_api_tokens')
  expect(await keys()).toEqual([])
  const { rows: premises } = await sql<{ id: number }>`insert into premises (name, category, county_code, geom)
    values ('迁移测试店', 'tobacco_retail', '640499', ${point(COUNTY_POINTS['640422']!)}) returning id`.execute(db)
  const [x, y] = COUNTY_POINTS['640425']!
  const { rows: schools } = await sql<{ id: number }>`insert into schools (name, school_type, county_code, geom)
    values ('迁移测试小学', 'primary', '640401',
      ST_SetSRID(ST_MakeEnvelope(${x}::float8, ${y}::float8, ${x + 0.001}::float8, ${y + 0.001}::float8), 4326)) returning id`.execute(db)
  const { rows: users } = await sql<{ id: number }>`insert into users (username, password_hash, department, role, county_code)
    values ('migration_scope', 'x', 'tobacco', 'clerk', '640499') returning id`.execute(db)
  await expect(migrateToLatest(db)).rejects.toThrow(new RegExp(`users: .*${users[0]!.id} \\(640499\\)`))
  // The user's scope is not guessed: corrected by hand, the migration goes through.
  await sql`update users set county_code = '640402' where id = ${users[0]!.id}`.execute(db)
  await migrateToLatest(db)
  expect(await keys()).toEqual(TABLES)
  const { rows } = await sql<{ p: string; s: string }>`select
    (select county_code from premises where id = ${premises[0]!.id}) as p,
    (select county_code from schools where id = ${schools[0]!.id}) as s`.execute(db)
  expect(rows[0]).toEqual({ p: '640422', s: '640425' })
})
