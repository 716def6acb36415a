import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../../db/client.js';
import { lockListingJournal } from '../../db/locks.js';
import { listingEvents } from './live.tables.js';

export type ListingEventRow = typeof listingEvents.$inferSelect;

/** The NOTIFY channel every process LISTENs on; the payload is {"listingId": uuid, "id": number}. */
export const LISTING_EVENTS_CHANNEL = 'listing_events';

const e = listingEvents;

export const liveRepo = {
  lockStream: (tx: Tx, listingId: string): Promise<void> => lockListingJournal(tx, listingId),

  /** Inserts the event and queues its notification; PostgreSQL delivers it when the transaction commits. */
  async insertAndNotify(tx: Tx, row: { listingId: string; type: string; data: Record<string, unknown>; createdAt: Date }): Promise<number> {
    const result = await tx.execute<{ id: string | number }>(sql`
      with inserted as (
        insert into ${e} (listing_id, type, data, created_at)
        values (${row.listingId}, ${row.type}, ${JSON.stringify(row.data)}::jsonb, ${row.createdAt.toISOString()}::timestamptz)
        returning id, listing_id
      )
      select id, pg_notify(${LISTING_EVENTS_CHANNEL}, json_build_object('listingId', listing_id, 'id', id)::text)
      from inserted`);
    return Number(result.rows[0]!.id);
  },

  /** One listing's events with id > afterId, oldest first. */
  async after(db: Executor, listingId: string, afterId: number, limit: number): Promise<ListingEventRow[]> {
    return db
      .select()
      .from(e)
      .where(and(eq(e.listingId, listingId), gt(e.id, afterId)))
      .orderBy(asc(e.id))
      .limit(limit);
  },

  /** The listing's newest event id, 0 when it has none. */
  async lastId(db: Executor, listingId: string): Promise<number> {
    const [row] = await db
      .select({ id: sql<string | number | null>`max(${e.id})` })
      .from(e)
      .where(eq(e.listingId, listingId));
    return Number(row?.id ?? 0);
  },
};

export type LiveRepo = typeof liveRepo;
