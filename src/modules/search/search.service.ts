import type { Db } from '../../db/client.js';
import { withTransaction } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { AppError, badRequest, unprocessable, type FieldError } from '../../lib/errors.js';
import { money } from '../../lib/http.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import { documentOf } from './search.documents.js';
import { FACETS_OF, SEARCH_KINDS, SearchEngineError, type SearchDocument, type SearchEngine, type SearchFilters, type SearchKind } from './search.engine.js';
import type { SearchRepo } from './search.repo.js';
import type { SearchQueryInput, SearchResultDto } from './search.schemas.js';

export interface SearchDeps {
  db: Db;
  repo: SearchRepo;
  engine: SearchEngine;
  clock: Clock;
  catalog: CatalogService;
}

/** Meilisearch returns at most maxTotalHits (1000) matches; deeper pages are refused on both engines alike. */
const MAX_OFFSET = 1000;

export const searchUnavailable = (err: unknown) =>
  new AppError(503, 'SEARCH_UNAVAILABLE', `The search engine did not answer; try again shortly${err instanceof SearchEngineError && err.code ? ` (${err.code})` : ''}`);

const iso = (ms: number) => new Date(ms).toISOString();

/** A document as the public sees it in a result list. */
export function toSearchHit(doc: SearchDocument, score: number): SearchResultDto['items'][number] {
  const base = {
    id: doc.id,
    score: Math.min(1, Math.max(0, score)),
    title: doc.title,
    summary: doc.summary,
    keywords: doc.keywords,
    fieldCodes: doc.fieldCodes,
    organizationId: doc.organizationId,
    regionCode: doc.regionCode,
    publishedAt: iso(doc.publishedAt),
    validUntil: iso(doc.validUntil),
  };
  if (doc.kind === 'achievement') {
    return {
      type: 'achievement',
      ...base,
      institution: doc.institution,
      trl: doc.trl,
      stage: doc.stage as 'lab',
      transferModes: doc.transferModes as 'transfer'[],
      price: doc.priceFen === null ? { kind: doc.priceKind } : { kind: doc.priceKind, amount: money(doc.priceFen) },
    };
  }
  return {
    type: 'need',
    ...base,
    needType: doc.needType as 'joint_rd',
    trlMin: doc.trlMin,
    budget: {
      ...(doc.budgetMinFen !== null ? { min: money(doc.budgetMinFen) } : {}),
      ...(doc.budgetMaxFen !== null ? { max: money(doc.budgetMaxFen) } : {}),
      negotiable: doc.budgetNegotiable,
    },
    cooperationModes: doc.cooperationModes as 'transfer'[],
    deadline: doc.deadline,
  };
}

/** Which query parameters apply to which type: a filter for the other type is a mistake worth a 400. */
const ONLY_FOR: Record<string, SearchKind> = {
  trlMin: 'achievement',
  maturity: 'achievement',
  transferMode: 'achievement',
  priceMax: 'achievement',
  needType: 'need',
  cooperationMode: 'need',
  budgetMin: 'need',
};

export function createSearchService(deps: SearchDeps) {
  const { db, repo, engine, clock, catalog } = deps;

  return {
    engineName: engine.name,

    /** GET /v1/search: published, unexpired achievements or needs; anyone may search. */
    async search(input: SearchQueryInput): Promise<SearchResultDto> {
      const kind = input.type;
      const wrong = Object.entries(ONLY_FOR).filter(([param, k]) => k !== kind && input[param as keyof SearchQueryInput] !== undefined);
      const facetsWrong = (input.facets ?? []).filter((f) => !FACETS_OF[kind].includes(f));
      if (wrong.length > 0 || facetsWrong.length > 0) {
        const errors: FieldError[] = [
          ...wrong.map(([param, k]) => ({ path: `querystring.${param}`, message: `applies to type=${k} only` })),
          ...facetsWrong.map((f) => ({ path: 'querystring.facets', message: `${f} is not a facet of ${kind}s (available: ${FACETS_OF[kind].join(', ')})` })),
        ];
        throw badRequest('VALIDATION_FAILED', `Some parameters do not apply to type=${kind}`, errors);
      }
      const errors: FieldError[] = [];
      input.field?.forEach((c, i) => {
        if (!catalog.isField(c)) errors.push({ path: `field.${i}`, message: `unknown field code ${c} (see GET /v1/fields)` });
      });
      if (input.regionCode && !catalog.isRegion(input.regionCode)) errors.push({ path: 'regionCode', message: `unknown region code ${input.regionCode}` });
      if (errors.length > 0) throw unprocessable('VALIDATION_FAILED', 'Unknown codes in the query', errors);

      const offset = input.cursor === undefined ? 0 : Number(decodeCursor(input.cursor, 1)![0]);
      if (!Number.isSafeInteger(offset) || offset < 0 || offset >= MAX_OFFSET) throw badRequest('INVALID_CURSOR', 'The cursor is not one this API issued');
      const filters: SearchFilters = {
        fieldCodes: input.field,
        regionCode: input.regionCode,
        validAfter: clock.now().getTime(),
        trlMin: input.trlMin,
        stages: input.maturity,
        transferModes: input.transferMode,
        priceMaxFen: input.priceMax,
        needTypes: input.needType,
        cooperationModes: input.cooperationMode,
        budgetAtLeastFen: input.budgetMin,
      };
      let result;
      try {
        result = await engine.search(kind, { q: input.q, match: 'all', filters, facets: input.facets, sort: input.sort, limit: input.limit, offset });
      } catch (err) {
        throw searchUnavailable(err);
      }
      const facets: SearchResultDto['facets'] = {};
      for (const [name, counts] of Object.entries(result.facets)) {
        facets[name] = Object.entries(counts)
          .map(([value, count]) => ({ value, count }))
          .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
      }
      const next = offset + result.hits.length;
      return {
        items: result.hits.map((h) => toSearchHit(h.document, h.score)),
        facets,
        total: result.total,
        engine: engine.name,
        nextCursor: result.hits.length === input.limit && next < Math.min(result.total, MAX_OFFSET) ? encodeCursor([next]) : null,
      };
    },

    /**
     * Rebuilds an index from PostgreSQL. The relays of that kind stand by meanwhile (the advisory
     * lock they take every tick is held here), so no delivery lands in the old index after the
     * snapshot was read; changes made during the rebuild wait in the outbox and follow it.
     */
    async reindex(kind: SearchKind, onBatch: (n: number) => void = () => {}): Promise<{ kind: SearchKind; documents: number; clearedDeadLetters: number }> {
      return withTransaction(db, async (lockTx) => {
        await repo.holdRelayLock(lockTx, kind);
        const now = clock.now();
        await engine.configure();
        async function* batches() {
          let after: string | undefined;
          for (;;) {
            const rows = await repo.scanIndexable(db, kind, now, after, 1000);
            if (rows.length === 0) return;
            after = rows[rows.length - 1]!.row.id;
            onBatch(rows.length);
            yield rows.map(documentOf);
          }
        }
        const documents = await engine.rebuild(kind, batches());
        await repo.scheduleExpiryForAll(lockTx, kind, now);
        const clearedDeadLetters = await repo.clearDead(lockTx, kind);
        return { kind, documents, clearedDeadLetters };
      });
    },

    kinds: SEARCH_KINDS,

    /** For /readyz and operators: is the engine answering, and how long is the outbox. */
    async status() {
      const [reachable, backlog] = await Promise.all([engine.ping(), repo.backlog(db)]);
      return { engine: engine.name, reachable, backlog };
    },
  };
}

export type SearchService = ReturnType<typeof createSearchService>;
