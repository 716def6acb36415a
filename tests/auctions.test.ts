import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import request from 'supertest';
import { startTestApp, type TestContext } from './support/app.js';
import { expectProblem } from './support/assert.js';
import { createAdmin, registerUser, type TestUser } from './support/factories.js';
import { m, trading } from './support/trading.js';
import { BidPageSchema, PlacedBidSchema } from '../src/modules/auctions/auctions.schemas.js';
import { ListingSchema } from '../src/modules/listings/listings.schemas.js';
import { createDatabase } from '../src/db/client.js';
import { createServices } from '../src/container.js';

let ctx: TestContext;
let seller: TestUser;
let admin: TestUser;
let t: ReturnType<typeof trading>;

const START = '2026-03-02T02:00:00Z'; // Monday 10:00 Beijing
const OPENS = '2026-03-09T16:00:00.000Z'; // end of a 5-working-day notice approved at START
const ENDS = '2026-03-09T17:00:00.000Z'; // after the default 60 minutes

beforeAll(async () => {
  ctx = await startTestApp({ BIDS_PER_BIDDER_PER_MINUTE: '1000' });
  seller = await registerUser(ctx.app, 'university');
  admin = await createAdmin(ctx.app, ctx.services);
  t = trading(ctx, admin);
});
afterAll(async () => {
  await ctx?.close();
});

const api = () => t.api();
const bid = (as: TestUser, listingId: string, amount: number, key?: string) => {
  const req = api().post(`/v1/listings/${listingId}/bids`).set(as.auth);
  return (key ? req.set('Idempotency-Key', key) : req).send({ amount: m(amount) });
};
const bidRows = async (listingId: string) =>
  (await ctx.db.pool.query('select id, amount_fen, seq, paddle from bids where listing_id = $1 order by seq', [listingId])).rows as {
    id: string;
    amount_fen: number;
    seq: number;
    paddle: number;
  }[];
const at = (iso: string, ms: number) => new Date(new Date(iso).getTime() + ms).toISOString();

async function freshAuction(n: number, overrides: Record<string, unknown> = {}) {
  ctx.clock.set(START);
  return t.openAuction(seller, n, overrides);
}

describe('opening', () => {
  it('opens an auction at the end of notice when two or more buyers are qualified with paid deposits', async () => {
    const { listing, buyers } = await freshAuction(3);
    expect(ListingSchema.safeParse(listing).success).toBe(true);
    expect(listing.auction).toEqual({
      status: 'open',
      startsAt: OPENS,
      endsAt: ENDS,
      currentPrice: null,
      bidCount: 0,
      leadingPaddle: null,
      extensionWindowSeconds: 300,
      extensionSeconds: 300,
    });
    expect(buyers.map((b) => b.paddle)).toEqual([1, 2, 3]);
    expect((await t.events(listing.id)).at(-1)).toMatchObject({ type: 'state', data: { status: 'auction', bidders: [1, 2, 3] } });
  });
});

describe('bids', () => {
  it('accepts valid bids on the increment grid and shows bidders only as paddle numbers', async () => {
    const { listing, buyers } = await freshAuction(2);
    const [a, b] = buyers;
    ctx.clock.set(at(OPENS, 60_000));
    const first = await bid(a!, listing.id, 80_000_000);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(PlacedBidSchema.safeParse(first.body).success).toBe(true);
    expect(first.body).toMatchObject({ amount: m(80_000_000), paddle: a!.paddle, placedAt: at(OPENS, 60_000), auctionEndsAt: ENDS });
    // A jump of three increments is fine.
    expect((await bid(b!, listing.id, 83_000_000)).status).toBe(201);
    const pub = await t.get(listing.id);
    expect(pub.auction).toMatchObject({ currentPrice: m(83_000_000), bidCount: 2, leadingPaddle: b!.paddle });
    expect(pub).not.toHaveProperty('reservePrice');
    const list = await api().get(`/v1/listings/${listing.id}/bids`);
    expect(BidPageSchema.safeParse(list.body).success).toBe(true);
    expect(list.body.items.map((x: { amount: { amount: number }; paddle: number }) => [x.amount.amount, x.paddle])).toEqual([
      [83_000_000, b!.paddle],
      [80_000_000, a!.paddle],
    ]);
    expect(JSON.stringify(list.body)).not.toContain(a!.organizationId);
    const page1 = await api().get(`/v1/listings/${listing.id}/bids?limit=1`);
    const page2 = await api().get(`/v1/listings/${listing.id}/bids?limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items[0].amount).toEqual(m(80_000_000));
    expect(page2.body.nextCursor).toBeNull();
    const events = (await t.events(listing.id)).filter((e) => e.type === 'bid');
    expect(events.map((e) => e.data)).toEqual([
      expect.objectContaining({ paddle: a!.paddle, amount: m(80_000_000), bidCount: 1 }),
      expect.objectContaining({ paddle: b!.paddle, amount: m(83_000_000), bidCount: 2 }),
    ]);
    expect(JSON.stringify(events)).not.toContain(a!.organizationId);
  });

  it('refuses low bids, off-grid bids, outsiders, other roles and hidden listings', async () => {
    const { listing, buyers } = await freshAuction(2);
    const [a] = buyers;
    ctx.clock.set(at(OPENS, 60_000));
    expectProblem(await bid(a!, listing.id, 79_000_000), 409, 'BID_TOO_LOW');
    expectProblem(await bid(a!, listing.id, 80_500_000), 422, 'BID_NOT_MULTIPLE_OF_INCREMENT');
    expect((await bid(a!, listing.id, 81_000_000)).status).toBe(201);
    // Equal to the current price, or above it by less than one increment.
    expectProblem(await bid(a!, listing.id, 81_000_000), 409, 'BID_TOO_LOW');
    expectProblem(await bid(a!, listing.id, 81_999_999), 409, 'BID_TOO_LOW');

    const outsider = await registerUser(ctx.app, 'enterprise');
    expectProblem(await bid(outsider, listing.id, 90_000_000), 409, 'NOT_QUALIFIED');
    expectProblem(await bid(seller, listing.id, 90_000_000), 403, 'KIND_NOT_ALLOWED');
    expectProblem(await bid(admin, listing.id, 90_000_000), 403, 'KIND_NOT_ALLOWED');
    expectProblem(await api().post(`/v1/listings/${listing.id}/bids`).send({ amount: m(90_000_000) }), 401, 'UNAUTHENTICATED');
    expectProblem(await api().post(`/v1/listings/${listing.id}/bids`).set(a!.auth).send({ amount: 90_000_000 }), 400, 'VALIDATION_FAILED');
    expectProblem(
      await api().post(`/v1/listings/${listing.id}/bids`).set(a!.auth).send({ amount: { amount: 90_000_000, currency: 'USD' } }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(await bid(a!, '0190a0a0-0000-7000-8000-000000000000', 90_000_000), 404, 'NOT_FOUND');
    const hidden = await t.listing(seller, {}, { approve: false });
    expectProblem(await bid(a!, hidden.id, 90_000_000), 404, 'NOT_FOUND');
    expect((await bidRows(listing.id)).map((r) => r.amount_fen)).toEqual([81_000_000]);
  });

  it('refuses a qualified buyer whose deposit is unpaid and a registrant that was not qualified', async () => {
    ctx.clock.set(START);
    const listing = await t.listing(seller);
    await t.qualifiedBuyers(seller, listing.id, 2);
    const unpaid = await registerUser(ctx.app, 'enterprise');
    const unpaidReg = await t.register(unpaid, listing.id);
    await t.qualify(seller, listing.id, unpaidReg.id, { qualified: true, depositPaid: false });
    const rejected = await registerUser(ctx.app, 'enterprise');
    const rejectedReg = await t.register(rejected, listing.id);
    await t.qualify(seller, listing.id, rejectedReg.id, { qualified: false, depositPaid: true });
    // Still in notice: no auction yet.
    expectProblem(await bid(unpaid, listing.id, 80_000_000), 409, 'AUCTION_NOT_OPEN');
    await t.runDue(listing.noticeEndsAt);
    expect((await t.get(listing.id)).status).toBe('auction');
    const unpaidRes = await bid(unpaid, listing.id, 80_000_000);
    expectProblem(unpaidRes, 409, 'NOT_QUALIFIED');
    expect(unpaidRes.body.detail).toMatch(/deposit/);
    expectProblem(await bid(rejected, listing.id, 80_000_000), 409, 'NOT_QUALIFIED');
  });

  it('extends the end when a bid falls inside the final window (anti-sniping)', async () => {
    const { listing, buyers } = await freshAuction(2);
    const [a, b] = buyers;
    ctx.clock.set(at(ENDS, -301_000)); // 5 min 1 s before the end: outside the window
    expect((await bid(a!, listing.id, 80_000_000)).body.auctionEndsAt).toBe(ENDS);
    ctx.clock.set(at(ENDS, -10_000)); // 10 s before the end
    const late = await bid(b!, listing.id, 81_000_000);
    expect(late.body.auctionEndsAt).toBe(at(ENDS, 290_000));
    // The old end passes without a close.
    expect((await t.runDue(ENDS)).filter((p) => p.listingId === listing.id)).toEqual([]);
    expect((await t.get(listing.id)).auction).toMatchObject({ status: 'open', endsAt: at(ENDS, 290_000) });
    expect((await t.events(listing.id)).filter((e) => e.type === 'extended').map((e) => e.data)).toEqual([
      expect.objectContaining({ previousEndsAt: ENDS, endsAt: at(ENDS, 290_000) }),
    ]);
    // At the new end a bid is refused even before the close is processed; then the close comes (below the reserve).
    ctx.clock.set(at(ENDS, 290_000));
    expectProblem(await bid(a!, listing.id, 82_000_000), 409, 'AUCTION_CLOSED');
    expect((await t.runDue(at(ENDS, 290_000))).filter((p) => p.listingId === listing.id).map((p) => p.name)).toEqual(['auction_unsold']);
  });
});

describe('close', () => {
  it('sells to the highest bid at or above the reserve, reveals the reserve, refunds the losers', async () => {
    const { listing, buyers } = await freshAuction(3);
    const [a, b, c] = buyers;
    ctx.clock.set(at(OPENS, 60_000));
    await bid(a!, listing.id, 85_000_000);
    await bid(b!, listing.id, 90_000_000);
    expect((await t.runDue(at(ENDS, -1))).filter((p) => p.listingId === listing.id)).toEqual([]);
    const closed = (await t.runDue(ENDS)).filter((p) => p.listingId === listing.id);
    expect(closed.map((p) => [p.name, p.at.toISOString()])).toEqual([['auction_sold', ENDS]]);
    const pub = await t.get(listing.id);
    expect(pub).toMatchObject({
      status: 'sold',
      outcome: { price: m(90_000_000), winnerPaddle: b!.paddle },
      reservePrice: m(90_000_000),
      closedAt: ENDS,
      auction: { status: 'closed', currentPrice: m(90_000_000), bidCount: 2 },
    });
    expect(await t.depositStatuses(listing.id)).toEqual({ [a!.registrationId]: 'refunded', [b!.registrationId]: 'paid', [c!.registrationId]: 'refunded' });
    expectProblem(await bid(c!, listing.id, 95_000_000), 409, 'AUCTION_CLOSED');
    expectProblem(await api().post(`/v1/listings/${listing.id}/withdraw`).set(seller.auth).send({}), 409, 'LISTING_CLOSED');
    expect((await t.events(listing.id)).at(-1)).toMatchObject({
      type: 'closed',
      data: { status: 'sold', price: m(90_000_000), winnerPaddle: b!.paddle, reservePrice: m(90_000_000) },
    });
    expect(await t.auditActions(listing.id)).toEqual(expect.arrayContaining(['bid.placed', 'auction.closed', 'listing.sold']));
    expect((await ctx.services.audit.verifyChain(listing.id)).valid).toBe(true);
  });

  it('ends unsold below the reserve, and unsold without bids', async () => {
    const below = await freshAuction(2);
    ctx.clock.set(at(OPENS, 60_000));
    await bid(below.buyers[0]!, below.listing.id, 89_000_000);
    const none = await freshAuction(2);
    const done = (await t.runDue(ENDS)).filter((p) => [below.listing.id, none.listing.id].includes(p.listingId));
    expect(done.map((p) => p.name)).toEqual(['auction_unsold', 'auction_unsold']);
    expect(await t.get(below.listing.id)).toMatchObject({ status: 'unsold', outcome: null, reservePrice: m(90_000_000) });
    expect(Object.values(await t.depositStatuses(below.listing.id))).toEqual(['refunded', 'refunded']);
    expect((await t.get(none.listing.id)).status).toBe('unsold');
  });

  it('a listing with bids cannot be withdrawn; one without bids can, mid-auction', async () => {
    const withBids = await freshAuction(2);
    ctx.clock.set(at(OPENS, 60_000));
    await bid(withBids.buyers[0]!, withBids.listing.id, 80_000_000);
    expectProblem(await api().post(`/v1/listings/${withBids.listing.id}/withdraw`).set(seller.auth).send({}), 409, 'LISTING_HAS_BIDS');
    expectProblem(await api().post(`/v1/listings/${withBids.listing.id}/withdraw`).set(admin.auth).send({}), 409, 'LISTING_HAS_BIDS');
    const noBids = await freshAuction(2);
    ctx.clock.set(at(OPENS, 60_000));
    const res = await api().post(`/v1/listings/${noBids.listing.id}/withdraw`).set(seller.auth).send({ reason: '评估报告需更新' });
    expect(res.body).toMatchObject({ status: 'withdrawn', auction: { status: 'closed' } });
    expectProblem(await bid(noBids.buyers[0]!, noBids.listing.id, 80_000_000), 409, 'AUCTION_CLOSED');
    expect(Object.values(await t.depositStatuses(noBids.listing.id))).toEqual(['refunded', 'refunded']);
    // Nothing left to close for it.
    expect((await t.runDue(ENDS)).filter((p) => p.listingId === noBids.listing.id)).toEqual([]);
  });
});

describe('Idempotency-Key', () => {
  it('replays the same bid for the same key and body, 422 for another body, and replays refusals too', async () => {
    const { listing, buyers } = await freshAuction(2);
    const [a, b] = buyers;
    ctx.clock.set(at(OPENS, 60_000));
    const first = await bid(a!, listing.id, 80_000_000, 'bid-key-1');
    expect(first.status).toBe(201);
    const replay = await bid(a!, listing.id, 80_000_000, 'bid-key-1');
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expectProblem(await bid(a!, listing.id, 81_000_000, 'bid-key-1'), 422, 'IDEMPOTENCY_KEY_REUSED');
    // Keys belong to their user: b may use the same string.
    expect((await bid(b!, listing.id, 81_000_000, 'bid-key-1')).status).toBe(201);
    // A refusal is the answer for its key: replayed even though the state has not changed in its favour.
    expectProblem(await bid(a!, listing.id, 81_000_000, 'bid-key-2'), 409, 'BID_TOO_LOW');
    const again = await bid(a!, listing.id, 81_000_000, 'bid-key-2');
    expectProblem(again, 409, 'BID_TOO_LOW');
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await bidRows(listing.id)).map((r) => r.amount_fen)).toEqual([80_000_000, 81_000_000]);
    expectProblem(
      await api().post(`/v1/listings/${listing.id}/bids`).set(a!.auth).set('Idempotency-Key', 'has space').send({ amount: m(90_000_000) }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('answers 409 while a request with the same key is in flight, and stores nothing for it', async () => {
    const { listing, buyers } = await freshAuction(2);
    const [a] = buyers;
    ctx.clock.set(at(OPENS, 60_000));
    // Hold the key's lock from another connection, as a first request still running would.
    const holder = new pg.Client({ connectionString: ctx.db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select pg_advisory_xact_lock(hashtextextended($1, 7261002))', [`${a!.userId}\nflight-key`]);
      expectProblem(await bid(a!, listing.id, 80_000_000, 'flight-key'), 409, 'IDEMPOTENCY_IN_FLIGHT');
      await holder.query('rollback');
    } finally {
      await holder.end();
    }
    expect((await bid(a!, listing.id, 80_000_000, 'flight-key')).status).toBe(201);
  });

  it('concurrent requests with one key create one bid: each answer is that bid or 409 in flight', async () => {
    const { listing, buyers } = await freshAuction(2);
    const [a] = buyers;
    ctx.clock.set(at(OPENS, 60_000));
    const answers = await Promise.all(Array.from({ length: 12 }, () => bid(a!, listing.id, 80_000_000, 'same-key')));
    const created = answers.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const r of answers.filter((x) => x.status !== 201)) expectProblem(r, 409, 'IDEMPOTENCY_IN_FLIGHT');
    expect(await bidRows(listing.id)).toHaveLength(1);
  });

  it('concurrent requests with one key and different bodies: at most one bid; the others are in flight or a reused key', async () => {
    const { listing, buyers } = await freshAuction(2);
    const [a] = buyers;
    ctx.clock.set(at(OPENS, 60_000));
    const amounts = Array.from({ length: 10 }, (_, i) => 80_000_000 + 1_000_000 * i);
    const answers = await Promise.all(amounts.map((amount) => bid(a!, listing.id, amount, 'mixed-key')));
    const created = answers.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    for (const r of answers.filter((x) => x.status !== 201)) {
      if (r.status === 409) expectProblem(r, 409, 'IDEMPOTENCY_IN_FLIGHT');
      else expectProblem(r, 422, 'IDEMPOTENCY_KEY_REUSED');
    }
    const rows = await bidRows(listing.id);
    expect(rows.map((r) => [r.id, r.amount_fen])).toEqual([[created[0]!.body.id, created[0]!.body.amount.amount]]);
    // Later, the stored answer decides: the same body replays it, any other body is refused.
    const replay = await bid(a!, listing.id, created[0]!.body.amount.amount, 'mixed-key');
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(created[0]!.body);
  });

  it('a key is bound to its listing: reusing it on another listing is 422 and bids nothing there', async () => {
    const first = await freshAuction(2);
    const second = await freshAuction(2);
    // The key's record is looked up by user and key; the listing is part of what it answers for.
    const buyer = second.buyers[0]!;
    ctx.clock.set(at(OPENS, 60_000));
    expect((await bid(buyer, second.listing.id, 80_000_000, 'scoped-key')).status).toBe(201);
    expectProblem(await bid(buyer, first.listing.id, 80_000_000, 'scoped-key'), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await bidRows(first.listing.id)).toEqual([]);
  });

  it('replays the stored bid after the auction has closed, with no second bid, audit entry or event', async () => {
    const { listing, buyers } = await freshAuction(2);
    const [a] = buyers;
    ctx.clock.set(at(OPENS, 60_000));
    const first = await bid(a!, listing.id, 90_000_000, 'late-retry');
    expect(first.status).toBe(201);
    await t.runDue(ENDS);
    expect((await t.get(listing.id)).status).toBe('sold');
    const retry = await bid(a!, listing.id, 90_000_000, 'late-retry');
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    // A new key for the same bid is a new request: the auction is over.
    expectProblem(await bid(a!, listing.id, 90_000_000, 'late-new'), 409, 'AUCTION_CLOSED');
    expect(await bidRows(listing.id)).toHaveLength(1);
    expect((await t.auditActions(listing.id)).filter((x) => x === 'bid.placed')).toHaveLength(1);
    expect((await t.events(listing.id)).filter((e) => e.type === 'bid')).toHaveLength(1);
    expect((await t.get(listing.id)).auction).toMatchObject({ bidCount: 1, currentPrice: m(90_000_000) });
  });

  it('stores nothing for a malformed request, and an expired key can be used again', async () => {
    const { listing, buyers } = await freshAuction(2);
    const [a] = buyers;
    ctx.clock.set(at(OPENS, 60_000));
    // 400 never reached the work: the key is not taken.
    expectProblem(await api().post(`/v1/listings/${listing.id}/bids`).set(a!.auth).set('Idempotency-Key', 'fresh-key').send({ amount: 80_000_000 }), 400, 'VALIDATION_FAILED');
    expect((await ctx.db.pool.query(`select 1 from idempotency_keys where user_id = $1 and key = 'fresh-key'`, [a!.userId])).rowCount).toBe(0);
    expect((await bid(a!, listing.id, 80_000_000, 'fresh-key')).status).toBe(201);
    // Past its retention (24 h of real time) the record no longer answers: another body is a new request.
    await ctx.db.pool.query(`update idempotency_keys set expires_at = now() - interval '1 second' where user_id = $1 and key = 'fresh-key'`, [a!.userId]);
    const again = await bid(a!, listing.id, 81_000_000, 'fresh-key');
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect((await bidRows(listing.id)).map((r) => r.amount_fen)).toEqual([80_000_000, 81_000_000]);
    const record = (await ctx.db.pool.query(`select response_body->>'id' as id from idempotency_keys where user_id = $1 and key = 'fresh-key'`, [a!.userId])).rows;
    expect(record).toEqual([{ id: again.body.id }]);
  });
});

describe('concurrency', () => {
  it('20 concurrent bids at the same price: exactly one is accepted, the rest are BID_TOO_LOW', async () => {
    const { listing, buyers } = await freshAuction(5);
    ctx.clock.set(at(OPENS, 60_000));
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => bid(buyers[i % 5]!, listing.id, 85_000_000)));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of answers.filter((x) => x.status !== 201)) expectProblem(r, 409, 'BID_TOO_LOW');
    expect(await bidRows(listing.id)).toHaveLength(1);
    expect((await t.get(listing.id)).auction).toMatchObject({ bidCount: 1, currentPrice: m(85_000_000) });
  });

  it('a bid racing the close is either counted or refused AUCTION_CLOSED, never both', async () => {
    const outcomes = { counted: 0, refused: 0 };
    for (let i = 0; i < 8; i++) {
      const { listing, buyers } = await freshAuction(2, { auction: { durationMinutes: 60, extensionWindowSeconds: 0, extensionSeconds: 300 } });
      ctx.clock.set(at(OPENS, 60_000));
      expect((await bid(buyers[0]!, listing.id, 90_000_000)).status).toBe(201);
      // The bid reads the clock 1 ms before the end; the closer runs as of the end.
      ctx.clock.set(at(ENDS, -1));
      const [res, closed] = await Promise.all([bid(buyers[1]!, listing.id, 91_000_000), ctx.services.transitions.processDue(new Date(ENDS))]);
      expect(closed.failed).toEqual([]);
      expect(closed.processed.filter((p) => p.listingId === listing.id).map((p) => p.name)).toEqual(['auction_sold']);
      const final = await t.get(listing.id);
      const amounts = (await bidRows(listing.id)).map((r) => r.amount_fen);
      if (res.status === 201) {
        outcomes.counted++;
        expect(final.outcome).toEqual({ price: m(91_000_000), winnerPaddle: buyers[1]!.paddle });
        expect(amounts).toEqual([90_000_000, 91_000_000]);
      } else {
        outcomes.refused++;
        expectProblem(res, 409, 'AUCTION_CLOSED');
        expect(final.outcome).toEqual({ price: m(90_000_000), winnerPaddle: buyers[0]!.paddle });
        expect(amounts).toEqual([90_000_000]);
      }
    }
    expect(outcomes.counted + outcomes.refused).toBe(8);
  });

  it('many bidders at once: no acknowledged bid lost or duplicated, prices strictly rising, final price = highest ack', async () => {
    const { listing, buyers } = await freshAuction(8);
    ctx.clock.set(at(OPENS, 60_000));
    const acked: { id: string; amount: number }[] = [];
    let seed = 42;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    await Promise.all(
      buyers.map(async (buyer) => {
        for (let k = 0; k < 12; k++) {
          const current = (await t.get(listing.id)).auction.currentPrice?.amount ?? 79_000_000;
          const amount = current + 1_000_000 * (1 + Math.floor(rand() * 2));
          const res = await bid(buyer, listing.id, amount);
          if (res.status === 201) acked.push({ id: res.body.id, amount });
          else expectProblem(res, 409, 'BID_TOO_LOW');
        }
      }),
    );
    const rows = await bidRows(listing.id);
    expect(rows.map((r) => r.id).sort()).toEqual(acked.map((a) => a.id).sort());
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i]!.amount_fen).toBeGreaterThan(rows[i - 1]!.amount_fen);
      expect((rows[i]!.amount_fen - 80_000_000) % 1_000_000).toBe(0);
    }
    const top = Math.max(...acked.map((a) => a.amount));
    expect((await t.get(listing.id)).auction).toMatchObject({ currentPrice: m(top), bidCount: rows.length });
    await t.runDue(at(ENDS, 3_600_000));
    const final = await t.get(listing.id);
    expect(final.status).toBe(top >= 90_000_000 ? 'sold' : 'unsold');
    expect(final.outcome?.price ?? null).toEqual(top >= 90_000_000 ? m(top) : null);
  });

  it('two scheduler instances closing the same auctions close each exactly once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { listing, buyers } = await freshAuction(2);
      ctx.clock.set(at(OPENS, 60_000));
      await bid(buyers[0]!, listing.id, 90_000_000);
      ids.push(listing.id);
    }
    // A second "server process": its own pool and services on the same database.
    const second = createDatabase(ctx.db.url, 5);
    try {
      const other = createServices({ ...ctx.deps, database: second });
      const due = new Date(ENDS);
      const [x, y] = await Promise.all([ctx.services.transitions.processDue(due), other.transitions.processDue(due)]);
      expect([...x.failed, ...y.failed]).toEqual([]);
      const mine = [...x.processed, ...y.processed].filter((p) => ids.includes(p.listingId));
      expect(mine.map((p) => p.name)).toEqual(ids.map(() => 'auction_sold'));
      expect(new Set(mine.map((p) => p.listingId)).size).toBe(ids.length);
      const closes = (
        await ctx.db.pool.query(`select count(*)::int as n from audit_entries where action = 'auction.closed' and listing_id = any($1) group by listing_id`, [ids])
      ).rows;
      expect(closes.map((r) => r.n)).toEqual(ids.map(() => 1));
      const closedEvents = (await ctx.db.pool.query(`select count(*)::int as n from listing_events where type = 'closed' and listing_id = any($1)`, [ids])).rows[0].n;
      expect(closedEvents).toBe(ids.length);
    } finally {
      await second.close();
    }
  });
});

describe('rate limit', () => {
  it('limits bids per bidder (429 with Retry-After)', async () => {
    const limited = await startTestApp({ BIDS_PER_BIDDER_PER_MINUTE: '2' });
    try {
      const buyer = await registerUser(limited.app, 'enterprise');
      const send = () => request(limited.app.server).post('/v1/listings/0190a0a0-0000-7000-8000-000000000000/bids').set(buyer.auth).send({ amount: m(100) });
      expectProblem(await send(), 404, 'NOT_FOUND');
      expectProblem(await send(), 404, 'NOT_FOUND');
      const third = await send();
      expectProblem(third, 429, 'RATE_LIMITED');
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});
