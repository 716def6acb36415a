import type { Db, Executor } from '../../db/client.js';
import type { ChangeRecorder } from '../../lib/changes.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { documentOf, isIndexable } from '../search/search.documents.js';
import type { SearchDocument } from '../search/search.engine.js';
import { backoffMs, type RelayLog } from '../search/search.outbox.js';
import { documentTerms } from '../search/search.text.js';
import type { ClaimedPublication, ClaimedWebhook, SubscriptionsRepo } from './interests.outbox.repo.js';
import type { WebhookPayload } from './interests.schemas.js';
import { deliverWebhook, type Resolver, type WebhookPolicy } from './interests.webhooks.js';

/**
 * The ChangeRecorder part of saved searches: a change that publishes a row (the lifecycle says so)
 * writes a `publication` outbox row in that same transaction; other changes write nothing.
 */
export function createPublicationRecorder(deps: { repo: Pick<SubscriptionsRepo, 'enqueuePublication'>; clock: Clock }): ChangeRecorder {
  return {
    async record(tx: Executor, entity, id, kind) {
      if (kind === 'published') await deps.repo.enqueuePublication(tx, entity, id, deps.clock.now());
    },
  };
}

export interface NotificationRelayOptions {
  publicationBatchSize: number;
  /** webhooks sent concurrently per tick */
  webhookBatchSize: number;
  /** failures before a row is dead-lettered */
  maxAttempts: number;
  webhookTimeoutMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  intervalMs: number;
  /** [0, 1); injected so tests can pin the jitter */
  random: () => number;
}

export const DEFAULT_NOTIFICATION_RELAY_OPTIONS: NotificationRelayOptions = {
  publicationBatchSize: 100,
  webhookBatchSize: 20,
  maxAttempts: 8,
  webhookTimeoutMs: 5_000,
  baseDelayMs: 1_000,
  maxDelayMs: 30 * 60_000,
  intervalMs: 500,
  random: Math.random,
};

export interface NotificationTickResult {
  publications: { claimed: number; notified: number; webhooks: number; failed: number; dead: number };
  webhooks: { claimed: number; delivered: number; failed: number; dead: number };
}

export interface NotificationRelayDeps {
  db: Db;
  repo: SubscriptionsRepo;
  /** business time: outbox scheduling and notification times */
  clock: Clock;
  /** real time for the signature timestamp, which receivers compare with their own clocks */
  wallClock: Clock;
  webhookPolicy: WebhookPolicy;
  resolve?: Resolver;
  options?: Partial<NotificationRelayOptions>;
}

/** Every public term of a row, as the PostgreSQL engine indexes it (search.postgres.ts weightedTerms). */
function publicTerms(doc: SearchDocument): string {
  const rest = doc.kind === 'achievement' ? [doc.description, doc.applications, doc.institution] : [doc.description];
  return [doc.title, ...doc.keywords, doc.summary, ...rest].flatMap((x) => documentTerms(x)).join(' ');
}

function payloadOf(notificationId: string, subscriptionId: string, doc: SearchDocument, now: Date): WebhookPayload {
  return {
    id: notificationId,
    event: 'subscription.match',
    createdAt: now.toISOString(),
    subscriptionId,
    item: {
      type: doc.kind,
      id: doc.id,
      title: doc.title,
      summary: doc.summary,
      fieldCodes: doc.fieldCodes,
      regionCode: doc.regionCode,
      organizationId: doc.organizationId,
      publishedAt: new Date(doc.publishedAt).toISOString(),
      url: `/v1/${doc.kind === 'achievement' ? 'achievements' : 'needs'}/${doc.id}`,
    },
  };
}

/**
 * Delivers the subscriptions outbox after commit, never inside the publishing request.
 * `publication` rows: in one transaction, claimed FOR UPDATE SKIP LOCKED; each is matched in a
 * savepoint, writing its notifications and webhook rows, and deleted; a failure backs it off.
 * `webhook` rows: leased (claimed FOR UPDATE SKIP LOCKED, attempt counted, committed), POSTed
 * outside any transaction, then deleted or backed off (exponential, equal jitter) and
 * dead-lettered after maxAttempts, or at once when the URL is refused by the SSRF guard.
 * Several processes may run it: SKIP LOCKED and the lease keep them off each other's rows, and
 * notifications are unique per (subscription, row), so a repeated match tells nobody twice.
 */
export function createNotificationRelay(deps: NotificationRelayDeps) {
  const { db, repo, clock, wallClock, webhookPolicy, resolve } = deps;
  const opts: NotificationRelayOptions = { ...DEFAULT_NOTIFICATION_RELAY_OPTIONS, ...deps.options };
  // Longer than any attempt, so a live relay's lease never runs out under it.
  const leaseMs = 2 * opts.webhookTimeoutMs + 10_000;
  let log: RelayLog = { info() {}, warn() {}, error() {} };

  async function matchPublication(tx: Executor, row: ClaimedPublication, now: Date): Promise<{ notified: number; webhooks: number }> {
    const loaded = await repo.loadSubject(tx, row.subjectKind, row.subjectId);
    // Archived, sent back to review or expired before the relay came: nothing new to tell.
    if (!loaded || !isIndexable(loaded.row, now)) return { notified: 0, webhooks: 0 };
    const doc = documentOf(loaded);
    const matched = await repo.matching(tx, {
      kind: doc.kind,
      organizationId: doc.organizationId,
      title: doc.title,
      fieldPathCodes: doc.fieldPathCodes,
      regionCode: doc.regionCode,
      terms: publicTerms(doc),
    });
    const inserted = await repo.insertMatchNotifications(
      tx,
      matched.map((m) => ({ id: newId(), userId: m.userId, type: 'subscription_match' as const, subjectKind: doc.kind, subjectId: doc.id, title: doc.title, subscriptionId: m.id, createdAt: now })),
    );
    const withWebhook = new Set(matched.filter((m) => m.hasWebhook).map((m) => m.id));
    const webhooks = inserted.filter((i) => withWebhook.has(i.subscriptionId)).map((i) => ({ subscriptionId: i.subscriptionId, payload: payloadOf(i.id, i.subscriptionId, doc, now) }));
    await repo.enqueueWebhooks(tx, webhooks, now);
    return { notified: inserted.length, webhooks: webhooks.length };
  }

  async function tickPublications(): Promise<NotificationTickResult['publications']> {
    const result = { claimed: 0, notified: 0, webhooks: 0, failed: 0, dead: 0 };
    await db.transaction(async (tx) => {
      const now = clock.now();
      const claimed = await repo.claimPublications(tx, now, opts.publicationBatchSize);
      result.claimed = claimed.length;
      for (const row of claimed) {
        try {
          // A savepoint per row: one failing match rolls back only its own writes.
          const r = await tx.transaction((sp) => matchPublication(sp, row, now));
          await repo.deleteRows(tx, [row.id]);
          result.notified += r.notified;
          result.webhooks += r.webhooks;
        } catch (err) {
          const dead = row.attempts + 1 >= opts.maxAttempts;
          await repo.markFailed(tx, { id: row.id, nextAttemptAt: new Date(now.getTime() + backoffMs(row.attempts, opts)), dead, error: String(err) }, now);
          result.failed++;
          if (dead) result.dead++;
          log.warn({ outboxId: row.id, subject: row.subjectId, err: String(err), dead }, 'subscription matching failed');
        }
      }
    });
    return result;
  }

  async function send(w: ClaimedWebhook): Promise<'delivered' | 'failed' | 'dead'> {
    const payload = w.payload as WebhookPayload;
    const attempt = await deliverWebhook(
      {
        url: w.webhookUrl,
        body: JSON.stringify(payload),
        secret: w.webhookSecret,
        event: payload.event,
        deliveryId: payload.id,
        timestampSeconds: Math.floor(wallClock.now().getTime() / 1000),
      },
      webhookPolicy,
      opts.webhookTimeoutMs,
      resolve,
    );
    const now = clock.now();
    if (attempt.ok) {
      await repo.webhookDelivered(db, w.id, w.attempts);
      return 'delivered';
    }
    // The claim already counted this attempt: w.attempts - 1 failures came before it.
    const dead = attempt.refused || w.attempts >= opts.maxAttempts;
    const error = attempt.error ?? 'failed';
    await repo.webhookFailed(db, w.id, w.attempts, { nextAttemptAt: new Date(now.getTime() + backoffMs(w.attempts - 1, opts)), dead, error }, now);
    const context = { outboxId: w.id, subscriptionId: w.subscriptionId, attempts: w.attempts, err: error };
    if (dead) log.error(context, 'webhook dead-lettered');
    else log.warn(context, 'webhook delivery failed; will retry');
    return dead ? 'dead' : 'failed';
  }

  async function tickWebhooks(): Promise<NotificationTickResult['webhooks']> {
    const now = clock.now();
    const claimed = await db.transaction((tx) => repo.claimWebhooks(tx, now, new Date(now.getTime() + leaseMs), opts.webhookBatchSize));
    const outcomes = await Promise.all(claimed.map(send));
    return {
      claimed: claimed.length,
      delivered: outcomes.filter((o) => o === 'delivered').length,
      failed: outcomes.filter((o) => o !== 'delivered').length,
      dead: outcomes.filter((o) => o === 'dead').length,
    };
  }

  async function tick(): Promise<NotificationTickResult> {
    const publications = await tickPublications();
    const webhooks = await tickWebhooks();
    return { publications, webhooks };
  }

  let running: Promise<void> | undefined;
  let stopped = true;
  let wake: (() => void) | undefined;

  async function loop() {
    while (!stopped) {
      let busy = false;
      try {
        const r = await tick();
        busy = r.publications.claimed >= opts.publicationBatchSize || r.webhooks.claimed >= opts.webhookBatchSize;
      } catch (err) {
        log.error({ err: String(err) }, 'notification relay tick failed');
      }
      if (stopped) break;
      await new Promise<void>((resolveWait) => {
        const timer = setTimeout(resolveWait, busy ? 0 : opts.intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolveWait();
        };
      });
      wake = undefined;
    }
  }

  return {
    tick,
    /** Ticks until nothing is due (tests). Failed rows back off into the future and wait. */
    async drain(maxTicks = 100): Promise<NotificationTickResult[]> {
      const all: NotificationTickResult[] = [];
      for (let i = 0; i < maxTicks; i++) {
        const r = await tick();
        all.push(r);
        if (r.publications.claimed === 0 && r.webhooks.claimed === 0) return all;
      }
      return all;
    },
    start(logger?: RelayLog): void {
      if (!stopped) return;
      if (logger) log = logger;
      stopped = false;
      running = loop();
    },
    async stop(): Promise<void> {
      stopped = true;
      wake?.();
      await running;
      running = undefined;
    },
  };
}

export type NotificationRelay = ReturnType<typeof createNotificationRelay>;
