import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problems } from '../../lib/http.js';
import { actorOf } from '../../plugins/auth.js';
import { MoveSandboxClockBodySchema, SandboxClockSchema } from './sandbox.schemas.js';

const toClockDto = (c: { now: Date }) => ({ now: c.now.toISOString() });

/**
 * Registered in every mode so the OpenAPI document does not depend on SANDBOX_CLOCK; while the
 * sandbox is off both routes answer 404 SANDBOX_CLOCK_OFF to everyone, before authorization.
 */
export const sandboxRoutes: FastifyPluginAsyncZod = async (app) => {
  const { sandbox } = app.services;
  const secured = { security: [{ bearerAuth: [] }] };
  const onlyWhenOn = async () => sandbox.requireEnabled();

  app.get(
    '/v1/sandbox/clock',
    {
      onRequest: onlyWhenOn,
      preHandler: app.requireUser,
      schema: {
        operationId: 'getSandboxClock',
        tags: ['Sandbox'],
        summary: "The server's business time (admin; only with SANDBOX_CLOCK=true, else 404)",
        ...secured,
        response: { 200: SandboxClockSchema, ...problems(401, 403, 404) },
      },
    },
    async (req) => toClockDto(await sandbox.read(actorOf(req))),
  );

  app.post(
    '/v1/sandbox/clock',
    {
      onRequest: onlyWhenOn,
      preHandler: app.requireUser,
      schema: {
        operationId: 'moveSandboxClock',
        tags: ['Sandbox'],
        summary: 'Move business time forward; every transition that became due is processed, in due order, before the answer (admin; only with SANDBOX_CLOCK=true, else 404)',
        ...secured,
        body: MoveSandboxClockBodySchema,
        response: { 200: SandboxClockSchema, ...problems(400, 401, 403, 404, 409, 413, 415, 422, 500) },
      },
    },
    async (req) => toClockDto(await sandbox.move(actorOf(req), req.body, req.log)),
  );
};
