import { Type, type Static } from 'typebox'
import { BboxSchema, CrsSchema, IdSchema, Nullable, PagingQuery, StringEnum } from './common.ts'

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

const LineStringSchema = Type.Object(
  {
    type: Type.Literal('LineString'),
    coordinates: Type.Array(Type.Array(Type.Number(), { minItems: 2, maxItems: 3 }), { minItems: 2, maxItems: 10_000 }),
  },
  { additionalProperties: false },
)

export const RoadPropertiesSchema = Type.Object({
  name: Nullable(Type.String()),
  kind: RoadKindSchema,
  walkable: Type.Boolean(),
  drivable: Type.Boolean(),
  oneway: Type.Boolean({ description: 'one-way for vehicles, in the direction of the line' }),
  osmId: Nullable(Type.String({ description: 'the OpenStreetMap way id, for roads imported from OSM' })),
  sourceId: Type.Integer(),
  source: Type.String({ description: 'the import the road came from' }),
  licence: Type.String(),
  updatedAt: Type.String({ format: 'date-time' }),
})
export const RoadSchema = Type.Object({
  type: Type.Literal('Feature'),
  id: Type.Integer(),
  properties: RoadPropertiesSchema,
  geometry: Type.Object({ type: Type.Literal('LineString'), coordinates: Type.Array(Type.Array(Type.Number())) }),
})
export type Road = Static<typeof RoadSchema>

export const RoadCollectionSchema = Type.Object({
  type: Type.Literal('FeatureCollection'),
  numberMatched: Type.Integer(),
  numberReturned: Type.Integer(),
  features: Type.Array(RoadSchema),
})
export type RoadCollection = Static<typeof RoadCollectionSchema>

export const RoadQuerySchema = Type.Object(
  {
    bbox: Type.Optional(BboxSchema),
    kind: Type.Optional(RoadKindSchema),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'part of the name' })),
    sourceId: Type.Optional(IdSchema),
    ...PagingQuery,
  },
  { additionalProperties: false },
)
export type RoadQuery = Static<typeof RoadQuerySchema>

export const UpdateRoadSchema = Type.Object(
  {
    name: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
    kind: Type.Optional(RoadKindSchema),
    walkable: Type.Optional(Type.Boolean()),
    drivable: Type.Optional(Type.Boolean()),
    oneway: Type.Optional(Type.Boolean()),
    geometry: Type.Optional(LineStringSchema),
    reason: Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'why the road is changed (a survey, a closure …), kept in the history',
    }),
  },
  { additionalProperties: false },
)
export type UpdateRoad = Static<typeof UpdateRoadSchema>

export const DeleteRoadQuerySchema = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false })
export type DeleteRoadQuery = Static<typeof DeleteRoadQuerySchema>
