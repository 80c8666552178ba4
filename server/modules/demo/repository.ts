import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'

type Db = Kysely<Database> | Transaction<Database>

/** The app_settings keys that mark each part of the demo data loaded. */
export type DemoMark =
  'demo_data' | 'demo_addresses' | 'demo_roads' | 'demo_permits' | 'demo_staffing' | 'demo_hazards' | 'demo_police' | 'demo_patrol_plan'

/** Whether a part of the demo data is marked loaded. */
export async function isMarked(db: Db, key: DemoMark): Promise<boolean> {
  return (await db.selectFrom('app_settings').select('key').where('key', '=', key).executeTakeFirst()) !== undefined
}

/** Marks a part of the demo data loaded with what was loaded; `keep` leaves an existing mark as it is. */
export async function mark(db: Db, key: DemoMark, value: unknown, onExisting: 'replace' | 'keep'): Promise<void> {
  await db
    .insertInto('app_settings')
    .values({ key, value: JSON.stringify(value) })
    .onConflict((oc) =>
      onExisting === 'replace'
        ? oc.column('key').doUpdateSet({ value: sql`excluded.value`, updated_at: sql`now()` })
        : oc.column('key').doNothing(),
    )
    .execute()
}

export interface DemoPlace {
  id: number
  name: string
  address: string | null
  lon: number
  lat: number
}

/** The first demo premises of a category (by id) that is, or is not, in conflict with a school. */
export async function firstDemoPremises(db: Db, category: string, inConflict: boolean): Promise<DemoPlace | undefined> {
  const { rows } = await sql<DemoPlace>`
    select p.id, p.name, p.address, ST_X(p.geom) as lon, ST_Y(p.geom) as lat from premises p
    where p.demo and p.category = ${category}
      and ${inConflict ? sql`exists` : sql`not exists`} (select 1 from conflicts c where c.premises_id = p.id)
    order by p.id limit 1`.execute(db)
  return rows[0]
}

/** A demo school's §7 staffing facts as the demo file gives them, in column form. */
export interface DemoStaffing {
  name: string
  guards: number | null
  doctors: number | null
  psychology_teachers: number | null
  boarding_students: number | null
  dormitories: string | null
  alarm_linked_to_police: boolean | null
}

/**
 * Fills the staffing facts of demo schools (matched by name) that have none recorded yet, one statement for all;
 * returns the schools changed. Schools a clerk has filled in since are left as they are.
 */
export async function fillDemoStaffing(db: Db, rows: readonly DemoStaffing[]): Promise<{ id: number; name: string }[]> {
  if (rows.length === 0) return []
  const { rows: changed } = await sql<{ id: number; name: string }>`
    update schools s set guards = d.guards, doctors = d.doctors, psychology_teachers = d.psychology_teachers,
      boarding_students = d.boarding_students, dormitories = d.dormitories, alarm_linked_to_police = d.alarm_linked_to_police,
      version = s.version + 1, updated_at = now()
    from json_to_recordset(${JSON.stringify(rows)}::json) as d(name text, guards integer, doctors integer,
      psychology_teachers integer, boarding_students integer, dormitories jsonb, alarm_linked_to_police boolean)
    where s.demo and s.name = d.name and s.guards is null and s.doctors is null and s.psychology_teachers is null
      and s.dormitories is null and s.alarm_linked_to_police is null
    returning s.id, s.name`.execute(db)
  return changed
}
