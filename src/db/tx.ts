import type { Db, Executor, Tx } from './client.js';

/**
 * Runs fn in a transaction, or inside the caller's transaction when one is passed, so service
 * verbs compose (a listing sale opens a deal in the same transaction).
 */
export async function withTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>, outer?: Executor): Promise<T> {
  if (outer && outer !== db) return fn(outer as Tx);
  return db.transaction(fn);
}
