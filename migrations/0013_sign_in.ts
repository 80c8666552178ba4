import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

// Sign-in hardening that holds across instances, so it lives in the database:
// - login_failures: failed sign-ins counted per window, by the address they came from and by the username tried
//   (whether or not such a user exists, so a lockout tells nothing about which names are real);
// - sessions gain last_seen_at, for the idle lifetime beside the absolute one, and a short public id an
//   administrator can name a session by (the token's hash stays the key and is never shown).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table login_failures (
    scope text not null check (scope in ('address', 'username')),
    key text not null,
    window_start timestamptz not null,
    failures integer not null check (failures >= 1),
    last_at timestamptz not null,
    primary key (scope, key, window_start)
  )`.execute(db)
  await sql`create index login_failures_window_idx on login_failures (window_start)`.execute(db)
  await sql`alter table sessions add column last_seen_at timestamptz not null default now()`.execute(db)
  await sql`alter table sessions add column public_id text`.execute(db)
  await sql`update sessions set public_id = substr(token_hash, 1, 16)`.execute(db)
  await sql`alter table sessions alter column public_id set not null`.execute(db)
  await sql`create unique index sessions_public_id_idx on sessions (public_id)`.execute(db)
  await sql`alter table sessions add column address text`.execute(db)
  await sql`alter table sessions add column user_agent text`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists sessions_public_id_idx`.execute(db)
  for (const column of ['user_agent', 'address', 'public_id', 'last_seen_at'])
    await sql`alter table sessions drop column if exists ${sql.ref(column)}`.execute(db)
  await sql`drop table if exists login_failures`.execute(db)
}
