import { and, asc, desc, eq, gt, sql, type SQL } from 'drizzle-orm';
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

  /** head() as a json scalar subquery ({seq, hash} or null), to be read inside another statement. */
  headQuery: (listingId: string): SQL =>
    sql`(select json_build_object('seq', ${a.seq}, 'hash', ${a.hash}) from ${a} where ${a.listingId} = ${listingId} order by ${a.seq} desc limit 1)`,

  /** Entries in one insert statement, for the caller to run (inside a WITH of its own, too). */
  insertManyStatement(rows: readonly NewAuditEntryRow[]): SQL {
    const values = rows.map((r) => ({
      id: r.id,
      listing_id: r.listingId,
      seq: r.seq,
      action: r.action,
      actor_user_id: r.actorUserId ?? null,
      actor_organization_id: r.actorOrganizationId ?? null,
      data: r.data,
      created_at: r.createdAt.toISOString(),
      prev_hash: r.prevHash ?? null,
      hash: r.hash,
    }));
    return sql`insert into ${a} (id, listing_id, seq, action, actor_user_id, actor_organization_id, data, created_at, prev_hash, hash)
      select x.id, x.listing_id, x.seq, x.action, x.actor_user_id, x.actor_organization_id, x.data, x.created_at, x.prev_hash, x.hash
      from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as x(id uuid, listing_id uuid, seq int, action text, actor_user_id uuid, actor_organization_id uuid,
        data jsonb, created_at timestamptz, prev_hash text, hash text)`;
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
