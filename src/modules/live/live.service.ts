import type { SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { AppError, notFound } from '../../lib/errors.js';
import { toJsonObject } from '../../lib/json.js';
import type { Actor } from '../accounts/tokens.js';
import { isSellerOrAdmin, type ListingAccessLookup } from '../audit/listing-access.js';
import type { ListingEventsHub, Subscriber, Subscription } from './live.hub.js';
import type { LiveRepo } from './live.repo.js';

export type { Subscriber, Subscription } from './live.hub.js';

/**
 * What a listing's feed says. `bid` (a bid was accepted), `extended` (the auction's end moved),
 * `closed` (the auction or listing reached its outcome), `state` (any other status change).
 * The database accepts any ^[a-z][a-z_]{0,31}$, so a new type needs no migration: add it here.
 */
export const LISTING_EVENT_TYPES = ['bid', 'extended', 'closed', 'state'] as const;
export type ListingEventType = (typeof LISTING_EVENT_TYPES)[number];

export interface LiveDeps {
  db: Db;
  repo: LiveRepo;
  clock: Clock;
  listingAccess: ListingAccessLookup;
  hub: ListingEventsHub;
}

/** The live feed of listings: publishing (inside the publisher's transaction) and streaming. */
export function createLiveService(deps: LiveDeps) {
  const { db, repo, clock, listingAccess, hub } = deps;

  return {
    /**
     * Records an event of a listing's public feed and notifies every server process; it reaches
     * the streams when (and only if) the caller's transaction commits. `data` is sent as-is to
     * ANYONE watching a public listing: bidders by paddle number only, never names, organization
     * ids or the hidden reserve. Holds the listing's journal lock until the transaction ends
     * (same lock as audit.append; take row locks first, publish last).
     */
    async publish(tx: Tx, listingId: string, type: ListingEventType, data: Record<string, unknown>): Promise<{ id: number }> {
      const payload = toJsonObject(data);
      await repo.lockStream(tx, listingId);
      const id = await repo.insertAndNotify(tx, { listingId, type, data: payload, createdAt: clock.now() });
      return { id };
    },

    /**
     * publish for many events of one listing in one statement that the caller composes with its
     * own writes (the bid batch): `insert` returns the new ids in the given order, `notify(name)`
     * selects the notification from the WITH entry named `name` that holds insert's rows. The
     * caller must hold the listing's journal lock (listingJournalLock in src/db/locks.ts).
     */
    publishStatement(listingId: string, events: readonly { type: ListingEventType; data: Record<string, unknown> }[]): { insert: SQL; notify: (inserted: SQL) => SQL } | null {
      if (events.length === 0) return null;
      const createdAt = clock.now();
      const insert = repo.insertManyStatement(events.map((ev) => ({ listingId, type: ev.type, data: toJsonObject(ev.data), createdAt })));
      return { insert, notify: repo.notifyNewest };
    },

    /**
     * GET /v1/listings/{id}/events: a listing the public may see (approved at least once), or the
     * seller's members and admins for any listing; else 404. Events after lastEventId are
     * replayed first. The returned subscription must be closed when the client goes away.
     */
    async openStream(actor: Actor | null, listingId: string, lastEventId: number | null, subscriber: Subscriber): Promise<Subscription> {
      const access = await listingAccess(db, listingId);
      if (!access || !(access.publiclyVisible || isSellerOrAdmin(actor, access))) throw notFound('Listing');
      try {
        return await hub.subscribe(listingId, lastEventId, subscriber);
      } catch {
        throw new AppError(503, 'LIVE_FEED_UNAVAILABLE', 'The live feed is unavailable; retry shortly');
      }
    },

    /** Ends every open stream of this process (graceful shutdown: called before the server closes). */
    endStreams: (): number => hub.endAll(),

    /** Ends the streams and the LISTEN connection. */
    close: (): Promise<void> => hub.close(),

    stats: () => hub.stats(),

    /** LISTEN connection losses and read failures go to this logger. */
    reportErrorsTo: (report: (err: unknown, msg: string) => void): void => hub.reportErrorsTo(report),
  };
}

export type LiveService = ReturnType<typeof createLiveService>;
