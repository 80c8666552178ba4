import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { requireUser } from '../../plugins/auth.ts'
import { errorResponses, IdParamsSchema } from '../../schemas/common.ts'
import { SchoolFileSchema } from '../../schemas/school-file.ts'
import { renderSchoolFile } from './pdf.ts'
import * as service from './service.ts'

// Any signed-in user may read a school's file, within their county scope (checked in the service).
const read = { access: 'user' as const }

/** One file per school (一校一档): as JSON and as a printable PDF. */
const schoolFileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app

  app.get(
    '/api/schools/:id/file',
    {
      config: read,
      schema: {
        tags: ['schools'],
        summary:
          'The school’s file (一校一档): registry facts, zone, conflicts, hazards, inspections, patrols, signs, cameras, staffing audit',
        params: IdParamsSchema,
        response: { 200: SchoolFileSchema, ...errorResponses },
      },
    },
    async (request) => service.schoolFile(db, request.params.id, requireUser(request)),
  )
  app.get(
    '/api/schools/:id/file.pdf',
    {
      config: read,
      schema: {
        tags: ['schools'],
        summary: 'The school’s file as a PDF in Chinese',
        params: IdParamsSchema,
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = requireUser(request)
      const file = await service.schoolFile(db, request.params.id, user)
      const pdf = await renderSchoolFile(file, user.username)
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="school-${request.params.id}-file.pdf"`)
        .send(pdf)
    },
  )
}

export default schoolFileRoutes
