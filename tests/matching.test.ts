import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { AchievementMatchPageSchema, NeedMatchPageSchema } from '../src/modules/matching/matching.schemas.js';
import { MATCH_WEIGHTS, matchScore, termProfile } from '../src/modules/matching/matching.score.js';
import type { SearchDocument } from '../src/modules/search/search.engine.js';
import { startTestApp, type TestContext } from './support/app.js';
import { expectProblem } from './support/assert.js';
import { achievementInput, createAdmin, needInput, publish, registerUser, type TestUser } from './support/factories.js';

let ctx: TestContext;
let uni: TestUser;
let inst: TestUser;
let ent: TestUser;
let otherEnt: TestUser;
let broker: TestUser;
let admin: TestUser;
let need: { id: string };
let draftNeed: { id: string };
let good: { id: string };
let far: { id: string };
let unrelated: { id: string };
let ownAchievement: { id: string };
let lagging: { id: string };

const api = () => request(ctx.app.server);
const money = (fen: number) => ({ amount: fen, currency: 'CNY' });
type Item = { achievement?: { id: string; contact: unknown }; need?: { id: string }; score: number; explanation: Record<string, number> & { sharedFieldCodes: string[]; matchedTerms: string[] } };

beforeAll(async () => {
  ctx = await startTestApp();
  uni = await registerUser(ctx.app, 'university', { regionCode: '230100' });
  inst = await registerUser(ctx.app, 'institute', { regionCode: '210100' });
  ent = await registerUser(ctx.app, 'enterprise', { regionCode: '230100' });
  otherEnt = await registerUser(ctx.app, 'enterprise');
  broker = await registerUser(ctx.app, 'broker');
  admin = await createAdmin(ctx.app, ctx.services);

  need = await publish(
    ctx.app,
    'needs',
    ent,
    admin,
    needInput({
      title: '石墨烯散热膜量产工艺',
      summary: '手机与服务器用石墨烯散热膜，需要连续化量产工艺。',
      description: '现有石墨烯散热膜靠间歇式工艺，良率低，希望引进卷对卷连续制备技术。',
      keywords: ['石墨烯', '散热膜'],
      fieldCodes: ['HLJ.5.03.04'],
      trlMin: 6,
      budget: { max: money(10_000_000), negotiable: false },
      regionCode: '230100',
    }),
  );
  good = await publish(
    ctx.app,
    'achievements',
    uni,
    admin,
    achievementInput({
      title: '石墨烯导热膜卷对卷连续制备技术',
      summary: '高导热石墨烯散热膜的连续化制备，良率百分之九十以上。',
      keywords: ['石墨烯', '散热膜', '导热膜'],
      fieldCodes: ['HLJ.5.03.04'],
      trl: 7,
      price: { kind: 'fixed', amount: money(5_000_000) },
      regionCode: '230100',
      contact: { name: '赵老师', phone: '0451-86400000', email: 'zhao@hit.edu.cn' },
    }),
  );
  far = await publish(
    ctx.app,
    'achievements',
    inst,
    admin,
    achievementInput({
      title: '石墨烯防腐涂料',
      summary: '水性石墨烯防腐涂料，用于钢结构桥梁。',
      keywords: ['石墨烯', '防腐'],
      fieldCodes: ['HLJ.5.03.05'],
      trl: 5,
      price: { kind: 'fixed', amount: money(20_000_000) },
      regionCode: '210100',
    }),
  );
  unrelated = await publish(ctx.app, 'achievements', uni, admin, achievementInput());
  // The need's own organization posts an achievement too: an organization is not matched with itself.
  ownAchievement = await publish(ctx.app, 'achievements', ent, admin, achievementInput({ title: '石墨烯散热膜检测方法', keywords: ['石墨烯', '散热膜'], fieldCodes: ['HLJ.5.03.04'] }));
  lagging = await publish(ctx.app, 'achievements', uni, admin, achievementInput({ title: '石墨烯散热膜回收工艺', keywords: ['石墨烯', '散热膜'], fieldCodes: ['HLJ.5.03.04'] }));
  const draft = await api().post('/v1/needs').set(ent.auth).send(needInput({ title: '草稿需求：石墨烯散热', keywords: ['石墨烯'], fieldCodes: ['HLJ.5.03.04'] }));
  expect(draft.status).toBe(201);
  draftNeed = draft.body;
  await ctx.services.searchRelay.drain();
  // Archived after indexing and before the relay caught up: the index still has it, the database says no.
  await api().post(`/v1/achievements/${lagging.id}/archive`).set(uni.auth).expect(200);
});
afterAll(async () => {
  await ctx?.close();
});

describe('GET /v1/needs/{id}/matches', () => {
  it('ranks the best achievement first and explains every component of its score', async () => {
    const res = await api().get(`/v1/needs/${need.id}/matches`).set(ent.auth);
    expect(res.status).toBe(200);
    expect(AchievementMatchPageSchema.safeParse(res.body).success).toBe(true);
    expect(res.body).toMatchObject({ engine: 'postgres', nextCursor: null, weights: MATCH_WEIGHTS });
    const items = res.body.items as Item[];
    expect(items[0]!.achievement!.id).toBe(good.id);
    const top = items[0]!;
    expect(top.explanation).toMatchObject({ field: 1, maturity: 1, price: 1, region: 1, freshness: 1 });
    expect(top.explanation.text).toBeGreaterThan(0.3);
    expect(top.explanation.text).toBeGreaterThan(Number(items.find((i) => i.achievement!.id === far.id)!.explanation.text));
    expect(top.explanation.matchedTerms).toEqual(expect.arrayContaining(['石墨烯', '散热膜']));
    expect(top.explanation.sharedFieldCodes[0]).toBe('HLJ.5.03.04');
    expect(top.explanation.sharedFieldCodes).toEqual(expect.arrayContaining(['HLJ.5.03', 'HLJ.5', 'NHT.04.02']));
    // The score is exactly the documented formula over the components shown: relevance × deal fit.
    const w = MATCH_WEIGHTS;
    const e = top.explanation;
    const relevance = (w.text * e.text! + w.field * e.field!) / (w.text + w.field);
    const fit = w.maturity * e.maturity! + w.price * e.price! + w.region * e.region! + w.freshness * e.freshness!;
    expect(top.score).toBeCloseTo(relevance * (1 - (w.maturity + w.price + w.region + w.freshness) + fit), 2);
    // Scores only go down the list.
    expect(items.map((i) => i.score)).toEqual([...items.map((i) => i.score)].sort((a, b) => b - a));
    // A matched achievement is shown as to any broker or enterprise: no contact.
    expect(top.achievement!.contact).toBeNull();
  });

  it('explains a weaker match: sibling field, over budget, TRL short, other province', async () => {
    const items = (await api().get(`/v1/needs/${need.id}/matches`).set(ent.auth)).body.items as Item[];
    const weak = items.find((i) => i.achievement!.id === far.id)!;
    expect(weak).toBeDefined();
    expect(weak.explanation).toMatchObject({ field: 0.5, price: 0, region: 0 });
    expect(weak.explanation.maturity).toBeCloseTo(0.667, 3);
    expect(weak.explanation.matchedTerms).toContain('石墨烯');
    expect(weak.explanation.matchedTerms).not.toContain('散热膜');
    expect(weak.explanation.sharedFieldCodes).toEqual(expect.arrayContaining(['HLJ.5.03']));
    expect(weak.explanation.sharedFieldCodes).not.toContain('HLJ.5.03.04');
    expect(weak.score).toBeLessThan(items[0]!.score);
    const unrelatedItem = items.find((i) => i.achievement!.id === unrelated.id);
    if (unrelatedItem) expect(unrelatedItem.score).toBeLessThan(weak.score);
  });

  it('never proposes the need’s own organization, or a row that left publication after indexing', async () => {
    const ids = ((await api().get(`/v1/needs/${need.id}/matches`).set(ent.auth)).body.items as Item[]).map((i) => i.achievement!.id);
    expect(ids).not.toContain(ownAchievement.id);
    expect(ids).not.toContain(lagging.id);
    expect(ids).toContain(good.id);
  });

  it('honours limit', async () => {
    const res = await api().get(`/v1/needs/${need.id}/matches`).query({ limit: 1 }).set(ent.auth);
    expect(res.body.items).toHaveLength(1);
    expectProblem(await api().get(`/v1/needs/${need.id}/matches`).query({ limit: 0 }).set(ent.auth), 400, 'VALIDATION_FAILED');
    expectProblem(await api().get(`/v1/needs/${need.id}/matches`).query({ limit: 51 }).set(ent.auth), 400, 'VALIDATION_FAILED');
  });
});

describe('GET /v1/achievements/{id}/matches', () => {
  it('finds the need an achievement answers, with the same explanation from the other side', async () => {
    const res = await api().get(`/v1/achievements/${good.id}/matches`).set(uni.auth);
    expect(res.status).toBe(200);
    expect(NeedMatchPageSchema.safeParse(res.body).success).toBe(true);
    const top = (res.body.items as Item[])[0]!;
    expect(top.need!.id).toBe(need.id);
    expect(top.explanation).toMatchObject({ field: 1, maturity: 1, price: 1, region: 1 });
    expect(top.explanation.matchedTerms).toEqual(expect.arrayContaining(['石墨烯', '散热膜']));
  });
});

describe('who may see matches', () => {
  it('the owner, any broker and admins may; other organizations get 403; anonymous callers 401', async () => {
    for (const who of [ent, broker, admin]) expect((await api().get(`/v1/needs/${need.id}/matches`).set(who.auth)).status).toBe(200);
    for (const who of [otherEnt, uni, inst]) expectProblem(await api().get(`/v1/needs/${need.id}/matches`).set(who.auth), 403, 'MATCHES_NOT_ALLOWED');
    expectProblem(await api().get(`/v1/needs/${need.id}/matches`), 401, 'UNAUTHENTICATED');
    for (const who of [uni, broker, admin]) expect((await api().get(`/v1/achievements/${good.id}/matches`).set(who.auth)).status).toBe(200);
    for (const who of [ent, inst]) expectProblem(await api().get(`/v1/achievements/${good.id}/matches`).set(who.auth), 403, 'MATCHES_NOT_ALLOWED');
  });

  it('a draft is matched for its owner and admins only; to everyone else it does not exist (404)', async () => {
    expect((await api().get(`/v1/needs/${draftNeed.id}/matches`).set(ent.auth)).status).toBe(200);
    expect((await api().get(`/v1/needs/${draftNeed.id}/matches`).set(admin.auth)).status).toBe(200);
    for (const who of [broker, otherEnt]) expectProblem(await api().get(`/v1/needs/${draftNeed.id}/matches`).set(who.auth), 404, 'NOT_FOUND');
  });

  it('unknown ids are 404 and malformed ids 400', async () => {
    expectProblem(await api().get('/v1/needs/0195f000-0000-7000-8000-000000000999/matches').set(broker.auth), 404, 'NOT_FOUND');
    expectProblem(await api().get('/v1/achievements/0195f000-0000-7000-8000-000000000999/matches').set(broker.auth), 404, 'NOT_FOUND');
    expectProblem(await api().get('/v1/needs/not-a-uuid/matches').set(broker.auth), 400, 'VALIDATION_FAILED');
  });
});

describe('the match score and the terms it matches on', () => {
  const perfectFit = { maturity: 1, price: 1, region: 1, freshness: 1 };
  const noFit = { maturity: 0, price: 0, region: 0, freshness: 0 };

  it('an off-topic candidate scores 0 however well the deal would fit; the fit takes at most 35 % off a relevant one', () => {
    expect(matchScore({ text: 0, field: 0, ...perfectFit })).toBe(0);
    expect(matchScore({ text: 1, field: 1, ...perfectFit })).toBeCloseTo(1, 10);
    expect(matchScore({ text: 1, field: 1, ...noFit })).toBeCloseTo(0.65, 10);
    // On topic, elsewhere, over budget and immature still outranks a passing mention in the right city within budget.
    expect(matchScore({ text: 0.5, field: 0, ...noFit })).toBeGreaterThan(matchScore({ text: 0.05, field: 0, ...perfectFit }));
  });

  it('matches on what a listing is about, not on its template, figures, identifiers or who posted it', () => {
    const need = {
      kind: 'need',
      title: '石墨烯散热膜量产工艺',
      summary: '哈尔滨冰城新材料科技有限公司发布的技术引进需求：现有散热膜良率低，需要连续化量产工艺。',
      description: '【期望指标】导热系数≥1500 W/(m·K)。\n【合作要求】需求类型为技术引进，拟采用技术转让和专利/技术许可方式；预算100万~200万元；希望于2027-06-30前完成对接。专利ZL202110000000.1',
      keywords: ['石墨烯', '散热膜'],
    } as unknown as SearchDocument;
    const profile = termProfile(need, ['哈尔滨冰城新材料科技有限公司']);
    const terms = [...profile.terms.keys()];
    expect(terms).toEqual(expect.arrayContaining(['石墨烯', '散热膜', '量产', '导热']));
    for (const t of ['哈尔滨', '冰城', '技术引进', '技术转让', '专利', '预算', '万元', '对接', '100', '2027', '1500', 'k', 'zl202110000000']) expect(terms).not.toContain(t);
    expect(profile.query.slice(0, 2)).toEqual(['石墨烯', '散热膜']);
    // Without the poster's name its words would be taken for the subject.
    expect([...termProfile(need).terms.keys()]).toContain('冰城');
  });
});
