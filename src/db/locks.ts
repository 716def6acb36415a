import { sql } from 'drizzle-orm';
import type { Tx } from './client.js';

/**
 * Namespaces of the two-key advisory locks (pg_advisory_xact_lock(int4, int4)); the two-key space
 * never collides with single-bigint keys such as the migration lock.
 */
const LISTING_JOURNAL = 0x4c4a524e; // 'LJRN'

/**
 * Serialises the per-listing journals (the audit chain and the live event stream) until the
 * caller's transaction ends. Both take the same lock, so a transaction that appends to the audit
 * chain and publishes an event cannot deadlock with one that does the two in the other order.
 * hashtext() may map two listings to one key: they then wait for each other, never more.
 */
export async function lockListingJournal(tx: Tx, listingId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${sql.raw(String(LISTING_JOURNAL))}, hashtext(${listingId}))`);
}
