import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IdParamSchema, PageQuerySchema, problems } from '../../lib/http.js';
import { IdempotencyKeyHeaderSchema, REPLAYED_HEADER } from '../../lib/idempotency.js';
import { actorOf } from '../../plugins/auth.js';
import {
  CreateRegistrationBodySchema,
  DepositDecisionBodySchema,
  QualifyBodySchema,
  RegistrationPageSchema,
  RegistrationParamsSchema,
  RegistrationSchema,
} from './listings.schemas.js';

export const registrationsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { registrations } = app.services;
  const secured = { security: [{ bearerAuth: [] }] };
  const tags = ['Listings'];

  app.post(
    '/v1/listings/:id/registrations',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'createRegistration',
        tags,
        summary: 'Register as an intent buyer (意向受让方) during notice (enterprise) → 201 pending',
        ...secured,
        params: IdParamSchema,
        headers: z.object({ 'idempotency-key': IdempotencyKeyHeaderSchema }),
        body: CreateRegistrationBodySchema.optional(),
        response: { 201: RegistrationSchema, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const out = await registrations.register(actorOf(req), req.params.id, req.body ?? {}, req.headers['idempotency-key']);
      if (out.replayed) reply.header(REPLAYED_HEADER, 'true');
      return reply.status(201).send(out.body);
    },
  );

  app.get(
    '/v1/listings/:id/registrations',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'listRegistrations',
        tags,
        summary: 'Intent buyers by paddle: all for the seller and admins, your own otherwise',
        ...secured,
        params: IdParamSchema,
        querystring: PageQuerySchema,
        response: { 200: RegistrationPageSchema, ...problems(400, 401, 404) },
      },
    },
    async (req) => registrations.list(req.actor, req.params.id, req.query),
  );

  app.post(
    '/v1/listings/:id/registrations/:rid/qualify',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'qualifyRegistration',
        tags,
        summary: '资格审核 and deposit receipt during notice (seller or admin)',
        ...secured,
        params: RegistrationParamsSchema,
        body: QualifyBodySchema,
        response: { 200: RegistrationSchema, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (req) => registrations.qualify(actorOf(req), req.params.id, req.params.rid, req.body),
  );

  app.post(
    '/v1/listings/:id/registrations/:rid/deposit',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'settleDeposit',
        tags,
        summary: 'Refund or forfeit a paid deposit by hand (admin)',
        ...secured,
        params: RegistrationParamsSchema,
        body: DepositDecisionBodySchema,
        response: { 200: RegistrationSchema, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (req) => registrations.decideDeposit(actorOf(req), req.params.id, req.params.rid, req.body),
  );
};
