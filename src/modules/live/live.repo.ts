import { and, asc, eq, gt, sql, type SQL } from 'drizzle-orm';
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

  /**
   * Events inserted in the given order (ids follow it), as a statement returning (id, listing_id)
   * for the caller to run inside a WITH of its own; notifyNewest then notifies their listings.
   */
  insertManyStatement(rows: readonly { listingId: string; type: string; data: Record<string, unknown>; createdAt: Date }[]): SQL {
    const values = rows.map((r) => ({ listing_id: r.listingId, type: r.type, data: r.data, created_at: r.createdAt.toISOString() }));
    return sql`insert into ${e} (listing_id, type, data, created_at)
      select x.listing_id, x.type, x.data, x.created_at
      from rows from (jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as (listing_id uuid, type text, data jsonb, created_at timestamptz))
        with ordinality as x(listing_id, type, data, created_at, ord)
      order by x.ord
      returning id, listing_id`;
  },

  /**
   * One notification per listing naming its newest event among `inserted` (rows of
   * insertManyStatement): a notification says "listing L has events up to N", and every process's
   * hub reads all events after the last one it has, so one per statement is enough.
   */
  notifyNewest: (inserted: SQL): SQL =>
    sql`select pg_notify(${LISTING_EVENTS_CHANNEL}, json_build_object('listingId', listing_id, 'id', max(id))::text) from ${inserted} group by listing_id`,

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
