/**
 * The search port. Two adapters implement it (search.postgres.ts, search.meilisearch.ts) and one
 * contract test (tests/search-engine.test.ts) holds both to the same behaviour. Documents carry
 * only public fields of published, unexpired rows (search.documents.ts decides which).
 */
export const SEARCH_KINDS = ['achievement', 'need'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

interface DocumentBase {
  id: string;
  /** always published: nothing else is indexed (a filterable attribute all the same, for operators) */
  status: 'published';
  title: string;
  summary: string;
  /** null when the owner marked the description confidential */
  description: string | null;
  keywords: string[];
  fieldCodes: string[];
  /** fieldCodes, their ancestors and crosswalked codes: `field=X` matches descendants */
  fieldPathCodes: string[];
  regionCode: string;
  provinceCode: string;
  /** null for a province-level row */
  cityCode: string | null;
  organizationId: string;
  /** epoch milliseconds */
  publishedAt: number;
  validUntil: number;
}

export interface AchievementDocument extends DocumentBase {
  kind: 'achievement';
  applications: string | null;
  institution: string;
  trl: number;
  stage: string;
  transferModes: string[];
  priceKind: 'fixed' | 'negotiable' | 'auction';
  /** only for priceKind fixed */
  priceFen: number | null;
}

export interface NeedDocument extends DocumentBase {
  kind: 'need';
  needType: string;
  trlMin: number | null;
  budgetMinFen: number | null;
  budgetMaxFen: number | null;
  budgetNegotiable: boolean;
  cooperationModes: string[];
  /** YYYY-MM-DD */
  deadline: string | null;
}

export type SearchDocument = AchievementDocument | NeedDocument;
export type DocumentOf<K extends SearchKind> = K extends 'achievement' ? AchievementDocument : NeedDocument;

/** Filters both engines apply identically. Lists mean "any of". */
export interface SearchFilters {
  fieldCodes?: string[] | undefined;
  /** a province (xx0000) matches its cities; a city (xxxx00) its counties */
  regionCode?: string | undefined;
  /** only documents valid after this instant (epoch ms): expired rows never show, even before the relay removes them */
  validAfter?: number | undefined;
  excludeIds?: string[] | undefined;
  excludeOrganizationId?: string | undefined;
  // achievements
  trlMin?: number | undefined;
  stages?: string[] | undefined;
  transferModes?: string[] | undefined;
  /** fixed price at most this, or no fixed price (negotiable, auction) */
  priceMaxFen?: number | undefined;
  // needs
  needTypes?: string[] | undefined;
  cooperationModes?: string[] | undefined;
  /** budget maximum at least this, or no maximum, or negotiable */
  budgetAtLeastFen?: number | undefined;
}

export const SEARCH_FACETS = ['field', 'regionCode', 'provinceCode', 'trl', 'stage', 'transferMode', 'priceKind', 'needType', 'cooperationMode'] as const;
export type SearchFacet = (typeof SEARCH_FACETS)[number];

/** Facets each kind has (a need has no stage or asking price; `trl` of a need is its trlMin). */
export const FACETS_OF: Record<SearchKind, readonly SearchFacet[]> = {
  achievement: ['field', 'regionCode', 'provinceCode', 'trl', 'stage', 'transferMode', 'priceKind'],
  need: ['field', 'regionCode', 'provinceCode', 'trl', 'needType', 'cooperationMode'],
};

export const SEARCH_SORTS = ['relevance', 'newest', 'trl', 'price'] as const;
/** trl: achievements by TRL high → low, needs by required TRL low → high; price: achievements by asking price low → high, needs by budget high → low */
export type SearchSort = (typeof SEARCH_SORTS)[number];

export interface SearchQuery {
  q?: string | undefined;
  /**
   * all: every term must match (the search box). any: some term must match, more is better — for
   * candidate retrieval (matching); results are by relevance whatever `sort` says, and an engine may
   * count `total` and facets over the retrieved candidates only.
   */
  match?: 'all' | 'any' | undefined;
  filters?: SearchFilters | undefined;
  facets?: readonly SearchFacet[] | undefined;
  sort?: SearchSort | undefined;
  limit: number;
  offset?: number | undefined;
  /** false: the caller never reads `total` (matching's retrievals), so an engine may skip counting */
  count?: boolean | undefined;
}

export interface SearchHit<D> {
  id: string;
  /** relevance in [0, 1] as the engine ranks it (0 without a query) */
  score: number;
  document: D;
}

export interface SearchResult<D> {
  hits: SearchHit<D>[];
  total: number;
  /** facet → value → count over every match, not only this page */
  facets: Partial<Record<SearchFacet, Record<string, number>>>;
}

export interface SearchEngine {
  readonly name: 'postgres' | 'meilisearch';
  /** Creates and configures the indexes; idempotent. */
  configure(): Promise<void>;
  /** Adds or replaces documents; resolves only when the engine has applied them. */
  upsert(kind: SearchKind, docs: SearchDocument[]): Promise<void>;
  /** Removes documents by id (absent ids are fine); resolves when applied. */
  remove(kind: SearchKind, ids: string[]): Promise<void>;
  search<K extends SearchKind>(kind: K, query: SearchQuery): Promise<SearchResult<DocumentOf<K>>>;
  /** Replaces the whole index with these documents; readers see the old index until the switch. */
  rebuild(kind: SearchKind, batches: AsyncIterable<SearchDocument[]>): Promise<number>;
  /** Reachable and answering. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** An engine call that did not take effect. `transient`: worth retrying as is (unreachable, timeout, 5xx). */
export class SearchEngineError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SearchEngineError';
  }
}

/** Region filter semantics shared by the adapters. */
export function regionLevel(code: string): 'province' | 'city' | 'county' {
  if (code.endsWith('0000')) return 'province';
  if (code.endsWith('00')) return 'city';
  return 'county';
}
