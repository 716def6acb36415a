import {
  Meilisearch,
  MeilisearchApiError,
  MeilisearchRequestError,
  MeilisearchTaskTimeOutError,
  type EnqueuedTaskPromise,
  type MultiSearchParams,
  type Settings,
  type Task,
} from 'meilisearch';
import { DOMAIN_WORDS, SYNONYM_GROUPS } from './search.dictionary.js';
import { queryTerms } from './search.text.js';
import {
  FACETS_OF,
  SearchEngineError,
  regionLevel,
  type DocumentOf,
  type SearchDocument,
  type SearchEngine,
  type SearchFacet,
  type SearchFilters,
  type SearchKind,
  type SearchQuery,
  type SearchResult,
} from './search.engine.js';

export interface MeilisearchOptions {
  url: string;
  apiKey?: string | undefined;
  /** prepended to the index names (achievements, needs): several deployments or test files share one server */
  indexPrefix?: string | undefined;
  /** per HTTP request */
  requestTimeoutMs?: number | undefined;
  /** how long to wait for an indexing task before reporting it as not confirmed */
  taskTimeoutMs?: number | undefined;
}

/** Meilisearch considers only the first ten words of a query. */
const MAX_QUERY_WORDS = 10;

const INDEX_NAMES: Record<SearchKind, string> = { achievement: 'achievements', need: 'needs' };

const FACET_ATTRIBUTES: Record<SearchKind, Partial<Record<SearchFacet, string>>> = {
  achievement: { field: 'fieldPathCodes', regionCode: 'regionCode', provinceCode: 'provinceCode', trl: 'trl', stage: 'stage', transferMode: 'transferModes', priceKind: 'priceKind' },
  need: { field: 'fieldPathCodes', regionCode: 'regionCode', provinceCode: 'provinceCode', trl: 'trlMin', needType: 'needType', cooperationMode: 'cooperationModes' },
};

const COMMON_FILTERABLE = ['id', 'status', 'fieldPathCodes', 'regionCode', 'provinceCode', 'cityCode', 'organizationId', 'validUntil', 'publishedAt'];

/** Index settings. Searchable attributes are in order of weight: title > keywords > summary > the rest. */
export function indexSettings(kind: SearchKind): Settings {
  const synonyms: Record<string, string[]> = {};
  for (const group of SYNONYM_GROUPS) for (const term of group) synonyms[term] = group.filter((o) => o !== term);
  const searchable = kind === 'achievement' ? ['title', 'keywords', 'summary', 'description', 'applications', 'institution'] : ['title', 'keywords', 'summary', 'description'];
  return {
    searchableAttributes: searchable,
    filterableAttributes:
      kind === 'achievement'
        ? [...COMMON_FILTERABLE, 'trl', 'stage', 'transferModes', 'priceKind', 'priceFen']
        : [...COMMON_FILTERABLE, 'trlMin', 'needType', 'cooperationModes', 'budgetMaxFen', 'budgetNegotiable'],
    sortableAttributes: kind === 'achievement' ? ['publishedAt', 'trl', 'priceFen', 'validUntil'] : ['publishedAt', 'trlMin', 'budgetMaxFen', 'validUntil'],
    // `sort` first: an explicit sort (newest, price, TRL) is the order, relevance breaks ties;
    // without a sort parameter the rule does nothing and relevance decides.
    rankingRules: ['sort', 'words', 'typo', 'proximity', 'attribute', 'exactness'],
    synonyms,
    // The same domain words jieba gets in the PostgreSQL engine (Meilisearch segments Chinese with jieba too).
    dictionary: [...DOMAIN_WORDS],
    // Short Chinese texts are otherwise sometimes detected as Japanese and segmented differently.
    localizedAttributes: [{ attributePatterns: searchable, locales: ['cmn', 'eng'] }],
    faceting: { maxValuesPerFacet: 500 },
    pagination: { maxTotalHits: 1000 },
    // Facet *search* (the /facet-search endpoint, which this application never calls) rebuilds a
    // structure over every filterable string, ids included, after each document addition: with
    // 90k documents that post-processing took 7–19 s per batch of a few documents and made a
    // publish wait that long to be searchable (BENCHMARKS.md, Search freshness). Facet counts
    // (`facets` in a search) do not need it.
    facetSearch: false,
  };
}

const quote = (v: string) => JSON.stringify(v);
const list = (vs: readonly string[]) => `[${vs.map(quote).join(', ')}]`;

/** Filters as Meilisearch's array form: the outer array is AND, an inner array is OR. */
export function meiliFilter(kind: SearchKind, f: SearchFilters): (string | string[])[] {
  const out: (string | string[])[] = [];
  if (f.fieldCodes?.length) out.push(`fieldPathCodes IN ${list(f.fieldCodes)}`);
  if (f.regionCode) {
    const level = regionLevel(f.regionCode);
    out.push(`${level === 'province' ? 'provinceCode' : level === 'city' ? 'cityCode' : 'regionCode'} = ${quote(f.regionCode)}`);
  }
  if (f.validAfter !== undefined) out.push(`validUntil > ${f.validAfter}`);
  if (f.excludeIds?.length) out.push(`id NOT IN ${list(f.excludeIds)}`);
  if (f.excludeOrganizationId) out.push(`organizationId != ${quote(f.excludeOrganizationId)}`);
  if (kind === 'achievement') {
    if (f.trlMin !== undefined) out.push(`trl >= ${f.trlMin}`);
    if (f.stages?.length) out.push(`stage IN ${list(f.stages)}`);
    if (f.transferModes?.length) out.push(`transferModes IN ${list(f.transferModes)}`);
    if (f.priceMaxFen !== undefined) out.push([`priceKind != "fixed"`, `priceFen <= ${f.priceMaxFen}`]);
  } else {
    if (f.needTypes?.length) out.push(`needType IN ${list(f.needTypes)}`);
    if (f.cooperationModes?.length) out.push(`cooperationModes IN ${list(f.cooperationModes)}`);
    if (f.budgetAtLeastFen !== undefined) out.push([`budgetMaxFen IS NULL`, `budgetNegotiable = true`, `budgetMaxFen >= ${f.budgetAtLeastFen}`]);
  }
  return out;
}

function meiliSort(kind: SearchKind, sort: SearchQuery['sort']): string[] | undefined {
  switch (sort ?? 'relevance') {
    case 'relevance':
      return undefined;
    case 'newest':
      return ['publishedAt:desc'];
    case 'trl':
      return kind === 'achievement' ? ['trl:desc'] : ['trlMin:asc'];
    case 'price':
      return kind === 'achievement' ? ['priceFen:asc'] : ['budgetMaxFen:desc'];
  }
}

/** Client and server failures as SearchEngineError; unreachable, timeouts and 5xx are transient. */
function engineError(err: unknown, what: string): SearchEngineError {
  if (err instanceof SearchEngineError) return err;
  if (err instanceof MeilisearchApiError) {
    const status = err.response.status;
    return new SearchEngineError(`Meilisearch ${what}: ${status} ${err.message}`, status >= 500 || status === 429, err.cause?.code, { cause: err });
  }
  if (err instanceof MeilisearchRequestError || err instanceof MeilisearchTaskTimeOutError) {
    return new SearchEngineError(`Meilisearch ${what}: ${err.message}`, true, 'UNREACHABLE', { cause: err });
  }
  return new SearchEngineError(`Meilisearch ${what}: ${err instanceof Error ? err.message : String(err)}`, true, undefined, { cause: err });
}

export function createMeilisearchEngine(opts: MeilisearchOptions): SearchEngine {
  const client = new Meilisearch({
    host: opts.url,
    apiKey: opts.apiKey,
    timeout: opts.requestTimeoutMs ?? 5_000,
    // meilisearch-js 0.62 spends ~48 ms decoding any compressed chunked response (GOTCHAS.md).
    requestInit: { headers: { 'Accept-Encoding': 'identity' } },
    defaultWaitOptions: { timeout: opts.taskTimeoutMs ?? 10_000, interval: 20 },
  });
  const uid = (kind: SearchKind) => `${opts.indexPrefix ?? ''}${INDEX_NAMES[kind]}`;

  /** Waits for the task and turns a failed or canceled one into an error: "enqueued" is not "done". */
  async function confirm(task: EnqueuedTaskPromise, what: string, allow: string[] = []): Promise<Task> {
    let done: Task;
    try {
      done = await task.waitTask();
    } catch (err) {
      throw engineError(err, what);
    }
    if (done.status === 'succeeded' || (done.error && allow.includes(done.error.code))) return done;
    const detail = done.error ? `${done.error.code}: ${done.error.message}` : done.status;
    throw new SearchEngineError(`Meilisearch ${what}: task ${done.uid} ${done.status} (${detail})`, false, done.error?.code ?? 'TASK_FAILED');
  }

  /**
   * Any-term matching. Meilisearch has no OR of words: its matching strategies drop words (the last,
   * or the most frequent) until something matches, so documents with only a dropped word are never
   * returned. One query per term in a single multi-search, merged here: a document's score is the
   * mean of its per-term scores, so more matched terms rank higher, as in the PostgreSQL engine.
   * Meant for candidate retrieval: facets are not computed and `total` counts the merged candidates.
   */
  async function searchAnyTerm<K extends SearchKind>(kind: K, terms: string[], query: SearchQuery): Promise<SearchResult<DocumentOf<K>>> {
    const offset = query.offset ?? 0;
    const filter = meiliFilter(kind, query.filters ?? {});
    let res;
    try {
      res = await client.multiSearch<MultiSearchParams, SearchDocument & { _rankingScore?: number }>({
        queries: terms.map((q) => ({ indexUid: uid(kind), q, filter, limit: offset + query.limit, matchingStrategy: 'all' as const, showRankingScore: true })),
      });
    } catch (err) {
      throw engineError(err, `multi-search ${uid(kind)}`);
    }
    const merged = new Map<string, { doc: SearchDocument; sum: number }>();
    for (const result of res.results) {
      for (const { _rankingScore, ...doc } of result.hits) {
        const entry = merged.get(doc.id) ?? { doc: doc as SearchDocument, sum: 0 };
        entry.sum += _rankingScore ?? 0;
        merged.set(doc.id, entry);
      }
    }
    const ranked = [...merged.values()].sort((a, b) => b.sum - a.sum || b.doc.publishedAt - a.doc.publishedAt || (a.doc.id < b.doc.id ? 1 : -1));
    return {
      hits: ranked.slice(offset, offset + query.limit).map((e) => ({ id: e.doc.id, score: e.sum / terms.length, document: e.doc as DocumentOf<K> })),
      total: merged.size,
      facets: {},
    };
  }

  async function configureIndex(kind: SearchKind, name: string) {
    await confirm(client.createIndex(name, { primaryKey: 'id' }), `create index ${name}`, ['index_already_exists']);
    await confirm(client.index(name).updateSettings(indexSettings(kind)), `configure index ${name}`);
  }

  return {
    name: 'meilisearch',

    async configure() {
      for (const kind of ['achievement', 'need'] as const) await configureIndex(kind, uid(kind));
    },

    async upsert(kind, docs) {
      if (docs.length === 0) return;
      const wrong = docs.find((d) => d.kind !== kind);
      if (wrong) throw new SearchEngineError(`document ${wrong.id} is a ${wrong.kind}, not a ${kind}`, false, 'WRONG_KIND');
      await confirm(client.index(uid(kind)).addDocuments(docs, { primaryKey: 'id' }), `add ${docs.length} documents to ${uid(kind)}`);
    },

    async remove(kind, ids) {
      if (ids.length === 0) return;
      await confirm(client.index(uid(kind)).deleteDocuments(ids), `delete ${ids.length} documents from ${uid(kind)}`);
    },

    async search<K extends SearchKind>(kind: K, query: SearchQuery): Promise<SearchResult<DocumentOf<K>>> {
      const terms = query.match === 'any' && query.q ? queryTerms(query.q).slice(0, MAX_QUERY_WORDS) : [];
      if (terms.length > 1) return searchAnyTerm(kind, terms, query);
      const facetNames = (query.facets ?? []).filter((f) => FACETS_OF[kind].includes(f));
      const attributes = FACET_ATTRIBUTES[kind];
      const offset = query.offset ?? 0;
      // Page mode when the offset falls on a page boundary: Meilisearch then counts exactly (totalHits).
      const paging = offset % query.limit === 0 ? { hitsPerPage: query.limit, page: offset / query.limit + 1 } : { limit: query.limit, offset };
      let res;
      try {
        res = await client.index<SearchDocument & { _rankingScore?: number }>(uid(kind)).search(query.q?.trim() || null, {
          ...paging,
          filter: meiliFilter(kind, query.filters ?? {}),
          facets: facetNames.map((f) => attributes[f]!),
          sort: meiliSort(kind, query.sort),
          matchingStrategy: query.match === 'any' ? 'frequency' : 'all',
          showRankingScore: true,
        });
      } catch (err) {
        throw engineError(err, `search ${uid(kind)}`);
      }
      const facets: SearchResult<DocumentOf<K>>['facets'] = {};
      for (const f of facetNames) facets[f] = { ...(res.facetDistribution?.[attributes[f]!] ?? {}) };
      const hasQuery = Boolean(query.q?.trim());
      return {
        hits: res.hits.map(({ _rankingScore, ...doc }) => ({
          id: doc.id,
          score: hasQuery ? (_rankingScore ?? 0) : 0,
          document: doc as unknown as DocumentOf<K>,
        })),
        total: (res as { totalHits?: number }).totalHits ?? (res as { estimatedTotalHits?: number }).estimatedTotalHits ?? res.hits.length,
        facets,
      };
    },

    async rebuild(kind, batches) {
      // Build beside the live index and swap: searches keep answering from the old one meanwhile.
      const live = uid(kind);
      const next = `${live}__rebuild`;
      await configureIndex(kind, live);
      await confirm(client.deleteIndex(next), `drop ${next}`, ['index_not_found']);
      await configureIndex(kind, next);
      let count = 0;
      for await (const docs of batches) {
        if (docs.length === 0) continue;
        await confirm(client.index(next).addDocuments(docs, { primaryKey: 'id' }), `load ${docs.length} documents into ${next}`);
        count += docs.length;
      }
      await confirm(client.swapIndexes([{ indexes: [live, next], rename: false }]), `swap ${next} into ${live}`);
      await confirm(client.deleteIndex(next), `drop ${next}`, ['index_not_found']);
      return count;
    },

    async ping() {
      try {
        return (await client.health()).status === 'available';
      } catch {
        return false;
      }
    },

    async close() {},
  };
}
