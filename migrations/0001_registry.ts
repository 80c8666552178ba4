import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

const SCHOOL_TYPES = [
  'kindergarten',
  'primary',
  'junior_middle',
  'senior_high',
  'complete_middle',
  'nine_year',
  'vocational',
  'special_education',
]
const CATEGORIES = [
  'internet_cafe',
  'lottery_outlet',
  'tobacco_retail',
  'entertainment_venue',
  'video_game_venue',
  'hazardous_chemicals',
  'fireworks',
  'polluting_enterprise',
  'food_stall_zone',
]
const LICENCE_STATUSES = ['active', 'suspended', 'expired', 'revoked']
const DEPARTMENTS = [
  'education',
  'tobacco',
  'lottery_welfare',
  'lottery_sports',
  'culture',
  'emergency',
  'environment',
  'market',
  'police',
  'governance',
  'admin',
]
const ROLES = ['clerk', 'supervisor', 'viewer', 'admin']
const CRS = ['wgs84', 'cgcs2000', 'gcj02', 'bd09']

const list = (values: string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '))

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create extension if not exists postgis`.execute(db)

  await sql`create table app_settings (
    key text primary key,
    value jsonb not null,
    updated_at timestamptz not null default now()
  )`.execute(db)

  await sql`create table counties (
    code char(6) primary key check (code ~ '^[0-9]{6}$'),
    name text not null,
    geom geometry(MultiPolygon, 4326) not null
  )`.execute(db)
  await sql`create index counties_geom_idx on counties using gist (geom)`.execute(db)

  await sql`create table townships (
    code char(9) primary key check (code ~ '^[0-9]{9}$'),
    name text not null,
    county_code char(6) not null references counties (code),
    geom geometry(Point, 4326)
  )`.execute(db)
  await sql`create index townships_geom_idx on townships using gist (geom)`.execute(db)

  await sql`create table villages (
    code char(12) primary key check (code ~ '^[0-9]{12}$'),
    name text not null,
    township_code char(9) not null references townships (code),
    county_code char(6) not null references counties (code)
  )`.execute(db)

  await sql`create table users (
    id integer generated always as identity primary key,
    username text not null unique check (username ~ '^[A-Za-z0-9_.-]{3,64}$'),
    password_hash text not null,
    department text not null check (department in (${list(DEPARTMENTS)})),
    role text not null check (role in (${list(ROLES)})),
    county_code char(6) check (county_code ~ '^[0-9]{6}$'),
    demo boolean not null default false,
    created_at timestamptz not null default now(),
    disabled_at timestamptz
  )`.execute(db)

  await sql`create table sessions (
    token_hash text primary key,
    user_id integer not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    revoked_at timestamptz
  )`.execute(db)
  await sql`create index sessions_user_idx on sessions (user_id)`.execute(db)

  await sql`create table schools (
    id integer generated always as identity primary key,
    name text not null check (length(name) between 1 and 200),
    school_type text not null check (school_type in (${list(SCHOOL_TYPES)})),
    county_code char(6) not null check (county_code ~ '^[0-9]{6}$'),
    address text,
    students integer check (students >= 0),
    staff integer check (staff >= 0),
    boarding boolean not null default false,
    opened_on date,
    geom geometry(Geometry, 4326) not null check (geometrytype(geom) in ('POLYGON', 'MULTIPOLYGON')),
    gates geometry(MultiPoint, 4326),
    source_crs text not null default 'wgs84' check (source_crs in (${list(CRS)})),
    demo boolean not null default false,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`.execute(db)
  await sql`create index schools_geom_idx on schools using gist (geom)`.execute(db)
  await sql`create index schools_gates_idx on schools using gist (gates)`.execute(db)
  await sql`create index schools_county_type_idx on schools (county_code, school_type)`.execute(db)

  await sql`create table premises (
    id integer generated always as identity primary key,
    name text not null check (length(name) between 1 and 200),
    category text not null check (category in (${list(CATEGORIES)})),
    licence_no text,
    licence_status text not null default 'active' check (licence_status in (${list(LICENCE_STATUSES)})),
    licensed_on date,
    expires_on date,
    address text,
    county_code char(6) not null check (county_code ~ '^[0-9]{6}$'),
    geom geometry(Point, 4326) not null,
    source_crs text not null default 'wgs84' check (source_crs in (${list(CRS)})),
    demo boolean not null default false,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (expires_on is null or licensed_on is null or expires_on >= licensed_on)
  )`.execute(db)
  await sql`create index premises_geom_idx on premises using gist (geom)`.execute(db)
  await sql`create index premises_county_category_idx on premises (county_code, category)`.execute(db)
  await sql`create unique index premises_licence_no_idx on premises (licence_no) where licence_no is not null`.execute(db)

  // Append-only record of every change: registry history now, the full audit trail later.
  await sql`create table audit_log (
    id bigint generated always as identity primary key,
    at timestamptz not null default clock_timestamp(),
    user_id integer,
    username text,
    role text,
    department text,
    action text not null,
    entity_type text not null,
    entity_id text,
    before jsonb,
    after jsonb,
    request_id text
  )`.execute(db)
  await sql`create index audit_log_entity_idx on audit_log (entity_type, entity_id, id)`.execute(db)
  await sql`create index audit_log_at_idx on audit_log (at)`.execute(db)
  await sql`create function audit_log_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only: % is not allowed', tg_op using errcode = '42501';
    end
  $$`.execute(db)
  await sql`create trigger audit_log_no_update_delete before update or delete on audit_log
    for each row execute function audit_log_append_only()`.execute(db)
  await sql`create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_append_only()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['audit_log', 'premises', 'schools', 'sessions', 'users', 'villages', 'townships', 'counties', 'app_settings']) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db)
  }
  await sql`drop function if exists audit_log_append_only()`.execute(db)
}
