import { createHash } from 'node:crypto';
import { z } from 'zod';
import { and, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { forgetJournalLocks } from '../db/locks.js';
import { idempotencyKeys } from '../modules/idempotency/idempotency.tables.js';
import { AppError, conflict, unprocessable } from './errors.js';
import { canonicalJson, toJsonValue } from './json.js';

/** How long a key answers for its first request (Stripe keeps them 24 hours). */
export const IDEMPOTENCY_RETENTION_MS = 24 * 3_600_000;

export interface IdempotencyRequest {
  userId: string;
  /** the client's Idempotency-Key header */
  key: string;
  /** the operation and its target, e.g. `POST /v1/listings/<id>/bids` */
  scope: string;
  /** the validated request body */
  body: unknown;
}

export interface IdempotentOutcome<T> {
  status: number;
  body: T;
  /** true when this is the stored answer to an earlier request with the same key */
  replayed: boolean;
}

const requestHash = (scope: string, body: unknown) =>
  createHash('sha256').update(scope).update('\n').update(canonicalJson(toJsonValue(body ?? {}))).digest('hex');

// 401 and 429 mean the request never ran; 5xx are not answers. Every other 4xx from the work is
// the request's answer and is replayed like a success (Stripe does the same).
const isStoredError = (err: unknown): err is AppError => err instanceof AppError && err.status >= 400 && err.status < 500 && err.status !== 401 && err.status !== 429;

const REPLAYED = { 'idempotent-replayed': 'true' } as const;

/** Another request with the same key committed between this one's lookup and its lock (see below). */
class KeyTakenMeanwhile extends Error {}

/**
 * Runs `work` in a transaction, once per Idempotency-Key (Stripe semantics):
 * - the first request runs and its answer (success or business error) is stored in the SAME
 *   transaction as its effects, so a crash never leaves effects without the record or the reverse;
 * - the same key with the same body replays the stored answer (`replayed: true`);
 * - the same key with another body or operation → 422 IDEMPOTENCY_KEY_REUSED;
 * - the same key while the first request is still running → 409 IDEMPOTENCY_IN_FLIGHT.
 * In-flight detection is a transaction-scoped advisory lock on (user, key): it is held exactly as
 * long as the first request's transaction and vanishes with it, even if the process dies.
 * Without a key the work simply runs in a transaction.
 *
 * Round trips (they are most of a bid's cost): the lock and the lookup are one statement, and the
 * work's savepoint is not released (COMMIT keeps it). That statement's snapshot is taken before
 * its lock, so a same-key request committing in between is not seen; the record's primary key
 * then refuses this one's insert, the transaction (effects included) rolls back, and the request
 * is run again, which replays the stored answer.
 */
export async function runIdempotent<T>(db: Db, req: IdempotencyRequest | undefined, successStatus: number, work: (tx: Tx) => Promise<T>): Promise<IdempotentOutcome<T>> {
  if (!req) return { status: successStatus, body: await db.transaction(work), replayed: false };
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnce(db, req, successStatus, work);
    } catch (err) {
      if (!(err instanceof KeyTakenMeanwhile) || attempt >= 3) throw err;
    }
  }
}

async function runOnce<T>(db: Db, req: IdempotencyRequest, successStatus: number, work: (tx: Tx) => Promise<T>): Promise<IdempotentOutcome<T>> {
  const hash = requestHash(req.scope, req.body);
  const result = await db.transaction(async (tx) => {
    const found = await tx.execute<{ locked: boolean; request_hash: string | null; response_status: number | null; response_body: unknown; expires_at: Date | string | null }>(sql`
      select pg_try_advisory_xact_lock(hashtextextended(${`${req.userId}\n${req.key}`}, 7261002)) as locked,
             k.request_hash, k.response_status, k.response_body, k.expires_at
      from (select 1) as one
      left join ${idempotencyKeys} as k on k.user_id = ${req.userId} and k.key = ${req.key}`);
    const row = found.rows[0]!;
    if (!row.locked) throw conflict('IDEMPOTENCY_IN_FLIGHT', 'A request with this Idempotency-Key is still being processed; retry shortly');
    const realNow = new Date(); // retention is real time: a sandbox clock jump must not expire keys
    if (row.request_hash !== null && new Date(row.expires_at!) > realNow) {
      if (row.request_hash !== hash) {
        throw unprocessable('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request; use a new key for a new request');
      }
      return { kind: 'stored' as const, status: row.response_status!, body: row.response_body };
    }
    if (row.request_hash !== null) await tx.delete(idempotencyKeys).where(and(eq(idempotencyKeys.userId, req.userId), eq(idempotencyKeys.key, req.key)));

    let answer: { status: number; body: unknown };
    let failure: AppError | undefined;
    // A savepoint: a business error undoes the work but keeps the transaction for the record.
    await tx.execute(sql`savepoint idempotent_work`);
    try {
      answer = { status: successStatus, body: await work(tx) };
    } catch (err) {
      if (!isStoredError(err)) throw err;
      await tx.execute(sql`rollback to savepoint idempotent_work`);
      forgetJournalLocks(tx);
      failure = err;
      answer = { status: err.status, body: { code: err.code, message: err.message, ...(err.errors ? { errors: err.errors } : {}) } };
    }
    const stored = await tx
      .insert(idempotencyKeys)
      .values({
        userId: req.userId,
        key: req.key,
        scope: req.scope,
        requestHash: hash,
        responseStatus: answer.status,
        responseBody: toJsonValue(answer.body ?? null),
        createdAt: realNow,
        expiresAt: new Date(realNow.getTime() + IDEMPOTENCY_RETENTION_MS),
      })
      .onConflictDoNothing();
    if (stored.rowCount === 0) throw new KeyTakenMeanwhile();
    return failure ? { kind: 'failed' as const, error: failure } : { kind: 'fresh' as const, status: answer.status, body: answer.body };
  });
  if (result.kind === 'failed') throw result.error;
  if (result.kind === 'fresh') return { status: result.status, body: result.body as T, replayed: false };
  if (result.status >= 400) {
    const stored = result.body as { code: string; message: string; errors?: { path: string; message: string }[] };
    throw new AppError(result.status, stored.code, stored.message, stored.errors, REPLAYED);
  }
  return { status: result.status, body: result.body as T, replayed: true };
}

/** One request's fate in a batch: its outcome, or the error it is answered with. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A stored record as lookupQuery returns it. */
export interface StoredAnswer {
  userId: string;
  key: string;
  requestHash: string;
  status: number;
  body: unknown;
  expiresAt: string;
}

const lockKey = (userId: string, key: string) => `${userId}\n${key}`;

/**
 * Idempotency-Key semantics for many requests answered by ONE transaction (the bid batch of
 * src/modules/auctions/auctions.service.ts), giving each request the answer runIdempotent would
 * have given it had the requests run one after another in this order. The caller runs:
 * 1. `lockExpression()` in one statement: try-locks of the batch's distinct (user, key) pairs,
 *    the same locks runIdempotent takes, so both detect each other's requests in flight;
 * 2. `lookupQuery()` in a LATER statement, whose snapshot therefore follows the locks: a request
 *    with the same key cannot commit unseen between lookup and lock (runIdempotent's retry case);
 * 3. `load(...)`, then for each request in order `verdict(i)`: an answer already decided (409 in
 *    flight, 422 reused key, a replay of a stored answer or of an earlier request of the same
 *    batch), or `run`, after which `settle(i, …)` records what the request did;
 * 4. `storeStatement()` in the same transaction as the work, so records exist iff the work commits.
 * Two requests with one key in one batch: the first runs, the second replays its answer (the
 * batch commits before either is answered, so the replay is true when it is sent) or gets 422.
 */
export class IdempotencyBatch<T> {
  private readonly keyOf: (string | null)[];
  private readonly hashOf: (string | null)[];
  /** distinct lock keys in first-seen order, the order of lockExpression's booleans */
  private readonly distinct: string[];
  private readonly locked = new Map<string, boolean>();
  /** the answer each key already has: a stored record, or an earlier request of this batch */
  private readonly previous = new Map<string, { hash: string; status: number; body: unknown }>();
  private readonly records: { userId: string; key: string; scope: string; requestHash: string; responseStatus: number; responseBody: unknown }[] = [];
  private realNow = new Date();

  constructor(
    private readonly requests: readonly (IdempotencyRequest | undefined)[],
    private readonly successStatus: number,
  ) {
    this.keyOf = requests.map((r) => (r ? lockKey(r.userId, r.key) : null));
    this.hashOf = requests.map((r) => (r ? requestHash(r.scope, r.body) : null));
    this.distinct = [...new Set(this.keyOf.filter((k) => k !== null))];
  }

  /** A boolean[] expression (one per distinct key) taking the try-locks; null when no request has a key. */
  lockExpression(): SQL | null {
    if (this.distinct.length === 0) return null;
    return sql`(select array_agg(pg_try_advisory_xact_lock(hashtextextended(k.value, 7261002)) order by k.ordinality)
      from jsonb_array_elements_text(${JSON.stringify(this.distinct)}::jsonb) with ordinality as k)`;
  }

  /** A json expression: the stored records of the batch's keys; null when no request has a key. */
  lookupQuery(): SQL | null {
    if (this.distinct.length === 0) return null;
    const pairs = this.requests.flatMap((r) => (r ? [{ user_id: r.userId, key: r.key }] : []));
    // One primary-key probe per key: a plain join (or a LATERAL one the planner flattens, hence
    // the limit) lets the planner hash the keys, estimated at 100 rows as for any set-returning
    // function, and scan the whole table, which grows all day.
    return sql`(select coalesce(json_agg(json_build_object('userId', k.user_id, 'key', k.key, 'requestHash', k.request_hash, 'status', k.response_status,
        'body', k.response_body, 'expiresAt', k.expires_at)), '[]'::json)
      from (select distinct user_id, key from jsonb_to_recordset(${JSON.stringify(pairs)}::jsonb) as x(user_id uuid, key text)) as x
      cross join lateral (select * from ${idempotencyKeys} as k where k.user_id = x.user_id and k.key = x.key limit 1) as k)`;
  }

  /** The results of lockExpression and lookupQuery. */
  load(locked: readonly boolean[] | null, stored: readonly StoredAnswer[] | null): void {
    this.distinct.forEach((k, i) => this.locked.set(k, locked?.[i] === true));
    this.realNow = new Date(); // retention is real time: a sandbox clock jump must not expire keys
    for (const s of stored ?? []) {
      if (new Date(s.expiresAt) > this.realNow) this.previous.set(lockKey(s.userId, s.key), { hash: s.requestHash, status: s.status, body: s.body });
    }
  }

  /** Request i's answer when its key already decides it; `run` when the work must run. */
  verdict(i: number): 'run' | Settled<IdempotentOutcome<T>> {
    const k = this.keyOf[i];
    if (k === null || k === undefined) return 'run';
    if (!this.locked.get(k)) return { ok: false, error: conflict('IDEMPOTENCY_IN_FLIGHT', 'A request with this Idempotency-Key is still being processed; retry shortly') };
    const previous = this.previous.get(k);
    if (!previous) return 'run';
    if (previous.hash !== this.hashOf[i]) {
      return { ok: false, error: unprocessable('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request; use a new key for a new request') };
    }
    if (previous.status >= 400) {
      const stored = previous.body as { code: string; message: string; errors?: { path: string; message: string }[] };
      return { ok: false, error: new AppError(previous.status, stored.code, stored.message, stored.errors, REPLAYED) };
    }
    return { ok: true, value: { status: previous.status, body: previous.body as T, replayed: true } };
  }

  /** Records what request i did when it ran (verdict `run`) and returns its answer. */
  settle(i: number, result: Settled<T>): Settled<IdempotentOutcome<T>> {
    const k = this.keyOf[i];
    const req = this.requests[i];
    if (result.ok) {
      if (k && req) this.remember(k, req, i, this.successStatus, result.value);
      return { ok: true, value: { status: this.successStatus, body: result.value, replayed: false } };
    }
    if (k && req && isStoredError(result.error)) {
      const e = result.error;
      this.remember(k, req, i, e.status, { code: e.code, message: e.message, ...(e.errors ? { errors: e.errors } : {}) });
    }
    return result;
  }

  private remember(k: string, req: IdempotencyRequest, i: number, status: number, body: unknown): void {
    const hash = this.hashOf[i]!;
    const stored = toJsonValue(body ?? null);
    this.previous.set(k, { hash, status, body: stored });
    this.records.push({ userId: req.userId, key: req.key, scope: req.scope, requestHash: hash, responseStatus: status, responseBody: stored });
  }

  /**
   * The insert of the answers recorded by settle, as one statement for the caller's transaction;
   * null when there are none. A row already there for a key is an expired record (load saw it,
   * and the key's lock has been held since): it is replaced, as runIdempotent deletes it first.
   */
  storeStatement(): SQL | null {
    if (this.records.length === 0) return null;
    const expiresAt = new Date(this.realNow.getTime() + IDEMPOTENCY_RETENTION_MS).toISOString();
    const rows = this.records.map((r) => ({
      user_id: r.userId,
      key: r.key,
      scope: r.scope,
      request_hash: r.requestHash,
      response_status: r.responseStatus,
      response_body: r.responseBody,
    }));
    return sql`insert into ${idempotencyKeys} (user_id, key, scope, request_hash, response_status, response_body, created_at, expires_at)
      select x.user_id, x.key, x.scope, x.request_hash, x.response_status, x.response_body, ${this.realNow.toISOString()}::timestamptz, ${expiresAt}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(user_id uuid, key text, scope text, request_hash text, response_status int, response_body jsonb)
      on conflict (user_id, key) do update set scope = excluded.scope, request_hash = excluded.request_hash, response_status = excluded.response_status,
        response_body = excluded.response_body, created_at = excluded.created_at, expires_at = excluded.expires_at`;
  }
}

/** Deletes up to `limit` expired records; returns how many. */
export async function purgeExpiredIdempotencyKeys(db: Db, limit = 1000): Promise<number> {
  const res = await db.execute(
    sql`delete from ${idempotencyKeys} where ctid in (select ctid from ${idempotencyKeys} where ${lt(idempotencyKeys.expiresAt, new Date())} limit ${limit})`,
  );
  return res.rowCount ?? 0;
}

/** The request header, for route schemas. */
export const IdempotencyKeyHeaderSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
  .optional()
  .describe('Idempotency-Key (Stripe semantics): the same key with the same body replays the first answer; another body → 422; while the first runs → 409');

/** Marks a replayed answer the way Stripe does. */
export const REPLAYED_HEADER = 'idempotent-replayed';
