import { and, asc, desc, eq, gt } from 'drizzle-orm';
import type { Executor, Tx } from '../../db/client.js';
import { lockListingJournal } from '../../db/locks.js';
import { auditEntries } from './audit.tables.js';

export type AuditEntryRow = typeof auditEntries.$inferSelect;
export type NewAuditEntryRow = typeof auditEntries.$inferInsert;

const a = auditEntries;

/** All SQL of the audit log. There is no update or delete: the table refuses them. */
export const auditRepo = {
  /** Held until the caller's transaction ends; see src/db/locks.ts. */
  lockChain: (tx: Tx, listingId: string): Promise<void> => lockListingJournal(tx, listingId),

  /** The chain's last entry; read after lockChain, so it is the committed head. */
  async head(db: Executor, listingId: string): Promise<Pick<AuditEntryRow, 'seq' | 'hash'> | undefined> {
    const [row] = await db
      .select({ seq: a.seq, hash: a.hash })
      .from(a)
      .where(eq(a.listingId, listingId))
      .orderBy(desc(a.seq))
      .limit(1);
    return row;
  },

  async insert(db: Executor, row: NewAuditEntryRow): Promise<AuditEntryRow> {
    const [out] = await db.insert(a).values(row).returning();
    return out!;
  },

  /** Entries with seq > afterSeq in chain order. */
  async after(db: Executor, listingId: string, afterSeq: number, limit: number): Promise<AuditEntryRow[]> {
    return db
      .select()
      .from(a)
      .where(and(eq(a.listingId, listingId), gt(a.seq, afterSeq)))
      .orderBy(asc(a.seq))
      .limit(limit);
  },

  /** Listing ids that have a chain, in id order after `afterId` (the verification CLI walks them). */
  async listingIds(db: Executor, afterId: string | undefined, limit: number): Promise<string[]> {
    const rows = await db
      .selectDistinct({ listingId: a.listingId })
      .from(a)
      .where(afterId === undefined ? undefined : gt(a.listingId, afterId))
      .orderBy(asc(a.listingId))
      .limit(limit);
    return rows.map((r) => r.listingId);
  },
};

export type AuditRepo = typeof auditRepo;
