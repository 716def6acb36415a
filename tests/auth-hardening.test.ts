import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { SignJWT, exportSPKI, generateKeyPair, exportJWK } from 'jose';
import { startTestApp, type TestContext } from './support/app.js';
import { expectProblem } from './support/assert.js';
import { achievementInput, createAdmin, registerUser, type TestUser } from './support/factories.js';
import { loadSpec, operationsOf } from './support/fuzz/spec.js';

// What tests/accounts.test.ts does not already cover of the JWT attacks and input limits:
// algorithm confusion (HS256 keyed with the public key), an attacker's key embedded in the header,
// nbf/iss/aud/exp claims, an access token offered as a refresh token, a rotation chain and a race
// on one refresh token, declared and multipart bodies over their limits, page size on every list
// operation of the spec, and the per-IP login limit.

let ctx: TestContext;
let user: TestUser;
let admin: TestUser;
const IMPORT_LIMIT = 64 * 1024;

beforeAll(async () => {
  ctx = await startTestApp({ IMPORT_LIMIT_BYTES: String(IMPORT_LIMIT) });
  user = await registerUser(ctx.app, 'university');
  admin = await createAdmin(ctx.app, ctx.services);
});
afterAll(async () => {
  await ctx?.close();
});

const api = () => request(ctx.app.server);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('access tokens that must be refused', () => {
  async function claimsOf(token: string) {
    return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown> & { sub: string; org: string; kind: string; role: string };
  }

  /** A token like the server's, signed with the real key, with one thing changed. */
  async function genuine(change: { header?: Record<string, unknown>; claims?: Record<string, unknown>; issuer?: string; audience?: string; exp?: number | null; nbf?: number }) {
    const c = await claimsOf(user.token);
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ org: c.org, kind: c.kind, role: c.role, ...change.claims })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: ctx.deps.keys.kid, ...change.header })
      .setSubject(c.sub)
      .setIssuer(change.issuer ?? ctx.deps.config.JWT_ISSUER)
      .setAudience(change.audience ?? ctx.deps.config.JWT_AUDIENCE)
      .setIssuedAt(now)
      .setNotBefore(change.nbf ?? now);
    if (change.exp !== null) jwt.setExpirationTime(change.exp ?? now + 600);
    // jose refuses to sign an unknown crit extension unless told it is understood.
    const crit = Array.isArray(change.header?.crit) ? Object.fromEntries((change.header.crit as string[]).map((k) => [k, true])) : undefined;
    return jwt.sign(ctx.deps.keys.privateKey, crit ? { crit } : undefined);
  }

  /** HS256 over the same header and claims, keyed with public material an attacker can read. */
  async function hmacWith(secret: Uint8Array) {
    const c = await claimsOf(user.token);
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ org: c.org, kind: 'platform', role: 'admin' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: ctx.deps.keys.kid })
      .setSubject(c.sub)
      .setIssuer(ctx.deps.config.JWT_ISSUER)
      .setAudience(ctx.deps.config.JWT_AUDIENCE)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 600)
      .sign(secret);
  }

  it('a genuine token passes (the cases below differ from it in one thing each)', async () => {
    const res = await api().get('/v1/me').set('Authorization', `Bearer ${await genuine({})}`);
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(user.userId);
  });

  it('refuses algorithm confusion, foreign header keys and bad claims with 401 problem+json', async () => {
    const jwks = (await api().get('/.well-known/jwks.json')).body as { keys: { x: string }[] };
    const pem = await exportSPKI(ctx.deps.keys.publicKey);
    const attacker = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const attackerJwk = await exportJWK(attacker.publicKey);
    const c = await claimsOf(user.token);
    const now = Math.floor(Date.now() / 1000);
    const embedded = await new SignJWT({ org: c.org, kind: 'platform', role: 'admin' })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', jwk: attackerJwk })
      .setSubject(c.sub)
      .setIssuer(ctx.deps.config.JWT_ISSUER)
      .setAudience(ctx.deps.config.JWT_AUDIENCE)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 600)
      .sign(attacker.privateKey);
    const [h, p] = (await genuine({})).split('.');
    const cases: Record<string, string> = {
      'HS256 keyed with the SPKI PEM': await hmacWith(new TextEncoder().encode(pem)),
      'HS256 keyed with the raw public key': await hmacWith(Buffer.from(jwks.keys[0]!.x, 'base64url')),
      'HS256 keyed with the JWKS document': await hmacWith(new TextEncoder().encode(JSON.stringify(jwks))),
      'attacker key embedded as jwk header': embedded,
      'alg none with the real claims': `${b64({ alg: 'none', typ: 'at+jwt', kid: ctx.deps.keys.kid })}.${p}.`,
      'EdDSA header, empty signature': `${h}.${p}.`,
      'not yet valid (nbf in 10 min)': await genuine({ nbf: now + 600 }),
      'wrong issuer': await genuine({ issuer: 'https://evil.example' }),
      'wrong audience': await genuine({ audience: 'another-api' }),
      'no expiry': await genuine({ exp: null }),
      'no kid': await genuine({ header: { kid: undefined } }),
      'typ JWT instead of at+jwt': await genuine({ header: { typ: 'JWT' } }),
      'critical header the server does not know': await genuine({ header: { crit: ['x-bound'], 'x-bound': true } }),
      'claims swapped onto a valid signature': `${h}.${b64({ ...c, kind: 'platform', role: 'admin' })}.${user.token.split('.')[2]}`,
      'three dots': 'a.b.c',
      'oversized': 'x'.repeat(8_000),
    };
    for (const [name, token] of Object.entries(cases)) {
      const res = await api().get('/v1/me').set('Authorization', `Bearer ${token}`);
      expect(res.status, name).toBe(401);
      expect(res.headers['content-type'], name).toMatch(/^application\/problem\+json/);
      expect(res.headers['www-authenticate'], name).toMatch(/^Bearer/);
      expect(res.body, name).toMatchObject({ status: 401, code: 'INVALID_TOKEN', title: 'Unauthorized', type: expect.any(String) });
      // A public read with the same token is refused too, never served as anonymous.
      expect((await api().get('/v1/achievements').set('Authorization', `Bearer ${token}`)).status, name).toBe(401);
    }
  });

  it('an access token is not a refresh token either', async () => {
    // Refresh tokens are short opaque strings: a JWT does not even pass validation.
    const res = await api().post('/v1/auth/refresh').send({ refreshToken: user.token });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.refreshToken']);
    // Cut to a refresh token's length it is simply unknown.
    expectProblem(await api().post('/v1/auth/refresh').send({ refreshToken: user.token.slice(-43) }), 401, 'INVALID_REFRESH_TOKEN');
  });
});

describe('refresh token rotation', () => {
  it('reuse of any rotated token revokes the family: the newest of a chain of rotations fails afterwards', async () => {
    const u = await registerUser(ctx.app, 'enterprise');
    const t1 = (await api().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken }).expect(200)).body.refreshToken as string;
    const t2 = (await api().post('/v1/auth/refresh').send({ refreshToken: t1 }).expect(200)).body.refreshToken as string;
    // Another login of the same user is a different family and survives.
    const other = (await api().post('/v1/auth/token').send({ email: u.email, password: u.password }).expect(200)).body.refreshToken as string;

    expectProblem(await api().post('/v1/auth/refresh').send({ refreshToken: t1 }), 401, 'REFRESH_TOKEN_REUSED');
    expectProblem(await api().post('/v1/auth/refresh').send({ refreshToken: t2 }), 401, 'INVALID_REFRESH_TOKEN');
    expectProblem(await api().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken }), 401, 'INVALID_REFRESH_TOKEN');
    const rows = (await ctx.db.pool.query('select family_id, revoked_at from refresh_tokens where user_id = $1', [u.userId])).rows;
    const families = new Map<string, boolean[]>();
    for (const r of rows) families.set(r.family_id, [...(families.get(r.family_id) ?? []), r.revoked_at !== null]);
    expect([...families.values()].map((revoked) => revoked.every(Boolean)).sort()).toEqual([false, true]);
    expect((await api().post('/v1/auth/refresh').send({ refreshToken: other })).status).toBe(200);
  });

  it('two concurrent refreshes with one token: one wins, the other is reuse, and the family is gone', async () => {
    const u = await registerUser(ctx.app, 'broker');
    const [a, b] = await Promise.all([
      api().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken }),
      api().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 401]);
    const [won, lost] = a.status === 200 ? [a, b] : [b, a];
    expectProblem(lost, 401, 'REFRESH_TOKEN_REUSED');
    expectProblem(await api().post('/v1/auth/refresh').send({ refreshToken: won.body.refreshToken }), 401, 'INVALID_REFRESH_TOKEN');
  });
});

describe('body limits', () => {
  const achievementCount = async () => Number((await ctx.db.pool.query('select count(*) from achievements')).rows[0].count);

  it('a JSON body over the limit is 413 problem+json and changes nothing', async () => {
    const before = await achievementCount();
    const res = await api()
      .post('/v1/achievements')
      .set(user.auth)
      .send(achievementInput({ description: '成'.repeat(400_000) }));
    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
    expect(await achievementCount()).toBe(before);
  });

  it('a declared Content-Length over the limit is refused before the body is read', async () => {
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = ctx.app.server.address() as AddressInfo;
    const res = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/achievements', headers: { ...user.auth, 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) } }, (r) => {
        let body = '';
        r.on('data', (d) => (body += String(d)));
        r.on('end', () => resolve({ status: r.statusCode!, type: String(r.headers['content-type']), body }));
      });
      req.on('error', reject);
      // Only the first bytes of the 50 MiB ever leave: the answer comes without the rest.
      req.write('{"title":"');
    });
    expect(res.status).toBe(413);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.body)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('an upload over the import limit is 413 problem+json', async () => {
    const before = await achievementCount();
    const row = '寒地水稻精量播种机,面向黑龙江寒地水稻的精量播种装备,HLJ.5.05.01,7\n';
    const csv = Buffer.from(`成果名称,简介,所属领域,成熟度\n${row.repeat(Math.ceil((IMPORT_LIMIT * 2) / Buffer.byteLength(row)))}`);
    const res = await api().post('/v1/achievements/import').set(user.auth).attach('file', csv, { filename: 'big.csv', contentType: 'text/csv' });
    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
    expect(await achievementCount()).toBe(before);
  });
});

describe('page size', () => {
  // Every list operation of the committed document, so a new list cannot skip the bound.
  const lists = operationsOf(loadSpec()).filter((op) => op.method === 'GET' && op.parameters.some((p) => p.in === 'query' && p.name === 'limit'));

  it('finds the list operations', () => {
    expect(lists.length).toBeGreaterThan(5);
  });

  it.each(lists.map((op) => [op.id, op] as const))('%s: a page size over the documented maximum (at most 100) or under 1 is 400', async (_id, op) => {
    const schema = op.parameters.find((p) => p.name === 'limit')!.schema as { maximum?: number; minimum?: number };
    expect(schema.maximum).toBeLessThanOrEqual(100);
    expect(schema.minimum).toBe(1);
    const url = op.path.replace(/\{\w+\}/g, '0195f000-0000-7000-8000-000000000001');
    for (const limit of ['101', String(schema.maximum! + 1), '1000', '0', '-1', '2.5', 'ten']) {
      const res = await api().get(url).query({ limit }).set(admin.auth);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors.map((e: { path: string }) => e.path), limit).toContain('querystring.limit');
    }
    const ok = await api().get(url).query({ limit: String(schema.maximum) }).set(admin.auth);
    if (ok.status === 400) expect(ok.body.errors?.map((e: { path: string }) => e.path) ?? []).not.toContain('querystring.limit');
  });
});

describe('login rate limits', () => {
  const login = (email: string, password: string, ip: string) =>
    ctx.app.inject({ method: 'POST', url: '/v1/auth/token', payload: { email, password }, remoteAddress: ip });

  it('the 6th attempt on one account in a minute is 429 with Retry-After, from any address; other accounts are unaffected', async () => {
    const u = await registerUser(ctx.app, 'institute');
    const bystander = await registerUser(ctx.app, 'institute');
    for (let i = 0; i < 5; i++) expect((await login(u.email, 'wrong password!', `10.1.0.${i + 1}`)).statusCode).toBe(401);
    const sixth = await login(u.email, u.password, '10.1.0.99');
    expect(sixth.statusCode).toBe(429);
    expect(sixth.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(sixth.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    const retryAfter = Number(sixth.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await login(bystander.email, bystander.password, '10.1.0.99')).statusCode).toBe(200);
  });

  it('one address guessing across many accounts is cut off after 30 attempts in a minute', async () => {
    const ip = '10.2.0.1';
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await login(`nobody-${i}@example.cn`, 'wrong password!', ip)).statusCode);
    expect(statuses.every((s) => s === 401)).toBe(true);
    // The 31st, even with the right password for an account never tried from here.
    const last = await login(user.email, user.password, ip);
    expect(last.statusCode).toBe(429);
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    // Another address still gets in.
    expect((await login(user.email, user.password, '10.2.0.2')).statusCode).toBe(200);
  });
});
