import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../plugins/auth.js';
import { IdParamSchema, isoDate, problems } from '../../lib/http.js';
import { parseIfMatch, setEtag } from '../../lib/etag.js';
import { WindowLimiter } from '../../lib/rate-limit.js';
import {
  InviteBodySchema,
  InviteSchema,
  JwksSchema,
  LoginBodySchema,
  MeSchema,
  OrganizationSchema,
  RefreshBodySchema,
  RegisterBodySchema,
  RegisterResponseSchema,
  TokenPairSchema,
  UpdateOrganizationBodySchema,
  toOrganizationDto,
  toUserDto,
} from './accounts.schemas.js';

export const accountsRoutes: FastifyPluginAsyncZod<{ loginPerAccount: number; loginPerIp: number }> = async (app, opts) => {
  const { accounts } = app.services;
  const secured = { security: [{ bearerAuth: [] }] };
  const perIp = new WindowLimiter(opts.loginPerIp, 60_000);
  const perAccount = new WindowLimiter(opts.loginPerAccount, 60_000);

  app.post(
    '/v1/auth/register',
    {
      schema: {
        operationId: 'register',
        tags: ['Accounts'],
        summary: 'Register an organization with its first user, or join one with an invite code',
        body: RegisterBodySchema,
        response: { 201: RegisterResponseSchema, ...problems(400, 403, 409, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const r = await accounts.register(req.body);
      return reply.status(201).send({
        user: toUserDto(r.user),
        organization: toOrganizationDto(r.organization),
        accessToken: r.accessToken,
        refreshToken: r.refreshToken,
        expiresIn: r.expiresIn,
        tokenType: r.tokenType,
      });
    },
  );

  app.post(
    '/v1/auth/token',
    {
      // Two limits: per client address (password spraying) and per account (guessing one password).
      preHandler: async (req) => {
        perIp.hit(`ip:${req.ip}`);
        perAccount.hit(`account:${String((req.body as { email?: unknown }).email ?? '').toLowerCase()}`);
      },
      schema: {
        operationId: 'createToken',
        tags: ['Accounts'],
        summary: 'Log in with email and password',
        body: LoginBodySchema,
        response: { 200: TokenPairSchema, ...problems(400, 401, 413, 415, 429) },
      },
    },
    async (req) => accounts.login(req.body),
  );

  app.post(
    '/v1/auth/refresh',
    {
      schema: {
        operationId: 'refreshToken',
        tags: ['Accounts'],
        summary: 'Exchange a refresh token for a new pair (rotation; reuse revokes the login)',
        body: RefreshBodySchema,
        response: { 200: TokenPairSchema, ...problems(400, 401, 413, 415) },
      },
    },
    async (req) => accounts.refresh(req.body),
  );

  app.get(
    '/v1/me',
    {
      preHandler: app.requireUser,
      schema: { operationId: 'getMe', tags: ['Accounts'], summary: 'The signed-in user, organization and role', ...secured, response: { 200: MeSchema, ...problems(401) } },
    },
    async (req) => {
      const actor = actorOf(req);
      const { user, organization } = await accounts.me(actor);
      return {
        user: toUserDto(user),
        organization: toOrganizationDto(organization),
        role: actor.isAdmin ? ('admin' as const) : (organization.kind as 'university' | 'institute' | 'enterprise' | 'broker'),
      };
    },
  );

  app.get(
    '/.well-known/jwks.json',
    { schema: { operationId: 'getJwks', tags: ['Accounts'], summary: 'Public keys that verify access tokens', response: { 200: JwksSchema } } },
    async (_req, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      const k = app.deps.keys.publicJwk;
      return { keys: [{ kty: k.kty!, crv: k.crv!, x: k.x!, kid: k.kid!, alg: k.alg!, use: k.use! }] };
    },
  );

  app.get(
    '/v1/organizations/:id',
    {
      schema: {
        operationId: 'getOrganization',
        tags: ['Accounts'],
        summary: 'An organization profile (public)',
        params: IdParamSchema,
        response: { 200: OrganizationSchema, ...problems(400, 401, 404) },
      },
    },
    async (req, reply) => {
      const org = await accounts.getOrganization(req.params.id);
      setEtag(reply, org.version);
      return toOrganizationDto(org);
    },
  );

  app.patch(
    '/v1/organizations/:id',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'updateOrganization',
        tags: ['Accounts'],
        summary: 'Edit the organization profile (members; If-Match)',
        ...secured,
        params: IdParamSchema,
        headers: z.object({ 'if-match': z.string().optional() }),
        body: UpdateOrganizationBodySchema,
        response: { 200: OrganizationSchema, ...problems(400, 401, 403, 404, 409, 412, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const org = await accounts.updateOrganization(actorOf(req), req.params.id, parseIfMatch(req.headers['if-match']), req.body);
      setEtag(reply, org.version);
      return toOrganizationDto(org);
    },
  );

  app.post(
    '/v1/organizations/:id/invites',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'createInvite',
        tags: ['Accounts'],
        summary: 'Invite a further member (organization owner)',
        ...secured,
        params: IdParamSchema,
        body: InviteBodySchema,
        response: { 201: InviteSchema, ...problems(400, 401, 403, 404, 413, 415) },
      },
    },
    async (req, reply) => {
      const invite = await accounts.createInvite(actorOf(req), req.params.id, req.body);
      return reply.status(201).send({ ...invite, expiresAt: isoDate(invite.expiresAt)! });
    },
  );
};
