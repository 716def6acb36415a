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

/** Registers a new organization of the given kind with its first user, through the real API. */
export async function registerUser(app: FastifyInstance, kind: Exclude<OrgKind, 'platform'>, overrides: { regionCode?: string; name?: string } = {}): Promise<TestUser> {
  const email = `${kind}-${unique()}@example.cn`;
  const password = 'correct horse battery';
  const res = await request(app.server)
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
