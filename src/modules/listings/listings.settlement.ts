import type { Tx } from '../../db/client.js';
import { isoDate, money } from '../../lib/http.js';
import type { AuditActor, ListingJournal } from './listings.journal.js';
import type { ListingRow, ListingsRepo, RegistrationRow } from './listings.repo.js';

/** What a sold listing hands on to the deal pipeline. */
export interface ListingSale {
  listingId: string;
  achievementId: string;
  sellerOrganizationId: string;
  /** the organization of the winning registration */
  buyerOrganizationId: string;
  priceFen: number;
}

/**
 * Runs inside the transaction that sells the listing, under its lock: opens the sale's deal and
 * its contract draft (wired in container.ts, so listings import neither deals nor contracts).
 */
export type OnSale = (tx: Tx, sale: ListingSale) => Promise<void>;

/** What ending a listing writes through. */
export interface Settlement {
  repo: Pick<ListingsRepo, 'update' | 'refundDeposits' | 'registrationsByIds'>;
  journal: ListingJournal;
  onSale: OnSale;
}

export interface ListingEnd {
  status: 'sold' | 'unsold' | 'withdrawn';
  /** when the end happened: the due moment for time-driven ends, else now */
  at: Date;
  now: Date;
  /** what ended it, for the audit log (notice_ended, auction_closed, agreement_confirmed, agreement_lapsed, withdrawn) */
  cause: string;
  winner?: { registrationId: string; paddle: number; priceFen: number } | undefined;
  /** a registration whose paid deposit is held for an admin decision instead of refunded */
  holdDepositOf?: string | null | undefined;
  withdrawnReason?: string | null | undefined;
}

/**
 * Ends a listing (the caller holds its lock) and records the refund of every paid deposit except
 * the winner's, which becomes the down payment, and a held one. Refunds are recorded at the end
 * in the same transaction, so a listing is never closed with a loser's deposit still "paid".
 * A sale opens its deal and contract draft in the same transaction too: a sold listing never
 * exists without them. The outcome goes to the audit log and, as `closed`, to the public feed
 * (the reserve is public once the listing is sold or unsold).
 */
export async function endListing(
  tx: Tx,
  settlement: Settlement,
  actor: AuditActor,
  listing: ListingRow,
  end: ListingEnd,
): Promise<{ listing: ListingRow; refunded: RegistrationRow[] }> {
  const { repo, journal } = settlement;
  const updated = await repo.update(tx, listing.id, {
    status: end.status,
    closedAt: end.at,
    dueAt: null,
    outcomePriceFen: end.winner?.priceFen ?? null,
    winnerRegistrationId: end.winner?.registrationId ?? null,
    winnerPaddle: end.winner?.paddle ?? null,
    withdrawnReason: end.status === 'withdrawn' ? (end.withdrawnReason ?? null) : listing.withdrawnReason,
    updatedAt: end.now,
  });
  const keep = end.winner?.registrationId ?? end.holdDepositOf ?? null;
  const note = end.status === 'sold' ? `listing sold to paddle ${end.winner!.paddle}` : `listing ${end.status}`;
  const refunded = await repo.refundDeposits(tx, listing.id, keep, end.at, `refunded without interest: ${note}`);
  if (end.status === 'sold') {
    const [buyer] = await repo.registrationsByIds(tx, [end.winner!.registrationId]);
    if (!buyer) throw new Error(`listing ${listing.id} sold to registration ${end.winner!.registrationId}, which does not exist`);
    await settlement.onSale(tx, {
      listingId: listing.id,
      achievementId: listing.achievementId,
      sellerOrganizationId: listing.sellerOrganizationId,
      buyerOrganizationId: buyer.organizationId,
      priceFen: end.winner!.priceFen,
    });
  }
  const price = end.winner ? money(end.winner.priceFen) : null;
  await journal.audit.append(tx, {
    listingId: listing.id,
    action: `listing.${end.status}`,
    actor,
    data: {
      cause: end.cause,
      at: isoDate(end.at),
      price,
      winnerRegistrationId: end.winner?.registrationId ?? null,
      winnerPaddle: end.winner?.paddle ?? null,
      withdrawnReason: end.status === 'withdrawn' ? (end.withdrawnReason ?? null) : null,
      depositsRefunded: refunded.map((r) => ({ registrationId: r.id, paddle: r.paddle, amount: money(r.depositFen) })),
      depositHeld: end.holdDepositOf ?? null,
    },
  });
  await journal.live.publish(tx, listing.id, 'closed', {
    status: end.status,
    at: isoDate(end.at),
    price,
    winnerPaddle: end.winner?.paddle ?? null,
    ...(end.status === 'withdrawn' ? {} : { reservePrice: listing.reservePriceFen === null ? null : money(listing.reservePriceFen) }),
  });
  return { listing: updated, refunded };
}
