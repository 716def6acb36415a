import { z } from 'zod';
import { PageQuerySchema, pageOf } from '../../lib/http.js';
import { fieldCode, regionCode } from '../../lib/publication-schemas.js';
import { INTEREST_STATUSES, NOTIFICATION_TYPES, SUBJECT_KINDS } from './interests.tables.js';

export const SubjectKindSchema = z.enum(SUBJECT_KINDS).meta({ id: 'SubjectKind', description: 'achievement 科技成果 or need 技术需求' });

export const SubjectSchema = z
  .object({ type: SubjectKindSchema, id: z.uuid(), title: z.string() })
  .describe('the achievement or need this is about')
  .meta({ id: 'Subject' });

export const InterestStatusSchema = z.enum(INTEREST_STATUSES).meta({
  id: 'InterestStatus',
  description: "pending until the row's owner decides; accepted discloses the row's contact and confidential detail to the interested organization",
});

export const ExpressInterestBodySchema = z
  .strictObject({
    message: z.string().trim().min(1).max(2000).describe('who you are, what you want to do with it, how to reach you'),
  })
  .meta({ id: 'ExpressInterestRequest' });
export type ExpressInterestInput = z.infer<typeof ExpressInterestBodySchema>;

export const DecideInterestBodySchema = z
  .strictObject({
    message: z.string().trim().min(1).max(2000).optional().describe('a note to the interested organization'),
  })
  .meta({ id: 'DecideInterestRequest' });
export type DecideInterestInput = z.infer<typeof DecideInterestBodySchema>;

export const InterestSchema = z
  .object({
    id: z.uuid(),
    subject: SubjectSchema,
    ownerOrganizationId: z.uuid().describe("the row's organization, which decides"),
    requesterOrganizationId: z.uuid(),
    requesterOrganizationName: z.string(),
    requesterUserId: z.uuid(),
    message: z.string(),
    status: InterestStatusSchema,
    decisionMessage: z.string().nullable(),
    decidedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int(),
  })
  .meta({ id: 'Interest' });
export type InterestDto = z.infer<typeof InterestSchema>;
export const InterestPageSchema = pageOf(InterestSchema).meta({ id: 'InterestPage' });

export const ListInterestsQuerySchema = PageQuerySchema.extend({
  direction: z.enum(['received', 'sent']).default('received').describe("received: in your organization's rows; sent: by your organization"),
  status: InterestStatusSchema.optional(),
});
export type ListInterestsQuery = z.infer<typeof ListInterestsQuerySchema>;

export const ListSubjectInterestsQuerySchema = PageQuerySchema.extend({ status: InterestStatusSchema.optional() });
export type ListSubjectInterestsQuery = z.infer<typeof ListSubjectInterestsQuerySchema>;

export const CreateSubscriptionBodySchema = z
  .strictObject({
    type: SubjectKindSchema.describe('what to watch: newly published achievements or needs'),
    q: z.string().trim().min(1).max(100).optional().describe('text, matched as GET /v1/search matches it (every term, synonyms included)'),
    fieldCodes: z.array(fieldCode).max(10).optional().describe('any of these fields; descendants match too'),
    regionCode: regionCode.optional().describe('a province matches its cities and counties'),
    webhookUrl: z.url().max(2048).optional().describe('http(s) URL to POST each match to, signed (see the operation description)'),
  })
  .meta({ id: 'CreateSubscriptionRequest' });
export type CreateSubscriptionInput = z.infer<typeof CreateSubscriptionBodySchema>;

const subscriptionFields = {
  id: z.uuid(),
  type: SubjectKindSchema,
  q: z.string().nullable(),
  fieldCodes: z.array(z.string()),
  regionCode: z.string().nullable(),
  webhookUrl: z.string().nullable(),
  createdAt: z.string(),
};

export const SubscriptionSchema = z.object(subscriptionFields).meta({ id: 'Subscription' });
export type SubscriptionDto = z.infer<typeof SubscriptionSchema>;
export const CreatedSubscriptionSchema = z
  .object({
    ...subscriptionFields,
    webhookSecret: z.string().nullable().describe('the HMAC-SHA256 key of the webhook signature; returned only here, once (null without webhookUrl)'),
  })
  .meta({ id: 'CreatedSubscription' });
export type CreatedSubscriptionDto = z.infer<typeof CreatedSubscriptionSchema>;
export const SubscriptionPageSchema = pageOf(SubscriptionSchema).meta({ id: 'SubscriptionPage' });

export const NotificationTypeSchema = z.enum(NOTIFICATION_TYPES).meta({
  id: 'NotificationType',
  description:
    'interest_received: your organization got an interest; interest_accepted / interest_declined: the owner decided on yours; subscription_match: a newly published row matches a saved search',
});

export const NotificationSchema = z
  .object({
    id: z.uuid(),
    type: NotificationTypeSchema,
    subject: SubjectSchema,
    message: z.string().nullable().describe("the interest's message, or the owner's note on a decision"),
    interestId: z.uuid().nullable(),
    subscriptionId: z.uuid().nullable().describe('null once the subscription was deleted'),
    createdAt: z.string(),
    readAt: z.string().nullable(),
  })
  .meta({ id: 'Notification' });
export type NotificationDto = z.infer<typeof NotificationSchema>;
export const NotificationPageSchema = z
  .object({ items: z.array(NotificationSchema), nextCursor: z.string().nullable(), unreadCount: z.number().int().describe('all unread notifications of the caller') })
  .meta({ id: 'NotificationPage' });

export const ListNotificationsQuerySchema = PageQuerySchema.extend({
  unread: z.enum(['true', 'false']).optional().describe('true: unread only'),
  type: NotificationTypeSchema.optional(),
});
export type ListNotificationsQuery = z.infer<typeof ListNotificationsQuerySchema>;

/** The JSON body of a webhook delivery (event subscription.match). */
export interface WebhookPayload {
  id: string;
  event: 'subscription.match';
  createdAt: string;
  subscriptionId: string;
  item: {
    type: 'achievement' | 'need';
    id: string;
    title: string;
    summary: string;
    fieldCodes: string[];
    regionCode: string;
    organizationId: string;
    publishedAt: string;
    url: string;
  };
}
