import { api, type CrsName, type Permit, type PremisesCategory } from '../../api/client.ts'
import { CRS_NAMES, PERMIT_KINDS } from '../../../../server/schemas/vocabulary.ts'
import { CATEGORY_VALUES, crsName, kindName, t } from '../../i18n.ts'
import { categorySelect, defaultCategory } from '../category-select.ts'
import { parseCoordinates } from '../coordinates.ts'
import { fill, h, toast } from '../dom.ts'
import { explain } from '../errors.ts'
import type { PermitDesk } from './desk.ts'
import { licenses } from './rights.ts'

/** A new application: applicant, business, category the clerk licenses, kind, and the place (typed or picked on the map). */
export function showApplicationForm(desk: PermitDesk): void {
  const { user, view, panel } = desk
  view.clearOverlays()
  const name = h('input', { id: 'applicant-name', required: true, maxlength: 100 })
  const idNumber = h('input', { id: 'id-number', required: true, minlength: 18, maxlength: 18, pattern: '[0-9]{17}[0-9Xx]' })
  const business = h('input', { id: 'business-name', required: true, maxlength: 200 })
  const allowed = CATEGORY_VALUES.filter((c) => licenses(user, c))
  const category = categorySelect('application-category', allowed.includes(defaultCategory(user)) ? defaultCategory(user) : allowed[0]!)
  for (const option of [...category.options]) if (!allowed.includes(option.value as PremisesCategory)) option.remove()
  const address = h('input', { id: 'application-address', required: true, maxlength: 300 })
  const kind = h(
    'select',
    { id: 'application-kind' },
    PERMIT_KINDS.map((k) => h('option', { value: k }, kindName(k))),
  )
  const position = h('input', { id: 'application-location', required: true, placeholder: t('coordinatesPlaceholder') })
  const earlier = h('input', {
    id: 'application-premises',
    inputmode: 'numeric',
    pattern: '[0-9]{1,10}',
    'aria-describedby': 'application-premises-hint',
  })
  const earlierRow = h(
    'div',
    { class: 'row', hidden: true },
    h('label', { for: 'application-premises' }, t('earlierPremises')),
    earlier,
    h('p', { class: 'muted small', id: 'application-premises-hint' }, t('earlierPremisesHint')),
  )
  kind.addEventListener('change', () => {
    earlierRow.hidden = kind.value === 'new'
    earlier.required = kind.value !== 'new'
  })
  const crs = h(
    'select',
    { id: 'application-crs' },
    CRS_NAMES.map((c) => h('option', { value: c }, crsName(c))),
  )
  const error = h('p', { class: 'error', role: 'alert' })
  const pickHint = h('p', { class: 'muted small', role: 'status' })
  const off = view.onClick((event) => {
    position.value = `${event.lngLat.lng.toFixed(7)}, ${event.lngLat.lat.toFixed(7)}`
    crs.value = 'wgs84'
    view.setOverlay('overlay-points', {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { role: 'subject', inside: false },
          geometry: { type: 'Point', coordinates: [event.lngLat.lng, event.lngLat.lat] },
        },
      ],
    })
    pickHint.textContent = ''
  })
  desk.onLeave(off)
  const submit = h('button', { type: 'submit', class: 'primary' }, t('submit'))
  fill(
    panel,
    desk.backButton(),
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
            desk.openPermit(created.id)
          } catch (caught) {
            submit.disabled = false
            error.textContent = explain(caught)
          }
        },
      },
      field('applicant-name', t('applicantName'), name),
      field('id-number', t('idNumber'), idNumber),
      field('business-name', t('businessName'), business),
      h(
        'div',
        { class: 'row two' },
        field('application-category', t('categoryLabel'), category),
        field('application-kind', t('kind'), kind),
      ),
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

function field(id: string, label: string, control: HTMLElement): HTMLElement {
  return h('div', { class: 'row' }, h('label', { for: id }, label), control)
}
