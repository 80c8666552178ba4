import type { FastifyError, FastifyInstance } from 'fastify'
import { STATUS_CODES } from 'node:http'
import { AppError, fromDatabaseError, type ErrorCode } from '../errors.ts'
import type { ErrorResponse } from '../schemas/common.ts'
import { problemsFromAjv } from './validation.ts'

const body = (statusCode: number, code: ErrorCode, message: string, details?: unknown): ErrorResponse => ({
  statusCode,
  error: STATUS_CODES[statusCode] ?? 'Error',
  code,
  message,
  ...(details === undefined ? {} : { details }),
})

// Fastify's own codes for malformed requests, answered as the client's fault with their field named.
const FASTIFY_CODES: Record<string, { status: number; code: ErrorCode; message?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'body: is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'body: is empty but the content type is JSON' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'body: is larger than this route accepts' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_REQUEST', message: 'content-length: does not match the body' },
  FST_ERR_CTP_INVALID_TYPE: { status: 400, code: 'BAD_REQUEST' },
  FST_ERR_CTP_INVALID_CONTENT_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
}

/** The one error handler: `{ statusCode, error, code, message }`; 5xx are masked and logged. */
export function installErrorHandler(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError & { validation?: unknown; validationContext?: string }, request, reply) => {
    if (error instanceof AppError) {
      if (error.statusCode >= 500) request.log.error({ err: error }, 'request failed')
      return reply.status(error.statusCode).send(body(error.statusCode, error.code, error.message, error.details))
    }
    if (Array.isArray(error.validation)) {
      const problems = problemsFromAjv(error.validation, error.validationContext ?? 'body')
      const message = problems.map((p) => `${p.field}: ${p.message}`).join('; ') || error.message
      return reply.status(400).send(body(400, 'VALIDATION_FAILED', message, { problems }))
    }
    const known = error.code ? FASTIFY_CODES[error.code] : undefined
    if (known?.status === 415) {
      const message = `content-type: ${String(request.headers['content-type'] ?? 'none').split(';')[0]} is not accepted here; send application/json (imports also take text/csv)`
      return reply.status(415).send(body(415, known.code, message))
    }
    if (known) return reply.status(known.status).send(body(known.status, known.code, known.message ?? error.message))
    const database = fromDatabaseError(error)
    if (database) {
      // The database's own words are kept for the operator, not answered.
      request.log.info({ err: error }, 'database refused a write')
      return reply.status(database.statusCode).send(body(database.statusCode, database.code, database.message, database.details))
    }
    if (error.statusCode === 429) return reply.status(429).send(body(429, 'RATE_LIMITED', error.message))
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send(body(error.statusCode, 'BAD_REQUEST', error.message))
    }
    request.log.error({ err: error }, 'unhandled error')
    return reply.status(500).send(body(500, 'INTERNAL', 'Internal error; it has been logged'))
  })
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(body(404, 'NOT_FOUND', `${request.method} ${request.url.split('?')[0]} is not a route of this service`))
  })
}
