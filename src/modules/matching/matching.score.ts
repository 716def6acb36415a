import type { CatalogService } from '../catalog/catalog.service.js';
import type { AchievementDocument, NeedDocument, SearchDocument } from '../search/search.engine.js';
import { documentTerms, queryTerms, synonymsOf } from '../search/search.text.js';

/**
 * The match score, in one place. A match's score is the weighted sum of six components, each in
 * [0, 1], so the score is in [0, 1] too and every part of it is returned in the explanation:
 *
 * | component | weight | what it measures |
 * |---|---|---|
 * | text      | 0.40 | the share of the source's key terms (keywords ×3, title ×2, summary and public description ×1, rarer terms count more) found in the candidate, synonyms included |
 * | field     | 0.25 | taxonomy distance between the closest pair of field codes: same field 1, parent/child 0.75, siblings 0.5, 3 hops 0.3, 4 hops 0.15, further or unrelated 0 (a crosswalk to the other scheme costs one hop) |
 * | maturity  | 0.10 | the achievement's TRL against the need's trlMin: met (or no minimum) 1, each level short −1/3 |
 * | price     | 0.10 | the asking price against the budget: within 1; above, falls linearly to 0 at twice the maximum (half as fast when the budget is negotiable); 面议 or auction 0.7; an open or negotiable budget without maximum 0.8 |
 * | region    | 0.10 | same city 1, same province 0.6 (就地转化 is policy), elsewhere 0 |
 * | freshness | 0.05 | the candidate's publication age, halving every 180 days |
 *
 * Weights sum to 1. Change them here only; bench/ measures what a change does to match quality.
 */
export const MATCH_WEIGHTS = {
  text: 0.4,
  field: 0.25,
  maturity: 0.1,
  price: 0.1,
  region: 0.1,
  freshness: 0.05,
} as const;

export type MatchComponent = keyof typeof MATCH_WEIGHTS;

export const FIELD_SCORE_BY_DISTANCE = [1, 0.75, 0.5, 0.3, 0.15] as const;
export const NEGOTIABLE_PRICE_SCORE = 0.7;
export const OPEN_BUDGET_SCORE = 0.8;
export const SAME_PROVINCE_SCORE = 0.6;
export const FRESHNESS_HALF_LIFE_DAYS = 180;
const TERM_WEIGHT = { keyword: 3, title: 2, body: 1 } as const;
/** at most this many terms go to the engine (Meilisearch reads ten words of a query) */
export const QUERY_TERMS = 10;

export interface MatchExplanation {
  text: number;
  field: number;
  maturity: number;
  price: number;
  region: number;
  freshness: number;
  sharedFieldCodes: string[];
  matchedTerms: string[];
}

/** What a document is about: its weighted terms, in order of weight then position. */
export interface TermProfile {
  terms: Map<string, number>;
  /** the terms for the engine query, most telling first */
  query: string[];
}

const isSingleHan = (t: string) => t.length === 1 && /\p{Script=Han}/u.test(t);

/** The public text of a document as weighted terms: contacts and confidential detail never enter. */
export function termProfile(doc: SearchDocument): TermProfile {
  const terms = new Map<string, number>();
  const add = (text: string | null, w: number) => {
    for (const t of queryTerms(text ?? '')) if (!isSingleHan(t)) terms.set(t, Math.max(terms.get(t) ?? 0, w));
  };
  doc.keywords.forEach((k) => add(k, TERM_WEIGHT.keyword));
  add(doc.title, TERM_WEIGHT.title);
  add(doc.summary, TERM_WEIGHT.body);
  add(doc.description, TERM_WEIGHT.body);
  const query = [...terms.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([t]) => t)
    .slice(0, QUERY_TERMS);
  return { terms, query };
}

/** Every term of a candidate's public text (with sub-words), for matching the source's terms against. */
export function candidateTerms(doc: SearchDocument): Set<string> {
  const parts = [doc.title, doc.summary, doc.description, ...doc.keywords, doc.kind === 'achievement' ? doc.applications : null];
  return new Set(parts.flatMap((p) => documentTerms(p)));
}

const has = (bag: Set<string>, term: string) => bag.has(term) || synonymsOf(term).some((s) => bag.has(s) || s.split(/\s+/).every((w) => bag.has(w)));

/**
 * Text agreement: the weighted share of the source's terms the candidate contains. A term's weight
 * is its place in the source (keyword, title, body) times a smoothed IDF over the candidate set,
 * so a word every candidate shares (技术, 工艺) decides less than a rare one (氮化硼).
 */
export function textScores(source: TermProfile, candidates: Set<string>[]): { score: number; matched: string[] }[] {
  const n = candidates.length;
  const df = new Map<string, number>();
  for (const [t] of source.terms) df.set(t, candidates.filter((c) => has(c, t)).length);
  const weight = (t: string, w: number) => w * (1 + Math.log(1 + n / (1 + (df.get(t) ?? 0))));
  const total = [...source.terms].reduce((s, [t, w]) => s + weight(t, w), 0);
  return candidates.map((bag) => {
    const matched = [...source.terms].filter(([t]) => has(bag, t)).sort((a, b) => weight(b[0], b[1]) - weight(a[0], a[1]));
    const got = matched.reduce((s, [t, w]) => s + weight(t, w), 0);
    return { score: total > 0 ? got / total : 0, matched: matched.map(([t]) => t) };
  });
}

export function fieldScore(catalog: CatalogService, a: readonly string[], b: readonly string[]): number {
  let best = 0;
  for (const x of a) {
    for (const y of b) {
      const d = Math.min(catalog.fieldDistance(x, y), catalog.fieldDistance(y, x));
      best = Math.max(best, FIELD_SCORE_BY_DISTANCE[d] ?? 0);
    }
  }
  return best;
}

/** Field codes both sides are filed under (ancestors and crosswalks included), most specific first, scheme roots left out. */
export function sharedFieldCodes(a: SearchDocument, b: SearchDocument): string[] {
  const other = new Set(b.fieldPathCodes);
  return a.fieldPathCodes
    .filter((c) => c.includes('.') && other.has(c))
    .sort((x, y) => y.split('.').length - x.split('.').length || x.localeCompare(y));
}

export function maturityScore(achievement: AchievementDocument, need: NeedDocument): number {
  if (need.trlMin === null || achievement.trl >= need.trlMin) return 1;
  return Math.max(0, 1 - (need.trlMin - achievement.trl) / 3);
}

export function priceScore(achievement: AchievementDocument, need: NeedDocument): number {
  if (achievement.priceKind !== 'fixed' || achievement.priceFen === null) return NEGOTIABLE_PRICE_SCORE;
  const max = need.budgetMaxFen;
  if (max === null) return OPEN_BUDGET_SCORE;
  if (achievement.priceFen <= max) return 1;
  const over = (achievement.priceFen - max) / Math.max(max, 1);
  return Math.max(0, 1 - (need.budgetNegotiable ? over / 2 : over));
}

export function regionScore(a: SearchDocument, b: SearchDocument): number {
  if (a.cityCode !== null && a.cityCode === b.cityCode) return 1;
  return a.provinceCode === b.provinceCode ? SAME_PROVINCE_SCORE : 0;
}

export function freshnessScore(publishedAt: number, now: number): number {
  const ageDays = Math.max(0, now - publishedAt) / 86_400_000;
  return 0.5 ** (ageDays / FRESHNESS_HALF_LIFE_DAYS);
}

export function weightedScore(parts: Record<MatchComponent, number>): number {
  return (Object.keys(MATCH_WEIGHTS) as MatchComponent[]).reduce((s, k) => s + MATCH_WEIGHTS[k] * parts[k], 0);
}

export const round3 = (x: number) => Math.round(x * 1000) / 1000;
