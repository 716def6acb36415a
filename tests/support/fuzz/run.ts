import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type { createOracle, Observed, Violation } from './oracle.js';
import { requestArbitrary, type FuzzRequest } from './requests.js';
import { collectionOf, type Operation, type Schema } from './spec.js';
import type { FuzzState } from './state.js';

export interface Finding {
  violation: Violation;
  request: FuzzRequest;
  actor: string;
  status: number;
  seed: number;
}

export interface OperationReport {
  op: Operation;
  requests: number;
  statuses: Record<number, number>;
  /** problem codes of the 4xx answers, e.g. "403 OWNER_ONLY" */
  codes: Record<string, number>;
  /** valid requests answered 400: the documented schema accepts what the server refuses */
  validRejected: { url: string; payload: string; detail: string }[];
  findings: Finding[];
  ms: number;
  /** the slowest requests, for budgeting runs */
  slowest: { label: string; ms: number; status: number }[];
}

const STRATEGIES = ['owner', 'admin', 'university', 'institute', 'enterprise', 'broker', 'anonymous'] as const;
type Strategy = (typeof STRATEGIES)[number];
const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const BATCH = 8;
const REQUEST_TIMEOUT_MS = 20_000;

/** A 32-bit seed for one batch of one operation, stable for a given run seed. */
export function batchSeed(runSeed: number, opId: string, batch: number): number {
  return createHash('sha256').update(`${runSeed}:${opId}:${batch}`).digest().readInt32LE(0);
}

/**
 * Sends `runs` generated requests to one operation through app.inject and checks each response
 * against the contract. The sender is learned per operation: whoever is refused (401/403) less
 * often is chosen more often, and a request naming a row is mostly sent by the row's owner, so
 * admin-only operations end up exercised as admin and owner operations as the owner.
 */
export async function fuzzOperation(
  app: FastifyInstance,
  op: Operation,
  deps: { deref: (s: Schema) => Schema; state: FuzzState; oracle: ReturnType<typeof createOracle>; runSeed: number; runs: number },
): Promise<OperationReport> {
  const { state, oracle } = deps;
  const started = performance.now();
  const report: OperationReport = { op, requests: 0, statuses: {}, codes: {}, validRejected: [], findings: [], ms: 0, slowest: [] };
  const tries = Object.fromEntries(STRATEGIES.map((s) => [s, 0])) as Record<Strategy, number>;
  const admitted = Object.fromEntries(STRATEGIES.map((s) => [s, 0])) as Record<Strategy, number>;
  const streams = [...op.responses.values()].some((c) => c.has('text/event-stream'));

  for (let batch = 0; report.requests < deps.runs; batch++) {
    const seed = batchSeed(deps.runSeed, op.id, batch);
    const n = Math.min(BATCH, deps.runs - report.requests);
    const requests = fc.sample(requestArbitrary(op, deps.deref, state, oracle.accepts), { seed, numRuns: n });
    // Senders are chosen before the batch goes out, so a batch is the same whatever order its answers come in.
    const planned = requests.map((req) => {
      const owner = ownerOf(req, state);
      const strategy = choose(req.actorPick, op, tries, admitted, owner !== undefined);
      const actorKey = strategy === 'owner' ? owner! : strategy === 'anonymous' ? undefined : strategy;
      const headers = { ...req.headers };
      if (actorKey && headers.authorization === undefined) headers.authorization = state.actors.get(actorKey)!.authorization;
      return { req, strategy, actorKey, headers };
    });
    // The batch runs concurrently: database round trips overlap, and racing writes to the same rows are part of the test.
    const answered = await Promise.all(
      planned.map(async (p) => {
        const t0 = performance.now();
        const res = await send(app, p.req, p.headers, streams);
        return { ...p, res, ms: Math.round(performance.now() - t0) };
      }),
    );
    for (const { req, strategy, actorKey, res, ms } of answered) {
      report.slowest.push({ label: req.label, ms, status: res.status });
      report.requests += 1;
      report.statuses[res.status] = (report.statuses[res.status] ?? 0) + 1;
      const code = res.status >= 400 ? /"code":"([A-Z0-9_]+)"/.exec(res.text)?.[1] : undefined;
      if (code) report.codes[`${res.status} ${code} as ${strategy}`] = (report.codes[`${res.status} ${code} as ${strategy}`] ?? 0) + 1;
      // Only answers given after validation say anything about who may call the operation.
      if (res.status !== 400 && res.status !== 413 && res.status !== 415) {
        tries[strategy] += 1;
        if (res.status !== 401 && res.status !== 403) admitted[strategy] += 1;
      }
      for (const violation of oracle.check(op, res, { routed: req.routed, sentBody: req.payload !== undefined || req.headers['content-type'] !== undefined })) {
        report.findings.push({ violation, request: req, actor: actorKey ?? 'anonymous', status: res.status, seed });
      }
      if (req.label === 'valid' && res.status === 400) {
        report.validRejected.push({ url: req.url, payload: String(req.payload ?? '').slice(0, 400), detail: res.text.slice(0, 400) });
      }
      if (res.status >= 200 && res.status < 300 && String(res.headers['content-type'] ?? '').startsWith('application/json')) {
        try {
          state.harvest(op, res.status, JSON.parse(res.text), actorKey);
        } catch {
          // the oracle reports an unparsable body
        }
      }
    }
    report.slowest = report.slowest.sort((a, b) => b.ms - a.ms).slice(0, 3);
  }
  report.ms = performance.now() - started;
  return report;
}

function ownerOf(req: FuzzRequest, state: FuzzState): string | undefined {
  const path = req.url.split('?')[0]!;
  for (const id of path.match(UUIDS) ?? []) {
    const owner = state.ownerOf(id);
    if (owner) return owner;
  }
  if (typeof req.payload === 'string') {
    for (const id of req.payload.slice(0, 20_000).match(UUIDS) ?? []) {
      const owner = state.ownerOf(id);
      if (owner) return owner;
    }
  }
  return undefined;
}

function choose(pick: number, op: Operation, tries: Record<Strategy, number>, admitted: Record<Strategy, number>, hasOwner: boolean): Strategy {
  const weights = STRATEGIES.map((s) => {
    if (s === 'owner' && !hasOwner) return 0;
    const rate = (admitted[s] + 1) / (tries[s] + 2);
    let w = rate * rate;
    if (s === 'owner') w *= 2;
    // Anonymous calls to secured operations only need to show their 401 now and then.
    if (s === 'anonymous') w *= op.secured ? 0.05 : 0.5;
    return w;
  });
  const total = weights.reduce((a, b) => a + b, 0);
  let x = pick * total;
  for (let i = 0; i < STRATEGIES.length; i++) {
    x -= weights[i]!;
    if (x < 0) return STRATEGIES[i]!;
  }
  return 'admin';
}

async function send(app: FastifyInstance, req: FuzzRequest, headers: Record<string, string>, streams: boolean): Promise<Observed> {
  const call = app.inject({
    method: req.method as 'GET',
    url: req.url,
    headers,
    ...(req.payload === undefined ? {} : { payload: req.payload }),
    ...(streams ? { payloadAsStream: true } : {}),
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no response within ${REQUEST_TIMEOUT_MS} ms: ${req.method} ${req.url.slice(0, 200)}`)), REQUEST_TIMEOUT_MS);
  });
  try {
    const res = await Promise.race([call, timeout]);
    let text: string;
    if (streams) {
      const stream = res.stream() as Readable;
      if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        // An open event stream: what it sent first is enough; leaving ends the subscription.
        text = await firstChunk(stream);
        stream.destroy();
      } else {
        text = await readAll(stream);
      }
    } else {
      text = res.payload;
    }
    return { status: res.statusCode, headers: res.headers, text };
  } finally {
    clearTimeout(timer);
  }
}

function firstChunk(stream: Readable): Promise<string> {
  return new Promise((resolve) => {
    const done = (chunk?: unknown) => resolve(chunk === undefined ? '' : String(chunk));
    stream.once('data', done);
    stream.once('end', () => done());
    stream.once('error', () => done());
  });
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Before fuzzing: reads every GET operation once per known row, as the row's owner and as admin,
 * so the state holds real rows (ids, values, whole objects) before the first write is generated.
 */
export async function warmUp(app: FastifyInstance, ops: Operation[], state: FuzzState): Promise<number> {
  let harvested = 0;
  for (const op of ops) {
    if (op.method !== 'GET' || [...op.responses.values()].some((c) => c.has('text/event-stream'))) continue;
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const choices = params.map((p) => state.idsForName(p, collectionOf(op.path, p)).slice(0, 3));
    if (choices.some((c) => c.length === 0)) continue;
    const urls = params.length === 0 ? [op.path] : choices[0]!.map((_, i) => params.reduce((url, p, j) => url.replace(`{${p}}`, choices[j]![i % choices[j]!.length]!), op.path));
    for (const url of urls) {
      const owner = (url.match(UUIDS) ?? []).map((id) => state.ownerOf(id)).find(Boolean);
      for (const key of new Set([owner, 'admin'].filter((k): k is string => k !== undefined))) {
        const res = await app.inject({ method: 'GET', url, headers: { authorization: state.actors.get(key)!.authorization } });
        if (res.statusCode === 200 && String(res.headers['content-type']).startsWith('application/json')) {
          state.harvest(op, 200, res.json(), key);
          harvested += 1;
        }
      }
    }
  }
  return harvested;
}
