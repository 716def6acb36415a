import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { setEtag } from '../../lib/etag.js';
import { IdParamSchema, problems } from '../../lib/http.js';
import { actorOf } from '../../plugins/auth.js';
import {
  DecideInterestBodySchema,
  ExpressInterestBodySchema,
  InterestPageSchema,
  InterestSchema,
  ListInterestsQuerySchema,
  ListSubjectInterestsQuerySchema,
} from './interests.schemas.js';

/** Expressions of interest in achievements, proposals to needs, and the owner's decisions. */
export const interestsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { interests } = app.services;
  const secured = { security: [{ bearerAuth: [] }] };
  const tags = ['Interests'];

  const subjects = [
    { kind: 'achievement', path: '/v1/achievements/:id/interests', noun: 'Achievement', who: 'enterprises, brokers' },
    { kind: 'need', path: '/v1/needs/:id/interests', noun: 'Need', who: 'universities, institutes, enterprises, brokers' },
  ] as const;

  for (const s of subjects) {
    app.post(
      s.path,
      {
        preHandler: app.requireUser,
        schema: {
          operationId: `create${s.noun}Interest`,
          tags,
          summary:
            s.kind === 'achievement'
              ? `Express interest in a published achievement (${s.who}); its owner is notified`
              : `Propose to a published need (${s.who}); its owner is notified`,
          description:
            "One pending or accepted interest per organization and row (409 INTEREST_EXISTS); not in your own organization's row (422 OWN_ROW). " +
            "Once the owner accepts, GET of the row shows its contact and confidential description to the interested organization.",
          ...secured,
          params: IdParamSchema,
          body: ExpressInterestBodySchema,
          response: { 201: InterestSchema, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
        },
      },
      async (req, reply) => {
        const r = await interests.express(actorOf(req), s.kind, req.params.id, req.body);
        setEtag(reply, r.version);
        return reply.status(201).header('location', `/v1/interests/${r.interest.id}`).send(r.interest);
      },
    );

    app.get(
      s.path,
      {
        preHandler: app.requireUser,
        schema: {
          operationId: `list${s.noun}Interests`,
          tags,
          summary: `Interests a ${s.noun.toLowerCase()} received, newest first (its owner, admins)`,
          ...secured,
          params: IdParamSchema,
          querystring: ListSubjectInterestsQuerySchema,
          response: { 200: InterestPageSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (req) => interests.listForSubject(actorOf(req), s.kind, req.params.id, req.query),
    );
  }

  app.get(
    '/v1/interests',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'listInterests',
        tags,
        summary: "Interests your organization received in its rows (direction=received) or sent (direction=sent), newest first",
        ...secured,
        querystring: ListInterestsQuerySchema,
        response: { 200: InterestPageSchema, ...problems(400, 401) },
      },
    },
    async (req) => interests.list(actorOf(req), req.query),
  );

  app.get(
    '/v1/interests/:id',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'getInterest',
        tags,
        summary: 'One interest (the owning and the interested organization, admins)',
        ...secured,
        params: IdParamSchema,
        response: { 200: InterestSchema, ...problems(400, 401, 404) },
      },
    },
    async (req, reply) => {
      const r = await interests.get(actorOf(req), req.params.id);
      setEtag(reply, r.version);
      return r.interest;
    },
  );

  for (const decision of ['accept', 'decline'] as const) {
    app.post(
      `/v1/interests/:id/${decision}`,
      {
        preHandler: app.requireUser,
        schema: {
          operationId: `${decision}Interest`,
          tags,
          summary:
            decision === 'accept'
              ? "Accept a pending interest (the row's owner): the interested organization is notified and sees the row's contact and confidential detail"
              : "Decline a pending interest (the row's owner): the interested organization is notified",
          ...secured,
          params: IdParamSchema,
          // A bare POST (no body) arrives as null.
          body: DecideInterestBodySchema.nullish(),
          response: { 200: InterestSchema, ...problems(400, 401, 403, 404, 409, 413, 415) },
        },
      },
      async (req, reply) => {
        const r = await interests[decision](actorOf(req), req.params.id, req.body);
        setEtag(reply, r.version);
        return r.interest;
      },
    );
  }
};
