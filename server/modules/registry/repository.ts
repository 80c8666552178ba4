import { sql, type Kysely, type Transaction } from 'kysely'
import { asGeoJson, campusFromGeoJson, intersectsEnvelope, multiPointFromPositions, pointFromLonLat } from '../../db/postgis.ts'
import type { Database } from '../../db/types.ts'
import { STAFFING_COLUMNS, staffingValues, type PremisesRecord, type PremisesRow, type SchoolRecord, type SchoolRow } from './kinds.ts'
import { pinyinColumns } from '../search/pinyin.ts'
import { noteClearedConflicts } from '../hazards/repository.ts'

type Db = Kysely<Database> | Transaction<Database>

export interface ListFilter {
  countyCode?: string | undefined
  type?: string | undefined
  licenceStatus?: string | undefined
  bbox?: [number, number, number, number] | undefined
  q?: string | undefined
  limit: number
  offset: number
}

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

// One list of columns for reading and for RETURNING, so a written record comes back as a read one does.
const schoolColumns = [
  'id',
  'name',
  'school_type',
  'county_code',
  'address',
  'students',
  'staff',
  'boarding',
  'opened_on',
  ...STAFFING_COLUMNS,
  'source_crs',
  'demo',
  'version',
  'created_at',
  'updated_at',
  'urban',
  'urban_source',
  'peak_windows',
] as const
const schoolGeometry = () => [asGeoJson(sql.ref('geom')).as('geometry'), asGeoJson(sql.ref('gates')).as('gates')] as const
const premisesColumns = [
  'id',
  'name',
  'category',
  'licence_no',
  'licence_status',
  'licensed_on',
  'expires_on',
  'address',
  'county_code',
  'source_crs',
  'demo',
  'version',
  'created_at',
  'updated_at',
] as const
const premisesGeometry = () => [asGeoJson(sql.ref('geom')).as('geometry')] as const

export function schoolSelect(db: Db) {
  return db.selectFrom('schools').select([...schoolColumns, ...schoolGeometry()])
}

export function premisesSelect(db: Db) {
  return db.selectFrom('premises').select([...premisesColumns, ...premisesGeometry()])
}

/** One page of schools and the number matching the filter. */
export async function listSchools(db: Db, filter: ListFilter): Promise<{ rows: SchoolRow[]; numberMatched: number }> {
  let query = db.selectFrom('schools')
  if (filter.countyCode) query = query.where('county_code', '=', filter.countyCode)
  if (filter.type) query = query.where('school_type', '=', filter.type)
  if (filter.bbox) query = query.where(intersectsEnvelope(sql.ref('geom'), filter.bbox))
  if (filter.q)
    query = query.where((eb) => eb.or([eb('name', 'ilike', likePattern(filter.q!)), eb('address', 'ilike', likePattern(filter.q!))]))
  const [rows, count] = await Promise.all([
    schoolSelect(db).where('id', 'in', query.select('id').orderBy('id').limit(filter.limit).offset(filter.offset)).orderBy('id').execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ])
  return { rows: rows, numberMatched: Number(count.n) }
}

/** One page of premises and the number matching the filter. */
export async function listPremises(db: Db, filter: ListFilter): Promise<{ rows: PremisesRow[]; numberMatched: number }> {
  let query = db.selectFrom('premises')
  if (filter.countyCode) query = query.where('county_code', '=', filter.countyCode)
  if (filter.type) query = query.where('category', '=', filter.type)
  if (filter.licenceStatus) query = query.where('licence_status', '=', filter.licenceStatus)
  if (filter.bbox) query = query.where(intersectsEnvelope(sql.ref('geom'), filter.bbox))
  if (filter.q)
    query = query.where((eb) =>
      eb.or([
        eb('name', 'ilike', likePattern(filter.q!)),
        eb('address', 'ilike', likePattern(filter.q!)),
        eb('licence_no', 'ilike', likePattern(filter.q!)),
      ]),
    )
  const [rows, count] = await Promise.all([
    premisesSelect(db)
      .where('id', 'in', query.select('id').orderBy('id').limit(filter.limit).offset(filter.offset))
      .orderBy('id')
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ])
  return { rows: rows, numberMatched: Number(count.n) }
}

/** One school, optionally locking its row for an update. */
export async function findSchool(db: Db, id: number, lock = false): Promise<SchoolRow | undefined> {
  let query = schoolSelect(db).where('id', '=', id)
  if (lock) query = query.forUpdate()
  return query.executeTakeFirst()
}

/** One premises, optionally locking its row for an update. */
export async function findPremises(db: Db, id: number, lock = false): Promise<PremisesRow | undefined> {
  let query = premisesSelect(db).where('id', '=', id)
  if (lock) query = query.forUpdate()
  return query.executeTakeFirst()
}

// A school is urban when the registry says so; otherwise when its campus meets a built-up area (urban_areas).
const urbanFromAreas = (campus: ReturnType<typeof campusFromGeoJson>) =>
  sql<boolean>`exists (select 1 from urban_areas ua where ST_Intersects(ua.geom, ${campus}))`

const schoolValues = (record: SchoolRecord) => ({
  urban: typeof record.properties.urban === 'boolean' ? record.properties.urban : urbanFromAreas(campusFromGeoJson(record.geometry)),
  urban_source: typeof record.properties.urban === 'boolean' ? 'registry' : 'area',
  peak_windows: record.properties.peakWindows ? JSON.stringify(record.properties.peakWindows) : null,
  name: record.properties.name,
  school_type: record.properties.schoolType,
  county_code: record.properties.countyCode,
  address: record.properties.address ?? null,
  students: record.properties.students ?? null,
  staff: record.properties.staff ?? null,
  boarding: record.properties.boarding ?? false,
  opened_on: record.properties.openedOn ?? null,
  ...staffingValues(record.properties),
  geom: campusFromGeoJson(record.geometry),
  gates: multiPointFromPositions(record.properties.gates ?? []),
  source_crs: record.sourceCrs,
  demo: record.demo,
  ...pinyinColumns(record.properties.name),
})

const premisesValues = (record: PremisesRecord) => ({
  name: record.properties.name,
  category: record.properties.category,
  licence_no: record.properties.licenceNo ?? null,
  licence_status: record.properties.licenceStatus ?? 'active',
  licensed_on: record.properties.licensedOn ?? null,
  expires_on: record.properties.expiresOn ?? null,
  address: record.properties.address ?? null,
  county_code: record.properties.countyCode,
  geom: pointFromLonLat(record.geometry.coordinates[0], record.geometry.coordinates[1]),
  source_crs: record.sourceCrs,
  demo: record.demo,
  ...pinyinColumns(record.properties.name),
})

/** Inserts schools in one statement; returns their ids in input order. */
export async function insertSchools(db: Db, records: readonly SchoolRecord[]): Promise<number[]> {
  if (records.length === 0) return []
  const rows = await db.insertInto('schools').values(records.map(schoolValues)).returning('id').execute()
  return rows.map((r) => r.id)
}

/** Inserts premises in one statement; returns their ids in input order. */
export async function insertPremises(db: Db, records: readonly PremisesRecord[]): Promise<number[]> {
  if (records.length === 0) return []
  const rows = await db.insertInto('premises').values(records.map(premisesValues)).returning('id').execute()
  return rows.map((r) => r.id)
}

/** Inserts one school and returns it as stored. */
export async function insertSchool(db: Db, record: SchoolRecord): Promise<SchoolRow> {
  return db
    .insertInto('schools')
    .values(schoolValues(record))
    .returning([...schoolColumns, ...schoolGeometry()])
    .executeTakeFirstOrThrow()
}

/** Inserts one premises and returns it as stored. */
export async function insertOnePremises(db: Db, record: PremisesRecord): Promise<PremisesRow> {
  return db
    .insertInto('premises')
    .values(premisesValues(record))
    .returning([...premisesColumns, ...premisesGeometry()])
    .executeTakeFirstOrThrow()
}

/** Rewrites a school, bumps its version and returns it as stored. */
export async function updateSchool(db: Db, id: number, record: SchoolRecord): Promise<SchoolRow> {
  return db
    .updateTable('schools')
    .set({ ...schoolValues(record), version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .returning([...schoolColumns, ...schoolGeometry()])
    .executeTakeFirstOrThrow()
}

/** Rewrites a premises, bumps its version and returns it as stored. */
export async function updatePremises(db: Db, id: number, record: PremisesRecord): Promise<PremisesRow> {
  return db
    .updateTable('premises')
    .set({ ...premisesValues(record), version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .returning([...premisesColumns, ...premisesGeometry()])
    .executeTakeFirstOrThrow()
}

/** Refreshes the planner's statistics of a table after a bulk import (the embedded database has no autovacuum). */
export async function analyze(db: Db, table: 'schools' | 'premises' | 'address_points'): Promise<void> {
  await sql`analyze ${sql.table(table)}`.execute(db)
}

/** Deletes a record and its conflicts; true when it existed. */
export async function deleteRecord(db: Db, kind: 'schools' | 'premises', id: number): Promise<boolean> {
  await db
    .deleteFrom('conflicts')
    .where(kind === 'schools' ? 'school_id' : 'premises_id', '=', id)
    .execute()
  // A premises' hazards outlive it (their premises becomes null): its conflicts are noted cleared on them first.
  if (kind === 'premises') await noteClearedConflicts(db, sql<boolean>`h.premises_id = ${id}`)
  const result = await (kind === 'schools' ? db.deleteFrom('schools') : db.deleteFrom('premises')).where('id', '=', id).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

/** Licence numbers among `numbers` that are already taken (optionally by a record other than `exceptId`). */
export async function takenLicenceNumbers(db: Db, numbers: readonly string[], exceptId?: number): Promise<Set<string>> {
  if (numbers.length === 0) return new Set()
  let query = db.selectFrom('premises').select('licence_no').where('licence_no', 'in', numbers)
  if (exceptId !== undefined) query = query.where('id', '<>', exceptId)
  const rows = await query.execute()
  return new Set(rows.map((r) => r.licence_no!))
}
