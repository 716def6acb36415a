import type { Executor } from '../db/client.js';

/** Rows whose changes other capabilities (the search index, subscriptions) follow. */
export type ChangedEntity = 'achievement' | 'need';

/**
 * Called by the achievements and needs services inside the transaction that changes a row, so
 * the record commits or rolls back with it (the transactional outbox). The search capability
 * provides the implementation; the container wires it in.
 */
export interface ChangeRecorder {
  record(tx: Executor, entity: ChangedEntity, id: string, kind?: ChangeKind): Promise<void>;
}

/** published: this change moved the row into `published` (saved searches notify on it). */
export type ChangeKind = 'changed' | 'published';

/** Several followers of the same changes (search, subscriptions), each recording in the changing transaction. */
export function recordAll(...recorders: ChangeRecorder[]): ChangeRecorder {
  return {
    async record(tx, entity, id, kind) {
      for (const r of recorders) await r.record(tx, entity, id, kind);
    },
  };
}
