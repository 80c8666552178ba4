import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

export async function up(db: Kysely<any>): Promise<void> {
  // A renewal of premises that predate a school is approved only as a time-limited rectification:
  // what was granted (measure, deadline) stays with the decision, so a later renewal can be refused.
  await sql`alter table permits add column rectification jsonb`.execute(db)
  // Renewals, relocations and changes name the earlier premises record from submission on (premises_id);
  // two pending applications for the same premises would both rewrite it.
  await sql`create unique index permits_pending_premises_idx on permits (premises_id) where status = 'pending'`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists permits_pending_premises_idx`.execute(db)
  await sql`alter table permits drop column if exists rectification`.execute(db)
}
