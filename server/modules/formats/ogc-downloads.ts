/**
 * `f=csv|fgb|gpkg` on an OGC API items URL: the whole filtered collection the user sees (the same filters as
 * the GeoJSON pages, without `limit` and cursor), written by the format writers in CRS84 as an attachment.
 */
import type { FastifyReply } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import type { User } from '../../schemas/auth.ts'
import type { Collection, GeometryKind, PropertyType } from '../ogc/collections.ts'
import { bad, parseItemsQuery } from '../ogc/query.ts'
import { OGC_DOWNLOADS } from '../ogc/downloads.ts'
import { streamFeatures } from '../ogc/service.ts'
import type { Geometry } from './wkb.ts'
import {
  buildGeoPackage,
  DOWNLOAD_FORMATS,
  writeCsv,
  writeFlatGeobuf,
  type Layer,
  type OutputFeature,
  type PropertyDefinition,
} from './writers.ts'

const GEOMETRY_TYPES: Record<GeometryKind, Geometry['type'] | undefined> = {
  point: 'Point',
  linestring: 'LineString',
  polygon: 'Polygon',
  multipolygon: undefined,
  geometry: undefined,
}
const typeOf = (type: PropertyType): PropertyDefinition['type'] => (type === 'date-time' ? 'datetime' : type)

/** A collection as a layer of the writers: its properties and geometry type. */
export const layerOf = (collection: Collection): Layer => ({
  name: collection.id.replace(/[^A-Za-z0-9_]/g, '_'),
  properties: [{ name: 'id', type: 'string' }, ...collection.properties.map((p) => ({ name: p.name, type: typeOf(p.type) }))],
  ...(GEOMETRY_TYPES[collection.geometryKind] ? { geometryType: GEOMETRY_TYPES[collection.geometryKind] } : {}),
})

/** Answers an items request with `f=csv|fgb|gpkg`: the filtered collection streamed (a GeoPackage built first). */
export async function sendOgcDownload(
  reply: FastifyReply,
  db: Kysely<Database>,
  collection: Collection,
  user: User | null,
  query: Record<string, unknown>,
  f: keyof typeof OGC_DOWNLOADS,
) {
  const { f: _f, ...rest } = query
  for (const name of ['limit', 'cursor'])
    if (rest[name] !== undefined) throw bad(name, `does not apply to a download (f=${f} holds every matching feature)`)
  const parsed = parseItemsQuery(collection, rest)
  if (rest.crs !== undefined && parsed.crs.uri !== 'http://www.opengis.net/def/crs/OGC/1.3/CRS84')
    throw bad('crs', `a download (f=${f}) is written in CRS84`)
  const layer = layerOf(collection)
  async function* features(): AsyncGenerator<OutputFeature> {
    for await (const feature of streamFeatures(db, collection, { filter: parsed.filter }, user)) {
      yield {
        id: feature.id,
        properties: { id: String(feature.id), ...(feature.properties as Record<string, unknown>) },
        geometry: feature.geometry as Geometry,
      }
    }
  }
  const format = OGC_DOWNLOADS[f]
  const body =
    format === 'gpkg'
      ? await buildGeoPackage(layer, features())
      : format === 'csv'
        ? writeCsv(layer, features())
        : writeFlatGeobuf(layer, features())
  return reply
    .type(DOWNLOAD_FORMATS[format].mediaType)
    .header('content-disposition', `attachment; filename="${layer.name}.${DOWNLOAD_FORMATS[format].extension}"`)
    .send(body)
}
