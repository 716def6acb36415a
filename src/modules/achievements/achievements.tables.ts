import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, jsonb, pgTable, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organizations, users } from '../accounts/accounts.tables.js';
import { PUBLICATION_STATUSES } from '../../lib/publication.js';

export const ACHIEVEMENT_STAGES = ['lab', 'pilot', 'industrialization'] as const;
export const TRANSFER_MODES = ['transfer', 'license', 'equity', 'joint_development', 'service', 'consulting'] as const;
export const PRICE_KINDS = ['fixed', 'negotiable', 'auction'] as const;
export const IP_KINDS = ['invention_patent', 'utility_model', 'design_patent', 'software_copyright', 'ic_layout', 'plant_variety', 'trade_secret'] as const;

export interface IpRight {
  kind: (typeof IP_KINDS)[number];
  number: string | null;
  status: 'pending' | 'granted' | 'expired' | 'n/a';
}

export interface Contact {
  name: string | null;
  phone: string | null;
  email: string | null;
}

export const achievements = pgTable(
  'achievements',
  {
    id: uuid('id').primaryKey(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    createdBy: uuid('created_by')
      .notNull()
      .references(() => users.id),
    title: text('title').notNull(),
    summary: text('summary').notNull(),
    description: text('description').notNull().default(''),
    /** when true, `description` is confidential detail: shown to the owner and admins only */
    descriptionConfidential: boolean('description_confidential').notNull().default(false),
    indicators: text('indicators'),
    applications: text('applications'),
    keywords: text('keywords').array().notNull().default(sql`'{}'::text[]`),
    fieldCodes: text('field_codes').array().notNull(),
    /** field_codes plus every ancestor: lets `field=X` match descendants with one GIN lookup */
    fieldPathCodes: text('field_path_codes').array().notNull(),
    trl: smallint('trl').notNull(),
    stage: text('stage', { enum: ACHIEVEMENT_STAGES }).notNull(),
    ipRights: jsonb('ip_rights').$type<IpRight[]>().notNull().default([]),
    transferModes: text('transfer_modes').array().notNull(),
    priceKind: text('price_kind', { enum: PRICE_KINDS }).notNull(),
    priceFen: bigint('price_fen', { mode: 'number' }),
    institution: text('institution').notNull(),
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
    check('achievements_trl_check', sql`${t.trl} between 1 and 9`),
    check('achievements_status_check', sql`${t.status} in ('draft','pending_review','published','rejected','archived')`),
    check('achievements_price_check', sql`(${t.priceKind} = 'fixed') = (${t.priceFen} is not null) and coalesce(${t.priceFen}, 0) >= 0`),
    check('achievements_fields_check', sql`cardinality(${t.fieldCodes}) between 1 and 5`),
    // The public list: published rows, keyset on (published_at, id). Ascending on purpose: a backward
    // scan yields ORDER BY … DESC (NULLS FIRST, PostgreSQL's default) and a forward scan `oldest`;
    // drizzle's .desc() emits DESC NULLS LAST, which matches neither and made every page sort all
    // matches (285 ms instead of 0.4 ms on 100k rows, see BENCHMARKS.md).
    index('achievements_public_idx').on(t.publishedAt, t.id).where(sql`${t.status} = 'published'`),
    // Field filter (descendants match through the stored ancestor codes).
    index('achievements_field_path_idx').using('gin', t.fieldPathCodes),
    index('achievements_transfer_modes_idx').using('gin', t.transferModes),
    // "Mine" lists (created_at DESC, id DESC) and lookups by owner. Ascending on purpose: a
    // backward scan serves the DESC order; a DESC column here would be NULLS LAST, which
    // PostgreSQL cannot use for `DESC` (NULLS FIRST) and it sorted every row of the org.
    index('achievements_organization_idx').on(t.organizationId, t.createdAt, t.id),
    // Admin review queue.
    index('achievements_pending_idx').on(t.submittedAt).where(sql`${t.status} = 'pending_review'`),
    // Partial and short `q` matches in the plain list (the search engine does ranked search).
    index('achievements_title_trgm_idx').using('gin', sql`${t.title} gin_trgm_ops`),
  ],
);
