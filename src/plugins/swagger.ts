import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

export const OPENAPI_INFO = {
  title: 'TechBridge API',
  version: '1.0.0',
  description:
    'Technology-transfer marketplace: 科技成果库 (research achievements), 技术需求 (enterprise needs), ' +
    'two-way matching, 挂牌/竞价 trading and 技术合同认定登记. Errors are application/problem+json (RFC 9457) ' +
    'with a stable `code`. Money is integer fen: `{ "amount": 1250000, "currency": "CNY" }`.',
  license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
};

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
      transformObject: jsonSchemaTransformObject,
    });
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  },
  { name: 'swagger' },
);
