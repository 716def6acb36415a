import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problems } from '../../lib/http.js';
import { FieldTreeSchema, RegionListSchema } from './catalog.schemas.js';

export const catalogRoutes: FastifyPluginAsyncZod = async (app) => {
  const { catalog } = app.services;

  app.get(
    '/v1/fields',
    {
      schema: {
        operationId: 'listFields',
        tags: ['Catalog'],
        summary: 'The field taxonomy tree (黑龙江 4567 and the national 8 high-tech fields, with crosswalk)',
        response: { 200: FieldTreeSchema, ...problems(400) },
      },
    },
    async (_req, reply) => {
      reply.header('cache-control', 'public, max-age=3600');
      return { items: catalog.fieldTree() };
    },
  );

  app.get(
    '/v1/regions',
    {
      schema: {
        operationId: 'listRegions',
        tags: ['Catalog'],
        summary: 'GB/T 2260 region codes in scope',
        querystring: z.object({ level: z.enum(['province', 'city']).optional(), provinceCode: z.string().regex(/^\d{6}$/).optional() }),
        response: { 200: RegionListSchema, ...problems(400) },
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'public, max-age=3600');
      return { items: catalog.regions(req.query) };
    },
  );
};
