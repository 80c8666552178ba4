import { Type, type Static } from 'typebox'
import { Nullable } from './common.ts'
import { SchoolSchema } from './registry.ts'
import { StaffingComplianceSchema } from './staffing.ts'
import { ConflictSchema } from './zones.ts'

/** One school's file (一校一档): everything the governance office keeps on a school, as of `generatedAt`. */
const LonLat = Type.Object({ lon: Type.Number(), lat: Type.Number() })

export const FileHazardSchema = Type.Object({
  id: Type.Integer(),
  kind: Type.String(),
  grade: Type.String(),
  title: Type.String(),
  state: Type.String(),
  department: Nullable(Type.String()),
  premisesId: Nullable(Type.Integer()),
  foundAt: Type.String({ format: 'date-time' }),
  deadline: Nullable(Type.String({ description: 'YYYY-MM-DD' })),
  overdue: Type.Boolean({ description: 'open and past its deadline (China Standard Time)' }),
  closedAt: Nullable(Type.String({ format: 'date-time' })),
})
export type FileHazard = Static<typeof FileHazardSchema>

export const FileInspectionSchema = Type.Object({
  id: Type.Integer(),
  level: Type.String({ description: 'school (daily), township (weekly) or county (monthly)' }),
  doneAt: Type.String({ format: 'date-time' }),
  inspector: Nullable(Type.String()),
  findings: Nullable(Type.String()),
})
export type FileInspection = Static<typeof FileInspectionSchema>

export const PatrolDaySchema = Type.Object({
  date: Type.String({ description: 'YYYY-MM-DD, China Standard Time' }),
  visits: Type.Integer({ description: 'patrol visits recorded at the school that day' }),
  required: Type.Integer({ description: 'visits the patrol policy asks of this school (urban schools, §8)' }),
  met: Type.Boolean(),
})
export const FilePatrolSchema = Type.Object({
  urban: Type.Boolean(),
  from: Type.String(),
  to: Type.String(),
  days: Type.Array(PatrolDaySchema, { description: 'the last 7 days, oldest first' }),
  daysMet: Type.Integer(),
})
export type FilePatrol = Static<typeof FilePatrolSchema>

export const FileWarningSignSchema = Type.Object({
  id: Type.Integer(),
  state: Type.String(),
  installedOn: Nullable(Type.String()),
  note: Nullable(Type.String()),
  location: LonLat,
})
export const FileCameraSchema = Type.Object({
  id: Type.Integer(),
  state: Type.String(),
  gate: Nullable(Type.Integer()),
  linkedToPolice: Type.Boolean(),
  location: LonLat,
})

export const SchoolFileSchema = Type.Object({
  school: SchoolSchema,
  county: Type.Object({ code: Type.String(), name: Nullable(Type.String()) }),
  zone: Type.Object(
    { type: Type.Literal('FeatureCollection'), features: Type.Array(Type.Unknown()) },
    { description: 'the zone outline and bands in force for the school, as GET /api/schools/{id}/zone draws them' },
  ),
  conflicts: Type.Object({ numberMatched: Type.Integer(), items: Type.Array(ConflictSchema) }),
  hazards: Type.Object(
    { open: Type.Array(FileHazardSchema), closed: Type.Array(FileHazardSchema) },
    { description: 'the ledger: open (not yet accepted) newest first, then accepted and closed' },
  ),
  inspections: Type.Array(FileInspectionSchema, { description: 'the latest 50, newest first' }),
  patrol: FilePatrolSchema,
  warningSigns: Type.Array(FileWarningSignSchema),
  cameras: Type.Array(FileCameraSchema),
  staffing: StaffingComplianceSchema,
  generatedAt: Type.String({ format: 'date-time' }),
})
export type SchoolFile = Static<typeof SchoolFileSchema>
