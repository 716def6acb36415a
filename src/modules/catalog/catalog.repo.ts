import { and, asc, eq, gt, gte, lte, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { calendarClosures, fieldCrosswalk, fields, regions } from './catalog.tables.js';

export type ClosureRow = typeof calendarClosures.$inferSelect;

export const catalogRepo = {
  /** Idempotent upsert of the reference data; run at start-up after migrations. */
  async sync(
    db: Executor,
    data: {
      fields: (typeof fields.$inferInsert)[];
      crosswalk: (typeof fieldCrosswalk.$inferInsert)[];
      regions: (typeof regions.$inferInsert)[];
    },
  ): Promise<void> {
    await db
      .insert(fields)
      .values(data.fields)
      .onConflictDoUpdate({
        target: fields.code,
        set: { name: sql`excluded.name`, nameEn: sql`excluded.name_en`, parentCode: sql`excluded.parent_code`, scheme: sql`excluded.scheme`, depth: sql`excluded.depth` },
      });
    await db.delete(fieldCrosswalk);
    if (data.crosswalk.length > 0) await db.insert(fieldCrosswalk).values(data.crosswalk);
    await db
      .insert(regions)
      .values(data.regions)
      .onConflictDoUpdate({
        target: regions.code,
        set: { name: sql`excluded.name`, level: sql`excluded.level`, provinceCode: sql`excluded.province_code` },
      });
  },

  /** Every closure (a handful a year): what the working-day calendar computes with. */
  async allClosures(db: Executor): Promise<Pick<ClosureRow, 'date' | 'reason'>[]> {
    return db.select({ date: calendarClosures.date, reason: calendarClosures.reason }).from(calendarClosures);
  },

  /** A keyset page by date: rows after `after`, within [from, to] when given. */
  async listClosures(db: Executor, q: { after?: string | undefined; from?: string | undefined; to?: string | undefined; limit: number }): Promise<ClosureRow[]> {
    return db
      .select()
      .from(calendarClosures)
      .where(
        and(
          q.after === undefined ? undefined : gt(calendarClosures.date, q.after),
          q.from === undefined ? undefined : gte(calendarClosures.date, q.from),
          q.to === undefined ? undefined : lte(calendarClosures.date, q.to),
        ),
      )
      .orderBy(asc(calendarClosures.date))
      .limit(q.limit);
  },

  /** Plain insert: a second closure on the same date fails on the primary key (calendar_closures_pkey). */
  async insertClosure(db: Executor, row: typeof calendarClosures.$inferInsert): Promise<ClosureRow> {
    const [out] = await db.insert(calendarClosures).values(row).returning();
    return out!;
  },

  async deleteClosure(db: Executor, date: string): Promise<boolean> {
    const rows = await db.delete(calendarClosures).where(eq(calendarClosures.date, date)).returning({ date: calendarClosures.date });
    return rows.length > 0;
  },
};

export type CatalogRepo = typeof catalogRepo;
