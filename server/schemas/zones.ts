import { Type, type Static } from 'typebox'
import {
  CountyCodeSchema,
  CrsSchema,
  DateSchema,
  Nullable,
  PagingQuery,
  PremisesCategorySchema,
  SchoolTypeSchema,
  StringEnum,
} from './common.ts'

import { ORIGINS, PATHS, PREVIEW_PREMISES_MAX, PREVIEW_ZONES_MAX_SPAN_DEG } from './rule-vocabulary.ts'

export { ORIGINS, PATHS, PREVIEW_PREMISES_MAX, PREVIEW_ZONES_MAX_SCHOOLS, PREVIEW_ZONES_MAX_SPAN_DEG } from './rule-vocabulary.ts'
export const OriginSchema = StringEnum(ORIGINS, { description: 'campus: any point of the campus boundary; gates: the school gates' })
export type Origin = Static<typeof OriginSchema>
export const PathSchema = StringEnum(PATHS, {
  description:
    'straight: geodesic straight line; walking: the shortest walk along the road network from the nearest gate (needs origin gates)',
})
export type Path = Static<typeof PathSchema>

export const BandSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' }),
    fromM: Type.Number({ minimum: 0 }),
    toM: Type.Number({ exclusiveMinimum: 0 }),
  },
  { additionalProperties: false },
)
export type Band = Static<typeof BandSchema>

export const RuleSchema = Type.Object({
  id: Type.Integer(),
  category: PremisesCategorySchema,
  schoolType: SchoolTypeSchema,
  limitM: Type.Number(),
  origin: OriginSchema,
  path: PathSchema,
  bands: Type.Array(BandSchema),
  legalBasis: Type.String(),
  effectiveFrom: Type.String(),
  effectiveTo: Nullable(Type.String()),
  inForce: Type.Boolean(),
  version: Type.Integer(),
  updatedAt: Type.String({ format: 'date-time' }),
})
export type Rule = Static<typeof RuleSchema>

const ruleChangeFields = {
  limitM: Type.Number({ exclusiveMinimum: 0, maximum: 5000, description: 'metres, at most 5000' }),
  origin: OriginSchema,
  path: PathSchema,
  bands: Type.Array(BandSchema, { minItems: 1, maxItems: 10 }),
  legalBasis: Type.String({ minLength: 1, maxLength: 2000 }),
  effectiveFrom: DateSchema,
  effectiveTo: Nullable(DateSchema),
}
export const UpdateRuleSchema = Type.Object(
  {
    limitM: Type.Optional(ruleChangeFields.limitM),
    origin: Type.Optional(ruleChangeFields.origin),
    path: Type.Optional(ruleChangeFields.path),
    bands: Type.Optional(ruleChangeFields.bands),
    legalBasis: Type.Optional(ruleChangeFields.legalBasis),
    effectiveFrom: Type.Optional(ruleChangeFields.effectiveFrom),
    effectiveTo: Type.Optional(ruleChangeFields.effectiveTo),
    reason: Type.String({ minLength: 3, maxLength: 2000, description: 'why the rule changes (kept in its history)' }),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'the version you edited; a stale one is refused' })),
  },
  { additionalProperties: false },
)
export type UpdateRule = Static<typeof UpdateRuleSchema>
const { version: _version, ...changeFields } = UpdateRuleSchema.properties
export const UpdateRulesSchema = Type.Object(
  {
    rules: Type.Array(
      Type.Object(
        {
          id: Type.Integer({ minimum: 1, maximum: 2147483647 }),
          version: Type.Integer({ minimum: 1, description: 'the version you edited; a stale one is refused' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 72, description: 'the rules to change, each with the version edited' },
    ),
    change: Type.Object(changeFields, {
      additionalProperties: false,
      description: 'the fields to change, as for PUT /api/rules/{id}; fields left out keep each rule’s own value',
    }),
  },
  { additionalProperties: false },
)
export type UpdateRules = Static<typeof UpdateRulesSchema>

export const RuleVersionSchema = Type.Object({
  version: Type.Integer(),
  snapshot: Type.Unknown(),
  reason: Type.String(),
  changedBy: Nullable(Type.String()),
  changedAt: Type.String({ format: 'date-time' }),
})
export type RuleVersion = Static<typeof RuleVersionSchema>
export const RuleQuerySchema = Type.Object(
  { category: Type.Optional(PremisesCategorySchema), schoolType: Type.Optional(SchoolTypeSchema) },
  { additionalProperties: false },
)
export type RuleQuery = Static<typeof RuleQuerySchema>

export const CheckSchema = Type.Object(
  {
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    crs: Type.Optional(CrsSchema),
    category: PremisesCategorySchema,
  },
  { additionalProperties: false },
)
export type Check = Static<typeof CheckSchema>
/** The same fields as a query string (GET /api/check/certificate.pdf). */
export const CheckQuerySchema = Type.Object({ ...CheckSchema.properties }, { additionalProperties: false })
export type CheckQuery = Static<typeof CheckQuerySchema>

const LonLat = Type.Object({ lon: Type.Number(), lat: Type.Number() })

export const MEASURED_BY = ['network', 'straight_fallback'] as const
/** What a walking rule's measurement adds (absent under straight rules). */
const WalkingFields = {
  path: Type.Optional(StringEnum(['walking'] as const, { description: 'present under a walking rule' })),
  straightM: Type.Optional(
    Type.Number({ description: 'walking rules: the straight geodesic distance from the gate measured from, 0.1 m' }),
  ),
  measuredBy: Type.Optional(
    StringEnum(MEASURED_BY, {
      description:
        'walking rules: network (gate → road → along the roads → road → door), or straight_fallback where the network cannot measure (the note says why)',
    }),
  ),
  route: Type.Optional(
    Nullable(
      Type.Object(
        { type: Type.Literal('LineString'), coordinates: Type.Array(Type.Array(Type.Number())) },
        { description: 'walking rules: the walk from the gate to the door' },
      ),
    ),
  ),
}
export const ConflictDetailSchema = Type.Object({
  schoolId: Type.Integer(),
  schoolName: Type.String(),
  schoolType: SchoolTypeSchema,
  countyCode: Type.String(),
  distanceM: Type.Number({ description: 'geodesic distance on the WGS84 ellipsoid, 0.1 m' }),
  limitM: Type.Number(),
  band: Type.String(),
  origin: OriginSchema,
  nearestPoint: LonLat,
  ruleId: Type.Integer(),
  ruleVersion: Type.Integer(),
  legalBasis: Type.String(),
  note: Type.Optional(Type.String()),
  ...WalkingFields,
})
export type ConflictDetail = Static<typeof ConflictDetailSchema>

export const NearestSchoolSchema = Type.Object({
  schoolId: Type.Integer(),
  schoolName: Type.String(),
  schoolType: SchoolTypeSchema,
  distanceM: Type.Number(),
  limitM: Nullable(Type.Number()),
  path: WalkingFields.path,
  measuredBy: WalkingFields.measuredBy,
  note: Type.Optional(Type.String()),
})
export type NearestSchool = Static<typeof NearestSchoolSchema>

export const CheckResultSchema = Type.Object({
  verdict: StringEnum(['prohibited', 'allowed'] as const),
  location: LonLat,
  input: Type.Object({ lon: Type.Number(), lat: Type.Number(), crs: CrsSchema }),
  crs: CrsSchema,
  category: PremisesCategorySchema,
  conflicts: Type.Array(ConflictDetailSchema),
  nearestSchools: Type.Array(NearestSchoolSchema),
  checkedAt: Type.String({ format: 'date-time' }),
})
export type CheckResult = Static<typeof CheckResultSchema>

export const ConflictSchema = Type.Object({
  ...ConflictDetailSchema.properties,
  premisesId: Type.Integer(),
  premisesName: Type.String(),
  category: PremisesCategorySchema,
  licenceNo: Nullable(Type.String()),
  licenceStatus: Type.String(),
  licensedOn: Nullable(Type.String()),
  expiresOn: Nullable(Type.String()),
  premisesCountyCode: Type.String(),
  location: LonLat,
  preexisting: Type.Boolean({ description: 'licensed before the school opened: flag for rectification at licence expiry' }),
  detectedAt: Type.String({ format: 'date-time' }),
})
export type Conflict = Static<typeof ConflictSchema>

export const ConflictQuerySchema = Type.Object(
  {
    countyCode: Type.Optional(CountyCodeSchema),
    category: Type.Optional(PremisesCategorySchema),
    schoolId: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647 })),
    premisesId: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647 })),
    band: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' })),
    preexisting: Type.Optional(Type.Boolean()),
    ...PagingQuery,
  },
  { additionalProperties: false },
)
export type ConflictQuery = Static<typeof ConflictQuerySchema>
export const ConflictPageSchema = Type.Object({
  numberMatched: Type.Integer(),
  numberReturned: Type.Integer(),
  conflicts: Type.Array(ConflictSchema),
})
export type ConflictPage = Static<typeof ConflictPageSchema>

export const AuditSchema = Type.Object({
  id: Type.Integer(),
  status: StringEnum(['running', 'done', 'failed'] as const),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
  startedBy: Nullable(Type.String()),
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  schoolsDone: Type.Integer(),
  schoolsTotal: Type.Integer(),
  summary: Nullable(
    Type.Object({
      conflicts: Type.Integer(),
      added: Type.Integer(),
      removed: Type.Integer(),
      changed: Type.Integer(),
      seconds: Type.Number(),
      /** 'incremental': only what changed since the last complete audit was recomputed; 'full': everything. */
      mode: Type.Optional(StringEnum(['full', 'incremental'] as const)),
      /** Why everything was recomputed (a full audit), or what the incremental one recomputed. */
      basis: Type.Optional(Type.String()),
    }),
  ),
  error: Nullable(Type.String()),
})
export const AuditStartSchema = Type.Object(
  {
    full: Type.Optional(
      Type.Boolean({ description: 'recompute every pair and zone instead of only what changed since the last complete audit' }),
    ),
  },
  { additionalProperties: false, description: 'no body, an empty object, or {"full": true}', 'x-optional-body': true },
)
export type AuditStart = Static<typeof AuditStartSchema>
export type Audit = Static<typeof AuditSchema>

export const ProposedRuleSchema = Type.Object(
  {
    category: PremisesCategorySchema,
    schoolType: Type.Optional(SchoolTypeSchema),
    limitM: Type.Optional(ruleChangeFields.limitM),
    origin: Type.Optional(OriginSchema),
    path: Type.Optional(PathSchema),
    bands: Type.Optional(ruleChangeFields.bands),
  },
  { additionalProperties: false },
)
export type ProposedRule = Static<typeof ProposedRuleSchema>
export const PreviewSchema = Type.Object(
  { rules: Type.Array(ProposedRuleSchema, { minItems: 1, maxItems: 72 }) },
  { additionalProperties: false },
)
export type Preview = Static<typeof PreviewSchema>

const Tally = Type.Object({
  total: Type.Integer(),
  byCategory: Type.Record(Type.String(), Type.Integer()),
  byCounty: Type.Record(Type.String(), Type.Integer()),
  byBand: Type.Record(Type.String(), Type.Integer()),
})
export const PREVIEW_CHANGES = ['newly_conflicting', 'cleared'] as const
export const PreviewPremisesSchema = Type.Object({
  premisesId: Type.Integer(),
  name: Type.String(),
  category: PremisesCategorySchema,
  countyCode: Type.String(),
  location: LonLat,
  change: StringEnum(PREVIEW_CHANGES, {
    description: 'newly_conflicting: in no zone today, in one under the proposal; cleared: in a zone today, in none under it',
  }),
})
export type PreviewPremises = Static<typeof PreviewPremisesSchema>
export const PreviewResultSchema = Type.Object({
  today: Type.Object(Tally.properties, {
    description: 'the conflicts of the proposal’s categories today: premises in a zone (total, by category and county) and pairs by band',
  }),
  proposed: Type.Object(Tally.properties, { description: 'the same under the proposal (the rules it leaves alone as they are)' }),
  newlyConflicting: Tally,
  cleared: Tally,
  bandChanged: Type.Integer(),
  unchanged: Type.Integer(),
  schools: Type.Array(
    Type.Object({ schoolId: Type.Integer(), schoolName: Type.String(), newlyConflicting: Type.Integer(), cleared: Type.Integer() }),
  ),
  premises: Type.Array(PreviewPremisesSchema, {
    description: `the premises newly conflicting or cleared, with their position, at most ${PREVIEW_PREMISES_MAX} (newly conflicting first)`,
  }),
  premisesTruncated: Type.Boolean({ description: `true when more than ${PREVIEW_PREMISES_MAX} premises changed` }),
})
export type PreviewResult = Static<typeof PreviewResultSchema>

export const PreviewZonesSchema = Type.Object(
  {
    rules: PreviewSchema.properties.rules,
    bbox: Type.Array(Type.Number({ minimum: -180, maximum: 180 }), {
      minItems: 4,
      maxItems: 4,
      description: `the view [west, south, east, north] in WGS84 degrees, at most ${PREVIEW_ZONES_MAX_SPAN_DEG}° each way`,
    }),
  },
  { additionalProperties: false },
)
export type PreviewZones = Static<typeof PreviewZonesSchema>
export const PREVIEW_SCENARIOS = ['today', 'proposed'] as const
export const PreviewZoneFeatureSchema = Type.Object({
  type: Type.Literal('Feature'),
  properties: Type.Object({
    scenario: StringEnum(PREVIEW_SCENARIOS),
    kind: StringEnum(['zone', 'band'] as const, { description: 'zone: the outline at the limit; band: one band ring' }),
    band: Type.Optional(Type.String()),
    fromM: Type.Number(),
    toM: Type.Number(),
    schoolId: Type.Integer(),
    limitM: Type.Number(),
    origin: OriginSchema,
    categories: Type.Array(PremisesCategorySchema),
  }),
  geometry: Type.Object({ type: Type.String(), coordinates: Type.Array(Type.Unknown()) }),
})
export const PreviewZonesResultSchema = Type.Object({
  type: Type.Literal('FeatureCollection'),
  schools: Type.Integer({ description: 'schools drawn (those whose zones can reach into the view)' }),
  features: Type.Array(PreviewZoneFeatureSchema),
})
export type PreviewZonesResult = Static<typeof PreviewZonesResultSchema>

export const ZoneQuerySchema = Type.Object({ category: Type.Optional(PremisesCategorySchema) }, { additionalProperties: false })
export type ZoneQuery = Static<typeof ZoneQuerySchema>
