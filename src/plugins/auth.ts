import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { unauthorized } from '../lib/errors.js';
import { ProblemSchema } from '../lib/http.js';
import type { Actor, TokenIssuer } from '../modules/accounts/tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyInstance {
    /** preHandler for routes that require a signed-in user */
    requireUser: (request: FastifyRequest) => Promise<void>;
  }
}

/** The actor of a request that passed requireUser. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw unauthorized();
  return request.actor;
}

/**
 * Authentication only: a bearer token, when present, must be valid (else 401 even on public
 * routes, so a client never silently reads as anonymous). Authorization is the services' job.
 */
export default fp<{ tokens: TokenIssuer }>(
  async (app, { tokens }) => {
    app.decorateRequest('actor', null);
    // Any route, public ones included, answers 401 to a bad token, so every documented operation lists it.
    app.addHook('onRoute', (route) => {
      const response = route.schema?.response as Record<string, unknown> | undefined;
      if (response && !('401' in response)) response[401] = ProblemSchema;
    });
    app.addHook('onRequest', async (request) => {
      const header = request.headers.authorization;
      if (header === undefined) return;
      const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
      if (!match) throw unauthorized('The Authorization header must be "Bearer <access token>"', 'INVALID_TOKEN');
      request.actor = await tokens.verify(match[1]!);
    });
    app.decorate('requireUser', async (request: FastifyRequest) => {
      if (!request.actor) throw unauthorized();
    });
  },
  { name: 'auth' },
);
