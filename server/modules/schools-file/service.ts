import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError } from '../../errors.ts'
import type { User } from '../../schemas/auth.ts'
import type { School } from '../../schemas/registry.ts'
import type { SchoolFile } from '../../schemas/school-file.ts'
import type { StaffingCompliance } from '../../schemas/staffing.ts'
import { getSchool } from '../registry/service.ts'
import { listConflicts, zone } from '../zones/service.ts'
import { staffingCompliance } from './compliance.ts'
import * as repository from './repository.ts'

/** A school's file lists at most this many conflicts (numberMatched says how many there are). */
const MAX_CONFLICTS = 1000

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
  const [county, zoneCollection, conflicts] = await Promise.all([
    repository.countyName(db, school.properties.countyCode),
    zone(db, id),
    listConflicts(db, { schoolId: id, limit: MAX_CONFLICTS, offset: 0 }),
  ])
  return {
    school,
    county: { code: school.properties.countyCode, name: county ?? null },
    zone: zoneCollection,
    conflicts: { numberMatched: conflicts.numberMatched, items: conflicts.conflicts },
    hazards: null,
    inspections: null,
    patrol: null,
    warningSigns: null,
    cameras: null,
    staffing: complianceOf(school),
    generatedAt: now.toISOString(),
  }
}
