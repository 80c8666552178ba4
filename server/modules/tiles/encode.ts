import { fromVectorTileJs, type VectorTileFeatureLike, type VectorTileLayerLike } from '@maplibre/vt-pbf'
import { TILE_EXTENT } from './layers.ts'
import type { TileFeatureRow } from './repository.ts'

type Rings = ReturnType<VectorTileFeatureLike['loadGeometry']>
type Position = [number, number]

/** GeoJSON coordinates in tile units → the rings vt-pbf writes (all points of a MultiPoint in one MoveTo). */
function ringsOf(geometry: TileFeatureRow['geometry']): { type: 1 | 3; rings: Rings } | null {
  const point = ([x, y]: Position) => ({ x, y })
  switch (geometry.type) {
    case 'Point':
      return { type: 1, rings: [[point(geometry.coordinates as Position)]] as unknown as Rings }
    case 'MultiPoint':
      return { type: 1, rings: [(geometry.coordinates as Position[]).map(point)] as unknown as Rings }
    case 'Polygon':
      return { type: 3, rings: (geometry.coordinates as Position[][]).map((ring) => ring.map(point)) as unknown as Rings }
    case 'MultiPolygon':
      return { type: 3, rings: (geometry.coordinates as Position[][][]).flat().map((ring) => ring.map(point)) as unknown as Rings }
    default:
      return null
  }
}

/** Encodes source-layers of tile-coordinate features as a Mapbox Vector Tile (version 2); empty layers are left out. */
export function encodeTile(layers: Record<string, TileFeatureRow[]>): Buffer {
  const tileLayers: Record<string, VectorTileLayerLike> = {}
  for (const [name, rows] of Object.entries(layers)) {
    const features: VectorTileFeatureLike[] = []
    for (const row of rows) {
      const drawn = ringsOf(row.geometry)
      if (!drawn) continue
      const properties: Record<string, string | number | boolean> = {}
      for (const [key, value] of Object.entries(row.properties)) if (value !== null) properties[key] = value
      features.push({ type: drawn.type, properties, id: undefined, extent: TILE_EXTENT, loadGeometry: () => drawn.rings })
    }
    if (features.length === 0) continue
    tileLayers[name] = { version: 2, name, extent: TILE_EXTENT, length: features.length, feature: (i: number) => features[i]! }
  }
  if (Object.keys(tileLayers).length === 0) return Buffer.alloc(0)
  const bytes = fromVectorTileJs({ layers: tileLayers })
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
