import { sql } from 'drizzle-orm';
import { bigint, boolean, check, customType, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { SearchDocument } from './search.engine.js';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * The PostgreSQL engine's index: one row per published, unexpired achievement or need, written
 * only by the outbox relay and `search:reindex` (never by the services), so it is derived data
 * exactly like a Meilisearch index and can be dropped and rebuilt.
 */
export const searchDocuments = pgTable(
  'search_documents',
  {
    kind: text('kind', { enum: ['achievement', 'need'] }).notNull(),
    id: uuid('id').notNull(),
    document: jsonb('document').$type<SearchDocument>().notNull(),
    title: text('title').notNull(),
    /** jieba terms of title, keywords, summary and public description, space-separated */
    searchText: text('search_text').notNull(),
    /** 'simple' tsvector over searchText, weighted A title, B keywords, C summary, D the rest */
    tsv: tsvector('tsv').notNull(),
    fieldPathCodes: text('field_path_codes').array().notNull(),
    regionCode: text('region_code').notNull(),
    organizationId: uuid('organization_id').notNull(),
    /** achievement: trl; need: trlMin */
    trl: smallint('trl'),
    stage: text('stage'),
    /** achievement: transferModes; need: cooperationModes */
    modes: text('modes').array().notNull(),
    priceKind: text('price_kind'),
    priceFen: bigint('price_fen', { mode: 'number' }),
    needType: text('need_type'),
    budgetMaxFen: bigint('budget_max_fen', { mode: 'number' }),
    budgetNegotiable: boolean('budget_negotiable'),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull(),
    validUntil: timestamp('valid_until', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.kind, t.id] }),
    // Ranked full-text search over the jieba terms.
    index('search_documents_tsv_idx').using('gin', t.tsv),
    // Partial and short queries (≥ 3 characters) on titles; needs a UTF-8 LC_CTYPE for Chinese.
    index('search_documents_title_trgm_idx').using('gin', sql`${t.title} gin_trgm_ops`),
    // field=X (descendants match through the stored ancestor codes), also the field facet.
    index('search_documents_field_path_idx').using('gin', t.fieldPathCodes),
    // Browsing without a query: newest first per kind.
    index('search_documents_newest_idx').on(t.kind, t.publishedAt.desc(), t.id.desc()),
  ],
);

export const OUTBOX_REASONS = ['change', 'expiry'] as const;

/**
 * The transactional outbox of the search index. A row is written in the same transaction as the
 * change of an achievement or need (reason `change`), or scheduled by the relay for the moment an
 * indexed row's validUntil passes (reason `expiry`). The relay deletes a row once the engine has
 * confirmed; failures push `next_attempt_at` back; after too many it sets `dead_at`.
 */
export const searchOutbox = pgTable(
  'search_outbox',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    entity: text('entity', { enum: ['achievement', 'need'] }).notNull(),
    entityId: uuid('entity_id').notNull(),
    reason: text('reason', { enum: OUTBOX_REASONS }).notNull().default('change'),
    enqueuedAt: timestamp('enqueued_at', { withTimezone: true }).notNull(),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    deadAt: timestamp('dead_at', { withTimezone: true }),
  },
  (t) => [
    check('search_outbox_reason_check', sql`${t.reason} in ('change','expiry')`),
    // The relay's claim: due rows of one kind, oldest first.
    index('search_outbox_due_idx').on(t.entity, t.nextAttemptAt, t.id).where(sql`${t.deadAt} is null`),
    // One pending expiry check per row: rescheduling moves it instead of adding another.
    uniqueIndex('search_outbox_expiry_idx').on(t.entity, t.entityId).where(sql`${t.reason} = 'expiry' and ${t.deadAt} is null`),
  ],
);
