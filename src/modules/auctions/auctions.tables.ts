import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organizations, users } from '../accounts/accounts.tables.js';
import { listingRegistrations, listings } from '../listings/listings.tables.js';

export const AUCTION_STATUSES = ['open', 'closed'] as const;

/**
 * One online auction (正向多次竞价) per listing, opened at the end of notice with ≥ 2 qualified
 * buyers. This row is the lock every bid takes: acceptance and the close are serialised on it.
 * The terms are copied from the listing when it opens, so a bid reads one row.
 */
export const auctions = pgTable(
  'auctions',
  {
    listingId: uuid('listing_id')
      .primaryKey()
      .references(() => listings.id),
    status: text('status', { enum: AUCTION_STATUSES }).notNull().default('open'),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    /** moves later with anti-sniping extensions; the close is due at this moment */
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    startPriceFen: bigint('start_price_fen', { mode: 'number' }).notNull(),
    incrementFen: bigint('increment_fen', { mode: 'number' }).notNull(),
    reservePriceFen: bigint('reserve_price_fen', { mode: 'number' }),
    extensionWindowSeconds: integer('extension_window_seconds').notNull(),
    extensionSeconds: integer('extension_seconds').notNull(),
    currentPriceFen: bigint('current_price_fen', { mode: 'number' }),
    bidCount: integer('bid_count').notNull().default(0),
    extensions: integer('extensions').notNull().default(0),
    leadingBidId: uuid('leading_bid_id'),
    leadingRegistrationId: uuid('leading_registration_id'),
    leadingPaddle: integer('leading_paddle'),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    check('auctions_status_check', sql`${t.status} in ('open','closed')`),
    check('auctions_bids_check', sql`(${t.bidCount} = 0) = (${t.currentPriceFen} is null) and (${t.bidCount} = 0) = (${t.leadingBidId} is null)`),
    check('auctions_terms_check', sql`${t.startPriceFen} > 0 and ${t.incrementFen} > 0 and ${t.endsAt} > ${t.startsAt}`),
    check('auctions_closed_check', sql`(${t.status} = 'closed') = (${t.closedAt} is not null)`),
    // The scheduler's scan for auctions to close.
    index('auctions_due_idx').on(t.endsAt, t.listingId).where(sql`${t.status} = 'open'`),
  ],
);

/** Bids are irrevocable: rows are only ever inserted. */
export const bids = pgTable(
  'bids',
  {
    id: uuid('id').primaryKey(),
    listingId: uuid('listing_id')
      .notNull()
      .references(() => auctions.listingId),
    registrationId: uuid('registration_id')
      .notNull()
      .references(() => listingRegistrations.id),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    paddle: integer('paddle').notNull(),
    amountFen: bigint('amount_fen', { mode: 'number' }).notNull(),
    /** 1, 2, 3 … per auction, in acceptance order */
    seq: integer('seq').notNull(),
    placedAt: timestamp('placed_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    check('bids_amount_check', sql`${t.amountFen} > 0 and ${t.seq} > 0`),
    // Every accepted bid beats the one before, so two bids of one auction never share an amount:
    // a second "winner" at the same price is impossible whatever the application does.
    uniqueIndex('bids_listing_amount_key').on(t.listingId, t.amountFen),
    uniqueIndex('bids_listing_seq_key').on(t.listingId, t.seq),
    index('bids_registration_idx').on(t.registrationId),
  ],
);
