import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startTestApp, type TestContext } from './support/app.js';
import { expectProblem } from './support/assert.js';
import { achievementInput, createAdmin, needInput, publish, registerUser, type TestUser } from './support/factories.js';
import { cny, contractInput, fileContract, registerContract } from './support/contracts.js';
import { ContractStatsSchema, OverviewSchema } from '../src/modules/stats/stats.schemas.js';
import { splitPeriod } from '../src/modules/stats/stats.repo.js';
import { listings } from '../src/modules/listings/listings.tables.js';
import { auctions } from '../src/modules/auctions/auctions.tables.js';
import { newId } from '../src/lib/ids.js';

let ctx: TestContext;
let admin: TestUser;
let broker: TestUser;

interface Party {
  user: TestUser;
  nature: string;
  region: string;
}
const parties: Record<'uniA' | 'instB' | 'entC' | 'entD' | 'entE', Party> = {} as never;

/** One registered contract of the data set, as the test expects it to be counted. */
interface Row {
  on: string;
  seller: keyof typeof parties;
  buyer: keyof typeof parties;
  type: string;
  subtype: string;
  ipType: string;
  yuan: number;
  techYuan: number;
  /** registered, then cancelled: never counted */
  cancelled?: boolean;
  /** registered, then changed to this amount: counted once, with it */
  changedToYuan?: number;
}

const ROWS: Row[] = [
  { on: '2025-02-10', seller: 'entD', buyer: 'uniA', type: 'development', subtype: 'commissioned_development', ipType: 'none', yuan: 400_000, techYuan: 300_000 },
  { on: '2025-03-10', seller: 'uniA', buyer: 'entC', type: 'development', subtype: 'commissioned_development', ipType: 'none', yuan: 1_000_000, techYuan: 700_000 },
  { on: '2025-06-16', seller: 'instB', buyer: 'entD', type: 'transfer', subtype: 'patent_right', ipType: 'invention_patent', yuan: 2_000_000, techYuan: 2_000_000 },
  { on: '2025-11-03', seller: 'uniA', buyer: 'entE', type: 'service', subtype: 'technical_service', ipType: 'none', yuan: 500_000, techYuan: 400_000 },
  { on: '2026-01-12', seller: 'uniA', buyer: 'entC', type: 'license', subtype: 'patent_license', ipType: 'invention_patent', yuan: 1_500_000, techYuan: 1_200_000 },
  { on: '2026-02-09', seller: 'instB', buyer: 'entC', type: 'development', subtype: 'cooperative_development', ipType: 'none', yuan: 800_000, techYuan: 600_000 },
  { on: '2026-03-02', seller: 'entC', buyer: 'entD', type: 'consulting', subtype: 'consulting', ipType: 'none', yuan: 300_000, techYuan: 300_000 },
  { on: '2026-03-02', seller: 'uniA', buyer: 'entD', type: 'development', subtype: 'commissioned_development', ipType: 'none', yuan: 600_000, techYuan: 500_000, cancelled: true },
  { on: '2026-03-02', seller: 'uniA', buyer: 'entC', type: 'consulting', subtype: 'consulting', ipType: 'none', yuan: 200_000, techYuan: 200_000, changedToYuan: 250_000 },
];

const api = () => request(ctx.app.server);
const fen = (yuan: number) => yuan * 100;
const counted = ROWS.filter((r) => !r.cancelled);
const amountOf = (r: Row) => fen(r.changedToYuan ?? r.yuan);

/** What the API must answer, computed here from the rows the test inserted. */
function expected(rows: Row[]) {
  return { count: rows.length, amount: cny(rows.reduce((s, r) => s + amountOf(r), 0)), technologyAmount: cny(rows.reduce((s, r) => s + fen(r.techYuan), 0)) };
}
const between = (from: string, to: string) => (r: Row) => r.on >= from && r.on <= to;
const inRegion = (side: 'seller' | 'buyer', prefix: string) => (r: Row) => parties[r[side]].region.startsWith(prefix);

async function registerRow(r: Row) {
  ctx.clock.set(`${r.on}T02:00:00Z`);
  const seller = parties[r.seller];
  const buyer = parties[r.buyer];
  const validTo = `${Number(r.on.slice(0, 4)) + 3}${r.on.slice(4)}`;
  const transfer = r.type === 'transfer' ? { expectedNewInvestment: cny(fen(3_000_000)), expectedNewOutput: cny(fen(20_000_000)) } : {};
  const filed = await fileContract(
    ctx.app,
    seller.user,
    contractInput(seller.user.organizationId, buyer.user.organizationId, {
      type: r.type,
      subtype: r.subtype,
      ipType: r.ipType,
      amount: cny(fen(r.yuan)),
      technologyAmount: cny(fen(r.techYuan)),
      signedOn: r.on,
      validFrom: r.on,
      validTo,
      industryCode: 'M75',
      seller: { natureCode: seller.nature },
      buyer: { natureCode: buyer.nature },
      ...transfer,
    }),
  );
  const registered = await registerContract(ctx.app, admin, filed.id);
  if (r.cancelled) {
    const cancel = await api().post(`/v1/contracts/${registered.id}/cancel`).set(seller.user.auth).send({ reason: '协商解除' });
    await registerContract(ctx.app, admin, cancel.body.id);
  }
  if (r.changedToYuan !== undefined) {
    const change = await api()
      .post(`/v1/contracts/${registered.id}/changes`)
      .set(seller.user.auth)
      .send({ reason: '增加服务内容', amount: cny(fen(r.changedToYuan)), document: { reference: 'amendment.pdf' } });
    await registerContract(ctx.app, admin, change.body.id);
  }
}

beforeAll(async () => {
  ctx = await startTestApp();
  admin = await createAdmin(ctx.app, ctx.services);
  broker = await registerUser(ctx.app, 'broker');
  parties.uniA = { user: await registerUser(ctx.app, 'university', { regionCode: '230100' }), nature: '022', region: '230100' };
  parties.instB = { user: await registerUser(ctx.app, 'institute', { regionCode: '230600' }), nature: '021', region: '230600' };
  parties.entC = { user: await registerUser(ctx.app, 'enterprise', { regionCode: '230200' }), nature: '150', region: '230200' };
  parties.entD = { user: await registerUser(ctx.app, 'enterprise', { regionCode: '210100' }), nature: '170', region: '210100' };
  parties.entE = { user: await registerUser(ctx.app, 'enterprise', { regionCode: '110000' }), nature: '110', region: '110000' };
  for (const r of ROWS) await registerRow(r);
  // A filing that is never registered: not counted either.
  ctx.clock.set('2026-03-02T02:00:00Z');
  await fileContract(ctx.app, parties.instB.user, contractInput(parties.instB.user.organizationId, parties.entE.user.organizationId, { buyer: { natureCode: '110' } }));
  ctx.clock.set('2026-03-31T02:00:00Z');
});
afterAll(async () => {
  await ctx?.close();
});

const stats = (query: string) => api().get(`/v1/stats/contracts?${query}`);

describe('contract statistics', () => {
  it('count only registered, current versions; totals with year-on-year growth', async () => {
    const res = await stats('from=2026-01-01&to=2026-03-31');
    expect(res.status).toBe(200);
    expect(ContractStatsSchema.safeParse(res.body).success).toBe(true);
    const current = counted.filter(between('2026-01-01', '2026-03-31'));
    const previous = counted.filter(between('2025-01-01', '2025-03-31'));
    expect(res.body).toMatchObject({ from: '2026-01-01', to: '2026-03-31', previousFrom: '2025-01-01', previousTo: '2025-03-31', groupBy: null, groups: [] });
    expect(res.body.totals).toMatchObject({ ...expected(current), previous: expected(previous) });
    // by hand: ¥2,850,000 this quarter (the cancelled contract out, the changed one at ¥250,000) against ¥1,400,000
    expect(res.body.totals.amount).toEqual(cny(285_000_000));
    expect(res.body.totals.count).toBe(4);
    expect(res.body.totals.yoy).toEqual({ count: 1, amount: 1.035714, technologyAmount: 1.3 });
  });

  it('group by the national four categories (许可 counts as 转让)', async () => {
    const res = await stats('from=2026-01-01&to=2026-03-31&groupBy=category');
    const byKey = Object.fromEntries(res.body.groups.map((g: { key: string }) => [g.key, g]));
    expect(res.body.groups.map((g: { key: string }) => g.key)).toEqual(['transfer', 'development', 'consulting']);
    expect(byKey.transfer).toMatchObject({ label: '技术转让', count: 1, amount: cny(150_000_000), previous: { count: 0 }, yoy: { amount: null } });
    expect(byKey.development).toMatchObject({ count: 1, amount: cny(80_000_000), previous: { count: 2, amount: cny(140_000_000) }, yoy: { amount: -0.428571 } });
    expect(byKey.consulting).toMatchObject({ count: 2, amount: cny(55_000_000) });
    const byType = await stats('from=2026-01-01&to=2026-03-31&groupBy=type');
    expect(byType.body.groups.find((g: { key: string }) => g.key === 'license')).toMatchObject({ label: '技术许可', amount: cny(150_000_000) });
  });

  it('group by month against the same month a year earlier', async () => {
    const res = await stats('from=2026-01-01&to=2026-03-31&groupBy=month');
    expect(res.body.groups.map((g: { key: string; amount: { amount: number }; previous: { amount: { amount: number } }; yoy: { amount: number | null } }) => [g.key, g.amount.amount, g.previous.amount.amount, g.yoy.amount])).toEqual([
      ['2026-01', 150_000_000, 0, null],
      ['2026-02', 80_000_000, 40_000_000, 1],
      ['2026-03', 55_000_000, 100_000_000, -0.45],
    ]);
  });

  it('输出 and 吸纳 of a region: a province code matches its cities', async () => {
    const year2025 = counted.filter(between('2025-01-01', '2025-12-31'));
    const cases: [string, 'seller' | 'buyer', string][] = [
      ['flow=outflow&regionCode=230000', 'seller', '23'],
      ['flow=inflow&regionCode=230000', 'buyer', '23'],
      ['regionCode=230100', 'seller', '2301'],
      ['flow=inflow&regionCode=230100', 'buyer', '2301'],
      ['flow=outflow&regionCode=210000', 'seller', '21'],
    ];
    for (const [query, side, prefix] of cases) {
      const res = await stats(`from=2025-01-01&to=2025-12-31&${query}`);
      expect(res.body.totals, query).toMatchObject(expected(year2025.filter(inRegion(side, prefix))));
    }
    // by hand: Heilongjiang sold ¥3,500,000 in 2025 and bought ¥1,400,000
    expect((await stats('from=2025-01-01&to=2025-12-31&flow=outflow&regionCode=230000')).body.totals.amount).toEqual(cny(350_000_000));
    expect((await stats('from=2025-01-01&to=2025-12-31&flow=inflow&regionCode=230000')).body.totals.amount).toEqual(cny(140_000_000));
  });

  it('group by buyer region with names, and by seller kind', async () => {
    const res = await stats('from=2025-01-01&to=2026-12-31&groupBy=region&flow=inflow');
    const groups = Object.fromEntries(res.body.groups.map((g: { key: string; label: string; amount: { amount: number } }) => [g.key, [g.label, g.amount.amount]]));
    const sum = (region: string) => counted.filter((r) => parties[r.buyer].region === region).reduce((s, r) => s + amountOf(r), 0);
    expect(groups).toEqual({
      '230100': ['哈尔滨市', sum('230100')],
      '230200': ['齐齐哈尔市', sum('230200')],
      '210100': ['沈阳市', sum('210100')],
      '110000': ['北京市', sum('110000')],
    });
    const kinds = await stats('from=2026-01-01&to=2026-03-31&groupBy=sellerKind');
    expect(kinds.body.groups.map((g: { key: string; label: string; amount: { amount: number } }) => [g.key, g.label, g.amount.amount])).toEqual([
      ['022', '高等院校', 175_000_000],
      ['021', '科研机构', 80_000_000],
      ['150', '有限责任公司', 30_000_000],
      // Sold in the same months of 2025 and nothing this year: kept so its year-on-year change shows.
      ['170', '私营企业', 0],
    ]);
    const ip = await stats('from=2026-01-01&to=2026-03-31&groupBy=ipType');
    expect(ip.body.groups.map((g: { key: string }) => g.key).sort()).toEqual(['invention_patent', 'none']);
  });

  it('export CSV when asked with Accept: text/csv', async () => {
    const res = await stats('from=2026-01-01&to=2026-03-31&groupBy=category').set('Accept', 'text/csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="contracts-category-2026-01-01-2026-03-31.csv"');
    expect(res.text.startsWith('\uFEFF')).toBe(true);
    const lines = res.text.slice(1).trimEnd().split('\r\n');
    expect(lines).toEqual([
      'key,label,count,amount_fen,technology_amount_fen,previous_count,previous_amount_fen,previous_technology_amount_fen,yoy_count,yoy_amount,yoy_technology_amount',
      'transfer,技术转让,1,150000000,120000000,0,0,0,,,',
      'development,技术开发,1,80000000,60000000,2,140000000,100000000,-0.5,-0.428571,-0.4',
      'consulting,技术咨询,2,55000000,50000000,0,0,0,,,',
      'total,2026-01-01..2026-03-31,4,285000000,230000000,2,140000000,100000000,1,1.035714,1.3',
    ]);
    const json = await stats('from=2026-01-01&to=2026-03-31').set('Accept', 'text/csv;q=0.5, application/json');
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expectProblem(await stats('groupBy=month').set('Accept', 'application/xml'), 406, 'NOT_ACCEPTABLE');
  });

  it('reject bad queries', async () => {
    expectProblem(await stats('from=2026-03-01&to=2026-01-01'), 400, 'INVALID_RANGE');
    expectProblem(await stats('groupBy=color'), 400, 'VALIDATION_FAILED');
    expectProblem(await stats('regionCode=23'), 400, 'VALIDATION_FAILED');
    expectProblem(await stats('from=1900-01-01'), 400, 'VALIDATION_FAILED');
    expectProblem(await stats('from=2000-01-01&to=2026-01-01'), 400, 'INVALID_RANGE');
  });

  it('a region filter with another dimension (counted from the contracts themselves) agrees with the rows', async () => {
    const year2025 = counted.filter(between('2025-01-01', '2025-12-31')).filter(inRegion('buyer', '23'));
    const res = await stats('from=2025-01-01&to=2025-12-31&groupBy=type&flow=inflow&regionCode=230000');
    expect(res.status).toBe(200);
    const byType = (rows: Row[]) => Object.fromEntries([...new Set(rows.map((r) => r.type))].map((t) => [t, expected(rows.filter((r) => r.type === t))]));
    expect(Object.fromEntries(res.body.groups.map((g: { key: string; count: number; amount: unknown; technologyAmount: unknown }) => [g.key, { count: g.count, amount: g.amount, technologyAmount: g.technologyAmount }]))).toEqual(byType(year2025));
    expect(res.body.totals).toMatchObject(expected(year2025));
  });

  it('the rollup equals a recomputation from the contracts after registrations (concurrent too), changes and cancellations', async () => {
    // 2019, far from every period the other tests read; registered all at once, so the rollup rows
    // of that day are updated by concurrent transactions.
    ctx.clock.set('2019-06-03T02:00:00Z');
    const uni = parties.uniA;
    const kinds = [
      { type: 'development', subtype: 'commissioned_development', ipType: 'none', buyer: parties.entC },
      { type: 'development', subtype: 'cooperative_development', ipType: 'none', buyer: parties.entD },
      { type: 'service', subtype: 'technical_service', ipType: 'none', buyer: parties.entE },
      { type: 'consulting', subtype: 'consulting', ipType: 'none', buyer: parties.entC },
      { type: 'license', subtype: 'patent_license', ipType: 'invention_patent', buyer: parties.entD },
      { type: 'service', subtype: 'technical_training', ipType: 'none', buyer: parties.instB },
    ];
    const filings = [];
    for (const [i, k] of kinds.entries()) {
      filings.push(
        await fileContract(
          ctx.app,
          uni.user,
          contractInput(uni.user.organizationId, k.buyer.user.organizationId, {
            type: k.type,
            subtype: k.subtype,
            ipType: k.ipType,
            amount: cny(fen(100_000 * (i + 1))),
            technologyAmount: cny(fen(80_000 * (i + 1))),
            signedOn: '2019-05-20',
            validFrom: '2019-05-20',
            validTo: '2022-05-19',
            seller: { natureCode: uni.nature },
            buyer: { natureCode: k.buyer.nature },
          }),
        ),
      );
    }
    const registered = await Promise.all(filings.map((f) => registerContract(ctx.app, admin, f.id)));
    ctx.clock.set('2019-09-02T02:00:00Z');
    const change = await api().post(`/v1/contracts/${registered[0]!.id}/changes`).set(uni.user.auth).send({ reason: '增加服务内容', amount: cny(fen(150_000)), document: { reference: 'amendment-2019.pdf' } });
    await registerContract(ctx.app, admin, change.body.id);
    const cancel = await api().post(`/v1/contracts/${registered[4]!.id}/cancel`).set(uni.user.auth).send({ reason: '协商解除' });
    await registerContract(ctx.app, admin, cancel.body.id);
    ctx.clock.set('2026-03-31T02:00:00Z');

    const rollup = await ctx.db.pool.query(
      `select dimension, grain, period::text, key, contracts, amount_fen::text as amount, technology_amount_fen::text as tech
         from contract_stats_rollup where contracts <> 0 order by 1, 2, 3, 4`,
    );
    // The same figures from the contracts, with the dimensions and grains spelled out here.
    const recomputed = await ctx.db.pool.query(
      `select dimension, grain, period::text, key, count(*)::int as contracts, sum(amount_fen)::text as amount, sum(technology_amount_fen)::text as tech
         from (select amount_fen, technology_amount_fen,
                 unnest(array['total','type','subtype','field','domain','seller_region','buyer_region','seller_kind','ip_type','goal','industry']) as dimension,
                 unnest(array['', type, subtype, field_code, technology_domain, coalesce(seller_region_code, 'foreign'), coalesce(buyer_region_code, 'foreign'),
                              seller_nature_code, ip_type, socio_economic_goal, left(industry_code, 1)]) as key,
                 registered_on, date_trunc('month', registered_on)::date as month
                 from contracts where status = 'registered') x
         cross join lateral (values ('day', registered_on), ('month', month)) g (grain, period)
        group by 1, 2, 3, 4 order by 1, 2, 3, 4`,
    );
    expect(rollup.rows.length).toBeGreaterThan(11 * 2 * 8);
    expect(rollup.rows).toEqual(recomputed.rows);
    // What cancellations left behind is zero, and only zero.
    const leftovers = await ctx.db.pool.query(`select dimension, grain, period::text, key, amount_fen::text as amount from contract_stats_rollup where contracts = 0 order by 1, 2, 3, 4`);
    expect(leftovers.rows).toContainEqual({ dimension: 'subtype', grain: 'day', period: '2019-06-03', key: 'patent_license', amount: '0' });
    expect(leftovers.rows).toContainEqual({ dimension: 'subtype', grain: 'month', period: '2019-06-01', key: 'patent_license', amount: '0' });
    expect(leftovers.rows.every((r) => r.amount === '0')).toBe(true);

    // Through the API: the cancelled licence is out, the changed contract counts at its new amount.
    const y2019 = await stats('from=2019-01-01&to=2019-12-31&groupBy=subtype');
    const amounts = [150_000, 200_000, 300_000, 400_000, 600_000];
    expect(y2019.body.totals).toMatchObject({ count: 5, amount: cny(fen(amounts.reduce((a, b) => a + b, 0))) });
    expect(y2019.body.groups.map((g: { key: string }) => g.key).sort()).toEqual(['commissioned_development', 'consulting', 'cooperative_development', 'technical_service', 'technical_training']);
    // Whole months from the month rows, the edges from the day rows: the same figures either way.
    for (const [from, to, count] of [['2019-06-03', '2019-06-03', 5], ['2019-05-15', '2019-07-31', 5], ['2019-06-04', '2019-12-31', 0], ['2019-06-01', '2019-06-30', 5]] as const) {
      expect((await stats(`from=${from}&to=${to}`)).body.totals.count, `${from}..${to}`).toBe(count);
    }
  });

  it('a period splits into its whole months and the days around them', () => {
    expect(splitPeriod('2026-01-01', '2026-11-23')).toEqual({ months: ['2026-01-01', '2026-11-01'], days: [['2026-11-01', '2026-11-23']] });
    expect(splitPeriod('2025-02-10', '2025-12-31')).toEqual({ months: ['2025-03-01', '2026-01-01'], days: [['2025-02-10', '2025-02-28']] });
    expect(splitPeriod('2024-02-29', '2024-02-29')).toEqual({ months: null, days: [['2024-02-29', '2024-02-29']] });
    expect(splitPeriod('2024-02-01', '2024-02-29')).toEqual({ months: ['2024-02-01', '2024-03-01'], days: [] });
    expect(splitPeriod('2026-03-15', '2026-04-20')).toEqual({ months: null, days: [['2026-03-15', '2026-04-20']] });
    expect(splitPeriod('2026-03-15', '2026-05-20')).toEqual({ months: ['2026-04-01', '2026-05-01'], days: [['2026-03-15', '2026-03-31'], ['2026-05-01', '2026-05-20']] });
  });
});

describe('overview', () => {
  it('counts achievements, needs, listings sold with premium, deals by stage and conversion', async () => {
    ctx.clock.set('2026-03-31T02:00:00Z');
    const uni = parties.uniA.user;
    const ent = parties.entC.user;
    const achievement = await publish(ctx.app, 'achievements', uni, admin, achievementInput());
    const need1 = await publish(ctx.app, 'needs', ent, admin, needInput());
    const need2 = await publish(ctx.app, 'needs', ent, admin, needInput({ title: '玉米秸秆高值化利用' }));
    const open = (body: Record<string, unknown>) => api().post('/v1/deals').set(broker.auth).send({ sellerOrganizationId: uni.organizationId, buyerOrganizationId: ent.organizationId, ...body });
    await open({ achievementId: achievement.id });
    await open({ needId: need1.id });
    const dropped = (await open({ needId: need2.id })).body;
    await api().patch(`/v1/deals/${dropped.id}`).set(broker.auth).send({ stage: 'cancelled' });

    const now = ctx.clock.now();
    const listing = (status: 'sold' | 'unsold', start: number, price: number | null) => ({
      id: newId(),
      achievementId: achievement.id,
      sellerOrganizationId: uni.organizationId,
      createdBy: uni.userId,
      mode: 'auction' as const,
      status,
      askingPriceFen: start,
      startPriceFen: start,
      incrementFen: 1_000_000,
      depositFen: 0,
      noticeWorkingDays: 5,
      maxNoticeExtensions: 0,
      auctionDurationMinutes: 60,
      extensionWindowSeconds: 300,
      extensionSeconds: 240,
      outcomePriceFen: price,
      winnerRegistrationId: price === null ? null : newId(),
      winnerPaddle: price === null ? null : 1,
      closedAt: now,
      createdAt: now,
      updatedAt: now,
    });
    const auctioned = listing('sold', 100_000_000, 128_000_000);
    const fixed = listing('sold', 200_000_000, 200_000_000);
    const unsold = listing('unsold', 50_000_000, null);
    await ctx.db.db.insert(listings).values([auctioned, fixed, unsold]);
    const auction = (listingId: string, price: number | null) => ({
      listingId,
      status: 'closed' as const,
      startsAt: now,
      endsAt: new Date(now.getTime() + 3_600_000),
      startPriceFen: 1,
      incrementFen: 1,
      extensionWindowSeconds: 300,
      extensionSeconds: 240,
      currentPriceFen: price,
      bidCount: price === null ? 0 : 1,
      leadingBidId: price === null ? null : newId(),
      closedAt: now,
      updatedAt: now,
    });
    await ctx.db.db.insert(auctions).values([auction(auctioned.id, 128_000_000), auction(unsold.id, null)]);

    const res = await api().get('/v1/stats/overview');
    expect(res.status).toBe(200);
    expect(OverviewSchema.safeParse(res.body).success).toBe(true);
    expect(res.body.achievements.byStatus).toEqual({ published: 1 });
    expect(res.body.achievements.byField).toEqual(
      expect.arrayContaining([
        { code: 'HLJ.5.05', name: '农机装备', count: 1 },
        { code: 'NHT.08', name: '先进制造与自动化', count: 1 },
      ]),
    );
    expect(res.body.needs.byStatus).toEqual({ published: 2 });
    expect(res.body.listings).toMatchObject({ byStatus: { sold: 2, unsold: 1 }, sold: 2, unsold: 1, soldAmount: cny(328_000_000), soldStartAmount: cny(300_000_000), premium: 0.093333, averagePremium: 0.14 });
    expect(res.body.auctions).toEqual({ sold: 1, unsold: 1, soldAmount: cny(128_000_000), soldStartAmount: cny(100_000_000), premium: 0.28, averagePremium: 0.28 });
    expect(res.body.deals).toEqual({ byStage: { matched: 2, negotiating: 0, signed: 0, registered: 0, industrialized: 0, cancelled: 1 }, total: 3 });
    expect(res.body.conversion).toEqual({ needsPublished: 2, needsWithDeal: 1, needToDeal: 0.5, achievementsPublished: 1, achievementsWithDeal: 1, achievementToDeal: 1 });
    expect(res.body.contracts).toMatchObject({ from: '2026-01-01', to: '2026-03-31', count: 4, amount: cny(285_000_000), yoy: { amount: 1.035714 } });

    const csv = await api().get('/v1/stats/overview').set('Accept', 'text/csv');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.text.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe('section,key,value');
    expect(lines).toEqual(expect.arrayContaining(['deals.stage,cancelled,1', 'auctions,premium,0.28', 'contracts,amount_fen,285000000', 'conversion,needToDeal,0.5']));
  });
});
