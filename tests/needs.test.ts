import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startTestApp, type TestContext } from './support/app.js';
import { expectProblem } from './support/assert.js';
import { createAdmin, needInput, publish, registerUser, type TestUser } from './support/factories.js';
import { NeedPageSchema, NeedSchema } from '../src/modules/needs/needs.schemas.js';

let ctx: TestContext;
let enterprise: TestUser;
let broker: TestUser;
let university: TestUser;
let admin: TestUser;

beforeAll(async () => {
  ctx = await startTestApp();
  enterprise = await registerUser(ctx.app, 'enterprise', { regionCode: '230600' });
  broker = await registerUser(ctx.app, 'broker');
  university = await registerUser(ctx.app, 'university');
  admin = await createAdmin(ctx.app, ctx.services);
});
afterAll(async () => {
  await ctx?.close();
});

const api = () => request(ctx.app.server);
const idsOf = (res: request.Response) => res.body.items.map((i: { id: string }) => i.id);

describe('needs', () => {
  it('are posted by enterprises and brokers as drafts; universities and the operator may not', async () => {
    const res = await api().post('/v1/needs').set(enterprise.auth).send(needInput());
    expect(res.status).toBe(201);
    expect(NeedSchema.safeParse(res.body).success).toBe(true);
    expect(res.body).toMatchObject({
      status: 'draft',
      organizationId: enterprise.organizationId,
      budget: { min: { amount: 10_000_000, currency: 'CNY' }, max: { amount: 50_000_000, currency: 'CNY' }, negotiable: false },
      deadline: '2026-12-31',
    });
    expect((await api().post('/v1/needs').set(broker.auth).send(needInput())).status).toBe(201);
    expectProblem(await api().post('/v1/needs').set(university.auth).send(needInput()), 403, 'ROLE_NOT_ALLOWED');
    expectProblem(await api().post('/v1/needs').set(admin.auth).send(needInput()), 403, 'ROLE_NOT_ALLOWED');
    expectProblem(await api().post('/v1/needs').send(needInput()), 401);
  });

  it('validate budgets, dates and server-owned fields', async () => {
    const inverted = await api()
      .post('/v1/needs')
      .set(enterprise.auth)
      .send(needInput({ budget: { min: { amount: 9, currency: 'CNY' }, max: { amount: 1, currency: 'CNY' }, negotiable: false } }));
    expectProblem(inverted, 400, 'VALIDATION_FAILED');
    expectProblem(await api().post('/v1/needs').set(enterprise.auth).send(needInput({ budget: { negotiable: false } })), 400);
    expectProblem(await api().post('/v1/needs').set(enterprise.auth).send(needInput({ deadline: '2026-02-30' })), 400);
    expectProblem(await api().post('/v1/needs').set(enterprise.auth).send(needInput({ status: 'published' })), 400);
    expectProblem(await api().post('/v1/needs').set(enterprise.auth).send(needInput({ budget: { negotiable: true, min: { amount: 1, currency: 'USD' } } })), 400);
    expectProblem(await api().post('/v1/needs').set(enterprise.auth).send(needInput({ fieldCodes: ['HLJ.6.99'] })), 422, 'VALIDATION_FAILED');
  });

  it('hide drafts and confidential detail from everyone but the owner and admins', async () => {
    const draft = (await api().post('/v1/needs').set(enterprise.auth).send(needInput())).body;
    expectProblem(await api().get(`/v1/needs/${draft.id}`), 404);
    expectProblem(await api().get(`/v1/needs/${draft.id}`).set(broker.auth), 404);
    expectProblem(await api().post(`/v1/needs/${draft.id}/submit`).set(broker.auth), 404);
    const pub = await publish(ctx.app, 'needs', enterprise, admin, needInput({ descriptionConfidential: true, description: '现有工艺：豆清液直接排放，COD 12000 mg/L' }));
    const anon = await api().get(`/v1/needs/${pub.id}`);
    expect(anon.body).toMatchObject({ description: null, contact: null, status: 'published' });
    const owner = await api().get(`/v1/needs/${pub.id}`).set(enterprise.auth);
    expect(owner.body.description).toContain('COD 12000');
    expect(owner.body.contact).toMatchObject({ name: '张经理' });
  });

  it('follow the review lifecycle and If-Match like achievements', async () => {
    const created = await api().post('/v1/needs').set(enterprise.auth).send(needInput());
    expectProblem(await api().patch(`/v1/needs/${created.body.id}`).set(enterprise.auth).set('if-match', '"7"').send({ trlMin: 5 }), 412);
    const edited = await api().patch(`/v1/needs/${created.body.id}`).set(enterprise.auth).set('if-match', '"1"').send({ trlMin: 5 });
    expect(edited.body).toMatchObject({ trlMin: 5, keywords: ['大豆', '膳食纤维'], version: 2 });
    await api().post(`/v1/needs/${created.body.id}/submit`).set(enterprise.auth).expect(200);
    expectProblem(await api().post(`/v1/needs/${created.body.id}/review`).set(enterprise.auth).send({ decision: 'approve' }), 403, 'ADMIN_ONLY');
    const rejected = await api().post(`/v1/needs/${created.body.id}/review`).set(admin.auth).send({ decision: 'reject', reason: '预算与需求不符' });
    expect(rejected.body).toMatchObject({ status: 'rejected', reviewReason: '预算与需求不符' });
    expectProblem(await api().post(`/v1/needs/${created.body.id}/archive`).set(broker.auth), 404);
    expect((await api().post(`/v1/needs/${created.body.id}/archive`).set(enterprise.auth)).body.status).toBe('archived');
  });
});

describe('needs list', () => {
  let lister: TestContext;
  let ids: Record<string, string>;
  beforeAll(async () => {
    lister = await startTestApp();
    const owner = await registerUser(lister.app, 'enterprise');
    const adm = await createAdmin(lister.app, lister.services);
    const pub = async (body: Record<string, unknown>) => (await publish(lister.app, 'needs', owner, adm, needInput(body))).id;
    ids = {
      soy: await pub({}),
      negotiable: await pub({ title: '寒地温室智能控制系统', fieldCodes: ['HLJ.4.01'], needType: 'joint_rd', budget: { negotiable: true }, cooperationModes: ['joint_development'], deadline: null, regionCode: '230100' }),
      small: await pub({ title: '石墨烯导热膜量产工艺', fieldCodes: ['HLJ.5.03'], budget: { max: { amount: 2_000_000, currency: 'CNY' }, negotiable: false }, deadline: '2026-06-30', cooperationModes: ['license'], regionCode: '110000' }),
    };
  });
  afterAll(async () => {
    await lister?.close();
  });
  const list = (query: Record<string, string | number>) => request(lister.app.server).get('/v1/needs').query(query);

  it('filters by field, type, cooperation mode, budget, region and text', async () => {
    const all = await list({});
    expect(NeedPageSchema.safeParse(all.body).success).toBe(true);
    expect(all.body.items).toHaveLength(3);
    expect(idsOf(await list({ field: 'HLJ.5' }))).toEqual([ids.small]);
    expect(idsOf(await list({ field: 'NHT.04' }))).toEqual([ids.small]);
    expect(idsOf(await list({ needType: 'joint_rd' }))).toEqual([ids.negotiable]);
    expect(idsOf(await list({ cooperationMode: 'license' }))).toEqual([ids.small]);
    expect(idsOf(await list({ budgetMin: 10_000_000 })).sort()).toEqual([ids.soy, ids.negotiable].sort());
    expect(idsOf(await list({ regionCode: '230000' })).sort()).toEqual([ids.soy, ids.negotiable].sort());
    expect(idsOf(await list({ q: '石墨烯' }))).toEqual([ids.small]);
  });

  it('sorts by deadline (undated last) and pages with a cursor', async () => {
    expect(idsOf(await list({ sort: 'deadline' }))).toEqual([ids.small, ids.soy, ids.negotiable]);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await list({ limit: 2, sort: 'deadline', ...(cursor ? { cursor } : {}) });
      seen.push(...idsOf(res));
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([ids.small, ids.soy, ids.negotiable]);
    expectProblem(await list({ cursor: 'eyJ4IjoxfQ' }), 400, 'INVALID_CURSOR');
  });
});
