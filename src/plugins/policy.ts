import fp from 'fastify-plugin';
import { routePolicyProblem } from '../lib/policy.js';
import { POLICY } from '../lib/policy.table.js';

/**
 * Holds route registration to the authorization table (src/lib/policy.table.ts): a documented
 * route whose operationId has no entry, or whose security disagrees with the entry's answer to
 * anonymous callers, stops the application from building. Registered before the routes; on in
 * development and tests, where a new route is written, so production never fails to start on it.
 */
export default fp<{ enforce: boolean }>(
  async (app, { enforce }) => {
    if (!enforce) return;
    app.addHook('onRoute', (route) => {
      const schema = route.schema as { hide?: boolean; operationId?: string; security?: Record<string, unknown>[] } | undefined;
      // Fastify's automatic HEAD twin of a GET shares its schema; the GET is the one checked.
      if (route.method === 'HEAD' || schema?.hide) return;
      if (!schema?.operationId) throw new Error(`route ${String(route.method)} ${route.url} has no operationId, so the authorization table cannot cover it`);
      const secured = (schema.security ?? []).some((s) => Object.keys(s).length > 0) && !(schema.security ?? []).some((s) => Object.keys(s).length === 0);
      const problem = routePolicyProblem(POLICY, { operationId: schema.operationId, secured });
      if (problem) throw new Error(problem);
    });
  },
  { name: 'policy' },
);
