import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { testConfig, type Config } from '../../src/config.js';
import { createServices, type AppDeps, type Services } from '../../src/container.js';
import { ManualClock } from '../../src/lib/clock.js';
import { generateSigningKeys, type SigningKeys } from '../../src/modules/accounts/keys.js';
import { createTestDatabase } from './db.js';

let sharedKeys: Promise<SigningKeys> | undefined;

export interface TestContext {
  app: FastifyInstance;
  services: Services;
  deps: AppDeps;
  clock: ManualClock;
  db: Awaited<ReturnType<typeof createTestDatabase>>;
  close: () => Promise<void>;
}

/**
 * The real application on a database of its own, with a clock the test moves. Call once per
 * file (beforeAll) and close in afterAll.
 */
export async function startTestApp(overrides: Partial<Record<keyof Config, string>> = {}): Promise<TestContext> {
  const db = await createTestDatabase();
  sharedKeys ??= generateSigningKeys().then((k) => k.keys);
  const clock = new ManualClock(new Date('2026-03-02T02:00:00Z'));
  const deps: AppDeps = { config: testConfig({ DATABASE_URL: db.url, ...overrides }), database: db, clock, keys: await sharedKeys };
  const services = createServices(deps);
  const app = await buildApp(deps, services);
  await app.ready();
  return {
    app,
    services,
    deps,
    clock,
    db,
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}
