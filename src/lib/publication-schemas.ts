import { z } from 'zod';

/** Request and response pieces shared by every publishable resource (achievements, needs). */

export const fieldCode = z.string().regex(/^[A-Z]{2,4}(\.\d{1,2})*$/, 'a field code from GET /v1/fields');
export const regionCode = z.string().regex(/^\d{6}$/, 'a 6-digit GB/T 2260 code');

export const PublicationStatusSchema = z.enum(['draft', 'pending_review', 'published', 'rejected', 'archived']).meta({ id: 'PublicationStatus' });

export const ContactSchema = z
  .strictObject({
    name: z.string().trim().max(50).nullable().default(null),
    phone: z.string().trim().max(30).nullable().default(null),
    email: z.email().max(254).nullable().default(null),
  })
  .meta({ id: 'Contact' });

export const ReviewBodySchema = z
  .strictObject({
    decision: z.enum(['approve', 'reject']),
    reason: z.string().trim().min(1).max(2000).optional().describe('required when rejecting: the owner sees it'),
  })
  .refine((b) => b.decision === 'approve' || Boolean(b.reason), { message: 'a reason is required to reject', path: ['reason'] })
  .meta({ id: 'ReviewRequest' });

/** The owner, review and validity fields every publishable resource returns. */
export const publicationDtoFields = {
  organizationId: z.uuid(),
  regionCode: z.string(),
  contact: ContactSchema.nullable().describe('only for the owner, admins and an organization whose interest the owner accepted'),
  status: PublicationStatusSchema,
  expired: z.boolean().describe('published but past validUntil: hidden from public lists until renewed'),
  reviewReason: z.string().nullable(),
  validUntil: z.string(),
  publishedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
};

/** The filters every publishable list offers. */
export const publicationQueryFields = {
  q: z.string().trim().min(1).max(100).optional().describe('text in title, summary or keywords'),
  field: fieldCode.optional().describe('a field code; matches its descendants (and crosswalked fields) too'),
  regionCode: regionCode.optional().describe('a province code matches its cities too'),
  mine: z.enum(['true', 'false']).optional().describe("the caller's organization's rows in every status"),
  status: PublicationStatusSchema.optional().describe('with mine=true, or for admins (e.g. the pending_review queue)'),
};
