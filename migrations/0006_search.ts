import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

const CRS = ['wgs84', 'cgcs2000', 'gcj02', 'bd09']
const list = (values: string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '))

// Place search without pg_trgm (unreliable for CJK, and absent from the embedded build). Each searchable
// table carries two columns the database itself keeps current on every write, whoever writes:
//   search_key   the name normalised: NFKC (full-width digits, letters and punctuation become half-width),
//                lower case, whitespace removed, Chinese digits 〇零一…九 written as 0…9;
//                a text_pattern_ops b-tree answers exact and prefix matches;
//   search_grams every distinct character and pair of adjacent characters of the key; a GIN index answers
//                "contains this substring" (all its pairs) and "contains these characters" (in-order
//                matching), and LIKE on search_key confirms the few candidates.
// Chinese names are short (8–20 characters), so a row holds about 30 grams: the index stays a few times
// the size of the names, and a query touches posting lists, never the table, whatever its size.
// The GIN indexes do without a pending list (fastupdate off): only autovacuum merges that list, the
// embedded database has none, and every search would read the whole list until it reached 4 MB.
// Pinyin (search_pinyin, search_initials) needs a dictionary the database does not have: the service
// writes those two columns and fills any that are missing when it starts.
const TABLES = ['schools', 'premises', 'townships', 'villages', 'address_points']

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create function search_key(value text) returns text language sql immutable strict parallel safe as $$
    select translate(lower(translate(normalize(value, NFKC), E' \\t\\n\\r\\f\\v', '')), '〇零一二三四五六七八九', '00123456789')
  $$`.execute(db)
  await sql`create function search_grams(key text) returns text[] language sql immutable strict parallel safe as $$
    select coalesce(array_agg(distinct gram), '{}'::text[]) from (
      select substr(key, i, 1) as gram from generate_series(1, length(key)) as i
      union all
      select substr(key, i, 2) from generate_series(1, length(key) - 1) as i
    ) as grams
  $$`.execute(db)

  await sql`create table address_points (
    id integer generated always as identity primary key,
    address text not null check (length(address) between 1 and 300),
    geom geometry(Point, 4326) not null,
    county_code char(6) not null check (county_code ~ '^[0-9]{6}$'),
    source text not null check (length(source) between 1 and 200),
    source_crs text not null default 'wgs84' check (source_crs in (${list(CRS)})),
    demo boolean not null default false,
    created_at timestamptz not null default now()
  )`.execute(db)
  await sql`create index address_points_geom_idx on address_points using gist (geom)`.execute(db)
  await sql`create index address_points_county_idx on address_points (county_code)`.execute(db)

  for (const table of TABLES) {
    const column = sql.raw(table === 'address_points' ? 'address' : 'name')
    const t = sql.table(table)
    await sql`alter table ${t} add column search_key text generated always as (search_key(${column})) stored`.execute(db)
    await sql`alter table ${t} add column search_grams text[] generated always as (search_grams(search_key(${column}))) stored`.execute(db)
    await sql`alter table ${t} add column search_pinyin text`.execute(db)
    await sql`alter table ${t} add column search_initials text`.execute(db)
    await sql`create index ${sql.raw(`${table}_search_key_idx`)} on ${t} (search_key text_pattern_ops)`.execute(db)
    await sql`create index ${sql.raw(`${table}_search_grams_idx`)} on ${t} using gin (search_grams) with (fastupdate = off)`.execute(db)
    await sql`create index ${sql.raw(`${table}_search_pinyin_idx`)} on ${t} (search_pinyin text_pattern_ops)`.execute(db)
    await sql`create index ${sql.raw(`${table}_search_initials_idx`)} on ${t} (search_initials text_pattern_ops)`.execute(db)
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists address_points`.execute(db)
  for (const table of TABLES.filter((t) => t !== 'address_points')) {
    for (const column of ['search_key', 'search_grams', 'search_pinyin', 'search_initials']) {
      await sql`alter table ${sql.table(table)} drop column if exists ${sql.ref(column)}`.execute(db)
    }
  }
  await sql`drop function if exists search_grams(text)`.execute(db)
  await sql`drop function if exists search_key(text)`.execute(db)
}
