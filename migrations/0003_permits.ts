import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

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
const KINDS = ['new', 'renewal', 'relocation', 'change']
const STATUSES = ['pending', 'approved', 'rejected']
const CRS = ['wgs84', 'cgcs2000', 'gcj02', 'bd09']

const list = (values: string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '))

export async function up(db: Kysely<any>): Promise<void> {
  // Permit applications. Their history (submitted, re-screened, decided) is the audit_log entries with
  // entity_type 'permit', which the database keeps append-only.
  await sql`create table permits (
    id integer generated always as identity primary key,
    applicant_name text not null check (length(applicant_name) between 1 and 100),
    applicant_id_number char(18) not null,
    business_name text not null check (length(business_name) between 1 and 200),
    category text not null check (category in (${list(CATEGORIES)})),
    kind text not null check (kind in (${list(KINDS)})),
    address text not null check (length(address) between 1 and 300),
    county_code char(6) not null references counties (code),
    geom geometry(Point, 4326) not null,
    input_lon float8 not null,
    input_lat float8 not null,
    source_crs text not null check (source_crs in (${list(CRS)})),
    status text not null default 'pending' check (status in (${list(STATUSES)})),
    screening jsonb not null,
    screened_at timestamptz not null,
    flagged_override boolean not null default false,
    decision_reason text,
    override_justification text,
    decided_by integer references users (id),
    decided_by_name text,
    decided_role text,
    decided_at timestamptz,
    premises_id integer,
    licence_no text,
    submitted_by integer not null references users (id),
    submitted_by_name text not null,
    submitted_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    check ((status = 'pending') = (decided_at is null))
  )`.execute(db)
  await sql`create index permits_scope_idx on permits (county_code, category, status)`.execute(db)
  await sql`create index permits_submitted_idx on permits (submitted_at)`.execute(db)
  await sql`create index permits_flagged_idx on permits (id) where flagged_override`.execute(db)
  await sql`create index permits_geom_idx on permits using gist (geom)`.execute(db)
  // Serial part of issued licence numbers.
  await sql`create sequence licence_serial_seq`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists permits`.execute(db)
  await sql`drop sequence if exists licence_serial_seq`.execute(db)
}
