import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDatabase, type Database } from '../../src/db/client.js';

/**
 * A fresh database for one test file: CREATE DATABASE … TEMPLATE the migrated template. Fast
 * (a file copy) and isolated, so files run in parallel and never depend on each other.
 */
export async function createTestDatabase(): Promise<Database & { url: string; name: string; drop: () => Promise<void> }> {
  const server = inject('pgServerUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`);
  } finally {
    await admin.end();
  }
  const url = `${server}/${name}`;
  const database = createDatabase(url, 10);
  return {
    ...database,
    url,
    name,
    drop: async () => {
      await database.close();
      const a = new pg.Client({ connectionString: `${server}/postgres` });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
