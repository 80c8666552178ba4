import { api } from '../../api/client.ts'
import { attachmentUrl, governanceApi, type HazardDetail } from '../../api/governance.ts'
import { ATTACHMENT_PHASES, FIVE_FIXED, type AttachmentPhase } from '../../../../server/schemas/hazard-vocabulary.ts'
import { countyName, dateTime, departmentName, t } from '../../i18n.ts'
import { readRoute } from '../../router.ts'
import { fill, h, toast } from '../dom.ts'
import { explain } from '../errors.ts'
import type { GovernanceDesk, Notice } from './desk.ts'
import { partiesOf } from './rights.ts'
import { actionName, g, gradeName, kindLabel, sourceName, stateName, stepName, type GovernanceTextKey } from './text.ts'
import { transitionForm } from './transition-form.ts'

const kib = (bytes: number) => `${Math.max(1, Math.round(bytes / 1024)).toLocaleString()} KB`

/** One hazard: its facts and the five fixed items, the transition form, attachments, the history and the escalations. */
export async function showHazard(desk: GovernanceDesk, id: number, notice?: Notice): Promise<void> {
  const { content, view } = desk
  const gone = desk.part()
  const back = h(
    'button',
    {
      type: 'button',
      class: 'link back',
      onclick: () => {
        const tab = readRoute().params.get('tab')
        desk.showTab(tab === 'dashboard' || tab === 'map' || tab === 'inbox' || tab === 'school' ? tab : 'ledger')
      },
    },
    `← ${g('backToLedger')}`,
  )
  fill(content, back, h('p', { class: 'loading', role: 'status' }, t('loading')))
  let hazard: HazardDetail
  try {
    hazard = await governanceApi.hazard(id)
  } catch (error) {
    if (!gone()) fill(content, back, h('p', { class: 'error', role: 'alert' }, explain(error)))
    return
  }
  if (gone()) return
  const fact = (label: string, value: Node | string | null): HTMLElement[] =>
    value === null || value === '' ? [] : [h('dt', {}, label), h('dd', {}, value)]
  fill(
    content,
    back,
    h('h2', { id: 'hazard-title' }, hazard.title),
    notice ? h('p', { class: notice.tone === 'error' ? 'error' : 'notice', role: 'alert', id: 'hazard-notice' }, notice.text) : null,
    h(
      'dl',
      { class: 'facts' },
      fact(
        g('state'),
        h(
          'span',
          {},
          h(
            'span',
            { class: `badge hazard-state state-${hazard.state}`, id: 'hazard-state', 'data-state': hazard.state },
            stateName(hazard.state),
          ),
          hazard.overdue ? h('span', { class: 'badge overdue' }, g('daysOverdue', { n: hazard.daysOverdue })) : null,
          hazard.escalation ? h('span', { class: `badge step-${hazard.escalation}` }, stepName(hazard.escalation)) : null,
        ),
      ),
      fact(g('grade'), gradeName(hazard.grade)),
      fact(g('kind'), kindLabel(hazard.kind)),
      fact(
        g('school'),
        h(
          'span',
          {},
          `${hazard.schoolName} `,
          h(
            'button',
            { type: 'button', class: 'link', id: 'open-school-file', onclick: () => desk.openSchool(hazard.schoolId) },
            g('openSchoolFile'),
          ),
        ),
      ),
      hazard.premisesId
        ? fact(g('premises'), h('a', { href: `#/map?sel=premises:${hazard.premisesId}` }, hazard.premisesName ?? `#${hazard.premisesId}`))
        : null,
      fact(g('department'), departmentName(hazard.department)),
      fact(t('county'), countyName(hazard.countyCode)),
      fact(g('source'), sourceName(hazard.source)),
      fact(g('foundAt'), dateTime(hazard.foundAt)),
      hazard.description ? fact(t('details'), hazard.description) : null,
      FIVE_FIXED.flatMap((item) => fact(g(item as GovernanceTextKey), hazard[item])),
      hazard.extensionRequest
        ? fact(
            g('escalation'),
            g('extensionPending', { date: hazard.extensionRequest.deadline, reason: hazard.extensionRequest.reason ?? '—' }),
          )
        : null,
      hazard.awaitingAcceptance ? fact(g('acceptance'), h('span', { id: 'awaiting-acceptance' }, g('awaitingAcceptance'))) : null,
      hazard.reportedUpAt ? fact(g('reportUp'), g('reportedUp', { time: dateTime(hazard.reportedUpAt) })) : null,
      hazard.conflictClearedAt ? fact(g('conflict'), g('conflictCleared', { time: dateTime(hazard.conflictClearedAt) })) : null,
    ),
    transitionForm(desk, hazard),
    attachments(desk, hazard),
    h(
      'section',
      { class: 'history', id: 'hazard-history' },
      h('h3', {}, g('historyTitle')),
      h(
        'ol',
        {},
        hazard.events.map((event) =>
          h(
            'li',
            { 'data-action': event.action, 'data-to': event.toState },
            `${dateTime(event.at)} · ${actionName(event.action)}`,
            event.fromState && event.fromState !== event.toState ? ` · ${stateName(event.fromState)} → ${stateName(event.toState)}` : '',
            ` · ${event.actor ?? '—'}`,
            event.note ? h('div', { class: 'muted small' }, event.note) : null,
          ),
        ),
      ),
      hazard.escalations.length
        ? [
            h('h3', {}, g('escalationsTitle')),
            h(
              'ol',
              {},
              hazard.escalations.map((step) =>
                h(
                  'li',
                  {},
                  `${dateTime(step.at)} · ${stepName(step.step)} · ${g('deadlineOn', { date: step.deadline })} · ${g('daysOverdue', { n: step.daysOverdue })}`,
                ),
              ),
            ),
          ]
        : null,
    ),
  )
  const at = hazard.position?.coordinates as [number, number] | undefined
  if (at) {
    view.setOverlay('overlay-points', {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { role: 'subject', inside: hazard.overdue }, geometry: { type: 'Point', coordinates: at } },
      ],
    })
    view.focus(at, 15)
  } else {
    const zone = await api.schoolZone(hazard.schoolId).catch(() => null)
    if (zone && !gone()) {
      view.setOverlay('overlay-zone', { type: 'FeatureCollection', features: zone.features })
      view.fit(zone.features, 16)
    }
  }
}

/** The hazard's attachments, each downloadable, and the upload form for those who may act on it. */
function attachments(desk: GovernanceDesk, hazard: HazardDetail): HTMLElement {
  const mayAttach = partiesOf(desk.user, hazard).size > 0 && !['closed', 'closed_without_rectification'].includes(hazard.state)
  const list = hazard.attachments.length
    ? h(
        'ul',
        { class: 'attachments', id: 'attachment-list' },
        hazard.attachments.map((a) =>
          h(
            'li',
            { 'data-attachment-id': a.id, 'data-phase': a.phase },
            h('a', { href: attachmentUrl(hazard.id, a.id), download: a.filename, target: '_blank', rel: 'noopener' }, a.filename),
            ` · ${g(`phase_${a.phase}` as GovernanceTextKey)} · ${a.contentType} · ${kib(a.bytes)} · ${a.createdBy ?? '—'} · ${dateTime(a.createdAt)}`,
          ),
        ),
      )
    : h('p', { class: 'muted small', id: 'attachment-list' }, g('noAttachments'))
  if (!mayAttach) return h('section', { class: 'attachments-box' }, h('h3', {}, g('attachmentsTitle')), list)
  const file = h('input', { type: 'file', id: 'attachment-file', accept: 'image/jpeg,image/png,application/pdf' })
  const phase = h(
    'select',
    { id: 'attachment-phase' },
    ATTACHMENT_PHASES.map((value) =>
      h(
        'option',
        { value, selected: value === (hazard.state === 'rectifying' ? 'evidence' : 'before') },
        g(`phase_${value}` as GovernanceTextKey),
      ),
    ),
  )
  const error = h('p', { class: 'error', role: 'alert', id: 'attachment-error' })
  const button = h('button', { type: 'submit', id: 'attachment-upload' }, g('upload'))
  return h(
    'section',
    { class: 'attachments-box' },
    h('h3', {}, g('attachmentsTitle')),
    list,
    h(
      'form',
      {
        class: 'upload',
        onsubmit: async (event: Event) => {
          event.preventDefault()
          error.textContent = ''
          const chosen = file.files?.[0]
          if (!chosen) {
            error.textContent = g('chooseFile')
            file.focus()
            return
          }
          button.disabled = true
          try {
            await governanceApi.attach(hazard.id, chosen, phase.value as AttachmentPhase)
            toast(g('uploaded'), 'ok')
            desk.openHazard(hazard.id)
          } catch (caught) {
            button.disabled = false
            error.textContent = explain(caught)
          }
        },
      },
      h(
        'div',
        { class: 'row two' },
        h('div', {}, h('label', { for: 'attachment-file' }, g('uploadFile')), file),
        h('div', {}, h('label', { for: 'attachment-phase' }, g('uploadPhase')), phase),
      ),
      error,
      button,
    ),
  )
}
