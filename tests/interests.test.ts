import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { InterestPageSchema, InterestSchema, NotificationPageSchema, NotificationSchema } from '../src/modules/interests/interests.schemas.js';
import { startTestApp, type TestContext } from './support/app.js';
import { expectProblem } from './support/assert.js';
import { achievementInput, createAdmin, needInput, publish, registerUser, type TestUser } from './support/factories.js';

let ctx: TestContext;
let university: TestUser;
let universityColleague: TestUser;
let enterprise: TestUser;
let otherEnterprise: TestUser;
let broker: TestUser;
let institute: TestUser;
let admin: TestUser;
/** a published achievement of the university with a confidential description and a contact */
let secretAchievement: { id: string };

const api = () => request(ctx.app.server);
const CONTACT = { name: '王老师', phone: '0451-55190000', email: 'wang@neau.edu.cn' };
const SECRET = '核心工艺参数：气吸负压 4.5 kPa，排种盘孔径 2.2 mm（保密）';

/** A second member of an existing organization, through the invite flow. */
async function joinOrganization(owner: TestUser): Promise<TestUser> {
  const invite = await api().post(`/v1/organizations/${owner.organizationId}/invites`).set(owner.auth).send({});
  if (invite.status !== 201) throw new Error(`invite failed: ${invite.status} ${JSON.stringify(invite.body)}`);
  const email = `member-${randomBytes(4).toString('hex')}@example.cn`;
  const password = 'correct horse battery';
  const res = await api()
    .post('/v1/auth/register')
    .send({ email, password, displayName: 'colleague', organizationId: owner.organizationId, inviteCode: invite.body.inviteCode });
  if (res.status !== 201) throw new Error(`join failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { userId: res.body.user.id, organizationId: owner.organizationId, email, password, token: res.body.accessToken, refreshToken: res.body.refreshToken, auth: { Authorization: `Bearer ${res.body.accessToken}` } };
}

const notificationsOf = async (user: TestUser, query: Record<string, string | number> = {}) => {
  const res = await api().get('/v1/notifications').set(user.auth).query(query);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(NotificationPageSchema.safeParse(res.body).success).toBe(true);
  return res.body as { items: { id: string; type: string; subject: { type: string; id: string; title: string }; message: string | null; interestId: string | null; readAt: string | null }[]; nextCursor: string | null; unreadCount: number };
};

beforeAll(async () => {
  ctx = await startTestApp();
  university = await registerUser(ctx.app, 'university');
  universityColleague = await joinOrganization(university);
  enterprise = await registerUser(ctx.app, 'enterprise');
  otherEnterprise = await registerUser(ctx.app, 'enterprise');
  broker = await registerUser(ctx.app, 'broker');
  institute = await registerUser(ctx.app, 'institute');
  admin = await createAdmin(ctx.app, ctx.services);
  secretAchievement = await publish(ctx.app, 'achievements', university, admin, achievementInput({ description: SECRET, descriptionConfidential: true, contact: CONTACT }));
});
afterAll(async () => {
  await ctx?.close();
});

describe('expressions of interest', () => {
  it('are refused to the wrong roles, to anonymous callers, and with a malformed body', async () => {
    const path = `/v1/achievements/${secretAchievement.id}/interests`;
    expectProblem(await api().post(path).set(institute.auth).send({ message: '我们想合作' }), 403, 'ROLE_NOT_ALLOWED');
    expectProblem(await api().post(path).set(admin.auth).send({ message: '我们想合作' }), 403, 'ROLE_NOT_ALLOWED');
    expectProblem(await api().post(path).send({ message: '我们想合作' }), 401);
    expectProblem(await api().post(path).set(enterprise.auth).send({}), 400, 'VALIDATION_FAILED');
    expectProblem(await api().post(path).set(enterprise.auth).send({ message: '   ' }), 400, 'VALIDATION_FAILED');
    expectProblem(await api().post(path).set(enterprise.auth).send({ message: 'ok', status: 'accepted' }), 400, 'VALIDATION_FAILED');
    expectProblem(await api().post('/v1/achievements/not-a-uuid/interests').set(enterprise.auth).send({ message: 'x' }), 400);
    // An admin has no standing on needs either; a need takes proposals from research organizations too.
    const need = await publish(ctx.app, 'needs', enterprise, admin, needInput());
    expectProblem(await api().post(`/v1/needs/${need.id}/interests`).set(admin.auth).send({ message: '平台' }), 403, 'ROLE_NOT_ALLOWED');
    expect((await api().post(`/v1/needs/${need.id}/interests`).set(institute.auth).send({ message: '研究所可承接' })).status).toBe(201);
    expect((await api().post(`/v1/achievements/${secretAchievement.id}/interests`).set(broker.auth).send({ message: '代企业洽谈' })).status).toBe(201);
    expect(await ctx.db.pool.query('select count(*)::int as n from interests').then((r) => r.rows[0].n)).toBe(2);
  });

  it('are refused on rows the caller cannot see (404) and on its own organization’s rows (422)', async () => {
    const draft = (await api().post('/v1/achievements').set(university.auth).send(achievementInput())).body;
    expectProblem(await api().post(`/v1/achievements/${draft.id}/interests`).set(enterprise.auth).send({ message: '草稿？' }), 404, 'NOT_FOUND');
    expectProblem(await api().post('/v1/achievements/0195f000-0000-7000-8000-000000000001/interests').set(enterprise.auth).send({ message: '?' }), 404, 'NOT_FOUND');
    const archived = await publish(ctx.app, 'achievements', university, admin, achievementInput({ title: '已归档的成果样例' }));
    await api().post(`/v1/achievements/${archived.id}/archive`).set(university.auth).expect(200);
    expectProblem(await api().post(`/v1/achievements/${archived.id}/interests`).set(enterprise.auth).send({ message: '归档了' }), 404, 'NOT_FOUND');

    const ownAchievement = await publish(ctx.app, 'achievements', enterprise, admin, achievementInput({ title: '企业自有的成果', institution: '某企业研发中心' }));
    expectProblem(await api().post(`/v1/achievements/${ownAchievement.id}/interests`).set(enterprise.auth).send({ message: '自己' }), 422, 'OWN_ROW');
    const ownNeed = await publish(ctx.app, 'needs', enterprise, admin, needInput());
    expectProblem(await api().post(`/v1/needs/${ownNeed.id}/interests`).set(enterprise.auth).send({ message: '自己' }), 422, 'OWN_ROW');
    // A row that expired is gone from the public view: no interest either.
    const shortLived = await publish(ctx.app, 'needs', otherEnterprise, admin, needInput({ validUntil: new Date(ctx.clock.now().getTime() + 3_600_000).toISOString() }));
    ctx.clock.advance(2 * 3_600_000);
    expectProblem(await api().post(`/v1/needs/${shortLived.id}/interests`).set(university.auth).send({ message: '过期了' }), 404, 'NOT_FOUND');
    const n = await ctx.db.pool.query('select count(*)::int as n from interests where achievement_id = any($1) or need_id = any($1)', [[draft.id, archived.id, ownAchievement.id, ownNeed.id, shortLived.id]]);
    expect(n.rows[0].n).toBe(0);
  });

  it('notify every member of the owner; accepting discloses contact and confidential detail to that organization only', async () => {
    const before = await api().get(`/v1/achievements/${secretAchievement.id}`).set(enterprise.auth);
    expect(before.body).toMatchObject({ contact: null, description: null, descriptionConfidential: true });
    // The owner's colleague sees everything, as before.
    expect((await api().get(`/v1/achievements/${secretAchievement.id}`).set(universityColleague.auth)).body).toMatchObject({ contact: CONTACT, description: SECRET });

    const created = await api().post(`/v1/achievements/${secretAchievement.id}/interests`).set(enterprise.auth).send({ message: '我司年产农机 2 万台，拟受让该技术' });
    expect(created.status).toBe(201);
    expect(InterestSchema.safeParse(created.body).success).toBe(true);
    expect(created.headers.location).toBe(`/v1/interests/${created.body.id}`);
    expect(created.body).toMatchObject({
      subject: { type: 'achievement', id: secretAchievement.id, title: '寒地水稻精量播种机' },
      ownerOrganizationId: university.organizationId,
      requesterOrganizationId: enterprise.organizationId,
      requesterUserId: enterprise.userId,
      status: 'pending',
      decidedAt: null,
    });
    const interestId: string = created.body.id;
    // One open interest per organization and row.
    expectProblem(await api().post(`/v1/achievements/${secretAchievement.id}/interests`).set(enterprise.auth).send({ message: '再来一次' }), 409, 'INTEREST_EXISTS');

    for (const member of [university, universityColleague]) {
      const received = (await notificationsOf(member, { type: 'interest_received' })).items.find((i) => i.interestId === interestId);
      expect(received).toMatchObject({ type: 'interest_received', subject: { type: 'achievement', id: secretAchievement.id }, message: '我司年产农机 2 万台，拟受让该技术', readAt: null });
    }
    expect((await notificationsOf(otherEnterprise)).items).toEqual([]);

    // Before the decision: still hidden from the interested enterprise.
    const pendingView = await api().get(`/v1/achievements/${secretAchievement.id}`).set(enterprise.auth);
    expect(pendingView.body).toMatchObject({ contact: null, description: null });

    // The owner's lists; others' view of them.
    const forRow = await api().get(`/v1/achievements/${secretAchievement.id}/interests`).set(universityColleague.auth);
    expect(forRow.status).toBe(200);
    expect(InterestPageSchema.safeParse(forRow.body).success).toBe(true);
    expect(forRow.body.items.map((i: { id: string }) => i.id)).toContain(interestId);
    expect(forRow.body.items.find((i: { id: string }) => i.id === interestId).requesterOrganizationName).toMatch(/^测试enterprise/);
    expect((await api().get(`/v1/achievements/${secretAchievement.id}/interests`).set(admin.auth)).status).toBe(200);
    expectProblem(await api().get(`/v1/achievements/${secretAchievement.id}/interests`).set(otherEnterprise.auth), 403, 'NOT_OWNER');
    const received = await api().get('/v1/interests').set(university.auth).query({ direction: 'received', status: 'pending' });
    expect(received.body.items.map((i: { id: string }) => i.id)).toContain(interestId);
    expect((await api().get('/v1/interests').set(enterprise.auth).query({ direction: 'sent' })).body.items.map((i: { id: string }) => i.id)).toEqual([interestId]);
    expect((await api().get('/v1/interests').set(otherEnterprise.auth).query({ direction: 'sent' })).body.items).toEqual([]);
    expect((await api().get(`/v1/interests/${interestId}`).set(enterprise.auth)).status).toBe(200);
    expectProblem(await api().get(`/v1/interests/${interestId}`).set(otherEnterprise.auth), 404, 'NOT_FOUND');

    // Only the owner decides.
    expectProblem(await api().post(`/v1/interests/${interestId}/accept`).set(enterprise.auth), 403, 'NOT_OWNER');
    expectProblem(await api().post(`/v1/interests/${interestId}/accept`).set(admin.auth), 403, 'NOT_OWNER');
    expectProblem(await api().post(`/v1/interests/${interestId}/accept`).set(otherEnterprise.auth), 404, 'NOT_FOUND');
    expectProblem(await api().post(`/v1/interests/${interestId}/accept`).set(university.auth).send({ message: 'ok', extra: 1 }), 400);

    const accepted = await api().post(`/v1/interests/${interestId}/accept`).set(university.auth).send({ message: '欢迎来校洽谈' });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ id: interestId, status: 'accepted', decisionMessage: '欢迎来校洽谈', decidedAt: ctx.clock.now().toISOString(), version: 2 });
    expect(accepted.headers.etag).toBe('"2"');
    expectProblem(await api().post(`/v1/interests/${interestId}/decline`).set(university.auth), 409, 'INVALID_STATE');
    const row = (await ctx.db.pool.query('select status, decided_by from interests where id = $1', [interestId])).rows[0];
    expect(row).toEqual({ status: 'accepted', decided_by: university.userId });

    const told = (await notificationsOf(enterprise)).items.find((i) => i.interestId === interestId);
    expect(told).toMatchObject({ type: 'interest_accepted', message: '欢迎来校洽谈', subject: { id: secretAchievement.id } });

    // The grant: that enterprise (any of its members) sees contact and confidential detail; another enterprise does not.
    const granted = await api().get(`/v1/achievements/${secretAchievement.id}`).set(enterprise.auth);
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ contact: CONTACT, description: SECRET, reviewReason: null });
    const stranger = await api().get(`/v1/achievements/${secretAchievement.id}`).set(otherEnterprise.auth);
    expect(stranger.body).toMatchObject({ contact: null, description: null });
    const anonymous = await api().get(`/v1/achievements/${secretAchievement.id}`);
    expect(anonymous.body).toMatchObject({ contact: null, description: null });
    // The broker's interest in the same row is still pending: no grant for the broker.
    expect((await api().get(`/v1/achievements/${secretAchievement.id}`).set(broker.auth)).body.contact).toBeNull();
  });

  it('a declined proposal to a need tells the proposer, discloses nothing, and may be made again', async () => {
    const need = await publish(ctx.app, 'needs', otherEnterprise, admin, needInput({ descriptionConfidential: true, summary: '公开摘要：豆渣利用' }));
    const proposed = await api().post(`/v1/needs/${need.id}/interests`).set(university.auth).send({ message: '我校有膳食纤维提取成果' });
    expect(proposed.status).toBe(201);
    expect(proposed.body.subject).toEqual({ type: 'need', id: need.id, title: '大豆精深加工副产物高值化利用' });

    expectProblem(await api().post(`/v1/interests/${proposed.body.id}/decline`).set(university.auth), 403, 'NOT_OWNER');
    const declined = await api().post(`/v1/interests/${proposed.body.id}/decline`).set(otherEnterprise.auth);
    expect(declined.status).toBe(200);
    expect(declined.body).toMatchObject({ status: 'declined', decisionMessage: null });
    expectProblem(await api().post(`/v1/interests/${proposed.body.id}/accept`).set(otherEnterprise.auth), 409, 'INVALID_STATE');

    // Every member of the proposing side? No: the decision goes to the user who proposed.
    expect((await notificationsOf(university, { type: 'interest_declined' })).items.map((i) => i.interestId)).toEqual([proposed.body.id]);
    expect((await notificationsOf(universityColleague, { type: 'interest_declined' })).items).toEqual([]);
    const view = await api().get(`/v1/needs/${need.id}`).set(university.auth);
    expect(view.body).toMatchObject({ contact: null, description: null });

    const again = await api().post(`/v1/needs/${need.id}/interests`).set(universityColleague.auth).send({ message: '补充了中试数据，再次提交' });
    expect(again.status).toBe(201);
    const accepted = await api().post(`/v1/interests/${again.body.id}/accept`).set(otherEnterprise.auth);
    expect(accepted.status).toBe(200);
    const disclosed = await api().get(`/v1/needs/${need.id}`).set(university.auth);
    expect(disclosed.body.description).toContain('年加工大豆 30 万吨');
    expect(disclosed.body.contact).toEqual({ name: '张经理', phone: '0459-6000000', email: null });
    expect((await api().get(`/v1/needs/${need.id}`).set(institute.auth)).body.contact).toBeNull();
  });

  it('two simultaneous interests of one organization in one row: one is created, the other is a 409', async () => {
    const row = await publish(ctx.app, 'achievements', university, admin, achievementInput({ title: '并发意向测试成果' }));
    const [a, b] = await Promise.all([
      api().post(`/v1/achievements/${row.id}/interests`).set(otherEnterprise.auth).send({ message: '甲' }),
      api().post(`/v1/achievements/${row.id}/interests`).set(otherEnterprise.auth).send({ message: '乙' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expect((await ctx.db.pool.query('select count(*)::int as n from interests where achievement_id = $1', [row.id])).rows[0].n).toBe(1);
    // Two decisions at once: one wins, the other sees the new state.
    const id = (a.status === 201 ? a : b).body.id;
    const [x, y] = await Promise.all([
      api().post(`/v1/interests/${id}/accept`).set(university.auth),
      api().post(`/v1/interests/${id}/decline`).set(universityColleague.auth),
    ]);
    expect([x.status, y.status].sort()).toEqual([200, 409]);
    expect((await ctx.db.pool.query('select count(*)::int as n from notifications where interest_id = $1 and type <> $2', [id, 'interest_received'])).rows[0].n).toBe(1);
  });
});

describe('notifications', () => {
  it('are paginated newest first, filtered by unread, and marked read only by their user', async () => {
    const rows = [];
    for (let i = 0; i < 3; i++) rows.push(await publish(ctx.app, 'needs', otherEnterprise, admin, needInput({ title: `分页测试需求第${i + 1}个` })));
    const reader = await registerUser(ctx.app, 'institute');
    for (const [i, row] of rows.entries()) {
      ctx.clock.advance(1_000);
      expect((await api().post(`/v1/needs/${row.id}/interests`).set(reader.auth).send({ message: `提案 ${i}` })).status).toBe(201);
    }
    const owner = otherEnterprise;
    const all = await notificationsOf(owner, { type: 'interest_received' });
    expect(all.items.length).toBeGreaterThanOrEqual(5);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await notificationsOf(owner, { type: 'interest_received', limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all.items.map((i) => i.id));
    // Newest first.
    expect(all.items.slice(0, 3).map((i) => i.message)).toEqual(['提案 2', '提案 1', '提案 0']);
    expectProblem(await api().get('/v1/notifications').set(owner.auth).query({ cursor: 'garbage' }), 400, 'INVALID_CURSOR');
    expectProblem(await api().get('/v1/notifications').set(owner.auth).query({ limit: 0 }), 400);
    expectProblem(await api().get('/v1/notifications'), 401);

    const unreadBefore = await notificationsOf(owner, { unread: 'true' });
    expect(unreadBefore.unreadCount).toBe(unreadBefore.items.length);
    const target = all.items[0]!;
    const read = await api().post(`/v1/notifications/${target.id}/read`).set(owner.auth);
    expect(read.status).toBe(200);
    expect(NotificationSchema.safeParse(read.body).success).toBe(true);
    expect(read.body.readAt).toBe(ctx.clock.now().toISOString());
    // Idempotent: the first read time stays.
    ctx.clock.advance(60_000);
    expect((await api().post(`/v1/notifications/${target.id}/read`).set(owner.auth)).body.readAt).toBe(read.body.readAt);
    const unreadAfter = await notificationsOf(owner, { unread: 'true' });
    expect(unreadAfter.items.map((i) => i.id)).not.toContain(target.id);
    expect(unreadAfter.unreadCount).toBe(unreadBefore.unreadCount - 1);
    expect((await notificationsOf(owner, { unread: 'false' })).items.map((i) => i.id)).toContain(target.id);

    // Another user's notification does not exist for the caller.
    expectProblem(await api().post(`/v1/notifications/${target.id}/read`).set(reader.auth), 404, 'NOT_FOUND');
    expectProblem(await api().post(`/v1/notifications/${target.id}/read`).set(admin.auth), 404, 'NOT_FOUND');
    expectProblem(await api().post('/v1/notifications/0195f000-0000-7000-8000-000000000009/read').set(owner.auth), 404, 'NOT_FOUND');
    expectProblem(await api().post('/v1/notifications/nope/read').set(owner.auth), 400);
    const stillUnread = all.items[1]!;
    await api().post(`/v1/notifications/${stillUnread.id}/read`).set(reader.auth).expect(404);
    expect((await ctx.db.pool.query('select read_at from notifications where id = $1', [stillUnread.id])).rows[0].read_at).toBeNull();
  });
});
