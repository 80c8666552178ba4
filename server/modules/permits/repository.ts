import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import { asGeoJson, geodesicDistance, pointFromLonLat } from '../../db/postgis.ts'
import type { Database, PermitsTable } from '../../db/types.ts'

type Db = Kysely<Database> | Transaction<Database>

/** What a caller may see: categories of their department (undefined = all) and their county (undefined = all). */
export interface Scope {
  categories?: readonly string[] | undefined
  countyCode?: string | undefined
}

/** A permit as the repository reads it: every column but the geometry (read as GeoJSON `location`) and the submitter's id. */
export type PermitRow = Omit<Selectable<PermitsTable>, 'geom' | 'submitted_by'> & { location: { type: string; coordinates: unknown } }

export interface PermitFilter {
  status?: string | undefined
  category?: string | undefined
  countyCode?: string | undefined
  from?: string | undefined
  to?: string | undefined
  q?: string | undefined
  flagged?: boolean | undefined
  limit: number
  offset: number
}

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

function scoped(db: Db, scope: Scope) {
  let query = db.selectFrom('permits')
  // The scope is part of every query's WHERE: a permit outside it does not exist for the caller.
  if (scope.categories)
    query = scope.categories.length === 0 ? query.where(sql<boolean>`false`) : query.where('category', 'in', scope.categories)
  if (scope.countyCode) query = query.where('county_code', '=', scope.countyCode)
  return query
}

const columns = [
  'id',
  'applicant_name',
  'applicant_id_number',
  'business_name',
  'category',
  'kind',
  'address',
  'county_code',
  'input_lon',
  'input_lat',
  'source_crs',
  'status',
  'screening',
  'screened_at',
  'flagged_override',
  'decision_reason',
  'override_justification',
  'decided_by',
  'decided_by_name',
  'decided_role',
  'decided_at',
  'premises_id',
  'licence_no',
  'rectification',
  'submitted_by_name',
  'submitted_at',
  'updated_at',
  'version',
] as const
const location = () => asGeoJson(sql.ref('geom')).as('location')

/** One page of permits within the scope, newest first, and the number matching. */
export async function listPermits(db: Db, scope: Scope, filter: PermitFilter): Promise<{ rows: PermitRow[]; numberMatched: number }> {
  let query = scoped(db, scope)
  if (filter.status) query = query.where('status', '=', filter.status)
  if (filter.category) query = query.where('category', '=', filter.category)
  if (filter.countyCode) query = query.where('county_code', '=', filter.countyCode)
  if (filter.flagged) query = query.where('flagged_override', '=', true)
  // Dates are days in China Standard Time, where the desks are.
  if (filter.from) query = query.where('submitted_at', '>=', sql<Date>`(${filter.from}::date)::timestamp at time zone 'Asia/Shanghai'`)
  if (filter.to) query = query.where('submitted_at', '<', sql<Date>`(${filter.to}::date + 1)::timestamp at time zone 'Asia/Shanghai'`)
  if (filter.q) {
    const pattern = likePattern(filter.q)
    query = query.where((eb) =>
      eb.or([
        eb('business_name', 'ilike', pattern),
        eb('applicant_name', 'ilike', pattern),
        eb('address', 'ilike', pattern),
        eb('licence_no', 'ilike', pattern),
      ]),
    )
  }
  const [rows, count] = await Promise.all([
    query
      .select([...columns, location()])
      .orderBy('id', 'desc')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ])
  return { rows, numberMatched: Number(count.n) }
}

/** One permit within the scope, optionally locking its row. */
export async function findPermit(db: Db, scope: Scope, id: number, lock = false): Promise<PermitRow | undefined> {
  let query = scoped(db, scope)
    .select([...columns, location()])
    .where('id', '=', id)
  if (lock) query = query.forUpdate()
  return query.executeTakeFirst()
}

/** The county whose outline covers a WGS84 point, if any. */
export async function countyAt(db: Db, lon: number, lat: number): Promise<string | undefined> {
  const row = await db
    .selectFrom('counties')
    .select('code')
    .where(sql<boolean>`ST_Covers(geom, ${pointFromLonLat(lon, lat)})`)
    .orderBy('code')
    .executeTakeFirst()
  return row?.code.trim()
}

export interface NewPermit {
  applicantName: string
  applicantIdNumber: string
  businessName: string
  category: string
  kind: string
  address: string
  countyCode: string
  lon: number
  lat: number
  inputLon: number
  inputLat: number
  sourceCrs: string
  screening: unknown
  screenedAt: string
  /** The earlier premises a renewal, relocation or change is for. */
  premisesId: number | null
  submittedBy: { id: number; username: string }
}

/** Inserts an application; returns it as stored. */
export async function insertPermit(db: Db, permit: NewPermit): Promise<PermitRow> {
  return db
    .insertInto('permits')
    .values({
      applicant_name: permit.applicantName,
      applicant_id_number: permit.applicantIdNumber,
      business_name: permit.businessName,
      category: permit.category,
      kind: permit.kind,
      address: permit.address,
      county_code: permit.countyCode,
      geom: pointFromLonLat(permit.lon, permit.lat),
      input_lon: permit.inputLon,
      input_lat: permit.inputLat,
      source_crs: permit.sourceCrs,
      screening: JSON.stringify(permit.screening),
      screened_at: permit.screenedAt,
      premises_id: permit.premisesId,
      submitted_by: permit.submittedBy.id,
      submitted_by_name: permit.submittedBy.username,
    })
    .returning([...columns, location()])
    .executeTakeFirstOrThrow()
}

/** Replaces the stored screening with a newer one and bumps the version. */
export async function replaceScreening(db: Db, id: number, screening: unknown, screenedAt: string): Promise<void> {
  await db
    .updateTable('permits')
    .set({ screening: JSON.stringify(screening), screened_at: screenedAt, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .execute()
}

export interface DecisionRecord {
  status: 'approved' | 'rejected'
  reason: string
  overrideJustification: string | null
  flagged: boolean
  decidedBy: { id: number; username: string; role: string }
  premisesId: number | null
  licenceNo: string | null
  rectification: { measure: string; deadline: string } | null
}

/** Records the decision on a pending permit and bumps the version; returns the permit as stored, or undefined when it was no longer pending. */
export async function recordDecision(db: Db, id: number, decision: DecisionRecord): Promise<PermitRow | undefined> {
  return db
    .updateTable('permits')
    .set({
      status: decision.status,
      decision_reason: decision.reason,
      override_justification: decision.overrideJustification,
      flagged_override: decision.flagged,
      decided_by: decision.decidedBy.id,
      decided_by_name: decision.decidedBy.username,
      decided_role: decision.decidedBy.role,
      decided_at: sql`now()`,
      premises_id: decision.premisesId,
      licence_no: decision.licenceNo,
      rectification: decision.rectification === null ? null : JSON.stringify(decision.rectification),
      version: sql`version + 1`,
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returning([...columns, location()])
    .executeTakeFirst()
}

/** The next serial for licence numbers (never reused, gaps allowed). */
export async function nextLicenceSerial(db: Db): Promise<number> {
  const { rows } = await sql<{ n: string }>`select nextval('licence_serial_seq') as n`.execute(db)
  return Number(rows[0]!.n)
}

/** Today's date in China Standard Time, from the database clock. */
export async function today(db: Db): Promise<string> {
  const { rows } = await sql<{ d: string }>`select to_char(now() at time zone 'Asia/Shanghai', 'YYYY-MM-DD') as d`.execute(db)
  return rows[0]!.d
}

export interface PredatingRow {
  school_id: number
  school_name: string
  predates: boolean
  by_dates: boolean
  school_since: string
  premises_since: string
}

/**
 * For each school, whether the premises were there first: licence date before opening date when both
 * are known, otherwise the registry creation times of the two records.
 */
export async function predating(db: Db, premisesId: number, schoolIds: readonly number[]): Promise<PredatingRow[]> {
  if (schoolIds.length === 0) return []
  const { rows } = await sql<PredatingRow>`
    select s.id as school_id, s.name as school_name,
      (p.licensed_on is not null and s.opened_on is not null) as by_dates,
      case when p.licensed_on is not null and s.opened_on is not null then p.licensed_on < s.opened_on else p.created_at < s.created_at end as predates,
      case when p.licensed_on is not null and s.opened_on is not null then to_char(s.opened_on, 'YYYY-MM-DD')
        else to_char(s.created_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD') end as school_since,
      case when p.licensed_on is not null and s.opened_on is not null then to_char(p.licensed_on, 'YYYY-MM-DD')
        else to_char(p.created_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD') end as premises_since
    from premises p join schools s on s.id in (${sql.join(schoolIds.map((id) => sql`${id}::int`))})
    where p.id = ${premisesId}
    order by s.id`.execute(db)
  return rows
}

/** The deadline of the latest rectification period granted to a premises by an approved renewal, if any. */
export async function grantedRectification(db: Db, premisesId: number): Promise<string | undefined> {
  const { rows } = await sql<{ deadline: string }>`
    select rectification->>'deadline' as deadline from permits
    where premises_id = ${premisesId} and status = 'approved' and rectification is not null
    order by decided_at desc limit 1`.execute(db)
  return rows[0]?.deadline
}

/** Geodesic distance in metres from a premises' registered point to a WGS84 point. */
export async function distanceFromPremises(db: Db, premisesId: number, lon: number, lat: number): Promise<number | undefined> {
  const { rows } = await sql<{ d: number }>`
    select ${geodesicDistance(sql.ref('geom'), pointFromLonLat(lon, lat))} as d from premises where id = ${premisesId}`.execute(db)
  return rows[0] === undefined ? undefined : Number(rows[0].d)
}

/** The pending application that names a premises, if any. */
export async function pendingFor(db: Db, premisesId: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('permits')
    .select('id')
    .where('premises_id', '=', premisesId)
    .where('status', '=', 'pending')
    .executeTakeFirst()
  return row?.id
}
