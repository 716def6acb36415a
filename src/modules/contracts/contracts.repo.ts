import { and, asc, desc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { organizations } from '../accounts/accounts.tables.js';
import { achievements } from '../achievements/achievements.tables.js';
import { deals } from '../deals/deals.tables.js';
import { listingRegistrations, listings } from '../listings/listings.tables.js';
import { contractNumberCounters, contracts, type ContractStatus, type FilingKind } from './contracts.tables.js';

export type ContractRow = typeof contracts.$inferSelect;
export type NewContractRow = typeof contracts.$inferInsert;
export type ContractPatch = Partial<Omit<ContractRow, 'id' | 'lineageId' | 'revision' | 'filingKind' | 'createdAt' | 'version'>>;

/** A contract version with the brokerage of its deal, which may see it too. */
export interface ContractWithBroker {
  row: ContractRow;
  brokerOrganizationId: string | null;
}

export type ContractScope = { kind: 'all' } | { kind: 'organization'; organizationId: string; role?: 'seller' | 'buyer' | undefined };

export interface ContractListFilter {
  scope: ContractScope;
  status?: ContractStatus | undefined;
  filingKind?: FilingKind | undefined;
  registrationNumber?: string | undefined;
  dealId?: string | undefined;
  afterId?: string | undefined;
  limit: number;
}

const t = contracts;

function scopeCondition(scope: ContractScope): SQL | undefined {
  if (scope.kind === 'all') return undefined;
  const org = scope.organizationId;
  if (scope.role === 'seller') return eq(t.sellerOrganizationId, org);
  if (scope.role === 'buyer') return eq(t.buyerOrganizationId, org);
  return or(
    eq(t.sellerOrganizationId, org),
    eq(t.buyerOrganizationId, org),
    sql`${t.dealId} in (select ${deals.id} from ${deals} where ${deals.brokerOrganizationId} = ${org})`,
  );
}

/** All SQL of the contracts capability (statistics live in the stats capability). */
export const contractsRepo = {
  async insert(db: Executor, row: NewContractRow): Promise<ContractRow> {
    const [out] = await db.insert(t).values(row).returning();
    return out!;
  },

  async findById(db: Executor, id: string): Promise<ContractWithBroker | undefined> {
    const [r] = await db
      .select({ row: t, brokerOrganizationId: deals.brokerOrganizationId })
      .from(t)
      .leftJoin(deals, eq(deals.id, t.dealId))
      .where(eq(t.id, id));
    return r;
  },

  /** The trading desk's insert: a deal has at most one draft (contracts_deal_draft_key). */
  async insertDraft(db: Executor, row: NewContractRow & { dealId: string; status: 'draft' }): Promise<ContractRow | undefined> {
    const [out] = await db
      .insert(t)
      .values(row)
      .onConflictDoNothing({ target: t.dealId, where: sql`${t.status} = 'draft'` })
      .returning();
    return out;
  },

  /** The original filing (a draft or filed) that concludes a deal, if any. */
  async originalOfDeal(db: Executor, dealId: string): Promise<ContractRow | undefined> {
    const [row] = await db
      .select()
      .from(t)
      .where(and(eq(t.dealId, dealId), eq(t.filingKind, 'original')))
      .orderBy(asc(t.id))
      .limit(1);
    return row;
  },

  /** The open draft of a deal or of a sold listing, locked: a filing for either completes it. */
  async draftOfSaleForUpdate(db: Executor, link: { dealId: string | null; listingId: string | null }): Promise<ContractRow | undefined> {
    const of = [link.dealId ? eq(t.dealId, link.dealId) : undefined, link.listingId ? eq(t.listingId, link.listingId) : undefined].filter((c) => c !== undefined);
    if (of.length === 0) return undefined;
    const [row] = await db
      .select()
      .from(t)
      .where(and(eq(t.status, 'draft'), or(...of)))
      .orderBy(asc(t.id))
      .limit(1)
      .for('update');
    return row;
  },

  async findForUpdate(db: Executor, id: string): Promise<ContractRow | undefined> {
    const [row] = await db.select().from(t).where(eq(t.id, id)).for('update');
    return row;
  },

  async update(db: Executor, id: string, patch: ContractPatch): Promise<ContractRow> {
    const [row] = await db
      .update(t)
      .set({ ...patch, version: sql`${t.version} + 1` })
      .where(eq(t.id, id))
      .returning();
    return row!;
  },

  async lineage(db: Executor, lineageId: string): Promise<ContractRow[]> {
    return db.select().from(t).where(eq(t.lineageId, lineageId)).orderBy(asc(t.revision));
  },

  async list(db: Executor, f: ContractListFilter): Promise<ContractRow[]> {
    const where = [
      scopeCondition(f.scope),
      f.status ? eq(t.status, f.status) : undefined,
      f.filingKind ? eq(t.filingKind, f.filingKind) : undefined,
      f.registrationNumber ? eq(t.registrationNumber, f.registrationNumber) : undefined,
      f.dealId ? eq(t.dealId, f.dealId) : undefined,
      f.afterId ? sql`${t.id} < ${f.afterId}::uuid` : undefined,
    ];
    return db
      .select()
      .from(t)
      .where(and(...where))
      .orderBy(desc(t.id))
      .limit(f.limit + 1);
  },

  /** Filings under review whose due date passed, most overdue first; keyset on (review_due_on, id). */
  async overdue(db: Executor, f: { today: string; after?: [string, string] | undefined; limit: number }): Promise<ContractRow[]> {
    const where = [eq(t.status, 'submitted'), sql`${t.reviewDueOn} < ${f.today}::date`];
    if (f.after) where.push(sql`(${t.reviewDueOn}, ${t.id}) > (${f.after[0]}::date, ${f.after[1]}::uuid)`);
    return db
      .select()
      .from(t)
      .where(and(...where))
      .orderBy(asc(t.reviewDueOn), asc(t.id))
      .limit(f.limit + 1);
  },

  /**
   * The next serial of a registration point in a year. The upsert takes the counter row's lock
   * until the transaction ends: concurrent registrations queue on it and each reads the value
   * the previous one committed.
   */
  async nextSerial(db: Executor, key: { year: number; regionPrefix: string; point: string }): Promise<number> {
    const [row] = await db
      .insert(contractNumberCounters)
      .values({ ...key, lastSerial: 1 })
      .onConflictDoUpdate({
        target: [contractNumberCounters.year, contractNumberCounters.regionPrefix, contractNumberCounters.point],
        set: { lastSerial: sql`${contractNumberCounters.lastSerial} + 1` },
      })
      .returning({ lastSerial: contractNumberCounters.lastSerial });
    return row!.lastSerial;
  },

  /** Raises a counter to at least `serial` (seed data assigns its own serials). */
  async raiseSerial(db: Executor, key: { year: number; regionPrefix: string; point: string }, serial: number): Promise<void> {
    await db
      .insert(contractNumberCounters)
      .values({ ...key, lastSerial: serial })
      .onConflictDoUpdate({
        target: [contractNumberCounters.year, contractNumberCounters.regionPrefix, contractNumberCounters.point],
        set: { lastSerial: sql`greatest(${contractNumberCounters.lastSerial}, excluded.last_serial)` },
      });
  },

  async organizations(db: Executor, ids: string[]) {
    return db
      .select({ id: organizations.id, name: organizations.name, kind: organizations.kind, regionCode: organizations.regionCode })
      .from(organizations)
      .where(inArray(organizations.id, ids));
  },

  /** What a contract draft takes from the achievement a listing sold. */
  async achievementForDraft(db: Executor, id: string) {
    const [row] = await db
      .select({ title: achievements.title, fieldCodes: achievements.fieldCodes, ipRights: achievements.ipRights, transferModes: achievements.transferModes })
      .from(achievements)
      .where(eq(achievements.id, id));
    return row;
  },

  /** A listing with the organization of its winning registration, if it sold. */
  async listingSale(db: Executor, listingId: string) {
    const [row] = await db
      .select({ sellerOrganizationId: listings.sellerOrganizationId, status: listings.status, buyerOrganizationId: listingRegistrations.organizationId })
      .from(listings)
      .leftJoin(listingRegistrations, eq(listingRegistrations.id, listings.winnerRegistrationId))
      .where(eq(listings.id, listingId));
    return row;
  },
};

export type ContractsRepo = typeof contractsRepo;
