import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problems } from '../../lib/http.js';
import { SearchQuerySchema, SearchResultSchema } from './search.schemas.js';

export const searchRoutes: FastifyPluginAsyncZod = async (app) => {
  const { search } = app.services;

  app.get(
    '/v1/search',
    {
      schema: {
        operationId: 'search',
        tags: ['Search'],
        summary: 'Full-text search over published achievements or needs, with filters and facets',
        description:
          'Ranked by relevance unless `sort` says otherwise. Only public fields of published, unexpired rows are searchable. ' +
          '`engine` names the engine that answered (meilisearch when MEILI_URL is configured, else postgres).',
        querystring: SearchQuerySchema,
        response: { 200: SearchResultSchema, ...problems(400, 401, 422, 503) },
      },
    },
    async (req) => search.search(req.query),
  );
};
