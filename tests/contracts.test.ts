import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import request from 'supertest';
import { eq } from 'drizzle-orm';
import { startTestApp, type TestContext } from './support/app.js';
import { expectProblem } from './support/assert.js';
import { createAdmin, registerUser, type TestUser } from './support/factories.js';
import { cny, contractInput, fileContract, registerContract } from './support/contracts.js';
import { ContractSchema, ContractWithHistorySchema, OverdueContractPageSchema } from '../src/modules/contracts/contracts.schemas.js';
import { contracts as contractsTable } from '../src/modules/contracts/contracts.tables.js';
import { newId } from '../src/lib/ids.js';

let ctx: TestContext;
let university: TestUser;
let enterprise: TestUser;
let otherEnterprise: TestUser;
let broker: TestUser;
let admin: TestUser;

const START = '2026-03-02T02:00:00Z'; // Monday 10:00 in Beijing

beforeAll(async () => {
  ctx = await startTestApp();
  university = await registerUser(ctx.app, 'university');
  enterprise = await registerUser(ctx.app, 'enterprise', { regionCode: '230600' });
  otherEnterprise = await registerUser(ctx.app, 'enterprise', { regionCode: '210100' });
  broker = await registerUser(ctx.app, 'broker');
  admin = await createAdmin(ctx.app, ctx.services);
});
afterAll(async () => {
  await ctx?.close();
});
beforeEach(() => ctx.clock.set(START));

const api = () => request(ctx.app.server);
const input = (overrides: Record<string, unknown> = {}) => contractInput(university.organizationId, enterprise.organizationId, overrides);
const paths = (res: request.Response) => (res.body.errors as { path: string }[]).map((e) => e.path).sort();
const review = (id: string, body: Record<string, unknown>, by: TestUser = admin) => api().post(`/v1/contracts/${id}/review`).set(by.auth).send(body);

describe('filing', () => {
  it('the seller files the JJ-001 fields; the review is due 15 working days later', async () => {
    const res = await api().post('/v1/contracts').set(university.auth).send(input());
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(ContractSchema.safeParse(res.body).success).toBe(true);
    expect(res.body).toMatchObject({
      status: 'submitted',
      filingKind: 'original',
      revision: 1,
      lineageId: res.body.id,
      registrationNumber: null,
      type: 'license',
      category: 'transfer',
      seller: { natureCode: '022', countryCode: '142', regionCode: '230100' },
      buyer: { natureCode: '150', countryCode: '142', regionCode: '230600' },
      amount: cny(80_000_000),
      technologyAmount: cny(60_000_000),
      reviewWorkingDays: 15,
      // filed Monday 2026-03-02: 3–6, 9–13, 16–20, 23 March are the 15 working days
      reviewDueOn: '2026-03-23',
      filedBy: university.userId,
      document: { reference: 'files/contracts/2026/license-0001.pdf', sha256: null, pages: 12 },
    });
  });

  it('contracts of ¥5,000,000 and more get 30 working days, across the 清明 holiday', async () => {
    const large = await fileContract(ctx.app, university, input({ amount: cny(500_000_000), technologyAmount: cny(400_000_000) }));
    // 15th working day 23 March; then 24–27, 30–31, 1–3 April; 4–6 April 清明; 7–10, 13–14 April
    expect(large).toMatchObject({ reviewWorkingDays: 30, reviewDueOn: '2026-04-14' });
    const justBelow = await fileContract(ctx.app, university, input({ amount: cny(499_999_999), technologyAmount: cny(1) }));
    expect(justBelow).toMatchObject({ reviewWorkingDays: 15, reviewDueOn: '2026-03-23' });
  });

  it('counts working days across 中秋 and 国庆 with the 10 October makeup day', async () => {
    ctx.clock.set('2026-09-24T01:00:00Z'); // Thursday
    const filed = await fileContract(ctx.app, university, input());
    // 28–30 Sep (3); 1–7 Oct off; 8, 9, 10 (makeup Saturday), 12–16, 19–22 Oct → 15
    expect(filed.reviewDueOn).toBe('2026-10-22');
  });

  it('report every invalid field at once with 422', async () => {
    const res = await api()
      .post('/v1/contracts')
      .set(university.auth)
      .send(
        input({
          title: '错误百出的合同',
          type: 'development', // subtype patent_license is not a development subtype
          technologyAmount: cny(90_000_000), // more than the amount
          signedOn: '2026-03-05', // in the future
          validFrom: '2026-03-01',
          validTo: '2026-02-28', // before validFrom, and already over
          fieldCode: 'HLJ.9.99',
          industryCode: 'C99',
          document: null,
          buyer: { regionCode: '990100' }, // unknown region, and an enterprise needs its nature code
        }),
      );
    expectProblem(res, 422, 'CONTRACT_INVALID');
    expect(paths(res)).toEqual(['buyer.natureCode', 'buyer.regionCode', 'document', 'fieldCode', 'industryCode', 'signedOn', 'signedOn', 'subtype', 'technologyAmount', 'validTo', 'validTo']);
    expect(await ctx.db.db.select().from(contractsTable).where(eq(contractsTable.title, '错误百出的合同'))).toHaveLength(0);
  });

  it('refuse 技术交易额 above 成交金额', async () => {
    const res = await api().post('/v1/contracts').set(university.auth).send(input({ technologyAmount: cny(80_000_001) }));
    expectProblem(res, 422, 'CONTRACT_INVALID');
    expect(res.body.errors).toEqual([{ path: 'technologyAmount', message: '技术交易额 cannot exceed 成交金额 (amount)' }]);
  });

  it('refuse oral contracts (no document)', async () => {
    const { document: _document, ...oral } = input();
    const res = await api().post('/v1/contracts').set(university.auth).send(oral);
    expectProblem(res, 422, 'CONTRACT_INVALID');
    expect(res.body.errors).toEqual([{ path: 'document', message: expect.stringContaining('oral contracts are not registered') }]);
  });

  it('require the expected investment and output of 技术转让 and the IP type its subtype names', async () => {
    const res = await api().post('/v1/contracts').set(university.auth).send(input({ type: 'transfer', subtype: 'technical_secret', ipType: 'invention_patent' }));
    expectProblem(res, 422, 'CONTRACT_INVALID');
    expect(paths(res)).toEqual(['expectedNewInvestment', 'expectedNewOutput', 'ipType']);
    const ok = await api()
      .post('/v1/contracts')
      .set(university.auth)
      .send(input({ type: 'transfer', subtype: 'technical_secret', ipType: 'trade_secret', expectedNewInvestment: cny(300_000_000), expectedNewOutput: cny(2_000_000_000) }));
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ category: 'transfer', expectedNewOutput: cny(2_000_000_000) });
  });

  it('check party natures against the organization kind, and foreign parties', async () => {
    const wrongNature = await api().post('/v1/contracts').set(university.auth).send(input({ seller: { natureCode: '170' } }));
    expectProblem(wrongNature, 422);
    expect(paths(wrongNature)).toEqual(['seller.natureCode']);
    const foreignWithRegion = await api().post('/v1/contracts').set(university.auth).send(input({ buyer: { natureCode: '330', countryCode: '344', regionCode: '230100' } }));
    expect(paths(foreignWithRegion)).toEqual(['buyer.regionCode']);
    const foreign = await api().post('/v1/contracts').set(university.auth).send(input({ buyer: { natureCode: '330', countryCode: '344' } }));
    expect(foreign.status).toBe(201);
    expect(foreign.body.buyer).toMatchObject({ countryCode: '344', regionCode: null });
    const same = await api().post('/v1/contracts').set(university.auth).send(contractInput(university.organizationId, university.organizationId));
    expect(paths(same)).toContain('buyerOrganizationId');
  });

  it('reject malformed bodies with 400', async () => {
    expectProblem(await api().post('/v1/contracts').set(university.auth).send(input({ type: 'barter' })), 400, 'VALIDATION_FAILED');
    expectProblem(await api().post('/v1/contracts').set(university.auth).send(input({ signedOn: '2026-02-30' })), 400, 'VALIDATION_FAILED');
    expectProblem(await api().post('/v1/contracts').set(university.auth).send(input({ amount: { amount: 1, currency: 'USD' } })), 400, 'VALIDATION_FAILED');
    expectProblem(await api().post('/v1/contracts').set(university.auth).send(input({ status: 'registered' })), 400, 'VALIDATION_FAILED');
    expectProblem(await api().post('/v1/contracts').set(university.auth).send(input({ buyer: { natureCode: '999' } })), 400, 'VALIDATION_FAILED');
  });

  it('only the seller side files: not the buyer, an unrelated enterprise, another broker or the operator', async () => {
    expectProblem(await api().post('/v1/contracts').set(enterprise.auth).send(input()), 403, 'NOT_SELLER_SIDE');
    expectProblem(await api().post('/v1/contracts').set(otherEnterprise.auth).send(input()), 403, 'NOT_SELLER_SIDE');
    expectProblem(await api().post('/v1/contracts').set(broker.auth).send(input()), 403, 'NOT_SELLER_SIDE');
    expectProblem(await api().post('/v1/contracts').set(admin.auth).send(input()), 403, 'ROLE_NOT_ALLOWED');
    expectProblem(await api().post('/v1/contracts').send(input()), 401);
  });

  it("the deal's broker files for the seller; a deal between other parties is refused", async () => {
    const deal = (await api().post('/v1/deals').set(broker.auth).send({ sellerOrganizationId: university.organizationId, buyerOrganizationId: enterprise.organizationId })).body;
    const filed = await api().post('/v1/contracts').set(broker.auth).send(input({ dealId: deal.id }));
    expect(filed.status).toBe(201);
    expect(filed.body.filedBy).toBe(broker.userId);
    const otherBroker = await registerUser(ctx.app, 'broker');
    expectProblem(await api().post('/v1/contracts').set(otherBroker.auth).send(input({ dealId: deal.id })), 403, 'NOT_SELLER_SIDE');
    const mismatch = await api().post('/v1/contracts').set(university.auth).send(contractInput(university.organizationId, otherEnterprise.organizationId, { dealId: deal.id }));
    expect(paths(mismatch)).toEqual(['dealId']);
    const unknown = await api().post('/v1/contracts').set(university.auth).send(input({ dealId: newId(), listingId: newId() }));
    expect(paths(unknown)).toEqual(['dealId', 'listingId']);
  });

  it('a technology import is filed by the domestic buyer', async () => {
    const res = await api()
      .post('/v1/contracts')
      .set(enterprise.auth)
      .send(input({ seller: { natureCode: '022', countryCode: '344' } }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const registered = await registerContract(ctx.app, admin, res.body.id);
    // registered in the buyer's region (大庆 2306)
    expect(registered.registrationNumber).toMatch(/^2026230601\d{6}$/);
  });

  it('replays the answer for a repeated Idempotency-Key and refuses the key with another body', async () => {
    const key = `contract-${newId()}`;
    const first = await api().post('/v1/contracts').set(university.auth).set('Idempotency-Key', key).send(input());
    expect(first.status).toBe(201);
    const again = await api().post('/v1/contracts').set(university.auth).set('Idempotency-Key', key).send(input());
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(await ctx.db.db.select().from(contractsTable).where(eq(contractsTable.id, first.body.id))).toHaveLength(1);
    expectProblem(await api().post('/v1/contracts').set(university.auth).set('Idempotency-Key', key).send(input({ title: '另一份合同' })), 422, 'IDEMPOTENCY_KEY_REUSED');
  });
});

describe('reading', () => {
  it('parties, the deal broker and admins see a filing; others get 404', async () => {
    const filed = await fileContract(ctx.app, university, input());
    for (const who of [university, enterprise, admin]) {
      const res = await api().get(`/v1/contracts/${filed.id}`).set(who.auth);
      expect(res.status).toBe(200);
      expect(ContractWithHistorySchema.safeParse(res.body).success).toBe(true);
      expect(res.headers.etag).toBe('"1"');
    }
    for (const who of [otherEnterprise, broker]) expectProblem(await api().get(`/v1/contracts/${filed.id}`).set(who.auth), 404, 'NOT_FOUND');
    expectProblem(await api().get(`/v1/contracts/${filed.id}`), 401);
    const asBuyer = await api().get('/v1/contracts?role=buyer&limit=100').set(enterprise.auth);
    expect(asBuyer.body.items.map((c: { id: string }) => c.id)).toContain(filed.id);
    const outsiders = await api().get('/v1/contracts?limit=100').set(otherEnterprise.auth);
    expect(outsiders.body.items.map((c: { id: string }) => c.id)).not.toContain(filed.id);
  });

  it('pages newest first', async () => {
    const seller = await registerUser(ctx.app, 'institute');
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await fileContract(ctx.app, seller, contractInput(seller.organizationId, enterprise.organizationId))).id);
    const p1 = await api().get('/v1/contracts?limit=2').set(seller.auth);
    expect(p1.body.items.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
    const p2 = await api().get(`/v1/contracts?limit=2&cursor=${p1.body.nextCursor}`).set(seller.auth);
    expect(p2.body.items.map((c: { id: string }) => c.id)).toEqual([ids[0]]);
    expect(p2.body.nextCursor).toBeNull();
    expectProblem(await api().get('/v1/contracts?cursor=nope').set(seller.auth), 400, 'INVALID_CURSOR');
  });
});

describe('review', () => {
  it('an admin registers with a 16-digit 登记号; a party cannot review; registration moves the deal', async () => {
    const deal = (await api().post('/v1/deals').set(broker.auth).send({ sellerOrganizationId: university.organizationId, buyerOrganizationId: enterprise.organizationId, commissionRate: 0.02 })).body;
    const filed = await fileContract(ctx.app, university, input({ dealId: deal.id }));
    expectProblem(await review(filed.id, { decision: 'register' }, university), 403, 'ADMIN_ONLY');
    expectProblem(await review(filed.id, { decision: 'register' }, enterprise), 403, 'ADMIN_ONLY');
    expectProblem(await review(newId(), { decision: 'register' }), 404, 'NOT_FOUND');
    const res = await review(filed.id, { decision: 'register' });
    expect(res.status).toBe(200);
    // 2026 + 2301 (哈尔滨) + point 01 + serial
    expect(res.body.registrationNumber).toMatch(/^2026230101\d{6}$/);
    expect(res.body).toMatchObject({ status: 'registered', registeredOn: '2026-03-02', decision: { decidedBy: admin.userId, ground: null } });
    expectProblem(await review(filed.id, { decision: 'register' }), 409, 'CONTRACT_NOT_UNDER_REVIEW');
    const after = (await api().get(`/v1/deals/${deal.id}`).set(broker.auth)).body;
    // The deal skipped signing: its amount and commission come from the contract (2% of ¥800,000).
    expect(after).toMatchObject({ stage: 'registered', amount: cny(80_000_000), commission: cny(1_600_000) });
    expect(after.stageHistory.at(-1)).toMatchObject({ fromStage: 'matched', stage: 'registered', actorUserId: null, note: expect.stringContaining(res.body.registrationNumber) });
  });

  it('rejects with a documented refusal ground and a reason', async () => {
    const filed = await fileContract(ctx.app, university, input());
    expectProblem(await review(filed.id, { decision: 'reject', reason: '签章不符' }), 400, 'VALIDATION_FAILED');
    expectProblem(await review(filed.id, { decision: 'reject', ground: 'seal_mismatch' }), 400, 'VALIDATION_FAILED');
    expectProblem(await review(filed.id, { decision: 'reject', ground: 'bad_vibes', reason: 'x' }), 400, 'VALIDATION_FAILED');
    expectProblem(await review(filed.id, { decision: 'register', ground: 'seal_mismatch' }), 400, 'VALIDATION_FAILED');
    const res = await review(filed.id, { decision: 'reject', ground: 'seal_mismatch', reason: '乙方合同专用章与登记名称不一致' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'rejected', registrationNumber: null, decision: { ground: 'seal_mismatch', reason: '乙方合同专用章与登记名称不一致' } });
    expectProblem(await review(filed.id, { decision: 'register' }), 409, 'CONTRACT_NOT_UNDER_REVIEW');
  });

  it('a request for material stops the clock; supplying it restarts the clock from that day', async () => {
    const filed = await fileContract(ctx.app, university, input());
    const asked = await review(filed.id, { decision: 'request_material', reason: '请补充专利登记簿副本' });
    expect(asked.body).toMatchObject({ status: 'material_requested', reviewDueOn: null, materialRequest: { note: '请补充专利登记簿副本', response: null, suppliedAt: null } });
    expectProblem(await review(filed.id, { decision: 'register' }), 409, 'CONTRACT_NOT_UNDER_REVIEW');
    expectProblem(await api().post(`/v1/contracts/${filed.id}/material`).set(enterprise.auth).send({ note: '补充' }), 403, 'NOT_SELLER_SIDE');
    expectProblem(await api().post(`/v1/contracts/${filed.id}/material`).set(otherEnterprise.auth).send({ note: '补充' }), 404, 'NOT_FOUND');
    const badFix = await api().post(`/v1/contracts/${filed.id}/material`).set(university.auth).send({ note: '补充', technologyAmount: cny(90_000_000) });
    expectProblem(badFix, 422, 'CONTRACT_INVALID');
    ctx.clock.set('2026-03-20T02:00:00Z'); // Friday
    const supplied = await api().post(`/v1/contracts/${filed.id}/material`).set(university.auth).send({ note: '已上传登记簿副本', amount: cny(600_000_000), technologyAmount: cny(450_000_000) });
    expect(supplied.status).toBe(200);
    // Now ≥ ¥5,000,000: 30 working days from Friday 20 March: 23–27, 30–31 Mar, 1–3 Apr (10);
    // 4–6 Apr 清明; 7–10, 13–17, 20–24, 27–30 Apr (28); 1–5 May 劳动节; 6, 7 May (30)
    expect(supplied.body).toMatchObject({
      status: 'submitted',
      reviewWorkingDays: 30,
      reviewClockStartedAt: '2026-03-20T02:00:00.000Z',
      reviewDueOn: '2026-05-07',
      amount: cny(600_000_000),
      materialRequest: { note: '请补充专利登记簿副本', response: '已上传登记簿副本', suppliedAt: '2026-03-20T02:00:00.000Z' },
    });
    expectProblem(await api().post(`/v1/contracts/${filed.id}/material`).set(university.auth).send({ note: 'again' }), 409, 'CONTRACT_NOT_AWAITING_MATERIAL');
  });

  it('lists overdue reviews for admins only', async () => {
    ctx.clock.set('2026-09-24T01:00:00Z');
    const filed = await fileContract(ctx.app, university, input());
    const waiting = await fileContract(ctx.app, university, input());
    await review(waiting.id, { decision: 'request_material', reason: '补充材料' });
    const overdueIds = async () => (await api().get('/v1/contracts/overdue?limit=100').set(admin.auth)).body.items.map((c: { id: string }) => c.id);
    ctx.clock.set('2026-10-22T15:59:00Z'); // the last minute of the due day in Beijing
    expect(await overdueIds()).not.toContain(filed.id);
    ctx.clock.set('2026-10-23T02:00:00Z');
    const res = await api().get('/v1/contracts/overdue?limit=100').set(admin.auth);
    expect(res.status).toBe(200);
    expect(OverdueContractPageSchema.safeParse(res.body).success).toBe(true);
    const item = res.body.items.find((c: { id: string }) => c.id === filed.id);
    expect(item).toMatchObject({ reviewDueOn: '2026-10-22', overdueWorkingDays: 1 });
    expect(res.body.items.map((c: { id: string }) => c.id)).not.toContain(waiting.id);
    expectProblem(await api().get('/v1/contracts/overdue').set(university.auth), 403, 'ADMIN_ONLY');
    await registerContract(ctx.app, admin, filed.id);
    expect(await overdueIds()).not.toContain(filed.id);
  });

  it('20 concurrent registrations get 20 distinct, consecutive 登记号', async () => {
    const seller = await registerUser(ctx.app, 'institute', { regionCode: '231000' }); // 牡丹江: its own counter
    const filed = [];
    for (let i = 0; i < 20; i++) filed.push(await fileContract(ctx.app, seller, contractInput(seller.organizationId, enterprise.organizationId)));
    const results = await Promise.all(filed.map((f) => review(f.id, { decision: 'register' })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const numbers = results.map((r) => r.body.registrationNumber as string);
    expect(new Set(numbers).size).toBe(20);
    for (const n of numbers) expect(n).toMatch(/^2026231001\d{6}$/);
    const serials = numbers.map((n) => Number(n.slice(10))).sort((a, b) => a - b);
    expect(serials).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});

describe('changes and cancellations', () => {
  it('a change is a new version; the registered one is superseded, never edited', async () => {
    const deal = (await api().post('/v1/deals').set(broker.auth).send({ sellerOrganizationId: university.organizationId, buyerOrganizationId: enterprise.organizationId })).body;
    const original = await registerContract(ctx.app, admin, (await fileContract(ctx.app, university, input({ dealId: deal.id }))).id);
    const changeBody = { reason: '增加许可地域，合同金额调整', amount: cny(120_000_000), technologyAmount: cny(90_000_000), document: { reference: 'files/contracts/2026/license-0001-amend-1.pdf' } };
    expectProblem(await api().post(`/v1/contracts/${original.id}/changes`).set(enterprise.auth).send(changeBody), 403, 'NOT_SELLER_SIDE');
    expectProblem(await api().post(`/v1/contracts/${original.id}/changes`).set(otherEnterprise.auth).send(changeBody), 404, 'NOT_FOUND');
    const noDocument = await api().post(`/v1/contracts/${original.id}/changes`).set(university.auth).send({ reason: 'x', amount: cny(120_000_000) });
    expectProblem(noDocument, 422, 'CONTRACT_INVALID');
    expect(paths(noDocument)).toEqual(['document']);
    const noChange = await api().post(`/v1/contracts/${original.id}/changes`).set(university.auth).send({ reason: 'x', document: { reference: 'a.pdf' } });
    expect(paths(noChange)).toEqual(['body']);
    const badChange = await api().post(`/v1/contracts/${original.id}/changes`).set(university.auth).send({ ...changeBody, technologyAmount: cny(130_000_000) });
    expect(paths(badChange)).toEqual(['technologyAmount']);

    const change = await api().post(`/v1/contracts/${original.id}/changes`).set(university.auth).send(changeBody);
    expect(change.status).toBe(201);
    expect(change.body).toMatchObject({ filingKind: 'change', revision: 2, status: 'submitted', lineageId: original.id, supersedesId: original.id, registrationNumber: original.registrationNumber, amount: cny(120_000_000), reason: changeBody.reason });
    expectProblem(await api().post(`/v1/contracts/${original.id}/cancel`).set(university.auth).send({ reason: '另行协商' }), 409, 'FILING_PENDING');

    const registered = await review(change.body.id, { decision: 'register' });
    expect(registered.body).toMatchObject({ status: 'registered', registrationNumber: original.registrationNumber, registeredOn: original.registeredOn });
    const old = await api().get(`/v1/contracts/${original.id}`).set(university.auth);
    expect(old.body).toMatchObject({ status: 'superseded', amount: cny(80_000_000) });
    expect(old.body.history.map((v: { revision: number; status: string; filingKind: string }) => [v.revision, v.filingKind, v.status])).toEqual([
      [1, 'original', 'superseded'],
      [2, 'change', 'registered'],
    ]);
    expectProblem(await api().post(`/v1/contracts/${original.id}/changes`).set(university.auth).send(changeBody), 409, 'CONTRACT_NOT_REGISTERED');

    // Cancellation of the current version, registered by the admin, ends the deal.
    const cancel = await api().post(`/v1/contracts/${change.body.id}/cancel`).set(university.auth).send({ reason: '双方协商解除合同' });
    expect(cancel.status).toBe(201);
    expect(cancel.body).toMatchObject({ filingKind: 'cancellation', revision: 3, status: 'submitted', amount: cny(120_000_000) });
    const cancelled = await review(cancel.body.id, { decision: 'register' });
    expect(cancelled.body).toMatchObject({ status: 'cancelled', registrationNumber: original.registrationNumber });
    const history = (await api().get(`/v1/contracts/${cancel.body.id}`).set(enterprise.auth)).body.history;
    expect(history.map((v: { status: string }) => v.status)).toEqual(['superseded', 'superseded', 'cancelled']);
    expect((await api().get(`/v1/deals/${deal.id}`).set(broker.auth)).body.stage).toBe('cancelled');
    expectProblem(await api().post(`/v1/contracts/${cancel.body.id}/cancel`).set(university.auth).send({ reason: 'again' }), 409, 'CONTRACT_NOT_REGISTERED');
    // The registered content of every version is still what was registered.
    const rows = await ctx.db.db.select().from(contractsTable).where(eq(contractsTable.lineageId, original.id));
    expect(rows.map((r) => [r.revision, r.amountFen]).sort()).toEqual([[1, 80_000_000], [2, 120_000_000], [3, 120_000_000]]);
  });

  it('a rejected change leaves the registered version current', async () => {
    const original = await registerContract(ctx.app, admin, (await fileContract(ctx.app, university, input())).id);
    const change = await api().post(`/v1/contracts/${original.id}/changes`).set(university.auth).send({ reason: '延期', validTo: '2030-02-19', document: { reference: 'amend.pdf' } });
    await review(change.body.id, { decision: 'reject', ground: 'subject_unclear', reason: '变更内容不明确' });
    const current = await api().get(`/v1/contracts/${original.id}`).set(university.auth);
    expect(current.body.status).toBe('registered');
    expect(current.body.history.map((v: { status: string }) => v.status)).toEqual(['registered', 'rejected']);
    const retry = await api().post(`/v1/contracts/${original.id}/changes`).set(university.auth).send({ reason: '延期', validTo: '2030-02-19', document: { reference: 'amend-2.pdf' } });
    expect(retry.body).toMatchObject({ revision: 3, status: 'submitted' });
  });
});
