import { sql } from 'drizzle-orm';
import { bigint, boolean, check, date, index, integer, jsonb, pgTable, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organizations, users } from '../accounts/accounts.tables.js';
import type { Contact } from '../achievements/achievements.tables.js';
import { PUBLICATION_STATUSES } from '../../lib/publication.js';

export const NEED_TYPES = ['technical_problem', 'technology_introduction', 'joint_rd', 'talent'] as const;
export const COOPERATION_MODES = ['transfer', 'license', 'equity', 'joint_development', 'service', 'consulting'] as const;

export const needs = pgTable(
  'needs',
  {
    id: uuid('id').primaryKey(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    createdBy: uuid('created_by')
      .notNull()
      .references(() => users.id),
    title: text('title').notNull(),
    description: text('description').notNull(),
    /** when true, `description` is confidential detail; `summary` is the public part */
    descriptionConfidential: boolean('description_confidential').notNull().default(false),
    summary: text('summary').notNull().default(''),
    indicators: text('indicators'),
    keywords: text('keywords').array().notNull().default(sql`'{}'::text[]`),
    fieldCodes: text('field_codes').array().notNull(),
    fieldPathCodes: text('field_path_codes').array().notNull(),
    needType: text('need_type', { enum: NEED_TYPES }).notNull(),
    trlMin: smallint('trl_min'),
    budgetMinFen: bigint('budget_min_fen', { mode: 'number' }),
    budgetMaxFen: bigint('budget_max_fen', { mode: 'number' }),
    budgetNegotiable: boolean('budget_negotiable').notNull().default(false),
    cooperationModes: text('cooperation_modes').array().notNull(),
    deadline: date('deadline'),
    regionCode: text('region_code').notNull(),
    contact: jsonb('contact').$type<Contact>(),
    status: text('status', { enum: PUBLICATION_STATUSES }).notNull().default('draft'),
    reviewReason: text('review_reason'),
    validUntil: timestamp('valid_until', { withTimezone: true }).notNull(),
    submittedAt: timestamp('submitted_at', { withTimezone: true }),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    check('needs_trl_check', sql`${t.trlMin} is null or ${t.trlMin} between 1 and 9`),
    check('needs_status_check', sql`${t.status} in ('draft','pending_review','published','rejected','archived')`),
    check(
      'needs_budget_check',
      sql`coalesce(${t.budgetMinFen}, 0) >= 0 and (${t.budgetMinFen} is null or ${t.budgetMaxFen} is null or ${t.budgetMinFen} <= ${t.budgetMaxFen})`,
    ),
    check('needs_fields_check', sql`cardinality(${t.fieldCodes}) between 1 and 5`),
    // Ascending: see achievements_public_idx (a backward scan serves newest-first).
    index('needs_public_idx').on(t.publishedAt, t.id).where(sql`${t.status} = 'published'`),
    index('needs_field_path_idx').using('gin', t.fieldPathCodes),
    // "Mine" lists (created_at DESC, id DESC): ascending so a backward scan serves that order.
    index('needs_organization_idx').on(t.organizationId, t.createdAt, t.id),
    index('needs_pending_idx').on(t.submittedAt).where(sql`${t.status} = 'pending_review'`),
    index('needs_title_trgm_idx').using('gin', sql`${t.title} gin_trgm_ops`),
  ],
);
