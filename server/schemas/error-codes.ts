/**
 * The one catalogue of error codes the API answers with, and the HTTP status each one carries. Kept free of
 * schema code so the web client can import the codes without bundling the validator.
 */
export const ErrorCodes = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  INVALID_GEOMETRY: 400,
  INVALID_JSON: 400,
  IMPORT_REJECTED: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  INVALID_TOKEN: 401,
  FORBIDDEN: 403,
  CSRF_REJECTED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  VERSION_CONFLICT: 409,
  DUPLICATE: 409,
  ILLEGAL_TRANSITION: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const

export type ErrorCode = keyof typeof ErrorCodes
export const ERROR_CODES = Object.keys(ErrorCodes) as ErrorCode[]

/** One problem with one input field, listed in an error's `details.problems`; `field` is a JSON-pointer-like path such as `/features/3/geometry`. */
export interface FieldProblem {
  field: string
  message: string
}
