import { Type, type Static } from 'typebox'
import {
  BboxSchema,
  CountyCodeSchema,
  CrsSchema,
  DateSchema,
  GeometryInputSchema,
  GeometryOutputSchema,
  LicenceStatusSchema,
  Nullable,
  PagingQuery,
  PositionSchema,
  PremisesCategorySchema,
  SchoolTypeSchema,
  StringEnum,
} from './common.ts'
import { PeakWindowSchema, PeakWindowsSchema } from './peak-windows.ts'
import { staffingInputFields, staffingOutputFields } from './staffing.ts'

// PostgreSQL text cannot hold U+0000: refused here, naming the field, instead of failing in the database.
const NO_NUL = '^[^\\u0000]*$'
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: NO_NUL })
const Address = Type.String({ maxLength: 500, pattern: NO_NUL })
const Count = Type.Integer({ minimum: 0, maximum: 1_000_000 })
// The county is found from the geometry (a point; a campus by its point on surface); a declared one must agree.
const DeclaredCounty = Type.String({
  pattern: '^[0-9]{6}$',
  description: 'optional: the county is found from the geometry; when given it must be that county (422 otherwise)',
})

const schoolFields = {
  name: Name,
  schoolType: SchoolTypeSchema,
  countyCode: Type.Optional(DeclaredCounty),
  address: Type.Optional(Nullable(Address)),
  students: Type.Optional(Nullable(Count)),
  staff: Type.Optional(Nullable(Count)),
  boarding: Type.Optional(Type.Boolean()),
  openedOn: Type.Optional(Nullable(DateSchema)),
  gates: Type.Optional(Type.Array(PositionSchema, { maxItems: 50, description: 'gate positions [lon, lat]' })),
  urban: Type.Optional(
    Nullable(Type.Boolean({ description: 'urban school (城市学校) as the registry sets it; null or absent: decided by the urban areas' })),
  ),
  peakWindows: Type.Optional(
    Nullable({ ...PeakWindowsSchema, description: "the school's own peak windows (e.g. staggered release by grade); null: the policy's" }),
  ),
  ...staffingInputFields,
}
const premisesFields = {
  name: Name,
  category: PremisesCategorySchema,
  licenceNo: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64, pattern: NO_NUL }))),
  licenceStatus: Type.Optional(LicenceStatusSchema),
  licensedOn: Type.Optional(Nullable(DateSchema)),
  expiresOn: Type.Optional(Nullable(DateSchema)),
  address: Type.Optional(Nullable(Address)),
  countyCode: Type.Optional(DeclaredCounty),
}

export const SchoolPropertiesInputSchema = Type.Object(schoolFields, { additionalProperties: false })
export const PremisesPropertiesInputSchema = Type.Object(premisesFields, { additionalProperties: false })
export type SchoolPropertiesInput = Static<typeof SchoolPropertiesInputSchema>
export type PremisesPropertiesInput = Static<typeof PremisesPropertiesInputSchema>

const featureInput = <P extends ReturnType<typeof Type.Object>>(properties: P) =>
  Type.Object(
    {
      type: Type.Literal('Feature'),
      id: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Number()])),
      bbox: Type.Optional(Type.Array(Type.Number())),
      properties,
      geometry: GeometryInputSchema,
    },
    { additionalProperties: false },
  )

export const CreateSchoolSchema = featureInput(SchoolPropertiesInputSchema)
export const CreatePremisesSchema = featureInput(PremisesPropertiesInputSchema)
export type CreateSchool = Static<typeof CreateSchoolSchema>
export type CreatePremises = Static<typeof CreatePremisesSchema>

// Type.Partial drops additionalProperties, so it is set again: an unknown field in a change is refused, not ignored.
export const UpdateSchoolSchema = Type.Object(
  {
    properties: Type.Optional(Type.Partial(SchoolPropertiesInputSchema, { additionalProperties: false })),
    geometry: Type.Optional(GeometryInputSchema),
    version: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false, minProperties: 1 },
)
export const UpdatePremisesSchema = Type.Object(
  {
    properties: Type.Optional(Type.Partial(PremisesPropertiesInputSchema, { additionalProperties: false })),
    geometry: Type.Optional(GeometryInputSchema),
    version: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateSchool = Static<typeof UpdateSchoolSchema>
export type UpdatePremises = Static<typeof UpdatePremisesSchema>

export const WriteQuerySchema = Type.Object({ crs: Type.Optional(CrsSchema) }, { additionalProperties: false })
export type WriteQuery = Static<typeof WriteQuerySchema>

const recordMeta = {
  sourceCrs: CrsSchema,
  demo: Type.Boolean(),
  version: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
}

export const SchoolSchema = Type.Object({
  type: Type.Literal('Feature'),
  id: Type.Integer(),
  properties: Type.Object({
    name: Type.String(),
    schoolType: SchoolTypeSchema,
    countyCode: CountyCodeSchema,
    address: Nullable(Type.String()),
    students: Nullable(Type.Integer()),
    staff: Nullable(Type.Integer()),
    boarding: Type.Boolean(),
    openedOn: Nullable(Type.String()),
    gates: Type.Array(Type.Array(Type.Number())),
    urban: Type.Boolean({ description: 'urban school (城市学校): patrolled under the policy' }),
    urbanSource: StringEnum(['area', 'registry'] as const, {
      description: 'registry: set by a clerk; area: defaulted from the urban areas (and redrawn when the campus moves)',
    }),
    peakWindows: Nullable(Type.Array(PeakWindowSchema)),
    ...staffingOutputFields,
    ...recordMeta,
  }),
  geometry: GeometryOutputSchema,
})
export type School = Static<typeof SchoolSchema>

export const PremisesSchema = Type.Object({
  type: Type.Literal('Feature'),
  id: Type.Integer(),
  properties: Type.Object({
    name: Type.String(),
    category: PremisesCategorySchema,
    licenceNo: Nullable(Type.String()),
    licenceStatus: LicenceStatusSchema,
    licensedOn: Nullable(Type.String()),
    expiresOn: Nullable(Type.String()),
    address: Nullable(Type.String()),
    countyCode: CountyCodeSchema,
    ...recordMeta,
  }),
  geometry: GeometryOutputSchema,
})
export type Premises = Static<typeof PremisesSchema>

export const collectionOf = <T extends ReturnType<typeof Type.Object>>(feature: T) =>
  Type.Object({
    type: Type.Literal('FeatureCollection'),
    numberMatched: Type.Integer(),
    numberReturned: Type.Integer(),
    features: Type.Array(feature),
  })
export const SchoolCollectionSchema = collectionOf(SchoolSchema)
export type SchoolCollection = Static<typeof SchoolCollectionSchema>
export const PremisesCollectionSchema = collectionOf(PremisesSchema)
export type PremisesCollection = Static<typeof PremisesCollectionSchema>

const listQuery = {
  countyCode: Type.Optional(CountyCodeSchema),
  bbox: Type.Optional(BboxSchema),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: NO_NUL, description: 'part of the name or address' })),
  ...PagingQuery,
}
export const SchoolQuerySchema = Type.Object({ ...listQuery, schoolType: Type.Optional(SchoolTypeSchema) }, { additionalProperties: false })
export const PremisesQuerySchema = Type.Object(
  { ...listQuery, category: Type.Optional(PremisesCategorySchema), licenceStatus: Type.Optional(LicenceStatusSchema) },
  { additionalProperties: false },
)
export type SchoolQuery = Static<typeof SchoolQuerySchema>
export type PremisesQuery = Static<typeof PremisesQuerySchema>

export const HistoryEntrySchema = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  action: Type.String(),
  user: Nullable(
    Type.Object({
      id: Nullable(Type.Integer()),
      username: Nullable(Type.String()),
      role: Nullable(Type.String()),
      department: Nullable(Type.String()),
    }),
  ),
  before: Type.Unknown(),
  after: Type.Unknown(),
  requestId: Nullable(Type.String()),
})
export const HistorySchema = Type.Object({ entries: Type.Array(HistoryEntrySchema) })
export type History = Static<typeof HistorySchema>
export type HistoryEntry = Static<typeof HistoryEntrySchema>

export const ImportKindSchema = Type.Object(
  { kind: Type.Union([Type.Literal('schools'), Type.Literal('premises')]) },
  { additionalProperties: false },
)
export type ImportKind = Static<typeof ImportKindSchema>
export const ImportQuerySchema = Type.Object({ crs: Type.Optional(CrsSchema) }, { additionalProperties: false })
export type ImportQuery = Static<typeof ImportQuerySchema>
export const ImportResultSchema = Type.Object({ imported: Type.Integer(), ids: Type.Array(Type.Integer()) })
export type ImportResult = Static<typeof ImportResultSchema>
export const ImportRowErrorSchema = Type.Object({ row: Type.Integer(), field: Type.String(), message: Type.String() })
export type ImportRowError = Static<typeof ImportRowErrorSchema>
