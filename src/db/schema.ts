// Every capability's tables, for drizzle's relational queries and drizzle-kit.
export * from '../modules/accounts/accounts.tables.js';
export * from '../modules/catalog/catalog.tables.js';
export * from '../modules/achievements/achievements.tables.js';
export * from '../modules/needs/needs.tables.js';
