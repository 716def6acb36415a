import { eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { sandboxClock } from './sandbox.tables.js';

const ROW = 1;

export const sandboxRepo = {
  /** The committed offset; 0 before the first move. */
  async readOffset(db: Executor): Promise<number> {
    const [row] = await db.select({ offsetMs: sandboxClock.offsetMs }).from(sandboxClock).where(eq(sandboxClock.id, ROW));
    return row?.offsetMs ?? 0;
  },

  /** Creates the row on first use and locks it until the transaction ends; returns the offset. */
  async lockOffset(tx: Executor): Promise<number> {
    await tx.insert(sandboxClock).values({ id: ROW }).onConflictDoNothing();
    const [row] = await tx.select({ offsetMs: sandboxClock.offsetMs }).from(sandboxClock).where(eq(sandboxClock.id, ROW)).for('update');
    return row!.offsetMs;
  },

  /** movedAt is the database's real time (the business clock is what moved). */
  async saveOffset(tx: Executor, offsetMs: number, movedBy: string): Promise<void> {
    await tx.update(sandboxClock).set({ offsetMs, movedBy, movedAt: sql`now()` }).where(eq(sandboxClock.id, ROW));
  },
};

export type SandboxRepo = typeof sandboxRepo;
