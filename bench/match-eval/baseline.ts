/**
 * The plain baseline the matcher is measured against: character-bigram TF-IDF with cosine
 * similarity. No segmenter, no dictionary, no synonyms, no taxonomy: two texts are close when they
 * share many two-character sequences that are rare in the collection. For Chinese technical text
 * this is a strong, well-known baseline (a bigram is very often a word or a piece of one).
 */

const RUN = /[\p{L}\p{N}]+/gu;

/** Overlapping two-character sequences within runs of letters and digits (a lone character counts as itself). */
export function charBigrams(text: string): string[] {
  const out: string[] = [];
  for (const run of text.toLowerCase().match(RUN) ?? []) {
    const chars = [...run];
    if (chars.length === 1) out.push(chars[0]!);
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  }
  return out;
}

type Vector = Map<string, number>;

function norm(v: Vector): number {
  let s = 0;
  for (const x of v.values()) s += x * x;
  return Math.sqrt(s);
}

/**
 * TF-IDF over a fixed collection: sublinear tf (1 + ln count), smoothed idf (ln((1 + N)/(1 + df)) + 1,
 * the usual defaults), vectors normalised to unit length so the dot product is the cosine.
 */
export class BigramTfIdf {
  private readonly idf = new Map<string, number>();
  private readonly vectors = new Map<string, Vector>();

  constructor(docs: { id: string; text: string }[]) {
    const df = new Map<string, number>();
    for (const d of docs) for (const g of new Set(charBigrams(d.text))) df.set(g, (df.get(g) ?? 0) + 1);
    for (const [g, n] of df) this.idf.set(g, Math.log((1 + docs.length) / (1 + n)) + 1);
    for (const d of docs) this.vectors.set(d.id, this.vectorize(d.text));
  }

  /** A query's vector; bigrams the collection never saw carry no weight. */
  vectorize(text: string): Vector {
    const tf = new Map<string, number>();
    for (const g of charBigrams(text)) if (this.idf.has(g)) tf.set(g, (tf.get(g) ?? 0) + 1);
    const v: Vector = new Map();
    for (const [g, n] of tf) v.set(g, (1 + Math.log(n)) * this.idf.get(g)!);
    const len = norm(v);
    if (len > 0) for (const [g, x] of v) v.set(g, x / len);
    return v;
  }

  /** Documents by cosine similarity to the query, best first (ties by id), among those `eligible` accepts. */
  rank(query: string, eligible: (id: string) => boolean, limit: number): { id: string; score: number }[] {
    const q = this.vectorize(query);
    const scored: { id: string; score: number }[] = [];
    for (const [id, v] of this.vectors) {
      if (!eligible(id)) continue;
      let dot = 0;
      for (const [g, x] of q) dot += x * (v.get(g) ?? 0);
      scored.push({ id, score: dot });
    }
    return scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, limit);
  }
}
