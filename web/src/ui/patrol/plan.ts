import { Popup, type Map as MapLibreMap, type MapLayerMouseEvent } from 'maplibre-gl'
import { patrolApi, patrolUnitExportUrl, type PatrolPlan, type School } from '../../api/client.ts'
import { t } from '../../i18n.ts'
import { h } from '../dom.ts'
import { setPatrolData, unitColour } from './map-layers.ts'
import { hhmm } from './time.ts'
import { unmetReason } from './unmet-reason.ts'

const stopKind = (kind: 'post' | 'visit') => t(kind === 'post' ? 'patrolStopPost' : 'patrolStopVisit')

/** Schools of a county by id, fetched once per county (to zoom to a school; the plan's stops carry their own points). */
const schoolCache = new Map<string, Promise<Map<number, School>>>()
export function schoolsOf(countyCode: string): Promise<Map<number, School>> {
  let found = schoolCache.get(countyCode)
  if (!found) {
    found = patrolApi.schools(countyCode).then((list) => new Map(list.map((s) => [s.id, s])))
    found.catch(() => schoolCache.delete(countyCode))
    schoolCache.set(countyCode, found)
  }
  return found
}

/**
 * Draws a plan's routes (coloured by unit) and stops (posts larger, with the time in a popup) on the map, each
 * stop at the point the plan gives it (its gate, or a point of the campus); no school is fetched for it.
 */
export function drawPlan(map: MapLibreMap, plan: PatrolPlan | null, schoolNames: Map<number, string>): GeoJSON.Feature[] {
  if (!plan) {
    setPatrolData(map, 'patrol-routes', { type: 'FeatureCollection', features: [] })
    setPatrolData(map, 'patrol-stops', { type: 'FeatureCollection', features: [] })
    return []
  }
  const routes: GeoJSON.Feature[] = []
  const stops: GeoJSON.Feature[] = []
  plan.units.forEach((unit, index) => {
    const colour = unitColour(index)
    if (unit.route) routes.push({ type: 'Feature', properties: { unitId: unit.unitId, name: unit.name, colour }, geometry: unit.route })
    unit.stops.forEach((stop, seq) => {
      const name = schoolNames.get(stop.schoolId) ?? `#${stop.schoolId}`
      stops.push({
        type: 'Feature',
        properties: {
          unitId: unit.unitId,
          unitName: unit.name,
          seq: seq + 1,
          kind: stop.kind,
          schoolId: stop.schoolId,
          schoolName: name,
          gate: stop.gate ?? null,
          arriveAt: stop.arriveAt,
          departAt: stop.departAt,
          colour,
          label: `${hhmm(stop.arriveAt)} ${name}`,
        },
        geometry: { type: 'Point', coordinates: [stop.lon, stop.lat] },
      })
    })
  })
  setPatrolData(map, 'patrol-routes', { type: 'FeatureCollection', features: routes })
  setPatrolData(map, 'patrol-stops', { type: 'FeatureCollection', features: stops })
  return [...routes, ...stops]
}

/** A popup with the stop's school, kind, gate, unit and times, on a click on a stop. */
export function stopPopups(map: MapLibreMap): () => void {
  const popup = new Popup({ closeButton: true, maxWidth: '260px' })
  const open = (event: MapLayerMouseEvent) => {
    const p = event.features?.[0]?.properties
    if (!p) return
    const gate = p.gate === null || p.gate === undefined || p.gate === 'null' ? '' : ` · ${t('patrolGate', { gate: String(p.gate) })}`
    popup
      .setLngLat(event.lngLat)
      .setDOMContent(
        h(
          'div',
          { class: 'patrol-popup' },
          h('strong', {}, String(p.schoolName)),
          h('div', {}, `${stopKind(p.kind as 'post' | 'visit')}${gate}`),
          h('div', {}, `${hhmm(String(p.arriveAt))}–${hhmm(String(p.departAt))}`),
          h('div', { class: 'muted small' }, `${String(p.unitName)} · #${String(p.seq)}`),
        ),
      )
      .addTo(map)
  }
  map.on('click', 'patrol-stop', open)
  return () => {
    map.off('click', 'patrol-stop', open)
    popup.remove()
  }
}

/**
 * What the plan could not do, in view without a click: the count of unmet posts and visits and each distinct
 * reason with how many tasks it stops; the school-by-school list folds open below.
 */
function unmetPanel(unmet: PatrolPlan['unmet'], name: (id: number) => string): HTMLElement {
  const reasons = new Map<string, { kind: 'post' | 'visit'; reason: string; count: number }>()
  for (const u of unmet) {
    const reason = unmetReason(u)
    const key = `${u.kind}|${reason}`
    const entry = reasons.get(key) ?? reasons.set(key, { kind: u.kind, reason, count: 0 }).get(key)!
    entry.count += 1
  }
  const grouped = [...reasons.values()].sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind))
  return h(
    'div',
    { class: 'patrol-unmet', id: 'patrol-unmet', role: 'region', 'aria-label': t('patrolUnmet') },
    h(
      'p',
      { class: 'small patrol-unmet-count' },
      h('strong', {}, t('patrolUnmet')),
      ' ',
      t('patrolUnmetCounts', {
        posts: unmet.filter((u) => u.kind === 'post').length,
        visits: unmet.filter((u) => u.kind === 'visit').length,
      }),
    ),
    h(
      'ul',
      { class: 'small patrol-unmet-reasons' },
      grouped.map((g) =>
        h(
          'li',
          { 'data-kind': g.kind, 'data-count': g.count },
          h('span', { class: `badge kind-${g.kind}` }, stopKind(g.kind)),
          ` ×${g.count}：${g.reason}`,
        ),
      ),
    ),
    h(
      'details',
      {},
      h('summary', { class: 'small' }, t('patrolUnmetBySchool', { count: unmet.length })),
      h(
        'ul',
        { class: 'small patrol-unmet-list' },
        unmet.map((u) => h('li', {}, `${name(u.schoolId)} · ${stopKind(u.kind)}${u.window ? ` · ${u.window}` : ''}：${unmetReason(u)}`)),
      ),
    ),
  )
}

/** The plan in the panel: its figures, unmet tasks, and per unit its stops with times and the GPX and PDF links. */
export function planPanel(plan: PatrolPlan, schoolNames: Map<number, string>, focus: (unitId: number) => void): HTMLElement {
  const stops = plan.units.reduce((n, u) => n + u.stops.length, 0)
  const name = (id: number) => schoolNames.get(id) ?? `#${id}`
  return h(
    'div',
    { id: 'patrol-plan', 'data-plan-id': plan.id },
    h(
      'p',
      { id: 'patrol-plan-summary', class: 'small' },
      t('patrolPlanSummary', {
        id: plan.id,
        units: plan.units.length,
        stops,
        km: (plan.lengthM / 1000).toFixed(1),
        lower: (plan.lowerBoundM / 1000).toFixed(1),
        unmet: plan.unmet.length,
      }),
    ),
    plan.unmet.length > 0 && unmetPanel(plan.unmet, name),
    h(
      'div',
      { id: 'patrol-unit-plans' },
      plan.units.map((unit, index) =>
        h(
          'section',
          { class: 'patrol-unit', 'data-unit-id': unit.unitId },
          h(
            'div',
            { class: 'patrol-unit-head' },
            h('span', { class: 'swatch', style: `background:${unitColour(index)}` }),
            h(
              'button',
              { type: 'button', class: 'link unit-name', onclick: () => focus(unit.unitId) },
              `${unit.name}（${t(unit.mode === 'car' ? 'patrolModeCar' : 'patrolModeFoot')}，${(unit.lengthM / 1000).toFixed(1)} km）`,
            ),
            h(
              'span',
              { class: 'patrol-downloads' },
              h(
                'a',
                { class: 'button small patrol-gpx', href: patrolUnitExportUrl(plan.id, unit.unitId, 'gpx'), download: '' },
                t('patrolGpx'),
              ),
              h(
                'a',
                { class: 'button small patrol-pdf', href: patrolUnitExportUrl(plan.id, unit.unitId, 'pdf'), download: '' },
                t('patrolPdf'),
              ),
            ),
          ),
          unit.stops.length === 0
            ? h('p', { class: 'muted small' }, t('patrolNoStops'))
            : h(
                'ol',
                { class: 'patrol-stops small' },
                unit.stops.map((stop) =>
                  h(
                    'li',
                    { class: `stop-${stop.kind}` },
                    h('span', { class: 'time' }, `${hhmm(stop.arriveAt)}–${hhmm(stop.departAt)}`),
                    ' ',
                    h('span', { class: `badge kind-${stop.kind}` }, stopKind(stop.kind)),
                    ' ',
                    name(stop.schoolId),
                    stop.gate !== undefined ? ` · ${t('patrolGate', { gate: stop.gate })}` : '',
                  ),
                ),
              ),
        ),
      ),
    ),
  )
}
