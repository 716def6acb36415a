import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { achievements } from '../achievements/achievements.tables.js';
import { needs } from '../needs/needs.tables.js';
import type { AchievementRow, IndexableRow, NeedRow } from './search.documents.js';
import type { SearchKind } from './search.engine.js';
import { searchOutbox as o } from './search.tables.js';

export interface ClaimedRow {
  id: number;
  entityId: string;
  reason: 'change' | 'expiry';
  attempts: number;
}

export interface FailedRow {
  id: number;
  nextAttemptAt: Date;
  dead: boolean;
}

// Advisory lock keys (classid, objid): one relay per index at a time, across every API instance.
const LOCK_CLASS = 0x5ea4c8;
const LOCK_OBJECT: Record<SearchKind, number> = { achievement: 1, need: 2 };
/** last_error prefix of failures that were not the row's fault (engine unreachable, 5xx) */
export const TRANSIENT_MARK = '[transient] ';
/** NOTIFY channel announcing committed outbox rows to the relays (payload: the kind) */
export const SEARCH_OUTBOX_CHANNEL = 'search_outbox';

const sourceTable = (kind: SearchKind) => (kind === 'achievement' ? achievements : needs);

/** All SQL of the search outbox and of reading the rows it points at. */
export const searchRepo = {
  /**
   * The row, and a notification PostgreSQL delivers only if and when the transaction commits (the
   * same payload twice in one transaction is delivered once): relays wake at once instead of at
   * their next poll.
   */
  async enqueueChange(db: Executor, entity: SearchKind, entityId: string, now: Date): Promise<void> {
    await db.execute(sql`
      with queued as (
        insert into ${o} (entity, entity_id, reason, enqueued_at, next_attempt_at)
        values (${entity}, ${entityId}, 'change', ${now}, ${now}) returning entity)
      select pg_notify(${SEARCH_OUTBOX_CHANNEL}, entity) from queued`);
  },

  /** The relay's election for one tick: held until its transaction ends, so a crash never leaves it taken. */
  async tryRelayLock(tx: Executor, kind: SearchKind): Promise<boolean> {
    const r = await tx.execute<{ locked: boolean }>(sql`select pg_try_advisory_xact_lock(${LOCK_CLASS}, ${LOCK_OBJECT[kind]}) as locked`);
    return r.rows[0]?.locked === true;
  },

  /** Blocks every relay of this kind until the caller's transaction ends (search:reindex). */
  async holdRelayLock(tx: Executor, kind: SearchKind): Promise<void> {
    await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_CLASS}, ${LOCK_OBJECT[kind]})`);
  },

  /** Due rows, oldest first; SKIP LOCKED so a second claimer never takes the same row. */
  async claimDue(tx: Executor, kind: SearchKind, now: Date, limit: number): Promise<ClaimedRow[]> {
    const rows = await tx
      .select({ id: o.id, entityId: o.entityId, reason: o.reason, attempts: o.attempts })
      .from(o)
      .where(and(eq(o.entity, kind), sql`${o.deadAt} is null`, sql`${o.nextAttemptAt} <= ${now}`))
      .orderBy(asc(o.nextAttemptAt), asc(o.id))
      .limit(limit)
      .for('update', { skipLocked: true });
    return rows;
  },

  async deleteRows(tx: Executor, ids: number[]): Promise<void> {
    if (ids.length > 0) await tx.delete(o).where(inArray(o.id, ids));
  },

  async markFailed(tx: Executor, rows: FailedRow[], error: string, now: Date): Promise<void> {
    if (rows.length === 0) return;
    await tx.execute(sql`
      update ${o} set attempts = ${o.attempts} + 1, last_error = ${error.slice(0, 2000)}, next_attempt_at = v.next_at,
        dead_at = case when v.dead then ${now}::timestamptz end
      from unnest(${sql.param(rows.map((r) => r.id))}::bigint[], ${sql.param(rows.map((r) => r.nextAttemptAt.toISOString()))}::timestamptz[], ${sql.param(rows.map((r) => r.dead))}::boolean[]) as v(id, next_at, dead)
      where ${o.id} = v.id`);
  },

  /** After the engine came back: rows waiting out a backoff for its outage are due now. */
  async releaseTransientBackoff(tx: Executor, kind: SearchKind, now: Date): Promise<number> {
    const r = await tx.execute(sql`
      update ${o} set next_attempt_at = ${now} where ${o.entity} = ${kind} and ${o.deadAt} is null
        and ${o.nextAttemptAt} > ${now} and ${o.lastError} like ${`${TRANSIENT_MARK}%`}`);
    return r.rowCount ?? 0;
  },

  /** One pending expiry check per indexed row, at its validUntil; rescheduling moves it. */
  async scheduleExpiry(tx: Executor, kind: SearchKind, items: { id: string; validUntil: number }[], now: Date): Promise<void> {
    if (items.length === 0) return;
    await tx
      .insert(o)
      .values(items.map((i) => ({ entity: kind, entityId: i.id, reason: 'expiry' as const, enqueuedAt: now, nextAttemptAt: new Date(i.validUntil) })))
      .onConflictDoUpdate({
        target: [o.entity, o.entityId],
        targetWhere: sql`${o.reason} = 'expiry' and ${o.deadAt} is null`,
        set: { nextAttemptAt: sql.raw('excluded.next_attempt_at'), attempts: 0, lastError: null },
      });
  },

  /** A row that left the index needs no expiry check any more. */
  async cancelExpiry(tx: Executor, kind: SearchKind, entityIds: string[]): Promise<void> {
    if (entityIds.length === 0) return;
    await tx.execute(sql`delete from ${o} where ${o.entity} = ${kind} and ${o.reason} = 'expiry' and ${o.deadAt} is null and ${o.entityId} = any(${sql.param(entityIds)}::uuid[])`);
  },

  /** The expiry check of every indexable row (after a rebuild), in one statement. */
  async scheduleExpiryForAll(tx: Executor, kind: SearchKind, now: Date): Promise<void> {
    const src = sourceTable(kind);
    await tx.execute(sql`
      insert into ${o} (entity, entity_id, reason, enqueued_at, next_attempt_at)
      select ${kind}, ${src.id}, 'expiry', ${now}, ${src.validUntil} from ${src}
      where ${src.status} = 'published' and ${src.validUntil} > ${now}
      on conflict (entity, entity_id) where reason = 'expiry' and dead_at is null
      do update set next_attempt_at = excluded.next_attempt_at, attempts = 0, last_error = null`);
  },

  /** A rebuild makes the index equal to the database: dead letters of that kind are then moot. */
  async clearDead(tx: Executor, kind: SearchKind): Promise<number> {
    const r = await tx.execute(sql`delete from ${o} where ${o.entity} = ${kind} and ${o.deadAt} is not null`);
    return r.rowCount ?? 0;
  },

  async loadRows(db: Executor, kind: SearchKind, ids: string[]): Promise<IndexableRow[]> {
    if (ids.length === 0) return [];
    if (kind === 'achievement') {
      const rows = await db.select().from(achievements).where(inArray(achievements.id, ids));
      return rows.map((row: AchievementRow) => ({ kind, row }));
    }
    const rows = await db.select().from(needs).where(inArray(needs.id, ids));
    return rows.map((row: NeedRow) => ({ kind: 'need' as const, row }));
  },

  /** Indexable rows in id order, a page at a time (reindex). */
  async scanIndexable(db: Executor, kind: SearchKind, now: Date, afterId: string | undefined, limit: number): Promise<IndexableRow[]> {
    if (kind === 'achievement') {
      const t = achievements;
      const rows = await db
        .select()
        .from(t)
        .where(and(eq(t.status, 'published'), gt(t.validUntil, now), afterId ? gt(t.id, afterId) : undefined))
        .orderBy(asc(t.id))
        .limit(limit);
      return rows.map((row) => ({ kind, row }));
    }
    const t = needs;
    const rows = await db
      .select()
      .from(t)
      .where(and(eq(t.status, 'published'), gt(t.validUntil, now), afterId ? gt(t.id, afterId) : undefined))
      .orderBy(asc(t.id))
      .limit(limit);
    return rows.map((row) => ({ kind: 'need' as const, row }));
  },

  /** Backlog per kind: what operators watch (pending, of which failing, dead). */
  async backlog(db: Executor): Promise<{ entity: SearchKind; pending: number; retrying: number; dead: number }[]> {
    const r = await db.execute<{ entity: SearchKind; pending: number; retrying: number; dead: number }>(sql`
      select entity,
        count(*) filter (where dead_at is null and reason = 'change')::int as pending,
        count(*) filter (where dead_at is null and attempts > 0)::int as retrying,
        count(*) filter (where dead_at is not null)::int as dead
      from ${o} group by entity`);
    return r.rows;
  },
};

export type SearchRepo = typeof searchRepo;
