import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseIfMatch, setEtag } from '../../lib/etag.js';
import { IdParamSchema, PageQuerySchema, problems } from '../../lib/http.js';
import type { IdempotentOutcome } from '../../lib/idempotency.js';
import { actorOf } from '../../plugins/auth.js';
import {
  ContractPageSchema,
  ContractSchema,
  ContractWithHistorySchema,
  FileCancellationBodySchema,
  FileChangeBodySchema,
  FileContractBodySchema,
  ListContractsQuerySchema,
  OverdueContractPageSchema,
  ReviewContractBodySchema,
  SupplyMaterialBodySchema,
  UpdateContractDraftBodySchema,
  type ContractDto,
} from './contracts.schemas.js';

const IdempotencyHeadersSchema = z.object({
  'idempotency-key': z.string().min(1).max(255).optional().describe('same key + same body replays the first answer; same key + other body → 422; while the first is running → 409'),
});

function sendFiled(reply: FastifyReply, outcome: IdempotentOutcome<ContractDto>) {
  if (outcome.replayed) reply.header('idempotent-replayed', 'true');
  setEtag(reply, outcome.body.version);
  return reply.status(outcome.status).header('location', `/v1/contracts/${outcome.body.id}`).send(outcome.body);
}

export const contractsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { contracts } = app.services;
  const secured = { security: [{ bearerAuth: [] }] };
  const tags = ['Contracts'];

  app.post(
    '/v1/contracts',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'fileContract',
        tags,
        summary: 'File a technology contract for registration (技术合同认定登记) with the JJ-001 fields; seller side or the deal\'s broker',
        description:
          'When dealId or listingId names a sale whose contract draft is still open, this filing completes that draft (same id) instead of adding a second contract beside it.',
        ...secured,
        headers: IdempotencyHeadersSchema,
        body: FileContractBodySchema,
        response: { 201: ContractSchema, ...problems(400, 401, 403, 409, 413, 415, 422) },
      },
    },
    async (req, reply) => sendFiled(reply, await contracts.file(actorOf(req), req.body, req.headers['idempotency-key'])),
  );

  app.get(
    '/v1/contracts',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'listContracts',
        tags,
        summary: "Filings the caller may see (its organization's as a party or as the deal's broker; all for admins), newest first",
        ...secured,
        querystring: ListContractsQuerySchema,
        response: { 200: ContractPageSchema, ...problems(400, 401) },
      },
    },
    async (req) => contracts.list(actorOf(req), req.query),
  );

  app.get(
    '/v1/contracts/overdue',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'listOverdueContracts',
        tags,
        summary: 'Filings under review past their reviewDueOn, most overdue first (admins)',
        ...secured,
        querystring: PageQuerySchema,
        response: { 200: OverdueContractPageSchema, ...problems(400, 401, 403) },
      },
    },
    async (req) => contracts.overdue(actorOf(req), req.query),
  );

  app.get(
    '/v1/contracts/:id',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'getContract',
        tags,
        summary: 'One filing with the history of its contract (parties, the deal\'s broker, admins)',
        ...secured,
        params: IdParamSchema,
        response: { 200: ContractWithHistorySchema, ...problems(400, 401, 404) },
      },
    },
    async (req, reply) => {
      const r = await contracts.get(actorOf(req), req.params.id);
      setEtag(reply, r.version);
      return r.contract;
    },
  );

  app.patch(
    '/v1/contracts/:id',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'updateContractDraft',
        tags,
        summary: 'Complete the draft a sale opened: set any JJ-001 fields (If-Match); the rules are checked on submit (seller side)',
        ...secured,
        params: IdParamSchema,
        headers: z.object({ 'if-match': z.string().optional() }),
        body: UpdateContractDraftBodySchema,
        response: { 200: ContractSchema, ...problems(400, 401, 403, 404, 409, 412, 413, 415) },
      },
    },
    async (req, reply) => {
      const r = await contracts.updateDraft(actorOf(req), req.params.id, parseIfMatch(req.headers['if-match']), req.body);
      setEtag(reply, r.version);
      return r.contract;
    },
  );

  app.post(
    '/v1/contracts/:id/submit',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'submitContractDraft',
        tags,
        summary: 'File a draft for registration: every JJ-001 rule is checked at once (422 errors[]); it becomes submitted with reviewDueOn (seller side)',
        ...secured,
        params: IdParamSchema,
        headers: IdempotencyHeadersSchema.extend({ 'if-match': z.string().optional().describe('the version of the draft being filed') }),
        response: { 200: ContractSchema, ...problems(400, 401, 403, 404, 409, 412, 422) },
      },
    },
    async (req, reply) => {
      const outcome = await contracts.submitDraft(actorOf(req), req.params.id, parseIfMatch(req.headers['if-match']), req.headers['idempotency-key']);
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      setEtag(reply, outcome.body.version);
      return outcome.body;
    },
  );

  app.post(
    '/v1/contracts/:id/review',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'reviewContract',
        tags,
        summary: 'Register (assigns the 16-digit 登记号), reject with a refusal ground, or request material (admins)',
        ...secured,
        params: IdParamSchema,
        body: ReviewContractBodySchema,
        response: { 200: ContractSchema, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (req) => contracts.review(actorOf(req), req.params.id, req.body),
  );

  app.post(
    '/v1/contracts/:id/material',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'supplyContractMaterial',
        tags,
        summary: 'Supply requested material (and corrections); the review clock restarts (seller side)',
        ...secured,
        params: IdParamSchema,
        body: SupplyMaterialBodySchema,
        response: { 200: ContractSchema, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (req) => contracts.supplyMaterial(actorOf(req), req.params.id, req.body),
  );

  app.post(
    '/v1/contracts/:id/changes',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'fileContractChange',
        tags,
        summary: 'File a change registration (变更登记) of a registered contract: a new version, reviewed like the original (seller side)',
        ...secured,
        params: IdParamSchema,
        headers: IdempotencyHeadersSchema,
        body: FileChangeBodySchema,
        response: { 201: ContractSchema, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (req, reply) => sendFiled(reply, await contracts.fileChange(actorOf(req), req.params.id, req.body, req.headers['idempotency-key'])),
  );

  app.post(
    '/v1/contracts/:id/cancel',
    {
      preHandler: app.requireUser,
      schema: {
        operationId: 'fileContractCancellation',
        tags,
        summary: 'File a cancellation registration (注销登记) of a registered contract (seller side)',
        ...secured,
        params: IdParamSchema,
        headers: IdempotencyHeadersSchema,
        body: FileCancellationBodySchema,
        response: { 201: ContractSchema, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (req, reply) => sendFiled(reply, await contracts.fileCancellation(actorOf(req), req.params.id, req.body, req.headers['idempotency-key'])),
  );
};
