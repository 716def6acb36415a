import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../plugins/auth.js';
import { IdParamSchema, problems } from '../../lib/http.js';
import { conditionalRead, parseIfMatch, sendRead, setEtag } from '../../lib/etag.js';
import { lifecycleRoutes } from '../../plugins/lifecycle-routes.js';
import {
  AchievementPageSchema,
  AchievementSchema,
  CreateAchievementBodySchema,
  ListAchievementsQuerySchema,
  UpdateAchievementBodySchema,
} from './achievements.schemas.js';

export const achievementsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { achievements } = app.services;
  const secured = { security: [{ bearerAuth: [] }] };
  const tags = ['Achievements'];

  app.post(
    '/v1/achievements',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'createAchievement',
        tags,
        summary: 'Post a research achievement (科技成果) as a draft',
        ...secured,
        body: CreateAchievementBodySchema,
        response: { 201: AchievementSchema, ...problems(400, 401, 403, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const r = await achievements.create(actorOf(req), req.body);
      setEtag(reply, r.version);
      return reply.status(201).header('location', `/v1/achievements/${r.achievement.id}`).send(r.achievement);
    },
  );

  app.get(
    '/v1/achievements',
    {
      schema: {
        operationId: 'listAchievements',
        tags,
        summary: 'List published achievements (or your own with mine=true), filtered, newest first',
        querystring: ListAchievementsQuerySchema,
        headers: conditionalRead.headers,
        response: { 200: AchievementPageSchema, ...conditionalRead.responses, ...problems(400, 401, 403) },
      },
    },
    async (req, reply) => sendRead(req, reply, await achievements.list(req.actor, req.query)),
  );

  app.get(
    '/v1/achievements/:id',
    {
      schema: {
        operationId: 'getAchievement',
        tags,
        summary: 'One achievement (published; owners and admins see every status)',
        params: IdParamSchema,
        headers: conditionalRead.headers,
        response: { 200: AchievementSchema, ...conditionalRead.responses, ...problems(400, 401, 404) },
      },
    },
    async (req, reply) => sendRead(req, reply, await achievements.get(req.actor, req.params.id)),
  );

  app.patch(
    '/v1/achievements/:id',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'updateAchievement',
        tags,
        summary: 'Edit an achievement (owner; If-Match). Content changes send a published one back to review; validUntil alone renews it',
        ...secured,
        params: IdParamSchema,
        headers: z.object({ 'if-match': z.string().optional() }),
        body: UpdateAchievementBodySchema,
        response: { 200: AchievementSchema, ...problems(400, 401, 403, 404, 409, 412, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const r = await achievements.update(actorOf(req), req.params.id, parseIfMatch(req.headers['if-match']), req.body);
      setEtag(reply, r.version);
      return r.achievement;
    },
  );

  await lifecycleRoutes(app, {
    path: '/v1/achievements',
    noun: 'Achievement',
    tags,
    schema: AchievementSchema,
    service: achievements,
    pick: (r) => r.achievement,
  });
};
