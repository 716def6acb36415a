import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import request from 'supertest';
import { CreateAchievementBodySchema } from '../src/modules/achievements/achievements.schemas.js';
import type { Actor } from '../src/modules/accounts/tokens.js';
import type { SearchEngine, SearchKind, SearchDocument } from '../src/modules/search/search.engine.js';
import { backoffMs, createOutboxRecorder, createSearchRelay } from '../src/modules/search/search.outbox.js';
import { searchRepo } from '../src/modules/search/search.repo.js';
import { startTestApp, type TestContext } from './support/app.js';
import { achievementInput, createAdmin, publish, registerUser, type TestUser } from './support/factories.js';
import { FakeMeilisearch } from './support/fake-meilisearch.js';

const DAY = 86_400_000;
const outboxRows = async (ctx: TestContext, where = 'true') =>
  (await ctx.db.pool.query(`select entity, entity_id, reason, attempts, next_attempt_at, dead_at, last_error from search_outbox where ${where} order by id`)).rows;
const indexedIds = async (ctx: TestContext, kind: SearchKind = 'achievement') =>
  (await ctx.services.searchEngine.search(kind, { limit: 1000 })).hits.map((h) => h.id).sort();
const publishedIds = async (ctx: TestContext, table = 'achievements') =>
  (await ctx.db.pool.query(`select id from ${table} where status = 'published' and valid_until > $1 order by id`, [ctx.clock.now()])).rows.map((r) => r.id as string).sort();

describe('outbox relay on the PostgreSQL engine', () => {
  let ctx: TestContext;
  let uni: TestUser;
  let admin: TestUser;
  const api = () => request(ctx.app.server);

  beforeAll(async () => {
    ctx = await startTestApp();
    uni = await registerUser(ctx.app, 'university');
    admin = await createAdmin(ctx.app, ctx.services);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('writes an outbox row in the same transaction as each change; a publish is searchable after the relay tick', async () => {
    const created = await api().post('/v1/achievements').set(uni.auth).send(achievementInput({ title: '氮化硼纳米片规模化剥离技术', keywords: ['氮化硼'] }));
    expect(created.status).toBe(201);
    expect(await outboxRows(ctx, `entity_id = '${created.body.id}'`)).toHaveLength(1);
    // A draft is never indexed.
    await ctx.services.searchRelay.drain();
    expect((await api().get('/v1/search').query({ q: '氮化硼' })).body.total).toBe(0);
    expect(await outboxRows(ctx)).toEqual([]);

    await api().post(`/v1/achievements/${created.body.id}/submit`).set(uni.auth).expect(200);
    await api().post(`/v1/achievements/${created.body.id}/review`).set(admin.auth).send({ decision: 'approve' }).expect(200);
    // Committed but not yet relayed: not searchable yet, and the change waits in the outbox.
    expect((await api().get('/v1/search').query({ q: '氮化硼' })).body.total).toBe(0);
    expect((await outboxRows(ctx)).map((r) => r.reason)).toEqual(['change', 'change']);

    const ticks = await ctx.services.searchRelay.drain();
    expect(ticks.some((t) => t.kind === 'achievement' && t.upserted === 1)).toBe(true);
    const found = await api().get('/v1/search').query({ q: '氮化硼' });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ total: 1, engine: 'postgres' });
    expect(found.body.items[0]).toMatchObject({ type: 'achievement', id: created.body.id, title: '氮化硼纳米片规模化剥离技术' });
    // Delivered changes are gone; the expiry check of the indexed row waits for its validUntil.
    const rest = await outboxRows(ctx);
    expect(rest).toHaveLength(1);
    expect(rest[0]).toMatchObject({ reason: 'expiry', entity_id: created.body.id, attempts: 0, dead_at: null });
    expect(new Date(rest[0].next_attempt_at).toISOString()).toBe(found.body.items[0].validUntil);
  });

  it('the outbox row commits or rolls back with the change that wrote it', async () => {
    const before = (await outboxRows(ctx)).length;
    const recorder = createOutboxRecorder({ repo: searchRepo, clock: ctx.clock });
    const someId = '0195f000-0000-7000-8000-0000000000aa';
    await expect(
      ctx.db.db.transaction(async (tx) => {
        await recorder.record(tx, 'achievement', someId);
        throw new Error('the change failed after recording');
      }),
    ).rejects.toThrow('the change failed');
    expect(await outboxRows(ctx)).toHaveLength(before);
    await ctx.db.db.transaction(async (tx) => recorder.record(tx, 'need', someId));
    expect(await outboxRows(ctx)).toHaveLength(before + 1);
    // A change to a row that does not exist (any more) is delivered as a delete.
    const ticks = await ctx.services.searchRelay.drain();
    expect(ticks.some((t) => t.kind === 'need' && t.removed === 1)).toBe(true);
    expect(await outboxRows(ctx)).toHaveLength(before);
  });

  it('an update then an archive leaves no document; an edit sent back to review leaves the index', async () => {
    const a = await publish(ctx.app, 'achievements', uni, admin, achievementInput({ title: '玉米秸秆生物质颗粒燃料成型机' }));
    const b = await publish(ctx.app, 'achievements', uni, admin, achievementInput({ title: '寒地玉米秸秆还田机' }));
    await ctx.services.searchRelay.drain();
    expect((await api().get('/v1/search').query({ q: '秸秆' })).body.total).toBe(2);

    await api().patch(`/v1/achievements/${a.id}`).set(uni.auth).set('If-Match', `"${a.version}"`).send({ validUntil: new Date(ctx.clock.now().getTime() + 200 * DAY).toISOString() }).expect(200);
    await api().post(`/v1/achievements/${a.id}/archive`).set(uni.auth).expect(200);
    await api().patch(`/v1/achievements/${b.id}`).set(uni.auth).set('If-Match', `"${b.version}"`).send({ summary: '改进后的秸秆还田机，适合寒地黑土保护性耕作。' }).expect(200);
    await ctx.services.searchRelay.drain();
    expect((await api().get('/v1/search').query({ q: '秸秆' })).body.total).toBe(0);
    expect((await ctx.db.pool.query(`select count(*)::int as n from search_documents where id = any($1)`, [[a.id, b.id]])).rows[0].n).toBe(0);
    // Nothing of theirs is pending, and their expiry checks were withdrawn with them.
    expect(await outboxRows(ctx, `entity_id in ('${a.id}', '${b.id}')`)).toEqual([]);
  });

  it('indexes public fields only: confidential description and contact are neither searchable nor returned', async () => {
    const secret = await publish(
      ctx.app,
      'achievements',
      uni,
      admin,
      achievementInput({
        title: '高纯石英砂提纯工艺',
        description: '核心配方：酸浸温度与微波辅助参数（保密）',
        descriptionConfidential: true,
        contact: { name: '李保密', phone: '13900000000', email: 'secret@hit.edu.cn' },
      }),
    );
    await ctx.services.searchRelay.drain();
    expect((await api().get('/v1/search').query({ q: '微波辅助' })).body.total).toBe(0);
    expect((await api().get('/v1/search').query({ q: '李保密' })).body.total).toBe(0);
    const hit = (await api().get('/v1/search').query({ q: '石英砂' })).body.items[0];
    expect(hit.id).toBe(secret.id);
    expect(hit).not.toHaveProperty('description');
    expect(hit).not.toHaveProperty('contact');
    const stored = (await ctx.db.pool.query(`select document::text as doc, search_text from search_documents where id = $1`, [secret.id])).rows[0];
    expect(stored.doc).not.toMatch(/微波|保密|13900000000|secret@/);
    expect(stored.search_text).not.toMatch(/微波|13900000000/);
  });

  it('an expired row leaves the index when its validUntil passes; a renewal moves the expiry check', async () => {
    const soon = new Date(ctx.clock.now().getTime() + 2 * DAY).toISOString();
    const later = new Date(ctx.clock.now().getTime() + 30 * DAY).toISOString();
    const x = await publish(ctx.app, 'achievements', uni, admin, achievementInput({ title: '亚麻纤维复合材料', validUntil: soon }));
    const y = await publish(ctx.app, 'achievements', uni, admin, achievementInput({ title: '亚麻籽油冷榨工艺', validUntil: soon }));
    await ctx.services.searchRelay.drain();
    expect((await api().get('/v1/search').query({ q: '亚麻' })).body.total).toBe(2);
    await api().patch(`/v1/achievements/${y.id}`).set(uni.auth).set('If-Match', `"${y.version}"`).send({ validUntil: later }).expect(200);
    await ctx.services.searchRelay.drain();
    const checks = await outboxRows(ctx, `reason = 'expiry' and entity_id in ('${x.id}', '${y.id}')`);
    expect(checks.map((r) => [r.entity_id, new Date(r.next_attempt_at).toISOString()])).toEqual(
      expect.arrayContaining([
        [x.id, soon],
        [y.id, later],
      ]),
    );
    expect(checks).toHaveLength(2);

    ctx.clock.advance(3 * DAY);
    // Search never shows an expired row, even before the relay has removed it...
    expect((await api().get('/v1/search').query({ q: '亚麻' })).body.items.map((i: { id: string }) => i.id)).toEqual([y.id]);
    expect(await indexedIds(ctx)).toContain(x.id);
    // ...and the relay removes it once the check is due.
    await ctx.services.searchRelay.drain();
    expect(await indexedIds(ctx)).not.toContain(x.id);
    expect(await indexedIds(ctx)).toContain(y.id);
    expect(await indexedIds(ctx)).toEqual(await publishedIds(ctx));
  });

  it('two relays ticking concurrently never deliver the same row twice', async () => {
    const actor: Actor = await ctx.services.tokens.verify(uni.token);
    const input = CreateAchievementBodySchema.parse(achievementInput());
    const created: string[] = [];
    for (let i = 0; i < 120; i++) created.push((await ctx.services.achievements.create(actor, { ...input, title: `并发投递测试成果 ${i}` })).achievement.id);
    // Published in place, so each row has exactly one change to deliver, and it is an upsert (the
    // change of a draft reaches no engine call at all: the draft was never indexed).
    await ctx.db.pool.query(`update achievements set status = 'published', published_at = $2, valid_until = $3 where id = any($1::uuid[])`, [
      created,
      ctx.clock.now(),
      new Date(ctx.clock.now().getTime() + 365 * DAY),
    ]);
    const deliveries: string[] = [];
    const recording = (inner: SearchEngine): SearchEngine => ({
      ...inner,
      async upsert(kind, docs) {
        deliveries.push(...docs.map((d) => d.id));
        await inner.upsert(kind, docs);
      },
      async remove(kind, ids) {
        deliveries.push(...ids);
        await inner.remove(kind, ids);
      },
    });
    const relays = [0, 1].map(() =>
      createSearchRelay({ db: ctx.db.db, repo: searchRepo, engine: recording(ctx.services.searchEngine), clock: ctx.clock, options: { batchSize: 7 } }),
    );
    let skipped = 0;
    const left = async () => (await outboxRows(ctx, `reason = 'change'`)).length;
    for (let i = 0; i < 500 && (await left()) > 0; i++) {
      const round = await Promise.all(relays.flatMap((r) => [r.tick('achievement'), r.tick('achievement')]));
      skipped += round.filter((t) => t.skipped).length;
    }
    expect(await left()).toBe(0);
    const mine = deliveries.filter((id) => created.includes(id));
    expect(mine.sort()).toEqual([...created].sort());
    expect(new Set(mine).size).toBe(mine.length);
    // The advisory lock made relays stand by while another one held the kind.
    expect(skipped).toBeGreaterThan(0);
  });

  it('sends a draft and its first review to no engine call; deletes what was published once', async () => {
    const calls: string[] = [];
    const recording: SearchEngine = {
      ...ctx.services.searchEngine,
      async upsert(kind, docs) {
        calls.push(...docs.map((d) => `upsert ${d.id}`));
        await ctx.services.searchEngine.upsert(kind, docs);
      },
      async remove(kind, ids) {
        calls.push(...ids.map((id) => `remove ${id}`));
        await ctx.services.searchEngine.remove(kind, ids);
      },
    };
    const relay = createSearchRelay({ db: ctx.db.db, repo: searchRepo, engine: recording, clock: ctx.clock });
    await relay.drain();
    const created = await api().post('/v1/achievements').set(uni.auth).send(achievementInput({ title: '寒地草莓无土栽培' }));
    const id = created.body.id as string;
    await relay.drain();
    await api().post(`/v1/achievements/${id}/submit`).set(uni.auth).expect(200);
    await relay.drain();
    await api().post(`/v1/achievements/${id}/review`).set(admin.auth).send({ decision: 'reject', reason: '材料不全' }).expect(200);
    await relay.drain();
    expect(calls).toEqual([]);
    expect(await outboxRows(ctx, `entity_id = '${id}'`)).toEqual([]);

    await api().post(`/v1/achievements/${id}/submit`).set(uni.auth).expect(200);
    await api().post(`/v1/achievements/${id}/review`).set(admin.auth).send({ decision: 'approve' }).expect(200);
    await relay.drain();
    await api().post(`/v1/achievements/${id}/archive`).set(uni.auth).expect(200);
    await relay.drain();
    expect(calls).toEqual([`upsert ${id}`, `remove ${id}`]);
    expect(await indexedIds(ctx)).not.toContain(id);
  });

  it('search:reindex rebuilds the index from the database, whatever happened to it', async () => {
    await ctx.services.searchRelay.drain();
    const expected = await publishedIds(ctx);
    expect(expected.length).toBeGreaterThan(0);
    await ctx.db.pool.query(`delete from search_documents where id = $1`, [expected[0]]);
    await ctx.services.searchEngine.upsert('achievement', [{ ...((await ctx.services.searchEngine.search('achievement', { limit: 1 })).hits[0]!.document as SearchDocument), id: '0195f000-0000-7000-8000-0000000000ff' }]);
    expect(await indexedIds(ctx)).not.toEqual(expected);
    const r = await ctx.services.search.reindex('achievement');
    expect(r).toMatchObject({ kind: 'achievement', documents: expected.length });
    expect(await indexedIds(ctx)).toEqual(expected);
    expect(await outboxRows(ctx, `reason = 'expiry' and entity = 'achievement'`)).toHaveLength(expected.length);
  });

  it('started by the server, the relay delivers without ticks by hand and stops cleanly', async () => {
    const relay = ctx.services.searchRelay;
    relay.start();
    try {
      const z = await publish(ctx.app, 'achievements', uni, admin, achievementInput({ title: '马铃薯脱毒种薯快繁技术' }));
      let found = 0;
      for (let i = 0; i < 200 && found === 0; i++) {
        found = (await api().get('/v1/search').query({ q: '马铃薯' })).body.total;
        if (found === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(found).toBe(1);
      expect(await indexedIds(ctx)).toContain(z.id);
    } finally {
      await relay.stop();
    }
  });

  it('a commit wakes the relay through LISTEN/NOTIFY, without waiting for its poll; a lost connection is re-established', async () => {
    // An hour between polls: only the notification can bring these publishes into the index.
    const relay = createSearchRelay({
      db: ctx.db.db,
      repo: searchRepo,
      engine: ctx.services.searchEngine,
      clock: ctx.clock,
      options: { intervalMs: 3_600_000, reconnectDelayMs: 20 },
      listen: () => new pg.Client({ connectionString: ctx.db.url, application_name: 'search-relay-test' }),
    });
    const searchable = async (q: string) => {
      for (let i = 0; i < 200; i++) {
        if ((await api().get('/v1/search').query({ q })).body.total > 0) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return false;
    };
    relay.start();
    try {
      await relay.whenListening();
      const first = await publish(ctx.app, 'achievements', uni, admin, achievementInput({ title: '寒地蓝莓组培快繁技术', keywords: ['蓝莓'] }));
      expect(await searchable('蓝莓')).toBe(true);
      expect(await indexedIds(ctx)).toContain(first.id);

      // The LISTEN backend dies: the relay connects again, catches up, and is woken as before.
      const killed = await ctx.db.pool.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'search-relay-test'`);
      expect(killed.rowCount).toBe(1);
      const second = await publish(ctx.app, 'achievements', uni, admin, achievementInput({ title: '沙棘果油超临界萃取', keywords: ['沙棘'] }));
      await relay.whenListening();
      expect(await searchable('沙棘')).toBe(true);
      const third = await publish(ctx.app, 'achievements', uni, admin, achievementInput({ title: '黑木耳菌包自动化生产线', keywords: ['黑木耳'] }));
      expect(await searchable('黑木耳')).toBe(true);
      expect(await indexedIds(ctx)).toEqual(expect.arrayContaining([second.id, third.id]));
      expect(await outboxRows(ctx, `reason = 'change'`)).toEqual([]);
    } finally {
      await relay.stop();
    }
    // Stopped: no LISTEN connection left behind (the backend exits just after the socket closes).
    let left = 1;
    for (let i = 0; i < 100 && left > 0; i++) {
      left = (await ctx.db.pool.query(`select 1 from pg_stat_activity where application_name = 'search-relay-test'`)).rowCount ?? 0;
      if (left > 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(left).toBe(0);
  });
});

describe('outbox relay on Meilisearch (fake): outages, retries, dead letters', () => {
  let ctx: TestContext;
  let fake: FakeMeilisearch;
  let uni: TestUser;
  let admin: TestUser;
  let actor: Actor;
  let adminActor: Actor;

  beforeAll(async () => {
    fake = await new FakeMeilisearch().start();
    ctx = await startTestApp({ MEILI_URL: fake.url, MEILI_MASTER_KEY: fake.apiKey, MEILI_INDEX_PREFIX: 'o_', MEILI_TIMEOUT_MS: '1000', SEARCH_RELAY_MAX_ATTEMPTS: '3' });
    uni = await registerUser(ctx.app, 'university');
    admin = await createAdmin(ctx.app, ctx.services);
    actor = await ctx.services.tokens.verify(uni.token);
    adminActor = await ctx.services.tokens.verify(admin.token);
  });
  afterAll(async () => {
    await ctx?.close();
    await fake?.stop();
  });

  const input = () => CreateAchievementBodySchema.parse(achievementInput());
  const fakeIds = () => [...fake.documents('o_achievements').keys()].sort();

  it('answers searches from Meilisearch and names it', async () => {
    const p = await publish(ctx.app, 'achievements', uni, admin, achievementInput({ title: '石墨烯防腐涂料' }));
    await ctx.services.searchRelay.drain();
    const res = await request(ctx.app.server).get('/v1/search').query({ q: 'graphene' });
    expect(res.status).toBe(200);
    expect(res.body.engine).toBe('meilisearch');
    expect(res.body.items.map((i: { id: string }) => i.id)).toEqual([p.id]);
    expect((await request(ctx.app.server).get('/readyz')).body.checks.search).toBe('ok');
  });

  it('loses nothing while the engine is down: 500 changes, engine back, index equals the database', async () => {
    await ctx.services.searchRelay.drain();
    await fake.down();
    expect((await request(ctx.app.server).get('/readyz')).status).toBe(503);
    expect((await request(ctx.app.server).get('/v1/search').query({ q: 'x' })).body.code).toBe('SEARCH_UNAVAILABLE');
    const { achievements } = ctx.services;
    const ids: string[] = [];
    let changes = 0;
    for (let i = 0; i < 125; i++) ids.push((await achievements.create(actor, { ...input(), title: `停机期间的成果 ${i}` })).achievement.id);
    changes += 125;
    for (const id of ids) await achievements.submit(actor, id);
    changes += ids.length;
    for (const id of ids) await achievements.review(adminActor, id, { decision: 'approve' });
    changes += ids.length;
    // Ticks while the engine is down: every claimed row fails and backs off, none is lost.
    const down = await ctx.services.searchRelay.drain();
    expect(down.some((t) => t.failed > 0)).toBe(true);
    for (const id of ids.slice(0, 50)) await achievements.archive(actor, id);
    changes += 50;
    for (const id of ids.slice(50, 125)) await achievements.update(actor, id, undefined, { validUntil: new Date(ctx.clock.now().getTime() + 100 * DAY).toISOString() });
    changes += 75;
    expect(changes).toBe(500);
    await ctx.services.searchRelay.drain();
    const waiting = await outboxRows(ctx, `reason = 'change'`);
    expect(waiting.length).toBe(500);
    expect(waiting.every((r) => r.dead_at === null)).toBe(true);
    expect(waiting.filter((r) => r.attempts > 0).every((r) => r.last_error.startsWith('[transient] '))).toBe(true);

    await fake.up();
    // Outage failures never dead-letter, and the relay's recovery releases their backoff at once
    // (the test clock has not moved: without the release they would still be waiting).
    const recovered = await ctx.services.searchRelay.drain();
    expect(recovered.some((t) => t.released > 0)).toBe(true);
    expect(await outboxRows(ctx, `reason = 'change'`)).toEqual([]);
    expect(fakeIds()).toEqual(await publishedIds(ctx));
    expect(fakeIds().filter((id) => ids.includes(id))).toHaveLength(75);
  });

  it('a relay that takes over (a restart, another process) releases what the previous holder backed off for an outage', async () => {
    await ctx.services.searchRelay.drain();
    await fake.down();
    const { achievements } = ctx.services;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await achievements.create(actor, { ...input(), title: `接管前的成果 ${i}` })).achievement.id);
    for (const id of ids) await achievements.submit(actor, id);
    for (const id of ids) await achievements.review(adminActor, id, { decision: 'approve' });
    // The server's relay backs the rows off several times, then "dies" with its memory of the outage.
    for (let i = 0; i < 4; i++) await ctx.services.searchRelay.drain();
    const backedOff = await outboxRows(ctx, `reason = 'change'`);
    expect(backedOff.length).toBeGreaterThan(0);
    expect(backedOff.every((r) => new Date(r.next_attempt_at).getTime() > ctx.clock.now().getTime())).toBe(true);
    await fake.up();
    // A new relay (what a restarted process builds) has seen no outage itself; the clock has not
    // moved, so without the takeover release the rows would wait out their backoff.
    const successor = createSearchRelay({ db: ctx.db.db, repo: searchRepo, engine: ctx.services.searchEngine, clock: ctx.clock });
    const ticks = await successor.drain();
    expect(ticks.some((t) => t.released > 0)).toBe(true);
    expect(await outboxRows(ctx, `reason = 'change'`)).toEqual([]);
    expect(fakeIds()).toEqual(await publishedIds(ctx));
  });

  it('retries a rejected delivery with exponential backoff and dead-letters it after the maximum attempts', async () => {
    const { id } = (await ctx.services.achievements.create(actor, { ...input(), title: '被拒绝的文档' })).achievement;
    await ctx.services.achievements.submit(actor, id);
    await ctx.services.achievements.review(adminActor, id, { decision: 'approve' });
    fake.failTasks = Infinity;
    fake.failCode = 'invalid_document_fields';
    const attempts: number[] = [];
    for (let i = 0; i < 3; i++) {
      await ctx.services.searchRelay.drain();
      const [row] = await outboxRows(ctx, `entity_id = '${id}' and reason = 'change'`);
      attempts.push(row.attempts);
      if (row.dead_at === null) {
        const full = 1000 * 2 ** (row.attempts - 1);
        for (const r of await outboxRows(ctx, `entity_id = '${id}' and reason = 'change'`)) {
          expect(r.attempts).toBe(row.attempts);
          expect(r.last_error).toMatch(/invalid_document_fields/);
          // Equal jitter: between half and all of base·2^(attempts-1).
          const wait = new Date(r.next_attempt_at).getTime() - ctx.clock.now().getTime();
          expect(wait).toBeGreaterThanOrEqual(full / 2);
          expect(wait).toBeLessThanOrEqual(full);
        }
        ctx.clock.advance(full);
      }
    }
    expect(attempts).toEqual([1, 2, 3]);
    const [dead] = await outboxRows(ctx, `entity_id = '${id}' and reason = 'change'`);
    expect(dead.dead_at).not.toBeNull();
    // A dead letter is never claimed again.
    ctx.clock.advance(DAY);
    const after = await ctx.services.searchRelay.drain();
    expect(after.every((t) => t.claimed === 0)).toBe(true);
    expect(fakeIds()).not.toContain(id);

    // After the cause is fixed, a rebuild brings the index back to the database and clears the dead letters.
    fake.failTasks = 0;
    const r = await ctx.services.search.reindex('achievement');
    // create, submit, approve: three changes of the row, all dead-lettered together
    expect(r.clearedDeadLetters).toBe(3);
    expect(fakeIds()).toEqual(await publishedIds(ctx));
    expect(fakeIds()).toContain(id);
  });

  it('backoff doubles up to the cap, with jitter', () => {
    const o = { baseDelayMs: 1000, maxDelayMs: 60_000 };
    expect(backoffMs(0, { ...o, random: () => 0 })).toBe(500);
    expect(backoffMs(0, { ...o, random: () => 0.999999 })).toBe(1000);
    expect(backoffMs(3, { ...o, random: () => 0 })).toBe(4000);
    expect(backoffMs(20, { ...o, random: () => 0.5 })).toBe(45_000);
  });
});
