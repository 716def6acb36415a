import { and, sql, type SQL } from 'drizzle-orm';
import type { Db, Executor } from '../../db/client.js';
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
import { searchDocuments as t } from './search.tables.js';
import { documentTerms, queryTerms, synonymsOf } from './search.text.js';

/**
 * The embedded engine: PostgreSQL full-text search over jieba terms ('simple' configuration, so
 * PostgreSQL neither stems nor drops anything jieba produced), with pg_trgm on titles for partial
 * queries of three characters or more. It lives in the application's database but is fed only by
 * the outbox relay, like any external engine.
 */
export function createPostgresEngine(db: Db): SearchEngine {
  const termStats = createTermStats(db);
  return {
    name: 'postgres',

    async configure() {
      // The table and its indexes come with the migrations; check they are there.
      await db.execute(sql`select 1 from ${t} limit 1`);
    },

    async upsert(kind, docs) {
      await upsertInto(db, kind, docs);
    },

    async remove(kind, ids) {
      if (ids.length === 0) return;
      await db.execute(sql`delete from ${t} where ${t.kind} = ${kind} and ${t.id} = any(${sql.param(ids)}::uuid[])`);
    },

    async search<K extends SearchKind>(kind: K, query: SearchQuery): Promise<SearchResult<DocumentOf<K>>> {
      const anyTerm = query.match === 'any';
      const stats = anyTerm ? await termStats.get() : undefined;
      const text = textCondition(query, stats);
      const where = and(sql`${t.kind} = ${kind}`, text?.where, ...filterConditions(query.filters ?? {}))!;
      // Even the rarest term can be in thousands of documents (a query of common words only):
      // any-term mode ranks at most the ANY_TERM_CANDIDATES newest documents that qualify.
      const ranked =
        text && capsAnyTerm(stats)
          ? sql`${t.kind} = ${kind} and ${t.id} in (select ${t.id} from ${t} where ${where} order by ${t.publishedAt} desc, ${t.id} desc limit ${ANY_TERM_CANDIDATES})`
          : where;
      const score = text ? text.score : sql`0::float8`;
      const order = orderBy(kind, anyTerm ? { ...query, sort: 'relevance' } : query, text !== undefined);
      const facets = (query.facets ?? []).filter((f) => FACETS_OF[kind].includes(f));
      const limit = sql`limit ${query.limit} offset ${query.offset ?? 0}`;
      // Facets run as a separate statement, and so does the count of a page that needs no text:
      // combined with the page (count(*) over ()) they make the planner give up the GIN index
      // (GOTCHAS.md, 174 ms vs 2–18 ms). A text query ranks every match anyway, so its page and
      // count come from one materialized scan (a fifth less CPU than two scans of the matches).
      // Any-term retrieval (matching) counts its candidates only, as the port allows.
      const page: Promise<{ rows: { total: number | null; id: string | null; score: number; document: DocumentOf<K> }[] }> =
        text && !anyTerm
          ? db.execute(sql`
              with m as materialized (
                select ${t.id} as id, ${score} as score, ${t.publishedAt} as published_at, ${t.trl} as trl, ${t.priceFen} as price_fen, ${t.budgetMaxFen} as budget_max_fen
                  from ${t} where ${where})
              select c.total, ${t}.id, ${t}.score, d.document
                from (select count(*)::int as total from m) c
                left join lateral (select * from m as ${t} order by ${order} ${limit}) as ${t} on true
                left join ${t} d on d.kind = ${kind} and d.id = ${t}.id
               order by ${order}`)
          : db.execute(sql`select null::int as total, ${t.id} as id, ${score} as score, ${t.document} as document from ${t} where ${ranked} order by ${order} ${limit}`);
      const [rows, totalRows, facetRows] = await Promise.all([
        page,
        text || anyTerm || query.count === false ? undefined : db.execute<{ total: number }>(sql`select count(*)::int as total from ${t} where ${where}`),
        facets.length > 0 ? db.execute<{ facet: SearchFacet; value: string; count: number }>(facetQuery(where, facets)) : Promise.resolve({ rows: [] }),
      ]);
      const out: SearchResult<DocumentOf<K>>['facets'] = {};
      for (const f of facets) out[f] = {};
      for (const r of facetRows.rows) out[r.facet]![r.value] = Number(r.count);
      const hits = rows.rows.filter((r) => r.id !== null);
      const total = totalRows?.rows[0]?.total ?? rows.rows[0]?.total ?? (anyTerm || query.count === false ? (query.offset ?? 0) + hits.length : 0);
      return {
        hits: hits.map((r) => ({ id: r.id!, score: Number(r.score), document: r.document })),
        total,
        facets: out,
      };
    },

    async rebuild(kind, batches) {
      // One transaction: readers keep seeing the old documents until the new set commits.
      return db.transaction(async (tx) => {
        await tx.execute(sql`delete from ${t} where ${t.kind} = ${kind}`);
        let count = 0;
        for await (const docs of batches) {
          await upsertInto(tx, kind, docs);
          count += docs.length;
        }
        return count;
      });
    },

    async ping() {
      try {
        await db.execute(sql`select 1`);
        return true;
      } catch {
        return false;
      }
    },

    async close() {},
  };
}

/** The weighted tsvector of a document: A title, B keywords, C summary, D description and the rest. */
function weightedTerms(doc: SearchDocument): { a: string; b: string; c: string; d: string } {
  const rest = doc.kind === 'achievement' ? [doc.description, doc.applications, doc.institution] : [doc.description];
  return {
    a: documentTerms(doc.title).join(' '),
    b: doc.keywords.flatMap((k) => documentTerms(k)).join(' '),
    c: documentTerms(doc.summary).join(' '),
    d: rest.flatMap((x) => documentTerms(x)).join(' '),
  };
}

async function upsertInto(db: Executor, kind: SearchKind, docs: SearchDocument[]): Promise<void> {
  if (docs.length === 0) return;
  const wrong = docs.find((d) => d.kind !== kind);
  if (wrong) throw new SearchEngineError(`document ${wrong.id} is a ${wrong.kind}, not a ${kind}`, false, 'WRONG_KIND');
  const values = docs.map((doc) => {
    const w = weightedTerms(doc);
    return {
      kind,
      id: doc.id,
      document: doc,
      title: doc.title,
      searchText: [w.a, w.b, w.c, w.d].filter(Boolean).join(' '),
      tsv: sql`setweight(to_tsvector('simple', ${w.a}), 'A') || setweight(to_tsvector('simple', ${w.b}), 'B') || setweight(to_tsvector('simple', ${w.c}), 'C') || setweight(to_tsvector('simple', ${w.d}), 'D')`,
      fieldPathCodes: doc.fieldPathCodes,
      regionCode: doc.regionCode,
      organizationId: doc.organizationId,
      trl: doc.kind === 'achievement' ? doc.trl : doc.trlMin,
      stage: doc.kind === 'achievement' ? doc.stage : null,
      modes: doc.kind === 'achievement' ? doc.transferModes : doc.cooperationModes,
      priceKind: doc.kind === 'achievement' ? doc.priceKind : null,
      priceFen: doc.kind === 'achievement' ? doc.priceFen : null,
      needType: doc.kind === 'need' ? doc.needType : null,
      budgetMaxFen: doc.kind === 'need' ? doc.budgetMaxFen : null,
      budgetNegotiable: doc.kind === 'need' ? doc.budgetNegotiable : null,
      publishedAt: new Date(doc.publishedAt),
      validUntil: new Date(doc.validUntil),
    };
  });
  // The same id twice in one statement would make ON CONFLICT fail: the last version wins.
  const unique = [...new Map(values.map((v) => [v.id, v])).values()];
  const excluded = (c: string) => sql.raw(`excluded.${c}`);
  await db
    .insert(t)
    .values(unique)
    .onConflictDoUpdate({
      target: [t.kind, t.id],
      set: Object.fromEntries(
        (
          [
            ['document', 'document'], ['title', 'title'], ['searchText', 'search_text'], ['tsv', 'tsv'], ['fieldPathCodes', 'field_path_codes'],
            ['regionCode', 'region_code'], ['organizationId', 'organization_id'], ['trl', 'trl'], ['stage', 'stage'], ['modes', 'modes'],
            ['priceKind', 'price_kind'], ['priceFen', 'price_fen'], ['needType', 'need_type'], ['budgetMaxFen', 'budget_max_fen'],
            ['budgetNegotiable', 'budget_negotiable'], ['publishedAt', 'published_at'], ['validUntil', 'valid_until'],
          ] as const
        ).map(([key, column]) => [key, excluded(column)]),
      ),
    });
}

/** A term as tsquery text: quoted words, phrases of multi-word synonyms joined by <->. */
function tsTerm(term: string, prefix: boolean): string | undefined {
  const words = term
    .split(/\s+/)
    .map((w) => w.replace(/[^\p{L}\p{N}._-]/gu, ''))
    .filter(Boolean);
  if (words.length === 0) return undefined;
  const quoted = words.map((w) => `'${w}'`);
  if (prefix) quoted[quoted.length - 1] += ':*';
  return quoted.length === 1 ? quoted[0] : `(${quoted.join(' <-> ')})`;
}

/**
 * `all`: every term (or one of its synonyms) must occur, the last one as a prefix so a query being
 * typed already matches; `any`: at least one term, ranked by how many and where.
 */
export function buildTsquery(terms: string[], mode: 'all' | 'any'): string | undefined {
  const groups: string[] = [];
  terms.forEach((term, i) => {
    const prefix = mode === 'all' && i === terms.length - 1;
    const members = [tsTerm(term, prefix), ...synonymsOf(term).map((s) => tsTerm(s, false))].filter((m): m is string => m !== undefined);
    if (members.length > 0) groups.push(members.length === 1 ? members[0]! : `(${members.join(' | ')})`);
  });
  if (groups.length === 0) return undefined;
  return groups.join(mode === 'all' ? ' & ' : ' | ');
}

function textCondition(query: SearchQuery, stats?: TermStats): { where: SQL; score: SQL } | undefined {
  const q = query.q?.trim();
  if (!q) return undefined;
  const mode = query.match ?? 'all';
  const terms = queryTerms(q);
  const tsq = buildTsquery(terms, mode);
  // Weights D, C, B, A (ts_rank's order); normalization 32 maps the rank into [0, 1).
  const rank = tsq ? sql`ts_rank_cd('{0.1, 0.2, 0.5, 1.0}'::float4[], ${t.tsv}, to_tsquery('simple', ${tsq}), 32)` : undefined;
  // Any-term mode ranks every document that has one of the terms; terms in most documents (存在,
  // 环节) made that the whole index, seconds of ts_rank_cd per call. Every term still counts in
  // the rank, but only the rarest qualify a document (see qualifyingTerms).
  const qualifying = mode === 'any' && stats ? qualifyingTerms(terms, stats) : terms;
  const qualifyTsq = qualifying.length < terms.length ? buildTsquery(qualifying, mode) : tsq;
  const fts = qualifyTsq ? sql`${t.tsv} @@ to_tsquery('simple', ${qualifyTsq})` : undefined;
  // A substring of a title (partial words, codes, English fragments); trigram-indexed from 3 characters.
  const like = mode === 'all' && ([...q].length >= 3 || !tsq) ? sql`${t.title} ilike ${`%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}` : undefined;
  // Nothing searchable in q (only stop words or punctuation, any-term mode): nothing matches.
  const where = fts && like ? sql`(${fts} or ${like})` : (fts ?? like ?? sql`false`);
  const score = rank && like ? sql`greatest(${rank}, case when ${like} then similarity(${t.title}, ${q}) else 0 end)` : rank ? rank : sql`similarity(${t.title}, ${q})`;
  return { where, score };
}

function filterConditions(f: SearchFilters): SQL[] {
  const out: SQL[] = [];
  if (f.fieldCodes?.length) out.push(sql`${t.fieldPathCodes} && ${sql.param(f.fieldCodes)}::text[]`);
  if (f.regionCode) {
    const level = regionLevel(f.regionCode);
    if (level === 'province') out.push(sql`${t.regionCode} like ${`${f.regionCode.slice(0, 2)}%`}`);
    else if (level === 'city') out.push(sql`${t.regionCode} like ${`${f.regionCode.slice(0, 4)}%`}`);
    else out.push(sql`${t.regionCode} = ${f.regionCode}`);
  }
  if (f.validAfter !== undefined) out.push(sql`${t.validUntil} > ${new Date(f.validAfter)}`);
  if (f.excludeIds?.length) out.push(sql`not (${t.id} = any(${sql.param(f.excludeIds)}::uuid[]))`);
  if (f.excludeOrganizationId) out.push(sql`${t.organizationId} <> ${f.excludeOrganizationId}`);
  if (f.trlMin !== undefined) out.push(sql`${t.trl} >= ${f.trlMin}`);
  if (f.stages?.length) out.push(sql`${t.stage} = any(${sql.param(f.stages)}::text[])`);
  if (f.transferModes?.length) out.push(sql`${t.modes} && ${sql.param(f.transferModes)}::text[]`);
  if (f.cooperationModes?.length) out.push(sql`${t.modes} && ${sql.param(f.cooperationModes)}::text[]`);
  if (f.priceMaxFen !== undefined) out.push(sql`(${t.priceKind} <> 'fixed' or ${t.priceFen} <= ${f.priceMaxFen})`);
  if (f.needTypes?.length) out.push(sql`${t.needType} = any(${sql.param(f.needTypes)}::text[])`);
  if (f.budgetAtLeastFen !== undefined) out.push(sql`(${t.budgetMaxFen} is null or ${t.budgetNegotiable} or ${t.budgetMaxFen} >= ${f.budgetAtLeastFen})`);
  return out;
}

function orderBy(kind: SearchKind, query: SearchQuery, hasText: boolean): SQL {
  const newest = sql`${t.publishedAt} desc, ${t.id} desc`;
  switch (query.sort ?? 'relevance') {
    case 'relevance':
      return hasText ? sql`score desc, ${newest}` : newest;
    case 'newest':
      return newest;
    case 'trl':
      return kind === 'achievement' ? sql`${t.trl} desc nulls last, score desc, ${newest}` : sql`${t.trl} asc nulls last, score desc, ${newest}`;
    case 'price':
      return kind === 'achievement' ? sql`${t.priceFen} asc nulls last, score desc, ${newest}` : sql`${t.budgetMaxFen} desc nulls last, score desc, ${newest}`;
  }
}

/**
 * About how many documents an any-term query ranks at most, from the rarest of its terms: ten times
 * the largest candidate pool matching asks for (100), at ~20 µs of ts_rank_cd each.
 */
export const ANY_TERM_CANDIDATES = 1000;
const TERM_STATS_TTL_MS = 60_000;

/**
 * Document counts of the index's common terms, from PostgreSQL's own statistics of the tsv column
 * (ANALYZE keeps the most common lexemes with the share of rows holding each, then the lowest of
 * those shares: a term not listed is in fewer documents than that).
 */
interface TermStats {
  rows: number;
  documents: Map<string, number>;
  /** the most documents a term missing from `documents` can be in */
  unlisted: number;
}

/**
 * The terms that qualify a document in any-term mode: rarest first, as many as fit in
 * ANY_TERM_CANDIDATES estimated documents, at least one. An index smaller than that qualifies
 * every term, so small data sets (tests, the match evaluation) rank exactly as before.
 */
export function qualifyingTerms(terms: string[], stats: TermStats): string[] {
  if (!capsAnyTerm(stats)) return terms;
  const estimate = (term: string) => stats.documents.get(term) ?? stats.unlisted;
  const out: string[] = [];
  let documents = 0;
  for (const term of [...terms].sort((a, b) => estimate(a) - estimate(b))) {
    if (out.length > 0 && documents + estimate(term) > ANY_TERM_CANDIDATES) break;
    out.push(term);
    documents += estimate(term);
  }
  return out;
}

/** Whether the index is big enough for any-term queries to be bounded at all. */
const capsAnyTerm = (stats: TermStats | undefined): stats is TermStats => stats !== undefined && stats.rows > ANY_TERM_CANDIDATES;

function createTermStats(db: Db) {
  let cached: { at: number; stats: Promise<TermStats> } | undefined;
  async function load(): Promise<TermStats> {
    const r = await db.execute<{ elems: string[] | null; freqs: number[] | null; rows: number }>(sql`
      select s.most_common_elems::text::text[] as elems, s.most_common_elem_freqs as freqs, c.reltuples::float8 as rows
        from pg_class c left join pg_stats s on s.schemaname = current_schema() and s.tablename = c.relname and s.attname = 'tsv'
       where c.oid = to_regclass('search_documents')`);
    const { elems, freqs, rows } = r.rows[0] ?? { elems: null, freqs: null, rows: 0 };
    const documents = new Map<string, number>();
    elems?.forEach((term, i) => documents.set(term, (freqs?.[i] ?? 0) * rows));
    // Never analyzed (reltuples -1, no statistics): nothing is known, every term qualifies.
    const lowest = elems && freqs ? (freqs[elems.length] ?? 0) : 0;
    return { rows: elems ? Math.max(rows, 0) : 0, documents, unlisted: lowest * rows };
  }
  return {
    get(): Promise<TermStats> {
      // Monotonic time for a cache lifetime; business time (the clock) has no say in it.
      const now = performance.now();
      if (!cached || now - cached.at > TERM_STATS_TTL_MS) {
        const stats = load().catch((): TermStats => ({ rows: 0, documents: new Map(), unlisted: 0 }));
        cached = { at: now, stats };
      }
      return cached.stats;
    },
  };
}

const UNNEST_PATH = sql`m, unnest(m.field_path_codes) as v(value)`;
const UNNEST_MODES = sql`m, unnest(m.modes) as v(value)`;
const FACET_SQL: Record<SearchFacet, { from: SQL; value: SQL }> = {
  field: { from: UNNEST_PATH, value: sql`v.value` },
  regionCode: { from: sql`m`, value: sql`m.region_code` },
  provinceCode: { from: sql`m`, value: sql`left(m.region_code, 2) || '0000'` },
  trl: { from: sql`m`, value: sql`m.trl::text` },
  stage: { from: sql`m`, value: sql`m.stage` },
  transferMode: { from: UNNEST_MODES, value: sql`v.value` },
  cooperationMode: { from: UNNEST_MODES, value: sql`v.value` },
  priceKind: { from: sql`m`, value: sql`m.price_kind` },
  needType: { from: sql`m`, value: sql`m.need_type` },
};

/** facet, value, count over every match, in one statement over the matched rows. */
function facetQuery(where: SQL, facets: SearchFacet[]): SQL {
  const parts = facets.map((f) => {
    const { from, value } = FACET_SQL[f];
    return sql`select ${f}::text as facet, ${value} as value, count(*)::int as count from ${from} where ${value} is not null group by 2`;
  });
  return sql`with m as (select ${t.fieldPathCodes}, ${t.regionCode}, ${t.trl}, ${t.stage}, ${t.modes}, ${t.priceKind}, ${t.needType} from ${t} where ${where}) ${sql.join(parts, sql` union all `)}`;
}
