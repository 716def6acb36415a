import { and, asc, desc, eq, inArray, isNotNull, lt, ne, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { auctions } from '../auctions/auctions.tables.js';
import { listingRegistrations, listings, type ListingStatus } from './listings.tables.js';

export type ListingRow = typeof listings.$inferSelect;
export type NewListingRow = typeof listings.$inferInsert;
export type ListingPatch = Partial<Omit<ListingRow, 'id' | 'achievementId' | 'sellerOrganizationId' | 'createdBy' | 'createdAt' | 'version' | 'paddleSeq'>>;
export type AuctionRow = typeof auctions.$inferSelect;
export type RegistrationRow = typeof listingRegistrations.$inferSelect;
export type RegistrationPatch = Partial<Omit<RegistrationRow, 'id' | 'listingId' | 'organizationId' | 'createdBy' | 'createdAt' | 'version' | 'paddle'>>;

/** A listing with its auction, when one has opened. */
export interface ListingWithAuction {
  listing: ListingRow;
  auction: AuctionRow | null;
}

export interface ListingListFilter {
  /** public: approved listings; organization: the seller's own in every state; all: admins */
  scope: { kind: 'public' } | { kind: 'organization'; organizationId: string } | { kind: 'all' };
  status?: ListingStatus | undefined;
  achievementId?: string | undefined;
  /** keyset: ids below this one (ids are time-ordered, newest first) */
  beforeId?: string | undefined;
  limit: number;
}

/** A time-driven transition that is due: the listing's own (notice end, agreement deadline) or its auction's close. */
export interface DueTransition {
  kind: 'listing' | 'auction';
  listingId: string;
  dueAt: Date;
}

const l = listings;
const r = listingRegistrations;

/** All SQL of listings and intent-buyer registrations. */
export const listingsRepo = {
  async insert(db: Executor, row: NewListingRow): Promise<ListingRow> {
    const [out] = await db.insert(l).values(row).returning();
    return out!;
  },

  async findById(db: Executor, id: string): Promise<ListingWithAuction | undefined> {
    const [row] = await db.select({ listing: l, auction: auctions }).from(l).leftJoin(auctions, eq(auctions.listingId, l.id)).where(eq(l.id, id));
    return row;
  },

  /** Locks the listing row: every change of a listing and of its registrations starts here (lock order: listing → auction). */
  async findForUpdate(db: Executor, id: string): Promise<ListingRow | undefined> {
    const [row] = await db.select().from(l).where(eq(l.id, id)).for('update');
    return row;
  },

  /** Under the caller's lock; bumps the version. */
  async update(db: Executor, id: string, patch: ListingPatch): Promise<ListingRow> {
    const [row] = await db
      .update(l)
      .set({ ...patch, version: sql`${l.version} + 1` })
      .where(eq(l.id, id))
      .returning();
    return row!;
  },

  /** The next paddle number of a listing (the caller holds the listing lock). */
  async takePaddle(db: Executor, id: string): Promise<number> {
    const [row] = await db
      .update(l)
      .set({ paddleSeq: sql`${l.paddleSeq} + 1` })
      .where(eq(l.id, id))
      .returning({ paddle: l.paddleSeq });
    return row!.paddle;
  },

  async list(db: Executor, f: ListingListFilter): Promise<ListingWithAuction[]> {
    const where: (SQL | undefined)[] = [];
    if (f.scope.kind === 'public') where.push(isNotNull(l.publishedAt));
    if (f.scope.kind === 'organization') where.push(eq(l.sellerOrganizationId, f.scope.organizationId));
    if (f.status) where.push(eq(l.status, f.status));
    if (f.achievementId) where.push(eq(l.achievementId, f.achievementId));
    if (f.beforeId) where.push(lt(l.id, f.beforeId));
    return db
      .select({ listing: l, auction: auctions })
      .from(l)
      .leftJoin(auctions, eq(auctions.listingId, l.id))
      .where(and(...where))
      .orderBy(desc(l.id))
      .limit(f.limit + 1);
  },

  /**
   * The earliest due transition at or before `now`, skipping `exclude` (transitions that failed in
   * this pass). Read without locks: the processor locks the row and checks again.
   */
  async nextDue(db: Executor, now: Date, exclude: readonly string[]): Promise<DueTransition | undefined> {
    const skip = (col: SQL) => (exclude.length === 0 ? sql`true` : sql`${col} not in (${sql.join(exclude.map((id) => sql`${id}::uuid`), sql`, `)})`);
    const res = await db.execute<{ kind: 'listing' | 'auction'; listing_id: string; due_at: Date | string }>(sql`
      (select 'listing' as kind, ${l.id} as listing_id, ${l.dueAt} as due_at from ${l}
        where ${l.dueAt} <= ${now} and ${skip(sql`${l.id}`)} order by ${l.dueAt}, ${l.id} limit 1)
      union all
      (select 'auction' as kind, ${auctions.listingId} as listing_id, ${auctions.endsAt} as due_at from ${auctions}
        where ${auctions.status} = 'open' and ${auctions.endsAt} <= ${now} and ${skip(sql`${auctions.listingId}`)} order by ${auctions.endsAt}, ${auctions.listingId} limit 1)
      order by due_at, kind desc, listing_id limit 1`);
    const row = res.rows[0];
    return row ? { kind: row.kind, listingId: row.listing_id, dueAt: new Date(row.due_at) } : undefined;
  },

  // ── registrations ──────────────────────────────────────────────────────────

  async insertRegistration(db: Executor, row: typeof r.$inferInsert): Promise<RegistrationRow> {
    const [out] = await db.insert(r).values(row).returning();
    return out!;
  },

  async findRegistration(db: Executor, listingId: string, id: string): Promise<RegistrationRow | undefined> {
    const [row] = await db
      .select()
      .from(r)
      .where(and(eq(r.listingId, listingId), eq(r.id, id)));
    return row;
  },

  async findRegistrationOf(db: Executor, listingId: string, organizationId: string): Promise<RegistrationRow | undefined> {
    const [row] = await db
      .select()
      .from(r)
      .where(and(eq(r.listingId, listingId), eq(r.organizationId, organizationId)));
    return row;
  },

  async updateRegistration(db: Executor, id: string, patch: RegistrationPatch): Promise<RegistrationRow> {
    const [row] = await db
      .update(r)
      .set({ ...patch, version: sql`${r.version} + 1` })
      .where(eq(r.id, id))
      .returning();
    return row!;
  },

  async listRegistrations(db: Executor, q: { listingId: string; organizationId?: string | undefined; afterPaddle?: number | undefined; limit: number }): Promise<RegistrationRow[]> {
    return db
      .select()
      .from(r)
      .where(
        and(
          eq(r.listingId, q.listingId),
          q.organizationId === undefined ? undefined : eq(r.organizationId, q.organizationId),
          q.afterPaddle === undefined ? undefined : sql`${r.paddle} > ${q.afterPaddle}`,
        ),
      )
      .orderBy(asc(r.paddle))
      .limit(q.limit + 1);
  },

  /** Registrations that may buy: qualified, with the deposit paid when one is required. */
  async eligibleRegistrations(db: Executor, listingId: string): Promise<RegistrationRow[]> {
    return db
      .select()
      .from(r)
      .where(and(eq(r.listingId, listingId), eq(r.status, 'qualified'), sql`(${r.depositFen} = 0 or ${r.depositStatus} = 'paid')`))
      .orderBy(asc(r.paddle));
  },

  /** Records the refund of every paid deposit of the listing except `keep`'s; returns the refunded rows. */
  async refundDeposits(db: Executor, listingId: string, keep: string | null, at: Date, note: string): Promise<RegistrationRow[]> {
    return db
      .update(r)
      .set({ depositStatus: 'refunded', depositRefundedAt: at, depositNote: note, updatedAt: at, version: sql`${r.version} + 1` })
      .where(and(eq(r.listingId, listingId), eq(r.depositStatus, 'paid'), keep === null ? undefined : ne(r.id, keep)))
      .returning();
  },

  async registrationsByIds(db: Executor, ids: string[]): Promise<RegistrationRow[]> {
    if (ids.length === 0) return [];
    return db.select().from(r).where(inArray(r.id, ids));
  },
};

export type ListingsRepo = typeof listingsRepo;
