import { Type, type Static } from 'typebox'
import { CrsSchema, Nullable, PremisesCategorySchema, StringEnum } from './common.ts'

/** The most points one batch may hold. */
export const BATCH_MAX_POINTS = 100_000

/**
 * A batch of up to 100,000 points is about 7 MB as JSON with short ids (13 MB with 64-character ones, CSV
 * with a category per row less): the route's own body limit, far above the 1 MiB of other JSON routes.
 */
export const BATCH_BODY_LIMIT_BYTES = 32 * 1024 * 1024

/** The longest point id accepted (a licence number, a shop code, a row key of the caller's own list). */
export const BATCH_ID_MAX_LENGTH = 100

/**
 * The body as JSON. Only the top level is checked by the schema: each point is checked on its own, and a bad
 * point is answered with its error in its place while the rest of the batch goes on.
 */
export const BatchCheckSchema = Type.Object(
  {
    category: PremisesCategorySchema,
    crs: Type.Optional(CrsSchema),
    points: Type.Array(Type.Unknown({ description: '{"id","lon","lat"}: id a string or a number' }), {
      maxItems: BATCH_MAX_POINTS,
      description: `at most ${BATCH_MAX_POINTS} points, answered in this order`,
    }),
  },
  { additionalProperties: false },
)
export type BatchCheck = Static<typeof BatchCheckSchema>

/** The query: for a CSV upload, the category of rows without one and the coordinate system of the file. */
export const BatchCheckQuerySchema = Type.Object(
  { category: Type.Optional(PremisesCategorySchema), crs: Type.Optional(CrsSchema) },
  { additionalProperties: false },
)
export type BatchCheckQuery = Static<typeof BatchCheckQuerySchema>

export const BatchConflictSchema = Type.Object({
  schoolId: Type.Integer(),
  schoolName: Type.String(),
  distanceM: Type.Number({ description: 'geodesic (or walking, under a walking rule) distance, 0.1 m, as POST /api/check measures it' }),
  band: Type.String(),
  ruleId: Type.Integer(),
  ruleVersion: Type.Integer(),
})
export type BatchConflict = Static<typeof BatchConflictSchema>

const PointId = Type.Union([Type.String(), Type.Number()])

/** One line of the answer: a verdict, or a bad point's error. */
export const BatchResultSchema = Type.Union([
  Type.Object({
    id: PointId,
    verdict: StringEnum(['prohibited', 'allowed'] as const),
    location: Type.Object({ lon: Type.Number(), lat: Type.Number() }, { description: 'the WGS84 position checked' }),
    conflict: Nullable(BatchConflictSchema),
    conflictCount: Type.Integer({ description: 'how many schools the point conflicts with; conflict is the nearest' }),
  }),
  Type.Object({
    id: Nullable(PointId),
    error: Type.Object({ field: Type.String(), message: Type.String() }),
  }),
])
export type BatchResult = Static<typeof BatchResultSchema>
