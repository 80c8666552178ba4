import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

const KINDS = [
  'motorway',
  'trunk',
  'primary',
  'secondary',
  'tertiary',
  'unclassified',
  'residential',
  'service',
  'living_street',
  'pedestrian',
  'track',
  'footway',
  'path',
  'steps',
  'cycleway',
]
const list = (values: string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '))

// The road network. Each row is one way (or one part of a GeoJSON MultiLineString) as the source drew it;
// roads connect where they share a vertex, as in OpenStreetMap, and lines that only cross (a bridge over a
// road) do not. Every road names the import it came from, which carries the data's licence and the
// attribution the map shows (OpenStreetMap data: ODbL 1.0, "© OpenStreetMap contributors").
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table road_sources (
    id integer generated always as identity primary key,
    name text not null unique check (length(name) between 1 and 200),
    format text not null check (format in ('geojson', 'osm', 'pbf', 'demo')),
    licence text not null check (length(licence) between 1 and 200),
    attribution text not null check (length(attribution) between 1 and 300),
    imported_at timestamptz not null default now(),
    imported_by integer references users (id) on delete set null
  )`.execute(db)
  await sql`create table roads (
    id integer generated always as identity primary key,
    source_id integer not null references road_sources (id) on delete cascade,
    osm_id bigint,
    name text check (name is null or length(name) between 1 and 200),
    kind text not null check (kind in (${list(KINDS)})),
    walkable boolean not null,
    drivable boolean not null,
    oneway boolean not null default false,
    geom geometry(LineString, 4326) not null check (ST_NPoints(geom) >= 2),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`.execute(db)
  await sql`create index roads_geom_idx on roads using gist (geom)`.execute(db)
  await sql`create index roads_source_idx on roads (source_id)`.execute(db)
  // Street names join the place search, kept like the other searchable tables (0006).
  await sql`alter table roads add column search_key text generated always as (search_key(name)) stored`.execute(db)
  await sql`alter table roads add column search_grams text[] generated always as (search_grams(search_key(name))) stored`.execute(db)
  await sql`alter table roads add column search_pinyin text`.execute(db)
  await sql`alter table roads add column search_initials text`.execute(db)
  await sql`create index roads_search_key_idx on roads (search_key text_pattern_ops)`.execute(db)
  await sql`create index roads_search_grams_idx on roads using gin (search_grams) with (fastupdate = off)`.execute(db)
  // The graph, kept by the service with every road write: each distinct vertex once, and each pair of
  // consecutive vertices of a road as a segment with its geodesic length on the WGS84 ellipsoid. pgRouting
  // (on a server) and the service's own search (embedded) walk the same rows, so they find the same lengths.
  await sql`create table road_vertices (
    id integer generated always as identity primary key,
    lon float8 not null,
    lat float8 not null,
    unique (lon, lat)
  )`.execute(db)
  // The connected component of the walkable network of each vertex on a walkable segment. Two points in
  // different components have no walking path at all, which a search bounded by the limit could not tell from
  // a long one. Rebuilt whole after every change of roads: inserting the labels is far cheaper than
  // updating a label column of every vertex.
  await sql`create table road_walk_components (
    vertex_id integer primary key,
    component integer not null
  )`.execute(db)
  await sql`create table road_segments (
    id integer generated always as identity primary key,
    road_id integer not null references roads (id) on delete cascade,
    seq integer not null,
    source integer not null references road_vertices (id),
    target integer not null references road_vertices (id),
    length_m float8 not null check (length_m >= 0),
    walkable boolean not null,
    drivable boolean not null,
    oneway boolean not null,
    geom geometry(LineString, 4326) not null,
    unique (road_id, seq)
  )`.execute(db)
  await sql`create index road_segments_geom_idx on road_segments using gist (geom)`.execute(db)
  await sql`create index road_segments_source_idx on road_segments (source)`.execute(db)
  await sql`create index road_segments_target_idx on road_segments (target)`.execute(db)
  // A conflict under a walking rule keeps what the network measured when the conflict was found (a path
  // search is too slow to repeat for every row of a list): the walking distance (or the straight one where
  // the network could not measure), the straight distance, which gate, how it was measured and why, and
  // the route from the gate to the door. Conflicts under straight rules leave these null and are measured
  // when read, as before.
  for (const table of ['conflicts', 'audit_pairs']) {
    const t = sql.table(table)
    await sql`alter table ${t} add column path text not null default 'straight' check (path in ('straight', 'walking'))`.execute(db)
    await sql`alter table ${t} add column distance_m float8`.execute(db)
    await sql`alter table ${t} add column straight_m float8`.execute(db)
    await sql`alter table ${t} add column gate_index integer`.execute(db)
    await sql`alter table ${t} add column measured_by text check (measured_by in ('network', 'straight_fallback'))`.execute(db)
    await sql`alter table ${t} add column measure_note text`.execute(db)
    await sql`alter table ${t} add column route geometry(LineString, 4326)`.execute(db)
  }
  // pgRouting measures walking distance on a PostgreSQL server that has it; the embedded database has none.
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_available_extensions where name = 'pgrouting'`.execute(db)
  if ((rows[0]?.n ?? 0) > 0) await sql`create extension if not exists pgrouting`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['conflicts', 'audit_pairs']) {
    for (const column of ['path', 'distance_m', 'straight_m', 'gate_index', 'measured_by', 'measure_note', 'route']) {
      await sql`alter table ${sql.table(table)} drop column if exists ${sql.ref(column)}`.execute(db)
    }
  }
  await sql`drop table if exists road_segments`.execute(db)
  await sql`drop table if exists road_walk_components`.execute(db)
  await sql`drop table if exists road_vertices`.execute(db)
  await sql`drop table if exists roads`.execute(db)
  await sql`drop table if exists road_sources`.execute(db)
}
