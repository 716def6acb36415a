import type { Db } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../../lib/errors.js';
import { isoDate, money, type Money } from '../../lib/http.js';
import { newId } from '../../lib/ids.js';
import { runIdempotent, type IdempotentOutcome } from '../../lib/idempotency.js';
import type { Actor } from '../accounts/tokens.js';
import type { ListingJournal } from '../listings/listings.journal.js';
import type { ListingsRepo } from '../listings/listings.repo.js';
import { checkBidAmount, extendedEnd } from '../listings/listings.rules.js';
import { canSeeListing } from '../listings/listings.service.js';
import type { AuctionsRepo } from './auctions.repo.js';
import type { BidDto, PlacedBidDto } from './auctions.schemas.js';

export interface AuctionsDeps {
  db: Db;
  clock: Clock;
  repo: AuctionsRepo;
  listingsRepo: Pick<ListingsRepo, 'findById'>;
  journal: ListingJournal;
}

const CLOSED_STATES = new Set(['sold', 'unsold', 'withdrawn']);

/** 正向多次竞价: bids on an open auction, serialised on the auction row. */
export function createAuctionsService(deps: AuctionsDeps) {
  const { db, clock, repo, journal } = deps;

  return {
    /**
     * Accepts a bid or refuses it with a stable code. The auction row is locked first and "now" is
     * read after the lock is held, so a bid and the close (which takes the same lock) are ordered:
     * a bid that commits before the close is counted; one that comes after sees AUCTION_CLOSED.
     * With an Idempotency-Key the answer is stored in the same transaction as the bid.
     */
    async placeBid(actor: Actor, listingId: string, input: { amount: Money }, idempotencyKey?: string): Promise<IdempotentOutcome<PlacedBidDto>> {
      const key = idempotencyKey ? { userId: actor.userId, key: idempotencyKey, scope: `POST /v1/listings/${listingId}/bids`, body: input } : undefined;
      return runIdempotent(db, key, 201, async (tx) => {
        const locked = await repo.lockForBid(tx, listingId, actor.organizationId);
        if (!locked) {
          // No auction (yet, or ever): say why, without revealing listings the caller may not see.
          const found = await deps.listingsRepo.findById(tx, listingId);
          if (!found || !canSeeListing(actor, found.listing)) throw notFound('Listing');
          if (CLOSED_STATES.has(found.listing.status)) throw conflict('AUCTION_CLOSED', `The listing is ${found.listing.status}; bidding is over`);
          throw conflict('AUCTION_NOT_OPEN', `The listing is ${found.listing.status}; no auction is open`);
        }
        if (actor.isAdmin || actor.kind !== 'enterprise') throw forbidden('Only qualified enterprises bid', 'KIND_NOT_ALLOWED');
        const { auction, registration } = locked;
        const now = clock.now();
        if (auction.status !== 'open' || now.getTime() >= auction.endsAt.getTime()) throw conflict('AUCTION_CLOSED', 'The auction has ended');
        if (now.getTime() < auction.startsAt.getTime()) throw conflict('AUCTION_NOT_OPEN', 'The auction has not started');
        if (!registration || registration.status !== 'qualified') throw conflict('NOT_QUALIFIED', 'Only qualified intent buyers bid on this listing');
        if (registration.depositFen > 0 && registration.depositStatus !== 'paid') {
          throw conflict('NOT_QUALIFIED', `Bidding requires the deposit (保证金) to be paid; it is ${registration.depositStatus}`);
        }
        const amount = input.amount.amount;
        const rejection = checkBidAmount(amount, auction);
        if (rejection?.code === 'BID_TOO_LOW') throw conflict('BID_TOO_LOW', `The bid must be at least ${rejection.minimum} fen`);
        if (rejection) {
          throw new AppError(422, 'BID_NOT_MULTIPLE_OF_INCREMENT', `Bids lie on the start price plus whole multiples of the increment (${auction.incrementFen} fen)`, [
            { path: 'amount.amount', message: `(amount − ${auction.startPriceFen}) must be a multiple of ${auction.incrementFen}` },
          ]);
        }
        const bid = {
          id: newId(),
          listingId,
          registrationId: registration.id,
          organizationId: actor.organizationId,
          userId: actor.userId,
          paddle: registration.paddle,
          amountFen: amount,
          seq: auction.bidCount + 1,
          placedAt: now,
        };
        const endsAt = extendedEnd(auction.endsAt, now, auction.extensionWindowSeconds, auction.extensionSeconds);
        const extended = endsAt.getTime() !== auction.endsAt.getTime();
        await repo.recordBid(tx, bid, { endsAt, extensions: auction.extensions + (extended ? 1 : 0), updatedAt: now });
        const placed = { id: bid.id, amount: money(amount), paddle: bid.paddle, placedAt: isoDate(bid.placedAt)!, auctionEndsAt: isoDate(endsAt)! };
        await journal.audit.append(tx, {
          listingId,
          action: 'bid.placed',
          actor,
          data: { ...placed, seq: bid.seq, registrationId: registration.id, previousEndsAt: extended ? isoDate(auction.endsAt) : null },
        });
        await journal.live.publish(tx, listingId, 'bid', { ...placed, bidCount: bid.seq });
        if (extended) await journal.live.publish(tx, listingId, 'extended', { endsAt: placed.auctionEndsAt, previousEndsAt: isoDate(auction.endsAt), byBidId: bid.id });
        return placed;
      });
    },

    /** Public: bids with paddle numbers, never the bidders' identities. Highest first. */
    async listBids(viewer: Actor | null, listingId: string, q: { limit: number; cursor?: string | undefined }): Promise<{ items: BidDto[]; nextCursor: string | null }> {
      const found = await deps.listingsRepo.findById(db, listingId);
      if (!found || !canSeeListing(viewer, found.listing)) throw notFound('Listing');
      const below = decodeCursor(q.cursor, 1)?.[0];
      if (below !== undefined && typeof below !== 'number') throw badRequest('INVALID_CURSOR', 'The cursor is not one this API issued');
      const rows = await repo.listBids(db, { listingId, belowAmount: below, limit: q.limit });
      const page = rows.slice(0, q.limit);
      return {
        items: page.map((b) => ({ id: b.id, amount: money(b.amountFen), paddle: b.paddle, placedAt: isoDate(b.placedAt)! })),
        nextCursor: rows.length > q.limit ? encodeCursor([page[page.length - 1]!.amountFen]) : null,
      };
    },
  };
}

export type AuctionsService = ReturnType<typeof createAuctionsService>;
