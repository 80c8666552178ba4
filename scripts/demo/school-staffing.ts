/**
 * The §7 staffing facts of a generated demo school: guards, doctors, psychological-health teachers, boarding
 * students and dormitory buildings with their managers, and whether the emergency alarm is linked to the police.
 * Drawn from their own stream so the rest of the demo set is unchanged; most schools meet the rules, a fair share
 * miss one of them, and a few have facts not yet recorded, so the compliance figures show a mix.
 */
import type { Dormitory } from '../../server/schemas/staffing.ts'
import { requiredGuards } from '../../server/modules/schools-file/compliance.ts'
import type { Rng } from './random.ts'

export interface StaffingProperties {
  guards: number | null
  doctors: number | null
  psychologyTeachers: number | null
  boardingStudents: number | null
  dormitories: Dormitory[] | null
  alarmLinkedToPolice: boolean | null
}

/** The staffing facts of a school with this head count; `rng` is the school's own staffing stream. */
export function buildStaffing(rng: Rng, students: number, staff: number, boarding: boolean): StaffingProperties {
  const unrecorded = () => rng.chance(0.04)
  const required = requiredGuards(students + staff, boarding)
  const guards = unrecorded() ? null : rng.chance(0.78) ? required + (rng.chance(0.3) ? 1 : 0) : Math.max(0, required - rng.int(1, 2))
  const doctors = unrecorded() ? null : students >= 600 ? (rng.chance(0.8) ? rng.int(1, 2) : 0) : rng.chance(0.2) ? 1 : 0
  const psychologyTeachers = unrecorded() ? null : rng.chance(0.85) ? rng.int(1, students > 1500 ? 3 : 1) : 0
  const alarmLinkedToPolice = unrecorded() ? null : rng.chance(0.82)
  if (!boarding) return { guards, doctors, psychologyTeachers, boardingStudents: null, dormitories: [], alarmLinkedToPolice }
  const boardingStudents = Math.round(students * rng.range(0.3, 0.9))
  const buildings = Math.max(1, Math.ceil(boardingStudents / 400))
  const dormitories: Dormitory[] = []
  for (let b = 0; b < Math.max(2, buildings); b++) {
    const girls = b % 2 === 1
    const managers = rng.chance(0.9) ? rng.int(1, 3) : 0
    const femaleManagers = girls ? (rng.chance(0.85) ? Math.min(managers, rng.int(1, 2)) : 0) : rng.chance(0.3) ? Math.min(managers, 1) : 0
    dormitories.push({ name: `${b + 1}号${girls ? '女生' : '男生'}宿舍楼`, girls, managers, femaleManagers })
  }
  return { guards, doctors, psychologyTeachers, boardingStudents, dormitories: unrecorded() ? null : dormitories, alarmLinkedToPolice }
}
