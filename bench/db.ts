import { openInfrastructure, type Infrastructure } from '../src/boot.js';
import { loadConfig, type Config } from '../src/config.js';

export interface BenchDatabaseOptions {
  /** where the embedded cluster and the development signing key live (default .data/bench) */
  dataDir: string;
  pgPort: number;
}

export interface BenchDatabase {
  infra: Infrastructure;
  config: Config;
  /** what a child server process connects to */
  url: string;
  close: () => Promise<void>;
}

/**
 * The bench database: DATABASE_URL when set, otherwise an embedded PostgreSQL of its own under
 * .data/bench (never the development cluster in .data/pg, which holds the demo data). Migrated and
 * with the catalog synced, as the server would leave it.
 */
export async function openBenchDatabase(opts: BenchDatabaseOptions): Promise<BenchDatabase> {
  const config = loadConfig({
    ...process.env,
    DATA_DIR: opts.dataDir,
    EMBEDDED_PG_PORT: String(opts.pgPort),
    SEED: 'false',
    DATABASE_POOL_SIZE: '4',
  });
  const infra = await openInfrastructure(config, (m) => console.log(`[bench] ${m}`));
  const url = config.DATABASE_URL ?? infra.embedded!.url('techbridge');
  return { infra, config, url, close: () => infra.close() };
}

export const benchDatabaseFlags = (flags: Record<string, string | true>): BenchDatabaseOptions => ({
  dataDir: typeof flags['data-dir'] === 'string' ? flags['data-dir'] : '.data/bench',
  pgPort: typeof flags['pg-port'] === 'string' ? Number(flags['pg-port']) : 54339,
});
