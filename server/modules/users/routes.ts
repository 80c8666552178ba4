import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf, checkOrigin, requireUser, SESSION_COOKIE } from '../../plugins/auth.ts'
import { CreateUserSchema, LoginSchema, UserSchema } from '../../schemas/auth.ts'
import { errorResponses, NoBodySchema } from '../../schemas/common.ts'
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
      const { user, token, expiresAt } = await service.login(
        app.db,
        request.body.username,
        request.body.password,
        config.sessionTtlHours,
        String(request.id),
      )
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
      if (token) await service.logout(app.db, token, actorOf(request))
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
}

export default usersRoutes
