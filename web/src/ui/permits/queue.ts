import { api, type PremisesCategory } from '../../api/client.ts'
import type { PermitQuery } from '../../../../server/schemas/permits.ts'
import { PERMIT_STATUSES } from '../../../../server/schemas/vocabulary.ts'
import { CATEGORY_VALUES, categoryName, COUNTIES, countyName, dateTime, kindName, permitStatusName, t } from '../../i18n.ts'
import { readRoute, updateParams } from '../../router.ts'
import { fill, h, keyboardList } from '../dom.ts'
import { explain } from '../errors.ts'
import type { PermitDesk } from './desk.ts'
import { licenses, licensesAnything } from './rights.ts'

const PAGE_SIZE = 20

/** The caller's queue: filters kept in the URL, one page of applications, and the pager. */
export async function showQueue(desk: PermitDesk): Promise<void> {
  const { user, view, panel } = desk
  view.clearOverlays()
  const params = readRoute().params
  const status = h(
    'select',
    { id: 'filter-status' },
    h('option', { value: '' }, t('filterAll')),
    PERMIT_STATUSES.map((s) => h('option', { value: s, selected: params.get('status') === s }, permitStatusName(s))),
  )
  if (!params.has('status') && !params.has('q')) status.value = 'pending'
  const ownCategories = CATEGORY_VALUES.filter((c) => user.role === 'admin' || user.department === 'governance' || licenses(user, c))
  const category = h(
    'select',
    { id: 'filter-category' },
    h('option', { value: '' }, t('filterAll')),
    ownCategories.map((c) => h('option', { value: c, selected: params.get('category') === c }, categoryName(c))),
  )
  const county = h(
    'select',
    { id: 'filter-county' },
    h('option', { value: '' }, t('filterAll')),
    Object.keys(COUNTIES).map((code) => h('option', { value: code, selected: params.get('county') === code }, countyName(code))),
  )
  if (user.countyCode) {
    county.value = user.countyCode
    county.disabled = true
  }
  const text = h('input', { id: 'filter-text', type: 'search', placeholder: t('filterText'), value: params.get('q') ?? '' })
  const override = h('input', { id: 'filter-override', type: 'checkbox', checked: params.get('flag') === 'override' })
  const list = h('ul', { class: 'permit-list', role: 'list', 'aria-label': t('permitsTitle') })
  const count = h('p', { class: 'muted small', role: 'status' })
  const pager = h('div', { class: 'pager' })
  let offset = Number(params.get('offset') ?? 0) || 0

  const load = async () => {
    const query: PermitQuery = { limit: PAGE_SIZE, offset }
    if (status.value) query.status = status.value as PermitQuery['status']
    if (category.value) query.category = category.value as PremisesCategory
    if (county.value && !county.disabled) query.countyCode = county.value
    if (text.value.trim()) query.q = text.value.trim().slice(0, 100)
    if (override.checked) query.flag = 'override'
    updateParams({
      status: status.value || 'all',
      category: category.value,
      county: county.disabled ? null : county.value,
      q: text.value.trim(),
      flag: override.checked ? 'override' : null,
      offset: offset || null,
    })
    list.setAttribute('aria-busy', 'true')
    count.textContent = t('loading')
    try {
      const page = await api.permits(query)
      if (desk.disposed()) return
      list.replaceChildren(
        ...page.permits.map((permit) =>
          h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'permit-item',
                'data-permit-id': permit.id,
                'data-status': permit.status,
                onclick: () => desk.openPermit(permit.id),
              },
              h('span', { class: 'title' }, permit.businessName),
              h('span', { class: `badge status-${permit.status}` }, permitStatusName(permit.status)),
              h(
                'span',
                { class: `badge verdict-${permit.screening.verdict}` },
                t(permit.screening.verdict === 'prohibited' ? 'verdictProhibited' : 'verdictAllowed'),
              ),
              permit.flaggedOverride ? h('span', { class: 'badge override' }, t('flaggedOverride')) : null,
              h(
                'span',
                { class: 'muted small meta' },
                `${categoryName(permit.category)} · ${kindName(permit.kind)} · ${countyName(permit.countyCode)} · ${permit.applicant.name} · ${dateTime(permit.submittedAt)}`,
              ),
            ),
          ),
        ),
      )
      if (page.permits.length === 0) list.replaceChildren(h('li', { class: 'empty' }, t('empty')))
      count.textContent = t('resultsCount', { n: page.numberMatched })
      pager.replaceChildren(
        h(
          'button',
          { type: 'button', disabled: offset === 0, onclick: () => ((offset = Math.max(0, offset - PAGE_SIZE)), void load()) },
          t('previous'),
        ),
        h('span', { class: 'muted small' }, `${page.numberMatched === 0 ? 0 : offset + 1}–${offset + page.numberReturned}`),
        h(
          'button',
          {
            type: 'button',
            disabled: offset + page.numberReturned >= page.numberMatched,
            onclick: () => ((offset += PAGE_SIZE), void load()),
          },
          t('next'),
        ),
      )
    } catch (error) {
      list.replaceChildren(
        h('li', { class: 'error', role: 'alert' }, explain(error)),
        h('li', {}, h('button', { type: 'button', onclick: () => void load() }, t('retry'))),
      )
      count.textContent = ''
    } finally {
      list.removeAttribute('aria-busy')
    }
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  const reload = () => {
    offset = 0
    void load()
  }
  for (const control of [status, category, county, override]) control.addEventListener('change', reload)
  text.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(reload, 250)
  })
  keyboardList(list, 'button.permit-item', (item) => item.click())
  fill(
    panel,
    h(
      'div',
      { class: 'panel-head' },
      h('h2', {}, t('permitsTitle')),
      licensesAnything(user)
        ? h('button', { type: 'button', id: 'new-permit', onclick: () => desk.showNewApplication() }, t('newApplication'))
        : null,
    ),
    user.role === 'viewer' ? h('p', { class: 'muted small' }, t('readOnly')) : null,
    h(
      'div',
      { class: 'filters' },
      h('label', {}, t('filterStatus'), status),
      h('label', {}, t('categoryLabel'), category),
      h('label', {}, t('county'), county),
      h('label', { class: 'wide' }, t('filterText'), text),
      h('label', { class: 'check' }, override, t('filterOverride')),
    ),
    count,
    list,
    pager,
  )
  await load()
}
