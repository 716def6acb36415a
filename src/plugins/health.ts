import { sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problems } from '../lib/http.js';

const HealthSchema = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string()).optional() }).meta({ id: 'Health' });

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/healthz',
    { schema: { operationId: 'getHealth', tags: ['Operations'], summary: 'The process is up', response: { 200: HealthSchema } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['Operations'],
        summary: 'The database (and search engine) are reachable',
        response: { 200: HealthSchema, 503: HealthSchema, ...problems(500) },
      },
    },
    async (_req, reply) => {
      const checks: Record<string, string> = {};
      try {
        await app.deps.database.db.execute(sql`select 1`);
        checks.database = 'ok';
      } catch {
        checks.database = 'unreachable';
      }
      checks.search = (await app.services.searchEngine.ping()) ? 'ok' : 'unreachable';
      const ok = Object.values(checks).every((v) => v === 'ok');
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
    },
  );

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
};
