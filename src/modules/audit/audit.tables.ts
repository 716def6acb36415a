import { sql } from 'drizzle-orm';
import { check, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { JsonObject } from '../../lib/json.js';

/**
 * The audit log of the trading desk, one hash chain per listing: entry n stores the hash of entry
 * n-1 (prev_hash) and its own hash over (listing_id, seq, action, actor, data, created_at,
 * prev_hash), see audit.hash.ts. Rows are only ever inserted: a trigger (migration
 * audit_append_only) rejects UPDATE, DELETE and TRUNCATE; what a superuser can still do behind
 * the trigger, `verify` detects.
 *
 * No foreign keys: the log must outlive and never block the rows it describes, and its integrity
 * is the chain, not a constraint.
 */
export const auditEntries = pgTable(
  'audit_entries',
  {
    id: uuid('id').primaryKey(),
    listingId: uuid('listing_id').notNull(),
    /** 1, 2, 3 … per listing, in commit order (appends hold the listing's journal lock) */
    seq: integer('seq').notNull(),
    action: text('action').notNull(),
    /** both null: the server acted (scheduler) */
    actorUserId: uuid('actor_user_id'),
    actorOrganizationId: uuid('actor_organization_id'),
    data: jsonb('data').$type<JsonObject>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    prevHash: text('prev_hash'),
    hash: text('hash').notNull(),
  },
  (t) => [
    // The chain's order and its only duplicate guard; also serves reads by listing in seq order.
    uniqueIndex('audit_entries_listing_seq_key').on(t.listingId, t.seq),
    check('audit_entries_seq_check', sql`${t.seq} >= 1 and (${t.seq} = 1) = (${t.prevHash} is null)`),
    check('audit_entries_actor_check', sql`(${t.actorUserId} is null) = (${t.actorOrganizationId} is null)`),
    check('audit_entries_action_check', sql`${t.action} ~ '^[a-z][a-z0-9_.]{0,63}$'`),
    check('audit_entries_hash_check', sql`${t.hash} ~ '^[0-9a-f]{64}$' and (${t.prevHash} is null or ${t.prevHash} ~ '^[0-9a-f]{64}$')`),
  ],
);
