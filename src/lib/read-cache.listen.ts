import { sql } from 'drizzle-orm';
import type pg from 'pg';
import type { ChangedEntity, ChangeRecorder } from './changes.js';
import type { ReadCache } from './read-cache.js';

/** NOTIFY channel announcing committed changes of achievements and needs; payload `<entity>:<id>`. */
export const READ_CACHE_CHANNEL = 'read_cache';

const ENTITIES = new Set<string>(['achievement', 'need'] satisfies ChangedEntity[]);

/**
 * The ChangeRecorder that announces a change to every process's read cache. PostgreSQL delivers
 * a NOTIFY only when (and if) its transaction commits, so a process never evicts for a change
 * that rolled back, and never misses one that committed while it listened. Every process
 * announces, whether or not its own cache is on: the others may have theirs on.
 */
export function createReadCacheRecorder(): ChangeRecorder {
  return {
    async record(tx, entity, id) {
      await tx.execute(sql`select pg_notify(${READ_CACHE_CHANNEL}, ${`${entity}:${id}`})`);
    },
  };
}

export interface ReadCacheLog {
  warn(obj: object, msg: string): void;
}

/**
 * The read cache's LISTEN connection (one per process, outside the pool). Notifications are not
 * stored: one sent while the connection is down is lost for good, so the cache is flushed and
 * bypassed from the moment the connection is lost until LISTEN is back (ReadCache.setListening).
 */
export function createReadCacheListener(deps: { cache: ReadCache; connect: () => pg.Client; reconnectDelayMs?: number }) {
  const { cache } = deps;
  const baseDelay = deps.reconnectDelayMs ?? 500;
  let log: ReadCacheLog = { warn() {} };
  let client: pg.Client | null = null;
  let stopped = true;
  /** bumped by start and stop: a connection attempt from an earlier run closes itself */
  let run = 0;
  let delay = baseDelay;
  let timer: NodeJS.Timeout | undefined;
  let listening = deferred();

  function onNotification(payload: string | undefined): void {
    const at = payload?.indexOf(':') ?? -1;
    const entity = at > 0 ? payload!.slice(0, at) : '';
    if (ENTITIES.has(entity)) cache.invalidate(entity as ChangedEntity, payload!.slice(at + 1), 'notification');
    else cache.flush(`unreadable ${READ_CACHE_CHANNEL} notification`);
  }

  function connect(current: number): void {
    if (stopped || current !== run) return;
    const c = deps.connect();
    // pg emits 'error' on a broken connection; without a listener that would crash the process.
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c, undefined));
    c.on('notification', (msg) => {
      if (msg.channel === READ_CACHE_CHANNEL) onNotification(msg.payload);
    });
    c.connect()
      .then(() => c.query(`LISTEN ${READ_CACHE_CHANNEL}`))
      .then(() => {
        if (stopped || current !== run) return void c.end().catch(() => undefined);
        client = c;
        delay = baseDelay;
        cache.setListening(true);
        listening.resolve();
      })
      .catch((err: unknown) => {
        c.end().catch(() => undefined);
        if (stopped || current !== run) return;
        log.warn({ err: String(err) }, 'read cache: LISTEN failed; reads bypass the cache until it works');
        later(current);
      });
  }

  function lost(c: pg.Client, err: unknown): void {
    if (client !== c) return;
    client = null;
    cache.setListening(false);
    if (stopped) return;
    listening = deferred();
    log.warn({ err: String(err ?? 'connection ended') }, 'read cache: LISTEN connection lost; flushed, and bypassed until it is back');
    later(run);
  }

  function later(current: number): void {
    clearTimeout(timer);
    timer = setTimeout(() => connect(current), delay);
    timer.unref();
    delay = Math.min(delay * 2, 30_000);
  }

  return {
    /** Opens the LISTEN connection (nothing when the cache is off). */
    start(logger?: ReadCacheLog): void {
      if (!stopped || !cache.enabled) return;
      if (logger) log = logger;
      stopped = false;
      run++;
      delay = baseDelay;
      listening = deferred();
      connect(run);
    },
    /** Resolves once the cache is listening (never while it is off or stopped). */
    whenListening(): Promise<void> {
      return listening.promise;
    },
    async stop(): Promise<void> {
      stopped = true;
      run++;
      clearTimeout(timer);
      const c = client;
      client = null;
      cache.setListening(false);
      await c?.end().catch(() => undefined);
    },
  };
}

export type ReadCacheListener = ReturnType<typeof createReadCacheListener>;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
