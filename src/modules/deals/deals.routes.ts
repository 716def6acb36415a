import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseIfMatch, setEtag } from '../../lib/etag.js';
import { IdParamSchema, problems } from '../../lib/http.js';
import { actorOf } from '../../plugins/auth.js';
import { CreateDealBodySchema, DealPipelineSchema, DealSchema, ListDealsQuerySchema, UpdateDealBodySchema } from './deals.schemas.js';

export const dealsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { deals } = app.services;
  const secured = { security: [{ bearerAuth: [] }] };
  const tags = ['Deals'];

  app.post(
    '/v1/deals',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'createDeal',
        tags,
        summary: 'Open a deal between a seller and a buyer organization (brokers for their brokerage, admins)',
        ...secured,
        body: CreateDealBodySchema,
        response: { 201: DealSchema, ...problems(400, 401, 403, 409, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const r = await deals.open(actorOf(req), req.body);
      setEtag(reply, r.version);
      return reply.status(201).header('location', `/v1/deals/${r.deal.id}`).send(r.deal);
    },
  );

  app.get(
    '/v1/deals',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'listDeals',
        tags,
        summary: "The pipeline: deals the caller may see (a brokerage's own, a party's, all for admins), newest first, with counts per stage",
        ...secured,
        querystring: ListDealsQuerySchema,
        response: { 200: DealPipelineSchema, ...problems(400, 401, 403) },
      },
    },
    async (req) => deals.list(actorOf(req), req.query),
  );

  app.get(
    '/v1/deals/:id',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'getDeal',
        tags,
        summary: "One deal with its stage history (the deal's brokerage, its parties, admins)",
        ...secured,
        params: IdParamSchema,
        response: { 200: DealSchema, ...problems(400, 401, 404) },
      },
    },
    async (req, reply) => {
      const r = await deals.get(actorOf(req), req.params.id);
      setEtag(reply, r.version);
      return r.deal;
    },
  );

  app.patch(
    '/v1/deals/:id',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'updateDeal',
        tags,
        summary: 'Move a deal to its next stage, add a note, or set its amount and commission (If-Match)',
        ...secured,
        params: IdParamSchema,
        headers: z.object({ 'if-match': z.string().optional() }),
        body: UpdateDealBodySchema,
        response: { 200: DealSchema, ...problems(400, 401, 403, 404, 409, 412, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const r = await deals.update(actorOf(req), req.params.id, parseIfMatch(req.headers['if-match']), req.body);
      setEtag(reply, r.version);
      return r.deal;
    },
  );
};
