/**
 * The one MapLibre map every screen shares, with overlays (checked point, measured lines, walking routes, zone
 * outline, measuring and drawing) as GeoJSON sources. Registry layers come from vector tiles only; the map never downloads the registry.
 */
import * as maplibregl from 'maplibre-gl'
import type { GeoJSONSource, LngLatLike, MapGeoJSONFeature, MapMouseEvent } from 'maplibre-gl'
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url'
import 'maplibre-gl/dist/maplibre-gl.css'
import type { MapConfig } from '../api/client.ts'
import {
  BAND_COLOURS,
  buildStyle,
  CLICKABLE_LAYERS,
  CONFLICT_COLOUR,
  LABEL_FONT,
  LAYER_GROUPS,
  REGISTRY_SOURCE,
  ROUTE_COLOUR,
  type LayerGroup,
} from './style.ts'

maplibregl.setWorkerUrl(workerUrl)

/** Starts MapLibre's workers (fetching and compiling their script) before the first map needs them. */
export function prewarm(): void {
  maplibregl.prewarm()
}

const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] }
const OVERLAYS = ['overlay-zone', 'overlay-route', 'overlay-lines', 'overlay-points', 'tool'] as const
type Overlay = (typeof OVERLAYS)[number]

export interface MapView {
  map: maplibregl.Map
  ready: Promise<void>
  setOverlay(name: Overlay, data: GeoJSON.FeatureCollection): void
  clearOverlays(): void
  setGroupVisible(group: LayerGroup, visible: boolean): void
  setPremisesFilter(filter: { onlyConflicts: boolean; statuses: readonly string[] | null }): void
  focus(center: LngLatLike, zoom?: number): void
  fit(features: GeoJSON.Feature[], maxZoom?: number): void
  /** Map clicks that did not hit a clickable feature (or any click, while a tool owns the map). */
  onClick(handler: (event: MapMouseEvent, features: MapGeoJSONFeature[]) => void): () => void
  refreshTiles(): void
}

export function createMapView(container: HTMLElement, config: MapConfig, initial: { center: [number, number]; zoom: number }): MapView {
  const map = new maplibregl.Map({
    container,
    style: buildStyle(config),
    center: initial.center,
    zoom: initial.zoom,
    maxZoom: 20,
    // Each TileJSON names its sources; Tianditu's attribution and approval number come with its raster source.
    attributionControl: { compact: true },
    // Tiles and TileJSON are same-origin paths; workers need them absolute.
    transformRequest: (url) => (url.startsWith('/') ? { url: `${location.origin}${url}`, credentials: 'same-origin' } : { url }),
    localIdeographFontFamily: LABEL_FONT.join(', '),
    cooperativeGestures: false,
    // Labels appear at once rather than fading in over 300 ms: clerks read the map, they do not watch it.
    fadeDuration: 0,
  })
  map.addControl(new maplibregl.NavigationControl({ visualizePitch: false }), 'top-right')
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 140 }), 'bottom-right')
  map.doubleClickZoom.disable()
  map.getCanvas().setAttribute('aria-label', '地图 Map')

  const ready = new Promise<void>((resolve) => {
    map.on('load', () => {
      for (const name of OVERLAYS) map.addSource(name, { type: 'geojson', data: EMPTY })
      map.addLayer({
        id: 'overlay-zone-fill',
        type: 'fill',
        source: 'overlay-zone',
        filter: ['==', ['get', 'kind'], 'band'],
        paint: { 'fill-color': ['match', ['get', 'band'], 'core', BAND_COLOURS.core, BAND_COLOURS.control], 'fill-opacity': 0.2 },
      })
      map.addLayer({
        id: 'overlay-zone-line',
        type: 'line',
        source: 'overlay-zone',
        filter: ['==', ['get', 'kind'], 'zone'],
        paint: { 'line-color': CONFLICT_COLOUR, 'line-width': 2.5 },
      })
      map.addLayer({
        id: 'overlay-route',
        type: 'line',
        source: 'overlay-route',
        filter: ['==', ['geometry-type'], 'LineString'],
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: { 'line-color': ROUTE_COLOUR, 'line-width': 4, 'line-opacity': 0.85 },
      })
      // Just above the middle of the walk, clear of the straight line's label at its own middle.
      map.addLayer(measureLabel('overlay-route-label', 'overlay-route', ROUTE_COLOUR, [0, -1]))
      map.addLayer({
        id: 'overlay-lines',
        type: 'line',
        source: 'overlay-lines',
        filter: ['==', ['geometry-type'], 'LineString'],
        paint: { 'line-color': ['case', ['get', 'inside'], CONFLICT_COLOUR, '#2f855a'], 'line-width': 2.5, 'line-dasharray': [3, 1.5] },
      })
      map.addLayer(measureLabel('overlay-lines-label', 'overlay-lines', '#1a202c'))
      map.addLayer({
        id: 'tool-fill',
        type: 'fill',
        source: 'tool',
        filter: ['==', ['geometry-type'], 'Polygon'],
        paint: { 'fill-color': '#3182ce', 'fill-opacity': 0.2 },
      })
      map.addLayer({
        id: 'tool-line',
        type: 'line',
        source: 'tool',
        filter: ['in', ['geometry-type'], ['literal', ['LineString', 'Polygon']]],
        paint: { 'line-color': '#2c5282', 'line-width': 2 },
      })
      map.addLayer({
        id: 'tool-vertex',
        type: 'circle',
        source: 'tool',
        filter: ['==', ['geometry-type'], 'Point'],
        paint: { 'circle-radius': 4, 'circle-color': '#ffffff', 'circle-stroke-color': '#2c5282', 'circle-stroke-width': 2 },
      })
      map.addLayer({
        id: 'tool-label',
        type: 'symbol',
        source: 'tool',
        filter: ['has', 'label'],
        layout: {
          'text-field': ['get', 'label'],
          'text-font': LABEL_FONT,
          'text-size': 12,
          'text-offset': [0, -1.2],
          'text-allow-overlap': true,
        },
        paint: { 'text-color': '#1a202c', 'text-halo-color': '#ffffff', 'text-halo-width': 2 },
      })
      map.addLayer({
        id: 'overlay-points',
        type: 'circle',
        source: 'overlay-points',
        paint: {
          'circle-radius': ['match', ['get', 'role'], 'subject', 8, 5],
          'circle-color': ['match', ['get', 'role'], 'subject', '#1a202c', '#ffffff'],
          'circle-stroke-color': ['case', ['get', 'inside'], CONFLICT_COLOUR, '#1a202c'],
          'circle-stroke-width': 3,
        },
      })
      resolve()
    })
  })

  const clickHandlers = new Set<(event: MapMouseEvent, features: MapGeoJSONFeature[]) => void>()
  map.on('click', (event) => {
    const layers = CLICKABLE_LAYERS.filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none')
    const box: [maplibregl.PointLike, maplibregl.PointLike] = [
      [event.point.x - 4, event.point.y - 4],
      [event.point.x + 4, event.point.y + 4],
    ]
    const features = layers.length > 0 ? map.queryRenderedFeatures(box, { layers: [...layers] }) : []
    for (const handler of clickHandlers) handler(event, features)
  })
  for (const id of CLICKABLE_LAYERS) {
    map.on('mouseenter', id, () => (map.getCanvas().style.cursor = 'pointer'))
    map.on('mouseleave', id, () => (map.getCanvas().style.cursor = ''))
  }

  return {
    map,
    ready,
    setOverlay(name, data) {
      void ready.then(() => (map.getSource(name) as GeoJSONSource).setData(data))
    },
    clearOverlays() {
      for (const name of OVERLAYS) this.setOverlay(name, EMPTY)
    },
    setGroupVisible(group, visible) {
      void ready.then(() => {
        for (const id of LAYER_GROUPS[group]) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none')
      })
    },
    setPremisesFilter({ onlyConflicts, statuses }) {
      void ready.then(() => {
        const conditions: maplibregl.ExpressionSpecification[] = []
        if (onlyConflicts) conditions.push(['==', ['get', 'conflict'], true])
        if (statuses) conditions.push(['in', ['get', 'licenceStatus'], ['literal', [...statuses]]])
        const filter: maplibregl.FilterSpecification | null = conditions.length === 0 ? null : ['all', ...conditions]
        map.setFilter('premises-point', filter)
        map.setFilter('premises-label', filter)
        map.setFilter('premises-conflict-ring', ['all', ['==', ['get', 'conflict'], true], ...conditions])
      })
    },
    focus(center, zoom = 16) {
      map.easeTo({ center, zoom: Math.max(map.getZoom(), zoom), duration: 500 })
    },
    fit(features, maxZoom = 17) {
      const bounds = new maplibregl.LngLatBounds()
      for (const feature of features) visitPositions(feature.geometry, (position) => bounds.extend(position as [number, number]))
      if (!bounds.isEmpty()) map.fitBounds(bounds, { padding: 60, maxZoom, duration: 500 })
    },
    onClick(handler) {
      clickHandlers.add(handler)
      return () => clickHandlers.delete(handler)
    },
    refreshTiles() {
      const source = map.getSource(REGISTRY_SOURCE) as maplibregl.VectorTileSource | undefined
      // Re-reading the TileJSON (never cached) picks up the new data version in the tile URLs.
      source?.setUrl(`/tiles/${REGISTRY_SOURCE}.json`)
    },
  }
}

/** The label of a measured line (features with a `label`), always drawn, whatever it overlaps. */
function measureLabel(id: string, source: Overlay, colour: string, offset?: [number, number]): maplibregl.SymbolLayerSpecification {
  return {
    id,
    type: 'symbol',
    source,
    filter: ['has', 'label'],
    layout: {
      'text-field': ['get', 'label'],
      'text-font': LABEL_FONT,
      'text-size': 13,
      ...(offset ? { 'text-offset': offset } : {}),
      'text-allow-overlap': true,
      'text-ignore-placement': true,
    },
    paint: { 'text-color': colour, 'text-halo-color': '#ffffff', 'text-halo-width': 2 },
  }
}

function visitPositions(geometry: GeoJSON.Geometry, visit: (position: GeoJSON.Position) => void) {
  switch (geometry.type) {
    case 'Point':
      visit(geometry.coordinates)
      break
    case 'MultiPoint':
    case 'LineString':
      geometry.coordinates.forEach(visit)
      break
    case 'MultiLineString':
    case 'Polygon':
      geometry.coordinates.forEach((ring) => ring.forEach(visit))
      break
    case 'MultiPolygon':
      geometry.coordinates.forEach((polygon) => polygon.forEach((ring) => ring.forEach(visit)))
      break
    case 'GeometryCollection':
      geometry.geometries.forEach((g) => visitPositions(g, visit))
  }
}
