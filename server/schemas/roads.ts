import { Type, type Static } from 'typebox'
import { CrsSchema, StringEnum } from './common.ts'

/**
 * Road kinds are OpenStreetMap `highway` values (https://wiki.openstreetmap.org/wiki/Key:highway); `*_link`
 * ramps take the kind of their road. Motorways are kept for driving, never for walking.
 */
export const ROAD_KINDS = [
  'motorway',
  'trunk',
  'primary',
  'secondary',
  'tertiary',
  'unclassified',
  'residential',
  'service',
  'living_street',
  'pedestrian',
  'track',
  'footway',
  'path',
  'steps',
  'cycleway',
] as const
export type RoadKind = (typeof ROAD_KINDS)[number]
export const RoadKindSchema = StringEnum(ROAD_KINDS, { description: 'OpenStreetMap highway value' })

export const ROAD_FORMATS = ['geojson', 'osm', 'pbf'] as const
export type RoadFormat = (typeof ROAD_FORMATS)[number]

export const RoadImportQuerySchema = Type.Object(
  {
    format: Type.Optional(
      StringEnum(ROAD_FORMATS, { description: 'geojson, osm (OpenStreetMap XML) or pbf; by default from the Content-Type' }),
    ),
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'name of the data source, e.g. the extract file' })),
    licence: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'licence of the data; ODbL-1.0 for OpenStreetMap formats' }),
    ),
    attribution: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 300,
        description: 'attribution shown on the map; "© OpenStreetMap contributors" for OpenStreetMap formats',
      }),
    ),
    crs: Type.Optional(CrsSchema),
    replace: Type.Optional(Type.Boolean({ description: 'replace the roads of an earlier import with the same source name' })),
  },
  { additionalProperties: false },
)
export type RoadImportQuery = Static<typeof RoadImportQuerySchema>

export const RoadImportResultSchema = Type.Object({
  sourceId: Type.Integer(),
  source: Type.String(),
  licence: Type.String(),
  attribution: Type.String(),
  imported: Type.Integer({ description: 'roads stored' }),
  replaced: Type.Integer({ description: 'roads of the earlier import with the same source name that were removed' }),
  skipped: Type.Object({
    notRoads: Type.Integer({ description: 'ways or features that are not roads (no highway kind the service keeps)' }),
    outside: Type.Integer({ description: 'roads lying wholly outside the counties (more than about 10 km away)' }),
  }),
  addressPoints: Type.Integer({ description: 'address nodes (addr:street + addr:housenumber) stored as address points' }),
})
export type RoadImportResult = Static<typeof RoadImportResultSchema>
