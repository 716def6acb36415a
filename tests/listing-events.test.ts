import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { createServices, type Services } from '../src/container.js';
import { createDatabase } from '../src/db/client.js';
import type { ListingEventType } from '../src/modules/live/live.service.js';
import { startTestApp, type TestContext } from './support/app.js';
import { createAdmin, registerUser, type TestUser } from './support/factories.js';
import { insertListingRow } from './support/listing-rows.js';
import { eventually, openSse, type SseClient } from './support/sse.js';

/** A second server process in miniature: its own pool, services, LISTEN connection and HTTP server. */
interface Instance {
  app: FastifyInstance;
  services: Services;
  url: string;
  close: () => Promise<void>;
}

let ctx: TestContext; // instance A
let a: Instance;
let b: Instance; // instance B: another "process" on the same database, heartbeat every 40 ms
let seller: TestUser;
let stranger: TestUser;
let admin: TestUser;
const open: SseClient[] = [];

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

async function startInstance(overrides: Record<string, string>): Promise<Instance> {
  const database = createDatabase(ctx.db.url, 5);
  const deps = { ...ctx.deps, config: testConfig({ DATABASE_URL: ctx.db.url, ...overrides }), database };
  const services = createServices(deps);
  const app = await buildApp(deps, services);
  const url = await listen(app);
  return {
    app,
    services,
    url,
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

beforeAll(async () => {
  ctx = await startTestApp({ SSE_HEARTBEAT_MS: '60000' });
  a = { app: ctx.app, services: ctx.services, url: await listen(ctx.app), close: async () => {} };
  b = await startInstance({ SSE_HEARTBEAT_MS: '40', SSE_RETRY_MS: '1500' });
  seller = await registerUser(ctx.app, 'university');
  stranger = await registerUser(ctx.app, 'enterprise');
  admin = await createAdmin(ctx.app, ctx.services);
});
afterAll(async () => {
  for (const c of open) c.close();
  await b?.close();
  await ctx?.close();
});

const db = () => ctx.deps.database.db;

async function sse(instance: Instance, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await openSse(instance.url, path, headers);
  open.push(client);
  return client;
}

/** Publishes through instance A's service in a transaction of its own. */
const publish = (listingId: string, type: ListingEventType, data: Record<string, unknown>) =>
  db().transaction((tx) => a.services.live.publish(tx, listingId, type, data));

const ids = (c: SseClient) => c.events.map((e) => Number(e.id));
const payloads = (c: SseClient) => c.events.map((e) => JSON.parse(e.data) as { id: string; listingId: string; type: string; occurredAt: string; data: Record<string, unknown> });

describe('GET /v1/listings/{id}/events', () => {
  it('streams with SSE headers and delivers an event published on instance A to a client of instance B', async () => {
    const listingId = await insertListingRow(db(), seller);
    const client = await sse(b, `/v1/listings/${listingId}/events`);
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.headers['cache-control']).toBe('no-cache, no-transform');
    expect(client.headers['x-accel-buffering']).toBe('no');
    expect(client.headers['x-request-id']).toBeTruthy();
    await client.waitFor(() => client.retry !== undefined);
    expect(client.retry).toBe(1500);

    // A rolled-back publish is never seen; the committed one is, once, with its payload.
    await expect(
      db().transaction(async (tx) => {
        await a.services.live.publish(tx, listingId, 'bid', { paddle: 9, amount: { amount: 1, currency: 'CNY' } });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const { id } = await publish(listingId, 'bid', { paddle: 3, amount: { amount: 101_000_00, currency: 'CNY' }, placedAt: '2026-03-02T02:00:00.000Z' });
    await client.waitFor((events) => events.length >= 1);
    expect(client.events[0]).toMatchObject({ id: String(id), event: 'bid' });
    expect(payloads(client)[0]).toEqual({
      id: String(id),
      listingId,
      type: 'bid',
      occurredAt: ctx.clock.now().toISOString(),
      data: { paddle: 3, amount: { amount: 101_000_00, currency: 'CNY' }, placedAt: '2026-03-02T02:00:00.000Z' },
    });

    // Events of other listings do not leak into this stream.
    const otherListing = await insertListingRow(db(), seller);
    await publish(otherListing, 'state', { status: 'auction' });
    const { id: next } = await publish(listingId, 'extended', { endsAt: '2026-03-02T03:05:00.000Z' });
    await client.waitFor((events) => events.length >= 2);
    expect(ids(client)).toEqual([id, next]);
    expect(client.events.map((e) => e.event)).toEqual(['bid', 'extended']);
  });

  it('resumes after Last-Event-ID: replays what was missed in order, then goes live', async () => {
    const listingId = await insertListingRow(db(), seller);
    const published: number[] = [];
    for (let i = 1; i <= 4; i++) published.push((await publish(listingId, 'bid', { paddle: i, amount: { amount: i * 100, currency: 'CNY' } })).id);

    const resumed = await sse(b, `/v1/listings/${listingId}/events`, { 'Last-Event-ID': String(published[1]) });
    await resumed.waitFor((events) => events.length >= 2);
    expect(ids(resumed)).toEqual([published[2], published[3]]);
    const live = (await publish(listingId, 'closed', { outcome: 'sold' })).id;
    await resumed.waitFor((events) => events.length >= 3);
    expect(ids(resumed)).toEqual([published[2], published[3], live]);

    // Same through ?lastEventId= (clients that cannot set headers); from 0 = everything.
    const fromStart = await sse(a, `/v1/listings/${listingId}/events?lastEventId=0`);
    await fromStart.waitFor((events) => events.length >= 5);
    expect(ids(fromStart)).toEqual([...published, live]);
    // Without Last-Event-ID the stream starts now: nothing is replayed.
    const fresh = await sse(b, `/v1/listings/${listingId}/events`);
    const after = (await publish(listingId, 'state', { status: 'sold' })).id;
    await fresh.waitFor((events) => events.length >= 1);
    expect(ids(fresh)).toEqual([after]);
  });

  it('loses and duplicates nothing when clients join and resume while events are being published', async () => {
    const listingId = await insertListingRow(db(), seller);
    const first = (await publish(listingId, 'bid', { paddle: 1 })).id;
    // 60 events from 6 concurrent publishers while 4 clients join on both instances, two resuming.
    const publishing = Promise.all(
      Array.from({ length: 6 }, async (_, p) => {
        const out: number[] = [];
        for (let i = 0; i < 10; i++) out.push((await publish(listingId, 'bid', { paddle: p + 2, seq: i })).id);
        return out;
      }),
    );
    const clients = await Promise.all([
      sse(b, `/v1/listings/${listingId}/events`, { 'Last-Event-ID': String(first) }),
      sse(a, `/v1/listings/${listingId}/events`, { 'Last-Event-ID': String(first) }),
      sse(b, `/v1/listings/${listingId}/events`),
      sse(a, `/v1/listings/${listingId}/events`),
    ]);
    // One more event once everyone has joined, so every client has something to wait for.
    const all = [...(await publishing).flat(), (await publish(listingId, 'closed', { outcome: 'sold' })).id].sort((x, y) => x - y);
    const last = all[all.length - 1]!;
    for (const c of clients) await c.waitFor(() => ids(c).includes(last));
    for (const c of clients.slice(0, 2)) expect(ids(c)).toEqual(all);
    for (const c of clients.slice(2)) {
      // A client without Last-Event-ID gets a gap-free, duplicate-free tail of the sequence.
      const got = ids(c);
      expect(got).toEqual(all.slice(all.indexOf(got[0]!)));
    }
  });

  it('sends a heartbeat comment on idle streams', async () => {
    const listingId = await insertListingRow(db(), seller);
    const client = await sse(b, `/v1/listings/${listingId}/events`);
    await client.waitFor((_e, comments) => comments.filter((c) => c === 'heartbeat').length >= 2);
    expect(client.events).toEqual([]);
  });

  it('hides listings the caller may not see (404) and rejects malformed input (400)', async () => {
    const pending = await insertListingRow(db(), seller, { published: false });
    const withdrawnBeforeNotice = await insertListingRow(db(), seller, { status: 'withdrawn', published: false });
    const withdrawnAfterNotice = await insertListingRow(db(), seller, { status: 'withdrawn', published: true });
    for (const listingId of [pending, withdrawnBeforeNotice]) {
      for (const headers of [{}, stranger.auth]) {
        const res = await fetch(`${b.url}/v1/listings/${listingId}/events`, { headers });
        expect(res.status).toBe(404);
        expect(res.headers.get('content-type')).toMatch(/problem\+json/);
        expect(((await res.json()) as { code: string }).code).toBe('NOT_FOUND');
      }
      for (const auth of [seller.auth, admin.auth]) {
        const c = await sse(b, `/v1/listings/${listingId}/events`, auth);
        expect(c.status).toBe(200);
        c.close();
      }
    }
    const publicAfterWithdrawal = await sse(b, `/v1/listings/${withdrawnAfterNotice}/events`);
    expect(publicAfterWithdrawal.status).toBe(200);
    publicAfterWithdrawal.close();

    expect((await fetch(`${b.url}/v1/listings/0195f7a0-0000-7000-8000-000000000000/events`)).status).toBe(404);
    expect((await fetch(`${b.url}/v1/listings/not-a-uuid/events`)).status).toBe(400);
    const badResume = await fetch(`${b.url}/v1/listings/${pending}/events`, { headers: { ...seller.auth, 'Last-Event-ID': 'abc' } });
    expect(badResume.status).toBe(400);
    expect(((await badResume.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
    expect((await fetch(`${b.url}/v1/listings/${pending}/events`, { headers: { Authorization: 'Bearer nope' } })).status).toBe(401);
  });

  it('drops a subscriber when its client disconnects', async () => {
    for (const c of open.splice(0)) c.close();
    await eventually(() => b.services.live.stats().subscribers === 0, 'earlier streams to be dropped');
    const listingId = await insertListingRow(db(), seller);
    const client = await sse(b, `/v1/listings/${listingId}/events`);
    expect(b.services.live.stats()).toMatchObject({ channels: 1, subscribers: 1 });
    client.close();
    await eventually(() => b.services.live.stats().subscribers === 0, 'the subscriber to be dropped');
    // The channel of a listing nobody watches here is gone too.
    expect(b.services.live.stats().channels).toBe(0);
  });

  it('recovers from a lost LISTEN connection without losing events', async () => {
    const listingId = await insertListingRow(db(), seller);
    const client = await sse(b, `/v1/listings/${listingId}/events`);
    const killed = await db().execute<{ killed: boolean }>(
      sql`select pg_terminate_backend(pid) as killed from pg_stat_activity where application_name = 'techbridge-listen' and datname = current_database()`,
    );
    expect(killed.rows.length).toBeGreaterThan(0);
    // Published while B (and A) have no LISTEN connection: delivered after the reconnection.
    const { id } = await publish(listingId, 'bid', { paddle: 7 });
    await client.waitFor(() => ids(client).includes(id));
    expect(ids(client)).toEqual([id]);
    await eventually(() => b.services.live.stats().listening, 'B to listen again');
  });

  it('ends open streams promptly when the app closes, so shutdown is not held up', async () => {
    const c = await startInstance({ SSE_HEARTBEAT_MS: '60000' });
    const listingId = await insertListingRow(db(), seller);
    const clients = [await openSse(c.url, `/v1/listings/${listingId}/events`), await openSse(c.url, `/v1/listings/${listingId}/events?lastEventId=0`)];
    expect(c.services.live.stats()).toMatchObject({ listening: true, subscribers: 2 });
    const listenersBefore = await listenConnections();
    // Well under the 30 s test timeout and the 10 s close-with-grace delay of the server.
    await c.close();
    await Promise.all(clients.map((cl) => cl.ended));
    expect(c.services.live.stats()).toEqual({ listening: false, channels: 0, subscribers: 0 });
    // C's LISTEN connection is gone with it.
    await eventually(async () => (await listenConnections()) === listenersBefore - 1, "C's LISTEN connection to end");
  }, 15_000);
});

describe('publish', () => {
  it('stores the event and notifies listeners only on commit', async () => {
    const listingId = await insertListingRow(db(), seller);
    const listener = new pg.Client({ connectionString: ctx.db.url });
    await listener.connect();
    const notes: string[] = [];
    listener.on('notification', (m) => notes.push(m.payload ?? ''));
    await listener.query('LISTEN listing_events');
    try {
      let inside = -1;
      const { id } = await db().transaction(async (tx) => {
        const out = await a.services.live.publish(tx, listingId, 'state', { status: 'notice' });
        // A round trip on the listening session: a notification sent already would have arrived by now.
        await listener.query('select 1');
        inside = notes.length;
        return out;
      });
      expect(inside).toBe(0);
      await eventually(() => notes.length === 1, 'the notification');
      expect(JSON.parse(notes[0]!)).toEqual({ listingId, id });
    } finally {
      await listener.end();
    }
  });

  it('refuses payloads that are not JSON objects and types the table does not accept', async () => {
    const listingId = await insertListingRow(db(), seller);
    await expect(db().transaction((tx) => a.services.live.publish(tx, listingId, 'bid', [1] as unknown as Record<string, unknown>))).rejects.toThrow(/object/);
    await expect(db().transaction((tx) => a.services.live.publish(tx, listingId, 'Not A Type' as ListingEventType, {}))).rejects.toThrow();
  });
});

async function listenConnections(): Promise<number> {
  const rows = await db().execute(sql`select 1 from pg_stat_activity where application_name = 'techbridge-listen' and datname = current_database()`);
  return rows.rows.length;
}
