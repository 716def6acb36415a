import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import createClient, { type Client } from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components, paths } from '../openapi/openapi.js';
import { renderClientTypes } from '../scripts/client-generate.js';
import { generateSigningKeys } from '../src/modules/accounts/keys.js';
import { createTestDatabase } from './support/db.js';
import { startServerProcess, type ServerProcess } from './support/process.js';

// A frontend's view: the client is generated from openapi/openapi.json (openapi-typescript types
// in openapi/openapi.d.ts, openapi-fetch at run time) and drives a real server process over HTTP
// through a whole story. Every body is typed by the document; nothing reaches into the database.

type Api = Client<paths, Media>;
/** What a JSON client accepts: answers, and errors as RFC 9457 problems. */
type Media = 'application/json' | 'application/problem+json';
type Problem = components['schemas']['Problem'];
type Money = components['schemas']['Money'];

const ADMIN = { email: 'typed-client-admin@techbridge.test', password: 'typed client admin password' };
const START_TIMEOUT_MS = 240_000;
const m = (amount: number): Money => ({ amount, currency: 'CNY' });
const later = (iso: string, ms: number) => new Date(new Date(iso).getTime() + ms).toISOString();
/** The calendar date in Beijing (UTC+8, no daylight saving), as contract dates and statistics count. */
const beijingDate = (iso: string, days = 0) => new Date(new Date(iso).getTime() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
let server: ServerProcess;
let anonymous: Api;
let admin: Api;

const client = (token?: string): Api =>
  createClient<paths, Media>({ baseUrl: server.url, headers: token ? { Authorization: `Bearer ${token}` } : {} });

type Partially<T> = T extends (infer U)[] ? Partially<U>[] : T extends object ? { [K in keyof T]?: Partially<T[K]> } : T;

/** toMatchObject whose expectation the document types: a renamed or retyped field fails the typecheck. */
function expectShape<T>(actual: T, expected: NoInfer<Partially<T>>): void {
  expect(actual).toMatchObject(expected as object);
}

/** The body of a successful answer with the expected status; fails with the problem otherwise. */
function ok<T>(result: { data?: T; error?: unknown; response: Response }, status: number): T {
  expect(result.response.status, JSON.stringify(result.error)).toBe(status);
  expect(result.response.headers.get('content-type')).toMatch(/^application\/json/);
  if (result.data === undefined) throw new Error(`no body with ${status}`);
  return result.data;
}

/** The problem of a failed answer, as the document types it. */
function problem(result: { error?: Problem; response: Response }, status: number, code: string): Problem {
  expect(result.response.status, JSON.stringify(result.error)).toBe(status);
  expect(result.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  if (result.error === undefined) throw new Error(`no problem with ${status}`);
  expect(result.error).toMatchObject({ status, code, requestId: expect.any(String) });
  return result.error;
}

async function register(kind: Exclude<components['schemas']['OrganizationKind'], 'platform'>, name: string) {
  const res = await anonymous.POST('/v1/auth/register', {
    body: {
      email: `${kind}-${randomBytes(5).toString('hex')}@example.cn`,
      password: 'correct horse battery',
      displayName: `${name}联系人`,
      organization: { name, kind, regionCode: '230100' },
    },
  });
  const body = ok(res, 201);
  expectShape(body.organization, { name, kind });
  return { api: client(body.accessToken), userId: body.user.id, organizationId: body.organization.id };
}

/** Moves the sandbox clock (admin) and returns the server's new time. */
async function moveClockTo(now: string): Promise<string> {
  const moved = ok(await admin.POST('/v1/sandbox/clock', { body: { now } }), 200);
  expect(new Date(moved.now).getTime()).toBeGreaterThanOrEqual(new Date(now).getTime());
  return moved.now;
}

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const csv = (rows: string[][]) => `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;

describe('a frontend on the generated client (openapi-typescript + openapi-fetch) against a server process', () => {
  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(path.join(tmpdir(), 'techbridge-typed-client-'));
    const { pem } = await generateSigningKeys();
    server = await startServerProcess(
      { DATABASE_URL: db.url, DATA_DIR: dataDir, JWT_PRIVATE_KEY: pem, SANDBOX_CLOCK: 'true', ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
      START_TIMEOUT_MS,
    );
    anonymous = client();
    admin = client(ok(await anonymous.POST('/v1/auth/token', { body: ADMIN }), 200).accessToken);
  }, START_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGTERM');
      expect(await server.exited, server.output().slice(-3000)).toBe(0);
    }
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('uses the types openapi-typescript generates from the committed openapi/openapi.json (npm run client:generate)', async () => {
    const fresh = await renderClientTypes(await readFile('openapi/openapi.json', 'utf8'));
    expect(fresh === (await readFile('openapi/openapi.d.ts', 'utf8')), 'openapi/openapi.d.ts is stale: run `npm run client:generate`').toBe(true);
  });

  it('import → match → notice → auction of three → sale → registered contract → statistics', { timeout: 180_000 }, async () => {
    const startedAt = ok(await admin.GET('/v1/sandbox/clock'), 200).now;

    // 1. A university registers and imports its 可转化成果清单: one good row, one the report refuses.
    const university = await register('university', '北疆理工大学');
    const me = ok(await university.api.GET('/v1/me'), 200);
    expectShape(me, { user: { id: university.userId }, organization: { id: university.organizationId, kind: 'university' } });
    const file = new File(
      [
        csv([
          ['序号', '成果名称', '成果简介', '所属领域', '技术成熟度', '阶段', '知识产权', '转化方式', '价格方式', '价格（万元）', '完成单位', '所在地区', '关键词'],
          ['1', '石墨烯导热膜连续化制备技术', '以天然鳞片石墨为原料制备少层石墨烯导热膜，面向手机与服务器散热，已完成中试线验证。', 'HLJ.5.03.04', '6', '中试', '发明专利:ZL201910123456.7(已授权)', '转让；许可', '固定', '120', '北疆理工大学材料科学与工程学院', '哈尔滨市', '石墨烯；导热膜；散热'],
          ['2', '成熟度写错了的成果名称', '以天然鳞片石墨为原料制备少层石墨烯导热膜，面向手机与服务器散热。', 'HLJ.5.03.04', '12', '', '', '转让', '', '', '', '', ''],
        ]),
      ],
      '可转化成果清单.csv',
      { type: 'text/csv' },
    );
    const report = ok(
      await university.api.POST('/v1/achievements/import', {
        body: { file },
        bodySerializer: (body) => {
          const form = new FormData();
          form.append('file', body.file);
          return form;
        },
      }),
      200,
    );
    expectShape(report, { rows: 2, created: { count: 1 } });
    expect(report.failed).toEqual([{ row: 3, errors: [{ path: '技术成熟度', message: expect.stringContaining('1 to 9') }] }]);
    const achievementId = report.created.items[0]!.id;
    const draft = ok(await university.api.GET('/v1/achievements/{id}', { params: { path: { id: achievementId } } }), 200);
    expectShape(draft, { status: 'draft', title: '石墨烯导热膜连续化制备技术', organizationId: university.organizationId, fieldCodes: ['HLJ.5.03.04'], trl: 6 });
    expect(draft.price).toEqual({ kind: 'fixed', amount: m(120_000_000) });
    // Drafts are not public.
    problem(await anonymous.GET('/v1/achievements/{id}', { params: { path: { id: achievementId } } }), 404, 'NOT_FOUND');

    // Submitted and approved by the platform: published.
    expect(ok(await university.api.POST('/v1/achievements/{id}/submit', { params: { path: { id: achievementId } } }), 200).status).toBe('pending_review');
    problem(await university.api.POST('/v1/achievements/{id}/review', { params: { path: { id: achievementId } }, body: { decision: 'approve' } }), 403, 'ADMIN_ONLY');
    const published = ok(await admin.POST('/v1/achievements/{id}/review', { params: { path: { id: achievementId } }, body: { decision: 'approve' } }), 200);
    expect(published.status).toBe('published');
    expect(ok(await anonymous.GET('/v1/achievements/{id}', { params: { path: { id: achievementId } } }), 200).id).toBe(achievementId);

    // 2. An enterprise posts a need; once approved, its matches explain the imported achievement.
    const enterprise = await register('enterprise', '龙江散热材料有限公司');
    const need = ok(
      await enterprise.api.POST('/v1/needs', {
        body: {
          title: '手机散热用高导热石墨烯膜技术引进',
          description: '年产 500 万片手机均热板，寻求石墨烯导热膜的连续化制备技术，希望以转让或许可方式合作。',
          keywords: ['石墨烯', '导热膜'],
          fieldCodes: ['HLJ.5.03.04'],
          needType: 'technology_introduction',
          trlMin: 5,
          budget: { min: m(50_000_000), max: m(150_000_000), negotiable: false },
          cooperationModes: ['transfer', 'license'],
          deadline: beijingDate(startedAt, 120),
          regionCode: '230100',
        },
      }),
      201,
    );
    expectShape(need, { status: 'draft', organizationId: enterprise.organizationId });
    expect(ok(await enterprise.api.POST('/v1/needs/{id}/submit', { params: { path: { id: need.id } } }), 200).status).toBe('pending_review');
    expect(ok(await admin.POST('/v1/needs/{id}/review', { params: { path: { id: need.id } }, body: { decision: 'approve' } }), 200).status).toBe('published');
    const matches = ok(await enterprise.api.GET('/v1/needs/{id}/matches', { params: { path: { id: need.id }, query: { limit: 10 } } }), 200);
    const match = matches.items.find((item) => item.achievement.id === achievementId);
    expect(match, JSON.stringify(matches.items.map((i) => i.achievement.title))).toBeDefined();
    expect(match!.score).toBeGreaterThan(0);
    expect(match!.score).toBeLessThanOrEqual(1);
    expect(match!.explanation.sharedFieldCodes).toContain('HLJ.5.03.04');
    expect(match!.explanation.matchedTerms).toContain('石墨烯');
    expect(match!.explanation.field).toBeGreaterThan(0);
    expect(match!.explanation.text).toBeGreaterThan(0);
    // Another enterprise does not see who matches this need.
    const bystander = await register('enterprise', '旁观者科技有限公司');
    problem(await bystander.api.GET('/v1/needs/{id}/matches', { params: { path: { id: need.id } } }), 403, 'MATCHES_NOT_ALLOWED');

    // 3. A listing of the achievement: created, reviewed into its notice.
    const created = ok(
      await university.api.POST('/v1/listings', {
        params: { header: { 'idempotency-key': `listing-${achievementId}` } },
        body: {
          achievementId,
          mode: 'auction',
          askingPrice: m(120_000_000),
          startPrice: m(80_000_000),
          increment: m(1_000_000),
          reservePrice: m(90_000_000),
          deposit: m(5_000_000),
          noticeWorkingDays: 5,
          auction: { durationMinutes: 60, extensionWindowSeconds: 300, extensionSeconds: 300 },
        },
      }),
      201,
    );
    expectShape(created, { status: 'pending_review', achievementId, sellerOrganizationId: university.organizationId, reservePrice: m(90_000_000) });
    const listingId = created.id;
    const inNotice = ok(await admin.POST('/v1/listings/{id}/review', { params: { path: { id: listingId } }, body: { decision: 'approve' } }), 200);
    expect(inNotice.status).toBe('notice');
    const noticeEndsAt = inNotice.noticeEndsAt;
    if (!noticeEndsAt) throw new Error('a listing in notice has noticeEndsAt');
    expect(new Date(noticeEndsAt).getTime()).toBeGreaterThan(new Date(startedAt).getTime());
    const publicView = ok(await anonymous.GET('/v1/listings/{id}', { params: { path: { id: listingId } } }), 200);
    expect(publicView.status).toBe('notice');
    expect(publicView.reservePrice ?? null).toBeNull();

    // Three enterprises register as intent buyers; the seller qualifies them with their deposits paid.
    const bidders = [];
    for (const name of ['甲方热管理科技有限公司', '乙方电子材料有限公司', '丙方新能源装备有限公司']) {
      const buyer = await register('enterprise', name);
      const registration = ok(await buyer.api.POST('/v1/listings/{id}/registrations', { params: { path: { id: listingId } }, body: { message: '我司有意受让' } }), 201);
      expectShape(registration, { status: 'pending', organizationId: buyer.organizationId });
      const qualified = ok(
        await university.api.POST('/v1/listings/{id}/registrations/{rid}/qualify', {
          params: { path: { id: listingId, rid: registration.id } },
          body: { qualified: true, depositPaid: true },
        }),
        200,
      );
      expectShape(qualified, { id: registration.id, status: 'qualified', deposit: { amount: m(5_000_000), status: 'paid' } });
      bidders.push({ ...buyer, paddle: registration.paddle });
    }
    const [first, second, third] = bidders as [(typeof bidders)[number], (typeof bidders)[number], (typeof bidders)[number]];
    expect(new Set(bidders.map((b) => b.paddle)).size).toBe(3);
    problem(await first.api.POST('/v1/listings/{id}/bids', { params: { path: { id: listingId } }, body: { amount: m(80_000_000) } }), 409, 'AUCTION_NOT_OPEN');

    // 4. The sandbox clock passes the end of the notice: the auction is open when the move returns.
    await moveClockTo(later(noticeEndsAt, 60_000));
    const open = ok(await anonymous.GET('/v1/listings/{id}', { params: { path: { id: listingId } } }), 200);
    expectShape(open, { status: 'auction', auction: { status: 'open', startsAt: noticeEndsAt, currentPrice: null, bidCount: 0 } });

    const bid = (who: typeof first, amount: number, key: string) =>
      who.api.POST('/v1/listings/{id}/bids', { params: { path: { id: listingId }, header: { 'idempotency-key': key } }, body: { amount: m(amount) } });
    const firstBid = ok(await bid(first, 80_000_000, 'bid-1'), 201);
    expectShape(firstBid, { amount: m(80_000_000), paddle: first.paddle, auctionEndsAt: open.auction!.endsAt });
    ok(await bid(second, 85_000_000, 'bid-2'), 201);
    problem(await bid(first, 85_500_000, 'bid-3'), 409, 'BID_TOO_LOW');
    const winning = ok(await bid(third, 95_000_000, 'bid-4'), 201);
    expectShape(winning, { amount: m(95_000_000), paddle: third.paddle });
    // The same key and body replays the bid instead of placing another.
    const replayed = await bid(third, 95_000_000, 'bid-4');
    expect(ok(replayed, 201).id).toBe(winning.id);
    expect(replayed.response.headers.get('idempotent-replayed')).toBe('true');
    const bids = ok(await anonymous.GET('/v1/listings/{id}/bids', { params: { path: { id: listingId } } }), 200);
    expect(bids.items.map((b) => [b.paddle, b.amount.amount]).sort((x, y) => x[1]! - y[1]!)).toEqual([
      [first.paddle, 80_000_000],
      [second.paddle, 85_000_000],
      [third.paddle, 95_000_000],
    ]);

    // 5. Past the end: sold to the highest bid, the reserve now public.
    const endsAt = ok(await anonymous.GET('/v1/listings/{id}', { params: { path: { id: listingId } } }), 200).auction!.endsAt;
    const afterClose = await moveClockTo(later(endsAt, 60_000));
    const sold = ok(await anonymous.GET('/v1/listings/{id}', { params: { path: { id: listingId } } }), 200);
    expectShape(sold, {
      status: 'sold',
      outcome: { price: m(95_000_000), winnerPaddle: third.paddle },
      reservePrice: m(90_000_000),
      auction: { status: 'closed', bidCount: 3, currentPrice: m(95_000_000) },
    });

    // 6. The sale opened the winner's deal and a prefilled contract draft; the seller completes and files it.
    const deals = ok(await third.api.GET('/v1/deals'), 200);
    const deal = deals.items.find((d) => d.listingId === listingId);
    expectShape(deal, { stage: 'matched', sellerOrganizationId: university.organizationId, buyerOrganizationId: third.organizationId, amount: m(95_000_000) });
    const drafts = ok(await university.api.GET('/v1/contracts', { params: { query: { dealId: deal!.id } } }), 200);
    expect(drafts.items).toHaveLength(1);
    const draftId = drafts.items[0]!.id;
    const fetched = await university.api.GET('/v1/contracts/{id}', { params: { path: { id: draftId } } });
    const contract = ok(fetched, 200);
    expectShape(contract, { status: 'draft', listingId, buyerOrganizationId: third.organizationId, amount: m(95_000_000), registrationNumber: null });
    const etag = fetched.response.headers.get('etag');
    expect(etag).toBe(`"${contract.version}"`);

    const today = beijingDate(afterClose);
    problem(
      await university.api.PATCH('/v1/contracts/{id}', { params: { path: { id: draftId }, header: { 'if-match': '"999"' } }, body: { signedOn: today } }),
      412,
      'PRECONDITION_FAILED',
    );
    const completed = await university.api.PATCH('/v1/contracts/{id}', {
      params: { path: { id: draftId }, header: { 'if-match': etag! } },
      body: {
        signedOn: today,
        validFrom: today,
        validTo: beijingDate(afterClose, 3 * 365),
        technologyDomain: 'advanced_manufacturing',
        socioEconomicGoal: 'industry_commerce',
        industryCode: 'C39',
        expectedNewInvestment: m(200_000_000),
        expectedNewOutput: m(900_000_000),
        technologyAmount: m(76_000_000),
        document: { reference: 'files/contracts/sale-typed-client.pdf', pages: 10 },
        buyer: { natureCode: '150' },
      },
    });
    expectShape(ok(completed, 200), { status: 'draft', signedOn: today, technologyAmount: m(76_000_000), buyer: { natureCode: '150' } });
    const filed = ok(
      await university.api.POST('/v1/contracts/{id}/submit', { params: { path: { id: draftId }, header: { 'if-match': completed.response.headers.get('etag')! } } }),
      200,
    );
    expectShape(filed, { id: draftId, status: 'submitted', filedBy: university.userId, reviewDueOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });

    // 7. The platform registers it: a 16-digit 登记号; the statistics count it.
    problem(await third.api.POST('/v1/contracts/{id}/review', { params: { path: { id: draftId } }, body: { decision: 'register' } }), 403, 'ADMIN_ONLY');
    const registered = ok(await admin.POST('/v1/contracts/{id}/review', { params: { path: { id: draftId } }, body: { decision: 'register' } }), 200);
    expect(registered.status).toBe('registered');
    expect(registered.registrationNumber).toMatch(/^\d{16}$/);
    const listed = ok(await admin.GET('/v1/contracts', { params: { query: { registrationNumber: registered.registrationNumber! } } }), 200);
    expect(listed.items.map((c) => c.id)).toEqual([draftId]);
    expect(ok(await third.api.GET('/v1/deals/{id}', { params: { path: { id: deal!.id } } }), 200).stage).toBe('registered');

    const stats = ok(await anonymous.GET('/v1/stats/contracts', { params: { query: { from: beijingDate(startedAt, -1), to: today, groupBy: 'type' } } }), 200);
    expectShape(stats.totals, { count: 1, amount: m(95_000_000), technologyAmount: m(76_000_000) });
    expect(stats.groups).toEqual([expect.objectContaining({ key: contract.type, count: 1, amount: m(95_000_000) })]);
  });
});
