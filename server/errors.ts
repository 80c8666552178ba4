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

/** The camelCase field a constraint guards: its name less the table and the suffix PostgreSQL gives it. */
function fieldOfConstraint(table: string | undefined, constraint: string | undefined, column: string | undefined): string {
  const name = column ?? constraint?.replace(table ? new RegExp(`^${table}_`) : /^$/, '').replace(/_(key|idx|check|fkey|pkey|excl)$/, '')
  if (!name || name === 'pkey') return 'body'
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

/**
 * PostgreSQL SQLSTATEs that are the client's fault, mapped in one place. The answer names the field from the
 * constraint and says what was wrong in the service's words: the database's own text (values, table and constraint
 * names) stays in the log.
 */
export function fromDatabaseError(error: unknown): AppError | undefined {
  const e = error as { code?: unknown; table?: string; constraint?: string; column?: string; detail?: string }
  const code = e?.code
  if (typeof code !== 'string') return undefined
  const field = fieldOfConstraint(e.table, e.constraint, code === '23502' ? e.column : undefined)
  const problem = (message: string, errorCode: ErrorCode) =>
    new AppError(errorCode, `${field}: ${message}`, { problems: [{ field, message }] })
  switch (code) {
    case '23505':
      return problem('is already taken by another record', 'DUPLICATE')
    case '23503':
      return problem(
        /still referenced/.test(e.detail ?? '') ? 'is still referred to by other records' : 'refers to a record that does not exist',
        'UNPROCESSABLE',
      )
    case '23514':
      return problem('breaks a data rule of the registry', 'UNPROCESSABLE')
    case '23502':
      return problem('is required', 'UNPROCESSABLE')
    case '22P02':
    case '22003':
    case '22007':
    case '22008':
      return new AppError('VALIDATION_FAILED', 'body: a value is out of range or not valid for its type', {
        problems: [{ field: 'body', message: 'a value is out of range or not valid for its type' }],
      })
    case '40001':
    case '40P01':
    case '55P03':
      return new AppError('CONFLICT', 'the record is being changed by someone else; try again')
    default:
      return undefined
  }
}
