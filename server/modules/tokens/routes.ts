import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AppError } from '../../errors.ts'
import { requireUser, signedInActorOf } from '../../plugins/auth.ts'
import { errorResponses, IdParamsSchema } from '../../schemas/common.ts'
import { ApiTokenQuerySchema, ApiTokenSchema, CreateApiTokenSchema, CreatedApiTokenSchema } from '../../schemas/tokens.ts'
import * as service from './service.ts'

/** API tokens for scripts, QGIS and GDAL: created by a signed-in user, listed and revoked by their owner or an administrator. */
const tokensRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app

  app.post(
    '/api/tokens',
    {
      config: { access: 'user' },
      schema: {
        tags: ['users'],
        summary: 'Create an API token for yourself; the answer shows the token once',
        description:
          'Send it as `Authorization: Bearer <token>` on any /api or /ogc route: it acts with your role and scope; a read token never writes. Creating a token needs a signed-in session: a token cannot create tokens.',
        body: CreateApiTokenSchema,
        response: { 201: CreatedApiTokenSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      // A leaked token must not be able to mint tokens of its own that outlive its revocation.
      if (request.apiToken) throw new AppError('FORBIDDEN', 'authorization: tokens are created from a signed-in session, not with a token')
      const token = await service.createToken(db, request.body, signedInActorOf(request))
      request.log.info({ tokenId: token.id, access: token.access }, 'api token created')
      return reply.status(201).send(token)
    },
  )

  app.get(
    '/api/tokens',
    {
      config: { access: 'user' },
      schema: {
        tags: ['users'],
        summary: "Your API tokens (administrators: another user's with userId, or everyone's with all=true)",
        querystring: ApiTokenQuerySchema,
        response: { 200: Type.Object({ tokens: Type.Array(ApiTokenSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ tokens: await service.listTokens(db, requireUser(request), request.query) }),
  )

  app.delete(
    '/api/tokens/:id',
    {
      config: { access: 'user' },
      schema: {
        tags: ['users'],
        summary:
          'Revoke an API token (its owner or an administrator); it stops working at once on this instance, within SESSION_CACHE_MS (2 s) on the others',
        params: IdParamsSchema,
        response: { 200: Type.Object({ token: ApiTokenSchema }), ...errorResponses },
      },
    },
    async (request) => {
      const token = await service.revokeToken(db, request.params.id, signedInActorOf(request), app.credentialCache)
      request.log.info({ tokenId: token.id }, 'api token revoked')
      return { token }
    },
  )
}

export default tokensRoutes
