import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IdParamSchema, problems } from '../../lib/http.js';
import { actorOf } from '../../plugins/auth.js';
import { AuditPageQuerySchema, AuditPageSchema, AuditVerificationSchema, toAuditEntryDto, toAuditVerificationDto } from './audit.schemas.js';

export const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  const { audit } = app.services;
  const secured = { tags: ['Listings'], security: [{ bearerAuth: [] }], params: IdParamSchema };

  app.get(
    '/v1/listings/:id/audit',
    {
      preHandler: app.requireUser,
      schema: {
        ...secured,
        operationId: 'listListingAudit',
        summary: "The listing's hash-chained audit log in order (seller's members, admins)",
        querystring: AuditPageQuerySchema,
        response: { 200: AuditPageSchema, ...problems(400, 401, 404) },
      },
    },
    async (req) => {
      const page = await audit.list(actorOf(req), req.params.id, req.query);
      return { items: page.items.map(toAuditEntryDto), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/listings/:id/audit/verify',
    {
      preHandler: app.requireUser,
      schema: {
        ...secured,
        operationId: 'verifyListingAudit',
        summary: "Recompute the listing's audit chain and report the first broken entry (admin)",
        response: { 200: AuditVerificationSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => toAuditVerificationDto(await audit.verify(actorOf(req), req.params.id)),
  );
};
