import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf, checkOrigin, requireUser, SESSION_COOKIE } from '../../plugins/auth.ts'
import {
  CreateUserSchema,
  LoginSchema,
  SessionParamsSchema,
  SessionQuerySchema,
  SessionSchema,
  UpdateUserSchema,
  UserSchema,
} from '../../schemas/auth.ts'
import { errorResponses, IdParamsSchema, NoBodySchema } from '../../schemas/common.ts'
import * as service from './service.ts'

/** Sign-in, sign-out, the current user, and user administration. */
const usersRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app
  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, secure: config.cookieSecure, path: '/' }

  app.post(
    '/api/auth/login',
    {
      config: {
        access: 'public',
        rateLimit: {
          max: config.loginRateLimitPerMinute,
          timeWindow: '1 minute',
          // The key reads the body, which onRequest (the plugin's default hook) has not parsed yet.
          hook: 'preHandler',
          keyGenerator: (request) =>
            `${request.ip}|${String((request.body as { username?: unknown } | undefined)?.username ?? '').toLowerCase()}`,
        },
      },
      schema: {
        tags: ['auth'],
        summary: 'Sign in; sets the session cookie',
        body: LoginSchema,
        response: { 200: Type.Object({ user: UserSchema }), ...errorResponses },
      },
    },
    async (request, reply) => {
      if (request.headers.origin) checkOrigin(request, config)
      const attempt = {
        username: request.body.username,
        password: request.body.password,
        address: request.ip,
        userAgent: request.headers['user-agent']?.slice(0, 300) ?? null,
      }
      const policy = {
        ttlHours: config.sessionTtlHours,
        failureWindowMinutes: config.loginFailureWindowMinutes,
        maxFailuresPerAddress: config.loginMaxFailuresPerAddress,
        lockoutFailures: config.loginLockoutFailures,
      }
      const { user, token, expiresAt } = await service.login(app.db, attempt, policy, String(request.id)).catch((error: unknown) => {
        const retry = (error as { details?: { retryAfterSeconds?: number } }).details?.retryAfterSeconds
        if (retry !== undefined) reply.header('retry-after', String(retry))
        throw error
      })
      request.log.info({ userId: user.id }, 'signed in')
      reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions, expires: expiresAt })
      return { user }
    },
  )

  app.post(
    '/api/auth/logout',
    {
      config: { access: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'Sign out; revokes the session',
        body: NoBodySchema,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE]
      if (token) await service.logout(app.db, token, actorOf(request), app.credentialCache)
      reply.clearCookie(SESSION_COOKIE, cookieOptions)
      return reply.status(204).send(null)
    },
  )

  app.get(
    '/api/auth/me',
    {
      config: { access: 'user' },
      schema: { tags: ['auth'], summary: 'The signed-in user', response: { 200: Type.Object({ user: UserSchema }), ...errorResponses } },
    },
    async (request) => ({ user: requireUser(request) }),
  )

  app.get(
    '/api/users',
    {
      config: { access: { departments: ['admin'] } },
      schema: {
        tags: ['users'],
        summary: 'All users (admin)',
        response: { 200: Type.Object({ users: Type.Array(UserSchema) }), ...errorResponses },
      },
    },
    async () => ({ users: await service.listUsers(app.db) }),
  )

  app.post(
    '/api/users',
    {
      config: { access: { departments: ['admin'] } },
      schema: {
        tags: ['users'],
        summary: 'Create a user (admin)',
        body: CreateUserSchema,
        response: { 201: Type.Object({ user: UserSchema }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = await service.createUser(app.db, request.body, actorOf(request))
      request.log.info({ userId: user.id }, 'user created')
      return reply.status(201).send({ user })
    },
  )

  app.patch(
    '/api/users/:id',
    {
      config: { access: { departments: ['admin'] } },
      schema: {
        tags: ['users'],
        summary: 'Disable a user (ending their sessions) or enable them again (admin)',
        params: IdParamsSchema,
        body: UpdateUserSchema,
        response: { 200: Type.Object({ user: UserSchema, disabled: Type.Boolean() }), ...errorResponses },
      },
    },
    async (request) => {
      const { disabled, ...user } = await service.setDisabled(
        app.db,
        request.params.id,
        request.body.disabled,
        actorOf(request),
        app.credentialCache,
      )
      request.log.info({ userId: user.id, disabled }, 'user access changed')
      return { user, disabled }
    },
  )

  app.get(
    '/api/sessions',
    {
      config: { access: { departments: ['admin'] } },
      schema: {
        tags: ['users'],
        summary: 'Live sessions, of one user or all (admin)',
        querystring: SessionQuerySchema,
        response: { 200: Type.Object({ sessions: Type.Array(SessionSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ sessions: await service.listSessions(app.db, request.query.userId, config.sessionIdleMinutes) }),
  )

  app.delete(
    '/api/sessions/:sessionId',
    {
      config: { access: { departments: ['admin'] } },
      schema: {
        tags: ['users'],
        summary: 'End a session (admin)',
        params: SessionParamsSchema,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await service.revokeSession(app.db, request.params.sessionId, actorOf(request), app.credentialCache)
      return reply.status(204).send(null)
    },
  )
}

export default usersRoutes
