/** Graded relevance: 0 irrelevant, 1 related field / partly useful, 2 could solve part of the need, 3 directly addresses it. */
export type Grade = 0 | 1 | 2 | 3;

/** Grade at or above which an achievement counts as relevant for recall. */
export const RELEVANT = 2;

const gain = (g: number) => 2 ** g - 1;
const discount = (rank: number) => Math.log2(rank + 2);

/**
 * nDCG@k with exponential gain (2^grade − 1) and log2 discount, the ideal ranking being the
 * judged grades in descending order. Unjudged results count as grade 0. Undefined (null) when the
 * need has no achievement judged above 0.
 */
export function ndcgAt(k: number, ranked: readonly string[], grades: ReadonlyMap<string, number>): number | null {
  const ideal = [...grades.values()].sort((a, b) => b - a).slice(0, k);
  const idcg = ideal.reduce((s, g, i) => s + gain(g) / discount(i), 0);
  if (idcg === 0) return null;
  const dcg = ranked.slice(0, k).reduce((s, id, i) => s + gain(grades.get(id) ?? 0) / discount(i), 0);
  return dcg / idcg;
}

/** Share of the relevant (grade ≥ 2) achievements found in the first k; null when the need has none. */
export function recallAt(k: number, ranked: readonly string[], grades: ReadonlyMap<string, number>): number | null {
  const relevant = [...grades].filter(([, g]) => g >= RELEVANT).map(([id]) => id);
  if (relevant.length === 0) return null;
  const top = new Set(ranked.slice(0, k));
  return relevant.filter((id) => top.has(id)).length / relevant.length;
}

/** Precision-oriented companion: share of the first k that are relevant (the page the user sees). */
export function precisionAt(k: number, ranked: readonly string[], grades: ReadonlyMap<string, number>): number {
  return ranked.slice(0, k).filter((id) => (grades.get(id) ?? 0) >= RELEVANT).length / k;
}

export const mean = (xs: readonly (number | null)[]): number => {
  const defined = xs.filter((x): x is number => x !== null);
  return defined.length === 0 ? 0 : defined.reduce((s, x) => s + x, 0) / defined.length;
};
