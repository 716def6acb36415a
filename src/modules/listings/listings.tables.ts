import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organizations, users } from '../accounts/accounts.tables.js';
import { achievements } from '../achievements/achievements.tables.js';

/**
 * pending_review → notice → (auction | awaiting_agreement | unsold) → sold | unsold | withdrawn.
 * `rejected` is the admin's "no" at review; the seller may edit and resubmit.
 */
export const LISTING_STATUSES = ['pending_review', 'rejected', 'notice', 'auction', 'awaiting_agreement', 'sold', 'unsold', 'withdrawn'] as const;
export type ListingStatus = (typeof LISTING_STATUSES)[number];
export const LISTING_MODES = ['auction', 'fixed'] as const;
export type ListingMode = (typeof LISTING_MODES)[number];
/** States in which a listing holds its achievement: at most one such listing per achievement. */
export const LIVE_STATUSES = ['pending_review', 'notice', 'auction', 'awaiting_agreement'] as const;
export const CLOSED_STATUSES = ['sold', 'unsold', 'withdrawn'] as const;

export const REGISTRATION_STATUSES = ['pending', 'qualified', 'rejected'] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];
export const DEPOSIT_STATUSES = ['unpaid', 'paid', 'refunded', 'forfeited'] as const;
export type DepositStatus = (typeof DEPOSIT_STATUSES)[number];

export const listings = pgTable(
  'listings',
  {
    id: uuid('id').primaryKey(),
    achievementId: uuid('achievement_id')
      .notNull()
      .references(() => achievements.id),
    sellerOrganizationId: uuid('seller_organization_id')
      .notNull()
      .references(() => organizations.id),
    createdBy: uuid('created_by')
      .notNull()
      .references(() => users.id),
    mode: text('mode', { enum: LISTING_MODES }).notNull(),
    status: text('status', { enum: LISTING_STATUSES }).notNull().default('pending_review'),
    askingPriceFen: bigint('asking_price_fen', { mode: 'number' }).notNull(),
    /** effective auction terms: in fixed mode start = asking price and the increment is defaulted */
    startPriceFen: bigint('start_price_fen', { mode: 'number' }).notNull(),
    incrementFen: bigint('increment_fen', { mode: 'number' }).notNull(),
    /** hidden reserve (底价): only the seller and admins see it before the close */
    reservePriceFen: bigint('reserve_price_fen', { mode: 'number' }),
    depositFen: bigint('deposit_fen', { mode: 'number' }).notNull(),
    noticeWorkingDays: integer('notice_working_days').notNull(),
    maxNoticeExtensions: integer('max_notice_extensions').notNull(),
    noticeExtensions: integer('notice_extensions').notNull().default(0),
    auctionDurationMinutes: integer('auction_duration_minutes').notNull(),
    extensionWindowSeconds: integer('extension_window_seconds').notNull(),
    extensionSeconds: integer('extension_seconds').notNull(),
    reviewReason: text('review_reason'),
    reviewedBy: uuid('reviewed_by').references(() => users.id),
    reviewedAt: timestamp('reviewed_at', { withTimezone: true }),
    /** approval: the notice starts; from here on the listing is public */
    publishedAt: timestamp('published_at', { withTimezone: true }),
    noticeEndsAt: timestamp('notice_ends_at', { withTimezone: true }),
    /** the one qualified buyer of a 协议成交 (a listing_registrations id; no FK: the tables reference each other) */
    agreementRegistrationId: uuid('agreement_registration_id'),
    agreementPaddle: integer('agreement_paddle'),
    agreementDueAt: timestamp('agreement_due_at', { withTimezone: true }),
    sellerConfirmedAt: timestamp('seller_confirmed_at', { withTimezone: true }),
    buyerConfirmedAt: timestamp('buyer_confirmed_at', { withTimezone: true }),
    outcomePriceFen: bigint('outcome_price_fen', { mode: 'number' }),
    winnerRegistrationId: uuid('winner_registration_id'),
    winnerPaddle: integer('winner_paddle'),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    withdrawnReason: text('withdrawn_reason'),
    /**
     * The moment of this row's next time-driven transition (end of notice, agreement deadline);
     * null when none is pending. The auction's close is due on the auctions row instead.
     */
    dueAt: timestamp('due_at', { withTimezone: true }),
    /** last paddle number handed out; registrations take the next one under the listing lock */
    paddleSeq: integer('paddle_seq').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    check('listings_status_check', sql`${t.status} in ('pending_review','rejected','notice','auction','awaiting_agreement','sold','unsold','withdrawn')`),
    check('listings_mode_check', sql`${t.mode} in ('auction','fixed')`),
    check(
      'listings_prices_check',
      sql`${t.askingPriceFen} > 0 and ${t.startPriceFen} > 0 and ${t.incrementFen} > 0 and ${t.depositFen} >= 0 and (${t.reservePriceFen} is null or ${t.reservePriceFen} >= ${t.startPriceFen})`,
    ),
    check('listings_notice_check', sql`${t.noticeWorkingDays} between 5 and 60 and ${t.noticeExtensions} between 0 and ${t.maxNoticeExtensions}`),
    // A state with a pending time-driven transition always has its due moment, and no other state has one.
    check('listings_due_check', sql`(${t.status} in ('notice','awaiting_agreement')) = (${t.dueAt} is not null)`),
    check('listings_sold_check', sql`${t.status} <> 'sold' or (${t.outcomePriceFen} is not null and ${t.winnerRegistrationId} is not null and ${t.winnerPaddle} is not null)`),
    // The scheduler's scan: due rows in due order.
    index('listings_due_idx').on(t.dueAt, t.id).where(sql`${t.dueAt} is not null`),
    // One live listing per achievement (a sold or withdrawn one may be followed by a new one).
    uniqueIndex('listings_live_achievement_key')
      .on(t.achievementId)
      .where(sql`${t.status} in ('pending_review','notice','auction','awaiting_agreement')`),
    // The public list: approved listings, newest first (ids are time-ordered).
    index('listings_public_idx').on(t.id.desc()).where(sql`${t.publishedAt} is not null`),
    index('listings_seller_idx').on(t.sellerOrganizationId, t.id.desc()),
    // Admin review queue.
    index('listings_pending_idx').on(t.id).where(sql`${t.status} = 'pending_review'`),
  ],
);

/** 意向受让方: an enterprise's registration for one listing, its qualification and its deposit (保证金). */
export const listingRegistrations = pgTable(
  'listing_registrations',
  {
    id: uuid('id').primaryKey(),
    listingId: uuid('listing_id')
      .notNull()
      .references(() => listings.id),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    createdBy: uuid('created_by')
      .notNull()
      .references(() => users.id),
    /** how the bidder appears to others; sequential per listing */
    paddle: integer('paddle').notNull(),
    message: text('message'),
    status: text('status', { enum: REGISTRATION_STATUSES }).notNull().default('pending'),
    qualificationReason: text('qualification_reason'),
    qualifiedBy: uuid('qualified_by').references(() => users.id),
    qualifiedAt: timestamp('qualified_at', { withTimezone: true }),
    /** the listing's deposit when the buyer registered */
    depositFen: bigint('deposit_fen', { mode: 'number' }).notNull(),
    depositStatus: text('deposit_status', { enum: DEPOSIT_STATUSES }).notNull().default('unpaid'),
    depositPaidAt: timestamp('deposit_paid_at', { withTimezone: true }),
    depositRefundedAt: timestamp('deposit_refunded_at', { withTimezone: true }),
    depositForfeitedAt: timestamp('deposit_forfeited_at', { withTimezone: true }),
    depositNote: text('deposit_note'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    check('listing_registrations_status_check', sql`${t.status} in ('pending','qualified','rejected')`),
    check('listing_registrations_deposit_check', sql`${t.depositStatus} in ('unpaid','paid','refunded','forfeited') and ${t.depositFen} >= 0`),
    // Registering twice is a conflict, decided by the index, not by a prior read.
    uniqueIndex('listing_registrations_org_key').on(t.listingId, t.organizationId),
    uniqueIndex('listing_registrations_paddle_key').on(t.listingId, t.paddle),
    index('listing_registrations_organization_idx').on(t.organizationId, t.id.desc()),
  ],
);
