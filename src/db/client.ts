import pg from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import * as schema from './schema.js';

export type Schema = typeof schema;
export type Db = NodePgDatabase<Schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Anything a repo method can run on: the pool or an open transaction. */
export type Executor = Db | Tx;

// int8 (bigint) columns hold fen amounts well below 2^53; parse them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface Database {
  pool: pg.Pool;
  db: Db;
  close: () => Promise<void>;
}

export function createDatabase(url: string, poolSize = 10): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: 'techbridge' });
  // An idle client that errors (server restart, pg_terminate_backend) must not crash the process.
  pool.on('error', () => {});
  // The pool listens only while a client is idle; a checked-out client whose server goes away
  // (shutdown, failover) would otherwise raise an uncaught 'error'. Its query still rejects.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = drizzle(pool, { schema });
  return { pool, db, close: () => pool.end() };
}
