import { Type, type Static } from 'typebox'
import { Nullable, StringEnum } from './common.ts'

/**
 * The school registry's staffing facts that §7 (and §8, §11) of the Guyuan opinions set minimums for, and the
 * compliance findings computed from them. Every field may be null: not recorded, which the audit reports as
 * unknown instead of guessing.
 */
const staff = (description: string) => Type.Integer({ minimum: 0, maximum: 10_000, description })

export const DormitorySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000]*$', description: 'e.g. 1号宿舍楼' }),
    girls: Type.Boolean({ description: 'houses girls (a female manager is required, §7)' }),
    managers: Type.Integer({ minimum: 0, maximum: 1000, description: 'dormitory managers of the building, women included' }),
    femaleManagers: Type.Integer({ minimum: 0, maximum: 1000, description: 'of whom women' }),
  },
  { additionalProperties: false },
)
export type Dormitory = Static<typeof DormitorySchema>

/** The input fields, spread into the school's properties (POST, PATCH, import). */
export const staffingInputFields = {
  guards: Type.Optional(Nullable(staff('full-time qualified security guards (专职保安员)'))),
  doctors: Type.Optional(Nullable(staff('school doctors or medical staff (校医或专业医务人员)'))),
  psychologyTeachers: Type.Optional(Nullable(staff('full- or part-time psychological-health teachers (专兼职心理健康教育教师)'))),
  boardingStudents: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'students who board' }))),
  dormitories: Type.Optional(
    Nullable(
      Type.Array(DormitorySchema, { maxItems: 100, description: 'dormitory buildings (宿舍楼); [] for none, null for not recorded' }),
    ),
  ),
  alarmLinkedToPolice: Type.Optional(
    Nullable(Type.Boolean({ description: 'the one-button emergency alarm is linked to the police (接入公安机关报警平台)' })),
  ),
}

/** The same fields as a stored school answers them (null = not recorded). */
export const staffingOutputFields = {
  guards: Nullable(Type.Integer()),
  doctors: Nullable(Type.Integer()),
  psychologyTeachers: Nullable(Type.Integer()),
  boardingStudents: Nullable(Type.Integer()),
  dormitories: Nullable(Type.Array(DormitorySchema)),
  alarmLinkedToPolice: Nullable(Type.Boolean()),
}

export const FINDING_CODES = [
  'guards',
  'doctor',
  'psychology_teacher',
  'dormitory_manager',
  'dormitory_female_manager',
  'dormitories_recorded',
  'police_alarm',
] as const
export type FindingCode = (typeof FINDING_CODES)[number]
export const FINDING_STATUSES = ['met', 'not_met', 'unknown'] as const
export type FindingStatus = (typeof FINDING_STATUSES)[number]

export const StaffingFindingSchema = Type.Object({
  code: StringEnum(FINDING_CODES),
  clause: Type.String({ description: 'the clause of the Guyuan opinions, e.g. §7' }),
  status: StringEnum(FINDING_STATUSES, { description: 'unknown: a fact the rule needs is not recorded' }),
  required: Type.Union([Type.Integer(), Type.Boolean()], { description: 'the minimum (a head count) or true for a yes/no rule' }),
  actual: Nullable(Type.Union([Type.Integer(), Type.Boolean()])),
  subject: Type.Optional(Type.String({ description: 'the dormitory building a finding is about' })),
  text: Type.String({ description: 'the finding in Chinese, with required and actual' }),
  basis: Type.String({ description: 'the rule as the clause states it' }),
})
export type StaffingFinding = Static<typeof StaffingFindingSchema>

export const StaffingComplianceSchema = Type.Object({
  status: StringEnum(['compliant', 'not_compliant', 'incomplete'] as const, {
    description: 'not_compliant when any finding is not met; incomplete when none is unmet but some are unknown',
  }),
  headCount: Nullable(Type.Integer({ description: 'students + staff (在校师生员工), null when either is not recorded' })),
  met: Type.Integer(),
  notMet: Type.Integer(),
  unknown: Type.Integer(),
  findings: Type.Array(StaffingFindingSchema),
})
export type StaffingCompliance = Static<typeof StaffingComplianceSchema>
