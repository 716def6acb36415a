import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from './client.js';

/**
 * Namespaces of the two-key advisory locks (pg_advisory_xact_lock(int4, int4)); the two-key space
 * never collides with single-bigint keys such as the migration lock.
 */
const LISTING_JOURNAL = 0x4c4a524e; // 'LJRN'

/**
 * Journal locks this transaction already holds, so that an audit append followed by a live event
 * (or a bid that took the lock with its row lock) costs one lock round trip, not one per call.
 * Keyed by the transaction object: a savepoint's object is a different one, and forgetJournalLocks
 * covers a ROLLBACK TO SAVEPOINT issued by hand.
 */
const held = new WeakMap<Tx, Set<string>>();

/**
 * Serialises the per-listing journals (the audit chain and the live event stream) until the
 * caller's transaction ends. Both take the same lock, so a transaction that appends to the audit
 * chain and publishes an event cannot deadlock with one that does the two in the other order.
 * hashtext() may map two listings to one key: they then wait for each other, never more.
 */
export async function lockListingJournal(tx: Tx, listingId: string): Promise<void> {
  if (held.get(tx)?.has(listingId)) return;
  await tx.execute(sql`select ${listingJournalLock(listingId)}`);
  noteListingJournalLocked(tx, listingId);
}

/**
 * The same lock as an expression, to take it inside a statement that does other work (a bid's
 * write), saving a round trip. Only in a transaction that already holds its row locks, so the
 * order row → journal is kept; call noteListingJournalLocked once that statement has run. The id
 * may be an SQL expression of type text (the id column of the locked row).
 */
export const listingJournalLock = (listingId: string | SQL): SQL => sql`pg_advisory_xact_lock(${sql.raw(String(LISTING_JOURNAL))}, hashtext(${listingId}))`;

export function noteListingJournalLocked(tx: Tx, listingId: string): void {
  const set = held.get(tx) ?? new Set<string>();
  set.add(listingId);
  held.set(tx, set);
}

/**
 * After ROLLBACK TO SAVEPOINT: locks taken since the savepoint were released with it. Forgets all
 * of the transaction's; one taken before the savepoint is still held, and taking it again is free
 * of effect.
 */
export function forgetJournalLocks(tx: Tx): void {
  held.delete(tx);
}
