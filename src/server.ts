import closeWithGrace from 'close-with-grace';
import { loadConfig } from './config.js';
import { buildApp } from './app.js';
import { openInfrastructure } from './boot.js';
import { createServices } from './container.js';
import { systemClock } from './lib/clock.js';

/** Listens and shuts down gracefully; everything else is built by buildApp. */
async function main() {
  const config = loadConfig();
  const bootLog = (msg: string) => console.log(JSON.stringify({ level: 30, time: Date.now(), msg }));
  const infra = await openInfrastructure(config, bootLog);
  const deps = { config, database: infra.database, clock: systemClock, keys: infra.keys };
  const services = createServices(deps);
  if (services.sandbox.enabled) {
    // Business time continues from where the last move (by any process) left it.
    await services.sandbox.refresh();
    bootLog('SANDBOX_CLOCK is on: admins move business time with POST /v1/sandbox/clock');
  }

  if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
    const { created } = await services.accounts.bootstrapAdmin({ email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD });
    bootLog(`platform admin ${config.ADMIN_EMAIL} ${created ? 'created' : 'present'}`);
  }
  // The embedded (development) database gets the demo data; the loader is idempotent, so a first
  // start that was interrupted half-way is completed by the next one. SEED=false skips it.
  if (infra.embedded && config.SEED) {
    const { loadSeeds } = await import('../seeds/load.js');
    const counts = await loadSeeds(infra.database.db, services);
    bootLog(`demo data present (${JSON.stringify(counts)}); set SEED=false to skip`);
  }

  const app = await buildApp(deps, services);
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    // The HTTP server stops taking work first (running requests finish; new ones get 503 with
    // Connection: close) while the background loops wind down; the database goes last.
    await Promise.all([app.close(), services.listingScheduler.stop(), services.searchRelay.stop(), services.notificationRelay.stop(), services.readCacheListener.stop()]);
    await infra.close();
  });
  await app.listen({ host: config.HOST, port: config.PORT });
  // The public read cache serves nothing until it listens for changes (READ_CACHE=false: never).
  services.readCacheListener.start(app.log);
  // Time-driven listing transitions (end of notice, auction close) run without any client call.
  services.listingScheduler.start(app.log);
  // The search outbox relay: achievements and needs reach the engine after their transaction commits.
  services.searchRelay.start(app.log);
  // Saved searches: publications matched and webhooks sent after their transactions commit.
  services.notificationRelay.start(app.log);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
