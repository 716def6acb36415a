import type { Db, Executor } from '../../db/client.js';
import { withTransaction } from '../../db/tx.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Clock } from '../../lib/clock.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { badRequest, conflict, forbidden, notFound, preconditionFailed, unauthorized, unprocessable } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { isoDate, money } from '../../lib/http.js';
import { runIdempotent, type IdempotentOutcome } from '../../lib/idempotency.js';
import type { Actor } from '../accounts/tokens.js';
import type { AchievementsRepo } from '../achievements/achievements.repo.js';
import type { AuctionsRepo } from '../auctions/auctions.repo.js';
import type { CalendarService } from '../catalog/calendar.service.js';
import type { ListingRow, ListingsRepo, ListingWithAuction } from './listings.repo.js';
import { AUCTION_DEFAULTS, resolveTerms, type TermsInput } from './listings.rules.js';
import { isSellerSide, toListingDto, type CreateListingInput, type ListingDto, type ListListingsQuery, type UpdateListingInput } from './listings.schemas.js';
import type { ListingJournal } from './listings.journal.js';
import { endListing, type OnSale } from './listings.settlement.js';
import type { ListingStatus } from './listings.tables.js';

export interface ListingsDeps {
  db: Db;
  clock: Clock;
  repo: ListingsRepo;
  auctionsRepo: Pick<AuctionsRepo, 'findForUpdate' | 'update'>;
  achievementsRepo: Pick<AchievementsRepo, 'findById'>;
  calendar: Pick<CalendarService, 'loadClosures' | 'deadline'>;
  journal: ListingJournal;
  /** server default for a listing's maxNoticeExtensions */
  maxNoticeExtensions: number;
  /** opens the deal and contract draft of a 协议成交, in the confirming transaction */
  onSale: OnSale;
}

/** Organization kinds that own achievements and so may list them (brokers: achievements their own organization owns). */
const SELLER_KINDS = new Set(['university', 'institute', 'enterprise', 'broker']);

export interface ListingResult {
  listing: ListingDto;
  version: number;
}

/** Whether the viewer may see the listing at all: approved ones are public, the rest only to the seller side. */
export const canSeeListing = (viewer: Actor | null, listing: ListingRow): boolean => listing.publishedAt !== null || isSellerSide(viewer, listing);

export function createListingsService(deps: ListingsDeps) {
  const { db, clock, repo, journal } = deps;
  const settlement = { repo, journal, onSale: deps.onSale };

  /** The terms as the audit log keeps them (the reserve included: the log is seller side only). */
  const termsOf = (l: ListingRow) => ({
    mode: l.mode,
    askingPrice: money(l.askingPriceFen),
    startPrice: money(l.startPriceFen),
    increment: money(l.incrementFen),
    reservePrice: l.reservePriceFen === null ? null : money(l.reservePriceFen),
    deposit: money(l.depositFen),
    noticeWorkingDays: l.noticeWorkingDays,
    maxNoticeExtensions: l.maxNoticeExtensions,
    auction: { durationMinutes: l.auctionDurationMinutes, extensionWindowSeconds: l.extensionWindowSeconds, extensionSeconds: l.extensionSeconds },
  });

  const result = (row: ListingWithAuction | { listing: ListingRow; auction: ListingWithAuction['auction'] }, viewer: Actor | null): ListingResult => ({
    listing: toListingDto(row.listing, row.auction, viewer),
    version: row.listing.version,
  });

  /** Locks the listing for a seller-side change: invisible → 404, visible but not the seller (or admin) → 403. */
  async function lockForSeller(tx: Executor, actor: Actor, id: string, opts: { allowAdmin: boolean }): Promise<ListingRow> {
    const row = await repo.findForUpdate(tx, id);
    if (!row || !canSeeListing(actor, row)) throw notFound('Listing');
    const isSeller = actor.organizationId === row.sellerOrganizationId;
    if (!isSeller && !(opts.allowAdmin && actor.isAdmin)) throw forbidden('Only the seller may do this', 'NOT_SELLER');
    return row;
  }

  const checkVersion = (row: ListingRow, expected: number | undefined) => {
    if (expected !== undefined && expected !== row.version) throw preconditionFailed();
  };

  function termsOrThrow(input: TermsInput) {
    const out = resolveTerms(input);
    if ('errors' in out) throw unprocessable('INVALID_TERMS', 'The listing terms are not valid', out.errors);
    return out.terms;
  }

  return {
    async create(actor: Actor, input: CreateListingInput, idempotencyKey?: string): Promise<IdempotentOutcome<ListingResult>> {
      if (actor.isAdmin || !SELLER_KINDS.has(actor.kind)) throw forbidden('Only the organization that owns an achievement lists it', 'KIND_NOT_ALLOWED');
      const terms = termsOrThrow({
        mode: input.mode,
        askingPrice: input.askingPrice.amount,
        startPrice: input.startPrice?.amount,
        increment: input.increment?.amount,
        reservePrice: input.reservePrice === undefined ? undefined : (input.reservePrice?.amount ?? null),
        deposit: input.deposit.amount,
      });
      const key = idempotencyKey ? { userId: actor.userId, key: idempotencyKey, scope: 'POST /v1/listings', body: input } : undefined;
      return runIdempotent(db, key, 201, async (tx) => {
        const now = clock.now();
        const achievement = await deps.achievementsRepo.findById(tx, input.achievementId);
        if (!achievement || (achievement.organizationId !== actor.organizationId && achievement.status !== 'published')) throw notFound('Achievement');
        if (achievement.organizationId !== actor.organizationId) throw forbidden("Only the achievement's owner organization may list it", 'NOT_ACHIEVEMENT_OWNER');
        if (achievement.status !== 'published') throw conflict('ACHIEVEMENT_NOT_PUBLISHED', 'Only a published achievement can be listed');
        if (achievement.validUntil.getTime() <= now.getTime()) throw conflict('ACHIEVEMENT_EXPIRED', 'The achievement has expired; renew it before listing it');
        const auction = { ...AUCTION_DEFAULTS, ...input.auction };
        try {
          const listing = await repo.insert(tx, {
            id: newId(),
            achievementId: achievement.id,
            sellerOrganizationId: actor.organizationId,
            createdBy: actor.userId,
            mode: input.mode,
            ...terms,
            noticeWorkingDays: input.noticeWorkingDays,
            maxNoticeExtensions: input.maxNoticeExtensions ?? deps.maxNoticeExtensions,
            auctionDurationMinutes: auction.durationMinutes,
            extensionWindowSeconds: auction.extensionWindowSeconds,
            extensionSeconds: auction.extensionSeconds,
            createdAt: now,
            updatedAt: now,
          });
          await journal.audit.append(tx, { listingId: listing.id, action: 'listing.created', actor, data: { achievementId: achievement.id, ...termsOf(listing) } });
          return result({ listing, auction: null }, actor);
        } catch (err) {
          if (isUniqueViolation(err, 'listings_live_achievement_key')) {
            throw conflict('LISTING_EXISTS', 'This achievement already has a listing under review or in progress');
          }
          throw err;
        }
      });
    },

    async get(viewer: Actor | null, id: string): Promise<ListingResult> {
      const row = await repo.findById(db, id);
      if (!row || !canSeeListing(viewer, row.listing)) throw notFound('Listing');
      return result(row, viewer);
    },

    async list(viewer: Actor | null, q: ListListingsQuery): Promise<{ items: ListingDto[]; nextCursor: string | null }> {
      let scope: Parameters<ListingsRepo['list']>[1]['scope'];
      if (q.mine === 'true') {
        if (!viewer) throw unauthorized('Sign in to list your organization’s listings');
        scope = { kind: 'organization', organizationId: viewer.organizationId };
      } else scope = viewer?.isAdmin ? { kind: 'all' } : { kind: 'public' };
      const cursor = decodeCursor(q.cursor, 1)?.[0];
      if (cursor !== undefined && (typeof cursor !== 'string' || !/^[0-9a-f-]{36}$/.test(cursor))) throw badRequest('INVALID_CURSOR', 'The cursor is not one this API issued');
      const rows = await repo.list(db, { scope, status: q.status, achievementId: q.achievementId, beforeId: cursor as string | undefined, limit: q.limit });
      const page = rows.slice(0, q.limit);
      return {
        items: page.map((r) => toListingDto(r.listing, r.auction, viewer)),
        nextCursor: rows.length > q.limit ? encodeCursor([page[page.length - 1]!.listing.id]) : null,
      };
    },

    /** The seller edits the terms while the listing is under review or rejected; a rejected one goes back to review. */
    async update(actor: Actor, id: string, expectedVersion: number | undefined, input: UpdateListingInput): Promise<ListingResult> {
      return withTransaction(db, async (tx) => {
        const row = await lockForSeller(tx, actor, id, { allowAdmin: false });
        checkVersion(row, expectedVersion);
        if (row.status !== 'pending_review' && row.status !== 'rejected') {
          throw conflict('LISTING_NOT_EDITABLE', 'Terms can change only before approval (pending_review or rejected)');
        }
        const mode = input.mode ?? row.mode;
        // Omitted fields keep their values; in fixed mode the start price follows the asking price.
        const terms = termsOrThrow({
          mode,
          askingPrice: input.askingPrice?.amount ?? row.askingPriceFen,
          startPrice: input.startPrice?.amount ?? (mode === 'auction' && row.mode === 'auction' ? row.startPriceFen : undefined),
          increment: input.increment?.amount ?? row.incrementFen,
          reservePrice: input.reservePrice === undefined ? (mode === 'auction' ? row.reservePriceFen : undefined) : (input.reservePrice?.amount ?? null),
          deposit: input.deposit?.amount ?? row.depositFen,
        });
        const now = clock.now();
        const updated = await repo.update(tx, id, {
          ...terms,
          mode,
          noticeWorkingDays: input.noticeWorkingDays ?? row.noticeWorkingDays,
          maxNoticeExtensions: input.maxNoticeExtensions ?? row.maxNoticeExtensions,
          auctionDurationMinutes: input.auction?.durationMinutes ?? row.auctionDurationMinutes,
          extensionWindowSeconds: input.auction?.extensionWindowSeconds ?? row.extensionWindowSeconds,
          extensionSeconds: input.auction?.extensionSeconds ?? row.extensionSeconds,
          status: 'pending_review',
          updatedAt: now,
        });
        await journal.audit.append(tx, { listingId: id, action: 'listing.updated', actor, data: { from: row.status, ...termsOf(updated) } });
        return result({ listing: updated, auction: null }, actor);
      });
    },

    /** Admin review: approval publishes the listing and starts the notice, counted in working days from the next one. */
    async review(actor: Actor, id: string, input: { decision: 'approve' | 'reject'; reason?: string | undefined }): Promise<ListingResult> {
      if (!actor.isAdmin) throw forbidden('Only platform admins review listings', 'ADMIN_ONLY');
      return withTransaction(db, async (tx) => {
        const row = await repo.findForUpdate(tx, id);
        if (!row) throw notFound('Listing');
        if (row.status !== 'pending_review') throw conflict('LISTING_NOT_PENDING_REVIEW', `The listing is ${row.status}, not pending_review`);
        const now = clock.now();
        const reviewed = { reviewReason: input.reason ?? null, reviewedBy: actor.userId, reviewedAt: now, updatedAt: now };
        if (input.decision === 'reject') {
          const rejected = await repo.update(tx, id, { ...reviewed, status: 'rejected' });
          await journal.audit.append(tx, { listingId: id, action: 'listing.rejected', actor, data: { reason: input.reason ?? null } });
          return result({ listing: rejected, auction: null }, actor);
        }
        const achievement = await deps.achievementsRepo.findById(tx, row.achievementId);
        if (achievement?.status !== 'published') throw conflict('ACHIEVEMENT_NOT_PUBLISHED', 'The achievement is no longer published');
        const { endsAt } = await deps.calendar.deadline(now, row.noticeWorkingDays, await deps.calendar.loadClosures(tx));
        const listing = await repo.update(tx, id, { ...reviewed, status: 'notice', publishedAt: now, noticeEndsAt: endsAt, dueAt: endsAt });
        const notice = { noticeWorkingDays: listing.noticeWorkingDays, noticeEndsAt: isoDate(endsAt) };
        await journal.audit.append(tx, { listingId: id, action: 'listing.approved', actor, data: { reason: input.reason ?? null, ...notice } });
        await journal.live.publish(tx, id, 'state', { status: 'notice', ...notice });
        return result({ listing, auction: null }, actor);
      });
    },

    /**
     * The seller (or an admin) withdraws a listing that no buyer is bound to yet: before approval,
     * during notice, or in an auction without bids. Bids are irrevocable, so are the listings that
     * have them. A pending 协议成交 is withdrawn only by an admin. Paid deposits are refunded.
     */
    async withdraw(actor: Actor, id: string, expectedVersion: number | undefined, input: { reason?: string | undefined }): Promise<ListingResult> {
      return withTransaction(db, async (tx) => {
        const row = await lockForSeller(tx, actor, id, { allowAdmin: true });
        checkVersion(row, expectedVersion);
        const now = clock.now();
        let auction = null;
        const closed: ListingStatus[] = ['sold', 'unsold', 'withdrawn'];
        if (closed.includes(row.status)) throw conflict('LISTING_CLOSED', `The listing is already ${row.status}`);
        if (row.status === 'awaiting_agreement' && !actor.isAdmin) {
          throw conflict('AGREEMENT_PENDING', 'A buyer is bound by the pending agreement; it lapses at its deadline, or an admin withdraws it');
        }
        if (row.status === 'auction') {
          // Lock order: listing, then auction (the same as the close).
          const a = await deps.auctionsRepo.findForUpdate(tx, id);
          if (a && a.bidCount > 0) throw conflict('LISTING_HAS_BIDS', 'Bids are irrevocable: a listing with bids cannot be withdrawn');
          if (a) auction = await deps.auctionsRepo.update(tx, id, { status: 'closed', closedAt: now, updatedAt: now });
        }
        const { listing } = await endListing(tx, settlement, actor, row, { status: 'withdrawn', cause: 'withdrawn', at: now, now, withdrawnReason: input.reason ?? null });
        return result({ listing, auction }, actor);
      });
    },

    /** 协议成交: the seller and the single qualified buyer each confirm; the second confirmation sells at the asking price. */
    async confirmAgreement(actor: Actor, id: string): Promise<ListingResult> {
      return withTransaction(db, async (tx) => {
        const row = await repo.findForUpdate(tx, id);
        if (!row || !canSeeListing(actor, row)) throw notFound('Listing');
        if (row.status !== 'awaiting_agreement' || row.agreementRegistrationId === null) {
          throw conflict('AGREEMENT_NOT_PENDING', `The listing is ${row.status}; there is no agreement to confirm`);
        }
        const [buyer] = await repo.registrationsByIds(tx, [row.agreementRegistrationId]);
        const isSeller = actor.organizationId === row.sellerOrganizationId;
        const isBuyer = buyer !== undefined && actor.organizationId === buyer.organizationId;
        if (!isSeller && !isBuyer) throw forbidden('Only the seller and the buyer confirm the agreement', 'NOT_A_PARTY');
        if ((isSeller && row.sellerConfirmedAt) || (!isSeller && row.buyerConfirmedAt)) return result({ listing: row, auction: null }, actor);
        const now = clock.now();
        const patch = isSeller ? { sellerConfirmedAt: row.sellerConfirmedAt ?? now } : { buyerConfirmedAt: row.buyerConfirmedAt ?? now };
        const confirmed = await repo.update(tx, id, { ...patch, updatedAt: now });
        await journal.audit.append(tx, { listingId: id, action: 'agreement.confirmed', actor, data: { party: isSeller ? 'seller' : 'buyer', registrationId: buyer!.id } });
        if (confirmed.sellerConfirmedAt === null || confirmed.buyerConfirmedAt === null) return result({ listing: confirmed, auction: null }, actor);
        const { listing } = await endListing(tx, settlement, actor, confirmed, {
          status: 'sold',
          cause: 'agreement_confirmed',
          at: now,
          now,
          winner: { registrationId: buyer!.id, paddle: buyer!.paddle, priceFen: confirmed.askingPriceFen },
        });
        return result({ listing, auction: null }, actor);
      });
    },
  };
}

export type ListingsService = ReturnType<typeof createListingsService>;
