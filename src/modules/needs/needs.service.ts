import type { Db, Executor } from '../../db/client.js';
import { withTransaction } from '../../db/tx.js';
import type { ChangeRecorder } from '../../lib/changes.js';
import type { Clock } from '../../lib/clock.js';
import { forbidden, type FieldError } from '../../lib/errors.js';
import { money } from '../../lib/http.js';
import { newId } from '../../lib/ids.js';
import { createPublicationReads, type Page } from '../../lib/publication-reads.js';
import { createLifecycle } from '../../lib/publication-service.js';
import type { ReadCache, ReadResult } from '../../lib/read-cache.js';
import {
  checkCatalogCodes,
  defaultValidUntil,
  fieldPathOf,
  isPrivileged,
  keysetPage,
  listScope,
  publicationDto,
  resolveValidUntil,
  throwIfInvalid,
  type DisclosureGrants,
} from '../../lib/publication.js';
import type { Actor } from '../accounts/tokens.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import { needOrder, type NeedPatch, type NeedReadRow, type NeedRow, type NeedsRepo } from './needs.repo.js';
import { NeedPageSchema, NeedSchema, type CreateNeedInput, type ListNeedsQuery, type NeedDto, type UpdateNeedInput } from './needs.schemas.js';

export interface NeedsDeps {
  db: Db;
  repo: NeedsRepo;
  clock: Clock;
  catalog: CatalogService;
  changes: ChangeRecorder;
  /** accepted interests: who else sees contact and confidential detail on GET */
  disclosures: DisclosureGrants;
  /** public bodies of GET one and list pages, evicted on every change */
  readCache: ReadCache;
}

/** Enterprises post their technology needs; brokers post them on an enterprise's behalf. */
const POSTERS = new Set(['enterprise', 'broker']);
const WHAT = 'Need';

export interface NeedResult {
  need: NeedDto;
  version: number;
}

export function toNeedDto(row: NeedReadRow, viewer: Actor | null, now: Date, disclosed = false): NeedDto {
  const seesDetail = disclosed || isPrivileged(viewer, row);
  return {
    id: row.id,
    title: row.title,
    summary: row.summary,
    description: row.descriptionConfidential && !seesDetail ? null : row.description,
    descriptionConfidential: row.descriptionConfidential,
    indicators: row.indicators,
    keywords: row.keywords,
    fieldCodes: row.fieldCodes,
    needType: row.needType,
    trlMin: row.trlMin,
    budget: {
      ...(row.budgetMinFen !== null ? { min: money(row.budgetMinFen) } : {}),
      ...(row.budgetMaxFen !== null ? { max: money(row.budgetMaxFen) } : {}),
      negotiable: row.budgetNegotiable,
    },
    cooperationModes: row.cooperationModes as NeedDto['cooperationModes'],
    deadline: row.deadline,
    ...publicationDto(row, viewer, now, disclosed),
  };
}

function columnsOf(input: UpdateNeedInput, catalog: CatalogService): NeedPatch {
  const out: NeedPatch = {};
  const copy = ['title', 'summary', 'description', 'descriptionConfidential', 'indicators', 'keywords', 'needType', 'trlMin', 'cooperationModes', 'deadline', 'regionCode', 'contact'] as const;
  for (const k of copy) if (input[k] !== undefined) (out as Record<string, unknown>)[k] = input[k];
  if (input.fieldCodes !== undefined) {
    out.fieldCodes = [...new Set(input.fieldCodes)];
    out.fieldPathCodes = fieldPathOf(catalog, out.fieldCodes);
  }
  if (input.budget !== undefined) {
    out.budgetMinFen = input.budget.min?.amount ?? null;
    out.budgetMaxFen = input.budget.max?.amount ?? null;
    out.budgetNegotiable = input.budget.negotiable;
  }
  return out;
}

export function createNeedsService(deps: NeedsDeps) {
  const { db, repo, clock, catalog, changes, disclosures, readCache } = deps;
  const lifecycle = createLifecycle({
    db,
    clock,
    changes,
    entity: 'need',
    what: WHAT,
    repo,
    toDto: toNeedDto,
    committed: (id) => readCache.invalidate('need', id, 'commit'),
  });
  const reads = createPublicationReads({
    db,
    clock,
    cache: readCache,
    disclosures,
    entity: 'need',
    what: WHAT,
    findForRead: repo.findForRead,
    toDto: toNeedDto,
    schemas: { one: NeedSchema, page: NeedPageSchema },
  });
  const result = (r: { dto: NeedDto; version: number }): NeedResult => ({ need: r.dto, version: r.version });

  function validate(input: UpdateNeedInput, now: Date): Date | undefined {
    const errors: FieldError[] = [];
    checkCatalogCodes(catalog, input, errors);
    const validUntil = resolveValidUntil(input.validUntil, now, errors);
    throwIfInvalid(errors, 'need');
    return validUntil;
  }

  return {
    /** A new need is a draft of the caller's organization. */
    async create(actor: Actor, input: CreateNeedInput, outer?: Executor): Promise<NeedResult> {
      if (!POSTERS.has(actor.kind)) throw forbidden('Enterprises and brokers post technology needs', 'ROLE_NOT_ALLOWED');
      const now = clock.now();
      const validUntil = validate(input, now) ?? defaultValidUntil(now);
      return withTransaction(
        db,
        async (tx) => {
          const row = await repo.insert(tx, {
            ...(columnsOf(input, catalog) as Required<Pick<NeedRow, 'title' | 'description' | 'fieldCodes' | 'fieldPathCodes' | 'needType' | 'cooperationModes' | 'regionCode'>>),
            id: newId(),
            organizationId: actor.organizationId,
            createdBy: actor.userId,
            status: 'draft',
            validUntil,
            createdAt: now,
            updatedAt: now,
          });
          await changes.record(tx, 'need', row.id);
          return { need: toNeedDto(row, actor, now), version: row.version };
        },
        outer,
      );
    },

    /** The row as this viewer sees it; the public view comes from (and goes to) the read cache. */
    get: (viewer: Actor | null, id: string): Promise<ReadResult<NeedDto>> => reads.get(viewer, id),

    async list(viewer: Actor | null, query: ListNeedsQuery): Promise<ReadResult<Page<NeedDto>>> {
      const now = clock.now();
      const scope = listScope(viewer, query, now, 'needs');
      return reads.list(viewer, scope, query, async () => {
        const rows = await repo.list(db, {
          scope,
          status: query.status,
          q: query.q,
          fieldCode: query.field,
          needType: query.needType,
          cooperationMode: query.cooperationMode,
          regionCode: query.regionCode,
          budgetMinFen: query.budgetMin,
          sort: query.sort,
          limit: query.limit,
          cursor: query.cursor,
        });
        const page = keysetPage(rows, query.limit, needOrder(query.sort, scope.kind === 'public'));
        return { fetched: rows, shown: page.rows, page: { items: page.rows.map((r) => toNeedDto(r, viewer, now)), nextCursor: page.nextCursor } };
      });
    },

    /** Edits by the owner; see achievements for the review and renewal rule. */
    async update(actor: Actor, id: string, expectedVersion: number | undefined, patch: UpdateNeedInput): Promise<NeedResult> {
      const r = await lifecycle.change(actor, id, { expectedVersion }, (row, now) => {
        const status = lifecycle.editPatch(row, patch, now);
        const validUntil = validate(patch, now);
        return { ...columnsOf(patch, catalog), ...(validUntil ? { validUntil } : {}), ...status };
      });
      return result(r);
    },

    submit: async (actor: Actor, id: string) => result(await lifecycle.submit(actor, id)),
    review: async (actor: Actor, id: string, decision: { decision: 'approve' | 'reject'; reason?: string | undefined }) => result(await lifecycle.review(actor, id, decision)),
    archive: async (actor: Actor, id: string) => result(await lifecycle.archive(actor, id)),
  };
}

export type NeedsService = ReturnType<typeof createNeedsService>;
