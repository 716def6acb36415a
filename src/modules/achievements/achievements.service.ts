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
import { achievementOrder, type AchievementPatch, type AchievementReadRow, type AchievementRow, type AchievementsRepo } from './achievements.repo.js';
import { AchievementPageSchema, AchievementSchema, type AchievementDto, type CreateAchievementInput, type ListAchievementsQuery, type UpdateAchievementInput } from './achievements.schemas.js';

export interface AchievementsDeps {
  db: Db;
  repo: AchievementsRepo;
  clock: Clock;
  catalog: CatalogService;
  changes: ChangeRecorder;
  /** accepted interests: who else sees contact and confidential detail on GET */
  disclosures: DisclosureGrants;
  /** public bodies of GET one and list pages, evicted on every change */
  readCache: ReadCache;
}

/** Organization kinds that post achievements (the operator reviews, it does not post). */
export const POSTERS = new Set(['university', 'institute', 'enterprise', 'broker']);
const WHAT = 'Achievement';

export interface AchievementResult {
  achievement: AchievementDto;
  version: number;
}

/**
 * The row as a caller may see it: contacts and confidential detail only for the owner and admins,
 * and (disclosed) for an organization whose interest the owner accepted.
 */
export function toAchievementDto(row: AchievementReadRow, viewer: Actor | null, now: Date, disclosed = false): AchievementDto {
  const seesDetail = disclosed || isPrivileged(viewer, row);
  return {
    id: row.id,
    title: row.title,
    summary: row.summary,
    description: row.descriptionConfidential && !seesDetail ? null : row.description,
    descriptionConfidential: row.descriptionConfidential,
    indicators: row.indicators,
    applications: row.applications,
    keywords: row.keywords,
    fieldCodes: row.fieldCodes,
    trl: row.trl,
    stage: row.stage,
    ipRights: row.ipRights,
    transferModes: row.transferModes as AchievementDto['transferModes'],
    price: row.priceFen === null ? { kind: row.priceKind } : { kind: row.priceKind, amount: money(row.priceFen) },
    institution: row.institution,
    ...publicationDto(row, viewer, now, disclosed),
  };
}

/** Input fields → columns. Only the fields present in a patch are set. */
function columnsOf(input: UpdateAchievementInput, catalog: CatalogService): AchievementPatch {
  const out: AchievementPatch = {};
  const copy = ['title', 'summary', 'description', 'descriptionConfidential', 'indicators', 'applications', 'keywords', 'trl', 'stage', 'ipRights', 'transferModes', 'institution', 'regionCode', 'contact'] as const;
  for (const k of copy) if (input[k] !== undefined) (out as Record<string, unknown>)[k] = input[k];
  if (input.fieldCodes !== undefined) {
    out.fieldCodes = [...new Set(input.fieldCodes)];
    out.fieldPathCodes = fieldPathOf(catalog, out.fieldCodes);
  }
  if (input.price !== undefined) {
    out.priceKind = input.price.kind;
    out.priceFen = input.price.amount?.amount ?? null;
  }
  return out;
}

export function createAchievementsService(deps: AchievementsDeps) {
  const { db, repo, clock, catalog, changes, disclosures, readCache } = deps;

  function validate(input: UpdateAchievementInput, now: Date): Date | undefined {
    const errors: FieldError[] = [];
    checkCatalogCodes(catalog, input, errors);
    const validUntil = resolveValidUntil(input.validUntil, now, errors);
    throwIfInvalid(errors, 'achievement');
    return validUntil;
  }

  const lifecycle = createLifecycle({
    db,
    clock,
    changes,
    entity: 'achievement',
    what: WHAT,
    repo,
    toDto: toAchievementDto,
    committed: (id) => readCache.invalidate('achievement', id, 'commit'),
  });
  const reads = createPublicationReads({
    db,
    clock,
    cache: readCache,
    disclosures,
    entity: 'achievement',
    what: WHAT,
    findForRead: repo.findForRead,
    toDto: toAchievementDto,
    schemas: { one: AchievementSchema, page: AchievementPageSchema },
  });
  const result = (r: { dto: AchievementDto; version: number }): AchievementResult => ({ achievement: r.dto, version: r.version });

  return {
    /** A new achievement is a draft of the caller's organization. */
    async create(actor: Actor, input: CreateAchievementInput, outer?: Executor): Promise<AchievementResult> {
      if (!POSTERS.has(actor.kind)) throw forbidden('Universities, institutes, enterprises and brokers post achievements', 'ROLE_NOT_ALLOWED');
      const now = clock.now();
      const validUntil = validate(input, now) ?? defaultValidUntil(now);
      return withTransaction(
        db,
        async (tx) => {
          const row = await repo.insert(tx, {
            ...(columnsOf(input, catalog) as Required<Pick<AchievementRow, 'title' | 'summary' | 'fieldCodes' | 'fieldPathCodes' | 'trl' | 'stage' | 'transferModes' | 'priceKind' | 'institution' | 'regionCode'>>),
            id: newId(),
            organizationId: actor.organizationId,
            createdBy: actor.userId,
            status: 'draft',
            validUntil,
            createdAt: now,
            updatedAt: now,
          });
          await changes.record(tx, 'achievement', row.id);
          return { achievement: toAchievementDto(row, actor, now), version: row.version };
        },
        outer,
      );
    },

    /** The row as this viewer sees it; the public view comes from (and goes to) the read cache. */
    get: (viewer: Actor | null, id: string): Promise<ReadResult<AchievementDto>> => reads.get(viewer, id),

    async list(viewer: Actor | null, query: ListAchievementsQuery): Promise<ReadResult<Page<AchievementDto>>> {
      const now = clock.now();
      const scope = listScope(viewer, query, now, 'achievements');
      return reads.list(viewer, scope, query, async () => {
        const rows = await repo.list(db, {
          scope,
          status: query.status,
          q: query.q,
          fieldCode: query.field,
          trlMin: query.trlMin,
          stage: query.maturity,
          transferMode: query.transferMode,
          regionCode: query.regionCode,
          priceMaxFen: query.priceMax,
          sort: query.sort,
          limit: query.limit,
          cursor: query.cursor,
        });
        const page = keysetPage(rows, query.limit, achievementOrder(query.sort, scope.kind === 'public'));
        return { fetched: rows, shown: page.rows, page: { items: page.rows.map((r) => toAchievementDto(r, viewer, now)), nextCursor: page.nextCursor } };
      });
    },

    /**
     * Edits by the owner. A published achievement goes back to review when its content changes;
     * changing only validUntil renews it in place (the content was already reviewed).
     */
    async update(actor: Actor, id: string, expectedVersion: number | undefined, patch: UpdateAchievementInput): Promise<AchievementResult> {
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

export type AchievementsService = ReturnType<typeof createAchievementsService>;
