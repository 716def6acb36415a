import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { listings } from '../listings/listings.tables.js';

/** What the audit log and the live feed need to know about a listing to decide who may read them. */
export interface ListingAccess {
  sellerOrganizationId: string;
  /** approved at least once (notice started): the public may see it, even after a later withdrawal */
  publiclyVisible: boolean;
}

export type ListingAccessLookup = (db: Executor, listingId: string) => Promise<ListingAccess | null>;

/**
 * Reads the two facts from the listings table. `published_at` is set when the admin approves the
 * listing and never cleared, so a listing withdrawn before its notice (or rejected) stays private.
 */
export const findListingAccess: ListingAccessLookup = async (db, listingId) => {
  const [row] = await db
    .select({ sellerOrganizationId: listings.sellerOrganizationId, publishedAt: listings.publishedAt })
    .from(listings)
    .where(eq(listings.id, listingId));
  return row ? { sellerOrganizationId: row.sellerOrganizationId, publiclyVisible: row.publishedAt !== null } : null;
};

/** Seller-side members and platform admins. */
export const isSellerOrAdmin = (actor: { organizationId: string; isAdmin: boolean } | null, access: ListingAccess): boolean =>
  actor !== null && (actor.isAdmin || actor.organizationId === access.sellerOrganizationId);
