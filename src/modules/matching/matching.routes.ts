import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IdParamSchema, problems } from '../../lib/http.js';
import { actorOf } from '../../plugins/auth.js';
import { AchievementMatchPageSchema, MatchQuerySchema, NeedMatchPageSchema } from './matching.schemas.js';

const DESCRIPTION =
  'Candidates come from the search engine (the source’s subject terms within its fields, the same terms anywhere, its next terms anywhere, and the newest rows of its fields), ' +
  'then a transparent re-rank: score = relevance × (0.65 + fit), where relevance = (0.40 text + 0.25 field) / 0.65 says whether the candidate is about what the source is about ' +
  'and fit = 0.10 maturity + 0.10 price + 0.10 region + 0.05 freshness says whether the terms of a deal would fit (an off-topic candidate scores 0 whatever its fit); ' +
  'each component, the shared field codes and the matched terms are in `explanation`. ' +
  'For members of the owning organization, brokers and admins.';

export const matchingRoutes: FastifyPluginAsyncZod = async (app) => {
  const { matching } = app.services;
  const secured = { security: [{ bearerAuth: [] }] };
  const tags = ['Matching'];

  app.get(
    '/v1/needs/:id/matches',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'listNeedMatches',
        tags,
        summary: 'Achievements that could answer this need, ranked, each with its explanation',
        description: DESCRIPTION,
        ...secured,
        params: IdParamSchema,
        querystring: MatchQuerySchema,
        response: { 200: AchievementMatchPageSchema, ...problems(400, 401, 403, 404, 503) },
      },
    },
    async (req) => matching.forNeed(actorOf(req), req.params.id, req.query),
  );

  app.get(
    '/v1/achievements/:id/matches',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'listAchievementMatches',
        tags,
        summary: 'Needs this achievement could answer, ranked, each with its explanation',
        description: DESCRIPTION,
        ...secured,
        params: IdParamSchema,
        querystring: MatchQuerySchema,
        response: { 200: NeedMatchPageSchema, ...problems(400, 401, 403, 404, 503) },
      },
    },
    async (req) => matching.forAchievement(actorOf(req), req.params.id, req.query),
  );
};
