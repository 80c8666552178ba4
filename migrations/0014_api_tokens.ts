import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

// API tokens for scripts, QGIS and GDAL, which cannot sign in with a cookie:
// - api_tokens: one per token, keyed by the SHA-256 of the secret (a 256-bit random value needs no slow hash);
//   the secret itself is never stored, only a short prefix to recognise it by in lists. Tokens are revoked, never
//   deleted, so the audit entries that name one keep their meaning.
// - audit_log gains the token a request was made with (id and name), so every write made with a token names it.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table api_tokens (
    id integer generated always as identity primary key,
    user_id integer not null references users (id),
    name text not null check (char_length(name) between 1 and 100),
    access text not null check (access in ('read', 'write')),
    token_hash char(64) not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
    prefix text not null,
    created_at timestamptz not null default now(),
    expires_on date not null,
    last_used_at timestamptz,
    revoked_at timestamptz,
    revoked_by integer references users (id),
    check ((revoked_at is null) = (revoked_by is null))
  )`.execute(db)
  await sql`create index api_tokens_user_idx on api_tokens (user_id, created_at)`.execute(db)
  await sql`alter table audit_log add column token_id integer`.execute(db)
  await sql`alter table audit_log add column token_name text`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_log drop column if exists token_name`.execute(db)
  await sql`alter table audit_log drop column if exists token_id`.execute(db)
  await sql`drop table if exists api_tokens`.execute(db)
}
