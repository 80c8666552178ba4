/**
 * The patrol screen's map layers as code: grids, signs and cameras from the police registry (GeoJSON, small), the
 * day's routes and stops, and the coverage colouring of the schools drawn over the schools' own vector tiles
 * (their label points), so no school is downloaded for it.
 */
import type { GeoJSONSource, LayerSpecification, Map as MapLibreMap } from 'maplibre-gl'
import { LABEL_FONT, REGISTRY_SOURCE } from '../../map/style.ts'

export const COVERAGE_COLOURS = { done: '#2f7a45', planned: '#d69e2e', missing: '#c53030' } as const
export type CoverageState = keyof typeof COVERAGE_COLOURS
/** Route colours by unit, in the plan's order: distinct on the basemap and from the coverage colours. */
export const UNIT_COLOURS = [
  '#1f77b4',
  '#9467bd',
  '#e377c2',
  '#17becf',
  '#8c564b',
  '#ff7f0e',
  '#3949ab',
  '#00897b',
  '#6d4c41',
  '#ad1457',
  '#5e35b1',
  '#0277bd',
]
export const unitColour = (index: number) => UNIT_COLOURS[index % UNIT_COLOURS.length]!
export const SIGN_COLOURS = { installed: '#2f7a45', damaged: '#d69e2e', missing: '#c53030', planned: '#718096' } as const
export const CAMERA_COLOURS = { working: '#2b6cb0', faulty: '#d69e2e', offline: '#c53030', planned: '#718096' } as const

const SOURCES = ['patrol-grids', 'patrol-routes', 'patrol-stops', 'patrol-signs', 'patrol-cameras', 'patrol-edit'] as const
export type PatrolSource = (typeof SOURCES)[number]

/** Layer ids by what the screen's switcher turns on and off. */
export const PATROL_GROUPS = {
  plan: ['patrol-route', 'patrol-stop', 'patrol-stop-label'],
  coverage: ['patrol-coverage-done', 'patrol-coverage-planned', 'patrol-coverage-missing'],
  grids: ['patrol-grid-fill', 'patrol-grid-line', 'patrol-grid-label'],
  signs: ['patrol-sign'],
  cameras: ['patrol-camera'],
} as const
export type PatrolGroup = keyof typeof PATROL_GROUPS
const EDIT_LAYERS = ['patrol-edit-point']

const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] }
const byState = (colours: Record<string, string>) => ['match', ['get', 'state'], ...Object.entries(colours).flat(), '#444444'] as never

function layers(): LayerSpecification[] {
  const coverage = (state: CoverageState): LayerSpecification => ({
    id: `patrol-coverage-${state}`,
    type: 'circle',
    source: REGISTRY_SOURCE,
    'source-layer': 'school_labels',
    filter: ['in', ['get', 'id'], ['literal', []]],
    paint: {
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 4, 16, 9],
      'circle-color': COVERAGE_COLOURS[state],
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 1.5,
    },
  })
  return [
    {
      id: 'patrol-grid-fill',
      type: 'fill',
      source: 'patrol-grids',
      paint: { 'fill-color': '#2c5282', 'fill-opacity': ['case', ['boolean', ['get', 'selected'], false], 0.18, 0.06] },
    },
    {
      id: 'patrol-grid-line',
      type: 'line',
      source: 'patrol-grids',
      paint: { 'line-color': '#2c5282', 'line-width': 1.5, 'line-dasharray': [3, 2] },
    },
    {
      id: 'patrol-grid-label',
      type: 'symbol',
      source: 'patrol-grids',
      layout: { 'text-field': ['get', 'name'], 'text-font': LABEL_FONT, 'text-size': 12 },
      paint: { 'text-color': '#2c5282', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 },
    },
    {
      id: 'patrol-route',
      type: 'line',
      source: 'patrol-routes',
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': ['get', 'colour'], 'line-width': 3.5, 'line-opacity': 0.85 },
    },
    coverage('missing'),
    coverage('planned'),
    coverage('done'),
    {
      id: 'patrol-sign',
      type: 'circle',
      source: 'patrol-signs',
      paint: { 'circle-radius': 4, 'circle-color': byState(SIGN_COLOURS), 'circle-stroke-color': '#1a202c', 'circle-stroke-width': 1 },
    },
    {
      id: 'patrol-camera',
      type: 'circle',
      source: 'patrol-cameras',
      paint: { 'circle-radius': 4, 'circle-color': byState(CAMERA_COLOURS), 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 },
    },
    {
      id: 'patrol-stop',
      type: 'circle',
      source: 'patrol-stops',
      paint: {
        'circle-radius': ['match', ['get', 'kind'], 'post', 7, 5],
        'circle-color': ['get', 'colour'],
        'circle-stroke-color': ['match', ['get', 'kind'], 'post', '#1a202c', '#ffffff'],
        'circle-stroke-width': 2,
      },
    },
    {
      id: 'patrol-stop-label',
      type: 'symbol',
      source: 'patrol-stops',
      minzoom: 14,
      layout: {
        'text-field': ['get', 'label'],
        'text-font': LABEL_FONT,
        'text-size': 11,
        'text-offset': [0, 1.1],
        'text-anchor': 'top',
        'text-optional': true,
      },
      paint: { 'text-color': '#1a202c', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 },
    },
    {
      id: 'patrol-edit-point',
      type: 'circle',
      source: 'patrol-edit',
      paint: { 'circle-radius': 8, 'circle-color': '#1a202c', 'circle-stroke-color': '#f6ad55', 'circle-stroke-width': 3 },
    },
  ]
}

/** Adds the patrol sources and layers (once the style is loaded); returns what removes them again. */
export function addPatrolLayers(map: MapLibreMap): () => void {
  for (const id of SOURCES) if (!map.getSource(id)) map.addSource(id, { type: 'geojson', data: EMPTY })
  // Beneath the shared overlays (checked point, drawing tools), above the registry layers.
  const before = map.getLayer('overlay-zone-fill') ? 'overlay-zone-fill' : undefined
  for (const layer of layers()) if (!map.getLayer(layer.id)) map.addLayer(layer, before)
  return () => {
    for (const layer of layers()) if (map.getLayer(layer.id)) map.removeLayer(layer.id)
    for (const id of SOURCES) if (map.getSource(id)) map.removeSource(id)
  }
}

export function setPatrolData(map: MapLibreMap, source: PatrolSource, data: GeoJSON.FeatureCollection): void {
  ;(map.getSource(source) as GeoJSONSource | undefined)?.setData(data)
}

/** Colours the schools by their coverage state. */
export function setCoverage(map: MapLibreMap, states: Record<CoverageState, number[]>): void {
  for (const state of Object.keys(COVERAGE_COLOURS) as CoverageState[])
    if (map.getLayer(`patrol-coverage-${state}`))
      map.setFilter(`patrol-coverage-${state}`, ['in', ['get', 'id'], ['literal', states[state]]])
}

export function setPatrolGroupVisible(map: MapLibreMap, group: PatrolGroup, visible: boolean): void {
  for (const id of PATROL_GROUPS[group]) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none')
}
export { EDIT_LAYERS }
