import { api, checkCertificateUrl, type CheckResult, type CrsName, type PremisesCategory } from '../api/client.ts'
import { CRS_NAMES } from '../../../server/schemas/vocabulary.ts'
import { CATEGORY_VALUES, crsName, currentLanguage, t } from '../i18n.ts'
import { readRoute, updateParams } from '../router.ts'
import { categorySelect, defaultCategory } from './category-select.ts'
import { parseCoordinates } from './coordinates.ts'
import { fill, h } from './dom.ts'
import { explain } from './errors.ts'
import type { ScreenContext } from './screen.ts'
import { searchBox } from './search-box.ts'
import { drawResult, verdictCard } from './verdict.ts'

/** The check screen: a place (search, pasted coordinates or a map click) and a category → the verdict. */
export function mountCheck({ user, view, panel }: ScreenContext): () => void {
  const params = readRoute().params
  const category = categorySelect(
    'category',
    (CATEGORY_VALUES as readonly string[]).includes(params.get('category') ?? '')
      ? (params.get('category') as PremisesCategory)
      : defaultCategory(user),
  )
  const initialCrs = (CRS_NAMES as readonly string[]).includes(params.get('crs') ?? '') ? (params.get('crs') as CrsName) : 'wgs84'
  const crs = h(
    'select',
    { id: 'crs', name: 'crs' },
    CRS_NAMES.map((value) => h('option', { value, selected: value === initialCrs }, crsName(value))),
  )
  const coordinates = h('input', {
    id: 'coordinates',
    name: 'coordinates',
    inputmode: 'decimal',
    placeholder: t('coordinatesPlaceholder'),
    'aria-describedby': 'coordinates-note',
  })
  const note = h('p', { id: 'coordinates-note', class: 'muted small' })
  const result = h('div', { id: 'result', 'aria-live': 'polite' })
  const button = h('button', { type: 'submit', class: 'primary' }, t('checkButton'))
  let controller: AbortController | undefined

  const run = async (lon: number, lat: number, system: CrsName, fit: boolean) => {
    controller?.abort()
    controller = new AbortController()
    const body = { lon, lat, crs: system, category: category.value as PremisesCategory }
    result.replaceChildren(h('p', { class: 'loading', role: 'status' }, t('checking')))
    button.disabled = true
    try {
      const checked: CheckResult = await api.check(body, controller.signal)
      updateParams({ lon: lon.toFixed(7), lat: lat.toFixed(7), crs: system, category: body.category })
      const certificate = h(
        'a',
        { class: 'button', href: checkCertificateUrl(body), target: '_blank', rel: 'noopener', id: 'certificate' },
        t('certificate'),
      )
      result.replaceChildren(verdictCard(checked, { footer: [h('p', {}, certificate)] }))
      await drawResult(view, checked, { fit })
    } catch (error) {
      if ((error as Error).name === 'AbortError') return
      result.replaceChildren(
        h('p', { class: 'error', role: 'alert' }, explain(error)),
        h('button', { type: 'button', onclick: () => void run(lon, lat, system, fit) }, t('retry')),
      )
    } finally {
      button.disabled = false
    }
  }

  const form = h(
    'form',
    {
      class: 'check-form',
      onsubmit: (event: Event) => {
        event.preventDefault()
        const parsed = parseCoordinates(coordinates.value)
        if (!parsed) {
          note.textContent = t('coordinatesInvalid')
          note.className = 'error small'
          coordinates.setAttribute('aria-invalid', 'true')
          coordinates.focus()
          return
        }
        coordinates.removeAttribute('aria-invalid')
        note.className = 'muted small'
        note.textContent = parsed.swapped ? t('coordinatesSwapped') : ''
        void run(parsed.lon, parsed.lat, crs.value as CrsName, true)
      },
    },
    h('div', { class: 'row' }, h('label', { for: 'coordinates' }, t('coordinatesLabel')), coordinates, note),
    h(
      'div',
      { class: 'row two' },
      h('div', {}, h('label', { for: 'crs' }, t('crsLabel')), crs),
      h('div', {}, h('label', { for: 'category' }, t('categoryLabel')), category),
    ),
    button,
  )
  const search = searchBox({
    language: currentLanguage,
    near: () => {
      const c = view.map.getCenter()
      return [c.lng, c.lat]
    },
    onPick: (item) => {
      if (item.lon === null || item.lat === null) {
        note.className = 'notice small'
        note.textContent = `${item.name}${t('searchNoPoint')}：${t('clickMapHint')}`
        return
      }
      coordinates.value = `${item.lon.toFixed(7)}, ${item.lat.toFixed(7)}`
      crs.value = 'wgs84'
      // A street is shown whole (fit below); anything else is zoomed to with its verdict.
      void run(item.lon, item.lat, 'wgs84', !item.bbox)
    },
    fit: ([west, south, east, north]) =>
      view.map.fitBounds(
        [
          [west!, south!],
          [east!, north!],
        ],
        { padding: 48, maxZoom: 17, duration: 0 },
      ),
  })
  fill(
    panel,
    h('h2', {}, t('checkTitle')),
    h('p', { class: 'muted' }, t('checkIntro')),
    search,
    form,
    h('p', { class: 'muted small' }, t('clickMapHint')),
    result,
  )
  category.addEventListener('change', () => {
    const parsed = parseCoordinates(coordinates.value)
    if (parsed && result.querySelector('.verdict')) void run(parsed.lon, parsed.lat, crs.value as CrsName, false)
  })

  const off = view.onClick((event) => {
    const { lng, lat } = event.lngLat
    coordinates.value = `${lng.toFixed(7)}, ${lat.toFixed(7)}`
    crs.value = 'wgs84'
    note.textContent = ''
    void run(lng, lat, 'wgs84', false)
  })

  const lon = Number(params.get('lon'))
  const lat = Number(params.get('lat'))
  if (params.has('lon') && params.has('lat') && Number.isFinite(lon) && Number.isFinite(lat)) {
    coordinates.value = `${params.get('lon')}, ${params.get('lat')}`
    void run(lon, lat, initialCrs, !params.has('at'))
  }
  return () => {
    controller?.abort()
    off()
  }
}
