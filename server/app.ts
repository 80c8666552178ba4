import { installWorkLimits } from './plugins/work-limits.ts'
import { connectReplicas, type ReplicaSet } from './db/replicas.ts'
import { installReadRouting } from './plugins/read-routing.ts'
import fs from 'node:fs'
import path from 'node:path'
import cookie from '@fastify/cookie'
import rateLimit from '@fastify/rate-limit'
import fastifyStatic from '@fastify/static'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import type { Config } from './config.ts'
import { connectDatabase, type DatabaseHandle, type DatabaseKind } from './db/connect.ts'
import { migrateToLatest } from './db/migrate.ts'
import type { Database } from './db/types.ts'
import { installAuth, type Access } from './plugins/auth.ts'
import { installErrorHandler } from './plugins/error-handler.ts'
import { installSecurityHeaders } from './plugins/security-headers.ts'
import { installTextChecks, installValidators } from './plugins/validation.ts'
import healthRoutes from './modules/health/routes.ts'
import usersRoutes from './modules/users/routes.ts'
import registryRoutes from './modules/registry/routes.ts'
import importRoutes from './modules/registry/import-routes.ts'
import roadRoutes from './modules/roads/routes.ts'
import { refreshWalkingConflicts } from './modules/zones/maintenance.ts'
import zonesRoutes from './modules/zones/routes.ts'
import batchCheckRoutes from './modules/zones/batch-routes.ts'
import auditsRoutes from './modules/audits/routes.ts'
import permitsRoutes from './modules/permits/routes.ts'
import auditLogRoutes from './modules/audit-log/routes.ts'
import mapRoutes from './modules/map/routes.ts'
import { registerDeskPage } from './modules/map/page.ts'
import { userForToken } from './modules/users/service.ts'
import { CredentialCache } from './modules/users/credential-cache.ts'
import tilesRoutes from './modules/tiles/routes.ts'
import { TileCache } from './modules/tiles/tile-cache.ts'
import searchRoutes from './modules/search/routes.ts'
import policeRoutes from './modules/police/routes.ts'
import hazardsRoutes from './modules/hazards/routes.ts'
import schoolFileRoutes from './modules/schools-file/routes.ts'
import reportsRoutes from './modules/reports/routes.ts'
import statsRoutes from './modules/stats/routes.ts'
import { fillMissingPinyin } from './modules/search/service.ts'
import { failInterruptedAudits } from './modules/audits/service.ts'
import { sealPending } from './modules/audit-log/service.ts'
import patrolPlanRoutes from './modules/patrol/plans/routes.ts'
import tokensRoutes from './modules/tokens/routes.ts'
import { userForApiToken } from './modules/tokens/service.ts'
import formatsRoutes from './modules/formats/routes.ts'
import ogcRoutes from './modules/ogc/routes.ts'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    db: Kysely<Database>
    /** The primary for the hot reads whose plan does not depend on their values (DatabaseHandle.prepared), else db. */
    preparedDb: Kysely<Database>
    databaseKind: DatabaseKind
    /** The hot standbys reads may go to (DATABASE_REPLICA_URLS), or null. */
    replicas: ReplicaSet | null
    /** Every route as registered, with its access rule: what the audit-trail test walks. */
    routeInventory: readonly RouteInventoryEntry[]
  }
}

export interface RouteInventoryEntry {
  method: string
  url: string
  access: Access | undefined
  /** false: a POST (PUT, PATCH, DELETE) that changes nothing, which a read-only API token may call. */
  writes: boolean | undefined
}

export const WEB_DIST = path.resolve(import.meta.dirname, '../web/dist')

export interface BuildOptions {
  /** An open database (tests pass their own); otherwise one is opened from the config and migrated. */
  database?: DatabaseHandle
  logger?: boolean | object
}

/** Builds the service: plugins first, then the domain modules, in order. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    genReqId: () => crypto.randomUUID(),
    ajv: { customOptions: { removeAdditional: false } },
    // Start-up hooks read the database (rule dates, escalations); with the embedded database on its own thread the
    // event loop is free meanwhile, so Fastify's 10 s timer now fires on a loaded machine while they are still working.
    pluginTimeout: 120_000,
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Recorded before anything registers, so no route escapes the inventory.
  const routeInventory: RouteInventoryEntry[] = []
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      routeInventory.push({ method, url: route.url, access: route.config?.access, writes: route.config?.writes })
  })
  app.decorate('routeInventory', routeInventory)
  installSecurityHeaders(app, config)
  // The request id is in every audit entry and log line; answering it lets a user quote it.
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  const database = options.database ?? (await connectDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }))
  if (!options.database) await migrateToLatest(database.db)
  await failInterruptedAudits(database.db, database.kind)
  await fillMissingPinyin(database.db)
  app.decorate('config', config)
  app.decorate('db', database.db)
  app.decorate('preparedDb', database.prepared ?? database.db)
  app.decorate('databaseKind', database.kind)
  const replicas =
    database.kind === 'postgis' && config.databaseUrl && config.databaseReplicaUrls.length > 0
      ? connectReplicas(config.databaseReplicaUrls, config.databaseUrl)
      : null
  app.decorate('replicas', replicas)
  app.addHook('onClose', async () => {
    if (!options.database) await database.close()
  })
  startSealer(app, database.db, config.auditSealIntervalSeconds)

  installValidators(app)
  installTextChecks(app)
  installErrorHandler(app)
  await app.register(cookie)
  // After the cookie parser: the read-primary mark is a cookie.
  installReadRouting(app, database.db, replicas)
  await app.register(rateLimit, { global: false })
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Guyuan school safety zones',
        description:
          'Registry of schools and licensed premises, geodesic safety-zone verdicts and permit screening (固原市中小学幼儿园安全区域).',
        version: '0.1.0',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'sid' },
          token: { type: 'http', scheme: 'bearer', description: 'an API token (POST /api/tokens): gyz_…' },
        },
      },
      security: [{ session: [] }, { token: [] }],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  if (config.serveWeb) await registerWeb(app)

  const credentialCache = new CredentialCache(config.sessionCacheMs)
  app.decorate('credentialCache', credentialCache)
  installAuth(app, config, {
    userForToken: (token) => userForToken(database.db, token, config.sessionIdleMinutes, credentialCache),
    userForApiToken: (secret) => userForApiToken(database.db, secret, credentialCache),
  })
  installWorkLimits(app)
  await app.register(healthRoutes)
  await app.register(usersRoutes)
  await app.register(registryRoutes)
  await app.register(importRoutes)
  await app.register(roadRoutes, { onNetworkChanged: refreshWalkingConflicts })
  await app.register(zonesRoutes)
  await app.register(batchCheckRoutes)
  await app.register(auditsRoutes)
  await app.register(permitsRoutes)
  await app.register(auditLogRoutes)
  await app.register(mapRoutes)
  app.decorate('tileCache', config.tileCacheBytes > 0 ? new TileCache(config.tileCacheBytes) : null)
  await app.register(tilesRoutes)
  await app.register(searchRoutes)
  await app.register(policeRoutes)
  await app.register(hazardsRoutes)
  await app.register(schoolFileRoutes)
  await app.register(reportsRoutes)
  await app.register(statsRoutes)
  await app.register(patrolPlanRoutes)
  await app.register(tokensRoutes)
  await app.register(formatsRoutes)
  await app.register(ogcRoutes)
  return app
}

async function registerWeb(app: FastifyInstance) {
  if (fs.existsSync(path.join(WEB_DIST, 'index.html'))) {
    // The page itself carries the desk's first data (modules/map/page.ts); the hashed assets never change under their name.
    await app.register(fastifyStatic, {
      root: WEB_DIST,
      prefix: '/',
      wildcard: false,
      index: false,
      globIgnore: ['index.html'],
      setHeaders: (reply, file) => {
        if (file.startsWith(path.join(WEB_DIST, 'assets') + path.sep)) reply.header('cache-control', 'public, max-age=31536000, immutable')
      },
    })
    registerDeskPage(app, WEB_DIST)
    return
  }
  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(
        '<!doctype html><meta charset="utf-8"><title>固原市校园安全区域</title><p>The web app is not built: run <code>npm run build</code>. API documentation: <a href="/docs">/docs</a>.</p>',
      ),
  )
}

/** Seals new audit-log entries into the hash chain every few seconds, off the request path; stops when the service closes. */
function startSealer(app: FastifyInstance, db: Kysely<Database>, intervalSeconds: number) {
  if (intervalSeconds === 0) return
  let running: Promise<unknown> = Promise.resolve()
  const timer = setInterval(() => {
    running = sealPending(db).catch((error: unknown) => app.log.error({ err: error }, 'audit-log sealing failed'))
  }, intervalSeconds * 1000)
  timer.unref()
  // preClose: before any onClose hook closes the database.
  app.addHook('preClose', async () => {
    clearInterval(timer)
    await running
  })
}
