/**
 * The staffing audit of a school under the Guyuan opinions (seed text, §7 "三防" construction, §8 police–school
 * links, §11 psychological health). Pure: registry facts in, findings out, each citing its clause with the
 * required and the actual figure. A fact that is not recorded gives an `unknown` finding, never a guess.
 */
import type { Dormitory, FindingStatus, StaffingCompliance, StaffingFinding } from '../../schemas/staffing.ts'

export interface StaffingFacts {
  students: number | null
  staff: number | null
  boarding: boolean
  guards: number | null
  doctors: number | null
  psychologyTeachers: number | null
  dormitories: readonly Dormitory[] | null
  alarmLinkedToPolice: boolean | null
}

const GUARDS_BASIS =
  '§7：在校师生员工人数少于100人的学校，至少配备1名专职保安员；100人以上、1000人以下的学校，至少配备2名；超过1000人的学校，每增加500名学生增配1名；寄宿制学校至少配备2名。'
const DOCTOR_BASIS = '§7：为在校学生600人以上的中小学校至少配备1名校医或专业医务人员。'
const DORMITORY_BASIS = '§7：寄宿制学校每栋宿舍楼至少配备1名宿舍管理员，女生宿舍楼要配备女性宿舍管理员。'
const PSYCHOLOGY_BASIS = '§11：每所学校至少配备一名专（兼）职心理健康教育教师。'
const ALARM_BASIS = '§7、§8：安装一键式紧急报警系统；校园视频监控系统、紧急报警装置须接入公安机关监控或报警平台。'

/**
 * The guards §7 requires for a head count (students + staff): 1 below 100 people, 2 from 100 to 1000, and one
 * more for every full 500 beyond 1000 (1,500 → 3, 2,000 → 4); a boarding school at least 2. The clause counts the
 * increments in students while its bands count everyone; the head count is used throughout so the figure does
 * not drop when staff are added.
 */
export function requiredGuards(headCount: number, boarding: boolean): number {
  const byCount = headCount < 100 ? 1 : headCount <= 1000 ? 2 : 2 + Math.floor((headCount - 1000) / 500)
  return boarding ? Math.max(2, byCount) : byCount
}

/** Students from which §7 requires a school doctor. */
export const DOCTOR_FROM_STUDENTS = 600

const statusOf = (actual: number | boolean | null, ok: boolean): FindingStatus => (actual === null ? 'unknown' : ok ? 'met' : 'not_met')
const show = (value: number | null, unit: string) => (value === null ? '未登记' : `${value} ${unit}`)

/** Every staffing finding for a school, in the order of the clauses, with the overall status. */
export function staffingCompliance(facts: StaffingFacts): StaffingCompliance {
  const findings: StaffingFinding[] = []
  const headCount = facts.students === null || facts.staff === null ? null : facts.students + facts.staff

  // Guards (§7): against the head count, and at least two at a boarding school.
  if (headCount === null) {
    findings.push({
      code: 'guards',
      clause: '§7',
      status: 'unknown',
      required: facts.boarding ? 2 : 1,
      actual: facts.guards,
      text: `专职保安员：在校学生或教职工人数未登记，无法确定应配人数（寄宿制学校至少 2 名）；现有 ${show(facts.guards, '名')}`,
      basis: GUARDS_BASIS,
    })
  } else {
    const required = requiredGuards(headCount, facts.boarding)
    findings.push({
      code: 'guards',
      clause: '§7',
      status: statusOf(facts.guards, (facts.guards ?? 0) >= required),
      required,
      actual: facts.guards,
      text: `专职保安员：师生员工 ${headCount} 人${facts.boarding ? '，寄宿制' : ''}，应配至少 ${required} 名，现有 ${show(facts.guards, '名')}`,
      basis: GUARDS_BASIS,
    })
  }

  // School doctor (§7): from 600 students.
  if (facts.students === null) {
    findings.push({
      code: 'doctor',
      clause: '§7',
      status: 'unknown',
      required: 1,
      actual: facts.doctors,
      text: `校医：在校学生人数未登记，无法判断是否须配备（600 人以上须至少 1 名）；现有 ${show(facts.doctors, '名')}`,
      basis: DOCTOR_BASIS,
    })
  } else {
    const required = facts.students >= DOCTOR_FROM_STUDENTS ? 1 : 0
    findings.push({
      code: 'doctor',
      clause: '§7',
      status: required === 0 ? 'met' : statusOf(facts.doctors, (facts.doctors ?? 0) >= required),
      required,
      actual: facts.doctors,
      text:
        required === 0
          ? `校医：在校学生 ${facts.students} 人，不足 600 人，不作强制要求；现有 ${show(facts.doctors, '名')}`
          : `校医：在校学生 ${facts.students} 人（600 人以上），应配至少 1 名，现有 ${show(facts.doctors, '名')}`,
      basis: DOCTOR_BASIS,
    })
  }

  // Dormitory managers (§7): boarding schools, one per building, a woman for a girls' building.
  if (facts.boarding) {
    if (facts.dormitories === null || facts.dormitories.length === 0) {
      findings.push({
        code: 'dormitories_recorded',
        clause: '§7',
        status: 'unknown',
        required: true,
        actual: null,
        text: '宿舍管理员：寄宿制学校，但宿舍楼未登记，无法核对每栋宿舍楼的管理员',
        basis: DORMITORY_BASIS,
      })
    } else {
      for (const building of facts.dormitories) {
        findings.push({
          code: 'dormitory_manager',
          clause: '§7',
          status: building.managers >= 1 ? 'met' : 'not_met',
          required: 1,
          actual: building.managers,
          subject: building.name,
          text: `宿舍管理员（${building.name}${building.girls ? '，女生宿舍楼' : ''}）：应配至少 1 名，现有 ${building.managers} 名`,
          basis: DORMITORY_BASIS,
        })
        if (building.girls) {
          findings.push({
            code: 'dormitory_female_manager',
            clause: '§7',
            status: building.femaleManagers >= 1 ? 'met' : 'not_met',
            required: 1,
            actual: building.femaleManagers,
            subject: building.name,
            text: `女性宿舍管理员（${building.name}，女生宿舍楼）：应配至少 1 名，现有 ${building.femaleManagers} 名`,
            basis: DORMITORY_BASIS,
          })
        }
      }
    }
  }

  // Psychological-health teacher (§11): every school.
  findings.push({
    code: 'psychology_teacher',
    clause: '§11',
    status: statusOf(facts.psychologyTeachers, (facts.psychologyTeachers ?? 0) >= 1),
    required: 1,
    actual: facts.psychologyTeachers,
    text: `心理健康教育教师：每校至少 1 名（专职或兼职），现有 ${show(facts.psychologyTeachers, '名')}`,
    basis: PSYCHOLOGY_BASIS,
  })

  // The emergency alarm linked to the police (§7 one-button alarm, §8 linked to the police platform).
  findings.push({
    code: 'police_alarm',
    clause: '§7、§8',
    status: statusOf(facts.alarmLinkedToPolice, facts.alarmLinkedToPolice === true),
    required: true,
    actual: facts.alarmLinkedToPolice,
    text: `一键式紧急报警接入公安机关：${facts.alarmLinkedToPolice === null ? '未登记' : facts.alarmLinkedToPolice ? '已接入' : '未接入'}`,
    basis: ALARM_BASIS,
  })

  const count = (status: FindingStatus) => findings.filter((f) => f.status === status).length
  const notMet = count('not_met')
  const unknown = count('unknown')
  return {
    status: notMet > 0 ? 'not_compliant' : unknown > 0 ? 'incomplete' : 'compliant',
    headCount,
    met: count('met'),
    notMet,
    unknown,
    findings,
  }
}
