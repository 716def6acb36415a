import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberFlag, parseArgs } from '../src/cli/args.js';
import { commandLine, descendants, peakRssKb } from './cpu.js';
import { benchDatabaseFlags, openBenchDatabase } from './db.js';

// `npm run bench [-- --only http,stats,freshness,bids,match (or http scenarios: --only achievement-get) --duration 10 --warmup 3 --connections 50
//   --skip-generate --achievements N --needs N --rows N --count N --data-dir .data/bench --pg-port 54339 --no-write --strict]`
// A run with --only prints its report but leaves BENCHMARKS.md alone.
//
// One report for every scenario of the issues, on one generated data set (100,000 achievements,
// 20,000 needs, 1,000,000 registered contracts in `.data/bench`): each part is its own script (also
// runnable alone, `npm run bench:<part>`), started here one after another against the same
// database; this process follows each part's application server in /proc for its peak RSS, reads
// the JSON each part writes, and replaces the generated section of BENCHMARKS.md.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const { flags } = parseArgs(argv);
const PARTS = ['http', 'stats', 'freshness', 'bids', 'match'] as const;
type PartName = (typeof PARTS)[number];
// --only takes parts, or scenarios of the http part (`--only achievement-get`), which run that part alone.
const requested = typeof flags.only === 'string' ? flags.only.split(',') : [...PARTS];
const httpScenarios = requested.filter((x) => !(PARTS as readonly string[]).includes(x));
const only = (httpScenarios.length > 0 ? ['http', ...requested.filter((x) => x !== 'http' && (PARTS as readonly string[]).includes(x))] : requested) as PartName[];
const db = benchDatabaseFlags(flags);
const shared = ['--data-dir', db.dataDir, '--pg-port', String(db.pgPort)];
const pass = (...names: string[]) => names.flatMap((n) => (flags[n] === undefined ? [] : flags[n] === true ? [`--${n}`] : [`--${n}`, String(flags[n])]));
numberFlag(flags, 'duration', 10);
numberFlag(flags, 'warmup', 3);
numberFlag(flags, 'connections', 50);

interface Part {
  name: PartName;
  title: string;
  script: string;
  args: string[];
}

const parts: Part[] = [
  { name: 'http', title: 'reads, search and matches (issues 2, 3)', script: 'bench/http.ts', args: [...shared, ...pass('duration', 'warmup', 'connections', 'skip-generate', 'cpu-prof', 'achievements', 'needs'), ...(httpScenarios.length ? ['--only', httpScenarios.join(',')] : [])] },
  // 1,000,000 registered contracts are added to the same database on the first run.
  { name: 'stats', title: 'contract statistics (issue 5)', script: 'bench/contract-stats.ts', args: [...shared, '--connections', '1,10', ...pass('duration', 'warmup', 'rows')] },
  { name: 'freshness', title: 'search freshness (issue 3)', script: 'bench/search-freshness.ts', args: [...shared, ...pass('achievements', 'needs', 'count')] },
  { name: 'bids', title: 'bids (issue 4)', script: 'bench/bids.ts', args: [...shared, ...pass('duration', 'warmup')] },
  // Matching quality needs the labelled evaluation set, which is its own small database by design.
  { name: 'match', title: 'matching quality (issue 3)', script: 'bench/match.ts', args: [] },
].filter((p) => only.includes(p.name as PartName)) as Part[];

interface PartRun {
  name: PartName;
  title: string;
  command: string;
  exitCode: number | null;
  seconds: number;
  resultFile?: string;
  result?: Record<string, unknown>;
  /** peak RSS of each application server (src/server.ts) the part started, MiB */
  serverPeakRssMiB: number[];
  meilisearchPeakRssMiB: number[];
}

/** Runs one part, echoing its output, and follows the servers it starts. */
async function runPart(part: Part): Promise<PartRun> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', part.script, ...part.args], { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
  let resultFile: string | undefined;
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const m = /results written to (\S+\.json)/.exec(line);
      if (m) resultFile = m[1];
    }
  });
  // VmHWM is a high-water mark: the last reading before a server exits covers its whole life, so
  // polling four times a second loses at most the growth of its final quarter second.
  const peaks = new Map<number, { kind: 'server' | 'meilisearch'; kb: number }>();
  const follow = setInterval(() => {
    if (child.pid === undefined) return;
    for (const pid of descendants(child.pid)) {
      const cmd = commandLine(pid);
      const kind = cmd.includes('src/server.ts') ? 'server' : /meilisearch/.test(cmd) && !cmd.includes('tsx') ? 'meilisearch' : undefined;
      if (!kind) continue;
      const kb = peakRssKb(pid);
      if (kb !== undefined) peaks.set(pid, { kind, kb: Math.max(kb, peaks.get(pid)?.kb ?? 0) });
    }
  }, 250);
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearInterval(follow);
  const mib = (kind: 'server' | 'meilisearch') => [...peaks.values()].filter((p) => p.kind === kind).map((p) => Math.round(p.kb / 1024));
  const run: PartRun = {
    name: part.name,
    title: part.title,
    command: `node --import tsx ${part.script} ${part.args.join(' ')}`.trim(),
    exitCode,
    seconds: Math.round((performance.now() - started) / 1000),
    serverPeakRssMiB: mib('server'),
    meilisearchPeakRssMiB: mib('meilisearch'),
  };
  if (resultFile) {
    run.resultFile = path.relative(root, path.resolve(root, resultFile));
    run.result = JSON.parse(await readFile(path.resolve(root, resultFile), 'utf8')) as Record<string, unknown>;
  }
  return run;
}

const loadAtStart = os.loadavg();
const startedAt = new Date();
const runs: PartRun[] = [];
for (const part of parts) {
  console.log(`\n[bench] === ${part.name}: ${part.title}`);
  runs.push(await runPart(part));
}
const loadAtEnd = os.loadavg();

// The data set as the parts left it (the bid part adds its auctions' rows).
const database = await openBenchDatabase(db);
const counts = await (async () => {
  try {
    return (
      await database.infra.database.pool.query<Record<string, string>>(
        `SELECT (SELECT count(*) FROM achievements) AS achievements, (SELECT count(*) FROM achievements WHERE status = 'published') AS "published achievements",
                (SELECT count(*) FROM needs) AS needs, (SELECT count(*) FROM contracts) AS contracts,
                (SELECT count(*) FROM contracts WHERE status = 'registered') AS "registered contracts", (SELECT count(*) FROM bids) AS bids,
                current_setting('server_version') AS postgres`,
      )
    ).rows[0]!;
  } finally {
    await database.close();
  }
})();

// ---- the report -------------------------------------------------------------------------------
// The shapes of the JSON each part writes (bench/http.ts, contract-stats.ts, search-freshness.ts, bids.ts, match.ts).
interface HttpResult {
  helloWorldBaseline: number;
  options: { connections: number };
  results: { name: string; path: string; reqPerSec: number; p50Ms: number; p99Ms: number; requests: number; target?: number; p99MaxMs?: number; pass?: boolean }[];
}
interface StatsResult {
  results: { name: string; path: string; connections: number; reqPerSec: number; p50Ms: number; p99Ms: number; p99TargetMs?: number; pass?: boolean }[];
}
interface FreshnessResult {
  options: { count: number };
  results: Record<string, { count: number; missed: number; p50Ms: number; p99Ms: number }>;
}
interface BidsResult {
  options: { connections: number };
  results: { name: string; auctions: number; acceptedPerSecond: number; requestsPerSecond: number; p50Ms: number; p99Ms: number; invariants: { violations: number } }[];
}
interface MatchResult {
  judgedNeeds: number;
  matcher: { ndcg: number; recall: number };
  baseline: { ndcg: number; recall: number };
}
type Row = { part: string; scenario: string; request: string; connections: string; rate: string; p50: string; p99: string; ratio: string; target: string; result: string };
const fmt = (n: number) => n.toLocaleString('en');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const resultOf = <T>(name: PartName) => runs.find((r) => r.name === name)?.result as T | undefined;
const http = resultOf<HttpResult>('http');
const hello = http?.helloWorldBaseline;
const ratio = (rate: number) => (hello ? pct(rate / hello) : '–');
const rows: Row[] = [];
const verdict = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? 'pass' : '**FAIL**');

if (http) {
  for (const m of http.results) {
    const shown = decodeURIComponent(m.path).replace(/[0-9a-f-]{36}/, '{id}');
    const target = [m.target === undefined ? '' : `≥ ${m.target * 100}%`, m.p99MaxMs === undefined ? '' : `p99 ≤ ${m.p99MaxMs} ms`].filter(Boolean).join(', ');
    const done = m.requests > 0;
    rows.push({
      part: 'http',
      scenario: m.name,
      request: `\`GET ${shown}\``,
      connections: String(http.options.connections),
      rate: done ? `${fmt(m.reqPerSec)} req/s` : 'none completed',
      p50: done ? String(m.p50Ms) : '–',
      p99: done ? String(m.p99Ms) : '–',
      ratio: m.name.startsWith('hello-world') ? '' : ratio(m.reqPerSec),
      target,
      result: verdict(m.pass),
    });
  }
}
const stats = resultOf<StatsResult>('stats');
if (stats) {
  for (const m of stats.results) {
    rows.push({
      part: 'stats',
      scenario: m.name,
      request: `\`GET ${m.path}\``,
      connections: String(m.connections),
      rate: `${fmt(m.reqPerSec)} req/s`,
      p50: String(m.p50Ms),
      p99: String(m.p99Ms),
      ratio: ratio(m.reqPerSec),
      target: m.p99TargetMs ? `p99 ≤ ${m.p99TargetMs} ms` : '',
      result: verdict(m.pass),
    });
  }
}
const fresh = resultOf<FreshnessResult>('freshness');
if (fresh) {
  for (const [engine, r] of Object.entries(fresh.results)) {
    rows.push({
      part: 'freshness',
      scenario: `publish → searchable (${engine})`,
      request: `${fresh.options.count} × \`POST …/review\`, then \`GET /v1/search\` until found`,
      connections: '1',
      rate: `${r.count - r.missed} of ${r.count} found`,
      p50: String(r.p50Ms),
      p99: String(r.p99Ms),
      ratio: '',
      target: 'p99 ≤ 1,000 ms',
      result: verdict(r.p99Ms <= 1_000 && r.missed === 0),
    });
  }
}
const bids = resultOf<BidsResult>('bids');
if (bids) {
  for (const m of bids.results) {
    rows.push({
      part: 'bids',
      scenario: m.name,
      request: `\`POST /v1/listings/{id}/bids\` (${m.auctions} auction${m.auctions === 1 ? '' : 's'})`,
      connections: String(bids.options.connections),
      rate: `${fmt(m.acceptedPerSecond)} accepted bids/s (${fmt(m.requestsPerSecond)} req/s)`,
      p50: String(m.p50Ms),
      p99: String(m.p99Ms),
      ratio: ratio(m.acceptedPerSecond),
      target: m.name === 'hot-auction' ? '≥ 1,000 accepted/s, 0 violations' : '0 violations',
      result: `${verdict(m.invariants.violations === 0 && (m.name !== 'hot-auction' || m.acceptedPerSecond >= 1_000))} (${m.invariants.violations} violations)`,
    });
  }
}
const match = resultOf<MatchResult>('match');

const failedParts = runs.filter((r) => r.exitCode !== 0);
const allServerPeaks = runs.flatMap((r) => r.serverPeakRssMiB);
const lines: string[] = [];
const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
lines.push(
  `Run of ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, \`${command}\`, ${Math.round((Date.now() - startedAt.getTime()) / 60_000)} min. ` +
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}, PostgreSQL ${counts.postgres}. ` +
    `Load average (1/5/15 min) ${loadAtStart.map((x) => x.toFixed(2)).join(' ')} at the start, ${loadAtEnd.map((x) => x.toFixed(2)).join(' ')} at the end.`,
  '',
  `Data set (\`${db.dataDir}\`, after the run): ${fmt(Number(counts.achievements))} achievements (${fmt(Number(counts['published achievements']))} published), ` +
    `${fmt(Number(counts.needs))} needs, ${fmt(Number(counts.contracts))} contracts (${fmt(Number(counts['registered contracts']))} registered), ${fmt(Number(counts.bids))} bids. ` +
    (hello ? `Hello-world baseline ${fmt(hello)} req/s (mean of its measurements before and after the HTTP scenarios); every ratio below is to it.` : 'No hello-world baseline (the http part did not run): no ratios.'),
  '',
  '| part | scenario | request | connections | throughput | p50 ms | p99 ms | ratio to hello | target | result |',
  '|---|---|---|---:|---:|---:|---:|---:|---|---|',
  ...rows.map((r) => `| ${r.part} | ${r.scenario} | ${r.request.replace(/\|/g, '\\|')} | ${r.connections} | ${r.rate} | ${r.p50} | ${r.p99} | ${r.ratio} | ${r.target} | ${r.result} |`),
  '',
);
if (match) {
  const m = match.matcher;
  const b = match.baseline;
  lines.push(
    `Matching quality (labelled set of ${match.judgedNeeds} needs, its own database; \`bench/match-eval/README.md\`): matcher nDCG@10 ${pct(m.ndcg)}, recall@10 ${pct(m.recall)}; ` +
      `character-bigram TF-IDF baseline nDCG@10 ${pct(b.ndcg)}, recall@10 ${pct(b.recall)}: ${m.ndcg > b.ndcg ? 'the matcher wins' : '**the matcher loses**'}.`,
    '',
  );
}
lines.push(
  `Peak RSS of the application server: ${allServerPeaks.length ? `${fmt(Math.max(...allServerPeaks))} MiB at most` : 'not measured'} ` +
    `(${runs.map((r) => `${r.name} ${r.serverPeakRssMiB.length ? r.serverPeakRssMiB.map(fmt).join(' / ') : '–'} MiB`).join('; ')}; one figure per server process the part started)` +
    (runs.some((r) => r.meilisearchPeakRssMiB.length) ? `; Meilisearch ${runs.flatMap((r) => r.meilisearchPeakRssMiB).map(fmt).join(' / ')} MiB` : '') +
    '.',
  '',
  `Parts: ${runs.map((r) => `${r.name} ${r.seconds} s${r.exitCode === 0 ? '' : ` (**exit ${r.exitCode}**)`}${r.resultFile ? `, \`${r.resultFile}\`` : ''}`).join('; ')}.`,
);
if (failedParts.length) lines.push('', `**Failed parts:** ${failedParts.map((r) => `${r.name} (exit ${r.exitCode})`).join(', ')}; their rows are missing or partial.`);

const section = lines.join('\n');
console.log(`\n${section}\n`);
const outDir = path.resolve(root, 'bench/results');
await mkdir(outDir, { recursive: true });
const reportFile = path.join(outDir, `report-${startedAt.toISOString().replace(/:/g, '-').replace(/\..*$/, '')}.json`);
await writeFile(reportFile, `${JSON.stringify({ at: startedAt.toISOString(), command, loadAtStart, loadAtEnd, counts, runs: runs.map(({ result: _r, ...r }) => r), rows }, null, 2)}\n`);
console.log(`report written to ${path.relative(root, reportFile)}`);

// The generated section sits between two markers; everything else in BENCHMARKS.md is prose kept by hand.
const BEGIN = '<!-- bench-report:begin (generated by `npm run bench`; edits inside are overwritten) -->';
const END = '<!-- bench-report:end -->';
// Only a complete run replaces the report (a partial one, --only …, prints it and keeps its JSON).
if (flags['no-write'] !== true && flags.only === undefined) {
  const file = path.resolve(root, 'BENCHMARKS.md');
  const doc = await readFile(file, 'utf8');
  const block = `${BEGIN}\n${section}\n${END}`;
  const b = doc.indexOf(BEGIN);
  const e = doc.indexOf(END);
  const next =
    b >= 0 && e > b
      ? doc.slice(0, b) + block + doc.slice(e + END.length)
      : doc.replace(/\n## How to run\n/, `\n## The latest report\n\n${block}\n\n## How to run\n`);
  await writeFile(file, next);
  console.log('BENCHMARKS.md updated');
}

const missed = rows.some((r) => r.result.includes('FAIL')) || (match !== undefined && match.matcher.ndcg <= match.baseline.ndcg);
if (failedParts.length > 0 || (flags.strict === true && missed)) process.exitCode = 1;
