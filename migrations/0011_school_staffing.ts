import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

// The registry facts the §7 staffing audit needs (guards, school doctors, psychological-health teachers,
// dormitory buildings and their managers, the emergency alarm's link to the police). Null means "not recorded",
// which the audit reports as unknown rather than as met or unmet.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table schools
    add column guards integer check (guards between 0 and 10000),
    add column doctors integer check (doctors between 0 and 10000),
    add column psychology_teachers integer check (psychology_teachers between 0 and 10000),
    add column boarding_students integer check (boarding_students between 0 and 1000000),
    add column dormitories jsonb check (dormitories is null or jsonb_typeof(dormitories) = 'array'),
    add column alarm_linked_to_police boolean`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table schools
    drop column if exists alarm_linked_to_police,
    drop column if exists dormitories,
    drop column if exists boarding_students,
    drop column if exists psychology_teachers,
    drop column if exists doctors,
    drop column if exists guards`.execute(db)
}
