import { Type, type Static } from 'typebox'
import { StringEnum } from './common.ts'
import { PremisesQuerySchema, SchoolQuerySchema } from './registry.ts'

/** The download formats of a layer. */
export const DOWNLOAD_FORMAT_NAMES = ['geojson', 'csv', 'fgb', 'gpkg'] as const
export const DownloadParamsSchema = Type.Object(
  { format: StringEnum(DOWNLOAD_FORMAT_NAMES, { description: 'geojson, csv (UTF-8 with BOM), fgb (FlatGeobuf) or gpkg (GeoPackage)' }) },
  { additionalProperties: false },
)
export type DownloadParams = Static<typeof DownloadParamsSchema>
/** The registry list's filters, every matching record downloaded (no paging). */
export const SchoolDownloadQuerySchema = Type.Omit(SchoolQuerySchema, ['limit', 'offset'], { additionalProperties: false })
export type SchoolDownloadQuery = Static<typeof SchoolDownloadQuerySchema>
export const PremisesDownloadQuerySchema = Type.Omit(PremisesQuerySchema, ['limit', 'offset'], { additionalProperties: false })
export type PremisesDownloadQuery = Static<typeof PremisesDownloadQuerySchema>
