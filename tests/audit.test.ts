import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { eq, sql } from 'drizzle-orm';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryHash } from '../src/modules/audit/audit.hash.js';
import { auditEntries } from '../src/modules/audit/audit.tables.js';
import { AuditPageSchema, AuditVerificationSchema } from '../src/modules/audit/audit.schemas.js';
import { startTestApp, type TestContext } from './support/app.js';
import { createAdmin, registerUser, type TestUser } from './support/factories.js';
import { insertListingRow } from './support/listing-rows.js';

let ctx: TestContext;
let seller: TestUser;
let sellerColleagueAuth: { Authorization: string };
let stranger: TestUser;
let admin: TestUser;

beforeAll(async () => {
  ctx = await startTestApp();
  seller = await registerUser(ctx.app, 'university');
  stranger = await registerUser(ctx.app, 'enterprise');
  admin = await createAdmin(ctx.app, ctx.services);
  // A second member of the seller's organization, through the invite flow.
  const invite = await request(ctx.app.server).post(`/v1/organizations/${seller.organizationId}/invites`).set(seller.auth).send({});
  expect(invite.status).toBe(201);
  const joined = await request(ctx.app.server)
    .post('/v1/auth/register')
    .send({ email: `colleague-${seller.userId.slice(-8)}@example.cn`, password: 'correct horse battery', displayName: '同事', organizationId: seller.organizationId, inviteCode: invite.body.inviteCode });
  expect(joined.status).toBe(201);
  sellerColleagueAuth = { Authorization: `Bearer ${joined.body.accessToken}` };
});
afterAll(async () => {
  await ctx?.close();
});

const db = () => ctx.deps.database.db;
const newListing = (opts: Parameters<typeof insertListingRow>[2] = {}) => insertListingRow(db(), seller, opts);

/** Appends `n` entries one after the other, each in its own transaction. */
async function appendMany(listingId: string, n: number, action = 'bid.placed') {
  for (let i = 1; i <= n; i++) {
    await db().transaction((tx) =>
      ctx.services.audit.append(tx, { listingId, action, actor: { userId: seller.userId, organizationId: seller.organizationId }, data: { i, amount: { amount: i * 100, currency: 'CNY' } } }),
    );
  }
}

/** A superuser session with user triggers switched off: what an attacker with database access could do. */
async function tamper(statement: string, params: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: ctx.db.url });
  await client.connect();
  try {
    await client.query('SET session_replication_role = replica');
    await client.query(statement, params);
  } finally {
    await client.end();
  }
}

describe('append', () => {
  it('serialises 20 parallel appends on one listing into seq 1..20 with a valid chain', async () => {
    const listingId = await newListing();
    const other = await newListing();
    // Each append runs in its own transaction that did other work first and holds its entry until
    // commit; appends to a second listing interleave and must not disturb the first chain.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db().transaction(async (tx) => {
          await tx.execute(sql`select pg_sleep(0)`);
          const entry = await ctx.services.audit.append(tx, { listingId, action: 'bid.placed', actor: 'system', data: { n: i } });
          await ctx.services.audit.append(tx, { listingId: other, action: 'registration.created', actor: 'system', data: { n: i } });
          return entry;
        }),
      ),
    );
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));

    const rows = await db().select().from(auditEntries).where(eq(auditEntries.listingId, listingId)).orderBy(auditEntries.seq);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(rows[0]!.prevHash).toBeNull();
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
    expect(new Set(rows.map((r) => (r.data as { n: number }).n)).size).toBe(20);

    for (const id of [listingId, other]) {
      const report = await ctx.services.audit.verifyChain(id);
      expect(report).toMatchObject({ valid: true, entries: 20, firstBrokenSeq: null, problem: null, headSeq: 20 });
    }
  });

  it('hashes the canonical JSON of the entry, so the hash is reproducible from the row', async () => {
    const listingId = await newListing();
    const entry = await db().transaction((tx) =>
      ctx.services.audit.append(tx, {
        listingId,
        action: 'listing.created',
        actor: { userId: seller.userId, organizationId: seller.organizationId },
        // Key order, Dates and undefined members must not change the stored facts or the hash.
        data: { z: 1, a: { y: [1, 'two', null], b: true }, at: new Date('2026-03-02T02:00:00Z'), gone: undefined, text: '石墨烯\u0000' },
      }),
    );
    expect(entry.seq).toBe(1);
    expect(entry.createdAt.toISOString()).toBe(ctx.clock.now().toISOString());
    const [row] = await db().select().from(auditEntries).where(eq(auditEntries.id, entry.id));
    expect(row!.data).toEqual({ z: 1, a: { y: [1, 'two', null], b: true }, at: '2026-03-02T02:00:00.000Z', text: '石墨烯\ufffd' });
    expect(entryHash({ ...row!, actor: { userId: seller.userId, organizationId: seller.organizationId } })).toBe(row!.hash);
    // Another actor or another time would give another hash.
    expect(entryHash({ ...row!, actor: 'system' })).not.toBe(row!.hash);
  });

  it('leaves no entry (and no hole) when the caller rolls back', async () => {
    const listingId = await newListing();
    await appendMany(listingId, 2);
    await expect(
      db().transaction(async (tx) => {
        await ctx.services.audit.append(tx, { listingId, action: 'bid.placed', actor: 'system', data: {} });
        throw new Error('the bid failed after all');
      }),
    ).rejects.toThrow('the bid failed after all');
    await appendMany(listingId, 1);
    expect(await ctx.services.audit.verifyChain(listingId)).toMatchObject({ valid: true, entries: 3, headSeq: 3 });
  });

  it('refuses malformed actions and data that is not a JSON object', async () => {
    const listingId = await newListing();
    await expect(db().transaction((tx) => ctx.services.audit.append(tx, { listingId, action: 'Bid Placed', actor: 'system' }))).rejects.toThrow(/action/);
    await expect(
      db().transaction((tx) => ctx.services.audit.append(tx, { listingId, action: 'bid.placed', actor: 'system', data: [1, 2] as unknown as Record<string, unknown> })),
    ).rejects.toThrow(/object/);
    expect((await ctx.services.audit.verifyChain(listingId)).entries).toBe(0);
  });
});

describe('append-only table', () => {
  it('rejects UPDATE, DELETE and TRUNCATE through the trigger', async () => {
    const listingId = await newListing();
    await appendMany(listingId, 2);
    const [first] = await db().select().from(auditEntries).where(eq(auditEntries.listingId, listingId)).orderBy(auditEntries.seq);
    await expect(db().update(auditEntries).set({ data: { forged: true } }).where(eq(auditEntries.id, first!.id))).rejects.toThrow();
    await expect(db().delete(auditEntries).where(eq(auditEntries.id, first!.id))).rejects.toThrow();
    await expect(db().execute(sql`truncate audit_entries`)).rejects.toThrow();
    const error = await db()
      .execute(sql`update audit_entries set action = 'x' where id = ${first!.id}`)
      .catch((e: unknown) => e as { cause?: { message?: string } });
    expect(String((error as { cause?: { message?: string } }).cause?.message)).toMatch(/append-only/);
    expect(await ctx.services.audit.verifyChain(listingId)).toMatchObject({ valid: true, entries: 2 });
  });
});

describe('verify', () => {
  it('reports an altered entry as the first broken seq (hash_mismatch)', async () => {
    const listingId = await newListing();
    await appendMany(listingId, 8);
    await tamper(`update audit_entries set data = jsonb_set(data, '{amount,amount}', '1') where listing_id = $1 and seq = 5`, [listingId]);
    expect(await ctx.services.audit.verifyChain(listingId)).toMatchObject({ valid: false, entries: 8, firstBrokenSeq: 5, problem: 'hash_mismatch', headSeq: null, headHash: null });
  });

  it('reports a re-hashed entry at the next link (chain_break) and a deleted one as a gap', async () => {
    const rehashed = await newListing();
    await appendMany(rehashed, 6);
    // The attacker edits seq 3 and recomputes its own hash: seq 3 is self-consistent, seq 4 no longer follows it.
    const [row] = await db().select().from(auditEntries).where(sql`${auditEntries.listingId} = ${rehashed} and ${auditEntries.seq} = 3`);
    const forged = { ...row!, data: { ...row!.data, amount: { amount: 1, currency: 'CNY' } } };
    const forgedHash = entryHash({ ...forged, actor: { userId: row!.actorUserId!, organizationId: row!.actorOrganizationId! } });
    await tamper(`update audit_entries set data = $2::jsonb, hash = $3 where id = $1`, [row!.id, JSON.stringify(forged.data), forgedHash]);
    expect(await ctx.services.audit.verifyChain(rehashed)).toMatchObject({ valid: false, firstBrokenSeq: 4, problem: 'chain_break' });

    const deleted = await newListing();
    await appendMany(deleted, 5);
    await tamper(`delete from audit_entries where listing_id = $1 and seq = 2`, [deleted]);
    expect(await ctx.services.audit.verifyChain(deleted)).toMatchObject({ valid: false, entries: 4, firstBrokenSeq: 2, problem: 'sequence_gap' });
  });

  it('verifies chains longer than one read batch', async () => {
    const listingId = await newListing();
    // 1,050 entries in one transaction (the chain spans two batches of 1,000).
    await db().transaction(async (tx) => {
      for (let i = 0; i < 1050; i++) await ctx.services.audit.append(tx, { listingId, action: 'bid.placed', actor: 'system', data: { i } });
    });
    expect(await ctx.services.audit.verifyChain(listingId)).toMatchObject({ valid: true, entries: 1050, headSeq: 1050 });
    await tamper(`update audit_entries set data = '{"i": -1}' where listing_id = $1 and seq = 1040`, [listingId]);
    expect(await ctx.services.audit.verifyChain(listingId)).toMatchObject({ valid: false, entries: 1050, firstBrokenSeq: 1040, problem: 'hash_mismatch' });
  });

  it('is available to admins over HTTP and refused to everyone else', async () => {
    const listingId = await newListing();
    await appendMany(listingId, 3);
    const ok = await request(ctx.app.server).get(`/v1/listings/${listingId}/audit/verify`).set(admin.auth);
    expect(ok.status).toBe(200);
    expect(AuditVerificationSchema.parse(ok.body)).toMatchObject({ listingId, valid: true, entries: 3, headSeq: 3, firstBrokenSeq: null, checkedAt: ctx.clock.now().toISOString() });

    await tamper(`update audit_entries set action = 'bid.withdrawn' where listing_id = $1 and seq = 2`, [listingId]);
    const broken = await request(ctx.app.server).get(`/v1/listings/${listingId}/audit/verify`).set(admin.auth);
    expect(broken.body).toMatchObject({ valid: false, firstBrokenSeq: 2, problem: 'hash_mismatch' });

    const bySeller = await request(ctx.app.server).get(`/v1/listings/${listingId}/audit/verify`).set(seller.auth);
    expect(bySeller.status).toBe(403);
    expect(bySeller.body.code).toBe('ADMIN_ONLY');
    expect((await request(ctx.app.server).get(`/v1/listings/${listingId}/audit/verify`)).status).toBe(401);
    const unknown = await request(ctx.app.server).get(`/v1/listings/0195f7a0-0000-7000-8000-000000000000/audit/verify`).set(admin.auth);
    expect(unknown.status).toBe(404);
    expect((await request(ctx.app.server).get(`/v1/listings/not-a-uuid/audit/verify`).set(admin.auth)).status).toBe(400);
  });
});

describe('GET /v1/listings/{id}/audit', () => {
  it("shows the chain to the seller's members and admins, in pages", async () => {
    const listingId = await newListing({ published: false });
    await db().transaction((tx) => ctx.services.audit.append(tx, { listingId, action: 'listing.created', actor: { userId: seller.userId, organizationId: seller.organizationId }, data: { note: 'x' } }));
    await db().transaction((tx) => ctx.services.audit.append(tx, { listingId, action: 'notice.extended', actor: 'system', data: {} }));
    await appendMany(listingId, 3);

    for (const auth of [seller.auth, sellerColleagueAuth, admin.auth]) {
      const res = await request(ctx.app.server).get(`/v1/listings/${listingId}/audit`).set(auth);
      expect(res.status).toBe(200);
      const page = AuditPageSchema.parse(res.body);
      expect(page.items.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(page.nextCursor).toBeNull();
      expect(page.items[0]).toMatchObject({ action: 'listing.created', actor: { type: 'user', userId: seller.userId, organizationId: seller.organizationId }, data: { note: 'x' }, prevHash: null });
      expect(page.items[1]).toMatchObject({ action: 'notice.extended', actor: { type: 'system' }, prevHash: page.items[0]!.hash });
    }

    const first = await request(ctx.app.server).get(`/v1/listings/${listingId}/audit?limit=2`).set(seller.auth);
    expect(first.body.items.map((e: { seq: number }) => e.seq)).toEqual([1, 2]);
    const second = await request(ctx.app.server).get(`/v1/listings/${listingId}/audit?limit=2&cursor=${first.body.nextCursor}`).set(seller.auth);
    expect(second.body.items.map((e: { seq: number }) => e.seq)).toEqual([3, 4]);
    const third = await request(ctx.app.server).get(`/v1/listings/${listingId}/audit?limit=2&cursor=${second.body.nextCursor}`).set(seller.auth);
    expect(third.body.items.map((e: { seq: number }) => e.seq)).toEqual([5]);
    expect(third.body.nextCursor).toBeNull();
  });

  it('answers 404 to other organizations (even for a public listing), 401 to anonymous callers, 400 to bad input', async () => {
    const listingId = await newListing({ published: true });
    await appendMany(listingId, 1);
    const foreign = await request(ctx.app.server).get(`/v1/listings/${listingId}/audit`).set(stranger.auth);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('NOT_FOUND');
    expect(foreign.headers['content-type']).toMatch(/problem\+json/);
    expect((await request(ctx.app.server).get(`/v1/listings/${listingId}/audit`)).status).toBe(401);
    expect((await request(ctx.app.server).get(`/v1/listings/0195f7a0-0000-7000-8000-000000000000/audit`).set(admin.auth)).status).toBe(404);
    const badCursor = await request(ctx.app.server).get(`/v1/listings/${listingId}/audit?cursor=bm9wZQ`).set(seller.auth);
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.code).toBe('INVALID_CURSOR');
    const forgedCursor = await request(ctx.app.server)
      .get(`/v1/listings/${listingId}/audit?cursor=${Buffer.from('["1"]').toString('base64url')}`)
      .set(seller.auth);
    expect(forgedCursor.body.code).toBe('INVALID_CURSOR');
    expect((await request(ctx.app.server).get(`/v1/listings/${listingId}/audit?limit=0`).set(seller.auth)).status).toBe(400);
  });
});

describe('npm run audit:verify', () => {
  async function runCli(args: string[]): Promise<{ code: number | null; out: string }> {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'audit-cli-'));
    try {
      return await new Promise((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/audit-verify.ts', ...args], {
          env: { ...process.env, DATABASE_URL: ctx.db.url, DATA_DIR: dataDir, NODE_ENV: 'test', SEED: 'false', LOG_LEVEL: 'silent' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d) => (out += String(d)));
        child.stderr.on('data', (d) => (out += String(d)));
        child.on('exit', (code) => resolve({ code, out }));
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }

  it('exits 0 for an intact chain and 1 naming the broken seq after tampering', async () => {
    const listingId = await newListing();
    await appendMany(listingId, 4);
    const intact = await runCli(['--listing', listingId]);
    expect(intact.out).toContain(`listing ${listingId}: intact, 4 entries`);
    expect(intact.code).toBe(0);

    await tamper(`update audit_entries set created_at = created_at + interval '1 second' where listing_id = $1 and seq = 3`, [listingId]);
    const broken = await runCli(['--listing', listingId]);
    expect(broken.out).toContain(`listing ${listingId}: BROKEN at seq 3 (hash_mismatch)`);
    expect(broken.code).toBe(1);

    // Without --listing every chain in the database is checked; the broken ones are named.
    const all = await runCli([]);
    expect(all.out).toContain(`listing ${listingId}: BROKEN at seq 3`);
    expect(all.out).toMatch(/\d+ listing\(s\), \d+ entries: \d+ broken/);
    expect(all.code).toBe(1);

    expect((await runCli(['--listing', 'nope'])).code).toBe(2);
  }, 60_000);
});
