import fp from 'fastify-plugin';
import { ProblemSchema } from '../lib/http.js';
import { sendProblem } from './errors.js';

/**
 * Graceful shutdown as a client or a load balancer sees it. From the moment close() begins,
 * requests already running finish normally; a new request (on a kept-alive connection: new
 * connections are refused once the listener closes) gets 503 problem+json with Connection: close
 * and Retry-After, so it is retried elsewhere instead of meeting a reset socket. Fastify's own
 * answer (return503OnClosing, turned off in app.ts) is plain JSON, hence this hook.
 */
export default fp(
  async (app) => {
    let draining = false;
    app.addHook('preClose', async () => {
      draining = true;
    });
    app.addHook('onRequest', async (request, reply) => {
      if (!draining) return;
      reply.header('connection', 'close').header('retry-after', '1');
      return sendProblem(request, reply, 503, 'SHUTTING_DOWN', 'The server is shutting down; retry the request');
    });
    // Any operation can meet a shutdown or an unreachable database, so every one documents 503.
    app.addHook('onRoute', (route) => {
      const response = route.schema?.response as Record<string, unknown> | undefined;
      if (response && !('503' in response)) response[503] = ProblemSchema;
    });
  },
  { name: 'shutdown' },
);
