import type { GeoJSONSource, MapLayerMouseEvent } from 'maplibre-gl'
import { api } from '../../api/client.ts'
import { governanceApi, type Hazard, type HazardQuery } from '../../api/governance.ts'
import { COUNTIES, countyName, t } from '../../i18n.ts'
import { readRoute, updateParams } from '../../router.ts'
import { fill, h } from '../dom.ts'
import { explain } from '../errors.ts'
import type { GovernanceDesk } from './desk.ts'
import { g, stepName } from './text.ts'

export const HAZARD_SOURCE = 'governance-hazards'
export const HAZARD_LAYER = 'governance-hazard-points'
/** At most this many open hazards are drawn (pages of the list API); the count says how many there are. */
const MAX_DRAWN = 5000
const PAGE = 1000

/** The colour of an open hazard: blue while in time, then amber → red → dark red up the escalation ladder. */
export const HAZARD_COLOURS = {
  current: '#2b6cb0',
  overdue: '#f97316',
  notice: '#f59e0b',
  ordered: '#dc2626',
  listed: '#7f1d1d',
} as const

/** A point to draw a hazard at: its own position, or its school's when it has none. */
function featureOf(hazard: Hazard, at: [number, number]): GeoJSON.Feature {
  return {
    type: 'Feature',
    id: hazard.id,
    properties: {
      id: hazard.id,
      title: hazard.title,
      overdue: hazard.overdue,
      daysOverdue: hazard.daysOverdue,
      escalation: hazard.escalation ?? (hazard.overdue ? 'overdue' : 'current'),
      grade: hazard.grade,
      state: hazard.state,
    },
    geometry: { type: 'Point', coordinates: at },
  }
}

/** The middle of a school's outline (the centre of its bounding box), for hazards recorded without a position. */
function middleOf(geometry: GeoJSON.Geometry): [number, number] | null {
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity]
  const visit = (p: GeoJSON.Position) => {
    w = Math.min(w, p[0]!)
    e = Math.max(e, p[0]!)
    s = Math.min(s, p[1]!)
    n = Math.max(n, p[1]!)
  }
  if (geometry.type === 'Polygon') geometry.coordinates.forEach((ring) => ring.forEach(visit))
  else if (geometry.type === 'MultiPolygon') geometry.coordinates.forEach((polygon) => polygon.forEach((ring) => ring.forEach(visit)))
  else if (geometry.type === 'Point') visit(geometry.coordinates)
  return Number.isFinite(w) ? [(w + e) / 2, (s + n) / 2] : null
}

/** Adds the hazards' layer to the shared map (above the registry), and returns what takes it off again. */
function addLayer(desk: GovernanceDesk, onPick: (id: number) => void): { set(features: GeoJSON.Feature[]): void; remove(): void } {
  const { map, ready } = desk.view
  let removed = false
  const click = (event: MapLayerMouseEvent) => {
    const id = Number(event.features?.[0]?.properties?.id)
    if (id) onPick(id)
  }
  const enter = () => (map.getCanvas().style.cursor = 'pointer')
  const leave = () => (map.getCanvas().style.cursor = '')
  let pending: GeoJSON.Feature[] = []
  void ready.then(() => {
    if (removed) return
    map.addSource(HAZARD_SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: pending } })
    map.addLayer({
      id: HAZARD_LAYER,
      type: 'circle',
      source: HAZARD_SOURCE,
      paint: {
        // Larger than the premises' dots and ringed in ink, so a hazard stands out among the registry's points.
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, ['case', ['==', ['get', 'grade'], 'major'], 7, 5], 15, 11],
        'circle-color': [
          'match',
          ['get', 'escalation'],
          'listed',
          HAZARD_COLOURS.listed,
          'ordered',
          HAZARD_COLOURS.ordered,
          'notice',
          HAZARD_COLOURS.notice,
          'overdue',
          HAZARD_COLOURS.overdue,
          HAZARD_COLOURS.current,
        ],
        'circle-stroke-color': '#1a202c',
        'circle-stroke-width': 2.5,
      },
    })
    map.on('click', HAZARD_LAYER, click)
    map.on('mouseenter', HAZARD_LAYER, enter)
    map.on('mouseleave', HAZARD_LAYER, leave)
  })
  return {
    set(features) {
      pending = features
      const source = map.getSource(HAZARD_SOURCE) as GeoJSONSource | undefined
      source?.setData({ type: 'FeatureCollection', features })
    },
    remove() {
      removed = true
      map.off('click', HAZARD_LAYER, click)
      map.off('mouseenter', HAZARD_LAYER, enter)
      map.off('mouseleave', HAZARD_LAYER, leave)
      if (map.getLayer(HAZARD_LAYER)) map.removeLayer(HAZARD_LAYER)
      if (map.getSource(HAZARD_SOURCE)) map.removeSource(HAZARD_SOURCE)
      leave()
    },
  }
}

/** Open hazards on the map, coloured by overdue and escalation step; a click opens the hazard. */
export async function showHazardMap(desk: GovernanceDesk): Promise<void> {
  const { user, content, view } = desk
  const gone = desk.part()
  const params = readRoute().params
  const layer = addLayer(desk, (id) => desk.openHazard(id))
  desk.onLeave(() => layer.remove())
  const county = h(
    'select',
    { id: 'map-county' },
    h('option', { value: '' }, g('allCounties')),
    Object.keys(COUNTIES).map((code) => h('option', { value: code }, countyName(code))),
  )
  county.value = user.countyCode ?? params.get('county') ?? ''
  county.disabled = Boolean(user.countyCode)
  const overdue = h('input', { type: 'checkbox', id: 'map-overdue', checked: params.get('overdue') === 'true' })
  const status = h('p', { class: 'muted small', role: 'status', id: 'map-status' })
  const legend = h(
    'ul',
    { class: 'hazard-legend' },
    (
      [
        ['current', g('notOverdue')],
        ['overdue', g('overdueNoStep')],
        ['notice', stepName('notice')],
        ['ordered', stepName('ordered')],
        ['listed', stepName('listed')],
      ] as const
    ).map(([key, label]) => h('li', {}, h('span', { class: 'swatch', style: `background:${HAZARD_COLOURS[key]}` }), label)),
  )
  fill(
    content,
    h('p', { class: 'muted small' }, g('mapIntro')),
    h('div', { class: 'filters' }, h('label', {}, t('county'), county), h('label', { class: 'check' }, overdue, g('filterOverdue'))),
    legend,
    status,
  )

  const load = async () => {
    updateParams({ county: county.disabled ? null : county.value, overdue: overdue.checked ? 'true' : null })
    status.textContent = t('loading')
    const query: HazardQuery = { open: true, limit: PAGE, offset: 0 }
    if (county.value) query.countyCode = county.value
    if (overdue.checked) query.overdue = true
    try {
      const hazards: Hazard[] = []
      let total = 0
      for (;;) {
        const page = await governanceApi.hazards({ ...query, offset: hazards.length })
        if (gone()) return
        total = page.numberMatched
        hazards.push(...page.hazards)
        if (page.numberReturned < PAGE || hazards.length >= Math.min(total, MAX_DRAWN)) break
      }
      const unplaced = hazards.filter((hz) => !hz.position)
      const schools = new Map<number, [number, number] | null>()
      for (const id of new Set(unplaced.map((hz) => hz.schoolId))) {
        if (schools.size >= 200) break
        const school = await api.school(id).catch(() => null)
        if (gone()) return
        schools.set(id, school ? middleOf(school.geometry as GeoJSON.Geometry) : null)
      }
      const features = hazards.flatMap((hz) => {
        const at = hz.position ? (hz.position.coordinates as [number, number]) : schools.get(hz.schoolId)
        return at ? [featureOf(hz, at)] : []
      })
      layer.set(features)
      status.textContent = [
        g('mapShown', { shown: features.length, total }),
        unplaced.length ? g('mapNoPosition', { n: unplaced.length }) : '',
      ]
        .filter(Boolean)
        .join('；')
      if (features.length > 0 && (county.value || overdue.checked)) view.fit(features, 14)
    } catch (error) {
      if (!gone()) status.textContent = explain(error)
    }
  }
  county.addEventListener('change', () => void load())
  overdue.addEventListener('change', () => void load())
  await load()
}
