import { ApiError, patrolApi, type Grid, type Station, type Unit } from '../../api/client.ts'
import { validateCampus } from '../../../../server/geo/validate.ts'
import { t } from '../../i18n.ts'
import type { MapView } from '../../map/map-view.ts'
import { startPolygonEdit } from '../../map/tools.ts'
import { h, toast } from '../dom.ts'
import { explain } from '../errors.ts'
import { setPatrolData } from './map-layers.ts'

/** The area limits the police registry puts on a grid (server/modules/police/registry.ts, GRID_AREA). */
const GRID_AREA = { minAreaM2: 1_000, maxAreaM2: 2_000_000_000, what: 'grid' }

/** The one tool holding the map's clicks (picking a base, drawing a grid), so two never fight over a click. */
export interface PatrolTool {
  start(stop: () => void): void
  stop(): void
  busy(): boolean
}
export function patrolTool(): PatrolTool {
  let current: (() => void) | null = null
  return {
    start(stop) {
      current?.()
      current = stop
    },
    stop() {
      const stop = current
      current = null
      stop?.()
    },
    busy: () => current !== null,
  }
}

/**
 * Shows the API's field problems beside their fields: a problem at `body/properties/shiftEnd` goes under the
 * field named shiftEnd, `body/geometry…` under the one named geometry; the rest in the form's own message.
 */
function showProblems(form: HTMLElement, general: HTMLElement, error: unknown) {
  for (const node of form.querySelectorAll('.field-error')) node.textContent = ''
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid')
  const rest: string[] = []
  const problems = error instanceof ApiError ? error.problems : []
  for (const problem of problems) {
    const match = problem.field.match(/(?:^|\/)properties\/(\w+)/) ?? problem.field.match(/(?:^|\/)(geometry)(?:\/|$)/)
    const slot = match ? form.querySelector<HTMLElement>(`.field-error[data-field="${match[1]}"]`) : null
    if (slot) {
      slot.textContent = [slot.textContent, problem.message].filter(Boolean).join('；')
      form.querySelector(`[name="${match![1]}"]`)?.setAttribute('aria-invalid', 'true')
    } else rest.push(`${problem.field}: ${problem.message}`)
  }
  general.textContent =
    problems.length === 0 ? explain(error) : rest.length > 0 ? `${error instanceof Error ? error.message : ''}\n${rest.join('\n')}` : ''
}

const field = (name: string, label: string, input: HTMLElement) =>
  h(
    'div',
    { class: 'row' },
    h('label', { for: `unit-${name}` }, label),
    input,
    h('p', { class: 'field-error error small', 'data-field': name, id: `unit-${name}-error`, role: 'alert' }),
  )

/** The form of one unit (or a new one): name, station, mode, shift, officers, active, and the base clicked on the map. */
export function unitForm(
  view: MapView,
  tool: PatrolTool,
  unit: Unit | null,
  stations: Station[],
  onSaved: (unit: Unit) => void,
  onClose: () => void,
) {
  const p = unit?.properties
  let base: [number, number] | null = unit ? [unit.geometry.coordinates[0]!, unit.geometry.coordinates[1]!] : null
  const showBase = () =>
    setPatrolData(view.map, 'patrol-edit', {
      type: 'FeatureCollection',
      features: base ? [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: base } }] : [],
    })
  const name = h('input', { id: 'unit-name', name: 'name', value: p?.name ?? '', maxlength: 200 })
  const station = h(
    'select',
    { id: 'unit-stationId', name: 'stationId' },
    stations.map((s) => h('option', { value: s.id, selected: s.id === p?.stationId }, s.properties.name)),
  )
  const mode = h(
    'select',
    { id: 'unit-mode', name: 'mode' },
    h('option', { value: 'car', selected: p?.mode !== 'foot' }, t('patrolModeCar')),
    h('option', { value: 'foot', selected: p?.mode === 'foot' }, t('patrolModeFoot')),
  )
  const shiftStart = h('input', { id: 'unit-shiftStart', name: 'shiftStart', type: 'time', value: p?.shiftStart.slice(0, 5) ?? '07:00' })
  const shiftEnd = h('input', { id: 'unit-shiftEnd', name: 'shiftEnd', type: 'time', value: p?.shiftEnd.slice(0, 5) ?? '19:00' })
  const officers = h('input', { id: 'unit-officers', name: 'officers', type: 'number', min: 1, max: 100, value: p?.officers ?? 2 })
  const active = h('input', { id: 'unit-active', name: 'active', type: 'checkbox', checked: p?.active ?? true })
  const baseText = h('span', { id: 'unit-base-text', class: 'muted small' }, base ? `${base[0].toFixed(5)}, ${base[1].toFixed(5)}` : '—')
  const pick = h('button', { type: 'button', id: 'unit-pick-base', 'aria-pressed': 'false' }, t('patrolPickBase'))
  const general = h('p', { class: 'error small', id: 'unit-error', role: 'alert' })
  const save = h('button', { type: 'submit', class: 'primary', id: 'unit-save' }, t('save'))
  pick.addEventListener('click', () => {
    if (pick.getAttribute('aria-pressed') === 'true') return tool.stop()
    pick.setAttribute('aria-pressed', 'true')
    baseText.textContent = t('patrolPickBaseHint')
    view.map.getCanvas().style.cursor = 'crosshair'
    const off = view.onClick((event) => {
      base = [event.lngLat.lng, event.lngLat.lat]
      showBase()
      tool.stop()
    })
    tool.start(() => {
      off()
      view.map.getCanvas().style.cursor = ''
      pick.setAttribute('aria-pressed', 'false')
      baseText.textContent = base ? `${base[0].toFixed(5)}, ${base[1].toFixed(5)}` : '—'
    })
  })
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'patrol-form',
      id: 'unit-form',
      novalidate: true,
      onsubmit: async (event: Event) => {
        event.preventDefault()
        tool.stop()
        const properties = {
          name: name.value.trim(),
          stationId: Number(station.value),
          mode: mode.value as 'car' | 'foot',
          shiftStart: shiftStart.value,
          shiftEnd: shiftEnd.value,
          officers: Number(officers.value),
          active: active.checked,
        }
        save.disabled = true
        try {
          const geometry = base ? { type: 'Point' as const, coordinates: base } : undefined
          const saved = unit
            ? await patrolApi.updateUnit(unit.id, { properties, ...(geometry ? { geometry } : {}), version: unit.properties.version })
            : await patrolApi.createUnit({ type: 'Feature', properties, geometry: geometry ?? (null as never) })
          toast(t('patrolUnitSaved'), 'ok')
          setPatrolData(view.map, 'patrol-edit', { type: 'FeatureCollection', features: [] })
          onSaved(saved)
        } catch (error) {
          showProblems(form, general, error)
        } finally {
          save.disabled = false
        }
      },
    },
    h('h4', {}, unit ? unit.properties.name : t('patrolNewUnit')),
    field('name', t('patrolUnitName'), name),
    field('stationId', t('patrolStation'), station),
    h('div', { class: 'row two' }, field('mode', t('patrolUnitMode'), mode), field('officers', t('patrolOfficers'), officers)),
    h(
      'div',
      { class: 'row two' },
      field('shiftStart', t('patrolShiftStart'), shiftStart),
      field('shiftEnd', t('patrolShiftEnd'), shiftEnd),
    ),
    h('label', { class: 'check' }, active, t('patrolActive')),
    h(
      'div',
      { class: 'row' },
      h('label', {}, t('patrolBase')),
      h('div', { class: 'patrol-base' }, pick, baseText),
      h('p', { class: 'field-error error small', 'data-field': 'geometry', id: 'unit-geometry-error', role: 'alert' }),
    ),
    general,
    h(
      'div',
      { class: 'actions' },
      save,
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            tool.stop()
            setPatrolData(view.map, 'patrol-edit', { type: 'FeatureCollection', features: [] })
            onClose()
          },
        },
        t('cancel'),
      ),
    ),
  )
  showBase()
  return form
}

/** A grid's form: name, station and the outline drawn with the map's polygon tool, checked as it is drawn. */
export function gridForm(
  view: MapView,
  tool: PatrolTool,
  grid: Grid | null,
  stations: Station[],
  onSaved: (grid: Grid) => void,
  onClose: () => void,
) {
  const name = h('input', { id: 'grid-name', name: 'name', value: grid?.properties.name ?? '', maxlength: 200 })
  const station = h(
    'select',
    { id: 'grid-stationId', name: 'stationId' },
    stations.map((s) => h('option', { value: s.id, selected: s.id === grid?.properties.stationId }, s.properties.name)),
  )
  const problems = h('p', { class: 'field-error error small', 'data-field': 'geometry', id: 'grid-geometry-error', role: 'alert' })
  const area = h('p', { class: 'muted small', id: 'grid-area' })
  const general = h('p', { class: 'error small', id: 'grid-error', role: 'alert' })
  const save = h('button', { type: 'submit', class: 'primary', id: 'grid-save' }, t('save'))
  const edit = startPolygonEdit(
    view,
    (grid?.geometry as GeoJSON.MultiPolygon | undefined) ?? null,
    (geometry) => validateCampus(geometry, 'geometry', GRID_AREA),
    (found, areaM2) => {
      problems.textContent = found.map((p) => `${p.field}: ${p.message}`).join('\n')
      area.textContent = areaM2 === null ? '' : `${t('area')}：${(areaM2 / 1_000_000).toFixed(3)} km²`
    },
  )
  tool.start(() => edit.stop())
  const close = () => {
    tool.stop()
    onClose()
  }
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'patrol-form',
      id: 'grid-form',
      novalidate: true,
      onsubmit: async (event: Event) => {
        event.preventDefault()
        const geometry = edit.geometry()
        const properties = { name: name.value.trim(), stationId: Number(station.value) }
        save.disabled = true
        try {
          const saved = grid
            ? await patrolApi.updateGrid(grid.id, { properties, ...(geometry ? { geometry } : {}), version: grid.properties.version })
            : await patrolApi.createGrid({ type: 'Feature', properties, geometry: geometry ?? (null as never) })
          toast(t('patrolGridSaved'), 'ok')
          tool.stop()
          onSaved(saved)
        } catch (error) {
          showProblems(form, general, error)
        } finally {
          save.disabled = false
        }
      },
    },
    h('h4', {}, grid ? grid.properties.name : t('patrolNewGrid')),
    h('p', { class: 'muted small' }, t('patrolGridHint')),
    h(
      'div',
      { class: 'row' },
      h('label', { for: 'grid-name' }, t('patrolUnitName')),
      name,
      h('p', { class: 'field-error error small', 'data-field': 'name', role: 'alert' }),
    ),
    h(
      'div',
      { class: 'row' },
      h('label', { for: 'grid-stationId' }, t('patrolStation')),
      station,
      h('p', { class: 'field-error error small', 'data-field': 'stationId', role: 'alert' }),
    ),
    area,
    problems,
    general,
    h(
      'div',
      { class: 'actions' },
      save,
      h('button', { type: 'button', onclick: () => edit.redraw() }, '↺'),
      h('button', { type: 'button', onclick: close }, t('cancel')),
    ),
  )
  return form
}
