import type { Db, Executor } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Clock } from '../../lib/clock.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { badRequest, conflict, forbidden, notFound } from '../../lib/errors.js';
import type { Actor } from '../accounts/tokens.js';
import * as days from './calendar.days.js';
import type { CatalogRepo, ClosureRow } from './catalog.repo.js';

export interface CalendarDeps {
  db: Db;
  repo: Pick<CatalogRepo, 'allClosures' | 'listClosures' | 'insertClosure' | 'deleteClosure'>;
  clock: Clock;
}

/** Longest span GET /v1/calendar/working-days answers in one call (a leap year). */
export const MAX_RANGE_DAYS = 366;

type Closures = ReadonlyMap<days.LocalDate, string>;

/**
 * The working-day calendar with the admin closures from the database. The computations take an
 * optional `closures` set: a service working inside a transaction loads them with
 * `loadClosures(tx)` and passes them, so the deadline it stores agrees with what it read. Without
 * it the in-memory copy is used; this process drops that copy whenever a closure is added or
 * removed through it (another server process sees the change on its next restart).
 */
export function createCalendarService(deps: CalendarDeps) {
  const { db, repo, clock } = deps;
  let cached: Promise<Closures> | undefined;

  const read = async (executor: Executor): Promise<Closures> => new Map((await repo.allClosures(executor)).map((r) => [r.date, r.reason]));

  function cachedClosures(): Promise<Closures> {
    if (!cached) {
      const loading = read(db);
      cached = loading;
      loading.catch(() => {
        if (cached === loading) cached = undefined;
      });
    }
    return cached;
  }

  const closuresFor = async (given: days.ClosureSet | undefined): Promise<days.ClosureSet> => given ?? (await cachedClosures());

  const requireAdmin = (actor: Actor) => {
    if (!actor.isAdmin) throw forbidden('Only platform administrators may change the calendar', 'ADMIN_ONLY');
  };

  return {
    /** Fresh from the database when an executor (a transaction) is given, else the cached copy. */
    loadClosures: (executor?: Executor): Promise<Closures> => (executor ? read(executor) : cachedClosures()),

    /** Today's Beijing local date on the business clock. */
    today: (): days.LocalDate => days.localDateOf(clock.now()),

    isWorkingDay: async (date: Date | days.LocalDate, closures?: days.ClosureSet): Promise<boolean> =>
      days.isWorkingDay(date, await closuresFor(closures)),

    /** End (24:00 Beijing) of the n-th working day after start's local date; see calendar.days.ts. */
    addWorkingDays: async (start: Date, n: number, closures?: days.ClosureSet): Promise<Date> =>
      days.addWorkingDays(start, n, await closuresFor(closures)),

    /** Local date of the n-th working day after start's local date ("review due on"). */
    dueDate: async (start: Date | days.LocalDate, n: number, closures?: days.ClosureSet): Promise<days.LocalDate> =>
      days.dueDate(start, n, await closuresFor(closures)),

    workingDaysBetween: async (a: Date | days.LocalDate, b: Date | days.LocalDate, closures?: days.ClosureSet): Promise<number> =>
      days.workingDaysBetween(a, b, await closuresFor(closures)),

    /** dueOn + endsAt + whether every year involved has a published schedule. */
    deadline: async (start: Date | days.LocalDate, n: number, closures?: days.ClosureSet): Promise<days.Deadline> =>
      days.deadline(start, n, await closuresFor(closures)),

    /** Each day of [from, to] for GET /v1/calendar/working-days. */
    async describeRange(from: days.LocalDate, to: days.LocalDate) {
      const span = days.calendarDaysBetween(from, to);
      if (span < 0) throw badRequest('INVALID_RANGE', '`to` is before `from`');
      if (span + 1 > MAX_RANGE_DAYS) throw badRequest('INVALID_RANGE', `At most ${MAX_RANGE_DAYS} days per request`);
      const items = days.describeRange(from, to, await cachedClosures());
      return {
        from,
        to,
        workingDays: items.filter((d) => d.working).length,
        official: items.every((d) => d.official),
        items,
      };
    },

    async listClosures(q: { limit: number; cursor?: string | undefined; from?: string | undefined; to?: string | undefined }) {
      const after = decodeCursor(q.cursor, 1)?.[0];
      if (after !== undefined && (typeof after !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(after))) {
        throw badRequest('INVALID_CURSOR', 'The cursor is not one this API issued');
      }
      const rows = await repo.listClosures(db, { after, from: q.from, to: q.to, limit: q.limit + 1 });
      const items = rows.slice(0, q.limit);
      return { items, nextCursor: rows.length > q.limit ? encodeCursor([items[items.length - 1]!.date]) : null };
    },

    async addClosure(actor: Actor, input: { date: days.LocalDate; reason: string }): Promise<ClosureRow> {
      requireAdmin(actor);
      try {
        const row = await repo.insertClosure(db, { date: input.date, reason: input.reason, createdBy: actor.userId, createdAt: clock.now() });
        cached = undefined;
        return row;
      } catch (err) {
        if (isUniqueViolation(err, 'calendar_closures_pkey')) throw conflict('CLOSURE_EXISTS', `${input.date} is already closed`);
        throw err;
      }
    },

    async removeClosure(actor: Actor, date: days.LocalDate): Promise<void> {
      requireAdmin(actor);
      if (!(await repo.deleteClosure(db, date))) throw notFound('Closure');
      cached = undefined;
    },
  };
}

export type CalendarService = ReturnType<typeof createCalendarService>;
