import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import pg from 'pg';
import { numberFlag, parseArgs } from '../src/cli/args.js';
import { createServices } from '../src/container.js';
import { systemClock } from '../src/lib/clock.js';
import { money } from '../src/lib/http.js';
import { insertListingDueToOpen, type AuctionTerms, type Party } from '../tests/support/auction-rows.js';
import { checkAuctionInvariants, countByKind, type BidAnswer, type Violation } from '../tests/support/bid-invariants.js';
import { cpuMsOfTree, postmasterPid } from './cpu.js';
import { openBenchDatabase } from './db.js';
import { startAppServer } from './server-process.js';

// `npm run bench:bids [-- --duration 10 --warmup 3 --connections 100 --auctions 100 --bidders 100 --app-port 3404
//                        --data-dir .data/bench-bids --pg-port 54343 --cpu-prof DIR]`
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { flags } = parseArgs(process.argv.slice(2));
const num = (name: string, dflt: number) => numberFlag(flags, name, dflt);
const opts = {
  duration: num('duration', 10),
  warmup: num('warmup', 3),
  connections: num('connections', 100),
  auctions: num('auctions', 100),
  bidders: num('bidders', 100),
  appPort: num('app-port', 3404),
  dataDir: typeof flags['data-dir'] === 'string' ? flags['data-dir'] : '.data/bench-bids',
  pgPort: num('pg-port', 54343),
  cpuProf: typeof flags['cpu-prof'] === 'string' ? path.resolve(flags['cpu-prof']) : undefined,
};
const TARGET_ACCEPTED_PER_SECOND = 1000;

/**
 * Terms of every bench auction: a day long, so nothing closes during a run and no bid falls in the
 * anti-sniping window; an increment of ¥1 so that amounts taken from the clock (below) stay small.
 */
const TERMS: Partial<AuctionTerms> = {
  startPriceFen: 100_000,
  incrementFen: 100,
  reservePriceFen: null,
  depositFen: 1_000_000,
  durationMinutes: 24 * 60,
  extensionWindowSeconds: 300,
  extensionSeconds: 300,
};

/**
 * How amounts are chosen without asking the server: start + increment × (microseconds since the
 * bench started, read when the request is built). Requests leave in time order and the server
 * serialises them on the auction row roughly in arrival order, so most bids beat the current
 * price; two requests reordered between leaving and taking the lock are the BID_TOO_LOW share.
 */
const t0 = performance.now();
const amountNow = () => TERMS.startPriceFen! + TERMS.incrementFen! * Math.floor((performance.now() - t0) * 1000);

const database = await openBenchDatabase({ dataDir: opts.dataDir, pgPort: opts.pgPort });
const pool = database.infra.database.pool;
const postgresPid = database.infra.embedded ? postmasterPid(database.config.DATA_DIR) : undefined;
const server = await startAppServer(database, opts.appPort, {
  BIDS_PER_BIDDER_PER_MINUTE: '100000000',
  ACCESS_TOKEN_TTL_SECONDS: '7200',
}, opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProf}`] : []);
process.once('SIGINT', () => void server.stop().finally(() => process.exit(130)));

interface Bidder extends Party {
  token: string;
}

async function register(kind: 'enterprise' | 'university', i: number): Promise<Bidder> {
  const tag = `${Date.now().toString(36)}${i}`;
  const res = await fetch(`${server.url}/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `bench-bid-${tag}@example.cn`,
      password: 'bench password 2026',
      displayName: `竞价压测 ${i}`,
      organization: { name: `竞价压测单位${tag}`, kind, regionCode: '230100' },
    }),
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { user: { id: string }; organization: { id: string }; accessToken: string };
  return { userId: body.user.id, organizationId: body.organization.id, token: body.accessToken };
}

/** Auctions opened by the server's own scheduler from listings whose notice has just ended. */
async function openAuctions(seller: Party, buyers: Party[], n: number): Promise<string[]> {
  const dueAt = new Date(Date.now() - 1000);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await insertListingDueToOpen(database.infra.database.db, seller, buyers, { dueAt, terms: TERMS })).listingId);
  let open = 0;
  for (let i = 0; i < 3000; i++) {
    open = (await pool.query<{ n: number }>(`select count(*)::int as n from auctions where listing_id = any($1) and status = 'open'`, [ids])).rows[0]!.n;
    if (open === ids.length) return ids;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server opened ${open} of ${ids.length} bench auctions within 5 minutes`);
}

/** Waits until nothing more is written for these auctions (two equal readings 500 ms apart). */
async function quiescent(listingIds: string[]): Promise<void> {
  let last = '';
  for (let i = 0; i < 240; i++) {
    const now = JSON.stringify(
      (
        await pool.query(
          `select (select count(*) from bids where listing_id = any($1)) as bids, (select count(*) from audit_entries where listing_id = any($1)) as audit,
                  (select count(*) from idempotency_keys where scope = any($2)) as records`,
          [listingIds, listingIds.map((id) => `POST /v1/listings/${id}/bids`)],
        )
      ).rows[0],
    );
    if (now === last) return;
    last = now;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the server was still writing bids two minutes after the load stopped');
}

interface Scenario {
  name: string;
  listingIds: string[];
}

interface Measured {
  name: string;
  auctions: number;
  seconds: number;
  requests: number;
  accepted: number;
  acceptedPerSecond: number;
  requestsPerSecond: number;
  refusals: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  cpuMsPerAcceptedBid: { server: number | null; postgres: number | null; loadGenerator: number };
  /** accepted bids per transaction that accepted any (group commit), warm-up included: bids sharing an xmin */
  bidsPerTransaction: number | null;
  loadAverage: { start: number[]; end: number[] };
  invariants: { auctionsChecked: number; bids: number; violations: number; byKind: Partial<Record<string, number>>; unansweredAtStop: number; first: Violation[] };
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const loadavg = () => os.loadavg().map((x) => round(x));

async function measure(s: Scenario, bidders: Bidder[]): Promise<Measured> {
  const answers: BidAnswer[] = [];
  let nextConnection = 0;
  let nextKey = 0;
  const runTag = `${s.name}-${Date.now().toString(36)}`;
  let counting = false;
  const counts = { requests: 0, accepted: 0, refusals: {} as Record<string, number> };
  const run = (duration: number): PromiseLike<Result> =>
    autocannon({
      url: server.url,
      connections: opts.connections,
      duration,
      requests: [
        {
          method: 'POST',
          setupRequest: (req, context) => {
            // One bidder per connection, like a browser tab; each request a new bid with a new key.
            context.bidder ??= bidders[nextConnection++ % bidders.length];
            const bidder = context.bidder as Bidder;
            const listingId = s.listingIds[Math.floor(Math.random() * s.listingIds.length)]!;
            const key = `${runTag}-${nextKey++}`;
            const amount = amountNow();
            Object.assign(context, { listingId, key, amount });
            return {
              ...req,
              path: `/v1/listings/${listingId}/bids`,
              headers: { authorization: `Bearer ${bidder.token}`, 'content-type': 'application/json', 'idempotency-key': key },
              body: JSON.stringify({ amount: money(amount) }),
            };
          },
          onResponse: (status, body, context) => {
            const bidder = context.bidder as Bidder;
            let parsed: { id?: string; code?: string; placedAt?: string; auctionEndsAt?: string } = {};
            try {
              parsed = JSON.parse(body) as typeof parsed;
            } catch {
              // a non-JSON answer is recorded by its status alone
            }
            answers.push({
              key: context.key as string,
              listingId: context.listingId as string,
              userId: bidder.userId,
              organizationId: bidder.organizationId,
              amountFen: context.amount as number,
              status,
              code: status === 201 ? null : (parsed.code ?? null),
              bidId: status === 201 ? (parsed.id ?? null) : null,
              placedAt: parsed.placedAt ?? null,
              auctionEndsAt: parsed.auctionEndsAt ?? null,
              answeredAt: null,
            });
            if (!counting) return;
            counts.requests++;
            if (status === 201) counts.accepted++;
            else {
              const code = parsed.code ?? String(status);
              counts.refusals[code] = (counts.refusals[code] ?? 0) + 1;
            }
          },
        },
      ],
    });
  await run(opts.warmup);
  const start = loadavg();
  const before = { server: cpuMsOfTree(server.child.pid), postgres: cpuMsOfTree(postgresPid), self: process.cpuUsage() };
  counting = true;
  const r = await run(opts.duration);
  counting = false;
  const self = process.cpuUsage(before.self);
  const after = { server: cpuMsOfTree(server.child.pid), postgres: cpuMsOfTree(postgresPid) };
  const end = loadavg();
  const perBid = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? null : round((b - a) / Math.max(1, counts.accepted), 3));

  // Every auction of the scenario, against every answer received (warm-up included), once the
  // server has finished the requests still queued when autocannon stopped. Those may have
  // committed without their answer being read: counted apart, at most one per connection per run.
  await quiescent(s.listingIds);
  const violations: Violation[] = [];
  let bids = 0;
  let unanswered = 0;
  for (const id of s.listingIds) {
    const check = await checkAuctionInvariants(database.infra.database, id, {
      answers: answers.filter((a) => a.listingId === id),
      allAnswered: false,
      everyBidHasKey: true,
      expectClosed: false,
    });
    bids += check.bids;
    violations.push(...check.violations);
  }
  const acknowledged = new Set(answers.filter((a) => a.status === 201).map((a) => a.bidId));
  const perTransaction = (
    await pool.query<{ r: number | null }>('select count(*)::float8 / nullif(count(distinct xmin::text), 0) as r from bids where listing_id = any($1)', [s.listingIds])
  ).rows[0]!.r;
  unanswered = bids - acknowledged.size;
  const inFlightAtStops = 2 * opts.connections; // the warm-up's stop and the measured run's
  if (unanswered > inFlightAtStops) violations.push({ kind: 'unacknowledged', listingId: '*', detail: `${unanswered} bids without an answer; at most ${inFlightAtStops} can be in flight at the stops` });

  const m: Measured = {
    name: s.name,
    auctions: s.listingIds.length,
    seconds: opts.duration,
    requests: counts.requests,
    accepted: counts.accepted,
    acceptedPerSecond: Math.round(counts.accepted / opts.duration),
    requestsPerSecond: Math.round(counts.requests / opts.duration),
    refusals: counts.refusals,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.timeouts,
    cpuMsPerAcceptedBid: {
      server: perBid(before.server, after.server),
      postgres: perBid(before.postgres, after.postgres),
      loadGenerator: round((self.user + self.system) / 1000 / Math.max(1, counts.accepted), 3),
    },
    bidsPerTransaction: perTransaction === null ? null : round(perTransaction, 1),
    loadAverage: { start, end },
    invariants: { auctionsChecked: s.listingIds.length, bids, violations: violations.length, byKind: countByKind(violations), unansweredAtStop: unanswered, first: violations.slice(0, 5) },
  };
  console.log(
    `[bench:bids] ${m.name}: ${m.acceptedPerSecond} accepted bids/s (${m.requestsPerSecond} req/s, refusals ${JSON.stringify(m.refusals)}), p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms, ${m.bidsPerTransaction} bids per transaction; ` +
      `invariants: ${m.invariants.bids} bids in ${m.auctions} auctions, ${m.invariants.violations} violations`,
  );
  return m;
}

/**
 * Statements per bid: the bid verb of an in-process service against the same database, with every
 * query the pg driver sends counted (BEGIN, SAVEPOINT, COMMIT included) — the round trips a bid
 * costs, most of them made while the auction row is locked.
 */
async function statementsPerBid(seller: Party, bidder: Bidder, rival: Bidder): Promise<{ accepted: number; refusedTooLow: number; replay: number }> {
  const db = (await import('../src/db/client.js')).createDatabase(database.url, 2);
  try {
    const services = createServices({ config: database.config, database: db, clock: systemClock, keys: database.infra.keys });
    // Two qualified buyers: with one the end of notice leads to 协议成交, not an auction.
    const [listingId] = await openAuctions(seller, [bidder, rival], 1);
    const actor = { userId: bidder.userId, organizationId: bidder.organizationId, kind: 'enterprise' as const, role: 'owner' as const, isAdmin: false };
    const original = pg.Client.prototype.query;
    let statements = 0;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      statements++;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    const count = async (n: number, fn: (i: number) => Promise<unknown>) => {
      statements = 0;
      for (let i = 0; i < n; i++) await fn(i).catch(() => undefined);
      return round(statements / n, 1);
    };
    try {
      const price = 200_000;
      const accepted = await count(20, (i) => services.auctions.placeBid(actor, listingId!, { amount: money(price + i * 100) }, `profile-a-${listingId}-${i}`));
      const refusedTooLow = await count(20, (i) => services.auctions.placeBid(actor, listingId!, { amount: money(price) }, `profile-r-${listingId}-${i}`));
      const replay = await count(20, (i) => services.auctions.placeBid(actor, listingId!, { amount: money(price + i * 100) }, `profile-a-${listingId}-${i}`));
      return { accepted, refusedTooLow, replay };
    } finally {
      pg.Client.prototype.query = original;
    }
  } finally {
    await db.close();
  }
}

try {
  console.log(`[bench:bids] registering a seller and ${opts.bidders} bidders`);
  const seller = await register('university', 0);
  const bidders: Bidder[] = [];
  for (let i = 0; i < opts.bidders; i += 4) bidders.push(...(await Promise.all(Array.from({ length: Math.min(4, opts.bidders - i) }, (_, j) => register('enterprise', i + j + 1)))));
  console.log(`[bench:bids] opening 1 + ${opts.auctions} auctions (the server's scheduler opens them)`);
  const hot = await openAuctions(seller, bidders, 1);
  const spread = await openAuctions(seller, bidders, opts.auctions);
  const statements = await statementsPerBid(seller, bidders[0]!, bidders[1]!);
  console.log(`[bench:bids] statements per bid: ${JSON.stringify(statements)}`);

  const results = [await measure({ name: 'hot-auction', listingIds: hot }, bidders), await measure({ name: `${opts.auctions}-auctions`, listingIds: spread }, bidders)];
  const pgVersion = (await pool.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  const settings = Object.fromEntries(
    (await pool.query<{ name: string; setting: string }>(`select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections')`)).rows.map((r) => [
      r.name,
      r.setting,
    ]),
  );
  const report = {
    at: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, postgres: pgVersion, postgresSettings: settings },
    options: opts,
    method:
      'one bidder per connection; each request a new Idempotency-Key and amount = start + increment × microseconds since the bench started; accepted = 201, refusals by problem code; CPU from /proc over the measured run',
    statementsPerBid: statements,
    results,
  };
  const outDir = path.resolve(root, 'bench/results');
  await mkdir(outDir, { recursive: true });
  const outFile = path.join(outDir, `bids-${report.at.replace(/:/g, '-').replace(/\..*$/, '')}.json`);
  await writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);

  console.log(`\n${report.machine.cores} × ${report.machine.cpu}, Node ${report.machine.node}, PostgreSQL ${pgVersion} (${JSON.stringify(settings)}); ${opts.connections} connections, ${opts.duration} s after ${opts.warmup} s warm-up`);
  console.log(`statements per bid: accepted ${statements.accepted}, refused BID_TOO_LOW ${statements.refusedTooLow}, replayed ${statements.replay}\n`);
  console.log('| scenario | accepted bids/s | req/s | 409 BID_TOO_LOW | other refusals | p50 ms | p99 ms | CPU ms per accepted bid: server · PG · autocannon | bids per transaction | load avg (1 min) start → end | bids checked | violations |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const cpu = (x: number | null) => (x === null ? '–' : x.toFixed(2));
  for (const m of results) {
    const other = Object.entries(m.refusals).filter(([k]) => k !== 'BID_TOO_LOW');
    console.log(
      `| ${m.name} | ${m.acceptedPerSecond.toLocaleString('en')} | ${m.requestsPerSecond.toLocaleString('en')} | ${m.refusals.BID_TOO_LOW ?? 0} | ${other.length ? other.map(([k, v]) => `${k} ${v}`).join(', ') : 0} | ${m.p50Ms} | ${m.p99Ms} | ${cpu(m.cpuMsPerAcceptedBid.server)} · ${cpu(m.cpuMsPerAcceptedBid.postgres)} · ${cpu(m.cpuMsPerAcceptedBid.loadGenerator)} | ${m.bidsPerTransaction ?? '–'} | ${m.loadAverage.start[0]} → ${m.loadAverage.end[0]} | ${m.invariants.bids.toLocaleString('en')} | ${m.invariants.violations} |`,
    );
  }
  for (const m of results) for (const v of m.invariants.first) console.log(`  ${m.name}: ${v.kind} ${v.listingId}: ${v.detail}`);
  console.log(`\ntarget: ≥ ${TARGET_ACCEPTED_PER_SECOND.toLocaleString('en')} accepted bids/s on the hot auction; results written to ${path.relative(root, outFile)}`);
  if (results.some((m) => m.invariants.violations > 0 || m.errors > 0 || m.accepted === 0)) process.exitCode = 1;
} finally {
  await server.stop();
  await database.close();
}
