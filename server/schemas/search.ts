import { Type, type Static } from 'typebox'
import { CountyCodeSchema, CrsSchema, GeometryInputSchema, Nullable, StringEnum } from './common.ts'

export const SEARCH_KINDS = ['school', 'premises', 'township', 'village', 'address', 'street'] as const
export type SearchKind = (typeof SEARCH_KINDS)[number]

// Lengths, kinds and near are checked after parsing (q is measured after trimming, in characters), so
// that every message names its field; the schema only keeps out what could never be right.
export const SearchQuerySchema = Type.Object(
  {
    q: Type.String({
      minLength: 1,
      maxLength: 512,
      pattern: '^[^\\u0000]*$',
      description: 'name or address, 1–64 characters after trimming; fuzzy in Chinese (NFKC, 三 = 3, characters in order, pinyin)',
    }),
    kinds: Type.Optional(
      Type.String({ maxLength: 200, description: `comma-separated subset of ${SEARCH_KINDS.join(', ')} (default: all)` }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 10 })),
    near: Type.Optional(Type.String({ maxLength: 100, description: 'lon,lat (WGS84): among equal matches, nearer first' })),
    countyCode: Type.Optional(CountyCodeSchema),
  },
  { additionalProperties: false },
)
export type SearchQuery = Static<typeof SearchQuerySchema>

export const SearchItemSchema = Type.Object({
  kind: StringEnum(SEARCH_KINDS),
  id: Type.String({
    description: 'record id (school, premises, address), statistical code (township, village) or, for a street, the id of its first road',
  }),
  name: Type.String(),
  detail: Type.String({ description: 'where and what, in Chinese: county · township · type or category' }),
  lon: Nullable(Type.Number({ description: 'a street: the middle of its longest way' })),
  lat: Nullable(Type.Number()),
  bbox: Type.Optional(
    // An array of four rather than a tuple: OpenAPI 3.0 has no tuple form for items.
    Type.Array(Type.Number(), {
      minItems: 4,
      maxItems: 4,
      description: 'a street: the extent of its ways (west, south, east, north), for the map to fit',
    }),
  ),
  score: Type.Number({
    description:
      'match quality: 1 exact, 0.8 prefix, 0.6 substring, 0.4 characters in order, 0.3 pinyin; equal scores are ordered by kind, then distance to near',
  }),
})
export type SearchItem = Static<typeof SearchItemSchema>
export const SearchResultSchema = Type.Object({ items: Type.Array(SearchItemSchema) })
export type SearchResult = Static<typeof SearchResultSchema>

export const CreateAddressPointSchema = Type.Object(
  {
    type: Type.Literal('Feature'),
    id: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Number()])),
    bbox: Type.Optional(Type.Array(Type.Number())),
    properties: Type.Object(
      {
        address: Type.String({ minLength: 1, maxLength: 300, pattern: '^[^\\u0000]*\\S[^\\u0000]*$' }),
        countyCode: CountyCodeSchema,
        source: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000]*$' })),
      },
      { additionalProperties: false },
    ),
    geometry: GeometryInputSchema,
  },
  { additionalProperties: false },
)
export type CreateAddressPoint = Static<typeof CreateAddressPointSchema>
export const AddressImportQuerySchema = Type.Object(
  {
    crs: Type.Optional(CrsSchema),
    source: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '^[^\\u0000]*$',
        description: 'where the points come from, for rows that do not say (default "import")',
      }),
    ),
  },
  { additionalProperties: false },
)
export type AddressImportQuery = Static<typeof AddressImportQuerySchema>
