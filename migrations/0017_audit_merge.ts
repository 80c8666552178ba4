import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

// A full audit merges against the stored conflicts instead of replacing them: it stages only the
// difference, each row marked with what it is ('add', 'remove', 'change'; 'found' for the walking pairs
// it compares before staging their difference).
// Each drawn zone band keeps a fingerprint of what it was drawn from (the origin geometry, the rule
// shape, the band), so an audit redraws only the schools whose inputs changed or whose bands are not
// the ones their inputs call for. Bands drawn before have none and are redrawn by the next audit.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_pairs add column diff text not null default 'found' check (diff in ('found', 'add', 'remove', 'change'))`.execute(
    db,
  )
  await sql`alter table school_zones add column inputs_md5 text`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table school_zones drop column if exists inputs_md5`.execute(db)
  await sql`alter table audit_pairs drop column if exists diff`.execute(db)
}
