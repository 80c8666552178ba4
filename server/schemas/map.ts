import { Type, type Static } from 'typebox'
import { Nullable, StringEnum } from './common.ts'

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
})
export type MapConfig = Static<typeof MapConfigSchema>
