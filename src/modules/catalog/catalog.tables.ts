import { sql } from 'drizzle-orm';
import { check, date, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from '../accounts/accounts.tables.js';

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

/**
 * Days an admin closed the exchange on top of the national calendar (a provincial exchange shut for
 * a day). The date (Beijing local) is the primary key: it is the only duplicate guard.
 */
export const calendarClosures = pgTable(
  'calendar_closures',
  {
    date: date('date', { mode: 'string' }).primaryKey(),
    reason: text('reason').notNull(),
    createdBy: uuid('created_by')
      .notNull()
      .references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [check('calendar_closures_reason_check', sql`char_length(${t.reason}) between 1 and 200`)],
);
