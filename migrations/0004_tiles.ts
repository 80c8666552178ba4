import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

const LAYERS = ['counties', 'premises', 'schools', 'townships', 'zones']

/** Which tile layers a write to each table changes. */
const SOURCES: Record<string, string[]> = {
  schools: ['schools', 'zones', 'premises'],
  premises: ['premises'],
  conflicts: ['premises'],
  rules: ['zones', 'premises'],
  school_zones: ['zones'],
  counties: ['counties'],
  townships: ['townships'],
}

export async function up(db: Kysely<any>): Promise<void> {
  // Drawn zone bands of each school, one row per band of each distinct rule shape in force for its
  // type. Drawing only: verdicts always measure. Kept in step with schools and rules in their
  // transactions so that a map tile reads stored shapes instead of buffering per request.
  await sql`create table school_zones (
    school_id integer not null references schools (id) on delete cascade,
    limit_m double precision not null,
    origin text not null check (origin in ('campus', 'gates')),
    band_index integer not null,
    band text not null,
    inner_m double precision not null,
    outer_m double precision not null,
    geom geometry(MultiPolygon, 4326) not null
  )`.execute(db)
  await sql`create index school_zones_school_idx on school_zones (school_id)`.execute(db)
  await sql`create index school_zones_geom_idx on school_zones using gist (geom)`.execute(db)

  // One counter per tile layer; the epoch tells one database's counters from another's (a rebuilt
  // database starts again at 1, and a cached tile must not pass for a new one).
  await sql`create table tile_versions (
    layer text primary key,
    version bigint not null default 1,
    epoch text not null default substr(md5(random()::text || clock_timestamp()::text), 1, 8),
    updated_at timestamptz not null default now()
  )`.execute(db)
  await sql`insert into tile_versions (layer) select unnest(array[${sql.join(LAYERS)}]::text[])`.execute(db)

  // Layers touched by transactions still open. A statement trigger notes each layer once per
  // transaction; the deferred trigger below bumps the counter at commit, so the row lock on
  // tile_versions is the last lock a writer takes (no deadlock with the audit's table locks) and a
  // rolled-back write bumps nothing.
  await sql`create table tile_changes (
    id bigint generated always as identity primary key,
    layer text not null
  )`.execute(db)

  await sql`create function tile_note_change() returns trigger language plpgsql as $$
    declare
      layer text;
    begin
      foreach layer in array tg_argv loop
        if coalesce(current_setting('tiles.pending_' || layer, true), '') <> 'on' then
          perform set_config('tiles.pending_' || layer, 'on', true);
          insert into tile_changes (layer) values (layer);
        end if;
      end loop;
      return null;
    end
  $$`.execute(db)

  // Rows are locked in layer order, so two committing writers can never wait on each other crosswise.
  await sql`create function tile_bump_version() returns trigger language plpgsql as $$
    begin
      perform 1 from tile_versions order by layer for update;
      update tile_versions set version = version + 1, updated_at = now() where layer = new.layer;
      delete from tile_changes where id = new.id;
      return null;
    end
  $$`.execute(db)
  await sql`create constraint trigger tile_changes_bump after insert on tile_changes
    deferrable initially deferred for each row execute function tile_bump_version()`.execute(db)

  for (const [table, layers] of Object.entries(SOURCES)) {
    await sql`create trigger ${sql.raw(`${table}_tile_change`)} after insert or update or delete or truncate on ${sql.table(table)}
      for each statement execute function tile_note_change(${sql.raw(layers.map((l) => `'${l}'`).join(', '))})`.execute(db)
  }

  // Zones of the schools already registered, drawn as the service draws them: 64 segments a quarter
  // circle in a local frame in metres (east scaled by N·cos φ, north by M of the WGS84 ellipsoid).
  const east = sql.raw(`(radians(1) * 6378137 * cos(radians(f.lat0)) / sqrt(1 - 0.00669437999014 * sin(radians(f.lat0)) ^ 2))`)
  const north = sql.raw(`(radians(1) * 6378137 * (1 - 0.00669437999014) / (1 - 0.00669437999014 * sin(radians(f.lat0)) ^ 2) ^ 1.5)`)
  await sql`insert into school_zones (school_id, limit_m, origin, band_index, band, inner_m, outer_m, geom)
    select s.id, sh.limit_m, sh.kind, b.i, sh.band_names[b.i], b.inner_m, b.outer_m,
      ST_Multi(ST_Affine(case when b.inner_m = 0 then ST_Buffer(p.local, b.outer_m, 'quad_segs=64')
        else ST_Difference(ST_Buffer(p.local, b.outer_m, 'quad_segs=64'), ST_Buffer(p.local, b.inner_m, 'quad_segs=64')) end,
        1 / ${east}, 0, 0, 1 / ${north}, f.lon0, f.lat0))
    from schools s
    join lateral (
      select distinct r.limit_m, case when r.origin = 'gates' and s.gates is not null then 'gates' else 'campus' end as kind, r.band_names, r.band_edges
      from rules r
      where r.school_type = s.school_type and r.effective_from <= current_date and (r.effective_to is null or r.effective_to > current_date)
    ) sh on true
    cross join lateral (select case when sh.kind = 'gates' then s.gates else s.geom end as geom) o
    cross join lateral (select (ST_XMin(o.geom) + ST_XMax(o.geom)) / 2 as lon0, (ST_YMin(o.geom) + ST_YMax(o.geom)) / 2 as lat0) f
    cross join lateral (select ST_Affine(o.geom, ${east}, 0, 0, ${north}, -f.lon0 * ${east}, -f.lat0 * ${north}) as local) p
    cross join lateral (
      select i, case when i = 1 then 0 else (sh.band_edges || sh.limit_m)[i - 1] end as inner_m, (sh.band_edges || sh.limit_m)[i] as outer_m
      from generate_series(1, cardinality(sh.band_edges) + 1) as i
    ) b`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of Object.keys(SOURCES))
    await sql`drop trigger if exists ${sql.raw(`${table}_tile_change`)} on ${sql.table(table)}`.execute(db)
  for (const table of ['tile_changes', 'tile_versions', 'school_zones']) await sql`drop table if exists ${sql.table(table)}`.execute(db)
  await sql`drop function if exists tile_note_change()`.execute(db)
  await sql`drop function if exists tile_bump_version()`.execute(db)
}
