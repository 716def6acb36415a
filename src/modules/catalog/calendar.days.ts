import { MAX_YEAR, MIN_YEAR, isOfficialYear, statutoryDay, type LocalDate } from './calendar.holidays.js';

export type { LocalDate };

/**
 * The PRC working-day calendar as pure functions. Every date is a Beijing local date (UTC+8, no
 * DST); instants are mapped to it by adding 8 hours, never through the process time zone.
 *
 * A day is a working day unless it is a statutory holiday, or a Saturday/Sunday that is not a 调休
 * makeup working day, or an admin closure. A closure only removes a day that would otherwise be
 * worked; on a day that is off anyway it changes nothing (and takes effect if a later notice makes
 * that day a makeup working day).
 */

/** Admin closures by date; a Set of dates will do, a Map date → reason also names them. */
export interface ClosureSet {
  has(date: LocalDate): boolean;
  get?(date: LocalDate): string | undefined;
}
export const NO_CLOSURES: ClosureSet = new Set<LocalDate>();

export type DayReason = 'weekend' | 'holiday' | 'makeup_workday' | 'closure' | null;

export interface CalendarDay {
  date: LocalDate;
  working: boolean;
  reason: DayReason;
  /** festival name (春节 …) for holidays and makeup days, the closure's reason for closures */
  name: string | null;
  /** false when the year's State Council schedule is not published yet (fallback rules) */
  official: boolean;
}

const DAY_MS = 86_400_000;
const BEIJING_OFFSET_MS = 8 * 3_600_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of a local date; throws on malformed dates and years outside the calendar. */
function dayNumber(date: LocalDate): number {
  const m = DATE_RE.exec(date);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== date) throw new RangeError(`not a date: ${date}`);
  const year = Number(m[1]);
  if (year < MIN_YEAR || year > MAX_YEAR) throw new RangeError(`the working-day calendar covers ${MIN_YEAR}–${MAX_YEAR}, not ${date}`);
  return t / DAY_MS;
}

const fromDayNumber = (n: number): LocalDate => new Date(n * DAY_MS).toISOString().slice(0, 10);

/** The Beijing local date of an instant. */
export function localDateOf(instant: Date): LocalDate {
  const t = instant.getTime();
  if (Number.isNaN(t)) throw new RangeError('invalid Date');
  return new Date(t + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

const toLocal = (d: Date | LocalDate): LocalDate => (d instanceof Date ? localDateOf(d) : d);

/** The end of a local day: 24:00 Beijing time, i.e. 16:00 UTC of the same date. */
export function endOfLocalDay(date: LocalDate): Date {
  return new Date((dayNumber(date) + 1) * DAY_MS - BEIJING_OFFSET_MS);
}

export function addCalendarDays(date: LocalDate, days: number): LocalDate {
  return fromDayNumber(dayNumber(date) + days);
}

/** Calendar days from a to b (negative when b is earlier). */
export function calendarDaysBetween(a: LocalDate, b: LocalDate): number {
  return dayNumber(b) - dayNumber(a);
}

export function describeDay(date: LocalDate, closures: ClosureSet = NO_CLOSURES): CalendarDay {
  const n = dayNumber(date);
  const official = isOfficialYear(Number(date.slice(0, 4)));
  const weekday = new Date(n * DAY_MS).getUTCDay();
  const statutory = statutoryDay(date);
  let day: CalendarDay;
  if (statutory) day = { date, working: statutory.kind === 'makeup_workday', reason: statutory.kind, name: statutory.name, official };
  else if (weekday === 0 || weekday === 6) day = { date, working: false, reason: 'weekend', name: null, official };
  else day = { date, working: true, reason: null, name: null, official };
  if (day.working && closures.has(date)) return { date, working: false, reason: 'closure', name: closures.get?.(date) ?? null, official };
  return day;
}

/** Whether a local date (or the local date of an instant) is a working day. */
export function isWorkingDay(date: Date | LocalDate, closures: ClosureSet = NO_CLOSURES): boolean {
  return describeDay(toLocal(date), closures).working;
}

function assertCount(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`a working-day count must be a whole number ≥ 0, not ${n}`);
}

/**
 * The n-th working day strictly after `date` (the day itself never counts, whatever it is).
 * n = 0 is `date` itself.
 */
export function nthWorkingDayAfter(date: LocalDate, n: number, closures: ClosureSet = NO_CLOSURES): LocalDate {
  assertCount(n);
  let day = addCalendarDays(date, 0); // validates the date when n = 0
  for (let left = n; left > 0; ) {
    day = addCalendarDays(day, 1);
    if (describeDay(day, closures).working) left--;
  }
  return day;
}

/**
 * "Review due on": the local date of the n-th working day after the start's local date. A
 * contract filed on Friday evening with n = 15 is due on the 15th working day after that Friday.
 */
export function dueDate(start: Date | LocalDate, n: number, closures: ClosureSet = NO_CLOSURES): LocalDate {
  return nthWorkingDayAfter(toLocal(start), n, closures);
}

/**
 * A period of n working days that starts at the instant `start` ends at the END (24:00 Beijing
 * time = 16:00 UTC) of the n-th working day after start's local date. The start day never counts,
 * whatever the hour (approved Friday 2026-09-25 14:00 CST + 5 → 2026-10-09T16:00:00Z). n = 0 ends
 * at the end of the start's own local day.
 */
export function addWorkingDays(start: Date, n: number, closures: ClosureSet = NO_CLOSURES): Date {
  return endOfLocalDay(dueDate(start, n, closures));
}

/**
 * Working days d with a < d ≤ b, on local dates (negative when b is before a). The inverse of
 * dueDate: workingDaysBetween(t, dueDate(t, n)) = n.
 */
export function workingDaysBetween(a: Date | LocalDate, b: Date | LocalDate, closures: ClosureSet = NO_CLOSURES): number {
  const from = toLocal(a);
  const to = toLocal(b);
  const span = calendarDaysBetween(from, to);
  if (span < 0) return -workingDaysBetween(to, from, closures);
  let count = 0;
  for (let i = 1; i <= span; i++) if (describeDay(addCalendarDays(from, i), closures).working) count++;
  return count;
}

export interface Deadline {
  /** the local date of the last working day of the period */
  dueOn: LocalDate;
  /** the end of that day: 24:00 Beijing time */
  endsAt: Date;
  /** false when any year from the start to dueOn has no published schedule yet (fallback rules) */
  official: boolean;
}

/** dueDate and addWorkingDays together, with whether the answer rests on published schedules. */
export function deadline(start: Date | LocalDate, n: number, closures: ClosureSet = NO_CLOSURES): Deadline {
  const from = toLocal(start);
  const dueOn = nthWorkingDayAfter(from, n, closures);
  let official = true;
  for (let y = Number(from.slice(0, 4)); y <= Number(dueOn.slice(0, 4)); y++) official &&= isOfficialYear(y);
  return { dueOn, endsAt: endOfLocalDay(dueOn), official };
}

/** Each day of [from, to], inclusive. */
export function describeRange(from: LocalDate, to: LocalDate, closures: ClosureSet = NO_CLOSURES): CalendarDay[] {
  const span = calendarDaysBetween(from, to);
  const out: CalendarDay[] = [];
  for (let i = 0; i <= span; i++) out.push(describeDay(addCalendarDays(from, i), closures));
  return out;
}
