import fp from 'fastify-plugin';
import { badRequest, type FieldError } from '../lib/errors.js';

// U+0000, and UTF-16 surrogates without their other half: JSON and query strings can carry them,
// PostgreSQL cannot store them (text refuses NUL, jsonb refuses both), and no real text has them.
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what must be matched
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const MAX_REPORTED = 20;

function scan(value: unknown, path: string, out: FieldError[], depth = 0): void {
  if (out.length >= MAX_REPORTED || depth > 64) return;
  if (typeof value === 'string') {
    if (UNSTORABLE.test(value)) out.push({ path, message: 'contains U+0000 or an unpaired surrogate, which text cannot hold' });
    return;
  }
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => scan(v, `${path}.${i}`, out, depth + 1));
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (UNSTORABLE.test(k)) out.push({ path: `${path}.${k.replace(UNSTORABLE, '?')}`, message: 'the property name contains U+0000 or an unpaired surrogate' });
    scan(v, `${path}.${k}`, out, depth + 1);
  }
}

/**
 * Refuses text that cannot be stored, before validation and before any service sees it: one 400
 * with the offending paths instead of a database error deep inside a transaction (a 500).
 */
export default fp(
  async (app) => {
    app.addHook('preValidation', async (request) => {
      // Only what the route takes: a query parameter it ignores is never stored.
      const schema = request.routeOptions.schema;
      if (!schema) return;
      const errors: FieldError[] = [];
      if (schema.params) scan(request.params, 'params', errors);
      if (schema.querystring) scan(request.query, 'querystring', errors);
      if (schema.body) scan(request.body, 'body', errors);
      if (errors.length > 0) throw badRequest('VALIDATION_FAILED', 'The request contains text that cannot be stored', errors);
    });
  },
  { name: 'text-guard' },
);
