import { sql } from 'drizzle-orm';
import { bigint, check, date, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';

/** The dimensions of contract_stats_rollup; see contract_stats_keys() in the migration for the column each one reads. */
export const ROLLUP_DIMENSIONS = ['total', 'type', 'subtype', 'field', 'domain', 'seller_region', 'buyer_region', 'seller_kind', 'ip_type', 'goal', 'industry'] as const;
export type RollupDimension = (typeof ROLLUP_DIMENSIONS)[number];
export const ROLLUP_GRAINS = ['day', 'month'] as const;

/**
 * Registered contracts (status `registered`) summed per registration day, and per registration
 * month, for each value of one dimension: `total` (key ''), type, subtype, field, domain,
 * seller_region / buyer_region (the GB/T 2260 code, 'foreign' for a foreign party), seller_kind,
 * ip_type, goal, industry (the GB/T 4754 section letter). A period reads its whole months at the
 * month grain and the days before and after them at the day grain: exact for any dates, and a
 * year to date is ~20 month rows plus the days of the current month per key instead of every
 * contract.
 *
 * Kept by statement triggers on contracts (migration 0009_stats_rollup_triggers) in the same
 * transaction as every write, so registration, changes, cancellations, the seed loader and bulk
 * loads all keep it equal to a recomputation. Rows whose count fell to 0 stay; readers skip
 * groups with no contract. Never written by the application. No check that the sums are
 * non-negative: an upsert checks the row it proposes (a negative delta) before it finds the row
 * to add it to.
 */
export const contractStatsRollup = pgTable(
  'contract_stats_rollup',
  {
    dimension: text('dimension', { enum: ROLLUP_DIMENSIONS }).notNull(),
    grain: text('grain', { enum: ROLLUP_GRAINS }).notNull(),
    /** the day, or the first day of the month */
    period: date('period', { mode: 'string' }).notNull(),
    key: text('key').notNull(),
    contracts: integer('contracts').notNull(),
    amountFen: bigint('amount_fen', { mode: 'number' }).notNull(),
    technologyAmountFen: bigint('technology_amount_fen', { mode: 'number' }).notNull(),
  },
  (t) => [
    // Every reader asks for one dimension and grain over a range of periods.
    primaryKey({ name: 'contract_stats_rollup_pkey', columns: [t.dimension, t.grain, t.period, t.key] }),
    // The same order with the sums: readers are index-only scans of a few hundred entries, which the
    // planner keeps in one process (heap fetches made it cost them high enough to start parallel
    // workers, whose start-up took longer than the scans).
    index('contract_stats_rollup_read_idx').on(t.dimension, t.grain, t.period, t.key, t.contracts, t.amountFen, t.technologyAmountFen),
    check('contract_stats_rollup_dimension_check', sql`${t.dimension} in ('total','type','subtype','field','domain','seller_region','buyer_region','seller_kind','ip_type','goal','industry')`),
    check('contract_stats_rollup_grain_check', sql`${t.grain} in ('day','month') and (${t.grain} = 'day' or extract(day from ${t.period}) = 1)`),
  ],
);
