import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organizations, users } from '../accounts/accounts.tables.js';
import { achievements } from '../achievements/achievements.tables.js';
import { needs } from '../needs/needs.tables.js';
import { listings } from '../listings/listings.tables.js';

/**
 * The broker pipeline: matched → negotiating → signed → registered → industrialized, or cancelled.
 * `registered` is entered only when the deal's contract is registered (技术合同认定登记).
 */
export const DEAL_STAGES = ['matched', 'negotiating', 'signed', 'registered', 'industrialized', 'cancelled'] as const;
export type DealStage = (typeof DEAL_STAGES)[number];
/** broker: opened by a brokerage; admin: by the operator; listing_sale: by the trading desk when a listing sold */
export const DEAL_ORIGINS = ['broker', 'admin', 'listing_sale'] as const;
export type DealOrigin = (typeof DEAL_ORIGINS)[number];

export const deals = pgTable(
  'deals',
  {
    id: uuid('id').primaryKey(),
    origin: text('origin', { enum: DEAL_ORIGINS }).notNull(),
    /** the brokerage (技术转移机构) arranging the deal; null for desk sales and operator-made deals without one */
    brokerOrganizationId: uuid('broker_organization_id').references(() => organizations.id),
    /** null when the trading desk opened it */
    createdBy: uuid('created_by').references(() => users.id),
    sellerOrganizationId: uuid('seller_organization_id')
      .notNull()
      .references(() => organizations.id),
    buyerOrganizationId: uuid('buyer_organization_id')
      .notNull()
      .references(() => organizations.id),
    achievementId: uuid('achievement_id').references(() => achievements.id),
    needId: uuid('need_id').references(() => needs.id),
    listingId: uuid('listing_id').references(() => listings.id),
    stage: text('stage', { enum: DEAL_STAGES }).notNull().default('matched'),
    /** the contract value (成交金额) once known: at signing at the latest */
    amountFen: bigint('amount_fen', { mode: 'number' }),
    /** basis points of the amount: 100 = 1% */
    commissionRateBp: integer('commission_rate_bp'),
    commissionCapFen: bigint('commission_cap_fen', { mode: 'number' }),
    /** computed when the deal is signed: min(amount × rate, cap), rounded half up to the fen */
    commissionFen: bigint('commission_fen', { mode: 'number' }),
    stageChangedAt: timestamp('stage_changed_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    check('deals_stage_check', sql`${t.stage} in ('matched','negotiating','signed','registered','industrialized','cancelled')`),
    check('deals_origin_check', sql`${t.origin} in ('broker','admin','listing_sale')`),
    check('deals_parties_check', sql`${t.sellerOrganizationId} <> ${t.buyerOrganizationId}`),
    check(
      'deals_money_check',
      sql`coalesce(${t.amountFen}, 0) >= 0 and coalesce(${t.commissionCapFen}, 0) >= 0 and coalesce(${t.commissionFen}, 0) >= 0 and (${t.commissionRateBp} is null or ${t.commissionRateBp} between 0 and 3000)`,
    ),
    // A signed deal has a value: the commission and the statistics are computed from it.
    check('deals_signed_amount_check', sql`${t.stage} not in ('signed','registered','industrialized') or ${t.amountFen} is not null`),
    // One open deal per listing: the trading desk's call is idempotent through this index. A
    // cancelled one (a broker's buyer who did not win the sale) does not block the sale's deal.
    uniqueIndex('deals_listing_key').on(t.listingId).where(sql`${t.listingId} is not null and ${t.stage} <> 'cancelled'`),
    // Visibility: a brokerage's pipeline, and each party's deals, newest first.
    index('deals_broker_idx').on(t.brokerOrganizationId, t.id.desc()).where(sql`${t.brokerOrganizationId} is not null`),
    index('deals_seller_idx').on(t.sellerOrganizationId, t.id.desc()),
    index('deals_buyer_idx').on(t.buyerOrganizationId, t.id.desc()),
    // need → deal and achievement → deal conversion in the overview statistics.
    index('deals_need_idx').on(t.needId).where(sql`${t.needId} is not null`),
    index('deals_achievement_idx').on(t.achievementId).where(sql`${t.achievementId} is not null`),
  ],
);

/**
 * Every stage change and every note, in order; rows are only inserted. A note on the current
 * stage has from_stage = stage.
 */
export const dealEvents = pgTable(
  'deal_events',
  {
    id: uuid('id').primaryKey(),
    dealId: uuid('deal_id')
      .notNull()
      .references(() => deals.id),
    fromStage: text('from_stage', { enum: DEAL_STAGES }),
    stage: text('stage', { enum: DEAL_STAGES }).notNull(),
    note: text('note'),
    /** null when the server acted (a listing sale, a contract registration) */
    actorUserId: uuid('actor_user_id').references(() => users.id),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [
    check('deal_events_note_check', sql`${t.note} is null or char_length(${t.note}) between 1 and 2000`),
    index('deal_events_deal_idx').on(t.dealId, t.at, t.id),
  ],
);
