import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import { problems } from '../../lib/http.js';
import { CSV_CONTENT_TYPE, contractStatsCsv, negotiate, overviewCsv, type StatsFormat } from './stats.csv.js';
import { ContractStatsQuerySchema, ContractStatsSchema, OverviewSchema } from './stats.schemas.js';

function formatOf(req: FastifyRequest): StatsFormat {
  const format = negotiate(req.headers.accept);
  if (format === null) throw new AppError(406, 'NOT_ACCEPTABLE', 'Statistics are served as application/json or text/csv');
  return format;
}

function sendCsv(reply: FastifyReply, filename: string, body: string) {
  return reply.type(CSV_CONTENT_TYPE).header('content-disposition', `attachment; filename="${filename}"`).send(body);
}

const csvSchema = (what: string) =>
  z.string().describe(`${what}; UTF-8 with a byte-order mark (for Excel), CRLF line ends, a header line; amounts in fen, growth as ratios`);

export const statsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { stats } = app.services;
  const tags = ['Statistics'];

  app.get(
    '/v1/stats/contracts',
    {
      schema: {
        operationId: 'getContractStats',
        tags,
        summary: 'Registered technology contracts: counts, 成交金额 and 技术交易额 by a dimension, with year-on-year growth and 输出/吸纳 for a region (JSON, or CSV with Accept: text/csv)',
        querystring: ContractStatsQuerySchema,
        response: {
          200: {
            description: 'The figures',
            content: {
              'application/json': { schema: ContractStatsSchema },
              'text/csv': { schema: csvSchema('columns key,label,count,amount_fen,technology_amount_fen,previous_*,yoy_*; the last line is the total') },
            },
          },
          ...problems(400, 401, 406),
        },
      },
    },
    async (req, reply) => {
      const format = formatOf(req);
      const result = await stats.contracts(req.query);
      if (format === 'csv') return sendCsv(reply, `contracts-${result.groupBy ?? 'total'}-${result.from}-${result.to}.csv`, contractStatsCsv(result));
      return result;
    },
  );

  app.get(
    '/v1/stats/overview',
    {
      schema: {
        operationId: 'getStatsOverview',
        tags,
        summary: 'The platform at a glance: achievements and needs, listings and auctions sold/unsold with premium, deals by stage, need→deal conversion, contracts of the year (JSON or CSV)',
        response: {
          200: {
            description: 'The figures',
            content: {
              'application/json': { schema: OverviewSchema },
              'text/csv': { schema: csvSchema('columns section,key,value') },
            },
          },
          ...problems(401, 406),
        },
      },
    },
    async (req, reply) => {
      const format = formatOf(req);
      const result = await stats.overview();
      if (format === 'csv') return sendCsv(reply, 'overview.csv', overviewCsv(result));
      return result;
    },
  );
};
