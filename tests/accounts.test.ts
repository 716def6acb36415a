import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { SignJWT, generateKeyPair } from 'jose';
import { startTestApp, type TestContext } from './support/app.js';
import { createAdmin, registerUser } from './support/factories.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await startTestApp();
});
afterAll(async () => {
  await ctx?.close();
});

const api = () => request(ctx.app.server);

function expectProblem(res: request.Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, requestId: expect.any(String), title: expect.any(String), type: expect.any(String) });
}

describe('registration', () => {
  it('registers an organization with its first user and returns tokens', async () => {
    const res = await api()
      .post('/v1/auth/register')
      .send({
        email: 'Li.Wei@hit.edu.cn',
        password: 'a long enough password',
        displayName: '李伟',
        organization: { name: '哈尔滨工业大学', kind: 'university', regionCode: '230100', creditCode: '12100000400000624D' },
      });
    expect(res.status).toBe(201);
    expect(res.body.organization).toMatchObject({ name: '哈尔滨工业大学', kind: 'university', regionCode: '230100', creditCode: '12100000400000624D' });
    expect(res.body.user).toMatchObject({ email: 'Li.Wei@hit.edu.cn', role: 'owner' });
    expect(res.body.user).not.toHaveProperty('passwordHash');
    expect(res.body.accessToken.split('.')).toHaveLength(3);

    const me = await api().get('/v1/me').set('Authorization', `Bearer ${res.body.accessToken}`);
    expect(me.status).toBe(200);
    expect(me.body.role).toBe('university');
    expect(me.body.organization.id).toBe(res.body.organization.id);
  });

  it('refuses platform self-registration', async () => {
    const res = await api()
      .post('/v1/auth/register')
      .send({ email: 'p@x.cn', password: 'a long enough password', displayName: 'p', organization: { name: '平台', kind: 'platform', regionCode: '230000' } });
    expectProblem(res, 403, 'KIND_NOT_ALLOWED');
  });

  it('rejects a credit code with a wrong check character, and an unknown region, all at once', async () => {
    const res = await api()
      .post('/v1/auth/register')
      .send({ email: 'c@x.cn', password: 'a long enough password', displayName: 'c', organization: { name: '某公司', kind: 'enterprise', regionCode: '999999', creditCode: '91350100M000100Y44' } });
    expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['organization.creditCode', 'organization.regionCode']);
  });

  it('rejects a duplicate email case-insensitively with 409', async () => {
    const u = await registerUser(ctx.app, 'enterprise');
    const res = await api()
      .post('/v1/auth/register')
      .send({ email: u.email.toUpperCase(), password: 'a long enough password', displayName: 'x', organization: { name: '重复公司', kind: 'enterprise', regionCode: '230100' } });
    expectProblem(res, 409, 'EMAIL_TAKEN');
  });

  it('rejects malformed bodies with 400 and field errors', async () => {
    const res = await api().post('/v1/auth/register').send({ email: 'not-an-email', password: 'short', displayName: '' });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors.length).toBeGreaterThanOrEqual(3);
  });

  it('rejects unknown properties (mass assignment) with 400', async () => {
    const res = await api()
      .post('/v1/auth/register')
      .send({ email: 'm@x.cn', password: 'a long enough password', displayName: 'm', role: 'admin', organization: { name: '某公司', kind: 'enterprise', regionCode: '230100' } });
    expectProblem(res, 400, 'VALIDATION_FAILED');
  });

  it('rejects invalid JSON with 400 and a wrong content type with 415', async () => {
    const bad = await api().post('/v1/auth/register').set('content-type', 'application/json').send('{"email":');
    expectProblem(bad, 400, 'MALFORMED_BODY');
    const wrongType = await api().post('/v1/auth/register').set('content-type', 'text/plain').send('hello');
    expectProblem(wrongType, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('rejects bodies over the limit with 413', async () => {
    const res = await api()
      .post('/v1/auth/register')
      .send({ email: 'big@x.cn', password: 'a long enough password', displayName: 'x'.repeat(2_000_000) });
    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('invites', () => {
  it('lets the owner invite a member who joins the organization once', async () => {
    const owner = await registerUser(ctx.app, 'institute');
    const inv = await api().post(`/v1/organizations/${owner.organizationId}/invites`).set(owner.auth).send({});
    expect(inv.status).toBe(201);
    const join = { email: `member-${Date.now()}@x.cn`, password: 'a long enough password', displayName: '新成员', organizationId: owner.organizationId, inviteCode: inv.body.inviteCode };
    const res = await api().post('/v1/auth/register').send(join);
    expect(res.status).toBe(201);
    expect(res.body.user.role).toBe('member');
    expect(res.body.organization.id).toBe(owner.organizationId);

    const again = await api().post('/v1/auth/register').send({ ...join, email: `other-${Date.now()}@x.cn` });
    expectProblem(again, 422, 'INVALID_INVITE');

    // A member may not invite; a stranger gets 404 for a foreign organization.
    const memberInvite = await api().post(`/v1/organizations/${owner.organizationId}/invites`).set('Authorization', `Bearer ${res.body.accessToken}`).send({});
    expectProblem(memberInvite, 403, 'OWNER_ONLY');
    const stranger = await registerUser(ctx.app, 'enterprise');
    const foreign = await api().post(`/v1/organizations/${owner.organizationId}/invites`).set(stranger.auth).send({});
    expectProblem(foreign, 404, 'NOT_FOUND');
  });

  it('lets exactly one of two concurrent registrations use an invite', async () => {
    const owner = await registerUser(ctx.app, 'broker');
    const inv = await api().post(`/v1/organizations/${owner.organizationId}/invites`).set(owner.auth).send({});
    const attempt = (i: number) =>
      api().post('/v1/auth/register').send({ email: `race${i}-${Date.now()}@x.cn`, password: 'a long enough password', displayName: 'r', organizationId: owner.organizationId, inviteCode: inv.body.inviteCode });
    const results = await Promise.all([attempt(1), attempt(2), attempt(3)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 422, 422]);
  });
});

describe('tokens', () => {
  it('logs in, and answers wrong password and unknown email alike', async () => {
    const u = await registerUser(ctx.app, 'enterprise');
    const ok = await api().post('/v1/auth/token').send({ email: u.email, password: u.password });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expectProblem(await api().post('/v1/auth/token').send({ email: u.email, password: 'wrong password!' }), 401, 'INVALID_CREDENTIALS');
    expectProblem(await api().post('/v1/auth/token').send({ email: 'nobody@x.cn', password: 'wrong password!' }), 401, 'INVALID_CREDENTIALS');
  });

  it('rotates refresh tokens and revokes the family when a rotated one is reused', async () => {
    const u = await registerUser(ctx.app, 'enterprise');
    const first = await api().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken });
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(u.refreshToken);
    const reuse = await api().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken });
    expectProblem(reuse, 401, 'REFRESH_TOKEN_REUSED');
    // The legitimate successor is revoked too: the whole login is gone.
    expectProblem(await api().post('/v1/auth/refresh').send({ refreshToken: first.body.refreshToken }), 401, 'INVALID_REFRESH_TOKEN');
  });

  it('rate-limits login per account: the 6th attempt in a minute is 429 with Retry-After', async () => {
    const u = await registerUser(ctx.app, 'enterprise');
    for (let i = 0; i < 5; i++) {
      const r = await api().post('/v1/auth/token').send({ email: u.email, password: 'wrong password!' });
      expect(r.status).toBe(401);
    }
    const sixth = await api().post('/v1/auth/token').send({ email: u.email, password: u.password });
    expectProblem(sixth, 429, 'RATE_LIMITED');
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('publishes the verification key as JWKS', async () => {
    const res = await api().get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.body.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: ctx.deps.keys.kid });
  });

  it('rejects forged, expired, wrongly typed and alg=none tokens with 401 problem+json', async () => {
    const u = await registerUser(ctx.app, 'enterprise');
    const [h, p, s] = u.token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: ctx.deps.keys.kid })).toString('base64url')}.${p}.`;
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, kind: 'platform', role: 'admin' })).toString('base64url')}.${s}`;
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}, exp = '10m') =>
      new SignJWT({ org: payload.org, kind: payload.kind, role: payload.role, ...claims })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: ctx.deps.keys.kid, ...header })
        .setSubject(payload.sub)
        .setIssuer(ctx.deps.config.JWT_ISSUER)
        .setAudience(ctx.deps.config.JWT_AUDIENCE)
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime(exp)
        .sign(ctx.deps.keys.privateKey);
    const foreignKey = await new SignJWT({ org: payload.org, kind: payload.kind, role: payload.role })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: ctx.deps.keys.kid })
      .setSubject(payload.sub).setIssuer(ctx.deps.config.JWT_ISSUER).setAudience(ctx.deps.config.JWT_AUDIENCE).setIssuedAt().setNotBefore('0s').setExpirationTime('10m')
      .sign(other.privateKey);
    const cases = {
      none,
      tampered,
      foreignKey,
      expired: await sign({}, {}, '-1m'),
      wrongTyp: await sign({}, { typ: 'JWT' }),
      unknownKid: await sign({}, { kid: 'nope' }),
      refreshAsAccess: u.refreshToken,
    };
    for (const [name, token] of Object.entries(cases)) {
      const res = await api().get('/v1/me').set('Authorization', `Bearer ${token}`);
      expect(res.status, name).toBe(401);
      expect(res.headers['content-type'], name).toMatch(/problem\+json/);
    }
    const expired = await api().get('/v1/me').set('Authorization', `Bearer ${cases.expired}`);
    expect(expired.body.code).toBe('TOKEN_EXPIRED');
  });

  it('requires a token for /v1/me', async () => {
    expectProblem(await api().get('/v1/me'), 401, 'UNAUTHENTICATED');
  });
});

describe('organizations', () => {
  it('shows profiles publicly and lets only members edit, with If-Match', async () => {
    const u = await registerUser(ctx.app, 'enterprise');
    const got = await api().get(`/v1/organizations/${u.organizationId}`);
    expect(got.status).toBe(200);
    expect(got.headers.etag).toBe('"1"');
    const patched = await api().patch(`/v1/organizations/${u.organizationId}`).set(u.auth).set('If-Match', '"1"').send({ description: '专注高端装备' });
    expect(patched.status).toBe(200);
    expect(patched.headers.etag).toBe('"2"');
    const stale = await api().patch(`/v1/organizations/${u.organizationId}`).set(u.auth).set('If-Match', '"1"').send({ description: '旧版本' });
    expectProblem(stale, 412, 'PRECONDITION_FAILED');
    const other = await registerUser(ctx.app, 'enterprise');
    expectProblem(await api().patch(`/v1/organizations/${u.organizationId}`).set(other.auth).send({ name: '篡改' }), 403, 'FORBIDDEN');
    expectProblem(await api().get('/v1/organizations/018f0000-0000-7000-8000-000000000000'), 404, 'NOT_FOUND');
    expectProblem(await api().get('/v1/organizations/not-a-uuid'), 400, 'VALIDATION_FAILED');
  });
});

describe('admin bootstrap', () => {
  it('is idempotent and yields an admin', async () => {
    const admin = await createAdmin(ctx.app, ctx.services);
    const again = await ctx.services.accounts.bootstrapAdmin({ email: admin.email, password: admin.password });
    expect(again.created).toBe(false);
    const me = await api().get('/v1/me').set(admin.auth);
    expect(me.body.role).toBe('admin');
  });
});
