import { api, ApiError, permitCertificateUrl, type Permit, type PermitDetail, type PremisesCategory, type User } from '../api/client.ts'
import type { CrsName } from '../../../server/schemas/common.ts'
import type { PermitQuery } from '../../../server/schemas/permits.ts'
import { LICENSING_DEPARTMENTS } from '../../../server/schemas/licensing.ts'
import { CATEGORY_VALUES, categoryName, COUNTIES, countyName, dateTime, roleName, t, type TextKey } from '../i18n.ts'
import type { ScreenContext } from '../main.ts'
import { readRoute, updateParams } from '../router.ts'
import { categorySelect, defaultCategory } from './check.ts'
import { parseCoordinates } from './coordinates.ts'
import { fill, h, keyboardList, toast } from './dom.ts'
import { explain } from './errors.ts'
import { drawResult, verdictCard } from './verdict.ts'

const PAGE_SIZE = 20
const STATUS_TEXT: Record<Permit['status'], TextKey> = { pending: 'statusPending', approved: 'statusApproved', rejected: 'statusRejected' }
const KIND_TEXT: Record<Permit['kind'], TextKey> = { new: 'kindNew', renewal: 'kindRenewal', relocation: 'kindRelocation', change: 'kindChange' }

/** Whether this user's department licenses the category (what the server enforces; the desk hides what would fail). */
export function licenses(user: User, category: string): boolean {
  if (user.role === 'viewer') return false
  if (user.role === 'admin') return true
  return LICENSING_DEPARTMENTS[category as PremisesCategory]?.includes(user.department) ?? false
}
const licensesAnything = (user: User) => user.role !== 'viewer' && (user.role === 'admin' || CATEGORY_VALUES.some((c) => licenses(user, c)))

/** The permit desk: the caller's queue with filters, one application with its screening, and the decision. */
export function mountPermits(context: ScreenContext): () => void {
  const { user, view, panel } = context
  let disposed = false
  const cleanups: (() => void)[] = []

  const showList = async () => {
    view.clearOverlays()
    const params = readRoute().params
    const status = h('select', { id: 'filter-status' }, h('option', { value: '' }, t('filterAll')), (['pending', 'approved', 'rejected'] as const).map((s) => h('option', { value: s, selected: params.get('status') === s }, t(STATUS_TEXT[s]))))
    if (!params.has('status') && !params.has('q')) status.value = 'pending'
    const ownCategories = CATEGORY_VALUES.filter((c) => user.role === 'admin' || user.department === 'governance' || licenses(user, c))
    const category = h('select', { id: 'filter-category' }, h('option', { value: '' }, t('filterAll')), ownCategories.map((c) => h('option', { value: c, selected: params.get('category') === c }, categoryName(c))))
    const county = h('select', { id: 'filter-county' }, h('option', { value: '' }, t('filterAll')), Object.keys(COUNTIES).map((code) => h('option', { value: code, selected: params.get('county') === code }, countyName(code))))
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
      updateParams({ status: status.value || 'all', category: category.value, county: county.disabled ? null : county.value, q: text.value.trim(), flag: override.checked ? 'override' : null, offset: offset || null })
      list.setAttribute('aria-busy', 'true')
      count.textContent = t('loading')
      try {
        const page = await api.permits(query)
        if (disposed) return
        list.replaceChildren(
          ...page.permits.map((permit) =>
            h(
              'li',
              {},
              h(
                'button',
                { type: 'button', class: 'permit-item', 'data-permit-id': permit.id, 'data-status': permit.status, onclick: () => openPermit(permit.id) },
                h('span', { class: 'title' }, permit.businessName),
                h('span', { class: `badge status-${permit.status}` }, t(STATUS_TEXT[permit.status])),
                h('span', { class: `badge verdict-${permit.screening.verdict}` }, t(permit.screening.verdict === 'prohibited' ? 'verdictProhibited' : 'verdictAllowed')),
                permit.flaggedOverride ? h('span', { class: 'badge override' }, t('flaggedOverride')) : null,
                h('span', { class: 'muted small meta' }, `${categoryName(permit.category)} · ${t(KIND_TEXT[permit.kind])} · ${countyName(permit.countyCode)} · ${permit.applicant.name} · ${dateTime(permit.submittedAt)}`),
              ),
            ),
          ),
        )
        if (page.permits.length === 0) list.replaceChildren(h('li', { class: 'empty' }, t('empty')))
        count.textContent = t('resultsCount', { n: page.numberMatched })
        pager.replaceChildren(
          h('button', { type: 'button', disabled: offset === 0, onclick: () => ((offset = Math.max(0, offset - PAGE_SIZE)), void load()) }, t('previous')),
          h('span', { class: 'muted small' }, `${page.numberMatched === 0 ? 0 : offset + 1}–${offset + page.numberReturned}`),
          h('button', { type: 'button', disabled: offset + page.numberReturned >= page.numberMatched, onclick: () => ((offset += PAGE_SIZE), void load()) }, t('next')),
        )
      } catch (error) {
        list.replaceChildren(h('li', { class: 'error', role: 'alert' }, explain(error)), h('li', {}, h('button', { type: 'button', onclick: () => void load() }, t('retry'))))
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
    fill(panel, 
      h('div', { class: 'panel-head' }, h('h2', {}, t('permitsTitle')), licensesAnything(user) ? h('button', { type: 'button', id: 'new-permit', onclick: () => showNewApplication() }, t('newApplication')) : null),
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

  const openPermit = (id: number) => {
    updateParams({ id }, true)
    void showPermit(id)
  }

  const showPermit = async (id: number, notice?: { text: string; tone: 'error' | 'info' }) => {
    fill(panel, h('p', { class: 'loading', role: 'status' }, t('loading')))
    let permit: PermitDetail
    try {
      permit = await api.permit(id)
    } catch (error) {
      fill(panel, backButton(), h('p', { class: 'error', role: 'alert' }, explain(error)))
      return
    }
    if (disposed) return
    const screening = permit.screening
    const footer: Node[] = [h('p', {}, h('a', { class: 'button', href: permitCertificateUrl(permit.id), target: '_blank', rel: 'noopener' }, t('certificate')))]
    fill(panel, 
      backButton(),
      h('h2', { id: 'permit-title' }, permit.businessName),
      notice ? h('p', { class: notice.tone === 'error' ? 'error' : 'notice', role: 'alert' }, notice.text) : null,
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, t('filterStatus')),
        h('dd', {}, h('span', { class: `badge status-${permit.status}`, id: 'permit-status' }, t(STATUS_TEXT[permit.status])), permit.flaggedOverride ? h('span', { class: 'badge override' }, t('flaggedOverride')) : null),
        h('dt', {}, t('applicantName')),
        h('dd', {}, `${permit.applicant.name}（${permit.applicant.idNumber}）`),
        h('dt', {}, t('categoryLabel')),
        h('dd', {}, `${categoryName(permit.category)} · ${t(KIND_TEXT[permit.kind])}`),
        h('dt', {}, t('address')),
        h('dd', {}, `${permit.address} · ${countyName(permit.countyCode)}`),
        permit.premisesId ? [h('dt', {}, t('premisesNo')), h('dd', {}, h('a', { href: `#/map?sel=premises:${permit.premisesId}` }, `#${permit.premisesId}`))] : null,
        permit.licenceNo ? [h('dt', {}, t('licenceNo')), h('dd', {}, permit.licenceNo)] : null,
        permit.decision
          ? [
              h('dt', {}, t('decision')),
              h(
                'dd',
                {},
                `${t(permit.decision.decision === 'approve' ? 'approve' : 'reject')} · ${permit.decision.reason}`,
                permit.decision.overrideJustification ? ` · ${t('overrideJustification')}：${permit.decision.overrideJustification}` : '',
                permit.decision.rectification ? ` · ${t(permit.decision.rectification.measure === 'close' ? 'measureClose' : 'measureRelocate')} ${permit.decision.rectification.deadline}` : '',
              ),
              h('dt', {}, t('decidedBy')),
              h('dd', {}, `${permit.decision.decidedBy.username}（${roleName(permit.decision.decidedBy.role)}）· ${dateTime(permit.decision.decidedAt)}`),
            ]
          : null,
      ),
      h('h3', {}, t('screening')),
      verdictCard(screening, { rectification: screening.rectification, footer }),
      permit.status === 'pending' ? decisionForm(permit) : null,
      h('details', { class: 'history' }, h('summary', {}, t('history')), h('ol', {}, permit.history.map((entry) => h('li', {}, `${dateTime(entry.at)} · ${entry.action} · ${entry.username ?? '—'}`)))),
    )
    await drawResult(view, screening, { fit: true })
  }

  const decisionForm = (permit: PermitDetail): HTMLElement | null => {
    if (!licenses(user, permit.category)) return h('p', { class: 'muted small', id: 'no-decision' }, t('readOnly'))
    const conflicted = permit.screening.verdict === 'prohibited'
    const supervisor = user.role === 'supervisor' || user.role === 'admin'
    const approve = h('input', { type: 'radio', name: 'decision', value: 'approve', id: 'decision-approve', disabled: conflicted && !supervisor })
    const reject = h('input', { type: 'radio', name: 'decision', value: 'reject', id: 'decision-reject', checked: conflicted && !supervisor })
    const reason = h('textarea', { id: 'reason', name: 'reason', rows: 3, required: true, maxlength: 2000 })
    const justification = h('textarea', { id: 'override-justification', name: 'overrideJustification', rows: 3, maxlength: 2000 })
    const justificationRow = h('div', { class: 'row', hidden: true }, h('label', { for: 'override-justification' }, t('overrideJustification')), justification)
    const guidance = permit.screening.rectification
    const measure = h('select', { id: 'rectification-measure' }, h('option', { value: 'relocate' }, t('measureRelocate')), h('option', { value: 'close' }, t('measureClose')))
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
              ...(decision === 'approve' && guidance ? { rectification: { measure: measure.value as 'relocate' | 'close', deadline: deadline.value } } : {}),
            })
            toast(t('decided'), 'ok')
            view.refreshTiles()
            await showPermit(permit.id)
          } catch (caught) {
            submit.disabled = false
            if (caught instanceof ApiError && caught.status === 409) {
              const rescreened = (caught.details as { screening?: unknown } | undefined)?.screening !== undefined
              await showPermit(permit.id, { text: t(rescreened ? 'screeningChanged' : 'staleVersion'), tone: 'error' })
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

  const showNewApplication = () => {
    view.clearOverlays()
    const name = h('input', { id: 'applicant-name', required: true, maxlength: 100 })
    const idNumber = h('input', { id: 'id-number', required: true, minlength: 18, maxlength: 18, pattern: '[0-9]{17}[0-9Xx]' })
    const business = h('input', { id: 'business-name', required: true, maxlength: 200 })
    const allowed = CATEGORY_VALUES.filter((c) => licenses(user, c))
    const category = categorySelect('application-category', allowed.includes(defaultCategory(user)) ? defaultCategory(user) : allowed[0]!)
    for (const option of [...category.options]) if (!allowed.includes(option.value as PremisesCategory)) option.remove()
    const address = h('input', { id: 'application-address', required: true, maxlength: 300 })
    const kind = h('select', { id: 'application-kind' }, (['new', 'renewal', 'relocation', 'change'] as const).map((k) => h('option', { value: k }, t(KIND_TEXT[k]))))
    const position = h('input', { id: 'application-location', required: true, placeholder: t('coordinatesPlaceholder') })
    const earlier = h('input', { id: 'application-premises', inputmode: 'numeric', pattern: '[0-9]{1,10}', 'aria-describedby': 'application-premises-hint' })
    const earlierRow = h('div', { class: 'row', hidden: true }, h('label', { for: 'application-premises' }, t('earlierPremises')), earlier, h('p', { class: 'muted small', id: 'application-premises-hint' }, t('earlierPremisesHint')))
    kind.addEventListener('change', () => {
      earlierRow.hidden = kind.value === 'new'
      earlier.required = kind.value !== 'new'
    })
    const crs = h('select', { id: 'application-crs' }, (['wgs84', 'cgcs2000', 'gcj02', 'bd09'] as const).map((c) => h('option', { value: c }, t(c === 'wgs84' ? 'crsWgs84' : c === 'cgcs2000' ? 'crsCgcs2000' : c === 'gcj02' ? 'crsGcj02' : 'crsBd09'))))
    const error = h('p', { class: 'error', role: 'alert' })
    const pickHint = h('p', { class: 'muted small', role: 'status' })
    const off = view.onClick((event) => {
      position.value = `${event.lngLat.lng.toFixed(7)}, ${event.lngLat.lat.toFixed(7)}`
      crs.value = 'wgs84'
      view.setOverlay('overlay-points', { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { role: 'subject', inside: false }, geometry: { type: 'Point', coordinates: [event.lngLat.lng, event.lngLat.lat] } }] })
      pickHint.textContent = ''
    })
    cleanups.push(off)
    const submit = h('button', { type: 'submit', class: 'primary' }, t('submit'))
    fill(panel, 
      backButton(),
      h('h2', {}, t('newApplication')),
      h(
        'form',
        {
          class: 'application',
          onsubmit: async (event: Event) => {
            event.preventDefault()
            error.textContent = ''
            const parsed = parseCoordinates(position.value)
            if (!parsed) {
              error.textContent = t('coordinatesInvalid')
              position.focus()
              return
            }
            submit.disabled = true
            try {
              const created = await api.createPermit({
                applicant: { name: name.value.trim(), idNumber: idNumber.value.trim().toUpperCase() },
                businessName: business.value.trim(),
                category: category.value as PremisesCategory,
                address: address.value.trim(),
                location: { lon: parsed.lon, lat: parsed.lat, crs: crs.value as CrsName },
                kind: kind.value as Permit['kind'],
                ...(kind.value !== 'new' && earlier.value.trim() ? { premisesId: Number(earlier.value.trim()) } : {}),
              })
              off()
              toast(t('submitted'), 'ok')
              openPermit(created.id)
            } catch (caught) {
              submit.disabled = false
              error.textContent = explain(caught)
            }
          },
        },
        field('applicant-name', t('applicantName'), name),
        field('id-number', t('idNumber'), idNumber),
        field('business-name', t('businessName'), business),
        h('div', { class: 'row two' }, field('application-category', t('categoryLabel'), category), field('application-kind', t('kind'), kind)),
        earlierRow,
        field('application-address', t('address'), address),
        h('div', { class: 'row two' }, field('application-location', t('location'), position), field('application-crs', t('crsLabel'), crs)),
        h('button', { type: 'button', onclick: () => (pickHint.textContent = t('pickOnMapHint')) }, t('pickOnMap')),
        pickHint,
        error,
        submit,
      ),
    )
    name.focus()
  }

  const backButton = () =>
    h(
      'button',
      {
        type: 'button',
        class: 'link back',
        onclick: () => {
          for (const cleanup of cleanups.splice(0)) cleanup()
          updateParams({ id: null }, true)
          void showList()
        },
      },
      `← ${t('permitsTitle')}`,
    )

  const onPop = () => {
    const id = Number(readRoute().params.get('id'))
    if (readRoute().screen !== 'permits') return
    if (id) void showPermit(id)
    else void showList()
  }
  window.addEventListener('popstate', onPop)
  const initial = Number(readRoute().params.get('id'))
  if (initial) void showPermit(initial)
  else void showList()
  return () => {
    disposed = true
    window.removeEventListener('popstate', onPop)
    for (const cleanup of cleanups) cleanup()
  }
}

function field(id: string, label: string, control: HTMLElement): HTMLElement {
  return h('div', { class: 'row' }, h('label', { for: id }, label), control)
}
