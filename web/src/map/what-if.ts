/**
 * The what-if on the map, as layers in code: today's and the proposed zones of the schools in view (drawn by the
 * server, geodesically like the stored zones) and the premises a proposal would newly put in a zone or clear, in two
 * colours. Added while the rules screen is open and removed with it.
 */
import type { FilterSpecification, GeoJSONSource, MapLayerMouseEvent } from 'maplibre-gl'
import type { MapView } from './map-view.ts'

export const WHAT_IF_COLOURS = {
  newlyConflicting: '#c00000',
  cleared: '#2f855a',
  today: '#4a5568',
  proposed: '#6b21a8',
} as const

/** Which zones are shown: today's, the proposed ones, or both over each other. */
export type ZoneMode = 'today' | 'proposed' | 'both'

export const WHAT_IF_PREMISES_LAYERS = ['what-if-newly-conflicting', 'what-if-cleared'] as const
const TODAY_LAYERS = ['what-if-today-fill', 'what-if-today-line']
const PROPOSED_LAYERS = ['what-if-proposed-fill', 'what-if-proposed-line']
const SOURCES = ['what-if-zones', 'what-if-premises'] as const
const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] }

export interface WhatIfLayers {
  setZones(zones: GeoJSON.FeatureCollection): void
  setPremises(premises: GeoJSON.FeatureCollection): void
  setMode(mode: ZoneMode): void
  clear(): void
  /** Hears clicks on a changed premises (its id). */
  onPremisesClick(handler: (premisesId: number) => void): void
  remove(): void
}

export function whatIfLayers(view: MapView): WhatIfLayers {
  const { map } = view
  let mode: ZoneMode = 'proposed'
  let removed = false
  const handlers = new Set<(premisesId: number) => void>()
  const onClick = (event: MapLayerMouseEvent) => {
    const id = Number(event.features?.[0]?.properties?.premisesId)
    if (id) for (const handler of handlers) handler(id)
  }
  const pointer = () => (map.getCanvas().style.cursor = 'pointer')
  const plain = () => (map.getCanvas().style.cursor = '')

  const ready = view.ready.then(() => {
    if (removed) return
    for (const id of SOURCES) if (!map.getSource(id)) map.addSource(id, { type: 'geojson', data: EMPTY })
    // Beneath the campuses and premises of the tiles, so those stay readable and clickable over the zones.
    const below = map.getLayer('campus-fill') ? 'campus-fill' : undefined
    const zone = (scenario: 'today' | 'proposed', kind: 'zone' | 'band') =>
      ['all', ['==', ['get', 'scenario'], scenario], ['==', ['get', 'kind'], kind]] as FilterSpecification
    map.addLayer(
      {
        id: 'what-if-today-fill',
        type: 'fill',
        source: 'what-if-zones',
        filter: zone('today', 'band'),
        paint: { 'fill-color': WHAT_IF_COLOURS.today, 'fill-opacity': ['match', ['get', 'band'], 'core', 0.2, 0.1] },
      },
      below,
    )
    map.addLayer(
      {
        id: 'what-if-proposed-fill',
        type: 'fill',
        source: 'what-if-zones',
        filter: zone('proposed', 'band'),
        paint: { 'fill-color': WHAT_IF_COLOURS.proposed, 'fill-opacity': ['match', ['get', 'band'], 'core', 0.22, 0.12] },
      },
      below,
    )
    map.addLayer(
      {
        id: 'what-if-today-line',
        type: 'line',
        source: 'what-if-zones',
        filter: zone('today', 'zone'),
        paint: { 'line-color': WHAT_IF_COLOURS.today, 'line-width': 2, 'line-dasharray': [3, 2] },
      },
      below,
    )
    map.addLayer(
      {
        id: 'what-if-proposed-line',
        type: 'line',
        source: 'what-if-zones',
        filter: zone('proposed', 'zone'),
        paint: { 'line-color': WHAT_IF_COLOURS.proposed, 'line-width': 2.5 },
      },
      below,
    )
    for (const [id, change, colour] of [
      ['what-if-cleared', 'cleared', WHAT_IF_COLOURS.cleared],
      ['what-if-newly-conflicting', 'newly_conflicting', WHAT_IF_COLOURS.newlyConflicting],
    ] as const) {
      map.addLayer({
        id,
        type: 'circle',
        source: 'what-if-premises',
        filter: ['==', ['get', 'change'], change],
        paint: {
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 4, 17, 9],
          'circle-color': colour,
          'circle-stroke-color': '#ffffff',
          'circle-stroke-width': 2,
        },
      })
      map.on('click', id, onClick)
      map.on('mouseenter', id, pointer)
      map.on('mouseleave', id, plain)
    }
    applyMode()
  })

  function applyMode() {
    for (const id of TODAY_LAYERS) map.setLayoutProperty(id, 'visibility', mode === 'proposed' ? 'none' : 'visible')
    for (const id of PROPOSED_LAYERS) map.setLayoutProperty(id, 'visibility', mode === 'today' ? 'none' : 'visible')
  }
  const setData = (source: (typeof SOURCES)[number], data: GeoJSON.FeatureCollection) =>
    void ready.then(() => {
      if (!removed) (map.getSource(source) as GeoJSONSource).setData(data)
    })

  return {
    setZones: (zones) => setData('what-if-zones', zones),
    setPremises: (premises) => setData('what-if-premises', premises),
    setMode(next) {
      mode = next
      void ready.then(() => !removed && applyMode())
    },
    clear() {
      setData('what-if-zones', EMPTY)
      setData('what-if-premises', EMPTY)
    },
    onPremisesClick: (handler) => void handlers.add(handler),
    remove() {
      void ready.then(() => {
        removed = true
        for (const id of WHAT_IF_PREMISES_LAYERS) {
          map.off('click', id, onClick)
          map.off('mouseenter', id, pointer)
          map.off('mouseleave', id, plain)
        }
        for (const id of [...TODAY_LAYERS, ...PROPOSED_LAYERS, ...WHAT_IF_PREMISES_LAYERS]) if (map.getLayer(id)) map.removeLayer(id)
        for (const id of SOURCES) if (map.getSource(id)) map.removeSource(id)
      })
      handlers.clear()
    },
  }
}
