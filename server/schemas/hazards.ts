import { Type, type Static } from 'typebox'
import { CountyCodeSchema, DateSchema, DepartmentSchema, IdSchema, Nullable, PagingQuery, PositionSchema, StringEnum } from './common.ts'
import {
  ATTACHMENT_PHASES,
  ATTACHMENT_TYPES,
  CLOSE_REASONS,
  ESCALATION_STEPS,
  HAZARD_ACTIONS,
  HAZARD_GRADES,
  HAZARD_KINDS,
  HAZARD_SOURCES,
  HAZARD_STATES,
  INSPECTION_EVERY,
  INSPECTION_ITEMS,
  INSPECTION_LEVELS,
  INSPECTION_RESULTS,
} from './hazard-vocabulary.ts'

export * from './hazard-vocabulary.ts'

// PostgreSQL text cannot hold U+0000: refuse it at the edge rather than as a database error.
const Text = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, pattern: '^[^\\u0000]*[^\\u0000\\s][^\\u0000]*$', ...(description ? { description } : {}) })

export const HazardKindSchema = StringEnum(HAZARD_KINDS)
export const HazardGradeSchema = StringEnum(HAZARD_GRADES, { description: 'general 一般 or major 重大' })
export const HazardSourceSchema = StringEnum(HAZARD_SOURCES)
export const HazardStateSchema = StringEnum(HAZARD_STATES)
export const CloseReasonSchema = StringEnum(CLOSE_REASONS)
export const EscalationStepSchema = StringEnum(ESCALATION_STEPS, { description: 'notice 通报 → ordered 限期整改 → listed 挂牌督办' })
export const InspectionLevelSchema = StringEnum(INSPECTION_LEVELS)

/** The five fixed items (五落实), each optional in a request; all five are required before `rectifying`. */
const fiveFixed = {
  responsibleParty: Type.Optional(Text(200, 'responsible party (责任落实)')),
  measures: Type.Optional(Text(4000, 'measures (措施落实)')),
  funds: Type.Optional(Text(200, 'funds (资金落实), e.g. "2万元，区财政"')),
  deadline: Type.Optional(DateSchema),
  contingencyPlan: Type.Optional(Text(4000, 'contingency plan (预案落实)')),
}

export const CreateHazardSchema = Type.Object(
  {
    schoolId: IdSchema,
    premisesId: Type.Optional(IdSchema),
    kind: HazardKindSchema,
    grade: Type.Optional(HazardGradeSchema),
    title: Text(200),
    description: Type.Optional(Text(4000)),
    position: Type.Optional(PositionSchema),
    source: HazardSourceSchema,
    department: DepartmentSchema,
    foundAt: Type.Optional(Type.String({ format: 'date-time', description: 'when it was found (an existing ledger keeps its dates)' })),
    state: Type.Optional(
      HazardStateSchema,
      // Taking over an existing ledger: only a governance supervisor or an admin may enter a later state.
    ),
    closeReason: Type.Optional(CloseReasonSchema),
    ...fiveFixed,
  },
  { additionalProperties: false },
)
export type CreateHazard = Static<typeof CreateHazardSchema>

export const TransitionSchema = Type.Object(
  {
    to: Type.Optional(HazardStateSchema),
    action: Type.Optional(StringEnum(HAZARD_ACTIONS, { description: 'an action that changes no state; send it instead of `to`' })),
    note: Type.Optional(Text(4000)),
    version: Type.Integer({ minimum: 1, description: 'the version read; a stale one is 409' }),
    grade: Type.Optional(HazardGradeSchema),
    closeReason: Type.Optional(CloseReasonSchema),
    ...fiveFixed,
  },
  { additionalProperties: false },
)
export type Transition = Static<typeof TransitionSchema>

export const HazardSchema = Type.Object({
  id: Type.Integer(),
  schoolId: Type.Integer(),
  schoolName: Type.String(),
  premisesId: Nullable(Type.Integer()),
  premisesName: Nullable(Type.String()),
  kind: HazardKindSchema,
  grade: HazardGradeSchema,
  title: Type.String(),
  description: Nullable(Type.String()),
  position: Nullable(Type.Object({ type: Type.Literal('Point'), coordinates: Type.Array(Type.Number()) })),
  source: HazardSourceSchema,
  department: DepartmentSchema,
  countyCode: CountyCodeSchema,
  state: HazardStateSchema,
  closeReason: Nullable(CloseReasonSchema),
  responsibleParty: Nullable(Type.String()),
  measures: Nullable(Type.String()),
  funds: Nullable(Type.String()),
  deadline: Nullable(Type.String()),
  contingencyPlan: Nullable(Type.String()),
  extensionRequest: Nullable(
    Type.Object({
      deadline: Type.String(),
      reason: Nullable(Type.String()),
      requestedBy: Nullable(Type.Integer()),
      requestedAt: Type.String(),
    }),
  ),
  rectifiedAt: Nullable(Type.String({ format: 'date-time' })),
  rectifiedBy: Nullable(Type.Integer()),
  awaitingAcceptance: Type.Boolean({ description: 'rectification reported done, acceptance (验收) pending' }),
  acceptedAt: Nullable(Type.String({ format: 'date-time' })),
  acceptedBy: Nullable(Type.Integer()),
  reportedUpAt: Nullable(Type.String({ format: 'date-time', description: 'a major hazard reported up to the governance office' })),
  foundAt: Type.String({ format: 'date-time' }),
  closedAt: Nullable(Type.String({ format: 'date-time' })),
  conflictClearedAt: Nullable(Type.String({ format: 'date-time' })),
  overdue: Type.Boolean(),
  daysOverdue: Type.Integer({ description: 'days past the deadline (China Standard Time), 0 when not overdue' }),
  escalation: Nullable(EscalationStepSchema),
  allowedNext: Type.Array(HazardStateSchema, { description: 'the states the loop allows next (the caller’s role aside)' }),
  demo: Type.Boolean(),
  version: Type.Integer(),
  createdBy: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
export type Hazard = Static<typeof HazardSchema>

export const HazardEventSchema = Type.Object({
  id: Type.Integer(),
  action: Type.String(),
  fromState: Nullable(HazardStateSchema),
  toState: HazardStateSchema,
  note: Nullable(Type.String()),
  fields: Type.Unknown(),
  actorId: Nullable(Type.Integer()),
  actor: Nullable(Type.String()),
  at: Type.String({ format: 'date-time' }),
})
export type HazardEvent = Static<typeof HazardEventSchema>

export const HazardEscalationSchema = Type.Object({
  step: EscalationStepSchema,
  deadline: Type.String(),
  daysOverdue: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
})
export type HazardEscalation = Static<typeof HazardEscalationSchema>

export const AttachmentSchema = Type.Object({
  id: Type.Integer(),
  hazardId: Type.Integer(),
  sha256: Type.String(),
  contentType: StringEnum(ATTACHMENT_TYPES),
  filename: Type.String(),
  bytes: Type.Integer(),
  phase: StringEnum(ATTACHMENT_PHASES),
  createdBy: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
})
export type Attachment = Static<typeof AttachmentSchema>

export const HazardDetailSchema = Type.Intersect([
  HazardSchema,
  Type.Object({
    events: Type.Array(HazardEventSchema),
    escalations: Type.Array(HazardEscalationSchema),
    attachments: Type.Array(AttachmentSchema),
  }),
])
export type HazardDetail = Static<typeof HazardDetailSchema>

export const HazardQuerySchema = Type.Object(
  {
    state: Type.Optional(HazardStateSchema),
    grade: Type.Optional(HazardGradeSchema),
    kind: Type.Optional(HazardKindSchema),
    countyCode: Type.Optional(CountyCodeSchema),
    department: Type.Optional(DepartmentSchema),
    schoolId: Type.Optional(IdSchema),
    overdue: Type.Optional(Type.Boolean()),
    open: Type.Optional(Type.Boolean({ description: 'only hazards still in the loop (not accepted or closed)' })),
    ...PagingQuery,
  },
  { additionalProperties: false },
)
export type HazardQuery = Static<typeof HazardQuerySchema>

export const HazardPageSchema = Type.Object({
  numberMatched: Type.Integer(),
  numberReturned: Type.Integer(),
  hazards: Type.Array(HazardSchema),
})
export type HazardPage = Static<typeof HazardPageSchema>

export const AttachmentQuerySchema = Type.Object(
  {
    phase: Type.Optional(StringEnum(ATTACHMENT_PHASES, { description: 'before, after or evidence (default before)' })),
    filename: Type.Optional(Text(255, 'the file name to keep (a multipart upload carries its own)')),
  },
  { additionalProperties: false },
)
export type AttachmentQuery = Static<typeof AttachmentQuerySchema>
export const AttachmentParamsSchema = Type.Object({ id: IdSchema, attachmentId: IdSchema }, { additionalProperties: false })
export const AttachmentCreatedSchema = Type.Object({
  id: Type.Integer(),
  sha256: Type.String(),
  contentType: StringEnum(ATTACHMENT_TYPES),
  bytes: Type.Integer(),
  phase: StringEnum(ATTACHMENT_PHASES),
  filename: Type.String(),
})

export const InboxItemSchema = Type.Object({
  reason: StringEnum(['assigned', 'overdue', 'awaiting_acceptance', 'extension_request', 'reported_up', 'inspection_overdue'] as const),
  hazard: Nullable(HazardSchema),
  inspection: Nullable(
    Type.Object({
      schoolId: Type.Integer(),
      schoolName: Type.String(),
      level: InspectionLevelSchema,
      every: StringEnum(INSPECTION_EVERY),
      lastDoneAt: Nullable(Type.String()),
      dueBy: Type.String(),
    }),
  ),
})
export const InboxSchema = Type.Object({
  department: DepartmentSchema,
  counts: Type.Record(Type.String(), Type.Integer()),
  numberReturned: Type.Integer(),
  items: Type.Array(InboxItemSchema),
})
export type Inbox = Static<typeof InboxSchema>
export type InboxItem = Static<typeof InboxItemSchema>

export const ChecklistItemSchema = Type.Object(
  {
    item: StringEnum(INSPECTION_ITEMS),
    result: StringEnum(INSPECTION_RESULTS),
    note: Type.Optional(Text(1000)),
  },
  { additionalProperties: false },
)
export const CreateInspectionSchema = Type.Object(
  {
    schoolId: IdSchema,
    level: InspectionLevelSchema,
    doneAt: Type.Optional(Type.String({ format: 'date-time' })),
    inspector: Text(100),
    checklist: Type.Array(ChecklistItemSchema, { minItems: 1, maxItems: INSPECTION_ITEMS.length }),
    findings: Type.Optional(Text(4000)),
    hazardIds: Type.Optional(Type.Array(IdSchema, { maxItems: 100 })),
  },
  { additionalProperties: false },
)
export type CreateInspection = Static<typeof CreateInspectionSchema>
export const InspectionSchema = Type.Object({
  id: Type.Integer(),
  schoolId: Type.Integer(),
  level: InspectionLevelSchema,
  doneAt: Type.String({ format: 'date-time' }),
  inspector: Type.String(),
  checklist: Type.Array(ChecklistItemSchema),
  findings: Nullable(Type.String()),
  hazardIds: Type.Array(Type.Integer()),
  countyCode: CountyCodeSchema,
  createdBy: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
})
export type Inspection = Static<typeof InspectionSchema>
export const InspectionDueSchema = Type.Object({
  level: InspectionLevelSchema,
  every: StringEnum(INSPECTION_EVERY),
  lastDoneAt: Nullable(Type.String({ format: 'date-time' })),
  dueBy: Type.String({ description: 'the last day (China Standard Time) by which the next inspection is due' }),
  overdue: Type.Boolean(),
})
export type InspectionDue = Static<typeof InspectionDueSchema>
export const InspectionQuerySchema = Type.Object(
  { schoolId: IdSchema, level: Type.Optional(InspectionLevelSchema), ...PagingQuery },
  { additionalProperties: false },
)
export type InspectionQuery = Static<typeof InspectionQuerySchema>
export const InspectionPageSchema = Type.Object({
  numberMatched: Type.Integer(),
  numberReturned: Type.Integer(),
  schedule: Type.Array(InspectionDueSchema),
  inspections: Type.Array(InspectionSchema),
})
export type InspectionPage = Static<typeof InspectionPageSchema>

export const HazardImportResultSchema = Type.Object({ imported: Type.Integer(), ids: Type.Array(Type.Integer()) })
