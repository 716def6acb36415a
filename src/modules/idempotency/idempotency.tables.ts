import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from '../accounts/accounts.tables.js';

/**
 * Idempotency-Key records (Stripe semantics, see src/lib/idempotency.ts). A record is written in
 * the same transaction as the work it answers for, so it exists if and only if the work
 * committed. Keys are scoped to the user who sent them.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    key: text('key').notNull(),
    /** the operation and its target, e.g. "POST /v1/listings/{id}/bids" with the id filled in */
    scope: text('scope').notNull(),
    /** SHA-256 of the scope and the canonical request body */
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status').notNull(),
    /** the success body, or { code, message } of a business error */
    responseBody: jsonb('response_body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'idempotency_keys_pkey', columns: [t.userId, t.key] }),
    check('idempotency_keys_key_check', sql`char_length(${t.key}) between 1 and 255`),
    // Expired records are purged in batches.
    index('idempotency_keys_expires_idx').on(t.expiresAt),
  ],
);
