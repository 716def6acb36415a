import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseIfMatch, setEtag } from '../../lib/etag.js';
import { IdParamSchema, problems } from '../../lib/http.js';
import { IdempotencyKeyHeaderSchema, REPLAYED_HEADER } from '../../lib/idempotency.js';
import { actorOf } from '../../plugins/auth.js';
import {
  CreateListingBodySchema,
  ListListingsQuerySchema,
  ListingPageSchema,
  ListingReviewBodySchema,
  ListingSchema,
  UpdateListingBodySchema,
  WithdrawListingBodySchema,
} from './listings.schemas.js';

export const listingsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { listings } = app.services;
  const secured = { security: [{ bearerAuth: [] }] };
  const tags = ['Listings'];

  app.post(
    '/v1/listings',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'createListing',
        tags,
        summary: 'List a published achievement (挂牌): owner organization; → pending_review',
        ...secured,
        headers: z.object({ 'idempotency-key': IdempotencyKeyHeaderSchema }),
        body: CreateListingBodySchema,
        response: { 201: ListingSchema, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const out = await listings.create(actorOf(req), req.body, req.headers['idempotency-key']);
      if (out.replayed) reply.header(REPLAYED_HEADER, 'true');
      setEtag(reply, out.body.version);
      return reply.status(201).send(out.body.listing);
    },
  );

  app.get(
    '/v1/listings',
    {
      schema: {
        operationId: 'listListings',
        tags,
        summary: 'Approved listings, newest first; mine=true for your own in every state; admins see all',
        querystring: ListListingsQuerySchema,
        response: { 200: ListingPageSchema, ...problems(400, 401) },
      },
    },
    async (req) => listings.list(req.actor, req.query),
  );

  app.get(
    '/v1/listings/:id',
    {
      schema: {
        operationId: 'getListing',
        tags,
        summary: 'A listing; the reserve price only for the seller and admins until the close',
        params: IdParamSchema,
        response: { 200: ListingSchema, ...problems(400, 401, 404) },
      },
    },
    async (req, reply) => {
      const out = await listings.get(req.actor, req.params.id);
      setEtag(reply, out.version);
      return out.listing;
    },
  );

  app.patch(
    '/v1/listings/:id',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'updateListing',
        tags,
        summary: 'Edit the terms before approval (seller; If-Match); a rejected listing goes back to review',
        ...secured,
        params: IdParamSchema,
        headers: z.object({ 'if-match': z.string().optional() }),
        body: UpdateListingBodySchema,
        response: { 200: ListingSchema, ...problems(400, 401, 403, 404, 409, 412, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const out = await listings.update(actorOf(req), req.params.id, parseIfMatch(req.headers['if-match']), req.body);
      setEtag(reply, out.version);
      return out.listing;
    },
  );

  app.post(
    '/v1/listings/:id/review',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'reviewListing',
        tags,
        summary: 'Approve (→ notice, noticeEndsAt on working days) or reject (admin)',
        ...secured,
        params: IdParamSchema,
        body: ListingReviewBodySchema,
        response: { 200: ListingSchema, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (req, reply) => {
      const out = await listings.review(actorOf(req), req.params.id, req.body);
      setEtag(reply, out.version);
      return out.listing;
    },
  );

  app.post(
    '/v1/listings/:id/withdraw',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'withdrawListing',
        tags,
        summary: 'Withdraw (seller or admin; If-Match): not once bids exist; paid deposits are refunded',
        ...secured,
        params: IdParamSchema,
        headers: z.object({ 'if-match': z.string().optional() }),
        body: WithdrawListingBodySchema.optional(),
        response: { 200: ListingSchema, ...problems(400, 401, 403, 404, 409, 412, 413, 415) },
      },
    },
    async (req, reply) => {
      const out = await listings.withdraw(actorOf(req), req.params.id, parseIfMatch(req.headers['if-match']), req.body ?? {});
      setEtag(reply, out.version);
      return out.listing;
    },
  );

  app.post(
    '/v1/listings/:id/agreement/confirm',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'confirmListingAgreement',
        tags,
        summary: '协议成交: the seller or the single qualified buyer confirms; both → sold at the asking price',
        ...secured,
        params: IdParamSchema,
        response: { 200: ListingSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const out = await listings.confirmAgreement(actorOf(req), req.params.id);
      setEtag(reply, out.version);
      return out.listing;
    },
  );
};
