import type { SQL } from 'drizzle-orm';
import type { Db, Executor, Tx } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { badRequest, forbidden, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { Actor } from '../accounts/tokens.js';
import { toJsonObject, type JsonObject } from '../../lib/json.js';
import { entryHash, type AuditActor } from './audit.hash.js';
import type { AuditEntryRow, AuditRepo, NewAuditEntryRow } from './audit.repo.js';
import { isSellerOrAdmin, type ListingAccessLookup } from './listing-access.js';

export type { AuditActor } from './audit.hash.js';

export interface AuditDeps {
  db: Db;
  repo: AuditRepo;
  clock: Clock;
  listingAccess: ListingAccessLookup;
}

export interface AppendInput {
  listingId: string;
  /** lower-case dotted name, e.g. `bid.placed`, `listing.reviewed` (^[a-z][a-z0-9_.]{0,63}$) */
  action: string;
  /** an Actor (its userId and organizationId are recorded) or 'system' for the scheduler */
  actor: AuditActor;
  /** JSON object; shown to the seller's members and admins, never to the public */
  data?: Record<string, unknown>;
}

export type ChainProblem = 'sequence_gap' | 'chain_break' | 'hash_mismatch';

/** The result of recomputing one listing's chain. */
export interface ChainReport {
  listingId: string;
  valid: boolean;
  /** entries stored for the listing */
  entries: number;
  /** the first entry that is missing (sequence_gap), does not follow its predecessor (chain_break) or was altered (hash_mismatch) */
  firstBrokenSeq: number | null;
  problem: ChainProblem | null;
  /** the last entry of an intact chain: a copy kept elsewhere also detects a truncated tail */
  headSeq: number | null;
  headHash: string | null;
  checkedAt: Date;
}

const ACTION = /^[a-z][a-z0-9_.]{0,63}$/;
const VERIFY_BATCH = 1000;

/** The last entry of a chain: what the next one links to. */
export type ChainHead = Pick<AuditEntryRow, 'seq' | 'hash'>;

function checkedData(input: AppendInput): JsonObject {
  if (!ACTION.test(input.action)) throw new TypeError(`audit action "${input.action}" must match ${ACTION}`);
  return toJsonObject(input.data ?? {});
}

/** The entry after `head`, hashed: the one place an entry's fields and hash are put together. */
function chained(head: ChainHead | null, input: AppendInput, data: JsonObject, createdAt: Date): NewAuditEntryRow {
  const fields = {
    listingId: input.listingId,
    seq: (head?.seq ?? 0) + 1,
    action: input.action,
    actor: input.actor === 'system' ? ('system' as const) : { userId: input.actor.userId, organizationId: input.actor.organizationId },
    data,
    createdAt,
    prevHash: head?.hash ?? null,
  };
  return {
    id: newId(),
    listingId: fields.listingId,
    seq: fields.seq,
    action: fields.action,
    actorUserId: fields.actor === 'system' ? null : fields.actor.userId,
    actorOrganizationId: fields.actor === 'system' ? null : fields.actor.organizationId,
    data: fields.data,
    createdAt: fields.createdAt,
    prevHash: fields.prevHash,
    hash: entryHash(fields),
  };
}

const actorOfRow = (row: AuditEntryRow): AuditActor =>
  row.actorUserId === null || row.actorOrganizationId === null ? 'system' : { userId: row.actorUserId, organizationId: row.actorOrganizationId };

/**
 * The per-listing audit log. `append` is called by the listings and auctions services inside
 * their own transactions; the reads are for the seller side and admins.
 */
export function createAuditService(deps: AuditDeps) {
  const { db, repo, clock, listingAccess } = deps;

  async function verifyChain(listingId: string, executor: Executor = db): Promise<ChainReport> {
    let entries = 0;
    let expectedSeq = 1;
    let prevHash: string | null = null;
    let broken: { seq: number; problem: ChainProblem } | null = null;
    for (let after = 0; ; ) {
      const rows = await repo.after(executor, listingId, after, VERIFY_BATCH);
      for (const row of rows) {
        entries++;
        if (broken) continue;
        if (row.seq !== expectedSeq) broken = { seq: expectedSeq, problem: 'sequence_gap' };
        else if (row.prevHash !== prevHash) broken = { seq: row.seq, problem: 'chain_break' };
        else if (entryHash({ ...row, actor: actorOfRow(row) }) !== row.hash) broken = { seq: row.seq, problem: 'hash_mismatch' };
        else {
          prevHash = row.hash;
          expectedSeq++;
        }
      }
      if (rows.length < VERIFY_BATCH) break;
      after = rows[rows.length - 1]!.seq;
    }
    return {
      listingId,
      valid: broken === null,
      entries,
      firstBrokenSeq: broken?.seq ?? null,
      problem: broken?.problem ?? null,
      headSeq: broken || entries === 0 ? null : expectedSeq - 1,
      headHash: broken ? null : prevHash,
      checkedAt: clock.now(),
    };
  }

  return {
    /**
     * Appends one entry to the listing's chain inside the caller's transaction (it commits or rolls
     * back with the change it records). Takes the listing's journal lock until that transaction
     * ends, so appends of one listing are serialised and seq follows commit order. Lock order:
     * take your listing/auction row locks first, then append (and publish live events) last.
     * Runs at READ COMMITTED: the head is read after the lock, in a fresh snapshot.
     */
    async append(tx: Tx, input: AppendInput): Promise<AuditEntryRow> {
      const data = checkedData(input);
      await repo.lockChain(tx, input.listingId);
      const head = await repo.head(tx, input.listingId);
      return repo.insert(tx, chained(head ?? null, input, data, clock.now()));
    },

    /**
     * The chain's head as a json expression ({seq, hash} or null), for a caller that appends in a
     * statement of its own (appendStatement). It must be read in a statement that starts after
     * the caller holds the listing's journal lock (listingJournalLock in src/db/locks.ts), so that
     * it is the committed head and stays so until the caller's transaction ends.
     */
    headQuery: (listingId: string): SQL => repo.headQuery(listingId),

    /**
     * Entries following `head`, chained in the given order, as one insert statement (null for none)
     * that the caller runs in its transaction, under the journal lock it held when it read the head.
     * The bid batch writes its entries this way, with its other rows, in one round trip.
     */
    appendStatement(head: ChainHead | null, inputs: readonly AppendInput[]): SQL | null {
      if (inputs.length === 0) return null;
      const createdAt = clock.now();
      const rows: NewAuditEntryRow[] = [];
      let prev = head;
      for (const input of inputs) {
        const row = chained(prev, input, checkedData(input), createdAt);
        rows.push(row);
        prev = { seq: row.seq, hash: row.hash };
      }
      return repo.insertManyStatement(rows);
    },

    /** GET /v1/listings/{id}/audit: the seller's members and admins; anyone else gets 404. */
    async list(actor: Actor, listingId: string, page: { limit: number; cursor?: string | undefined }) {
      const access = await listingAccess(db, listingId);
      if (!access || !isSellerOrAdmin(actor, access)) throw notFound('Listing');
      const after = decodeCursor(page.cursor, 1)?.[0] ?? 0;
      if (typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0) throw badRequest('INVALID_CURSOR', 'The cursor is not one this API issued');
      const rows = await repo.after(db, listingId, after, page.limit + 1);
      const items = rows.slice(0, page.limit);
      return { items, nextCursor: rows.length > page.limit ? encodeCursor([items[items.length - 1]!.seq]) : null };
    },

    /** GET /v1/listings/{id}/audit/verify (admins). */
    async verify(actor: Actor, listingId: string): Promise<ChainReport> {
      if (!actor.isAdmin) throw forbidden('Only platform administrators may verify audit chains', 'ADMIN_ONLY');
      if (!(await listingAccess(db, listingId))) throw notFound('Listing');
      return verifyChain(listingId);
    },

    /** Recomputes one chain with no authorization (the CLI, the lead's checks). */
    verifyChain,

    /** Every listing that has a chain, in id order (the CLI without --listing). */
    async *verifyAll(): AsyncGenerator<ChainReport> {
      for (let after: string | undefined; ; ) {
        const ids = await repo.listingIds(db, after, 500);
        for (const id of ids) yield await verifyChain(id);
        if (ids.length < 500) return;
        after = ids[ids.length - 1];
      }
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
