import type { Db } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { purgeExpiredIdempotencyKeys } from '../../lib/idempotency.js';
import type { ProcessDueResult, Transitions } from './listings.transitions.js';

export interface SchedulerLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const silent: SchedulerLog = { info: () => {}, error: () => {} };

/** Expired Idempotency-Key records are purged this often (real time). */
const PURGE_EVERY_MS = 10 * 60_000;

/**
 * The in-process loop that moves listings on time without any client call: every `intervalMs` it
 * processes what is due on the injected clock (so a sandbox clock moves it too). Every server
 * process runs one; the transitions are claimed under row locks, so they are done once however
 * many loops run (see listings.transitions.ts). Nothing lives in memory: a restarted process
 * simply finds the due rows. Tests call tick() instead of starting the loop.
 */
export function createListingScheduler(deps: {
  db: Db;
  clock: Clock;
  transitions: Transitions;
  intervalMs: number;
  /** wraps each tick: the sandbox clock reloads its offset first and keeps ticks apart from its moves */
  guard?: <T>(tick: () => Promise<T>) => Promise<T>;
}) {
  const { db, clock, transitions } = deps;
  let log = silent;
  let stopped = true;
  let running: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let lastPurge = -Infinity;

  async function tick(): Promise<ProcessDueResult> {
    const run = () => transitions.processDue(clock.now());
    const result = await (deps.guard ? deps.guard(run) : run());
    for (const t of result.processed) log.info({ listingId: t.listingId, transition: t.name, at: t.at.toISOString() }, 'listing transition');
    for (const f of result.failed) log.error({ listingId: f.listingId, kind: f.kind, err: String(f.error) }, 'listing transition failed; retrying on the next tick');
    return result;
  }

  async function loop() {
    while (!stopped) {
      try {
        await tick();
        // Retention is real (monotonic) time, not business time.
        if (performance.now() - lastPurge > PURGE_EVERY_MS) {
          lastPurge = performance.now();
          await purgeExpiredIdempotencyKeys(db);
        }
      } catch (err) {
        log.error({ err: String(err) }, 'listing scheduler tick failed');
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deps.intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  return {
    tick,
    start(logger?: SchedulerLog): void {
      if (!stopped) return;
      log = logger ?? silent;
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

export type ListingScheduler = ReturnType<typeof createListingScheduler>;
