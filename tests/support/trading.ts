import request from 'supertest';
import { expect } from 'vitest';
import type { TestContext } from './app.js';
import { achievementInput, publish, registerUser, serverOf, type ApiTarget, type TestUser } from './factories.js';

/** Money in fen. */
export const m = (amount: number) => ({ amount, currency: 'CNY' as const });

/** A valid auction listing body (start ¥800,000, increment ¥10,000, reserve ¥900,000, deposit ¥50,000). */
export function listingInput(achievementId: string, overrides: Record<string, unknown> = {}) {
  return {
    achievementId,
    mode: 'auction',
    askingPrice: m(100_000_000),
    startPrice: m(80_000_000),
    increment: m(1_000_000),
    reservePrice: m(90_000_000),
    deposit: m(5_000_000),
    noticeWorkingDays: 5,
    auction: { durationMinutes: 60, extensionWindowSeconds: 300, extensionSeconds: 300 },
    ...overrides,
  };
}

/** The API steps of one listing's life, against the in-process app or a server process (its URL). */
export function listingSteps(target: ApiTarget, admin: TestUser) {
  const api = () => request(serverOf(target));

  async function ok(res: request.Response, status: number) {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    return res.body;
  }

  return {
    api,
    async publishedAchievement(owner: TestUser): Promise<string> {
      return (await publish(target, 'achievements', owner, admin, achievementInput())).id;
    },

    /** Creates (by the achievement's owner) and, unless told otherwise, approves a listing at the clock's now. */
    async listing(seller: TestUser, overrides: Record<string, unknown> = {}, opts: { approve?: boolean } = {}) {
      const achievementId = await this.publishedAchievement(seller);
      const created = await ok(await api().post('/v1/listings').set(seller.auth).send(listingInput(achievementId, overrides)), 201);
      if (opts.approve === false) return created;
      return ok(await api().post(`/v1/listings/${created.id}/review`).set(admin.auth).send({ decision: 'approve' }), 200);
    },

    async register(buyer: TestUser, listingId: string) {
      return ok(await api().post(`/v1/listings/${listingId}/registrations`).set(buyer.auth).send({ message: '我司有意受让' }), 201);
    },

    async qualify(by: TestUser, listingId: string, rid: string, body: { qualified: boolean; depositPaid: boolean }) {
      return ok(await api().post(`/v1/listings/${listingId}/registrations/${rid}/qualify`).set(by.auth).send(body), 200);
    },

    /** n new enterprises registered, qualified and with their deposit paid. */
    async qualifiedBuyers(seller: TestUser, listingId: string, n: number) {
      const buyers: (TestUser & { registrationId: string; paddle: number })[] = [];
      for (let i = 0; i < n; i++) {
        const buyer = await registerUser(target, 'enterprise');
        const reg = await this.register(buyer, listingId);
        await this.qualify(seller, listingId, reg.id, { qualified: true, depositPaid: true });
        buyers.push({ ...buyer, registrationId: reg.id, paddle: reg.paddle });
      }
      return buyers;
    },

    async get(listingId: string, as?: TestUser) {
      const req = api().get(`/v1/listings/${listingId}`);
      return ok(await (as ? req.set(as.auth) : req), 200);
    },
  };
}

/** Everything of one listing's life made through the API, for tests of what comes after. */
export function trading(ctx: TestContext, admin: TestUser) {
  return {
    ...listingSteps(ctx.app, admin),

    /** Moves the clock to `at` and runs the transitions due then; fails on any failed transition. */
    async runDue(at: string | Date) {
      ctx.clock.set(at);
      const result = await ctx.services.transitions.processDue(ctx.clock.now());
      expect(result.failed).toEqual([]);
      return result.processed;
    },

    /** An approved auction listing with n qualified buyers, opened by the end of its notice; the clock is at the opening. */
    async openAuction(seller: TestUser, n: number, overrides: Record<string, unknown> = {}) {
      const listing = await this.listing(seller, overrides);
      const buyers = await this.qualifiedBuyers(seller, listing.id, n);
      const processed = await this.runDue(listing.noticeEndsAt);
      expect(processed.filter((p) => p.listingId === listing.id).map((p) => p.name)).toEqual(['auction_opened']);
      const opened = await this.get(listing.id, seller);
      expect(opened.status).toBe('auction');
      return { listing: opened, buyers };
    },

    async depositStatuses(listingId: string): Promise<Record<string, string>> {
      const rows = (await ctx.db.pool.query('select id, deposit_status from listing_registrations where listing_id = $1', [listingId])).rows;
      return Object.fromEntries(rows.map((r) => [r.id, r.deposit_status]));
    },

    async auditActions(listingId: string): Promise<string[]> {
      return (await ctx.db.pool.query('select action from audit_entries where listing_id = $1 order by seq', [listingId])).rows.map((r) => r.action);
    },

    async events(listingId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
      return (await ctx.db.pool.query('select type, data from listing_events where listing_id = $1 order by id', [listingId])).rows;
    },
  };
}
