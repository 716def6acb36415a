import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { eq } from 'drizzle-orm';
import { startTestApp, type TestContext } from './support/app.js';
import { expectProblem } from './support/assert.js';
import { achievementInput, createAdmin, needInput, publish, registerUser, type TestUser } from './support/factories.js';
import { DealPipelineSchema, DealSchema } from '../src/modules/deals/deals.schemas.js';
import { commissionOf } from '../src/modules/deals/deals.service.js';
import { deals as dealsTable } from '../src/modules/deals/deals.tables.js';
import { listings } from '../src/modules/listings/listings.tables.js';
import { newId } from '../src/lib/ids.js';

let ctx: TestContext;
let broker: TestUser;
let otherBroker: TestUser;
let university: TestUser;
let enterprise: TestUser;
let outsider: TestUser;
let admin: TestUser;

beforeAll(async () => {
  ctx = await startTestApp();
  broker = await registerUser(ctx.app, 'broker');
  otherBroker = await registerUser(ctx.app, 'broker');
  university = await registerUser(ctx.app, 'university');
  enterprise = await registerUser(ctx.app, 'enterprise', { regionCode: '230600' });
  outsider = await registerUser(ctx.app, 'enterprise');
  admin = await createAdmin(ctx.app, ctx.services);
});
afterAll(async () => {
  await ctx?.close();
});

const api = () => request(ctx.app.server);
const cny = (amount: number) => ({ amount, currency: 'CNY' });
const dealBody = (overrides: Record<string, unknown> = {}) => ({
  sellerOrganizationId: university.organizationId,
  buyerOrganizationId: enterprise.organizationId,
  ...overrides,
});
async function openDeal(by: TestUser, overrides: Record<string, unknown> = {}) {
  const res = await api().post('/v1/deals').set(by.auth).send(dealBody(overrides));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; version: number; stage: string };
}
const patch = (by: TestUser, id: string, body: Record<string, unknown>, ifMatch?: string) => {
  const req = api().patch(`/v1/deals/${id}`).set(by.auth);
  return (ifMatch ? req.set('If-Match', ifMatch) : req).send(body);
};

describe('opening deals', () => {
  it('brokers open deals for their brokerage; the deal starts matched with its history', async () => {
    const res = await api().post('/v1/deals').set(broker.auth).send(dealBody({ commissionRate: 0.01, commissionCap: cny(3_000_000), note: '双方已线上对接' }));
    expect(res.status).toBe(201);
    expect(DealSchema.safeParse(res.body).success).toBe(true);
    expect(res.headers.etag).toBe('"1"');
    expect(res.headers.location).toBe(`/v1/deals/${res.body.id}`);
    expect(res.body).toMatchObject({
      stage: 'matched',
      origin: 'broker',
      brokerOrganizationId: broker.organizationId,
      commissionRate: 0.01,
      commissionCap: cny(3_000_000),
      commission: null,
      amount: null,
      createdBy: broker.userId,
    });
    expect(res.body.stageHistory).toEqual([{ fromStage: null, stage: 'matched', note: '双方已线上对接', actorUserId: broker.userId, at: '2026-03-02T02:00:00.000Z' }]);
    expect(res.body.stageTimes).toMatchObject({ matched: '2026-03-02T02:00:00.000Z', negotiating: null });
  });

  it('only brokers and admins open deals', async () => {
    expectProblem(await api().post('/v1/deals').set(university.auth).send(dealBody()), 403, 'ROLE_NOT_ALLOWED');
    expectProblem(await api().post('/v1/deals').set(enterprise.auth).send(dealBody()), 403, 'ROLE_NOT_ALLOWED');
    expectProblem(await api().post('/v1/deals').send(dealBody()), 401);
    // A broker cannot open a deal in another brokerage's name.
    const res = await api().post('/v1/deals').set(broker.auth).send(dealBody({ brokerOrganizationId: otherBroker.organizationId }));
    expectProblem(res, 422, 'DEAL_INVALID');
    expect(res.body.errors).toEqual([{ path: 'brokerOrganizationId', message: expect.any(String) }]);
  });

  it('admins open deals with or without a brokerage; commissions need one', async () => {
    const withBroker = await openDeal(admin, { brokerOrganizationId: otherBroker.organizationId });
    expect(withBroker).toMatchObject({ origin: 'admin', brokerOrganizationId: otherBroker.organizationId });
    const without = await openDeal(admin);
    expect(without).toMatchObject({ origin: 'admin', brokerOrganizationId: null });
    const res = await api().post('/v1/deals').set(admin.auth).send(dealBody({ commissionRate: 0.02, brokerOrganizationId: enterprise.organizationId }));
    expectProblem(res, 422, 'DEAL_INVALID');
    // not a brokerage, and the buyer itself
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['brokerOrganizationId', 'brokerOrganizationId']);
    const noBroker = await api().post('/v1/deals').set(admin.auth).send(dealBody({ commissionRate: 0.02 }));
    expectProblem(noBroker, 422, 'DEAL_INVALID');
    expect(noBroker.body.errors).toEqual([{ path: 'commissionRate', message: expect.any(String) }]);
  });

  it('report every invalid link at once', async () => {
    const achievement = await publish(ctx.app, 'achievements', university, admin, achievementInput());
    const need = await publish(ctx.app, 'needs', enterprise, admin, needInput());
    // achievement and need swapped to the wrong parties, an unknown buyer, seller = broker
    const res = await api()
      .post('/v1/deals')
      .set(broker.auth)
      .send({ sellerOrganizationId: broker.organizationId, buyerOrganizationId: newId(), achievementId: achievement.id, needId: need.id, listingId: newId() });
    expectProblem(res, 422, 'DEAL_INVALID');
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['achievementId', 'brokerOrganizationId', 'buyerOrganizationId', 'listingId', 'needId']);
    // The right links are accepted.
    const ok = await openDeal(broker, { achievementId: achievement.id, needId: need.id });
    expect(ok).toMatchObject({ achievementId: achievement.id, needId: need.id });
  });

  it('reject malformed bodies with 400', async () => {
    expectProblem(await api().post('/v1/deals').set(broker.auth).send(dealBody({ commissionRate: 0.00001 })), 400, 'VALIDATION_FAILED');
    expectProblem(await api().post('/v1/deals').set(broker.auth).send(dealBody({ commissionRate: 0.5 })), 400, 'VALIDATION_FAILED');
    expectProblem(await api().post('/v1/deals').set(broker.auth).send(dealBody({ stage: 'signed' })), 400, 'VALIDATION_FAILED');
    expectProblem(await api().post('/v1/deals').set(broker.auth).send({ sellerOrganizationId: 'x' }), 400, 'VALIDATION_FAILED');
  });
});

describe('visibility', () => {
  it('a broker sees its own deals, parties see theirs, admins all; others get 404', async () => {
    const deal = await openDeal(broker);
    for (const who of [broker, university, enterprise, admin]) expect((await api().get(`/v1/deals/${deal.id}`).set(who.auth)).status).toBe(200);
    for (const who of [otherBroker, outsider]) {
      expectProblem(await api().get(`/v1/deals/${deal.id}`).set(who.auth), 404, 'NOT_FOUND');
      expectProblem(await patch(who, deal.id, { note: 'x' }), 404, 'NOT_FOUND');
    }
    expectProblem(await api().get(`/v1/deals/${deal.id}`), 401);
    const mine = await api().get('/v1/deals?limit=100').set(otherBroker.auth);
    expect(mine.body.items.map((d: { id: string }) => d.id)).not.toContain(deal.id);
    const theirs = await api().get('/v1/deals?limit=100&role=buyer').set(enterprise.auth);
    expect(theirs.body.items.map((d: { id: string }) => d.id)).toContain(deal.id);
    expectProblem(await api().get(`/v1/deals?organizationId=${broker.organizationId}`).set(enterprise.auth), 403, 'ADMIN_ONLY');
  });

  it('the pipeline counts each stage over everything visible, not just the page', async () => {
    const b = await registerUser(ctx.app, 'broker');
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await openDeal(b)).id);
    await patch(b, ids[0]!, { stage: 'negotiating' });
    await patch(b, ids[1]!, { stage: 'cancelled', note: '买方放弃' });
    const page1 = await api().get('/v1/deals?limit=2').set(b.auth);
    expect(page1.status).toBe(200);
    expect(DealPipelineSchema.safeParse(page1.body).success).toBe(true);
    expect(page1.body.items.map((d: { id: string }) => d.id)).toEqual([ids[2], ids[1]]);
    expect(page1.body.stageCounts).toEqual({ matched: 1, negotiating: 1, signed: 0, registered: 0, industrialized: 0, cancelled: 1 });
    expect(page1.body.total).toBe(3);
    const page2 = await api().get(`/v1/deals?limit=2&cursor=${page1.body.nextCursor}`).set(b.auth);
    expect(page2.body.items.map((d: { id: string }) => d.id)).toEqual([ids[0]]);
    expect(page2.body.nextCursor).toBeNull();
    const negotiating = await api().get('/v1/deals?stage=negotiating').set(b.auth);
    expect(negotiating.body.items.map((d: { id: string }) => d.id)).toEqual([ids[0]]);
    expectProblem(await api().get('/v1/deals?cursor=bogus').set(b.auth), 400, 'INVALID_CURSOR');
    const all = await api().get(`/v1/deals?organizationId=${b.organizationId}&role=broker`).set(admin.auth);
    expect(all.body.total).toBe(3);
    expectProblem(await api().get('/v1/deals?role=broker').set(admin.auth), 400, 'ROLE_NEEDS_ORGANIZATION');
  });
});

describe('stages', () => {
  it('move forward with notes; signing needs the amount and computes the commission', async () => {
    ctx.clock.set('2026-03-02T02:00:00Z');
    const deal = await openDeal(broker, { commissionRate: 0.01, commissionCap: cny(3_000_000) });
    ctx.clock.advance(60_000);
    const negotiating = await patch(broker, deal.id, { stage: 'negotiating', note: '价格谈判中' }, '"1"');
    expect(negotiating.status).toBe(200);
    expect(negotiating.headers.etag).toBe('"2"');
    const noAmount = await patch(university, deal.id, { stage: 'signed' });
    expectProblem(noAmount, 422, 'DEAL_INVALID');
    expect(noAmount.body.errors).toEqual([{ path: 'amount', message: expect.any(String) }]);
    // ¥5,000,000 × 1% = ¥50,000, capped at ¥30,000.
    const signed = await patch(university, deal.id, { stage: 'signed', amount: cny(500_000_000), note: '合同已签署' });
    expect(signed.status).toBe(200);
    expect(signed.body).toMatchObject({ stage: 'signed', amount: cny(500_000_000), commission: cny(3_000_000) });
    expect(signed.body.stageHistory.map((e: { fromStage: string | null; stage: string; note: string | null }) => [e.fromStage, e.stage, e.note])).toEqual([
      [null, 'matched', null],
      ['matched', 'negotiating', '价格谈判中'],
      ['negotiating', 'signed', '合同已签署'],
    ]);
    expect(signed.body.stageTimes.negotiating).toBe('2026-03-02T02:01:00.000Z');
    // A note on the current stage.
    const noted = await patch(enterprise, deal.id, { note: '首期款已支付' });
    expect(noted.body.stageHistory.at(-1)).toMatchObject({ fromStage: 'signed', stage: 'signed', note: '首期款已支付', actorUserId: enterprise.userId });
    expect(noted.body.stage).toBe('signed');
  });

  it('refuse backward moves, manual registration, early industrialization and late changes', async () => {
    const deal = await openDeal(broker, { commissionRate: 0.01 });
    await patch(broker, deal.id, { stage: 'signed', amount: cny(10_000_000) });
    expectProblem(await patch(broker, deal.id, { stage: 'negotiating' }), 409, 'INVALID_STAGE_TRANSITION');
    expectProblem(await patch(broker, deal.id, { stage: 'registered' }), 409, 'STAGE_SET_BY_REGISTRATION');
    expectProblem(await patch(broker, deal.id, { stage: 'industrialized' }), 409, 'INVALID_STAGE_TRANSITION');
    expectProblem(await patch(broker, deal.id, { amount: cny(1) }), 409, 'AMOUNT_FIXED');
    expectProblem(await patch(broker, deal.id, { commissionRate: 0.02 }), 409, 'COMMISSION_FIXED');
    const cancelled = await patch(enterprise, deal.id, { stage: 'cancelled', note: '买方资金未到位' });
    expect(cancelled.body.stage).toBe('cancelled');
    expectProblem(await patch(broker, deal.id, { stage: 'signed' }), 409, 'DEAL_CLOSED');
  });

  it('only the brokerage and admins set the commission; If-Match is honoured', async () => {
    const deal = await openDeal(broker);
    expectProblem(await patch(university, deal.id, { commissionRate: 0.05 }), 403, 'BROKER_ONLY');
    expectProblem(await patch(broker, deal.id, { commissionRate: 0.05 }, '"7"'), 412, 'PRECONDITION_FAILED');
    const ok = await patch(admin, deal.id, { commissionRate: 0.015 }, '"1"');
    expect(ok.body.commissionRate).toBe(0.015);
    expectProblem(await patch(broker, deal.id, {}), 400, 'VALIDATION_FAILED');
    expectProblem(await patch(broker, newId(), { note: 'x' }), 404, 'NOT_FOUND');
  });

  it('round the commission half up to the fen, then cap it', () => {
    expect(commissionOf(333, 150, null)).toBe(5); // 4.995 fen
    expect(commissionOf(333, 100, null)).toBe(3); // 3.33 fen
    expect(commissionOf(500_000_000, 100, 3_000_000)).toBe(3_000_000);
    expect(commissionOf(900_000_000_000_000, 3000, null)).toBe(270_000_000_000_000);
    expect(commissionOf(1000, null, null)).toBeNull();
  });
});

describe('deals from the trading desk', () => {
  async function soldListing(): Promise<{ listingId: string; achievementId: string }> {
    const achievement = await publish(ctx.app, 'achievements', university, admin, achievementInput());
    const listingId = newId();
    const now = ctx.clock.now();
    await ctx.db.db.insert(listings).values({
      id: listingId,
      achievementId: achievement.id,
      sellerOrganizationId: university.organizationId,
      createdBy: university.userId,
      mode: 'fixed',
      status: 'sold',
      askingPriceFen: 50_000_000,
      startPriceFen: 50_000_000,
      incrementFen: 1_000_000,
      depositFen: 0,
      noticeWorkingDays: 5,
      maxNoticeExtensions: 0,
      auctionDurationMinutes: 60,
      extensionWindowSeconds: 300,
      extensionSeconds: 240,
      outcomePriceFen: 50_000_000,
      winnerRegistrationId: newId(),
      winnerPaddle: 1,
      closedAt: now,
      createdAt: now,
      updatedAt: now,
    });
    return { listingId, achievementId: achievement.id };
  }

  it('openFromSale opens one deal per listing, even when called twice or concurrently', async () => {
    const { listingId, achievementId } = await soldListing();
    const sale = { listingId, achievementId, sellerOrganizationId: university.organizationId, buyerOrganizationId: enterprise.organizationId, amountFen: 50_000_000 };
    const opened = await Promise.all([1, 2, 3].map(() => ctx.db.db.transaction((tx) => ctx.services.deals.openFromSale(tx, sale))));
    expect(new Set(opened.map((d) => d.id)).size).toBe(1);
    const again = await ctx.db.db.transaction((tx) => ctx.services.deals.openFromSale(tx, sale));
    expect(again.id).toBe(opened[0]!.id);
    const rows = await ctx.db.db.select().from(dealsTable).where(eq(dealsTable.listingId, listingId));
    expect(rows).toHaveLength(1);
    const res = await api().get(`/v1/deals/${again.id}`).set(enterprise.auth);
    expect(res.body).toMatchObject({ origin: 'listing_sale', stage: 'matched', amount: cny(50_000_000), brokerOrganizationId: null, createdBy: null, listingId });
    expect(res.body.stageHistory).toHaveLength(1);
    expect(res.body.stageHistory[0].actorUserId).toBeNull();
    // A broker cannot open a second deal for the same listing.
    expectProblem(await api().post('/v1/deals').set(broker.auth).send(dealBody({ listingId, achievementId })), 409, 'DEAL_EXISTS');
  });

  it('a rolled-back sale leaves no deal behind', async () => {
    const { listingId, achievementId } = await soldListing();
    const sale = { listingId, achievementId, sellerOrganizationId: university.organizationId, buyerOrganizationId: enterprise.organizationId, amountFen: 1 };
    await expect(
      ctx.db.db.transaction(async (tx) => {
        await ctx.services.deals.openFromSale(tx, sale);
        throw new Error('the close failed later');
      }),
    ).rejects.toThrow('the close failed later');
    expect(await ctx.db.db.select().from(dealsTable).where(eq(dealsTable.listingId, listingId))).toHaveLength(0);
  });
});
