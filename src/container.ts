import type { Config } from './config.js';
import type { Database } from './db/client.js';
import type { Clock } from './lib/clock.js';
import type { SigningKeys } from './modules/accounts/keys.js';
import { createTokenIssuer } from './modules/accounts/tokens.js';
import { accountsRepo } from './modules/accounts/accounts.repo.js';
import { createAccountsService } from './modules/accounts/accounts.service.js';
import { createCatalogService } from './modules/catalog/catalog.service.js';
import { catalogRepo } from './modules/catalog/catalog.repo.js';
import { createCalendarService } from './modules/catalog/calendar.service.js';
import type { ChangeRecorder } from './lib/changes.js';
import { achievementsRepo } from './modules/achievements/achievements.repo.js';
import { createAchievementsService } from './modules/achievements/achievements.service.js';
import { needsRepo } from './modules/needs/needs.repo.js';
import { createNeedsService } from './modules/needs/needs.service.js';

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
  const { config, database, clock, keys } = deps;
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
  // Until the search capability's outbox is wired in, changes have no follower.
  const changes: ChangeRecorder = { record: async () => {} };
  const achievements = createAchievementsService({ db, repo: achievementsRepo, clock, catalog, changes });
  const needs = createNeedsService({ db, repo: needsRepo, clock, catalog, changes });
  return { catalog, calendar, tokens, accounts, achievements, needs };
}

export type Services = ReturnType<typeof createServices>;
