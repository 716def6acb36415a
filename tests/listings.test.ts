import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestContext } from './support/app.js';
import { expectProblem } from './support/assert.js';
import { achievementInput, createAdmin, registerUser, type TestUser } from './support/factories.js';
import { listingInput, m, trading } from './support/trading.js';
import { ListingPageSchema, ListingSchema, RegistrationPageSchema, RegistrationSchema } from '../src/modules/listings/listings.schemas.js';
import { createDatabase } from '../src/db/client.js';
import { createServices } from '../src/container.js';

let ctx: TestContext;
let seller: TestUser;
let otherSeller: TestUser;
let broker: TestUser;
let admin: TestUser;
let t: ReturnType<typeof trading>;

const START = '2026-03-02T02:00:00Z'; // Monday 10:00 Beijing

beforeAll(async () => {
  ctx = await startTestApp();
  seller = await registerUser(ctx.app, 'university');
  otherSeller = await registerUser(ctx.app, 'institute');
  broker = await registerUser(ctx.app, 'broker');
  admin = await createAdmin(ctx.app, ctx.services);
  t = trading(ctx, admin);
});
afterAll(async () => {
  await ctx?.close();
});

const api = () => t.api();
const count = async (sql: string, params: unknown[] = []) => Number((await ctx.db.pool.query(sql, params)).rows[0].count);

describe('create', () => {
  it('lists a published achievement of the caller’s organization as pending_review, private until approved', async () => {
    ctx.clock.set(START);
    const achievementId = await t.publishedAchievement(seller);
    const res = await api().post('/v1/listings').set(seller.auth).send(listingInput(achievementId));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(ListingSchema.safeParse(res.body).success).toBe(true);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toMatchObject({
      status: 'pending_review',
      sellerOrganizationId: seller.organizationId,
      mode: 'auction',
      startPrice: m(80_000_000),
      increment: m(1_000_000),
      reservePrice: m(90_000_000),
      deposit: m(5_000_000),
      noticeWorkingDays: 5,
      noticeEndsAt: null,
      maxNoticeExtensions: 3,
      auction: null,
      outcome: null,
      publishedAt: null,
    });
    // Invisible to everyone but the seller side until approved.
    expectProblem(await api().get(`/v1/listings/${res.body.id}`), 404, 'NOT_FOUND');
    expectProblem(await api().get(`/v1/listings/${res.body.id}`).set(otherSeller.auth), 404, 'NOT_FOUND');
    expect((await t.get(res.body.id, admin)).reservePrice).toEqual(m(90_000_000));
    const mine = await api().get('/v1/listings?mine=true').set(seller.auth);
    expect(ListingPageSchema.safeParse(mine.body).success).toBe(true);
    expect(mine.body.items.map((l: { id: string }) => l.id)).toContain(res.body.id);
    const pub = await api().get('/v1/listings?limit=100');
    expect(pub.body.items.map((l: { id: string }) => l.id)).not.toContain(res.body.id);
    expect(await t.auditActions(res.body.id)).toEqual(['listing.created']);
  });

  it('defaults a fixed-price listing: start at the asking price, 1 % increment, no reserve, 20 working days', async () => {
    const achievementId = await t.publishedAchievement(seller);
    const res = await api()
      .post('/v1/listings')
      .set(seller.auth)
      .send({ achievementId, mode: 'fixed', askingPrice: m(12_345_600), deposit: m(0) });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ startPrice: m(12_345_600), increment: m(123_500), reservePrice: null, noticeWorkingDays: 20 });
    expect(res.body.auctionSettings).toEqual({ durationMinutes: 60, extensionWindowSeconds: 300, extensionSeconds: 300 });
  });

  it('lets a broker list an achievement its own organization owns', async () => {
    const achievementId = await t.publishedAchievement(broker);
    const res = await api().post('/v1/listings').set(broker.auth).send(listingInput(achievementId));
    expect(res.status).toBe(201);
    expect(res.body.sellerOrganizationId).toBe(broker.organizationId);
  });

  it('refuses other roles, other organizations’ achievements and unpublished ones', async () => {
    const achievementId = await t.publishedAchievement(seller);
    const enterprise = await registerUser(ctx.app, 'enterprise');
    expectProblem(await api().post('/v1/listings').send(listingInput(achievementId)), 401, 'UNAUTHENTICATED');
    expectProblem(await api().post('/v1/listings').set(admin.auth).send(listingInput(achievementId)), 403, 'KIND_NOT_ALLOWED');
    // Published, so visible, but not theirs (a broker too: brokers list only what their organization owns).
    expectProblem(await api().post('/v1/listings').set(enterprise.auth).send(listingInput(achievementId)), 403, 'NOT_ACHIEVEMENT_OWNER');
    expectProblem(await api().post('/v1/listings').set(broker.auth).send(listingInput(achievementId)), 403, 'NOT_ACHIEVEMENT_OWNER');
    const draft = await api().post('/v1/achievements').set(seller.auth).send(achievementInput());
    expectProblem(await api().post('/v1/listings').set(seller.auth).send(listingInput(draft.body.id)), 409, 'ACHIEVEMENT_NOT_PUBLISHED');
    // Someone else's draft is not even visible.
    expectProblem(await api().post('/v1/listings').set(otherSeller.auth).send(listingInput(draft.body.id)), 404, 'NOT_FOUND');
    expectProblem(await api().post('/v1/listings').set(seller.auth).send(listingInput('0190a0a0-0000-7000-8000-000000000000')), 404, 'NOT_FOUND');
    expect(await count('select count(*) from listings where achievement_id = $1', [achievementId])).toBe(0);
  });

  it('validates the terms: notice bounds (400), missing auction terms and a reserve below the start (422)', async () => {
    const achievementId = await t.publishedAchievement(seller);
    const post = (body: Record<string, unknown>) => api().post('/v1/listings').set(seller.auth).send(listingInput(achievementId, body));
    expectProblem(await post({ noticeWorkingDays: 4 }), 400, 'VALIDATION_FAILED');
    expectProblem(await post({ noticeWorkingDays: 61 }), 400, 'VALIDATION_FAILED');
    expectProblem(await post({ askingPrice: { amount: 10.5, currency: 'CNY' } }), 400, 'VALIDATION_FAILED');
    expectProblem(await post({ deposit: { amount: 100, currency: 'USD' } }), 400, 'VALIDATION_FAILED');
    expectProblem(await post({ status: 'sold' }), 400, 'VALIDATION_FAILED');
    expectProblem(await post({ auction: { durationMinutes: 1 } }), 400, 'VALIDATION_FAILED');
    const missing = await post({ startPrice: undefined, increment: undefined });
    expectProblem(missing, 422, 'INVALID_TERMS');
    expect(missing.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['increment', 'startPrice']);
    expectProblem(await post({ reservePrice: m(70_000_000) }), 422, 'INVALID_TERMS');
    expectProblem(await post({ increment: m(0) }), 422, 'INVALID_TERMS');
    expectProblem(await post({ mode: 'fixed', startPrice: undefined, reservePrice: m(100_000_000) }), 422, 'INVALID_TERMS');
    expect(await count('select count(*) from listings where achievement_id = $1', [achievementId])).toBe(0);
  });

  it('allows one live listing per achievement (409), and replays an Idempotency-Key', async () => {
    const achievementId = await t.publishedAchievement(seller);
    const body = listingInput(achievementId);
    const first = await api().post('/v1/listings').set(seller.auth).set('Idempotency-Key', `create-${achievementId}`).send(body);
    expect(first.status).toBe(201);
    const replay = await api().post('/v1/listings').set(seller.auth).set('Idempotency-Key', `create-${achievementId}`).send(body);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expectProblem(await api().post('/v1/listings').set(seller.auth).send(body), 409, 'LISTING_EXISTS');
    expectProblem(
      await api().post('/v1/listings').set(seller.auth).set('Idempotency-Key', `create-${achievementId}`).send({ ...body, deposit: m(1) }),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    );
    expect(await count('select count(*) from listings where achievement_id = $1', [achievementId])).toBe(1);
  });
});

describe('edit and review', () => {
  it('edits the terms before approval with If-Match; stale → 412, foreign → 404, others → 403', async () => {
    ctx.clock.set(START);
    const listing = await t.listing(seller, {}, { approve: false });
    const patch = (as: TestUser, body: Record<string, unknown>, ifMatch?: string) => {
      const req = api().patch(`/v1/listings/${listing.id}`).set(as.auth);
      return (ifMatch ? req.set('If-Match', ifMatch) : req).send(body);
    };
    const edited = await patch(seller, { deposit: m(8_000_000), noticeWorkingDays: 10 }, '"1"');
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(edited.body).toMatchObject({ deposit: m(8_000_000), noticeWorkingDays: 10, version: 2, reservePrice: m(90_000_000), startPrice: m(80_000_000) });
    expect(edited.headers.etag).toBe('"2"');
    expectProblem(await patch(seller, { deposit: m(1) }, '"1"'), 412, 'PRECONDITION_FAILED');
    expectProblem(await patch(otherSeller, { deposit: m(1) }), 404, 'NOT_FOUND');
    expectProblem(await patch(admin, { deposit: m(1) }), 403, 'NOT_SELLER');
    expectProblem(await patch(seller, { reservePrice: m(1) }), 422, 'INVALID_TERMS');
    expectProblem(await patch(seller, {}), 400, 'VALIDATION_FAILED');
    expect((await t.get(listing.id, seller)).deposit).toEqual(m(8_000_000));
  });

  it('admin review: reject with a reason, the seller edits (back to review), approve starts the notice on working days', async () => {
    ctx.clock.set(START);
    const listing = await t.listing(seller, {}, { approve: false });
    const review = (as: TestUser, body: Record<string, unknown>) => api().post(`/v1/listings/${listing.id}/review`).set(as.auth).send(body);
    expectProblem(await review(seller, { decision: 'approve' }), 403, 'ADMIN_ONLY');
    expectProblem(await review(admin, { decision: 'reject' }), 400, 'VALIDATION_FAILED');
    const rejected = await review(admin, { decision: 'reject', reason: '底价高于评估值，请说明依据' });
    expect(rejected.body).toMatchObject({ status: 'rejected', reviewReason: '底价高于评估值，请说明依据' });
    expectProblem(await review(admin, { decision: 'approve' }), 409, 'LISTING_NOT_PENDING_REVIEW');
    const resubmitted = await api().patch(`/v1/listings/${listing.id}`).set(seller.auth).send({ reservePrice: m(85_000_000) });
    expect(resubmitted.body.status).toBe('pending_review');
    const approved = await review(admin, { decision: 'approve' });
    expect(approved.status).toBe(200);
    // Approved Monday 2026-03-02 10:00 Beijing; 5 working days after that day: Mar 3, 4, 5, 6, 9 → 24:00 Beijing on Mar 9.
    expect(approved.body).toMatchObject({ status: 'notice', noticeEndsAt: '2026-03-09T16:00:00.000Z', publishedAt: '2026-03-02T02:00:00.000Z' });
    // Public now, without the reserve or the review reason.
    const pub = await t.get(listing.id);
    expect(ListingSchema.safeParse(pub).success).toBe(true);
    expect(pub).not.toHaveProperty('reservePrice');
    expect(pub.reviewReason).toBeNull();
    expectProblem(await api().patch(`/v1/listings/${listing.id}`).set(seller.auth).send({ deposit: m(1) }), 409, 'LISTING_NOT_EDITABLE');
    expect(await t.auditActions(listing.id)).toEqual(['listing.created', 'listing.rejected', 'listing.updated', 'listing.approved']);
    expect((await t.events(listing.id)).map((e) => e.type)).toEqual(['state']);
  });
});

describe('registrations and qualification', () => {
  it('enterprises register during notice with paddle numbers; the seller qualifies and records deposits', async () => {
    ctx.clock.set(START);
    const listing = await t.listing(seller);
    const a = await registerUser(ctx.app, 'enterprise');
    const b = await registerUser(ctx.app, 'enterprise');
    const res = await api().post(`/v1/listings/${listing.id}/registrations`).set(a.auth).send({ message: '拟受让用于产业化' });
    expect(res.status).toBe(201);
    expect(RegistrationSchema.safeParse(res.body).success).toBe(true);
    expect(res.body).toMatchObject({ status: 'pending', paddle: 1, organizationId: a.organizationId, deposit: { amount: m(5_000_000), status: 'unpaid' } });
    const rb = await t.register(b, listing.id);
    expect(rb.paddle).toBe(2);
    expectProblem(await api().post(`/v1/listings/${listing.id}/registrations`).set(a.auth).send({}), 409, 'ALREADY_REGISTERED');

    const q = await api().post(`/v1/listings/${listing.id}/registrations/${res.body.id}/qualify`).set(seller.auth).send({ qualified: true, depositPaid: true });
    expect(q.status).toBe(200);
    expect(q.body).toMatchObject({ status: 'qualified', deposit: { status: 'paid', paidAt: '2026-03-02T02:00:00.000Z' } });
    // An admin may qualify too; a rejection keeps a paid deposit until it is refunded at the end.
    const rejected = await t.qualify(admin, listing.id, rb.id, { qualified: false, depositPaid: true });
    expect(rejected).toMatchObject({ status: 'rejected', deposit: { status: 'paid' } });

    // The seller side sees every registration, a buyer only its own.
    const all = await api().get(`/v1/listings/${listing.id}/registrations`).set(seller.auth);
    expect(RegistrationPageSchema.safeParse(all.body).success).toBe(true);
    expect(all.body.items.map((r: { paddle: number }) => r.paddle)).toEqual([1, 2]);
    const own = await api().get(`/v1/listings/${listing.id}/registrations`).set(b.auth);
    expect(own.body.items.map((r: { paddle: number }) => r.paddle)).toEqual([2]);
    expect(await t.auditActions(listing.id)).toEqual(['listing.created', 'listing.approved', 'registration.created', 'registration.created', 'registration.qualified', 'registration.qualified']);
  });

  it('refuses wrong roles, own listings, hidden listings, unknown registrations, and anything after the notice', async () => {
    ctx.clock.set(START);
    const listing = await t.listing(seller);
    const hidden = await t.listing(seller, {}, { approve: false });
    const buyer = await registerUser(ctx.app, 'enterprise');
    const outsider = await registerUser(ctx.app, 'enterprise');
    const register = (as: TestUser, id = listing.id) => api().post(`/v1/listings/${id}/registrations`).set(as.auth).send({});
    expectProblem(await api().post(`/v1/listings/${listing.id}/registrations`).send({}), 401, 'UNAUTHENTICATED');
    expectProblem(await register(otherSeller), 403, 'KIND_NOT_ALLOWED');
    expectProblem(await register(admin), 403, 'KIND_NOT_ALLOWED');
    expectProblem(await register(buyer, hidden.id), 404, 'NOT_FOUND');
    // An enterprise selling its own achievement cannot buy it.
    const entSeller = await registerUser(ctx.app, 'enterprise');
    const own = await t.listing(entSeller);
    expectProblem(await register(entSeller, own.id), 403, 'OWN_LISTING');

    const reg = await t.register(buyer, listing.id);
    const qualify = (as: TestUser, rid = reg.id, id = listing.id) =>
      api().post(`/v1/listings/${id}/registrations/${rid}/qualify`).set(as.auth).send({ qualified: true, depositPaid: true });
    expectProblem(await qualify(outsider), 403, 'NOT_SELLER');
    expectProblem(await qualify(buyer), 403, 'NOT_SELLER');
    expectProblem(await qualify(seller, '0190a0a0-0000-7000-8000-000000000000'), 404, 'NOT_FOUND');
    expectProblem(await qualify(otherSeller, reg.id, hidden.id), 404, 'NOT_FOUND');
    expectProblem(await api().get(`/v1/listings/${hidden.id}/registrations`).set(buyer.auth), 404, 'NOT_FOUND');

    // At the end of notice the door closes, even before the scheduler has run.
    ctx.clock.set(listing.noticeEndsAt);
    expectProblem(await register(outsider), 409, 'REGISTRATION_CLOSED');
    expectProblem(await qualify(seller), 409, 'QUALIFICATION_CLOSED');
    expect((await t.get(listing.id)).status).toBe('notice');
  });
});

describe('end of notice (time-driven)', () => {
  it('with no qualified buyer extends by 5 working days across the Spring Festival and its 调休 Saturday, then ends unsold', async () => {
    // Thursday 2026-02-12 10:00 Beijing; 5 working days: Feb 13, Feb 14 (调休 Saturday), [Feb 15–23 春节], Feb 24, 25, 26.
    ctx.clock.set('2026-02-12T02:00:00Z');
    const listing = await t.listing(seller, { maxNoticeExtensions: 1 });
    expect(listing.noticeEndsAt).toBe('2026-02-26T16:00:00.000Z');
    // A registrant that never qualifies does not count; its paid deposit is refunded at the end.
    const buyer = await registerUser(ctx.app, 'enterprise');
    const reg = await t.register(buyer, listing.id);
    await t.qualify(seller, listing.id, reg.id, { qualified: false, depositPaid: true });

    expect(await t.runDue('2026-02-26T15:59:59.999Z')).toEqual([]);
    const first = (await t.runDue('2026-02-26T16:00:00Z')).filter((p) => p.listingId === listing.id);
    expect(first.map((p) => p.name)).toEqual(['notice_extended']);
    // Feb 27, Feb 28 (调休 Saturday), Mar 2, 3, 4.
    expect(await t.get(listing.id)).toMatchObject({ status: 'notice', noticeExtensions: 1, noticeEndsAt: '2026-03-04T16:00:00.000Z' });
    // Registration stays open during the extension.
    const late = await registerUser(ctx.app, 'enterprise');
    await t.register(late, listing.id);

    const second = (await t.runDue('2026-03-04T16:00:00Z')).filter((p) => p.listingId === listing.id);
    expect(second.map((p) => p.name)).toEqual(['notice_ended_unsold']);
    const ended = await t.get(listing.id);
    expect(ended).toMatchObject({ status: 'unsold', closedAt: '2026-03-04T16:00:00.000Z', outcome: null, reservePrice: m(90_000_000) });
    expect(await t.depositStatuses(listing.id)).toMatchObject({ [reg.id]: 'refunded' });
    expect(await t.auditActions(listing.id)).toEqual(
      expect.arrayContaining(['notice.ended', 'notice.extended', 'notice.ended', 'listing.unsold']),
    );
    expect((await t.events(listing.id)).map((e) => e.type)).toEqual(['state', 'state', 'closed']);
  });

  it('counts the notice across 国庆 (approved on the 中秋 holiday) and extends over the 调休 Saturday after it', async () => {
    // Friday 2026-09-25 14:00 Beijing is itself a holiday: Sep 28, 29, 30, [Oct 1–7], Oct 8, 9.
    ctx.clock.set('2026-09-25T06:00:00Z');
    const listing = await t.listing(seller);
    expect(listing.noticeEndsAt).toBe('2026-10-09T16:00:00.000Z');
    await t.runDue('2026-10-09T16:00:00Z');
    // Oct 10 (调休 Saturday), Oct 12, 13, 14, 15.
    expect((await t.get(listing.id)).noticeEndsAt).toBe('2026-10-15T16:00:00.000Z');
  });

  it('processes a whole backlog in due order in one pass (a server that was down for weeks)', async () => {
    ctx.clock.set('2026-02-12T02:00:00Z');
    const listing = await t.listing(seller, { maxNoticeExtensions: 3 });
    const done = (await t.runDue('2026-06-01T00:00:00Z')).filter((p) => p.listingId === listing.id);
    expect(done.map((p) => [p.name, p.at.toISOString()])).toEqual([
      ['notice_extended', '2026-02-26T16:00:00.000Z'],
      ['notice_extended', '2026-03-04T16:00:00.000Z'],
      ['notice_extended', '2026-03-11T16:00:00.000Z'],
      ['notice_ended_unsold', '2026-03-18T16:00:00.000Z'],
    ]);
    expect(await t.get(listing.id)).toMatchObject({ status: 'unsold', noticeExtensions: 3, closedAt: '2026-03-18T16:00:00.000Z' });
  });

  it('with exactly one qualified buyer (deposit paid) waits for both parties to confirm, then sells at the asking price', async () => {
    ctx.clock.set(START);
    const listing = await t.listing(seller);
    const [buyer] = await t.qualifiedBuyers(seller, listing.id, 1);
    // Qualified but unpaid, and paid but unqualified: neither counts.
    const unpaid = await registerUser(ctx.app, 'enterprise');
    const unpaidReg = await t.register(unpaid, listing.id);
    await t.qualify(seller, listing.id, unpaidReg.id, { qualified: true, depositPaid: false });
    const loser = await registerUser(ctx.app, 'enterprise');
    const loserReg = await t.register(loser, listing.id);
    await t.qualify(seller, listing.id, loserReg.id, { qualified: false, depositPaid: true });

    const done = (await t.runDue(listing.noticeEndsAt)).filter((p) => p.listingId === listing.id);
    expect(done.map((p) => p.name)).toEqual(['agreement_started']);
    const waiting = await t.get(listing.id);
    // 5 working days after Mar 9: Mar 10, 11, 12, 13, 16.
    expect(waiting).toMatchObject({
      status: 'awaiting_agreement',
      auction: null,
      agreement: { price: m(100_000_000), buyerPaddle: buyer!.paddle, dueAt: '2026-03-16T16:00:00.000Z', sellerConfirmedAt: null, buyerConfirmedAt: null },
    });

    const confirm = (as: TestUser) => api().post(`/v1/listings/${listing.id}/agreement/confirm`).set(as.auth);
    expectProblem(await confirm(unpaid), 403, 'NOT_A_PARTY');
    expectProblem(await confirm(admin), 403, 'NOT_A_PARTY');
    expectProblem(await api().post(`/v1/listings/${listing.id}/withdraw`).set(seller.auth).send({}), 409, 'AGREEMENT_PENDING');
    ctx.clock.set('2026-03-10T02:00:00Z');
    const half = await confirm(seller);
    expect(half.body).toMatchObject({ status: 'awaiting_agreement', agreement: { sellerConfirmedAt: '2026-03-10T02:00:00.000Z', buyerConfirmedAt: null } });
    const sold = await confirm(buyer!);
    expect(sold.status).toBe(200);
    expect(sold.body).toMatchObject({ status: 'sold', outcome: { price: m(100_000_000), winnerPaddle: buyer!.paddle }, closedAt: '2026-03-10T02:00:00.000Z' });
    // The buyer's deposit becomes the down payment; everyone else's paid deposit is refunded.
    expect(await t.depositStatuses(listing.id)).toEqual({ [buyer!.registrationId]: 'paid', [unpaidReg.id]: 'unpaid', [loserReg.id]: 'refunded' });
    expectProblem(await confirm(buyer!), 409, 'AGREEMENT_NOT_PENDING');
    // Nothing more is due for it.
    expect((await t.runDue('2026-04-01T00:00:00Z')).filter((p) => p.listingId === listing.id)).toEqual([]);
  });

  it('an agreement not confirmed in time lapses unsold; the buyer’s deposit is held for the admin to refund or forfeit', async () => {
    ctx.clock.set(START);
    const listing = await t.listing(seller);
    const [buyer] = await t.qualifiedBuyers(seller, listing.id, 1);
    await t.runDue(listing.noticeEndsAt);
    const dueAt = (await t.get(listing.id)).agreement.dueAt;
    const lapsed = (await t.runDue(dueAt)).filter((p) => p.listingId === listing.id);
    expect(lapsed.map((p) => p.name)).toEqual(['agreement_lapsed']);
    expect(await t.get(listing.id)).toMatchObject({ status: 'unsold', outcome: null });
    expect(await t.depositStatuses(listing.id)).toEqual({ [buyer!.registrationId]: 'paid' });

    const settle = (as: TestUser, body: Record<string, unknown>) => api().post(`/v1/listings/${listing.id}/registrations/${buyer!.registrationId}/deposit`).set(as.auth).send(body);
    expectProblem(await settle(seller, { status: 'forfeited', note: '拒不签约' }), 403, 'ADMIN_ONLY');
    expectProblem(await settle(admin, { status: 'lost', note: 'x' }), 400, 'VALIDATION_FAILED');
    const forfeited = await settle(admin, { status: 'forfeited', note: '拒不签约' });
    expect(forfeited.body.deposit).toMatchObject({ status: 'forfeited', note: '拒不签约' });
    expectProblem(await settle(admin, { status: 'refunded', note: 'x' }), 409, 'DEPOSIT_NOT_PAID');
  });
});

describe('withdrawal', () => {
  it('the seller withdraws during notice (If-Match honoured); paid deposits are refunded; a closed listing stays closed', async () => {
    ctx.clock.set(START);
    const listing = await t.listing(seller);
    const [buyer] = await t.qualifiedBuyers(seller, listing.id, 1);
    const withdraw = (as: TestUser, ifMatch?: string) => {
      const req = api().post(`/v1/listings/${listing.id}/withdraw`).set(as.auth);
      return (ifMatch ? req.set('If-Match', ifMatch) : req).send({ reason: '权属变更' });
    };
    expectProblem(await withdraw(otherSeller), 403, 'NOT_SELLER');
    expectProblem(await withdraw(buyer!), 403, 'NOT_SELLER');
    expectProblem(await withdraw(seller, '"1"'), 412, 'PRECONDITION_FAILED');
    const current = await api().get(`/v1/listings/${listing.id}`);
    const res = await withdraw(seller, current.headers.etag);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'withdrawn', withdrawnReason: '权属变更', closedAt: START.replace('Z', '.000Z') });
    expect(await t.depositStatuses(listing.id)).toEqual({ [buyer!.registrationId]: 'refunded' });
    expectProblem(await withdraw(seller), 409, 'LISTING_CLOSED');
    // Nothing is due any more, and the achievement may be listed again.
    expect((await t.runDue(listing.noticeEndsAt)).filter((p) => p.listingId === listing.id)).toEqual([]);
    const again = await api().post('/v1/listings').set(seller.auth).send(listingInput(listing.achievementId));
    expect(again.status).toBe(201);
    // A listing withdrawn before approval stays private.
    const hidden = await t.listing(seller, {}, { approve: false });
    expectProblem(await api().post(`/v1/listings/${hidden.id}/withdraw`).set(otherSeller.auth).send({}), 404, 'NOT_FOUND');
    expect((await api().post(`/v1/listings/${hidden.id}/withdraw`).set(admin.auth).send({})).body.status).toBe('withdrawn');
    expectProblem(await api().get(`/v1/listings/${hidden.id}`), 404, 'NOT_FOUND');
  });
});

describe('scheduler', () => {
  it('two scheduler instances on one database process each due transition exactly once', async () => {
    ctx.clock.set(START);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await t.listing(seller, { maxNoticeExtensions: 2 })).id);
    // A second "server process": its own pool and services on the same database.
    const second = createDatabase(ctx.db.url, 5);
    try {
      const other = createServices({ ...ctx.deps, database: second });
      const due = new Date('2026-03-09T16:00:00Z');
      const [a, b] = await Promise.all([ctx.services.transitions.processDue(due), other.transitions.processDue(due)]);
      expect([...a.failed, ...b.failed]).toEqual([]);
      const mine = [...a.processed, ...b.processed].filter((p) => ids.includes(p.listingId));
      expect(mine).toHaveLength(ids.length);
      expect(new Set(mine.map((p) => p.listingId)).size).toBe(ids.length);
      const rows = (await ctx.db.pool.query('select notice_extensions, notice_ends_at from listings where id = any($1)', [ids])).rows;
      expect(rows.every((r) => r.notice_extensions === 1 && r.notice_ends_at.toISOString() === '2026-03-16T16:00:00.000Z')).toBe(true);
      expect(await count(`select count(*) from audit_entries where action = 'notice.extended' and listing_id = any($1)`, [ids])).toBe(ids.length);
    } finally {
      await second.close();
    }
  });

  it('the loop the server starts moves a due listing with no client call; state comes from rows, so a fresh loop picks it up', async () => {
    ctx.clock.set(START);
    const listing = await t.listing(seller);
    // A loop built like the server's, started after the listing became due (as after a restart).
    ctx.clock.set('2026-03-09T16:00:00.500Z');
    const scheduler = ctx.services.listingScheduler;
    scheduler.start();
    try {
      let status = 'notice';
      for (let i = 0; i < 100 && status === 'notice'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        status = (await t.get(listing.id)).noticeExtensions === 1 ? 'extended' : 'notice';
      }
      expect(status).toBe('extended');
    } finally {
      await scheduler.stop();
    }
  });
});

describe('audit', () => {
  it('keeps an intact hash chain for a listing’s whole life', async () => {
    ctx.clock.set(START);
    const listing = await t.listing(seller);
    await t.qualifiedBuyers(seller, listing.id, 1);
    await t.runDue(listing.noticeEndsAt);
    const report = await ctx.services.audit.verifyChain(listing.id);
    expect(report).toMatchObject({ valid: true, entries: 6 });
    expect(await t.auditActions(listing.id)).toEqual(['listing.created', 'listing.approved', 'registration.created', 'registration.qualified', 'notice.ended', 'agreement.started']);
  });
});
