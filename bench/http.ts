import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Request, type Result } from 'autocannon';
import { fail, numberFlag, parseArgs } from '../src/cli/args.js';
import { cpuMsOfTree, postmasterPid } from './cpu.js';
import { benchDatabaseFlags, openBenchDatabase } from './db.js';
import { generate, generateFlags } from './generate.js';
import { brokerToken, ensureSearchIndex, searchQueries } from './setup.js';

// `npm run bench:http [-- --duration 10 --warmup 3 --connections 50 --only achievement-get --force --skip-generate --strict --cpu-prof DIR]`
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { flags } = parseArgs(process.argv.slice(2));
const num = (name: string, dflt: number) => numberFlag(flags, name, dflt);
const opts = {
  duration: num('duration', 10),
  warmup: num('warmup', 3),
  connections: num('connections', 50),
  pipelining: num('pipelining', 1),
  helloPort: num('hello-port', 3398),
  appPort: num('app-port', 3399),
  only: typeof flags.only === 'string' ? flags.only.split(',') : undefined,
  /** write a V8 CPU profile of the application process into this directory (node --cpu-prof) */
  cpuProf: typeof flags['cpu-prof'] === 'string' ? path.resolve(flags['cpu-prof']) : undefined,
};

interface Scenario {
  name: string;
  /** what the table shows; the first request's path for rotating scenarios */
  path: string;
  server: 'hello' | 'app';
  /** minimum share of the hello-world req/s; undefined for the baseline itself */
  target?: number;
  /** highest acceptable p99 latency in ms */
  p99MaxMs?: number;
  headers?: Record<string, string>;
  requests?: Request[];
  /** checks one response before measuring, so a broken route is not benchmarked as a fast 404 */
  expect: (status: number, body: unknown) => string | undefined;
}

const listOf = (min: number) => (status: number, body: unknown) => {
  const items = (body as { items?: unknown[] } | null)?.items;
  if (status !== 200 || !Array.isArray(items)) return `expected 200 with items, got ${status}`;
  return items.length < min ? `expected a full page of ${min}, got ${items.length}` : undefined;
};

const children: ChildProcess[] = [];
async function startServer(name: string, file: string, env: NodeJS.ProcessEnv, readyUrl: string, nodeFlags: string[] = []): Promise<ChildProcess> {
  // node --import tsx: one process per server (the tsx CLI would add a wrapper process).
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', file], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before it was ready`))));
  const ready = (async () => {
    for (let i = 0; i < 600; i++) {
      try {
        if ((await fetch(readyUrl)).ok) return child;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${name} did not answer ${readyUrl} within 60 s`);
  })();
  return Promise.race([ready, exited]);
}

async function stopServers() {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
}

interface Measured {
  name: string;
  path: string;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  bytesPerResponse: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** CPU milliseconds per request: the server process, PostgreSQL (embedded only), this load generator */
  cpuMsPerRequest: { server: number | null; postgres: number | null; loadGenerator: number };
  ratio?: number;
  target?: number;
  p99MaxMs?: number;
  pass?: boolean;
}

const servers: Partial<Record<Scenario['server'], ChildProcess>> = {};
let postgresPid: number | undefined;

async function measure(s: Scenario): Promise<Measured> {
  const base = `http://127.0.0.1:${s.server === 'hello' ? opts.helloPort : opts.appPort}`;
  const res = await fetch(base + s.path, { headers: s.headers ?? {} });
  const problem = s.expect(res.status, await res.json().catch(() => null));
  if (problem) throw new Error(`${s.name}: GET ${s.path}: ${problem}`);
  const run = (duration: number): PromiseLike<Result> =>
    autocannon({
      url: base + s.path,
      connections: opts.connections,
      pipelining: opts.pipelining,
      duration,
      ...(s.headers ? { headers: s.headers } : {}),
      ...(s.requests ? { requests: s.requests } : {}),
    });
  await run(opts.warmup);
  const cpuBefore = { server: cpuMsOfTree(servers[s.server]?.pid), postgres: cpuMsOfTree(postgresPid), self: process.cpuUsage() };
  const r = await run(opts.duration);
  const perRequest = (before: number | undefined, after: number | undefined) =>
    before === undefined || after === undefined ? null : Math.round(((after - before) / Math.max(1, r.requests.total)) * 1000) / 1000;
  const self = process.cpuUsage(cpuBefore.self);
  const m: Measured = {
    name: s.name,
    path: s.path,
    reqPerSec: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    bytesPerResponse: Math.round(r.throughput.average / Math.max(1, r.requests.average)),
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    cpuMsPerRequest: {
      server: perRequest(cpuBefore.server, cpuMsOfTree(servers[s.server]?.pid)),
      postgres: s.server === 'app' ? perRequest(cpuBefore.postgres, cpuMsOfTree(postgresPid)) : null,
      loadGenerator: perRequest(0, (self.user + self.system) / 1000)!,
    },
  };
  console.log(`[bench] ${s.name}: ${m.reqPerSec.toLocaleString('en')} req/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms${m.non2xx || m.errors ? `, ${m.non2xx} non-2xx, ${m.errors} errors` : ''}`);
  return { ...m, ...(s.target !== undefined ? { target: s.target } : {}), ...(s.p99MaxMs !== undefined ? { p99MaxMs: s.p99MaxMs } : {}) };
}

const database = await openBenchDatabase(benchDatabaseFlags(flags));
const cleanup = async () => {
  await stopServers();
  await database.close();
};
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

try {
  const pool = database.infra.database.pool;
  const dataset = flags['skip-generate'] === true ? undefined : await generate(pool, generateFlags(flags));
  const { rows: idRows } = await pool.query<{ id: string }>(
    `SELECT id FROM achievements WHERE status = 'published' AND valid_until > now() ORDER BY random() LIMIT 5000`,
  );
  const ids = idRows.map((r) => r.id);
  if (ids.length === 0) fail('the bench database has no published achievements: run without --skip-generate');
  const { rows: needRows } = await pool.query<{ id: string }>(
    `SELECT id FROM needs WHERE status = 'published' AND valid_until > now() ORDER BY random() LIMIT 2000`,
  );
  const needIds = needRows.map((r) => r.id);
  const rotating = (paths: string[]): Request => {
    let next = 0;
    return { method: 'GET', setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length]! }) };
  };
  const achievementPaths = ids.map((id) => `/v1/achievements/${id}`);
  const searchPaths = searchQueries();
  const matchPaths = needIds.map((id) => `/v1/needs/${id}/matches?limit=20`);
  const selected = (name: string) => !opts.only || opts.only.includes(name);
  // Search and matching read the PostgresEngine's index, which the generator does not fill.
  if (selected('search-achievements') || selected('need-matches')) await ensureSearchIndex(database);

  const serverEnv = { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  servers.hello = await startServer('hello-world', 'bench/hello.ts', { ...serverEnv, PORT: String(opts.helloPort) }, `http://127.0.0.1:${opts.helloPort}/`);
  // Production settings against the bench database: no seeding, warn-level logs, its signing key.
  const pem = await readFile(path.resolve(root, database.config.DATA_DIR, 'jwt-ed25519.pem'), 'utf8');
  servers.app = await startServer(
    'application',
    'src/server.ts',
    { ...serverEnv, NODE_ENV: 'production', PORT: String(opts.appPort), DATABASE_URL: database.url, SEED: 'false', JWT_PRIVATE_KEY: pem, DATA_DIR: database.config.DATA_DIR },
    `http://127.0.0.1:${opts.appPort}/readyz`,
    opts.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProf] : [],
  );
  const broker = selected('need-matches') ? { authorization: `Bearer ${await brokerToken(`http://127.0.0.1:${opts.appPort}`)}` } : undefined;

  const allScenarios: Scenario[] = [
    { name: 'hello-world', path: '/', server: 'hello', expect: (st) => (st === 200 ? undefined : `status ${st}`) },
    {
      name: 'achievement-get',
      path: achievementPaths[0]!,
      server: 'app',
      target: 0.3,
      requests: [rotating(achievementPaths)],
      expect: (st, b) => (st === 200 && (b as { id?: string }).id === ids[0] ? undefined : `status ${st}`),
    },
    { name: 'achievements-list-field', path: '/v1/achievements?field=HLJ.4&limit=20', server: 'app', target: 0.15, expect: listOf(20) },
    { name: 'achievements-list-subfield-trl', path: '/v1/achievements?field=HLJ.5.03&trlMin=6&limit=20', server: 'app', target: 0.15, expect: listOf(20) },
    { name: 'needs-list-field', path: '/v1/needs?field=HLJ.5&limit=20', server: 'app', target: 0.15, expect: listOf(20) },
    {
      name: 'search-achievements',
      path: searchPaths[0]!,
      server: 'app',
      target: 0.1,
      p99MaxMs: 25,
      requests: [rotating(searchPaths)],
      expect: (st, b) => listOf(1)(st, b) ?? ((b as { engine?: string }).engine === 'postgres' ? undefined : 'expected the postgres engine'),
    },
    {
      name: 'need-matches',
      path: matchPaths[0] ?? '/v1/needs/none/matches',
      server: 'app',
      p99MaxMs: 60,
      ...(broker ? { headers: broker } : {}),
      requests: [rotating(matchPaths)],
      expect: listOf(1),
    },
    { name: 'hello-world-again', path: '/', server: 'hello', expect: (st) => (st === 200 ? undefined : `status ${st}`) },
  ];
  const scenarios = allScenarios.filter((s) => s.server === 'hello' || selected(s.name));

  // Only a cluster this run started is ours to account; an external DATABASE_URL may be shared.
  if (database.infra.embedded) postgresPid = postmasterPid(database.config.DATA_DIR);
  const loadBefore = os.loadavg();
  const measured: Measured[] = [];
  for (const s of scenarios) measured.push(await measure(s));
  const hellos = measured.filter((m) => m.name.startsWith('hello-world'));
  const baseline = hellos.reduce((sum, m) => sum + m.reqPerSec, 0) / hellos.length;
  for (const m of measured) {
    if (m.name.startsWith('hello-world')) continue;
    m.ratio = Math.round((m.reqPerSec / baseline) * 1000) / 1000;
    if (m.target === undefined && m.p99MaxMs === undefined) continue;
    const fastEnough = (m.target === undefined || m.ratio >= m.target) && (m.p99MaxMs === undefined || m.p99Ms <= m.p99MaxMs);
    m.pass = fastEnough && m.non2xx === 0 && m.errors === 0 && m.requests > 0;
  }

  const counts = (
    await pool.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM achievements) AS achievements,
              (SELECT count(*) FROM achievements WHERE status = 'published') AS published_achievements,
              (SELECT count(*) FROM needs) AS needs,
              (SELECT count(*) FROM achievements WHERE status = 'published' AND field_path_codes @> '{HLJ.4}') AS "field=HLJ.4",
              (SELECT count(*) FROM achievements WHERE status = 'published' AND field_path_codes @> '{HLJ.5.03}' AND trl >= 6) AS "field=HLJ.5.03&trlMin=6",
              (SELECT count(*) FROM needs WHERE status = 'published' AND field_path_codes @> '{HLJ.5}') AS "needs field=HLJ.5",
              (SELECT count(*) FROM search_documents) AS search_documents`,
    )
  ).rows[0]!;
  const pgVersion = (await pool.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: pgVersion,
    loadAverageAtStart: loadBefore.map((x) => Math.round(x * 100) / 100),
  };
  const report = {
    at: new Date().toISOString(),
    machine,
    options: { ...opts, only: opts.only ?? null },
    dataset: { ...Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)])), generated: dataset ? !dataset.skipped : false },
    helloWorldBaseline: Math.round(baseline),
    results: measured,
  };
  const outDir = path.resolve(root, 'bench/results');
  await mkdir(outDir, { recursive: true });
  const outFile = path.join(outDir, `http-${report.at.replace(/:/g, '-').replace(/\..*$/, '')}.json`);
  await writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);

  const fmt = (n: number) => n.toLocaleString('en');
  console.log(`\n${machine.cores} × ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.postgres}; ${opts.connections} connections, ${opts.duration} s each after ${opts.warmup} s warm-up\n`);
  const cpu = (x: number | null) => (x === null ? '–' : x.toFixed(2));
  console.log('| scenario | request | req/s | p50 ms | p99 ms | bytes | CPU ms/req server · PG · autocannon | ratio to hello | target | result |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const m of measured) {
    const verdict = m.pass === undefined ? '' : m.pass ? 'pass' : 'FAIL';
    const target = [m.target === undefined ? '' : `≥ ${m.target * 100}%`, m.p99MaxMs === undefined ? '' : `p99 ≤ ${m.p99MaxMs} ms`].filter(Boolean).join(', ');
    const shown = decodeURIComponent(m.path).replace(/[0-9a-f-]{36}/, '{id}');
    console.log(`| ${m.name} | \`${shown}\` | ${fmt(m.reqPerSec)} | ${m.p50Ms} | ${m.p99Ms} | ${fmt(m.bytesPerResponse)} | ${cpu(m.cpuMsPerRequest.server)} · ${cpu(m.cpuMsPerRequest.postgres)} · ${cpu(m.cpuMsPerRequest.loadGenerator)} | ${m.ratio === undefined ? '' : `${(m.ratio * 100).toFixed(1)}%`} | ${target} | ${verdict} |`);
  }
  console.log(`\nresults written to ${path.relative(root, outFile)}`);
  // No completed request within the run (every one slower than --duration) is a failure too.
  const broken = measured.some((m) => m.non2xx > 0 || m.errors > 0 || m.requests === 0);
  if (broken || (flags.strict === true && measured.some((m) => m.pass === false))) process.exitCode = 1;
} finally {
  await cleanup();
}
