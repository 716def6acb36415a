import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';
import { newId } from '../../src/lib/ids.js';
import { listingRegistrations } from '../../src/modules/listings/listings.tables.js';
import { insertListingRow } from './listing-rows.js';

export interface AuctionTerms {
  startPriceFen: number;
  incrementFen: number;
  reservePriceFen: number | null;
  depositFen: number;
  durationMinutes: number;
  extensionWindowSeconds: number;
  extensionSeconds: number;
}

export const DEFAULT_AUCTION_TERMS: AuctionTerms = {
  startPriceFen: 80_000_000,
  incrementFen: 1_000_000,
  reservePriceFen: 90_000_000,
  depositFen: 5_000_000,
  durationMinutes: 60,
  extensionWindowSeconds: 300,
  extensionSeconds: 300,
};

export interface Party {
  organizationId: string;
  userId: string;
}

export interface ListingDueToOpen {
  listingId: string;
  terms: AuctionTerms;
  /** one per buyer, in the buyers' order: paddles 1, 2, 3 … */
  registrations: { id: string; paddle: number; organizationId: string }[];
}

/**
 * A listing in notice whose notice ends at `dueAt`, with every buyer registered, qualified and
 * its deposit paid, written straight into the tables (hundreds of races and the benches need many
 * of these; the review and registration flow has its own tests). Nothing else is faked: the end
 * of notice — processDue, or a server's own scheduler — opens the auction through the real
 * transition, which copies the terms and writes the audit entry and the feed event.
 */
export async function insertListingDueToOpen(db: Db, seller: Party, buyers: Party[], opts: { dueAt: Date; terms?: Partial<AuctionTerms> }): Promise<ListingDueToOpen> {
  const terms = { ...DEFAULT_AUCTION_TERMS, ...opts.terms };
  const at = new Date(opts.dueAt.getTime() - 7 * 86_400_000);
  const listingId = await insertListingRow(db, seller, { status: 'notice', at });
  await db.execute(sql`
    update listings set
      asking_price_fen = ${terms.startPriceFen}, start_price_fen = ${terms.startPriceFen}, increment_fen = ${terms.incrementFen},
      reserve_price_fen = ${terms.reservePriceFen}, deposit_fen = ${terms.depositFen}, notice_working_days = 5,
      auction_duration_minutes = ${terms.durationMinutes}, extension_window_seconds = ${terms.extensionWindowSeconds},
      extension_seconds = ${terms.extensionSeconds}, paddle_seq = ${buyers.length}
    where id = ${listingId}`);
  const registrations = buyers.map((b, i) => ({ id: newId(), paddle: i + 1, organizationId: b.organizationId }));
  if (buyers.length > 0) {
    await db.insert(listingRegistrations).values(
      buyers.map((b, i) => ({
        id: registrations[i]!.id,
        listingId,
        organizationId: b.organizationId,
        createdBy: b.userId,
        paddle: i + 1,
        status: 'qualified' as const,
        qualifiedBy: seller.userId,
        qualifiedAt: at,
        depositFen: terms.depositFen,
        depositStatus: terms.depositFen > 0 ? ('paid' as const) : ('unpaid' as const),
        depositPaidAt: terms.depositFen > 0 ? at : null,
        createdAt: at,
        updatedAt: at,
      })),
    );
  }
  // Due only now that its buyers exist: a server's scheduler may pick it up at once.
  await db.execute(sql`update listings set notice_ends_at = ${opts.dueAt.toISOString()}::timestamptz, due_at = ${opts.dueAt.toISOString()}::timestamptz where id = ${listingId}`);
  return { listingId, terms, registrations };
}
