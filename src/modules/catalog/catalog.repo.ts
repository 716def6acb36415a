import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { fieldCrosswalk, fields, regions } from './catalog.tables.js';

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
};

export type CatalogRepo = typeof catalogRepo;
