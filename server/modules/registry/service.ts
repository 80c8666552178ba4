import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, notFound, type FieldProblem } from '../../errors.ts'
import { validateCampus, validatePoint, validatePosition } from '../../geo/validate.ts'
import type { Actor, SignedInActor, User } from '../../schemas/auth.ts'
import type { CrsName } from '../../schemas/common.ts'
import type { Static } from 'typebox'
import type {
  CreatePremises,
  CreateSchool,
  HistoryEntry,
  Premises,
  PremisesCollectionSchema,
  PremisesQuery,
  School,
  SchoolCollectionSchema,
  SchoolQuery,
  UpdatePremises,
  UpdateSchool,
} from '../../schemas/registry.ts'
import { historyOf, record as appendAudit } from '../audit-log/service.ts'
import { entityType, placed, premisesFeature, schoolFeature, writeRefusal, type PremisesRecord, type RegistryKind } from './kinds.ts'
import { placeOne } from './county.ts'
import { geometryToWgs84, positionsToWgs84, preparePremises, prepareSchool } from './prepare.ts'
import * as repository from './repository.ts'
import { refreshForPremises, refreshForSchools } from '../zones/maintenance.ts'

const rejected = (problems: FieldProblem[]) =>
  new AppError('VALIDATION_FAILED', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { problems })

/** The four numbers of a bbox query parameter, or a 400 naming what is wrong with it. */
export function parseBbox(bbox: string | undefined): [number, number, number, number] | undefined {
  if (!bbox) return undefined
  const values = bbox.split(',').map(Number) as [number, number, number, number]
  const [minLon, minLat, maxLon, maxLat] = values
  const problem = values.some((v) => !Number.isFinite(v))
    ? 'must be four numbers'
    : minLon < -180 || maxLon > 180 || minLat < -90 || maxLat > 90
      ? 'is outside -180..180, -90..90'
      : minLon > maxLon || minLat > maxLat
        ? 'must be minLon,minLat,maxLon,maxLat with min ≤ max'
        : undefined
  if (problem)
    throw new AppError('VALIDATION_FAILED', `querystring/bbox: ${problem}`, { problems: [{ field: 'querystring/bbox', message: problem }] })
  return values
}

/** 403 unless the user may write this record; `countyCode` undefined checks role and department only. */
function refuseUnlessAllowed(user: User, kind: RegistryKind, countyCode: string | undefined, category?: string) {
  const refusal = writeRefusal(user, kind, countyCode, category)
  if (refusal) throw new AppError('FORBIDDEN', refusal)
}

// Defined here until the schemas carry them beside SchoolCollectionSchema and PremisesCollectionSchema.
type SchoolCollection = Static<typeof SchoolCollectionSchema>
type PremisesCollection = Static<typeof PremisesCollectionSchema>

/** A page of schools as a FeatureCollection. */
export async function listSchools(db: Kysely<Database>, query: SchoolQuery): Promise<SchoolCollection> {
  const { rows, numberMatched } = await repository.listSchools(db, {
    countyCode: query.countyCode,
    type: query.schoolType,
    bbox: parseBbox(query.bbox),
    q: query.q,
    limit: query.limit ?? 100,
    offset: query.offset ?? 0,
  })
  return { type: 'FeatureCollection' as const, numberMatched, numberReturned: rows.length, features: rows.map(schoolFeature) }
}

/** A page of premises as a FeatureCollection. */
export async function listPremises(db: Kysely<Database>, query: PremisesQuery): Promise<PremisesCollection> {
  const { rows, numberMatched } = await repository.listPremises(db, {
    countyCode: query.countyCode,
    type: query.category,
    licenceStatus: query.licenceStatus,
    bbox: parseBbox(query.bbox),
    q: query.q,
    limit: query.limit ?? 100,
    offset: query.offset ?? 0,
  })
  return { type: 'FeatureCollection' as const, numberMatched, numberReturned: rows.length, features: rows.map(premisesFeature) }
}

/** One school, or 404. */
export async function getSchool(db: Kysely<Database>, id: number): Promise<School> {
  const row = await repository.findSchool(db, id)
  if (!row) throw notFound('school', id)
  return schoolFeature(row)
}

/** One premises, or 404. */
export async function getPremises(db: Kysely<Database>, id: number): Promise<Premises> {
  const row = await repository.findPremises(db, id)
  if (!row) throw notFound('premises', id)
  return premisesFeature(row)
}

/** One premises, or undefined when there is none. */
export async function findPremises(db: Kysely<Database>, id: number): Promise<Premises | undefined> {
  const row = await repository.findPremises(db, id)
  return row && premisesFeature(row)
}

/** One premises locked for an update within the caller's transaction, or undefined when there is none. */
export async function lockPremises(trx: Transaction<Database>, id: number): Promise<Premises | undefined> {
  const row = await repository.findPremises(trx, id, true)
  return row && premisesFeature(row)
}

/**
 * Stores new premises within the caller's transaction, recomputes their conflicts and records the
 * creation; `note` is added to the audit entry (the permit that licensed them).
 */
export async function registerPremises(
  trx: Transaction<Database>,
  record: PremisesRecord,
  actor: Actor,
  note: Record<string, unknown> = {},
): Promise<Premises> {
  const premises = premisesFeature(await repository.insertOnePremises(trx, record))
  await refreshForPremises(trx, [premises.id])
  await appendAudit(trx, actor, { action: 'create', entityType: 'premises', entityId: premises.id, after: { ...premises, ...note } })
  return premises
}

/**
 * Rewrites premises read (and locked) as `before` within the caller's transaction, recomputes their
 * conflicts and records the change; `note` is added to the audit entry's new state.
 */
export async function rewritePremises(
  trx: Transaction<Database>,
  before: Premises,
  record: PremisesRecord,
  actor: SignedInActor,
  note: Record<string, unknown> = {},
): Promise<Premises> {
  const after = premisesFeature(await repository.updatePremises(trx, before.id, record))
  await refreshForPremises(trx, [before.id])
  await appendAudit(trx, actor, { action: 'update', entityType: 'premises', entityId: before.id, before, after: { ...after, ...note } })
  return after
}

/**
 * Validates, converts to WGS84 and stores a school, with its history entry, in one transaction. Its county
 * is the one its campus lies in (county.ts), checked against the user's scope; a declared one must agree.
 */
export async function createSchool(db: Kysely<Database>, input: CreateSchool, crs: CrsName, actor: SignedInActor): Promise<School> {
  refuseUnlessAllowed(actor.user, 'schools', undefined)
  const { record: unplaced, problems } = prepareSchool(input, crs, 'body')
  if (!unplaced) throw rejected(problems)
  return db.transaction().execute(async (trx) => {
    const countyCode = await placeOne(trx, { geometry: unplaced.geometry, declared: input.properties.countyCode })
    refuseUnlessAllowed(actor.user, 'schools', countyCode)
    const record = placed(unplaced, countyCode)
    const school = schoolFeature(await repository.insertSchool(trx, record))
    await refreshForSchools(trx, [school.id])
    await appendAudit(trx, actor, { action: 'create', entityType: 'school', entityId: school.id, after: school })
    return school
  })
}

/**
 * Validates, converts to WGS84 and stores a premises, with its history entry, in one transaction. Its county
 * is the one its point lies in (county.ts), checked against the user's scope; a declared one must agree.
 */
export async function createPremises(db: Kysely<Database>, input: CreatePremises, crs: CrsName, actor: SignedInActor): Promise<Premises> {
  refuseUnlessAllowed(actor.user, 'premises', undefined, input.properties.category)
  const { record: unplaced, problems } = preparePremises(input, crs, 'body')
  if (!unplaced) throw rejected(problems)
  return db.transaction().execute(async (trx) => {
    const countyCode = await placeOne(trx, { geometry: unplaced.geometry, declared: input.properties.countyCode })
    refuseUnlessAllowed(actor.user, 'premises', countyCode, input.properties.category)
    const record = placed<PremisesRecord>(unplaced, countyCode)
    await assertLicenceFree(trx, record.properties.licenceNo)
    return registerPremises(trx, record, actor)
  })
}

async function assertLicenceFree(
  db: Parameters<typeof repository.takenLicenceNumbers>[0],
  licenceNo: string | null | undefined,
  exceptId?: number,
) {
  if (!licenceNo) return
  const taken = await repository.takenLicenceNumbers(db, [licenceNo], exceptId)
  if (taken.size > 0) throw new AppError('DUPLICATE', `body/properties/licenceNo: licence ${licenceNo} is already registered`)
}

function checkVersion(current: number, expected: number | undefined) {
  if (expected !== undefined && expected !== current) {
    throw new AppError(
      'VERSION_CONFLICT',
      `version: the record is at version ${current}, not ${expected}; reload it and apply your change again`,
    )
  }
}

/** Applies a partial change to a school under a row lock; its old county and the one its campus lies in now must be in the user's scope. */
export async function updateSchool(
  db: Kysely<Database>,
  id: number,
  patch: UpdateSchool,
  crs: CrsName,
  actor: SignedInActor,
): Promise<School> {
  const structural: FieldProblem[] = []
  if (patch.geometry) structural.push(...validateCampus(patch.geometry, 'body/geometry'))
  for (const [i, gate] of (patch.properties?.gates ?? []).entries())
    structural.push(...validatePosition(gate, `body/properties/gates/${i}`))
  if (structural.length > 0) throw rejected(structural)
  return db.transaction().execute(async (trx) => {
    const row = await repository.findSchool(trx, id, true)
    if (!row) throw notFound('school', id)
    const before = schoolFeature(row)
    checkVersion(before.properties.version, patch.version)
    refuseUnlessAllowed(actor.user, 'schools', before.properties.countyCode)
    const properties = { ...before.properties, ...patch.properties }
    if (patch.properties?.gates) properties.gates = positionsToWgs84(patch.properties.gates, crs)
    // urban set by the registry stays until the registry changes it (null hands it back to the urban areas,
    // which decide it again from the campus, moved or not).
    const urban =
      patch.properties && 'urban' in patch.properties
        ? (patch.properties.urban ?? null)
        : before.properties.urbanSource === 'registry'
          ? before.properties.urban
          : null
    Object.assign(properties, { urban })
    refuseUnlessAllowed(actor.user, 'schools', undefined)
    const geometry = patch.geometry ? geometryToWgs84(patch.geometry, crs) : before.geometry
    const { record: unplaced, problems } = prepareSchool({ properties: stripMeta(properties), geometry }, 'wgs84', 'body')
    if (!unplaced) throw rejected(problems)
    // The county is found again from the campus (moved or not); only a countyCode in the change is a claim to check.
    const countyCode = await placeOne(trx, { geometry: unplaced.geometry, declared: patch.properties?.countyCode })
    refuseUnlessAllowed(actor.user, 'schools', countyCode)
    const record = placed(unplaced, countyCode)
    record.sourceCrs = patch.geometry || patch.properties?.gates ? crs : before.properties.sourceCrs
    record.demo = before.properties.demo
    const after = schoolFeature(await repository.updateSchool(trx, id, record))
    await refreshForSchools(trx, [id])
    await appendAudit(trx, actor, { action: 'update', entityType: 'school', entityId: id, before, after })
    return after
  })
}

/** Applies a partial change to a premises under a row lock; its old county and the one its point lies in now must be in the user's scope. */
export async function updatePremises(
  db: Kysely<Database>,
  id: number,
  patch: UpdatePremises,
  crs: CrsName,
  actor: SignedInActor,
): Promise<Premises> {
  if (patch.geometry) {
    const problems = validatePoint(patch.geometry, 'body/geometry')
    if (problems.length > 0) throw rejected(problems)
  }
  return db.transaction().execute(async (trx) => {
    const row = await repository.findPremises(trx, id, true)
    if (!row) throw notFound('premises', id)
    const before = premisesFeature(row)
    checkVersion(before.properties.version, patch.version)
    refuseUnlessAllowed(actor.user, 'premises', before.properties.countyCode, before.properties.category)
    const properties = { ...before.properties, ...patch.properties }
    refuseUnlessAllowed(actor.user, 'premises', undefined, properties.category)
    const geometry = patch.geometry ? geometryToWgs84(patch.geometry, crs) : before.geometry
    const { record: unplaced, problems } = preparePremises({ properties: stripMeta(properties), geometry }, 'wgs84', 'body')
    if (!unplaced) throw rejected(problems)
    // The county is found again from the point (moved or not); only a countyCode in the change is a claim to check.
    const countyCode = await placeOne(trx, { geometry: unplaced.geometry, declared: patch.properties?.countyCode })
    refuseUnlessAllowed(actor.user, 'premises', countyCode, properties.category)
    const record = placed<PremisesRecord>(unplaced, countyCode)
    record.sourceCrs = patch.geometry ? crs : before.properties.sourceCrs
    record.demo = before.properties.demo
    await assertLicenceFree(trx, record.properties.licenceNo, id)
    return rewritePremises(trx, before, record, actor)
  })
}

function stripMeta<T extends { sourceCrs?: unknown; demo?: unknown; version?: unknown; createdAt?: unknown; updatedAt?: unknown }>(
  properties: T,
) {
  const {
    sourceCrs: _s,
    demo: _d,
    version: _v,
    createdAt: _c,
    updatedAt: _u,
    urbanSource: _us,
    ...rest
  } = properties as T & {
    urbanSource?: unknown
  }
  return rest as any
}

/** Deletes a school or premises under a row lock, keeping its last state in the history. */
export async function deleteRecord(db: Kysely<Database>, kind: RegistryKind, id: number, actor: SignedInActor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const before =
      kind === 'schools'
        ? await repository.findSchool(trx, id, true).then((r) => r && schoolFeature(r))
        : await repository.findPremises(trx, id, true).then((r) => r && premisesFeature(r))
    if (!before) throw notFound(entityType(kind), id)
    refuseUnlessAllowed(
      actor.user,
      kind,
      before.properties.countyCode,
      'category' in before.properties ? before.properties.category : undefined,
    )
    await repository.deleteRecord(trx, kind, id)
    await appendAudit(trx, actor, { action: 'delete', entityType: entityType(kind), entityId: id, before })
  })
}

/** The change history of a record (also after it was deleted). */
export async function history(db: Kysely<Database>, kind: RegistryKind, id: number): Promise<{ entries: HistoryEntry[] }> {
  const rows = await historyOf(db, entityType(kind), id)
  if (rows.length === 0) throw notFound(entityType(kind), id)
  return {
    entries: rows.map((r) => ({
      id: Number(r.id),
      at: new Date(r.at).toISOString(),
      action: r.action,
      user:
        r.user_id === null && r.username === null ? null : { id: r.user_id, username: r.username, role: r.role, department: r.department },
      before: r.before,
      after: r.after,
      requestId: r.request_id,
    })),
  }
}
