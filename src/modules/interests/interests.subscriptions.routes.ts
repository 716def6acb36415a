import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IdParamSchema, PageQuerySchema, problems } from '../../lib/http.js';
import { actorOf } from '../../plugins/auth.js';
import {
  CreatedSubscriptionSchema,
  CreateSubscriptionBodySchema,
  ListNotificationsQuerySchema,
  NotificationPageSchema,
  NotificationSchema,
  SubscriptionPageSchema,
  SubscriptionSchema,
} from './interests.schemas.js';

const WEBHOOK_DESCRIPTION = `When a newly published achievement or need matches, the subscriber gets a notification (GET /v1/notifications) and, with webhookUrl, a webhook:

    POST <webhookUrl>
    Content-Type: application/json
    TechBridge-Event: subscription.match
    TechBridge-Delivery: <id of the event; the same on every retry>
    TechBridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(webhookSecret, t + "." + raw body)>

    {"id":"…","event":"subscription.match","createdAt":"…","subscriptionId":"…","item":{"type":"achievement","id":"…","title":"…","summary":"…","fieldCodes":["…"],"regionCode":"…","organizationId":"…","publishedAt":"…","url":"/v1/achievements/…"}}

Verify by recomputing v1 over the raw body with the webhookSecret returned (once) by this call, compare in constant time, and refuse timestamps more than a few minutes from your clock (t is real time). Answer 2xx within 5 s; anything else (or no answer, or a redirect) is retried with exponential backoff and jitter, then dead-lettered after WEBHOOK_MAX_ATTEMPTS (default 8). Delivery is at least once: deduplicate on TechBridge-Delivery.

webhookUrl must be http(s), without credentials, and must not resolve to a loopback, private (RFC 1918, 100.64.0.0/10, fc00::/7), link-local (169.254.0.0/16, fe80::/10), multicast or unspecified address: 422 WEBHOOK_URL_INVALID, WEBHOOK_URL_FORBIDDEN or WEBHOOK_URL_UNRESOLVABLE. The address is checked again at every delivery (DNS may change).`;

/** Saved searches and the caller's notifications. */
export const subscriptionsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { subscriptions, notifications } = app.services;
  const secured = { security: [{ bearerAuth: [] }] };

  app.post(
    '/v1/subscriptions',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'createSubscription',
        tags: ['Subscriptions'],
        summary: 'Save a search: newly published matches notify you, and are POSTed to webhookUrl signed with HMAC-SHA256',
        description: WEBHOOK_DESCRIPTION,
        ...secured,
        body: CreateSubscriptionBodySchema,
        response: { 201: CreatedSubscriptionSchema, ...problems(400, 401, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const s = await subscriptions.create(actorOf(req), req.body);
      return reply.status(201).header('location', `/v1/subscriptions/${s.id}`).send(s);
    },
  );

  app.get(
    '/v1/subscriptions',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'listSubscriptions',
        tags: ['Subscriptions'],
        summary: 'Your saved searches, newest first',
        ...secured,
        querystring: PageQuerySchema,
        response: { 200: SubscriptionPageSchema, ...problems(400, 401) },
      },
    },
    async (req) => subscriptions.list(actorOf(req), req.query),
  );

  app.get(
    '/v1/subscriptions/:id',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'getSubscription',
        tags: ['Subscriptions'],
        summary: 'One of your saved searches (the webhook secret is never shown again)',
        ...secured,
        params: IdParamSchema,
        response: { 200: SubscriptionSchema, ...problems(400, 401, 404) },
      },
    },
    async (req) => subscriptions.get(actorOf(req), req.params.id),
  );

  app.delete(
    '/v1/subscriptions/:id',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'deleteSubscription',
        tags: ['Subscriptions'],
        summary: 'Delete one of your saved searches; webhooks not yet delivered are dropped',
        ...secured,
        params: IdParamSchema,
        response: { 204: z.null().describe('Deleted'), ...problems(400, 401, 404) },
      },
    },
    async (req, reply) => {
      await subscriptions.remove(actorOf(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/notifications',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'listNotifications',
        tags: ['Notifications'],
        summary: 'Your notifications, newest first (unread=true: unread only), with the unread count',
        ...secured,
        querystring: ListNotificationsQuerySchema,
        response: { 200: NotificationPageSchema, ...problems(400, 401) },
      },
    },
    async (req) => notifications.list(actorOf(req), req.query),
  );

  app.post(
    '/v1/notifications/:id/read',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'markNotificationRead',
        tags: ['Notifications'],
        summary: 'Mark one of your notifications read (idempotent)',
        ...secured,
        params: IdParamSchema,
        response: { 200: NotificationSchema, ...problems(400, 401, 404) },
      },
    },
    async (req) => notifications.markRead(actorOf(req), req.params.id),
  );
};
