import { api, ApiError, type PermitDetail } from '../../api/client.ts'
import { t } from '../../i18n.ts'
import { h, toast } from '../dom.ts'
import { explain } from '../errors.ts'
import type { PermitDesk } from './desk.ts'
import { licenses } from './rights.ts'

/**
 * The decision on a pending application. A conflicted screening can only be approved by a supervisor, with a
 * justification; a stale version or a changed screening (409) reloads the application with a notice.
 */
export function decisionForm(desk: PermitDesk, permit: PermitDetail): HTMLElement | null {
  const { user, view } = desk
  if (!licenses(user, permit.category)) return h('p', { class: 'muted small', id: 'no-decision' }, t('readOnly'))
  const conflicted = permit.screening.verdict === 'prohibited'
  const supervisor = user.role === 'supervisor' || user.role === 'admin'
  const approve = h('input', {
    type: 'radio',
    name: 'decision',
    value: 'approve',
    id: 'decision-approve',
    disabled: conflicted && !supervisor,
  })
  const reject = h('input', { type: 'radio', name: 'decision', value: 'reject', id: 'decision-reject', checked: conflicted && !supervisor })
  const reason = h('textarea', { id: 'reason', name: 'reason', rows: 3, required: true, maxlength: 2000 })
  const justification = h('textarea', { id: 'override-justification', name: 'overrideJustification', rows: 3, maxlength: 2000 })
  const justificationRow = h(
    'div',
    { class: 'row', hidden: true },
    h('label', { for: 'override-justification' }, t('overrideJustification')),
    justification,
  )
  const guidance = permit.screening.rectification
  const measure = h(
    'select',
    { id: 'rectification-measure' },
    h('option', { value: 'relocate' }, t('measureRelocate')),
    h('option', { value: 'close' }, t('measureClose')),
  )
  const deadline = h('input', { id: 'rectification-deadline', type: 'date', max: guidance?.deadlineAtMost ?? undefined })
  const rectificationRow = h(
    'div',
    { class: 'row two', hidden: true },
    h('div', {}, h('label', { for: 'rectification-measure' }, t('rectificationMeasure')), measure),
    h('div', {}, h('label', { for: 'rectification-deadline' }, t('rectificationDeadline')), deadline),
  )
  const error = h('p', { class: 'error', role: 'alert' })
  const submit = h('button', { type: 'submit', class: 'primary', id: 'decide' }, t('decide'))
  const sync = () => {
    justificationRow.hidden = !(conflicted && approve.checked)
    rectificationRow.hidden = !(guidance && approve.checked)
  }
  approve.addEventListener('change', sync)
  reject.addEventListener('change', sync)
  return h(
    'form',
    {
      class: 'decision',
      'aria-labelledby': 'decision-title',
      onsubmit: async (event: Event) => {
        event.preventDefault()
        error.textContent = ''
        const decision = approve.checked ? 'approve' : reject.checked ? 'reject' : null
        if (!decision) {
          error.textContent = `${t('decision')}?`
          return
        }
        if (!reason.value.trim()) {
          error.textContent = t('reasonRequired')
          reason.focus()
          return
        }
        submit.disabled = true
        try {
          await api.decide(permit.id, {
            decision,
            reason: reason.value.trim(),
            version: permit.version,
            ...(decision === 'approve' && conflicted ? { overrideJustification: justification.value.trim() } : {}),
            ...(decision === 'approve' && guidance
              ? { rectification: { measure: measure.value as 'relocate' | 'close', deadline: deadline.value } }
              : {}),
          })
          toast(t('decided'), 'ok')
          view.refreshTiles()
          await desk.showPermit(permit.id)
        } catch (caught) {
          submit.disabled = false
          if (caught instanceof ApiError && caught.status === 409) {
            const rescreened = (caught.details as { screening?: unknown } | undefined)?.screening !== undefined
            await desk.showPermit(permit.id, { text: t(rescreened ? 'screeningChanged' : 'staleVersion'), tone: 'error' })
            return
          }
          error.textContent = explain(caught)
        }
      },
    },
    h('h3', { id: 'decision-title' }, t('decision')),
    conflicted ? h('p', { class: 'notice' }, t(supervisor ? 'overrideNeeded' : 'overrideNotAllowed')) : null,
    h('div', { class: 'choices', role: 'radiogroup' }, h('label', {}, approve, t('approve')), h('label', {}, reject, t('reject'))),
    h('div', { class: 'row' }, h('label', { for: 'reason' }, t('reason')), reason),
    justificationRow,
    rectificationRow,
    error,
    submit,
  )
}
