import { Type, type Static } from 'typebox'
import { Nullable, StringEnum } from './common.ts'
import { UserSchema } from './auth.ts'
import { TileJsonSchema } from './tiles.ts'

export const MapConfigSchema = Type.Object({
  tianditu: Nullable(
    Type.Object({
      key: Type.String(),
      style: StringEnum(['vector', 'imagery'] as const),
      /** Tile URL templates for MapLibre raster sources: the base layer, then its annotation (labels) layer. */
      tiles: Type.Array(Type.Array(Type.String())),
      attribution: Type.String(),
    }),
  ),
  approvalNumber: Nullable(Type.String()),
  /** Where the map opens: Guyuan's extent. */
  bounds: Type.Array(Type.Number(), { minItems: 4, maxItems: 4 }),
  /**
   * The TileJSON of each vector source the map draws, inline so that the map asks for tiles at once: the basemap
   * layers (counties, townships, and roads unless Tianditu draws the streets) for anyone, and the registry (schools,
   * zones and premises in one source) for a signed-in user. Each is what GET /tiles/{layer}.json answers.
   */
  sources: Type.Record(Type.String(), TileJsonSchema),
})
export type MapConfig = Static<typeof MapConfigSchema>

/** What the desk's page carries as data (GET /): the signed-in user, or null, and the map settings as /api/map-config answers them. */
export const DeskBootSchema = Type.Object({ user: Nullable(UserSchema), mapConfig: MapConfigSchema })
export type DeskBoot = Static<typeof DeskBootSchema>
