import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { Executor, Tx } from '../../db/client.js';
import { listingJournalLock, noteListingJournalLocked } from '../../db/locks.js';
import { listingRegistrations } from '../listings/listings.tables.js';
import { auctions, bids } from './auctions.tables.js';

export type AuctionRow = typeof auctions.$inferSelect;
export type BidRow = typeof bids.$inferSelect;
type RegistrationRow = typeof listingRegistrations.$inferSelect;

/** What a bid needs of its bidder's registration. */
export type BidderRegistration = Pick<RegistrationRow, 'id' | 'organizationId' | 'paddle' | 'status' | 'depositFen' | 'depositStatus'>;

/** The auction's state after a batch of bids. */
export type AuctionPatch = Pick<AuctionRow, 'currentPriceFen' | 'bidCount' | 'leadingBidId' | 'leadingRegistrationId' | 'leadingPaddle' | 'endsAt' | 'extensions' | 'updatedAt'>;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const date = (v: unknown): Date | null => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v)));

/** An auctions row as raw SQL returns it (snake case; the pool parses timestamptz and int8). */
function auctionOf(r: Record<string, unknown>): AuctionRow {
  return {
    listingId: String(r.listing_id),
    status: r.status as AuctionRow['status'],
    startsAt: date(r.starts_at)!,
    endsAt: date(r.ends_at)!,
    startPriceFen: num(r.start_price_fen)!,
    incrementFen: num(r.increment_fen)!,
    reservePriceFen: num(r.reserve_price_fen),
    extensionWindowSeconds: num(r.extension_window_seconds)!,
    extensionSeconds: num(r.extension_seconds)!,
    currentPriceFen: num(r.current_price_fen),
    bidCount: num(r.bid_count)!,
    extensions: num(r.extensions)!,
    leadingBidId: (r.leading_bid_id as string | null) ?? null,
    leadingRegistrationId: (r.leading_registration_id as string | null) ?? null,
    leadingPaddle: num(r.leading_paddle),
    closedAt: date(r.closed_at),
    updatedAt: date(r.updated_at)!,
  };
}

/** All SQL of auctions and bids. */
export const auctionsRepo = {
  async insert(db: Executor, row: typeof auctions.$inferInsert): Promise<AuctionRow> {
    const [out] = await db.insert(auctions).values(row).returning();
    return out!;
  },

  async findForUpdate(db: Executor, listingId: string): Promise<AuctionRow | undefined> {
    const [row] = await db.select().from(auctions).where(eq(auctions.listingId, listingId)).for('update');
    return row;
  },

  async update(db: Executor, listingId: string, patch: Partial<Omit<AuctionRow, 'listingId'>>): Promise<AuctionRow> {
    const [row] = await db.update(auctions).set(patch).where(eq(auctions.listingId, listingId)).returning();
    return row!;
  },

  /**
   * A bid batch's first statement. Locks the auction row (the lock every bid and the close take),
   * then, once the row is locked (the lateral subquery yields it only then), the listing's
   * journal lock, keeping the order row → journal that every journal writer keeps, and finally
   * `alsoLock` (the batch's Idempotency-Key try-locks, which never wait), whose value comes back
   * as `also`. With no auction only `alsoLock` is taken.
   */
  async lockForBids<T>(tx: Tx, listingId: string, alsoLock: SQL | null): Promise<{ auction: AuctionRow | undefined; also: T | null }> {
    const result = await tx.execute<Record<string, unknown>>(sql`
      select a.*, ${listingJournalLock(sql`a.listing_id::text`)} is null as journal_locked, ${alsoLock ?? sql`null`} as extra_locks
      from (select 1) as one
      left join lateral (select * from ${auctions} where ${auctions.listingId} = ${listingId} for update) as a on true`);
    const row = result.rows[0]!;
    if (row.listing_id) noteListingJournalLocked(tx, listingId);
    return { auction: row.listing_id ? auctionOf(row) : undefined, also: (row.extra_locks ?? null) as T | null };
  },

  /**
   * What a bid batch reads once its locks are held (a statement that starts after lockForBids, so
   * its snapshot follows them): the registrations of the bidding organizations, and `extra`
   * json expressions of other modules (the audit head, stored Idempotency-Key answers).
   */
  async readForBids<E extends string>(tx: Tx, listingId: string, organizationIds: readonly string[], extra: Record<E, SQL | null>): Promise<{ registrations: BidderRegistration[] } & Record<E, unknown>> {
    const r = listingRegistrations;
    // A probe of the unique index per organization: the limit keeps the planner from flattening the
    // LATERAL into a join that reads every registration of the listing (see IdempotencyBatch.lookupQuery).
    const extras = Object.entries<SQL | null>(extra).map(([name, expr]) => sql`, ${expr ?? sql`null`} as ${sql.identifier(name)}`);
    const result = await tx.execute<Record<string, unknown>>(sql`
      select (select coalesce(json_agg(json_build_object('id', r.id, 'organizationId', r.organization_id, 'paddle', r.paddle, 'status', r.status,
                'depositFen', r.deposit_fen, 'depositStatus', r.deposit_status)), '[]'::json)
              from jsonb_array_elements_text(${JSON.stringify(organizationIds)}::jsonb) as o
              cross join lateral (select * from ${r} where ${r.listingId} = ${listingId} and ${r.organizationId} = o.value::uuid limit 1) as r
             ) as registrations
      ${sql.join(extras)}`);
    return result.rows[0] as { registrations: BidderRegistration[] } & Record<E, unknown>;
  },

  /**
   * Everything a bid batch writes, in one statement (its round trips are made under the auction
   * lock): the accepted bids, the auction's new price, count, leader and end, and the statements
   * of other modules (audit entries, idempotency records, feed events and their notification).
   * The bid rows were checked in memory against the locked state, so nothing here is expected to
   * fail; if anything does, the transaction and with it the whole batch fails.
   */
  async recordBatch(tx: Tx, w: { listingId: string; bids: readonly BidRow[]; auction: AuctionPatch | null; statements: readonly (SQL | null)[]; events: { insert: SQL; notify: (inserted: SQL) => SQL } | null }): Promise<void> {
    const steps: SQL[] = [];
    if (w.bids.length > 0) {
      const values = w.bids.map((b) => ({
        id: b.id,
        registration_id: b.registrationId,
        organization_id: b.organizationId,
        user_id: b.userId,
        paddle: b.paddle,
        amount_fen: b.amountFen,
        seq: b.seq,
        placed_at: b.placedAt.toISOString(),
      }));
      steps.push(sql`insert into ${bids} (id, listing_id, registration_id, organization_id, user_id, paddle, amount_fen, seq, placed_at)
        select x.id, ${w.listingId}, x.registration_id, x.organization_id, x.user_id, x.paddle, x.amount_fen, x.seq, x.placed_at
        from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as x(id uuid, registration_id uuid, organization_id uuid, user_id uuid, paddle int, amount_fen bigint, seq int, placed_at timestamptz)`);
    }
    if (w.auction) {
      const a = w.auction;
      steps.push(sql`update ${auctions} set current_price_fen = ${a.currentPriceFen}, bid_count = ${a.bidCount}, leading_bid_id = ${a.leadingBidId},
        leading_registration_id = ${a.leadingRegistrationId}, leading_paddle = ${a.leadingPaddle}, ends_at = ${a.endsAt.toISOString()}::timestamptz,
        extensions = ${a.extensions}, updated_at = ${a.updatedAt.toISOString()}::timestamptz
        where listing_id = ${w.listingId}`);
    }
    for (const s of w.statements) if (s) steps.push(s);
    if (w.events) steps.push(w.events.insert);
    if (steps.length === 0) return;
    // Data-modifying WITH entries run exactly once whether or not the final select reads them.
    const named = steps.map((s, i) => sql`${sql.identifier(`w${i}`)} as (${s})`);
    const final = w.events ? w.events.notify(sql`${sql.identifier(`w${steps.length - 1}`)}`) : sql`select 1`;
    await tx.execute(sql`with ${sql.join(named, sql`, `)} ${final}`);
  },

  /** Highest first; keyset on the amount, which is unique per auction. */
  async listBids(db: Executor, q: { listingId: string; belowAmount?: number | undefined; limit: number }): Promise<BidRow[]> {
    return db
      .select()
      .from(bids)
      .where(and(eq(bids.listingId, q.listingId), q.belowAmount === undefined ? undefined : lt(bids.amountFen, q.belowAmount)))
      .orderBy(desc(bids.amountFen))
      .limit(q.limit + 1);
  },

  async countBids(db: Executor, listingId: string): Promise<number> {
    const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(bids).where(eq(bids.listingId, listingId));
    return row?.n ?? 0;
  },
};

export type AuctionsRepo = typeof auctionsRepo;
