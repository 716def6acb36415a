import type { Db } from '../../db/client.js';
import { withTransaction } from '../../db/tx.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Clock } from '../../lib/clock.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { badRequest, conflict, forbidden, notFound, unauthorized } from '../../lib/errors.js';
import { money } from '../../lib/http.js';
import { newId } from '../../lib/ids.js';
import { runIdempotent, type IdempotentOutcome } from '../../lib/idempotency.js';
import type { Actor } from '../accounts/tokens.js';
import type { ListingJournal } from './listings.journal.js';
import type { ListingRow, ListingsRepo, RegistrationRow } from './listings.repo.js';
import { isSellerSide, toRegistrationDto, type RegistrationDto } from './listings.schemas.js';
import { canSeeListing } from './listings.service.js';

export interface RegistrationsDeps {
  db: Db;
  clock: Clock;
  repo: ListingsRepo;
  journal: ListingJournal;
}

/** Registration and qualification happen during notice only: the end of notice counts the qualified buyers. */
const noticeOpen = (listing: ListingRow, now: Date) =>
  listing.status === 'notice' && listing.noticeEndsAt !== null && now.getTime() < listing.noticeEndsAt.getTime();

/**
 * 意向受让方: enterprises register during notice; the seller or an admin qualifies them and records
 * the deposit. Every change locks the listing row first, so none can slip past the end of notice
 * that counts them (the scheduler takes the same lock).
 */
export function createRegistrationsService(deps: RegistrationsDeps) {
  const { db, clock, repo, journal } = deps;

  const depositOf = (r: RegistrationRow) => ({ amount: money(r.depositFen), status: r.depositStatus });

  async function lockVisible(tx: Parameters<typeof repo.findForUpdate>[0], actor: Actor, listingId: string): Promise<ListingRow> {
    const listing = await repo.findForUpdate(tx, listingId);
    if (!listing || !canSeeListing(actor, listing)) throw notFound('Listing');
    return listing;
  }

  async function registrationOf(tx: Parameters<typeof repo.findRegistration>[0], listingId: string, rid: string): Promise<RegistrationRow> {
    const reg = await repo.findRegistration(tx, listingId, rid);
    if (!reg) throw notFound('Registration');
    return reg;
  }

  return {
    async register(actor: Actor, listingId: string, input: { message?: string | undefined }, idempotencyKey?: string): Promise<IdempotentOutcome<RegistrationDto>> {
      const key = idempotencyKey ? { userId: actor.userId, key: idempotencyKey, scope: `POST /v1/listings/${listingId}/registrations`, body: input } : undefined;
      return runIdempotent(db, key, 201, async (tx) => {
        const listing = await lockVisible(tx, actor, listingId);
        if (actor.isAdmin || actor.kind !== 'enterprise') throw forbidden('Only enterprises register as intent buyers', 'KIND_NOT_ALLOWED');
        if (actor.organizationId === listing.sellerOrganizationId) throw forbidden('A seller cannot buy its own listing', 'OWN_LISTING');
        const now = clock.now();
        if (!noticeOpen(listing, now)) throw conflict('REGISTRATION_CLOSED', 'Intent buyers register only during the notice period');
        try {
          // Plain insert: the unique index decides a second registration of the same organization.
          const row = await repo.insertRegistration(tx, {
            id: newId(),
            listingId,
            organizationId: actor.organizationId,
            createdBy: actor.userId,
            paddle: await repo.takePaddle(tx, listingId),
            message: input.message ?? null,
            depositFen: listing.depositFen,
            createdAt: now,
            updatedAt: now,
          });
          await journal.audit.append(tx, {
            listingId,
            action: 'registration.created',
            actor,
            data: { registrationId: row.id, organizationId: row.organizationId, paddle: row.paddle, message: row.message, deposit: depositOf(row) },
          });
          return toRegistrationDto(row);
        } catch (err) {
          if (isUniqueViolation(err, 'listing_registrations_org_key')) throw conflict('ALREADY_REGISTERED', 'Your organization is already registered for this listing');
          throw err;
        }
      });
    },

    /** The seller side sees every registration; a buyer sees its own. */
    async list(viewer: Actor | null, listingId: string, q: { limit: number; cursor?: string | undefined }): Promise<{ items: RegistrationDto[]; nextCursor: string | null }> {
      if (!viewer) throw unauthorized();
      const found = await repo.findById(db, listingId);
      if (!found || !canSeeListing(viewer, found.listing)) throw notFound('Listing');
      const after = decodeCursor(q.cursor, 1)?.[0];
      if (after !== undefined && typeof after !== 'number') throw badRequest('INVALID_CURSOR', 'The cursor is not one this API issued');
      const rows = await repo.listRegistrations(db, {
        listingId,
        organizationId: isSellerSide(viewer, found.listing) ? undefined : viewer.organizationId,
        afterPaddle: after,
        limit: q.limit,
      });
      const page = rows.slice(0, q.limit);
      return { items: page.map(toRegistrationDto), nextCursor: rows.length > q.limit ? encodeCursor([page[page.length - 1]!.paddle]) : null };
    },

    /** 资格审核 and the deposit's arrival, recorded by the seller or an admin during notice. */
    async qualify(actor: Actor, listingId: string, rid: string, input: { qualified: boolean; depositPaid: boolean; reason?: string | undefined }): Promise<RegistrationDto> {
      return withTransaction(db, async (tx) => {
        const listing = await lockVisible(tx, actor, listingId);
        if (!isSellerSide(actor, listing)) throw forbidden('Only the seller or an admin qualifies intent buyers', 'NOT_SELLER');
        const reg = await registrationOf(tx, listingId, rid);
        const now = clock.now();
        if (!noticeOpen(listing, now)) throw conflict('QUALIFICATION_CLOSED', 'Buyers are qualified only during the notice period');
        if (reg.depositStatus === 'refunded' || reg.depositStatus === 'forfeited') {
          throw conflict('DEPOSIT_SETTLED', `The deposit was already ${reg.depositStatus}`);
        }
        const deposit =
          input.depositPaid === (reg.depositStatus === 'paid')
            ? {}
            : input.depositPaid
              ? { depositStatus: 'paid' as const, depositPaidAt: now }
              : { depositStatus: 'unpaid' as const, depositPaidAt: null };
        const row = await repo.updateRegistration(tx, rid, {
          status: input.qualified ? 'qualified' : 'rejected',
          qualificationReason: input.reason ?? null,
          qualifiedBy: actor.userId,
          qualifiedAt: now,
          ...deposit,
          updatedAt: now,
        });
        await journal.audit.append(tx, {
          listingId,
          action: 'registration.qualified',
          actor,
          data: { registrationId: rid, paddle: row.paddle, status: row.status, reason: row.qualificationReason, deposit: depositOf(row), depositWas: reg.depositStatus },
        });
        return toRegistrationDto(row);
      });
    },

    /**
     * An admin settles a paid deposit by hand: refunded (e.g. the held deposit of a lapsed
     * agreement) or forfeited (collusion, false materials, refusing to sign).
     */
    async decideDeposit(actor: Actor, listingId: string, rid: string, input: { status: 'refunded' | 'forfeited'; note: string }): Promise<RegistrationDto> {
      if (!actor.isAdmin) throw forbidden('Only platform admins settle deposits by hand', 'ADMIN_ONLY');
      return withTransaction(db, async (tx) => {
        await lockVisible(tx, actor, listingId);
        const reg = await registrationOf(tx, listingId, rid);
        if (reg.depositStatus !== 'paid') throw conflict('DEPOSIT_NOT_PAID', `The deposit is ${reg.depositStatus}, not paid`);
        const now = clock.now();
        const row = await repo.updateRegistration(tx, rid, {
          depositStatus: input.status,
          ...(input.status === 'refunded' ? { depositRefundedAt: now } : { depositForfeitedAt: now }),
          depositNote: input.note,
          updatedAt: now,
        });
        await journal.audit.append(tx, { listingId, action: `deposit.${input.status}`, actor, data: { registrationId: rid, paddle: row.paddle, deposit: depositOf(row), note: input.note } });
        return toRegistrationDto(row);
      });
    },
  };
}

export type RegistrationsService = ReturnType<typeof createRegistrationsService>;
