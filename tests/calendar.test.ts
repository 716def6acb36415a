import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startTestApp, type TestContext } from './support/app.js';
import { createAdmin, registerUser, type TestUser } from './support/factories.js';
import { withTransaction } from '../src/db/tx.js';
import { catalogRepo } from '../src/modules/catalog/catalog.repo.js';
import * as cal from '../src/modules/catalog/calendar.days.js';
import { fallbackHolidays, isOfficialYear } from '../src/modules/catalog/calendar.holidays.js';
import { ClosurePageSchema, ClosureSchema, WorkingDaysSchema } from '../src/modules/catalog/calendar.schemas.js';

let ctx: TestContext;
let admin: TestUser;
let enterprise: TestUser;
beforeAll(async () => {
  ctx = await startTestApp();
  admin = await createAdmin(ctx.app, ctx.services);
  enterprise = await registerUser(ctx.app, 'enterprise');
});
afterAll(async () => {
  await ctx?.close();
});

const api = () => request(ctx.app.server);

function expectProblem(res: request.Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, requestId: expect.any(String) });
}

const day = (date: string) => cal.describeDay(date);
/** An instant given as Beijing wall-clock time. */
const cst = (local: string) => new Date(`${local}+08:00`);

describe('holiday data (chinese-days, State Council notices)', () => {
  it('knows Spring Festival 2026: Feb 15–23 off, Saturdays Feb 14 and Feb 28 worked', () => {
    for (let d = 15; d <= 23; d++) expect(day(`2026-02-${d}`)).toMatchObject({ working: false, reason: 'holiday', name: '春节', official: true });
    expect(day('2026-02-14')).toMatchObject({ working: true, reason: 'makeup_workday', name: '春节' });
    expect(day('2026-02-28')).toMatchObject({ working: true, reason: 'makeup_workday', name: '春节' });
    expect(day('2026-02-24')).toMatchObject({ working: true, reason: null, name: null });
    expect(day('2026-03-01')).toMatchObject({ working: false, reason: 'weekend' });
  });

  it('knows 中秋 Sep 25–27 and 国庆 Oct 1–7 2026, with Sunday Sep 20 and Saturday Oct 10 worked', () => {
    for (const d of ['2026-09-25', '2026-09-26', '2026-09-27']) expect(day(d)).toMatchObject({ working: false, reason: 'holiday', name: '中秋' });
    for (let d = 1; d <= 7; d++) expect(day(`2026-10-0${d}`)).toMatchObject({ working: false, reason: 'holiday', name: '国庆节' });
    expect(day('2026-09-20')).toMatchObject({ working: true, reason: 'makeup_workday', name: '国庆节' });
    expect(day('2026-10-10')).toMatchObject({ working: true, reason: 'makeup_workday', name: '国庆节' });
    expect(day('2026-09-28').working).toBe(true);
    expect(day('2026-10-08').working).toBe(true);
  });

  it('knows 2025 (国庆+中秋 Oct 1–8, Sep 28 and Oct 11 worked) and has no 2027 schedule yet', () => {
    expect(day('2025-10-08')).toMatchObject({ working: false, reason: 'holiday' });
    expect(day('2025-09-28')).toMatchObject({ working: true, reason: 'makeup_workday' });
    expect(day('2025-10-11')).toMatchObject({ working: true, reason: 'makeup_workday' });
    expect(isOfficialYear(2025)).toBe(true);
    expect(isOfficialYear(2026)).toBe(true);
    expect(isOfficialYear(2027)).toBe(false);
  });

  it('falls back for 2027 to weekends and the statutory days of the 2024 放假办法, flagged not official, with no 调休', () => {
    const days = [...fallbackHolidays(2027)].map(([date, d]) => `${date} ${d.name}`).sort();
    expect(days).toEqual([
      '2027-01-01 元旦',
      '2027-02-05 春节', // 除夕 (腊月廿九)
      '2027-02-06 春节',
      '2027-02-07 春节',
      '2027-02-08 春节',
      '2027-04-05 清明',
      '2027-05-01 劳动节',
      '2027-05-02 劳动节',
      '2027-06-09 端午',
      '2027-09-15 中秋',
      '2027-10-01 国庆节',
      '2027-10-02 国庆节',
      '2027-10-03 国庆节',
    ]);
    expect(day('2027-02-08')).toMatchObject({ working: false, reason: 'holiday', name: '春节', official: false });
    expect(day('2027-02-09')).toMatchObject({ working: true, reason: null, official: false });
    // No makeup working days are guessed: every weekend of 2027 stays off.
    const year = cal.describeRange('2027-01-01', '2027-12-31');
    expect(year.filter((d) => d.reason === 'makeup_workday')).toEqual([]);
    expect(year.every((d) => !d.official)).toBe(true);
  });

  it('gives the statutory days of the 放假办法 inside the published 2025 and 2026 holidays (the fallback agrees with the notices)', () => {
    for (const y of [2025, 2026]) {
      for (const [date] of fallbackHolidays(y)) expect(day(date).reason, date).toBe('holiday');
    }
  });

  it('computes the fallback the same in any process time zone', () => {
    const saved = process.env.TZ;
    const at = (tz: string) => {
      process.env.TZ = tz;
      // Node applies a TZ change at once: make sure this test really moved the process zone.
      expect(new Date('2028-01-01T00:00:00Z').toString()).toContain(tz === 'America/Los_Angeles' ? 'GMT-0800' : tz === 'Pacific/Kiritimati' ? 'GMT+1400' : '');
      return [...fallbackHolidays(2028).keys()].sort();
    };
    try {
      const utc = at('UTC');
      expect(at('America/Los_Angeles')).toEqual(utc);
      expect(at('Pacific/Kiritimati')).toEqual(utc);
      expect(at('Asia/Shanghai')).toEqual(utc);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});

describe('working-day arithmetic (Beijing local dates; the start day never counts; ends 24:00 CST)', () => {
  it('ends 5 working days after an approval on Friday 2026-09-25 14:00 CST at the end of Oct 9', () => {
    const approved = cst('2026-09-25T14:00:00');
    expect(cal.addWorkingDays(approved, 5).toISOString()).toBe('2026-10-09T16:00:00.000Z');
    // The 6th working day is the makeup Saturday Oct 10.
    expect(cal.addWorkingDays(approved, 6).toISOString()).toBe('2026-10-10T16:00:00.000Z');
    expect(cal.addWorkingDays(approved, 7).toISOString()).toBe('2026-10-12T16:00:00.000Z');
  });

  it('counts the makeup Saturdays around Spring Festival 2026 and skips the holiday', () => {
    const friday = cst('2026-02-13T10:00:00');
    expect(cal.dueDate(friday, 1)).toBe('2026-02-14');
    expect(cal.dueDate(friday, 2)).toBe('2026-02-24');
    expect(cal.dueDate(friday, 5)).toBe('2026-02-27');
    expect(cal.dueDate(friday, 6)).toBe('2026-02-28');
    expect(cal.addWorkingDays(friday, 6).toISOString()).toBe('2026-02-28T16:00:00.000Z');
    // A makeup Sunday counts too: Friday Sep 18 + 1 → Sunday Sep 20.
    expect(cal.dueDate('2026-09-18', 1)).toBe('2026-09-20');
  });

  it.each([
    ['2026-03-02', '2026-03-30', true], // no holiday
    ['2026-04-01', '2026-04-30', true], // 清明 Apr 4–6
    ['2026-04-20', '2026-05-20', true], // 劳动节 May 1–5, makeup Sat May 9
    ['2026-02-10', '2026-03-16', true], // 春节, makeup Feb 14 and Feb 28
    ['2026-09-21', '2026-10-26', true], // 中秋 + 国庆, makeup Oct 10
    ['2026-12-21', '2027-01-19', false], // into 2027: 元旦 by the fallback, not official
  ])('gives the default 20-working-day notice from %s: ends on %s (official %s)', (start, dueOn, official) => {
    const approved = cst(`${start}T15:30:00`);
    expect(cal.deadline(approved, 20)).toEqual({ dueOn, endsAt: new Date(`${dueOn}T16:00:00.000Z`), official });
    expect(cal.workingDaysBetween(approved, dueOn)).toBe(20);
  });

  it('takes the start day in Beijing time, whatever the UTC date', () => {
    // 2026-03-01T16:30Z is Monday 00:30 in Beijing; 15:59Z is still Sunday.
    expect(cal.localDateOf(new Date('2026-03-01T16:30:00Z'))).toBe('2026-03-02');
    expect(cal.dueDate(new Date('2026-03-01T16:30:00Z'), 1)).toBe('2026-03-03');
    expect(cal.dueDate(new Date('2026-03-01T15:59:00Z'), 1)).toBe('2026-03-02');
  });

  it('starts from a holiday or a weekend like from any other day', () => {
    expect(cal.dueDate(cst('2026-02-17T09:00:00'), 1)).toBe('2026-02-24'); // 春节 holiday
    expect(cal.dueDate(cst('2026-03-07T09:00:00'), 1)).toBe('2026-03-09'); // Saturday
    expect(cal.dueDate(cst('2026-10-03T09:00:00'), 3)).toBe('2026-10-10'); // 国庆 → Oct 8, 9, 10 (makeup)
    expect(cal.isWorkingDay(cst('2026-02-17T09:00:00'))).toBe(false);
    expect(cal.isWorkingDay(cst('2026-02-14T09:00:00'))).toBe(true);
  });

  it('ends n = 0 at the end of the start day itself, even a holiday; refuses negative and fractional counts', () => {
    expect(cal.addWorkingDays(cst('2026-02-17T09:00:00'), 0).toISOString()).toBe('2026-02-17T16:00:00.000Z');
    expect(cal.dueDate(cst('2026-03-04T23:59:00'), 0)).toBe('2026-03-04');
    expect(cal.workingDaysBetween('2026-03-04', '2026-03-04')).toBe(0);
    expect(() => cal.addWorkingDays(cst('2026-03-04T09:00:00'), -1)).toThrow(RangeError);
    expect(() => cal.addWorkingDays(cst('2026-03-04T09:00:00'), 1.5)).toThrow(RangeError);
    expect(() => cal.dueDate('2026-02-30', 1)).toThrow(RangeError);
  });

  it('gives contract reviews due 15 and 30 working days after filing', () => {
    const filed = cst('2026-09-30T17:00:00');
    expect(cal.dueDate(filed, 15)).toBe('2026-10-27');
    expect(cal.dueDate(filed, 30)).toBe('2026-11-17');
  });

  it('counts working days between two dates, antisymmetrically', () => {
    // Feb 14 (Sat, makeup), 24, 25, 26, 27, 28 (Sat, makeup).
    expect(cal.workingDaysBetween('2026-02-13', '2026-02-28')).toBe(6);
    expect(cal.workingDaysBetween('2026-02-28', '2026-02-13')).toBe(-6);
    for (const start of ['2026-01-30', '2026-09-24', '2026-12-31']) {
      for (const n of [1, 5, 15, 30]) expect(cal.workingDaysBetween(start, cal.dueDate(start, n))).toBe(n);
    }
  });

  it('skips closures on days that would be worked; a closure on a weekend changes nothing', () => {
    expect(cal.dueDate('2026-03-02', 20, new Set(['2026-03-10']))).toBe('2026-03-31');
    expect(cal.dueDate('2026-03-02', 20, new Set(['2026-03-07']))).toBe('2026-03-30');
    // Closing the makeup Saturday Oct 10 moves day 6 after Sep 25 to Monday Oct 12.
    const closures = new Map([['2026-10-10', '系统升级']]);
    expect(cal.dueDate('2026-09-25', 6, closures)).toBe('2026-10-12');
    expect(cal.describeDay('2026-10-10', closures)).toEqual({ date: '2026-10-10', working: false, reason: 'closure', name: '系统升级', official: true });
  });
});

describe('GET /v1/calendar/working-days', () => {
  it('lists each day with its reason and name (国庆 2026)', async () => {
    const res = await api().get('/v1/calendar/working-days').query({ from: '2026-09-19', to: '2026-10-11' });
    expect(res.status).toBe(200);
    const body = WorkingDaysSchema.parse(res.body);
    expect(body.items).toHaveLength(23);
    expect(body).toMatchObject({ from: '2026-09-19', to: '2026-10-11', official: true, workingDays: 11 });
    const byDate = new Map(body.items.map((d) => [d.date, d]));
    expect(byDate.get('2026-09-19')).toEqual({ date: '2026-09-19', working: false, reason: 'weekend', name: null, official: true });
    expect(byDate.get('2026-09-20')).toEqual({ date: '2026-09-20', working: true, reason: 'makeup_workday', name: '国庆节', official: true });
    expect(byDate.get('2026-09-25')).toMatchObject({ working: false, reason: 'holiday', name: '中秋' });
    expect(byDate.get('2026-10-08')).toEqual({ date: '2026-10-08', working: true, reason: null, name: null, official: true });
  });

  it('flags days of a year without a published schedule as not official', async () => {
    const res = await api().get('/v1/calendar/working-days').query({ from: '2026-12-30', to: '2027-01-04' });
    expect(res.status).toBe(200);
    expect(res.body.official).toBe(false);
    expect(res.body.items.map((d: { official: boolean }) => d.official)).toEqual([true, true, false, false, false, false]);
    expect(res.body.items[2]).toMatchObject({ date: '2027-01-01', working: false, reason: 'holiday', name: '元旦' });
  });

  it('answers up to 366 days and refuses longer, reversed or malformed ranges', async () => {
    const leapYear = await api().get('/v1/calendar/working-days').query({ from: '2028-01-01', to: '2028-12-31' });
    expect(leapYear.status).toBe(200);
    expect(leapYear.body.items).toHaveLength(366);
    expectProblem(await api().get('/v1/calendar/working-days').query({ from: '2026-01-01', to: '2027-01-02' }), 400, 'INVALID_RANGE');
    expectProblem(await api().get('/v1/calendar/working-days').query({ from: '2026-03-02', to: '2026-03-01' }), 400, 'INVALID_RANGE');
    expectProblem(await api().get('/v1/calendar/working-days').query({ from: '2026-02-30', to: '2026-03-01' }), 400, 'VALIDATION_FAILED');
    expectProblem(await api().get('/v1/calendar/working-days').query({ from: '2026/03/01', to: '2026-03-02' }), 400, 'VALIDATION_FAILED');
    expectProblem(await api().get('/v1/calendar/working-days').query({ from: '2026-03-01' }), 400, 'VALIDATION_FAILED');
    expectProblem(await api().get('/v1/calendar/working-days').query({ from: '2100-01-01', to: '2100-01-02' }), 400, 'VALIDATION_FAILED');
  });
});

describe('calendar closures', () => {
  it('lets an admin close a day, which shifts deadlines, and reopen it', async () => {
    const approved = cst('2026-03-02T10:00:00');
    expect((await ctx.services.calendar.addWorkingDays(approved, 20)).toISOString()).toBe('2026-03-30T16:00:00.000Z');

    const created = await api().post('/v1/calendar/closures').set(admin.auth).send({ date: '2026-03-10', reason: '省技术交易市场系统升级' });
    expect(created.status).toBe(201);
    expect(ClosureSchema.parse(created.body)).toEqual({ date: '2026-03-10', reason: '省技术交易市场系统升级', createdAt: ctx.clock.now().toISOString() });
    const { rows } = await ctx.db.pool.query(`select reason, created_by from calendar_closures where date = '2026-03-10'`);
    expect(rows).toEqual([{ reason: '省技术交易市场系统升级', created_by: admin.userId }]);

    expect((await ctx.services.calendar.addWorkingDays(approved, 20)).toISOString()).toBe('2026-03-31T16:00:00.000Z');
    expect(await ctx.services.calendar.isWorkingDay('2026-03-10')).toBe(false);
    const days = await api().get('/v1/calendar/working-days').query({ from: '2026-03-10', to: '2026-03-10' });
    expect(days.body.items[0]).toEqual({ date: '2026-03-10', working: false, reason: 'closure', name: '省技术交易市场系统升级', official: true });

    const removed = await api().delete('/v1/calendar/closures/2026-03-10').set(admin.auth);
    expect(removed.status).toBe(204);
    expect(removed.text).toBe('');
    expect((await ctx.db.pool.query(`select 1 from calendar_closures where date = '2026-03-10'`)).rowCount).toBe(0);
    expect((await ctx.services.calendar.addWorkingDays(approved, 20)).toISOString()).toBe('2026-03-30T16:00:00.000Z');
  });

  it('refuses others: 401 anonymous, 403 non-admin, 409 duplicate, 404 reopening a day not closed, 400 bad input', async () => {
    const body = { date: '2026-06-09', reason: '停电' };
    expectProblem(await api().post('/v1/calendar/closures').send(body), 401, 'UNAUTHENTICATED');
    expectProblem(await api().post('/v1/calendar/closures').set(enterprise.auth).send(body), 403, 'ADMIN_ONLY');
    expect((await api().post('/v1/calendar/closures').set(admin.auth).send(body)).status).toBe(201);
    expectProblem(await api().post('/v1/calendar/closures').set(admin.auth).send({ ...body, reason: '又一次' }), 409, 'CLOSURE_EXISTS');

    expectProblem(await api().delete('/v1/calendar/closures/2026-06-09'), 401, 'UNAUTHENTICATED');
    expectProblem(await api().delete('/v1/calendar/closures/2026-06-09').set(enterprise.auth), 403, 'ADMIN_ONLY');
    expectProblem(await api().delete('/v1/calendar/closures/2026-06-10').set(admin.auth), 404, 'NOT_FOUND');
    expectProblem(await api().delete('/v1/calendar/closures/junk').set(admin.auth), 400, 'VALIDATION_FAILED');
    expect((await api().delete('/v1/calendar/closures/2026-06-09').set(admin.auth)).status).toBe(204);

    expectProblem(await api().post('/v1/calendar/closures').set(admin.auth).send({ date: '2026-02-30', reason: 'x' }), 400, 'VALIDATION_FAILED');
    expectProblem(await api().post('/v1/calendar/closures').set(admin.auth).send({ date: '2026-06-11', reason: '  ' }), 400, 'VALIDATION_FAILED');
    expectProblem(await api().post('/v1/calendar/closures').set(admin.auth).send({ date: '2026-06-11', reason: 'x', extra: 1 }), 400, 'VALIDATION_FAILED');
    expect((await ctx.db.pool.query(`select 1 from calendar_closures where date between '2026-06-01' and '2026-06-30'`)).rowCount).toBe(0);
  });

  it('lists closures by date, a page at a time, to anyone', async () => {
    for (const date of ['2030-05-08', '2030-05-06', '2030-05-07']) {
      expect((await api().post('/v1/calendar/closures').set(admin.auth).send({ date, reason: `关闭 ${date}` })).status).toBe(201);
    }
    const first = await api().get('/v1/calendar/closures').query({ limit: 2, from: '2030-01-01' });
    expect(first.status).toBe(200);
    const page1 = ClosurePageSchema.parse(first.body);
    expect(page1.items.map((c) => c.date)).toEqual(['2030-05-06', '2030-05-07']);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const second = await api().get('/v1/calendar/closures').query({ limit: 2, from: '2030-01-01', cursor: page1.nextCursor });
    expect(second.body).toEqual({ items: [{ date: '2030-05-08', reason: '关闭 2030-05-08', createdAt: expect.any(String) }], nextCursor: null });
    const bounded = await api().get('/v1/calendar/closures').query({ from: '2030-05-07', to: '2030-05-07' });
    expect(bounded.body.items.map((c: { date: string }) => c.date)).toEqual(['2030-05-07']);
    expectProblem(await api().get('/v1/calendar/closures').query({ cursor: 'not-a-cursor' }), 400, 'INVALID_CURSOR');
    expectProblem(await api().get('/v1/calendar/closures').query({ limit: 101 }), 400, 'VALIDATION_FAILED');
  });

  it('computes inside a transaction with the closures that transaction sees', async () => {
    const calendar = ctx.services.calendar;
    const rollback = new Error('rollback');
    await expect(
      withTransaction(ctx.deps.database.db, async (tx) => {
        await catalogRepo.insertClosure(tx, { date: '2026-04-14', reason: '临时停市', createdBy: admin.userId, createdAt: ctx.clock.now() });
        const closures = await calendar.loadClosures(tx);
        expect(closures.get('2026-04-14')).toBe('临时停市');
        expect(await calendar.dueDate('2026-04-01', 20, closures)).toBe('2026-05-06');
        expect(await calendar.deadline('2026-04-01', 20, closures)).toMatchObject({ dueOn: '2026-05-06', official: true });
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    // Nothing committed: outside the transaction the day is worked.
    expect(await calendar.dueDate('2026-04-01', 20)).toBe('2026-04-30');
    expect(await calendar.workingDaysBetween('2026-04-01', '2026-04-30')).toBe(20);
  });
});
