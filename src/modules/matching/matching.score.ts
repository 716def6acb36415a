import type { CatalogService } from '../catalog/catalog.service.js';
import type { AchievementDocument, NeedDocument, SearchDocument } from '../search/search.engine.js';
import { documentTerms, queryTerms, synonymsOf } from '../search/search.text.js';

/**
 * The match score, in one place. Six components, each in [0, 1] and each returned in the
 * explanation, in two groups: whether the candidate is about what the source is about (text,
 * field) and whether the terms of a deal would fit (maturity, price, region, freshness).
 *
 * | component | weight | what it measures |
 * |---|---|---|
 * | text      | 0.40 | two-sided term agreement, synonyms included: the share of the source's subject terms (keywords ×3, title ×2, summary and public description ×1) found in the candidate, averaged with the share of the candidate's own keywords and title terms found in the source; rarer terms count more |
 * | field     | 0.25 | taxonomy distance between the closest pair of field codes: same field 1, parent/child 0.75, siblings 0.5, 3 hops 0.3, 4 hops 0.15, further or unrelated 0 (a crosswalk to the other scheme costs one hop) |
 * | maturity  | 0.10 | the achievement's TRL against the need's trlMin: met (or no minimum) 1, each level short −1/3 |
 * | price     | 0.10 | the asking price against the budget: within 1; above, falls linearly to 0 at twice the maximum (half as fast when the budget is negotiable); 面议 or auction 0.7; an open or negotiable budget without maximum 0.8 |
 * | region    | 0.10 | same city 1, same province 0.6 (就地转化 is policy), elsewhere 0 |
 * | freshness | 0.05 | the candidate's publication age, halving every 180 days |
 *
 * score = relevance × (1 − 0.35 + fit), where relevance = (0.40·text + 0.25·field) / 0.65 and
 * fit = 0.10·maturity + 0.10·price + 0.10·region + 0.05·freshness (at most 0.35). The fit of a
 * deal orders candidates that address the source and can take up to 35 % off a score; it never
 * lifts one that does not (an off-topic achievement in the right city within budget scores 0, not
 * 0.35 as a plain weighted sum would give it). Weights sum to 1 and a perfect match scores 1.
 * Change them here only; `npm run bench:match` measures what a change does to match quality.
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
/** Whether the candidate is about what the source is about. */
export const RELEVANCE_COMPONENTS = ['text', 'field'] as const satisfies readonly MatchComponent[];
/** Whether the terms of a deal would fit. */
export const FIT_COMPONENTS = ['maturity', 'price', 'region', 'freshness'] as const satisfies readonly MatchComponent[];

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
  /** the next terms, for a second query (an engine may read only QUERY_TERMS words of one) */
  moreQuery: string[];
}

/**
 * Words of listings as such, not of their subjects: the section labels of the need and
 * achievement templates, need types, cooperation and transfer modes, prices and budgets,
 * maturity stages (the maturity component weighs those), intellectual-property paperwork and who
 * posted. Every listing carries them, so matching on them proposes a random neighbour; the search
 * box keeps them (someone may well search for 技术转让).
 */
const LISTING_WORDS = new Set([
  '背景', '期望', '指标', '要求', '类型', '方式', '合作', '合作方式', '方案', '技术方案', '问题', '难题', '技术难题', '攻关',
  '技术', '研发', '联合', '开发', '合作开发', '合作研发', '引进', '技术引进', '人才', '团队', '转让', '技术转让', '许可', '专利',
  '作价', '投资', '作价投资', '入股', '服务', '技术服务', '咨询', '技术咨询', '预算', '万元', '面议', '价格', '挂牌价', '付款',
  '协商', '竞价', '起始价', '公告', '对接', '完成', '发布', '现有', '具备', '条件', '项目', '产品', '成熟度', '就绪', '成熟',
  '应用', '实验室', '小试', '中试', '产业化', '规模化', '知识产权', '授权', '发明专利', '实用新型', '著作权', '软件著作权',
  '申请', '实质', '审查', '技术秘密', '保密', '保密协议', '资料', '签署', '考察', '现场', '提供', '有限公司', '股份', '集团',
  '单位', '机构',
]);
/** Units of measurement: a figure's unit says nothing about what was measured. */
const UNITS = new Set([
  'kg', 'mg', 'mm', 'cm', 'km', 'μm', 'nm', 'ms', 'min', 'kw', 'kwh', 'mw', 'kv', 'ma', 'mpa', 'gpa', 'kpa', 'pa', 'hz', 'khz',
  'mhz', 'ghz', 'db', 'dbm', 'ppm', 'ml', 'fs', 'μs', 'ns', 'pc', 'mv',
]);
const NUMERIC = /^[\p{N}.,:%+\-~]+$/u;
/** Dates, patent and registration numbers: four digits in a row are an identifier, not a subject. */
const IDENTIFIER = /\p{N}{4,}/u;

/** A term that can say what a listing is about: no single character, figure, identifier, unit or listing word. */
export function isSubjectTerm(t: string): boolean {
  return [...t].length > 1 && !NUMERIC.test(t) && !IDENTIFIER.test(t) && !UNITS.has(t) && !LISTING_WORDS.has(t);
}

/** Text with every occurrence of the given names removed (who posted a listing is not what it is about). */
function without(text: string | null, names: readonly string[]): string {
  let out = text ?? '';
  for (const name of names) if (name.length >= 2) out = out.split(name).join(' ');
  return out;
}

/**
 * The public text of a document as weighted terms: contacts and confidential detail never enter,
 * nor the names of who posted it (`names`: the organization, the institution).
 */
export function termProfile(doc: SearchDocument, names: readonly string[] = []): TermProfile {
  const terms = new Map<string, number>();
  const add = (text: string | null, w: number) => {
    for (const t of queryTerms(without(text, names))) if (isSubjectTerm(t)) terms.set(t, Math.max(terms.get(t) ?? 0, w));
  };
  doc.keywords.forEach((k) => add(k, TERM_WEIGHT.keyword));
  add(doc.title, TERM_WEIGHT.title);
  add(doc.summary, TERM_WEIGHT.body);
  add(doc.description, TERM_WEIGHT.body);
  const ordered = [...terms.entries()].sort((a, b) => b[1] - a[1]).map(([t]) => t);
  return { terms, query: ordered.slice(0, QUERY_TERMS), moreQuery: ordered.slice(QUERY_TERMS, 2 * QUERY_TERMS) };
}

/** A document as the other side of a match: every term of its public text, and what it is about. */
export interface MatchText {
  /** every term of the public text, with sub-words (石墨烯 → 石墨, 石墨烯) */
  bag: Set<string>;
  /** its keyword and title terms with their weights */
  key: Map<string, number>;
}

/** The public text of a document for matching against; `names` as in termProfile. */
export function matchText(doc: SearchDocument, names: readonly string[] = []): MatchText {
  const parts = [doc.title, doc.summary, doc.description, ...doc.keywords, doc.kind === 'achievement' ? doc.applications : null];
  const bag = new Set(parts.flatMap((p) => documentTerms(without(p, names))));
  // Only keywords and title: segmenting the whole text twice per candidate would double the cost of a match.
  const key = new Map<string, number>();
  const add = (text: string, w: number) => {
    for (const t of queryTerms(without(text, names))) if (isSubjectTerm(t)) key.set(t, Math.max(key.get(t) ?? 0, w));
  };
  doc.keywords.forEach((k) => add(k, TERM_WEIGHT.keyword));
  add(doc.title, TERM_WEIGHT.title);
  return { bag, key };
}

const has = (bag: Set<string>, term: string) => bag.has(term) || synonymsOf(term).some((s) => bag.has(s) || s.split(/\s+/).every((w) => bag.has(w)));

/**
 * Text agreement, from both sides. Forward: the weighted share of the source's subject terms the
 * candidate contains. Backward: the weighted share of the candidate's own keyword and title terms
 * the source contains, so a candidate that mentions the source's words in passing but is about
 * something else scores lower than one whose subject the source names. A term's weight is its
 * place (keyword, title, body) times a smoothed IDF over the candidate set, so a word every
 * candidate shares (系统, 工艺) decides less than a rare one (氮化硼). The score is the mean of the two.
 */
export function textScores(source: TermProfile, sourceText: MatchText, candidates: MatchText[]): { score: number; matched: string[] }[] {
  const n = candidates.length;
  // Document frequencies of every term either side weighs, in one pass over the candidates' texts;
  // only terms with synonyms need the slower test (a few hundred terms × a few hundred candidates).
  const df = new Map<string, number>();
  const withSynonyms: string[] = [];
  for (const t of [...source.terms.keys(), ...candidates.flatMap((c) => [...c.key.keys()])]) {
    if (df.has(t)) continue;
    df.set(t, 0);
    if (synonymsOf(t).length > 0) withSynonyms.push(t);
  }
  for (const c of candidates) for (const t of c.bag) if (df.has(t)) df.set(t, df.get(t)! + 1);
  for (const t of withSynonyms) df.set(t, candidates.filter((c) => has(c.bag, t)).length);
  const idf = (t: string) => 1 + Math.log(1 + n / (1 + (df.get(t) ?? 0)));
  const share = (terms: Map<string, number>, bag: Set<string>) => {
    let total = 0;
    let got = 0;
    const matched: [string, number][] = [];
    for (const [t, w] of terms) {
      const weight = w * idf(t);
      total += weight;
      if (has(bag, t)) {
        got += weight;
        matched.push([t, weight]);
      }
    }
    return { score: total > 0 ? got / total : 0, matched };
  };
  return candidates.map((c) => {
    const forward = share(source.terms, c.bag);
    const backward = share(c.key, sourceText.bag);
    const matched = new Map([...backward.matched, ...forward.matched]);
    return {
      score: (forward.score + backward.score) / 2,
      matched: [...matched].sort((a, b) => b[1] - a[1]).map(([t]) => t),
    };
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

const weighted = (parts: Record<MatchComponent, number>, keys: readonly MatchComponent[]) => keys.reduce((s, k) => s + MATCH_WEIGHTS[k] * parts[k], 0);
const weightOf = (keys: readonly MatchComponent[]) => keys.reduce((s, k) => s + MATCH_WEIGHTS[k], 0);

/** relevance × (1 − w_fit + fit): see the table at the top. */
export function matchScore(parts: Record<MatchComponent, number>): number {
  const relevance = weighted(parts, RELEVANCE_COMPONENTS) / weightOf(RELEVANCE_COMPONENTS);
  return relevance * (1 - weightOf(FIT_COMPONENTS) + weighted(parts, FIT_COMPONENTS));
}

export const round3 = (x: number) => Math.round(x * 1000) / 1000;
