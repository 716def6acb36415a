import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeys } from '../src/modules/accounts/keys.js';
import { SandboxClockSchema } from '../src/modules/sandbox/sandbox.schemas.js';
import { ListingSchema } from '../src/modules/listings/listings.schemas.js';
import { expectProblem } from './support/assert.js';
import { createTestDatabase } from './support/db.js';
import { createAdmin, registerUser, type TestUser } from './support/factories.js';
import { startTestApp, type TestContext } from './support/app.js';
import { startServerProcess, type ServerProcess } from './support/process.js';
import { listingSteps, m, trading } from './support/trading.js';

// Two real server processes (`src/server.ts`, as `npm start` runs it) with SANDBOX_CLOCK=true on
// one database: everything goes over HTTP, the database is read only to check what was stored.
const ADMIN = { email: 'sandbox-admin@techbridge.test', password: 'sandbox admin password 2026' };
const HOUR = 3_600_000;
/** Generous: a start is a few seconds, but the test machine may be shared with much else. */
const START_TIMEOUT_MS = 240_000;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
let env: Record<string, string>;
let a: ServerProcess;
let b: ServerProcess;
let admin: TestUser;
const started: ServerProcess[] = [];

async function start(overrides: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await startServerProcess({ ...env, ...overrides }, START_TIMEOUT_MS);
  started.push(server);
  return server;
}

async function stop(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  expect(await server.exited, server.output().slice(-3000)).toBe(0);
}

const clockOf = async (server: ServerProcess, as: TestUser = admin): Promise<Date> => {
  const res = await request(server.url).get('/v1/sandbox/clock').set(as.auth);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(SandboxClockSchema.parse(res.body)).toEqual({ now: expect.any(String) });
  return new Date(res.body.now);
};

const move = (server: ServerProcess, body: object, as: TestUser = admin) => request(server.url).post('/v1/sandbox/clock').set(as.auth).send(body);

async function moveOk(server: ServerProcess, body: object): Promise<Date> {
  const res = await move(server, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return new Date(SandboxClockSchema.parse(res.body).now);
}

const storedOffset = async (): Promise<number> => Number((await db.pool.query('select offset_ms from sandbox_clock')).rows[0]?.offset_ms ?? 0);

const bid = (server: ServerProcess, as: TestUser, listingId: string, amount: number) =>
  request(server.url).post(`/v1/listings/${listingId}/bids`).set(as.auth).send({ amount: m(amount) });

const later = (iso: string, ms: number) => new Date(new Date(iso).getTime() + ms).toISOString();

describe('server processes with SANDBOX_CLOCK=true on one database', () => {
  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(path.join(tmpdir(), 'techbridge-sandbox-'));
    // One signing key for both processes: a token from one is valid on the other.
    const { pem } = await generateSigningKeys();
    env = {
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      JWT_PRIVATE_KEY: pem,
      SANDBOX_CLOCK: 'true',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LISTING_SCHEDULER_INTERVAL_MS: '100',
    };
    [a, b] = await Promise.all([start(), start()]);
    const login = await request(a.url).post('/v1/auth/token').send(ADMIN);
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    admin = { userId: '', organizationId: '', ...ADMIN, token: login.body.accessToken, refreshToken: login.body.refreshToken, auth: { Authorization: `Bearer ${login.body.accessToken}` } };
  }, 2 * START_TIMEOUT_MS);

  afterAll(async () => {
    const running = started.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
    for (const s of running) s.child.kill('SIGTERM');
    await Promise.all(running.map((s) => s.exited));
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  describe('a listing from notice to sale on the sandbox clock', () => {
    it('publishes, qualifies two buyers, opens the auction by a move, takes bids, sells by a move; the other process reads it at once', { timeout: 120_000 }, async () => {
      const steps = listingSteps(a.url, admin);
      const seller = await registerUser(a.url, 'university');
      const listing = await steps.listing(seller);
      expect(listing.status).toBe('notice');
      const [first, second] = await steps.qualifiedBuyers(seller, listing.id, 2);

      // Past the end of the notice: the auction is open when the move returns, on either process.
      const afterNotice = later(listing.noticeEndsAt, 60_000);
      expect((await moveOk(a, { now: afterNotice })).getTime()).toBeGreaterThanOrEqual(new Date(afterNotice).getTime());
      const opened = await steps.get(listing.id, seller);
      expect(ListingSchema.safeParse(opened).success).toBe(true);
      expect(opened).toMatchObject({ status: 'auction', auction: { status: 'open', startsAt: listing.noticeEndsAt, endsAt: later(listing.noticeEndsAt, HOUR) } });
      expect((await request(b.url).get(`/v1/listings/${listing.id}`)).body.status).toBe('auction');

      // Both bid, one on each process.
      const low = await bid(a, first!, listing.id, 80_000_000);
      expect(low.status, JSON.stringify(low.body)).toBe(201);
      const high = await bid(b, second!, listing.id, 90_000_000);
      expect(high.status, JSON.stringify(high.body)).toBe(201);
      expect(high.body).toMatchObject({ amount: m(90_000_000), paddle: second!.paddle, auctionEndsAt: later(listing.noticeEndsAt, HOUR) });
      expect(new Date(high.body.placedAt).getTime()).toBeGreaterThanOrEqual(new Date(afterNotice).getTime());

      // Past the end: sold to the higher bid, closed at the auction's end (not at the move's target).
      await moveOk(b, { advanceSeconds: 3600 });
      const sold = await request(a.url).get(`/v1/listings/${listing.id}`);
      expect(sold.body).toMatchObject({
        status: 'sold',
        outcome: { price: m(90_000_000), winnerPaddle: second!.paddle },
        closedAt: later(listing.noticeEndsAt, HOUR),
        auction: { status: 'closed', bidCount: 2, currentPrice: m(90_000_000) },
      });
      // The sale opened a deal for the buyer, stamped at the close.
      const deals = await request(b.url).get('/v1/deals').set(second!.auth);
      expect(deals.status, JSON.stringify(deals.body)).toBe(200);
      const deal = deals.body.items.find((d: { listingId: string }) => d.listingId === listing.id);
      expect(deal).toMatchObject({ stage: 'matched', sellerOrganizationId: seller.organizationId, buyerOrganizationId: second!.organizationId, amount: m(90_000_000) });
      const dealRow = (await db.pool.query('select created_at from deals where listing_id = $1', [listing.id])).rows[0];
      expect(dealRow.created_at.getTime()).toBeGreaterThanOrEqual(new Date(later(listing.noticeEndsAt, HOUR)).getTime());
      expect(dealRow.created_at.getTime()).toBeLessThan(new Date(later(listing.noticeEndsAt, 2 * HOUR)).getTime());
      const deposits = (await db.pool.query('select id, deposit_status from listing_registrations where listing_id = $1', [listing.id])).rows;
      expect(Object.fromEntries(deposits.map((r) => [r.id, r.deposit_status]))).toEqual({ [first!.registrationId]: 'refunded', [second!.registrationId]: 'paid' });
    });

    it('walks one jump across many due moments step by step, in due order, each at its own moment', { timeout: 120_000 }, async () => {
      const steps = listingSteps(a.url, admin);
      const seller = await registerUser(a.url, 'institute');
      // Approved one after the other at the same business moment: the same end of notice.
      const lonely = await steps.listing(seller);
      const wanted = await steps.listing(seller);
      expect(wanted.noticeEndsAt).toBe(lonely.noticeEndsAt);
      await steps.qualifiedBuyers(seller, wanted.id, 2);
      const firstEvent = Number((await db.pool.query('select coalesce(max(id), 0) as id from listing_events')).rows[0].id);

      // Forty days: `lonely` is extended three times (5 working days each) and ends unsold;
      // `wanted` opens its auction at the end of notice and closes unsold an hour later.
      await moveOk(a, { advanceSeconds: 40 * 86_400 });
      expect(await steps.get(lonely.id)).toMatchObject({ status: 'unsold', noticeExtensions: 3 });
      expect(await steps.get(wanted.id)).toMatchObject({ status: 'unsold', auction: { status: 'closed', bidCount: 0 } });

      const audit = async (listingId: string) =>
        (await db.pool.query('select action, data, created_at from audit_entries where listing_id = $1 order by seq', [listingId])).rows as {
          action: string;
          data: Record<string, unknown>;
          created_at: Date;
        }[];
      const ends = (await audit(lonely.id)).filter((e) => e.action === 'notice.ended');
      expect(ends.map((e) => e.data.outcome)).toEqual(['extend', 'extend', 'extend', 'unsold']);
      const endTimes = ends.map((e) => new Date(e.data.at as string).getTime());
      expect(endTimes[0]).toBe(new Date(lonely.noticeEndsAt).getTime());
      for (let i = 1; i < endTimes.length; i++) expect(endTimes[i]!).toBeGreaterThan(endTimes[i - 1]!);
      // Each extension counts from the end of the previous one (as real time would), and each entry
      // was written at its own due moment, not at the jump's target.
      const extended = (await audit(lonely.id)).filter((e) => e.action === 'notice.extended').map((e) => new Date(e.data.noticeEndsAt as string).getTime());
      expect(extended).toEqual(endTimes.slice(1));
      for (const e of ends) {
        const due = new Date(e.data.at as string).getTime();
        expect(e.created_at.getTime()).toBeGreaterThanOrEqual(due);
        expect(e.created_at.getTime()).toBeLessThan(due + HOUR);
      }

      // Across both listings the live feed was written in due order: the first notice ends (both at
      // the same moment), the close an hour later, then the later ends of `lonely`'s extensions.
      const feed = (
        await db.pool.query('select listing_id, type, data, created_at from listing_events where id > $1 and listing_id = any($2) order by id', [firstEvent, [lonely.id, wanted.id]])
      ).rows as { listing_id: string; type: string; data: Record<string, unknown>; created_at: Date }[];
      const story = feed.map((e) => `${e.listing_id === lonely.id ? 'lonely' : 'wanted'}:${e.type}:${String(e.data.status)}`);
      expect(story).toEqual([
        'lonely:state:notice',
        'wanted:state:auction',
        'wanted:closed:unsold',
        'lonely:state:notice',
        'lonely:state:notice',
        'lonely:closed:unsold',
      ]);
      for (let i = 1; i < feed.length; i++) expect(feed[i]!.created_at.getTime()).toBeGreaterThanOrEqual(feed[i - 1]!.created_at.getTime());
      expect(feed[2]!.created_at.getTime()).toBeGreaterThanOrEqual(new Date(later(wanted.noticeEndsAt, HOUR)).getTime());
      expect(feed[2]!.created_at.getTime()).toBeLessThan(endTimes[1]!);
    });
  });

  describe('moving the clock', () => {
    it('never goes backward and validates the body; a refused move changes nothing', { timeout: 60_000 }, async () => {
      const before = await clockOf(a);
      const offset = await storedOffset();
      const back = await move(a, { now: new Date(before.getTime() - HOUR).toISOString() });
      expectProblem(back, 409, 'SANDBOX_CLOCK_BACKWARD');
      expect(back.body.detail).toMatch(/only moves forward/);
      expectProblem(await move(b, { now: '2020-01-01T00:00:00Z' }), 409, 'SANDBOX_CLOCK_BACKWARD');
      expectProblem(await move(a, { now: '2100-06-01T00:00:00+08:00' }), 422, 'SANDBOX_CLOCK_OUT_OF_RANGE');
      for (const body of [{}, { advanceSeconds: 60, now: new Date(before.getTime() + HOUR).toISOString() }, { advanceSeconds: 0 }, { advanceSeconds: -60 }, { advanceSeconds: 1.5 }, { advanceSeconds: '60' }, { now: 'tomorrow' }, { now: '2030-01-01T00:00:00' }, { advanceSeconds: 60, offsetMs: 0 }]) {
        expectProblem(await move(a, body), 400, 'VALIDATION_FAILED');
      }
      expectProblem(await request(a.url).post('/v1/sandbox/clock').set(admin.auth).set('content-type', 'text/plain').send('60'), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(await storedOffset()).toBe(offset);
      const after = await clockOf(b);
      expect(after.getTime() - before.getTime()).toBeLessThan(HOUR);
      expect(after.getTime()).toBeGreaterThanOrEqual(before.getTime());
    });

    it('is for platform admins only: 401 anonymous, 403 for any other user, on both verbs', { timeout: 60_000 }, async () => {
      const offset = await storedOffset();
      expectProblem(await request(a.url).get('/v1/sandbox/clock'), 401, 'UNAUTHENTICATED');
      expectProblem(await request(a.url).post('/v1/sandbox/clock').send({ advanceSeconds: 60 }), 401, 'UNAUTHENTICATED');
      expectProblem(await request(a.url).get('/v1/sandbox/clock').set('Authorization', 'Bearer not-a-token'), 401, 'INVALID_TOKEN');
      for (const kind of ['enterprise', 'university', 'broker'] as const) {
        const user = await registerUser(a.url, kind);
        expectProblem(await request(a.url).get('/v1/sandbox/clock').set(user.auth), 403, 'ADMIN_ONLY');
        expectProblem(await move(b, { advanceSeconds: 60 }, user), 403, 'ADMIN_ONLY');
      }
      expect(await storedOffset()).toBe(offset);
    });

    it('two processes on one database tell the same time right after a move on either; concurrent moves never lose one', { timeout: 60_000 }, async () => {
      const movedOnA = await moveOk(a, { advanceSeconds: 86_400 });
      const seenOnB = await clockOf(b);
      expect(seenOnB.getTime()).toBeGreaterThanOrEqual(movedOnA.getTime());
      expect(seenOnB.getTime() - movedOnA.getTime()).toBeLessThan(60_000);
      const target = new Date(seenOnB.getTime() + 7 * 86_400_000);
      expect((await moveOk(b, { now: target.toISOString() })).getTime()).toBeGreaterThanOrEqual(target.getTime());
      expect((await clockOf(a)).getTime()).toBeGreaterThanOrEqual(target.getTime());

      // Ten one-hour moves at once, half on each process: serialized on the clock row, so the offset
      // grows by ten hours (less the real time each move took), never by fewer.
      const offset = await storedOffset();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => move(i % 2 === 0 ? a : b, { advanceSeconds: 3600 })));
      expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
      const grown = (await storedOffset()) - offset;
      expect(grown).toBeLessThanOrEqual(10 * HOUR);
      expect(grown).toBeGreaterThan(10 * HOUR - 60_000);
      const answers = results.map((r) => new Date(r.body.now).getTime()).sort((x, y) => x - y);
      for (let i = 1; i < answers.length; i++) expect(answers[i]! - answers[i - 1]!).toBeGreaterThanOrEqual(HOUR - 60_000);
    });
  });

  describe('start-up', () => {
    it('a restart keeps the time; without the flag the routes answer 404 to everyone', { timeout: 3 * START_TIMEOUT_MS }, async () => {
      await moveOk(a, { advanceSeconds: 2 * 86_400 });
      const offset = await storedOffset();
      expect(offset).toBeGreaterThan(2 * 86_400_000);
      await stop(a);

      // The same database without SANDBOX_CLOCK: real time, and the routes are absent.
      const plain = await start({ SANDBOX_CLOCK: 'false' });
      expectProblem(await request(plain.url).get('/v1/sandbox/clock').set(admin.auth), 404, 'SANDBOX_CLOCK_OFF');
      expectProblem(await request(plain.url).post('/v1/sandbox/clock').set(admin.auth).send({ advanceSeconds: 60 }), 404, 'SANDBOX_CLOCK_OFF');
      expectProblem(await request(plain.url).get('/v1/sandbox/clock'), 404, 'SANDBOX_CLOCK_OFF');
      expectProblem(await request(plain.url).post('/v1/sandbox/clock').send({ nonsense: true }), 404, 'SANDBOX_CLOCK_OFF');
      expect(await storedOffset()).toBe(offset);
      await stop(plain);

      // With the flag again: business time continues where the moves left it, as on the other process.
      a = await start();
      const onB = await clockOf(b);
      const onA = await clockOf(a);
      expect(onA.getTime()).toBeGreaterThanOrEqual(onB.getTime());
      expect(onA.getTime() - onB.getTime()).toBeLessThan(60_000);
      const realNow = (await db.pool.query('select now() as now')).rows[0].now as Date;
      expect(onA.getTime() - realNow.getTime()).toBeGreaterThanOrEqual(offset - 60_000);
    });

    it('refuses SANDBOX_CLOCK in production mode with a clear message and a non-zero exit', { timeout: START_TIMEOUT_MS }, async () => {
      await expect(startServerProcess({ ...env, NODE_ENV: 'production' }, START_TIMEOUT_MS)).rejects.toThrow(/exited early \(1\)[\s\S]*SANDBOX_CLOCK: not allowed in production/);
    });
  });
});

// In process (the same buildApp, a hand-moved base clock under the sandbox offset): a transition
// that fails during a move is reported, does not undo the move, and is retried by the scheduler.
describe('a transition that fails during a move', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await startTestApp({ SANDBOX_CLOCK: 'true' });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('answers 500 SANDBOX_TRANSITIONS_FAILED naming the listing; the rest is processed and the clock moved', { timeout: 60_000 }, async () => {
    const root = await createAdmin(ctx.app, ctx.services);
    const t = trading(ctx, root);
    const seller = await registerUser(ctx.app, 'university');
    const broken = await t.listing(seller);
    const fine = await t.listing(seller);
    await ctx.db.pool.query(`create function refuse_listing_update() returns trigger language plpgsql as $$ begin raise exception 'refused for the test'; end $$`);
    await ctx.db.pool.query(`create trigger refuse_listing_update before update on listings for each row when (old.id = '${broken.id}') execute function refuse_listing_update()`);

    const target = later(fine.noticeEndsAt, 60 * 86_400_000);
    const res = await request(ctx.app.server).post('/v1/sandbox/clock').set(root.auth).send({ now: target });
    expectProblem(res, 500, 'SANDBOX_TRANSITIONS_FAILED');
    expect(res.body.detail).toContain(broken.id);
    expect(res.body.detail).not.toContain(fine.id);
    expect(await t.get(fine.id)).toMatchObject({ status: 'unsold', noticeExtensions: 3 });
    expect((await t.get(broken.id)).status).toBe('notice');
    const clock = await request(ctx.app.server).get('/v1/sandbox/clock').set(root.auth);
    expect(new Date(clock.body.now).getTime()).toBeGreaterThanOrEqual(new Date(target).getTime());

    // Repaired: the scheduler's next tick catches up, each end of notice at its own moment.
    await ctx.db.pool.query('drop trigger refuse_listing_update on listings');
    const processed = (await ctx.services.listingScheduler.tick()).processed.filter((p) => p.listingId === broken.id);
    expect(processed.map((p) => p.name)).toEqual(['notice_extended', 'notice_extended', 'notice_extended', 'notice_ended_unsold']);
    expect(processed[0]!.at.toISOString()).toBe(broken.noticeEndsAt);
    expect((await t.get(broken.id)).status).toBe('unsold');
  });
});
