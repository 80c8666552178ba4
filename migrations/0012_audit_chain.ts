import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

// The audit log's hash chain. Entries are sealed after they commit, in the order the sealer sees them, rather than
// in the inserting transaction: a chain computed at insert time would hold one lock from an import's first audit
// entry to its commit, and every other write of the service would wait for it.
// - audit_log_pending: ids inserted and not sealed yet (a trigger adds each entry; the sealer takes them out);
// - audit_log_seals: one per entry, append-only like the log: seq (the chain's order), the previous link, the hash.
//   No foreign key to the log: the chain itself finds a removed entry, and a key would turn the log's own refusal of
//   TRUNCATE into a different error.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table audit_log_pending (
    audit_id bigint primary key
  )`.execute(db)
  await sql`create table audit_log_seals (
    audit_id bigint primary key,
    seq bigint not null unique check (seq >= 1),
    prev_hash char(64) not null check (prev_hash ~ '^[0-9a-f]{64}$'),
    hash char(64) not null unique check (hash ~ '^[0-9a-f]{64}$'),
    sealed_at timestamptz not null default clock_timestamp()
  )`.execute(db)
  await sql`create function audit_log_note_pending() returns trigger language plpgsql as $$
    begin
      insert into audit_log_pending (audit_id) values (new.id);
      return null;
    end
  $$`.execute(db)
  await sql`create trigger audit_log_pending_insert after insert on audit_log
    for each row execute function audit_log_note_pending()`.execute(db)
  // What was logged before the chain existed is sealed by the service's sealer like any new entry.
  await sql`insert into audit_log_pending (audit_id) select id from audit_log`.execute(db)
  await sql`create trigger audit_log_seals_no_update_delete before update or delete on audit_log_seals
    for each row execute function audit_log_append_only()`.execute(db)
  await sql`create trigger audit_log_seals_no_truncate before truncate on audit_log_seals
    for each statement execute function audit_log_append_only()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists audit_log_pending_insert on audit_log`.execute(db)
  await sql`drop function if exists audit_log_note_pending()`.execute(db)
  await sql`drop table if exists audit_log_seals`.execute(db)
  await sql`drop table if exists audit_log_pending`.execute(db)
}
