import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

const KINDS = ['zone_conflict', 'traffic', 'fire', 'public_security', 'food_safety', 'building', 'environment', 'other']
const GRADES = ['general', 'major']
const SOURCES = ['audit', 'inspection', 'patrol', 'report']
const STATES = [
  'warning',
  'inspected',
  'registered',
  'assessed',
  'reported',
  'monitored',
  'rectifying',
  'accepted',
  'closed',
  'closed_without_rectification',
]
const CLOSE_REASONS = ['duplicate', 'not_responsible', 'transferred']
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
const PHASES = ['before', 'after', 'evidence']
const CONTENT_TYPES = ['image/jpeg', 'image/png', 'application/pdf']
const STEPS = ['notice', 'ordered', 'listed']
const LEVELS = ['school', 'township', 'county']
const EVERY = ['daily', 'weekly', 'monthly']
const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

const list = (values: string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '))

export async function up(db: Kysely<any>): Promise<void> {
  // The hazard ledger (隐患台账): one row a hazard in the closed loop of §4, its history in hazard_events.
  await sql`create table hazards (
    id integer generated always as identity primary key,
    school_id integer not null references schools (id) on delete cascade,
    premises_id integer references premises (id) on delete set null,
    kind text not null check (kind in (${list(KINDS)})),
    grade text not null default 'general' check (grade in (${list(GRADES)})),
    title text not null check (length(title) between 1 and 200),
    description text check (length(description) <= 4000),
    geom geometry(Point, 4326),
    source text not null check (source in (${list(SOURCES)})),
    department text not null check (department in (${list(DEPARTMENTS)})),
    county_code char(6) not null check (county_code ~ '^[0-9]{6}$'),
    state text not null default 'warning' check (state in (${list(STATES)})),
    close_reason text check (close_reason in (${list(CLOSE_REASONS)})),
    responsible_party text check (length(responsible_party) between 1 and 200),
    measures text check (length(measures) between 1 and 4000),
    funds text check (length(funds) between 1 and 200),
    deadline date,
    contingency_plan text check (length(contingency_plan) between 1 and 4000),
    extension_deadline date,
    extension_reason text,
    extension_requested_by integer references users (id),
    extension_requested_at timestamptz,
    rectified_by integer references users (id),
    rectified_at timestamptz,
    accepted_by integer references users (id),
    accepted_at timestamptz,
    reported_up_at timestamptz,
    found_at timestamptz not null default now(),
    closed_at timestamptz,
    conflict_cleared_at timestamptz,
    demo boolean not null default false,
    version integer not null default 1,
    created_by integer references users (id),
    created_by_name text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check ((state = 'closed_without_rectification') = (close_reason is not null)),
    check ((state in ('closed', 'closed_without_rectification')) = (closed_at is not null)),
    check (state not in ('rectifying', 'accepted', 'closed') or (
      responsible_party is not null and measures is not null and funds is not null and deadline is not null and contingency_plan is not null)),
    check ((extension_deadline is null) = (extension_requested_at is null)),
    check ((rectified_at is null) = (rectified_by is null))
  )`.execute(db)
  // One zone_conflict hazard per (premises, school): the audit hook inserts with on conflict do nothing.
  await sql`create unique index hazards_conflict_key on hazards (premises_id, school_id) where kind = 'zone_conflict'`.execute(db)
  await sql`create index hazards_scope_idx on hazards (county_code, state)`.execute(db)
  await sql`create index hazards_department_idx on hazards (department, state)`.execute(db)
  await sql`create index hazards_school_idx on hazards (school_id)`.execute(db)
  await sql`create index hazards_open_deadline_idx on hazards (deadline)
    where state not in ('accepted', 'closed', 'closed_without_rectification')`.execute(db)
  await sql`create index hazards_geom_idx on hazards using gist (geom)`.execute(db)

  await sql`create table hazard_events (
    id bigint generated always as identity primary key,
    hazard_id integer not null references hazards (id) on delete cascade,
    action text not null check (length(action) between 1 and 40),
    from_state text check (from_state in (${list(STATES)})),
    to_state text not null check (to_state in (${list(STATES)})),
    note text check (length(note) <= 4000),
    fields jsonb,
    actor integer references users (id),
    actor_name text,
    at timestamptz not null default clock_timestamp()
  )`.execute(db)
  await sql`create index hazard_events_hazard_idx on hazard_events (hazard_id, id)`.execute(db)

  await sql`create table hazard_attachments (
    id integer generated always as identity primary key,
    hazard_id integer not null references hazards (id) on delete cascade,
    sha256 char(64) not null check (sha256 ~ '^[0-9a-f]{64}$'),
    content_type text not null check (content_type in (${list(CONTENT_TYPES)})),
    filename text not null check (length(filename) between 1 and 255),
    bytes integer not null check (bytes between 1 and ${sql.raw(String(MAX_ATTACHMENT_BYTES))}),
    phase text not null check (phase in (${list(PHASES)})),
    content bytea not null,
    created_by integer references users (id),
    created_by_name text,
    created_at timestamptz not null default now()
  )`.execute(db)
  await sql`create index hazard_attachments_hazard_idx on hazard_attachments (hazard_id, id)`.execute(db)

  // The escalation ladder as data: a step is taken once a hazard is this many days past its deadline.
  await sql`create table escalation_steps (
    step text primary key check (step in (${list(STEPS)})),
    rank integer not null unique check (rank between 1 and 9),
    days_overdue integer not null unique check (days_overdue >= 1),
    name_zh text not null
  )`.execute(db)
  await sql`insert into escalation_steps (step, rank, days_overdue, name_zh) values
    ('notice', 1, 1, '通报'), ('ordered', 2, 8, '限期整改'), ('listed', 3, 31, '挂牌督办')`.execute(db)

  // Each step taken, once per hazard and deadline: an extended deadline that passes again escalates anew.
  await sql`create table hazard_escalations (
    hazard_id integer not null references hazards (id) on delete cascade,
    deadline date not null,
    step text not null references escalation_steps (step),
    days_overdue integer not null,
    at timestamptz not null default now(),
    primary key (hazard_id, deadline, step)
  )`.execute(db)

  // Inspection schedules (日周月) as data: rows without a school are the default for every school.
  await sql`create table inspection_schedules (
    id integer generated always as identity primary key,
    school_id integer references schools (id) on delete cascade,
    level text not null check (level in (${list(LEVELS)})),
    every text not null check (every in (${list(EVERY)})),
    active boolean not null default true
  )`.execute(db)
  await sql`create unique index inspection_schedules_key on inspection_schedules (coalesce(school_id, 0), level)`.execute(db)
  await sql`insert into inspection_schedules (school_id, level, every) values
    (null, 'school', 'daily'), (null, 'township', 'weekly'), (null, 'county', 'monthly')`.execute(db)

  await sql`create table inspections (
    id integer generated always as identity primary key,
    school_id integer not null references schools (id) on delete cascade,
    level text not null check (level in (${list(LEVELS)})),
    done_at timestamptz not null,
    inspector text not null check (length(inspector) between 1 and 100),
    checklist jsonb not null,
    findings text check (length(findings) <= 4000),
    hazard_ids integer[] not null default '{}',
    county_code char(6) not null check (county_code ~ '^[0-9]{6}$'),
    demo boolean not null default false,
    created_by integer references users (id),
    created_by_name text,
    created_at timestamptz not null default now()
  )`.execute(db)
  await sql`create index inspections_school_idx on inspections (school_id, level, done_at)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'inspections',
    'inspection_schedules',
    'hazard_escalations',
    'escalation_steps',
    'hazard_attachments',
    'hazard_events',
    'hazards',
  ])
    await sql`drop table if exists ${sql.table(table)}`.execute(db)
}
