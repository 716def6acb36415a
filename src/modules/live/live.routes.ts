import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IdParamSchema, problems } from '../../lib/http.js';
import { ListingEventStreamSchema, ListingEventsHeadersSchema, ListingEventsQuerySchema } from './live.schemas.js';
import { createSseStream } from './live.sse.js';

export interface LiveRoutesOptions {
  heartbeatMs: number;
  retryMs: number;
}

export const liveRoutes: FastifyPluginAsyncZod<LiveRoutesOptions> = async (app, opts) => {
  const { live } = app.services;
  live.reportErrorsTo((err, msg) => app.log.error({ err }, msg));

  // preClose runs before the HTTP server stops accepting and waits for open connections; an open
  // stream would hold close() (and a graceful shutdown) until the client left. onClose runs after.
  app.addHook('preClose', async () => {
    live.endStreams();
  });
  app.addHook('onClose', async () => {
    await live.close();
  });

  app.get(
    '/v1/listings/:id/events',
    {
      schema: {
        operationId: 'streamListingEvents',
        tags: ['Listings'],
        summary: "The listing's live feed as Server-Sent Events (bid, extended, closed, state), resumable with Last-Event-ID",
        params: IdParamSchema,
        headers: ListingEventsHeadersSchema,
        querystring: ListingEventsQuerySchema,
        response: {
          200: { description: 'An open event stream', content: { 'text/event-stream': { schema: ListingEventStreamSchema } } },
          ...problems(400, 401, 404, 503),
        },
      },
    },
    async (req, reply) => {
      const given = req.headers['last-event-id'] ?? req.query.lastEventId;
      const sse = createSseStream(opts);
      try {
        sse.attach(await live.openStream(req.actor, req.params.id, given === undefined ? null : Number(given), sse.subscriber));
      } catch (err) {
        sse.discard();
        throw err;
      }
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no')
        // The stream ends only when the client or the server gives up; the socket goes with it,
        // so a server shutting down is not left waiting on a kept-alive connection.
        .header('connection', 'close')
        // A stream is piped as-is (no serializer); the schema above only documents the format.
        .send(sse.stream as never);
    },
  );
};
