import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { renderOpenApi } from '../scripts/openapi-export.js';
import { startTestApp, type TestContext } from './support/app.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await startTestApp();
});
afterAll(async () => {
  await ctx?.close();
});

type Operation = {
  operationId?: string;
  tags?: string[];
  summary?: string;
  parameters?: { in: string; name: string }[];
  responses?: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
  security?: unknown[];
};

describe('OpenAPI document', () => {
  it('matches the committed openapi/openapi.json (run npm run openapi:export after changing routes)', async () => {
    const committed = await readFile('openapi/openapi.json', 'utf8');
    expect(await renderOpenApi()).toBe(committed);
  });

  it('gives every operation an operationId, tags, a summary and documented error responses', async () => {
    const doc = JSON.parse(await readFile('openapi/openapi.json', 'utf8')) as { openapi: string; paths: Record<string, Record<string, Operation>> };
    expect(doc.openapi).toBe('3.1.0');
    const ids = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
        expect(ids.has(op.operationId!), `${where} duplicates ${op.operationId}`).toBe(false);
        ids.add(op.operationId!);
        expect(op.tags?.length, where).toBeGreaterThan(0);
        expect(op.summary, where).toBeTruthy();
        const statuses = Object.keys(op.responses ?? {});
        expect(statuses.some((s) => s.startsWith('2')), `${where} has a success response`).toBe(true);
        const needsAuth = op.security?.length === 1;
        if (needsAuth) expect(statuses, `${where} documents 401`).toContain('401');
        if (['post', 'patch', 'put'].includes(method)) expect(statuses, `${where} documents 400`).toContain('400');
        // As the error handler sends them; generated clients type error bodies by this media type.
        for (const status of statuses.filter((s) => Number(s) >= 400)) {
          expect(Object.keys(op.responses?.[status]?.content ?? {}), `${where} ${status}`).toEqual(['application/problem+json']);
        }
        if (statuses.includes('429')) expect(Object.keys(op.responses?.['429']?.headers ?? {}), `${where} 429`).toEqual(['Retry-After']);
        // The reads the public cache answers (src/lib/etag.ts sendRead) say how to revalidate.
        if (['getAchievement', 'listAchievements', 'getNeed', 'listNeeds'].includes(op.operationId!)) {
          expect(statuses, `${where} documents 304`).toContain('304');
          expect(op.parameters?.map((p) => `${p.in}:${p.name}`), where).toContain('header:if-none-match');
        }
      }
    }
  });

  it('serves the document and the /docs page', async () => {
    const spec = await request(ctx.app.server).get('/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.body.info.title).toBe('TechBridge API');
    const docs = await request(ctx.app.server).get('/docs/').redirects(1);
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger-ui');
  });
});

describe('operations', () => {
  it('reports liveness and readiness', async () => {
    expect((await request(ctx.app.server).get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await request(ctx.app.server).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.database).toBe('ok');
  });

  it('answers unknown routes with a problem+json 404 and sets security headers and a request id', async () => {
    const res = await request(ctx.app.server).get('/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.body.code).toBe('NOT_FOUND');
    expect(res.headers['x-request-id']).toBe(res.body.requestId);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('sets the same security headers as @fastify/helmet on every response', async () => {
    // The application computes helmet's headers once at start-up (src/plugins/security.ts); they
    // must stay exactly what the plugin sets per request with this configuration.
    const expected = {
      'content-security-policy':
        "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self' 'unsafe-inline';script-src-attr 'none';style-src 'self' 'unsafe-inline';upgrade-insecure-requests",
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'origin-agent-cluster': '?1',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-dns-prefetch-control': 'off',
      'x-download-options': 'noopen',
      'x-frame-options': 'SAMEORIGIN',
      'x-permitted-cross-domain-policies': 'none',
      'x-xss-protection': '0',
    };
    for (const res of [await request(ctx.app.server).get('/healthz'), await request(ctx.app.server).get('/v1/nothing-here'), await request(ctx.app.server).get('/v1/achievements?limit=1')]) {
      expect(Object.fromEntries(Object.keys(expected).map((h) => [h, res.headers[h]]))).toEqual(expected);
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });
});
