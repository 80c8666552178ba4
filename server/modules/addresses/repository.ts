import type { Kysely, Transaction } from 'kysely'
import { pointFromLonLat } from '../../db/postgis.ts'
import type { Database } from '../../db/types.ts'
import { pinyinColumns } from '../search/pinyin.ts'
import type { AddressPointRecord } from './service.ts'

type Db = Kysely<Database> | Transaction<Database>

/** Inserts address points in one statement; returns their ids in input order. */
export async function insertAddressPoints(db: Db, records: readonly AddressPointRecord[]): Promise<number[]> {
  if (records.length === 0) return []
  const rows = await db
    .insertInto('address_points')
    .values(
      records.map((record) => ({
        address: record.properties.address,
        county_code: record.properties.countyCode,
        source: record.properties.source,
        geom: pointFromLonLat(record.geometry.coordinates[0], record.geometry.coordinates[1]),
        source_crs: record.sourceCrs,
        demo: record.demo,
        ...pinyinColumns(record.properties.address),
      })),
    )
    .returning('id')
    .execute()
  return rows.map((r) => r.id)
}
