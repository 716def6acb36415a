import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IdParamSchema, PageQuerySchema, problems } from '../../lib/http.js';
import { IdempotencyKeyHeaderSchema, REPLAYED_HEADER } from '../../lib/idempotency.js';
import { WindowLimiter } from '../../lib/rate-limit.js';
import { actorOf } from '../../plugins/auth.js';
import { BidPageSchema, PlaceBidBodySchema, PlacedBidSchema } from './auctions.schemas.js';

export const auctionsRoutes: FastifyPluginAsyncZod<{ bidsPerBidderPerMinute: number }> = async (app, opts) => {
  const { auctions } = app.services;
  const perBidder = new WindowLimiter(opts.bidsPerBidderPerMinute, 60_000);

  app.post(
    '/v1/listings/:id/bids',
    {
      preHandler: [app.requireUser, async (req) => perBidder.hit(`bidder:${actorOf(req).userId}`)],
      schema: {
        operationId: 'placeBid',
        tags: ['Auctions'],
        summary: 'Bid (qualified registrant with a paid deposit); irrevocable; 409 BID_TOO_LOW, AUCTION_NOT_OPEN, AUCTION_CLOSED, NOT_QUALIFIED',
        security: [{ bearerAuth: [] }],
        params: IdParamSchema,
        headers: z.object({ 'idempotency-key': IdempotencyKeyHeaderSchema }),
        body: PlaceBidBodySchema,
        response: { 201: PlacedBidSchema, ...problems(400, 401, 403, 404, 409, 413, 415, 422, 429) },
      },
    },
    async (req, reply) => {
      const out = await auctions.placeBid(actorOf(req), req.params.id, req.body, req.headers['idempotency-key']);
      if (out.replayed) reply.header(REPLAYED_HEADER, 'true');
      return reply.status(201).send(out.body);
    },
  );

  app.get(
    '/v1/listings/:id/bids',
    {
      schema: {
        operationId: 'listBids',
        tags: ['Auctions'],
        summary: 'Bids, highest first, with paddle numbers (never bidder identities)',
        params: IdParamSchema,
        querystring: PageQuerySchema,
        response: { 200: BidPageSchema, ...problems(400, 401, 404) },
      },
    },
    async (req) => auctions.listBids(req.actor, req.params.id, req.query),
  );
};
