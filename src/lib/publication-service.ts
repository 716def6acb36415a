import type { Db, Executor } from '../db/client.js';
import { withTransaction } from '../db/tx.js';
import type { Actor } from '../modules/accounts/tokens.js';
import type { ChangedEntity, ChangeRecorder } from './changes.js';
import type { Clock } from './clock.js';
import { forbidden, preconditionFailed, unprocessable } from './errors.js';
import { assertOwner, assertTransition, type PublicationStatus, type PublishableRow } from './publication.js';

interface LifecycleRow extends PublishableRow {
  version: number;
}

interface LifecyclePatch {
  status?: PublicationStatus;
  submittedAt?: Date | null;
  publishedAt?: Date | null;
  reviewReason?: string | null;
  updatedAt?: Date;
}

export interface LifecycleDeps<Row extends LifecycleRow, Patch extends LifecyclePatch, Dto> {
  db: Db;
  clock: Clock;
  changes: ChangeRecorder;
  entity: ChangedEntity;
  /** the resource's name in messages: "Achievement", "Need" */
  what: string;
  repo: {
    findForUpdate(db: Executor, id: string): Promise<Row | undefined>;
    update(db: Executor, id: string, expectedVersion: number, patch: Patch): Promise<Row | undefined>;
  };
  toDto(row: Row, viewer: Actor | null, now: Date): Dto;
  /** after the change committed: the public read cache of this process evicts at once (read-your-write) */
  committed?(id: string): void;
}

/**
 * The state changes achievements and needs share: every one locks the row, checks the owner
 * (or admin) and the expected version, writes, and records the change for search in the same
 * transaction.
 */
export function createLifecycle<Row extends LifecycleRow, Patch extends LifecyclePatch, Dto>(deps: LifecycleDeps<Row, Patch, Dto>) {
  const { db, clock, changes, entity, what, repo, toDto } = deps;

  async function change(
    actor: Actor,
    id: string,
    opts: { allowAdmin?: boolean; expectedVersion?: number | undefined },
    decide: (row: Row, now: Date) => Patch,
  ): Promise<{ dto: Dto; version: number }> {
    const out = await withTransaction(db, async (tx) => {
      const now = clock.now();
      const row = assertOwner(actor, await repo.findForUpdate(tx, id), now, what, opts.allowAdmin);
      if (opts.expectedVersion !== undefined && opts.expectedVersion !== row.version) throw preconditionFailed();
      const updated = await repo.update(tx, id, row.version, { ...decide(row, now), updatedAt: now });
      if (!updated) throw preconditionFailed();
      await changes.record(tx, entity, id, updated.status === 'published' && row.status !== 'published' ? 'published' : 'changed');
      return { dto: toDto(updated, actor, now), version: updated.version };
    });
    deps.committed?.(id);
    return out;
  }

  return {
    change,

    submit(actor: Actor, id: string) {
      return change(actor, id, {}, (row, now) => {
        assertTransition('submit', row.status);
        if (row.validUntil.getTime() <= now.getTime()) {
          throw unprocessable('EXPIRED', 'validUntil has passed: renew it (PATCH validUntil) before submitting', [{ path: 'validUntil', message: 'in the past' }]);
        }
        return { status: 'pending_review', submittedAt: now, reviewReason: null } as Patch;
      });
    },

    review(actor: Actor, id: string, decision: { decision: 'approve' | 'reject'; reason?: string | undefined }) {
      if (!actor.isAdmin) throw forbidden(`Only platform admins review ${what.toLowerCase()}s`, 'ADMIN_ONLY');
      return change(actor, id, { allowAdmin: true }, (row, now) => {
        assertTransition('review', row.status);
        const patch: LifecyclePatch =
          decision.decision === 'approve'
            ? { status: 'published', publishedAt: now, reviewReason: decision.reason ?? null }
            : { status: 'rejected', reviewReason: decision.reason ?? null };
        return patch as Patch;
      });
    },

    archive(actor: Actor, id: string) {
      return change(actor, id, { allowAdmin: true }, (row) => {
        assertTransition('archive', row.status);
        return { status: 'archived' } as Patch;
      });
    },

    /** Content edits send a published row back to review; changing only validUntil renews it. */
    editPatch(row: Row, input: object, now: Date): LifecyclePatch {
      assertTransition('edit', row.status);
      const renewalOnly = Object.keys(input).every((k) => k === 'validUntil');
      return row.status === 'published' && !renewalOnly ? { status: 'pending_review', submittedAt: now, reviewReason: null } : {};
    },
  };
}
