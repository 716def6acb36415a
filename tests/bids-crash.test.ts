import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { insertListingDueToOpen, type Party } from './support/auction-rows.js';
import { checkAuctionInvariants, countByKind, type BidAnswer } from './support/bid-invariants.js';
import { createTestDatabase } from './support/db.js';
import { startServerProcess, type ServerProcess } from './support/process.js';

// A real server process is killed with SIGKILL in the middle of a load of bids, then restarted.
// Waits here are for correctness (a process to die, real time to pass an auction's end, the
// restarted server to catch up), polled with generous limits; nothing asserts how fast.

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pollUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

interface User extends Party {
  token: string;
}

async function register(base: string, kind: 'university' | 'enterprise', i: number): Promise<User> {
  const tag = `${Date.now().toString(36)}${i}`;
  const res = await fetch(`${base}/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `crash-${tag}@example.cn`, password: 'crash test password', displayName: `用户${i}`, organization: { name: `崩溃测试单位${tag}`, kind, regionCode: '230100' } }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const body = (await res.json()) as { user: { id: string }; organization: { id: string }; accessToken: string };
  return { userId: body.user.id, organizationId: body.organization.id, token: body.accessToken };
}

async function bid(base: string, u: User, listingId: string, amountFen: number, key: string): Promise<{ status: number; body: Record<string, unknown>; replayed: boolean }> {
  const res = await fetch(`${base}/v1/listings/${listingId}/bids`, {
    method: 'POST',
    headers: { authorization: `Bearer ${u.token}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ amount: { amount: amountFen, currency: 'CNY' } }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, replayed: res.headers.get('idempotent-replayed') === 'true' };
}

const answerOf = (u: User, listingId: string, amountFen: number, key: string, res: { status: number; body: Record<string, unknown> } | undefined): BidAnswer => ({
  key,
  listingId,
  userId: u.userId,
  organizationId: u.organizationId,
  amountFen,
  status: res?.status ?? 0,
  code: res && res.status !== 201 ? String(res.body.code) : null,
  bidId: res?.status === 201 ? String(res.body.id) : null,
  placedAt: res?.status === 201 ? String(res.body.placedAt) : null,
  auctionEndsAt: res?.status === 201 ? String(res.body.auctionEndsAt) : null,
  answeredAt: null,
});

describe('a server killed (SIGKILL) during a load of bids', () => {
  it('leaves no partial state; the restarted server completes the transitions that fell due while it was down', { timeout: 600_000 }, async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const dataDir = await mkdtemp(path.join(tmpdir(), 'techbridge-crash-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const env = { DATABASE_URL: database.url, DATA_DIR: dataDir, SEED: 'false', BIDS_PER_BIDDER_PER_MINUTE: '1000000', LISTING_SCHEDULER_INTERVAL_MS: '100' };
    let server: ServerProcess = await startServerProcess(env);
    cleanups.push(() => Promise.resolve(server.child.kill('SIGKILL')));
    const base = server.url;

    const seller = await register(base, 'university', 0);
    const bidders: User[] = [];
    for (let i = 1; i <= 8; i++) bidders.push(await register(base, 'enterprise', i));

    // Three auctions opened by the server's own scheduler from listings whose notice has ended;
    // 1-minute auctions backdated by 30 s end 30 s of real time ahead. No anti-sniping window, so
    // the bids do not move the ends.
    const terms = { startPriceFen: 1_000_000, incrementFen: 100, reservePriceFen: 2_000_000, durationMinutes: 1, extensionWindowSeconds: 0, extensionSeconds: 30 };
    const dueAt = new Date(Date.now() - 30_000);
    const listingIds: string[] = [];
    for (let i = 0; i < 3; i++) listingIds.push((await insertListingDueToOpen(database.db, seller, bidders, { dueAt, terms })).listingId);
    const endsAt = await pollUntil('the server to open the auctions', 60_000, async () => {
      const rows = (await database.pool.query<{ status: string; ends_at: Date }>('select status, ends_at from auctions where listing_id = any($1)', [listingIds])).rows;
      return rows.length === 3 && rows.every((r) => r.status === 'open') ? rows[0]!.ends_at : undefined;
    });
    const scope = (id: string) => `POST /v1/listings/${id}/bids`;
    const countBids = async () => (await database.pool.query<{ n: number }>('select count(*)::int as n from bids where listing_id = any($1)', [listingIds])).rows[0]!.n;

    // The load: 16 requests in flight (2 per bidder) over the three auctions, every request a new
    // Idempotency-Key; the amount comes from the clock (start + increment × µs since the load
    // began), so most bids are accepted without asking the server. Soon after 40 bids are
    // acknowledged the process is frozen (SIGSTOP: transactions whose COMMIT already reached
    // PostgreSQL commit, their answers are never written), then killed with SIGKILL.
    const t0 = performance.now();
    const answers: BidAnswer[] = [];
    const sent: { user: User; listingId: string; amountFen: number; key: string; answered: boolean }[] = [];
    let acknowledged = 0;
    let killed = false;
    const killedAt = new Promise<void>((resolve) => {
      const kill = async () => {
        killed = true;
        server.child.kill('SIGSTOP');
        let last = -1;
        for (let n = await countBids(); n !== last; n = await countBids()) {
          last = n;
          await sleep(300);
        }
        server.child.kill('SIGKILL');
        resolve();
      };
      const loop = async (u: User, lane: number) => {
        for (let i = 0; !killed; i++) {
          const listingId = listingIds[(lane + i) % listingIds.length]!;
          const amountFen = terms.startPriceFen + terms.incrementFen * Math.floor((performance.now() - t0) * 1000);
          const attempt = { user: u, listingId, amountFen, key: `crash-${u.userId.slice(-6)}-${lane}-${i}`, answered: false };
          sent.push(attempt);
          let res: Awaited<ReturnType<typeof bid>> | undefined;
          try {
            res = await bid(base, u, listingId, amountFen, attempt.key);
          } catch {
            res = undefined; // the connection died with the process
          }
          attempt.answered = res !== undefined;
          answers.push(answerOf(u, listingId, amountFen, attempt.key, res));
          // At a moment unrelated to any answer, so that commits are caught half-way to their client.
          if (res?.status === 201 && ++acknowledged === 40) setTimeout(() => void kill(), 5 + Math.random() * 25);
          if (!res) return;
        }
      };
      void Promise.all(bidders.flatMap((u, i) => [loop(u, i), loop(u, i + 1)]));
    });
    await Promise.race([killedAt, sleep(120_000).then(() => Promise.reject(new Error(`only ${acknowledged} bids acknowledged in 120 s`)))]);
    await server.exited;
    expect(server.child.signalCode).toBe('SIGKILL');
    await pollUntil('every request to end', 30_000, async () => (answers.length === sent.length ? true : undefined));
    const inFlight = sent.filter((s) => !s.answered);

    // ── Right after the kill: whatever committed, committed whole ──
    const atKill = (await database.pool.query<{ status: string }>('select status from auctions where listing_id = any($1)', [listingIds])).rows;
    expect(atKill.map((r) => r.status), 'an auction ended before the kill: the test did not exercise a due time passing while down').toEqual(['open', 'open', 'open']);
    let committedBeforeKill = 0;
    for (const id of listingIds) {
      const check = await checkAuctionInvariants(database, id, { answers: answers.filter((a) => a.listingId === id), allAnswered: false, everyBidHasKey: true, expectClosed: false });
      expect(check.violations, JSON.stringify(countByKind(check.violations))).toEqual([]);
      committedBeforeKill += check.bids;
    }
    expect(committedBeforeKill).toBeGreaterThanOrEqual(40);
    // Stray rows a partial commit would leave: records, audit entries or events without their bid.
    const strays = (
      await database.pool.query<{ records: number; audits: number; events: number }>(
        `select (select count(*)::int from idempotency_keys k where k.scope = any($2) and k.response_status = 201 and not exists (select 1 from bids b where b.id = (k.response_body->>'id')::uuid)) as records,
                (select count(*)::int from audit_entries a where a.listing_id = any($1) and a.action = 'bid.placed' and not exists (select 1 from bids b where b.id = (a.data->>'id')::uuid)) as audits,
                (select count(*)::int from listing_events e where e.listing_id = any($1) and e.type = 'bid' and not exists (select 1 from bids b where b.id = (e.data->>'id')::uuid)) as events`,
        [listingIds, listingIds.map(scope)],
      )
    ).rows[0];
    expect(strays).toEqual({ records: 0, audits: 0, events: 0 });

    // A listing whose notice ends while the server is down (two qualified buyers: an auction).
    const noticeDue = new Date(Date.now() + 2_000);
    const notice = await insertListingDueToOpen(database.db, seller, bidders.slice(0, 2), { dueAt: noticeDue, terms: { durationMinutes: 60 } });

    // ── Down until both due times have passed in real time ──
    await pollUntil('the auctions\' end to pass', 120_000, async () => (Date.now() > endsAt.getTime() + 500 && Date.now() > noticeDue.getTime() ? true : undefined));

    server = await startServerProcess(env);
    const restarted = server.url;
    for (const id of listingIds) {
      const closed = await pollUntil('the restarted server to close the auction', 120_000, async () => {
        const res = await fetch(`${restarted}/v1/listings/${id}`, { headers: { authorization: `Bearer ${seller.token}` } });
        const body = (await res.json()) as { status: string; closedAt: string | null; auction: { status: string } | null };
        return body.status === 'sold' || body.status === 'unsold' ? body : undefined;
      });
      expect(closed.closedAt).toBe(endsAt.toISOString());
      expect(closed.auction?.status).toBe('closed');
    }
    const opened = await pollUntil('the restarted server to end the notice', 60_000, async () => {
      const res = await fetch(`${restarted}/v1/listings/${notice.listingId}`);
      const body = (await res.json()) as { status: string; auction: { startsAt: string } | null };
      return body.status === 'auction' ? body : undefined;
    });
    expect(opened.auction?.startsAt).toBe(noticeDue.toISOString());

    // ── Clients whose requests died with the process retry with the same key and body: a request
    // that had committed is replayed (the same bid, or the same refusal: a batch commits its
    // refusals' records too), one that had not is answered afresh (the auction has closed); never
    // a second bid. ──
    const committed = new Map(
      (
        await database.pool.query<{ key: string; status: number; id: string | null; code: string | null }>(
          `select key, response_status as status, response_body->>'id' as id, response_body->>'code' as code from idempotency_keys where scope = any($1)`,
          [listingIds.map(scope)],
        )
      ).rows.map((r) => [r.key, r]),
    );
    let replayedAfterCrash = 0;
    for (const s of inFlight) {
      const res = await bid(restarted, s.user, s.listingId, s.amountFen, s.key);
      answers.push(answerOf(s.user, s.listingId, s.amountFen, s.key, res));
      const stored = committed.get(s.key);
      if (stored) {
        expect(res).toMatchObject(stored.status === 201 ? { status: 201, replayed: true, body: { id: stored.id } } : { status: stored.status, replayed: true, body: { code: stored.code } });
        replayedAfterCrash++;
      } else {
        expect(res.status, JSON.stringify(res.body)).toBe(409);
        expect(res.body.code).toBe('AUCTION_CLOSED');
      }
    }

    let committedAtEnd = 0;
    const outcomes: string[] = [];
    for (const id of listingIds) {
      const final = await checkAuctionInvariants(database, id, { answers: answers.filter((a) => a.listingId === id), allAnswered: false, everyBidHasKey: true, expectClosed: true });
      expect(final.violations, JSON.stringify(final.violations.slice(0, 5))).toEqual([]);
      committedAtEnd += final.bids;
      outcomes.push(`${final.status} at ${final.highestFen}`);
    }
    expect(committedAtEnd).toBe(committedBeforeKill);
    console.log(
      `[crash] ${committedBeforeKill} bids committed before the SIGKILL (${acknowledged} acknowledged; ${inFlight.length} requests died in flight, ${replayedAfterCrash} of them had committed and were replayed on retry); outcomes ${outcomes.join(', ')}`,
    );

    server.child.kill('SIGTERM');
    await server.exited;
  });
});
