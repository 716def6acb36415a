import { readdir } from 'node:fs/promises';
import type { Config } from './config.js';
import { createDatabase, type Database } from './db/client.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
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

export async function migrationFiles(folder: string): Promise<string[]> {
  return (await readdir(folder)).filter((f) => f.endsWith('.sql')).sort();
}
