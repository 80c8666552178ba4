import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'

type Db = Kysely<Database> | Transaction<Database>

/** The app_settings keys that mark each part of the demo data loaded. */
export type DemoMark = 'demo_data' | 'demo_addresses' | 'demo_roads' | 'demo_permits' | 'demo_police'

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
