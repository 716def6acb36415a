import { and, eq, sql, type InferInsertModel, type InferSelectModel } from 'drizzle-orm';
import type { PgColumn, PgTable, PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { Executor } from './client.js';

type VersionedTable = PgTable & { id: PgColumn; version: PgColumn };

/**
 * Row access every versioned table needs: insert, read, lock, and the conditional update on
 * `version` that makes If-Match and concurrent edits safe (0 rows → the caller answers 412).
 */
export function versionedRows<T extends VersionedTable>(t: T) {
  type Row = InferSelectModel<T>;
  return {
    async insert(db: Executor, row: InferInsertModel<T>): Promise<Row> {
      const rows = (await db.insert(t).values(row).returning()) as unknown as Row[];
      return rows[0]!;
    },

    async findById(db: Executor, id: string): Promise<Row | undefined> {
      const [row] = await db.select().from(t as PgTable).where(eq(t.id, id));
      return row as Row | undefined;
    },

    /** Locks the row for a state change in the caller's transaction. */
    async findForUpdate(db: Executor, id: string): Promise<Row | undefined> {
      const [row] = await db.select().from(t as PgTable).where(eq(t.id, id)).for('update');
      return row as Row | undefined;
    },

    async update(db: Executor, id: string, expectedVersion: number, patch: Partial<Row>): Promise<Row | undefined> {
      const rows = (await db
        .update(t)
        .set({ ...patch, version: sql`${t.version} + 1` } as PgUpdateSetSource<T>)
        .where(and(eq(t.id, id), eq(t.version, expectedVersion)))
        .returning()) as unknown as Row[];
      return rows[0];
    },
  };
}
