import { z } from 'zod';
import { PageQuerySchema, isoDate, pageOf } from '../../lib/http.js';
import { MAX_YEAR, MIN_YEAR } from './calendar.holidays.js';
import type { ClosureRow } from './catalog.repo.js';

export const LocalDateSchema = z.iso
  .date()
  .refine((d) => Number(d.slice(0, 4)) >= MIN_YEAR && Number(d.slice(0, 4)) <= MAX_YEAR, `the calendar covers ${MIN_YEAR}–${MAX_YEAR}`)
  .describe(`A date in Beijing time (Asia/Shanghai, UTC+8), YYYY-MM-DD, ${MIN_YEAR}–${MAX_YEAR}`);

export const CalendarDaySchema = z
  .object({
    date: z.string(),
    working: z.boolean(),
    reason: z
      .enum(['weekend', 'holiday', 'makeup_workday', 'closure'])
      .nullable()
      .describe('Why the day is off (weekend, holiday, closure) or why a weekend day is worked (makeup_workday, 调休上班); null for an ordinary weekday'),
    name: z.string().nullable().describe('The festival (春节, 国庆节 …) for holidays and makeup days; the reason of a closure'),
    official: z
      .boolean()
      .describe("false when the State Council has not published the year's schedule: only weekends and the statutory days fixed by 《全国年节及纪念日放假办法》 are known, no 调休"),
  })
  .meta({ id: 'CalendarDay' });

export const WorkingDaysQuerySchema = z.object({
  from: LocalDateSchema.describe('First day, inclusive (YYYY-MM-DD, Beijing time)'),
  to: LocalDateSchema.describe('Last day, inclusive; at most 366 days from `from`'),
});

export const WorkingDaysSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    workingDays: z.number().int().describe('How many days of the range are working days'),
    official: z.boolean().describe('true when every day of the range comes from a published schedule'),
    items: z.array(CalendarDaySchema),
  })
  .meta({ id: 'WorkingDays' });

export const ClosureSchema = z
  .object({
    date: z.string().describe('The closed day (Beijing time)'),
    reason: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'CalendarClosure' });

export const ClosurePageSchema = pageOf(ClosureSchema).meta({ id: 'CalendarClosurePage' });

export const ClosureListQuerySchema = PageQuerySchema.extend({
  from: LocalDateSchema.optional().describe('Only closures on or after this date'),
  to: LocalDateSchema.optional().describe('Only closures on or before this date'),
});

export const CreateClosureBodySchema = z
  .strictObject({
    date: LocalDateSchema,
    reason: z.string().trim().min(1).max(200).describe('Shown to users, e.g. 省技术交易市场系统升级停市一天'),
  })
  .meta({ id: 'CalendarClosureRequest' });

export const ClosureDateParamSchema = z.object({ date: LocalDateSchema });

export const toClosureDto = (row: ClosureRow): z.infer<typeof ClosureSchema> => ({
  date: row.date,
  reason: row.reason,
  createdAt: isoDate(row.createdAt)!,
});
