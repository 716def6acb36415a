import type pg from 'pg';
import type { Db, Executor } from '../../db/client.js';
import type { ChangeRecorder } from '../../lib/changes.js';
import type { Clock } from '../../lib/clock.js';
import { documentOf, isIndexable } from './search.documents.js';
import { SEARCH_KINDS, SearchEngineError, type SearchEngine, type SearchKind } from './search.engine.js';
import { SEARCH_OUTBOX_CHANNEL, TRANSIENT_MARK, type ClaimedRow, type SearchRepo } from './search.repo.js';

/** The ChangeRecorder the achievements and needs services call inside their transactions. */
export function createOutboxRecorder(deps: { repo: SearchRepo; clock: Clock }): ChangeRecorder {
  return {
    async record(tx: Executor, entity, id) {
      await deps.repo.enqueueChange(tx, entity, id, deps.clock.now());
    },
  };
}

export interface RelayOptions {
  /** outbox rows claimed per tick and kind */
  batchSize: number;
  /** rejections (not outages) before a row is dead-lettered */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * pause between ticks when there was nothing (more) to do; a committed change wakes the relay
   * sooner through LISTEN/NOTIFY, so this bounds only expiry checks and a lost LISTEN connection
   */
  intervalMs: number;
  /** first wait before re-establishing a lost LISTEN connection; doubles up to 30 s */
  reconnectDelayMs: number;
  /** [0, 1); injected so tests can pin the jitter */
  random: () => number;
}

export const DEFAULT_RELAY_OPTIONS: RelayOptions = {
  batchSize: 200,
  maxAttempts: 8,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  intervalMs: 200,
  reconnectDelayMs: 500,
  random: Math.random,
};

export interface RelayLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface TickResult {
  kind: SearchKind;
  /** another relay held this kind's lock: this one stood by */
  skipped: boolean;
  claimed: number;
  upserted: number;
  removed: number;
  failed: number;
  dead: number;
  /** rows whose outage backoff was lifted because the engine answers again */
  released: number;
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so relays that
 * failed together do not retry together. attempts = failures so far, before this one.
 */
export function backoffMs(attempts: number, o: Pick<RelayOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.min(attempts, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * o.random());
}

const silent: RelayLog = { info() {}, warn() {}, error() {} };

/**
 * Delivers outbox rows to the engine. Each tick, per kind, in one transaction: win the kind's
 * advisory lock (else stand by), claim due rows FOR UPDATE SKIP LOCKED, read the current rows
 * (so the engine gets the latest snapshot, whatever order the changes came in), upsert what is
 * indexable and remove the rest, and delete the claimed rows only after the engine confirmed.
 * Delivery is at least once and idempotent (a snapshot or a delete can be applied twice).
 */
export interface RelayDeps {
  db: Db;
  repo: SearchRepo;
  engine: SearchEngine;
  clock: Clock;
  options?: Partial<RelayOptions>;
  /** a new, unconnected client for a dedicated LISTEN connection (never a pooled one); without it the relay only polls */
  listen?: () => pg.Client;
}

export function createSearchRelay(deps: RelayDeps) {
  const { db, repo, engine, clock } = deps;
  const opts: RelayOptions = { ...DEFAULT_RELAY_OPTIONS, ...deps.options };
  let log = silent;
  let configured = false;
  /** kinds whose engine calls failed transiently: recovery releases the rows that backed off meanwhile */
  const outage = new Set<SearchKind>();
  /** kinds whose lock this relay won on its previous tick */
  const holding = new Set<SearchKind>();

  /** Sends the current state of these rows; returns what went in (for the expiry schedule). */
  async function deliver(tx: Executor, kind: SearchKind, ids: string[], now: Date) {
    if (!configured) {
      await engine.configure();
      configured = true;
    }
    const rows = await repo.loadRows(tx, kind, ids);
    const docs = rows.filter((r) => isIndexable(r.row, now)).map(documentOf);
    const indexed = new Set(docs.map((d) => d.id));
    // A row that was never published was never indexed (approval sets publishedAt, nothing clears
    // it): the changes of a draft and of its first review need no delete. On Meilisearch each
    // delete is an indexing task, and they were two of the three tasks of every publication.
    const neverPublished = new Set(rows.filter((r) => r.row.publishedAt === null && r.row.status !== 'published').map((r) => r.row.id));
    const removed = ids.filter((id) => !indexed.has(id) && !neverPublished.has(id));
    await engine.upsert(kind, docs);
    await engine.remove(kind, removed);
    return { upserted: docs.map((d) => ({ id: d.id, validUntil: d.validUntil })), removed };
  }

  /** The engine confirmed: the rows are done (deleted first, so a claimed expiry row can be rescheduled). */
  async function delivered(tx: Executor, kind: SearchKind, rows: ClaimedRow[], sent: Awaited<ReturnType<typeof deliver>>, now: Date) {
    await repo.deleteRows(tx, rows.map((r) => r.id));
    await repo.scheduleExpiry(tx, kind, sent.upserted, now);
    await repo.cancelExpiry(tx, kind, sent.removed);
  }

  async function fail(tx: Executor, rows: ClaimedRow[], err: unknown, now: Date): Promise<number> {
    const transient = !(err instanceof SearchEngineError) || err.transient;
    const message = err instanceof Error ? err.message : String(err);
    // An outage is not the row's fault: it waits (capped backoff) but is never dead-lettered for it.
    const failed = rows.map((r) => ({
      id: r.id,
      nextAttemptAt: new Date(now.getTime() + backoffMs(r.attempts, opts)),
      dead: !transient && r.attempts + 1 >= opts.maxAttempts,
    }));
    await repo.markFailed(tx, failed, `${transient ? TRANSIENT_MARK : ''}${message}`, now);
    return failed.filter((f) => f.dead).length;
  }

  async function tick(kind: SearchKind): Promise<TickResult> {
    const result: TickResult = { kind, skipped: false, claimed: 0, upserted: 0, removed: 0, failed: 0, dead: 0, released: 0 };
    return db.transaction(async (tx) => {
      if (!(await repo.tryRelayLock(tx, kind))) {
        holding.delete(kind);
        return { ...result, skipped: true };
      }
      // A relay that takes over a kind (first tick after a start, or after standing by) does not
      // know whether the previous holder saw an outage: rows it backed off for one could wait up to
      // maxDelayMs although the engine is back. Treat the takeover as a possible outage, so the
      // first idle tick pings the engine and releases them.
      if (!holding.has(kind)) {
        holding.add(kind);
        outage.add(kind);
      }
      const now = clock.now();
      const claimed = await repo.claimDue(tx, kind, now, opts.batchSize);
      result.claimed = claimed.length;
      if (claimed.length === 0) {
        if (outage.has(kind) && (await engine.ping())) {
          outage.delete(kind);
          result.released = await repo.releaseTransientBackoff(tx, kind, now);
          if (result.released > 0) log.info({ kind, released: result.released }, 'search engine reachable again: retrying backed-off outbox rows now');
        }
        return result;
      }
      const byEntity = new Map<string, ClaimedRow[]>();
      for (const r of claimed) byEntity.set(r.entityId, [...(byEntity.get(r.entityId) ?? []), r]);
      try {
        const sent = await deliver(tx, kind, [...byEntity.keys()], now);
        await delivered(tx, kind, claimed, sent, now);
        result.upserted = sent.upserted.length;
        result.removed = sent.removed.length;
        if (outage.delete(kind)) {
          result.released = await repo.releaseTransientBackoff(tx, kind, now);
        }
        return result;
      } catch (err) {
        const transient = !(err instanceof SearchEngineError) || err.transient;
        if (transient || byEntity.size === 1) {
          if (transient) outage.add(kind);
          result.failed = claimed.length;
          result.dead = await fail(tx, claimed, err, now);
          log.warn({ kind, rows: claimed.length, err: String(err) }, 'search outbox delivery failed; will retry');
          return result;
        }
        // The engine rejected the batch: deliver entity by entity so one bad row cannot hold back the rest.
        let outageErr: unknown;
        for (const [entityId, rows] of byEntity) {
          try {
            if (outageErr !== undefined) throw outageErr;
            const sent = await deliver(tx, kind, [entityId], now);
            await delivered(tx, kind, rows, sent, now);
            result.upserted += sent.upserted.length;
            result.removed += sent.removed.length;
          } catch (one) {
            // The engine went away meanwhile: the rest of the batch waits for it without trying.
            if (outageErr === undefined && (!(one instanceof SearchEngineError) || one.transient)) {
              outageErr = one;
              outage.add(kind);
            }
            result.failed += rows.length;
            result.dead += await fail(tx, rows, one, now);
            if (outageErr === undefined) log.warn({ kind, entityId, err: String(one) }, 'search engine rejected a document; will retry');
          }
        }
        if (result.dead > 0) log.error({ kind, dead: result.dead }, 'search outbox rows dead-lettered (run search:reindex after fixing the cause)');
        return result;
      }
    });
  }

  let running: Promise<void> | undefined;
  let stopped = true;
  let wake: (() => void) | undefined;
  /** a change was announced since the current round began: run another round instead of sleeping */
  let notified = false;

  function poke(): void {
    notified = true;
    wake?.();
  }

  async function loop() {
    while (!stopped) {
      notified = false;
      let busy = false;
      for (const kind of SEARCH_KINDS) {
        try {
          const r = await tick(kind);
          busy ||= r.claimed >= opts.batchSize;
        } catch (err) {
          log.error({ kind, err: String(err) }, 'search relay tick failed');
        }
      }
      if (stopped) break;
      if (busy || notified) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, opts.intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  // The LISTEN connection. Notifications are not stored: one that arrives while the connection is
  // down is lost, but its outbox row is not, and the poll (or the catch-up after reconnecting)
  // delivers it. So a lost connection costs latency, never a change.
  let listener: pg.Client | null = null;
  /** bumped by start and stop: a connection attempt from an earlier run closes itself */
  let generation = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let reconnectDelay = opts.reconnectDelayMs;
  let listening: { promise: Promise<void>; resolve: () => void } = deferred();

  function listen(gen: number): void {
    if (!deps.listen || stopped || gen !== generation) return;
    const client = deps.listen();
    // pg emits 'error' on a broken connection; without a listener that would crash the process.
    client.on('error', (err) => lost(client, err));
    client.on('end', () => lost(client, undefined));
    client.on('notification', (msg) => {
      if (msg.channel === SEARCH_OUTBOX_CHANNEL) poke();
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${SEARCH_OUTBOX_CHANNEL}`))
      .then(() => {
        if (stopped || gen !== generation) return void client.end().catch(() => undefined);
        listener = client;
        reconnectDelay = opts.reconnectDelayMs;
        listening.resolve();
        // Changes committed while nobody listened were announced to no one.
        poke();
      })
      .catch((err: unknown) => {
        client.end().catch(() => undefined);
        if (stopped || gen !== generation) return;
        log.warn({ err: String(err) }, 'search relay: LISTEN failed; polling every interval until it works');
        reconnectLater(gen);
      });
  }

  function lost(client: pg.Client, err: unknown): void {
    if (listener !== client) return;
    listener = null;
    if (stopped) return;
    listening = deferred();
    log.warn({ err: String(err ?? 'connection ended') }, 'search relay: LISTEN connection lost; polling until it is back');
    reconnectLater(generation);
  }

  function reconnectLater(gen: number): void {
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(() => listen(gen), reconnectDelay);
    reconnectTimer.unref();
    reconnectDelay = Math.min(reconnectDelay * 2, 30_000);
  }

  return {
    tick,
    /** Ticks every kind until nothing is due (tests, the reindex tool). */
    async drain(maxTicks = 1_000): Promise<TickResult[]> {
      const all: TickResult[] = [];
      for (let i = 0; i < maxTicks; i++) {
        const round = await Promise.all(SEARCH_KINDS.map((k) => tick(k)));
        all.push(...round);
        // Failed rows back off into the future, so they are not claimed again in this drain.
        if (round.every((r) => r.claimed === 0 && r.released === 0)) return all;
      }
      return all;
    },
    start(logger?: RelayLog): void {
      if (!stopped) return;
      log = logger ?? silent;
      stopped = false;
      generation++;
      reconnectDelay = opts.reconnectDelayMs;
      listening = deferred();
      listen(generation);
      running = loop();
    },
    /** Resolves once the relay listens for commits (never, without a `listen` dependency). */
    whenListening(): Promise<void> {
      return listening.promise;
    },
    async stop(): Promise<void> {
      stopped = true;
      generation++;
      clearTimeout(reconnectTimer);
      const client = listener;
      listener = null;
      await client?.end().catch(() => undefined);
      wake?.();
      await running;
      running = undefined;
    },
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export type SearchRelay = ReturnType<typeof createSearchRelay>;
