import { Popup, type MapLayerMouseEvent } from 'maplibre-gl'
import { patrolApi, type Coverage, type Grid, type PatrolPlan, type Station, type Unit } from '../../api/client.ts'
import { COUNTIES, countyName, t, type TextKey } from '../../i18n.ts'
import { readRoute, updateParams } from '../../router.ts'
import { fill, h } from '../dom.ts'
import { explain } from '../errors.ts'
import type { ScreenContext } from '../screen.ts'
import { checkInCard } from './checkin.ts'
import { coveragePanel, coverageStates, gapsPanel, weekTable } from './coverage.ts'
import { gridForm, patrolTool, unitForm } from './editors.ts'
import {
  addPatrolLayers,
  CAMERA_COLOURS,
  COVERAGE_COLOURS,
  PATROL_GROUPS,
  setCoverage,
  setPatrolData,
  setPatrolGroupVisible,
  SIGN_COLOURS,
  type PatrolGroup,
} from './map-layers.ts'
import { drawPlan, planPanel, schoolsOf, stopPopups } from './plan.ts'
import { canSeePatrol, canWritePatrol } from './rights.ts'
import { addDays, todayCst } from './time.ts'

/** Layer choices survive screen changes within a session. */
const visible: Record<PatrolGroup, boolean> = { plan: true, coverage: true, grids: true, signs: false, cameras: false }
const GROUP_TEXT: Record<PatrolGroup, TextKey> = {
  plan: 'patrolLayerPlan',
  coverage: 'patrolLayerCoverage',
  grids: 'patrolLayerGrids',
  signs: 'patrolLayerSigns',
  cameras: 'patrolLayerCameras',
}
const GROUP_SWATCH: Record<PatrolGroup, string> = {
  plan: '#1f77b4',
  coverage: COVERAGE_COLOURS.done,
  grids: '#2c5282',
  signs: SIGN_COLOURS.installed,
  cameras: CAMERA_COLOURS.working,
}
const DATE = /^\d{4}-\d{2}-\d{2}$/

/**
 * The patrol screen of the police desk: the day's plan on the map (routes by unit, posts and stops with their
 * times) with each unit's stops and its GPX and route sheet, the coverage of the schools (done, planned,
 * missing) with the week and the schools below the required visits, grids, signs and cameras, equipment gaps;
 * for police clerks and supervisors also making the plan, editing units and grids, and the check-in.
 */
export function mountPatrol({ user, view, panel }: ScreenContext): () => void {
  if (!canSeePatrol(user)) {
    panel.replaceChildren(h('h2', {}, t('patrolTitle')), h('p', { class: 'notice', id: 'patrol-not-offered' }, t('patrolNotOffered')))
    return () => {}
  }
  const writer = canWritePatrol(user)
  const params = readRoute().params
  const scope = {
    date: DATE.test(params.get('date') ?? '') ? params.get('date')! : todayCst(),
    countyCode: user.countyCode ?? (COUNTIES[params.get('county') ?? ''] ? params.get('county')! : '640402'),
    stationId: Number(params.get('station')) || undefined,
  }
  let disposed = false
  let loadCount = 0
  const tool = patrolTool()
  const cleanups: (() => void)[] = []
  let stations: Station[] = []
  let units: Unit[] = []
  let grids: Grid[] = []
  let plan: PatrolPlan | null = null
  let coverage: Coverage | null = null
  const names = new Map<number, string>()

  // ---- controls
  const date = h('input', { type: 'date', id: 'patrol-date', name: 'date', value: scope.date })
  const county = h(
    'select',
    { id: 'patrol-county', name: 'countyCode', disabled: Boolean(user.countyCode) },
    Object.keys(COUNTIES).map((code) => h('option', { value: code, selected: code === scope.countyCode }, countyName(code))),
  )
  const station = h('select', { id: 'patrol-station', name: 'stationId' })
  const make = writer ? h('button', { type: 'button', class: 'primary', id: 'patrol-make' }, t('patrolMakePlan')) : null
  const status = h('p', { id: 'patrol-status', class: 'muted small', role: 'status' })
  const checkInHost = h('div', {})
  const planHost = h('div', { id: 'patrol-plan-host' })
  const coverageHost = h('div', {})
  const weekHost = h('div', {})
  const gapsHost = h('div', {})
  const unitsHost = h('div', { id: 'patrol-units-editor' })
  const gridsHost = h('div', { id: 'patrol-grids-editor' })

  const drawStations = () =>
    station.replaceChildren(
      h('option', { value: '' }, t('patrolAllStations')),
      ...stations.map((s) => h('option', { value: s.id, selected: s.id === scope.stationId }, s.properties.name)),
    )
  const query = () => ({ countyCode: scope.countyCode, stationId: scope.stationId })
  const failed = (host: HTMLElement, error: unknown) =>
    host.replaceChildren(h('p', { class: 'error small', role: 'alert' }, explain(error)))

  const focusSchool = async (schoolId: number) => {
    const school = (await schoolsOf(scope.countyCode)).get(schoolId)
    if (school) view.fit([school as unknown as GeoJSON.Feature], 17)
  }

  // ---- plan
  const renderPlan = () => {
    const shown = plan
    if (!shown) return
    planHost.replaceChildren(
      planPanel(shown, names, (unitId) => {
        const unit = shown.units.find((u) => u.unitId === unitId)
        if (unit?.route) view.fit([{ type: 'Feature', properties: {}, geometry: unit.route }], 16)
      }),
    )
  }
  const showPlan = async (next: PatrolPlan | null, fit: boolean) => {
    plan = next
    if (!next) {
      planHost.replaceChildren(h('p', { class: 'muted small', id: 'patrol-no-plan' }, t('patrolNoPlan')))
      await view.ready.then(() => drawPlan(view.map, null, names))
      return
    }
    renderPlan()
    await view.ready
    const drawn = drawPlan(view.map, next, names)
    if (fit && drawn.length > 0) view.fit(drawn, 15)
  }
  const loadPlan = async (token: number) => {
    try {
      const page = await patrolApi.plans({ date: scope.date, ...query(), limit: 1 })
      const newest = page.plans.find((p) => (scope.stationId ? p.stationId === scope.stationId : p.stationId === null)) ?? page.plans[0]
      const found = newest ? await patrolApi.plan(newest.id) : null
      if (token === loadCount && !disposed) await showPlan(found, true)
    } catch (error) {
      if (token === loadCount) failed(planHost, error)
    }
  }
  make?.addEventListener('click', async () => {
    make.disabled = true
    status.textContent = t('patrolMaking')
    try {
      const made = await patrolApi.createPlan({ date: scope.date, ...query() })
      status.textContent = ''
      await showPlan(made, true)
      await loadCoverage(loadCount)
    } catch (error) {
      status.className = 'error small'
      status.textContent = explain(error)
    } finally {
      make.disabled = false
    }
  })

  // ---- coverage, the week, equipment gaps
  const loadCoverage = async (token: number) => {
    try {
      const [day, week] = await Promise.all([
        patrolApi.coverage({ date: scope.date, ...query() }),
        patrolApi.week({ start: addDays(scope.date, -6), ...query() }),
      ])
      if (token !== loadCount || disposed) return
      coverage = day
      for (const s of day.schools) names.set(s.schoolId, s.schoolName)
      coverageHost.replaceChildren(coveragePanel(day, (id) => void focusSchool(id)))
      weekHost.replaceChildren(weekTable(week))
      await view.ready
      setCoverage(view.map, coverageStates(day))
      renderPlan()
      // The stops' labels and popups name their schools now that the names are known.
      if (plan) drawPlan(view.map, plan, names)
    } catch (error) {
      if (token === loadCount) failed(coverageHost, error)
    }
  }
  const loadGaps = async (token: number) => {
    try {
      const gaps = await patrolApi.equipmentGaps(scope.countyCode)
      if (token === loadCount && !disposed)
        gapsHost.replaceChildren(
          gapsPanel(gaps, (target) => (typeof target === 'number' ? void focusSchool(target) : view.focus(target, 17))),
        )
    } catch (error) {
      if (token === loadCount) failed(gapsHost, error)
    }
  }

  // ---- registry: stations, units, grids, signs, cameras
  const drawUnitsEditor = () => {
    if (!writer) return
    const list = h(
      'ul',
      { class: 'patrol-list', id: 'patrol-units' },
      units.map((u) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: 'link unit-edit', 'data-unit-id': u.id, onclick: () => openUnit(u) },
            `${u.properties.name} · ${t(u.properties.mode === 'car' ? 'patrolModeCar' : 'patrolModeFoot')} · ${u.properties.shiftStart.slice(0, 5)}–${u.properties.shiftEnd.slice(0, 5)} · ${u.properties.officers}`,
          ),
          u.properties.active ? null : h('span', { class: 'badge' }, '×'),
        ),
      ),
    )
    unitsHost.replaceChildren(
      list,
      h(
        'button',
        { type: 'button', id: 'patrol-new-unit', disabled: stations.length === 0, onclick: () => openUnit(null) },
        t('patrolNewUnit'),
      ),
    )
  }
  const openUnit = (unit: Unit | null) => {
    tool.stop()
    unitsHost.replaceChildren(
      unitForm(
        view,
        tool,
        unit,
        stations,
        async () => {
          await loadRegistry(loadCount)
        },
        drawUnitsEditor,
      ),
    )
  }
  const drawGridsEditor = () => {
    if (!writer) return
    gridsHost.replaceChildren(
      h(
        'ul',
        { class: 'patrol-list', id: 'patrol-grids' },
        grids.map((g) =>
          h(
            'li',
            {},
            `${g.properties.name} `,
            h('button', { type: 'button', class: 'link grid-edit', 'data-grid-id': g.id, onclick: () => openGrid(g) }, t('patrolEditGrid')),
          ),
        ),
      ),
      h(
        'button',
        { type: 'button', id: 'patrol-new-grid', disabled: stations.length === 0, onclick: () => openGrid(null) },
        t('patrolNewGrid'),
      ),
    )
  }
  const openGrid = (grid: Grid | null) => {
    tool.stop()
    if (grid) view.fit([grid as unknown as GeoJSON.Feature], 16)
    gridsHost.replaceChildren(gridForm(view, tool, grid, stations, () => void loadRegistry(loadCount), drawGridsEditor))
  }
  const loadRegistry = async (token: number) => {
    try {
      const county = { countyCode: scope.countyCode }
      const [s, u, g, signs, cameras] = await Promise.all([
        patrolApi.stations(county),
        patrolApi.units(query()),
        patrolApi.grids(query()),
        patrolApi.signs(county),
        patrolApi.cameras(county),
      ])
      if (token !== loadCount || disposed) return
      stations = s
      units = u
      grids = g
      drawStations()
      drawUnitsEditor()
      drawGridsEditor()
      if (writer)
        checkInHost.replaceChildren(
          checkInCard(view, units, () => {
            void loadCoverage(loadCount)
          }),
        )
      await view.ready
      const plain = (features: { id: number; properties: object; geometry: unknown }[]) => ({
        type: 'FeatureCollection' as const,
        features: features.map((f) => ({
          type: 'Feature' as const,
          id: f.id,
          properties: { id: f.id, ...f.properties },
          geometry: f.geometry as GeoJSON.Geometry,
        })),
      })
      setPatrolData(view.map, 'patrol-grids', plain(grids))
      setPatrolData(view.map, 'patrol-signs', plain(signs))
      setPatrolData(view.map, 'patrol-cameras', plain(cameras))
    } catch (error) {
      if (token === loadCount) failed(status, error)
    }
  }

  const reload = () => {
    loadCount += 1
    const token = loadCount
    tool.stop()
    updateParams({ date: scope.date, county: user.countyCode ? null : scope.countyCode, station: scope.stationId ?? null })
    planHost.replaceChildren(h('p', { class: 'loading', role: 'status' }, t('loading')))
    void loadRegistry(token)
    void loadCoverage(token).then(() => loadPlan(token))
    void loadGaps(token)
  }
  date.addEventListener('change', () => {
    if (!DATE.test(date.value)) return
    scope.date = date.value
    reload()
  })
  county.addEventListener('change', () => {
    scope.countyCode = county.value
    scope.stationId = undefined
    reload()
  })
  station.addEventListener('change', () => {
    scope.stationId = Number(station.value) || undefined
    reload()
  })

  // ---- layer switcher
  const layerBoxes = (Object.keys(PATROL_GROUPS) as PatrolGroup[]).map((group) => {
    const box = h('input', { type: 'checkbox', id: `patrol-layer-${group}`, checked: visible[group] })
    box.addEventListener('change', () => {
      visible[group] = box.checked
      setPatrolGroupVisible(view.map, group, box.checked)
    })
    return h(
      'li',
      {},
      h('label', {}, box, h('span', { class: 'swatch', style: `background:${GROUP_SWATCH[group]}` }), t(GROUP_TEXT[group])),
    )
  })

  fill(
    panel,
    h('h2', {}, t('patrolTitle')),
    writer ? null : h('p', { class: 'muted small', id: 'patrol-read-only' }, t('patrolReadOnly')),
    checkInHost,
    h(
      'div',
      { class: 'patrol-controls' },
      h('div', {}, h('label', { for: 'patrol-date' }, t('patrolDate')), date),
      h('div', {}, h('label', { for: 'patrol-county' }, t('patrolCounty')), county),
      h('div', { class: 'wide' }, h('label', { for: 'patrol-station' }, t('patrolStation')), station),
    ),
    make,
    status,
    planHost,
    h('h3', {}, t('patrolCoverage')),
    coverageHost,
    h('details', { class: 'patrol-week-box' }, h('summary', {}, t('patrolWeek')), weekHost),
    h('details', { class: 'layer-box', open: true }, h('summary', {}, t('patrolLayers')), h('ul', { class: 'layers' }, layerBoxes)),
    h('details', {}, h('summary', {}, t('patrolGaps')), gapsHost),
    writer ? h('details', { id: 'patrol-units-box' }, h('summary', {}, t('patrolUnits')), unitsHost) : null,
    writer ? h('details', { id: 'patrol-grids-box' }, h('summary', {}, t('patrolGrids')), gridsHost) : null,
  )
  drawStations()

  void view.ready.then(() => {
    if (disposed) return
    const map = view.map
    cleanups.push(addPatrolLayers(map), stopPopups(map))
    for (const group of Object.keys(PATROL_GROUPS) as PatrolGroup[]) setPatrolGroupVisible(map, group, visible[group])
    // A click on a coloured school: its visits of the day.
    const popup = new Popup({ maxWidth: '260px' })
    const open = (event: MapLayerMouseEvent) => {
      const id = Number(event.features?.[0]?.properties?.id)
      const row = coverage?.schools.find((s) => s.schoolId === id)
      if (!row) return
      popup
        .setLngLat(event.lngLat)
        .setDOMContent(
          h(
            'div',
            { class: 'patrol-popup' },
            h('strong', {}, row.schoolName),
            h('div', {}, t('patrolVisits', { done: row.done, required: row.required, planned: row.planned })),
          ),
        )
        .addTo(map)
    }
    for (const id of PATROL_GROUPS.coverage) map.on('click', id, open)
    cleanups.push(() => {
      for (const id of PATROL_GROUPS.coverage) map.off('click', id, open)
      popup.remove()
    })
    reload()
  })

  return () => {
    disposed = true
    tool.stop()
    for (const cleanup of cleanups.splice(0)) cleanup()
  }
}
