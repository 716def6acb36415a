import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { TITLES } from './errors.js';

export const OPENAPI_INFO = {
  title: 'TechBridge API',
  version: '1.0.0',
  description:
    'Technology-transfer marketplace: 科技成果库 (research achievements), 技术需求 (enterprise needs), ' +
    'two-way matching, 挂牌/竞价 trading and 技术合同认定登记. Errors are application/problem+json (RFC 9457) ' +
    'with a stable `code`. Money is integer fen: `{ "amount": 1250000, "currency": "CNY" }`.',
  license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
};

type Responses = Record<string, { description?: string; content?: Record<string, unknown>; headers?: Record<string, unknown> }>;

/**
 * Routes declare their errors with problems() as plain schemas, which @fastify/swagger documents
 * as application/json; the error handler sends them as application/problem+json (RFC 9457), and
 * generated clients pick the body type by media type, so the document must say so.
 */
function documentProblemMediaType<T extends object>(doc: T): T {
  const paths = (doc as { paths?: Record<string, Record<string, { responses?: Responses } | undefined>> }).paths ?? {};
  for (const pathItem of Object.values(paths)) {
    for (const operation of Object.values(pathItem)) {
      for (const [status, response] of Object.entries(operation?.responses ?? {})) {
        const json = response.content?.['application/json'];
        if (Number(status) < 400 || json === undefined) continue;
        response.content = { 'application/problem+json': json };
        if (response.description === 'Default Response') response.description = TITLES[Number(status)] ?? 'Error';
        // Every 429 the rate limiters send carries it (src/lib/rate-limit.ts); clients back off by it.
        if (status === '429') response.headers = { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 1 } } };
      }
    }
  }
  return doc;
}

export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: OPENAPI_INFO,
        servers: [{ url: '/', description: 'This server' }],
        tags: [
          { name: 'Accounts', description: 'Registration, tokens, organizations' },
          { name: 'Catalog', description: 'Field taxonomy and regions' },
          { name: 'Achievements', description: '科技成果' },
          { name: 'Needs', description: '技术需求' },
          { name: 'Operations', description: 'Health and documentation' },
        ],
        // Public operations accept an optional token (owners see more); routes that require one override this.
        security: [{}, { bearerAuth: [] }],
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        },
      },
      transform: jsonSchemaTransform,
      transformObject: (input) => documentProblemMediaType(jsonSchemaTransformObject(input)),
    });
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  },
  { name: 'swagger' },
);
