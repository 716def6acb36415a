import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { testConfig, type Config } from '../src/config.js';
import { createServices, type AppDeps, type Services } from '../src/container.js';
import { createDatabase } from '../src/db/client.js';
import { ManualClock } from '../src/lib/clock.js';
import { createReadCache, matchesIfNoneMatch, pageKey, type ReadCache } from '../src/lib/read-cache.js';
import { createReadCacheListener, READ_CACHE_CHANNEL, type ReadCacheListener } from '../src/lib/read-cache.listen.js';
import { generateSigningKeys, type SigningKeys } from '../src/modules/accounts/keys.js';
import { AchievementPageSchema, AchievementSchema } from '../src/modules/achievements/achievements.schemas.js';
import { NeedSchema } from '../src/modules/needs/needs.schemas.js';
import { expectProblem } from './support/assert.js';
import { createTestDatabase } from './support/db.js';
import { achievementInput, createAdmin, needInput, publish, registerUser, type TestUser } from './support/factories.js';

// Several application instances on one database, as several server processes would run: each has
// its own pool, services and read cache; they share the clock (real time is one) and signing key.
const DAY = 86_400_000;
const CONTACT = { name: '王老师', phone: '0451-55190000', email: 'wang@neau.edu.cn' };

interface Instance {
  app: FastifyInstance;
  services: Services;
  cache: ReadCache;
  /** statements this instance sent to PostgreSQL so far */
  queries: () => number;
  close: () => Promise<void>;
}

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let keys: SigningKeys;
const clock = new ManualClock(new Date('2026-03-02T02:00:00Z'));
const instances: Instance[] = [];
let a: Instance;
let b: Instance;
let off: Instance;
let uni: TestUser;
let institute: TestUser;
let enterprise: TestUser;
let admin: TestUser;

async function instance(overrides: Partial<Record<keyof Config, string>> = {}, listen = true): Promise<Instance> {
  const database = createDatabase(db.url, 4);
  let sent = 0;
  const query = database.pool.query.bind(database.pool) as (...args: unknown[]) => unknown;
  (database.pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args) => {
    sent++;
    return query(...args);
  };
  const deps: AppDeps = { config: testConfig({ DATABASE_URL: db.url, ...overrides }), database, clock, keys };
  const services = createServices(deps);
  const app = await buildApp(deps, services);
  await app.ready();
  if (listen) {
    services.readCacheListener.start();
    await services.readCacheListener.whenListening();
  }
  const made: Instance = {
    app,
    services,
    cache: services.readCache,
    queries: () => sent,
    close: async () => {
      await services.readCacheListener.stop();
      await app.close();
      await database.close();
    },
  };
  instances.push(made);
  return made;
}

beforeAll(async () => {
  db = await createTestDatabase();
  keys = (await generateSigningKeys()).keys;
  [a, b, off] = await Promise.all([instance(), instance(), instance({ READ_CACHE: 'false' }, false)]);
  [uni, institute, enterprise] = await Promise.all([registerUser(a.app, 'university'), registerUser(a.app, 'institute'), registerUser(a.app, 'enterprise')]);
  admin = await createAdmin(a.app, a.services);
});

afterAll(async () => {
  for (const i of instances) await i.close();
  await db?.drop();
});

const get = (target: Instance, path: string, headers: Record<string, string> = {}) => request(target.app.server).get(path).set(headers);

let tokens = 0;
/** A word no other test's rows contain, for a list of this test's rows only (`q` matches titles). */
const token = () => `缓存测试${++tokens}号`;

/** Resolves when `cache` applies an invalidation of `id` (announced by NOTIFY unless said otherwise). */
function invalidationOf(cache: ReadCache, id: string, origin: 'commit' | 'notification' = 'notification'): Promise<void> {
  return new Promise((resolve) => {
    const on = (e: { id: string; origin: string }) => {
      if (e.id !== id || e.origin !== origin) return;
      cache.events.off('invalidated', on);
      resolve();
    };
    cache.events.on('invalidated', on);
  });
}

/**
 * Waits until every listening instance has received every notification committed so far: a
 * notification is delivered to each listener in commit order, so once this one has arrived,
 * all earlier ones have too (no sleeping, no counting).
 */
async function settle(): Promise<void> {
  const id = `barrier-${++tokens}`;
  const listening = instances.filter((i) => i.cache.listening);
  const arrived = listening.map((i) => invalidationOf(i.cache, id));
  await db.pool.query('select pg_notify($1, $2)', [READ_CACHE_CHANNEL, `need:${id}`]);
  await Promise.all(arrived);
}

/** What a cache did during `fn`. */
async function counted<T>(target: Instance, fn: () => Promise<T>): Promise<{ result: T; hits: number; stores: number; queries: number }> {
  const before = { ...target.cache.stats(), queries: target.queries() };
  const result = await fn();
  const after = target.cache.stats();
  return { result, hits: after.hits - before.hits, stores: after.stores - before.stores, queries: target.queries() - before.queries };
}

describe('the cache itself', () => {
  const body = (n: number) => Buffer.alloc(n, 'x');
  const fresh = (maxBytes = 1_000_000) => {
    const c = new ManualClock(new Date('2026-03-02T02:00:00Z'));
    const cache = createReadCache({ clock: c, enabled: true, maxBytes, maxAgeMs: 30_000, verify: false });
    cache.setListening(true);
    const meta = (validUntilMs = 365 * DAY) => ({ readAt: c.now(), validUntil: new Date(c.now().getTime() + validUntilMs), owners: [], disclosable: false });
    return { c, cache, meta };
  };

  it('keeps at most maxBytes, evicting the least recently used; a body larger than the bound is not kept', () => {
    const { cache, meta } = fresh(10_000);
    for (const k of ['0', '1', '2', '3']) {
      cache.put(cache.ticket('achievement')!, 'one', k, body(2_000), meta());
      expect(cache.stats().bytes).toBeLessThanOrEqual(10_000);
    }
    expect(cache.stats().entries).toBe(4);
    expect(cache.get('achievement', 'one', '0')).toBeDefined(); // now the most recently used
    cache.put(cache.ticket('achievement')!, 'one', '4', body(2_000), meta());
    expect(cache.stats().bytes).toBeLessThanOrEqual(10_000);
    expect(cache.get('achievement', 'one', '1')).toBeUndefined();
    for (const k of ['0', '2', '3', '4']) expect(cache.get('achievement', 'one', k), k).toBeDefined();
    const huge = cache.put(cache.ticket('achievement')!, 'one', 'huge', body(10_001), meta());
    expect(huge.body.length).toBe(10_001);
    expect(cache.get('achievement', 'one', 'huge')).toBeUndefined();
    expect(cache.stats().bytes).toBeLessThanOrEqual(10_000);
  });

  it('refuses a store when its kind changed (or the cache stopped listening) after the ticket was taken', () => {
    const { cache, meta } = fresh();
    const needTicket = cache.ticket('need')!;
    const achievementTicket = cache.ticket('achievement')!;
    cache.invalidate('need', 'some-need', 'commit');
    cache.put(needTicket, 'one', 'n1', body(10), meta());
    cache.put(achievementTicket, 'one', 'a1', body(10), meta());
    expect(cache.get('need', 'one', 'n1')).toBeUndefined();
    expect(cache.get('achievement', 'one', 'a1')).toBeDefined();

    cache.put(cache.ticket('need')!, 'page', 'q=x', body(10), meta());
    cache.put(cache.ticket('need')!, 'one', 'n2', body(10), meta());
    cache.invalidate('need', 'n3', 'notification');
    // Pages of the kind go (they depend on rows they do not show); other rows stay.
    expect(cache.get('need', 'page', 'q=x')).toBeUndefined();
    expect(cache.get('need', 'one', 'n2')).toBeDefined();
    cache.invalidate('need', 'n2', 'notification');
    expect(cache.get('need', 'one', 'n2')).toBeUndefined();

    const late = cache.ticket('achievement')!;
    cache.setListening(false);
    expect(cache.ticket('achievement')).toBeNull();
    expect(cache.get('achievement', 'one', 'a1')).toBeUndefined();
    cache.setListening(true);
    cache.put(late, 'one', 'a2', body(10), meta());
    expect(cache.get('achievement', 'one', 'a2')).toBeUndefined();
    expect(cache.get('achievement', 'one', 'a1')).toBeUndefined();
  });

  it('serves an entry only from its read until the earliest validUntil and within the max age', () => {
    const { c, cache, meta } = fresh();
    cache.put(cache.ticket('achievement')!, 'page', 'short', body(10), meta(1_000));
    cache.put(cache.ticket('achievement')!, 'page', 'long', body(10), meta());
    c.advance(999);
    expect(cache.get('achievement', 'page', 'short')).toBeDefined();
    c.advance(1);
    expect(cache.get('achievement', 'page', 'short')).toBeUndefined();
    c.advance(30_000 - 1_000 - 1);
    expect(cache.get('achievement', 'page', 'long')).toBeDefined();
    c.advance(1);
    expect(cache.get('achievement', 'page', 'long')).toBeUndefined();
    // A clock set back before the read (a sandbox move that did not commit) is not trusted either.
    cache.put(cache.ticket('achievement')!, 'one', 'x', body(10), meta());
    c.advance(-1);
    expect(cache.get('achievement', 'one', 'x')).toBeUndefined();
  });

  it('stores nothing while off, and keys pages by their sorted query', () => {
    const cache = createReadCache({ clock, enabled: false, maxBytes: 1_000_000, maxAgeMs: 30_000, verify: false });
    cache.setListening(true);
    expect(cache.listening).toBe(false);
    expect(cache.ticket('achievement')).toBeNull();
    expect(pageKey({ sort: 'newest', limit: 20, q: '钛 合金', cursor: undefined })).toBe('limit=20&q=%E9%92%9B%20%E5%90%88%E9%87%91&sort=newest');
    expect(pageKey({ limit: 20, sort: 'newest' })).toBe(pageKey({ sort: 'newest', limit: 20 }));
    expect(matchesIfNoneMatch('"4"', '"4"')).toBe(true);
    expect(matchesIfNoneMatch('W/"3", W/"4"', '"4"')).toBe(true);
    expect(matchesIfNoneMatch('*', '"4"')).toBe(true);
    expect(matchesIfNoneMatch('"5"', '"4"')).toBe(false);
    expect(matchesIfNoneMatch(undefined, '"4"')).toBe(false);
  });
});

describe('public reads through the cache', () => {
  it('answers byte for byte what the uncached path answers, and a hit asks PostgreSQL nothing', async () => {
    const t = token();
    const rows = [
      await publish(a.app, 'achievements', uni, admin, achievementInput({ title: `${t} 寒地水稻播种机` })),
      await publish(a.app, 'achievements', institute, admin, achievementInput({ title: `${t} 石墨烯导热膜`, descriptionConfidential: true, price: { kind: 'negotiable' } })),
      await publish(a.app, 'achievements', uni, admin, achievementInput({ title: `${t} 无人机植保`, contact: null, ipRights: [] })),
    ];
    const need = await publish(a.app, 'needs', enterprise, admin, needInput({ title: `${t} 大豆副产物利用` }));
    await publish(a.app, 'needs', enterprise, admin, needInput({ title: `${t} 秸秆还田`, budget: { negotiable: true } }));
    await settle();
    const first = await get(off, `/v1/achievements?q=${encodeURIComponent(t)}&limit=2`);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const paths = [
      ...rows.map((r) => `/v1/achievements/${r.id}`),
      `/v1/needs/${need.id}`,
      `/v1/achievements?q=${encodeURIComponent(t)}`,
      `/v1/achievements?q=${encodeURIComponent(t)}&limit=2`,
      `/v1/achievements?q=${encodeURIComponent(t)}&limit=2&cursor=${first.body.nextCursor}`,
      `/v1/achievements?q=${encodeURIComponent(t)}&sort=price`,
      `/v1/achievements?field=HLJ.5&trlMin=7&q=${encodeURIComponent(t)}`,
      `/v1/needs?q=${encodeURIComponent(t)}`,
    ];
    for (const path of paths) {
      const uncached = await get(off, path);
      expect(uncached.status, path).toBe(200);
      const filled = await counted(a, () => get(a, path));
      const hit = await counted(a, () => get(a, path));
      expect(filled.stores, path).toBe(1);
      expect(hit.hits, path).toBe(1);
      expect(hit.queries, path).toBe(0);
      for (const res of [filled.result, hit.result]) {
        expect(res.status, path).toBe(200);
        expect(res.text, path).toBe(uncached.text);
        expect(res.headers['content-type'], path).toBe(uncached.headers['content-type']);
        if (path.includes('?')) expect(res.headers.etag, path).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
        else expect(res.headers.etag, path).toBe(uncached.headers.etag);
      }
      expect(hit.result.headers.etag, path).toBe(filled.result.headers.etag);
    }
    const page = AchievementPageSchema.parse(JSON.parse((await get(a, `/v1/achievements?q=${encodeURIComponent(t)}`)).text));
    expect(page.items.map((i) => i.id).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(page.items.every((i) => i.contact === null)).toBe(true);
    expect(page.items.find((i) => i.id === rows[1]!.id)?.description).toBeNull();
  });

  it('keys a page by its validated query: parameter order and explicit defaults hit the same entry', async () => {
    const t = token();
    await publish(a.app, 'needs', enterprise, admin, needInput({ title: `${t} 寒地设施农业` }));
    await settle();
    const q = encodeURIComponent(t);
    const filled = await counted(a, () => get(a, `/v1/needs?q=${q}`));
    expect(filled.stores).toBe(1);
    const same = await counted(a, () => get(a, `/v1/needs?limit=20&sort=newest&q=${q}`));
    expect(same).toMatchObject({ hits: 1, queries: 0 });
    expect(same.result.text).toBe(filled.result.text);
    expect((await counted(a, () => get(a, `/v1/needs?limit=19&q=${q}`))).hits).toBe(0);
  });

  it('answers 304 to If-None-Match naming the ETag of the public body', async () => {
    const t = token();
    const row = await publish(a.app, 'achievements', uni, admin, achievementInput({ title: `${t} 冷链物流` }));
    await settle();
    const one = await get(a, `/v1/achievements/${row.id}`);
    expect(one.headers.etag).toBe(`"${row.version}"`);
    // Owners see more under the same version tag: shared caches must key on the token.
    expect(one.headers.vary).toMatch(/(^|, *)Authorization(,|$)/);
    for (const tag of [one.headers.etag!, `W/${one.headers.etag}`, `"999", ${one.headers.etag}`, '*']) {
      const res = await get(a, `/v1/achievements/${row.id}`, { 'if-none-match': tag });
      expect(res.status, tag).toBe(304);
      expect(res.text, tag).toBe('');
      expect(res.headers.etag).toBe(one.headers.etag);
    }
    expect((await get(a, `/v1/achievements/${row.id}`, { 'if-none-match': '"999"' })).status).toBe(200);
    const list = await get(a, `/v1/achievements?q=${encodeURIComponent(t)}`);
    expect((await get(a, `/v1/achievements?q=${encodeURIComponent(t)}`, { 'if-none-match': list.headers.etag! })).status).toBe(304);
    // The owner's view is not the public one: no 304 from the public body's tag.
    expect((await get(a, `/v1/achievements/${row.id}`, { ...uni.auth, 'if-none-match': one.headers.etag! })).status).toBe(200);
  });

  it('shows every change at once in the writing process: edit, submit, review, renewal, archive', async () => {
    const t = token();
    const row = await publish(a.app, 'achievements', uni, admin, achievementInput({ title: `${t} 初版` }));
    const path = `/v1/achievements/${row.id}`;
    const list = `/v1/achievements?q=${encodeURIComponent(t)}`;
    /** Caches both reads, so each step below starts from a hit that must not survive the change. */
    const warm = async () => {
      await settle();
      await get(a, path);
      await get(a, list);
      expect((await counted(a, () => Promise.all([get(a, path), get(a, list)]))).hits).toBe(2);
    };
    const titles = async () => (await get(a, list)).body.items.map((i: { title: string }) => i.title);
    // Evicted when the write returns, not when its notification comes back.
    const atCommit: string[] = [];
    const onInvalidated = (e: { id: string; origin: string }) => {
      if (e.origin === 'commit') atCommit.push(e.id);
    };
    a.cache.events.on('invalidated', onInvalidated);
    const evictedAtCommit = () => {
      expect(atCommit).toEqual([row.id]);
      atCommit.length = 0;
    };
    await warm();

    const edited = await request(a.app.server).patch(path).set(uni.auth).set('if-match', `"${row.version}"`).send({ title: `${t} 第二版` });
    expect(edited.status).toBe(200);
    expect(edited.body.status).toBe('pending_review');
    evictedAtCommit();
    expectProblem(await get(a, path), 404, 'NOT_FOUND');
    expect(await titles()).toEqual([]);

    await request(a.app.server).post(`${path}/review`).set(admin.auth).send({ decision: 'approve' }).expect(200);
    evictedAtCommit();
    expect((await get(a, path)).body.title).toBe(`${t} 第二版`);
    expect(await titles()).toEqual([`${t} 第二版`]);

    await warm();
    const renewedUntil = new Date(clock.now().getTime() + 700 * DAY).toISOString();
    const renewed = await request(a.app.server).patch(path).set(uni.auth).send({ validUntil: renewedUntil });
    expect(renewed.body.status).toBe('published');
    evictedAtCommit();
    const after = await get(a, path);
    expect(after.body).toMatchObject({ validUntil: renewedUntil, version: renewed.body.version });
    expect(after.headers.etag).toBe(`"${renewed.body.version}"`);
    expect((await get(a, list)).body.items[0].validUntil).toBe(renewedUntil);

    await warm();
    await request(a.app.server).post(`${path}/archive`).set(uni.auth).expect(200);
    evictedAtCommit();
    expectProblem(await get(a, path), 404, 'NOT_FOUND');
    expect(await titles()).toEqual([]);
    a.cache.events.off('invalidated', onInvalidated);

    // A need through its submit path too: rejected, edited, resubmitted, approved.
    const n = await request(a.app.server).post('/v1/needs').set(enterprise.auth).send(needInput({ title: `${t} 需求` }));
    const needPath = `/v1/needs/${n.body.id}`;
    const needList = `/v1/needs?q=${encodeURIComponent(t)}`;
    await request(a.app.server).post(`${needPath}/submit`).set(enterprise.auth).expect(200);
    expect((await get(a, needList)).body.items).toEqual([]);
    expect((await get(a, needList)).body.items).toEqual([]);
    await request(a.app.server).post(`${needPath}/review`).set(admin.auth).send({ decision: 'approve' }).expect(200);
    expect((await get(a, needList)).body.items.map((i: { id: string }) => i.id)).toEqual([n.body.id]);
    expect(NeedSchema.parse((await get(a, needPath)).body).title).toBe(`${t} 需求`);
  });

  it('drops a row from cached pages and answers 404 for it once its validUntil passes, with no write', async () => {
    const t = token();
    const short = await publish(a.app, 'achievements', uni, admin, achievementInput({ title: `${t} 短期`, validUntil: new Date(clock.now().getTime() + 2 * DAY).toISOString() }));
    const long = await publish(a.app, 'achievements', uni, admin, achievementInput({ title: `${t} 长期`, validUntil: new Date(clock.now().getTime() + 10 * DAY).toISOString() }));
    const list = `/v1/achievements?q=${encodeURIComponent(t)}`;
    await settle();
    for (let i = 0; i < 2; i++) {
      expect((await get(a, list)).body.items.map((r: { id: string }) => r.id).sort()).toEqual([short.id, long.id].sort());
      expect((await get(a, `/v1/achievements/${short.id}`)).status).toBe(200);
    }
    clock.advance(2 * DAY);
    const page = await counted(a, () => get(a, list));
    expect(page.hits).toBe(0);
    expect(page.result.body.items.map((r: { id: string }) => r.id)).toEqual([long.id]);
    expectProblem(await get(a, `/v1/achievements/${short.id}`), 404, 'NOT_FOUND');

    // The max age bounds what validUntil does not: the page is read again after 30 s.
    expect((await counted(a, () => get(a, list))).hits).toBe(1);
    clock.advance(30_000);
    const aged = await counted(a, () => get(a, list));
    expect(aged).toMatchObject({ hits: 0, stores: 1 });
    expect(aged.result.text).toBe((await get(off, list)).text);
  });

  it('never serves the public body to owners, admins or a disclosed organization, nor stores their views', async () => {
    const t = token();
    const secret = await publish(a.app, 'achievements', uni, admin, achievementInput({ title: `${t} 保密`, descriptionConfidential: true, description: '核心工艺参数：仅对意向方披露' }));
    const plain = await publish(a.app, 'achievements', uni, admin, achievementInput({ title: `${t} 公开`, contact: null }));
    const path = `/v1/achievements/${secret.id}`;
    const list = `/v1/achievements?q=${encodeURIComponent(t)}`;
    await settle();
    const full = { contact: CONTACT, description: '核心工艺参数：仅对意向方披露' };
    const hidden = { contact: null, description: null };

    // The privileged read first: it must not fill the cache for the public.
    for (const who of [uni, admin]) {
      const r = await counted(a, () => get(a, path, who.auth));
      expect(r.result.body).toMatchObject(full);
      expect(r.stores).toBe(0);
      const l = await counted(a, () => get(a, list, who.auth));
      expect(l.result.body.items.find((i: { id: string }) => i.id === secret.id)).toMatchObject(full);
      expect(l.stores).toBe(0);
    }
    const anonymous = await counted(a, () => get(a, path));
    expect(anonymous.result.body).toMatchObject(hidden);
    expect(anonymous.stores).toBe(1);
    expect((await counted(a, () => get(a, list))).stores).toBe(1);
    expect(JSON.stringify(a.cache.stats())).not.toContain('核心工艺');

    // With the public body cached, the owner and the admin still get theirs.
    for (const who of [uni, admin]) {
      const r = await counted(a, () => get(a, path, who.auth));
      expect(r.result.body).toMatchObject(full);
      // The entry was found and not used: the viewer's own read went to PostgreSQL.
      expect(r.queries).toBeGreaterThan(0);
      expect((await get(a, list, who.auth)).body.items.find((i: { id: string }) => i.id === secret.id)).toMatchObject(full);
    }
    // Another signed-in organization sees the public view: from the cache (one grant lookup for
    // a disclosable row; none for a row with nothing to disclose).
    const other = await counted(a, () => get(a, path, enterprise.auth));
    expect(other).toMatchObject({ hits: 1, queries: 1 });
    expect(other.result.body).toMatchObject(hidden);
    await get(a, `/v1/achievements/${plain.id}`);
    expect(await counted(a, () => get(a, `/v1/achievements/${plain.id}`, enterprise.auth))).toMatchObject({ hits: 1, queries: 0 });

    // An accepted interest discloses on GET; the public body stays cached and undisclosed.
    const interest = await request(a.app.server).post(`${path}/interests`).set(enterprise.auth).send({ message: '拟受让' });
    expect(interest.status).toBe(201);
    await request(a.app.server).post(`/v1/interests/${interest.body.id}/accept`).set(uni.auth).send({ message: '欢迎' }).expect(200);
    await settle();
    const disclosed = await counted(a, () => get(a, path, enterprise.auth));
    expect(disclosed.result.body).toMatchObject(full);
    expect(disclosed.stores).toBe(0);
    expect((await get(a, path)).body).toMatchObject(hidden);
    // Lists never disclose: the enterprise gets the cached public page.
    const page = await counted(a, () => get(a, list, enterprise.auth));
    expect(page).toMatchObject({ hits: 1, queries: 0 });
    expect(page.result.body.items.find((i: { id: string }) => i.id === secret.id)).toMatchObject(hidden);
  });

  it('an unknown or foreign id and a draft are 404 and nothing is stored for them', async () => {
    const draft = await request(a.app.server).post('/v1/achievements').set(uni.auth).send(achievementInput());
    for (const id of [draft.body.id, '0195f000-0000-7000-8000-000000000001']) {
      const r = await counted(a, () => get(a, `/v1/achievements/${id}`));
      expectProblem(r.result, 404, 'NOT_FOUND');
      expect(r.stores).toBe(0);
    }
    expectProblem(await get(a, '/v1/achievements?mine=true'), 401);
    expectProblem(await get(a, '/v1/achievements?status=draft', enterprise.auth), 403, 'ADMIN_ONLY');
    // mine=true and the admin's status lists are never public pages.
    const mine = await counted(a, () => get(a, '/v1/achievements?mine=true', uni.auth));
    expect(mine.result.body.items.some((i: { id: string }) => i.id === draft.body.id)).toBe(true);
    expect(mine.stores).toBe(0);
    expect((await counted(a, () => get(a, '/v1/achievements?status=draft', admin.auth))).stores).toBe(0);
  });
});

describe('two instances on one database', () => {
  it('a change committed by one is evicted by the other when its notification arrives', async () => {
    const t = token();
    const row = await publish(a.app, 'achievements', uni, admin, achievementInput({ title: `${t} 跨进程` }));
    const path = `/v1/achievements/${row.id}`;
    const list = `/v1/achievements?q=${encodeURIComponent(t)}`;
    await settle();
    for (const i of [a, b]) {
      await get(i, path);
      await get(i, list);
      expect((await counted(i, () => Promise.all([get(i, path), get(i, list)]))).hits).toBe(2);
    }

    // A write that fails (stale If-Match) commits nothing and announces nothing.
    expect((await request(a.app.server).patch(path).set(uni.auth).set('if-match', '"99"').send({ validUntil: new Date(clock.now().getTime() + 400 * DAY).toISOString() })).status).toBe(412);
    await settle();
    expect((await counted(b, () => get(b, path))).hits).toBe(1);

    const renewedUntil = new Date(clock.now().getTime() + 500 * DAY).toISOString();
    const heard = invalidationOf(b.cache, row.id);
    const renewed = await request(a.app.server).patch(path).set(uni.auth).send({ validUntil: renewedUntil });
    expect(renewed.status).toBe(200);
    await heard;
    const one = await counted(b, () => get(b, path));
    expect(one.hits).toBe(0);
    expect(one.result.body).toMatchObject({ validUntil: renewedUntil, version: renewed.body.version });
    expect(one.result.text).toBe((await get(off, path)).text);
    expect((await get(b, list)).body.items[0].validUntil).toBe(renewedUntil);

    // And the other way round: archived through b, gone from a's cache when a hears of it.
    await get(a, path);
    expect((await counted(a, () => get(a, path))).hits).toBe(1);
    const heardByA = invalidationOf(a.cache, row.id);
    await request(b.app.server).post(`${path}/archive`).set(admin.auth).expect(200);
    await heardByA;
    expectProblem(await get(a, path), 404, 'NOT_FOUND');
    expect((await get(a, list)).body.items).toEqual([]);
  });
});

describe('the LISTEN connection', () => {
  it('when it is killed the cache is flushed and bypassed, and serves again once it listens', async () => {
    const c = await instance({}, false);
    // The instance's own listener, with a gate on reconnecting, so "not listening" lasts as long as the test needs.
    let gate: Promise<void> = Promise.resolve();
    const connect = () => {
      const client = new pg.Client({ connectionString: db.url, application_name: 'read-cache-test-c' });
      const open = (client.connect as unknown as () => Promise<unknown>).bind(client);
      return Object.assign(client, {
        connect: async () => {
          await gate;
          await open();
        },
      }) as pg.Client;
    };
    const listener: ReadCacheListener = createReadCacheListener({ cache: c.cache, connect, reconnectDelayMs: 10 });
    listener.start();
    await listener.whenListening();
    const t = token();
    const row = await publish(a.app, 'achievements', uni, admin, achievementInput({ title: `${t} 断线` }));
    const path = `/v1/achievements/${row.id}`;
    await settle();
    await get(c, path);
    expect((await counted(c, () => get(c, path))).hits).toBe(1);

    let open = () => {};
    gate = new Promise((r) => (open = r));
    const flushed = new Promise<void>((r) => c.cache.events.once('flushed', () => r()));
    const killed = await db.pool.query(`select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = 'read-cache-test-c'`);
    expect(killed.rows).toEqual([{ ok: true }]);
    await flushed;
    expect(c.cache.listening).toBe(false);
    expect(c.cache.stats()).toMatchObject({ entries: 0, bytes: 0 });

    // Bypassed: every read goes to PostgreSQL and nothing is stored; a change it cannot hear of is seen.
    const renewedUntil = new Date(clock.now().getTime() + 600 * DAY).toISOString();
    await request(a.app.server).patch(path).set(uni.auth).send({ validUntil: renewedUntil }).expect(200);
    for (let i = 0; i < 2; i++) {
      const r = await counted(c, () => get(c, path));
      expect(r).toMatchObject({ hits: 0, stores: 0 });
      expect(r.queries).toBeGreaterThan(0);
      expect(r.result.body.validUntil).toBe(renewedUntil);
    }

    open();
    await listener.whenListening();
    expect(c.cache.listening).toBe(true);
    expect((await counted(c, () => get(c, path))).stores).toBe(1);
    expect((await counted(c, () => get(c, path))).hits).toBe(1);
    await listener.stop();
  });

  it('is never opened with READ_CACHE=false, and nothing is cached', async () => {
    off.services.readCacheListener.start();
    const t = token();
    const row = await publish(a.app, 'achievements', uni, admin, achievementInput({ title: `${t} 关闭` }));
    await get(off, `/v1/achievements/${row.id}`);
    await get(off, `/v1/achievements/${row.id}`);
    expect(off.cache.listening).toBe(false);
    expect(off.cache.stats()).toMatchObject({ entries: 0, hits: 0, stores: 0 });
    // 304 is an answer of the cache; without it the route answers in full.
    expect((await get(off, `/v1/achievements/${row.id}`, { 'if-none-match': `"${row.version}"` })).status).toBe(200);
  });
});

describe('the byte bound', () => {
  it('holds through HTTP: the least recently read rows go, a page larger than the bound is served but not kept', async () => {
    const d = await instance({ READ_CACHE_MAX_BYTES: '16384' });
    const t = token();
    const rows: { id: string }[] = [];
    const description = '采用气吸式排种器与北斗导航，实现行距与株距的精确控制。'.repeat(20);
    for (let i = 0; i < 14; i++) rows.push(await publish(a.app, 'achievements', uni, admin, achievementInput({ title: `${t} 第${i}项`, description })));
    await settle();
    for (const r of rows) {
      expect((await get(d, `/v1/achievements/${r.id}`)).status).toBe(200);
      expect(d.cache.stats().bytes).toBeLessThanOrEqual(16_384);
    }
    const { entries } = d.cache.stats();
    expect(entries).toBeGreaterThan(1);
    expect(entries).toBeLessThan(rows.length);
    expect((await counted(d, () => get(d, `/v1/achievements/${rows.at(-1)!.id}`))).hits).toBe(1);
    expect((await counted(d, () => get(d, `/v1/achievements/${rows[0]!.id}`))).hits).toBe(0);

    const big = await counted(d, () => get(d, `/v1/achievements?q=${encodeURIComponent(t)}&limit=14`));
    expect(big.result.body.items).toHaveLength(14);
    expect(Buffer.byteLength(big.result.text)).toBeGreaterThan(16_384);
    expect(big.stores).toBe(0);
    expect(big.result.text).toBe((await get(off, `/v1/achievements?q=${encodeURIComponent(t)}&limit=14`)).text);
    expect(d.cache.stats().bytes).toBeLessThanOrEqual(16_384);
    expect(AchievementSchema.safeParse(big.result.body.items[0]).success).toBe(true);
  });
});
