import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import type { OrgKind } from '../../src/modules/accounts/accounts.tables.js';
import type { Services } from '../../src/container.js';

export interface TestUser {
  userId: string;
  organizationId: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
  auth: { Authorization: string };
}

const unique = () => randomBytes(5).toString('hex');

/** Where the API runs: the in-process app, or the URL of a server process (tests/support/process.ts). */
export type ApiTarget = FastifyInstance | string;
export const serverOf = (target: ApiTarget) => (typeof target === 'string' ? target : target.server);

/** Registers a new organization of the given kind with its first user, through the real API. */
export async function registerUser(app: ApiTarget, kind: Exclude<OrgKind, 'platform'>, overrides: { regionCode?: string; name?: string } = {}): Promise<TestUser> {
  const email = `${kind}-${unique()}@example.cn`;
  const password = 'correct horse battery';
  const res = await request(serverOf(app))
    .post('/v1/auth/register')
    .send({
      email,
      password,
      displayName: `${kind} user`,
      organization: { name: overrides.name ?? `测试${kind}${unique()}`, kind, regionCode: overrides.regionCode ?? '230100' },
    });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    userId: res.body.user.id,
    organizationId: res.body.organization.id,
    email,
    password,
    token: res.body.accessToken,
    refreshToken: res.body.refreshToken,
    auth: { Authorization: `Bearer ${res.body.accessToken}` },
  };
}

/** The platform admin, made through the same bootstrap the server runs. */
export async function createAdmin(app: FastifyInstance, services: Services): Promise<TestUser> {
  const email = `admin-${unique()}@techbridge.cn`;
  const password = 'admin password long enough';
  const { user, organization } = await services.accounts.bootstrapAdmin({ email, password });
  const res = await request(app.server).post('/v1/auth/token').send({ email, password });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    userId: user.id,
    organizationId: organization.id,
    email,
    password,
    token: res.body.accessToken,
    refreshToken: res.body.refreshToken,
    auth: { Authorization: `Bearer ${res.body.accessToken}` },
  };
}

/** A valid achievement body; tests override what they exercise. */
export function achievementInput(overrides: Record<string, unknown> = {}) {
  return {
    title: '寒地水稻精量播种机',
    summary: '面向黑龙江寒地水稻的精量播种装备，播种均匀度提高 20%，适合大型农场推广。',
    description: '采用气吸式排种器与北斗导航，实现行距与株距的精确控制。',
    keywords: ['精量播种', '寒地水稻'],
    fieldCodes: ['HLJ.5.05.01'],
    trl: 7,
    stage: 'industrialization',
    ipRights: [{ kind: 'invention_patent', number: 'ZL202110123456.7', status: 'granted' }],
    transferModes: ['transfer', 'license'],
    price: { kind: 'fixed', amount: { amount: 50_000_000, currency: 'CNY' } },
    institution: '东北农业大学',
    regionCode: '230100',
    contact: { name: '王老师', phone: '0451-55190000', email: 'wang@neau.edu.cn' },
    ...overrides,
  };
}

/** A valid need body. */
export function needInput(overrides: Record<string, unknown> = {}) {
  return {
    title: '大豆精深加工副产物高值化利用',
    summary: '寻求豆渣、豆清液高值化利用技术。',
    description: '年加工大豆 30 万吨，豆渣与豆清液利用率低，希望引进膳食纤维和低聚糖提取技术。',
    keywords: ['大豆', '膳食纤维'],
    fieldCodes: ['HLJ.6.03.03'],
    needType: 'technology_introduction',
    trlMin: 6,
    budget: { min: { amount: 10_000_000, currency: 'CNY' }, max: { amount: 50_000_000, currency: 'CNY' }, negotiable: false },
    cooperationModes: ['transfer', 'joint_development'],
    deadline: '2026-12-31',
    regionCode: '230600',
    contact: { name: '张经理', phone: '0459-6000000', email: null },
    ...overrides,
  };
}

/** Creates, submits and approves through the API; returns the published row. */
export async function publish(app: ApiTarget, kind: 'achievements' | 'needs', owner: TestUser, admin: TestUser, body: Record<string, unknown>) {
  const created = await request(serverOf(app)).post(`/v1/${kind}`).set(owner.auth).send(body);
  if (created.status !== 201) throw new Error(`create failed: ${created.status} ${JSON.stringify(created.body)}`);
  const submitted = await request(serverOf(app)).post(`/v1/${kind}/${created.body.id}/submit`).set(owner.auth);
  if (submitted.status !== 200) throw new Error(`submit failed: ${submitted.status} ${JSON.stringify(submitted.body)}`);
  const approved = await request(serverOf(app)).post(`/v1/${kind}/${created.body.id}/review`).set(admin.auth).send({ decision: 'approve' });
  if (approved.status !== 200) throw new Error(`approve failed: ${approved.status} ${JSON.stringify(approved.body)}`);
  return approved.body as { id: string; version: number; [k: string]: unknown };
}
