import { ApiError } from '../../api/client.ts'
import { governanceApi, type HazardDetail, type Transition } from '../../api/governance.ts'
import { CLOSE_REASONS, FIVE_FIXED, HAZARD_GRADES, type FiveFixedItem } from '../../../../server/schemas/hazard-vocabulary.ts'
import { h, toast } from '../dom.ts'
import { explain } from '../errors.ts'
import type { GovernanceDesk } from './desk.ts'
import { canMake, partiesOf, type MOVE_PARTIES } from './rights.ts'
import { g, gradeName, stateName, type GovernanceTextKey } from './text.ts'

/** A move the form offers: a state to go to, or an action that changes none, with the fields it asks for. */
interface Move {
  value: string
  label: string
  request: Pick<Transition, 'to' | 'action'>
  who: keyof typeof MOVE_PARTIES
  fields: readonly Field[]
  /** Fields that must be filled in (the server says so too; the form asks before sending). */
  required: readonly Field[]
  hints: readonly GovernanceTextKey[]
}
type Field = 'note' | 'grade' | 'closeReason' | 'extensionDeadline' | FiveFixedItem

const FIXED_TEXT: Record<FiveFixedItem, GovernanceTextKey> = {
  responsibleParty: 'responsibleParty',
  measures: 'measures',
  funds: 'funds',
  deadline: 'deadline',
  contingencyPlan: 'contingencyPlan',
}

/** The moves the loop allows now (hazard.allowedNext and the actions of its state), those this user may make. */
export function movesFor(desk: GovernanceDesk, hazard: HazardDetail): Move[] {
  const parties = partiesOf(desk.user, hazard)
  const moves: Move[] = []
  for (const to of hazard.allowedNext) {
    if (to === 'rectifying' && hazard.state === 'rectifying')
      moves.push({
        value: 'acceptance_failed',
        label: g('acceptanceFailed'),
        request: { to },
        who: 'acceptance_failed',
        fields: ['note'],
        required: ['note'],
        hints: ['fourEyesHint'],
      })
    else if (to === 'closed_without_rectification')
      moves.push({
        value: to,
        label: stateName(to),
        request: { to },
        who: 'close_without_rectification',
        fields: ['closeReason', 'note'],
        required: ['closeReason', 'note'],
        hints: [],
      })
    else if (to === 'accepted')
      moves.push({
        value: to,
        label: stateName(to),
        request: { to },
        who: 'accepted',
        fields: ['note'],
        required: [],
        hints: ['evidenceHint', 'fourEyesHint'],
      })
    else if (to === 'closed')
      moves.push({ value: to, label: stateName(to), request: { to }, who: 'closed', fields: ['note'], required: [], hints: [] })
    else
      moves.push({
        value: to,
        label: stateName(to),
        request: { to },
        who: 'step',
        fields: ['note', 'grade', ...FIVE_FIXED],
        required: to === 'rectifying' ? FIVE_FIXED : [],
        hints: to === 'rectifying' ? ['fiveFixedHint'] : [],
      })
  }
  const open = !['accepted', 'closed', 'closed_without_rectification'].includes(hazard.state)
  if (hazard.state === 'rectifying' && !hazard.awaitingAcceptance)
    moves.unshift({
      value: 'report_rectified',
      label: g('actionReportRectified'),
      request: { action: 'report_rectified' },
      who: 'report_rectified',
      fields: ['note'],
      required: [],
      hints: ['evidenceHint'],
    })
  if (open && hazard.extensionRequest) {
    moves.push(
      {
        value: 'approve_extension',
        label: g('actionApproveExtension'),
        request: { action: 'approve_extension' },
        who: 'approve_extension',
        fields: ['note'],
        required: [],
        hints: ['fourEyesHint'],
      },
      {
        value: 'refuse_extension',
        label: g('actionRefuseExtension'),
        request: { action: 'refuse_extension' },
        who: 'refuse_extension',
        fields: ['note'],
        required: ['note'],
        hints: [],
      },
    )
  } else if (open && hazard.deadline && !hazard.awaitingAcceptance)
    moves.push({
      value: 'request_extension',
      label: g('actionRequestExtension'),
      request: { action: 'request_extension' },
      who: 'request_extension',
      fields: ['extensionDeadline', 'note'],
      required: ['extensionDeadline', 'note'],
      hints: [],
    })
  return moves.filter((move) => canMake(parties, move.who))
}

/**
 * The transition form: the moves the loop allows and the user may make, each asking for its fields (the five
 * fixed items before rectifying, a reason for closing without rectification, the new date of an extension). The
 * API's refusals are shown beside the field they name; a stale version reloads the hazard with a notice.
 */
export function transitionForm(desk: GovernanceDesk, hazard: HazardDetail): HTMLElement {
  const parties = partiesOf(desk.user, hazard)
  if (hazard.allowedNext.length === 0) return h('p', { class: 'muted small', id: 'no-move' }, g('noNext'))
  if (parties.size === 0) return h('p', { class: 'muted small', id: 'no-move' }, g('readOnlyHazard'))
  const moves = movesFor(desk, hazard)
  if (moves.length === 0) return h('p', { class: 'muted small', id: 'no-move' }, g('noMove'))

  const errors = new Map<string, HTMLElement>()
  const errorFor = (name: string) => {
    const element = h('p', { class: 'error field-error', id: `error-${name}`, role: 'alert' })
    errors.set(name, element)
    return element
  }
  const move = h(
    'select',
    { id: 'move-to', name: 'to', 'aria-describedby': 'error-to' },
    moves.map((m) => h('option', { value: m.value }, m.label)),
  )
  const note = h('textarea', { id: 'move-note', name: 'note', rows: 3, maxlength: 4000 })
  const grade = h(
    'select',
    { id: 'move-grade', name: 'grade' },
    HAZARD_GRADES.map((value) => h('option', { value, selected: hazard.grade === value }, gradeName(value))),
  )
  const closeReason = h(
    'select',
    { id: 'move-closeReason', name: 'closeReason' },
    h('option', { value: '' }, '—'),
    CLOSE_REASONS.map((value) => h('option', { value }, g(`close_${value}` as GovernanceTextKey))),
  )
  const extensionDeadline = h('input', {
    id: 'move-extensionDeadline',
    name: 'extensionDeadline',
    type: 'date',
    min: hazard.deadline ?? undefined,
  })
  const fixed = Object.fromEntries(
    FIVE_FIXED.map((item) => [
      item,
      item === 'deadline'
        ? h('input', { id: `fixed-${item}`, name: item, type: 'date', value: hazard.deadline ?? '' })
        : item === 'measures' || item === 'contingencyPlan'
          ? h('textarea', { id: `fixed-${item}`, name: item, rows: 2, maxlength: 4000 }, hazard[item] ?? '')
          : h('input', { id: `fixed-${item}`, name: item, maxlength: 200, value: hazard[item] ?? '' }),
    ]),
  ) as Record<FiveFixedItem, HTMLInputElement | HTMLTextAreaElement>
  const controls: Record<Field, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement> = {
    note,
    grade,
    closeReason,
    extensionDeadline,
    ...fixed,
  }
  const labels: Record<Field, string> = {
    note: g('note'),
    grade: g('grade'),
    closeReason: g('closeReason'),
    extensionDeadline: g('newDeadline'),
    ...(Object.fromEntries(FIVE_FIXED.map((item) => [item, g(FIXED_TEXT[item])])) as Record<FiveFixedItem, string>),
  }
  const rows = Object.fromEntries(
    (Object.keys(controls) as Field[]).map((field) => {
      const id = controls[field].id
      const error = errorFor(field)
      controls[field].setAttribute('aria-describedby', error.id)
      return [field, h('div', { class: 'row', 'data-field': field }, h('label', { for: id }, labels[field]), controls[field], error)]
    }),
  ) as unknown as Record<Field, HTMLElement>
  const fiveFixedBox = h(
    'fieldset',
    { class: 'five-fixed' },
    h('legend', {}, g('fiveFixed')),
    FIVE_FIXED.map((item) => rows[item]),
  )
  const hints = h('div', { class: 'hints' })
  const formError = h('p', { class: 'error', role: 'alert', id: 'move-error' })
  const submit = h('button', { type: 'submit', class: 'primary', id: 'move-submit' }, g('confirm'))

  const current = () => moves.find((m) => m.value === move.value) ?? moves[0]!
  const sync = () => {
    const m = current()
    for (const field of Object.keys(rows) as Field[]) rows[field].hidden = !m.fields.includes(field)
    fiveFixedBox.hidden = !FIVE_FIXED.some((item) => m.fields.includes(item))
    for (const field of Object.keys(controls) as Field[]) controls[field].required = m.required.includes(field)
    hints.replaceChildren(...m.hints.map((hint) => h('p', { class: 'notice small' }, g(hint))))
  }
  const clearErrors = () => {
    formError.textContent = ''
    for (const element of errors.values()) element.textContent = ''
    for (const control of [move, ...Object.values(controls)]) control.removeAttribute('aria-invalid')
  }
  /** Puts a message beside the field it names (problems, or the message's own `field:` prefix); otherwise above the button. */
  const showError = (error: unknown) => {
    const text = explain(error)
    const placed: string[] = []
    if (error instanceof ApiError) {
      const m = current()
      const fieldOf = (name: string) => {
        const bare = name.replace(/^body\//, '')
        if (bare === 'deadline' && m.fields.includes('extensionDeadline')) return 'extensionDeadline'
        if (bare === 'action') return 'to'
        return bare
      }
      for (const problem of error.problems) {
        const field = fieldOf(problem.field)
        const element = errors.get(field)
        if (element) {
          element.textContent = `${element.textContent ? `${element.textContent}\n` : ''}${problem.message}`
          placed.push(field)
        }
      }
      const prefix = error.message.match(/^(?:body\/)?([A-Za-z]+):\s*(.*)$/s)
      if (placed.length === 0 && prefix) {
        const field = fieldOf(prefix[1]!)
        const element = errors.get(field)
        if (element) {
          element.textContent = error.message
          placed.push(field)
        }
      }
    }
    for (const field of placed) (field === 'to' ? move : controls[field as Field])?.setAttribute('aria-invalid', 'true')
    if (placed.length === 0 || (error instanceof ApiError && error.status === 403)) formError.textContent = text
    const first = placed[0]
    if (first) (first === 'to' ? move : controls[first as Field])?.focus()
  }

  move.addEventListener('change', () => {
    clearErrors()
    sync()
  })
  sync()
  const form = h(
    'form',
    {
      class: 'transition',
      id: 'transition-form',
      novalidate: true,
      'aria-labelledby': 'move-title',
      onsubmit: async (event: Event) => {
        event.preventDefault()
        clearErrors()
        const m = moves.find((candidate) => candidate.value === move.value)
        // A value the form did not offer (an outdated page) is still sent: the server names the allowed moves.
        const request: Pick<Transition, 'to' | 'action'> = m?.request ?? { to: move.value as Transition['to'] }
        const body: Transition = { ...request, version: hazard.version }
        const missing = (m?.required ?? []).filter((field) => !controls[field].value.trim())
        if (missing.length) {
          for (const field of missing) {
            errors.get(field)!.textContent = g('required', { field: labels[field] })
            controls[field].setAttribute('aria-invalid', 'true')
          }
          controls[missing[0]!].focus()
          return
        }
        for (const field of m?.fields ?? []) {
          const value = controls[field].value.trim()
          if (!value) continue
          if (field === 'note') body.note = value
          else if (field === 'grade') {
            if (value !== hazard.grade) body.grade = value as Transition['grade']
          } else if (field === 'closeReason') body.closeReason = value as Transition['closeReason']
          else if (field === 'extensionDeadline') body.deadline = value
          else if (value !== (hazard[field] ?? '')) body[field] = value
        }
        submit.disabled = true
        try {
          const moved = await governanceApi.transition(hazard.id, body)
          toast(g('moved', { state: m && m.request.action ? m.label : stateName(moved.state) }), 'ok')
          desk.openHazard(hazard.id)
        } catch (caught) {
          submit.disabled = false
          if (caught instanceof ApiError && caught.code === 'VERSION_CONFLICT') {
            desk.openHazard(hazard.id, { text: g('staleHazard'), tone: 'error' })
            return
          }
          showError(caught)
        }
      },
    },
    h('h3', { id: 'move-title' }, g('moveTitle')),
    h('div', { class: 'row' }, h('label', { for: 'move-to' }, g('moveTo')), move, errorFor('to')),
    hints,
    rows.grade,
    fiveFixedBox,
    rows.closeReason,
    rows.extensionDeadline,
    rows.note,
    errorFor('attachments'),
    formError,
    submit,
  )
  return form
}
