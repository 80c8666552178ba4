/** The API tokens' words and limits, kept free of schema code so the web client can import them without the validator. */
export const TOKEN_ACCESS = ['read', 'write'] as const
export type TokenAccess = (typeof TOKEN_ACCESS)[number]
export const TOKEN_STATES = ['active', 'expired', 'revoked'] as const
export type TokenState = (typeof TOKEN_STATES)[number]

/** How many tokens a user may hold at once (not revoked, not expired). */
export const MAX_LIVE_TOKENS = 20
/** How long a token lives when no expiresOn is given, and the longest it may live, in days. */
export const DEFAULT_TOKEN_DAYS = 90
export const MAX_TOKEN_DAYS = 365
