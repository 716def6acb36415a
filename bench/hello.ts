import Fastify from 'fastify';

/**
 * The ceiling every endpoint is compared with: Fastify, no logger, no plugins, one JSON route.
 * Run as its own process, like the application, so both are measured the same way.
 */
const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3398) });
