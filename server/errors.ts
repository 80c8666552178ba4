import { ErrorCodes, type ErrorCode, type FieldProblem } from './schemas/error-codes.ts'

// The catalogue is part of the contract (server/schemas); it is re-exported here beside the error class that uses it.
export { ErrorCodes, type ErrorCode, type FieldProblem }

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
