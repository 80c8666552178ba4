import type { Kysely } from 'kysely'
import { postgisVersion, type DatabaseKind } from '../../db/connect.ts'
import type { Database } from '../../db/types.ts'

export interface Health {
  status: 'ok'
  database: DatabaseKind
  postgis: string
}

/** The service's health, with a real round trip to the database (which throws when it does not answer). */
export async function health(db: Kysely<Database>, kind: DatabaseKind): Promise<Health> {
  return { status: 'ok', database: kind, postgis: await postgisVersion(db) }
}
