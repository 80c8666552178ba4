import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

const CRS = ['wgs84', 'cgcs2000', 'gcj02', 'bd09']
const UNIT_MODES = ['car', 'foot']
const SIGN_STATES = ['installed', 'damaged', 'missing', 'planned']
const CAMERA_STATES = ['working', 'faulty', 'offline', 'planned']
const STOP_KINDS = ['post', 'visit']
const VISIT_SOURCES = ['checkin', 'track']

const list = (values: string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '))
// DDL takes no parameters: a constant JSON value goes in as a literal (it holds no quote).
const jsonLiteral = (value: unknown) => sql.raw(`'${JSON.stringify(value)}'::jsonb`)

// The defaults of policy version 1 (the policy's §8 and common practice: peak posts at the main gate,
// visible stops of 10–15 minutes, at least two visits per urban school a day, two hours apart).
const DEFAULT_PEAK_WINDOWS = [
  { name: 'morning', start: '07:20', end: '08:10' },
  { name: 'noon', start: '11:40', end: '12:20' },
  { name: 'afternoon', start: '16:30', end: '17:50' },
]
const DEFAULT_POSTS = [{ scope: 'urban', gate: 1, windows: ['morning', 'afternoon'] }]

/** The columns every registry table of the desk has. */
const registryColumns = sql`demo boolean not null default false,
    version integer not null default 1 check (version >= 1),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()`

// The police desk: stations, their patrol grids and units, the built-up areas that make a school urban,
// warning signs and cameras per school, the patrol policy as versioned data, daily plans and the visits
// recorded by check-ins and tracks. Times of day (shifts) are China Standard Time wall clock.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table police_stations (
    id integer generated always as identity primary key,
    name text not null check (length(name) between 1 and 200),
    county_code char(6) not null references counties (code),
    address text check (address is null or length(address) <= 500),
    phone text check (phone is null or length(phone) <= 50),
    geom geometry(Point, 4326),
    ${registryColumns}
  )`.execute(db)
  await sql`create index police_stations_geom_idx on police_stations using gist (geom)`.execute(db)
  await sql`create index police_stations_county_idx on police_stations (county_code)`.execute(db)

  await sql`create table patrol_grids (
    id integer generated always as identity primary key,
    name text not null check (length(name) between 1 and 200),
    station_id integer not null references police_stations (id),
    geom geometry(MultiPolygon, 4326) not null,
    ${registryColumns}
  )`.execute(db)
  await sql`create index patrol_grids_geom_idx on patrol_grids using gist (geom)`.execute(db)
  await sql`create index patrol_grids_station_idx on patrol_grids (station_id)`.execute(db)

  await sql`create table patrol_units (
    id integer generated always as identity primary key,
    name text not null check (length(name) between 1 and 200),
    station_id integer not null references police_stations (id),
    mode text not null check (mode in (${list(UNIT_MODES)})),
    shift_start time not null,
    shift_end time not null,
    base geometry(Point, 4326) not null,
    officers integer not null default 2 check (officers >= 1),
    active boolean not null default true,
    ${registryColumns},
    check (shift_end > shift_start)
  )`.execute(db)
  await sql`create index patrol_units_base_idx on patrol_units using gist (base)`.execute(db)
  await sql`create index patrol_units_station_idx on patrol_units (station_id)`.execute(db)

  await sql`create table urban_areas (
    id integer generated always as identity primary key,
    name text not null check (length(name) between 1 and 200),
    county_code char(6) not null references counties (code),
    geom geometry(MultiPolygon, 4326) not null,
    ${registryColumns}
  )`.execute(db)
  await sql`create index urban_areas_geom_idx on urban_areas using gist (geom)`.execute(db)

  // A school is urban (城市学校) when the registry says so, else when its campus lies in a built-up area.
  await sql`alter table schools add column urban boolean not null default false`.execute(db)
  await sql`alter table schools add column urban_source text not null default 'area' check (urban_source in ('area', 'registry'))`.execute(
    db,
  )
  // Null: the policy's default windows; else the school's own [{name, start: "HH:MM", end: "HH:MM"}].
  await sql`alter table schools add column peak_windows jsonb check (peak_windows is null or jsonb_typeof(peak_windows) = 'array')`.execute(
    db,
  )

  await sql`create table warning_signs (
    id integer generated always as identity primary key,
    school_id integer not null references schools (id) on delete cascade,
    geom geometry(Point, 4326) not null,
    state text not null default 'installed' check (state in (${list(SIGN_STATES)})),
    installed_on date,
    note text check (note is null or length(note) <= 1000),
    ${registryColumns}
  )`.execute(db)
  await sql`create index warning_signs_geom_idx on warning_signs using gist (geom)`.execute(db)
  await sql`create index warning_signs_school_idx on warning_signs (school_id)`.execute(db)

  // gate: the 1-based index of the gate in schools.gates the camera watches (null: not at a gate).
  await sql`create table cameras (
    id integer generated always as identity primary key,
    school_id integer not null references schools (id) on delete cascade,
    geom geometry(Point, 4326) not null,
    gate integer check (gate is null or gate >= 1),
    state text not null default 'working' check (state in (${list(CAMERA_STATES)})),
    linked_to_police boolean not null default false,
    note text check (note is null or length(note) <= 1000),
    ${registryColumns}
  )`.execute(db)
  await sql`create index cameras_geom_idx on cameras using gist (geom)`.execute(db)
  await sql`create index cameras_school_idx on cameras (school_id)`.execute(db)

  // The policy in force on a date is the highest version with effective_from ≤ date. Versions are never edited.
  await sql`create table patrol_policies (
    id integer generated always as identity primary key,
    version integer not null unique check (version >= 1),
    effective_from date not null,
    visits_per_urban_school integer not null default 2 check (visits_per_urban_school between 0 and 24),
    min_gap_minutes integer not null default 120 check (min_gap_minutes between 0 and 1440),
    dwell_min_minutes integer not null default 10 check (dwell_min_minutes between 1 and 240),
    dwell_max_minutes integer not null default 15 check (dwell_max_minutes between 1 and 240),
    peak_windows jsonb not null default ${jsonLiteral(DEFAULT_PEAK_WINDOWS)} check (jsonb_typeof(peak_windows) = 'array'),
    posts jsonb not null default ${jsonLiteral(DEFAULT_POSTS)} check (jsonb_typeof(posts) = 'array'),
    car_speed_kmh numeric not null default 30 check (car_speed_kmh > 0 and car_speed_kmh <= 200),
    foot_speed_kmh numeric not null default 4.5 check (foot_speed_kmh > 0 and foot_speed_kmh <= 20),
    reason text not null check (length(reason) between 1 and 2000),
    created_by integer references users (id) on delete set null,
    created_at timestamptz not null default now(),
    check (dwell_max_minutes >= dwell_min_minutes)
  )`.execute(db)
  await sql`insert into patrol_policies (version, effective_from, reason)
    values (1, date '2000-01-01', 'Default policy: two patrol visits per urban school a day at least two hours apart, stops of 10–15 minutes, posts at the main gate of every urban school at the morning and afternoon peaks')`.execute(
    db,
  )

  // A daily plan for a county (or a station, or all units when both are null). Plans are never edited;
  // a new plan for the same date supersedes the older ones (the newest is the one in force).
  await sql`create table patrol_plans (
    id integer generated always as identity primary key,
    date date not null,
    county_code char(6) references counties (code),
    station_id integer references police_stations (id) on delete set null,
    policy_version integer not null references patrol_policies (version),
    seed text not null,
    length_m double precision not null check (length_m >= 0),
    lower_bound_m double precision not null check (lower_bound_m >= 0),
    nearest_neighbour_m double precision check (nearest_neighbour_m is null or nearest_neighbour_m >= 0),
    solver jsonb not null default '{}'::jsonb,
    schools jsonb not null check (jsonb_typeof(schools) = 'array'),
    unmet jsonb not null check (jsonb_typeof(unmet) = 'array'),
    demo boolean not null default false,
    created_by integer references users (id) on delete set null,
    created_at timestamptz not null default now()
  )`.execute(db)
  await sql`create index patrol_plans_date_idx on patrol_plans (date, county_code, station_id, id)`.execute(db)

  await sql`create table patrol_plan_units (
    plan_id integer not null references patrol_plans (id) on delete cascade,
    unit_id integer not null references patrol_units (id),
    route geometry(MultiLineString, 4326),
    length_m double precision not null default 0 check (length_m >= 0),
    primary key (plan_id, unit_id)
  )`.execute(db)
  await sql`create index patrol_plan_units_route_idx on patrol_plan_units using gist (route)`.execute(db)
  await sql`create index patrol_plan_units_unit_idx on patrol_plan_units (unit_id)`.execute(db)

  await sql`create table patrol_plan_stops (
    id integer generated always as identity primary key,
    plan_id integer not null references patrol_plans (id) on delete cascade,
    unit_id integer not null references patrol_units (id),
    seq integer not null check (seq >= 0),
    kind text not null check (kind in (${list(STOP_KINDS)})),
    school_id integer not null references schools (id) on delete cascade,
    gate integer check (gate is null or gate >= 1),
    arrive_at timestamptz not null,
    depart_at timestamptz not null,
    unique (plan_id, unit_id, seq),
    check (depart_at >= arrive_at)
  )`.execute(db)
  await sql`create index patrol_plan_stops_school_idx on patrol_plan_stops (school_id, plan_id)`.execute(db)
  await sql`create index patrol_plan_stops_unit_idx on patrol_plan_stops (unit_id)`.execute(db)

  // A visit as the officer's phone or track placed it; school_id null when no campus was near.
  // unique (unit_id, school_id, at): the same check-in or track sent twice records nothing new.
  await sql`create table patrol_visits (
    id integer generated always as identity primary key,
    unit_id integer not null references patrol_units (id),
    school_id integer references schools (id) on delete set null,
    at timestamptz not null,
    geom geometry(Point, 4326) not null,
    accuracy_m double precision check (accuracy_m is null or accuracy_m >= 0),
    distance_m double precision check (distance_m is null or distance_m >= 0),
    source text not null check (source in (${list(VISIT_SOURCES)})),
    source_crs text not null default 'wgs84' check (source_crs in (${list(CRS)})),
    left_at timestamptz,
    demo boolean not null default false,
    created_by integer references users (id) on delete set null,
    created_at timestamptz not null default now(),
    unique (unit_id, school_id, at),
    check (left_at is null or left_at >= at)
  )`.execute(db)
  await sql`create index patrol_visits_geom_idx on patrol_visits using gist (geom)`.execute(db)
  await sql`create index patrol_visits_school_at_idx on patrol_visits (school_id, at)`.execute(db)
  await sql`create index patrol_visits_at_idx on patrol_visits (at)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'patrol_visits',
    'patrol_plan_stops',
    'patrol_plan_units',
    'patrol_plans',
    'patrol_policies',
    'cameras',
    'warning_signs',
    'urban_areas',
    'patrol_units',
    'patrol_grids',
    'police_stations',
  ]) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db)
  }
  for (const column of ['peak_windows', 'urban_source', 'urban']) {
    await sql`alter table schools drop column if exists ${sql.ref(column)}`.execute(db)
  }
}
