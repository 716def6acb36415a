import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/client.js';
import type { ManualClock } from '../../src/lib/clock.js';
import type { ProcessDueResult } from '../../src/modules/listings/listings.transitions.js';
import { checkAuctionInvariants, countByKind, type AuctionCheck, type BidAnswer, type Violation } from './bid-invariants.js';

/**
 * The bid race harness: many bidders bid concurrently on open auctions through a bid handler
 * (the real HTTP route, or a deliberately broken one), while a driver moves the business clock
 * towards and onto the auctions' ends — into the anti-sniping windows, to 1 ms before the end,
 * exactly onto it — and runs the closer concurrently. Afterwards every auction is closed and its
 * invariants are checked from the database and from every answer the bidders received
 * (tests/support/bid-invariants.ts). Decisions come from a seeded PRNG: a failing seed is printed
 * and replays the same workload (the interleaving is the scheduler's).
 */

export interface RaceBidder {
  userId: string;
  organizationId: string;
  token: string;
}

export interface HandlerAnswer {
  /** 0 when no HTTP answer came */
  status: number;
  body: unknown;
}

export type BidHandler = (bidder: RaceBidder, listingId: string, amountFen: number, idempotencyKey: string) => Promise<HandlerAnswer>;

/** The real route, through Fastify's inject (auth, validation, rate limit, service, idempotency). */
export function injectBidHandler(app: FastifyInstance): BidHandler {
  return async (bidder, listingId, amountFen, key) => {
    const res = await app.inject({
      method: 'POST',
      url: `/v1/listings/${listingId}/bids`,
      headers: { authorization: `Bearer ${bidder.token}`, 'idempotency-key': key, 'content-type': 'application/json' },
      payload: JSON.stringify({ amount: { amount: amountFen, currency: 'CNY' } }),
    });
    return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as unknown) : null };
  };
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface RaceAuction {
  listingId: string;
  bidders: RaceBidder[];
}

export interface RacePlan {
  name: string;
  seed: number;
  auctions: RaceAuction[];
  /** attempts each bidder makes, spread over the auctions it is registered on */
  bidsPerBidder: number;
  /** a bidder sends its attempts in batches of this many at once */
  inFlightPerBidder: number;
  handler: BidHandler;
  clock: ManualClock;
  /** the closer (processDue of another "process"); runs concurrently with the bids */
  closer: (now: Date) => Promise<ProcessDueResult>;
  database: Pick<Database, 'pool' | 'db'>;
  /**
   * Share of the attempts after which the driver moves the clock onto the nearest end and keeps
   * it there (auctions then close while bids are in flight); above 1 the clock only goes there
   * after the bidders are done.
   */
  closeAt: number;
}

export interface RaceReport {
  name: string;
  seed: number;
  attempts: number;
  sends: number;
  accepted: number;
  refusals: Record<string, number>;
  closerRuns: number;
  closerFailures: string[];
  /** auctions the closer closed while bids were still being sent */
  closedDuringRun: number;
  auctions: AuctionCheck[];
  violations: Violation[];
}

interface AuctionState {
  listingId: string;
  startFen: number;
  incrementFen: number;
  windowMs: number;
  /** the highest price and the latest end the bidders have been told about */
  knownPriceFen: number | null;
  knownEnd: Date;
  knownClosed: boolean;
}

const answerOf = (plan: RacePlan, bidder: RaceBidder, listingId: string, amountFen: number, key: string, res: HandlerAnswer): BidAnswer => {
  const body = (res.body ?? {}) as { id?: string; code?: string; placedAt?: string; auctionEndsAt?: string };
  return {
    key,
    listingId,
    userId: bidder.userId,
    organizationId: bidder.organizationId,
    amountFen,
    status: res.status,
    code: res.status === 201 ? null : (body.code ?? null),
    bidId: res.status === 201 ? (body.id ?? null) : null,
    placedAt: res.status === 201 ? (body.placedAt ?? null) : null,
    auctionEndsAt: res.status === 201 ? (body.auctionEndsAt ?? null) : null,
    answeredAt: plan.clock.now(),
  };
};

export async function runBidRace(plan: RacePlan): Promise<RaceReport> {
  const { pool } = plan.database;
  const states = new Map<string, AuctionState>();
  for (const a of plan.auctions) {
    const row = (
      await pool.query<{ status: string; ends_at: Date; start_price_fen: number; increment_fen: number; extension_window_seconds: number; current_price_fen: number | null }>(
        'select status, ends_at, start_price_fen, increment_fen, extension_window_seconds, current_price_fen from auctions where listing_id = $1',
        [a.listingId],
      )
    ).rows[0];
    if (row?.status !== 'open') throw new Error(`listing ${a.listingId} has no open auction`);
    states.set(a.listingId, {
      listingId: a.listingId,
      startFen: row.start_price_fen,
      incrementFen: row.increment_fen,
      windowMs: row.extension_window_seconds * 1000,
      knownPriceFen: row.current_price_fen,
      knownEnd: row.ends_at,
      knownClosed: false,
    });
  }
  const maxWindowMs = Math.max(...[...states.values()].map((s) => s.windowMs));

  // Each bidder's auctions; a bidder registered on several spreads its attempts over them.
  const bidders = new Map<string, { bidder: RaceBidder; auctions: AuctionState[] }>();
  for (const a of plan.auctions) {
    for (const b of a.bidders) {
      const entry = bidders.get(b.userId) ?? { bidder: b, auctions: [] };
      entry.auctions.push(states.get(a.listingId)!);
      bidders.set(b.userId, entry);
    }
  }
  const attempts = bidders.size * plan.bidsPerBidder;
  // Keys are per user: a tag per run keeps a replayed seed from meeting its earlier keys.
  const runTag = randomBytes(4).toString('hex');
  const answers: BidAnswer[] = [];
  const closerRuns: Promise<void>[] = [];
  const closerFailures: string[] = [];
  let closersInFlight = 0;
  let closedDuringRun = 0;
  let done = 0;
  let biddersFinished = false;

  const noteClosed = (result: ProcessDueResult) => {
    for (const f of result.failed) closerFailures.push(`${f.kind} ${f.listingId}: ${String(f.error)}`);
    for (const p of result.processed) {
      const s = states.get(p.listingId);
      if (s && (p.name === 'auction_sold' || p.name === 'auction_unsold')) {
        s.knownClosed = true;
        if (!biddersFinished) closedDuringRun++;
      }
    }
  };
  const runCloser = () => {
    // The closer of another process: at most two passes at once, like two servers' schedulers.
    if (closersInFlight >= 2) return;
    closersInFlight++;
    closerRuns.push(
      plan
        .closer(plan.clock.now())
        .then(noteClosed, (err: unknown) => void closerFailures.push(String(err)))
        .finally(() => closersInFlight--),
    );
  };

  // The clock driver: a step every `stepEvery` answers, so its pace follows the bids, not real time.
  const driverRand = prng(plan.seed * 7919 + 17);
  const stepEvery = Math.max(5, Math.floor(attempts / 60));
  const step = () => {
    const open = [...states.values()].filter((s) => !s.knownClosed);
    if (open.length === 0) return;
    const nextEnd = Math.min(...open.map((s) => s.knownEnd.getTime()));
    const nearest = open.find((s) => s.knownEnd.getTime() === nextEnd)!;
    const now = plan.clock.now().getTime();
    const progress = done / attempts;
    let target: number;
    if (progress < 0.35) {
      // Outside every anti-sniping window: plain bidding.
      target = Math.min(now + Math.floor(driverRand() * 120_000), nextEnd - maxWindowMs - 1000);
    } else if (progress < plan.closeAt) {
      const r = driverRand();
      if (r < 0.5 && nearest.windowMs > 0) target = nextEnd - 1 - Math.floor(driverRand() * nearest.windowMs);
      else if (r < 0.75) target = nextEnd - 1; // the last millisecond before the end
      else target = now + Math.floor(driverRand() * 5000);
    } else {
      target = nextEnd; // exactly the end: bids are refused from here, the closer closes
    }
    plan.clock.set(new Date(Math.max(now, Math.min(target, nextEnd))));
    runCloser();
  };

  const send = async (bidder: RaceBidder, s: AuctionState, amountFen: number, key: string) => {
    let res: HandlerAnswer;
    try {
      res = await plan.handler(bidder, s.listingId, amountFen, key);
    } catch (err) {
      res = { status: 0, body: { code: String(err) } };
    }
    const a = answerOf(plan, bidder, s.listingId, amountFen, key, res);
    answers.push(a);
    if (a.status === 201) {
      if (s.knownPriceFen === null || amountFen > s.knownPriceFen) s.knownPriceFen = amountFen;
      if (a.auctionEndsAt && new Date(a.auctionEndsAt) > s.knownEnd) s.knownEnd = new Date(a.auctionEndsAt);
    }
    return a;
  };

  const attempt = async (index: number, bidder: RaceBidder, rand: () => number, mine: AuctionState[], i: number) => {
    const open = mine.filter((s) => !s.knownClosed);
    const candidates = open.length > 0 ? open : mine;
    const s = candidates[Math.floor(rand() * candidates.length)]!;
    const base = s.knownPriceFen ?? s.startFen - s.incrementFen;
    const r = rand();
    let amount: number;
    if (r < 0.04) amount = Math.max(s.incrementFen, base); // stale: at most the current price
    else if (r < 0.06) amount = base + s.incrementFen + Math.max(1, Math.floor(s.incrementFen / 2)); // off the increment grid
    else amount = base + s.incrementFen * (1 + Math.floor(rand() * 3));
    const key = `${plan.name}-${plan.seed}-${runTag}-${index}-${i}`;
    const mode = rand();
    if (mode < 0.05) {
      // The same request twice at once (a client retrying on a timeout): one bid at most.
      await Promise.all([send(bidder, s, amount, key), send(bidder, s, amount, key)]);
    } else {
      await send(bidder, s, amount, key);
      // A retry after the answer: must replay it.
      if (mode < 0.1) await send(bidder, s, amount, key);
    }
    done++;
    if (done % stepEvery === 0) step();
  };

  await Promise.all(
    [...bidders.values()].map(async ({ bidder, auctions }, index) => {
      const rand = prng(plan.seed * 1_000_003 + index * 97 + 1);
      for (let i = 0; i < plan.bidsPerBidder; i += plan.inFlightPerBidder) {
        const batch = Math.min(plan.inFlightPerBidder, plan.bidsPerBidder - i);
        await Promise.all(Array.from({ length: batch }, (_, j) => attempt(index, bidder, rand, auctions, i + j)));
      }
    }),
  );
  biddersFinished = true;
  await Promise.all(closerRuns);

  // Close whatever is still open: move the clock onto the latest end, as real time would.
  for (let pass = 0; pass < 5; pass++) {
    const ids = plan.auctions.map((a) => a.listingId);
    const open = (await pool.query<{ ends_at: Date }>(`select ends_at from auctions where listing_id = any($1) and status = 'open'`, [ids])).rows;
    if (open.length === 0) break;
    const latest = Math.max(...open.map((r) => r.ends_at.getTime()));
    plan.clock.set(new Date(Math.max(plan.clock.now().getTime(), latest)));
    noteClosed(await plan.closer(plan.clock.now()));
  }

  const checks: AuctionCheck[] = [];
  for (const a of plan.auctions) {
    checks.push(
      await checkAuctionInvariants(plan.database, a.listingId, {
        answers: answers.filter((x) => x.listingId === a.listingId),
        everyBidHasKey: true,
        expectClosed: true,
      }),
    );
  }
  const refusals: Record<string, number> = {};
  for (const a of answers) if (a.status !== 201) refusals[a.code ?? String(a.status)] = (refusals[a.code ?? String(a.status)] ?? 0) + 1;
  return {
    name: plan.name,
    seed: plan.seed,
    attempts,
    sends: answers.length,
    accepted: new Set(answers.filter((a) => a.status === 201).map((a) => a.bidId)).size,
    refusals,
    closerRuns: closerRuns.length,
    closerFailures,
    closedDuringRun,
    auctions: checks,
    violations: checks.flatMap((c) => c.violations),
  };
}

/** A short account of a report for a failure message: the seed first, so the run can be repeated. */
export function describeRace(r: RaceReport, max = 8): string {
  const head = `${r.name} seed ${r.seed}: ${r.attempts} attempts (${r.sends} sends), ${r.accepted} accepted, refusals ${JSON.stringify(r.refusals)}, closer runs ${r.closerRuns}, closed during the run ${r.closedDuringRun}`;
  const kinds = `violations ${r.violations.length} ${JSON.stringify(countByKind(r.violations))}; closer failures ${r.closerFailures.length}`;
  const lines = [...r.violations.slice(0, max).map((v) => `  ${v.kind} ${v.listingId}: ${v.detail}`), ...r.closerFailures.slice(0, 3).map((f) => `  closer: ${f}`)];
  return [head, kinds, ...lines].join('\n');
}
