import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problems } from '../../lib/http.js';
import { actorOf } from '../../plugins/auth.js';
import {
  ClosureDateParamSchema,
  ClosureListQuerySchema,
  ClosurePageSchema,
  ClosureSchema,
  CreateClosureBodySchema,
  WorkingDaysQuerySchema,
  WorkingDaysSchema,
  toClosureDto,
} from './calendar.schemas.js';

export const calendarRoutes: FastifyPluginAsyncZod = async (app) => {
  const { calendar } = app.services;
  const secured = { security: [{ bearerAuth: [] }] };

  app.get(
    '/v1/calendar/working-days',
    {
      schema: {
        operationId: 'listWorkingDays',
        tags: ['Catalog'],
        summary: 'Each day of a date range (≤ 366 days) on the PRC working-day calendar: holidays, 调休 makeup days, closures',
        querystring: WorkingDaysQuerySchema,
        response: { 200: WorkingDaysSchema, ...problems(400, 401) },
      },
    },
    async (req) => calendar.describeRange(req.query.from, req.query.to),
  );

  app.get(
    '/v1/calendar/closures',
    {
      schema: {
        operationId: 'listCalendarClosures',
        tags: ['Catalog'],
        summary: 'Days the platform closed on top of the national calendar, by date',
        querystring: ClosureListQuerySchema,
        response: { 200: ClosurePageSchema, ...problems(400, 401) },
      },
    },
    async (req) => {
      const page = await calendar.listClosures(req.query);
      return { items: page.items.map(toClosureDto), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/v1/calendar/closures',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'createCalendarClosure',
        tags: ['Catalog'],
        summary: 'Close a day (admin): it stops counting as a working day',
        ...secured,
        body: CreateClosureBodySchema,
        response: { 201: ClosureSchema, ...problems(400, 401, 403, 409, 413, 415) },
      },
    },
    async (req, reply) => reply.status(201).send(toClosureDto(await calendar.addClosure(actorOf(req), req.body))),
  );

  app.delete(
    '/v1/calendar/closures/:date',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'deleteCalendarClosure',
        tags: ['Catalog'],
        summary: 'Reopen a closed day (admin)',
        ...secured,
        params: ClosureDateParamSchema,
        response: { 204: z.null().describe('Reopened'), ...problems(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await calendar.removeClosure(actorOf(req), req.params.date);
      return reply.status(204).send(null);
    },
  );
};
