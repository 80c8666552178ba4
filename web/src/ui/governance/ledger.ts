import { governanceApi, type Hazard, type HazardQuery } from '../../api/governance.ts'
import { HAZARD_GRADES, HAZARD_KINDS, HAZARD_STATES } from '../../../../server/schemas/hazard-vocabulary.ts'
import { COUNTIES, countyName, departmentName, t } from '../../i18n.ts'
import { readRoute, updateParams } from '../../router.ts'
import { fill, h, keyboardList } from '../dom.ts'
import { explain } from '../errors.ts'
import type { GovernanceDesk } from './desk.ts'
import { g, gradeName, kindLabel, stateName, stepName } from './text.ts'

const PAGE_SIZE = 20

/** One hazard as a row of a list: title, state, grade, overdue and escalation, school, department and county. */
export function hazardItem(hazard: Hazard, open: (id: number) => void, extra?: HTMLElement | null): HTMLElement {
  return h(
    'li',
    {},
    h(
      'button',
      {
        type: 'button',
        class: `hazard-item${hazard.overdue ? ' overdue' : ''}`,
        'data-hazard-id': hazard.id,
        'data-state': hazard.state,
        onclick: () => open(hazard.id),
      },
      h('span', { class: 'title' }, hazard.title),
      extra ?? null,
      h('span', { class: `badge hazard-state state-${hazard.state}` }, stateName(hazard.state)),
      hazard.grade === 'major' ? h('span', { class: 'badge grade-major' }, gradeName('major')) : null,
      hazard.overdue
        ? h('span', { class: `badge overdue step-${hazard.escalation ?? 'none'}` }, g('daysOverdue', { n: hazard.daysOverdue }))
        : null,
      hazard.escalation ? h('span', { class: `badge step-${hazard.escalation}` }, stepName(hazard.escalation)) : null,
      h(
        'span',
        { class: 'muted small meta' },
        [
          kindLabel(hazard.kind),
          hazard.schoolName,
          departmentName(hazard.department),
          countyName(hazard.countyCode),
          hazard.deadline ? g('deadlineOn', { date: hazard.deadline }) : '',
        ]
          .filter(Boolean)
          .join(' · '),
      ),
    ),
  )
}

function select(id: string, values: readonly string[], label: (value: string) => string, current: string | null) {
  return h(
    'select',
    { id },
    h('option', { value: '' }, t('filterAll')),
    values.map((value) => h('option', { value, selected: current === value }, label(value))),
  )
}

/** The ledger within the caller's scope: filters kept in the URL (state, grade, kind, county, overdue), paged. */
export async function showLedger(desk: GovernanceDesk): Promise<void> {
  const { user, content } = desk
  const gone = desk.part()
  const params = readRoute().params
  const state = select('filter-state', HAZARD_STATES, stateName, params.get('state'))
  const grade = select('filter-grade', HAZARD_GRADES, gradeName, params.get('grade'))
  const kind = select('filter-kind', HAZARD_KINDS, kindLabel, params.get('kind'))
  const county = select('filter-county', Object.keys(COUNTIES), countyName, params.get('county'))
  if (user.countyCode) {
    county.value = user.countyCode
    county.disabled = true
  }
  const overdue = h('input', { type: 'checkbox', id: 'filter-overdue', checked: params.get('overdue') === 'true' })
  const open = h('input', { type: 'checkbox', id: 'filter-open', checked: params.get('open') === 'true' })
  const list = h('ul', { class: 'hazard-list', role: 'list', 'aria-label': g('ledgerTitle') })
  const count = h('p', { class: 'muted small', role: 'status', id: 'ledger-count' })
  const pager = h('div', { class: 'pager' })
  let offset = Number(params.get('offset') ?? 0) || 0
  // Filters changed quickly send several requests; only the newest one's answer is shown, whichever arrives last.
  let newest = 0

  const load = async () => {
    const asked = ++newest
    const query: HazardQuery = { limit: PAGE_SIZE, offset }
    if (state.value) query.state = state.value as HazardQuery['state']
    if (grade.value) query.grade = grade.value as HazardQuery['grade']
    if (kind.value) query.kind = kind.value as HazardQuery['kind']
    if (county.value && !county.disabled) query.countyCode = county.value
    if (overdue.checked) query.overdue = true
    if (open.checked) query.open = true
    updateParams({
      state: state.value,
      grade: grade.value,
      kind: kind.value,
      county: county.disabled ? null : county.value,
      overdue: overdue.checked ? 'true' : null,
      open: open.checked ? 'true' : null,
      offset: offset || null,
    })
    list.setAttribute('aria-busy', 'true')
    count.textContent = t('loading')
    try {
      const page = await governanceApi.hazards(query)
      if (gone() || asked !== newest) return
      list.replaceChildren(...page.hazards.map((hazard) => hazardItem(hazard, desk.openHazard)))
      if (page.hazards.length === 0) list.replaceChildren(h('li', { class: 'empty' }, t('empty')))
      count.textContent = t('resultsCount', { n: page.numberMatched })
      count.dataset.matched = String(page.numberMatched)
      pager.replaceChildren(
        h(
          'button',
          {
            type: 'button',
            id: 'ledger-previous',
            disabled: offset === 0,
            onclick: () => ((offset = Math.max(0, offset - PAGE_SIZE)), void load()),
          },
          t('previous'),
        ),
        h('span', { class: 'muted small' }, `${page.numberMatched === 0 ? 0 : offset + 1}–${offset + page.numberReturned}`),
        h(
          'button',
          {
            type: 'button',
            id: 'ledger-next',
            disabled: offset + page.numberReturned >= page.numberMatched,
            onclick: () => ((offset += PAGE_SIZE), void load()),
          },
          t('next'),
        ),
      )
    } catch (error) {
      if (gone() || asked !== newest) return
      list.replaceChildren(
        h('li', { class: 'error', role: 'alert' }, explain(error)),
        h('li', {}, h('button', { type: 'button', onclick: () => void load() }, t('retry'))),
      )
      count.textContent = ''
    } finally {
      if (asked === newest) list.removeAttribute('aria-busy')
    }
  }
  const reload = () => {
    offset = 0
    void load()
  }
  for (const control of [state, grade, kind, county, overdue, open]) control.addEventListener('change', reload)
  keyboardList(list, 'button.hazard-item', (item) => item.click())
  fill(
    content,
    h('h2', {}, g('ledgerTitle')),
    h(
      'div',
      { class: 'filters' },
      h('label', {}, g('filterState'), state),
      h('label', {}, g('filterGrade'), grade),
      h('label', {}, g('filterKind'), kind),
      h('label', {}, t('county'), county),
      h('label', { class: 'check' }, overdue, g('filterOverdue')),
      h('label', { class: 'check' }, open, g('filterOpen')),
    ),
    count,
    list,
    pager,
  )
  await load()
}
