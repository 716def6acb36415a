import { sql } from 'drizzle-orm';
import { bigint, check, date, index, integer, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { organizations, users } from '../accounts/accounts.tables.js';
import { deals } from '../deals/deals.tables.js';
import { listings } from '../listings/listings.tables.js';

/**
 * (draft →) submitted → (material_requested → submitted)* → registered | rejected. A registered
 * version becomes superseded when a later change or cancellation of the same contract is
 * registered; a registered cancellation is `cancelled`. A `draft` is an original the trading desk
 * prefilled when a listing sold: not filed yet, so it is in no review queue and no statistic.
 */
export const CONTRACT_STATUSES = ['draft', 'submitted', 'material_requested', 'registered', 'rejected', 'superseded', 'cancelled'] as const;
export type ContractStatus = (typeof CONTRACT_STATUSES)[number];
/** original 认定登记, change 变更登记, cancellation 注销登记 */
export const FILING_KINDS = ['original', 'change', 'cancellation'] as const;
export type FilingKind = (typeof FILING_KINDS)[number];

/**
 * One row per filing: the original registration, and each change or cancellation of it, all with
 * the contract's full JJ-001 content. A registered row's content is never updated; a change is a
 * new row (revision n + 1) that supersedes it when registered, so the history is the rows of a
 * lineage. Statistics read the rows with status `registered`: the current version of every
 * contract that is registered and not cancelled.
 */
export const contracts = pgTable(
  'contracts',
  {
    id: uuid('id').primaryKey(),
    /** the original filing's id: every version of one contract shares it */
    lineageId: uuid('lineage_id').notNull(),
    revision: smallint('revision').notNull(),
    filingKind: text('filing_kind', { enum: FILING_KINDS }).notNull(),
    /** the registered version a change or cancellation applies to */
    supersedesId: uuid('supersedes_id').references((): AnyPgColumn => contracts.id),
    status: text('status', { enum: CONTRACT_STATUSES }).notNull(),
    /** 合同登记编号, assigned when the original is registered and kept by its changes */
    registrationNumber: text('registration_number'),
    /** Beijing date the contract was first registered: the period statistics count it in */
    registeredOn: date('registered_on', { mode: 'string' }),
    title: text('title').notNull(),
    type: text('type').notNull(),
    /** null only on a draft, like every JJ-001 field the sale could not tell */
    subtype: text('subtype'),
    sellerOrganizationId: uuid('seller_organization_id')
      .notNull()
      .references(() => organizations.id),
    sellerName: text('seller_name').notNull(),
    sellerCountryCode: text('seller_country_code').notNull(),
    /** null for a foreign party */
    sellerRegionCode: text('seller_region_code'),
    sellerNatureCode: text('seller_nature_code'),
    buyerOrganizationId: uuid('buyer_organization_id')
      .notNull()
      .references(() => organizations.id),
    buyerName: text('buyer_name').notNull(),
    buyerCountryCode: text('buyer_country_code').notNull(),
    buyerRegionCode: text('buyer_region_code'),
    buyerNatureCode: text('buyer_nature_code'),
    amountFen: bigint('amount_fen', { mode: 'number' }).notNull(),
    technologyAmountFen: bigint('technology_amount_fen', { mode: 'number' }).notNull(),
    signedOn: date('signed_on', { mode: 'string' }),
    validFrom: date('valid_from', { mode: 'string' }),
    validTo: date('valid_to', { mode: 'string' }),
    fieldCode: text('field_code').notNull(),
    technologyDomain: text('technology_domain'),
    ipType: text('ip_type'),
    socioEconomicGoal: text('socio_economic_goal'),
    industryCode: text('industry_code'),
    planSource: text('plan_source').notNull(),
    expectedNewInvestmentFen: bigint('expected_new_investment_fen', { mode: 'number' }),
    expectedNewOutputFen: bigint('expected_new_output_fen', { mode: 'number' }),
    /** the signed written contract (or amendment): oral contracts are not registered */
    documentReference: text('document_reference'),
    documentSha256: text('document_sha256'),
    documentPages: integer('document_pages'),
    dealId: uuid('deal_id').references(() => deals.id),
    listingId: uuid('listing_id').references(() => listings.id),
    /** why a change or cancellation is filed */
    reason: text('reason'),
    /** null while a draft: nobody filed it yet */
    filedBy: uuid('filed_by').references(() => users.id),
    filedAt: timestamp('filed_at', { withTimezone: true }),
    /** 15 working days, or 30 for contracts of ¥5,000,000 and more */
    reviewWorkingDays: smallint('review_working_days'),
    /** when the review clock last (re)started: the filing, or the supply of requested material */
    reviewClockStartedAt: timestamp('review_clock_started_at', { withTimezone: true }),
    /** null while the clock is stopped for requested material */
    reviewDueOn: date('review_due_on', { mode: 'string' }),
    materialRequest: text('material_request'),
    materialRequestedAt: timestamp('material_requested_at', { withTimezone: true }),
    /** the filer's note when supplying it */
    materialResponse: text('material_response'),
    materialSuppliedAt: timestamp('material_supplied_at', { withTimezone: true }),
    decidedBy: uuid('decided_by').references(() => users.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    refusalGround: text('refusal_ground'),
    decisionNote: text('decision_note'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    check('contracts_status_check', sql`${t.status} in ('draft','submitted','material_requested','registered','rejected','superseded','cancelled')`),
    // Everything but a draft was filed with the complete JJ-001 content and a running or finished review.
    check(
      'contracts_filed_check',
      sql`${t.status} = 'draft' or (${t.subtype} is not null and ${t.signedOn} is not null and ${t.validFrom} is not null and ${t.validTo} is not null
        and ${t.technologyDomain} is not null and ${t.ipType} is not null and ${t.socioEconomicGoal} is not null and ${t.industryCode} is not null
        and ${t.sellerNatureCode} is not null and ${t.buyerNatureCode} is not null and ${t.documentReference} is not null
        and ${t.filedBy} is not null and ${t.filedAt} is not null and ${t.reviewWorkingDays} is not null and ${t.reviewClockStartedAt} is not null)`,
    ),
    // A draft is an unfiled original of a sale: no number, no review, no decision.
    check(
      'contracts_draft_check',
      sql`${t.status} <> 'draft' or (${t.filingKind} = 'original' and ${t.dealId} is not null and ${t.registrationNumber} is null and ${t.reviewDueOn} is null and ${t.decidedAt} is null)`,
    ),
    check('contracts_filing_kind_check', sql`${t.filingKind} in ('original','change','cancellation')`),
    check('contracts_revision_check', sql`(${t.filingKind} = 'original') = (${t.revision} = 1) and (${t.filingKind} = 'original') = (${t.supersedesId} is null) and ${t.revision} >= 1`),
    // A draft may be inconsistent while the seller completes it; submitting checks every rule.
    check(
      'contracts_amounts_check',
      sql`${t.amountFen} >= 0 and ${t.technologyAmountFen} >= 0 and (${t.status} = 'draft' or (${t.amountFen} > 0 and ${t.technologyAmountFen} <= ${t.amountFen}))`,
    ),
    check('contracts_dates_check', sql`${t.status} = 'draft' or (${t.validFrom} <= ${t.validTo} and ${t.signedOn} <= ${t.validTo})`),
    check('contracts_parties_check', sql`${t.sellerOrganizationId} <> ${t.buyerOrganizationId}`),
    check('contracts_number_check', sql`${t.registrationNumber} is null or ${t.registrationNumber} ~ '^[0-9]{16}$'`),
    check('contracts_registered_check', sql`${t.status} not in ('registered','superseded','cancelled') or (${t.registrationNumber} is not null and ${t.registeredOn} is not null)`),
    check('contracts_rejected_check', sql`${t.status} <> 'rejected' or ${t.refusalGround} is not null`),
    check('contracts_due_check', sql`${t.status} <> 'submitted' or ${t.reviewDueOn} is not null`),
    check('contracts_document_check', sql`char_length(${t.documentReference}) between 1 and 500`),
    uniqueIndex('contracts_lineage_revision_key').on(t.lineageId, t.revision),
    // One current version per contract, and one 登记号 per contract: the number is shared only
    // by versions of the same lineage, and only one of them is current.
    uniqueIndex('contracts_lineage_current_key').on(t.lineageId).where(sql`${t.status} in ('registered','cancelled')`),
    uniqueIndex('contracts_number_current_key').on(t.registrationNumber).where(sql`${t.status} in ('registered','cancelled')`),
    // At most one filing under review per contract.
    uniqueIndex('contracts_lineage_pending_key').on(t.lineageId).where(sql`${t.status} in ('submitted','material_requested')`),
    // Statistics that contract_stats_rollup cannot answer (a region filter with another dimension)
    // read registered contracts by registration date: every column they filter, group or sum is
    // in the index, so they are index-only scans and never visit the 1 KB rows.
    index('contracts_stats_idx')
      .on(
        t.registeredOn,
        t.sellerRegionCode,
        t.buyerRegionCode,
        t.type,
        t.subtype,
        t.fieldCode,
        t.technologyDomain,
        t.sellerNatureCode,
        t.ipType,
        t.socioEconomicGoal,
        t.industryCode,
        t.amountFen,
        t.technologyAmountFen,
      )
      .where(sql`${t.status} = 'registered'`),
    // The review queue and the overdue list.
    index('contracts_review_due_idx').on(t.reviewDueOn, t.id).where(sql`${t.status} = 'submitted'`),
    index('contracts_seller_idx').on(t.sellerOrganizationId, t.id.desc()),
    index('contracts_buyer_idx').on(t.buyerOrganizationId, t.id.desc()),
    index('contracts_deal_idx').on(t.dealId).where(sql`${t.dealId} is not null`),
    // One draft per deal: the sale's handoff inserts it ON CONFLICT DO NOTHING.
    uniqueIndex('contracts_deal_draft_key').on(t.dealId).where(sql`${t.status} = 'draft'`),
  ],
);

/**
 * The serial counter of each registration point per year: registration takes the next serial
 * with one INSERT … ON CONFLICT DO UPDATE … RETURNING, which holds the row lock until commit,
 * so concurrent registrations get distinct serials and a rolled-back one leaves no gap.
 */
export const contractNumberCounters = pgTable(
  'contract_number_counters',
  {
    year: smallint('year').notNull(),
    /** the first four digits of the registration region's GB/T 2260 code (province + city) */
    regionPrefix: text('region_prefix').notNull(),
    /** the registration point within the city */
    point: text('point').notNull(),
    lastSerial: integer('last_serial').notNull(),
  },
  (t) => [
    primaryKey({ name: 'contract_number_counters_pkey', columns: [t.year, t.regionPrefix, t.point] }),
    check('contract_number_counters_check', sql`${t.lastSerial} between 1 and 999999 and ${t.regionPrefix} ~ '^[0-9]{4}$' and ${t.point} ~ '^[0-9]{2}$'`),
  ],
);
