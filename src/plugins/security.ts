import Fastify from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import cors from '@fastify/cors';

const HELMET: FastifyHelmetOptions = {
  // The /docs page needs inline scripts and styles from swagger-ui; the API itself serves JSON.
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", "'unsafe-inline'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      // Swagger UI's online validator badge is off (@fastify/swagger-ui's default): images come from here only.
      imgSrc: ["'self'", 'data:'],
    },
  },
};

/**
 * The headers @fastify/helmet sets with this configuration. They are the same for every response,
 * but the plugin builds helmet's middleware again on every request (0.04–0.08 ms of CPU, a tenth
 * of a GET of one achievement): ask it once, on a probe instance, and set what it set.
 */
async function helmetHeaders(options: FastifyHelmetOptions): Promise<[string, string][]> {
  const probe = async (withHelmet: boolean) => {
    const app = Fastify({ logger: false });
    if (withHelmet) await app.register(helmet, options);
    app.get('/', (_req, reply) => reply.send());
    const res = await app.inject({ method: 'GET', url: '/' });
    await app.close();
    return res.headers;
  };
  const [bare, secured] = await Promise.all([probe(false), probe(true)]);
  return Object.entries(secured)
    .filter(([name]) => !(name in bare))
    .map(([name, value]) => [name, String(value)]);
}

export default fp<{ corsOrigins: string }>(
  async (app, { corsOrigins }) => {
    const headers = await helmetHeaders(HELMET);
    // On the raw response, where helmet puts them: streamed (SSE) replies carry them too.
    app.addHook('onRequest', (_request, reply, done) => {
      for (const [name, value] of headers) reply.raw.setHeader(name, value);
      done();
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
