import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { OffsetClock, systemClock, type Clock } from './lib/clock.js';
import type { SigningKeys } from './modules/accounts/keys.js';
import { createTokenIssuer } from './modules/accounts/tokens.js';
import { accountsRepo } from './modules/accounts/accounts.repo.js';
import { createAccountsService } from './modules/accounts/accounts.service.js';
import { createCatalogService } from './modules/catalog/catalog.service.js';
import { catalogRepo } from './modules/catalog/catalog.repo.js';
import { createCalendarService } from './modules/catalog/calendar.service.js';
import { createPostgresEngine } from './modules/search/search.postgres.js';
import { createMeilisearchEngine } from './modules/search/search.meilisearch.js';
import { createOutboxRecorder, createSearchRelay } from './modules/search/search.outbox.js';
import { searchRepo } from './modules/search/search.repo.js';
import { createSearchService } from './modules/search/search.service.js';
import { matchingRepo } from './modules/matching/matching.repo.js';
import { createMatchingService } from './modules/matching/matching.service.js';
import { achievementsRepo } from './modules/achievements/achievements.repo.js';
import { createAchievementsService } from './modules/achievements/achievements.service.js';
import { createAchievementsImportService } from './modules/achievements/achievements.import.js';
import { needsRepo } from './modules/needs/needs.repo.js';
import { createNeedsService } from './modules/needs/needs.service.js';
import { listingsRepo } from './modules/listings/listings.repo.js';
import { createListingsService } from './modules/listings/listings.service.js';
import { createRegistrationsService } from './modules/listings/registrations.service.js';
import { createTransitions } from './modules/listings/listings.transitions.js';
import { createListingScheduler } from './modules/listings/listings.scheduler.js';
import type { OnSale } from './modules/listings/listings.settlement.js';
import { sandboxRepo } from './modules/sandbox/sandbox.repo.js';
import { createSandboxService } from './modules/sandbox/sandbox.service.js';
import { auctionsRepo } from './modules/auctions/auctions.repo.js';
import { createAuctionsService } from './modules/auctions/auctions.service.js';
import pg from 'pg';
import { auditRepo } from './modules/audit/audit.repo.js';
import { createAuditService } from './modules/audit/audit.service.js';
import { findListingAccess } from './modules/audit/listing-access.js';
import { liveRepo } from './modules/live/live.repo.js';
import { createListingEventsHub } from './modules/live/live.hub.js';
import { createLiveService } from './modules/live/live.service.js';
import { dealsRepo } from './modules/deals/deals.repo.js';
import { createDealsService } from './modules/deals/deals.service.js';
import { contractsRepo } from './modules/contracts/contracts.repo.js';
import { createContractsService } from './modules/contracts/contracts.service.js';
import { statsRepo } from './modules/stats/stats.repo.js';
import { createStatsService } from './modules/stats/stats.service.js';
import { recordAll } from './lib/changes.js';
import { createReadCache } from './lib/read-cache.js';
import { createReadCacheListener, createReadCacheRecorder } from './lib/read-cache.listen.js';
import { interestsRepo } from './modules/interests/interests.repo.js';
import { subscriptionsRepo } from './modules/interests/interests.outbox.repo.js';
import { createDisclosureGrants, createInterestsService } from './modules/interests/interests.service.js';
import { createSubscriptionsService } from './modules/interests/interests.subscriptions.js';
import { createNotificationsService } from './modules/interests/interests.notifications.js';
import { createNotificationRelay, createPublicationRecorder } from './modules/interests/interests.relay.js';

/** What the application is built from: parsed config, an open database, a clock, signing keys. */
export interface AppDeps {
  config: Config;
  database: Database;
  clock: Clock;
  keys: SigningKeys;
}

/**
 * Builds every service from its dependencies. Services are factories that receive only what they
 * use, so a test can build one alone.
 */
export function createServices(deps: AppDeps) {
  const { config, database, keys } = deps;
  // SANDBOX_CLOCK: the business clock of every service is the injected clock plus the offset the
  // database stores (see sandbox.service.ts); authentication and retention keep real time.
  const sandboxClock = config.SANDBOX_CLOCK ? new OffsetClock(deps.clock) : null;
  const clock: Clock = sandboxClock ?? deps.clock;
  const db = database.db;
  const catalog = createCatalogService();
  const calendar = createCalendarService({ db, repo: catalogRepo, clock });
  const tokens = createTokenIssuer(keys, {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  const accounts = createAccountsService({
    db,
    repo: accountsRepo,
    clock,
    tokens,
    catalog,
    refreshTtlDays: config.REFRESH_TOKEN_TTL_DAYS,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  // Meilisearch when configured, else the embedded PostgreSQL engine; fed only through the outbox.
  const searchEngine = config.MEILI_URL
    ? createMeilisearchEngine({ url: config.MEILI_URL, apiKey: config.MEILI_MASTER_KEY, indexPrefix: config.MEILI_INDEX_PREFIX, requestTimeoutMs: config.MEILI_TIMEOUT_MS })
    : createPostgresEngine(db);
  // Public bodies of achievements, needs and their list pages; every process's cache hears of each
  // committed change through NOTIFY (the listener is started by the server; tests start it by hand).
  const readCache = createReadCache({
    clock,
    enabled: config.READ_CACHE,
    maxBytes: config.READ_CACHE_MAX_BYTES,
    maxAgeMs: config.READ_CACHE_MAX_AGE_MS,
    verify: config.NODE_ENV !== 'production',
  });
  const readCacheListener = createReadCacheListener({
    cache: readCache,
    connect: () => new pg.Client({ connectionString: database.pool.options.connectionString, keepAlive: true, application_name: 'techbridge-read-cache' }),
  });
  // The search index and saved searches both follow achievement and need changes through their
  // outboxes; read caches through a NOTIFY.
  const changes = recordAll(createOutboxRecorder({ repo: searchRepo, clock }), createPublicationRecorder({ repo: subscriptionsRepo, clock }), createReadCacheRecorder());
  const search = createSearchService({ db, repo: searchRepo, engine: searchEngine, clock, catalog });
  // Started by the server (src/server.ts); tests tick it by hand.
  const searchRelay = createSearchRelay({
    db,
    repo: searchRepo,
    engine: searchEngine,
    clock,
    options: { intervalMs: config.SEARCH_RELAY_INTERVAL_MS, maxAttempts: config.SEARCH_RELAY_MAX_ATTEMPTS },
    // Woken by each committed change (NOTIFY) instead of waiting for its next poll.
    listen: () => new pg.Client({ connectionString: database.pool.options.connectionString, keepAlive: true, application_name: 'techbridge-search-relay' }),
  });
  const matching = createMatchingService({ db, repo: matchingRepo, engine: searchEngine, clock, catalog });
  // An accepted interest discloses a row's contact and confidential detail to the interested organization.
  const disclosures = createDisclosureGrants(interestsRepo);
  const achievements = createAchievementsService({ db, repo: achievementsRepo, clock, catalog, changes, disclosures, readCache });
  const needs = createNeedsService({ db, repo: needsRepo, clock, catalog, changes, disclosures, readCache });
  const interests = createInterestsService({ db, repo: interestsRepo, clock });
  const webhookPolicy = { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE, allowedHosts: config.WEBHOOK_ALLOWED_HOSTS };
  const subscriptions = createSubscriptionsService({ db, repo: subscriptionsRepo, clock, catalog, webhookPolicy });
  const notifications = createNotificationsService({ db, repo: interestsRepo, clock });
  // Matches publications against subscriptions and sends webhooks after commit. Started by the
  // server (src/server.ts); tests tick it by hand. Signature timestamps are real time.
  const notificationRelay = createNotificationRelay({
    db,
    repo: subscriptionsRepo,
    clock,
    wallClock: systemClock,
    webhookPolicy,
    options: { intervalMs: config.NOTIFICATION_RELAY_INTERVAL_MS, maxAttempts: config.WEBHOOK_MAX_ATTEMPTS, webhookTimeoutMs: config.WEBHOOK_TIMEOUT_MS },
  });
  const achievementsImport = createAchievementsImportService({ db, catalog, achievements, organizations: accounts });
  // The audit log and the live feed come before the trading desk, which appends and publishes
  // inside its own transactions.
  const audit = createAuditService({ db, repo: auditRepo, clock, listingAccess: findListingAccess });
  const liveHub = createListingEventsHub({
    db,
    repo: liveRepo,
    // One dedicated LISTEN connection per process, outside the pool; opened on the first stream.
    connect: () => new pg.Client({ connectionString: database.pool.options.connectionString, keepAlive: true, application_name: 'techbridge-listen' }),
  });
  const live = createLiveService({ db, repo: liveRepo, clock, listingAccess: findListingAccess, hub: liveHub });
  const journal = { audit, live };
  const deals = createDealsService({ db, repo: dealsRepo, clock });
  const contracts = createContractsService({ db, repo: contractsRepo, clock, catalog, calendar, deals });
  // A sale (auction close or confirmed 协议成交) opens its deal and contract draft inside the
  // transaction that sells the listing; listings import neither module.
  const onSale: OnSale = async (tx, sale) => {
    const deal = await deals.openFromSale(tx, { ...sale, amountFen: sale.priceFen });
    await contracts.draftFromSale(tx, { ...sale, dealId: deal.id, amountFen: sale.priceFen });
  };
  const listings = createListingsService({
    db,
    clock,
    repo: listingsRepo,
    auctionsRepo,
    achievementsRepo,
    calendar,
    journal,
    maxNoticeExtensions: config.LISTING_MAX_NOTICE_EXTENSIONS,
    onSale,
  });
  const registrations = createRegistrationsService({ db, clock, repo: listingsRepo, journal });
  const auctions = createAuctionsService({ db, clock, repo: auctionsRepo, listingsRepo, journal });
  // processDue(now) handles every due listing transition in due order; the scheduler (started by
  // the server, ticked by tests) calls it on the injected clock.
  const transitions = createTransitions({ db, repo: listingsRepo, auctionsRepo, calendar, journal, agreementWorkingDays: config.LISTING_AGREEMENT_WORKING_DAYS, onSale });
  const sandbox = createSandboxService({ db, repo: sandboxRepo, clock: sandboxClock, listingsRepo, transitions });
  const listingScheduler = createListingScheduler({ db, clock, transitions, intervalMs: config.LISTING_SCHEDULER_INTERVAL_MS, guard: sandbox.guardTick });
  const stats = createStatsService({ db, repo: statsRepo, clock, catalog });
  return { catalog, calendar, tokens, accounts, achievements, achievementsImport, needs, readCache, readCacheListener, search, searchEngine, searchRelay, matching, audit, live, listings, registrations, auctions, transitions, listingScheduler, deals, contracts, stats, sandbox, interests, subscriptions, notifications, notificationRelay };
}

export type Services = ReturnType<typeof createServices>;
