import { PREMISES_CATEGORIES, SCHOOL_TYPES } from '../../../../server/schemas/vocabulary.ts'
import { categoryName, schoolTypeName, statusName, t } from '../../i18n.ts'
import type { MapView } from '../../map/map-view.ts'
import { h } from '../dom.ts'
import { layerState } from './layer-state.ts'

/** The files the registers download as, best for desktop GIS first (the server's /api/export formats). */
const FORMATS = [
  { value: 'gpkg', label: 'GeoPackage (.gpkg)' },
  { value: 'fgb', label: 'FlatGeobuf (.fgb)' },
  { value: 'geojson', label: 'GeoJSON (.geojson)' },
  { value: 'csv', label: 'CSV (.csv)' },
] as const

/** Rounds a bound outward to 6 decimals (about 0.1 m), so the box never cuts off what is on screen. */
const outward = (value: number, up: boolean) => (up ? Math.ceil(value * 1e6) : Math.floor(value * 1e6)) / 1e6

/**
 * The registers as files for QGIS or a spreadsheet: schools or premises, within the map as shown or all the user may
 * see, filtered by type or category (premises also by the licence statuses ticked under the layers when only one is).
 * The link is rebuilt whenever a choice or the map moves, so what it says is what it downloads.
 */
export function downloadBox(view: MapView): { element: HTMLElement; dispose(): void } {
  const select = (id: string, options: { value: string; label: string }[]) =>
    h(
      'select',
      { id, name: id },
      options.map((o, i) => h('option', { value: o.value, selected: i === 0 }, o.label)),
    )
  const register = select('download-register', [
    { value: 'schools', label: t('downloadSchools') },
    { value: 'premises', label: t('downloadPremises') },
  ])
  const extent = select('download-extent', [
    { value: 'view', label: t('downloadView') },
    { value: 'all', label: t('downloadAll') },
  ])
  const format = select('download-format', [...FORMATS])
  const any = { value: '', label: t('downloadAny') }
  const schoolType = select('download-school-type', [any, ...SCHOOL_TYPES.map((v) => ({ value: v, label: schoolTypeName(v) }))])
  const category = select('download-category', [any, ...PREMISES_CATEGORIES.map((v) => ({ value: v, label: categoryName(v) }))])
  const schoolTypeRow = h('label', {}, t('downloadSchoolType'), schoolType)
  const categoryRow = h('label', {}, t('downloadCategory'), category)
  const status = h('p', { class: 'hint', id: 'download-status' })
  const link = h('a', { class: 'button', id: 'download-link', download: '' }, t('downloadFile'))

  const update = () => {
    const premises = register.value === 'premises'
    schoolTypeRow.hidden = premises
    categoryRow.hidden = !premises
    const query = new URLSearchParams()
    if (extent.value === 'view') {
      const b = view.map.getBounds()
      query.set(
        'bbox',
        [outward(b.getWest(), false), outward(b.getSouth(), false), outward(b.getEast(), true), outward(b.getNorth(), true)].join(','),
      )
    }
    if (!premises && schoolType.value) query.set('schoolType', schoolType.value)
    if (premises && category.value) query.set('category', category.value)
    // The map's status filter is many-valued; the download takes one status, so it follows the filter only then.
    const [only] = layerState.statuses
    if (premises && layerState.statuses.size === 1 && only) query.set('licenceStatus', only)
    status.textContent = premises && layerState.statuses.size === 1 && only ? `${t('statusFilter')}：${statusName(only)}` : ''
    const search = query.toString()
    link.setAttribute('href', `/api/export/${register.value}.${format.value}${search ? `?${search}` : ''}`)
  }
  for (const control of [register, extent, format, schoolType, category]) control.addEventListener('change', update)
  // The box may be closed while the map moves; reading the bounds on opening and on each move keeps the link true.
  const element = h(
    'details',
    { class: 'download-box', id: 'download-box' },
    h('summary', {}, t('download')),
    h('label', {}, t('downloadRegister'), register),
    h('label', {}, t('downloadExtent'), extent),
    schoolTypeRow,
    categoryRow,
    h('label', {}, t('downloadFormat'), format),
    status,
    link,
    h('p', { class: 'hint' }, t('downloadHint')),
  )
  element.addEventListener('toggle', update)
  link.addEventListener('click', update)
  view.map.on('moveend', update)
  update()
  return { element, dispose: () => view.map.off('moveend', update) }
}
