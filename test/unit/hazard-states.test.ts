/**
 * The hazard loop (server/modules/hazards/states.ts) as pure rules: order, roles, required fields, four eyes,
 * extensions, closing without rectification, overdue days and the escalation ladder.
 */
import { describe, expect, it } from 'vitest'
import { AppError } from '../../server/errors.ts'
import { HAZARD_STATES, type HazardState } from '../../server/schemas/hazard-vocabulary.ts'
import {
  allowedNext,
  daysOverdue,
  entryProblems,
  escalationStep,
  LOOP,
  partiesOf,
  plan,
  type Caller,
  type HazardFacts,
  type MoveRequest,
} from '../../server/modules/hazards/states.ts'

const TODAY = '2026-12-01'
const FIVE = { responsibleParty: '张三', measures: '停业搬迁', funds: '2万元', deadline: '2026-12-31', contingencyPlan: '专人值守' }
const NONE = { responsibleParty: null, measures: null, funds: null, deadline: null, contingencyPlan: null }

const facts = (state: HazardState, extra: Partial<HazardFacts> = {}): HazardFacts => ({
  state,
  countyCode: '640402',
  departments: ['tobacco'],
  grade: 'general',
  fiveFixed: LOOP.indexOf(state) >= LOOP.indexOf('rectifying') ? FIVE : NONE,
  rectifiedBy: null,
  extension: null,
  hasEvidence: false,
  ...extra,
})
let nextId = 100
const caller = (department: Caller['department'], role: Caller['role'] = 'clerk', countyCode: string | null = null): Caller => ({
  id: (nextId += 1),
  department,
  role,
  countyCode,
})
const tobacco = caller('tobacco')
const tobaccoSupervisor = caller('tobacco', 'supervisor')
const governance = caller('governance')
const governanceSupervisor = caller('governance', 'supervisor')
const admin = caller('admin', 'admin')

function refusal(run: () => unknown): AppError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    return error as AppError
  }
  throw new Error('expected a refusal')
}

describe('the order of the loop', () => {
  it('allows from each open state only the next one and the side exit', () => {
    expect(allowedNext(facts('warning'))).toEqual(['inspected', 'closed_without_rectification'])
    expect(allowedNext(facts('monitored'))).toEqual(['rectifying', 'closed_without_rectification'])
    expect(allowedNext(facts('rectifying'))).toEqual(['closed_without_rectification'])
    expect(allowedNext(facts('rectifying', { rectifiedBy: 1 }))).toEqual(['accepted', 'rectifying', 'closed_without_rectification'])
    expect(allowedNext(facts('accepted'))).toEqual(['closed'])
    expect(allowedNext(facts('closed'))).toEqual([])
    expect(allowedNext(facts('closed_without_rectification'))).toEqual([])
  })

  it('refuses every move out of order with ILLEGAL_TRANSITION (409) naming the allowed next states', () => {
    let refused = 0
    for (const state of HAZARD_STATES) {
      for (const rectifiedBy of state === 'rectifying' ? [null, 1] : [null]) {
        const hazard = facts(state, { rectifiedBy, hasEvidence: true })
        const allowed = allowedNext(hazard)
        for (const to of HAZARD_STATES.filter((s) => !allowed.includes(s))) {
          const error = refusal(() =>
            plan(hazard, admin, { to, ...(to === 'closed_without_rectification' ? { closeReason: 'duplicate', note: 'x' } : {}) }, TODAY),
          )
          expect(error.code, `${state} → ${to}`).toBe('ILLEGAL_TRANSITION')
          expect(error.statusCode).toBe(409)
          expect((error.details as { allowed: string[] }).allowed).toEqual(allowed)
          for (const name of allowed) expect(error.message).toContain(name)
          refused += 1
        }
      }
    }
    // 10 states × 10 targets, less the allowed moves.
    expect(refused).toBeGreaterThan(70)
  })

  it('walks the whole loop from warning to closed with the right people', () => {
    let hazard = facts('warning')
    const walk: [MoveRequest, Caller][] = [
      [{ to: 'inspected' }, tobacco],
      [{ to: 'registered' }, governance],
      [{ to: 'assessed', grade: 'major' }, tobacco],
      [{ to: 'reported' }, tobacco],
      [{ to: 'monitored' }, tobacco],
      [{ to: 'rectifying', ...FIVE }, tobacco],
      [{ action: 'report_rectified' }, tobacco],
      [{ to: 'accepted' }, governance],
      [{ to: 'closed' }, governanceSupervisor],
    ]
    const states: string[] = [hazard.state]
    for (const [request, who] of walk) {
      const step = plan({ ...hazard, hasEvidence: true }, who, request, TODAY)
      hazard = {
        ...hazard,
        state: step.changes.state ?? hazard.state,
        grade: step.changes.grade ?? hazard.grade,
        fiveFixed: { ...hazard.fiveFixed, ...step.changes.fiveFixed },
        rectifiedBy: step.changes.rectifiedBy !== undefined ? step.changes.rectifiedBy : hazard.rectifiedBy,
      }
      states.push(hazard.state)
    }
    expect([...new Set(states)]).toEqual(LOOP)
    expect(hazard.grade).toBe('major')
  })

  it('sends a failed acceptance back to rectifying, clearing the report of it done', () => {
    const hazard = facts('rectifying', { rectifiedBy: tobacco.id })
    const step = plan(hazard, governance, { to: 'rectifying', note: '仍在营业' }, TODAY)
    expect(step.action).toBe('acceptance_failed')
    expect(step.changes).toEqual({ rectifiedBy: null })
    expect(refusal(() => plan(hazard, governance, { to: 'rectifying' }, TODAY)).message).toContain('note')
  })

  it('explains that acceptance needs the rectification reported done first', () => {
    const error = refusal(() => plan(facts('rectifying'), governance, { to: 'accepted' }, TODAY))
    expect(error.code).toBe('ILLEGAL_TRANSITION')
    expect(error.message).toContain('report_rectified')
  })

  it('wants exactly one of to and action', () => {
    expect(refusal(() => plan(facts('warning'), admin, {}, TODAY)).code).toBe('VALIDATION_FAILED')
    expect(refusal(() => plan(facts('rectifying'), admin, { to: 'accepted', action: 'report_rectified' }, TODAY)).code).toBe(
      'VALIDATION_FAILED',
    )
  })
})

describe('roles', () => {
  it('lets neither viewers, other departments nor users of another county move a hazard', () => {
    for (const who of [caller('governance', 'viewer'), caller('culture'), caller('tobacco', 'clerk', '640422'), caller('education')]) {
      const error = refusal(() => plan(facts('warning'), who, { to: 'inspected' }, TODAY))
      expect(error.code).toBe('FORBIDDEN')
    }
    expect(partiesOf(caller('tobacco', 'clerk', '640402'), facts('warning')).has('department')).toBe(true)
  })

  it('leaves closing (销号) to the governance office', () => {
    expect(refusal(() => plan(facts('accepted'), tobaccoSupervisor, { to: 'closed' }, TODAY)).code).toBe('FORBIDDEN')
    expect(plan(facts('accepted'), governance, { to: 'closed' }, TODAY).changes).toMatchObject({ state: 'closed', closed: true })
  })

  it('leaves acceptance to the governance office or a supervisor of the department, never a clerk of it', () => {
    const hazard = facts('rectifying', { rectifiedBy: 1, hasEvidence: true })
    expect(refusal(() => plan(hazard, tobacco, { to: 'accepted' }, TODAY)).code).toBe('FORBIDDEN')
    expect(plan(hazard, tobaccoSupervisor, { to: 'accepted' }, TODAY).changes.acceptedBy).toBe(tobaccoSupervisor.id)
  })

  it('lets admins pass every role rule', () => {
    expect(plan(facts('warning'), admin, { to: 'inspected' }, TODAY).to).toBe('inspected')
    expect(plan(facts('monitored'), admin, { to: 'closed_without_rectification', closeReason: 'duplicate', note: '同#1' }, TODAY).to).toBe(
      'closed_without_rectification',
    )
  })
})

describe('required fields', () => {
  it('requires the five fixed items before rectifying, naming each missing one', () => {
    const error = refusal(() => plan(facts('monitored'), tobacco, { to: 'rectifying', measures: '停业', funds: '1万元' }, TODAY))
    expect(error.statusCode).toBe(422)
    const fields = (error.details as { problems: { field: string }[] }).problems.map((p) => p.field)
    expect(fields).toEqual(['body/responsibleParty', 'body/deadline', 'body/contingencyPlan'])
    // Items entered at earlier steps count.
    const earlier = facts('monitored', { fiveFixed: { ...FIVE, contingencyPlan: null } })
    expect(plan(earlier, tobacco, { to: 'rectifying', contingencyPlan: '专人值守' }, TODAY).to).toBe('rectifying')
  })

  it('refuses a deadline already past and fields a move does not take', () => {
    expect(
      refusal(() => plan(facts('monitored'), tobacco, { to: 'rectifying', ...FIVE, deadline: '2026-11-30' }, TODAY)).message,
    ).toContain('past')
    expect(refusal(() => plan(facts('accepted'), governance, { to: 'closed', deadline: '2027-01-01' }, TODAY)).message).toContain(
      'deadline',
    )
    expect(refusal(() => plan(facts('warning'), tobacco, { to: 'inspected', closeReason: 'duplicate' }, TODAY)).message).toContain(
      'closeReason',
    )
  })

  it('checks what a hazard entered in a later state must carry', () => {
    expect(entryProblems('warning', NONE, undefined)).toEqual([])
    expect(entryProblems('rectifying', NONE, undefined).map((p) => p.field)).toEqual([
      'responsibleParty',
      'measures',
      'funds',
      'deadline',
      'contingencyPlan',
    ])
    expect(entryProblems('closed', FIVE, undefined)).toEqual([])
    expect(entryProblems('closed_without_rectification', NONE, undefined).map((p) => p.field)).toEqual(['closeReason'])
    expect(entryProblems('monitored', NONE, 'duplicate').map((p) => p.field)).toEqual(['closeReason'])
  })
})

describe('four eyes at acceptance', () => {
  it('refuses acceptance by the user who reported the rectification done, even an admin', () => {
    const hazard = facts('rectifying', { rectifiedBy: admin.id, hasEvidence: true })
    const error = refusal(() => plan(hazard, admin, { to: 'accepted' }, TODAY))
    expect(error.code).toBe('FORBIDDEN')
    expect(error.message).toContain('four eyes')
    expect(refusal(() => plan(hazard, admin, { to: 'rectifying', note: 'x' }, TODAY)).code).toBe('FORBIDDEN')
    expect(plan(hazard, governance, { to: 'accepted' }, TODAY).to).toBe('accepted')
  })

  it('refuses acceptance without evidence on file', () => {
    const error = refusal(() => plan(facts('rectifying', { rectifiedBy: 1 }), governance, { to: 'accepted' }, TODAY))
    expect(error.statusCode).toBe(422)
    expect(error.message).toContain('evidence')
  })
})

describe('deadline extensions', () => {
  const rectifying = facts('rectifying')

  it('is asked by the department with a later deadline and a reason, and stays pending', () => {
    const step = plan(rectifying, tobacco, { action: 'request_extension', deadline: '2027-01-31', note: '冬季停工' }, TODAY)
    expect(step.changes.extension).toEqual({ deadline: '2027-01-31', reason: '冬季停工', requestedBy: tobacco.id })
    expect(step.changes.deadline).toBeUndefined()
    expect(
      refusal(() => plan(rectifying, tobacco, { action: 'request_extension', deadline: '2026-12-15', note: 'x' }, TODAY)).message,
    ).toContain('later')
    expect(refusal(() => plan(rectifying, tobacco, { action: 'request_extension', deadline: '2027-01-31' }, TODAY)).message).toContain(
      'reason',
    )
    expect(
      refusal(() => plan(facts('warning'), tobacco, { action: 'request_extension', deadline: '2027-01-31', note: 'x' }, TODAY)).code,
    ).toBe('ILLEGAL_TRANSITION')
  })

  it('is approved (moving the deadline) or refused by a governance supervisor other than the requester', () => {
    const pending = facts('rectifying', { extension: { deadline: '2027-01-31', requestedBy: tobacco.id } })
    expect(refusal(() => plan(pending, tobacco, { action: 'request_extension', deadline: '2027-02-28', note: 'x' }, TODAY)).code).toBe(
      'ILLEGAL_TRANSITION',
    )
    expect(refusal(() => plan(pending, governance, { action: 'approve_extension' }, TODAY)).code).toBe('FORBIDDEN')
    const approved = plan(pending, governanceSupervisor, { action: 'approve_extension' }, TODAY)
    expect(approved.changes).toEqual({ extension: null, deadline: '2027-01-31' })
    const refused = plan(pending, governanceSupervisor, { action: 'refuse_extension', note: '理由不足' }, TODAY)
    expect(refused.changes).toEqual({ extension: null })
    expect(refusal(() => plan(pending, governanceSupervisor, { action: 'refuse_extension' }, TODAY)).message).toContain('reason')
    const own = facts('rectifying', { extension: { deadline: '2027-01-31', requestedBy: admin.id } })
    expect(refusal(() => plan(own, admin, { action: 'approve_extension' }, TODAY)).message).toContain('four eyes')
    expect(refusal(() => plan(rectifying, governanceSupervisor, { action: 'approve_extension' }, TODAY)).code).toBe('ILLEGAL_TRANSITION')
  })
})

describe('closing without rectification', () => {
  it('is for supervisors, with a reason and a note, from any open state', () => {
    for (const state of LOOP.slice(0, 7)) {
      const step = plan(
        facts(state),
        tobaccoSupervisor,
        { to: 'closed_without_rectification', closeReason: 'transferred', note: '移交住建局' },
        TODAY,
      )
      expect(step.changes).toMatchObject({ state: 'closed_without_rectification', closeReason: 'transferred', closed: true })
    }
    expect(
      refusal(() => plan(facts('warning'), tobacco, { to: 'closed_without_rectification', closeReason: 'duplicate', note: 'x' }, TODAY))
        .code,
    ).toBe('FORBIDDEN')
    expect(
      refusal(() => plan(facts('warning'), governanceSupervisor, { to: 'closed_without_rectification', note: 'x' }, TODAY)).message,
    ).toContain('reason')
    expect(
      refusal(() => plan(facts('warning'), governanceSupervisor, { to: 'closed_without_rectification', closeReason: 'duplicate' }, TODAY))
        .message,
    ).toContain('note')
  })

  it('drops a pending extension request', () => {
    const pending = facts('rectifying', { extension: { deadline: '2027-01-31', requestedBy: 1 } })
    const step = plan(
      pending,
      governanceSupervisor,
      { to: 'closed_without_rectification', closeReason: 'not_responsible', note: '非本部门' },
      TODAY,
    )
    expect(step.changes.extension).toBeNull()
  })
})

describe('overdue days and the escalation ladder', () => {
  const ladder = [
    { step: 'notice', daysOverdue: 1 },
    { step: 'ordered', daysOverdue: 8 },
    { step: 'listed', daysOverdue: 31 },
  ] as const

  it('counts calendar days past the deadline, none on the day itself', () => {
    expect(daysOverdue(null, TODAY)).toBe(0)
    expect(daysOverdue('2026-12-01', TODAY)).toBe(0)
    expect(daysOverdue('2026-12-02', TODAY)).toBe(0)
    expect(daysOverdue('2026-11-30', TODAY)).toBe(1)
    expect(daysOverdue('2025-12-01', TODAY)).toBe(365)
    // Across the spring-forward of zones with summer time: still whole days.
    expect(daysOverdue('2026-03-01', '2026-04-01')).toBe(31)
  })

  it('takes the highest step reached', () => {
    expect(escalationStep(0, ladder)).toBeNull()
    expect(escalationStep(1, ladder)).toBe('notice')
    expect(escalationStep(7, ladder)).toBe('notice')
    expect(escalationStep(8, ladder)).toBe('ordered')
    expect(escalationStep(30, ladder)).toBe('ordered')
    expect(escalationStep(31, ladder)).toBe('listed')
    expect(escalationStep(400, ladder)).toBe('listed')
  })
})
