import { sql } from 'drizzle-orm';
import { bigint, check, pgTable, smallint, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from '../accounts/accounts.tables.js';

/**
 * The sandbox clock's offset (SANDBOX_CLOCK=true): business time = real time + offset_ms. One row,
 * shared by every server process on the database and kept across restarts; it is the lock that
 * serializes moves (SELECT … FOR UPDATE), and the offset never decreases (time only runs forward).
 */
export const sandboxClock = pgTable(
  'sandbox_clock',
  {
    id: smallint('id').primaryKey().default(1),
    offsetMs: bigint('offset_ms', { mode: 'number' }).notNull().default(0),
    /** the admin who last moved the clock, and when (real time) */
    movedBy: uuid('moved_by').references(() => users.id),
    movedAt: timestamp('moved_at', { withTimezone: true }),
  },
  (t) => [check('sandbox_clock_single_row_check', sql`${t.id} = 1`), check('sandbox_clock_offset_check', sql`${t.offsetMs} >= 0`)],
);
