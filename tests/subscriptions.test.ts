import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { systemClock } from '../src/lib/clock.js';
import { newId } from '../src/lib/ids.js';
import { subscriptionsRepo } from '../src/modules/interests/interests.outbox.repo.js';
import { createNotificationRelay } from '../src/modules/interests/interests.relay.js';
import { CreatedSubscriptionSchema, SubscriptionPageSchema } from '../src/modules/interests/interests.schemas.js';
import { checkWebhookUrl, isForbiddenAddress, WebhookUrlError } from '../src/modules/interests/interests.webhooks.js';
import { startTestApp, type TestContext } from './support/app.js';
import { expectProblem } from './support/assert.js';
import { achievementInput, createAdmin, needInput, publish, registerUser, type TestUser } from './support/factories.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** What a receiver does: recompute v1 over the raw body with the secret, compare in constant time. */
function verifySignature(header: string | string[] | undefined, body: string, secret: string): { t: number; valid: boolean } {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(header));
  if (!m) return { t: NaN, valid: false };
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  return { t: Number(m[1]), valid: timingSafeEqual(expected, Buffer.from(m[2]!, 'hex')) };
}

let ctx: TestContext;
let receiver: WebhookReceiver;
let subscriber: TestUser;
let stranger: TestUser;
let university: TestUser;
let enterprise: TestUser;
let admin: TestUser;
const api = () => request(ctx.app.server);

const outbox = async (where = 'true') =>
  (await ctx.db.pool.query(`select id, topic, subject_id, subscription_id, attempts, next_attempt_at, dead_at, last_error from notification_outbox where ${where} order by id`)).rows;
const matchesOf = async (user: TestUser) =>
  (await api().get('/v1/notifications').set(user.auth).query({ type: 'subscription_match', limit: 100 })).body.items as { subject: { type: string; id: string; title: string }; subscriptionId: string }[];
async function subscribe(user: TestUser, body: Record<string, unknown>) {
  const res = await api().post('/v1/subscriptions').set(user.auth).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; webhookSecret: string | null };
}

beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
  // The receiver runs on 127.0.0.1: exactly that host is exempt from the SSRF guard here.
  ctx = await startTestApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_TIMEOUT_MS: '1500' });
  subscriber = await registerUser(ctx.app, 'enterprise');
  stranger = await registerUser(ctx.app, 'enterprise');
  university = await registerUser(ctx.app, 'university');
  enterprise = await registerUser(ctx.app, 'enterprise', { regionCode: '230600' });
  admin = await createAdmin(ctx.app, ctx.services);
});
afterAll(async () => {
  await ctx?.close();
  await receiver?.close();
});

describe('subscriptions', () => {
  it('are created, listed with pagination, read and deleted by their user only', async () => {
    const created = await api().post('/v1/subscriptions').set(subscriber.auth).send({ type: 'achievement', q: '石墨烯', fieldCodes: ['HLJ.5.03'], regionCode: '230000' });
    expect(created.status).toBe(201);
    expect(CreatedSubscriptionSchema.safeParse(created.body).success).toBe(true);
    expect(created.body).toMatchObject({ type: 'achievement', q: '石墨烯', fieldCodes: ['HLJ.5.03'], regionCode: '230000', webhookUrl: null, webhookSecret: null });
    expect(created.headers.location).toBe(`/v1/subscriptions/${created.body.id}`);
    const more = [await subscribe(subscriber, { type: 'need' }), await subscribe(subscriber, { type: 'need', q: '大豆' })];

    const page1 = await api().get('/v1/subscriptions').set(subscriber.auth).query({ limit: 2 });
    expect(page1.status).toBe(200);
    expect(SubscriptionPageSchema.safeParse(page1.body).success).toBe(true);
    expect(page1.body.items).toHaveLength(2);
    const page2 = await api().get('/v1/subscriptions').set(subscriber.auth).query({ limit: 2, cursor: page1.body.nextCursor });
    expect(page2.body.nextCursor).toBeNull();
    const ids = [...page1.body.items, ...page2.body.items].map((s: { id: string }) => s.id);
    expect(new Set(ids)).toEqual(new Set([created.body.id, ...more.map((m) => m.id)]));
    expect((await api().get('/v1/subscriptions').set(stranger.auth)).body.items).toEqual([]);

    const one = await api().get(`/v1/subscriptions/${created.body.id}`).set(subscriber.auth);
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('webhookSecret');
    expectProblem(await api().get(`/v1/subscriptions/${created.body.id}`).set(stranger.auth), 404, 'NOT_FOUND');
    expectProblem(await api().delete(`/v1/subscriptions/${created.body.id}`).set(stranger.auth), 404, 'NOT_FOUND');
    expect((await api().delete(`/v1/subscriptions/${created.body.id}`).set(subscriber.auth)).status).toBe(204);
    expectProblem(await api().get(`/v1/subscriptions/${created.body.id}`).set(subscriber.auth), 404, 'NOT_FOUND');
    expectProblem(await api().delete(`/v1/subscriptions/${created.body.id}`).set(subscriber.auth), 404, 'NOT_FOUND');
    for (const m of more) await api().delete(`/v1/subscriptions/${m.id}`).set(subscriber.auth).expect(204);
  });

  it('validate their criteria', async () => {
    expectProblem(await api().post('/v1/subscriptions').set(subscriber.auth).send({ type: 'listing' }), 400, 'VALIDATION_FAILED');
    expectProblem(await api().post('/v1/subscriptions').set(subscriber.auth).send({ type: 'need', userId: stranger.userId }), 400, 'VALIDATION_FAILED');
    expectProblem(await api().post('/v1/subscriptions').set(subscriber.auth).send({ type: 'need', webhookUrl: 'not a url' }), 400, 'VALIDATION_FAILED');
    expectProblem(await api().post('/v1/subscriptions').set(subscriber.auth).send({ type: 'need', fieldCodes: ['HLJ.9.99'] }), 422, 'VALIDATION_FAILED');
    expectProblem(await api().post('/v1/subscriptions').set(subscriber.auth).send({ type: 'need', regionCode: '999999' }), 422, 'VALIDATION_FAILED');
    expectProblem(await api().post('/v1/subscriptions').send({ type: 'need' }), 401);
    expectProblem(await api().get('/v1/subscriptions').set(subscriber.auth).query({ cursor: 'x' }), 400, 'INVALID_CURSOR');
  });

  it('refuse webhook URLs that are not http(s) or reach loopback, private or link-local addresses', async () => {
    const refused = async (webhookUrl: string, code: string) => {
      const res = await api().post('/v1/subscriptions').set(subscriber.auth).send({ type: 'need', webhookUrl });
      expectProblem(res, 422, code);
      expect(res.body.errors[0].path).toBe('webhookUrl');
    };
    await refused('ftp://93.184.216.34/hook', 'WEBHOOK_URL_INVALID');
    await refused('http://user:secret@93.184.216.34/hook', 'WEBHOOK_URL_INVALID');
    for (const url of [
      'http://10.0.0.5/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]:8080/hook',
      'http://localhost:8080/hook',
      'http://127.0.0.2/hook',
      'http://192.168.1.10/hook',
      'http://172.20.0.1/hook',
      'http://100.64.0.1/hook',
      'http://0.0.0.0/hook',
      'http://[fd00::1]/hook',
      'http://[fe80::1]/hook',
      'http://[::ffff:10.0.0.1]/hook',
      // Other spellings of 10.0.0.1 (the URL parser normalizes them before the check).
      'http://0x0a.0.0.1/hook',
      'http://167772161/hook',
    ]) {
      await refused(url, 'WEBHOOK_URL_FORBIDDEN');
    }
    expect((await ctx.db.pool.query('select count(*)::int as n from subscriptions where webhook_url is not null')).rows[0].n).toBe(0);
    // A public address is accepted; the allowed receiver host too.
    const ok = await subscribe(subscriber, { type: 'need', webhookUrl: 'https://93.184.216.34/hooks/techbridge' });
    expect(ok.webhookSecret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    await api().delete(`/v1/subscriptions/${ok.id}`).set(subscriber.auth).expect(204);
  });

  it('the SSRF guard checks every address a name resolves to', async () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.0.1', '100.64.0.1', '169.254.169.254', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:10.0.0.1']) {
      expect(isForbiddenAddress(address), address).toBe(true);
    }
    for (const address of ['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111', '100.128.0.1', '172.32.0.1']) {
      expect(isForbiddenAddress(address), address).toBe(false);
    }
    const policy = { allowPrivate: false, allowedHosts: [] };
    const resolvesTo = (...addresses: string[]) => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    // A public-looking name whose DNS answers with a private address (or one private among public ones).
    await expect(checkWebhookUrl('https://hooks.example.com/x', policy, resolvesTo('10.0.0.7'))).rejects.toMatchObject({ code: 'WEBHOOK_URL_FORBIDDEN' });
    await expect(checkWebhookUrl('https://hooks.example.com/x', policy, resolvesTo('93.184.216.34', '169.254.169.254'))).rejects.toBeInstanceOf(WebhookUrlError);
    await expect(checkWebhookUrl('https://hooks.example.com/x', policy, async () => Promise.reject(Object.assign(new Error('nx'), { code: 'ENOTFOUND' })))).rejects.toMatchObject({ code: 'WEBHOOK_URL_UNRESOLVABLE' });
    expect((await checkWebhookUrl('https://hooks.example.com/x', policy, resolvesTo('93.184.216.34'))).href).toBe('https://hooks.example.com/x');
    // The configured exceptions.
    expect((await checkWebhookUrl('http://hooks.internal/x', { allowPrivate: false, allowedHosts: ['hooks.internal'] }, resolvesTo('10.0.0.7'))).host).toBe('hooks.internal');
    expect((await checkWebhookUrl('http://10.0.0.7/x', { allowPrivate: true, allowedHosts: [] })).host).toBe('10.0.0.7');
  });
});

describe('matching newly published rows', () => {
  it('notifies matching subscriptions after commit through the outbox, never the others, once', async () => {
    const byField = await subscribe(subscriber, { type: 'achievement', fieldCodes: ['HLJ.5.05'] });
    const byText = await subscribe(subscriber, { type: 'achievement', q: '精量播种' });
    const byRegion = await subscribe(subscriber, { type: 'achievement', regionCode: '230000', q: '播种机' });
    const otherRegion = await subscribe(subscriber, { type: 'achievement', regionCode: '210000' });
    const otherField = await subscribe(subscriber, { type: 'achievement', fieldCodes: ['HLJ.6.03'] });
    const otherText = await subscribe(subscriber, { type: 'achievement', q: '石墨烯' });
    const secretText = await subscribe(subscriber, { type: 'achievement', q: '负压' });
    const needs = await subscribe(subscriber, { type: 'need' });
    const strangers = await subscribe(stranger, { type: 'achievement', q: '播种' });

    const draft = await api().post('/v1/achievements').set(university.auth).send(achievementInput({ description: '气吸负压排种（保密）', descriptionConfidential: true }));
    expect(await outbox(`subject_id = '${draft.body.id}'`)).toEqual([]);
    await api().post(`/v1/achievements/${draft.body.id}/submit`).set(university.auth).expect(200);
    expect(await outbox(`subject_id = '${draft.body.id}'`)).toEqual([]);
    await api().post(`/v1/achievements/${draft.body.id}/review`).set(admin.auth).send({ decision: 'approve' }).expect(200);
    // Published: the outbox row committed with it; nobody has been told yet.
    expect((await outbox(`subject_id = '${draft.body.id}'`)).map((r) => r.topic)).toEqual(['publication']);
    expect(await matchesOf(subscriber)).toEqual([]);

    const ticks = await ctx.services.notificationRelay.drain();
    expect(ticks[0]!.publications).toMatchObject({ claimed: 1, notified: 4, failed: 0 });
    const told = await matchesOf(subscriber);
    expect(told.map((n) => n.subscriptionId).sort()).toEqual([byField.id, byText.id, byRegion.id].sort());
    expect(told.every((n) => n.subject.id === draft.body.id && n.subject.type === 'achievement' && n.subject.title === '寒地水稻精量播种机')).toBe(true);
    expect((await matchesOf(stranger)).map((n) => n.subscriptionId)).toEqual([strangers.id]);
    for (const s of [otherRegion, otherField, otherText, secretText, needs]) expect(told.map((n) => n.subscriptionId)).not.toContain(s.id);
    expect(await outbox(`subject_id = '${draft.body.id}'`)).toEqual([]);

    // A renewal of a published row is not a new publication; a publication relayed twice tells nobody twice.
    const current = (await api().get(`/v1/achievements/${draft.body.id}`).set(university.auth)).body;
    await api()
      .patch(`/v1/achievements/${draft.body.id}`)
      .set(university.auth)
      .set('If-Match', `"${current.version}"`)
      .send({ validUntil: new Date(ctx.clock.now().getTime() + 400 * 24 * HOUR).toISOString() })
      .expect(200);
    expect(await outbox()).toEqual([]);
    await ctx.db.pool.query(`insert into notification_outbox (topic, subject_kind, subject_id, enqueued_at, next_attempt_at) values ('publication', 'achievement', $1, $2, $2)`, [draft.body.id, ctx.clock.now()]);
    await ctx.services.notificationRelay.drain();
    expect(await matchesOf(subscriber)).toHaveLength(3);

    // Rows of the subscriber's own organization are not news to it.
    await publish(ctx.app, 'achievements', subscriber, admin, achievementInput({ institution: '订阅方自己的研发中心' }));
    await ctx.services.notificationRelay.drain();
    expect(await matchesOf(subscriber)).toHaveLength(3);
    expect(await matchesOf(stranger)).toHaveLength(2);

    // A need matches only need subscriptions; archived before the relay came → nothing.
    const need = await publish(ctx.app, 'needs', enterprise, admin, needInput());
    const gone = await publish(ctx.app, 'needs', enterprise, admin, needInput({ title: '很快就撤下的需求' }));
    await api().post(`/v1/needs/${gone.id}/archive`).set(enterprise.auth).expect(200);
    await ctx.services.notificationRelay.drain();
    expect((await matchesOf(subscriber)).filter((n) => n.subject.type === 'need').map((n) => n.subject.id)).toEqual([need.id]);

    for (const s of [byField, byText, byRegion, otherRegion, otherField, otherText, secretText, needs]) await api().delete(`/v1/subscriptions/${s.id}`).set(subscriber.auth).expect(204);
    await api().delete(`/v1/subscriptions/${strangers.id}`).set(stranger.auth).expect(204);
  });
});

describe('webhooks', () => {
  const publishSeeding = (title: string) => publish(ctx.app, 'achievements', university, admin, achievementInput({ title, keywords: ['精量播种', title] }));

  it('are POSTed with a valid HMAC-SHA256 signature of timestamp and body', async () => {
    const sub = await subscribe(subscriber, { type: 'achievement', q: '玉米精量排种器', webhookUrl: receiver.url('/signed') });
    expect(sub.webhookSecret).toEqual(expect.any(String));
    const row = await publishSeeding('玉米精量排种器');
    const before = Math.floor(Date.now() / 1000);
    await ctx.services.notificationRelay.drain();

    const [hit, ...rest] = receiver.at('/signed');
    expect(rest).toEqual([]);
    expect(hit!.headers['content-type']).toBe('application/json');
    expect(hit!.headers['techbridge-event']).toBe('subscription.match');
    const sig = verifySignature(hit!.headers['techbridge-signature'], hit!.body, sub.webhookSecret!);
    expect(sig.valid).toBe(true);
    // Real time, not the test's business clock (2026-03).
    expect(sig.t).toBeGreaterThanOrEqual(before - 1);
    expect(verifySignature(hit!.headers['techbridge-signature'], hit!.body.replace('玉米', '大米'), sub.webhookSecret!).valid).toBe(false);
    expect(verifySignature(hit!.headers['techbridge-signature'], hit!.body, 'whsec_wrong').valid).toBe(false);

    const body = JSON.parse(hit!.body);
    expect(body).toMatchObject({ event: 'subscription.match', subscriptionId: sub.id, item: { type: 'achievement', id: row.id, title: '玉米精量排种器', url: `/v1/achievements/${row.id}` } });
    expect(hit!.headers['techbridge-delivery']).toBe(body.id);
    expect(hit!.body).not.toMatch(/contact|0451-55190000/);
    const notification = (await matchesOf(subscriber)).find((n) => n.subject.id === row.id);
    expect(notification).toBeDefined();
    expect(await outbox(`topic = 'webhook'`)).toEqual([]);
    await api().delete(`/v1/subscriptions/${sub.id}`).set(subscriber.auth).expect(204);
  });

  it('are retried with backoff after a failure, then delivered; two relays never send one twice', async () => {
    receiver.plan('/flaky', 500);
    const sub = await subscribe(subscriber, { type: 'achievement', q: '大豆精量播种单体', webhookUrl: receiver.url('/flaky') });
    await publishSeeding('大豆精量播种单体');
    await ctx.services.notificationRelay.drain();
    expect(receiver.at('/flaky')).toHaveLength(1);
    const [failed] = await outbox(`topic = 'webhook'`);
    expect(failed).toMatchObject({ attempts: 1, dead_at: null, last_error: 'receiver answered 500' });
    // Backoff: not before base delay × jitter, at most the base delay (1 s) for the first retry.
    const waitMs = new Date(failed.next_attempt_at).getTime() - ctx.clock.now().getTime();
    expect(waitMs).toBeGreaterThanOrEqual(500);
    expect(waitMs).toBeLessThanOrEqual(1_000);
    await ctx.services.notificationRelay.drain();
    expect(receiver.at('/flaky')).toHaveLength(1);

    ctx.clock.advance(1_000);
    const second = createNotificationRelay({ db: ctx.db.db, repo: subscriptionsRepo, clock: ctx.clock, wallClock: systemClock, webhookPolicy: { allowPrivate: false, allowedHosts: ['127.0.0.1'] } });
    const [a, b] = await Promise.all([ctx.services.notificationRelay.tick(), second.tick()]);
    expect(a.webhooks.claimed + b.webhooks.claimed).toBe(1);
    expect(a.webhooks.delivered + b.webhooks.delivered).toBe(1);
    const hits = receiver.at('/flaky');
    expect(hits).toHaveLength(2);
    // The same event id on every attempt, so the receiver can deduplicate.
    expect(hits[1]!.headers['techbridge-delivery']).toBe(hits[0]!.headers['techbridge-delivery']);
    expect(verifySignature(hits[1]!.headers['techbridge-signature'], hits[1]!.body, sub.webhookSecret!).valid).toBe(true);
    expect(await outbox(`topic = 'webhook'`)).toEqual([]);
    await api().delete(`/v1/subscriptions/${sub.id}`).set(subscriber.auth).expect(204);
  });

  it('are dead-lettered after repeated failure (and a receiver that never answers times out)', async () => {
    receiver.plan('/down', 503, 'hang', 500, 500);
    const sub = await subscribe(subscriber, { type: 'achievement', q: '水稻精量穴播机', webhookUrl: receiver.url('/down') });
    await publishSeeding('水稻精量穴播机');
    await ctx.services.notificationRelay.drain();
    ctx.clock.advance(HOUR);
    await ctx.services.notificationRelay.drain();
    expect((await outbox(`topic = 'webhook'`))[0]).toMatchObject({ attempts: 2, dead_at: null, last_error: 'no answer within 1500 ms' });
    ctx.clock.advance(HOUR);
    await ctx.services.notificationRelay.drain();
    const [dead] = await outbox(`topic = 'webhook'`);
    expect(dead).toMatchObject({ attempts: 3, last_error: 'receiver answered 500' });
    expect(dead.dead_at).not.toBeNull();
    // Dead letters are never claimed again.
    ctx.clock.advance(24 * HOUR);
    await ctx.services.notificationRelay.drain();
    expect(receiver.at('/down')).toHaveLength(3);
    // Deleting the subscription drops what it still had in the outbox.
    await api().delete(`/v1/subscriptions/${sub.id}`).set(subscriber.auth).expect(204);
    expect(await outbox(`topic = 'webhook'`)).toEqual([]);
  });
});

describe('webhooks without an allowance for the receiver', () => {
  let strict: TestContext;
  beforeAll(async () => {
    strict = await startTestApp();
  });
  afterAll(async () => {
    await strict?.close();
  });

  it('refuse the local receiver at creation, and again at delivery time', async () => {
    const user = await registerUser(strict.app, 'enterprise');
    const owner = await registerUser(strict.app, 'university');
    const strictAdmin = await createAdmin(strict.app, strict.services);
    const res = await request(strict.app.server).post('/v1/subscriptions').set(user.auth).send({ type: 'achievement', webhookUrl: receiver.url('/strict') });
    expectProblem(res, 422, 'WEBHOOK_URL_FORBIDDEN');
    expect(res.body.errors[0].message).toMatch(/127\.0\.0\.1/);

    // A subscription whose host passed the check at creation and now resolves to loopback (DNS changed).
    const id = newId();
    await strict.db.pool.query(
      `insert into subscriptions (id, user_id, kind, field_codes, webhook_url, webhook_secret, created_at) values ($1, $2, 'achievement', '{}', $3, 'whsec_test', $4)`,
      [id, user.userId, receiver.url('/strict'), strict.clock.now()],
    );
    await publish(strict.app, 'achievements', owner, strictAdmin, achievementInput());
    const ticks = await strict.services.notificationRelay.drain();
    expect(ticks.some((t) => t.webhooks.dead === 1)).toBe(true);
    expect(receiver.at('/strict')).toEqual([]);
    const [row] = (await strict.db.pool.query(`select attempts, dead_at, last_error from notification_outbox where subscription_id = $1`, [id])).rows;
    expect(row.attempts).toBe(1);
    expect(row.dead_at).not.toBeNull();
    expect(row.last_error).toMatch(/127\.0\.0\.1.*loopback, private/);
    // The in-app notification was made all the same.
    expect((await request(strict.app.server).get('/v1/notifications').set(user.auth)).body.items).toHaveLength(1);
  });
});
