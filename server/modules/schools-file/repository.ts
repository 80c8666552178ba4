import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'

type Db = Kysely<Database> | Transaction<Database>

/** A county's name by its code, or undefined. */
export async function countyName(db: Db, code: string): Promise<string | undefined> {
  const row = await db.selectFrom('counties').select('name').where('code', '=', code).executeTakeFirst()
  return row?.name
}
