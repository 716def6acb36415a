import { integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';

/** The field taxonomy, synced from catalog.data.ts at start-up so SQL (statistics) can join names. */
export const fields = pgTable('fields', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  nameEn: text('name_en').notNull(),
  parentCode: text('parent_code'),
  scheme: text('scheme').notNull(),
  depth: integer('depth').notNull(),
});

export const fieldCrosswalk = pgTable(
  'field_crosswalk',
  {
    fromCode: text('from_code').notNull(),
    toCode: text('to_code').notNull(),
  },
  (t) => [primaryKey({ columns: [t.fromCode, t.toCode] })],
);

export const regions = pgTable('regions', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  level: text('level').notNull(),
  provinceCode: text('province_code').notNull(),
});
