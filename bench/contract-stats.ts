import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type pg from 'pg';
import { numberFlag, parseArgs } from '../src/cli/args.js';
import { benchParties, CONTRACT_COLUMNS, contractBatchParams, contractBatchSql, DOCUMENT_PREFIX, FIRST_DAY, LAST_DAY } from './contract-rows.js';
import { cpuMsOfTree, postmasterPid } from './cpu.js';
import { openBenchDatabase } from './db.js';
import { checkColumns, insertRows } from './generate.js';
import { startAppServer } from './server-process.js';

// `npm run bench:stats [-- --rows 1000000 --batch 50000 --force --skip-fill --duration 5 --warmup 2 --connections 1,10
//   --only month-ytd,overview --data-dir .data/bench-contracts --pg-port 54340 --app-port 3401 --strict]`
// GET /v1/stats/contracts (every groupBy, 输出/吸纳 of a region, CSV) and /v1/stats/overview on N
// registered contracts; the issue's bar: groupBy=month p99 ≤ 200 ms at 1,000,000.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { flags } = parseArgs(process.argv.slice(2));
const num = (name: string, dflt: number) => numberFlag(flags, name, dflt);
const opts = {
  rows: num('rows', 1_000_000),
  batch: num('batch', 50_000),
  duration: num('duration', 5),
  warmup: num('warmup', 2),
  connections: (typeof flags.connections === 'string' ? flags.connections : '1,10').split(',').map(Number),
  appPort: num('app-port', 3401),
  only: typeof flags.only === 'string' ? flags.only.split(',') : undefined,
};
const P99_TARGET_MS = 200;

async function countRegistered(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM contracts WHERE status = 'registered' AND document_reference LIKE $1`, [`${DOCUMENT_PREFIX}%`]);
  return Number(rows[0]!.n);
}

/**
 * Bulk writes to contracts without the rollup's triggers (migration 0009): they would upsert every
 * rollup row a batch touches (12 s per 10,000 contracts here), where one aggregate at the end
 * (syncRollup) takes a minute for the million. Disabled inside the writing transaction, so a crash
 * can never leave them off.
 */
async function withoutRollupTriggers<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('ALTER TABLE contracts DISABLE TRIGGER contract_stats_rollup_insert, DISABLE TRIGGER contract_stats_rollup_delete');
    const result = await fn(client);
    await client.query('ALTER TABLE contracts ENABLE TRIGGER contract_stats_rollup_insert, ENABLE TRIGGER contract_stats_rollup_delete');
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

/** Recomputes contract_stats_rollup when its totals differ from the contracts (after a bulk load, or one interrupted). */
async function syncRollup(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ same: boolean }>(
    `SELECT (SELECT (count(*), coalesce(sum(amount_fen), 0)) FROM contracts WHERE status = 'registered')
          = (SELECT (coalesce(sum(contracts), 0), coalesce(sum(amount_fen), 0)) FROM contract_stats_rollup WHERE dimension = 'total' AND grain = 'month') AS same`,
  );
  if (rows[0]!.same) return;
  const started = performance.now();
  const { rows: built } = await pool.query<{ n: string }>('SELECT contract_stats_rollup_rebuild() AS n');
  await pool.query('VACUUM (ANALYZE) contract_stats_rollup');
  console.log(`[bench] contract_stats_rollup rebuilt from the contracts: ${Number(built[0]!.n).toLocaleString('en')} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * Fills up to `target` registered bench contracts. Batch k inserts contracts g ∈ [from, to] in one
 * statement (one transaction), so the registered ones present are always exactly g = 1…n: a run
 * resumes at n + 1, and a repeated batch changes nothing (ON CONFLICT DO NOTHING).
 */
async function fill(pool: pg.Pool, target: number, batch: number, force: boolean): Promise<{ registered: number; inserted: boolean }> {
  const { parties, ranges, registry } = benchParties();
  if (force) {
    const started = performance.now();
    // Each deleted row makes the self-referencing foreign key look for rows that supersede it;
    // without an index on supersedes_id that is a scan per row (quadratic). The application never
    // deletes contracts, so the index lives only as long as this transaction.
    const rowCount = await withoutRollupTriggers(pool, async (client) => {
      await client.query('CREATE INDEX bench_contracts_supersedes_idx ON contracts (supersedes_id)');
      const { rowCount: deleted } = await client.query(`DELETE FROM contracts WHERE document_reference LIKE $1`, [`${DOCUMENT_PREFIX}%`]);
      await client.query('DROP INDEX bench_contracts_supersedes_idx');
      return deleted;
    });
    console.log(`[bench] --force: deleted ${(rowCount ?? 0).toLocaleString('en')} bench contract rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const now = new Date();
  const orgs = [...parties, registry].map((p) => ({ id: p.id, name: p.name, kind: p.kind, region_code: p.regionCode, created_at: now, updated_at: now }));
  const users = [...parties, registry].map((p, i) => ({
    id: p.userId,
    organization_id: p.id,
    email: `filer${i}@contracts.bench.example.cn`,
    password_hash: 'bench: no login',
    display_name: `合同经办人${i}`,
    role: p === registry ? 'admin' : 'owner',
    created_at: now,
    updated_at: now,
  }));
  await checkColumns(pool, 'organizations', Object.keys(orgs[0]!));
  await checkColumns(pool, 'users', Object.keys(users[0]!));
  await checkColumns(pool, 'contracts', [...CONTRACT_COLUMNS]);
  for (let i = 0; i < orgs.length; i += 500) await insertRows(pool, 'organizations', orgs.slice(i, i + 500));
  for (let i = 0; i < users.length; i += 500) await insertRows(pool, 'users', users.slice(i, i + 500));

  let have = await countRegistered(pool);
  if (have >= target) {
    console.log(`[bench] ${have.toLocaleString('en')} registered bench contracts present: nothing to generate`);
    await syncRollup(pool);
    return { registered: have, inserted: false };
  }
  const sql = contractBatchSql(ranges);
  const params = contractBatchParams(parties, registry);
  const started = performance.now();
  const resumedAt = have;
  console.log(`[bench] generating registered contracts ${(have + 1).toLocaleString('en')}…${target.toLocaleString('en')} (${FIRST_DAY}…${LAST_DAY}), ${batch.toLocaleString('en')} per statement`);
  while (have < target) {
    const to = Math.min(target, have + batch);
    const { rowCount } = await withoutRollupTriggers(pool, (client) => client.query(sql, [have + 1, to, ...params]));
    have = to;
    const rate = Math.round((have - resumedAt) / ((performance.now() - started) / 1000));
    console.log(`[bench] contracts ${have.toLocaleString('en')}/${target.toLocaleString('en')} registered (+${(rowCount ?? 0).toLocaleString('en')} rows with their history; ${rate.toLocaleString('en')} contracts/s)`);
  }
  const vacuumStarted = performance.now();
  // Index-only scans need the visibility map, the planner the statistics: what autovacuum would do by now.
  await pool.query('VACUUM (ANALYZE) contracts');
  console.log(`[bench] generated in ${((performance.now() - started) / 1000).toFixed(1)} s (VACUUM ANALYZE ${((performance.now() - vacuumStarted) / 1000).toFixed(1)} s)`);
  await syncRollup(pool);
  return { registered: have, inserted: true };
}

interface Figures {
  count: number;
  amount: { amount: number };
  technologyAmount: { amount: number };
  previous: { count: number; amount: { amount: number }; technologyAmount: { amount: number } };
}
interface StatsBody {
  from: string;
  to: string;
  previousFrom: string;
  previousTo: string;
  totals: Figures;
  groups: ({ key: string } & Figures)[];
}

/**
 * The answer recomputed straight from the contracts table (whatever the endpoint reads): totals of
 * both periods, and per month when grouped by month. A difference fails the run.
 */
async function verify(pool: pg.Pool, body: StatsBody, query: URLSearchParams): Promise<string | undefined> {
  const regionCode = query.get('regionCode');
  const side = query.get('flow') === 'inflow' ? 'buyer_region_code' : 'seller_region_code';
  const like = regionCode === null ? null : regionCode.endsWith('0000') ? `${regionCode.slice(0, 2)}%` : regionCode.endsWith('00') ? `${regionCode.slice(0, 4)}%` : regionCode;
  const recompute = async (from: string, to: string) =>
    (
      await pool.query<{ month: string; n: string; amount: string; tech: string }>(
        `SELECT to_char(registered_on, 'YYYY-MM') AS month, count(*) AS n, sum(amount_fen) AS amount, sum(technology_amount_fen) AS tech
           FROM contracts WHERE status = 'registered' AND registered_on BETWEEN $1 AND $2 AND ($3::text IS NULL OR ${side} LIKE $3)
          GROUP BY 1`,
        [from, to, like],
      )
    ).rows.map((r) => ({ month: r.month, n: Number(r.n), amount: Number(r.amount), tech: Number(r.tech) }));
  const total = (rows: { n: number; amount: number; tech: number }[]) => rows.reduce((s, r) => ({ n: s.n + r.n, amount: s.amount + r.amount, tech: s.tech + r.tech }), { n: 0, amount: 0, tech: 0 });
  const current = await recompute(body.from, body.to);
  const previous = await recompute(body.previousFrom, body.previousTo);
  const want = { current: total(current), previous: total(previous) };
  const got = {
    current: { n: body.totals.count, amount: body.totals.amount.amount, tech: body.totals.technologyAmount.amount },
    previous: { n: body.totals.previous.count, amount: body.totals.previous.amount.amount, tech: body.totals.previous.technologyAmount.amount },
  };
  if (JSON.stringify(want) !== JSON.stringify(got)) return `totals ${JSON.stringify(got)} differ from the table's ${JSON.stringify(want)}`;
  if (query.get('groupBy') === 'month') {
    for (const m of current) {
      const g = body.groups.find((x) => x.key === m.month);
      if (!g || g.count !== m.n || g.amount.amount !== m.amount || g.technologyAmount.amount !== m.tech) return `month ${m.month}: ${JSON.stringify(g)} differs from the table's ${JSON.stringify(m)}`;
    }
  }
  return undefined;
}

interface Scenario {
  name: string;
  path: string;
  csv?: boolean;
  /** the issue's bar applies */
  target?: boolean;
}

const GROUPS = ['type', 'category', 'subtype', 'field', 'domain', 'region', 'province', 'sellerKind', 'ipType', 'goal', 'industry'];
const SCENARIOS: Scenario[] = [
  { name: 'month-ytd', path: '/v1/stats/contracts?groupBy=month', target: true },
  { name: 'totals-ytd', path: '/v1/stats/contracts' },
  { name: 'month-all-years', path: `/v1/stats/contracts?groupBy=month&from=${FIRST_DAY}&to=2026-12-31` },
  { name: 'year-all-years', path: `/v1/stats/contracts?groupBy=year&from=${FIRST_DAY}&to=2026-12-31` },
  ...GROUPS.map((g) => ({ name: `${g}-ytd`, path: `/v1/stats/contracts?groupBy=${g}` })),
  { name: 'outflow-hlj-month', path: '/v1/stats/contracts?groupBy=month&flow=outflow&regionCode=230000' },
  { name: 'inflow-harbin-month', path: '/v1/stats/contracts?groupBy=month&flow=inflow&regionCode=230100' },
  { name: 'inflow-hlj-type', path: '/v1/stats/contracts?groupBy=type&flow=inflow&regionCode=230000' },
  { name: 'outflow-hlj-buyer-province', path: '/v1/stats/contracts?groupBy=province&flow=outflow&regionCode=230000' },
  { name: 'month-ytd-csv', path: '/v1/stats/contracts?groupBy=month', csv: true },
  { name: 'overview', path: '/v1/stats/overview' },
];

const database = await openBenchDatabase({
  dataDir: typeof flags['data-dir'] === 'string' ? flags['data-dir'] : '.data/bench-contracts',
  pgPort: num('pg-port', 54340),
});
let server: Awaited<ReturnType<typeof startAppServer>> | undefined;
process.once('SIGINT', () => void (server?.stop() ?? Promise.resolve()).then(() => database.close()).finally(() => process.exit(130)));
try {
  const pool = database.infra.database.pool;
  const filled = flags['skip-fill'] === true ? { registered: await countRegistered(pool), inserted: false } : await fill(pool, opts.rows, opts.batch, flags.force === true);
  if (flags['skip-fill'] === true) await syncRollup(pool);
  const dataset = (
    await pool.query<Record<string, string>>(
      `SELECT count(*) FILTER (WHERE status = 'registered') AS registered, count(*) FILTER (WHERE status <> 'registered') AS "notCounted",
              count(*) FILTER (WHERE status = 'superseded') AS superseded, count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
              count(*) FILTER (WHERE status = 'rejected') AS rejected, count(*) FILTER (WHERE status IN ('submitted','material_requested')) AS pending,
              pg_size_pretty(pg_total_relation_size('contracts')) AS "tableWithIndexes"
         FROM contracts`,
    )
  ).rows[0]!;
  console.log(`[bench] contracts: ${JSON.stringify(dataset)}`);

  server = await startAppServer(database, opts.appPort);
  const postgres = database.infra.embedded ? postmasterPid(database.config.DATA_DIR) : undefined;
  const loadAverageAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const results = [];
  for (const s of SCENARIOS.filter((x) => !opts.only || opts.only.includes(x.name))) {
    const headers = { accept: s.csv ? 'text/csv' : 'application/json' };
    const url = server.url + s.path;
    const started = performance.now();
    const res = await fetch(url, { headers });
    const firstMs = Math.round(performance.now() - started);
    if (res.status !== 200) throw new Error(`${s.name}: GET ${s.path}: ${res.status} ${await res.text()}`);
    if (s.csv) {
      // fetch's text() drops the byte-order mark the endpoint writes for Excel.
      const lines = (await res.text()).replace(/^\uFEFF/, '').trimEnd().split('\r\n');
      if (!lines[0]!.startsWith('key,label,count') || !lines.at(-1)!.startsWith('total,') || lines.length < 3) throw new Error(`${s.name}: unexpected CSV ${lines.slice(0, 2).join(' | ')}`);
    } else if (s.path.startsWith('/v1/stats/contracts')) {
      const problem = await verify(pool, (await res.json()) as StatsBody, new URL(url).searchParams);
      if (problem) throw new Error(`${s.name}: ${problem}`);
    } else await res.arrayBuffer();
    for (const connections of opts.connections) {
      await autocannon({ url, headers, connections, duration: opts.warmup });
      const cpuBefore = { server: cpuMsOfTree(server.child.pid), postgres: cpuMsOfTree(postgres) };
      const r = await autocannon({ url, headers, connections, duration: opts.duration });
      const perRequest = (before: number | undefined, after: number | undefined) =>
        before === undefined || after === undefined ? null : Math.round(((after - before) / Math.max(1, r.requests.total)) * 100) / 100;
      const m = {
        name: s.name,
        path: s.path,
        connections,
        firstRequestMs: firstMs,
        reqPerSec: Math.round(r.requests.average * 10) / 10,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        maxMs: r.latency.max,
        requests: r.requests.total,
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
        cpuMsPerRequest: { server: perRequest(cpuBefore.server, cpuMsOfTree(server.child.pid)), postgres: perRequest(cpuBefore.postgres, cpuMsOfTree(postgres)) },
        ...(s.target ? { p99TargetMs: P99_TARGET_MS, pass: r.latency.p99 <= P99_TARGET_MS && r.non2xx === 0 && r.errors === 0 && r.requests.total > 0 } : {}),
      };
      console.log(`[bench] ${s.name} ×${connections}: ${m.reqPerSec} req/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms${m.non2xx || m.errors ? `, ${m.non2xx} non-2xx, ${m.errors} errors` : ''}`);
      results.push(m);
    }
  }
  const loadAverageAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  await server.stop();
  server = undefined;

  const report = {
    at: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      node: process.version,
      postgres: (await pool.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version,
      loadAverageAtStart,
      loadAverageAtEnd,
    },
    options: { ...opts, only: opts.only ?? null },
    dataset: { ...dataset, generatedNow: filled.inserted },
    results,
  };
  const outDir = path.resolve(root, 'bench/results');
  await mkdir(outDir, { recursive: true });
  const outFile = path.join(outDir, `contract-stats-${report.at.replace(/:/g, '-').replace(/\..*$/, '')}.json`);
  await writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);

  console.log(`\n${report.machine.cores} × ${report.machine.cpu}, Node ${report.machine.node}, PostgreSQL ${report.machine.postgres}; load average ${loadAverageAtStart.join(' ')} at start, ${loadAverageAtEnd.join(' ')} at end`);
  console.log(`${Number(dataset.registered).toLocaleString('en')} registered contracts (+${Number(dataset.notCounted).toLocaleString('en')} rows that must not count); ${opts.duration} s per run after ${opts.warmup} s warm-up\n`);
  console.log('| scenario | request | connections | req/s | p50 ms | p99 ms | max ms | CPU ms/req app · PG | result |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---|');
  const cpu = (x: number | null) => (x === null ? '–' : x.toFixed(1));
  for (const m of results) {
    const verdict = 'pass' in m ? (m.pass ? `pass (≤ ${P99_TARGET_MS} ms)` : `FAIL (> ${P99_TARGET_MS} ms)`) : '';
    console.log(`| ${m.name} | \`${m.path.replace('/v1/stats/', '')}\` | ${m.connections} | ${m.reqPerSec} | ${m.p50Ms} | ${m.p99Ms} | ${m.maxMs} | ${cpu(m.cpuMsPerRequest.server)} · ${cpu(m.cpuMsPerRequest.postgres)} | ${verdict} |`);
  }
  console.log(`\nresults written to ${path.relative(root, outFile)}`);
  const broken = results.some((m) => m.non2xx > 0 || m.errors > 0 || m.requests === 0);
  if (broken || (flags.strict === true && results.some((m) => 'pass' in m && !m.pass))) process.exitCode = 1;
} finally {
  await server?.stop();
  await database.close();
}
