import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { actorOf } from './auth.js';
import { IdParamSchema, problems } from '../lib/http.js';
import { setEtag } from '../lib/etag.js';
import { ReviewBodySchema } from '../lib/publication-schemas.js';
import type { Actor } from '../modules/accounts/tokens.js';

interface LifecycleService<R> {
  submit(actor: Actor, id: string): Promise<R & { version: number }>;
  review(actor: Actor, id: string, decision: z.infer<typeof ReviewBodySchema>): Promise<R & { version: number }>;
  archive(actor: Actor, id: string): Promise<R & { version: number }>;
}

/**
 * The review lifecycle verbs (submit, review, archive) of a publishable resource. Achievements
 * and needs share the same rules (src/lib/publication.ts), so they share these three routes.
 */
export async function lifecycleRoutes<R>(
  app: FastifyInstance,
  opts: { path: string; noun: string; tags: string[]; schema: z.ZodType; service: LifecycleService<R>; pick: (r: R) => unknown },
): Promise<void> {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const { path, noun, tags, schema, service, pick } = opts;
  const base = { tags, security: [{ bearerAuth: [] }], params: IdParamSchema };

  typed.post(
    `${path}/:id/submit`,
    {
      preHandler: app.requireUser,
      schema: {
        ...base,
        operationId: `submit${noun}`,
        summary: `Submit a draft or rejected ${noun.toLowerCase()} for review (owner)`,
        response: { 200: schema, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (req, reply) => {
      const r = await service.submit(actorOf(req), req.params.id);
      setEtag(reply, r.version);
      return reply.send(pick(r));
    },
  );

  typed.post(
    `${path}/:id/review`,
    {
      preHandler: app.requireUser,
      schema: {
        ...base,
        operationId: `review${noun}`,
        summary: `Approve (publish) or reject a pending ${noun.toLowerCase()} with a reason (admin)`,
        body: ReviewBodySchema,
        response: { 200: schema, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (req, reply) => {
      const r = await service.review(actorOf(req), req.params.id, req.body);
      setEtag(reply, r.version);
      return reply.send(pick(r));
    },
  );

  typed.post(
    `${path}/:id/archive`,
    {
      preHandler: app.requireUser,
      schema: {
        ...base,
        operationId: `archive${noun}`,
        summary: `Archive a ${noun.toLowerCase()}: it leaves every public list for good (owner, admin)`,
        response: { 200: schema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const r = await service.archive(actorOf(req), req.params.id);
      setEtag(reply, r.version);
      return reply.send(pick(r));
    },
  );
}
