import type { Db } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { badRequest, forbidden } from '../../lib/errors.js';
import type { Actor } from '../accounts/tokens.js';
import { localDateOf } from '../catalog/calendar.days.js';
import type { CalendarService } from '../catalog/calendar.service.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import type { DealsService } from '../deals/deals.service.js';
import { loadVisible } from './contracts.access.js';
import { toContractDto, toContractWithHistory } from './contracts.dto.js';
import { createDrafts } from './contracts.drafts.js';
import { createFiling } from './contracts.filing.js';
import type { ContractScope, ContractsRepo } from './contracts.repo.js';
import { createReview } from './contracts.review.js';
import type { ContractDto, ContractWithHistoryDto, ListContractsQuery } from './contracts.schemas.js';

export interface ContractsDeps {
  db: Db;
  repo: ContractsRepo;
  clock: Clock;
  catalog: CatalogService;
  calendar: Pick<CalendarService, 'dueDate' | 'loadClosures' | 'workingDaysBetween'>;
  deals: Pick<DealsService, 'findById' | 'markRegistered' | 'markContractCancelled'>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const invalidCursor = () => badRequest('INVALID_CURSOR', 'The cursor is not one this API issued');

/**
 * 技术合同认定登记: the seller side files (contracts.filing.ts), or completes and submits the draft a
 * sale opened (contracts.drafts.ts); an administrator registers or rejects (contracts.review.ts);
 * parties, the deal's brokerage and admins read.
 */
export function createContractsService(deps: ContractsDeps) {
  const { db, repo, clock, calendar } = deps;
  const filing = createFiling(deps);

  return {
    ...filing,
    ...createDrafts(deps),
    review: createReview(deps),

    async get(actor: Actor, id: string): Promise<{ contract: ContractWithHistoryDto; version: number }> {
      const { row } = await loadVisible(repo, db, actor, id);
      return { contract: toContractWithHistory(row, await repo.lineage(db, row.lineageId)), version: row.version };
    },

    async list(actor: Actor, q: ListContractsQuery): Promise<{ items: ContractDto[]; nextCursor: string | null }> {
      const scope: ContractScope = actor.isAdmin ? { kind: 'all' } : { kind: 'organization', organizationId: actor.organizationId, role: q.role };
      if (actor.isAdmin && q.role !== undefined) throw badRequest('ROLE_NOT_APPLICABLE', 'role filters the caller organization’s contracts; administrators see every contract');
      const after = decodeCursor(q.cursor, 1)?.[0];
      if (after !== undefined && (typeof after !== 'string' || !UUID.test(after))) throw invalidCursor();
      const rows = await repo.list(db, { scope, status: q.status, filingKind: q.filingKind, registrationNumber: q.registrationNumber, dealId: q.dealId, afterId: after, limit: q.limit });
      const page = rows.slice(0, q.limit);
      return { items: page.map(toContractDto), nextCursor: rows.length > q.limit ? encodeCursor([page[page.length - 1]!.id]) : null };
    },

    /** Filings under review past their reviewDueOn (Beijing date), most overdue first. Admins only. */
    async overdue(actor: Actor, q: { limit: number; cursor?: string | undefined }) {
      if (!actor.isAdmin) throw forbidden('Only platform administrators see the review queue', 'ADMIN_ONLY');
      const cursor = decodeCursor(q.cursor, 2);
      if (cursor && !(typeof cursor[0] === 'string' && DATE.test(cursor[0]) && typeof cursor[1] === 'string' && UUID.test(cursor[1]))) throw invalidCursor();
      const today = localDateOf(clock.now());
      const rows = await repo.overdue(db, { today, after: cursor as [string, string] | undefined, limit: q.limit });
      const page = rows.slice(0, q.limit);
      const items = await Promise.all(
        page.map(async (r) => ({ ...toContractDto(r), overdueWorkingDays: await calendar.workingDaysBetween(r.reviewDueOn!, today) })),
      );
      const last = page[page.length - 1];
      return { items, nextCursor: rows.length > q.limit && last ? encodeCursor([last.reviewDueOn!, last.id]) : null };
    },
  };
}

export type ContractsService = ReturnType<typeof createContractsService>;
