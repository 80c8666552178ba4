import { api, type Conflict, type School, type User } from '../api/client.ts'
import type { GeometryProblem } from '../../../server/geo/validate.ts'
import { bandName, CATEGORY_VALUES, categoryName, countyName, metres, schoolTypeName, statusName, t } from '../i18n.ts'
import type { ScreenContext } from '../main.ts'
import type { MapView } from '../map/map-view.ts'
import { BAND_COLOURS, CATEGORY_COLOURS, CONFLICT_COLOUR, LAYER_GROUPS, SCHOOL_COLOUR, type LayerGroup } from '../map/style.ts'
import { startCampusEdit, startMeasuring } from '../map/tools.ts'
import { readRoute, updateParams } from '../router.ts'
import { fill, h, toast } from './dom.ts'
import { explain } from './errors.ts'
import { measuredLine } from './verdict.ts'

const GROUP_TEXT: Record<LayerGroup, Parameters<typeof t>[0]> = {
  counties: 'layerCounties',
  townships: 'layerTownships',
  schools: 'layerSchools',
  zoneCore: 'layerZoneCore',
  zoneControl: 'layerZoneControl',
  premises: 'layerPremises',
}
const GROUP_SWATCH: Record<LayerGroup, string> = {
  counties: '#6b5b4b',
  townships: '#5a4a3a',
  schools: SCHOOL_COLOUR,
  zoneCore: BAND_COLOURS.core,
  zoneControl: BAND_COLOURS.control,
  premises: '#444444',
}
const STATUSES = ['active', 'suspended', 'expired', 'revoked'] as const

/** Layer and filter choices survive screen changes within a session. */
const state = {
  visible: Object.fromEntries(Object.keys(LAYER_GROUPS).map((g) => [g, true])) as Record<LayerGroup, boolean>,
  onlyConflicts: false,
  statuses: new Set<string>(STATUSES),
}

export function applyLayerState(view: MapView): void {
  for (const group of Object.keys(LAYER_GROUPS) as LayerGroup[]) view.setGroupVisible(group, state.visible[group])
  view.setPremisesFilter({ onlyConflicts: state.onlyConflicts, statuses: state.statuses.size === STATUSES.length ? null : [...state.statuses] })
}

const canEditCampus = (user: User) => user.role === 'admin' || (user.department === 'education' && (user.role === 'clerk' || user.role === 'supervisor'))

/** The perimeter map: layers and legend, feature details on click, measuring, and campus editing for education. */
export function mountMapScreen({ user, view, panel }: ScreenContext): () => void {
  let tool: { stop(): void } | null = null
  let disposed = false
  const details = h('section', { id: 'details', class: 'details', 'aria-live': 'polite' })
  const toolBox = h('div', { class: 'tool-box', role: 'status' })

  const layerList = h(
    'ul',
    { class: 'layers' },
    (Object.keys(LAYER_GROUPS) as LayerGroup[]).map((group) => {
      const box = h('input', { type: 'checkbox', id: `layer-${group}`, checked: state.visible[group] })
      box.addEventListener('change', () => {
        state.visible[group] = box.checked
        applyLayerState(view)
      })
      return h('li', {}, h('label', {}, box, h('span', { class: 'swatch', style: `background:${GROUP_SWATCH[group]}` }), t(GROUP_TEXT[group])))
    }),
  )
  const onlyConflicts = h('input', { type: 'checkbox', id: 'only-conflicts', checked: state.onlyConflicts })
  onlyConflicts.addEventListener('change', () => {
    state.onlyConflicts = onlyConflicts.checked
    applyLayerState(view)
  })
  const statusBoxes = STATUSES.map((status) => {
    const box = h('input', { type: 'checkbox', checked: state.statuses.has(status), value: status })
    box.addEventListener('change', () => {
      if (box.checked) state.statuses.add(status)
      else state.statuses.delete(status)
      applyLayerState(view)
    })
    return h('label', { class: 'inline' }, box, statusName(status))
  })
  const legend = h(
    'ul',
    { class: 'legend' },
    CATEGORY_VALUES.map((category) => h('li', {}, h('span', { class: 'dot', style: `background:${CATEGORY_COLOURS[category]}` }), categoryName(category))),
    h('li', {}, h('span', { class: 'dot ring', style: `border-color:${CONFLICT_COLOUR}` }), t('conflictMarked')),
    h('li', {}, h('span', { class: 'swatch', style: `background:${BAND_COLOURS.core};opacity:.5` }), `${bandName('core')} 0–50 m`),
    h('li', {}, h('span', { class: 'swatch', style: `background:${BAND_COLOURS.control};opacity:.5` }), `${bandName('control')} 50–200 m`),
  )

  const stopTool = () => {
    tool?.stop()
    tool = null
    toolBox.replaceChildren()
    for (const button of panel.querySelectorAll('.tools button')) button.setAttribute('aria-pressed', 'false')
  }
  const measureButton = h('button', { type: 'button', id: 'tool-measure', 'aria-pressed': 'false' }, t('measure'))
  measureButton.addEventListener('click', () => {
    const active = measureButton.getAttribute('aria-pressed') === 'true'
    stopTool()
    if (active) return
    measureButton.setAttribute('aria-pressed', 'true')
    const total = h('strong', { id: 'measure-total' }, '0.0 m')
    toolBox.replaceChildren(h('p', { class: 'muted small' }, t('measureHint')), h('p', {}, `${t('totalDistance')}：`, total))
    tool = startMeasuring(view, (m) => (total.textContent = m >= 1000 ? `${(m / 1000).toFixed(3)} km` : `${m.toFixed(1)} m`))
  })

  let selectedSchool: School | null = null
  // Enabled once a school is open: the tool edits that school's campus.
  const drawButton = canEditCampus(user) ? h('button', { type: 'button', id: 'tool-draw', 'aria-pressed': 'false', disabled: true, title: t('drawPickSchool') }, t('drawCampus')) : null
  drawButton?.addEventListener('click', () => {
    const active = drawButton.getAttribute('aria-pressed') === 'true'
    stopTool()
    if (active) return
    if (!selectedSchool) {
      toolBox.replaceChildren(h('p', { class: 'notice' }, t('drawPickSchool')))
      return
    }
    drawButton.setAttribute('aria-pressed', 'true')
    const school = selectedSchool
    const problems = h('ul', { class: 'problems', id: 'draw-problems' })
    const area = h('p', { class: 'muted small' })
    const save = h('button', { type: 'button', class: 'primary', id: 'draw-save', disabled: true }, t('save'))
    const edit = startCampusEdit(view, school.geometry as GeoJSON.Polygon | GeoJSON.MultiPolygon, school.properties.gates, (found: GeometryProblem[], areaM2) => {
      problems.replaceChildren(...found.map((p) => h('li', { class: 'error small' }, `${p.field}: ${p.message}`)))
      area.textContent = areaM2 === null ? '' : `${t('area')}：${Math.round(areaM2).toLocaleString()} m²`
      save.disabled = found.length > 0
    })
    tool = edit
    save.addEventListener('click', async () => {
      const geometry = edit.geometry()
      if (!geometry) return
      save.disabled = true
      try {
        const updated = await api.updateSchoolGeometry(school.id, geometry, school.properties.version)
        toast(t('drawSaved'), 'ok')
        stopTool()
        view.refreshTiles()
        await showSchool(updated.id)
      } catch (error) {
        problems.replaceChildren(h('li', { class: 'error' }, explain(error)))
        save.disabled = false
      }
    })
    toolBox.replaceChildren(
      h('p', { class: 'muted small' }, `${school.properties.name} · ${t('drawHint')}`),
      area,
      problems,
      h('div', { class: 'actions' }, save, h('button', { type: 'button', onclick: () => edit.redraw() }, '↺'), h('button', { type: 'button', onclick: stopTool }, t('cancel'))),
    )
  })

  const showSchool = async (id: number) => {
    updateParams({ sel: `school:${id}` })
    fill(details, h('p', { class: 'loading' }, t('loading')))
    try {
      const [school, conflicts, zone] = await Promise.all([api.school(id), api.conflicts({ schoolId: id, limit: 50 }), api.schoolZone(id)])
      if (disposed) return
      selectedSchool = school
      if (drawButton) drawButton.disabled = false
      const p = school.properties
      fill(
        details,
        h('h3', {}, p.name),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, t('layerSchools')),
          h('dd', {}, schoolTypeName(p.schoolType)),
          h('dt', {}, t('county')),
          h('dd', {}, countyName(p.countyCode)),
          p.address ? [h('dt', {}, t('address')), h('dd', {}, p.address)] : null,
          p.students !== null ? [h('dt', {}, t('students')), h('dd', {}, String(p.students))] : null,
          p.openedOn ? [h('dt', {}, t('opened')), h('dd', {}, p.openedOn)] : null,
        ),
        conflictList(t('conflictsOf'), conflicts.conflicts, conflicts.numberMatched, (c) => `${c.premisesName}（${categoryName(c.category)}）`),
      )
      view.setOverlay('overlay-zone', { type: 'FeatureCollection', features: zone.features })
    } catch (error) {
      fill(details, h('p', { class: 'error', role: 'alert' }, explain(error)))
    }
  }
  const showPremises = async (id: number) => {
    updateParams({ sel: `premises:${id}` })
    selectedSchool = null
    if (drawButton) drawButton.disabled = true
    fill(details, h('p', { class: 'loading' }, t('loading')))
    try {
      const [premises, conflicts] = await Promise.all([api.premises(id), api.conflicts({ premisesId: id, limit: 50 })])
      if (disposed) return
      const p = premises.properties
      fill(
        details,
        h('h3', {}, p.name),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, t('premisesNo')),
          h('dd', {}, `#${premises.id}`),
          h('dt', {}, t('categoryLabel')),
          h('dd', {}, categoryName(p.category)),
          h('dt', {}, t('statusFilter')),
          h('dd', {}, statusName(p.licenceStatus)),
          p.licenceNo ? [h('dt', {}, t('licenceNo')), h('dd', {}, p.licenceNo)] : null,
          p.licensedOn ? [h('dt', {}, t('licensedOn')), h('dd', {}, p.licensedOn)] : null,
          p.expiresOn ? [h('dt', {}, t('expiresOn')), h('dd', {}, p.expiresOn)] : null,
          p.address ? [h('dt', {}, t('address')), h('dd', {}, p.address)] : null,
          h('dt', {}, t('county')),
          h('dd', {}, countyName(p.countyCode)),
        ),
        conflictList(t('inZoneOf'), conflicts.conflicts, conflicts.numberMatched, (c) => c.schoolName),
      )
      const [lon, lat] = (premises.geometry as GeoJSON.Point).coordinates as [number, number]
      view.setOverlay('overlay-points', { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { role: 'subject', inside: conflicts.numberMatched > 0 }, geometry: { type: 'Point', coordinates: [lon, lat] } }] })
      view.setOverlay('overlay-lines', {
        type: 'FeatureCollection',
        features: conflicts.conflicts.flatMap((c) => measuredLine([lon, lat], [c.nearestPoint.lon, c.nearestPoint.lat], metres(c.distanceM))),
      })
    } catch (error) {
      fill(details, h('p', { class: 'error', role: 'alert' }, explain(error)))
    }
  }

  const off = view.onClick((_event, features) => {
    if (tool) return
    // Premises and campuses sit on top of the zones: prefer them when a click hits several.
    const feature = features.find((f) => f.sourceLayer !== 'zones') ?? features[0]
    if (!feature) return
    view.clearOverlays()
    const props = feature.properties ?? {}
    if (feature.sourceLayer === 'premises') void showPremises(Number(props.id))
    else if (feature.sourceLayer === 'campuses') void showSchool(Number(props.id))
    else if (feature.sourceLayer === 'gates' || feature.sourceLayer === 'zones') void showSchool(Number(props.schoolId))
  })

  fill(
    panel,
    h('h2', {}, t('navMap')),
    h('div', { class: 'tools', role: 'toolbar', 'aria-label': 'tools' }, measureButton, drawButton),
    toolBox,
    h('details', { class: 'layer-box', open: true }, h('summary', {}, t('layers')), layerList, h('label', { class: 'check' }, onlyConflicts, t('onlyConflicts')), h('fieldset', {}, h('legend', {}, t('statusFilter')), statusBoxes)),
    h('details', { class: 'legend-box' }, h('summary', {}, t('legend')), legend),
    details,
  )
  applyLayerState(view)

  const selection = readRoute().params.get('sel')?.match(/^(school|premises):(\d+)$/)
  if (selection) void (selection[1] === 'school' ? showSchool(Number(selection[2])) : showPremises(Number(selection[2])))
  return () => {
    disposed = true
    stopTool()
    off()
  }
}

function conflictList(title: string, conflicts: Conflict[], total: number, label: (c: Conflict) => string): HTMLElement {
  return h(
    'div',
    {},
    h('h4', {}, `${title}（${total}）`),
    conflicts.length === 0
      ? h('p', { class: 'muted' }, t('noConflicts'))
      : h(
          'ul',
          { class: 'conflicts' },
          conflicts.map((c) => h('li', {}, label(c), h('span', { class: 'distance' }, ` ${metres(c.distanceM)}`), h('span', { class: `band band-${c.band}` }, bandName(c.band)), c.preexisting ? h('span', { class: 'badge' }, 'preexisting') : null)),
        ),
  )
}
