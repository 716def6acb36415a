import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { SearchResultSchema } from '../src/modules/search/search.schemas.js';
import { startTestApp, type TestContext } from './support/app.js';
import { expectProblem } from './support/assert.js';
import { achievementInput, createAdmin, needInput, publish, registerUser, type TestUser } from './support/factories.js';

let ctx: TestContext;
let uni: TestUser;
let ent: TestUser;
let admin: TestUser;
const ids: Record<string, string> = {};
const api = () => request(ctx.app.server);
const money = (fen: number) => ({ amount: fen, currency: 'CNY' });
const search = (query: Record<string, string | number>) => api().get('/v1/search').query(query);
const idsOf = (res: request.Response) => (res.body.items as { id: string }[]).map((i) => i.id).sort();
const sorted = (...names: string[]) => names.map((n) => ids[n]!).sort();

beforeAll(async () => {
  ctx = await startTestApp();
  uni = await registerUser(ctx.app, 'university');
  ent = await registerUser(ctx.app, 'enterprise');
  admin = await createAdmin(ctx.app, ctx.services);
  const a = async (name: string, body: Record<string, unknown>) => (ids[name] = (await publish(ctx.app, 'achievements', uni, admin, achievementInput(body))).id);
  const n = async (name: string, body: Record<string, unknown>) => (ids[name] = (await publish(ctx.app, 'needs', ent, admin, needInput(body))).id);
  await a('film', { title: '石墨烯导热膜连续制备技术', summary: '连续化制备高导热石墨烯膜，导热系数达 1500 W/mK。', keywords: ['石墨烯'], fieldCodes: ['HLJ.5.03.04'], trl: 6, stage: 'pilot', transferModes: ['license'], price: { kind: 'fixed', amount: money(5_000_000) }, regionCode: '230100' });
  await a('coating', { title: '石墨烯防腐涂料', summary: '石墨烯改性环氧防腐涂料，耐盐雾超过 3000 小时。', keywords: ['石墨烯', '防腐'], fieldCodes: ['HLJ.5.03.05'], trl: 8, stage: 'industrialization', transferModes: ['transfer'], price: { kind: 'negotiable' }, regionCode: '230600' });
  await a('seeder', { title: '寒地水稻精量播种机', fieldCodes: ['HLJ.5.05.01'], trl: 7, stage: 'industrialization', transferModes: ['transfer', 'license'], price: { kind: 'fixed', amount: money(50_000_000) }, regionCode: '230100' });
  await a('wax', { title: '褐煤蜡提取与精制工艺', summary: '从褐煤中萃取并精制褐煤蜡，收率提高 15%。', keywords: ['褐煤蜡'], fieldCodes: ['HLJ.6.02.04'], trl: 3, stage: 'lab', transferModes: ['joint_development'], price: { kind: 'auction' }, regionCode: '150000' });
  await n('fiber', { title: '大豆膳食纤维提取技术', keywords: ['大豆'], needType: 'technology_introduction', budget: { max: money(50_000_000), negotiable: false }, cooperationModes: ['transfer'] });
  await n('heat', { title: '石墨烯散热膜量产工艺', keywords: ['石墨烯'], fieldCodes: ['HLJ.5.03.04'], needType: 'joint_rd', trlMin: null, budget: { negotiable: true }, cooperationModes: ['joint_development'] });
  // A draft with the same words is never searchable.
  expect((await api().post('/v1/achievements').set(uni.auth).send(achievementInput({ title: '石墨烯草稿成果' }))).status).toBe(201);
  await ctx.services.searchRelay.drain();
});
afterAll(async () => {
  await ctx?.close();
});

describe('GET /v1/search', () => {
  it('finds published achievements by Chinese words and synonyms, and names the engine', async () => {
    const res = await search({ q: '石墨烯' });
    expect(res.status).toBe(200);
    expect(SearchResultSchema.safeParse(res.body).success).toBe(true);
    expect(res.body).toMatchObject({ engine: 'postgres', total: 2, nextCursor: null, facets: {} });
    expect(idsOf(res)).toEqual(sorted('film', 'coating'));
    expect(res.body.items[0]).toMatchObject({ type: 'achievement', score: expect.any(Number) });
    expect(res.body.items[0]).not.toHaveProperty('contact');
    expect(idsOf(await search({ q: 'graphene' }))).toEqual(sorted('film', 'coating'));
    expect(idsOf(await search({ q: '精量播种' }))).toEqual(sorted('seeder'));
  });

  it('searches needs with type=need', async () => {
    const res = await search({ q: '石墨烯', type: 'need' });
    expect(idsOf(res)).toEqual(sorted('heat'));
    expect(res.body.items[0]).toMatchObject({ type: 'need', needType: 'joint_rd', budget: { negotiable: true } });
  });

  it('applies every filter', async () => {
    expect(idsOf(await search({ field: 'HLJ.5.03' }))).toEqual(sorted('film', 'coating'));
    expect(idsOf(await search({ field: 'HLJ.5.03.04,HLJ.5.05' }))).toEqual(sorted('film', 'seeder'));
    // The national scheme finds rows filed under the provincial one, through the crosswalk.
    expect(idsOf(await search({ field: 'NHT.04' }))).toEqual(sorted('film', 'coating', 'wax'));
    expect(idsOf(await search({ regionCode: '230000' }))).toEqual(sorted('film', 'coating', 'seeder'));
    expect(idsOf(await search({ regionCode: '230100' }))).toEqual(sorted('film', 'seeder'));
    expect(idsOf(await search({ trlMin: 7 }))).toEqual(sorted('coating', 'seeder'));
    expect(idsOf(await search({ maturity: 'lab,pilot' }))).toEqual(sorted('film', 'wax'));
    expect(idsOf(await search({ transferMode: 'license' }))).toEqual(sorted('film', 'seeder'));
    expect(idsOf(await search({ priceMax: 10_000_000 }))).toEqual(sorted('film', 'coating', 'wax'));
    expect(idsOf(await search({ type: 'need', needType: 'technology_introduction' }))).toEqual(sorted('fiber'));
    expect(idsOf(await search({ type: 'need', cooperationMode: 'joint_development' }))).toEqual(sorted('heat'));
    expect(idsOf(await search({ type: 'need', budgetMin: 10_000_000 }))).toEqual(sorted('fiber', 'heat'));
    expect(idsOf(await search({ type: 'need', budgetMin: 60_000_000 }))).toEqual(sorted('heat'));
  });

  it('returns requested facets over all matches, values by count', async () => {
    const res = await search({ facets: 'field,regionCode,trl,stage,priceKind', limit: 1 });
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(4);
    expect(res.body.items).toHaveLength(1);
    expect(res.body.facets.field.slice(0, 2)).toEqual([
      { value: 'HLJ', count: 4 },
      { value: 'NHT', count: 4 },
    ]);
    expect(res.body.facets.field).toEqual(expect.arrayContaining([{ value: 'HLJ.5.03', count: 2 }]));
    expect(res.body.facets.regionCode).toEqual([
      { value: '230100', count: 2 },
      { value: '150000', count: 1 },
      { value: '230600', count: 1 },
    ]);
    expect(res.body.facets.stage).toEqual([
      { value: 'industrialization', count: 2 },
      { value: 'lab', count: 1 },
      { value: 'pilot', count: 1 },
    ]);
    const counts = res.body.facets.trl.map((f: { count: number }) => f.count);
    expect(counts).toEqual([...counts].sort((x: number, y: number) => y - x));
  });

  it('sorts and pages with an opaque cursor', async () => {
    const newest = await search({ sort: 'newest' });
    expect(newest.body.items.map((i: { id: string }) => i.id)).toEqual([ids.wax, ids.seeder, ids.coating, ids.film]);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 4; page++) {
      const res = await search({ sort: 'newest', limit: 1, ...(cursor ? { cursor } : {}) });
      expect(res.body.total).toBe(4);
      seen.push(...res.body.items.map((i: { id: string }) => i.id));
      cursor = res.body.nextCursor ?? undefined;
      if (page < 3) expect(cursor).toEqual(expect.any(String));
    }
    expect(cursor).toBeUndefined();
    expect(seen).toEqual([ids.wax, ids.seeder, ids.coating, ids.film]);
    expect(idsOf(await search({ sort: 'price', limit: 2 }))).toEqual(sorted('film', 'seeder'));
  });

  it('refuses parameters of the other type, unknown facets, codes and cursors', async () => {
    const wrong = await search({ type: 'need', trlMin: 5, priceMax: 1 });
    expectProblem(wrong, 400, 'VALIDATION_FAILED');
    expect(wrong.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['querystring.priceMax', 'querystring.trlMin']);
    expectProblem(await search({ type: 'achievement', budgetMin: 1 }), 400, 'VALIDATION_FAILED');
    expectProblem(await search({ type: 'need', facets: 'stage' }), 400, 'VALIDATION_FAILED');
    expectProblem(await search({ facets: 'colour' }), 400, 'VALIDATION_FAILED');
    expectProblem(await search({ type: 'patent' }), 400, 'VALIDATION_FAILED');
    expectProblem(await search({ limit: 101 }), 400, 'VALIDATION_FAILED');
    expectProblem(await search({ regionCode: '23' }), 400, 'VALIDATION_FAILED');
    const unknown = await search({ field: 'HLJ.9.99', regionCode: '999999' });
    expectProblem(unknown, 422, 'VALIDATION_FAILED');
    expect(unknown.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['field.0', 'regionCode']);
    expectProblem(await search({ cursor: 'bm90LWEtY3Vyc29y' }), 400, 'INVALID_CURSOR');
    expectProblem(await search({ cursor: Buffer.from(JSON.stringify([5000])).toString('base64url') }), 400, 'INVALID_CURSOR');
    expectProblem(await search({ q: 'x'.repeat(201) }), 400, 'VALIDATION_FAILED');
  });

  it('treats query syntax as plain text', async () => {
    for (const q of ["石墨烯' & !", '(a | b):*', '\\%_', '<->']) {
      const res = await search({ q });
      expect(res.status, q).toBe(200);
    }
  });
});
