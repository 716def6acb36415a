import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestContext } from './support/app.js';
import { createOracle } from './support/fuzz/oracle.js';
import { fuzzOperation, warmUp, type Finding, type OperationReport } from './support/fuzz/run.js';
import { loadSpec, operationsOf, resolver } from './support/fuzz/spec.js';
import type { FuzzState } from './support/fuzz/state.js';
import { buildWorld } from './support/fuzz/world.js';

// Every operation of the committed OpenAPI document (read now, so new routes are fuzzed without
// a list here) gets FUZZ_RUNS requests: half from a fixed seed (the same every run), half from a
// seed drawn per run and logged (FUZZ_SEED replays one). `npm run fuzz -- --runs 1000` goes longer.
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const FIXED_SEED = 20_260_302;
const RANDOM_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomInt(2 ** 31);
const TOKEN_REFRESH_MS = 10 * 60_000;

const doc = loadSpec();
const operations = operationsOf(doc);
const deref = resolver(doc);
const oracle = createOracle(doc);

let ctx: TestContext;
let state: FuzzState;
let signedAt = 0;
const reports: OperationReport[] = [];

beforeAll(async () => {
  console.log(`fuzz: ${operations.length} operations × ${RUNS} requests; fixed seed ${FIXED_SEED}, random seed ${RANDOM_SEED} (replay: npm run fuzz -- --runs ${RUNS} --seed ${RANDOM_SEED})`);
  ctx = await startTestApp();
  ({ state } = await buildWorld(ctx));
  signedAt = Date.now();
  expect(await warmUp(ctx.app, operations, state)).toBeGreaterThan(0);
});

afterAll(async () => {
  if (reports.length > 0) {
    const rows = reports.map((r) => `${r.op.id.padEnd(30)} ${String(r.requests).padStart(5)} ${(r.ms / 1000).toFixed(1).padStart(6)}s  ${JSON.stringify(r.statuses)}`);
    console.log(`fuzz summary (random seed ${RANDOM_SEED}):\n${rows.join('\n')}`);
    // FUZZ_DEBUG=1: valid requests the server refused with 400 (the generator or the documented schema is off).
    if (process.env.FUZZ_DEBUG) {
      for (const r of reports) console.log(`slowest ${r.op.id}: ${JSON.stringify(r.slowest)}`);
      for (const r of reports) console.log(`codes ${r.op.id}: ${JSON.stringify(r.codes)}`);
      for (const r of reports) for (const v of r.validRejected.slice(0, 3)) console.log(`valid → 400 ${r.op.id}: ${v.url.slice(0, 200)} ${v.payload.slice(0, 200)} → ${v.detail.slice(0, 300)}`);
    }
  }
  await ctx?.close();
});

/** Access tokens live 15 minutes; a long run signs its actors again. */
async function freshTokens() {
  if (Date.now() - signedAt < TOKEN_REFRESH_MS) return;
  for (const actor of state.actors.values()) {
    const verified = await ctx.services.tokens.verify(actor.authorization.slice('Bearer '.length)).catch(() => undefined);
    const role = verified?.role ?? (actor.kind === 'admin' ? 'admin' : 'owner');
    const token = await ctx.services.tokens.sign({ userId: actor.userId, organizationId: actor.organizationId, kind: actor.kind === 'admin' ? 'platform' : actor.kind, role });
    actor.authorization = `Bearer ${token}`;
  }
  signedAt = Date.now();
}

function describeFinding(f: Finding): string {
  const body = f.request.payload === undefined ? '' : ` body=${String(f.request.payload).slice(0, 300)}`;
  return `[${f.violation.rule}] ${f.request.label.slice(0, 80)} as ${f.actor} (seed ${f.seed}): ${f.request.method} ${f.request.url.slice(0, 160)}${body} headers=${JSON.stringify(f.request.headers).slice(0, 200)} → ${f.status}: ${f.violation.detail.slice(0, 300)}`;
}

// The fuzzer's findings, pinned so they stay fixed whatever the seeds draw.
describe('regressions found by fuzzing', () => {
  const opById = (id: string) => operations.find((o) => o.id === id)!;
  const send = async (id: string, req: { method: string; url: string; payload?: string | Buffer; headers?: Record<string, string> }, as = 'admin') => {
    const res = await ctx.app.inject({ method: req.method as 'GET', url: req.url, payload: req.payload, headers: { authorization: state.actors.get(as)!.authorization, ...req.headers } });
    expect(oracle.check(opById(id), { status: res.statusCode, headers: res.headers, text: res.payload }, { routed: true, sentBody: req.payload !== undefined })).toEqual([]);
    return res;
  };

  it('text PostgreSQL cannot store (NUL, unpaired surrogates) is a 400 naming the field, not a 500', async () => {
    for (const reason of ['\u0000', 'a\u0000b', '\ud800', 'x\udfffy']) {
      const res = await send('createCalendarClosure', { method: 'POST', url: '/v1/calendar/closures', payload: JSON.stringify({ date: '2029-09-17', reason }), headers: { 'content-type': 'application/json' } });
      expect(res.statusCode, reason).toBe(400);
      expect(res.json().errors).toEqual([{ path: 'body.reason', message: expect.stringContaining('U+0000') }]);
    }
    const query = await send('listAchievements', { method: 'GET', url: '/v1/achievements?q=%00' });
    expect(query.statusCode).toBe(400);
    expect(query.json().errors[0].path).toBe('querystring.q');
  });

  it('a URL that does not decode, and a path parameter too long for the router, are problem+json 400s', async () => {
    const bad = await send('getAchievement', { method: 'GET', url: '/v1/achievements/%ZZ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('MALFORMED_URL');
    const long = await send('getAchievement', { method: 'GET', url: `/v1/achievements/${'a'.repeat(150)}` });
    expect(long.statusCode).toBe(400);
    expect(long.json().code).toBe('PARAMETER_TOO_LONG');
  });

  it('every operation documents the 401 a bad token gets (public ones too) and the 503 of a shutdown', async () => {
    expect(operations.filter((o) => !o.responses.has(401) || !o.responses.has(503)).map((o) => o.id)).toEqual([]);
    const res = await send('listFields', { method: 'GET', url: '/v1/fields', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
    expect(res.statusCode).toBe(401);
  });

  it('a multipart upload without a boundary is a 400, not a 500', async () => {
    const body = '--x\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\na,b\r\n--x--\r\n';
    const res = await send('importAchievements', { method: 'POST', url: '/v1/achievements/import', payload: body, headers: { 'content-type': 'multipart/form-data' } }, 'university');
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('MALFORMED_MULTIPART');
  });
});

describe('fuzzing every operation of openapi/openapi.json', () => {
  it('finds operations in the document', () => {
    expect(operations.length).toBeGreaterThan(0);
  });

  for (const op of operations) {
    it(`${op.id}: ${op.method} ${op.path}`, { timeout: 60_000 + RUNS * 600 }, async () => {
      await freshTokens();
      const fixedRuns = Math.floor(RUNS / 2);
      const fixed = await fuzzOperation(ctx.app, op, { deref, state, oracle, runSeed: FIXED_SEED, runs: fixedRuns });
      await freshTokens();
      const random = await fuzzOperation(ctx.app, op, { deref, state, oracle, runSeed: RANDOM_SEED, runs: RUNS - fixedRuns });
      const merged: OperationReport = {
        op,
        requests: fixed.requests + random.requests,
        statuses: Object.fromEntries(
          [...new Set([...Object.keys(fixed.statuses), ...Object.keys(random.statuses)])].map((s) => [s, (fixed.statuses[Number(s)] ?? 0) + (random.statuses[Number(s)] ?? 0)]),
        ),
        codes: Object.fromEntries(
          [...new Set([...Object.keys(fixed.codes), ...Object.keys(random.codes)])].map((c) => [c, (fixed.codes[c] ?? 0) + (random.codes[c] ?? 0)]),
        ),
        validRejected: [...fixed.validRejected, ...random.validRejected],
        findings: [...fixed.findings, ...random.findings],
        ms: fixed.ms + random.ms,
        slowest: [...fixed.slowest, ...random.slowest].sort((a, b) => b.ms - a.ms).slice(0, 3),
      };
      reports.push(merged);
      expect(merged.requests).toBe(RUNS);
      // One line per distinct rule and label, so a finding repeated 50 times reads once.
      const distinct = new Map<string, Finding>();
      for (const f of merged.findings) distinct.set(`${f.violation.rule}|${f.request.label}|${f.status}`, f);
      expect([...distinct.values()].map(describeFinding)).toEqual([]);
    });
  }
});
