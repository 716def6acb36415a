import { and, asc, desc, eq, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { organizations } from '../accounts/accounts.tables.js';
import { achievements } from '../achievements/achievements.tables.js';
import { needs } from '../needs/needs.tables.js';
import { listings } from '../listings/listings.tables.js';
import { dealEvents, deals, type DealStage } from './deals.tables.js';

export type DealRow = typeof deals.$inferSelect;
export type NewDealRow = typeof deals.$inferInsert;
export type DealPatch = Partial<Omit<DealRow, 'id' | 'origin' | 'createdBy' | 'createdAt' | 'version'>>;
export type DealEventRow = typeof dealEvents.$inferSelect;

/** Which deals a caller sees: all (admins) or those of one organization, in a role or any. */
export type DealScope =
  | { kind: 'all'; organizationId?: string | undefined }
  | { kind: 'organization'; organizationId: string; role?: 'broker' | 'seller' | 'buyer' | undefined };

function scopeCondition(scope: DealScope): SQL | undefined {
  const org = scope.organizationId;
  if (org === undefined) return undefined;
  const role = scope.kind === 'organization' ? scope.role : undefined;
  if (role === 'broker') return eq(deals.brokerOrganizationId, org);
  if (role === 'seller') return eq(deals.sellerOrganizationId, org);
  if (role === 'buyer') return eq(deals.buyerOrganizationId, org);
  return or(eq(deals.brokerOrganizationId, org), eq(deals.sellerOrganizationId, org), eq(deals.buyerOrganizationId, org));
}

/** All SQL of the deals capability. */
export const dealsRepo = {
  async insert(db: Executor, row: NewDealRow): Promise<DealRow> {
    const [out] = await db.insert(deals).values(row).returning();
    return out!;
  },

  /** The trading desk's insert: a second call for the same listing inserts nothing. */
  async insertForListing(db: Executor, row: NewDealRow & { listingId: string }): Promise<DealRow | undefined> {
    const [out] = await db
      .insert(deals)
      .values(row)
      .onConflictDoNothing({ target: deals.listingId, where: sql`${deals.listingId} is not null and ${deals.stage} <> 'cancelled'` })
      .returning();
    return out;
  },

  async findById(db: Executor, id: string): Promise<DealRow | undefined> {
    const [row] = await db.select().from(deals).where(eq(deals.id, id));
    return row;
  },

  /** The listing's open (not cancelled) deal, locked: the sale decides what becomes of it. */
  async findOpenByListingForUpdate(db: Executor, listingId: string): Promise<DealRow | undefined> {
    const [row] = await db
      .select()
      .from(deals)
      .where(and(eq(deals.listingId, listingId), ne(deals.stage, 'cancelled')))
      .for('update');
    return row;
  },

  async findForUpdate(db: Executor, id: string): Promise<DealRow | undefined> {
    const [row] = await db.select().from(deals).where(eq(deals.id, id)).for('update');
    return row;
  },

  async update(db: Executor, id: string, expectedVersion: number, patch: DealPatch): Promise<DealRow | undefined> {
    const [row] = await db
      .update(deals)
      .set({ ...patch, version: sql`${deals.version} + 1` })
      .where(and(eq(deals.id, id), eq(deals.version, expectedVersion)))
      .returning();
    return row;
  },

  async insertEvent(db: Executor, row: typeof dealEvents.$inferInsert): Promise<void> {
    await db.insert(dealEvents).values(row);
  },

  async events(db: Executor, dealId: string): Promise<DealEventRow[]> {
    return db.select().from(dealEvents).where(eq(dealEvents.dealId, dealId)).orderBy(asc(dealEvents.at), asc(dealEvents.id));
  },

  /** A page newest first (ids are time-ordered), keyset on id; one extra row tells whether more exist. */
  async list(db: Executor, f: { scope: DealScope; stage?: DealStage | undefined; afterId?: string | undefined; limit: number }): Promise<DealRow[]> {
    const where = [scopeCondition(f.scope), f.stage ? eq(deals.stage, f.stage) : undefined, f.afterId ? sql`${deals.id} < ${f.afterId}::uuid` : undefined];
    return db
      .select()
      .from(deals)
      .where(and(...where))
      .orderBy(desc(deals.id))
      .limit(f.limit + 1);
  },

  async stageCounts(db: Executor, scope: DealScope): Promise<{ stage: DealStage; count: number }[]> {
    return db
      .select({ stage: deals.stage, count: sql<number>`count(*)::int` })
      .from(deals)
      .where(scopeCondition(scope))
      .groupBy(deals.stage);
  },

  // Lookups the rules need about the rows a deal links to.
  async organization(db: Executor, id: string) {
    const [row] = await db.select({ id: organizations.id, kind: organizations.kind }).from(organizations).where(eq(organizations.id, id));
    return row;
  },

  async achievementOwner(db: Executor, id: string): Promise<string | undefined> {
    const [row] = await db.select({ organizationId: achievements.organizationId }).from(achievements).where(eq(achievements.id, id));
    return row?.organizationId;
  },

  async needOwner(db: Executor, id: string): Promise<string | undefined> {
    const [row] = await db.select({ organizationId: needs.organizationId }).from(needs).where(eq(needs.id, id));
    return row?.organizationId;
  },

  async listingOf(db: Executor, id: string) {
    const [row] = await db
      .select({ sellerOrganizationId: listings.sellerOrganizationId, achievementId: listings.achievementId })
      .from(listings)
      .where(eq(listings.id, id));
    return row;
  },
};

export type DealsRepo = typeof dealsRepo;
