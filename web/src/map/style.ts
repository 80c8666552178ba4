/**
 * The map's style as typed code (in the manner of Protomaps' basemaps): sources are the service's own vector
 * tiles, so with no network at all the map still shows county outlines, streets, township seats and every
 * registry layer. Labels are drawn from a local CJK font: the style has no `glyphs` URL, so MapLibre renders glyphs
 * with the browser's fonts (TinySDF) instead of fetching glyph files.
 */
import type { ExpressionSpecification, LayerSpecification, SourceSpecification, StyleSpecification } from 'maplibre-gl'
import type { MapConfig } from '../api/client.ts'
import type { PremisesCategory } from '../../../server/schemas/common.ts'

/** Local font families, in order: the CJK font Debian ships for the service, common CJK system fonts, then any sans. */
export const LABEL_FONT = ['WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', 'sans-serif']

export const CATEGORY_COLOURS: Record<PremisesCategory, string> = {
  internet_cafe: '#1f77b4',
  lottery_outlet: '#9467bd',
  tobacco_retail: '#8c564b',
  entertainment_venue: '#e377c2',
  video_game_venue: '#17becf',
  hazardous_chemicals: '#ff7f0e',
  fireworks: '#d62728',
  polluting_enterprise: '#7f7f7f',
  food_stall_zone: '#bcbd22',
}
export const BAND_COLOURS = { core: '#d7301f', control: '#fc8d59' } as const
export const CONFLICT_COLOUR = '#c00000'
export const SCHOOL_COLOUR = '#2b6cb0'
/** The walk from the gate to the door, drawn over everything else. */
export const ROUTE_COLOUR = '#6b21a8'

/** Road kinds by how the basemap draws them (OSM highway values; ramps arrive as their road's kind). */
const ARTERIALS = ['motorway', 'trunk', 'primary', 'secondary']
const FOOTWAYS = ['footway', 'path', 'steps', 'pedestrian', 'cycleway', 'track']
const isKind = (kinds: string[]): ExpressionSpecification => ['in', ['get', 'kind'], ['literal', kinds]]
/** Line width in pixels by zoom, arterials wider than streets; `extra` widens it for the casing. */
const roadWidth = (extra: number): ExpressionSpecification => [
  'interpolate',
  ['exponential', 1.6],
  ['zoom'],
  11,
  ['case', isKind(ARTERIALS), 1 + extra, 0.4 + extra / 2],
  14,
  ['case', isKind(ARTERIALS), 3 + extra, 1.2 + extra],
  17,
  ['case', isKind(ARTERIALS), 10 + extra * 1.5, isKind(FOOTWAYS), 1.5 + extra, 5 + extra],
]

const categoryColour = [
  'match',
  ['get', 'category'],
  ...Object.entries(CATEGORY_COLOURS).flat(),
  '#444444',
] as unknown as ExpressionSpecification

/** Layer ids grouped by what the layer switcher turns on and off. */
export const LAYER_GROUPS = {
  counties: ['county-fill', 'county-line', 'county-label'],
  townships: ['township-point', 'township-label'],
  schools: ['campus-fill', 'campus-line', 'gate', 'school-label'],
  zoneCore: ['zone-core-fill', 'zone-core-line'],
  zoneControl: ['zone-control-fill', 'zone-control-line'],
  premises: ['premises-conflict-ring', 'premises-point', 'premises-label'],
} as const
export type LayerGroup = keyof typeof LAYER_GROUPS

/** Layers a click can open details for. */
export const CLICKABLE_LAYERS = [
  'premises-point',
  'premises-conflict-ring',
  'gate',
  'campus-fill',
  'zone-core-fill',
  'zone-control-fill',
] as const

/**
 * A vector source of the service's tiles: its TileJSON inline when the settings carry it (the map then asks for tiles
 * at once), otherwise its URL (one more round trip before the first tile).
 */
function vector(config: MapConfig, layer: string): SourceSpecification {
  const tileJson = config.sources[layer]
  if (!tileJson) return { type: 'vector', url: `/tiles/${layer}.json` }
  const { tiles, minzoom, maxzoom, bounds, attribution } = tileJson
  return {
    type: 'vector',
    tiles,
    minzoom,
    maxzoom,
    bounds: bounds as [number, number, number, number],
    scheme: 'xyz',
    ...(attribution ? { attribution } : {}),
  }
}

/** The source of the registry layers: schools (campuses, gates, school_labels), zones and premises in one tile. */
export const REGISTRY_SOURCE = 'registry'

export function buildStyle(config: MapConfig): StyleSpecification {
  const sources: Record<string, SourceSpecification> = {
    counties: vector(config, 'counties'),
    townships: vector(config, 'townships'),
    [REGISTRY_SOURCE]: vector(config, REGISTRY_SOURCE),
  }
  const layers: LayerSpecification[] = [{ id: 'background', type: 'background', paint: { 'background-color': '#f3f1ec' } }]
  if (config.tianditu) {
    const [base, labels] = config.tianditu.tiles
    sources.tianditu = { type: 'raster', tiles: base ?? [], tileSize: 256, maxzoom: 18, attribution: attribution(config) }
    sources['tianditu-labels'] = { type: 'raster', tiles: labels ?? [], tileSize: 256, maxzoom: 18 }
    layers.push(
      { id: 'tianditu', type: 'raster', source: 'tianditu' },
      { id: 'tianditu-labels', type: 'raster', source: 'tianditu-labels' },
    )
  }
  const haveBasemap = Boolean(config.tianditu)
  // The attribution comes with the roads' TileJSON (the sources of the roads imported, e.g. OpenStreetMap).
  if (!haveBasemap) sources.roads = vector(config, 'roads')
  layers.push(
    {
      id: 'county-fill',
      type: 'fill',
      source: 'counties',
      'source-layer': 'counties',
      paint: { 'fill-color': '#ffffff', 'fill-opacity': haveBasemap ? 0 : 0.55 },
    },
    ...(haveBasemap ? [] : roadLayers()),
    {
      id: 'county-line',
      type: 'line',
      source: 'counties',
      'source-layer': 'counties',
      paint: { 'line-color': '#6b5b4b', 'line-width': ['interpolate', ['linear'], ['zoom'], 7, 1, 14, 2.5], 'line-dasharray': [4, 2] },
    },
    {
      id: 'zone-control-fill',
      type: 'fill',
      source: REGISTRY_SOURCE,
      'source-layer': 'zones',
      filter: ['==', ['get', 'band'], 'control'],
      paint: { 'fill-color': BAND_COLOURS.control, 'fill-opacity': 0.18 },
    },
    {
      id: 'zone-control-line',
      type: 'line',
      source: REGISTRY_SOURCE,
      'source-layer': 'zones',
      filter: ['==', ['get', 'band'], 'control'],
      paint: { 'line-color': BAND_COLOURS.control, 'line-width': 1.2 },
    },
    {
      id: 'zone-core-fill',
      type: 'fill',
      source: REGISTRY_SOURCE,
      'source-layer': 'zones',
      filter: ['==', ['get', 'band'], 'core'],
      paint: { 'fill-color': BAND_COLOURS.core, 'fill-opacity': 0.22 },
    },
    {
      id: 'zone-core-line',
      type: 'line',
      source: REGISTRY_SOURCE,
      'source-layer': 'zones',
      filter: ['==', ['get', 'band'], 'core'],
      paint: { 'line-color': BAND_COLOURS.core, 'line-width': 1, 'line-dasharray': [2, 1] },
    },
    {
      id: 'campus-fill',
      type: 'fill',
      source: REGISTRY_SOURCE,
      'source-layer': 'campuses',
      paint: { 'fill-color': SCHOOL_COLOUR, 'fill-opacity': 0.35 },
    },
    {
      id: 'campus-line',
      type: 'line',
      source: REGISTRY_SOURCE,
      'source-layer': 'campuses',
      paint: { 'line-color': SCHOOL_COLOUR, 'line-width': 1.5 },
    },
    {
      id: 'gate',
      type: 'circle',
      source: REGISTRY_SOURCE,
      'source-layer': 'gates',
      minzoom: 14,
      paint: { 'circle-radius': 4, 'circle-color': '#ffffff', 'circle-stroke-color': SCHOOL_COLOUR, 'circle-stroke-width': 2 },
    },
    {
      id: 'premises-conflict-ring',
      type: 'circle',
      source: REGISTRY_SOURCE,
      'source-layer': 'premises',
      filter: ['==', ['get', 'conflict'], true],
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 5, 17, 10],
        'circle-color': 'rgba(0,0,0,0)',
        'circle-stroke-color': CONFLICT_COLOUR,
        'circle-stroke-width': 2.5,
      },
    },
    {
      id: 'premises-point',
      type: 'circle',
      source: REGISTRY_SOURCE,
      'source-layer': 'premises',
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 2.5, 17, 6],
        'circle-color': categoryColour,
        'circle-opacity': ['case', ['==', ['get', 'licenceStatus'], 'active'], 1, 0.45],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 0.8,
      },
    },
    {
      id: 'township-point',
      type: 'circle',
      source: 'townships',
      'source-layer': 'townships',
      paint: { 'circle-radius': 3, 'circle-color': '#5a4a3a' },
    },
    {
      id: 'township-label',
      type: 'symbol',
      source: 'townships',
      'source-layer': 'townships',
      minzoom: 8.5,
      layout: { 'text-field': ['get', 'name'], 'text-font': LABEL_FONT, 'text-size': 12, 'text-offset': [0, 0.9], 'text-anchor': 'top' },
      paint: { 'text-color': '#4a3b2c', 'text-halo-color': '#ffffff', 'text-halo-width': 1.4 },
    },
    {
      id: 'county-label',
      type: 'symbol',
      source: 'counties',
      'source-layer': 'county_labels',
      maxzoom: 12,
      layout: {
        'text-field': ['get', 'name'],
        'text-font': LABEL_FONT,
        'text-size': ['interpolate', ['linear'], ['zoom'], 7, 13, 11, 18],
        'text-letter-spacing': 0.2,
      },
      paint: { 'text-color': '#3d2f22', 'text-halo-color': '#ffffff', 'text-halo-width': 2 },
    },
    {
      id: 'school-label',
      type: 'symbol',
      source: REGISTRY_SOURCE,
      'source-layer': 'school_labels',
      minzoom: 13,
      layout: { 'text-field': ['get', 'name'], 'text-font': LABEL_FONT, 'text-size': 12, 'text-max-width': 8 },
      paint: { 'text-color': '#1a365d', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 },
    },
    {
      id: 'premises-label',
      type: 'symbol',
      source: REGISTRY_SOURCE,
      'source-layer': 'premises',
      minzoom: 16,
      layout: {
        'text-field': ['get', 'name'],
        'text-font': LABEL_FONT,
        'text-size': 11,
        'text-offset': [0, 1],
        'text-anchor': 'top',
        'text-optional': true,
      },
      paint: { 'text-color': '#333333', 'text-halo-color': '#ffffff', 'text-halo-width': 1.2 },
    },
  )
  return { version: 8, name: 'guyuan-school-zones', sources, layers }
}

/**
 * Streets of the offline basemap, beneath every registry layer: a casing under a lighter line, arterials wider,
 * footways thin and dashed, names along the line from zoom 15 (the tiles carry names only from there). With
 * Tianditu the raster already shows the streets, so these are left out.
 */
function roadLayers(): LayerSpecification[] {
  const minor = ['!', isKind(FOOTWAYS)] as ExpressionSpecification
  return [
    {
      id: 'road-casing',
      type: 'line',
      source: 'roads',
      'source-layer': 'roads',
      filter: minor,
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': '#c9c1b3', 'line-width': roadWidth(1.5) },
    },
    {
      id: 'road-footway',
      type: 'line',
      source: 'roads',
      'source-layer': 'roads',
      filter: isKind(FOOTWAYS),
      paint: { 'line-color': '#9c8f7c', 'line-width': roadWidth(0), 'line-dasharray': [2, 1.5] },
    },
    {
      id: 'road-line',
      type: 'line',
      source: 'roads',
      'source-layer': 'roads',
      filter: minor,
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': ['case', isKind(ARTERIALS), '#fbe3a6', '#ffffff'], 'line-width': roadWidth(0) },
    },
    {
      id: 'road-label',
      type: 'symbol',
      source: 'roads',
      'source-layer': 'roads',
      minzoom: 15,
      filter: ['has', 'name'],
      layout: {
        'symbol-placement': 'line',
        'text-field': ['get', 'name'],
        'text-font': LABEL_FONT,
        'text-size': 11,
        'text-max-angle': 30,
      },
      paint: { 'text-color': '#5b4e3d', 'text-halo-color': '#ffffff', 'text-halo-width': 1.4 },
    },
  ]
}

function attribution(config: MapConfig): string {
  const parts = [config.tianditu?.attribution ?? '']
  if (config.approvalNumber) parts.push(`审图号 ${config.approvalNumber}`)
  return parts.filter(Boolean).join(' · ')
}
