import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../../db/client.js';
import { listingJournalLock, noteListingJournalLocked } from '../../db/locks.js';
import { listingRegistrations } from '../listings/listings.tables.js';
import { auctions, bids } from './auctions.tables.js';

export type AuctionRow = typeof auctions.$inferSelect;
export type BidRow = typeof bids.$inferSelect;
type RegistrationRow = typeof listingRegistrations.$inferSelect;

/** All SQL of auctions and bids. */
export const auctionsRepo = {
  async insert(db: Executor, row: typeof auctions.$inferInsert): Promise<AuctionRow> {
    const [out] = await db.insert(auctions).values(row).returning();
    return out!;
  },

  async findForUpdate(db: Executor, listingId: string): Promise<AuctionRow | undefined> {
    const [row] = await db.select().from(auctions).where(eq(auctions.listingId, listingId)).for('update');
    return row;
  },

  /**
   * The bid path's one read: locks the auction row (the lock every bid and the close take) and
   * brings the bidder's registration along. Registrations change only under the listing lock, and
   * only during notice (or by an admin's deposit decision), so reading it here is consistent.
   */
  async lockForBid(db: Executor, listingId: string, organizationId: string): Promise<{ auction: AuctionRow; registration: RegistrationRow | null } | undefined> {
    const [row] = await db
      .select({ auction: auctions, registration: listingRegistrations })
      .from(auctions)
      .leftJoin(listingRegistrations, and(eq(listingRegistrations.listingId, auctions.listingId), eq(listingRegistrations.organizationId, organizationId)))
      .where(eq(auctions.listingId, listingId))
      .for('update', { of: auctions });
    return row;
  },

  async update(db: Executor, listingId: string, patch: Partial<Omit<AuctionRow, 'listingId'>>): Promise<AuctionRow> {
    const [row] = await db.update(auctions).set(patch).where(eq(auctions.listingId, listingId)).returning();
    return row!;
  },

  /**
   * An accepted bid in one statement (the caller holds the auction lock from lockForBid): the bid
   * row, the auction's new price, count, leader and end, and the listing's journal lock, which
   * audit.append and live.publish then find held. Row lock first, journal lock second: the order
   * every writer of a listing's journal keeps. Every statement under the auction lock delays the
   * next bid, so there is one here instead of three; it is written out rather than composed from
   * query builders, which cost more CPU than the statement itself on this path.
   */
  async recordBid(tx: Tx, bid: BidRow, next: { endsAt: Date; extensions: number; updatedAt: Date }): Promise<void> {
    await tx.execute(sql`
      with inserted as (
        insert into ${bids} (id, listing_id, registration_id, organization_id, user_id, paddle, amount_fen, seq, placed_at)
        values (${bid.id}, ${bid.listingId}, ${bid.registrationId}, ${bid.organizationId}, ${bid.userId}, ${bid.paddle}, ${bid.amountFen}, ${bid.seq},
                ${bid.placedAt.toISOString()}::timestamptz)
      ), updated as (
        update ${auctions} set current_price_fen = ${bid.amountFen}, bid_count = ${bid.seq}, leading_bid_id = ${bid.id},
          leading_registration_id = ${bid.registrationId}, leading_paddle = ${bid.paddle}, ends_at = ${next.endsAt.toISOString()}::timestamptz,
          extensions = ${next.extensions}, updated_at = ${next.updatedAt.toISOString()}::timestamptz
        where listing_id = ${bid.listingId}
      )
      select ${listingJournalLock(bid.listingId)}`);
    noteListingJournalLocked(tx, bid.listingId);
  },

  /** Highest first; keyset on the amount, which is unique per auction. */
  async listBids(db: Executor, q: { listingId: string; belowAmount?: number | undefined; limit: number }): Promise<BidRow[]> {
    return db
      .select()
      .from(bids)
      .where(and(eq(bids.listingId, q.listingId), q.belowAmount === undefined ? undefined : lt(bids.amountFen, q.belowAmount)))
      .orderBy(desc(bids.amountFen))
      .limit(q.limit + 1);
  },

  async countBids(db: Executor, listingId: string): Promise<number> {
    const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(bids).where(eq(bids.listingId, listingId));
    return row?.n ?? 0;
  },
};

export type AuctionsRepo = typeof auctionsRepo;
