import { Type, type Static } from 'typebox'
import { StringEnum } from './common.ts'

export const TILE_LAYERS = ['schools', 'zones', 'premises', 'counties', 'townships', 'roads', 'registry'] as const
export type TileLayer = (typeof TILE_LAYERS)[number]
/** The layers whose data has a version of its own; `registry` is schools, zones and premises in one tile. */
export type StoredTileLayer = Exclude<TileLayer, 'registry'>

export const MAX_TILE_ZOOM = 22

export const TileLayerSchema = StringEnum(TILE_LAYERS, { description: 'Tile layer' })

const z = Type.Integer({ minimum: 0, maximum: MAX_TILE_ZOOM, description: 'Zoom level 0–22' })
// The bound per zoom (x, y < 2^z) is checked in the service, which names the field.
const x = Type.Integer({ minimum: 0, maximum: 2 ** MAX_TILE_ZOOM - 1, description: 'Column, 0 ≤ x < 2^z' })
const y = Type.Integer({ minimum: 0, maximum: 2 ** MAX_TILE_ZOOM - 1, description: 'Row from the north, 0 ≤ y < 2^z (XYZ scheme)' })

export const TileParamsSchema = Type.Object({ z, x, y }, { additionalProperties: false })
export type TileParams = Static<typeof TileParamsSchema>

/** Only used to name the field when the layer in the path is unknown. */
export const AnyLayerTileParamsSchema = Type.Object({ layer: TileLayerSchema, z, x, y }, { additionalProperties: false })
export type AnyLayerTileParams = Static<typeof AnyLayerTileParamsSchema>
export const AnyLayerParamsSchema = Type.Object({ layer: TileLayerSchema }, { additionalProperties: false })
export type AnyLayerParams = Static<typeof AnyLayerParamsSchema>

export const TileQuerySchema = Type.Object(
  {
    v: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        pattern: '^[A-Za-z0-9._-]+$',
        description: 'Data version from the TileJSON; a tile asked for with the current one may be cached for a year',
      }),
    ),
  },
  { additionalProperties: false },
)
export type TileQuery = Static<typeof TileQuerySchema>

export const VectorLayerSchema = Type.Object({
  id: Type.String({ description: 'Source layer inside the tile' }),
  description: Type.String(),
  minzoom: Type.Integer(),
  maxzoom: Type.Integer(),
  fields: Type.Record(Type.String(), StringEnum(['Number', 'String', 'Boolean'] as const)),
})
export type VectorLayer = Static<typeof VectorLayerSchema>

export const TileJsonSchema = Type.Object(
  {
    tilejson: Type.Literal('3.0.0'),
    name: Type.String(),
    description: Type.String(),
    attribution: Type.String(),
    scheme: Type.Literal('xyz'),
    tiles: Type.Array(Type.String({ description: '…/tiles/{layer}/{z}/{x}/{y}.mvt?v=<dataVersion>' })),
    minzoom: Type.Integer(),
    maxzoom: Type.Integer(),
    bounds: Type.Array(Type.Number(), { minItems: 4, maxItems: 4, description: '[west, south, east, north] (WGS84)' }),
    center: Type.Array(Type.Number(), { minItems: 3, maxItems: 3, description: '[lon, lat, zoom]' }),
    vector_layers: Type.Array(VectorLayerSchema),
  },
  { description: 'TileJSON 3.0.0' },
)
export type TileJson = Static<typeof TileJsonSchema>

export const MvtSchema = Type.Unsafe<Buffer>({
  type: 'string',
  format: 'binary',
  description: 'application/vnd.mapbox-vector-tile (extent 4096, buffer 64)',
})
export type Mvt = Static<typeof MvtSchema>
