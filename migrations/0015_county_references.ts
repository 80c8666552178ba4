import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

// Every county_code refers to the counties table (townships, villages, permits and the police tables already did).
// A record whose code names no county gets the county its geometry lies in (a point; a campus by its point on
// surface) when one covers it; a row left with an unknown code stops the migration with the rows named, rather
// than being guessed (a user's scope in particular is never widened or moved here).
const TABLES: { table: string; geometry: string | null }[] = [
  { table: 'schools', geometry: 'ST_PointOnSurface(t.geom)' },
  { table: 'premises', geometry: 't.geom' },
  { table: 'address_points', geometry: 't.geom' },
  { table: 'hazards', geometry: 't.geom' },
  { table: 'inspections', geometry: null },
  { table: 'users', geometry: null },
]

export async function up(db: Kysely<any>): Promise<void> {
  const unknown: string[] = []
  for (const { table, geometry } of TABLES) {
    if (geometry)
      await sql`update ${sql.table(table)} t set county_code = c.code
        from counties c
        where t.county_code is not null and not exists (select 1 from counties k where k.code = t.county_code)
          and c.code = (select k.code from counties k where ST_Covers(k.geom, ${sql.raw(geometry)}) order by k.code limit 1)`.execute(db)
    // An inspection belongs to its school's county.
    if (table === 'inspections')
      await sql`update inspections i set county_code = s.county_code from schools s
        where i.school_id = s.id and not exists (select 1 from counties k where k.code = i.county_code)`.execute(db)
    const { rows } = await sql<{
      ids: string | null
    }>`select string_agg(t.id::text || ' (' || t.county_code || ')', ', ' order by t.id) as ids
      from ${sql.table(table)} t
      where t.county_code is not null and not exists (select 1 from counties k where k.code = t.county_code)`.execute(db)
    if (rows[0]?.ids) unknown.push(`${table}: ${rows[0].ids}`)
  }
  // Nothing is keyed until every table fits, so that a stopped migration leaves no half of the keys behind.
  if (unknown.length > 0)
    throw new Error(`rows naming a county that is not in the counties table (id (code)); correct them first: ${unknown.join('; ')}`)
  for (const { table } of TABLES)
    await sql`alter table ${sql.table(table)} add constraint ${sql.ref(`${table}_county_code_fkey`)}
      foreign key (county_code) references counties (code)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const { table } of TABLES) {
    await sql`alter table ${sql.table(table)} drop constraint if exists ${sql.ref(`${table}_county_code_fkey`)}`.execute(db)
  }
}
