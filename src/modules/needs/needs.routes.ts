import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../plugins/auth.js';
import { IdParamSchema, problems } from '../../lib/http.js';
import { conditionalRead, parseIfMatch, sendRead, setEtag } from '../../lib/etag.js';
import { lifecycleRoutes } from '../../plugins/lifecycle-routes.js';
import {
  NeedPageSchema,
  NeedSchema,
  CreateNeedBodySchema,
  ListNeedsQuerySchema,
  UpdateNeedBodySchema,
} from './needs.schemas.js';

export const needsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { needs } = app.services;
  const secured = { security: [{ bearerAuth: [] }] };
  const tags = ['Needs'];

  app.post(
    '/v1/needs',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'createNeed',
        tags,
        summary: 'Post a technology need (技术需求) as a draft (enterprises, brokers)',
        ...secured,
        body: CreateNeedBodySchema,
        response: { 201: NeedSchema, ...problems(400, 401, 403, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const r = await needs.create(actorOf(req), req.body);
      setEtag(reply, r.version);
      return reply.status(201).header('location', `/v1/needs/${r.need.id}`).send(r.need);
    },
  );

  app.get(
    '/v1/needs',
    {
      schema: {
        operationId: 'listNeeds',
        tags,
        summary: 'List published needs (or your own with mine=true), filtered, newest first',
        querystring: ListNeedsQuerySchema,
        headers: conditionalRead.headers,
        response: { 200: NeedPageSchema, ...conditionalRead.responses, ...problems(400, 401, 403) },
      },
    },
    async (req, reply) => sendRead(req, reply, await needs.list(req.actor, req.query)),
  );

  app.get(
    '/v1/needs/:id',
    {
      schema: {
        operationId: 'getNeed',
        tags,
        summary: 'One need (published; owners and admins see every status)',
        params: IdParamSchema,
        headers: conditionalRead.headers,
        response: { 200: NeedSchema, ...conditionalRead.responses, ...problems(400, 401, 404) },
      },
    },
    async (req, reply) => sendRead(req, reply, await needs.get(req.actor, req.params.id)),
  );

  app.patch(
    '/v1/needs/:id',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'updateNeed',
        tags,
        summary: 'Edit a need (owner; If-Match). Content changes send a published one back to review; validUntil alone renews it',
        ...secured,
        params: IdParamSchema,
        headers: z.object({ 'if-match': z.string().optional() }),
        body: UpdateNeedBodySchema,
        response: { 200: NeedSchema, ...problems(400, 401, 403, 404, 409, 412, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const r = await needs.update(actorOf(req), req.params.id, parseIfMatch(req.headers['if-match']), req.body);
      setEtag(reply, r.version);
      return r.need;
    },
  );

  await lifecycleRoutes(app, {
    path: '/v1/needs',
    noun: 'Need',
    tags,
    schema: NeedSchema,
    service: needs,
    pick: (r) => r.need,
  });
};
