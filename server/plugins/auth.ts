import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.ts'
import { AppError } from '../errors.ts'
import type { Actor, SignedInActor, User } from '../schemas/auth.ts'
import type { Department, Role } from '../schemas/common.ts'

/** Who may call a route: anyone, any signed-in user, or users of some departments and/or roles. Admins pass every rule. */
export type Access = 'public' | 'user' | { departments?: readonly Department[]; roles?: readonly Role[] }

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access
    /**
     * false on a POST (PUT, PATCH, DELETE) route that changes nothing (a verdict, a what-if): a read-only API token may
     * call it. Every other route of those methods counts as a write.
     */
    writes?: boolean
  }
  interface FastifyRequest {
    user: User | null
    /** The API token the request was authenticated with (null: a session cookie, or no one). */
    apiToken: ApiTokenOfRequest | null
  }
}

/** What a request made with an API token knows of it. */
export interface ApiTokenOfRequest {
  id: number
  name: string
  access: 'read' | 'write'
}

/** The answer to an API token's look-up: its user and the token, or why it does not authenticate. */
export type ApiTokenLookup = { user: User; token: ApiTokenOfRequest } | { refused: string }

export const SESSION_COOKIE = 'sid'
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** The actor of a request, for audit entries: the user, the request id, and the API token when the request used one. */
export const actorOf = (request: FastifyRequest): Actor => ({
  user: request.user,
  requestId: String(request.id),
  ...(request.apiToken ? { token: { id: request.apiToken.id, name: request.apiToken.name } } : {}),
})

/** The signed-in user, or 401. */
export function requireUser(request: FastifyRequest): User {
  if (!request.user) throw new AppError('UNAUTHENTICATED', 'sign in first (POST /api/auth/login)')
  return request.user
}

/** The actor of a request that needs a signed-in user, or 401. */
export const signedInActorOf = (request: FastifyRequest): SignedInActor => ({ ...actorOf(request), user: requireUser(request) })

/** What the auth plugin needs from the users module, passed in so that the plugin depends on no module. */
export interface SessionLookup {
  /** The user behind a session token, if the session is live. */
  userForToken: (token: string) => Promise<User | undefined>
  /** The user behind an API token (`Authorization: Bearer …`), or why the token is refused. */
  userForApiToken: (secret: string) => Promise<ApiTokenLookup>
}

/** API tokens: `gyz_` and 43 base64url characters (256 random bits), a prefix secret scanners can look for. */
export const API_TOKEN_PATTERN = /^gyz_[A-Za-z0-9_-]{43}$/
const BEARER = /^Bearer[ ]+(\S+)[ ]*$/i

/**
 * Refuses the request's Authorization header: 401 naming it, with the challenge RFC 6750 asks for, the connection
 * closed so that the body is never received.
 */
function refuseToken(reply: FastifyReply, problem: string): never {
  reply.header('connection', 'close')
  reply.header('www-authenticate', 'Bearer realm="api", error="invalid_token"')
  throw new AppError('INVALID_TOKEN', `authorization: ${problem}`)
}

/** The secret of `Authorization: Bearer <token>`, or 401 naming the header when it is malformed. */
function bearerSecret(reply: FastifyReply, header: string): string {
  const secret = BEARER.exec(header)?.[1]
  if (secret === undefined) refuseToken(reply, 'send the header as "Authorization: Bearer <token>" (no other scheme is accepted)')
  if (!API_TOKEN_PATTERN.test(secret)) refuseToken(reply, 'an API token is gyz_ followed by 43 letters, digits, - or _')
  return secret
}

/** Whether a user (or nobody) passes an access rule. */
export function allows(access: Access, user: User | null): boolean {
  if (access === 'public') return true
  if (!user) return false
  if (access === 'user' || user.role === 'admin') return true
  if (access.departments && !access.departments.includes(user.department)) return false
  if (access.roles && !access.roles.includes(user.role)) return false
  return true
}

function describe(access: Access): string {
  if (typeof access === 'string') return access
  const parts = []
  if (access.departments) parts.push(`department ${access.departments.join(' or ')}`)
  if (access.roles) parts.push(`role ${access.roles.join(' or ')}`)
  return parts.join(' with ')
}

/**
 * Sessions live server-side; the cookie holds a random token. Cookie-authenticated writes must come
 * from the service's own origin (Origin or Referer header), which stops cross-site forgery while a
 * script that sends the server's Origin keeps working. Every route must declare its access.
 */
export function installAuth(app: FastifyInstance, config: Config, sessions: SessionLookup) {
  app.decorateRequest('user', null)
  app.decorateRequest('apiToken', null)

  app.addHook('onRoute', (route) => {
    if (!route.config?.access) throw new Error(`route ${route.method} ${route.url} does not declare who may call it (config.access)`)
  })

  // Who may call is decided when the request arrives, before its body is read: an anonymous or
  // unauthorised upload is answered at once, whatever its size, and its connection closed so that the
  // rest of the body is never received.
  app.addHook('onRequest', async (request, reply) => {
    // An API token, when sent, is the request's only credential: a cookie beside it is ignored, and no Origin check
    // applies, since a browser never adds an Authorization header to another site's request on its own.
    const authorization = request.headers.authorization
    if (authorization !== undefined) {
      const found = await sessions.userForApiToken(bearerSecret(reply, authorization))
      if ('refused' in found) refuseToken(reply, found.refused)
      request.user = found.user
      request.apiToken = found.token
    } else {
      const token = request.cookies[SESSION_COOKIE]
      if (token) {
        if (UNSAFE.has(request.method)) refuseEarly(reply, () => checkOrigin(request, config))
        request.user = (await sessions.userForToken(token)) ?? null
      }
    }
    // Only routes registered before installAuth (the API docs, the web files) and the 404 handler lack
    // an access rule: the onRoute hook refuses any later route without one. Those are public.
    const routeConfig = request.routeOptions.config
    const access = routeConfig?.access ?? 'public'
    if (!allows(access, request.user))
      refuseEarly(reply, () => {
        if (!request.user) throw new AppError('UNAUTHENTICATED', 'sign in first (POST /api/auth/login)')
        throw new AppError('FORBIDDEN', `this needs ${describe(access)}; you are ${request.user.department} ${request.user.role}`)
      })
    const writes = UNSAFE.has(request.method) && routeConfig?.access !== undefined && routeConfig.writes !== false
    if (writes && request.apiToken?.access === 'read')
      refuseEarly(reply, () => {
        throw new AppError(
          'FORBIDDEN',
          `${request.method} ${request.routeOptions.url} writes; the API token "${request.apiToken!.name}" has read access only`,
        )
      })
  })
}

/** Runs a check that may refuse the request before its body is read; a refusal closes the connection, so the body is never received. */
function refuseEarly(reply: FastifyReply, check: () => void): void {
  try {
    check()
  } catch (error) {
    reply.header('connection', 'close')
    throw error
  }
}

/** Rejects a write whose Origin (or Referer) is not this service's own. */
export function checkOrigin(request: FastifyRequest, config: Config) {
  // Behind a proxy the published origin decides; the Host header is the client's to choose.
  const own = config.publicUrl ?? `${request.protocol}://${request.host}`
  const allowed = (origin: string) => origin === own || config.trustedOrigins.includes(origin)
  const origin = request.headers.origin
  if (typeof origin === 'string' && origin !== 'null') {
    if (allowed(origin)) return
    throw new AppError('CSRF_REJECTED', `origin: ${origin} may not send writes with this session; send Origin ${own}`)
  }
  const referer = request.headers.referer
  if (typeof referer === 'string') {
    try {
      if (allowed(new URL(referer).origin)) return
    } catch {
      // fall through
    }
  }
  throw new AppError('CSRF_REJECTED', `origin: a write with a session cookie must carry the header Origin: ${own}`)
}
