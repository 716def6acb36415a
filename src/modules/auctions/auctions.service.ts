import type { Db, Tx } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../../lib/errors.js';
import { isoDate, money, type Money } from '../../lib/http.js';
import { newId } from '../../lib/ids.js';
import { IdempotencyBatch, type IdempotentOutcome, type Settled, type StoredAnswer } from '../../lib/idempotency.js';
import type { Actor } from '../accounts/tokens.js';
import type { AppendInput, AuditService, ChainHead } from '../audit/audit.service.js';
import type { ListingsRepo } from '../listings/listings.repo.js';
import { checkBidAmount, extendedEnd } from '../listings/listings.rules.js';
import { canSeeListing } from '../listings/listings.service.js';
import type { ListingEventType, LiveService } from '../live/live.service.js';
import { createCombiner } from './auctions.combiner.js';
import type { AuctionsRepo, BidRow } from './auctions.repo.js';
import type { BidDto, PlacedBidDto } from './auctions.schemas.js';

export interface AuctionsDeps {
  db: Db;
  clock: Clock;
  repo: AuctionsRepo;
  listingsRepo: Pick<ListingsRepo, 'findById'>;
  /** the listing's journal, written in the batch's own statement (see placeBatch) */
  journal: { audit: Pick<AuditService, 'headQuery' | 'appendStatement'>; live: Pick<LiveService, 'publishStatement'> };
  /** the most bids one transaction takes (default 200) */
  maxBidBatch?: number;
  /** Tests only: runs in each batch's transaction after its writes, before COMMIT; throwing fails the batch. */
  beforeCommit?: (tx: Tx, batch: { listingId: string; size: number }) => Promise<void>;
}

interface BidRequest {
  actor: Actor;
  input: { amount: Money };
  idempotencyKey: string | undefined;
}

type Answer = Settled<IdempotentOutcome<PlacedBidDto>>;

const CLOSED_STATES = new Set(['sold', 'unsold', 'withdrawn']);
const DEFAULT_MAX_BID_BATCH = 200;

const attempt = <T>(fn: () => T): Settled<T> => {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
};

/** 正向多次竞价: bids on an open auction, serialised on the auction row. */
export function createAuctionsService(deps: AuctionsDeps) {
  const { db, clock, repo, journal } = deps;

  /**
   * One transaction for a batch of bids on one auction (auctions.combiner.ts), in arrival order;
   * a lone bid is a batch of one, so there is one implementation. The auction row is locked
   * first and each bid's "now" is read after the lock is held, so a batch and the close (which
   * takes the same lock) are ordered: bids committed before the close are counted; a bid at or
   * after the end in effect sees AUCTION_CLOSED, in this batch or the next. Each bid is checked in
   * memory against the state the bids before it left (price, count, end with its anti-sniping
   * extension), so the writes cannot fail one by one: they are one statement, and the batch
   * commits or fails as a whole. Every answer, the Idempotency-Key records included, is decided
   * before the commit and released only after it.
   */
  async function placeBatch(listingId: string, requests: readonly BidRequest[]): Promise<Answer[]> {
    const scope = `POST /v1/listings/${listingId}/bids`;
    const keys = new IdempotencyBatch<PlacedBidDto>(
      requests.map((r) => (r.idempotencyKey ? { userId: r.actor.userId, key: r.idempotencyKey, scope, body: r.input } : undefined)),
      201,
    );
    return db.transaction(async (tx) => {
      const { auction, also: locked } = await repo.lockForBids<boolean[]>(tx, listingId, keys.lockExpression());
      const lookup = keys.lookupQuery();
      const read =
        auction || lookup
          ? await repo.readForBids(tx, listingId, auction ? [...new Set(requests.map((r) => r.actor.organizationId))] : [], {
              head: auction ? journal.audit.headQuery(listingId) : null,
              stored: lookup,
            })
          : { registrations: [], head: null, stored: null };
      keys.load(locked, read.stored as StoredAnswer[] | null);
      // No auction (yet, or ever): each bidder is told why, without revealing listings it may not see.
      const listing = auction ? undefined : (await deps.listingsRepo.findById(tx, listingId))?.listing;
      const registrations = new Map(read.registrations.map((r) => [r.organizationId, r]));

      const state = auction ? { ...auction } : undefined;
      const accepted: BidRow[] = [];
      const audit: AppendInput[] = [];
      const events: { type: ListingEventType; data: Record<string, unknown> }[] = [];

      let last = new Date(0);
      const decide = ({ actor, input }: BidRequest): PlacedBidDto => {
        // Each bid's moment, read under the lock when its turn comes; never before the previous
        // bid's, so that seq order stays time order even if the system clock steps back.
        const moment = clock.now();
        const now = moment.getTime() < last.getTime() ? last : moment;
        last = now;
        if (!state) {
          if (!listing || !canSeeListing(actor, listing)) throw notFound('Listing');
          if (CLOSED_STATES.has(listing.status)) throw conflict('AUCTION_CLOSED', `The listing is ${listing.status}; bidding is over`);
          throw conflict('AUCTION_NOT_OPEN', `The listing is ${listing.status}; no auction is open`);
        }
        if (actor.isAdmin || actor.kind !== 'enterprise') throw forbidden('Only qualified enterprises bid', 'KIND_NOT_ALLOWED');
        if (state.status !== 'open' || now.getTime() >= state.endsAt.getTime()) throw conflict('AUCTION_CLOSED', 'The auction has ended');
        if (now.getTime() < state.startsAt.getTime()) throw conflict('AUCTION_NOT_OPEN', 'The auction has not started');
        const registration = registrations.get(actor.organizationId);
        if (!registration || registration.status !== 'qualified') throw conflict('NOT_QUALIFIED', 'Only qualified intent buyers bid on this listing');
        if (registration.depositFen > 0 && registration.depositStatus !== 'paid') {
          throw conflict('NOT_QUALIFIED', `Bidding requires the deposit (保证金) to be paid; it is ${registration.depositStatus}`);
        }
        const amount = input.amount.amount;
        const rejection = checkBidAmount(amount, state);
        if (rejection?.code === 'BID_TOO_LOW') throw conflict('BID_TOO_LOW', `The bid must be at least ${rejection.minimum} fen`);
        if (rejection) {
          throw new AppError(422, 'BID_NOT_MULTIPLE_OF_INCREMENT', `Bids lie on the start price plus whole multiples of the increment (${state.incrementFen} fen)`, [
            { path: 'amount.amount', message: `(amount − ${state.startPriceFen}) must be a multiple of ${state.incrementFen}` },
          ]);
        }
        const bid: BidRow = {
          id: newId(),
          listingId,
          registrationId: registration.id,
          organizationId: actor.organizationId,
          userId: actor.userId,
          paddle: registration.paddle,
          amountFen: amount,
          seq: state.bidCount + 1,
          placedAt: now,
        };
        const previousEnd = state.endsAt;
        const endsAt = extendedEnd(previousEnd, now, state.extensionWindowSeconds, state.extensionSeconds);
        const extended = endsAt.getTime() !== previousEnd.getTime();
        const placed = { id: bid.id, amount: money(amount), paddle: bid.paddle, placedAt: isoDate(now)!, auctionEndsAt: isoDate(endsAt)! };
        // The bid is in: the running state moves on, and the next bid of the batch is checked against it.
        accepted.push(bid);
        audit.push({ listingId, action: 'bid.placed', actor, data: { ...placed, seq: bid.seq, registrationId: registration.id, previousEndsAt: extended ? isoDate(previousEnd) : null } });
        events.push({ type: 'bid', data: { ...placed, bidCount: bid.seq } });
        if (extended) events.push({ type: 'extended', data: { endsAt: placed.auctionEndsAt, previousEndsAt: isoDate(previousEnd), byBidId: bid.id } });
        Object.assign(state, {
          currentPriceFen: amount,
          bidCount: bid.seq,
          leadingBidId: bid.id,
          leadingRegistrationId: registration.id,
          leadingPaddle: registration.paddle,
          endsAt,
          extensions: state.extensions + (extended ? 1 : 0),
        });
        return placed;
      };

      const answers = requests.map((r, i): Answer => {
        const known = keys.verdict(i);
        return known === 'run' ? keys.settle(i, attempt(() => decide(r))) : known;
      });

      await repo.recordBatch(tx, {
        listingId,
        bids: accepted,
        auction: state && accepted.length > 0 ? { ...state, updatedAt: last } : null,
        statements: [journal.audit.appendStatement((read.head as ChainHead | null) ?? null, audit), keys.storeStatement()],
        events: journal.live.publishStatement(listingId, events),
      });
      await deps.beforeCommit?.(tx, { listingId, size: requests.length });
      return answers;
    });
  }

  const combiner = createCombiner<BidRequest, IdempotentOutcome<PlacedBidDto>>({ maxBatch: deps.maxBidBatch ?? DEFAULT_MAX_BID_BATCH, run: placeBatch });

  return {
    /**
     * Accepts a bid or refuses it with a stable code, answered once the transaction that decided
     * it has committed; it shares that transaction with the bids on the same auction that arrived
     * meanwhile (placeBatch). With an Idempotency-Key the answer is stored in that transaction.
     */
    placeBid(actor: Actor, listingId: string, input: { amount: Money }, idempotencyKey?: string): Promise<IdempotentOutcome<PlacedBidDto>> {
      // One queue per auction however the client spells its id (UUIDs are case-insensitive).
      return combiner.submit(listingId.toLowerCase(), { actor, input, idempotencyKey });
    },

    /** Bids waiting for the next batch of an auction in this process, and the batches so far. */
    bidsWaiting: (listingId: string): number => combiner.waiting(listingId.toLowerCase()),
    bidBatchStats: () => combiner.stats(),

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
