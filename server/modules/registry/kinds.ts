import type { Selectable } from 'kysely'
import type { PremisesTable, SchoolsTable } from '../../db/types.ts'
import type { User } from '../../schemas/auth.ts'
import type { CrsName, PremisesCategory } from '../../schemas/common.ts'
import { LICENSING_DEPARTMENTS } from '../../schemas/licensing.ts'
import {
  CreatePremisesSchema,
  CreateSchoolSchema,
  type Premises,
  type PremisesPropertiesInput,
  type School,
  type SchoolPropertiesInput,
} from '../../schemas/registry.ts'
import type { Dormitory } from '../../schemas/staffing.ts'

/** The two registers. Table names come only from here, never from a request. */
export type RegistryKind = 'schools' | 'premises'
export const REGISTRY_KINDS: readonly RegistryKind[] = ['schools', 'premises']
/** The audit-log entity type of a register's records. */
export const entityType = (kind: RegistryKind) => (kind === 'schools' ? 'school' : 'premises')
/** The schema a new record of a register must match. */
export const createSchemaOf = (kind: RegistryKind) => (kind === 'schools' ? CreateSchoolSchema : CreatePremisesSchema)

export { LICENSING_DEPARTMENTS } from '../../schemas/licensing.ts'

/**
 * Why a user may not write this record, or undefined when they may; `countyCode` is the county the record
 * lies in (found from its geometry), undefined to check role and department only, before it is known.
 */
export function writeRefusal(user: User, kind: RegistryKind, countyCode: string | undefined, category?: string): string | undefined {
  if (user.role === 'admin') return undefined
  if (user.role === 'viewer') return 'viewers cannot change the registry'
  if (kind === 'schools' && user.department !== 'education') return 'only the education department keeps the school registry'
  if (kind === 'premises') {
    const departments = LICENSING_DEPARTMENTS[category as PremisesCategory] ?? []
    if (!departments.includes(user.department))
      return `${category} premises are licensed by ${departments.join(' or ')}, not ${user.department}`
  }
  if (countyCode !== undefined && user.countyCode && user.countyCode !== countyCode)
    return `your scope is county ${user.countyCode}, this record is in ${countyCode}`
  return undefined
}

/** A geometry as the repository reads it: GeoJSON (ST_AsGeoJSON). */
export interface GeoJsonValue {
  type: string
  coordinates: unknown
}

/** The §7 staffing columns (migration 0011), read and written with every school. */
export const STAFFING_COLUMNS = [
  'guards',
  'doctors',
  'psychology_teachers',
  'boarding_students',
  'dormitories',
  'alarm_linked_to_police',
] as const
type StaffingColumn = (typeof STAFFING_COLUMNS)[number]

/** A school's staffing input → its column values (null = not recorded). */
export const staffingValues = (p: SchoolPropertiesInput) => ({
  guards: p.guards ?? null,
  doctors: p.doctors ?? null,
  psychology_teachers: p.psychologyTeachers ?? null,
  boarding_students: p.boardingStudents ?? null,
  // jsonb is written as JSON text: the pg driver would send a JavaScript array as a PostgreSQL array.
  dormitories: p.dormitories ? JSON.stringify(p.dormitories) : null,
  alarm_linked_to_police: p.alarmLinkedToPolice ?? null,
})

/** A school row's staffing columns → the API's fields. */
export const staffingOf = (row: Pick<Selectable<SchoolsTable>, StaffingColumn>) => ({
  guards: row.guards,
  doctors: row.doctors,
  psychologyTeachers: row.psychology_teachers,
  boardingStudents: row.boarding_students,
  dormitories: (row.dormitories as Dormitory[] | null) ?? null,
  alarmLinkedToPolice: row.alarm_linked_to_police,
})

type SchoolColumns =
  | StaffingColumn
  | 'id'
  | 'name'
  | 'school_type'
  | 'county_code'
  | 'address'
  | 'students'
  | 'staff'
  | 'boarding'
  | 'opened_on'
  | 'source_crs'
  | 'demo'
  | 'version'
  | 'created_at'
  | 'updated_at'
  | 'urban'
  | 'urban_source'
  | 'peak_windows'
type PremisesColumns =
  | 'id'
  | 'name'
  | 'category'
  | 'licence_no'
  | 'licence_status'
  | 'licensed_on'
  | 'expires_on'
  | 'address'
  | 'county_code'
  | 'source_crs'
  | 'demo'
  | 'version'
  | 'created_at'
  | 'updated_at'

/** A school as the repository reads it, geometry already GeoJSON. */
export type SchoolRow = Pick<Selectable<SchoolsTable>, SchoolColumns> & { geometry: GeoJsonValue; gates: GeoJsonValue | null }
/** A premises as the repository reads it, geometry already GeoJSON. */
export type PremisesRow = Pick<Selectable<PremisesTable>, PremisesColumns> & { geometry: GeoJsonValue }

// ST_AsGeoJSON of a point or polygon always carries a coordinates array.
const outputGeometry = (geometry: GeoJsonValue): School['geometry'] => ({ ...geometry, coordinates: geometry.coordinates as unknown[] })

const iso = (value: Date | string) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString())

/** The bookkeeping both registers carry. */
const metaOf = (row: { source_crs: string; demo: boolean; version: number; created_at: Date; updated_at: Date }) => ({
  sourceCrs: row.source_crs as CrsName,
  demo: row.demo,
  version: row.version,
  createdAt: iso(row.created_at),
  updatedAt: iso(row.updated_at),
})

/** Row → API Feature. */
export function schoolFeature(row: SchoolRow): School {
  return {
    type: 'Feature',
    id: row.id,
    properties: {
      name: row.name,
      schoolType: row.school_type as School['properties']['schoolType'],
      countyCode: row.county_code.trim(),
      address: row.address,
      students: row.students,
      staff: row.staff,
      boarding: row.boarding,
      openedOn: row.opened_on,
      gates: (row.gates?.coordinates as number[][] | undefined) ?? [],
      urban: row.urban,
      urbanSource: row.urban_source as School['properties']['urbanSource'],
      peakWindows: (row.peak_windows as School['properties']['peakWindows']) ?? null,
      ...staffingOf(row),
      ...metaOf(row),
    },
    geometry: outputGeometry(row.geometry),
  }
}

/** Row → API Feature. */
export function premisesFeature(row: PremisesRow): Premises {
  return {
    type: 'Feature',
    id: row.id,
    properties: {
      name: row.name,
      category: row.category as PremisesCategory,
      licenceNo: row.licence_no,
      licenceStatus: row.licence_status as Premises['properties']['licenceStatus'],
      licensedOn: row.licensed_on,
      expiresOn: row.expires_on,
      address: row.address,
      countyCode: row.county_code.trim(),
      ...metaOf(row),
    },
    geometry: outputGeometry(row.geometry),
  }
}

/** A validated, WGS84 record ready to store, its county found from its geometry. */
export interface SchoolRecord {
  properties: SchoolPropertiesInput & { countyCode: string }
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown }
  sourceCrs: CrsName
  demo: boolean
}
export interface PremisesRecord {
  properties: PremisesPropertiesInput & { countyCode: string }
  geometry: { type: 'Point'; coordinates: [number, number] }
  sourceCrs: CrsName
  demo: boolean
}

/** A validated record whose county is not found yet (a declared one is only a claim to check). */
export type Unplaced<R extends SchoolRecord | PremisesRecord> = Omit<R, 'properties'> & {
  properties: Omit<R['properties'], 'countyCode'> & { countyCode?: string | undefined }
}

/** A record with the county found from its geometry. */
export const placed = <R extends SchoolRecord | PremisesRecord>(record: Unplaced<R>, countyCode: string): R =>
  ({ ...record, properties: { ...record.properties, countyCode } }) as unknown as R
