/**
 * The closed loop of §4 as code, in one place and pure (no database): which move may follow which state,
 * who may make it, what it needs, and what it changes. The service loads the hazard, asks plan(), and
 * writes what the plan says in one transaction.
 *
 * Who does what (decided here, documented in the README):
 * - the responsible department (its clerks and supervisors; for a zone_conflict hazard also the department
 *   licensing the premises' category) moves its hazard through the loop, fills in the five fixed items,
 *   reports the rectification done and asks for a deadline extension;
 * - the governance office (综治办, clerks and supervisors) may move any hazard through the loop, and
 *   accepts (验收) or fails an acceptance and closes (销号) accepted hazards;
 * - supervisors of the governance office or of the responsible department close a hazard without
 *   rectification (duplicate, not responsible, transferred) with a reason; governance supervisors decide
 *   extension requests;
 * - admins pass every role rule; nobody passes the four-eyes rules (acceptance and an extension decision
 *   by another user than the one who reported the rectification done or asked for the extension);
 * - viewers and other departments change nothing; county users act only within their county.
 */
import { AppError } from '../../errors.ts'
import {
  FIVE_FIXED,
  HAZARD_STATES,
  OPEN_HAZARD_STATES,
  type CloseReason,
  type FiveFixedItem,
  type HazardAction,
  type HazardGrade,
  type HazardState,
} from '../../schemas/hazard-vocabulary.ts'
import type { Department, Role } from '../../schemas/vocabulary.ts'

/** The loop in order: each state's one next state. */
export const LOOP: readonly HazardState[] = HAZARD_STATES.slice(0, 9)
export const isOpen = (state: HazardState) => (OPEN_HAZARD_STATES as readonly string[]).includes(state)

/** Who the caller is to a hazard. */
export type Party = 'department' | 'governance' | 'department_supervisor' | 'governance_supervisor'

/** The roles each loop step needs (any one of them), keyed by the state it leads to. */
export const STEP_PARTIES: Record<Exclude<HazardState, 'warning' | 'closed_without_rectification'>, readonly Party[]> = {
  inspected: ['department', 'governance'],
  registered: ['department', 'governance'],
  assessed: ['department', 'governance'],
  reported: ['department', 'governance'],
  monitored: ['department', 'governance'],
  rectifying: ['department', 'governance'],
  accepted: ['governance', 'department_supervisor'],
  closed: ['governance'],
}
export const ACTION_PARTIES: Record<HazardAction | 'acceptance_failed' | 'close_without_rectification', readonly Party[]> = {
  report_rectified: ['department', 'governance'],
  request_extension: ['department'],
  approve_extension: ['governance_supervisor'],
  refuse_extension: ['governance_supervisor'],
  acceptance_failed: ['governance', 'department_supervisor'],
  close_without_rectification: ['governance_supervisor', 'department_supervisor'],
}

export interface Caller {
  id: number
  department: Department
  role: Role
  countyCode: string | null
}

/** What the rules need to know of a hazard. */
export interface HazardFacts {
  state: HazardState
  countyCode: string
  /** The departments responsible (its own, plus the licensing ones of a zone conflict's premises). */
  departments: readonly Department[]
  grade: HazardGrade
  fiveFixed: Record<FiveFixedItem, string | null>
  rectifiedBy: number | null
  extension: { deadline: string; requestedBy: number | null } | null
  /** Whether an attachment of phase after or evidence is on file. */
  hasEvidence: boolean
}

/** A request to move: a state (`to`) or an action, with the fields it carries. */
export interface MoveRequest {
  to?: HazardState | undefined
  action?: HazardAction | undefined
  note?: string | undefined
  grade?: HazardGrade | undefined
  closeReason?: CloseReason | undefined
  responsibleParty?: string | undefined
  measures?: string | undefined
  funds?: string | undefined
  deadline?: string | undefined
  contingencyPlan?: string | undefined
}

/** What a move changes; the service turns it into columns. Absent keys stay as they are. */
export interface Changes {
  state?: HazardState
  grade?: HazardGrade
  closeReason?: CloseReason
  closed?: true
  fiveFixed?: Partial<Record<FiveFixedItem, string>>
  /** Set: the rectification is reported done by this user; null: cleared (acceptance failed). */
  rectifiedBy?: number | null
  acceptedBy?: number
  /** Set: an extension is pending; null: none pending any more. */
  extension?: { deadline: string; reason: string | null; requestedBy: number } | null
  deadline?: string
}

export interface Plan {
  /** The event's action: transition, acceptance_failed, close_without_rectification or one of HAZARD_ACTIONS. */
  action: string
  from: HazardState
  to: HazardState
  changes: Changes
  /** The fields the event records. */
  fields: Record<string, unknown>
}

/** The states the loop allows after this one, whoever asks (the order, the side exit; roles and fields aside). */
export function allowedNext(hazard: Pick<HazardFacts, 'state' | 'rectifiedBy'>): HazardState[] {
  const { state } = hazard
  if (!isOpen(state)) return state === 'accepted' ? ['closed'] : []
  if (state === 'rectifying')
    return hazard.rectifiedBy === null ? ['closed_without_rectification'] : ['accepted', 'rectifying', 'closed_without_rectification']
  return [LOOP[LOOP.indexOf(state) + 1]!, 'closed_without_rectification']
}

/** The actions allowed in this state, whoever asks. */
export function allowedActions(hazard: Pick<HazardFacts, 'state' | 'rectifiedBy' | 'extension' | 'fiveFixed'>): HazardAction[] {
  if (!isOpen(hazard.state)) return []
  const actions: HazardAction[] = []
  if (hazard.state === 'rectifying' && hazard.rectifiedBy === null) actions.push('report_rectified')
  if (hazard.extension) actions.push('approve_extension', 'refuse_extension')
  else if (hazard.fiveFixed.deadline !== null && hazard.rectifiedBy === null) actions.push('request_extension')
  return actions
}

/** The parties the caller is to this hazard (empty: it may change nothing). Admins are all of them. */
export function partiesOf(caller: Caller, hazard: Pick<HazardFacts, 'countyCode' | 'departments'>): Set<Party> {
  const parties = new Set<Party>()
  if (caller.role === 'admin') return new Set(['department', 'governance', 'department_supervisor', 'governance_supervisor'])
  if (caller.role === 'viewer') return parties
  if (caller.countyCode && caller.countyCode !== hazard.countyCode) return parties
  const supervisor = caller.role === 'supervisor'
  if (caller.department === 'governance') {
    parties.add('governance')
    if (supervisor) parties.add('governance_supervisor')
  }
  if (hazard.departments.includes(caller.department)) {
    parties.add('department')
    if (supervisor) parties.add('department_supervisor')
  }
  return parties
}

const PARTY_NAMES: Record<Party, string> = {
  department: 'the responsible department',
  governance: 'the governance office',
  department_supervisor: 'a supervisor of the responsible department',
  governance_supervisor: 'a supervisor of the governance office',
}

function requireParty(caller: Caller, hazard: HazardFacts, needed: readonly Party[], what: string) {
  const parties = partiesOf(caller, hazard)
  if (needed.some((p) => parties.has(p))) return
  const scope =
    caller.countyCode && caller.countyCode !== hazard.countyCode
      ? ` in county ${hazard.countyCode} (your scope is ${caller.countyCode})`
      : ''
  throw new AppError(
    'FORBIDDEN',
    `${what} is for ${needed.map((p) => PARTY_NAMES[p]).join(' or ')}${scope}; you are ${caller.department} ${caller.role}`,
  )
}

function illegal(hazard: HazardFacts, asked: string): AppError {
  const allowed = allowedNext(hazard)
  const actions = allowedActions(hazard)
  const next = allowed.length ? `the next allowed: ${allowed.join(', ')}` : 'no state may follow it'
  return new AppError(
    'ILLEGAL_TRANSITION',
    `to: ${asked} cannot follow ${hazard.state} (${next}${actions.length ? `; actions: ${actions.join(', ')}` : ''})`,
    { allowed, actions, state: hazard.state },
  )
}

/** The five fixed items given in the request, checked. */
function fixedIn(request: MoveRequest): Partial<Record<FiveFixedItem, string>> {
  const given: Partial<Record<FiveFixedItem, string>> = {}
  for (const item of FIVE_FIXED) {
    const value = request[item]
    if (value !== undefined) given[item] = value.trim()
  }
  return given
}

/** Refuses the request's fields that this move does not take, naming them. */
function refuseFields(request: MoveRequest, allowedFields: readonly (keyof MoveRequest)[], what: string) {
  const extra = (['grade', 'closeReason', ...FIVE_FIXED] as const).filter((f) => request[f] !== undefined && !allowedFields.includes(f))
  if (extra.length) {
    throw new AppError('VALIDATION_FAILED', `body/${extra[0]}: ${what} does not take ${extra.join(', ')}`, {
      problems: extra.map((f) => ({ field: `body/${f}`, message: `not taken by ${what}` })),
    })
  }
}

const FIXED_FIELDS = ['grade', ...FIVE_FIXED] as const

/**
 * The plan for one request on one hazard by one caller, or an AppError: ILLEGAL_TRANSITION (409, naming the
 * allowed next states) for a move out of order, FORBIDDEN for the wrong role or the four-eyes rule,
 * VALIDATION_FAILED / UNPROCESSABLE for missing or wrong fields. `today` is the day in China Standard Time.
 */
export function plan(hazard: HazardFacts, caller: Caller, request: MoveRequest, today: string): Plan {
  if ((request.to === undefined) === (request.action === undefined)) {
    throw new AppError('VALIDATION_FAILED', 'body/to: send either `to` (a state) or `action`, not both and not neither', {
      problems: [{ field: 'body/to', message: 'send either to or action' }],
    })
  }
  const from = hazard.state
  const note = request.note?.trim() ?? null
  if (request.action) return planAction(hazard, caller, request.action, request, from, note, today)
  const to = request.to!
  if (!allowedNext(hazard).includes(to)) {
    if (to === 'accepted' && from === 'rectifying') {
      throw new AppError(
        'ILLEGAL_TRANSITION',
        `to: accepted needs the rectification reported done first (action report_rectified); the next allowed: ${allowedNext(hazard).join(', ')}`,
        {
          allowed: allowedNext(hazard),
          actions: allowedActions(hazard),
          state: from,
        },
      )
    }
    throw illegal(hazard, to)
  }

  if (to === 'closed_without_rectification') {
    requireParty(caller, hazard, ACTION_PARTIES.close_without_rectification, 'closing without rectification')
    refuseFields(request, ['closeReason'], 'closing without rectification')
    if (!request.closeReason)
      throw fieldMissing('closeReason', 'closing without rectification needs a reason: duplicate, not_responsible or transferred')
    if (!note)
      throw fieldMissing(
        'note',
        'closing without rectification needs a note explaining it (which hazard it duplicates, who is responsible, to whom it went)',
      )
    const changes: Changes = { state: to, closeReason: request.closeReason, closed: true }
    // A pending extension request dies with the hazard.
    if (hazard.extension) changes.extension = null
    return { action: 'close_without_rectification', from, to, changes, fields: { closeReason: request.closeReason } }
  }

  if (from === 'rectifying' && to === 'rectifying') {
    // Acceptance failed: back to rectification, the report of it done is cleared.
    requireParty(caller, hazard, ACTION_PARTIES.acceptance_failed, 'failing an acceptance')
    refuseFields(request, [], 'failing an acceptance')
    fourEyes(caller, hazard.rectifiedBy, 'the acceptance')
    if (!note) throw fieldMissing('note', 'a failed acceptance needs a note saying what is still wrong')
    return { action: 'acceptance_failed', from, to, changes: { rectifiedBy: null }, fields: {} }
  }

  const parties = STEP_PARTIES[to as keyof typeof STEP_PARTIES]
  requireParty(caller, hazard, parties, `moving to ${to}`)

  if (to === 'accepted') {
    refuseFields(request, [], 'acceptance')
    fourEyes(caller, hazard.rectifiedBy, 'the acceptance')
    if (!hazard.hasEvidence) {
      throw new AppError(
        'UNPROCESSABLE',
        'attachments: acceptance needs evidence on file: attach a photo or document of phase after or evidence first',
      )
    }
    return { action: 'transition', from, to, changes: { state: to, acceptedBy: caller.id }, fields: {} }
  }
  if (to === 'closed') {
    refuseFields(request, [], 'closing')
    return { action: 'transition', from, to, changes: { state: to, closed: true }, fields: {} }
  }

  // Steps of the loop up to rectification may fill in the grade and the five fixed items.
  refuseFields(request, FIXED_FIELDS, `moving to ${to}`)
  const given = fixedIn(request)
  if (given.deadline !== undefined && given.deadline < today) {
    throw new AppError('VALIDATION_FAILED', `body/deadline: ${given.deadline} is already past (today is ${today} in China Standard Time)`, {
      problems: [{ field: 'body/deadline', message: 'already past' }],
    })
  }
  const changes: Changes = { state: to }
  if (Object.keys(given).length) changes.fiveFixed = given
  if (request.grade) changes.grade = request.grade
  if (to === 'rectifying') {
    const merged = { ...hazard.fiveFixed, ...given }
    const missing = FIVE_FIXED.filter((item) => !merged[item])
    if (missing.length) {
      throw new AppError(
        'UNPROCESSABLE',
        `body/${missing[0]}: rectification needs the five fixed items (五落实); missing: ${missing.join(', ')}`,
        { problems: missing.map((item) => ({ field: `body/${item}`, message: 'required before rectifying' })) },
      )
    }
  }
  const fields: Record<string, unknown> = { ...given }
  if (request.grade) fields.grade = request.grade
  return { action: 'transition', from, to, changes, fields }
}

function planAction(
  hazard: HazardFacts,
  caller: Caller,
  action: HazardAction,
  request: MoveRequest,
  from: HazardState,
  note: string | null,
  today: string,
): Plan {
  if (!allowedActions(hazard).includes(action)) {
    const why =
      action === 'report_rectified'
        ? from === 'rectifying'
          ? 'the rectification is already reported done and awaits acceptance'
          : `only a hazard in rectifying can be reported rectified; this one is ${from}`
        : action === 'request_extension'
          ? hazard.extension
            ? `an extension to ${hazard.extension.deadline} is already pending`
            : !isOpen(from)
              ? `the hazard is ${from}`
              : hazard.rectifiedBy !== null
                ? 'the rectification is already reported done'
                : 'the hazard has no deadline yet'
          : 'no extension request is pending'
    throw new AppError('ILLEGAL_TRANSITION', `action: ${action} is not possible now: ${why}`, {
      allowed: allowedNext(hazard),
      actions: allowedActions(hazard),
      state: from,
    })
  }
  requireParty(caller, hazard, ACTION_PARTIES[action], action.replace('_', ' '))
  switch (action) {
    case 'report_rectified':
      refuseFields(request, [], 'reporting the rectification done')
      return { action, from, to: from, changes: { rectifiedBy: caller.id }, fields: {} }
    case 'request_extension': {
      refuseFields(request, ['deadline'], 'an extension request')
      if (!request.deadline) throw fieldMissing('deadline', 'an extension request needs the new deadline it asks for')
      if (!note) throw fieldMissing('note', 'an extension request needs its reason')
      const current = hazard.fiveFixed.deadline!
      if (request.deadline <= current) throw invalidField('deadline', `must be later than the current deadline ${current}`)
      if (request.deadline < today) throw invalidField('deadline', `${request.deadline} is already past (today is ${today})`)
      return {
        action,
        from,
        to: from,
        changes: { extension: { deadline: request.deadline, reason: note, requestedBy: caller.id } },
        fields: { deadline: request.deadline, currentDeadline: current },
      }
    }
    case 'approve_extension':
    case 'refuse_extension': {
      refuseFields(request, [], 'an extension decision')
      fourEyes(caller, hazard.extension!.requestedBy, 'the extension decision')
      if (action === 'refuse_extension' && !note) throw fieldMissing('note', 'refusing an extension needs a reason')
      const deadline = hazard.extension!.deadline
      return action === 'approve_extension'
        ? {
            action,
            from,
            to: from,
            changes: { extension: null, deadline },
            fields: { deadline, previousDeadline: hazard.fiveFixed.deadline },
          }
        : {
            action,
            from,
            to: from,
            changes: { extension: null },
            fields: { refusedDeadline: deadline, deadline: hazard.fiveFixed.deadline },
          }
    }
  }
}

function fourEyes(caller: Caller, other: number | null, what: string) {
  if (other !== null && other === caller.id) {
    throw new AppError(
      'FORBIDDEN',
      `${what} must be made by another user than the one who asked for it (four eyes); you reported or requested it`,
    )
  }
}

const fieldMissing = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', `body/${field}: ${message}`, { problems: [{ field: `body/${field}`, message }] })
const invalidField = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', `body/${field}: ${message}`, { problems: [{ field: `body/${field}`, message }] })

/**
 * Whether a hazard may be entered directly in this state (taking over an existing ledger): the five fixed
 * items from rectifying on, a closing reason exactly for closed_without_rectification. Returns the problems.
 */
export function entryProblems(
  state: HazardState,
  fiveFixed: Record<FiveFixedItem, string | null>,
  closeReason: CloseReason | undefined,
): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = []
  const from = LOOP.indexOf('rectifying')
  if ((LOOP.indexOf(state) >= from && state !== 'closed_without_rectification') || state === 'rectifying') {
    for (const item of FIVE_FIXED) if (!fiveFixed[item]) problems.push({ field: item, message: `required in state ${state} (五落实)` })
  }
  if (state === 'closed_without_rectification' && !closeReason)
    problems.push({ field: 'closeReason', message: 'required in state closed_without_rectification' })
  if (state !== 'closed_without_rectification' && closeReason)
    problems.push({ field: 'closeReason', message: `only for closed_without_rectification, not ${state}` })
  return problems
}

/** Days from the deadline to today (both YYYY-MM-DD, China Standard Time); 0 when not past. */
export function daysOverdue(deadline: string | null, today: string): number {
  if (!deadline || deadline >= today) return 0
  return Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${deadline}T00:00:00Z`)) / 86_400_000)
}

/** The escalation step reached after so many days overdue: the step with the most days not above it. */
export function escalationStep<S extends string>(days: number, ladder: readonly { step: S; daysOverdue: number }[]): S | null {
  let reached: { step: S; daysOverdue: number } | null = null
  for (const rung of ladder) if (days >= rung.daysOverdue && (!reached || rung.daysOverdue > reached.daysOverdue)) reached = rung
  return reached?.step ?? null
}
