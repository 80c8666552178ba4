import { Type, type Static } from 'typebox'
import { CountyCodeSchema, DateSchema, GeometryOutputSchema, IdSchema, Nullable, StringEnum } from './common.ts'

/** ISO 8601 with the China Standard Time offset, e.g. 2026-12-02T07:20:00+08:00. */
const LocalTimeSchema = Type.String({ description: 'ISO 8601 with +08:00 (China Standard Time)' })

export const CreatePatrolPlanSchema = Type.Object(
  {
    date: DateSchema,
    countyCode: Type.Optional(CountyCodeSchema),
    stationId: Type.Optional(IdSchema),
  },
  { additionalProperties: false },
)
export type CreatePatrolPlan = Static<typeof CreatePatrolPlanSchema>

export const PatrolPlanQuerySchema = Type.Object(
  {
    date: Type.Optional(DateSchema),
    countyCode: Type.Optional(CountyCodeSchema),
    stationId: Type.Optional(IdSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
  },
  { additionalProperties: false },
)
export type PatrolPlanQuery = Static<typeof PatrolPlanQuerySchema>

export const PatrolStopSchema = Type.Object({
  kind: StringEnum(['post', 'visit'] as const),
  schoolId: Type.Integer(),
  gate: Type.Optional(Type.Integer({ description: '1-based gate of the school (gate 1 is the main gate)' })),
  lon: Type.Number({ description: 'where the stop is (WGS 84): the gate, or a point of the campus for a school without gates' }),
  lat: Type.Number({ description: 'WGS 84 latitude of the stop' }),
  arriveAt: LocalTimeSchema,
  departAt: LocalTimeSchema,
})
export type PatrolStop = Static<typeof PatrolStopSchema>

export const PatrolPlanUnitSchema = Type.Object({
  unitId: Type.Integer(),
  name: Type.String(),
  mode: StringEnum(['car', 'foot'] as const),
  stops: Type.Array(PatrolStopSchema),
  // MultiLineString along the roads: base → stops → base, one line per leg (null for a unit with no stop).
  route: Nullable(GeometryOutputSchema),
  lengthM: Type.Number(),
})
export type PatrolPlanUnit = Static<typeof PatrolPlanUnitSchema>

export const PatrolPlanSchoolSchema = Type.Object({
  schoolId: Type.Integer(),
  urban: Type.Boolean(),
  required: Type.Integer(),
  planned: Type.Integer(),
})

/** Why a visit was not planned, for a screen to say in its own language (the reason says it in English). */
export const UNMET_VISIT_REASONS = [
  'no_active_unit',
  'no_unit_base_on_road',
  'school_off_road',
  'no_room_in_hours',
  'no_off_peak_time',
  'no_unit_on_shift',
  'no_unit_can_reach',
  'units_fully_booked',
] as const
export type UnmetVisitReason = (typeof UNMET_VISIT_REASONS)[number]

export const PatrolUnmetSchema = Type.Object({
  schoolId: Type.Integer(),
  kind: StringEnum(['post', 'visit'] as const),
  window: Type.Optional(Type.String({ description: 'the peak window of an unmet post' })),
  reason: Type.String(),
  reasonCode: Type.Optional(StringEnum(UNMET_VISIT_REASONS, { description: 'an unmet visit: the reason as a code' })),
  reasonValues: Type.Optional(
    Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), {
      description: 'the figures the reason names (hours, visit number, time span, visits, minutes)',
    }),
  ),
})
export type PatrolUnmet = Static<typeof PatrolUnmetSchema>

export const PatrolPlanSchema = Type.Object({
  id: Type.Integer(),
  date: Type.String(),
  countyCode: Nullable(Type.String()),
  stationId: Nullable(Type.Integer()),
  policyVersion: Type.Integer(),
  seed: Type.String(),
  units: Type.Array(PatrolPlanUnitSchema),
  schools: Type.Array(PatrolPlanSchoolSchema),
  unmet: Type.Array(PatrolUnmetSchema),
  lengthM: Type.Number(),
  lowerBoundM: Type.Number({ description: 'no plan making the same stops with these units can be shorter' }),
  nearestNeighbourM: Nullable(Type.Number({ description: 'length of a nearest-neighbour plan over the same posts' })),
  solver: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String(),
})
export type PatrolPlan = Static<typeof PatrolPlanSchema>

export const PatrolPlanSummarySchema = Type.Object({
  id: Type.Integer(),
  date: Type.String(),
  countyCode: Nullable(Type.String()),
  stationId: Nullable(Type.Integer()),
  policyVersion: Type.Integer(),
  units: Type.Integer(),
  stops: Type.Integer(),
  unmet: Type.Integer(),
  lengthM: Type.Number(),
  lowerBoundM: Type.Number(),
  createdAt: Type.String(),
})

export const PatrolPlanPageSchema = Type.Object({
  numberMatched: Type.Integer(),
  numberReturned: Type.Integer(),
  plans: Type.Array(PatrolPlanSummarySchema),
})
export type PatrolPlanPage = Static<typeof PatrolPlanPageSchema>

export const PatrolPlanUnitParamsSchema = Type.Object({ id: IdSchema, unitId: IdSchema }, { additionalProperties: false })
