import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canOwn, policyOf, ROLES, SIGNED_IN_ROLES, type OperationPolicy, type Outcome, type Role } from '../src/lib/policy.js';
import { POLICY } from '../src/lib/policy.table.js';
import policyPlugin from '../src/plugins/policy.js';
import { startTestApp, type TestContext } from './support/app.js';
import { createOracle } from './support/fuzz/oracle.js';
import { loadSpec, operationsOf } from './support/fuzz/spec.js';
import { multipart, REQUESTS, type CallContext, type RequestParts } from './support/authorization-requests.js';
import { buildWorld, makeRow, ownerFor, type Row, type World } from './support/authorization-world.js';
import type { TestUser } from './support/factories.js';
import { openSse } from './support/sse.js';

// Every operation of the OpenAPI document, called as every role on a row of its own organization
// and on a row of another one, against the answer src/lib/policy.table.ts gives. Each call gets
// fresh rows, so no case depends on another one having run.

type Schema = { $ref?: string; type?: string; properties?: Record<string, Schema>; anyOf?: Schema[] };
interface Operation {
  operationId: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  /** properties of an application/json object body, or null when the body is not one */
  bodyProperties: string[] | null;
  responseProperties: string[];
}

const spec = JSON.parse(readFileSync('openapi/openapi.json', 'utf8')) as {
  paths: Record<string, Record<string, { operationId?: string; requestBody?: { content: Record<string, { schema: Schema }> }; responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
  components: { schemas: Record<string, Schema> };
};
// The fuzzer's oracle judges every answer here too: the matrix reaches the 2xx of operations whose
// preconditions random requests rarely meet (a qualified bidder, a contract under review …).
const specDoc = loadSpec();
const oracle = createOracle(specDoc);
const specOperations = new Map(operationsOf(specDoc).map((o) => [o.id, o]));
const resolve = (s: Schema | undefined): Schema | undefined => (s?.$ref ? resolve(spec.components.schemas[s.$ref.split('/').pop()!]) : s);
/** The object alternative of a schema (a nullish body is anyOf [object, null]). */
const objectOf = (s: Schema | undefined): Schema | undefined => {
  const r = resolve(s);
  if (r?.type === 'object' || r?.properties) return r;
  return r?.anyOf?.map(objectOf).find((x) => x !== undefined);
};

const OPERATIONS: Operation[] = Object.entries(spec.paths).flatMap(([path, methods]) =>
  Object.entries(methods)
    .filter(([, o]) => typeof o === 'object' && o.operationId)
    .map(([method, o]) => {
      const body = objectOf(o.requestBody?.content['application/json']?.schema);
      const success = Object.entries(o.responses).find(([status]) => status.startsWith('2'))?.[1];
      return {
        operationId: o.operationId!,
        method: method.toUpperCase() as Operation['method'],
        path,
        bodyProperties: body ? Object.keys(body.properties ?? {}) : null,
        responseProperties: Object.keys(objectOf(success?.content?.['application/json']?.schema)?.properties ?? {}),
      };
    }),
);

interface MatrixCase {
  role: Role;
  relation: 'own' | 'foreign' | null;
  expected: Outcome;
}

function casesOf(policy: OperationPolicy): MatrixCase[] {
  if (policy.subject === null) return ROLES.map((role) => ({ role, relation: null, expected: role === 'anonymous' ? policy.anonymous : policy.roles[role] }));
  const cases: MatrixCase[] = [{ role: 'anonymous', relation: 'foreign', expected: policy.anonymous }];
  for (const role of SIGNED_IN_ROLES) {
    const cell = policy.roles[role];
    if (cell.own !== null) cases.push({ role, relation: 'own', expected: cell.own });
    cases.push({ role, relation: 'foreign', expected: cell.foreign });
  }
  return cases;
}

let ctx: TestContext;
let w: World;
let baseUrl: string;

beforeAll(async () => {
  // The sandbox clock is on so its two operations answer by role rather than 404 to everyone.
  ctx = await startTestApp({ SANDBOX_CLOCK: 'true', LOGIN_MAX_PER_IP_PER_MINUTE: '10000', LOGIN_MAX_PER_ACCOUNT_PER_MINUTE: '10000' });
  // The event stream never ends, so it is read over a real socket and dropped once it answers.
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
  w = await buildWorld(ctx);
});
afterAll(async () => {
  await ctx?.close();
});

interface Answer {
  status: number;
  contentType: string;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

function urlOf(op: Operation, parts: RequestParts, row: Row | undefined): string {
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = parts.params?.[name] ?? (name === 'id' ? row?.id : undefined);
    if (value === undefined) throw new Error(`${op.operationId}: no value for path parameter ${name}`);
    return value;
  });
  return parts.query ? `${path}?${new URLSearchParams(parts.query)}` : path;
}

async function send(op: Operation, parts: RequestParts, user: TestUser | null, row: Row | undefined): Promise<Answer> {
  const url = urlOf(op, parts, row);
  const auth: Record<string, string> = user ? user.auth : {};
  if (op.operationId === 'streamListingEvents') {
    const stream = await openSse(baseUrl, url, auth);
    if (stream.status !== 200) await stream.ended;
    stream.close();
    return { status: stream.status, contentType: String(stream.headers['content-type'] ?? ''), headers: stream.headers, body: stream.body() };
  }
  const upload = parts.upload ? multipart(parts.upload) : undefined;
  const res = await ctx.app.inject({
    method: op.method,
    url,
    headers: { ...auth, ...parts.headers, ...(upload ? { 'content-type': upload.contentType } : {}) },
    ...(upload ? { payload: upload.body } : parts.body !== undefined ? { payload: parts.body } : {}),
  });
  return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), headers: res.headers, body: res.body };
}

/** The row (if any) and the request of one case, made fresh. */
async function prepare(op: Operation, policy: OperationPolicy, role: Role, relation: MatrixCase['relation']): Promise<CallContext & { parts: RequestParts }> {
  const user = role === 'anonymous' ? null : w.me[role];
  let row: Row | undefined;
  let owner: TestUser | undefined;
  if (policy.subject !== null) {
    owner = ownerFor(w, policy.subject, role, relation === 'own' ? 'own' : 'foreign') ?? undefined;
    if (!owner) throw new Error(`${op.operationId}: ${role} owns no ${policy.subject}`);
    row = await makeRow(w, policy.subject, owner, user);
  }
  const call: CallContext = { role, user, row, owner };
  const parts = (await REQUESTS[op.operationId]?.(w, call)) ?? {};
  return { ...call, parts };
}

const describeOutcome = (o: Outcome) => (o === 'allow' ? '2xx' : String(o));

describe('the authorization table', () => {
  it('covers exactly the operations of openapi/openapi.json', () => {
    const documented = OPERATIONS.map((o) => o.operationId).sort();
    const tabled = Object.keys(POLICY).sort();
    expect(documented.filter((id) => !tabled.includes(id)), 'operations without an entry').toEqual([]);
    expect(tabled.filter((id) => !documented.includes(id)), 'entries for operations that do not exist').toEqual([]);
  });

  it('marks as not owned exactly the rows a role cannot own, and explains every foreign row another organization may use', () => {
    for (const [operationId, policy] of Object.entries(POLICY)) {
      if (policy.subject === null) continue;
      for (const role of SIGNED_IN_ROLES) {
        const cell = policy.roles[role];
        expect(cell.own === null, `${operationId} as ${role}: own cell`).toBe(!canOwn(policy.subject, role));
        // API.md: foreign rows answer 404. Every exception (a public row, a broker's trade) says why.
        if (cell.foreign === 'allow' && role !== 'admin' && policy.subject !== 'organization') {
          expect(policy.why, `${operationId} lets ${role} use a foreign ${policy.subject} without saying why`).toBeTruthy();
        }
      }
    }
  });

  it('stops the application from building when a route has no entry or its security disagrees with the table', async () => {
    const build = async (operationId: string, secured: boolean, enforce = true) => {
      const app = Fastify();
      await app.register(policyPlugin, { enforce });
      await app.register(async (scope) => {
        scope.get('/x', { schema: { operationId, ...(secured ? { security: [{ bearerAuth: [] }] } : {}) } }, async () => ({}));
      });
      try {
        await app.ready();
      } finally {
        await app.close();
      }
    };
    await expect(build('listUnicorns', false)).rejects.toThrow(/listUnicorns has no entry/);
    await expect(build('getMe', false)).rejects.toThrow(/getMe is public, but/);
    await expect(build('getHealth', true)).rejects.toThrow(/getHealth requires a token, but/);
    await expect(build('getMe', true)).resolves.toBeUndefined();
    await expect(build('listUnicorns', false, false)).resolves.toBeUndefined();
  });
});

describe.each(OPERATIONS.map((op) => [`${op.operationId} (${op.method} ${op.path})`, op] as const))('%s', (_title, op) => {
  const policy = policyOf(POLICY, op.operationId);
  if (!policy) {
    it('has an entry in the authorization table', () => {
      expect.fail(`${op.operationId} is in openapi.json but not in src/lib/policy.table.ts`);
    });
    return;
  }
  const named = casesOf(policy).map((c) => [`${c.role}${c.relation ? ` on ${c.relation} ${policy.subject}` : ''} → ${describeOutcome(c.expected)}`, c] as const);
  it.each(named)('%s', async (_name, { role, relation, expected }) => {
    const { user, row, parts } = await prepare(op, policy, role, relation);
    const answer = await send(op, parts, user, row);
    const matches = expected === 'allow' ? answer.status >= 200 && answer.status < 300 : answer.status === expected;
    expect(matches, `${op.operationId} as ${role}${relation ? ` on ${relation} row` : ''}: expected ${describeOutcome(expected)}, got ${answer.status} ${answer.body.slice(0, 400)}`).toBe(true);
    if (answer.status >= 400) expect(answer.contentType).toMatch(/^application\/problem\+json/);
    const sentBody = parts.body !== undefined || parts.upload !== undefined;
    expect(oracle.check(specOperations.get(op.operationId)!, { status: answer.status, headers: answer.headers, text: answer.body }, { routed: true, sentBody })).toEqual([]);
  });
});

/** Fields a client must never set: who owns a row, its state, its identity and its bookkeeping. */
const SERVER_OWNED = ['id', 'status', 'organizationId', 'ownerId', 'registrationNumber', 'version', 'createdAt', 'updatedAt', 'createdBy', 'paddle', 'paddleNumber', 'isAdmin', 'role'];

function forgedValue(key: string): unknown {
  if (key === 'id' || key.endsWith('Id')) return w.other.enterprise.organizationId;
  if (/(At|On)$/.test(key)) return '2026-01-01T00:00:00.000Z';
  if (/^is[A-Z]/.test(key)) return true;
  if (key === 'status') return 'published';
  if (key === 'role') return 'admin';
  if (key === 'registrationNumber') return '2026230100000001';
  if (['version', 'paddle', 'paddleNumber', 'revision'].includes(key)) return 1;
  return 'forged';
}

/** Every table's content, hashed: a refused request must leave all of them as they were. */
async function snapshot(): Promise<Record<string, string>> {
  const { rows: tables } = await ctx.db.pool.query<{ name: string }>(
    "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1",
  );
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const { rows } = await ctx.db.pool.query<{ h: string }>(`select md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as h from "${name}" t`);
    out[name] = rows[0]!.h;
  }
  return out;
}

/** The first caller the table lets through, on its own row where it has one. */
function allowedCase(policy: OperationPolicy): MatrixCase {
  const found = casesOf(policy).find((c) => c.expected === 'allow' && c.role !== 'anonymous') ?? casesOf(policy).find((c) => c.expected === 'allow');
  if (!found) throw new Error('no caller is allowed');
  return found;
}

/** Paths of the objects in a schema that accept keys they do not declare. */
function openObjects(schema: Schema | undefined, at: string, seen = new Set<Schema>()): string[] {
  const s = resolve(schema);
  if (!s || seen.has(s)) return [];
  seen.add(s);
  const own = (s.type === 'object' || s.properties) && (s as { additionalProperties?: unknown }).additionalProperties !== false ? [at || '(body)'] : [];
  const nested = [
    ...Object.entries(s.properties ?? {}).flatMap(([k, v]) => openObjects(v, `${at}.${k}`, seen)),
    ...(s.anyOf ?? []).flatMap((v) => openObjects(v, at, seen)),
    ...openObjects((s as { items?: Schema }).items, `${at}[]`, seen),
  ];
  return [...own, ...nested];
}

describe('mass assignment', () => {
  it('every object in every JSON request body refuses undeclared keys (additionalProperties: false)', () => {
    const open = Object.values(spec.paths).flatMap((methods) =>
      Object.values(methods)
        .filter((o) => typeof o === 'object' && o.operationId && o.requestBody?.content['application/json'])
        .flatMap((o) => openObjects(o.requestBody!.content['application/json']!.schema, '').map((p) => `${o.operationId} ${p}`)),
    );
    expect(open).toEqual([]);
  });

  const targets = OPERATIONS.filter((o) => o.bodyProperties !== null && policyOf(POLICY, o.operationId) !== undefined);

  it.each(targets.map((op) => [op.operationId, op] as const))('%s refuses server-owned fields with 400 and changes nothing', async (_id, op) => {
    const policy = policyOf(POLICY, op.operationId)!;
    const { role, relation } = allowedCase(policy);
    const { user, row, parts } = await prepare(op, policy, role, relation);
    const forged = [...new Set([...SERVER_OWNED, ...op.responseProperties])].filter((k) => !op.bodyProperties!.includes(k));
    expect(forged.length).toBeGreaterThan(0);
    const before = await snapshot();
    for (const key of forged) {
      const answer = await send(op, { ...parts, body: { ...parts.body, [key]: forgedValue(key) } }, user, row);
      expect(answer.status, `${op.operationId} as ${role} with ${key}: ${answer.body.slice(0, 300)}`).toBe(400);
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(answer.body)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    }
    // Nested objects too: a sum of money carrying a forged key is refused, not cleaned.
    const moneyKey = Object.entries(parts.body ?? {}).find(([, v]) => typeof v === 'object' && v !== null && 'amount' in v && 'currency' in v)?.[0];
    if (moneyKey) {
      const nested = { ...parts.body, [moneyKey]: { ...(parts.body as Record<string, object>)[moneyKey], status: 'paid' } };
      const answer = await send(op, { ...parts, body: nested }, user, row);
      expect(answer.status, `${op.operationId} with ${moneyKey}.status: ${answer.body.slice(0, 300)}`).toBe(400);
    }
    expect(await snapshot()).toEqual(before);
    // Without the forged fields the same request goes through: the 400s were about them alone.
    const answer = await send(op, parts, user, row);
    expect(answer.status, answer.body.slice(0, 400)).toBeGreaterThanOrEqual(200);
    expect(answer.status).toBeLessThan(300);
  });
});
