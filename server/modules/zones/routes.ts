import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf, requireUser } from '../../plugins/auth.ts'
import { errorResponses, IdParamsSchema } from '../../schemas/common.ts'
import {
  CheckResultSchema,
  CheckSchema,
  ConflictPageSchema,
  ConflictQuerySchema,
  PreviewResultSchema,
  PreviewSchema,
  PreviewZonesResultSchema,
  PreviewZonesSchema,
  PREVIEW_ZONES_MAX_SCHOOLS,
  RuleQuerySchema,
  RuleSchema,
  RuleVersionSchema,
  UpdateRuleSchema,
  UpdateRulesSchema,
  ZoneQuerySchema,
} from '../../schemas/zones.ts'
import * as service from './service.ts'
import { applyRuleDates, RULE_SCHEDULE_CHECK_MS } from './schedule.ts'
import { sendJsonInSlices } from '../../plugins/json-slices.ts'

const ruleEditors = { access: { departments: ['governance'] as const, roles: ['supervisor'] as const } }

/** Rules, verdicts, conflicts, zones and the what-if preview (full audits: modules/audits). */
const zonesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app

  // Rule dates that arrive with the calendar (schedule.ts): applied at start and checked every half minute.
  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> = Promise.resolve()
  const applyDates = () => {
    running = applyRuleDates(db).then(
      (changes) => {
        if (changes && changes.length > 0) app.log.info({ changes }, 'rule dates applied')
      },
      (error: unknown) => app.log.error({ err: error }, 'applying rule dates failed'),
    )
    return running
  }
  app.addHook('onReady', async () => {
    await applyDates()
    timer = setInterval(applyDates, RULE_SCHEDULE_CHECK_MS)
    timer.unref()
  })
  // preClose: before the database is closed.
  app.addHook('preClose', async () => {
    clearInterval(timer)
    await running
  })

  app.get(
    '/api/rules',
    {
      config: { access: 'user' },
      schema: {
        tags: ['rules'],
        summary: 'Zoning rules (category × school type)',
        querystring: RuleQuerySchema,
        response: { 200: Type.Object({ rules: Type.Array(RuleSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      rules: await service.listRules(db, request.query),
    }),
  )
  app.get(
    '/api/rules/:id',
    {
      config: { access: 'user' },
      schema: {
        tags: ['rules'],
        summary: 'One rule with its versions',
        params: IdParamsSchema,
        response: { 200: Type.Object({ rule: RuleSchema, versions: Type.Array(RuleVersionSchema) }), ...errorResponses },
      },
    },
    async (request) => service.getRule(db, request.params.id),
  )
  app.put(
    '/api/rules/:id',
    {
      config: ruleEditors,
      schema: {
        tags: ['rules'],
        summary: 'Change a rule (governance supervisor or admin); conflicts follow in the same transaction',
        params: IdParamsSchema,
        body: UpdateRuleSchema,
        response: { 200: RuleSchema, ...errorResponses },
      },
    },
    async (request) => {
      const rule = await service.updateRule(db, request.params.id, request.body, { ...actorOf(request), user: requireUser(request) })
      request.log.info({ ruleId: rule.id, version: rule.version }, 'rule changed')
      return rule
    },
  )
  app.post(
    '/api/rules/changes',
    {
      config: ruleEditors,
      schema: {
        tags: ['rules'],
        summary:
          'Change several rules at once, all or none (governance supervisor or admin): say every school type of a category; conflicts follow in the same transaction',
        body: UpdateRulesSchema,
        response: { 200: Type.Object({ rules: Type.Array(RuleSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const rules = await service.updateRules(db, request.body, { ...actorOf(request), user: requireUser(request) })
      request.log.info({ ruleIds: rules.map((r) => r.id) }, 'rules changed')
      return { rules }
    },
  )
  app.post(
    '/api/rules/preview',
    {
      config: { access: 'user', writes: false, perUser: 1 },
      schema: {
        tags: ['rules'],
        summary: 'What proposed rules would change, without saving',
        body: PreviewSchema,
        response: { 200: PreviewResultSchema, ...errorResponses },
      },
    },
    // Thousands of schools and premises: written in slices as the socket drains (json-slices.ts says why).
    async (request, reply) => sendJsonInSlices(reply, PreviewResultSchema, await service.previewRules(request.readDb, request.body)),
  )
  app.post(
    '/api/rules/preview/zones',
    {
      config: { access: 'user', writes: false, perUser: 2 },
      schema: {
        tags: ['rules'],
        summary: `Today's and the proposed zones of the schools in a view, for drawing a proposal side by side (at most ${PREVIEW_ZONES_MAX_SCHOOLS} schools)`,
        body: PreviewZonesSchema,
        response: { 200: PreviewZonesResultSchema, ...errorResponses },
      },
    },
    async (request) => service.previewZones(request.readDb, request.body),
  )

  app.post(
    '/api/check',
    {
      config: { access: 'user', writes: false },
      schema: {
        tags: ['check'],
        summary: 'Verdict for a point and a premises category',
        body: CheckSchema,
        response: { 200: CheckResultSchema, ...errorResponses },
      },
    },
    // On the primary, the prepared pool; a standby has no prepared pool of its own, so its reads stay ordinary.
    async (request) => service.check(request.readDb, request.body, request.readDb === db ? app.preparedDb : request.readDb),
  )

  app.get(
    '/api/conflicts',
    {
      config: { access: 'user' },
      schema: {
        tags: ['conflicts'],
        summary: 'Premises within a school zone under the current rules',
        querystring: ConflictQuerySchema,
        response: { 200: ConflictPageSchema, ...errorResponses },
      },
    },
    async (request) => service.listConflicts(db, request.query),
  )

  app.get(
    '/api/schools/:id/zone',
    {
      config: { access: 'user' },
      schema: {
        tags: ['schools'],
        summary: 'The school’s zone and bands as GeoJSON, for drawing',
        params: IdParamsSchema,
        querystring: ZoneQuerySchema,
        response: {
          200: Type.Object({ type: Type.Literal('FeatureCollection'), features: Type.Array(Type.Unknown()) }),
          ...errorResponses,
        },
      },
    },
    async (request) => service.zone(db, request.params.id, request.query.category),
  )

  // The recomputation jobs keep their place in the route order, in their own module.
}

export default zonesRoutes
