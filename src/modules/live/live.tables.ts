import { sql } from 'drizzle-orm';
import { bigserial, check, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The live feed of each listing (GET /v1/listings/{id}/events). The id is the SSE event id that
 * clients send back as Last-Event-ID. Publishing holds the listing's journal lock until commit, so
 * within one listing ids are assigned in commit order and "id > Last-Event-ID" never skips a
 * late-committing event. The payload is public: paddle numbers, amounts, times; never names.
 * No foreign key to listings: publishing must not take a lock on the listing row.
 */
export const listingEvents = pgTable(
  'listing_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    listingId: uuid('listing_id').notNull(),
    type: text('type').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    // Replay and live catch-up: one listing's events after an id, in id order.
    index('listing_events_listing_idx').on(t.listingId, t.id),
    check('listing_events_type_check', sql`${t.type} ~ '^[a-z][a-z_]{0,31}$'`),
  ],
);
