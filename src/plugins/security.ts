import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';

export default fp<{ corsOrigins: string }>(
  async (app, { corsOrigins }) => {
    await app.register(helmet, {
      // The /docs page needs inline scripts and styles from swagger-ui; the API itself serves JSON.
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'", "'unsafe-inline'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
        },
      },
    });
    const origins = corsOrigins.split(',').map((o) => o.trim()).filter(Boolean);
    await app.register(cors, {
      origin: origins.includes('*') ? '*' : origins,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'if-match', 'idempotency-key', 'last-event-id', 'x-request-id'],
      exposedHeaders: ['etag', 'location', 'retry-after', 'x-request-id'],
      maxAge: 600,
    });
  },
  { name: 'security' },
);
