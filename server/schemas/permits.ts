import { Type, type Static } from 'typebox'
import { CheckResultSchema } from './zones.ts'
import { CountyCodeSchema, CrsSchema, DateSchema, Nullable, PagingQuery, PremisesCategorySchema, StringEnum } from './common.ts'
import { PERMIT_KINDS, PERMIT_STATUSES } from './vocabulary.ts'

export { PERMIT_KINDS, PERMIT_STATUSES } from './vocabulary.ts'
export type { PermitKind, PermitStatus } from './vocabulary.ts'

// PostgreSQL text cannot hold U+0000: refuse it at the edge rather than as a database error.
const Text = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, pattern: '^[^\\u0000]*[^\\u0000\\s][^\\u0000]*$', ...(description ? { description } : {}) })

export const CreatePermitSchema = Type.Object(
  {
    applicant: Type.Object(
      {
        name: Text(100),
        idNumber: Type.String({
          minLength: 18,
          maxLength: 18,
          description: '18-character resident identity number (GB 11643), checksum verified',
        }),
      },
      { additionalProperties: false },
    ),
    businessName: Text(200),
    category: PremisesCategorySchema,
    address: Text(300),
    location: Type.Object(
      {
        lon: Type.Number({ minimum: -180, maximum: 180 }),
        lat: Type.Number({ minimum: -90, maximum: 90 }),
        crs: Type.Optional(CrsSchema),
      },
      { additionalProperties: false },
    ),
    kind: StringEnum(PERMIT_KINDS),
    premisesId: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 2147483647,
        description: 'the registered premises a renewal, relocation or change is for (required for those kinds, refused for new)',
      }),
    ),
  },
  { additionalProperties: false },
)
export type CreatePermit = Static<typeof CreatePermitSchema>

export const RECTIFICATION_MEASURES = ['relocate', 'close'] as const

/**
 * Guidance for a renewal of premises that were there before a school whose zone they lie in (the safety-zone
 * clause, §3: premises already there when a school opens are flagged for rectification, not silently renewed).
 */
export const RectificationSchema = Type.Object({
  guidance: Type.String({ description: 'what the policy asks, in Chinese (printed on the certificate)' }),
  guidanceEn: Type.String(),
  premisesId: Type.Integer(),
  predates: Type.Array(
    Type.Object({
      schoolId: Type.Integer(),
      schoolName: Type.String(),
      schoolSince: Type.String({ description: 'the school opening date, or its registry creation day when either date is missing' }),
      premisesSince: Type.String({ description: 'the premises licence date, or its registry creation day' }),
      basis: StringEnum(['licence_and_opening_dates', 'registry_creation'] as const),
    }),
  ),
  deadlineAtMost: Nullable(
    Type.String({
      description: 'the latest rectification deadline an approval may set (the end of a normal term); null when none may be granted',
    }),
  ),
  grantedUntil: Nullable(
    Type.String({ description: 'a rectification period already granted to these premises ends on this day: no renewal beyond it' }),
  ),
})
export type Rectification = Static<typeof RectificationSchema>

/** The stored screening: the zoning verdict at one moment, plus rectification guidance where policy asks for it. */
export const ScreeningSchema = Type.Object({
  ...CheckResultSchema.properties,
  rectification: Type.Optional(RectificationSchema),
})
export type Screening = Static<typeof ScreeningSchema>

export const DecisionSchema = Type.Object({
  decision: StringEnum(['approve', 'reject'] as const),
  reason: Type.String(),
  overrideJustification: Nullable(Type.String()),
  rectification: Nullable(Type.Object({ measure: StringEnum(RECTIFICATION_MEASURES), deadline: Type.String() })),
  decidedBy: Type.Object({ id: Type.Integer(), username: Type.String(), role: Type.String() }),
  decidedAt: Type.String({ format: 'date-time' }),
})
export type Decision = Static<typeof DecisionSchema>

export const PermitHistoryEntrySchema = Type.Object({
  at: Type.String({ format: 'date-time' }),
  action: Type.String(),
  username: Nullable(Type.String()),
  role: Nullable(Type.String()),
  details: Type.Unknown(),
})
export type PermitHistoryEntry = Static<typeof PermitHistoryEntrySchema>

export const PermitSchema = Type.Object({
  id: Type.Integer(),
  status: StringEnum(PERMIT_STATUSES),
  version: Type.Integer(),
  applicant: Type.Object({ name: Type.String(), idNumber: Type.String() }),
  businessName: Type.String(),
  category: PremisesCategorySchema,
  kind: StringEnum(PERMIT_KINDS),
  address: Type.String(),
  countyCode: Type.String(),
  location: Type.Object({ lon: Type.Number(), lat: Type.Number() }),
  input: Type.Object({ lon: Type.Number(), lat: Type.Number(), crs: CrsSchema }),
  screening: ScreeningSchema,
  flaggedOverride: Type.Boolean(),
  decision: Nullable(DecisionSchema),
  premisesId: Nullable(Type.Integer()),
  licenceNo: Nullable(Type.String()),
  submittedBy: Type.String(),
  submittedAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
export type Permit = Static<typeof PermitSchema>

export const PermitDetailSchema = Type.Object({
  ...PermitSchema.properties,
  history: Type.Array(PermitHistoryEntrySchema),
})
export type PermitDetail = Static<typeof PermitDetailSchema>

export const PermitQuerySchema = Type.Object(
  {
    status: Type.Optional(StringEnum(PERMIT_STATUSES)),
    category: Type.Optional(PremisesCategorySchema),
    countyCode: Type.Optional(CountyCodeSchema),
    from: Type.Optional(DateSchema),
    to: Type.Optional(DateSchema),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000]*$' })),
    flag: Type.Optional(StringEnum(['override'] as const)),
    ...PagingQuery,
  },
  { additionalProperties: false },
)
export type PermitQuery = Static<typeof PermitQuerySchema>

export const PermitPageSchema = Type.Object({
  numberMatched: Type.Integer(),
  numberReturned: Type.Integer(),
  permits: Type.Array(PermitSchema),
})
export type PermitPage = Static<typeof PermitPageSchema>

export const CreateDecisionSchema = Type.Object(
  {
    decision: StringEnum(['approve', 'reject'] as const),
    reason: Text(2000),
    version: Type.Integer({ minimum: 1, maximum: 2147483647 }),
    overrideJustification: Type.Optional(Text(2000)),
    rectification: Type.Optional(
      Type.Object(
        {
          measure: StringEnum(RECTIFICATION_MEASURES, { description: 'relocate out of the zone, or close' }),
          deadline: DateSchema,
        },
        { additionalProperties: false, description: 'required to approve a renewal whose screening carries rectification guidance' },
      ),
    ),
  },
  { additionalProperties: false },
)
export type CreateDecision = Static<typeof CreateDecisionSchema>

export const AuditQuerySchema = Type.Object(
  {
    entityType: Type.Optional(Type.String({ pattern: '^[a-z_]{1,40}$' })),
    entityId: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z_-]{1,64}$' })),
    username: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
    action: Type.Optional(Type.String({ pattern: '^[a-z_]{1,40}$' })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    tokenId: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'entries made with this API token' })),
    ...PagingQuery,
  },
  { additionalProperties: false },
)
export type AuditQuery = Static<typeof AuditQuerySchema>

export const AuditEntrySchema = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  userId: Nullable(Type.Integer()),
  username: Nullable(Type.String()),
  role: Nullable(Type.String()),
  department: Nullable(Type.String()),
  action: Type.String(),
  entityType: Type.String(),
  entityId: Nullable(Type.String()),
  before: Type.Unknown(),
  after: Type.Unknown(),
  requestId: Nullable(Type.String()),
  token: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() }, { description: 'the API token the request was made with' })),
})
export type AuditEntry = Static<typeof AuditEntrySchema>
export const AuditPageSchema = Type.Object({
  numberMatched: Type.Integer(),
  numberReturned: Type.Integer(),
  entries: Type.Array(AuditEntrySchema),
})
export type AuditPage = Static<typeof AuditPageSchema>
