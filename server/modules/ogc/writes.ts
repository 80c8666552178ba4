/**
 * OGC API – Features Part 4 on schools and premises. Every write goes through the registry service, so
 * validation, the write rules (department, category, county), conflict maintenance and the audit log are
 * the JSON API's own; this module only turns GeoJSON in a CRS into the registry's input and enforces the
 * HTTP preconditions (If-Match, If-Unmodified-Since).
 */
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, type FieldProblem } from '../../errors.ts'
import { problemsFromAjv } from '../../plugins/validation.ts'
import type { SignedInActor, User } from '../../schemas/auth.ts'
import { PREMISES_CATEGORIES } from '../../schemas/vocabulary.ts'
import {
  CreatePremisesSchema,
  CreateSchoolSchema,
  UpdatePremisesSchema,
  UpdateSchoolSchema,
  type CreatePremises,
  type CreateSchool,
  type UpdatePremises,
  type UpdateSchool,
} from '../../schemas/registry.ts'
import { LICENSING_DEPARTMENTS, writeRefusal, type RegistryKind } from '../registry/kinds.ts'
import * as registry from '../registry/service.ts'
import type { Collection } from './collections.ts'
import { DEFAULT_CRS, type OgcCrs } from './crs.ts'
import { parseFeatureId } from './query.ts'
import * as repository from './repository.ts'
import { item, type ItemResult } from './service.ts'

const ajv = new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false, strict: false })
addFormats.default(ajv)
const validators: Record<RegistryKind, { create: ValidateFunction; update: ValidateFunction }> = {
  schools: { create: ajv.compile(CreateSchoolSchema), update: ajv.compile(UpdateSchoolSchema) },
  premises: { create: ajv.compile(CreatePremisesSchema), update: ajv.compile(UpdatePremisesSchema) },
}

/** Output properties the server keeps: sent back by a client that edits what it read, they are ignored, not refused. */
const READ_ONLY = ['sourceCrs', 'demo', 'version', 'createdAt', 'updatedAt', 'urbanSource'] as const

/** What an optional property becomes when a replace (PUT) or a merge-patch null leaves it out. */
const CLEARED: Record<RegistryKind, Record<string, unknown>> = {
  schools: {
    address: null,
    students: null,
    staff: null,
    boarding: false,
    openedOn: null,
    gates: [],
    urban: null,
    peakWindows: null,
    guards: null,
    doctors: null,
    psychologyTeachers: null,
    boardingStudents: null,
    dormitories: null,
    alarmLinkedToPolice: null,
  },
  premises: { licenceNo: null, licenceStatus: 'active', licensedOn: null, expiresOn: null, address: null },
}

const rejected = (problems: FieldProblem[]) =>
  new AppError('VALIDATION_FAILED', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { problems })

export interface Preconditions {
  ifMatch?: string | undefined
  ifUnmodifiedSince?: string | undefined
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

const DEPTH: Record<string, number> = { Point: 0, Polygon: 2, MultiPolygon: 3 }
const MAX_POSITIONS = 100_000

/** Structure of a geometry in any served CRS (the registry checks the WGS84 result in full): types, nesting, finite numbers. */
function shapeProblems(geometry: unknown, field: string): FieldProblem[] {
  if (!isObject(geometry) || typeof geometry.type !== 'string') return [{ field, message: 'must be a GeoJSON geometry object' }]
  const depth = DEPTH[geometry.type]
  if (depth === undefined)
    return [{ field: `${field}/type`, message: `${geometry.type.slice(0, 40)} is not accepted here (Point, Polygon or MultiPolygon)` }]
  let positions = 0
  const visit = (value: unknown, level: number, path: string): FieldProblem | undefined => {
    if (!Array.isArray(value)) return { field: path, message: 'must be an array' }
    if (level === 0) {
      positions += 1
      if (positions > MAX_POSITIONS) return { field, message: `has more than ${MAX_POSITIONS} positions` }
      if (value.length < 2 || value.length > 3 || value.some((v) => typeof v !== 'number' || !Number.isFinite(v)))
        return { field: path, message: 'must be a position of 2 or 3 finite numbers' }
      return undefined
    }
    for (const [i, v] of value.entries()) {
      const problem = visit(v, level - 1, `${path}/${i}`)
      if (problem) return problem
    }
    return undefined
  }
  const problem = visit(geometry.coordinates, depth, `${field}/coordinates`)
  return problem ? [problem] : []
}

/** A geometry (and gate positions) in `crs` brought to WGS84 in the database, after its structure is checked. */
async function toWgs84<T extends Record<string, unknown>>(db: Kysely<Database>, input: T, crs: OgcCrs, field: string): Promise<T> {
  if (crs === DEFAULT_CRS) return input
  const out: Record<string, unknown> = { ...input }
  if (input.geometry !== undefined) {
    const problems = shapeProblems(input.geometry, `${field}/geometry`)
    if (problems.length > 0) throw rejected(problems)
    out.geometry = await repository.geometryToWgs84(db, input.geometry, crs)
  }
  const properties = input.properties
  if (isObject(properties) && Array.isArray(properties.gates) && properties.gates.length > 0) {
    const problems = shapeProblems({ type: 'MultiPolygon', coordinates: [[properties.gates]] }, `${field}/properties/gates`)
    if (problems.length > 0) throw rejected(problems.map((p) => ({ ...p, field: p.field.replace('/coordinates/0/0', '') })))
    const points = await repository.geometryToWgs84(db, { type: 'MultiPoint', coordinates: properties.gates }, crs)
    out.properties = { ...properties, gates: points.coordinates }
  }
  return out as T
}

/** The body's properties without the server's read-only fields. */
function editable(properties: unknown): unknown {
  if (!isObject(properties)) return properties
  const copy = { ...properties }
  for (const name of READ_ONLY) delete copy[name]
  return copy
}

function check(validate: ValidateFunction, value: unknown): void {
  if (!validate(value)) throw rejected(problemsFromAjv(validate.errors ?? [], 'body'))
}

/** A Feature body as a registry input: type, properties and geometry (a client's id, bbox and links are the server's to set). */
function featureInput(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw rejected([{ field: 'body', message: 'must be a GeoJSON Feature object' }])
  if (body.type !== 'Feature') throw rejected([{ field: 'body/type', message: 'must be Feature' }])
  return { type: 'Feature', properties: editable(body.properties), geometry: body.geometry }
}

const kindOf = (collection: Collection): RegistryKind => {
  if (!collection.writable) throw new AppError('BAD_REQUEST', `collection ${collection.id} cannot be edited`)
  return collection.writable
}

/** Adds a feature through the registry service; returns its id. */
export async function createFeature(
  db: Kysely<Database>,
  collection: Collection,
  body: unknown,
  crs: OgcCrs,
  actor: SignedInActor,
): Promise<number> {
  const kind = kindOf(collection)
  const input = await toWgs84(db, featureInput(body), crs, 'body')
  check(validators[kind].create, input)
  const created =
    kind === 'schools'
      ? await registry.createSchool(db, input as CreateSchool, 'wgs84', actor)
      : await registry.createPremises(db, input as CreatePremises, 'wgs84', actor)
  return created.id
}

/** The current feature for a write, after its preconditions: 428 without any, 412 when stale. */
async function current(
  db: Kysely<Database>,
  collection: Collection,
  user: User,
  featureId: string,
  preconditions: Preconditions,
  base: string,
): Promise<{ id: number; now: ItemResult }> {
  const now = await item(db, collection, user, featureId, DEFAULT_CRS, base)
  if (preconditions.ifMatch === undefined && preconditions.ifUnmodifiedSince === undefined)
    throw new AppError(
      'PRECONDITION_REQUIRED',
      `if-match: send the ETag of the feature as read (GET …/items/${featureId}) in If-Match, so that a change made meanwhile is not overwritten`,
    )
  if (preconditions.ifMatch !== undefined) {
    const tags = preconditions.ifMatch.split(',').map((t) => t.trim())
    // Strong comparison (RFC 9110 §13.1.1): a weak tag never matches.
    if (!tags.includes('*') && !tags.includes(now.etag))
      throw new AppError(
        'PRECONDITION_FAILED',
        `if-match: the feature has changed since it was read (its ETag is now ${now.etag}); read it again`,
      )
  }
  if (preconditions.ifUnmodifiedSince !== undefined && now.lastModified) {
    const since = Date.parse(preconditions.ifUnmodifiedSince)
    if (Number.isFinite(since) && Math.floor(now.lastModified.getTime() / 1000) * 1000 > since)
      throw new AppError('PRECONDITION_FAILED', `if-unmodified-since: the feature changed at ${now.lastModified.toUTCString()}`)
  }
  return { id: parseFeatureId(collection, featureId)![0] as number, now }
}

/** A version conflict inside the registry's transaction is the same stale precondition, answered 412. */
async function asPrecondition<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (error instanceof AppError && error.code === 'VERSION_CONFLICT')
      throw new AppError('PRECONDITION_FAILED', 'if-match: the feature changed while this request was made; read it again')
    throw error
  }
}

async function applyUpdate(
  db: Kysely<Database>,
  kind: RegistryKind,
  id: number,
  change: Record<string, unknown>,
  actor: SignedInActor,
): Promise<void> {
  check(validators[kind].update, change)
  await asPrecondition<unknown>(async () => {
    if (kind === 'schools') return registry.updateSchool(db, id, change as UpdateSchool, 'wgs84', actor)
    return registry.updatePremises(db, id, change as UpdatePremises, 'wgs84', actor)
  })
}

/** Replaces a feature (PUT): properties left out are cleared. */
export async function replaceFeature(
  db: Kysely<Database>,
  collection: Collection,
  featureId: string,
  body: unknown,
  crs: OgcCrs,
  preconditions: Preconditions,
  actor: SignedInActor,
  base: string,
): Promise<void> {
  const kind = kindOf(collection)
  const { id, now } = await current(db, collection, actor.user, featureId, preconditions, base)
  const input = await toWgs84(db, featureInput(body), crs, 'body')
  check(validators[kind].create, input)
  const properties = { ...CLEARED[kind], ...(input.properties as Record<string, unknown>) }
  await applyUpdate(db, kind, id, { properties, geometry: input.geometry, version: now.version }, actor)
}

/** Updates a feature (PATCH, JSON merge patch of properties and geometry): null clears a property. */
export async function updateFeature(
  db: Kysely<Database>,
  collection: Collection,
  featureId: string,
  body: unknown,
  crs: OgcCrs,
  preconditions: Preconditions,
  actor: SignedInActor,
  base: string,
): Promise<void> {
  const kind = kindOf(collection)
  const { id, now } = await current(db, collection, actor.user, featureId, preconditions, base)
  if (!isObject(body)) throw rejected([{ field: 'body', message: 'must be a JSON merge patch object' }])
  for (const name of Object.keys(body))
    if (!['type', 'id', 'properties', 'geometry', 'links', 'bbox'].includes(name))
      throw rejected([{ field: `body/${name}`, message: 'is not a member of a feature that can be changed' }])
  if (body.type !== undefined && body.type !== 'Feature') throw rejected([{ field: 'body/type', message: 'must be Feature' }])
  if (body.geometry === null) throw rejected([{ field: 'body/geometry', message: 'cannot be removed' }])
  if (body.properties !== undefined && !isObject(body.properties))
    throw rejected([{ field: 'body/properties', message: 'must be an object of the properties to change' }])
  const patch = await toWgs84(db, { properties: body.properties, geometry: body.geometry }, crs, 'body')
  const change: Record<string, unknown> = { version: now.version }
  if (patch.geometry !== undefined) change.geometry = patch.geometry
  if (isObject(patch.properties)) {
    const properties = editable(patch.properties) as Record<string, unknown>
    // Merge patch: null removes a member, which for the registry is its cleared value.
    for (const [name, value] of Object.entries(properties))
      if (value === null && name in CLEARED[kind]) properties[name] = CLEARED[kind][name]
    if (Object.keys(properties).length > 0) change.properties = properties
  }
  if (change.properties === undefined && change.geometry === undefined) return
  await applyUpdate(db, kind, id, change, actor)
}

/** Deletes a feature through the registry (history kept in the audit log). */
export async function deleteFeature(
  db: Kysely<Database>,
  collection: Collection,
  featureId: string,
  preconditions: Preconditions,
  actor: SignedInActor,
  base: string,
): Promise<void> {
  const kind = kindOf(collection)
  const { id, now } = await current(db, collection, actor.user, featureId, preconditions, base)
  await asPrecondition(() => registry.deleteRecord(db, kind, id, actor, now.version))
}

const WRITERS = new Set(['clerk', 'supervisor', 'admin'])

/** Whether the user may add features to the collection at all (in some county and category of theirs). */
export function mayCreate(collection: Collection, user: User | null): boolean {
  if (!collection.writable || !user || !WRITERS.has(user.role)) return false
  const county = user.countyCode ?? '640402'
  if (collection.writable === 'schools') return writeRefusal(user, 'schools', county) === undefined
  return PREMISES_CATEGORIES.some((c) => LICENSING_DEPARTMENTS[c].includes(user.department as never) || user.role === 'admin')
}

/** Whether the user may change or delete this feature (its county and category as stored). */
export function mayChange(collection: Collection, user: User | null, feature: ItemResult['feature']): boolean {
  if (!collection.writable || !user || !WRITERS.has(user.role)) return false
  const properties = feature.properties as { countyCode?: string; category?: string }
  return writeRefusal(user, collection.writable, properties.countyCode ?? '', properties.category) === undefined
}
