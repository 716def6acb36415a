import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organizations, users } from '../accounts/accounts.tables.js';
import { achievements } from '../achievements/achievements.tables.js';
import { needs } from '../needs/needs.tables.js';

export const INTEREST_STATUSES = ['pending', 'accepted', 'declined'] as const;
export type InterestStatus = (typeof INTEREST_STATUSES)[number];
export const SUBJECT_KINDS = ['achievement', 'need'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];
export const NOTIFICATION_TYPES = ['interest_received', 'interest_accepted', 'interest_declined', 'subscription_match'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/**
 * Expressions of interest (意向) in an achievement, and proposals to a need. Exactly one of
 * achievement_id / need_id is set, so both keep a real foreign key. The owner's organization is
 * copied in so "received" lists need no join; the row it points at never changes owner.
 */
export const interests = pgTable(
  'interests',
  {
    id: uuid('id').primaryKey(),
    achievementId: uuid('achievement_id').references(() => achievements.id),
    needId: uuid('need_id').references(() => needs.id),
    ownerOrganizationId: uuid('owner_organization_id')
      .notNull()
      .references(() => organizations.id),
    requesterOrganizationId: uuid('requester_organization_id')
      .notNull()
      .references(() => organizations.id),
    requesterUserId: uuid('requester_user_id')
      .notNull()
      .references(() => users.id),
    message: text('message').notNull(),
    status: text('status', { enum: INTEREST_STATUSES }).notNull().default('pending'),
    decisionMessage: text('decision_message'),
    decidedBy: uuid('decided_by').references(() => users.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    check('interests_subject_check', sql`(${t.achievementId} is null) <> (${t.needId} is null)`),
    check('interests_status_check', sql`${t.status} in ('pending','accepted','declined')`),
    check('interests_not_own_check', sql`${t.ownerOrganizationId} <> ${t.requesterOrganizationId}`),
    // One open (pending or accepted) interest per organization and row: a second is a 409, whatever
    // the timing. Also serves the disclosure lookup (status = 'accepted' implies the predicate).
    uniqueIndex('interests_open_achievement_key')
      .on(t.achievementId, t.requesterOrganizationId)
      .where(sql`${t.achievementId} is not null and ${t.status} in ('pending','accepted')`),
    uniqueIndex('interests_open_need_key')
      .on(t.needId, t.requesterOrganizationId)
      .where(sql`${t.needId} is not null and ${t.status} in ('pending','accepted')`),
    // The interests a row received, newest first (keyset on created_at, id; backward scan).
    index('interests_achievement_idx').on(t.achievementId, t.createdAt, t.id),
    index('interests_need_idx').on(t.needId, t.createdAt, t.id),
    // GET /v1/interests?direction=received|sent.
    index('interests_owner_idx').on(t.ownerOrganizationId, t.createdAt, t.id),
    index('interests_requester_idx').on(t.requesterOrganizationId, t.createdAt, t.id),
  ],
);

/**
 * Saved searches. `match_query` is the tsquery text of `q` (jieba terms and synonyms, as the
 * search box builds it) and `title_pattern` the ILIKE pattern the search box also tries, both
 * computed once at creation so matching a publication against every subscription is one statement.
 */
export const subscriptions = pgTable(
  'subscriptions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    kind: text('kind', { enum: SUBJECT_KINDS }).notNull(),
    q: text('q'),
    matchQuery: text('match_query'),
    titlePattern: text('title_pattern'),
    fieldCodes: text('field_codes').array().notNull().default(sql`'{}'::text[]`),
    regionCode: text('region_code'),
    webhookUrl: text('webhook_url'),
    /** HMAC key of the webhook signature; shown once at creation, needed in clear to sign */
    webhookSecret: text('webhook_secret'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    check('subscriptions_kind_check', sql`${t.kind} in ('achievement','need')`),
    check('subscriptions_webhook_check', sql`(${t.webhookUrl} is null) = (${t.webhookSecret} is null)`),
    // The caller's list, newest first.
    index('subscriptions_user_idx').on(t.userId, t.createdAt, t.id),
    // Matching reads every subscription of a kind; a field filter narrows through the GIN index.
    index('subscriptions_kind_idx').on(t.kind),
    index('subscriptions_field_codes_idx').using('gin', t.fieldCodes),
  ],
);

/** In-app notifications, one row per recipient user. */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    type: text('type', { enum: NOTIFICATION_TYPES }).notNull(),
    subjectKind: text('subject_kind', { enum: SUBJECT_KINDS }).notNull(),
    subjectId: uuid('subject_id').notNull(),
    /** the row's title when the notification was made */
    title: text('title').notNull(),
    message: text('message'),
    interestId: uuid('interest_id').references(() => interests.id),
    subscriptionId: uuid('subscription_id').references(() => subscriptions.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    readAt: timestamp('read_at', { withTimezone: true }),
  },
  (t) => [
    check('notifications_type_check', sql`${t.type} in ('interest_received','interest_accepted','interest_declined','subscription_match')`),
    // A subscription tells about a row once: the relay may run a publication twice (at least once).
    uniqueIndex('notifications_subscription_subject_key').on(t.subscriptionId, t.subjectKind, t.subjectId),
    // The caller's list, newest first; the unread filter has its own partial index.
    index('notifications_user_idx').on(t.userId, t.createdAt, t.id),
    index('notifications_unread_idx').on(t.userId, t.createdAt, t.id).where(sql`${t.readAt} is null`),
  ],
);

export const NOTIFICATION_TOPICS = ['publication', 'webhook'] as const;
export type NotificationTopic = (typeof NOTIFICATION_TOPICS)[number];

/**
 * The outbox of subscriptions. `publication` rows are written in the transaction that publishes
 * an achievement or need; the relay matches them against subscriptions and writes notifications
 * and `webhook` rows (each carrying the exact JSON body to send). Delivered rows are deleted;
 * failures push next_attempt_at back; after too many, dead_at is set.
 */
export const notificationOutbox = pgTable(
  'notification_outbox',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    topic: text('topic', { enum: NOTIFICATION_TOPICS }).notNull(),
    subjectKind: text('subject_kind', { enum: SUBJECT_KINDS }),
    subjectId: uuid('subject_id'),
    subscriptionId: uuid('subscription_id').references(() => subscriptions.id, { onDelete: 'cascade' }),
    payload: jsonb('payload'),
    enqueuedAt: timestamp('enqueued_at', { withTimezone: true }).notNull(),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    deadAt: timestamp('dead_at', { withTimezone: true }),
  },
  (t) => [
    check('notification_outbox_topic_check', sql`${t.topic} in ('publication','webhook')`),
    check(
      'notification_outbox_shape_check',
      sql`case ${t.topic} when 'publication' then ${t.subjectKind} is not null and ${t.subjectId} is not null else ${t.subscriptionId} is not null and ${t.payload} is not null end`,
    ),
    // The relay's claim: due rows of a topic, oldest first.
    index('notification_outbox_due_idx').on(t.topic, t.nextAttemptAt, t.id).where(sql`${t.deadAt} is null`),
  ],
);
