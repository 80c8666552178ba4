import { Type, type Static } from 'typebox'
import { DateSchema, IdSchema, Nullable, StringEnum } from './common.ts'
import { DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS, TOKEN_ACCESS, TOKEN_STATES } from './token-vocabulary.ts'

export * from './token-vocabulary.ts'

export const CreateApiTokenSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      // No control characters: the name is shown in lists and written to the audit log.
      pattern: '^[^\\u0000-\\u001f\\u007f]*\\S[^\\u0000-\\u001f\\u007f]*$',
      description: '1–100 characters, what the token is for (e.g. "QGIS on the GIS office PC")',
    }),
    access: StringEnum(TOKEN_ACCESS, { description: 'read: GET and the routes that only compute; write: everything its user may do' }),
    expiresOn: Type.Optional({
      ...DateSchema,
      description: `the last day (Beijing time) the token works: today at the earliest, at most ${MAX_TOKEN_DAYS} days ahead; default ${DEFAULT_TOKEN_DAYS} days ahead`,
    }),
  },
  { additionalProperties: false },
)
export type CreateApiToken = Static<typeof CreateApiTokenSchema>

export const ApiTokenSchema = Type.Object({
  id: Type.Integer(),
  userId: Type.Integer(),
  username: Type.String(),
  name: Type.String(),
  access: StringEnum(TOKEN_ACCESS),
  prefix: Type.String({ description: 'the first characters of the token, to recognise it by; the rest is never shown again' }),
  createdAt: Type.String({ format: 'date-time' }),
  expiresOn: DateSchema,
  lastUsedAt: Nullable(Type.String({ format: 'date-time', description: 'last use, to the minute' })),
  revokedAt: Nullable(Type.String({ format: 'date-time' })),
  state: StringEnum(TOKEN_STATES),
})
export type ApiToken = Static<typeof ApiTokenSchema>

export const CreatedApiTokenSchema = Type.Object({
  ...ApiTokenSchema.properties,
  token: Type.String({ description: 'the secret: shown only in this answer, stored only as its hash' }),
})
export type CreatedApiToken = Static<typeof CreatedApiTokenSchema>

export const ApiTokenQuerySchema = Type.Object(
  {
    userId: Type.Optional({ ...IdSchema, description: "another user's tokens (administrators)" }),
    all: Type.Optional(Type.Boolean({ description: "everyone's tokens (administrators)" })),
    includeRevoked: Type.Optional(Type.Boolean({ description: 'list revoked tokens too' })),
  },
  { additionalProperties: false },
)
export type ApiTokenQuery = Static<typeof ApiTokenQuerySchema>
