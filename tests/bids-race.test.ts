import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createServices, type Services } from '../src/container.js';
import { createDatabase, type Database } from '../src/db/client.js';
import { AppError, conflict } from '../src/lib/errors.js';
import { isoDate, money } from '../src/lib/http.js';
import { newId } from '../src/lib/ids.js';
import { runIdempotent } from '../src/lib/idempotency.js';
import { checkBidAmount, extendedEnd } from '../src/modules/listings/listings.rules.js';
import { startTestApp, type TestContext } from './support/app.js';
import { insertListingDueToOpen, type AuctionTerms } from './support/auction-rows.js';
import { checkAuctionInvariants, countByKind, type BidAnswer } from './support/bid-invariants.js';
import { describeRace, injectBidHandler, prng, runBidRace, type BidHandler, type RaceBidder, type RaceReport } from './support/bid-race.js';
import { registerUser, type TestUser } from './support/factories.js';

// RACE_SEEDS=7,13 replays chosen seeds (a failure prints its seed).
const SEEDS = process.env.RACE_SEEDS ? process.env.RACE_SEEDS.split(',').map(Number) : Array.from({ length: 20 }, (_, i) => i + 1);

let ctx: TestContext;
let seller: TestUser;
let bidders: RaceBidder[];
/**
 * A second "server process" on the same database: its own pool, services and app (so its own bid
 * batches, which take turns with the first process's on the auction row); it runs the closer.
 */
let other: { database: Database; services: Services; app: FastifyInstance };
/** Each setup starts after everything earlier has ended, so the business clock only moves forward. */
let nextDue = new Date('2026-04-01T02:00:00Z');

beforeAll(async () => {
  // Tokens live as long as the file runs (minutes of real time on a busy machine).
  ctx = await startTestApp({ BIDS_PER_BIDDER_PER_MINUTE: '1000000', ACCESS_TOKEN_TTL_SECONDS: '86400' });
  // Tens of thousands of bids: commits here do not wait for the WAL flush (synchronous_commit off
  // for this file's own database). That changes what survives a PostgreSQL crash, nothing about
  // locking or visibility, which is what these races exercise; tests/bids-crash.test.ts keeps the
  // default. The pool's open sessions are ended so that every session picks the setting up.
  await ctx.db.pool.query(`alter database ${ctx.db.name} set synchronous_commit = off`);
  await ctx.db.pool.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
  seller = await registerUser(ctx.app, 'university');
  bidders = [];
  for (let i = 0; i < 50; i += 5) {
    const batch = await Promise.all(Array.from({ length: 5 }, () => registerUser(ctx.app, 'enterprise')));
    bidders.push(...batch.map((b) => ({ userId: b.userId, organizationId: b.organizationId, token: b.token })));
  }
  const database = createDatabase(ctx.db.url, 3);
  const services = createServices({ ...ctx.deps, database });
  const app = await buildApp({ ...ctx.deps, database }, services);
  await app.ready();
  other = { database, services, app };
}, 180_000);
afterAll(async () => {
  await other?.app.close();
  await other?.database.close();
  await ctx?.close();
});

/** Opens auctions through the real end-of-notice transition; the clock is then 1 minute into them. */
async function openAuctions(specs: { buyers: RaceBidder[]; terms: Partial<AuctionTerms> }[]): Promise<string[]> {
  const dueAt = nextDue;
  nextDue = new Date(dueAt.getTime() + 30 * 86_400_000);
  const ids: string[] = [];
  for (const s of specs) ids.push((await insertListingDueToOpen(ctx.db.db, seller, s.buyers, { dueAt, terms: s.terms })).listingId);
  ctx.clock.set(dueAt);
  const opened = await ctx.services.transitions.processDue(dueAt);
  expect(opened.failed).toEqual([]);
  expect(opened.processed.filter((p) => ids.includes(p.listingId)).map((p) => p.name)).toEqual(ids.map(() => 'auction_opened'));
  ctx.clock.set(new Date(dueAt.getTime() + 60_000));
  return ids;
}

const closer = (now: Date) => other.services.transitions.processDue(now);

/** The real route of both processes, each request to one of them in turn (a load balancer). */
function twoProcesses(): BidHandler {
  const handlers = [injectBidHandler(ctx.app), injectBidHandler(other.app)];
  let next = 0;
  return (bidder, listingId, amountFen, key) => handlers[next++ % 2]!(bidder, listingId, amountFen, key);
}

/** Reserves that make some runs sell and some not: none, unreachable, or somewhere in the bidding. */
function reserveFor(rand: () => number, start: number, increment: number, reach: number): number | null {
  const r = rand();
  if (r < 0.3) return null;
  if (r < 0.55) return start + increment * 1_000_000;
  return start + increment * Math.floor(rand() * reach);
}

async function hotAuction(seed: number, handler: BidHandler, size = { bidders: 50, bids: 40 }): Promise<RaceReport> {
  const rand = prng(seed);
  const terms = { startPriceFen: 80_000_000, incrementFen: 1_000_000, durationMinutes: 60, extensionWindowSeconds: 300, extensionSeconds: 300 };
  const buyers = bidders.slice(0, size.bidders);
  const [listingId] = await openAuctions([{ buyers, terms: { ...terms, reservePriceFen: reserveFor(rand, terms.startPriceFen, terms.incrementFen, 400) } }]);
  return runBidRace({
    name: 'hot',
    seed,
    auctions: [{ listingId: listingId!, bidders: buyers }],
    bidsPerBidder: size.bids,
    inFlightPerBidder: 1,
    handler,
    clock: ctx.clock,
    closer,
    database: ctx.db,
    closeAt: 0.6 + rand() * 0.5,
  });
}

async function manyAuctions(seed: number, handler: BidHandler): Promise<RaceReport> {
  const rand = prng(seed + 500);
  const buyers = bidders.slice(0, 10);
  const specs = Array.from({ length: 20 }, () => {
    const incrementFen = [10_000, 100_000, 500_000][Math.floor(rand() * 3)]!;
    const startPriceFen = incrementFen * (10 + Math.floor(rand() * 1000));
    return {
      buyers,
      terms: {
        startPriceFen,
        incrementFen,
        reservePriceFen: reserveFor(rand, startPriceFen, incrementFen, 30),
        durationMinutes: [10, 20, 30, 45, 60][Math.floor(rand() * 5)]!,
        extensionWindowSeconds: [0, 60, 300][Math.floor(rand() * 3)]!,
        extensionSeconds: [30, 120, 300][Math.floor(rand() * 3)]!,
      },
    };
  });
  const ids = await openAuctions(specs);
  return runBidRace({
    name: 'spread',
    seed,
    auctions: ids.map((listingId) => ({ listingId, bidders: buyers })),
    bidsPerBidder: 160,
    inFlightPerBidder: 4,
    handler,
    clock: ctx.clock,
    closer,
    database: ctx.db,
    closeAt: 0.5 + rand() * 0.4,
  });
}

/** What a batch of runs exercised, so a harness that silently stopped racing is noticed. */
function coverage(reports: RaceReport[]) {
  const auctions = reports.flatMap((r) => r.auctions);
  return {
    sold: auctions.filter((a) => a.status === 'sold').length,
    unsold: auctions.filter((a) => a.status === 'unsold').length,
    extensions: auctions.reduce((n, a) => n + a.extensions, 0),
    closedDuringRun: reports.reduce((n, r) => n + r.closedDuringRun, 0),
    refusals: reports.reduce<Record<string, number>>((acc, r) => {
      for (const [k, v] of Object.entries(r.refusals)) acc[k] = (acc[k] ?? 0) + v;
      return acc;
    }, {}),
    accepted: reports.reduce((n, r) => n + r.accepted, 0),
    retries: reports.reduce((n, r) => n + (r.sends - r.attempts), 0),
  };
}

function expectClean(r: RaceReport) {
  if (r.violations.length > 0 || r.closerFailures.length > 0) throw new Error(`invariant violations — replay with RACE_SEEDS=${r.seed}\n${describeRace(r)}`);
}

describe('bid race harness against the real route', () => {
  it(`50 bidders × 40 bids on one auction through two server processes, with the closer and the clock moving onto the end, ${SEEDS.length} seeds: 0 violations`, { timeout: 3_600_000 }, async () => {
    const reports: RaceReport[] = [];
    const batchesBefore = [ctx.services.auctions.bidBatchStats(), other.services.auctions.bidBatchStats()];
    for (const seed of SEEDS) {
      const started = performance.now();
      const r = await hotAuction(seed, twoProcesses());
      expectClean(r);
      reports.push(r);
      console.log(`[race] ${describeRace(r).split('\n')[0]} (${Math.round(performance.now() - started)} ms)`);
    }
    const c = coverage(reports);
    console.log(`[race] hot auction, seeds ${SEEDS.join(',')}: ${JSON.stringify(c)}`);
    if (SEEDS.length >= 10) {
      // The workload reached every situation it is meant to: both outcomes, extensions, closes while
      // bids were in flight, refusals for the close, concurrent duplicates and retries.
      expect(c.sold).toBeGreaterThan(0);
      expect(c.unsold).toBeGreaterThan(0);
      expect(c.extensions).toBeGreaterThan(0);
      expect(c.closedDuringRun).toBeGreaterThan(0);
      expect(c.refusals.AUCTION_CLOSED ?? 0).toBeGreaterThan(0);
      expect(c.refusals.BID_TOO_LOW ?? 0).toBeGreaterThan(0);
      expect(c.retries).toBeGreaterThan(0);
    }
    // Both processes grouped concurrent bids into shared transactions (group commit), so the
    // invariants above were checked on batches, not only on bids one at a time.
    const batches = [ctx.services.auctions.bidBatchStats(), other.services.auctions.bidBatchStats()].map((s, i) => ({
      batches: s.batches - batchesBefore[i]!.batches,
      requests: s.requests - batchesBefore[i]!.requests,
      largest: s.largest,
    }));
    console.log(`[race] hot auction batches per process: ${JSON.stringify(batches)}`);
    for (const b of batches) {
      expect(b.largest).toBeGreaterThan(1);
      expect(b.requests).toBeGreaterThan(b.batches);
    }
  });

  it(`20 auctions × 10 bidders, closing one after another while bids go on, ${SEEDS.length} seeds: 0 violations`, { timeout: 3_600_000 }, async () => {
    const reports: RaceReport[] = [];
    for (const seed of SEEDS) {
      const started = performance.now();
      const r = await manyAuctions(seed, injectBidHandler(ctx.app));
      expectClean(r);
      reports.push(r);
      console.log(`[race] ${describeRace(r).split('\n')[0]} (${Math.round(performance.now() - started)} ms)`);
    }
    const c = coverage(reports);
    console.log(`[race] 20 auctions, seeds ${SEEDS.join(',')}: ${JSON.stringify(c)}`);
    if (SEEDS.length >= 10) {
      expect(c.sold).toBeGreaterThan(0);
      expect(c.unsold).toBeGreaterThan(0);
      expect(c.extensions).toBeGreaterThan(0);
      expect(c.closedDuringRun).toBeGreaterThan(0);
      expect(c.refusals.AUCTION_CLOSED ?? 0).toBeGreaterThan(0);
    }
  });
});

/**
 * Read-then-write without the lock: the auction is read with a plain SELECT, checked, and then
 * written with an atomic UPDATE (so seq stays unique and nothing fails loudly). Otherwise it is the
 * real bid: same rules, same idempotency, same audit and feed. The harness must catch it.
 */
function naiveBidHandler(): BidHandler {
  const { db } = ctx.db;
  return async (bidder, listingId, amountFen, key) => {
    const actor = { userId: bidder.userId, organizationId: bidder.organizationId, kind: 'enterprise' as const, role: 'owner' as const, isAdmin: false };
    try {
      const out = await runIdempotent(db, { userId: actor.userId, key, scope: `POST /v1/listings/${listingId}/bids`, body: { amount: money(amountFen) } }, 201, async (tx) => {
        const read = await tx.execute<{ status: string; ends_at: string; start_price_fen: string; increment_fen: string; current_price_fen: string | null; extension_window_seconds: number; extension_seconds: number; registration_id: string; paddle: number }>(sql`
          select a.status, a.ends_at, a.start_price_fen, a.increment_fen, a.current_price_fen, a.extension_window_seconds, a.extension_seconds, r.id as registration_id, r.paddle
          from auctions a join listing_registrations r on r.listing_id = a.listing_id and r.organization_id = ${actor.organizationId}
          where a.listing_id = ${listingId}`);
        const a = read.rows[0]!;
        const now = ctx.clock.now();
        const endsAt = new Date(a.ends_at);
        if (a.status !== 'open' || now >= endsAt) throw conflict('AUCTION_CLOSED', 'The auction has ended');
        const terms = { startPriceFen: Number(a.start_price_fen), incrementFen: Number(a.increment_fen), currentPriceFen: a.current_price_fen === null ? null : Number(a.current_price_fen) };
        const rejection = checkBidAmount(amountFen, terms);
        if (rejection?.code === 'BID_TOO_LOW') throw conflict('BID_TOO_LOW', 'too low');
        if (rejection) throw new AppError(422, 'BID_NOT_MULTIPLE_OF_INCREMENT', 'off the grid');
        const newEnd = extendedEnd(endsAt, now, a.extension_window_seconds, a.extension_seconds);
        const extended = newEnd.getTime() !== endsAt.getTime();
        const id = newId();
        const updated = await tx.execute<{ bid_count: number }>(sql`
          update auctions set current_price_fen = ${amountFen}, bid_count = bid_count + 1, leading_bid_id = ${id}, leading_registration_id = ${a.registration_id},
            leading_paddle = ${a.paddle}, ends_at = ${newEnd.toISOString()}::timestamptz, extensions = extensions + ${extended ? 1 : 0}, updated_at = ${now.toISOString()}::timestamptz
          where listing_id = ${listingId} returning bid_count`);
        const seq = updated.rows[0]!.bid_count;
        await tx.execute(sql`
          insert into bids (id, listing_id, registration_id, organization_id, user_id, paddle, amount_fen, seq, placed_at)
          values (${id}, ${listingId}, ${a.registration_id}, ${actor.organizationId}, ${actor.userId}, ${a.paddle}, ${amountFen}, ${seq}, ${now.toISOString()}::timestamptz)`);
        const placed = { id, amount: money(amountFen), paddle: a.paddle, placedAt: isoDate(now)!, auctionEndsAt: isoDate(newEnd)! };
        await ctx.services.audit.append(tx, { listingId, action: 'bid.placed', actor, data: { ...placed, seq, registrationId: a.registration_id, previousEndsAt: extended ? isoDate(endsAt) : null } });
        await ctx.services.live.publish(tx, listingId, 'bid', { ...placed, bidCount: seq });
        if (extended) await ctx.services.live.publish(tx, listingId, 'extended', { endsAt: placed.auctionEndsAt, previousEndsAt: isoDate(endsAt), byBidId: id });
        return placed;
      });
      return { status: 201, body: out.body };
    } catch (err) {
      if (err instanceof AppError) return { status: err.status, body: { code: err.code } };
      return { status: 500, body: { code: 'INTERNAL' } };
    }
  };
}

describe('the harness catches a broken bid handler', () => {
  it('reports lost-update violations for read-then-write without the lock', { timeout: 600_000 }, async () => {
    // Every run reports something (at least the 500s of colliding inserts); within a few runs the
    // stale read shows as what it is: a raise below the increment or a price that went down, a
    // current price that is not the highest bid, a bid accepted after the close.
    const lostUpdates = ['below_ask', 'final_price', 'after_close', 'winner'] as const;
    let caught: RaceReport | undefined;
    for (const seed of SEEDS.slice(0, 5)) {
      const r = await hotAuction(seed, naiveBidHandler(), { bidders: 50, bids: 10 });
      const kinds = countByKind(r.violations);
      console.log(`[race] naive handler, seed ${seed}: ${JSON.stringify(kinds)}`);
      expect(r.violations.length, describeRace(r)).toBeGreaterThan(0);
      if (lostUpdates.some((k) => (kinds[k] ?? 0) > 0)) {
        caught = r;
        break;
      }
    }
    expect(caught, 'no lost update caught in 5 runs of the naive handler').toBeDefined();
  });
});

describe('edge of the close with the closer running', () => {
  it('bids 1 ms before the end extend it while a close for the old end runs; at the new end bids are refused and the close happens once', async () => {
    const buyers = bidders.slice(0, 8);
    const [listingId] = await openAuctions([{ buyers, terms: { reservePriceFen: null, extensionWindowSeconds: 300, extensionSeconds: 300 } }]);
    const end = new Date((await ctx.db.pool.query('select ends_at from auctions where listing_id = $1', [listingId])).rows[0].ends_at);
    const bid = injectBidHandler(ctx.app);
    const answers: BidAnswer[] = [];
    const fire = async (b: RaceBidder, amountFen: number, key: string) => {
      const res = await bid(b, listingId!, amountFen, key);
      const body = res.body as { id?: string; code?: string; placedAt?: string; auctionEndsAt?: string };
      const a: BidAnswer = {
        key,
        listingId: listingId!,
        userId: b.userId,
        organizationId: b.organizationId,
        amountFen,
        status: res.status,
        code: res.status === 201 ? null : (body.code ?? null),
        bidId: body.id ?? null,
        placedAt: body.placedAt ?? null,
        auctionEndsAt: body.auctionEndsAt ?? null,
        answeredAt: ctx.clock.now(),
      };
      answers.push(a);
      return a;
    };

    // 1 ms before the end: eight bids at once, each a different amount. The first accepted one moves
    // the end to now + 5 min; the others were placed in the same millisecond and move nothing.
    ctx.clock.set(new Date(end.getTime() - 1));
    const first = await Promise.all(buyers.map((b, i) => fire(b, 80_000_000 + 1_000_000 * (i + 1), `edge-a-${i}`)));
    const accepted = first.filter((a) => a.status === 201);
    expect(accepted.length).toBeGreaterThan(0);
    for (const a of first.filter((x) => x.status !== 201)) expect(a.code).toBe('BID_TOO_LOW');
    const end1 = new Date(end.getTime() - 1 + 300_000);
    expect(new Set(accepted.map((a) => a.auctionEndsAt))).toEqual(new Set([end1.toISOString()]));

    // The old end arrives: the closers of two processes run for it while eight more bids come in.
    // The end has moved, so nothing closes, and the bids (inside the window) move it again.
    ctx.clock.set(end);
    const top = Math.max(...accepted.map((a) => a.amountFen));
    const [second, pass] = await Promise.all([
      Promise.all(buyers.map((b, i) => fire(b, top + 1_000_000 * (i + 1), `edge-b-${i}`))),
      Promise.all([closer(end), closer(end)]),
    ]);
    expect([...pass[0].failed, ...pass[1].failed]).toEqual([]);
    expect([...pass[0].processed, ...pass[1].processed].filter((p) => p.listingId === listingId)).toEqual([]);
    const acceptedAtEnd = second.filter((a) => a.status === 201);
    expect(acceptedAtEnd.length).toBeGreaterThan(0);
    for (const a of second.filter((x) => x.status !== 201)) expect(a.code).toBe('BID_TOO_LOW');
    const end2 = new Date(end.getTime() + 300_000);
    expect(new Set(acceptedAtEnd.map((a) => a.auctionEndsAt))).toEqual(new Set([end2.toISOString()]));
    const row = (await ctx.db.pool.query('select status, ends_at, extensions from auctions where listing_id = $1', [listingId])).rows[0];
    expect(row).toMatchObject({ status: 'open', extensions: 2 });
    expect(row.ends_at.toISOString()).toBe(end2.toISOString());

    // Exactly at the new end: every bid is refused AUCTION_CLOSED, whether or not a close got there first,
    // and the two closers close it once, as of that end.
    ctx.clock.set(end2);
    const [last, closes] = await Promise.all([
      Promise.all(buyers.map((b, i) => fire(b, 200_000_000 + 1_000_000 * i, `edge-c-${i}`))),
      Promise.all([closer(end2), closer(end2)]),
    ]);
    expect(last.map((a) => a.code)).toEqual(buyers.map(() => 'AUCTION_CLOSED'));
    expect([...closes[0].processed, ...closes[1].processed].filter((p) => p.listingId === listingId).map((p) => [p.name, p.at.toISOString()])).toEqual([
      ['auction_sold', end2.toISOString()],
    ]);
    const check = await checkAuctionInvariants(ctx.db, listingId!, { answers, everyBidHasKey: true, expectClosed: true });
    expect(check.violations).toEqual([]);
    expect(check).toMatchObject({ status: 'sold', extensions: 2, bids: accepted.length + acceptedAtEnd.length });
  });

  it('the checker itself flags a tampered auction (a harness that cannot fail proves nothing)', async () => {
    const buyers = bidders.slice(0, 3);
    const [listingId] = await openAuctions([{ buyers, terms: { reservePriceFen: null } }]);
    const bid = injectBidHandler(ctx.app);
    for (const [i, b] of buyers.entries()) expect((await bid(b, listingId!, 80_000_000 + 1_000_000 * i, `tamper-${i}`)).status).toBe(201);
    const end = new Date(ctx.clock.now().getTime() + 3_600_000);
    ctx.clock.set(end);
    await closer(end);
    expect((await checkAuctionInvariants(ctx.db, listingId!, { everyBidHasKey: true, expectClosed: true })).violations).toEqual([]);
    // A bid that slipped in after the close, bypassing the service (triggers are not in the way: bids are insert-only).
    const reg = (await ctx.db.pool.query('select id, paddle, organization_id, created_by from listing_registrations where listing_id = $1 and paddle = 1', [listingId])).rows[0];
    await ctx.db.pool.query(
      `insert into bids (id, listing_id, registration_id, organization_id, user_id, paddle, amount_fen, seq, placed_at) values ($1, $2, $3, $4, $5, 1, 95000000, 4, $6)`,
      [newId(), listingId, reg.id, reg.organization_id, reg.created_by, new Date(ctx.clock.now().getTime() + 1)],
    );
    const kinds = countByKind((await checkAuctionInvariants(ctx.db, listingId!, { everyBidHasKey: true, expectClosed: true })).violations);
    expect(kinds).toMatchObject({ after_close: expect.any(Number), final_price: expect.any(Number), winner: expect.any(Number), audit: expect.any(Number), feed: expect.any(Number), idempotency: expect.any(Number) });
  });
});
