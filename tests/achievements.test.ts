import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startTestApp, type TestContext } from './support/app.js';
import { expectProblem } from './support/assert.js';
import { achievementInput, createAdmin, publish, registerUser, type TestUser } from './support/factories.js';
import { AchievementPageSchema, AchievementSchema } from '../src/modules/achievements/achievements.schemas.js';

let ctx: TestContext;
let uni: TestUser;
let uniColleague: TestUser;
let other: TestUser;
let enterprise: TestUser;
let admin: TestUser;

beforeAll(async () => {
  ctx = await startTestApp();
  uni = await registerUser(ctx.app, 'university');
  other = await registerUser(ctx.app, 'institute');
  enterprise = await registerUser(ctx.app, 'enterprise');
  admin = await createAdmin(ctx.app, ctx.services);
  // A second member of the university, through an invite.
  const invite = await request(ctx.app.server).post(`/v1/organizations/${uni.organizationId}/invites`).set(uni.auth).send({});
  const joined = await request(ctx.app.server)
    .post('/v1/auth/register')
    .send({ email: `colleague-${Date.now()}@hit.edu.cn`, password: 'another long password', displayName: '同事', organizationId: uni.organizationId, inviteCode: invite.body.inviteCode });
  expect(joined.status).toBe(201);
  uniColleague = { ...uni, userId: joined.body.user.id, token: joined.body.accessToken, auth: { Authorization: `Bearer ${joined.body.accessToken}` } };
});
afterAll(async () => {
  await ctx?.close();
});

const api = () => request(ctx.app.server);
const countRows = async (where = 'true') => Number((await ctx.db.pool.query(`select count(*) from achievements where ${where}`)).rows[0].count);

describe('create', () => {
  it('creates a draft owned by the caller’s organization, with ETag and Location', async () => {
    const res = await api().post('/v1/achievements').set(uni.auth).send(achievementInput());
    expect(res.status).toBe(201);
    expect(AchievementSchema.safeParse(res.body).success).toBe(true);
    expect(res.body).toMatchObject({ status: 'draft', organizationId: uni.organizationId, version: 1, expired: false, publishedAt: null });
    expect(res.body.price).toEqual({ kind: 'fixed', amount: { amount: 50_000_000, currency: 'CNY' } });
    expect(res.headers.etag).toBe('"1"');
    expect(res.headers.location).toBe(`/v1/achievements/${res.body.id}`);
    // Default validity: one year from now (the test clock).
    expect(res.body.validUntil).toBe('2027-03-02T02:00:00.000Z');
    const row = (await ctx.db.pool.query('select field_path_codes from achievements where id = $1', [res.body.id])).rows[0];
    // Stored with every ancestor and the crosswalked national field, so field filters find it.
    expect(row.field_path_codes).toEqual(expect.arrayContaining(['HLJ', 'HLJ.5', 'HLJ.5.05', 'HLJ.5.05.01', 'NHT.08.05', 'NHT.08']));
  });

  it('is refused to anonymous callers (401) and to the platform operator (403)', async () => {
    expectProblem(await api().post('/v1/achievements').send(achievementInput()), 401, 'UNAUTHENTICATED');
    expectProblem(await api().post('/v1/achievements').set(admin.auth).send(achievementInput()), 403, 'ROLE_NOT_ALLOWED');
  });

  it('rejects server-owned fields (mass assignment) and leaves nothing behind', async () => {
    const before = await countRows();
    for (const extra of [{ status: 'published' }, { organizationId: other.organizationId }, { version: 9 }, { id: '0190a0a0-0000-7000-8000-000000000000' }]) {
      expectProblem(await api().post('/v1/achievements').set(uni.auth).send(achievementInput(extra)), 400, 'VALIDATION_FAILED');
    }
    expect(await countRows()).toBe(before);
  });

  it('reports every malformed field at once (400) and unknown catalogue codes (422)', async () => {
    const bad = await api()
      .post('/v1/achievements')
      .set(uni.auth)
      .send(achievementInput({ title: '', trl: 12, price: { kind: 'fixed' }, transferModes: [] }));
    expectProblem(bad, 400, 'VALIDATION_FAILED');
    const paths = bad.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.title', 'body.trl', 'body.transferModes']));

    const unknown = await api().post('/v1/achievements').set(uni.auth).send(achievementInput({ fieldCodes: ['HLJ.9.99'], regionCode: '999999' }));
    expectProblem(unknown, 422, 'VALIDATION_FAILED');
    expect(unknown.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['fieldCodes.0', 'regionCode']);

    const past = await api().post('/v1/achievements').set(uni.auth).send(achievementInput({ validUntil: '2026-01-01T00:00:00Z' }));
    expectProblem(past, 422, 'VALIDATION_FAILED');
  });

  it('answers 415 for a non-JSON body and 400 for broken JSON', async () => {
    expectProblem(await api().post('/v1/achievements').set(uni.auth).set('content-type', 'text/plain').send('hello'), 415);
    expectProblem(await api().post('/v1/achievements').set(uni.auth).set('content-type', 'application/json').send('{"title":'), 400);
  });
});

describe('visibility and confidentiality', () => {
  it('shows drafts to the owner’s organization and admins only; others get 404', async () => {
    const draft = (await api().post('/v1/achievements').set(uni.auth).send(achievementInput())).body;
    expect((await api().get(`/v1/achievements/${draft.id}`).set(uni.auth)).status).toBe(200);
    expect((await api().get(`/v1/achievements/${draft.id}`).set(uniColleague.auth)).status).toBe(200);
    expect((await api().get(`/v1/achievements/${draft.id}`).set(admin.auth)).status).toBe(200);
    expectProblem(await api().get(`/v1/achievements/${draft.id}`), 404, 'NOT_FOUND');
    expectProblem(await api().get(`/v1/achievements/${draft.id}`).set(other.auth), 404, 'NOT_FOUND');
    expectProblem(await api().get('/v1/achievements/0190a0a0-0000-7000-8000-000000000000'), 404, 'NOT_FOUND');
    expectProblem(await api().get('/v1/achievements/not-a-uuid'), 400, 'VALIDATION_FAILED');
  });

  it('never shows contacts or confidential detail to the public', async () => {
    const pub = await publish(ctx.app, 'achievements', uni, admin, achievementInput({ descriptionConfidential: true, description: '配方：褐煤蜡 35%，催化剂用量 2%' }));
    const anon = await api().get(`/v1/achievements/${pub.id}`);
    expect(anon.status).toBe(200);
    expect(anon.body.contact).toBeNull();
    expect(anon.body.description).toBeNull();
    expect(JSON.stringify(anon.body)).not.toContain('褐煤蜡 35%');
    const foreign = await api().get(`/v1/achievements/${pub.id}`).set(enterprise.auth);
    expect(foreign.body.contact).toBeNull();
    const list = await api().get('/v1/achievements').query({ limit: 100 });
    expect(JSON.stringify(list.body)).not.toContain('褐煤蜡 35%');
    expect(JSON.stringify(list.body)).not.toContain('0451-55190000');
    const owner = await api().get(`/v1/achievements/${pub.id}`).set(uni.auth);
    expect(owner.body.description).toContain('褐煤蜡 35%');
    expect(owner.body.contact).toMatchObject({ name: '王老师' });
  });
});

describe('lifecycle', () => {
  it('goes draft → pending_review → published, and rejected with a reason back to review', async () => {
    const id = (await api().post('/v1/achievements').set(uni.auth).send(achievementInput())).body.id;
    expectProblem(await api().post(`/v1/achievements/${id}/review`).set(admin.auth).send({ decision: 'approve' }), 409, 'INVALID_STATE');
    const submitted = await api().post(`/v1/achievements/${id}/submit`).set(uni.auth);
    expect(submitted.body.status).toBe('pending_review');
    expectProblem(await api().post(`/v1/achievements/${id}/submit`).set(uni.auth), 409, 'INVALID_STATE');
    expectProblem(await api().post(`/v1/achievements/${id}/review`).set(admin.auth).send({ decision: 'reject' }), 400, 'VALIDATION_FAILED');
    expectProblem(await api().post(`/v1/achievements/${id}/review`).set(uni.auth).send({ decision: 'approve' }), 403, 'ADMIN_ONLY');
    const rejected = await api().post(`/v1/achievements/${id}/review`).set(admin.auth).send({ decision: 'reject', reason: '缺少中试数据和技术指标' });
    expect(rejected.body).toMatchObject({ status: 'rejected', reviewReason: '缺少中试数据和技术指标' });
    expect((await api().get(`/v1/achievements/${id}`).set(uni.auth)).body.reviewReason).toBe('缺少中试数据和技术指标');
    expect((await api().post(`/v1/achievements/${id}/submit`).set(uni.auth)).body).toMatchObject({ status: 'pending_review', reviewReason: null });
    const approved = await api().post(`/v1/achievements/${id}/review`).set(admin.auth).send({ decision: 'approve' });
    expect(approved.body).toMatchObject({ status: 'published', publishedAt: '2026-03-02T02:00:00.000Z' });
    expect((await api().get(`/v1/achievements/${id}`)).status).toBe(200);
  });

  it('lets only the owner submit; a foreign draft is a 404 and a foreign published row a 403', async () => {
    const draft = (await api().post('/v1/achievements').set(uni.auth).send(achievementInput())).body;
    expectProblem(await api().post(`/v1/achievements/${draft.id}/submit`).set(other.auth), 404, 'NOT_FOUND');
    expectProblem(await api().post(`/v1/achievements/${draft.id}/archive`).set(other.auth), 404, 'NOT_FOUND');
    const pub = await publish(ctx.app, 'achievements', uni, admin, achievementInput());
    expectProblem(await api().patch(`/v1/achievements/${pub.id}`).set(other.auth).send({ title: '别人的成果改名' }), 403, 'NOT_OWNER');
    expect((await api().get(`/v1/achievements/${pub.id}`)).body.title).toBe('寒地水稻精量播种机');
  });

  it('archives (owner or admin) and leaves public lists; archived rows cannot change', async () => {
    const pub = await publish(ctx.app, 'achievements', uni, admin, achievementInput({ title: '将被归档的成果' }));
    const archived = await api().post(`/v1/achievements/${pub.id}/archive`).set(uniColleague.auth);
    expect(archived.body.status).toBe('archived');
    expectProblem(await api().get(`/v1/achievements/${pub.id}`), 404);
    expectProblem(await api().post(`/v1/achievements/${pub.id}/archive`).set(admin.auth), 409, 'INVALID_STATE');
    expectProblem(await api().patch(`/v1/achievements/${pub.id}`).set(uni.auth).send({ title: '复活的成果标题' }), 409, 'INVALID_STATE');
    const byAdmin = await publish(ctx.app, 'achievements', uni, admin, achievementInput());
    expect((await api().post(`/v1/achievements/${byAdmin.id}/archive`).set(admin.auth)).body.status).toBe('archived');
  });
});

describe('PATCH with If-Match', () => {
  it('edits with the current ETag, refuses a stale one (412) and keeps the row unchanged', async () => {
    const created = await api().post('/v1/achievements').set(uni.auth).send(achievementInput());
    const ok = await api().patch(`/v1/achievements/${created.body.id}`).set(uni.auth).set('if-match', String(created.headers.etag)).send({ title: '寒地水稻精量播种机（第二代）' });
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe('"2"');
    const stale = await api().patch(`/v1/achievements/${created.body.id}`).set(uni.auth).set('if-match', '"1"').send({ title: '过期的修改' });
    expectProblem(stale, 412, 'PRECONDITION_FAILED');
    expectProblem(await api().patch(`/v1/achievements/${created.body.id}`).set(uni.auth).set('if-match', 'garbage').send({ title: '坏的 ETag' }), 412);
    expect((await api().get(`/v1/achievements/${created.body.id}`).set(uni.auth)).body.title).toBe('寒地水稻精量播种机（第二代）');
    expectProblem(await api().patch(`/v1/achievements/${created.body.id}`).set(uni.auth).send({}), 400, 'VALIDATION_FAILED');
    expectProblem(await api().patch(`/v1/achievements/${created.body.id}`).set(uni.auth).send({ status: 'published' }), 400, 'VALIDATION_FAILED');
  });

  it('changes only the fields given: absent fields keep their stored values', async () => {
    const created = await api().post('/v1/achievements').set(uni.auth).send(achievementInput());
    const res = await api().patch(`/v1/achievements/${created.body.id}`).set(uni.auth).send({ trl: 8 });
    expect(res.body).toMatchObject({ trl: 8, keywords: ['精量播种', '寒地水稻'], description: created.body.description, contact: created.body.contact, ipRights: created.body.ipRights });
  });

  it('lets exactly one of two concurrent edits with the same ETag win', async () => {
    const created = await api().post('/v1/achievements').set(uni.auth).send(achievementInput());
    const [a, b] = await Promise.all([
      api().patch(`/v1/achievements/${created.body.id}`).set(uni.auth).set('if-match', '"1"').send({ title: '并发修改甲' }),
      api().patch(`/v1/achievements/${created.body.id}`).set(uniColleague.auth).set('if-match', '"1"').send({ title: '并发修改乙' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 412]);
    const row = (await api().get(`/v1/achievements/${created.body.id}`).set(uni.auth)).body;
    expect(row.version).toBe(2);
  });

  it('sends a published achievement back to review on content change, but renews in place', async () => {
    const pub = await publish(ctx.app, 'achievements', uni, admin, achievementInput());
    const renewed = await api().patch(`/v1/achievements/${pub.id}`).set(uni.auth).send({ validUntil: '2028-01-01T00:00:00+08:00' });
    expect(renewed.body).toMatchObject({ status: 'published', validUntil: '2027-12-31T16:00:00.000Z' });
    const edited = await api().patch(`/v1/achievements/${pub.id}`).set(uni.auth).send({ summary: '新的成果简介，补充了中试数据与经济效益分析。' });
    expect(edited.body.status).toBe('pending_review');
    expectProblem(await api().get(`/v1/achievements/${pub.id}`), 404);
    expectProblem(await api().patch(`/v1/achievements/${pub.id}`).set(uni.auth).send({ validUntil: '2031-01-01T00:00:00Z' }), 422, 'VALIDATION_FAILED');
  });
});

describe('expiry and renewal', () => {
  it('drops an expired row from public lists and reads, keeps it for the owner, and brings it back on renewal', async () => {
    const ctx2 = await startTestApp();
    try {
      const owner = await registerUser(ctx2.app, 'university');
      const adm = await createAdmin(ctx2.app, ctx2.services);
      const pub = await publish(ctx2.app, 'achievements', owner, adm, achievementInput({ validUntil: '2026-04-01T00:00:00Z' }));
      const list = async (auth?: Record<string, string>) => (await request(ctx2.app.server).get('/v1/achievements').set(auth ?? {})).body.items.map((i: { id: string }) => i.id);
      expect(await list()).toContain(pub.id);
      ctx2.clock.set('2026-04-02T00:00:00Z');
      expect(await list()).not.toContain(pub.id);
      expectProblem(await request(ctx2.app.server).get(`/v1/achievements/${pub.id}`), 404);
      const mine = await request(ctx2.app.server).get('/v1/achievements').query({ mine: 'true' }).set(owner.auth);
      expect(mine.body.items.find((i: { id: string }) => i.id === pub.id)).toMatchObject({ status: 'published', expired: true });
      const renewed = await request(ctx2.app.server).patch(`/v1/achievements/${pub.id}`).set(owner.auth).send({ validUntil: '2027-04-01T00:00:00Z' });
      expect(renewed.body).toMatchObject({ status: 'published', expired: false });
      expect(await list()).toContain(pub.id);
    } finally {
      await ctx2.close();
    }
  });
});

describe('list', () => {
  let ids: Record<string, string>;
  let lister: TestContext;
  let owner: TestUser;
  beforeAll(async () => {
    // A database of its own, so the counts below see only these rows.
    lister = await startTestApp();
    owner = await registerUser(lister.app, 'university');
    const adm = await createAdmin(lister.app, lister.services);
    const pub = (body: Record<string, unknown>) => publish(lister.app, 'achievements', owner, adm, achievementInput(body));
    ids = {
      seeder: (await pub({})).id,
      graphene: (await pub({ title: '石墨烯改性防腐涂料', keywords: ['石墨烯', '防腐'], fieldCodes: ['HLJ.5.03.01'], trl: 5, stage: 'pilot', price: { kind: 'negotiable' }, regionCode: '230600' })).id,
      software: (await pub({ title: '工业互联网边缘网关软件', keywords: ['工业互联网'], fieldCodes: ['HLJ.4.01'], trl: 8, transferModes: ['license'], price: { kind: 'fixed', amount: { amount: 80_000_000, currency: 'CNY' } }, regionCode: '110000' })).id,
      cheap: (await pub({ title: '玉米秸秆还田机具', fieldCodes: ['HLJ.5.05'], trl: 9, price: { kind: 'fixed', amount: { amount: 1_000_000, currency: 'CNY' } }, regionCode: '231000' })).id,
    };
    await request(lister.app.server).post('/v1/achievements').set(owner.auth).send(achievementInput({ title: '尚未提交的草稿成果' }));
  });
  afterAll(async () => {
    await lister?.close();
  });
  const list = (query: Record<string, string | number>, auth?: Record<string, string>) =>
    request(lister.app.server).get('/v1/achievements').query(query).set(auth ?? {});
  const idsOf = (res: request.Response) => res.body.items.map((i: { id: string }) => i.id);

  it('lists published rows only, newest first, matching the page schema', async () => {
    const res = await list({});
    expect(res.status).toBe(200);
    expect(AchievementPageSchema.safeParse(res.body).success).toBe(true);
    expect(res.body.items).toHaveLength(4);
    expect(res.body.items.every((i: { status: string }) => i.status === 'published')).toBe(true);
    expect(res.body.nextCursor).toBeNull();
  });

  it('filters by field (descendants and crosswalk), TRL, maturity, transfer mode, region, price and text', async () => {
    expect(idsOf(await list({ field: 'HLJ.5.05' })).sort()).toEqual([ids.seeder, ids.cheap].sort());
    expect(idsOf(await list({ field: 'HLJ.5' })).sort()).toEqual([ids.seeder, ids.graphene, ids.cheap].sort());
    expect(idsOf(await list({ field: 'NHT.04' }))).toEqual([ids.graphene]);
    expect(idsOf(await list({ trlMin: 8 })).sort()).toEqual([ids.software, ids.cheap].sort());
    expect(idsOf(await list({ maturity: 'pilot' }))).toEqual([ids.graphene]);
    expect(idsOf(await list({ transferMode: 'license', regionCode: '110000' }))).toEqual([ids.software]);
    expect(idsOf(await list({ regionCode: '230000' })).sort()).toEqual([ids.seeder, ids.graphene, ids.cheap].sort());
    expect(idsOf(await list({ priceMax: 2_000_000 })).sort()).toEqual([ids.graphene, ids.cheap].sort());
    expect(idsOf(await list({ q: '石墨烯' }))).toEqual([ids.graphene]);
    expect(idsOf(await list({ q: '100%_' }))).toEqual([]);
  });

  it('pages with a cursor without gaps or repeats, in every sort', async () => {
    for (const sort of ['newest', 'oldest', 'trl', 'price']) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const res = await list({ limit: 1, sort, ...(cursor ? { cursor } : {}) });
        expect(res.status).toBe(200);
        seen.push(...idsOf(res));
        cursor = res.body.nextCursor ?? undefined;
      } while (cursor);
      expect(new Set(seen).size).toBe(4);
    }
    const byPrice = idsOf(await list({ sort: 'price' }));
    expect(byPrice[0]).toBe(ids.cheap);
    expect(byPrice.at(-1)).toBe(ids.graphene);
  });

  it('rejects bad pagination and a forged cursor with 400', async () => {
    expectProblem(await list({ limit: 101 }), 400, 'VALIDATION_FAILED');
    expectProblem(await list({ limit: 0 }), 400, 'VALIDATION_FAILED');
    expectProblem(await list({ cursor: 'bm90LWpzb24' }), 400, 'INVALID_CURSOR');
    expectProblem(await list({ cursor: Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url') }), 400, 'INVALID_CURSOR');
    expectProblem(await list({ sort: 'trl', cursor: Buffer.from(JSON.stringify(['9; drop table achievements', '0190a0a0-0000-7000-8000-000000000000'])).toString('base64url') }), 400, 'INVALID_CURSOR');
    expectProblem(await list({ field: 'not a code' }), 400, 'VALIDATION_FAILED');
  });

  it('shows the owner every status with mine=true, and admins the review queue by status', async () => {
    const mine = await list({ mine: 'true' }, owner.auth);
    expect(mine.body.items).toHaveLength(5);
    expect(mine.body.items.map((i: { status: string }) => i.status)).toContain('draft');
    expect((await list({ mine: 'true', status: 'draft' }, owner.auth)).body.items).toHaveLength(1);
    expectProblem(await list({ mine: 'true' }), 401, 'UNAUTHENTICATED');
    expectProblem(await list({ status: 'draft' }, owner.auth), 403, 'ADMIN_ONLY');
    const adm = await createAdmin(lister.app, lister.services);
    expect((await list({ status: 'draft' }, adm.auth)).body.items).toHaveLength(1);
  });
});
