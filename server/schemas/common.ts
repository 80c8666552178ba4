import { Type, type Static, type TSchema } from 'typebox'
import { ERROR_CODES } from './error-codes.ts'
import { CRS_NAMES, DEPARTMENTS, LICENCE_STATUSES, PREMISES_CATEGORIES, ROLES, SCHOOL_TYPES } from './vocabulary.ts'

/** A string enum rendered as JSON Schema `enum` (clear validation messages, clean OpenAPI). */
export function StringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export { CRS_NAMES, DEPARTMENTS, LICENCE_STATUSES, PREMISES_CATEGORIES, ROLES, SCHOOL_TYPES } from './vocabulary.ts'
export type { CrsName, Department, LicenceStatus, PremisesCategory, Role, SchoolType } from './vocabulary.ts'

export const SchoolTypeSchema = StringEnum(SCHOOL_TYPES, { description: 'School type' })
export const PremisesCategorySchema = StringEnum(PREMISES_CATEGORIES, { description: 'Premises category' })
export const LicenceStatusSchema = StringEnum(LICENCE_STATUSES)
export const DepartmentSchema = StringEnum(DEPARTMENTS)
export const RoleSchema = StringEnum(ROLES)
export const CrsSchema = StringEnum(CRS_NAMES, {
  description: 'Coordinate system of the input: wgs84 (GPS), cgcs2000 (Tianditu), gcj02 (Amap, Tencent), bd09 (Baidu)',
})

export const CountyCodeSchema = Type.String({ pattern: '^[0-9]{6}$', description: '6-digit administrative code (adcode)' })
export const DateSchema = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', description: 'YYYY-MM-DD' })
export const IdSchema = Type.Integer({ minimum: 1, maximum: 2147483647 })
export const IdParamsSchema = Type.Object({ id: IdSchema }, { additionalProperties: false })
export type IdParams = Static<typeof IdParamsSchema>

/**
 * For writes that take no input (sign-out, starting an audit): no body, or `{}`. Any field is refused
 * like everywhere else rather than silently ignored. The keyword is read by server/plugins/validation.ts.
 */
export const NoBodySchema = Type.Object(
  {},
  { additionalProperties: false, description: 'no body, or an empty object', 'x-optional-body': true },
)
export type NoBody = Static<typeof NoBodySchema>

export const PositionSchema = Type.Array(Type.Number(), { minItems: 2, maxItems: 3, description: '[lon, lat]' })
/** Geometry is checked structurally by server/geo/validate.ts, which names the exact coordinate at fault. */
export const GeometryInputSchema = Type.Object(
  { type: Type.String(), coordinates: Type.Array(Type.Unknown()), bbox: Type.Optional(Type.Array(Type.Number())) },
  { additionalProperties: false },
)
export type GeometryInput = Static<typeof GeometryInputSchema>
export const GeometryOutputSchema = Type.Object(
  { type: Type.String(), coordinates: Type.Array(Type.Unknown()) },
  { additionalProperties: true },
)
export type GeometryOutput = Static<typeof GeometryOutputSchema>

export const ErrorCodeSchema = StringEnum(ERROR_CODES, {
  description: 'Machine-readable error code, from the one catalogue (server/schemas/error-codes.ts)',
})
export type { ErrorCode } from './error-codes.ts'

export const ErrorSchema = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  code: ErrorCodeSchema,
  message: Type.String(),
  details: Type.Optional(Type.Unknown()),
})
/** The one error body the error handler answers with. */
export type ErrorResponse = Static<typeof ErrorSchema>

export const PagingQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
}
export const BboxSchema = Type.String({
  pattern: '^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$',
  description: 'minLon,minLat,maxLon,maxLat (WGS84)',
})

export const errorResponses = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  413: ErrorSchema,
  415: ErrorSchema,
  422: ErrorSchema,
}
