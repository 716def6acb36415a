import { readFileSync } from 'node:fs';
import type { Role } from '../../src/lib/policy.js';
import { ok, sellerParty, type Row, type World } from './authorization-world.js';
import { contractInput } from './contracts.js';
import { achievementInput, needInput, type TestUser } from './factories.js';
import { listingInput, m } from './trading.js';

/** One call of the matrix: who calls, on which row (owned by `owner`), if the operation has one. */
export interface CallContext {
  role: Role;
  user: TestUser | null;
  row: Row | undefined;
  owner: TestUser | undefined;
}

/** What to send besides the path: the smallest valid request, so the answer is about authorization. */
export interface RequestParts {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: object;
  headers?: Record<string, string>;
  upload?: { filename: string; contentType: string; data: Buffer };
}

type Build = (w: World, c: CallContext) => RequestParts | Promise<RequestParts>;

/** A one-row 可转化成果清单 (the README's sample, its header and first row). */
const IMPORT_CSV = Buffer.from(`${readFileSync('seeds/import-sample.csv', 'utf8').split(/\r?\n/).slice(0, 2).join('\r\n')}\r\n`, 'utf8');

const rowOf = (c: CallContext): Row => {
  if (!c.row) throw new Error('this operation needs a row');
  return c.row;
};
const rid = (c: CallContext) => ({ rid: rowOf(c).rid! });

/** A date no other case closes: the calendar keeps one closure per day. */
const closureDate = (n: number) => new Date(Date.UTC(2027, 5, 1) + n * 86_400_000).toISOString().slice(0, 10);

/** Operations that need more than their path: bodies, queries, headers, or state the call consumes. */
export const REQUESTS: Record<string, Build> = {
  register: (w) => {
    const n = w.seq();
    return {
      body: {
        email: `matrix-${n}-${process.pid}@example.cn`,
        password: 'correct horse battery',
        displayName: '矩阵测试',
        organization: { name: `矩阵测试企业${n}`, kind: 'enterprise', regionCode: '230100' },
      },
    };
  },
  createToken: (w, c) => {
    const user = c.user ?? w.neutral.enterprise;
    return { body: { email: user.email, password: user.password } };
  },
  // Refresh tokens rotate: every call gets a pair of its own.
  refreshToken: async (w, c) => {
    const user = c.user ?? w.neutral.enterprise;
    return { body: { refreshToken: (await w.ctx.services.accounts.login({ email: user.email, password: user.password })).refreshToken } };
  },
  updateOrganization: () => ({ body: { description: '矩阵测试：组织简介' } }),
  createInvite: () => ({ body: {} }),
  listWorkingDays: () => ({ query: { from: '2026-03-01', to: '2026-03-31' } }),
  createCalendarClosure: (w) => ({ body: { date: closureDate(w.seq()), reason: '省技术交易市场系统升级停市一天' } }),
  deleteCalendarClosure: async (w) => {
    const date = closureDate(w.seq());
    await ok(w, w.admin, 'POST', '/v1/calendar/closures', { date, reason: '系统升级' });
    return { params: { date } };
  },
  createAchievement: () => ({ body: achievementInput() }),
  updateAchievement: () => ({ body: { title: '寒地水稻精量播种机（改进型）' } }),
  reviewAchievement: () => ({ body: { decision: 'approve' } }),
  importAchievements: () => ({ upload: { filename: '可转化成果清单.csv', contentType: 'text/csv', data: IMPORT_CSV } }),
  createNeed: () => ({ body: needInput() }),
  updateNeed: () => ({ body: { title: '大豆精深加工副产物高值化利用（二期）' } }),
  reviewNeed: () => ({ body: { decision: 'approve' } }),
  search: () => ({ query: { q: '水稻' } }),
  createListing: (_w, c) => ({ body: listingInput(rowOf(c).id) }),
  updateListing: () => ({ body: { noticeWorkingDays: 7 } }),
  reviewListing: () => ({ body: { decision: 'approve' } }),
  withdrawListing: () => ({ body: { reason: '权属调整' } }),
  createRegistration: () => ({ body: { message: '我司有意受让' } }),
  qualifyRegistration: (_w, c) => ({ params: rid(c), body: { qualified: true, depositPaid: true } }),
  settleDeposit: (_w, c) => ({ params: rid(c), body: { status: 'refunded', note: '退还保证金，流水号 20260302-01' } }),
  placeBid: (w) => ({ body: { amount: m(80_000_000) }, headers: { 'idempotency-key': `matrix-bid-${w.seq()}` } }),
  createDeal: (w) => ({ body: { sellerOrganizationId: w.neutral.university.organizationId, buyerOrganizationId: w.neutral.enterprise.organizationId } }),
  updateDeal: () => ({ body: { note: '双方已进入洽谈' } }),
  // The row is the organization named as seller; its owner is a member of it.
  fileContract: (w, c) => ({ body: contractInput(rowOf(c).id, w.neutral.enterprise.organizationId, sellerParty(w, c.owner!)) }),
  updateContractDraft: () => ({ body: { title: '寒地水稻精量播种机发明专利实施许可（草稿修订）' } }),
  reviewContract: () => ({ body: { decision: 'register' } }),
  supplyContractMaterial: () => ({ body: { note: '已补充技术交易额的计算依据' } }),
  fileContractChange: () => ({
    body: { reason: '双方签订补充协议，项目名称调整', title: '寒地水稻精量播种机发明专利实施许可（变更）', document: { reference: 'files/contracts/2026/amendment-0001.pdf' } },
  }),
  fileContractCancellation: () => ({ body: { reason: '双方协商一致解除合同' } }),
  createAchievementInterest: () => ({ body: { message: '我们希望合作转化' } }),
  createNeedInterest: () => ({ body: { message: '我们可以承接该需求' } }),
  acceptInterest: () => ({ body: { message: '欢迎联系' } }),
  declineInterest: () => ({ body: { message: '暂不考虑' } }),
  createSubscription: () => ({ body: { type: 'need', q: '大豆' } }),
  moveSandboxClock: () => ({ body: { advanceSeconds: 1 } }),
};

/** A multipart/form-data body with one file field, as a browser sends it. */
export function multipart(upload: NonNullable<RequestParts['upload']>): { body: Buffer; contentType: string } {
  const boundary = `----matrix${Date.now().toString(16)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${encodeURIComponent(upload.filename)}"\r\nContent-Type: ${upload.contentType}\r\n\r\n`;
  return { body: Buffer.concat([Buffer.from(head), upload.data, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}
