import type { Db, Tx } from '../../db/client.js';
import type { AuctionsRepo } from '../auctions/auctions.repo.js';
import type { CalendarService } from '../catalog/calendar.service.js';
import type { DueTransition, ListingRow, ListingsRepo } from './listings.repo.js';
import { EXTENSION_WORKING_DAYS, lastDayOf, noticeOutcome } from './listings.rules.js';
import { isoDate, money } from '../../lib/http.js';
import type { ListingJournal } from './listings.journal.js';
import { endListing, type OnSale } from './listings.settlement.js';

export interface TransitionsDeps {
  db: Db;
  repo: ListingsRepo;
  auctionsRepo: Pick<AuctionsRepo, 'insert' | 'findForUpdate' | 'update'>;
  calendar: Pick<CalendarService, 'loadClosures' | 'deadline'>;
  journal: ListingJournal;
  /** working days both parties have to confirm a 协议成交 */
  agreementWorkingDays: number;
  /** opens the deal and contract draft of an auction sale, in the closing transaction */
  onSale: OnSale;
}

export type TransitionName = 'notice_extended' | 'notice_ended_unsold' | 'agreement_started' | 'auction_opened' | 'agreement_lapsed' | 'auction_sold' | 'auction_unsold';

export interface ProcessedTransition {
  listingId: string;
  name: TransitionName;
  /** the due moment the transition took effect at */
  at: Date;
}

export interface ProcessDueResult {
  processed: ProcessedTransition[];
  failed: { listingId: string; kind: DueTransition['kind']; error: unknown }[];
}

/** A pass never runs away: a due row that does not move is skipped after this many repeats. */
const MAX_PER_PASS = 10_000;

/**
 * The time-driven transitions of listings: end of notice (extend, unsold, 协议成交 or auction),
 * the agreement deadline, and the auction's close. Everything is derived from rows (`due_at`,
 * `auctions.ends_at`), nothing from memory, so a restart loses nothing.
 *
 * Each transition runs in its own transaction under the row lock and re-checks that it is still
 * due, so any number of processes may call processDue at once: the second to reach a row finds it
 * already moved and does nothing (each transition happens once). Transitions take effect at their
 * due moment, not at the moment they are processed, so a late pass (or a sandbox clock jump)
 * produces exactly what real time would have.
 */
export function createTransitions(deps: TransitionsDeps) {
  const { db, repo, auctionsRepo, calendar, journal } = deps;
  const SYSTEM = 'system' as const;
  const settlement = { repo, journal, onSale: deps.onSale };

  async function endNotice(tx: Tx, listing: ListingRow, at: Date, now: Date): Promise<TransitionName> {
    const eligible = await repo.eligibleRegistrations(tx, listing.id);
    const outcome = noticeOutcome(eligible.length, listing.noticeExtensions, listing.maxNoticeExtensions);
    await journal.audit.append(tx, {
      listingId: listing.id,
      action: 'notice.ended',
      actor: SYSTEM,
      data: { at: isoDate(at), outcome, qualifiedBuyers: eligible.map((r) => ({ registrationId: r.id, paddle: r.paddle })) },
    });
    if (outcome === 'extend') {
      const { endsAt } = await calendar.deadline(lastDayOf(at), EXTENSION_WORKING_DAYS, await calendar.loadClosures(tx));
      await repo.update(tx, listing.id, { noticeEndsAt: endsAt, dueAt: endsAt, noticeExtensions: listing.noticeExtensions + 1, updatedAt: now });
      const notice = { status: 'notice', noticeEndsAt: isoDate(endsAt), noticeExtensions: listing.noticeExtensions + 1 };
      await journal.audit.append(tx, { listingId: listing.id, action: 'notice.extended', actor: SYSTEM, data: notice });
      await journal.live.publish(tx, listing.id, 'state', notice);
      return 'notice_extended';
    }
    if (outcome === 'unsold') {
      await endListing(tx, settlement, SYSTEM, listing, { status: 'unsold', cause: 'notice_ended', at, now });
      return 'notice_ended_unsold';
    }
    if (outcome === 'agreement') {
      const buyer = eligible[0]!;
      const { endsAt } = await calendar.deadline(lastDayOf(at), deps.agreementWorkingDays, await calendar.loadClosures(tx));
      await repo.update(tx, listing.id, {
        status: 'awaiting_agreement',
        agreementRegistrationId: buyer.id,
        agreementPaddle: buyer.paddle,
        agreementDueAt: endsAt,
        dueAt: endsAt,
        updatedAt: now,
      });
      const agreement = { status: 'awaiting_agreement', buyerPaddle: buyer.paddle, price: money(listing.askingPriceFen), dueAt: isoDate(endsAt) };
      await journal.audit.append(tx, { listingId: listing.id, action: 'agreement.started', actor: SYSTEM, data: { ...agreement, registrationId: buyer.id } });
      await journal.live.publish(tx, listing.id, 'state', agreement);
      return 'agreement_started';
    }
    const opened = await auctionsRepo.insert(tx, {
      listingId: listing.id,
      startsAt: at,
      endsAt: new Date(at.getTime() + listing.auctionDurationMinutes * 60_000),
      startPriceFen: listing.startPriceFen,
      incrementFen: listing.incrementFen,
      reservePriceFen: listing.reservePriceFen,
      extensionWindowSeconds: listing.extensionWindowSeconds,
      extensionSeconds: listing.extensionSeconds,
      updatedAt: now,
    });
    await repo.update(tx, listing.id, { status: 'auction', dueAt: null, updatedAt: now });
    const auction = {
      status: 'auction',
      startsAt: isoDate(opened.startsAt),
      endsAt: isoDate(opened.endsAt),
      startPrice: money(opened.startPriceFen),
      increment: money(opened.incrementFen),
      bidders: eligible.map((r) => r.paddle),
    };
    await journal.audit.append(tx, { listingId: listing.id, action: 'auction.opened', actor: SYSTEM, data: auction });
    await journal.live.publish(tx, listing.id, 'state', auction);
    return 'auction_opened';
  }

  /** The listing's own due transition, if it is still due under the lock. */
  async function applyListingDue(tx: Tx, listingId: string, now: Date): Promise<ProcessedTransition | null> {
    const listing = await repo.findForUpdate(tx, listingId);
    if (!listing?.dueAt || listing.dueAt.getTime() > now.getTime()) return null;
    const at = listing.dueAt;
    if (listing.status === 'notice') return { listingId, name: await endNotice(tx, listing, at, now), at };
    if (listing.status === 'awaiting_agreement') {
      // Not confirmed in time: no sale. The buyer's deposit is held for an admin's decision
      // (refund, or forfeit for refusing to sign); everyone else's is refunded.
      await endListing(tx, settlement, SYSTEM, listing, { status: 'unsold', cause: 'agreement_lapsed', at, now, holdDepositOf: listing.agreementRegistrationId });
      return { listingId, name: 'agreement_lapsed', at };
    }
    return null;
  }

  /**
   * Closes an auction whose end has come: sold to the highest bid at or above the reserve, else
   * unsold. Lock order listing → auction (as withdrawal); bids take the auction lock, so a bid is
   * either committed before the close (and counted) or sees the auction closed.
   */
  async function closeAuction(tx: Tx, listingId: string, now: Date): Promise<ProcessedTransition | null> {
    const listing = await repo.findForUpdate(tx, listingId);
    const auction = await auctionsRepo.findForUpdate(tx, listingId);
    if (!listing || !auction || auction.status !== 'open' || auction.endsAt.getTime() > now.getTime()) return null;
    const at = auction.endsAt;
    const reserveMet = auction.currentPriceFen !== null && (auction.reservePriceFen === null || auction.currentPriceFen >= auction.reservePriceFen);
    await auctionsRepo.update(tx, listingId, { status: 'closed', closedAt: at, updatedAt: now });
    await journal.audit.append(tx, {
      listingId,
      action: 'auction.closed',
      actor: SYSTEM,
      data: {
        at: isoDate(at),
        bidCount: auction.bidCount,
        highestBid: auction.currentPriceFen === null ? null : money(auction.currentPriceFen),
        leadingPaddle: auction.leadingPaddle,
        reserveMet,
        extensions: auction.extensions,
      },
    });
    if (reserveMet) {
      await endListing(tx, settlement, SYSTEM, listing, {
        status: 'sold',
        cause: 'auction_closed',
        at,
        now,
        winner: { registrationId: auction.leadingRegistrationId!, paddle: auction.leadingPaddle!, priceFen: auction.currentPriceFen! },
      });
      return { listingId, name: 'auction_sold', at };
    }
    await endListing(tx, settlement, SYSTEM, listing, { status: 'unsold', cause: 'auction_closed', at, now });
    return { listingId, name: 'auction_unsold', at };
  }

  return {
    /**
     * Processes every transition due at `now`, one transaction each, in order of due time (a
     * transition that makes another one due, e.g. an auction opened long ago by a clock jump, is
     * picked up in the same pass). A transition that fails is reported and skipped for the rest of
     * the pass; the next pass retries it.
     */
    async processDue(now: Date): Promise<ProcessDueResult> {
      const processed: ProcessedTransition[] = [];
      const failed: ProcessDueResult['failed'] = [];
      const skip: string[] = [];
      let last = '';
      for (let i = 0; i < MAX_PER_PASS; i++) {
        const next = await repo.nextDue(db, now, skip);
        if (!next) break;
        const id = `${next.kind}:${next.listingId}:${next.dueAt.getTime()}`;
        if (id === last) {
          // Still due after being handled: never spin on it within one pass.
          skip.push(next.listingId);
          continue;
        }
        last = id;
        try {
          const done = await db.transaction((tx) => (next.kind === 'listing' ? applyListingDue(tx, next.listingId, now) : closeAuction(tx, next.listingId, now)));
          if (done) processed.push(done);
        } catch (error) {
          failed.push({ listingId: next.listingId, kind: next.kind, error });
          skip.push(next.listingId);
        }
      }
      return { processed, failed };
    },
  };
}

export type Transitions = ReturnType<typeof createTransitions>;
