import { governanceApi, type Inbox } from '../../api/governance.ts'
import { dateTime, departmentName, t } from '../../i18n.ts'
import { fill, h, keyboardList } from '../dom.ts'
import { explain } from '../errors.ts'
import type { GovernanceDesk } from './desk.ts'
import { hazardItem } from './ledger.ts'
import { g, type GovernanceTextKey } from './text.ts'

const REASONS = ['overdue', 'reported_up', 'extension_request', 'awaiting_acceptance', 'inspection_overdue', 'assigned'] as const

/** What waits for the caller's department (GET /api/inbox): counts per reason, then the items, most pressing first. */
export async function showInbox(desk: GovernanceDesk): Promise<void> {
  const { user, content } = desk
  const gone = desk.part()
  fill(content, h('h2', {}, g('inboxTitle')), h('p', { class: 'loading', role: 'status' }, t('loading')))
  let inbox: Inbox
  try {
    inbox = await governanceApi.inbox()
  } catch (error) {
    if (!gone()) fill(content, h('h2', {}, g('inboxTitle')), h('p', { class: 'error', role: 'alert' }, explain(error)))
    return
  }
  if (gone()) return
  const list = h('ul', { class: 'hazard-list inbox', role: 'list', 'aria-label': g('inboxTitle') })
  list.replaceChildren(
    ...inbox.items.map((item) => {
      const reason = h('span', { class: `badge reason reason-${item.reason}` }, g(`reason_${item.reason}` as GovernanceTextKey))
      if (item.hazard) return hazardItem(item.hazard, desk.openHazard, reason)
      const due = item.inspection!
      return h(
        'li',
        {},
        h(
          'button',
          { type: 'button', class: 'hazard-item inspection', onclick: () => desk.openSchool(due.schoolId) },
          h('span', { class: 'title' }, due.schoolName),
          reason,
          h(
            'span',
            { class: 'muted small meta' },
            g('inspectionDue', {
              level: g(`level_${due.level}` as GovernanceTextKey),
              every: g(`every_${due.every}` as GovernanceTextKey),
              due: due.dueBy,
            }),
            due.lastDoneAt ? ` · ${dateTime(due.lastDoneAt)}` : '',
          ),
        ),
      )
    }),
  )
  if (inbox.items.length === 0) list.replaceChildren(h('li', { class: 'empty' }, g('inboxEmpty')))
  keyboardList(list, 'button.hazard-item', (item) => item.click())
  fill(
    content,
    h('h2', {}, g('inboxTitle')),
    h('p', { class: 'muted small' }, g('inboxFor', { department: departmentName(user.department) })),
    h(
      'ul',
      { class: 'inbox-counts', id: 'inbox-counts' },
      REASONS.filter((reason) => (inbox.counts[reason] ?? 0) > 0).map((reason) =>
        h(
          'li',
          { 'data-reason': reason },
          h('span', { class: 'figure-value' }, inbox.counts[reason] ?? 0),
          h('span', { class: 'figure-label' }, g(`reason_${reason}` as GovernanceTextKey)),
        ),
      ),
    ),
    list,
  )
}
