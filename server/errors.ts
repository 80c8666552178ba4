/** The one catalogue of error codes the API answers with. */
export const ErrorCodes = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  INVALID_GEOMETRY: 400,
  INVALID_JSON: 400,
  IMPORT_REJECTED: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  CSRF_REJECTED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  VERSION_CONFLICT: 409,
  DUPLICATE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const

export type ErrorCode = keyof typeof ErrorCodes

/** One problem with one input field; `field` is a JSON-pointer-like path such as `/features/3/geometry`. */
export interface FieldProblem {
  field: string
  message: string
}

/** An error the handler turns into `{ statusCode, error, code, message }`. */
export class AppError extends Error {
  readonly statusCode: number
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.statusCode = ErrorCodes[code]
  }
}

export const notFound = (what: string, id: unknown) => new AppError('NOT_FOUND', `${what} ${String(id)} does not exist`)
export const invalid = (field: string, problem: string) =>
  new AppError('VALIDATION_FAILED', `${field}: ${problem}`, { problems: [{ field, message: problem }] })
export const forbidden = (message: string) => new AppError('FORBIDDEN', message)

/** PostgreSQL SQLSTATEs that are the client's fault, mapped in one place. */
export function fromDatabaseError(error: unknown): AppError | undefined {
  const code = (error as { code?: unknown })?.code
  if (typeof code !== 'string') return undefined
  const detail = String((error as { detail?: unknown }).detail ?? (error as Error).message ?? '')
  switch (code) {
    case '23505':
      return new AppError('DUPLICATE', `already exists: ${detail}`)
    case '23503':
    case '23514':
    case '23502':
      return new AppError('UNPROCESSABLE', `violates a data rule: ${detail}`)
    case '22P02':
    case '22003':
    case '22007':
    case '22008':
      return new AppError('VALIDATION_FAILED', `invalid value: ${(error as Error).message}`)
    case '40001':
    case '40P01':
    case '55P03':
      return new AppError('CONFLICT', 'the record is being changed by someone else; try again')
    default:
      return undefined
  }
}
