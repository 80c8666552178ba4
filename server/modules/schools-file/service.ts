import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError } from '../../errors.ts'
import type { User } from '../../schemas/auth.ts'
import type { School } from '../../schemas/registry.ts'
import type { FileHazard, SchoolFile } from '../../schemas/school-file.ts'
import type { StaffingCompliance } from '../../schemas/staffing.ts'
import { getSchool } from '../registry/service.ts'
import { listConflicts, zone } from '../zones/service.ts'
import { staffingCompliance } from './compliance.ts'
import * as repository from './repository.ts'

/** A school's file lists at most this many conflicts (numberMatched says how many there are). */
const MAX_CONFLICTS = 1000
const MAX_INSPECTIONS = 50
/** Patrol coverage is shown for this many days, today (China Standard Time) the last. */
const PATROL_DAYS = 7

const iso = (value: Date | string) => new Date(value).toISOString()
/** A YYYY-MM-DD date moved by whole days. */
export const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)

const hazardOf = (h: repository.HazardRow): FileHazard => ({
  id: h.id,
  kind: h.kind,
  grade: h.grade,
  title: h.title,
  state: h.state,
  department: h.department,
  premisesId: h.premises_id,
  foundAt: iso(h.found_at),
  deadline: h.deadline,
  overdue: Boolean(h.overdue),
  closedAt: h.closed_at === null ? null : iso(h.closed_at),
})

/** The staffing audit of a school as the registry holds it. */
export function complianceOf(school: School): StaffingCompliance {
  const p = school.properties
  return staffingCompliance({
    students: p.students,
    staff: p.staff,
    boarding: p.boarding,
    guards: p.guards,
    doctors: p.doctors,
    psychologyTeachers: p.psychologyTeachers,
    dormitories: p.dormitories,
    alarmLinkedToPolice: p.alarmLinkedToPolice,
  })
}

/** Refuses a county-scoped user a school of another county. */
export function assertCountyScope(user: User, countyCode: string): void {
  if (user.role !== 'admin' && user.countyCode && user.countyCode !== countyCode)
    throw new AppError('FORBIDDEN', `your scope is county ${user.countyCode}; school is in county ${countyCode}`)
}

/** One school's file (一校一档): registry facts, zone, conflicts, the ledger, police coverage and the staffing audit. */
export async function schoolFile(db: Kysely<Database>, id: number, user: User, now = new Date()): Promise<SchoolFile> {
  const school = await getSchool(db, id)
  assertCountyScope(user, school.properties.countyCode)
  const today = await repository.todayCst(db)
  const from = addDays(today, -(PATROL_DAYS - 1))
  const [county, zoneCollection, conflicts, hazards, inspections, patrol, devices] = await Promise.all([
    repository.countyName(db, school.properties.countyCode),
    zone(db, id),
    listConflicts(db, { schoolId: id, limit: MAX_CONFLICTS, offset: 0 }),
    repository.schoolHazards(db, id, today),
    repository.schoolInspections(db, id, MAX_INSPECTIONS),
    repository.patrolDays(db, id, from, today),
    repository.schoolDevices(db, id),
  ])
  const hazardItems = hazards.map(hazardOf)
  const closed = new Set<string>(repository.CLOSED_STATES)
  return {
    school,
    county: { code: school.properties.countyCode, name: county ?? null },
    zone: zoneCollection,
    conflicts: { numberMatched: conflicts.numberMatched, items: conflicts.conflicts },
    hazards: { open: hazardItems.filter((h) => !closed.has(h.state)), closed: hazardItems.filter((h) => closed.has(h.state)) },
    inspections: inspections.map((i) => ({
      id: i.id,
      level: i.level,
      doneAt: iso(i.done_at),
      inspector: i.inspector,
      findings: i.findings,
    })),
    patrol: {
      urban: patrol.urban,
      from,
      to: today,
      days: patrol.days.map((d) => ({ ...d, met: d.visits >= d.required })),
      daysMet: patrol.days.filter((d) => d.visits >= d.required).length,
    },
    warningSigns: devices.signs.map((w) => ({
      id: w.id,
      state: w.state,
      installedOn: w.installed_on,
      note: w.note,
      location: { lon: Number(w.lon), lat: Number(w.lat) },
    })),
    cameras: devices.cameras.map((c) => ({
      id: c.id,
      state: c.state,
      gate: c.gate,
      linkedToPolice: c.linked_to_police,
      location: { lon: Number(c.lon), lat: Number(c.lat) },
    })),
    staffing: complianceOf(school),
    generatedAt: now.toISOString(),
  }
}
