/**
 * The OGC API collections, described as data: where each reads from, its key (the keyset order and the
 * feature id), geometry, properties with their SQL and JSON type, which are queryable, its temporal
 * property, and who sees which rows. Table and column names come only from here, never from a request.
 * Each scope rule reuses the access and scope helpers of the JSON API that serves the same records.
 */
import { sql, type RawBuilder } from 'kysely'
import { geodesicDistance } from '../../db/postgis.ts'
import { allows } from '../../plugins/auth.ts'
import type { User } from '../../schemas/auth.ts'
import { LICENCE_STATUSES, PERMIT_KINDS, PERMIT_STATUSES, PREMISES_CATEGORIES, SCHOOL_TYPES } from '../../schemas/vocabulary.ts'
import { HAZARD_GRADES, HAZARD_KINDS, HAZARD_STATES } from '../../schemas/hazard-vocabulary.ts'
import { readScope as hazardReadScope } from '../hazards/service.ts'
import { readScopeCondition as hazardScopeCondition } from '../hazards/repository.ts'
import { readScope as permitReadScope } from '../permits/scope.ts'
import { POLICE_READERS } from '../police/registry.ts'
import type { RegistryKind } from '../registry/kinds.ts'

/** The JSON type of a property as the queryables (JSON Schema) state it; dates and times are strings with a format. */
export type PropertyType = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'date-time' | 'json'

export interface CollectionProperty {
  name: string
  /** The value written out (text for dates and times, so the JSON is what the type says). */
  sql: RawBuilder<unknown>
  /** The expression a `?name=value` filter compares with, when it is not `sql` (a raw column keeps its index usable). */
  filter?: RawBuilder<unknown>
  type: PropertyType
  queryable?: boolean
  enum?: readonly string[]
  description?: string
}

export interface KeyPart {
  sql: RawBuilder<unknown>
  type: 'integer' | 'number' | 'text'
}

export type GeometryKind = 'point' | 'linestring' | 'polygon' | 'multipolygon' | 'geometry'

export interface Collection {
  id: string
  title: string
  description: string
  from: RawBuilder<unknown>
  /** The keyset order; the feature id is these values joined by '.'. */
  key: readonly KeyPart[]
  geometry: RawBuilder<unknown>
  geometryKind: GeometryKind
  properties: readonly CollectionProperty[]
  /** The temporal property `datetime` filters on, as a timestamptz expression. */
  temporal?: { property: string; sql: RawBuilder<unknown> }
  /** The row version and change time of records that have them (ETag, Last-Modified). */
  versioned?: { version: RawBuilder<unknown>; updatedAt: RawBuilder<unknown> }
  /**
   * The rows a user sees: an SQL condition, or undefined when the collection is not theirs to see at all
   * (not listed; its URLs answer 401 to nobody signed in and 404 to a user).
   */
  scope: (user: User | null) => RawBuilder<boolean> | undefined
  /** The register that Part 4 writes go to (through the registry service). */
  writable?: RegistryKind
  /**
   * The tile layer whose version counter (tile_versions, bumped at the commit of any write to the tables
   * behind it, migrations/0004) covers every table this collection reads: numberMatched is then counted once
   * per filter and data version instead of on every page.
   */
  countVersion?: 'premises' | 'schools' | 'zones' | 'counties' | 'townships'
}

const ALL = sql<boolean>`true`
const NONE = sql<boolean>`false`
const iso = (expression: RawBuilder<unknown>) => sql`to_char(${expression} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
const day = (expression: RawBuilder<unknown>) => sql`(${expression})::text`
const asDayStart = (expression: RawBuilder<unknown>) => sql`((${expression})::timestamp at time zone 'UTC')`

const publicScope = () => ALL
const signedIn = (user: User | null) => (user ? ALL : undefined)
const policeScope = (user: User | null) => (user && allows({ departments: POLICE_READERS }, user) ? ALL : undefined)

const meta = (t: string) =>
  [
    { name: 'demo', sql: sql.raw(`${t}.demo`), type: 'boolean' },
    { name: 'version', sql: sql.raw(`${t}.version`), type: 'integer' },
    { name: 'createdAt', sql: iso(sql.raw(`${t}.created_at`)), type: 'date-time' },
    { name: 'updatedAt', sql: iso(sql.raw(`${t}.updated_at`)), type: 'date-time' },
  ] as const satisfies readonly CollectionProperty[]

const versionedOf = (t: string) => ({ version: sql.raw(`${t}.version`), updatedAt: sql.raw(`${t}.updated_at`) })
const county = (expression: string): CollectionProperty => ({
  name: 'countyCode',
  sql: sql.raw(`trim(${expression})`),
  filter: sql.raw(expression),
  type: 'string',
  queryable: true,
  description: '6-digit county code (adcode)',
})
const idKey = (t: string): KeyPart[] => [{ sql: sql.raw(`${t}.id`), type: 'integer' }]

const schools: Collection = {
  id: 'schools',
  countVersion: 'schools',
  title: '学校 schools',
  description: 'Registered schools with their campus boundary (Polygon or MultiPolygon); gates as a list of [lon, lat].',
  from: sql`schools t`,
  key: idKey('t'),
  geometry: sql`t.geom`,
  geometryKind: 'multipolygon',
  properties: [
    { name: 'name', sql: sql`t.name`, type: 'string', queryable: true },
    { name: 'schoolType', sql: sql`t.school_type`, type: 'string', queryable: true, enum: SCHOOL_TYPES },
    county('t.county_code'),
    { name: 'address', sql: sql`t.address`, type: 'string', queryable: true },
    { name: 'students', sql: sql`t.students`, type: 'integer', queryable: true },
    { name: 'staff', sql: sql`t.staff`, type: 'integer', queryable: true },
    { name: 'boarding', sql: sql`t.boarding`, type: 'boolean', queryable: true },
    { name: 'openedOn', sql: day(sql`t.opened_on`), filter: sql`t.opened_on`, type: 'date', queryable: true },
    { name: 'gates', sql: sql`coalesce((ST_AsGeoJSON(t.gates, 9)::json)->'coordinates', '[]'::json)`, type: 'json' },
    { name: 'urban', sql: sql`t.urban`, type: 'boolean', queryable: true },
    { name: 'urbanSource', sql: sql`t.urban_source`, type: 'string' },
    { name: 'peakWindows', sql: sql`t.peak_windows`, type: 'json' },
    { name: 'guards', sql: sql`t.guards`, type: 'integer' },
    { name: 'doctors', sql: sql`t.doctors`, type: 'integer' },
    { name: 'psychologyTeachers', sql: sql`t.psychology_teachers`, type: 'integer' },
    { name: 'boardingStudents', sql: sql`t.boarding_students`, type: 'integer' },
    { name: 'dormitories', sql: sql`t.dormitories`, type: 'json' },
    { name: 'alarmLinkedToPolice', sql: sql`t.alarm_linked_to_police`, type: 'boolean' },
    { name: 'sourceCrs', sql: sql`t.source_crs`, type: 'string' },
    ...meta('t'),
  ],
  temporal: { property: 'openedOn', sql: asDayStart(sql`t.opened_on`) },
  versioned: versionedOf('t'),
  // Like GET /api/schools: every signed-in user reads the whole registry.
  scope: signedIn,
  writable: 'schools',
}

const premises: Collection = {
  id: 'premises',
  countVersion: 'premises',
  title: '场所 licensed premises',
  description: 'Licensed premises (internet cafés, lottery outlets, tobacco retail …) as points.',
  from: sql`premises t`,
  key: idKey('t'),
  geometry: sql`t.geom`,
  geometryKind: 'point',
  properties: [
    { name: 'name', sql: sql`t.name`, type: 'string', queryable: true },
    { name: 'category', sql: sql`t.category`, type: 'string', queryable: true, enum: PREMISES_CATEGORIES },
    { name: 'licenceNo', sql: sql`t.licence_no`, type: 'string', queryable: true },
    { name: 'licenceStatus', sql: sql`t.licence_status`, type: 'string', queryable: true, enum: LICENCE_STATUSES },
    { name: 'licensedOn', sql: day(sql`t.licensed_on`), filter: sql`t.licensed_on`, type: 'date', queryable: true },
    { name: 'expiresOn', sql: day(sql`t.expires_on`), filter: sql`t.expires_on`, type: 'date', queryable: true },
    { name: 'address', sql: sql`t.address`, type: 'string', queryable: true },
    county('t.county_code'),
    { name: 'sourceCrs', sql: sql`t.source_crs`, type: 'string' },
    ...meta('t'),
  ],
  temporal: { property: 'licensedOn', sql: asDayStart(sql`t.licensed_on`) },
  versioned: versionedOf('t'),
  scope: signedIn,
  writable: 'premises',
}

const zones: Collection = {
  id: 'zones',
  countVersion: 'zones',
  title: '安全区域 safety-zone bands',
  description:
    'One ring per band of each distinct rule shape in force for a school (default core 0–50 m, control 50–200 m), drawn geodesically. For drawing only: verdicts are always measured.',
  from: sql`school_zones t join schools s on s.id = t.school_id`,
  key: [
    { sql: sql`t.school_id`, type: 'integer' },
    { sql: sql`t.limit_m`, type: 'number' },
    { sql: sql`t.origin`, type: 'text' },
    { sql: sql`t.band_index`, type: 'integer' },
  ],
  geometry: sql`t.geom`,
  geometryKind: 'multipolygon',
  properties: [
    { name: 'schoolId', sql: sql`t.school_id`, type: 'integer', queryable: true },
    { name: 'schoolName', sql: sql`s.name`, type: 'string', queryable: true },
    county('s.county_code'),
    { name: 'band', sql: sql`t.band`, type: 'string', queryable: true },
    { name: 'bandIndex', sql: sql`t.band_index`, type: 'integer' },
    { name: 'innerM', sql: sql`t.inner_m`, type: 'number' },
    { name: 'outerM', sql: sql`t.outer_m`, type: 'number' },
    { name: 'limitM', sql: sql`t.limit_m`, type: 'number', queryable: true },
    { name: 'origin', sql: sql`t.origin`, type: 'string', queryable: true, enum: ['campus', 'gates'] },
  ],
  scope: signedIn,
}

const conflicts: Collection = {
  id: 'conflicts',
  countVersion: 'premises',
  title: '冲突 zone conflicts',
  description:
    'Premises within a school zone under the current rules, at the premises position; distanceM measured like GET /api/conflicts (geodesic, or the walking path found).',
  from: sql`conflicts t join premises p on p.id = t.premises_id join schools s on s.id = t.school_id join rules r on r.id = t.rule_id`,
  key: [
    { sql: sql`t.school_id`, type: 'integer' },
    { sql: sql`t.premises_id`, type: 'integer' },
  ],
  geometry: sql`p.geom`,
  geometryKind: 'point',
  properties: [
    { name: 'schoolId', sql: sql`t.school_id`, type: 'integer', queryable: true },
    { name: 'schoolName', sql: sql`s.name`, type: 'string' },
    { name: 'premisesId', sql: sql`t.premises_id`, type: 'integer', queryable: true },
    { name: 'premisesName', sql: sql`p.name`, type: 'string' },
    { name: 'category', sql: sql`p.category`, type: 'string', queryable: true, enum: PREMISES_CATEGORIES },
    county('s.county_code'),
    { name: 'band', sql: sql`t.band`, type: 'string', queryable: true },
    { name: 'ruleId', sql: sql`t.rule_id`, type: 'integer' },
    { name: 'limitM', sql: sql`r.limit_m`, type: 'number' },
    { name: 'path', sql: sql`t.path`, type: 'string', queryable: true, enum: ['straight', 'walking'] },
    {
      name: 'distanceM',
      sql: sql`round((case when t.distance_m is not null then t.distance_m
        else ${geodesicDistance(sql`(case when r.origin = 'gates' and s.gates is not null then s.gates else s.geom end)`, sql`p.geom`)} end)::numeric, 1)::float8`,
      type: 'number',
    },
    { name: 'preexisting', sql: sql`coalesce(p.licensed_on < s.opened_on, false)`, type: 'boolean', queryable: true },
    { name: 'detectedAt', sql: iso(sql`t.detected_at`), type: 'date-time' },
  ],
  temporal: { property: 'detectedAt', sql: sql`t.detected_at` },
  scope: signedIn,
}

const counties: Collection = {
  id: 'counties',
  countVersion: 'counties',
  title: '区县 counties',
  description: 'County outlines of Guyuan (DataV.GeoAtlas 2019, converted to WGS84).',
  from: sql`counties t`,
  key: [{ sql: sql`trim(t.code)`, type: 'text' }],
  geometry: sql`t.geom`,
  geometryKind: 'multipolygon',
  properties: [
    { name: 'code', sql: sql`trim(t.code)`, filter: sql`t.code`, type: 'string', queryable: true },
    { name: 'name', sql: sql`t.name`, type: 'string', queryable: true },
  ],
  // Public like the county tiles: outlines are reference data, not registry data.
  scope: publicScope,
}

const townships: Collection = {
  id: 'townships',
  countVersion: 'townships',
  title: '乡镇 townships',
  description: 'Township seats as points (GeoNames, CC BY 4.0; names and codes 国家统计局 2023); no geometry where the seat is unknown.',
  from: sql`townships t`,
  key: [{ sql: sql`trim(t.code)`, type: 'text' }],
  geometry: sql`t.geom`,
  geometryKind: 'point',
  properties: [
    { name: 'code', sql: sql`trim(t.code)`, filter: sql`t.code`, type: 'string', queryable: true },
    { name: 'name', sql: sql`t.name`, type: 'string', queryable: true },
    county('t.county_code'),
  ],
  scope: publicScope,
}

const roads: Collection = {
  id: 'roads',
  title: '道路 roads',
  description: 'The road network as imported (OpenStreetMap: ODbL 1.0).',
  from: sql`roads t`,
  key: idKey('t'),
  geometry: sql`t.geom`,
  geometryKind: 'linestring',
  properties: [
    { name: 'name', sql: sql`t.name`, type: 'string', queryable: true },
    { name: 'kind', sql: sql`t.kind`, type: 'string', queryable: true },
    { name: 'walkable', sql: sql`t.walkable`, type: 'boolean', queryable: true },
    { name: 'drivable', sql: sql`t.drivable`, type: 'boolean', queryable: true },
    { name: 'oneway', sql: sql`t.oneway`, type: 'boolean' },
    { name: 'osmId', sql: sql`t.osm_id`, type: 'string', queryable: true },
    { name: 'updatedAt', sql: iso(sql`t.updated_at`), type: 'date-time' },
  ],
  // Like GET /api/roads: signed-in users.
  scope: signedIn,
}

const hazards: Collection = {
  id: 'hazards',
  title: '隐患 hazards',
  description:
    'The hazard ledger within the caller’s scope (department, county), at the recorded position; no geometry when none was recorded.',
  from: sql`hazards h join schools s on s.id = h.school_id left join premises p on p.id = h.premises_id`,
  key: idKey('h'),
  geometry: sql`h.geom`,
  geometryKind: 'point',
  properties: [
    { name: 'schoolId', sql: sql`h.school_id`, type: 'integer', queryable: true },
    { name: 'schoolName', sql: sql`s.name`, type: 'string' },
    { name: 'premisesId', sql: sql`h.premises_id`, type: 'integer', queryable: true },
    { name: 'kind', sql: sql`h.kind`, type: 'string', queryable: true, enum: HAZARD_KINDS },
    { name: 'grade', sql: sql`h.grade`, type: 'string', queryable: true, enum: HAZARD_GRADES },
    { name: 'title', sql: sql`h.title`, type: 'string' },
    { name: 'state', sql: sql`h.state`, type: 'string', queryable: true, enum: HAZARD_STATES },
    { name: 'department', sql: sql`h.department`, type: 'string', queryable: true },
    county('h.county_code'),
    { name: 'deadline', sql: day(sql`h.deadline`), filter: sql`h.deadline`, type: 'date', queryable: true },
    { name: 'foundAt', sql: iso(sql`h.found_at`), type: 'date-time' },
    { name: 'closedAt', sql: iso(sql`h.closed_at`), type: 'date-time' },
    ...meta('h'),
  ],
  temporal: { property: 'foundAt', sql: sql`h.found_at` },
  // The ledger's own rule (hazards/service.ts readScope): departments, their categories' zone conflicts, county.
  scope: (user) => (user ? hazardScopeCondition(hazardReadScope(user)) : undefined),
}

const permits: Collection = {
  id: 'permits',
  title: '许可申请 permit applications',
  description: 'Permit applications within the caller’s scope (their categories and county), at the screened position.',
  from: sql`permits t`,
  key: idKey('t'),
  geometry: sql`t.geom`,
  geometryKind: 'point',
  properties: [
    { name: 'businessName', sql: sql`t.business_name`, type: 'string', queryable: true },
    { name: 'category', sql: sql`t.category`, type: 'string', queryable: true, enum: PREMISES_CATEGORIES },
    { name: 'kind', sql: sql`t.kind`, type: 'string', queryable: true, enum: PERMIT_KINDS },
    { name: 'status', sql: sql`t.status`, type: 'string', queryable: true, enum: PERMIT_STATUSES },
    { name: 'address', sql: sql`t.address`, type: 'string' },
    county('t.county_code'),
    { name: 'licenceNo', sql: sql`t.licence_no`, type: 'string', queryable: true },
    { name: 'premisesId', sql: sql`t.premises_id`, type: 'integer' },
    { name: 'submittedAt', sql: iso(sql`t.submitted_at`), type: 'date-time' },
    { name: 'decidedAt', sql: iso(sql`t.decided_at`), type: 'date-time' },
    { name: 'version', sql: sql`t.version`, type: 'integer' },
  ],
  temporal: { property: 'submittedAt', sql: sql`t.submitted_at` },
  // The permit desk's rule (permits/scope.ts readScope); a department that licenses nothing has no permits layer.
  scope: (user) => {
    if (!user) return undefined
    const scope = permitReadScope(user)
    if (scope.categories && scope.categories.length === 0) return undefined
    const parts: RawBuilder<unknown>[] = [ALL]
    if (scope.categories) parts.push(sql`t.category = any(${[...scope.categories]}::text[])`)
    if (scope.countyCode) parts.push(sql`t.county_code = ${scope.countyCode}`)
    return sql<boolean>`(${sql.join(parts, sql` and `)})`
  },
}

const policeMeta = (t: string) => [...meta(t)]

const stations: Collection = {
  id: 'stations',
  title: '派出所 police stations',
  description: 'Police stations; no geometry for a station registered without a point.',
  from: sql`police_stations t`,
  key: idKey('t'),
  geometry: sql`t.geom`,
  geometryKind: 'point',
  properties: [
    { name: 'name', sql: sql`t.name`, type: 'string', queryable: true },
    county('t.county_code'),
    { name: 'address', sql: sql`t.address`, type: 'string' },
    { name: 'phone', sql: sql`t.phone`, type: 'string' },
    ...policeMeta('t'),
  ],
  versioned: versionedOf('t'),
  scope: policeScope,
}

const grids: Collection = {
  id: 'grids',
  title: '巡逻网格 patrol grids',
  description: 'Patrol grids of the police stations.',
  from: sql`patrol_grids t join police_stations st on st.id = t.station_id`,
  key: idKey('t'),
  geometry: sql`t.geom`,
  geometryKind: 'multipolygon',
  properties: [
    { name: 'name', sql: sql`t.name`, type: 'string', queryable: true },
    { name: 'stationId', sql: sql`t.station_id`, type: 'integer', queryable: true },
    county('st.county_code'),
    ...policeMeta('t'),
  ],
  versioned: versionedOf('t'),
  scope: policeScope,
}

const units: Collection = {
  id: 'units',
  title: '巡逻力量 patrol units',
  description: 'Patrol units at their base.',
  from: sql`patrol_units t join police_stations st on st.id = t.station_id`,
  key: idKey('t'),
  geometry: sql`t.base`,
  geometryKind: 'point',
  properties: [
    { name: 'name', sql: sql`t.name`, type: 'string', queryable: true },
    { name: 'stationId', sql: sql`t.station_id`, type: 'integer', queryable: true },
    county('st.county_code'),
    { name: 'mode', sql: sql`t.mode`, type: 'string', queryable: true },
    { name: 'shiftStart', sql: sql`to_char(t.shift_start, 'HH24:MI')`, type: 'string' },
    { name: 'shiftEnd', sql: sql`to_char(t.shift_end, 'HH24:MI')`, type: 'string' },
    { name: 'officers', sql: sql`t.officers`, type: 'integer' },
    { name: 'active', sql: sql`t.active`, type: 'boolean', queryable: true },
    ...policeMeta('t'),
  ],
  versioned: versionedOf('t'),
  scope: policeScope,
}

const signs: Collection = {
  id: 'signs',
  title: '警示标牌 warning signs',
  description: 'Warning signs at the schools.',
  from: sql`warning_signs t join schools sc on sc.id = t.school_id`,
  key: idKey('t'),
  geometry: sql`t.geom`,
  geometryKind: 'point',
  properties: [
    { name: 'schoolId', sql: sql`t.school_id`, type: 'integer', queryable: true },
    county('sc.county_code'),
    { name: 'state', sql: sql`t.state`, type: 'string', queryable: true },
    { name: 'installedOn', sql: day(sql`t.installed_on`), filter: sql`t.installed_on`, type: 'date', queryable: true },
    { name: 'note', sql: sql`t.note`, type: 'string' },
    ...policeMeta('t'),
  ],
  versioned: versionedOf('t'),
  scope: policeScope,
}

const cameras: Collection = {
  id: 'cameras',
  title: '视频监控 cameras',
  description: 'Video cameras at the schools (gate: the index of the gate watched).',
  from: sql`cameras t join schools sc on sc.id = t.school_id`,
  key: idKey('t'),
  geometry: sql`t.geom`,
  geometryKind: 'point',
  properties: [
    { name: 'schoolId', sql: sql`t.school_id`, type: 'integer', queryable: true },
    county('sc.county_code'),
    { name: 'gate', sql: sql`t.gate`, type: 'integer' },
    { name: 'state', sql: sql`t.state`, type: 'string', queryable: true },
    { name: 'linkedToPolice', sql: sql`t.linked_to_police`, type: 'boolean', queryable: true },
    { name: 'note', sql: sql`t.note`, type: 'string' },
    ...policeMeta('t'),
  ],
  versioned: versionedOf('t'),
  scope: policeScope,
}

/** Every collection, in the order the API lists them. */
export const COLLECTIONS: readonly Collection[] = [
  schools,
  premises,
  zones,
  conflicts,
  counties,
  townships,
  roads,
  hazards,
  permits,
  stations,
  grids,
  units,
  signs,
  cameras,
]

/** The collection of an id, or undefined. */
export const collectionOf = (id: string): Collection | undefined => COLLECTIONS.find((c) => c.id === id)

/** The condition a collection's rows meet for a user, or NONE when they see none (used where a hidden collection still needs a WHERE). */
export const scopeOf = (collection: Collection, user: User | null): RawBuilder<boolean> => collection.scope(user) ?? NONE
