import chineseDays from 'chinese-days';
// The package's published data file (documented in its README), keyed by plain date strings. Its
// functions are not used for these lookups: they format UTC-midnight dates with the process's local
// getters, which names the previous day on a server west of UTC.
import published from 'chinese-days/dist/chinese-days.json' with { type: 'json' };

/** A calendar date in Beijing time (Asia/Shanghai, UTC+8 all year, no DST since 1991): YYYY-MM-DD. */
export type LocalDate = string;

export interface StatutoryDay {
  kind: 'holiday' | 'makeup_workday';
  /** the festival, e.g. 春节; for a makeup working day (调休上班) the festival it belongs to */
  name: string;
}

/** The years this calendar answers for: the published data starts in 2004; the lunar tables end in 2100. */
export const MIN_YEAR = 2004;
export const MAX_YEAR = 2099;

/**
 * Published schedules: the State Council's yearly 部分节假日安排 notices (国务院办公厅), as carried by
 * `chinese-days` (pinned; each year cites its notice on gov.cn in the package's
 * src/holidays/generate.ts; 2026: https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm).
 * Upgrade the package when the next year's notice is out (usually in November).
 * Values look like "Spring Festival,春节,4": English name, Chinese name, statutory day count.
 */
const data = published as { holidays: Record<string, string>; workdays: Record<string, string> };

const chineseName = (value: string): string => value.split(',')[1] ?? value;

const PUBLISHED = new Map<LocalDate, StatutoryDay>();
for (const [date, value] of Object.entries(data.holidays)) PUBLISHED.set(date, { kind: 'holiday', name: chineseName(value) });
// Where a date were listed both ways, the package treats it as a working day; so do we.
for (const [date, value] of Object.entries(data.workdays)) PUBLISHED.set(date, { kind: 'makeup_workday', name: chineseName(value) });

const OFFICIAL_YEARS = new Set([...PUBLISHED.keys()].map((d) => Number(d.slice(0, 4))));

/**
 * True when the State Council's schedule for the year is in the data (so 调休 days are known).
 * A notice may also set days at the end of the previous year (2011-12-31 was worked for 元旦 2012),
 * so the last days of an official year can still change when the next year's notice is out.
 */
export const isOfficialYear = (year: number): boolean => OFFICIAL_YEARS.has(year);

const DAY_MS = 86_400_000;
const utcDate = (y: number, m: number, d: number): LocalDate => new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10);
const plusDays = (date: LocalDate, days: number): LocalDate => new Date(Date.parse(date) + days * DAY_MS).toISOString().slice(0, 10);

/**
 * The day in [from, from + span) whose lunar month/day is the given one (never a leap month).
 * getLunarDate counts whole days from its base date on UTC midnights, so its lunar fields do not
 * depend on the process time zone (its `date` field does, and is not used).
 */
function findLunarDay(from: LocalDate, span: number, lunarMonth: number, lunarDay: number): LocalDate {
  const hits: LocalDate[] = [];
  for (let i = 0; i < span; i++) {
    const d = plusDays(from, i);
    const l = chineseDays.getLunarDate(d);
    if (l.lunarMon === lunarMonth && l.lunarDay === lunarDay && !l.isLeap) hits.push(d);
  }
  if (hits.length !== 1) throw new Error(`lunar ${lunarMonth}/${lunarDay} after ${from}: ${hits.length} candidates`);
  return hits[0]!;
}

/** 清明 is the day of the solar term 清明 (April 4 or 5 in this century). */
function qingming(year: number): LocalDate {
  const named = chineseDays.getSolarTermDate(year, 4, 'pure_brightness');
  // getSolarTermDate prints the term's UTC midnight with local getters: a day early west of UTC.
  const westOfUtc = new Date(Date.parse(named)).getTimezoneOffset() > 0;
  return westOfUtc ? plusDays(named, 1) : named;
}

/**
 * For a year whose schedule is not published yet: only the days 《全国年节及纪念日放假办法》 itself
 * fixes, as revised by 国务院令第798号 (2024, in force 2025-01-01), art. 2: 元旦 Jan 1; 春节 4 days
 * (除夕 and 正月初一 to 初三); 清明 1 day; 劳动节 May 1–2; 端午 1 day (五月初五); 中秋 1 day (八月十五);
 * 国庆 Oct 1–3. The 调休 makeup working days, the bridging days and the weekday that replaces a
 * holiday falling on a weekend (补假) are set by each year's notice and are NOT guessed here, so
 * answers for such a year are flagged `official: false` and may change once the notice is out.
 */
export function fallbackHolidays(year: number): Map<LocalDate, StatutoryDay> {
  const out = new Map<LocalDate, StatutoryDay>();
  const add = (date: LocalDate, name: string) => {
    if (!out.has(date)) out.set(date, { kind: 'holiday', name });
  };
  add(utcDate(year, 1, 1), '元旦');
  // 正月初一 falls between Jan 21 and Feb 20; 除夕 is the day before it (腊月廿九 or 三十).
  const newYear = findLunarDay(utcDate(year, 1, 15), 45, 1, 1);
  for (let i = -1; i <= 2; i++) add(plusDays(newYear, i), '春节');
  add(qingming(year), '清明');
  add(utcDate(year, 5, 1), '劳动节');
  add(utcDate(year, 5, 2), '劳动节');
  add(findLunarDay(utcDate(year, 5, 20), 45, 5, 5), '端午');
  add(utcDate(year, 10, 1), '国庆节');
  add(utcDate(year, 10, 2), '国庆节');
  add(utcDate(year, 10, 3), '国庆节');
  add(findLunarDay(utcDate(year, 9, 1), 45, 8, 15), '中秋');
  return out;
}

const fallbackByYear = new Map<number, Map<LocalDate, StatutoryDay>>();

/** The statutory holiday or makeup working day on a date, if any (weekends are not listed). */
export function statutoryDay(date: LocalDate): StatutoryDay | undefined {
  const year = Number(date.slice(0, 4));
  if (isOfficialYear(year)) return PUBLISHED.get(date);
  let days = fallbackByYear.get(year);
  if (!days) {
    days = fallbackHolidays(year);
    fallbackByYear.set(year, days);
  }
  return days.get(date);
}
