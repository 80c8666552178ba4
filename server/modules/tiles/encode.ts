import { fromVectorTileJs, GeoJSONWrapper, type Feature, type VectorTileLayerLike } from '@maplibre/vt-pbf'
import { TILE_EXTENT } from './layers.ts'
import type { TileFeatureRow } from './repository.ts'

type Position = [number, number]

/**
 * GeoJSON coordinates in tile units → a feature as vt-pbf's wrapper reads it: points as one list (all
 * points of a MultiPoint in one MoveTo), lines as their parts, polygons as their rings.
 */
function featureOf(geometry: TileFeatureRow['geometry'], tags: Record<string, string | number | boolean>): Feature | null {
  switch (geometry.type) {
    case 'Point':
      return { type: 1, tags, geometry: [geometry.coordinates as Position] }
    case 'MultiPoint':
      return { type: 1, tags, geometry: geometry.coordinates as Position[] }
    case 'LineString':
      return { type: 2, tags, geometry: [geometry.coordinates as Position[]] }
    case 'MultiLineString':
      return { type: 2, tags, geometry: geometry.coordinates as Position[][] }
    case 'Polygon':
      return { type: 3, tags, geometry: geometry.coordinates as Position[][] }
    case 'MultiPolygon':
      return { type: 3, tags, geometry: (geometry.coordinates as Position[][][]).flat() }
    default:
      return null
  }
}

/** Encodes source-layers of tile-coordinate features as a Mapbox Vector Tile (version 2); empty layers are left out. */
export function encodeTile(layers: Record<string, TileFeatureRow[]>): Buffer {
  const tileLayers: Record<string, VectorTileLayerLike> = {}
  for (const [name, rows] of Object.entries(layers)) {
    const features: Feature[] = []
    for (const row of rows) {
      const properties: Record<string, string | number | boolean> = {}
      for (const [key, value] of Object.entries(row.properties)) if (value !== null) properties[key] = value
      const feature = featureOf(row.geometry, properties)
      if (feature) features.push(feature)
    }
    if (features.length === 0) continue
    const wrapped = new GeoJSONWrapper(features, { version: 2, extent: TILE_EXTENT })
    tileLayers[name] = { version: 2, name, extent: TILE_EXTENT, length: features.length, feature: (i: number) => wrapped.feature(i) }
  }
  if (Object.keys(tileLayers).length === 0) return Buffer.alloc(0)
  const bytes = fromVectorTileJs({ layers: tileLayers })
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
