/** The §7/§11 staffing audit: every threshold at and either side of its boundary, unknowns, dormitories and the overall status. */
import { describe, expect, it } from 'vitest'
import { requiredGuards, staffingCompliance, type StaffingFacts } from '../../server/modules/schools-file/compliance.ts'

const complete: StaffingFacts = {
  students: 500,
  staff: 40,
  boarding: false,
  guards: 2,
  doctors: 0,
  psychologyTeachers: 1,
  dormitories: [],
  alarmLinkedToPolice: true,
}
const finding = (facts: Partial<StaffingFacts>, code: string) => {
  const found = staffingCompliance({ ...complete, ...facts }).findings.filter((f) => f.code === code)
  expect(found.length, code).toBeGreaterThan(0)
  return found
}

describe('guards (§7)', () => {
  it.each([
    [1, false, 1],
    [99, false, 1],
    [100, false, 2],
    [1000, false, 2],
    [1001, false, 2],
    [1499, false, 2],
    [1500, false, 3],
    [1999, false, 3],
    [2000, false, 4],
    [3200, false, 6],
    [50, true, 2],
    [800, true, 2],
    [2600, true, 5],
  ])('%i people, boarding %s → at least %i', (people, boarding, required) => {
    expect(requiredGuards(people, boarding)).toBe(required)
  })

  it('counts students and staff together, and compares with the guards on record', () => {
    const [under] = finding({ students: 1400, staff: 100, guards: 2 }, 'guards')
    expect(under).toMatchObject({ clause: '§7', status: 'not_met', required: 3, actual: 2 })
    expect(under!.text).toContain('1500')
    const [met] = finding({ students: 1400, staff: 100, guards: 3 }, 'guards')
    expect(met).toMatchObject({ status: 'met', required: 3, actual: 3 })
  })

  it('a small boarding school needs two', () => {
    expect(finding({ students: 60, staff: 10, boarding: true, guards: 1 }, 'guards')[0]).toMatchObject({
      status: 'not_met',
      required: 2,
      actual: 1,
    })
    expect(finding({ students: 60, staff: 10, boarding: false, guards: 1 }, 'guards')[0]).toMatchObject({ status: 'met', required: 1 })
  })

  it('is unknown when the guards or the head count are not recorded', () => {
    expect(finding({ guards: null }, 'guards')[0]).toMatchObject({ status: 'unknown', required: 2, actual: null })
    expect(finding({ staff: null, guards: 5 }, 'guards')[0]).toMatchObject({ status: 'unknown', actual: 5 })
  })
})

describe('school doctor (§7)', () => {
  it('is required from 600 students, not below', () => {
    expect(finding({ students: 599, doctors: 0 }, 'doctor')[0]).toMatchObject({ status: 'met', required: 0 })
    expect(finding({ students: 600, doctors: 0 }, 'doctor')[0]).toMatchObject({ clause: '§7', status: 'not_met', required: 1, actual: 0 })
    expect(finding({ students: 600, doctors: 1 }, 'doctor')[0]).toMatchObject({ status: 'met', required: 1, actual: 1 })
    expect(finding({ students: 900, doctors: null }, 'doctor')[0]).toMatchObject({ status: 'unknown', required: 1 })
    expect(finding({ students: null }, 'doctor')[0]).toMatchObject({ status: 'unknown' })
  })
})

describe('psychological-health teacher (§11)', () => {
  it('every school needs one', () => {
    expect(finding({ psychologyTeachers: 0 }, 'psychology_teacher')[0]).toMatchObject({ clause: '§11', status: 'not_met', required: 1 })
    expect(finding({ psychologyTeachers: 1 }, 'psychology_teacher')[0]).toMatchObject({ status: 'met' })
    expect(finding({ psychologyTeachers: null }, 'psychology_teacher')[0]).toMatchObject({ status: 'unknown' })
  })
})

describe('dormitory managers (§7)', () => {
  const boarding = { boarding: true, guards: 2 }
  it('one manager per building, and a woman for a girls’ building', () => {
    const result = staffingCompliance({
      ...complete,
      ...boarding,
      dormitories: [
        { name: '1号楼', girls: false, managers: 1, femaleManagers: 0 },
        { name: '2号楼', girls: true, managers: 2, femaleManagers: 0 },
        { name: '3号楼', girls: true, managers: 0, femaleManagers: 0 },
        { name: '4号楼', girls: true, managers: 1, femaleManagers: 1 },
      ],
    })
    const dorm = result.findings.filter((f) => f.code.startsWith('dormitory_'))
    expect(dorm.map((f) => [f.subject, f.code, f.status])).toEqual([
      ['1号楼', 'dormitory_manager', 'met'],
      ['2号楼', 'dormitory_manager', 'met'],
      ['2号楼', 'dormitory_female_manager', 'not_met'],
      ['3号楼', 'dormitory_manager', 'not_met'],
      ['3号楼', 'dormitory_female_manager', 'not_met'],
      ['4号楼', 'dormitory_manager', 'met'],
      ['4号楼', 'dormitory_female_manager', 'met'],
    ])
    expect(dorm.every((f) => f.clause === '§7')).toBe(true)
    expect(result.status).toBe('not_compliant')
    expect(result.notMet).toBe(3)
  })

  it('a boarding school without buildings on record is unknown; a day school has no dormitory finding', () => {
    expect(finding({ ...boarding, dormitories: null }, 'dormitories_recorded')[0]).toMatchObject({ status: 'unknown' })
    expect(finding({ ...boarding, dormitories: [] }, 'dormitories_recorded')[0]).toMatchObject({ status: 'unknown' })
    const day = staffingCompliance({ ...complete, dormitories: [{ name: '旧楼', girls: true, managers: 0, femaleManagers: 0 }] })
    expect(day.findings.some((f) => f.code.startsWith('dormitor'))).toBe(false)
  })
})

describe('alarm linked to the police (§7, §8)', () => {
  it('yes is met, no is not, missing is unknown', () => {
    expect(finding({ alarmLinkedToPolice: true }, 'police_alarm')[0]).toMatchObject({ clause: '§7、§8', status: 'met', actual: true })
    expect(finding({ alarmLinkedToPolice: false }, 'police_alarm')[0]).toMatchObject({ status: 'not_met', actual: false })
    expect(finding({ alarmLinkedToPolice: null }, 'police_alarm')[0]).toMatchObject({ status: 'unknown', actual: null })
  })
})

describe('overall status', () => {
  it('compliant when every finding is met, incomplete with unknowns only, not compliant with any unmet', () => {
    const ok = staffingCompliance(complete)
    expect(ok).toMatchObject({ status: 'compliant', headCount: 540, notMet: 0, unknown: 0 })
    expect(ok.met).toBe(ok.findings.length)
    expect(staffingCompliance({ ...complete, doctors: null, students: 700 })).toMatchObject({ status: 'incomplete', unknown: 1 })
    expect(staffingCompliance({ ...complete, guards: 1, alarmLinkedToPolice: null })).toMatchObject({
      status: 'not_compliant',
      notMet: 1,
      unknown: 1,
    })
    for (const f of ok.findings) {
      expect(f.basis).toMatch(/^§/)
      expect(f.text.length).toBeGreaterThan(5)
    }
  })
})
