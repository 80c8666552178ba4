import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

// An incremental audit recomputes only what changed since the last complete audit, so what an audit's result
// depends on is tracked here, by triggers, whoever writes (any service instance, or SQL from outside):
// - audit_changes: one row per change noted, with the writing transaction's id. An audit stores the snapshot it
//   started from; a change whose transaction that snapshot does not see is new to it. Kinds: 'premises' and
//   'school' (a row written: its id), 'rule' (a rule written: its category and school type), 'walking' (the
//   road network written: every walking rule), 'all' (a table truncated: everything).
//   Conflicts and drawn zones written by anything but an audit (which sets audits.writing for its transaction)
//   note their premises or school too, so a conflict deleted or altered behind the service's back is recomputed.
// - audit_digests: the row count and an order-independent checksum (sum of row hashes) of conflicts and
//   school_zones, kept as deltas, one row per statement (no row is ever updated, so writers never wait on each
//   other). An audit compares their sum with the table itself: a difference means rows were written with the
//   triggers off, and the audit then recomputes everything.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table audit_changes (
    id bigint generated always as identity primary key,
    xid xid8 not null default pg_current_xact_id(),
    kind text not null check (kind in ('premises', 'school', 'rule', 'walking', 'all')),
    entity_id integer,
    category text,
    school_type text
  )`.execute(db)
  await sql`create index audit_changes_xid_idx on audit_changes (xid)`.execute(db)

  await sql`create table audit_digests (
    id bigint generated always as identity primary key,
    table_name text not null check (table_name in ('conflicts', 'school_zones')),
    row_count bigint not null,
    digest bigint not null
  )`.execute(db)

  await sql`alter table audits add column requested_full boolean not null default false`.execute(db)
  await sql`alter table audits add column mode text check (mode in ('full', 'incremental'))`.execute(db)
  await sql`alter table audits add column since pg_snapshot`.execute(db)
  await sql`alter table audits add column rules_in_force jsonb`.execute(db)

  // The hash of a stored conflict over every column an audit writes (not detected_at, which it keeps), stored with
  // the row: generated columns are computed whatever writes the row, triggers on or off, so a digest is a sum of a
  // column (cheap) rather than of a hash computed per row (several times dearer). Fields are hashed two by two.
  const pair = (a: string, b: string) => `hashint8((${a})::int8 << 32 | ((${b})::int8 & 4294967295))`
  const digest = [
    pair('premises_id', 'school_id'),
    pair('rule_id', 'rule_version'),
    pair('hashtext(band)', 'hashtext(path)'),
    pair('coalesce(hashfloat8(distance_m), 0)', 'coalesce(hashfloat8(straight_m), 0)'),
    pair('coalesce(gate_index, -1)', 'coalesce(hashtext(measured_by), 0)'),
    pair('coalesce(hashtext(measure_note), 0)', 'coalesce(hashtext(md5(ST_AsEWKB(route))), 0)'),
  ].join(' # ')
  await sql`alter table conflicts add column row_digest integer generated always as (${sql.raw(digest)}) stored`.execute(db)
  await sql`create function school_zone_digest(z school_zones) returns bigint language sql immutable parallel safe as $$
    select hashtext(concat_ws('|', z.school_id, z.limit_m, z.origin, z.band_index, z.band, z.inner_m, z.outer_m, z.inputs_md5))::bigint
  $$`.execute(db)

  const auditWriting = "coalesce(current_setting('audits.writing', true), '') = 'on'"

  await sql`create function audit_note_premises() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into audit_changes (kind, entity_id) select distinct 'premises', n.id from new_rows n;
      elsif tg_op = 'UPDATE' then
        insert into audit_changes (kind, entity_id) select 'premises', o.id from old_rows o union select 'premises', n.id from new_rows n;
      else
        insert into audit_changes (kind, entity_id) select distinct 'premises', o.id from old_rows o;
      end if;
      return null;
    end
  $$`.execute(db)
  await sql`create function audit_note_schools() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into audit_changes (kind, entity_id) select distinct 'school', n.id from new_rows n;
      elsif tg_op = 'UPDATE' then
        insert into audit_changes (kind, entity_id) select 'school', o.id from old_rows o union select 'school', n.id from new_rows n;
      else
        insert into audit_changes (kind, entity_id) select distinct 'school', o.id from old_rows o;
      end if;
      return null;
    end
  $$`.execute(db)
  await sql`create function audit_note_rules() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into audit_changes (kind, category, school_type) select distinct 'rule', n.category, n.school_type from new_rows n;
      elsif tg_op = 'UPDATE' then
        insert into audit_changes (kind, category, school_type)
          select 'rule', o.category, o.school_type from old_rows o union select 'rule', n.category, n.school_type from new_rows n;
      else
        insert into audit_changes (kind, category, school_type) select distinct 'rule', o.category, o.school_type from old_rows o;
      end if;
      return null;
    end
  $$`.execute(db)
  await sql`create function audit_note_conflicts() returns trigger language plpgsql as ${sql.raw(`$$
    begin
      if tg_op = 'INSERT' then
        insert into audit_digests (table_name, row_count, digest)
          select 'conflicts', count(*), coalesce(sum(n.row_digest), 0) from new_rows n having count(*) > 0;
      elsif tg_op = 'UPDATE' then
        insert into audit_digests (table_name, row_count, digest)
          select 'conflicts', 0, coalesce((select sum(n.row_digest) from new_rows n), 0) - coalesce((select sum(o.row_digest) from old_rows o), 0);
      else
        insert into audit_digests (table_name, row_count, digest)
          select 'conflicts', -count(*), -coalesce(sum(o.row_digest), 0) from old_rows o having count(*) > 0;
      end if;
      if not ${auditWriting} then
        if tg_op = 'INSERT' then
          insert into audit_changes (kind, entity_id) select distinct 'premises', n.premises_id from new_rows n;
        elsif tg_op = 'UPDATE' then
          insert into audit_changes (kind, entity_id) select 'premises', o.premises_id from old_rows o union select 'premises', n.premises_id from new_rows n;
        else
          insert into audit_changes (kind, entity_id) select distinct 'premises', o.premises_id from old_rows o;
        end if;
      end if;
      return null;
    end
  $$`)}`.execute(db)
  await sql`create function audit_note_school_zones() returns trigger language plpgsql as ${sql.raw(`$$
    begin
      if tg_op = 'INSERT' then
        insert into audit_digests (table_name, row_count, digest)
          select 'school_zones', count(*), coalesce(sum(school_zone_digest(n)), 0) from new_rows n having count(*) > 0;
      elsif tg_op = 'UPDATE' then
        insert into audit_digests (table_name, row_count, digest)
          select 'school_zones', 0, coalesce((select sum(school_zone_digest(n)) from new_rows n), 0) - coalesce((select sum(school_zone_digest(o)) from old_rows o), 0);
      else
        insert into audit_digests (table_name, row_count, digest)
          select 'school_zones', -count(*), -coalesce(sum(school_zone_digest(o)), 0) from old_rows o having count(*) > 0;
      end if;
      if not ${auditWriting} then
        if tg_op = 'INSERT' then
          insert into audit_changes (kind, entity_id) select distinct 'school', n.school_id from new_rows n;
        elsif tg_op = 'UPDATE' then
          insert into audit_changes (kind, entity_id) select 'school', o.school_id from old_rows o union select 'school', n.school_id from new_rows n;
        else
          insert into audit_changes (kind, entity_id) select distinct 'school', o.school_id from old_rows o;
        end if;
      end if;
      return null;
    end
  $$`)}`.execute(db)
  await sql`create function audit_note_all() returns trigger language plpgsql as $$
    begin
      insert into audit_changes (kind) values ('all');
      return null;
    end
  $$`.execute(db)
  await sql`create function audit_note_walking() returns trigger language plpgsql as $$
    begin
      insert into audit_changes (kind) values ('walking');
      return null;
    end
  $$`.execute(db)

  const rowTables = {
    premises: 'audit_note_premises',
    schools: 'audit_note_schools',
    rules: 'audit_note_rules',
    conflicts: 'audit_note_conflicts',
    school_zones: 'audit_note_school_zones',
  }
  for (const [table, fn] of Object.entries(rowTables)) {
    const t = sql.table(table)
    const f = sql.raw(fn)
    await sql`create trigger ${sql.raw(`${table}_audit_insert`)} after insert on ${t}
      referencing new table as new_rows for each statement execute function ${f}()`.execute(db)
    await sql`create trigger ${sql.raw(`${table}_audit_update`)} after update on ${t}
      referencing old table as old_rows new table as new_rows for each statement execute function ${f}()`.execute(db)
    await sql`create trigger ${sql.raw(`${table}_audit_delete`)} after delete on ${t}
      referencing old table as old_rows for each statement execute function ${f}()`.execute(db)
    await sql`create trigger ${sql.raw(`${table}_audit_truncate`)} after truncate on ${t}
      for each statement execute function audit_note_all()`.execute(db)
  }
  for (const table of ['roads', 'road_segments', 'road_vertices', 'road_walk_components'])
    await sql`create trigger ${sql.raw(`${table}_audit_change`)} after insert or update or delete or truncate on ${sql.table(table)}
      for each statement execute function audit_note_walking()`.execute(db)

  // What is stored now, as the starting point of the deltas.
  await sql`insert into audit_digests (table_name, row_count, digest)
    select 'conflicts', count(*), coalesce(sum(c.row_digest), 0) from conflicts c`.execute(db)
  await sql`insert into audit_digests (table_name, row_count, digest)
    select 'school_zones', count(*), coalesce(sum(school_zone_digest(z)), 0) from school_zones z`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['premises', 'schools', 'rules', 'conflicts', 'school_zones'])
    for (const op of ['insert', 'update', 'delete', 'truncate'])
      await sql`drop trigger if exists ${sql.raw(`${table}_audit_${op}`)} on ${sql.table(table)}`.execute(db)
  for (const table of ['roads', 'road_segments', 'road_vertices', 'road_walk_components'])
    await sql`drop trigger if exists ${sql.raw(`${table}_audit_change`)} on ${sql.table(table)}`.execute(db)
  for (const fn of [
    'audit_note_premises',
    'audit_note_schools',
    'audit_note_rules',
    'audit_note_conflicts',
    'audit_note_school_zones',
    'audit_note_all',
    'audit_note_walking',
  ])
    await sql`drop function if exists ${sql.raw(fn)}()`.execute(db)
  await sql`alter table conflicts drop column if exists row_digest`.execute(db)
  await sql`drop function if exists school_zone_digest(school_zones)`.execute(db)
  for (const column of ['rules_in_force', 'since', 'mode', 'requested_full'])
    await sql`alter table audits drop column if exists ${sql.raw(column)}`.execute(db)
  await sql`drop table if exists audit_digests`.execute(db)
  await sql`drop table if exists audit_changes`.execute(db)
}
