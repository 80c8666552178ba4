import { parse as parseCsv } from 'csv-parse/sync'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, type FieldProblem } from '../../errors.ts'
import { problemsFromAjv } from '../../plugins/validation.ts'
import { DECIMAL } from '../../schemas/numbers.ts'
import { CRS_NAMES, type CrsName } from '../../schemas/common.ts'
import type { Static } from 'typebox'
import type { ImportResultSchema, ImportRowError } from '../../schemas/registry.ts'
import type { Actor } from '../../schemas/auth.ts'
import { recordMany as appendAuditMany } from '../audit-log/service.ts'
import {
  createSchemaOf,
  entityType,
  placed,
  writeRefusal,
  type PremisesRecord,
  type RegistryKind,
  type SchoolRecord,
  type Unplaced,
} from './kinds.ts'
import { placeAll } from './county.ts'
import { adaptivePage } from '../../db/turns.ts'
import { preparePremises, prepareSchool } from './prepare.ts'
import * as repository from './repository.ts'
import { refreshForPremises, refreshForSchools } from '../zones/maintenance.ts'
import { CreateAddressPointSchema } from '../../schemas/search.ts'
import { addressWriteRefusal, prepareAddressPoint, type AddressPointRecord } from '../addresses/service.ts'
import { insertAddressPoints } from '../addresses/repository.ts'

// Defined here until the schemas carry it beside ImportResultSchema.
type ImportResult = Static<typeof ImportResultSchema>

const BATCH = 1000
/** Each stored step of an import aims at this long, so that no one statement holds the embedded database (and its thread) for long. */
const STORE_STEP_MS = 40
const MAX_LISTED_ERRORS = 5000
/** The validation loop's turns: a campus of 1,000 vertices takes a few milliseconds, and 15 ms quiet is 40 ms loaded. */
const IMPORT_SLICE_MS = 8
const ajv = new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false, strict: false })
addFormats.default(ajv)
const validators = {
  schools: ajv.compile(createSchemaOf('schools')),
  premises: ajv.compile(createSchemaOf('premises')),
  addresses: ajv.compile(CreateAddressPointSchema),
}

/** What an import fills: one of the registers, or the address points that place search finds. */
export type ImportKind = RegistryKind | 'addresses'
const importedEntity = (kind: ImportKind) => (kind === 'addresses' ? 'address_point' : entityType(kind))

export interface ImportOptions {
  kind: ImportKind
  crs: CrsName
  demo?: boolean
  /** Address points: the `source` of rows that do not name one. */
  source?: string
  /** Called after each stored batch with the number of rows stored so far. */
  onProgress?: (done: number, total: number) => void
}

export interface Candidate {
  row: number
  feature: unknown
  crs: CrsName
}

/** GeoJSON FeatureCollection (or a bare array of Features) → candidates numbered from 1. */
export function candidatesFromGeoJson(body: unknown, crs: CrsName): Candidate[] {
  const features = Array.isArray(body) ? body : (body as { type?: unknown; features?: unknown })?.features
  if ((!Array.isArray(body) && (body as { type?: unknown })?.type !== 'FeatureCollection') || !Array.isArray(features)) {
    throw new AppError('VALIDATION_FAILED', 'body: must be a GeoJSON FeatureCollection with a features array', {
      problems: [{ field: 'body', message: 'must be a GeoJSON FeatureCollection' }],
    })
  }
  return features.map((feature, i) => ({ row: i + 1, feature, crs }))
}

export const HEADER_ALIASES: Record<string, string> = {
  name: 'name',
  schooltype: 'schoolType',
  type: 'schoolType',
  countycode: 'countyCode',
  county: 'countyCode',
  adcode: 'countyCode',
  address: 'address',
  students: 'students',
  staff: 'staff',
  boarding: 'boarding',
  openedon: 'openedOn',
  gates: 'gates',
  guards: 'guards',
  doctors: 'doctors',
  psychologyteachers: 'psychologyTeachers',
  boardingstudents: 'boardingStudents',
  dormitories: 'dormitories',
  alarmlinkedtopolice: 'alarmLinkedToPolice',
  category: 'category',
  licenceno: 'licenceNo',
  licenseno: 'licenceNo',
  licencestatus: 'licenceStatus',
  licensestatus: 'licenceStatus',
  licensedon: 'licensedOn',
  expireson: 'expiresOn',
  lon: 'lon',
  lng: 'lon',
  longitude: 'lon',
  lat: 'lat',
  latitude: 'lat',
  geometry: 'geometry',
  crs: 'crs',
  source: 'source',
  urban: 'urban',
  peakwindows: 'peakWindows',
}
const INTEGER_FIELDS = new Set(['students', 'staff', 'guards', 'doctors', 'psychologyTeachers', 'boardingStudents'])
const BOOLEAN_FIELDS = new Set(['boarding', 'urban', 'alarmLinkedToPolice'])

export function csvValue(field: string, raw: string): unknown {
  const value = raw.trim()
  if (INTEGER_FIELDS.has(field) && /^-?\d+$/.test(value)) return Number(value)
  if (field === 'peakWindows') {
    // Not JSON: left as text, which the row's validation refuses naming the column.
    try {
      return JSON.parse(value) as unknown
    } catch {
      return value
    }
  }
  if (BOOLEAN_FIELDS.has(field)) {
    if (/^(true|1|yes|是)$/i.test(value)) return true
    if (/^(false|0|no|否)$/i.test(value)) return false
  }
  return value
}

/** A number cell as a number when written in plain decimal (1e309 too, refused later as not finite), else its text. */
function decimalCell(cell: string): number | string {
  const text = cell.trim()
  return DECIMAL.test(text) ? Number(text) : text
}

/** Parses "lon lat; lon lat" or a JSON array of positions. */
export function parseGates(raw: string): unknown {
  const text = raw.trim()
  if (text.startsWith('[')) return JSON.parse(text)
  return text
    .split(';')
    .filter((s) => s.trim())
    .map((pair) =>
      pair
        .trim()
        .split(/[\s,]+/)
        .map(Number),
    )
}

/**
 * CSV → candidates. Premises take lon/lat columns; schools take a `geometry` column holding GeoJSON and
 * `gates` as "lon lat; lon lat". A `crs` column overrides the default per row. Rows are numbered from 1
 * after the header line.
 */
export function candidatesFromCsv(text: string, kind: ImportKind, crs: CrsName): { candidates: Candidate[]; errors: ImportRowError[] } {
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
  const fields = header.map(
    (h) =>
      HEADER_ALIASES[
        h
          .trim()
          .toLowerCase()
          .replace(/[_\s-]/g, '')
      ],
  )
  const unknown = header.filter((_, i) => !fields[i])
  if (unknown.length > 0)
    throw new AppError('VALIDATION_FAILED', `header: unknown column ${unknown.join(', ')}`, {
      problems: unknown.map((u) => ({ field: `header/${u}`, message: 'is not a known column' })),
    })
  const candidates: Candidate[] = []
  const errors: ImportRowError[] = []
  records.forEach((cells, index) => {
    const row = index + 1
    const properties: Record<string, unknown> = {}
    let lon: unknown, lat: unknown, geometry: unknown
    let rowCrs = crs
    try {
      cells.forEach((cell, i) => {
        const field = fields[i]!
        if (cell.trim() === '') return
        // Kept as text when not plain decimal, so the row's validation names the column ("0x6A" is not a longitude).
        if (field === 'lon') lon = decimalCell(cell)
        else if (field === 'lat') lat = decimalCell(cell)
        else if (field === 'geometry') geometry = JSON.parse(cell)
        else if (field === 'gates') properties.gates = parseGates(cell)
        else if (field === 'dormitories') properties.dormitories = JSON.parse(cell)
        else if (field === 'crs') {
          if (!(CRS_NAMES as readonly string[]).includes(cell.trim())) throw new Error(`crs: must be one of ${CRS_NAMES.join(', ')}`)
          rowCrs = cell.trim() as CrsName
        } else properties[field] = csvValue(field, cell)
      })
    } catch (error) {
      errors.push({ row, field: 'row', message: (error as Error).message })
      return
    }
    if (kind === 'premises' || kind === 'addresses') {
      if (lon === undefined || lat === undefined) {
        errors.push({ row, field: 'lon/lat', message: 'both lon and lat are required' })
        return
      }
      geometry = { type: 'Point', coordinates: [lon, lat] }
    }
    candidates.push({ row, feature: { type: 'Feature', properties, geometry }, crs: rowCrs })
  })
  return { candidates, errors }
}

/**
 * Imports all rows or none: every row is validated (schema, geometry, dates, licence numbers, the county
 * its geometry lies in against a declared one, the user's right to write it there) before anything is
 * written; then all are stored in one transaction. The counties are found, and the rows stored, in steps of
 * about STORE_STEP_MS with a turn for other requests between them (/health answers meanwhile, see postgisVersion).
 */
export async function importRecords(
  db: Kysely<Database> | Transaction<Database>,
  candidates: Candidate[],
  initialErrors: ImportRowError[],
  options: ImportOptions,
  actor: Actor,
): Promise<ImportResult> {
  const { kind } = options
  const errors: ImportRowError[] = [...initialErrors]
  const prepared: { row: number; record: Unplaced<SchoolRecord> | Unplaced<PremisesRecord> | AddressPointRecord; declared?: string }[] = []
  const licenceRows = new Map<string, number>()
  const refusalOf = (countyCode: string | undefined, category: string | undefined) =>
    !actor.user
      ? undefined
      : kind === 'addresses'
        ? addressWriteRefusal(actor.user, countyCode)
        : writeRefusal(actor.user, kind, countyCode, category)
  // Validating and preparing large campuses is CPU work: the loop gives the event loop a turn every IMPORT_SLICE_MS.
  let slice = performance.now()
  for (const { row, feature, crs } of candidates) {
    if (performance.now() - slice > IMPORT_SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve))
      slice = performance.now()
    }
    const validate = validators[kind]
    if (!validate(feature)) {
      for (const p of problemsFromAjv(validate.errors ?? [], '')) errors.push({ row, field: p.field, message: p.message })
      continue
    }
    const input = feature as { properties: any; geometry: unknown }
    const result =
      kind === 'schools'
        ? prepareSchool(input, crs, '', options.demo)
        : kind === 'premises'
          ? preparePremises(input, crs, '', options.demo)
          : prepareAddressPoint(input, crs, '', options.source ?? 'import', options.demo)
    const problems: FieldProblem[] = [...result.problems]
    // Role and department now; the county scope once the row's county is found from its geometry.
    const refusal = refusalOf(undefined, input.properties.category)
    if (refusal) problems.push({ field: '/properties', message: refusal })
    const licenceNo = kind === 'premises' ? (input.properties.licenceNo as string | undefined) : undefined
    if (licenceNo) {
      const first = licenceRows.get(licenceNo)
      if (first !== undefined) problems.push({ field: '/properties/licenceNo', message: `${licenceNo} is also in row ${first}` })
      else licenceRows.set(licenceNo, row)
    }
    if (problems.length > 0 || !result.record) {
      for (const p of problems) errors.push({ row, field: p.field, message: p.message })
      continue
    }
    prepared.push({ row, record: result.record, declared: input.properties.countyCode as string | undefined })
  }
  // Placed in steps of about STORE_STEP_MS too: a county is found for a large campus in a few milliseconds.
  const placements: Awaited<ReturnType<typeof placeAll>> = []
  const points = kind !== 'schools'
  for (let i = 0, step = adaptivePage(points ? 500 : 16, BATCH, STORE_STEP_MS, points ? 100 : 1); i < prepared.length;) {
    const started = performance.now()
    const chunk = prepared.slice(i, i + step.size)
    placements.push(
      ...(await placeAll(
        db,
        chunk.map((p) => ({ geometry: p.record.geometry, declared: p.declared })),
        '',
      )),
    )
    step.took(performance.now() - started)
    i += chunk.length
    await new Promise((resolve) => setImmediate(resolve))
  }
  const records: (SchoolRecord | PremisesRecord | AddressPointRecord)[] = []
  const rowOf: number[] = []
  prepared.forEach(({ row, record }, i) => {
    const { countyCode, problems } = placements[i]!
    if (countyCode === undefined) {
      for (const p of problems) errors.push({ row, field: p.field, message: p.message })
      return
    }
    const refusal = refusalOf(countyCode, (record.properties as { category?: string }).category)
    if (refusal) {
      errors.push({ row, field: '/properties', message: refusal })
      return
    }
    records.push(
      kind === 'addresses'
        ? { ...(record as AddressPointRecord), properties: { ...(record as AddressPointRecord).properties, countyCode } }
        : placed(record as Unplaced<SchoolRecord>, countyCode),
    )
    rowOf.push(row)
  })
  const numbers = [...licenceRows.keys()]
  for (let i = 0; i < numbers.length; i += 5000) {
    for (const taken of await repository.takenLicenceNumbers(db, numbers.slice(i, i + 5000))) {
      errors.push({ row: licenceRows.get(taken)!, field: '/properties/licenceNo', message: `${taken} is already registered` })
    }
  }
  if (errors.length > 0) {
    errors.sort((a, b) => a.row - b.row)
    const badRows = new Set(errors.map((e) => e.row)).size
    throw new AppError(
      'IMPORT_REJECTED',
      `${badRows} of ${candidates.length + initialErrors.length} rows are invalid; nothing was imported (first: row ${errors[0]!.row} ${errors[0]!.field}: ${errors[0]!.message})`,
      {
        badRows,
        errors: errors.slice(0, MAX_LISTED_ERRORS),
        truncated: errors.length > MAX_LISTED_ERRORS,
      },
    )
  }
  if (records.length === 0)
    throw new AppError('VALIDATION_FAILED', 'body: there are no rows to import', { problems: [{ field: 'body', message: 'has no rows' }] })
  const ids: number[] = []
  // Batches whose size adapts to how long the last one took (a campus of 1,000 vertices costs what 1,000 points
  // do), with a turn for other requests between them: the embedded database runs one statement at a time, so
  // one statement over 300 large campuses would make every request wait for seconds.
  const step = adaptivePage(points ? 200 : 4, BATCH, STORE_STEP_MS, points ? 50 : 1)
  const store = async (trx: Transaction<Database>) => {
    for (let i = 0; i < records.length;) {
      const started = performance.now()
      const batch = records.slice(i, i + step.size)
      const batchIds =
        kind === 'schools'
          ? await repository.insertSchools(trx, batch as SchoolRecord[])
          : kind === 'premises'
            ? await repository.insertPremises(trx, batch as PremisesRecord[])
            : await insertAddressPoints(trx, batch as AddressPointRecord[])
      await appendAuditMany(
        trx,
        actor,
        batchIds.map((id, j) => ({
          action: 'import',
          entityType: importedEntity(kind),
          entityId: id,
          after: { row: rowOf[i + j], ...batch[j]!.properties, geometry: batch[j]!.geometry, sourceCrs: batch[j]!.sourceCrs },
        })),
      )
      // Address points are not in any zone: nothing to refresh.
      if (kind === 'schools') await refreshForSchools(trx, batchIds)
      else if (kind === 'premises') await refreshForPremises(trx, batchIds)
      ids.push(...batchIds)
      options.onProgress?.(ids.length, records.length)
      i += batch.length
      step.took(performance.now() - started)
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  if (db.isTransaction) await store(db as Transaction<Database>)
  else await db.transaction().execute(store)
  // Fresh statistics let the planner see how common each search gram now is; the embedded database has
  // no autovacuum to gather them. Sampling keeps this to a second even for a national register.
  await repository.analyze(db, kind === 'addresses' ? 'address_points' : kind)
  return { imported: ids.length, ids }
}
