import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { AppError } from '../../errors.ts'
import { requireUser, signedInActorOf as actor } from '../../plugins/auth.ts'
import { errorResponses, IdParamsSchema } from '../../schemas/common.ts'
import {
  AttachmentCreatedSchema,
  AttachmentParamsSchema,
  AttachmentQuerySchema,
  CreateHazardSchema,
  CreateInspectionSchema,
  HazardDetailSchema,
  HazardImportResultSchema,
  HazardPageSchema,
  HazardQuerySchema,
  HazardSchema,
  InboxSchema,
  InspectionPageSchema,
  InspectionQuerySchema,
  InspectionSchema,
  TransitionSchema,
  ATTACHMENT_PHASES,
  type AttachmentPhase,
} from '../../schemas/hazards.ts'
import { addAttachment, contentDisposition, MAX_ATTACHMENT_BYTES, readAttachment } from './attachments.ts'
import { importHazards, tableFromCsv, tableFromXlsx } from './import.ts'
import { inbox } from './inbox.ts'
import { listInspections, recordInspection } from './inspections.ts'
import * as repository from './repository.ts'
import * as service from './service.ts'

// Reading needs a login and is scoped in the queries; writing needs a clerk or supervisor (admins pass), and the
// service decides per hazard who may do what (states.ts).
const read = { access: 'user' as const }
const write = { access: { roles: ['clerk', 'supervisor'] as const } }
/** How often the escalation steps due are taken without a reader. */
export const ESCALATION_UPKEEP_MS = 15 * 60_000
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** The hazard ledger (隐患台账): hazards and their loop, the inbox, inspections, attachments and ledger imports. */
const hazardsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app

  // Escalation steps fall due with the calendar, not only when someone reads: taken at start and every quarter
  // hour. Idempotent (on conflict do nothing), so several instances may run it at once.
  let timer: NodeJS.Timeout | undefined
  // The run in flight, so that closing waits for it rather than closing the database under it.
  let running: Promise<void> | undefined
  const upkeep = () =>
    (running ??= repository
      .takeEscalations(db)
      .then(() => {})
      .catch((error: unknown) => app.log.error({ err: error }, 'hazard escalation upkeep failed'))
      .finally(() => (running = undefined)))
  app.addHook('onReady', async () => {
    await upkeep()
    timer = setInterval(upkeep, ESCALATION_UPKEEP_MS)
    timer.unref()
  })
  app.addHook('onClose', async () => {
    clearInterval(timer)
    await running
  })

  app.post(
    '/api/hazards',
    {
      config: write,
      schema: {
        tags: ['hazards'],
        summary: 'Open a hazard (state warning; a governance supervisor or admin may enter a later state and a past deadline)',
        body: CreateHazardSchema,
        response: { 201: HazardSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const hazard = await service.create(db, request.body, actor(request))
      request.log.info({ hazardId: hazard.id, state: hazard.state }, 'hazard opened')
      return reply.status(201).header('location', `/api/hazards/${hazard.id}`).send(hazard)
    },
  )
  app.get(
    '/api/hazards',
    {
      config: read,
      schema: {
        tags: ['hazards'],
        summary: 'The ledger within the caller’s scope, overdue first, each with its escalation step',
        querystring: HazardQuerySchema,
        response: { 200: HazardPageSchema, ...errorResponses },
      },
    },
    async (request) => service.list(db, request.query, requireUser(request)),
  )
  app.get(
    '/api/hazards/:id',
    {
      config: read,
      schema: {
        tags: ['hazards'],
        summary: 'One hazard with its full history: events, escalation steps taken, attachments',
        params: IdParamsSchema,
        response: { 200: HazardDetailSchema, ...errorResponses },
      },
    },
    async (request) => service.get(db, request.params.id, requireUser(request)),
  )
  app.post(
    '/api/hazards/:id/transitions',
    {
      config: write,
      schema: {
        tags: ['hazards'],
        summary:
          'Move a hazard along the loop (`to`) or act on it (`action`); 409 for a skipped stage (naming the allowed ones) or a stale version',
        params: IdParamsSchema,
        body: TransitionSchema,
        response: { 200: HazardSchema, ...errorResponses },
      },
    },
    async (request) => {
      const hazard = await service.transition(db, request.params.id, request.body, actor(request))
      request.log.info({ hazardId: hazard.id, state: hazard.state }, 'hazard moved')
      return hazard
    },
  )
  app.get(
    '/api/inbox',
    {
      config: read,
      schema: {
        tags: ['hazards'],
        summary:
          'What waits for the caller’s department: assigned, overdue, awaiting acceptance, extension requests, major hazards reported up, missed inspections',
        response: { 200: InboxSchema, ...errorResponses },
      },
    },
    async (request) => inbox(db, requireUser(request)),
  )
  app.post(
    '/api/inspections',
    {
      config: write,
      schema: {
        tags: ['inspections'],
        summary: 'Record an inspection (daily by the school, weekly by the township, monthly by the county) with its checklist',
        body: CreateInspectionSchema,
        response: { 201: InspectionSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await recordInspection(db, request.body, actor(request))),
  )
  app.get(
    '/api/inspections',
    {
      config: read,
      schema: {
        tags: ['inspections'],
        summary: 'A school’s inspections, newest first, with its schedule and what is missed',
        querystring: InspectionQuerySchema,
        response: { 200: InspectionPageSchema, ...errorResponses },
      },
    },
    async (request) => listInspections(db, request.query, requireUser(request)),
  )
  app.get(
    '/api/hazards/:id/attachments/:attachmentId',
    {
      config: read,
      schema: {
        tags: ['hazards'],
        summary: 'One attachment, served as stored with its type, name and nosniff',
        params: AttachmentParamsSchema,
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const file = await readAttachment(db, request.params.id, request.params.attachmentId, requireUser(request))
      return reply
        .type(file.content_type)
        .header('content-disposition', contentDisposition(file.filename))
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, max-age=0')
        .header('etag', `"${file.sha256}"`)
        .send(file.content)
    },
  )

  // Uploads in a context of their own: any content type is read as bytes here (the type is taken from the
  // content), and multipart is parsed only for this route.
  await app.register(async (uploads) => {
    uploads.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_ATTACHMENT_BYTES }, (_request, body, done) => done(null, body))
    await uploads.register(multipart, { limits: { fileSize: MAX_ATTACHMENT_BYTES, files: 1, fields: 4, parts: 5 } })
    uploads.withTypeProvider<TypeBoxTypeProvider>().post(
      '/api/hazards/:id/attachments',
      {
        bodyLimit: MAX_ATTACHMENT_BYTES,
        config: write,
        // Who may attach to this hazard is decided when the request arrives, before its body is read.
        onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
          const id = Number((request.params as { id?: string }).id)
          if (!Number.isInteger(id) || id < 1 || id > 2147483647) return
          try {
            await service.attachable(db, id, requireUser(request))
          } catch (error) {
            reply.header('connection', 'close')
            throw error
          }
        },
        schema: {
          tags: ['hazards'],
          summary:
            'Attach a photo or PDF (at most 10 MB; JPEG, PNG or PDF by its content): the file as the body, or multipart with one file',
          params: IdParamsSchema,
          querystring: AttachmentQuerySchema,
          response: { 201: AttachmentCreatedSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        let content: Buffer
        let filename = request.query.filename
        let phase: AttachmentPhase = request.query.phase ?? 'before'
        if (request.isMultipart()) {
          const part = await request.file().catch(rethrowMultipart)
          if (!part)
            throw new AppError('VALIDATION_FAILED', 'body: the multipart form has no file', {
              problems: [{ field: 'body/file', message: 'missing' }],
            })
          content = await part.toBuffer().catch(rethrowMultipart)
          filename = filename ?? part.filename
          const field = part.fields.phase as { value?: unknown } | undefined
          if (field?.value !== undefined) {
            if (!(ATTACHMENT_PHASES as readonly unknown[]).includes(field.value)) {
              throw new AppError('VALIDATION_FAILED', 'body/phase: must be before, after or evidence', {
                problems: [{ field: 'body/phase', message: 'must be before, after or evidence' }],
              })
            }
            phase = field.value as AttachmentPhase
          }
        } else {
          if (!Buffer.isBuffer(request.body)) {
            throw new AppError(
              'UNSUPPORTED_MEDIA_TYPE',
              'body: send the file itself (image/jpeg, image/png, application/pdf) or multipart/form-data with one file',
            )
          }
          content = request.body
        }
        const attachment = await addAttachment(db, request.params.id, { content, filename, phase }, actor(request))
        request.log.info({ hazardId: request.params.id, attachmentId: attachment.id }, 'hazard attachment stored')
        return reply.status(201).header('location', `/api/hazards/${request.params.id}/attachments/${attachment.id}`).send({
          id: attachment.id,
          sha256: attachment.sha256,
          contentType: attachment.contentType,
          bytes: attachment.bytes,
          phase: attachment.phase,
          filename: attachment.filename,
        })
      },
    )
  })

  await app.register(async (imports) => {
    const bodyLimit = app.config.importBodyLimitBytes
    imports.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string', bodyLimit }, (_request, body, done) =>
      done(null, body),
    )
    imports.addContentTypeParser(XLSX, { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body))
    imports.post(
      '/api/import/hazards',
      {
        bodyLimit,
        config: { access: { departments: ['governance'], roles: ['clerk', 'supervisor'] } },
        schema: {
          tags: ['import'],
          summary: 'Import an existing hazard ledger from CSV (text/csv) or XLSX, one hazard a row; all rows or none, dates kept',
          response: { 201: HazardImportResultSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const body = request.body as unknown
        const table = typeof body === 'string' ? tableFromCsv(body) : Buffer.isBuffer(body) ? await tableFromXlsx(body) : undefined
        if (!table) throw new AppError('UNSUPPORTED_MEDIA_TYPE', `content-type: send text/csv or ${XLSX}`)
        const result = await importHazards(db, table, actor(request))
        request.log.info({ imported: result.imported }, 'hazard ledger imported')
        return reply.status(201).send(result)
      },
    )
  })
}

/** Multipart's own errors (a file over the limit, a broken form) as the API's. */
function rethrowMultipart(error: unknown): never {
  const code = (error as { code?: string }).code
  if (code === 'FST_REQ_FILE_TOO_LARGE')
    throw new AppError('PAYLOAD_TOO_LARGE', `body: the file is larger than ${MAX_ATTACHMENT_BYTES} bytes (10 MB)`)
  if (
    code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' ||
    code === 'FST_PARTS_LIMIT' ||
    code === 'FST_FILES_LIMIT' ||
    code === 'FST_FIELDS_LIMIT'
  ) {
    throw new AppError('VALIDATION_FAILED', `body: ${(error as Error).message}`, {
      problems: [{ field: 'body', message: (error as Error).message }],
    })
  }
  throw error
}

export default hazardsRoutes
