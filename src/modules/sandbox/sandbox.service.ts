import type { Db } from '../../db/client.js';
import { withTransaction } from '../../db/tx.js';
import type { OffsetClock } from '../../lib/clock.js';
import { AppError, conflict, forbidden, unprocessable } from '../../lib/errors.js';
import type { Actor } from '../accounts/tokens.js';
import { MAX_YEAR } from '../catalog/calendar.holidays.js';
import type { ListingsRepo } from '../listings/listings.repo.js';
import type { ProcessDueResult, Transitions } from '../listings/listings.transitions.js';
import type { SandboxRepo } from './sandbox.repo.js';
import type { MoveSandboxClockInput } from './sandbox.schemas.js';

export interface SandboxDeps {
  db: Db;
  repo: Pick<SandboxRepo, 'readOffset' | 'lockOffset' | 'saveOffset'>;
  /** the business clock when SANDBOX_CLOCK is on; null when it is off */
  clock: OffsetClock | null;
  listingsRepo: Pick<ListingsRepo, 'nextDue'>;
  transitions: Pick<Transitions, 'processDue'>;
}

export interface MoveLog {
  error(obj: object, msg: string): void;
}

/** The working-day calendar ends with MAX_YEAR (24:00 Beijing time on 31 December). */
const LATEST = Date.UTC(MAX_YEAR, 11, 31, 16, 0, 0) - 1;
/** A move never runs away: at most this many due moments are stepped through. */
const MAX_STEPS = 100_000;

const sandboxOff = () => new AppError(404, 'SANDBOX_CLOCK_OFF', 'The sandbox clock is off (the server runs without SANDBOX_CLOCK=true)');

/**
 * Stripe-style test clock for the whole business side of the server. Business time is real time
 * plus an offset stored in the database; every process keeps the offset in memory (Clock.now() is
 * synchronous) and reloads it before each request and each scheduler tick, so processes agree as
 * soon as a move commits and a restart keeps the time.
 *
 * A move locks the clock row for its whole duration (moves from any process are serialized) and,
 * before it commits, walks through every due moment up to the target in due order: the clock of
 * this process is set to each due moment and the due transitions run there, so they are stamped
 * exactly as in real time and a transition that makes another one due (notice end → auction open →
 * auction close) is picked up at its own moment. Other processes see the old time until the move
 * commits, so their schedulers never run ahead of it.
 */
export function createSandboxService(deps: SandboxDeps) {
  const { db, repo, clock, listingsRepo, transitions } = deps;

  // Moves and scheduler ticks of this process take turns, so a tick never runs on a clock that is
  // half-way through a move.
  let tail: Promise<unknown> = Promise.resolve();
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  }

  const requireOn = (): OffsetClock => {
    if (!clock) throw sandboxOff();
    return clock;
  };
  const requireAdmin = (actor: Actor) => {
    if (!actor.isAdmin) throw forbidden('Only platform administrators move the sandbox clock', 'ADMIN_ONLY');
  };

  /** Catches up with a move committed by another process. A no-op when the sandbox is off. */
  async function refresh(): Promise<void> {
    if (clock) clock.raiseOffset(await repo.readOffset(db));
  }

  /** Runs every transition due up to `target`, one due moment at a time, in due order. */
  async function catchUp(on: OffsetClock, target: Date, log: MoveLog): Promise<ProcessDueResult['failed']> {
    const failed = new Map<string, ProcessDueResult['failed'][number]>();
    const skip: string[] = [];
    let last = '';
    for (let i = 0; i < MAX_STEPS; i++) {
      const next = await listingsRepo.nextDue(db, target, skip);
      if (!next) break;
      const key = `${next.kind}:${next.listingId}:${next.dueAt.getTime()}`;
      if (key === last) {
        // Still due after a pass at its moment (a row no transition moves): never spin on it.
        skip.push(next.listingId);
        continue;
      }
      last = key;
      on.moveTo(next.dueAt);
      const result = await transitions.processDue(on.now());
      for (const f of result.failed) {
        if (!failed.has(f.listingId)) log.error({ listingId: f.listingId, kind: f.kind, err: String(f.error) }, 'sandbox clock: listing transition failed; the scheduler retries it');
        failed.set(f.listingId, f);
        skip.push(f.listingId);
      }
    }
    return [...failed.values()];
  }

  return {
    enabled: clock !== null,
    refresh,

    /** Answers 404 for every caller while the sandbox is off, as if the routes did not exist. */
    requireEnabled(): void {
      requireOn();
    },

    /** The listing scheduler's tick: after this process's moves, on the offset stored in the database. */
    guardTick<T>(tick: () => Promise<T>): Promise<T> {
      if (!clock) return tick();
      return exclusive(async () => {
        await refresh();
        return tick();
      });
    },

    async read(actor: Actor): Promise<{ now: Date }> {
      const on = requireOn();
      requireAdmin(actor);
      await refresh();
      return { now: on.now() };
    },

    /**
     * Moves business time forward (never back) and returns once every transition that became due
     * has been processed. A transition that fails does not undo the move (the others stand, at
     * their moments); the scheduler retries it, and the caller gets SANDBOX_TRANSITIONS_FAILED.
     */
    async move(actor: Actor, input: MoveSandboxClockInput, log: MoveLog): Promise<{ now: Date }> {
      const on = requireOn();
      requireAdmin(actor);
      return exclusive(async () => {
        let before: number | undefined;
        let failed: ProcessDueResult['failed'] = [];
        try {
          await withTransaction(db, async (tx) => {
            on.raiseOffset(await repo.lockOffset(tx));
            before = on.offsetMs();
            const current = on.now();
            const target = input.now !== undefined ? new Date(input.now) : new Date(current.getTime() + input.advanceSeconds! * 1000);
            if (target.getTime() < current.getTime()) {
              throw conflict('SANDBOX_CLOCK_BACKWARD', `${target.toISOString()} is before the clock's current time ${current.toISOString()}; the sandbox clock only moves forward`);
            }
            if (target.getTime() > LATEST) {
              throw unprocessable('SANDBOX_CLOCK_OUT_OF_RANGE', `The sandbox clock stops at the end of ${MAX_YEAR}, where the working-day calendar ends`);
            }
            failed = await catchUp(on, target, log);
            on.moveTo(target);
            await repo.saveOffset(tx, on.offsetMs(), actor.userId);
          });
        } catch (err) {
          // The move did not commit: this process goes back to the time every other process has.
          if (before !== undefined) on.restore(before);
          throw err;
        }
        if (failed.length > 0) {
          throw new AppError(
            500,
            'SANDBOX_TRANSITIONS_FAILED',
            `The clock moved to ${on.now().toISOString()}, but the due transitions of ${failed.length} listing(s) failed (${failed.map((f) => f.listingId).join(', ')}); the scheduler retries them`,
          );
        }
        return { now: on.now() };
      });
    },
  };
}

export type SandboxService = ReturnType<typeof createSandboxService>;
