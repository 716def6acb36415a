import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type pg from 'pg';
import { parseArgs } from '../src/cli/args.js';
import { buildApp } from '../src/app.js';
import { systemClock } from '../src/lib/clock.js';
import { openBenchDatabase } from './db.js';

// `npx tsx bench/contract-stats.ts [--rows 1000000] [--duration 10] [--connections 1] [--data-dir .data/bench-contracts] [--pg-port 54340]`
// GET /v1/stats/contracts on N registered contracts spread over 2021–2026 (the bar: p99 ≤ 200 ms at 1,000,000).
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { flags } = parseArgs(process.argv.slice(2));
const num = (name: string, dflt: number) => (typeof flags[name] === 'string' ? Number(flags[name]) : dflt);
const opts = { rows: num('rows', 1_000_000), duration: num('duration', 10), warmup: num('warmup', 2), connections: num('connections', 1) };

const SELLER = '00000000-0000-7000-8000-00000000b001';
const BUYER = '00000000-0000-7000-8000-00000000b002';
const USER = '00000000-0000-7000-8000-00000000b003';
const DAYS = 2191; // 2021-01-01 … 2026-12-31
const BATCH = 100_000;

async function fill(pool: pg.Pool, target: number): Promise<number> {
  await pool.query(
    `INSERT INTO organizations (id, name, kind, region_code, created_at, updated_at) VALUES
       ($1, 'bench seller', 'university', '230100', now(), now()), ($2, 'bench buyer', 'enterprise', '230200', now(), now())
     ON CONFLICT DO NOTHING`,
    [SELLER, BUYER],
  );
  await pool.query(
    `INSERT INTO users (id, organization_id, email, password_hash, display_name, role, created_at, updated_at)
     VALUES ($1, $2, 'bench-contracts@techbridge.example', 'x', 'bench', 'owner', now(), now()) ON CONFLICT DO NOTHING`,
    [USER, SELLER],
  );
  let have = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM contracts WHERE document_reference LIKE 'bench/%'`)).rows[0]!.n);
  const startedAt = performance.now();
  while (have < target) {
    const from = have + 1;
    const to = Math.min(target, have + BATCH);
    await pool.query(
      `INSERT INTO contracts (id, lineage_id, revision, filing_kind, status, registration_number, registered_on, title, type, subtype,
         seller_organization_id, seller_name, seller_country_code, seller_region_code, seller_nature_code,
         buyer_organization_id, buyer_name, buyer_country_code, buyer_region_code, buyer_nature_code,
         amount_fen, technology_amount_fen, signed_on, valid_from, valid_to, field_code, technology_domain, ip_type,
         socio_economic_goal, industry_code, plan_source, document_reference, filed_by, filed_at,
         review_working_days, review_clock_started_at, review_due_on, decided_at, created_at, updated_at)
       SELECT u, u, 1, 'original', 'registered', lpad(g::text, 16, '0'), d, 'bench contract',
         (ARRAY['development','transfer','license','consulting','service'])[1 + g % 5],
         (ARRAY['commissioned_development','patent_right','patent_license','consulting','technical_service'])[1 + g % 5],
         $3, 'bench seller', '142', (ARRAY['230100','230200','230600','210100','110000','440300'])[1 + (g / 7) % 6], '022',
         $4, 'bench buyer', '142', (ARRAY['230200','230100','110000','440300','230600','210100'])[1 + (g / 11) % 6], '150',
         amt, amt * 3 / 4, d - 20, d - 20, d + 700, 'HLJ.5.03', 'new_materials',
         (ARRAY['none','invention_patent','invention_patent','none','none'])[1 + g % 5],
         'industry_commerce', 'C30', 'none', 'bench/' || g, $5, d - 10,
         15, d - 10, d, d, d - 10, d
       FROM (SELECT g, gen_random_uuid() AS u, DATE '2021-01-01' + (g % ${DAYS}) AS d, 1000000 + (g::bigint * 7919) % 500000000 AS amt
             FROM generate_series($1::int, $2::int) AS g) s`,
      [from, to, SELLER, BUYER, USER],
    );
    have = to;
    console.log(`[bench] contracts ${have.toLocaleString('en')}/${target.toLocaleString('en')} (${Math.round(have / ((performance.now() - startedAt) / 1000)).toLocaleString('en')} rows/s)`);
  }
  // Index-only scans need the visibility map: what autovacuum would have done by now.
  await pool.query('VACUUM ANALYZE contracts');
  return have;
}

const database = await openBenchDatabase({
  dataDir: typeof flags['data-dir'] === 'string' ? flags['data-dir'] : '.data/bench-contracts',
  pgPort: num('pg-port', 54340),
});
try {
  const pool = database.infra.database.pool;
  const rows = await fill(pool, opts.rows);
  const app = await buildApp({ config: { ...database.config, LOG_LEVEL: 'warn' }, database: database.infra.database, clock: systemClock, keys: database.infra.keys });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const scenarios = [
    { name: 'month, current year to date (default period)', path: '/v1/stats/contracts?groupBy=month' },
    { name: 'month, 2021–2026 (every row)', path: '/v1/stats/contracts?groupBy=month&from=2021-01-01&to=2026-12-31' },
    { name: 'type, 2026, Heilongjiang outflow', path: '/v1/stats/contracts?groupBy=type&from=2026-01-01&to=2026-12-31&regionCode=230000' },
  ];
  const results = [];
  for (const s of scenarios) {
    const check = await fetch(address + s.path);
    if (check.status !== 200) throw new Error(`${s.path}: ${check.status} ${await check.text()}`);
    const body = (await check.json()) as { totals: { count: number; previous: { count: number } } };
    await autocannon({ url: address + s.path, connections: opts.connections, duration: opts.warmup });
    const r = await autocannon({ url: address + s.path, connections: opts.connections, duration: opts.duration });
    const m = { ...s, rowsCounted: body.totals.count + body.totals.previous.count, reqPerSec: Math.round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99, maxMs: r.latency.max, non2xx: r.non2xx };
    console.log(`[bench] ${s.name}: ${m.rowsCounted.toLocaleString('en')} rows aggregated, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms, ${m.reqPerSec} req/s`);
    results.push(m);
  }
  await app.close();
  const report = {
    at: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, postgres: (await pool.query<{ v: string }>('SHOW server_version')).rows[0]!.v },
    options: opts,
    registeredContracts: rows,
    results,
  };
  const outDir = path.resolve(root, 'bench/results');
  await mkdir(outDir, { recursive: true });
  const outFile = path.join(outDir, `contract-stats-${report.at.replace(/:/g, '-').replace(/\..*$/, '')}.json`);
  await writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`results written to ${path.relative(root, outFile)}`);
} finally {
  await database.close();
}
