import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type request from 'supertest';
import { startTestApp, type TestContext } from './support/app.js';
import { expectProblem } from './support/assert.js';
import { createAdmin, registerUser, type TestUser } from './support/factories.js';
import { contractInput, registerContract } from './support/contracts.js';
import { m, trading } from './support/trading.js';
import { ContractPageSchema, ContractSchema, ContractWithHistorySchema } from '../src/modules/contracts/contracts.schemas.js';
import { DealSchema } from '../src/modules/deals/deals.schemas.js';

let ctx: TestContext;
let seller: TestUser;
let outsider: TestUser;
let admin: TestUser;
let t: ReturnType<typeof trading>;

const START = '2026-03-02T02:00:00Z'; // Monday 10:00 Beijing
const OPENS = '2026-03-09T16:00:00.000Z'; // end of a 5-working-day notice approved at START
const ENDS = '2026-03-09T17:00:00.000Z'; // after the default 60 minutes
const AFTER_SALE = '2026-03-11T02:00:00Z'; // Wednesday 10:00 Beijing
const at = (iso: string, ms: number) => new Date(new Date(iso).getTime() + ms).toISOString();

beforeAll(async () => {
  ctx = await startTestApp({ BIDS_PER_BIDDER_PER_MINUTE: '1000' });
  seller = await registerUser(ctx.app, 'university');
  outsider = await registerUser(ctx.app, 'enterprise');
  admin = await createAdmin(ctx.app, ctx.services);
  t = trading(ctx, admin);
});
afterAll(async () => {
  await ctx?.close();
});

const api = () => t.api();
const bid = async (as: TestUser, listingId: string, amount: number) => {
  const res = await api().post(`/v1/listings/${listingId}/bids`).set(as.auth).send({ amount: m(amount) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
};
const dealsOf = async (listingId: string) => (await ctx.db.pool.query('select * from deals where listing_id = $1', [listingId])).rows;
const contractsOf = async (listingId: string) => (await ctx.db.pool.query('select * from contracts where listing_id = $1', [listingId])).rows;
const paths = (res: request.Response) => (res.body.errors as { path: string }[]).map((e) => e.path).sort();
const getContract = (id: string, as: TestUser) => api().get(`/v1/contracts/${id}`).set(as.auth);
const patchDraft = (id: string, as: TestUser, body: Record<string, unknown>, ifMatch?: string) => {
  const req = api().patch(`/v1/contracts/${id}`).set(as.auth);
  return (ifMatch ? req.set('If-Match', ifMatch) : req).send(body);
};
const submitDraft = (id: string, as: TestUser, headers: Record<string, string> = {}) => api().post(`/v1/contracts/${id}/submit`).set(as.auth).set(headers);
const registeredTotals = async () => (await api().get('/v1/stats/contracts').query({ from: '2026-01-01', to: '2026-12-31' })).body.totals;

/** An auction of two qualified buyers sold at the reserve (¥900,000); the clock is at the close. */
async function sellByAuction() {
  ctx.clock.set(START);
  const { listing, buyers } = await t.openAuction(seller, 2);
  const loser = buyers[0]!;
  const winner = buyers[1]!;
  ctx.clock.set(at(OPENS, 60_000));
  await bid(loser, listing.id, 85_000_000);
  await bid(winner, listing.id, 90_000_000);
  expect((await t.runDue(ENDS)).filter((p) => p.listingId === listing.id).map((p) => p.name)).toEqual(['auction_sold']);
  const [deal] = await dealsOf(listing.id);
  const [draft] = await contractsOf(listing.id);
  return { listing, winner, loser, dealId: deal.id as string, draftId: draft.id as string };
}

/** What the seller adds to the prefilled draft so that it can be filed. */
const completion = {
  signedOn: '2026-03-10',
  validFrom: '2026-03-10',
  validTo: '2029-03-09',
  technologyDomain: 'advanced_manufacturing',
  socioEconomicGoal: 'agriculture',
  industryCode: 'C35',
  expectedNewInvestment: m(200_000_000),
  expectedNewOutput: m(900_000_000),
  technologyAmount: m(72_000_000),
  document: { reference: 'files/contracts/2026/sale-0001.pdf', pages: 10 },
  buyer: { natureCode: '150' },
};

describe('a sale opens its deal and contract draft', () => {
  it('an auction sale opens one deal and one prefilled draft; a repeated close adds nothing', async () => {
    const before = await registeredTotals();
    const { listing, winner, dealId, draftId } = await sellByAuction();
    const deals = await dealsOf(listing.id);
    expect(deals).toHaveLength(1);
    expect(deals[0]).toMatchObject({
      origin: 'listing_sale',
      stage: 'matched',
      seller_organization_id: seller.organizationId,
      buyer_organization_id: winner.organizationId,
      achievement_id: listing.achievementId,
      amount_fen: 90_000_000,
      broker_organization_id: null,
    });
    expect(await contractsOf(listing.id)).toHaveLength(1);

    const res = await getContract(draftId, seller);
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"1"');
    expect(ContractWithHistorySchema.safeParse(res.body).success).toBe(true);
    expect(res.body).toMatchObject({
      status: 'draft',
      filingKind: 'original',
      revision: 1,
      lineageId: draftId,
      dealId,
      listingId: listing.id,
      title: '寒地水稻精量播种机',
      // The achievement offers transfer of a granted invention patent.
      type: 'transfer',
      subtype: 'patent_right',
      category: 'transfer',
      ipType: 'invention_patent',
      fieldCode: 'HLJ.5.05.01',
      sellerOrganizationId: seller.organizationId,
      buyerOrganizationId: winner.organizationId,
      seller: { natureCode: '022', countryCode: '142', regionCode: '230100' },
      buyer: { natureCode: null, countryCode: '142', regionCode: '230100' },
      amount: m(90_000_000),
      technologyAmount: m(90_000_000),
      signedOn: null,
      validTo: null,
      technologyDomain: null,
      industryCode: null,
      planSource: 'none',
      document: { reference: null },
      filedBy: null,
      filedAt: null,
      reviewWorkingDays: null,
      reviewDueOn: null,
      registrationNumber: null,
      decision: null,
      history: [{ id: draftId, revision: 1, status: 'draft', filedAt: null }],
    });

    // Nothing is due for the listing any more, and the hooks themselves are idempotent per sale.
    expect((await t.runDue('2026-04-01T00:00:00Z')).filter((p) => p.listingId === listing.id)).toEqual([]);
    await ctx.db.db.transaction(async (tx) => {
      const sale = { listingId: listing.id, achievementId: listing.achievementId, sellerOrganizationId: seller.organizationId, buyerOrganizationId: winner.organizationId, amountFen: 90_000_000 };
      const deal = await ctx.services.deals.openFromSale(tx, sale);
      expect(deal.id).toBe(dealId);
      expect((await ctx.services.contracts.draftFromSale(tx, { ...sale, dealId })).id).toBe(draftId);
    });
    expect(await dealsOf(listing.id)).toHaveLength(1);
    expect(await contractsOf(listing.id)).toHaveLength(1);
    // A draft is not a registration: the statistics do not move.
    expect(await registeredTotals()).toEqual(before);
  });

  it('the deal and the draft are written in the transaction that sells: if they fail, the listing does not sell', async () => {
    ctx.clock.set(START);
    const { listing, buyers } = await t.openAuction(seller, 2);
    ctx.clock.set(at(OPENS, 60_000));
    await bid(buyers[0]!, listing.id, 95_000_000);
    await ctx.db.pool.query(`create function refuse_drafts() returns trigger language plpgsql as $$ begin raise exception 'drafts refused by the test'; end $$`);
    await ctx.db.pool.query(`create trigger refuse_drafts before insert on contracts for each row when (new.status = 'draft') execute function refuse_drafts()`);
    try {
      ctx.clock.set(ENDS);
      const failed = await ctx.services.transitions.processDue(ctx.clock.now());
      expect(failed.failed.map((f) => f.listingId)).toContain(listing.id);
      expect(failed.processed.filter((p) => p.listingId === listing.id)).toEqual([]);
    } finally {
      await ctx.db.pool.query('drop trigger refuse_drafts on contracts');
      await ctx.db.pool.query('drop function refuse_drafts()');
    }
    expect((await t.get(listing.id, seller)).status).toBe('auction');
    expect(await dealsOf(listing.id)).toEqual([]);
    expect(await t.depositStatuses(listing.id)).toEqual({ [buyers[0]!.registrationId]: 'paid', [buyers[1]!.registrationId]: 'paid' });
    // The next pass sells it, with its deal and draft.
    expect((await t.runDue(ENDS)).filter((p) => p.listingId === listing.id).map((p) => p.name)).toEqual(['auction_sold']);
    expect(await dealsOf(listing.id)).toHaveLength(1);
    expect((await contractsOf(listing.id)).map((c) => [c.status, c.amount_fen])).toEqual([['draft', 95_000_000]]);
  });

  it("a broker's deal on the listing: kept at the sale price when its buyer wins, cancelled when another wins", async () => {
    const broker = await registerUser(ctx.app, 'broker');
    for (const brokersBuyerWins of [true, false]) {
      ctx.clock.set(START);
      const { listing, buyers } = await t.openAuction(seller, 2);
      const [loser, winner] = [buyers[0]!, buyers[1]!];
      const brokersBuyer = brokersBuyerWins ? winner : loser;
      const opened = await api()
        .post('/v1/deals')
        .set(broker.auth)
        .send({ listingId: listing.id, achievementId: listing.achievementId, sellerOrganizationId: seller.organizationId, buyerOrganizationId: brokersBuyer.organizationId, commissionRate: 0.02 });
      expect(opened.status, JSON.stringify(opened.body)).toBe(201);
      ctx.clock.set(at(OPENS, 60_000));
      await bid(loser, listing.id, 85_000_000);
      await bid(winner, listing.id, 90_000_000);
      expect((await t.runDue(ENDS)).filter((p) => p.listingId === listing.id).map((p) => p.name)).toEqual(['auction_sold']);

      const deals = await dealsOf(listing.id);
      const open = deals.filter((d) => d.stage !== 'cancelled');
      expect(open).toHaveLength(1);
      expect(open[0]).toMatchObject({ buyer_organization_id: winner.organizationId, amount_fen: 90_000_000 });
      const [draft] = await contractsOf(listing.id);
      expect(draft).toMatchObject({ deal_id: open[0].id, buyer_organization_id: winner.organizationId });
      if (brokersBuyerWins) {
        // The broker's deal is the sale's deal: its broker and commission terms are kept.
        expect(deals).toHaveLength(1);
        expect(open[0]).toMatchObject({ id: opened.body.id, origin: 'broker', broker_organization_id: broker.organizationId, commission_rate_bp: 200 });
      } else {
        expect(deals).toHaveLength(2);
        const cancelled = deals.find((d) => d.id === opened.body.id);
        expect(cancelled).toMatchObject({ stage: 'cancelled', buyer_organization_id: loser.organizationId });
        expect(open[0]).toMatchObject({ origin: 'listing_sale', broker_organization_id: null });
        const history = (await api().get(`/v1/deals/${opened.body.id}`).set(broker.auth)).body.stageHistory as { stage: string; note: string }[];
        expect(history.at(-1)).toMatchObject({ stage: 'cancelled', note: 'The listing was sold to another buyer' });
      }
    }
  });

  it('a confirmed 协议成交 opens one deal and one draft at the asking price', async () => {
    ctx.clock.set(START);
    const listing = await t.listing(seller);
    const [buyer] = await t.qualifiedBuyers(seller, listing.id, 1);
    expect((await t.runDue(listing.noticeEndsAt)).filter((p) => p.listingId === listing.id).map((p) => p.name)).toEqual(['agreement_started']);
    const confirm = (as: TestUser) => api().post(`/v1/listings/${listing.id}/agreement/confirm`).set(as.auth);
    ctx.clock.set('2026-03-10T02:00:00Z');
    expect((await confirm(seller)).status).toBe(200);
    expect(await dealsOf(listing.id)).toEqual([]);
    expect((await confirm(buyer!)).body.status).toBe('sold');
    expectProblem(await confirm(buyer!), 409, 'AGREEMENT_NOT_PENDING');
    const deals = await dealsOf(listing.id);
    expect(deals.map((d) => [d.origin, d.seller_organization_id, d.buyer_organization_id, d.amount_fen])).toEqual([['listing_sale', seller.organizationId, buyer!.organizationId, 100_000_000]]);
    const drafts = await contractsOf(listing.id);
    expect(drafts.map((c) => [c.status, c.deal_id, c.amount_fen, c.technology_amount_fen])).toEqual([['draft', deals[0].id, 100_000_000, 100_000_000]]);
    const res = await api().get('/v1/contracts').query({ dealId: deals[0].id }).set(buyer!.auth);
    expect(res.status).toBe(200);
    expect(ContractPageSchema.safeParse(res.body).success).toBe(true);
    expect(res.body.items.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual([[drafts[0].id, 'draft']]);
  });

  it('unsold, lapsed and withdrawn listings open nothing', async () => {
    ctx.clock.set(START);
    const below = await t.openAuction(seller, 2);
    ctx.clock.set(at(OPENS, 60_000));
    await bid(below.buyers[0]!, below.listing.id, 85_000_000);
    ctx.clock.set(START);
    const lapsing = await t.listing(seller);
    await t.qualifiedBuyers(seller, lapsing.id, 1);
    const withdrawn = await t.listing(seller);
    expect((await api().post(`/v1/listings/${withdrawn.id}/withdraw`).set(seller.auth).send({})).status).toBe(200);
    await t.runDue(ENDS);
    const dueAt = (await t.get(lapsing.id)).agreement.dueAt;
    expect((await t.runDue(dueAt)).filter((p) => p.listingId === lapsing.id).map((p) => p.name)).toEqual(['agreement_lapsed']);
    for (const id of [below.listing.id, lapsing.id, withdrawn.id]) {
      expect(['unsold', 'withdrawn']).toContain((await t.get(id)).status);
      expect(await dealsOf(id)).toEqual([]);
      expect(await contractsOf(id)).toEqual([]);
    }
  });
});

describe('the draft', () => {
  it('is visible to both parties and admins, not to a third organization; only the seller side edits it', async () => {
    const { winner, loser, draftId } = await sellByAuction();
    for (const who of [seller, winner, admin]) expect((await getContract(draftId, who)).status).toBe(200);
    expectProblem(await getContract(draftId, outsider), 404, 'NOT_FOUND');
    expectProblem(await getContract(draftId, loser), 404, 'NOT_FOUND');
    const listed = async (who: TestUser) => (await api().get('/v1/contracts').query({ status: 'draft', limit: 100 }).set(who.auth)).body.items.map((c: { id: string }) => c.id);
    expect(await listed(winner)).toContain(draftId);
    expect(await listed(admin)).toContain(draftId);
    expect(await listed(outsider)).not.toContain(draftId);

    expectProblem(await patchDraft(draftId, outsider, { title: '改名' }), 404, 'NOT_FOUND');
    expectProblem(await patchDraft(draftId, winner, { title: '改名' }), 403, 'NOT_SELLER_SIDE');
    expectProblem(await patchDraft(draftId, admin, { title: '改名' }), 403, 'NOT_SELLER_SIDE');
    expectProblem(await submitDraft(draftId, winner), 403, 'NOT_SELLER_SIDE');
    expectProblem(await submitDraft(draftId, outsider), 404, 'NOT_FOUND');
    // Not a filing: admins cannot decide it, and it is in no review queue or overdue list.
    expectProblem(await api().post(`/v1/contracts/${draftId}/review`).set(admin.auth).send({ decision: 'register' }), 409, 'CONTRACT_NOT_UNDER_REVIEW');
    const queue = await api().get('/v1/contracts').query({ status: 'submitted', limit: 100 }).set(admin.auth);
    expect(queue.body.items.map((c: { id: string }) => c.id)).not.toContain(draftId);
    ctx.clock.set('2027-06-01T02:00:00Z');
    const overdue = await api().get('/v1/contracts/overdue').query({ limit: 100 }).set(admin.auth);
    expect(overdue.status).toBe(200);
    expect(overdue.body.items.map((c: { id: string }) => c.id)).not.toContain(draftId);
    expect((await getContract(draftId, seller)).body.status).toBe('draft');
  });

  it('is completed with PATCH (If-Match), filed with every problem reported at once, registered, and moves its deal', async () => {
    const before = await registeredTotals();
    const { winner, dealId, draftId } = await sellByAuction();
    ctx.clock.set(AFTER_SALE);

    // Filing the prefilled draft as is: everything the sale could not tell is missing, at once.
    const bare = await submitDraft(draftId, seller);
    expectProblem(bare, 422, 'CONTRACT_INVALID');
    expect(paths(bare)).toEqual(
      ['buyer.natureCode', 'document', 'expectedNewInvestment', 'expectedNewOutput', 'industryCode', 'signedOn', 'socioEconomicGoal', 'technologyDomain', 'validFrom', 'validTo'].sort(),
    );
    expect((await getContract(draftId, seller)).body).toMatchObject({ status: 'draft', version: 1 });

    // Malformed patches are 400; a stale If-Match is 412.
    expectProblem(await patchDraft(draftId, seller, {}), 400);
    expectProblem(await patchDraft(draftId, seller, { sellerOrganizationId: outsider.organizationId }), 400);
    expectProblem(await patchDraft(draftId, seller, { signedOn: '10 March' }), 400);
    expectProblem(await patchDraft(draftId, seller, { title: '改名后' }, '"7"'), 412);

    // A draft may be inconsistent while it is being completed; submitting checks every rule.
    const partial = await patchDraft(draftId, seller, { ...completion, amount: m(0), technologyAmount: m(95_000_000), validTo: '2026-03-01' }, '"1"');
    expect(partial.status, JSON.stringify(partial.body)).toBe(200);
    expect(partial.headers.etag).toBe('"2"');
    expect(ContractSchema.safeParse(partial.body).success).toBe(true);
    expect(partial.body).toMatchObject({ status: 'draft', buyer: { natureCode: '150' }, technologyAmount: m(95_000_000), document: { reference: 'files/contracts/2026/sale-0001.pdf', pages: 10 } });
    const inconsistent = await submitDraft(draftId, seller, { 'If-Match': '"2"' });
    expectProblem(inconsistent, 422, 'CONTRACT_INVALID');
    expect(paths(inconsistent)).toEqual(['amount', 'signedOn', 'technologyAmount', 'validTo', 'validTo']);

    expect((await patchDraft(draftId, seller, { amount: m(90_000_000), technologyAmount: m(72_000_000), validTo: '2029-03-09' }, '"2"')).status).toBe(200);
    expectProblem(await submitDraft(draftId, seller, { 'If-Match': '"2"' }), 412);
    expect(await registeredTotals()).toEqual(before);

    const filed = await submitDraft(draftId, seller, { 'If-Match': '"3"', 'Idempotency-Key': 'file-sale-draft' });
    expect(filed.status, JSON.stringify(filed.body)).toBe(200);
    expect(ContractSchema.safeParse(filed.body).success).toBe(true);
    expect(filed.body).toMatchObject({
      id: draftId,
      status: 'submitted',
      dealId,
      filedBy: seller.userId,
      filedAt: '2026-03-11T02:00:00.000Z',
      reviewWorkingDays: 15,
      // filed Wednesday 2026-03-11: 12–13, 16–20, 23–27, 30–31 March and 1 April
      reviewDueOn: '2026-04-01',
      buyer: { natureCode: '150', regionCode: '230100' },
      amount: m(90_000_000),
      technologyAmount: m(72_000_000),
    });
    const replay = await submitDraft(draftId, seller, { 'If-Match': '"3"', 'Idempotency-Key': 'file-sale-draft' });
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(filed.body);
    expectProblem(await submitDraft(draftId, seller), 409, 'CONTRACT_NOT_DRAFT');
    expectProblem(await patchDraft(draftId, seller, { title: '改名后' }), 409, 'CONTRACT_NOT_DRAFT');
    expect(await registeredTotals()).toEqual(before);

    const registered = await registerContract(ctx.app, admin, draftId);
    expect(registered.registrationNumber).toMatch(/^2026230101\d{6}$/);
    const deal = await api().get(`/v1/deals/${dealId}`).set(winner.auth);
    expect(deal.status).toBe(200);
    expect(DealSchema.safeParse(deal.body).success).toBe(true);
    expect(deal.body.stage).toBe('registered');
    expect(deal.body.stageHistory.map((h: { fromStage: string | null; stage: string }) => [h.fromStage, h.stage])).toEqual([
      [null, 'matched'],
      ['matched', 'registered'],
    ]);
    const after = await registeredTotals();
    expect(after.count).toBe(before.count + 1);
    expect(after.amount.amount).toBe(before.amount.amount + 90_000_000);
    expect(after.technologyAmount.amount).toBe(before.technologyAmount.amount + 72_000_000);
  });

  it('a full filing through POST /v1/contracts for the sale completes the draft instead of adding a second contract', async () => {
    const { listing, winner, dealId, draftId } = await sellByAuction();
    ctx.clock.set(AFTER_SALE);
    const body = contractInput(seller.organizationId, winner.organizationId, {
      ...completion,
      type: 'transfer',
      subtype: 'patent_right',
      amount: m(90_000_000),
      listingId: listing.id,
      dealId,
    });
    const res = await api().post('/v1/contracts').set(seller.auth).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ id: draftId, status: 'submitted', dealId, listingId: listing.id, reviewDueOn: '2026-04-01', filedBy: seller.userId });
    expect((await contractsOf(listing.id)).map((c) => [c.id, c.status])).toEqual([[draftId, 'submitted']]);
    // The buyer is not the seller side and cannot file it.
    expectProblem(await api().post('/v1/contracts').set(winner.auth).send(body), 403, 'NOT_SELLER_SIDE');
  });
});
