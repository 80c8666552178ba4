import type { StoredTileLayer, TileLayer, VectorLayer } from '../../schemas/tiles.ts'

/** The vector tile layers: what each serves, at which zooms, with which fields (the TileJSON is built from this). */

export const TILE_EXTENT = 4096
export const TILE_BUFFER = 64

export type SourceLayerId =
  'campuses' | 'gates' | 'school_labels' | 'zones' | 'premises' | 'counties' | 'county_labels' | 'townships' | 'roads'

export interface SourceLayer extends VectorLayer {
  id: SourceLayerId
  geometry: 'point' | 'line' | 'polygon'
}

export interface LayerDefinition {
  name: string
  description: string
  /** Shown by the map; for roads the distinct attributions of the imports, this only while there is none. */
  attribution: string
  access: 'public' | 'user'
  minzoom: number
  maxzoom: number
  /** Zoom the TileJSON centre suggests. */
  centerZoom: number
  sourceLayers: SourceLayer[]
  /** The layers whose data it draws (their versions make up its version): itself, or the parts of a composite layer. */
  parts: readonly StoredTileLayer[]
}

const REGISTRY = '固原市校园安全区域 registry'

/** Zoom from which road tiles carry street names (labels start there; below it the names are bytes nobody reads). */
export const ROAD_NAMES_FROM_ZOOM = 15
/** Zoom from which road tiles carry every kind of road; below it only the arterials. */
export const ALL_ROADS_FROM_ZOOM = 14
/** The road kinds drawn below ALL_ROADS_FROM_ZOOM. */
export const ARTERIAL_ROAD_KINDS = ['motorway', 'trunk', 'primary', 'secondary'] as const

// Tiles above maxzoom are drawn by the client from the maxzoom tile (overzoom): at z16 one tile unit
// is under 0.12 m at Guyuan's latitude, far finer than any drawing needs.
const STORED: Record<StoredTileLayer, Omit<LayerDefinition, 'parts'>> = {
  schools: {
    name: '学校 schools',
    description: 'Registered schools: campus outlines (campuses), gates (gates) and a label point inside each campus (school_labels).',
    attribution: REGISTRY,
    access: 'user',
    minzoom: 10,
    maxzoom: 16,
    centerZoom: 13,
    sourceLayers: [
      {
        id: 'campuses',
        geometry: 'polygon',
        description: 'Campus boundary (Polygon or MultiPolygon)',
        minzoom: 10,
        maxzoom: 16,
        fields: { id: 'Number', name: 'String', schoolType: 'String', countyCode: 'String', gateCount: 'Number' },
      },
      {
        id: 'gates',
        geometry: 'point',
        description: 'Registered gates; gates carry no names in the registry, so name is never set',
        minzoom: 14,
        maxzoom: 16,
        fields: { schoolId: 'Number', name: 'String' },
      },
      {
        id: 'school_labels',
        geometry: 'point',
        description: 'A label point inside each campus (ST_PointOnSurface)',
        minzoom: 10,
        maxzoom: 16,
        fields: { id: 'Number', name: 'String', schoolType: 'String' },
      },
    ],
  },
  zones: {
    name: '安全区域 safety zones',
    description:
      'Safety-zone bands of each school for every distinct rule shape in force for its type (default core 0–50 m, control 50–200 m from the campus boundary), drawn geodesically (azimuthal equidistant projection centred on the school). For drawing only: verdicts are always measured.',
    attribution: REGISTRY,
    access: 'user',
    minzoom: 11,
    maxzoom: 16,
    centerZoom: 14,
    sourceLayers: [
      {
        id: 'zones',
        geometry: 'polygon',
        description: 'One band ring: innerM–outerM metres from the campus (or gates), of a rule whose limit is limitM',
        minzoom: 11,
        maxzoom: 16,
        fields: { schoolId: 'Number', schoolName: 'String', band: 'String', innerM: 'Number', outerM: 'Number', limitM: 'Number' },
      },
    ],
  },
  premises: {
    name: '场所 licensed premises',
    description:
      'Licensed premises from zoom 12 (below that a tile would hold thousands of points). conflict is true when the premises lies within a school zone; band and nearestSchoolId are those of the nearest school it conflicts with (absent when there is no conflict).',
    attribution: REGISTRY,
    access: 'user',
    minzoom: 12,
    maxzoom: 16,
    centerZoom: 14,
    sourceLayers: [
      {
        id: 'premises',
        geometry: 'point',
        description: 'Premises location',
        minzoom: 12,
        maxzoom: 16,
        fields: {
          id: 'Number',
          name: 'String',
          category: 'String',
          licenceStatus: 'String',
          conflict: 'Boolean',
          band: 'String',
          nearestSchoolId: 'Number',
        },
      },
    ],
  },
  counties: {
    name: '区县 counties',
    description: 'County outlines of Guyuan (county_labels: a label point inside each).',
    attribution: '县界 County outlines: DataV.GeoAtlas (2019), converted to WGS84',
    access: 'public',
    minzoom: 0,
    // Beyond z11 the map overzooms: a z11 tile unit is about 5 m here, finer than these outlines are (DataV's
    // generalised boundaries), and a street-level view then loads one county tile instead of four.
    maxzoom: 11,
    centerZoom: 8,
    sourceLayers: [
      {
        id: 'counties',
        geometry: 'polygon',
        description: 'County boundary (MultiPolygon)',
        minzoom: 0,
        maxzoom: 11,
        fields: { code: 'String', name: 'String' },
      },
      {
        id: 'county_labels',
        geometry: 'point',
        description: 'A label point inside each county',
        minzoom: 0,
        maxzoom: 11,
        fields: { code: 'String', name: 'String' },
      },
    ],
  },
  townships: {
    name: '乡镇 townships',
    description:
      'Township seats as points. No township boundaries exist in the data the project has, so townships are points only; townships whose seat is unknown are left out.',
    attribution: '乡镇驻地 Township seats: GeoNames (https://www.geonames.org), CC BY 4.0; names and codes: 国家统计局 2023',
    access: 'public',
    minzoom: 7,
    // Seat positions are good to about a kilometre (GeoNames): z11 tiles carry them with room to spare.
    maxzoom: 11,
    centerZoom: 9,
    sourceLayers: [
      {
        id: 'townships',
        geometry: 'point',
        description: 'Township seat',
        minzoom: 7,
        maxzoom: 11,
        fields: { code: 'String', name: 'String', countyCode: 'String' },
      },
    ],
  },
  roads: {
    name: '道路 roads',
    description:
      'The road network as imported (OpenStreetMap: ODbL 1.0), drawn as the offline basemap. Below zoom 14 only motorways, trunk, primary and secondary roads; names from zoom 15. The attribution names the sources of the roads imported.',
    attribution: '',
    // A basemap like the counties: streets are no registry data, and the map shows them before sign-in.
    access: 'public',
    minzoom: 11,
    maxzoom: 16,
    centerZoom: 14,
    sourceLayers: [
      {
        id: 'roads',
        geometry: 'line',
        description: `Road centre lines: kind (the OSM highway value, ramps as their road), walkable, and name from zoom ${ROAD_NAMES_FROM_ZOOM}`,
        minzoom: 11,
        maxzoom: 16,
        fields: { kind: 'String', walkable: 'Boolean', name: 'String' },
      },
    ],
  },
}

/** The registry layers in one source: a map that shows them all asks for one tile per position instead of three. */
const REGISTRY_PARTS = ['schools', 'zones', 'premises'] as const satisfies readonly StoredTileLayer[]

export const LAYERS: Record<TileLayer, LayerDefinition> = {
  schools: { ...STORED.schools, parts: ['schools'] },
  zones: { ...STORED.zones, parts: ['zones'] },
  premises: { ...STORED.premises, parts: ['premises'] },
  counties: { ...STORED.counties, parts: ['counties'] },
  townships: { ...STORED.townships, parts: ['townships'] },
  roads: { ...STORED.roads, parts: ['roads'] },
  registry: {
    name: '登记 registry',
    description:
      "The registry layers in one tile: the source-layers of schools (campuses, gates, school_labels), zones (zones) and premises (premises), each from its own minimum zoom. Its data version names the three layers' versions.",
    attribution: REGISTRY,
    access: 'user',
    minzoom: Math.min(...REGISTRY_PARTS.map((part) => STORED[part].minzoom)),
    maxzoom: Math.max(...REGISTRY_PARTS.map((part) => STORED[part].maxzoom)),
    centerZoom: 14,
    sourceLayers: REGISTRY_PARTS.flatMap((part) => STORED[part].sourceLayers),
    parts: REGISTRY_PARTS,
  },
}
