import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../src/db/client.js';
import type { Tx } from '../src/db/client.js';
import type { Clock } from '../src/lib/clock.js';
import { AppError } from '../src/lib/errors.js';
import { money } from '../src/lib/http.js';
import type { IdempotentOutcome } from '../src/lib/idempotency.js';
import type { Actor } from '../src/modules/accounts/tokens.js';
import { auctionsRepo } from '../src/modules/auctions/auctions.repo.js';
import type { PlacedBidDto } from '../src/modules/auctions/auctions.schemas.js';
import { createAuctionsService, type AuctionsService } from '../src/modules/auctions/auctions.service.js';
import { listingsRepo } from '../src/modules/listings/listings.repo.js';
import { startTestApp, type TestContext } from './support/app.js';
import { insertListingDueToOpen, type AuctionTerms } from './support/auction-rows.js';
import { checkAuctionInvariants, type BidAnswer } from './support/bid-invariants.js';
import { registerUser, type TestUser } from './support/factories.js';
import { eventually, openSse } from './support/sse.js';

// Group commit of bids (src/modules/auctions/auctions.combiner.ts): bids on one auction that
// arrive while its transaction is in flight are decided together in the next one. A test makes
// a batch by holding the first transaction in the beforeCommit hook (it holds the auction lock
// there), queueing bids meanwhile, and releasing it. The order and size of batches are observed
// through the same hook; nothing depends on timing.

let ctx: TestContext;
let seller: TestUser;
let buyers: TestUser[];
let outsider: TestUser;
/** Each set-up starts after everything earlier has ended, so the business clock only moves forward. */
let nextDue = new Date('2026-04-01T02:00:00Z');

beforeAll(async () => {
  ctx = await startTestApp({ BIDS_PER_BIDDER_PER_MINUTE: '100000' });
  seller = await registerUser(ctx.app, 'university');
  buyers = await Promise.all(Array.from({ length: 6 }, () => registerUser(ctx.app, 'enterprise')));
  outsider = await registerUser(ctx.app, 'enterprise');
}, 120_000);
afterAll(async () => {
  await ctx?.close();
});

const actor = (u: TestUser, kind: Actor['kind'] = 'enterprise'): Actor => ({ userId: u.userId, organizationId: u.organizationId, kind, role: 'owner', isAdmin: false });

/** An auction opened through the real end-of-notice transition; the clock is then 1 minute into it. */
async function openAuction(terms: Partial<AuctionTerms> = {}): Promise<{ listingId: string; endsAt: Date }> {
  const dueAt = nextDue;
  nextDue = new Date(dueAt.getTime() + 30 * 86_400_000);
  const { listingId } = await insertListingDueToOpen(ctx.db.db, seller, buyers, { dueAt, terms: { reservePriceFen: null, ...terms } });
  ctx.clock.set(dueAt);
  const opened = await ctx.services.transitions.processDue(dueAt);
  expect(opened.processed.filter((p) => p.listingId === listingId).map((p) => p.name)).toEqual(['auction_opened']);
  ctx.clock.set(new Date(dueAt.getTime() + 60_000));
  const endsAt = (await ctx.db.pool.query<{ ends_at: Date }>('select ends_at from auctions where listing_id = $1', [listingId])).rows[0]!.ends_at;
  return { listingId, endsAt };
}

/**
 * A bids service of its own (the app's own one has no hooks), on the test database or on another
 * pool ("another server process"). `hold()` makes the next batch wait in beforeCommit, with the
 * auction row locked, until `release()`; `sizes` lists every batch in commit order.
 */
function bidDesk(opts: { clock?: Clock; maxBidBatch?: number; database?: Database; failWhen?: (size: number, tx: Tx) => Promise<void> } = {}) {
  const sizes: number[] = [];
  let gate: { reached: boolean; open: () => void; wait: Promise<void> } | null = null;
  const service = createAuctionsService({
    db: (opts.database ?? ctx.db).db,
    clock: opts.clock ?? ctx.clock,
    repo: auctionsRepo,
    listingsRepo,
    journal: { audit: ctx.services.audit, live: ctx.services.live },
    ...(opts.maxBidBatch ? { maxBidBatch: opts.maxBidBatch } : {}),
    beforeCommit: async (tx, batch) => {
      sizes.push(batch.size);
      const g = gate;
      if (g) {
        gate = null;
        g.reached = true;
        await g.wait;
      }
      await opts.failWhen?.(batch.size, tx);
    },
  });
  return {
    service,
    sizes,
    /** the next batch to reach its commit waits there; resolves once it does */
    async hold(first: () => Promise<unknown>): Promise<{ release: () => void; first: Promise<unknown> }> {
      let open!: () => void;
      const g = { reached: false, open: () => open(), wait: new Promise<void>((r) => (open = r)) };
      gate = g;
      const settled = first().then(
        (v) => v,
        (e: unknown) => e,
      );
      await eventually(() => g.reached, 'the first batch to reach its commit');
      return { release: () => g.open(), first: settled };
    },
  };
}

type Placed = IdempotentOutcome<PlacedBidDto>;
const bid = (svc: AuctionsService, u: TestUser, listingId: string, amountFen: number, key?: string, kind?: Actor['kind']) =>
  svc.placeBid(actor(u, kind), listingId, { amount: money(amountFen) }, key);

/** An answer as a comparable summary: 201 (replayed or not) and the bid id, or the error's status and code. */
async function outcome(p: Promise<Placed>): Promise<{ status: number; code?: string; id?: string; replayed?: boolean; error?: unknown }> {
  try {
    const out = await p;
    return { status: out.status, id: out.body.id, replayed: out.replayed };
  } catch (error) {
    if (error instanceof AppError) return { status: error.status, code: error.code, replayed: error.headers?.['idempotent-replayed'] === 'true' };
    return { status: 500, error };
  }
}

const rows = async (listingId: string) => ({
  bids: (await ctx.db.pool.query('select id, seq, amount_fen, paddle, placed_at from bids where listing_id = $1 order by seq', [listingId])).rows,
  auction: (await ctx.db.pool.query('select current_price_fen, bid_count, leading_bid_id, ends_at, extensions, updated_at from auctions where listing_id = $1', [listingId])).rows[0],
  audit: (await ctx.db.pool.query('select seq, action, data from audit_entries where listing_id = $1 order by seq', [listingId])).rows,
  events: (await ctx.db.pool.query('select id, type, data from listing_events where listing_id = $1 order by id', [listingId])).rows,
  keys: (
    await ctx.db.pool.query('select key, response_status, response_body from idempotency_keys where scope = $1 order by key', [`POST /v1/listings/${listingId}/bids`])
  ).rows,
});

describe('batches', () => {
  it('a lone bid runs at once as a batch of one; bids arriving meanwhile form the next batches, at most maxBidBatch each, in arrival order', async () => {
    const { listingId } = await openAuction();
    const desk = bidDesk({ maxBidBatch: 3 });
    const held = await desk.hold(() => bid(desk.service, buyers[0]!, listingId, 80_000_000));
    expect(desk.sizes).toEqual([1]);
    const queued = Array.from({ length: 7 }, (_, i) => outcome(bid(desk.service, buyers[(i + 1) % 6]!, listingId, 81_000_000 + 1_000_000 * i)));
    expect(desk.service.bidsWaiting(listingId)).toBe(7);
    held.release();
    const answers = await Promise.all(queued);
    expect(answers.map((a) => a.status)).toEqual(Array(7).fill(201));
    expect(desk.sizes).toEqual([1, 3, 3, 1]);
    expect(desk.service.bidBatchStats()).toEqual({ batches: 4, requests: 8, largest: 3 });
    const after = await rows(listingId);
    expect(after.bids.map((b) => [b.seq, b.amount_fen])).toEqual(Array.from({ length: 8 }, (_, i) => [i + 1, 80_000_000 + 1_000_000 * i]));
    expect(after.bids.slice(1).map((b) => b.id)).toEqual(answers.map((a) => a.id));
    expect(after.auction).toMatchObject({ current_price_fen: 87_000_000, bid_count: 8, leading_bid_id: answers[6]!.id });
    // One audit entry and one feed event per bid, in bid order, the chain intact.
    expect(after.audit.filter((e) => e.action === 'bid.placed').map((e) => e.data.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(after.events.filter((e) => e.type === 'bid').map((e) => e.data.bidCount)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await ctx.services.audit.verifyChain(listingId)).valid).toBe(true);
  });

  it('a batch mixing valid, too-low, off-grid, unqualified and wrong-kind bids answers each request for itself', async () => {
    const { listingId } = await openAuction();
    const desk = bidDesk();
    const [a, b, c] = buyers;
    const held = await desk.hold(() => bid(desk.service, a!, listingId, 80_000_000, 'mix-0'));
    const queued = [
      outcome(bid(desk.service, b!, listingId, 80_000_000, 'mix-1')), // equal to the price the held bid set
      outcome(bid(desk.service, b!, listingId, 81_000_000, 'mix-2')), // valid
      outcome(bid(desk.service, c!, listingId, 82_500_000, 'mix-3')), // high enough, off the grid
      outcome(bid(desk.service, c!, listingId, 81_000_000)), // equal to the bid just before it in this batch
      outcome(bid(desk.service, outsider, listingId, 90_000_000, 'mix-5')), // not registered
      outcome(bid(desk.service, seller, listingId, 90_000_000, 'mix-6', 'university')), // not an enterprise
      outcome(bid(desk.service, c!, listingId, 84_000_000, 'mix-7')), // valid, three increments up
      outcome(bid(desk.service, a!, listingId, 85_500_000)), // high enough, off the grid
      outcome(bid(desk.service, a!, listingId, 85_000_000, 'mix-9')), // valid
    ];
    held.release();
    const answers = await Promise.all(queued);
    expect(answers.map((x) => [x.status, x.code ?? null])).toEqual([
      [409, 'BID_TOO_LOW'],
      [201, null],
      [422, 'BID_NOT_MULTIPLE_OF_INCREMENT'],
      [409, 'BID_TOO_LOW'],
      [409, 'NOT_QUALIFIED'],
      [403, 'KIND_NOT_ALLOWED'],
      [201, null],
      [422, 'BID_NOT_MULTIPLE_OF_INCREMENT'],
      [201, null],
    ]);
    expect(desk.sizes).toEqual([1, 9]);
    const after = await rows(listingId);
    expect(after.bids.map((x) => x.amount_fen)).toEqual([80_000_000, 81_000_000, 84_000_000, 85_000_000]);
    expect(after.bids.slice(1).map((x) => x.id)).toEqual([answers[1]!.id, answers[6]!.id, answers[8]!.id]);
    expect(after.auction).toMatchObject({ current_price_fen: 85_000_000, bid_count: 4, leading_bid_id: answers[8]!.id });
    // Every keyed request has its record, refusals included; the two without a key have none.
    expect(after.keys.map((k) => [k.key, k.response_status, k.response_body.code ?? k.response_body.id])).toEqual([
      ['mix-0', 201, after.bids[0]!.id],
      ['mix-1', 409, 'BID_TOO_LOW'],
      ['mix-2', 201, answers[1]!.id],
      ['mix-3', 422, 'BID_NOT_MULTIPLE_OF_INCREMENT'],
      ['mix-5', 409, 'NOT_QUALIFIED'],
      ['mix-6', 403, 'KIND_NOT_ALLOWED'],
      ['mix-7', 201, answers[6]!.id],
      ['mix-9', 201, answers[8]!.id],
    ]);
    expect(after.audit.filter((e) => e.action === 'bid.placed').map((e) => e.data.id)).toEqual(after.bids.map((x) => x.id));
    expect(after.events.filter((e) => e.type === 'bid').map((e) => e.data.id)).toEqual(after.bids.map((x) => x.id));
    expect((await ctx.services.audit.verifyChain(listingId)).valid).toBe(true);
    // The refusals stored in the batch replay later, through the app.
    const replay = await outcome(bid(ctx.services.auctions, b!, listingId, 80_000_000, 'mix-1'));
    expect(replay).toMatchObject({ status: 409, code: 'BID_TOO_LOW', replayed: true });
  });

  it('two requests with one Idempotency-Key in one batch make one bid: the second replays it; another body is 422; a refusal replays too', async () => {
    const { listingId } = await openAuction();
    const desk = bidDesk();
    const [a, b] = buyers;
    const held = await desk.hold(() => bid(desk.service, b!, listingId, 80_000_000, 'dup-held'));
    const queued = [
      outcome(bid(desk.service, a!, listingId, 81_000_000, 'dup-1')),
      outcome(bid(desk.service, a!, listingId, 81_000_000, 'dup-1')),
      outcome(bid(desk.service, a!, listingId, 82_000_000, 'dup-1')),
      // The same key string of another user is another key.
      outcome(bid(desk.service, b!, listingId, 82_000_000, 'dup-1')),
      outcome(bid(desk.service, a!, listingId, 82_000_000, 'dup-2')), // equal to b's bid just before: refused
      outcome(bid(desk.service, a!, listingId, 82_000_000, 'dup-2')),
      // A key already stored before the batch replays its stored answer.
      outcome(bid(desk.service, b!, listingId, 80_000_000, 'dup-held')),
    ];
    held.release();
    const [first, second, otherBody, otherUser, refused, refusedAgain, storedReplay] = await Promise.all(queued);
    expect(desk.sizes).toEqual([1, 7]);
    expect(first).toMatchObject({ status: 201, replayed: false });
    expect(second).toEqual({ status: 201, id: first!.id, replayed: true });
    expect(otherBody).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(otherUser).toMatchObject({ status: 201, replayed: false });
    expect(refused).toMatchObject({ status: 409, code: 'BID_TOO_LOW', replayed: false });
    expect(refusedAgain).toMatchObject({ status: 409, code: 'BID_TOO_LOW', replayed: true });
    expect(storedReplay).toMatchObject({ status: 201, replayed: true });
    const after = await rows(listingId);
    expect(after.bids.map((x) => [x.id, x.amount_fen])).toEqual([
      [storedReplay!.id, 80_000_000],
      [first!.id, 81_000_000],
      [otherUser!.id, 82_000_000],
    ]);
    expect(after.keys.filter((k) => k.key === 'dup-1').map((k) => k.response_body.id).sort()).toEqual([first!.id, otherUser!.id].sort());
    expect(after.keys.filter((k) => k.key === 'dup-2').map((k) => k.response_status)).toEqual([409]);
    // Afterwards the stored answer decides, as for keys from separate transactions.
    expect(await outcome(bid(ctx.services.auctions, a!, listingId, 81_000_000, 'dup-1'))).toEqual({ status: 201, id: first!.id, replayed: true });
    expect(await outcome(bid(ctx.services.auctions, a!, listingId, 90_000_000, 'dup-1'))).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('a key held by a request in flight elsewhere is 409 for every request of the batch with it, and stored for none', async () => {
    const { listingId } = await openAuction();
    const desk = bidDesk();
    const [a, b] = buyers;
    const holder = await ctx.db.pool.connect();
    try {
      await holder.query('begin');
      await holder.query('select pg_advisory_xact_lock(hashtextextended($1, 7261002))', [`${a!.userId}\nflight`]);
      const held = await desk.hold(() => bid(desk.service, b!, listingId, 80_000_000));
      const queued = [
        outcome(bid(desk.service, a!, listingId, 81_000_000, 'flight')),
        outcome(bid(desk.service, a!, listingId, 81_000_000, 'flight')),
        outcome(bid(desk.service, a!, listingId, 82_000_000, 'not-in-flight')),
      ];
      held.release();
      expect((await Promise.all(queued)).map((x) => [x.status, x.code ?? null])).toEqual([
        [409, 'IDEMPOTENCY_IN_FLIGHT'],
        [409, 'IDEMPOTENCY_IN_FLIGHT'],
        [201, null],
      ]);
    } finally {
      await holder.query('rollback');
      holder.release();
    }
    expect((await rows(listingId)).keys.map((k) => k.key)).toEqual(['not-in-flight']);
    expect(await outcome(bid(desk.service, a!, listingId, 83_000_000, 'flight'))).toMatchObject({ status: 201, replayed: false });
  });
});

describe('the live feed', () => {
  it("a batch's bid and extension events reach a stream in order, woken by the batch's one notification", async () => {
    const { listingId, endsAt } = await openAuction({ extensionWindowSeconds: 300, extensionSeconds: 300 });
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const stream = await openSse(`http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`, `/v1/listings/${listingId}/events`, { 'last-event-id': '0' });
    try {
      expect(stream.status).toBe(200);
      await stream.waitFor((events) => events.some((e) => e.event === 'state'));
      const seen = stream.events.length;
      const desk = bidDesk();
      const held = await desk.hold(() => bid(desk.service, buyers[0]!, listingId, 80_000_000));
      ctx.clock.set(new Date(endsAt.getTime() - 60_000)); // inside the final window: the first bid of the batch extends the end
      const queued = [1, 2, 3, 4].map((i) => outcome(bid(desk.service, buyers[i]!, listingId, 80_000_000 + 1_000_000 * i)));
      held.release();
      expect((await Promise.all(queued)).map((x) => x.status)).toEqual([201, 201, 201, 201]);
      expect(desk.sizes).toEqual([1, 4]);
      await stream.waitFor((events) => events.length >= seen + 6);
      const fresh = stream.events.slice(seen).map((e) => ({ id: Number(e.id), event: e.event, data: (JSON.parse(e.data) as { data: Record<string, unknown> }).data }));
      expect(fresh.map((e) => [e.event, e.data.bidCount ?? null])).toEqual([
        ['bid', 1],
        ['bid', 2],
        ['extended', null],
        ['bid', 3],
        ['bid', 4],
        ['bid', 5],
      ]);
      expect(fresh.map((e) => e.id)).toEqual([...fresh.map((e) => e.id)].sort((x, y) => x - y));
      expect(JSON.stringify(fresh)).not.toContain(buyers[1]!.organizationId);
    } finally {
      stream.close();
    }
  });
});

describe('time inside a batch', () => {
  /** A clock that answers the given moments one read at a time, then the test clock. */
  const scripted = (): { clock: Clock; script: Date[] } => {
    const script: Date[] = [];
    return { script, clock: { now: () => script.shift() ?? ctx.clock.now() } };
  };

  it('the auction closes between two bids of one batch: the bids before the end are counted, the ones at it are refused, and the close counts exactly those', async () => {
    const { listingId, endsAt } = await openAuction({ extensionWindowSeconds: 0 });
    const { clock, script } = scripted();
    const desk = bidDesk({ clock });
    const [a, b, c] = buyers;
    const held = await desk.hold(() => bid(desk.service, a!, listingId, 80_000_000, 'close-0'));
    const queued = [
      outcome(bid(desk.service, b!, listingId, 81_000_000, 'close-1')),
      outcome(bid(desk.service, c!, listingId, 82_000_000, 'close-2')),
      outcome(bid(desk.service, a!, listingId, 83_000_000, 'close-3')),
      outcome(bid(desk.service, b!, listingId, 84_000_000, 'close-4')),
    ];
    const at = (ms: number) => new Date(endsAt.getTime() + ms);
    script.push(at(-2), at(-1), at(0), at(1));
    held.release();
    const answers = await Promise.all(queued);
    expect(desk.sizes).toEqual([1, 4]);
    ctx.clock.set(endsAt);
    const closed = await ctx.services.transitions.processDue(endsAt);
    expect(answers.map((x) => [x.status, x.code ?? null])).toEqual([
      [201, null],
      [201, null],
      [409, 'AUCTION_CLOSED'],
      [409, 'AUCTION_CLOSED'],
    ]);
    const after = await rows(listingId);
    expect(after.bids.map((x) => [x.amount_fen, x.placed_at.toISOString()])).toEqual([
      [80_000_000, new Date(endsAt.getTime() - 3_540_000).toISOString()],
      [81_000_000, at(-2).toISOString()],
      [82_000_000, at(-1).toISOString()],
    ]);
    expect(closed.processed.filter((p) => p.listingId === listingId).map((p) => p.name)).toEqual(['auction_sold']);
    const check = await checkAuctionInvariants(ctx.db, listingId, { everyBidHasKey: true, expectClosed: true });
    expect(check.violations).toEqual([]);
    expect(check).toMatchObject({ status: 'sold', bids: 3, highestFen: 82_000_000 });
  });

  it('anti-sniping is computed bid by bid: a bid 1 ms before the end extends it, so a later bid of the batch past the old end is accepted and extends it again', async () => {
    const { listingId, endsAt } = await openAuction({ extensionWindowSeconds: 300, extensionSeconds: 300 });
    const { clock, script } = scripted();
    const desk = bidDesk({ clock });
    const [a, b, c] = buyers;
    const held = await desk.hold(() => bid(desk.service, a!, listingId, 80_000_000, 'snipe-0'));
    const queued = [
      outcome(bid(desk.service, b!, listingId, 81_000_000, 'snipe-1')),
      outcome(bid(desk.service, c!, listingId, 82_000_000, 'snipe-2')),
      outcome(bid(desk.service, a!, listingId, 83_000_000, 'snipe-3')),
    ];
    const at = (ms: number) => new Date(endsAt.getTime() + ms);
    // A clock stepping back (the third read) does not put a bid before the one it follows.
    script.push(at(-1), at(1_000), at(500));
    held.release();
    const answers = await Promise.all(queued);
    expect(answers.map((x) => x.status)).toEqual([201, 201, 201]);
    const after = await rows(listingId);
    expect(after.bids.slice(1).map((x) => x.placed_at.toISOString())).toEqual([at(-1).toISOString(), at(1_000).toISOString(), at(1_000).toISOString()]);
    expect(after.auction).toMatchObject({ extensions: 2, bid_count: 4 });
    expect(after.auction.ends_at.toISOString()).toBe(at(301_000).toISOString());
    expect(after.events.filter((e) => e.type === 'extended').map((e) => [e.data.previousEndsAt, e.data.endsAt, e.data.byBidId])).toEqual([
      [endsAt.toISOString(), at(299_999).toISOString(), answers[0]!.id],
      [at(299_999).toISOString(), at(301_000).toISOString(), answers[1]!.id],
    ]);
    ctx.clock.set(at(301_000));
    await ctx.services.transitions.processDue(at(301_000));
    const check = await checkAuctionInvariants(ctx.db, listingId, { everyBidHasKey: true, expectClosed: true });
    expect(check.violations).toEqual([]);
    expect(check).toMatchObject({ extensions: 2, bids: 4 });
  });
});

describe('a batch that fails', () => {
  beforeAll(async () => {
    // A COMMIT that PostgreSQL itself refuses: a deferred constraint trigger, checked at COMMIT,
    // that raises when the transaction has set test.fail_commit. Inert for everything else.
    await ctx.db.db.execute(sql`
      create function test_refuse_commit() returns trigger language plpgsql as $$
      begin
        if current_setting('test.fail_commit', true) = 'on' then raise exception 'commit refused by the test'; end if;
        return null;
      end $$`);
    await ctx.db.db.execute(sql`create constraint trigger test_refuse_commit after insert on bids deferrable initially deferred for each row execute function test_refuse_commit()`);
  });
  afterAll(async () => {
    await ctx.db.db.execute(sql`drop trigger test_refuse_commit on bids`);
  });

  const failures = {
    'an error before COMMIT': async () => {
      throw new Error('injected before commit');
    },
    'a COMMIT refused by PostgreSQL': async (tx: Tx) => {
      await tx.execute(sql`set local test.fail_commit = 'on'`);
    },
  };

  for (const [variant, [name, fail]] of Object.entries(failures).entries()) {
    // Keys belong to users, and the users are shared: each variant has keys of its own.
    const k = (n: number) => `fail-${variant}-${n}`;
    it(`${name}: every request of the batch gets the error, nothing of it is stored, and the same requests succeed afterwards`, async () => {
      const { listingId } = await openAuction();
      let batches = 0;
      // The second batch fails (the first is the held one).
      const desk = bidDesk({ failWhen: async (_size, tx) => (++batches === 2 ? fail(tx) : undefined) });
      const [a, b, c] = buyers;
      const held = await desk.hold(() => bid(desk.service, a!, listingId, 80_000_000, k(0)));
      const batch = [
        outcome(bid(desk.service, b!, listingId, 81_000_000, k(1))),
        outcome(bid(desk.service, c!, listingId, 82_000_000)),
        outcome(bid(desk.service, a!, listingId, 81_000_000, k(3))), // too low after fail-1
        outcome(bid(desk.service, a!, listingId, 80_000_000, k(0))), // a replay of the held batch's bid
      ];
      held.release();
      const failed = await Promise.all(batch);
      expect(await held.first).toMatchObject({ status: 201 });
      expect(desk.sizes).toEqual([1, 4]);
      expect(failed.map((x) => x.status)).toEqual([500, 500, 500, 500]);
      const err = failed[0]!.error as Error & { cause?: Error };
      expect(`${err.message} ${err.cause?.message ?? ''}`).toMatch(name.startsWith('an error') ? /injected before commit/ : /commit refused by the test/);
      for (const x of failed) expect(x.error).toBe(err);
      // Only the held batch's bid exists, with its record, audit entry and event.
      const after = await rows(listingId);
      expect(after.bids.map((x) => x.amount_fen)).toEqual([80_000_000]);
      expect(after.auction).toMatchObject({ current_price_fen: 80_000_000, bid_count: 1 });
      expect(after.keys.map((r) => r.key)).toEqual([k(0)]);
      expect(after.audit.filter((e) => e.action === 'bid.placed')).toHaveLength(1);
      expect(after.events.filter((e) => e.type === 'bid')).toHaveLength(1);
      // Nothing of the failed batch holds its keys: the same requests run afresh.
      const again = await Promise.all([
        outcome(bid(desk.service, b!, listingId, 81_000_000, k(1))),
        outcome(bid(desk.service, c!, listingId, 82_000_000)),
        outcome(bid(desk.service, a!, listingId, 81_000_000, k(3))),
        outcome(bid(desk.service, a!, listingId, 80_000_000, k(0))),
      ]);
      expect(again.map((x) => [x.status, x.code ?? null, x.replayed])).toEqual([
        [201, null, false],
        [201, null, false],
        [409, 'BID_TOO_LOW', false],
        [201, null, true],
      ]);
      const check = await checkAuctionInvariants(ctx.db, listingId, { expectClosed: false });
      expect(check.violations).toEqual([]);
    });
  }
});

describe('several processes', () => {
  it('batches of two processes on one auction take turns on the row lock while a third closes it: no acknowledged bid lost, none after the close', { timeout: 120_000 }, async () => {
    const { listingId, endsAt } = await openAuction({ extensionWindowSeconds: 0 });
    const pools = [createDatabase(ctx.db.url, 3), createDatabase(ctx.db.url, 3)];
    try {
      const desks = pools.map((database) => bidDesk({ database }));
      const answers: BidAnswer[] = [];
      let known = 79_000_000;
      let sent = 0;
      let closing: Promise<unknown> | undefined;
      const send = async (u: TestUser, desk: (typeof desks)[number], amount: number, key: string) => {
        const x = await outcome(bid(desk.service, u, listingId, amount, key));
        if (x.status === 201) known = Math.max(known, amount);
        answers.push({
          key,
          listingId,
          userId: u.userId,
          organizationId: u.organizationId,
          amountFen: amount,
          status: x.status,
          code: x.code ?? null,
          bidId: x.id ?? null,
          placedAt: null,
          auctionEndsAt: null,
          answeredAt: ctx.clock.now(),
        });
      };
      await Promise.all(
        buyers.map(async (u, i) => {
          for (let k = 0; k < 25; k++) {
            // Three quarters of the way through, the end arrives and the closer runs.
            if (++sent === 110) {
              ctx.clock.set(endsAt);
              closing = ctx.services.transitions.processDue(endsAt);
            }
            // Two requests at once per bidder, one to each process.
            const base = known;
            await Promise.all([0, 1].map((j) => send(u, desks[(i + j) % 2]!, base + 1_000_000 * (1 + ((i + k + j) % 3)), `procs-${i}-${k}-${j}`)));
          }
        }),
      );
      await closing;
      await ctx.services.transitions.processDue(endsAt);
      expect(answers.filter((x) => x.status === 201).length).toBeGreaterThan(10);
      expect(answers.filter((x) => x.code === 'AUCTION_CLOSED').length).toBeGreaterThan(0);
      expect(Math.max(...desks.flatMap((d) => d.sizes))).toBeGreaterThan(1);
      const check = await checkAuctionInvariants(ctx.db, listingId, { answers, everyBidHasKey: true, expectClosed: true });
      expect(check.violations).toEqual([]);
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
  });
});
