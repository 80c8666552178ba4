import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../db/types.ts'
import type { ReplicaSet } from '../db/replicas.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** Where this request's reads that may lag a little go: a standby when there are any, else the primary. */
    readDb: Kysely<Database>
  }
}

/** After a write, the client's reads stay on the primary this long, so that it reads its own writes. */
export const READ_PRIMARY_MS = 5000
const COOKIE = 'rp'
const READS = new Set(['GET', 'HEAD'])

/**
 * Routes reads to the standbys: GETs and the POSTs that only read (`config.writes: false`) go to `request.readDb`, a standby, unless the same client
 * wrote within READ_PRIMARY_MS (a cookie says until when, so it holds across instances behind a load balancer).
 * Without standbys `request.readDb` is the primary.
 */
export function installReadRouting(app: FastifyInstance, primary: Kysely<Database>, replicas: ReplicaSet | null) {
  app.decorateRequest('readDb', null as unknown as Kysely<Database>)
  const standbyMay = (request: FastifyRequest) => {
    if (!READS.has(request.method) && request.routeOptions.config?.writes !== false) return false
    const until = Number(request.cookies?.[COOKIE])
    return !(Number.isFinite(until) && until > Date.now())
  }
  app.addHook('onRequest', async (request) => {
    request.readDb = replicas && standbyMay(request) ? replicas.db : primary
  })
  if (!replicas) return
  app.addHook('onSend', async (request, reply) => {
    if (READS.has(request.method) || request.routeOptions.config?.writes === false || reply.statusCode >= 400) return
    reply.setCookie(COOKIE, String(Date.now() + READ_PRIMARY_MS), {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      maxAge: Math.ceil(READ_PRIMARY_MS / 1000),
    })
  })
  app.addHook('onClose', async () => replicas.close())
}
