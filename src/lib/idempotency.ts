import { createHash } from 'node:crypto';
import { z } from 'zod';
import { and, eq, lt, sql } from 'drizzle-orm';
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
