// Every capability's tables, for drizzle's relational queries and drizzle-kit.
export * from '../modules/accounts/accounts.tables.js';
export * from '../modules/catalog/catalog.tables.js';
export * from '../modules/achievements/achievements.tables.js';
export * from '../modules/needs/needs.tables.js';
export * from '../modules/search/search.tables.js';
export * from '../modules/listings/listings.tables.js';
export * from '../modules/auctions/auctions.tables.js';
export * from '../modules/idempotency/idempotency.tables.js';
export * from '../modules/audit/audit.tables.js';
export * from '../modules/live/live.tables.js';
export * from '../modules/deals/deals.tables.js';
export * from '../modules/contracts/contracts.tables.js';
export * from '../modules/stats/stats.tables.js';
export * from '../modules/sandbox/sandbox.tables.js';
export * from '../modules/interests/interests.tables.js';
