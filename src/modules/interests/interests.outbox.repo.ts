import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { keysetCondition, keysetOrderBy } from '../../lib/publication.js';
import { users } from '../accounts/accounts.tables.js';
import { achievements } from '../achievements/achievements.tables.js';
import { needs } from '../needs/needs.tables.js';
import type { IndexableRow } from '../search/search.documents.js';
import { newestFirst } from './interests.repo.js';
import { notificationOutbox as o, notifications as n, subscriptions as s, type SubjectKind } from './interests.tables.js';

export type SubscriptionRow = typeof s.$inferSelect;
export const subscriptionOrder = newestFirst(sql`${s.createdAt}`);

export interface ClaimedPublication {
  id: number;
  subjectKind: SubjectKind;
  subjectId: string;
  attempts: number;
}

export interface ClaimedWebhook {
  id: number;
  subscriptionId: string;
  payload: unknown;
  /** attempts including this one: the claim counts it, so a crash mid-delivery still counts */
  attempts: number;
  webhookUrl: string;
  webhookSecret: string;
}

export interface OutboxFailure {
  id: number;
  nextAttemptAt: Date;
  dead: boolean;
  error: string;
}

/** What a publication is matched on: public fields only. */
export interface PublishedItem {
  kind: SubjectKind;
  organizationId: string;
  title: string;
  fieldPathCodes: string[];
  regionCode: string;
  /** jieba terms of the public text, space-separated (what the PostgreSQL engine indexes) */
  terms: string;
}

export interface MatchedSubscription {
  id: string;
  userId: string;
  hasWebhook: boolean;
}

/** SQL of saved searches and of their outbox. */
export const subscriptionsRepo = {
  async insert(db: Executor, row: typeof s.$inferInsert): Promise<SubscriptionRow> {
    const [out] = await db.insert(s).values(row).returning();
    return out!;
  },

  async findById(db: Executor, id: string): Promise<SubscriptionRow | undefined> {
    const [row] = await db.select().from(s).where(eq(s.id, id));
    return row;
  },

  async list(db: Executor, userId: string, f: { limit: number; cursor?: string | undefined }): Promise<SubscriptionRow[]> {
    return db
      .select()
      .from(s)
      .where(and(eq(s.userId, userId), keysetCondition(subscriptionOrder, s.id, f.cursor)))
      .orderBy(keysetOrderBy(subscriptionOrder, s.id))
      .limit(f.limit + 1);
  },

  /** Pending webhooks go with it (cascade); notifications already made stay. */
  async delete(db: Executor, userId: string, id: string): Promise<boolean> {
    const rows = await db.delete(s).where(and(eq(s.id, id), eq(s.userId, userId))).returning({ id: s.id });
    return rows.length > 0;
  },

  /** Whether PostgreSQL parses the tsquery text into something that can match (not only stop words). */
  async isMatchableTsquery(db: Executor, tsquery: string): Promise<boolean> {
    const r = await db.execute<{ nodes: number }>(sql`select numnode(to_tsquery('simple', ${tsquery}))::int as nodes`);
    return (r.rows[0]?.nodes ?? 0) > 0;
  },

  async enqueuePublication(db: Executor, kind: SubjectKind, id: string, now: Date): Promise<void> {
    await db.insert(o).values({ topic: 'publication', subjectKind: kind, subjectId: id, enqueuedAt: now, nextAttemptAt: now });
  },

  /** Due rows of a topic, oldest first; SKIP LOCKED so a second relay never takes the same row. */
  async claimPublications(tx: Executor, now: Date, limit: number): Promise<ClaimedPublication[]> {
    const rows = await tx
      .select({ id: o.id, subjectKind: o.subjectKind, subjectId: o.subjectId, attempts: o.attempts })
      .from(o)
      .where(and(eq(o.topic, 'publication'), sql`${o.deadAt} is null`, sql`${o.nextAttemptAt} <= ${now}`))
      .orderBy(asc(o.nextAttemptAt), asc(o.id))
      .limit(limit)
      .for('update', { skipLocked: true });
    return rows.map((r) => ({ id: r.id, subjectKind: r.subjectKind!, subjectId: r.subjectId!, attempts: r.attempts }));
  },

  async loadSubject(db: Executor, kind: SubjectKind, id: string): Promise<IndexableRow | undefined> {
    if (kind === 'achievement') {
      const [row] = await db.select().from(achievements).where(eq(achievements.id, id));
      return row ? { kind: 'achievement', row } : undefined;
    }
    const [row] = await db.select().from(needs).where(eq(needs.id, id));
    return row ? { kind: 'need', row } : undefined;
  },

  /**
   * Every subscription the item satisfies, in one statement: kind; not the subscriber's own
   * organization's item; any of its field codes among the item's codes and their ancestors; its
   * region (a province matches its cities, a city its counties); and its text, as the search box
   * would find it (the jieba tsquery, or the title substring for queries of three characters or more).
   */
  async matching(db: Executor, item: PublishedItem): Promise<MatchedSubscription[]> {
    // The item's tsvector once (a CTE), not once per subscription row.
    const r = await db.execute<{ id: string; user_id: string; has_webhook: boolean }>(sql`
      with published as (select to_tsvector('simple', ${item.terms}) as tsv)
      select ${s.id} as id, ${s.userId} as user_id, ${s.webhookUrl} is not null as has_webhook
      from published, ${s} join ${users} on ${users.id} = ${s.userId}
      where ${s.kind} = ${item.kind}
        and ${users.organizationId} <> ${item.organizationId}
        and (cardinality(${s.fieldCodes}) = 0 or ${s.fieldCodes} && ${sql.param(item.fieldPathCodes)}::text[])
        and (${s.regionCode} is null or ${item.regionCode} like left(${s.regionCode}, case when ${s.regionCode} like '%0000' then 2 when ${s.regionCode} like '%00' then 4 else 6 end) || '%')
        and (${s.q} is null
          or (${s.matchQuery} is not null and published.tsv @@ to_tsquery('simple', ${s.matchQuery}))
          or (${s.titlePattern} is not null and ${item.title} ilike ${s.titlePattern}))`);
    return r.rows.map((row) => ({ id: row.id, userId: row.user_id, hasWebhook: row.has_webhook }));
  },

  /** Returns the notifications actually inserted: a subscription already told about the row gets none. */
  async insertMatchNotifications(db: Executor, rows: (typeof n.$inferInsert)[]): Promise<{ id: string; subscriptionId: string }[]> {
    if (rows.length === 0) return [];
    const out = await db
      .insert(n)
      .values(rows)
      .onConflictDoNothing({ target: [n.subscriptionId, n.subjectKind, n.subjectId] })
      .returning({ id: n.id, subscriptionId: n.subscriptionId });
    return out.map((r) => ({ id: r.id, subscriptionId: r.subscriptionId! }));
  },

  async enqueueWebhooks(db: Executor, rows: { subscriptionId: string; payload: unknown }[], now: Date): Promise<void> {
    if (rows.length === 0) return;
    await db.insert(o).values(rows.map((r) => ({ topic: 'webhook' as const, subscriptionId: r.subscriptionId, payload: r.payload, enqueuedAt: now, nextAttemptAt: now })));
  },

  async deleteRows(db: Executor, ids: number[]): Promise<void> {
    if (ids.length > 0) await db.delete(o).where(inArray(o.id, ids));
  },

  async markFailed(db: Executor, f: OutboxFailure, now: Date): Promise<void> {
    await db
      .update(o)
      .set({ attempts: sql`${o.attempts} + 1`, lastError: f.error.slice(0, 2000), nextAttemptAt: f.nextAttemptAt, deadAt: f.dead ? now : null })
      .where(eq(o.id, f.id));
  },

  /**
   * Claims due webhooks by leasing them: the claim counts the attempt and moves next_attempt_at to
   * the end of the lease, then commits, so the HTTP call runs outside any transaction. A relay that
   * dies mid-delivery leaves the row to be retried when the lease ends (at least once).
   */
  async claimWebhooks(tx: Executor, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedWebhook[]> {
    const r = await tx.execute<{ id: number; subscription_id: string; payload: unknown; attempts: number; webhook_url: string; webhook_secret: string }>(sql`
      with due as (
        select ${o.id} as id from ${o}
        where ${o.topic} = 'webhook' and ${o.deadAt} is null and ${o.nextAttemptAt} <= ${now}
        order by ${o.nextAttemptAt}, ${o.id} limit ${limit}
        for update skip locked
      )
      update ${o} set attempts = ${o.attempts} + 1, next_attempt_at = ${leaseUntil}
      from due, ${s}
      where ${o.id} = due.id and ${s.id} = ${o.subscriptionId}
      returning ${o.id} as id, ${o.subscriptionId} as subscription_id, ${o.payload} as payload, ${o.attempts} as attempts,
        ${s.webhookUrl} as webhook_url, ${s.webhookSecret} as webhook_secret`);
    return r.rows.map((row) => ({ id: Number(row.id), subscriptionId: row.subscription_id, payload: row.payload, attempts: row.attempts, webhookUrl: row.webhook_url, webhookSecret: row.webhook_secret }));
  },

  /** Conditional on the claim's attempt count: a relay whose lease ran out does not overwrite a newer claim. */
  async webhookDelivered(db: Executor, id: number, attempts: number): Promise<void> {
    await db.delete(o).where(and(eq(o.id, id), eq(o.attempts, attempts)));
  },

  async webhookFailed(db: Executor, id: number, attempts: number, f: { nextAttemptAt: Date; dead: boolean; error: string }, now: Date): Promise<void> {
    await db
      .update(o)
      .set({ lastError: f.error.slice(0, 2000), nextAttemptAt: f.nextAttemptAt, deadAt: f.dead ? now : null })
      .where(and(eq(o.id, id), eq(o.attempts, attempts)));
  },
};

export type SubscriptionsRepo = typeof subscriptionsRepo;
