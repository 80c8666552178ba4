import { Type, type Static } from 'typebox'
import { CountyCodeSchema, DepartmentSchema, Nullable, RoleSchema } from './common.ts'

export const LoginSchema = Type.Object(
  // PostgreSQL text cannot hold U+0000, so a username with one is refused before it reaches a query.
  {
    username: Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\u0000]*$' }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
)
export type Login = Static<typeof LoginSchema>

export const UserSchema = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  department: DepartmentSchema,
  role: RoleSchema,
  countyCode: Nullable(CountyCodeSchema),
  demo: Type.Boolean(),
})
export type User = Static<typeof UserSchema>

/** Who did something, and in which request: what every audit-log entry records. */
export interface Actor {
  user: User | null
  requestId: string | null
  /** The API token the request was made with (absent: a session or no one), named in the entry. */
  token?: { id: number; name: string } | null
}

/** An actor known to be signed in (every write through the API). */
export type SignedInActor = Actor & { user: User }

export const CreateUserSchema = Type.Object(
  {
    username: Type.String({ pattern: '^[A-Za-z0-9_.-]{3,64}$', description: '3–64 letters, digits, _ . -' }),
    password: Type.String({ minLength: 10, maxLength: 256, description: 'at least 10 characters' }),
    department: DepartmentSchema,
    role: RoleSchema,
    countyCode: Type.Optional(Nullable(CountyCodeSchema)),
  },
  { additionalProperties: false },
)
export type CreateUser = Static<typeof CreateUserSchema>

export const UpdateUserSchema = Type.Object(
  { disabled: Type.Boolean({ description: 'true: the user can no longer sign in and every session of theirs ends' }) },
  { additionalProperties: false },
)
export type UpdateUser = Static<typeof UpdateUserSchema>

export const SessionSchema = Type.Object({
  id: Type.String({ description: "the session's public id (never the token)" }),
  userId: Type.Integer(),
  username: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time', description: 'last use, to the minute' }),
  expiresAt: Type.String({ format: 'date-time' }),
  address: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
})
export type Session = Static<typeof SessionSchema>

export const SessionQuerySchema = Type.Object(
  { userId: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647 })) },
  { additionalProperties: false },
)
export const SessionParamsSchema = Type.Object(
  { sessionId: Type.String({ pattern: '^[0-9a-f]{16}$', description: '16 hex digits' }) },
  { additionalProperties: false },
)
