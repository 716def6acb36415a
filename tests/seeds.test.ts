import { sql, type SQL } from 'drizzle-orm';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACHIEVEMENTS } from '../seeds/data/achievements.js';
import { needsAsOf } from '../seeds/data/needs.js';
import { DEMO_PASSWORD, ORGANIZATIONS, demoEmail } from '../seeds/data/organizations.js';
import { loadSeeds } from '../seeds/load.js';
import { GROWTH_PER_MILLE, planSeedContracts } from '../seeds/contracts.plan.js';
import { ContractStatsSchema, OverviewSchema } from '../src/modules/stats/stats.schemas.js';
import { validateCreditCode } from '../src/lib/credit-code.js';
import { CreateAchievementBodySchema } from '../src/modules/achievements/achievements.schemas.js';
import { FIELDS, REGIONS } from '../src/modules/catalog/catalog.data.js';
import { CreateNeedBodySchema } from '../src/modules/needs/needs.schemas.js';
import { startTestApp, type TestContext } from './support/app.js';

const NOW = new Date('2026-03-02T02:00:00Z');
const NEEDS = needsAsOf(NOW);
const PLAN = planSeedContracts();
/** What loadDealsAndContracts adds to an empty database, counted from the plan alone. */
const PLANNED = {
  deals: PLAN.contracts.filter((c) => c.deal).length + PLAN.pipeline.length,
  dealEvents: [...PLAN.contracts.flatMap((c) => (c.deal ? [c.deal] : [])), ...PLAN.pipeline.map((p) => p.deal)].reduce((n, d) => n + d.path.length, 0),
  contracts: PLAN.contracts.length + PLAN.contracts.filter((c) => c.outcome === 'cancelled').length,
  registered: PLAN.contracts.filter((c) => c.outcome === 'registered').length,
  skipped: 0,
};
const NOTHING_NEW = { deals: 0, dealEvents: 0, contracts: 0, registered: 0, skipped: 0 };
const hljLeaves = FIELDS.filter((f) => f.code.startsWith('HLJ.') && !FIELDS.some((c) => c.code.startsWith(`${f.code}.`))).map((f) => f.code);
const topFieldOf = (code: string) => code.split('.').slice(0, 2).join('.');

describe('the demo data set', () => {
  it('passes the create schemas, row by row', () => {
    const failures = [
      ...ACHIEVEMENTS.flatMap((a) => {
        const r = CreateAchievementBodySchema.safeParse(a.input);
        return r.success ? [] : [{ title: a.input.title, issues: r.error.issues }];
      }),
      ...NEEDS.flatMap((n) => {
        const r = CreateNeedBodySchema.safeParse(n.input);
        return r.success ? [] : [{ title: n.input.title, issues: r.error.issues }];
      }),
    ];
    expect(failures).toEqual([]);
  });

  it('has ≥42 organizations of every kind, one brokerage, Heilongjiang regions and valid credit codes', () => {
    expect(ORGANIZATIONS.length).toBeGreaterThanOrEqual(42);
    expect(new Set(ORGANIZATIONS.map((o) => o.slug)).size).toBe(ORGANIZATIONS.length);
    expect(new Set(ORGANIZATIONS.map((o) => o.name)).size).toBe(ORGANIZATIONS.length);
    expect(ORGANIZATIONS.filter((o) => o.kind === 'broker')).toHaveLength(1);
    for (const kind of ['university', 'institute', 'enterprise'] as const) expect(ORGANIZATIONS.filter((o) => o.kind === kind).length).toBeGreaterThanOrEqual(8);
    const cities = new Set(REGIONS.filter((r) => r.level === 'city' && r.code.startsWith('23')).map((r) => r.code));
    expect(ORGANIZATIONS.filter((o) => !cities.has(o.regionCode))).toEqual([]);
    const codes = ORGANIZATIONS.flatMap((o) => (o.creditCode ? [o.creditCode] : []));
    expect(codes.length).toBeGreaterThan(20);
    expect(codes.map(validateCreditCode).filter(Boolean)).toEqual([]);
    expect(new Set(codes).size).toBe(codes.length);
    // Positions 3–8 of the code are the organization's region.
    expect(ORGANIZATIONS.filter((o) => o.creditCode && o.creditCode.slice(2, 8) !== o.regionCode)).toEqual([]);
  });

  it('spreads ≥300 achievements and ≥100 needs over every 4567 field and sub-field', () => {
    expect(ACHIEVEMENTS.length).toBeGreaterThanOrEqual(300);
    expect(NEEDS.length).toBeGreaterThanOrEqual(100);
    const achievementFields = new Set(ACHIEVEMENTS.flatMap((a) => a.input.fieldCodes));
    const needFields = new Set(NEEDS.flatMap((n) => n.input.fieldCodes));
    expect(hljLeaves.length).toBeGreaterThan(50);
    expect(hljLeaves.filter((c) => !achievementFields.has(c))).toEqual([]);
    expect(hljLeaves.filter((c) => !needFields.has(c))).toEqual([]);
    const tops = ['HLJ.4', 'HLJ.5', 'HLJ.6', 'HLJ.7'];
    expect(new Set([...achievementFields].map(topFieldOf))).toEqual(new Set(tops));
    expect(new Set([...needFields].map(topFieldOf))).toEqual(new Set(tops));
    expect(new Set(ACHIEVEMENTS.map((a) => a.input.title)).size).toBe(ACHIEVEMENTS.length);
    expect(new Set(NEEDS.map((n) => n.input.title)).size).toBe(NEEDS.length);
  });

  it('is consistent: stage follows TRL, needs come from enterprises and the brokerage, every organization lists something', () => {
    const stageOf = (trl: number) => (trl <= 4 ? 'lab' : trl <= 6 ? 'pilot' : 'industrialization');
    expect(ACHIEVEMENTS.filter((a) => a.input.stage !== stageOf(a.input.trl)).map((a) => a.input.title)).toEqual([]);
    expect(new Set(ACHIEVEMENTS.map((a) => a.input.trl)).size).toBeGreaterThanOrEqual(6);
    expect(new Set(ACHIEVEMENTS.map((a) => a.input.price.kind))).toEqual(new Set(['fixed', 'negotiable', 'auction']));
    expect(ACHIEVEMENTS.filter((a) => a.input.price.kind === 'auction' && !a.input.transferModes.includes('transfer'))).toEqual([]);
    const patents = ACHIEVEMENTS.flatMap((a) => a.input.ipRights ?? []).filter((r) => r.kind === 'invention_patent' && r.status === 'granted');
    expect(patents.length).toBeGreaterThan(300);
    expect(patents.filter((r) => !/^ZL20\d{2}1\d{7}\.[\dX]$/.test(r.number ?? ''))).toEqual([]);
    const kindOf = new Map(ORGANIZATIONS.map((o) => [o.slug, o.kind]));
    expect(NEEDS.filter((n) => !['enterprise', 'broker'].includes(kindOf.get(n.organization)!))).toEqual([]);
    const listed = new Set([...ACHIEVEMENTS, ...NEEDS].map((x) => x.organization));
    expect(ORGANIZATIONS.filter((o) => !listed.has(o.slug)).map((o) => o.slug)).toEqual([]);
    expect(new Set(NEEDS.map((n) => n.input.needType))).toEqual(new Set(['technical_problem', 'technology_introduction', 'joint_rd', 'talent']));
    expect(NEEDS.some((n) => n.input.budget.min === undefined && n.input.budget.negotiable)).toBe(true);
    expect(ACHIEVEMENTS.filter((a) => a.input.descriptionConfidential).length).toBeGreaterThanOrEqual(5);
    expect(NEEDS.filter((n) => n.input.descriptionConfidential).length).toBeGreaterThanOrEqual(3);
  });

  it('names the terms a demo search looks for', () => {
    const text = ACHIEVEMENTS.map((a) => `${a.input.title} ${a.input.summary} ${(a.input.keywords ?? []).join(' ')}`).join('\n');
    const needText = NEEDS.map((n) => `${n.input.title} ${n.input.description} ${(n.input.keywords ?? []).join(' ')}`).join('\n');
    const terms = ['石墨烯', '氮化硼', '精量播种', '褐煤蜡', '寒地水稻', '大豆', '玉米秸秆', '冰雪装备', '航天', '焊接机器人', '生物医药'];
    expect(terms.filter((t) => !text.includes(t))).toEqual([]);
    expect(terms.filter((t) => !needText.includes(t)).length).toBeLessThanOrEqual(3);
  });

  it('is deterministic, with need deadlines 3 to 18 months after the load', () => {
    expect(needsAsOf(NOW)).toEqual(NEEDS);
    const days = NEEDS.map((n) => (Date.parse(`${n.input.deadline}T00:00:00Z`) - NOW.getTime()) / 86_400_000);
    expect(Math.min(...days)).toBeGreaterThanOrEqual(89);
    expect(Math.max(...days)).toBeLessThanOrEqual(541);
  });
});

describe('loadSeeds', () => {
  let ctx: TestContext;
  let first: Record<string, number>;
  const count = async (query: SQL) => Number(((await ctx.db.db.execute(query)).rows[0] as { n: string | number }).n);

  beforeAll(async () => {
    ctx = await startTestApp();
    first = await loadSeeds(ctx.db.db, ctx.services, { now: ctx.clock.now() });
  }, 120_000);
  afterAll(async () => {
    await ctx?.close();
  });

  it('creates every organization, achievement and need through the services', async () => {
    expect(first).toEqual({ organizations: ORGANIZATIONS.length, skippedOrganizations: 0, achievements: ACHIEVEMENTS.length, needs: NEEDS.length, ...PLANNED });
    expect(await count(sql`select count(*) as n from organizations where kind <> 'platform'`)).toBe(ORGANIZATIONS.length);
    expect(await count(sql`select count(*) as n from organizations where kind <> 'platform' and description is null`)).toBe(0);
    expect(await count(sql`select count(*) as n from achievements`)).toBe(ACHIEVEMENTS.length);
    expect(await count(sql`select count(*) as n from needs`)).toBe(NEEDS.length);
    for (const table of ['achievements', 'needs'] as const) {
      const seeds = table === 'achievements' ? ACHIEVEMENTS : NEEDS;
      const rows = (await ctx.db.db.execute(sql`select status, count(*)::int as n from ${sql.identifier(table)} group by status`)).rows as { status: string; n: number }[];
      const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]));
      const expected: Record<string, number> = {};
      for (const s of seeds) expected[s.status] = (expected[s.status] ?? 0) + 1;
      expect(byStatus).toEqual(expected);
      expect(byStatus.published! / seeds.length).toBeGreaterThan(0.85);
      expect(byStatus.draft).toBeGreaterThan(0);
      expect(byStatus.pending_review).toBeGreaterThan(0);
    }
    expect(await count(sql`select count(*) as n from achievements where status = 'rejected' and review_reason is not null`)).toBeGreaterThan(0);
  });

  it('adds nothing when loaded again', async () => {
    const serials = await count(sql`select coalesce(sum(last_serial), 0) as n from contract_number_counters`);
    const again = await loadSeeds(ctx.db.db, ctx.services, { now: ctx.clock.now() });
    expect(again).toEqual({ organizations: 0, skippedOrganizations: ORGANIZATIONS.length, achievements: 0, needs: 0, ...NOTHING_NEW });
    expect(await count(sql`select count(*) as n from deals`)).toBe(PLANNED.deals);
    expect(await count(sql`select count(*) as n from deal_events`)).toBe(PLANNED.dealEvents);
    expect(await count(sql`select count(*) as n from contracts`)).toBe(PLANNED.contracts);
    // No 登记号 was drawn for contracts that were already there.
    expect(await count(sql`select coalesce(sum(last_serial), 0) as n from contract_number_counters`)).toBe(serials);
    expect(await count(sql`select count(*) as n from organizations where kind <> 'platform'`)).toBe(ORGANIZATIONS.length);
    expect(await count(sql`select count(*) as n from achievements`)).toBe(ACHIEVEMENTS.length);
    expect(await count(sql`select count(*) as n from needs`)).toBe(NEEDS.length);
    // The loader reviews as the operator without creating an admin account.
    expect(await count(sql`select count(*) as n from organizations where kind = 'platform'`)).toBe(0);
  });

  it('lets a demo user log in and see the drafts of its organization', async () => {
    const slug = ACHIEVEMENTS.find((a) => a.status === 'draft')!.organization;
    const login = await request(ctx.app.server).post('/v1/auth/token').send({ email: demoEmail(slug), password: DEMO_PASSWORD });
    expect(login.status).toBe(200);
    const mine = await request(ctx.app.server).get('/v1/achievements?mine=true&limit=100').set('authorization', `Bearer ${login.body.accessToken}`);
    expect(mine.status).toBe(200);
    const expected = ACHIEVEMENTS.filter((a) => a.organization === slug);
    expect(mine.body.items.map((i: { title: string }) => i.title).sort()).toEqual(expected.map((a) => a.input.title).sort());
    expect(mine.body.items.some((i: { status: string }) => i.status === 'draft')).toBe(true);

    const wrong = await request(ctx.app.server).post('/v1/auth/token').send({ email: demoEmail(slug), password: 'not the demo password' });
    expect(wrong.status).toBe(401);
  });

  it('is found by the public lists: text, field and confidentiality', async () => {
    const graphene = await request(ctx.app.server).get('/v1/achievements').query({ q: '石墨烯', limit: 100 });
    expect(graphene.status).toBe(200);
    expect(graphene.body.items.length).toBeGreaterThan(3);
    expect(graphene.body.items.every((i: { status: string }) => i.status === 'published')).toBe(true);
    const seeding = await request(ctx.app.server).get('/v1/achievements').query({ field: 'HLJ.5.05.01', limit: 100 });
    expect(seeding.body.items.length).toBe(ACHIEVEMENTS.filter((a) => a.status === 'published' && a.input.fieldCodes.includes('HLJ.5.05.01')).length);
    const needs = await request(ctx.app.server).get('/v1/needs').query({ limit: 100 });
    expect(needs.status).toBe(200);
    expect(needs.body.items.length).toBe(100);

    const confidential = ACHIEVEMENTS.find((a) => a.status === 'published' && a.input.descriptionConfidential)!;
    const { id } = (await ctx.db.db.execute(sql`select id from achievements where title = ${confidential.input.title}`)).rows[0] as { id: string };
    const item = await request(ctx.app.server).get(`/v1/achievements/${id}`);
    expect(item.status).toBe(200);
    expect(item.body.summary).toBe(confidential.input.summary);
    expect(item.body.description).toBeNull();
    expect(item.body.contact).toBeNull();
  });

  it('reaches the search engine through the outbox', async () => {
    await ctx.services.searchRelay.drain();
    for (const q of ['褐煤蜡', '精量播种', '寒地水稻']) {
      const res = await request(ctx.app.server).get('/v1/search').query({ q, type: 'achievement' });
      expect(res.status).toBe(200);
      expect(res.body.total).toBeGreaterThan(0);
    }
    const needs = await request(ctx.app.server).get('/v1/search').query({ q: '石墨烯', type: 'need' });
    expect(needs.body.total).toBeGreaterThan(0);
  });

  it('loads the broker pipeline and two years of registered contracts with unique 登记号', async () => {
    const byYear = (await ctx.db.db.execute(sql`select extract(year from registered_on)::int as y, count(*)::int as n from contracts where status = 'registered' group by 1 order by 1`)).rows;
    expect(byYear.map((r) => (r as { y: number }).y)).toEqual([2025, 2026]);
    expect(byYear.every((r) => (r as { n: number }).n >= 100)).toBe(true);
    expect(await count(sql`select count(*) as n from contracts where status = 'registered'`)).toBe(PLANNED.registered);
    expect(await count(sql`select count(distinct registration_number) as n from contracts where registration_number is not null`)).toBe(PLAN.contracts.filter((c) => c.registeredOn).length);
    const stages = (await ctx.db.db.execute(sql`select stage, count(*)::int as n from deals group by stage`)).rows as { stage: string; n: number }[];
    expect(new Set(stages.map((r) => r.stage))).toEqual(new Set(['matched', 'negotiating', 'signed', 'registered', 'industrialized', 'cancelled']));
    // Every registered seed contract with a deal moved it to registered (or beyond).
    expect(await count(sql`select count(*) as n from contracts c join deals d on d.id = c.deal_id where c.status = 'registered' and d.stage not in ('registered', 'industrialized')`)).toBe(0);
  });

  it('gives the demo statistics months and year-on-year growth to show', async () => {
    // The default period: this year to date (the test clock: 2 March 2026) against last year's same days.
    const ytd = await request(ctx.app.server).get('/v1/stats/contracts').query({ groupBy: 'month' });
    expect(ytd.status).toBe(200);
    expect(ContractStatsSchema.safeParse(ytd.body).success).toBe(true);
    expect(ytd.body).toMatchObject({ from: '2026-01-01', to: '2026-03-02', previousFrom: '2025-01-01', previousTo: '2025-03-02' });
    const [jan, feb] = ytd.body.groups;
    expect([jan.key, feb.key]).toEqual(['2026-01', '2026-02']);
    for (const g of [jan, feb]) {
      expect(g.count).toBeGreaterThan(0);
      expect(g.previous.count).toBeGreaterThan(0);
      expect(g.yoy.amount).not.toBeNull();
    }
    expect(ytd.body.totals.yoy.amount).not.toBeNull();

    // January–October 2026 against January–October 2025: the planned 31.4% growth of 成交金额.
    const year = await request(ctx.app.server).get('/v1/stats/contracts').query({ groupBy: 'month', from: '2026-01-01', to: '2026-10-31' });
    expect(year.status).toBe(200);
    expect(year.body.groups.map((g: { key: string }) => g.key)).toEqual(['01', '02', '03', '04', '05', '06', '07', '08', '09', '10'].map((mm) => `2026-${mm}`));
    expect(year.body.totals.yoy.amount).toBeCloseTo(GROWTH_PER_MILLE / 1000 - 1, 6);
    const sum = async (from: string, to: string) =>
      count(sql`select coalesce(sum(amount_fen), 0) as n from contracts where status = 'registered' and registered_on between ${from}::date and ${to}::date`);
    expect(year.body.totals.amount.amount).toBe(await sum('2026-01-01', '2026-10-31'));
    expect(year.body.totals.previous.amount.amount).toBe(await sum('2025-01-01', '2025-10-31'));

    const overview = await request(ctx.app.server).get('/v1/stats/overview');
    expect(overview.status).toBe(200);
    expect(OverviewSchema.safeParse(overview.body).success).toBe(true);
    expect(overview.body.deals.total).toBe(PLANNED.deals);
    expect(Object.values(overview.body.deals.byStage).every((n) => (n as number) > 0)).toBe(true);
  });

  it('completes a load that stopped half-way', async () => {
    const slug = NEEDS[0]!.organization;
    const orgId = ((await ctx.db.db.execute(sql`select organization_id as id from users where email = ${demoEmail(slug)}`)).rows[0] as { id: string }).id;
    const before = await count(sql`select count(*) as n from needs where organization_id = ${orgId}`);
    // A need no seeded deal links to (deals reference needs).
    await ctx.db.db.execute(
      sql`delete from needs where id in (select id from needs where organization_id = ${orgId} and not exists (select 1 from deals where deals.need_id = needs.id) order by created_at limit 1)`,
    );
    const again = await loadSeeds(ctx.db.db, ctx.services, { now: ctx.clock.now() });
    expect(again).toMatchObject({ organizations: 0, achievements: 0, needs: 1, ...NOTHING_NEW });
    expect(await count(sql`select count(*) as n from needs where organization_id = ${orgId}`)).toBe(before);
  });
});
