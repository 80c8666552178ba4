import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../errors.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Expensive work (a preview, an import, a batch check, a certificate): how many at once per user on this instance. */
    perUser?: number
  }
}

const HELD = Symbol('work-limit')
type Held = FastifyRequest & { [HELD]?: string }

/**
 * Expensive routes take at most `config.perUser` requests of one user at a time (per instance): a second preview of
 * the whole province while the first runs is 429, not a second minute of the database's time. Decided when the
 * request arrives, after sign-in and before the body is read; released when the answer has been sent (or the client
 * went away).
 */
export function installWorkLimits(app: FastifyInstance) {
  const running = new Map<string, number>()
  const release = (request: Held) => {
    const key = request[HELD]
    if (!key) return
    request[HELD] = undefined
    const n = (running.get(key) ?? 1) - 1
    if (n <= 0) running.delete(key)
    else running.set(key, n)
  }
  app.addHook('onRequest', async (request: Held) => {
    const limit = request.routeOptions.config?.perUser
    if (!limit || !request.user) return
    const key = `${request.method} ${request.routeOptions.url} ${request.user.id}`
    const n = running.get(key) ?? 0
    if (n >= limit)
      throw new AppError(
        'RATE_LIMITED',
        `${request.method} ${request.routeOptions.url}: ${limit === 1 ? 'one' : limit} at a time per user; wait for your running request to finish`,
      )
    running.set(key, n + 1)
    request[HELD] = key
  })
  app.addHook('onResponse', async (request: Held) => release(request))
  app.addHook('onRequestAbort', async (request: Held) => release(request))
}
