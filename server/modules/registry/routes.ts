import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { signedInActorOf as actor } from '../../plugins/auth.ts'
import { errorResponses, IdParamsSchema } from '../../schemas/common.ts'
import {
  CreatePremisesSchema,
  CreateSchoolSchema,
  HistorySchema,
  PremisesCollectionSchema,
  PremisesQuerySchema,
  PremisesSchema,
  SchoolCollectionSchema,
  SchoolQuerySchema,
  SchoolSchema,
  UpdatePremisesSchema,
  UpdateSchoolSchema,
  WriteQuerySchema,
} from '../../schemas/registry.ts'
import * as service from './service.ts'

// Reading needs a login; who may write is decided per record (department, category, county scope) in the service.
const read = { access: 'user' as const }
const write = { access: { roles: ['clerk', 'supervisor'] as const } }

/** CRUD and history for the school and premises registers. */
const registryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app

  app.get(
    '/api/schools',
    {
      config: read,
      schema: {
        tags: ['schools'],
        summary: 'Schools as a FeatureCollection',
        querystring: SchoolQuerySchema,
        response: { 200: SchoolCollectionSchema, ...errorResponses },
      },
    },
    async (request) => service.listSchools(request.readDb, request.query),
  )
  app.get(
    '/api/schools/:id',
    {
      config: read,
      schema: { tags: ['schools'], summary: 'One school', params: IdParamsSchema, response: { 200: SchoolSchema, ...errorResponses } },
    },
    async (request) => service.getSchool(db, request.params.id),
  )
  app.post(
    '/api/schools',
    {
      config: write,
      schema: {
        tags: ['schools'],
        summary: 'Register a school (education department)',
        querystring: WriteQuerySchema,
        body: CreateSchoolSchema,
        response: { 201: SchoolSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const school = await service.createSchool(db, request.body, request.query.crs ?? 'wgs84', actor(request))
      request.log.info({ schoolId: school.id }, 'school created')
      return reply.status(201).header('location', `/api/schools/${school.id}`).send(school)
    },
  )
  app.patch(
    '/api/schools/:id',
    {
      config: write,
      schema: {
        tags: ['schools'],
        summary: 'Change a school',
        params: IdParamsSchema,
        querystring: WriteQuerySchema,
        body: UpdateSchoolSchema,
        response: { 200: SchoolSchema, ...errorResponses },
      },
    },
    async (request) => service.updateSchool(db, request.params.id, request.body, request.query.crs ?? 'wgs84', actor(request)),
  )
  app.delete(
    '/api/schools/:id',
    {
      config: write,
      schema: { tags: ['schools'], summary: 'Remove a school', params: IdParamsSchema, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      await service.deleteRecord(db, 'schools', request.params.id, actor(request))
      return reply.status(204).send(null)
    },
  )
  app.get(
    '/api/schools/:id/history',
    {
      config: read,
      schema: {
        tags: ['schools'],
        summary: 'Every change to a school',
        params: IdParamsSchema,
        response: { 200: HistorySchema, ...errorResponses },
      },
    },
    async (request) => service.history(db, 'schools', request.params.id),
  )

  app.get(
    '/api/premises',
    {
      config: read,
      schema: {
        tags: ['premises'],
        summary: 'Licensed premises as a FeatureCollection',
        querystring: PremisesQuerySchema,
        response: { 200: PremisesCollectionSchema, ...errorResponses },
      },
    },
    async (request) => service.listPremises(request.readDb, request.query),
  )
  app.get(
    '/api/premises/:id',
    {
      config: read,
      schema: { tags: ['premises'], summary: 'One premises', params: IdParamsSchema, response: { 200: PremisesSchema, ...errorResponses } },
    },
    async (request) => service.getPremises(db, request.params.id),
  )
  app.post(
    '/api/premises',
    {
      config: write,
      schema: {
        tags: ['premises'],
        summary: 'Register premises (the licensing department of its category)',
        querystring: WriteQuerySchema,
        body: CreatePremisesSchema,
        response: { 201: PremisesSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const premises = await service.createPremises(db, request.body, request.query.crs ?? 'wgs84', actor(request))
      request.log.info({ premisesId: premises.id }, 'premises created')
      return reply.status(201).header('location', `/api/premises/${premises.id}`).send(premises)
    },
  )
  app.patch(
    '/api/premises/:id',
    {
      config: write,
      schema: {
        tags: ['premises'],
        summary: 'Change premises',
        params: IdParamsSchema,
        querystring: WriteQuerySchema,
        body: UpdatePremisesSchema,
        response: { 200: PremisesSchema, ...errorResponses },
      },
    },
    async (request) => service.updatePremises(db, request.params.id, request.body, request.query.crs ?? 'wgs84', actor(request)),
  )
  app.delete(
    '/api/premises/:id',
    {
      config: write,
      schema: { tags: ['premises'], summary: 'Remove premises', params: IdParamsSchema, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      await service.deleteRecord(db, 'premises', request.params.id, actor(request))
      return reply.status(204).send(null)
    },
  )
  app.get(
    '/api/premises/:id/history',
    {
      config: read,
      schema: {
        tags: ['premises'],
        summary: 'Every change to premises',
        params: IdParamsSchema,
        response: { 200: HistorySchema, ...errorResponses },
      },
    },
    async (request) => service.history(db, 'premises', request.params.id),
  )
}

export default registryRoutes
