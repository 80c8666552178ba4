import { Type, type Static } from 'typebox'
import { CountyCodeSchema, DEPARTMENTS, PremisesCategorySchema, StringEnum } from './common.ts'

const DATE_PATTERN = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'

/** The reports the governance desk hands to a meeting, and the formats each comes in. */
export const REPORT_NAMES = ['conflicts', 'hazards', 'compliance', 'permits', 'patrols'] as const
export type ReportName = (typeof REPORT_NAMES)[number]
export const REPORT_FORMATS = ['xlsx', 'csv', 'pdf'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

export const ReportParamsSchema = Type.Object(
  {
    name: StringEnum(REPORT_NAMES, {
      description:
        'conflicts (county × category × band), hazards (state, grade, overdue by county and department), compliance (§7 staffing), permits (decisions and overrides), patrols (daily coverage of the schools)',
    }),
    format: StringEnum(REPORT_FORMATS, {
      description: 'xlsx: summary sheets and the items as the last sheet; csv: the items, UTF-8 with a BOM; pdf: the summary with charts',
    }),
  },
  { additionalProperties: false },
)
export type ReportParams = Static<typeof ReportParamsSchema>

export const ReportQuerySchema = Type.Object(
  {
    countyCode: Type.Optional(CountyCodeSchema),
    department: Type.Optional(
      StringEnum(DEPARTMENTS, {
        description: 'conflicts and permits: the categories the department licenses; hazards: the responsible department',
      }),
    ),
    category: Type.Optional(PremisesCategorySchema),
    from: Type.Optional(
      Type.String({
        pattern: DATE_PATTERN,
        description: 'YYYY-MM-DD, first day (China Standard Time): conflicts detected, hazards found, permits decided, patrol days',
      }),
    ),
    to: Type.Optional(Type.String({ pattern: DATE_PATTERN, description: 'YYYY-MM-DD, last day, inclusive' })),
  },
  { additionalProperties: false },
)
export type ReportQuery = Static<typeof ReportQuerySchema>
