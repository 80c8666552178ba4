import { Type, type Static } from 'typebox'
import { collectionOf } from './registry.ts'
import { MAX_PEAK_WINDOWS, PeakWindowSchema, TimeOfDaySchema } from './peak-windows.ts'
import {
  BboxSchema,
  CountyCodeSchema,
  CrsSchema,
  DateSchema,
  GeometryInputSchema,
  IdSchema,
  Nullable,
  PagingQuery,
  StringEnum,
} from './common.ts'

/**
 * The police desk's registry (stations, patrol grids and units, warning signs, cameras), the patrol policy,
 * check-ins and coverage. Times of day are China Standard Time wall clock ("HH:MM").
 */

const NO_NUL = '^[^\\u0000]*$'
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: NO_NUL })
const Note = Type.String({ maxLength: 1000, pattern: NO_NUL })
const DateTime = Type.String({ format: 'date-time' })

export const UNIT_MODES = ['car', 'foot'] as const
export const SIGN_STATES = ['installed', 'damaged', 'missing', 'planned'] as const
export const CAMERA_STATES = ['working', 'faulty', 'offline', 'planned'] as const
export const POST_SCOPES = ['urban', 'all'] as const
export type UnitMode = (typeof UNIT_MODES)[number]

// ---- registry records: GeoJSON Features like the school and premises registers

const meta = {
  countyCode: CountyCodeSchema,
  demo: Type.Boolean(),
  version: Type.Integer(),
  createdAt: DateTime,
  updatedAt: DateTime,
}
const PointOutput = Type.Object({ type: Type.Literal('Point'), coordinates: Type.Array(Type.Number()) })
const MultiPolygonOutput = Type.Object({ type: Type.Literal('MultiPolygon'), coordinates: Type.Array(Type.Unknown()) })
const feature = <P extends ReturnType<typeof Type.Object>, G extends ReturnType<typeof Type.Object> | ReturnType<typeof Nullable>>(
  properties: P,
  geometry: G,
) => Type.Object({ type: Type.Literal('Feature'), id: Type.Integer(), properties, geometry })
const featureInput = <P extends ReturnType<typeof Type.Object>>(
  properties: P,
  geometry: ReturnType<typeof Type.Object> | ReturnType<typeof Nullable>,
) =>
  Type.Object(
    {
      type: Type.Literal('Feature'),
      id: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Number()])),
      bbox: Type.Optional(Type.Array(Type.Number())),
      properties,
      geometry,
    },
    { additionalProperties: false },
  )
const updateOf = <P extends ReturnType<typeof Type.Object>>(
  properties: P,
  geometry: ReturnType<typeof Type.Object> | ReturnType<typeof Nullable>,
) =>
  Type.Object(
    {
      properties: Type.Optional(Type.Partial(properties, { additionalProperties: false })),
      geometry: Type.Optional(geometry),
      version: Type.Optional(Type.Integer({ minimum: 1 })),
    },
    { additionalProperties: false, minProperties: 1 },
  )
// Police stations (派出所): the county comes from the point, or from countyCode for a station without one.
const StationInputProperties = Type.Object(
  {
    name: Name,
    countyCode: Type.Optional(CountyCodeSchema),
    address: Type.Optional(Nullable(Type.String({ maxLength: 500, pattern: NO_NUL }))),
    phone: Type.Optional(Nullable(Type.String({ maxLength: 50, pattern: NO_NUL }))),
  },
  { additionalProperties: false },
)
export const CreateStationSchema = featureInput(StationInputProperties, Nullable(GeometryInputSchema))
export const UpdateStationSchema = updateOf(StationInputProperties, Nullable(GeometryInputSchema))
export const StationSchema = feature(
  Type.Object({ name: Type.String(), address: Nullable(Type.String()), phone: Nullable(Type.String()), ...meta }),
  Nullable(PointOutput),
)
export type CreateStation = Static<typeof CreateStationSchema>
export type UpdateStation = Static<typeof UpdateStationSchema>
export type Station = Static<typeof StationSchema>

// Patrol grids (巡逻网格): a polygon belonging to a station, inside the station's county.
const GridInputProperties = Type.Object({ name: Name, stationId: IdSchema }, { additionalProperties: false })
export const CreateGridSchema = featureInput(GridInputProperties, GeometryInputSchema)
export const UpdateGridSchema = updateOf(GridInputProperties, GeometryInputSchema)
export const GridSchema = feature(Type.Object({ name: Type.String(), stationId: Type.Integer(), ...meta }), MultiPolygonOutput)
export type CreateGrid = Static<typeof CreateGridSchema>
export type UpdateGrid = Static<typeof UpdateGridSchema>
export type Grid = Static<typeof GridSchema>

// Patrol units: the geometry is the unit's base.
const UnitInputProperties = Type.Object(
  {
    name: Name,
    stationId: IdSchema,
    mode: StringEnum(UNIT_MODES),
    shiftStart: TimeOfDaySchema,
    shiftEnd: TimeOfDaySchema,
    officers: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export const CreateUnitSchema = featureInput(UnitInputProperties, GeometryInputSchema)
export const UpdateUnitSchema = updateOf(UnitInputProperties, GeometryInputSchema)
export const UnitSchema = feature(
  Type.Object({
    name: Type.String(),
    stationId: Type.Integer(),
    mode: StringEnum(UNIT_MODES),
    shiftStart: Type.String(),
    shiftEnd: Type.String(),
    officers: Type.Integer(),
    active: Type.Boolean(),
    ...meta,
  }),
  PointOutput,
)
export type CreateUnit = Static<typeof CreateUnitSchema>
export type UpdateUnit = Static<typeof UpdateUnitSchema>
export type Unit = Static<typeof UnitSchema>

// Warning signs (安全区域警示标牌) of a school's zone.
const SignInputProperties = Type.Object(
  {
    schoolId: IdSchema,
    state: Type.Optional(StringEnum(SIGN_STATES)),
    installedOn: Type.Optional(Nullable(DateSchema)),
    note: Type.Optional(Nullable(Note)),
  },
  { additionalProperties: false },
)
export const CreateSignSchema = featureInput(SignInputProperties, GeometryInputSchema)
export const UpdateSignSchema = updateOf(SignInputProperties, GeometryInputSchema)
export const SignSchema = feature(
  Type.Object({
    schoolId: Type.Integer(),
    state: StringEnum(SIGN_STATES),
    installedOn: Nullable(Type.String()),
    note: Nullable(Type.String()),
    ...meta,
  }),
  PointOutput,
)
export type CreateSign = Static<typeof CreateSignSchema>
export type UpdateSign = Static<typeof UpdateSignSchema>
export type Sign = Static<typeof SignSchema>

// Cameras: gate is the 1-based index of the school's gate it watches (null: not at a gate).
const CameraInputProperties = Type.Object(
  {
    schoolId: IdSchema,
    gate: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 50 }))),
    state: Type.Optional(StringEnum(CAMERA_STATES)),
    linkedToPolice: Type.Optional(Type.Boolean()),
    note: Type.Optional(Nullable(Note)),
  },
  { additionalProperties: false },
)
export const CreateCameraSchema = featureInput(CameraInputProperties, GeometryInputSchema)
export const UpdateCameraSchema = updateOf(CameraInputProperties, GeometryInputSchema)
export const CameraSchema = feature(
  Type.Object({
    schoolId: Type.Integer(),
    gate: Nullable(Type.Integer()),
    state: StringEnum(CAMERA_STATES),
    linkedToPolice: Type.Boolean(),
    note: Nullable(Type.String()),
    ...meta,
  }),
  PointOutput,
)
export type CreateCamera = Static<typeof CreateCameraSchema>
export type UpdateCamera = Static<typeof UpdateCameraSchema>
export type Camera = Static<typeof CameraSchema>
export { collectionOf }
export { MAX_PEAK_WINDOWS, PeakWindowSchema, PeakWindowsSchema, TimeOfDaySchema, type PeakWindow } from './peak-windows.ts'

export const PoliceQuerySchema = Type.Object(
  {
    countyCode: Type.Optional(CountyCodeSchema),
    stationId: Type.Optional(IdSchema),
    schoolId: Type.Optional(IdSchema),
    bbox: Type.Optional(BboxSchema),
    ...PagingQuery,
  },
  { additionalProperties: false },
)
export type PoliceQuery = Static<typeof PoliceQuerySchema>
export const PoliceWriteQuerySchema = Type.Object({ crs: Type.Optional(CrsSchema) }, { additionalProperties: false })
export const POLICE_KINDS = ['stations', 'grids', 'units', 'signs', 'cameras'] as const
export type PoliceKind = (typeof POLICE_KINDS)[number]
export const PoliceImportParamsSchema = Type.Object({ kind: StringEnum(POLICE_KINDS) }, { additionalProperties: false })

// ---- the patrol policy, versioned data like the zoning rules

export const PostSchema = Type.Object(
  {
    scope: StringEnum(POST_SCOPES, { description: 'which schools get the post: urban ones, or all' }),
    gate: Type.Integer({ minimum: 1, maximum: 50, description: '1-based gate index; gate 1 is the main gate' }),
    windows: Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { minItems: 1, maxItems: 6, description: 'peak window names' }),
  },
  { additionalProperties: false },
)
export type Post = Static<typeof PostSchema>

export const PolicySchema = Type.Object({
  id: Type.Integer(),
  version: Type.Integer(),
  effectiveFrom: Type.String(),
  visitsPerUrbanSchool: Type.Integer(),
  minGapMinutes: Type.Integer(),
  dwellMinMinutes: Type.Integer(),
  dwellMaxMinutes: Type.Integer(),
  peakWindows: Type.Array(PeakWindowSchema),
  posts: Type.Array(PostSchema),
  carSpeedKmh: Type.Number(),
  footSpeedKmh: Type.Number(),
  reason: Type.String(),
  createdBy: Nullable(Type.Integer()),
  createdAt: DateTime,
})
export type Policy = Static<typeof PolicySchema>
export const PolicyListSchema = Type.Object({ policies: Type.Array(PolicySchema) })
export const PolicyQuerySchema = Type.Object({ date: Type.Optional(DateSchema) }, { additionalProperties: false })

/** A new policy version: what is not given is kept from the newest version. */
export const CreatePolicySchema = Type.Object(
  {
    effectiveFrom: DateSchema,
    reason: Type.String({ minLength: 1, maxLength: 2000, pattern: NO_NUL }),
    visitsPerUrbanSchool: Type.Optional(Type.Integer({ minimum: 0, maximum: 24 })),
    minGapMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 1440 })),
    dwellMinMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 240 })),
    dwellMaxMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 240 })),
    peakWindows: Type.Optional(Type.Array(PeakWindowSchema, { minItems: 1, maxItems: MAX_PEAK_WINDOWS })),
    posts: Type.Optional(Type.Array(PostSchema, { maxItems: 20 })),
    carSpeedKmh: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 200 })),
    footSpeedKmh: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 20 })),
  },
  { additionalProperties: false },
)
export type CreatePolicy = Static<typeof CreatePolicySchema>

// ---- check-ins and tracks

export const CreateVisitSchema = Type.Object(
  {
    unitId: IdSchema,
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    crs: Type.Optional(CrsSchema),
    accuracyM: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000 })),
    at: Type.String({ format: 'date-time', description: 'when the officer was there (ISO 8601 with offset)' }),
  },
  { additionalProperties: false },
)
export type CreateVisit = Static<typeof CreateVisitSchema>
const LonLat = Type.Object({ lon: Type.Number(), lat: Type.Number() })
export const VisitSchema = Type.Object({
  id: Type.Integer(),
  unitId: Type.Integer(),
  schoolId: Nullable(Type.Integer()),
  schoolName: Nullable(Type.String()),
  distanceM: Nullable(Type.Number({ description: 'geodesic distance to the campus, 0.1 m; null when no campus lies within reach' })),
  at: DateTime,
  leftAt: Nullable(DateTime),
  source: StringEnum(['checkin', 'track'] as const),
  location: LonLat,
  input: Type.Optional(Type.Object({ lon: Type.Number(), lat: Type.Number(), crs: CrsSchema })),
  accuracyM: Nullable(Type.Number()),
  duplicate: Type.Optional(Type.Boolean({ description: 'the same check-in was recorded before; nothing new was stored' })),
})
export type Visit = Static<typeof VisitSchema>
export const VisitListSchema = Type.Object({
  numberMatched: Type.Integer(),
  numberReturned: Type.Integer(),
  visits: Type.Array(VisitSchema),
})
export const VisitQuerySchema = Type.Object(
  {
    date: Type.Optional(DateSchema),
    unitId: Type.Optional(IdSchema),
    schoolId: Type.Optional(IdSchema),
    countyCode: Type.Optional(CountyCodeSchema),
    ...PagingQuery,
  },
  { additionalProperties: false },
)
export type VisitQuery = Static<typeof VisitQuerySchema>

export const TrackQuerySchema = Type.Object({ unitId: IdSchema }, { additionalProperties: false })
export const TrackResultSchema = Type.Object({
  visits: Type.Array(VisitSchema, { description: 'the visits newly recorded (a stay recorded before is not repeated)' }),
  points: Type.Integer(),
  stays: Type.Integer({ description: 'stays of at least the minimum dwell within 50 m of a campus found in the track' }),
})
export type TrackResult = Static<typeof TrackResultSchema>

// ---- coverage

export const CoverageQuerySchema = Type.Object(
  { date: Type.Optional(DateSchema), countyCode: Type.Optional(CountyCodeSchema), stationId: Type.Optional(IdSchema) },
  { additionalProperties: false },
)
export type CoverageQuery = Static<typeof CoverageQuerySchema>
export const SchoolCoverageSchema = Type.Object({
  schoolId: Type.Integer(),
  schoolName: Type.String(),
  countyCode: CountyCodeSchema,
  urban: Type.Boolean(),
  required: Type.Integer(),
  planned: Type.Integer(),
  done: Type.Integer(),
  lastVisitAt: Nullable(DateTime),
  below: Type.Boolean({ description: 'done < required' }),
})
export const StationCoverageSchema = Type.Object({
  stationId: Type.Integer(),
  name: Type.String(),
  countyCode: CountyCodeSchema,
  urbanSchools: Type.Integer(),
  meeting: Type.Integer(),
  compliance: Nullable(Type.Number({ description: 'share of the urban schools meeting the required visits, 0..1; null with none' })),
})
export const CoverageSchema = Type.Object({
  date: Type.String(),
  policyVersion: Type.Integer(),
  planId: Nullable(Type.Integer()),
  schools: Type.Array(SchoolCoverageSchema),
  stations: Type.Array(StationCoverageSchema),
})
export type Coverage = Static<typeof CoverageSchema>
export type SchoolCoverage = Static<typeof SchoolCoverageSchema>
export type StationCoverage = Static<typeof StationCoverageSchema>

export const WeekQuerySchema = Type.Object(
  { start: Type.Optional(DateSchema), countyCode: Type.Optional(CountyCodeSchema), stationId: Type.Optional(IdSchema) },
  { additionalProperties: false },
)
export const WeekCoverageSchema = Type.Object({
  start: Type.String(),
  end: Type.String(),
  dates: Type.Array(Type.String()),
  schools: Type.Array(
    Type.Object({
      schoolId: Type.Integer(),
      schoolName: Type.String(),
      countyCode: CountyCodeSchema,
      urban: Type.Boolean(),
      days: Type.Array(
        Type.Object({
          date: Type.String(),
          required: Type.Integer(),
          planned: Type.Integer(),
          done: Type.Integer(),
          below: Type.Boolean(),
        }),
      ),
      daysBelow: Type.Integer(),
    }),
  ),
  stations: Type.Array(
    Type.Object({
      stationId: Type.Integer(),
      name: Type.String(),
      countyCode: CountyCodeSchema,
      compliance: Type.Array(Nullable(Type.Number())),
    }),
  ),
})
export type WeekCoverage = Static<typeof WeekCoverageSchema>

export const EquipmentGapsQuerySchema = Type.Object({ countyCode: Type.Optional(CountyCodeSchema) }, { additionalProperties: false })
export const EquipmentGapsSchema = Type.Object({
  schools: Type.Integer({ description: 'schools looked at' }),
  zonesWithoutSign: Type.Array(
    Type.Object({
      schoolId: Type.Integer(),
      schoolName: Type.String(),
      countyCode: CountyCodeSchema,
      signs: Type.Integer({ description: 'signs on record that are not installed (damaged, missing, planned)' }),
    }),
  ),
  gatesWithoutCamera: Type.Array(
    Type.Object({
      schoolId: Type.Integer(),
      schoolName: Type.String(),
      countyCode: CountyCodeSchema,
      gate: Type.Integer(),
      position: Type.Array(Type.Number()),
      cameras: Type.Integer({ description: 'cameras at this gate that are not working (faulty, offline, planned)' }),
    }),
  ),
})
export type EquipmentGaps = Static<typeof EquipmentGapsSchema>
