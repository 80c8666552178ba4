/**
 * The police desk's registers: stations, patrol grids, patrol units, warning signs and cameras. Written by
 * the police department within its county; the county of a record is decided from its geometry or its
 * station or school, never from the request.
 */
import { parse as parseCsv } from 'csv-parse/sync'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, notFound, type FieldProblem } from '../../errors.ts'
import { toWgs84 } from '../../geo/crs.ts'
import { validateCampus, validatePoint } from '../../geo/validate.ts'
import { problemsFromAjv } from '../../plugins/validation.ts'
import type { SignedInActor, User, Actor } from '../../schemas/auth.ts'
import { CRS_NAMES, type CrsName } from '../../schemas/common.ts'
import {
  CreateCameraSchema,
  CreateGridSchema,
  CreateSignSchema,
  CreateStationSchema,
  CreateUnitSchema,
  type PoliceKind,
  type PoliceQuery,
} from '../../schemas/police.ts'
import type { ImportResult, ImportRowError } from '../../schemas/registry.ts'
import { record as appendAudit, recordMany as appendAuditMany } from '../audit-log/service.ts'
import { geometryToWgs84 } from '../registry/prepare.ts'
import { parseBbox } from '../registry/service.ts'
import * as repository from './repository.ts'
import type { PoliceRow, PoliceValues } from './repository.ts'
import { isCalendarDate, minutesOf } from './rules.ts'

type Db = Kysely<Database> | Transaction<Database>

/** Who reads the desk's registers, coverage and plans (besides admins). */
export const POLICE_READERS = ['police', 'governance', 'education'] as const
/** Who writes them (besides admins): police clerks and supervisors, within their county. */
export const POLICE_WRITERS = ['police'] as const

/** The audit-log entity type and the name used in messages of each kind. */
export const ENTITY: Record<PoliceKind, { type: string; label: string }> = {
  stations: { type: 'police_station', label: 'police station' },
  grids: { type: 'patrol_grid', label: 'patrol grid' },
  units: { type: 'patrol_unit', label: 'patrol unit' },
  signs: { type: 'warning_sign', label: 'warning sign' },
  cameras: { type: 'camera', label: 'camera' },
}

/** A grid is a district, not a campus: from a block (1,000 m²) to a county's worth (2,000 km²). */
const GRID_AREA = { minAreaM2: 1_000, maxAreaM2: 2_000_000_000, what: 'grid' }

const rejected = (problems: FieldProblem[]) =>
  new AppError('VALIDATION_FAILED', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { problems })
const unprocessable = (problems: FieldProblem[]) =>
  new AppError('UNPROCESSABLE', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { problems })

/** Why a user may not write a record in this county, or undefined when they may. */
export function policeWriteRefusal(user: User, countyCode: string): string | undefined {
  if (user.role === 'admin') return undefined
  if (user.department !== 'police') return `only the police keep the patrol registers, not ${user.department}`
  if (user.role !== 'clerk' && user.role !== 'supervisor') return 'only police clerks and supervisors change the patrol registers'
  if (user.countyCode && user.countyCode !== countyCode) return `your scope is county ${user.countyCode}, this record is in ${countyCode}`
  return undefined
}

const iso = (value: Date | string) => new Date(value).toISOString()

/** Row → API Feature. */
export function featureOf(kind: PoliceKind, row: PoliceRow) {
  const meta = {
    countyCode: row.county_code.trim(),
    demo: row.demo,
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  }
  const properties: Record<string, unknown> = (() => {
    switch (kind) {
      case 'stations':
        return { name: row.name, address: row.address, phone: row.phone }
      case 'grids':
        return { name: row.name, stationId: row.station_id }
      case 'units':
        return {
          name: row.name,
          stationId: row.station_id,
          mode: row.mode,
          shiftStart: row.shift_start,
          shiftEnd: row.shift_end,
          officers: row.officers,
          active: row.active,
        }
      case 'signs':
        return { schoolId: row.school_id, state: row.state, installedOn: row.installed_on, note: row.note }
      case 'cameras':
        return { schoolId: row.school_id, gate: row.gate, state: row.state, linkedToPolice: row.linked_to_police, note: row.note }
    }
  })()
  return { type: 'Feature' as const, id: row.id, properties: { ...properties, ...meta }, geometry: row.geometry as any }
}
export type PoliceFeature = ReturnType<typeof featureOf>

/** The input fields of a stored record, as a change is merged into them. */
function inputOf(kind: PoliceKind, feature: PoliceFeature): Record<string, unknown> {
  const { countyCode, demo: _d, version: _v, createdAt: _c, updatedAt: _u, ...rest } = feature.properties as Record<string, unknown>
  // A station placed on the map takes its county from the point; one without keeps the one it was given.
  return kind === 'stations' && !feature.geometry ? { ...rest, countyCode } : rest
}

/** Checks a record's geometry (a point; a grid's polygon; a station may have none) and converts it to WGS84. */
export function prepareGeometry(
  kind: PoliceKind,
  input: unknown,
  crs: CrsName,
  path: string,
): { geometry: PoliceValues['geometry']; problems: FieldProblem[] } {
  if (kind === 'grids') {
    const structural = validateCampus(input, `${path}/geometry`, GRID_AREA)
    if (structural.length > 0) return { geometry: null, problems: structural }
    const geometry = geometryToWgs84(input as { type: string; coordinates: unknown }, crs)
    if (crs !== 'wgs84' && crs !== 'cgcs2000') {
      const converted = validateCampus(geometry, `${path}/geometry`, GRID_AREA)
      if (converted.length > 0)
        return { geometry: null, problems: converted.map((c) => ({ ...c, message: `${c.message} (after conversion from ${crs})` })) }
    }
    return { geometry, problems: [] }
  }
  if (kind === 'stations' && input === null) return { geometry: null, problems: [] }
  const structural = validatePoint(input, `${path}/geometry`)
  if (structural.length > 0) return { geometry: null, problems: structural }
  const [lon, lat] = (input as { coordinates: number[] }).coordinates as [number, number]
  return { geometry: { type: 'Point', coordinates: toWgs84(lon, lat, crs) }, problems: [] }
}

/**
 * Checks a record's geometry and fields and converts the geometry to WGS84: problems name fields under
 * `path`. The schema has checked the shapes; this checks coordinates, rings, times and dates.
 */
export function preparePolice(
  kind: PoliceKind,
  input: { properties: Record<string, unknown>; geometry: unknown },
  crs: CrsName,
  path: string,
): { values?: PoliceValues; problems: FieldProblem[] } {
  const p = input.properties
  const { geometry, problems } = prepareGeometry(kind, input.geometry, crs, path)
  if (problems.length > 0) return { problems }
  if (kind === 'stations' && !geometry && !p.countyCode)
    problems.push({ field: `${path}/properties/countyCode`, message: 'is required for a station without a point' })
  if (
    kind === 'units' &&
    typeof p.shiftStart === 'string' &&
    typeof p.shiftEnd === 'string' &&
    minutesOf(p.shiftEnd) <= minutesOf(p.shiftStart)
  )
    problems.push({
      field: `${path}/properties/shiftEnd`,
      message: `must be after shiftStart (${p.shiftStart}); a shift does not pass midnight`,
    })
  if (kind === 'signs' && typeof p.installedOn === 'string' && !isCalendarDate(p.installedOn))
    problems.push({ field: `${path}/properties/installedOn`, message: `${p.installedOn} is not a calendar date` })
  if (problems.length > 0) return { problems }
  return { values: { properties: p, geometry }, problems }
}

/**
 * The county a record belongs to, decided from its geometry (a station), its station (a grid, a unit) or
 * its school (a sign, a camera), with the problems that keep it from being stored (404-like references
 * are reported as field problems too, so that an import names its row).
 */
export async function countyOf(
  db: Db,
  kind: PoliceKind,
  values: PoliceValues,
  path: string,
): Promise<{ countyCode?: string; problems: FieldProblem[] }> {
  const p = values.properties
  switch (kind) {
    case 'stations': {
      if (!values.geometry) {
        const code = String(p.countyCode)
        if (!(await repository.countyExists(db, code)))
          return { problems: [{ field: `${path}/properties/countyCode`, message: `${code} is not a county of the city` }] }
        return { countyCode: code, problems: [] }
      }
      const [lon, lat] = values.geometry.coordinates as [number, number]
      const code = await repository.countyAt(db, lon, lat)
      if (!code) return { problems: [{ field: `${path}/geometry`, message: `${lon}, ${lat} lies in no county of the city` }] }
      if (p.countyCode && p.countyCode !== code)
        return {
          problems: [
            { field: `${path}/properties/countyCode`, message: `the station's point lies in county ${code}, not ${String(p.countyCode)}` },
          ],
        }
      return { countyCode: code, problems: [] }
    }
    case 'grids':
    case 'units': {
      const code = await repository.stationCounty(db, Number(p.stationId))
      if (!code) return { problems: [{ field: `${path}/properties/stationId`, message: `station ${String(p.stationId)} does not exist` }] }
      if (kind === 'grids' && !(await repository.withinCounty(db, values.geometry, code)))
        return { problems: [{ field: `${path}/geometry`, message: `the grid lies (partly) outside its station's county ${code}` }] }
      return { countyCode: code, problems: [] }
    }
    case 'signs':
    case 'cameras': {
      const school = await repository.schoolInfo(db, Number(p.schoolId))
      if (!school) return { problems: [{ field: `${path}/properties/schoolId`, message: `school ${String(p.schoolId)} does not exist` }] }
      if (kind === 'cameras' && typeof p.gate === 'number' && p.gate > school.gates)
        return {
          problems: [
            {
              field: `${path}/properties/gate`,
              message: `${school.name} has ${school.gates} gate${school.gates === 1 ? '' : 's'}; gate ${p.gate} does not exist`,
            },
          ],
        }
      return { countyCode: school.countyCode, problems: [] }
    }
  }
}

async function decideCounty(db: Db, kind: PoliceKind, values: PoliceValues): Promise<string> {
  const { countyCode, problems } = await countyOf(db, kind, values, 'body')
  if (!countyCode) {
    const missing = problems.find((p) => p.message.endsWith('does not exist'))
    if (missing) throw new AppError('UNPROCESSABLE', `${missing.field}: ${missing.message}`, { problems })
    throw unprocessable(problems)
  }
  return countyCode
}

function refuseUnlessAllowed(user: User, countyCode: string) {
  const refusal = policeWriteRefusal(user, countyCode)
  if (refusal) throw new AppError('FORBIDDEN', refusal)
}

/** A page of one register as a FeatureCollection. */
export async function listRecords(db: Kysely<Database>, kind: PoliceKind, query: PoliceQuery) {
  const { rows, numberMatched } = await repository.listRecords(db, kind, {
    countyCode: query.countyCode,
    stationId: query.stationId,
    schoolId: query.schoolId,
    bbox: parseBbox(query.bbox),
    limit: query.limit ?? 100,
    offset: query.offset ?? 0,
  })
  return { type: 'FeatureCollection' as const, numberMatched, numberReturned: rows.length, features: rows.map((r) => featureOf(kind, r)) }
}

/** One record, or 404. */
export async function getRecord(db: Db, kind: PoliceKind, id: number): Promise<PoliceFeature> {
  const row = await repository.findRecord(db, kind, id)
  if (!row) throw notFound(ENTITY[kind].label, id)
  return featureOf(kind, row)
}

/** Validates, converts to WGS84, decides the county and stores a record with its audit entry, in one transaction. */
export async function createRecord(
  db: Kysely<Database>,
  kind: PoliceKind,
  input: { properties: Record<string, unknown>; geometry: unknown },
  crs: CrsName,
  actor: SignedInActor,
): Promise<PoliceFeature> {
  const { values, problems } = preparePolice(kind, input, crs, 'body')
  if (!values) throw rejected(problems)
  return db.transaction().execute(async (trx) => {
    const countyCode = await decideCounty(trx, kind, values)
    refuseUnlessAllowed(actor.user, countyCode)
    const [id] = await repository.insertRecords(trx, kind, [{ values, countyCode }])
    const created = await getRecord(trx, kind, id!)
    await appendAudit(trx, actor, { action: 'create', entityType: ENTITY[kind].type, entityId: id!, after: created })
    return created
  })
}

function checkVersion(current: number, expected: number | undefined) {
  if (expected !== undefined && expected !== current)
    throw new AppError(
      'VERSION_CONFLICT',
      `version: the record is at version ${current}, not ${expected}; reload it and apply your change again`,
    )
}

/** Applies a partial change under a row lock; the old and the new county must both be in the user's scope. */
export async function updateRecord(
  db: Kysely<Database>,
  kind: PoliceKind,
  id: number,
  patch: { properties?: Record<string, unknown>; geometry?: unknown; version?: number },
  crs: CrsName,
  actor: SignedInActor,
): Promise<PoliceFeature> {
  // The new geometry is checked in the request's CRS before anything is read.
  let geometry: PoliceValues['geometry'] | undefined
  if (patch.geometry !== undefined) {
    const prepared = prepareGeometry(kind, patch.geometry, crs, 'body')
    if (prepared.problems.length > 0) throw rejected(prepared.problems)
    geometry = prepared.geometry
  }
  return db.transaction().execute(async (trx) => {
    const row = await repository.findRecord(trx, kind, id, true)
    if (!row) throw notFound(ENTITY[kind].label, id)
    const before = featureOf(kind, row)
    checkVersion(before.properties.version, patch.version)
    refuseUnlessAllowed(actor.user, before.properties.countyCode)
    const merged = { ...inputOf(kind, before), ...patch.properties }
    // A station given a point takes its county from it (a countyCode it kept from before would only contradict).
    if (kind === 'stations' && geometry && !patch.properties?.countyCode) delete merged.countyCode
    const { values, problems } = preparePolice(
      kind,
      { properties: merged, geometry: geometry === undefined ? before.geometry : geometry },
      'wgs84',
      'body',
    )
    if (!values) throw rejected(problems)
    const countyCode = await decideCounty(trx, kind, values)
    refuseUnlessAllowed(actor.user, countyCode)
    await repository.updateRecord(trx, kind, id, { ...values, demo: before.properties.demo }, countyCode)
    const after = await getRecord(trx, kind, id)
    await appendAudit(trx, actor, { action: 'update', entityType: ENTITY[kind].type, entityId: id, before, after })
    return after
  })
}

/** Deletes a record under a row lock, keeping its last state in the audit log; a station or unit still referred to is refused. */
export async function deleteRecord(db: Kysely<Database>, kind: PoliceKind, id: number, actor: SignedInActor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await repository.findRecord(trx, kind, id, true)
    if (!row) throw notFound(ENTITY[kind].label, id)
    const before = featureOf(kind, row)
    refuseUnlessAllowed(actor.user, before.properties.countyCode)
    if (kind === 'stations' || kind === 'units') {
      const dependents = Object.entries(await repository.dependentsOf(trx, kind, id)).filter(([, n]) => n > 0)
      if (dependents.length > 0)
        throw new AppError(
          'CONFLICT',
          `${ENTITY[kind].label} ${id} still has ${dependents.map(([what, n]) => `${n} ${what}`).join(' and ')}; ${
            kind === 'units' ? 'set it inactive (active: false) instead' : 'move or remove them first'
          }`,
        )
    }
    await repository.deleteRecord(trx, kind, id)
    await appendAudit(trx, actor, { action: 'delete', entityType: ENTITY[kind].type, entityId: id, before })
  })
}

// ---- import

const ajv = new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false, strict: false })
addFormats.default(ajv)
const validators: Record<PoliceKind, ReturnType<typeof ajv.compile>> = {
  stations: ajv.compile(CreateStationSchema),
  grids: ajv.compile(CreateGridSchema),
  units: ajv.compile(CreateUnitSchema),
  signs: ajv.compile(CreateSignSchema),
  cameras: ajv.compile(CreateCameraSchema),
}

interface Candidate {
  row: number
  feature: unknown
  crs: CrsName
}

/** GeoJSON FeatureCollection → candidates numbered from 1. */
export function candidatesFromGeoJson(body: unknown, crs: CrsName): Candidate[] {
  const features = (body as { features?: unknown })?.features
  if ((body as { type?: unknown })?.type !== 'FeatureCollection' || !Array.isArray(features))
    throw new AppError('VALIDATION_FAILED', 'body: must be a GeoJSON FeatureCollection with a features array', {
      problems: [{ field: 'body', message: 'must be a GeoJSON FeatureCollection' }],
    })
  return features.map((feature, i) => ({ row: i + 1, feature, crs }))
}

const CSV_FIELDS: Record<PoliceKind, string[]> = {
  stations: ['name', 'countyCode', 'address', 'phone'],
  grids: ['name', 'stationId'],
  units: ['name', 'stationId', 'mode', 'shiftStart', 'shiftEnd', 'officers', 'active'],
  signs: ['schoolId', 'state', 'installedOn', 'note'],
  cameras: ['schoolId', 'gate', 'state', 'linkedToPolice', 'note'],
}
const CSV_INTEGERS = new Set(['stationId', 'schoolId', 'officers', 'gate'])
const CSV_BOOLEANS = new Set(['active', 'linkedToPolice'])

/**
 * CSV → candidates: the kind's fields as columns (any case), points as lon and lat columns, a grid's polygon
 * as GeoJSON in a geometry column; a crs column overrides the default per row. Rows are numbered from 1
 * after the header.
 */
export function candidatesFromCsv(text: string, kind: PoliceKind, crs: CrsName): { candidates: Candidate[]; errors: ImportRowError[] } {
  let records: string[][]
  try {
    records = parseCsv(text.replace(/^\uFEFF/, ''), { relax_column_count: false, skip_empty_lines: true }) as string[][]
  } catch (error) {
    throw new AppError('VALIDATION_FAILED', `body: is not valid CSV: ${(error as Error).message}`, {
      problems: [{ field: 'body', message: 'is not valid CSV' }],
    })
  }
  const header = records.shift()
  if (!header) throw new AppError('VALIDATION_FAILED', 'body: the CSV is empty', { problems: [{ field: 'body', message: 'is empty' }] })
  const known = [...CSV_FIELDS[kind], ...(kind === 'grids' ? ['geometry'] : ['lon', 'lat']), 'crs']
  const fields = header.map((h) =>
    known.find(
      (k) =>
        k.toLowerCase() ===
        h
          .trim()
          .toLowerCase()
          .replace(/[_\s-]/g, ''),
    ),
  )
  const unknown = header.filter((_, i) => !fields[i])
  if (unknown.length > 0)
    throw new AppError('VALIDATION_FAILED', `header: unknown column ${unknown.join(', ')} (known: ${known.join(', ')})`, {
      problems: unknown.map((u) => ({ field: `header/${u}`, message: 'is not a known column' })),
    })
  const candidates: Candidate[] = []
  const errors: ImportRowError[] = []
  records.forEach((cells, index) => {
    const row = index + 1
    const properties: Record<string, unknown> = {}
    let lon: number | undefined
    let lat: number | undefined
    let geometry: unknown = null
    let rowCrs = crs
    try {
      cells.forEach((raw, i) => {
        const field = fields[i]!
        const cell = raw.trim()
        if (cell === '') return
        if (field === 'lon') lon = Number(cell)
        else if (field === 'lat') lat = Number(cell)
        else if (field === 'geometry') geometry = JSON.parse(cell)
        else if (field === 'crs') {
          if (!(CRS_NAMES as readonly string[]).includes(cell)) throw new Error(`crs: must be one of ${CRS_NAMES.join(', ')}`)
          rowCrs = cell as CrsName
        } else if (CSV_INTEGERS.has(field)) properties[field] = /^-?\d+$/.test(cell) ? Number(cell) : cell
        else if (CSV_BOOLEANS.has(field))
          properties[field] = /^(true|1|yes|是)$/i.test(cell) ? true : /^(false|0|no|否)$/i.test(cell) ? false : cell
        else properties[field] = cell
      })
    } catch (error) {
      errors.push({ row, field: 'row', message: (error as Error).message })
      return
    }
    if (kind !== 'grids') {
      if ((lon === undefined) !== (lat === undefined) || (lon === undefined && kind !== 'stations')) {
        errors.push({ row, field: 'lon/lat', message: 'both lon and lat are required' })
        return
      }
      geometry = lon === undefined ? null : { type: 'Point', coordinates: [lon, lat] }
    }
    candidates.push({ row, feature: { type: 'Feature', properties, geometry }, crs: rowCrs })
  })
  return { candidates, errors }
}

/** Imports all rows or none: every row is checked (schema, geometry, references, county, the user's scope) before one is stored. */
export async function importRecords(
  db: Kysely<Database> | Transaction<Database>,
  kind: PoliceKind,
  candidates: readonly Candidate[],
  initialErrors: readonly ImportRowError[],
  actor: Actor,
  options: { demo?: boolean } = {},
): Promise<ImportResult> {
  const store = async (trx: Transaction<Database>) => {
    const errors: ImportRowError[] = [...initialErrors]
    const records: { values: PoliceValues; countyCode: string; row: number }[] = []
    for (const { row, feature, crs } of candidates) {
      const validate = validators[kind]
      if (!validate(feature)) {
        for (const p of problemsFromAjv(validate.errors ?? [], '')) errors.push({ row, field: p.field, message: p.message })
        continue
      }
      const prepared = preparePolice(kind, feature as { properties: Record<string, unknown>; geometry: unknown }, crs, '')
      if (!prepared.values) {
        for (const p of prepared.problems) errors.push({ row, field: p.field, message: p.message })
        continue
      }
      const { countyCode, problems } = await countyOf(trx, kind, prepared.values, '')
      const refusal = countyCode && actor.user ? policeWriteRefusal(actor.user, countyCode) : undefined
      if (refusal) problems.push({ field: '/properties', message: refusal })
      if (!countyCode || problems.length > 0) {
        for (const p of problems) errors.push({ row, field: p.field, message: p.message })
        continue
      }
      records.push({ values: { ...prepared.values, demo: options.demo ?? false }, countyCode, row })
    }
    if (errors.length > 0) {
      errors.sort((a, b) => a.row - b.row)
      const badRows = new Set(errors.map((e) => e.row)).size
      throw new AppError(
        'IMPORT_REJECTED',
        `${badRows} of ${candidates.length + initialErrors.length} rows are invalid; nothing was imported (first: row ${errors[0]!.row} ${errors[0]!.field}: ${errors[0]!.message})`,
        { badRows, errors: errors.slice(0, 5000), truncated: errors.length > 5000 },
      )
    }
    if (records.length === 0)
      throw new AppError('VALIDATION_FAILED', 'body: there are no rows to import', {
        problems: [{ field: 'body', message: 'has no rows' }],
      })
    const ids: number[] = []
    for (let i = 0; i < records.length; i += 1000) {
      const batch = records.slice(i, i + 1000)
      const batchIds = await repository.insertRecords(trx, kind, batch)
      await appendAuditMany(
        trx,
        actor,
        batchIds.map((id, j) => ({
          action: 'import',
          entityType: ENTITY[kind].type,
          entityId: id,
          after: {
            row: batch[j]!.row,
            ...batch[j]!.values.properties,
            countyCode: batch[j]!.countyCode,
            geometry: batch[j]!.values.geometry,
          },
        })),
      )
      ids.push(...batchIds)
    }
    return { imported: ids.length, ids }
  }
  return db.isTransaction ? store(db as Transaction<Database>) : db.transaction().execute(store)
}
