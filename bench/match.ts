import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from '../src/cli/args.js';
import { BigramTfIdf } from './match-eval/baseline.js';
import { openEvalEnvironment, type NeedRow } from './match-eval/environment.js';
import { createBaseline, matcherRanking, readJudgments, reverseRanking, type JudgedNeed } from './match-eval/evaluation.js';
import { RELEVANT, mean, ndcgAt, precisionAt, recallAt } from './match-eval/metrics.js';

// npm run bench:match [-- --no-strict] [--explain] [--data-dir .data/bench-match] [--pg-port 54341]
//
// Matching quality on the labelled evaluation set (bench/match-eval/README.md): the seeds in a fresh
// database, the real GET /v1/needs/{id}/matches?limit=10 over HTTP as an admin, nDCG@10 and
// recall@10 against the judgments, next to a character-bigram TF-IDF baseline on the same data.
// Exits 1 when the matcher does not beat the baseline on nDCG@10 (unless --no-strict).
const K = 10;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { flags } = parseArgs(process.argv.slice(2));
const strict = flags['no-strict'] !== true;

interface PerNeed {
  need: string;
  matcher: { ndcg: number | null; recall: number | null; precision: number; top: string[] };
  baseline: { ndcg: number | null; recall: number | null; precision: number; top: string[] };
  /** results in the matcher's top 10 without a judgment (counted as 0) */
  unjudgedInMatcherTop: number;
  unjudgedInBaselineTop: number;
}

/**
 * Mean of per-need differences with a 95 % percentile interval from 10,000 resamples of the needs
 * (a seeded generator, so the interval is the same on every run): how much of the gap could be
 * the luck of which needs were judged.
 */
function pairedBootstrap(diffs: number[]): { mean: number; low: number; high: number; n: number } {
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  const means: number[] = [];
  for (let i = 0; i < 10_000; i++) means.push(avg(diffs.map(() => diffs[Math.floor(random() * diffs.length)]!)));
  means.sort((a, b) => a - b);
  return { mean: avg(diffs), low: means[249]!, high: means[9_749]!, n: diffs.length };
}

function score(judged: JudgedNeed, ranked: string[]) {
  const grades = new Map(judged.judgments.map((j) => [j.achievement, j.grade]));
  return { ndcg: ndcgAt(K, ranked, grades), recall: recallAt(K, ranked, grades), precision: precisionAt(K, ranked, grades), top: ranked.slice(0, K) };
}

const env = await openEvalEnvironment({
  dataDir: typeof flags['data-dir'] === 'string' ? flags['data-dir'] : '.data/bench-match',
  pgPort: typeof flags['pg-port'] === 'string' ? Number(flags['pg-port']) : 54341,
  log: (m) => console.log(`[bench:match] ${m}`),
});
try {
  const { needs: judgedNeeds } = await readJudgments();
  const baseline = createBaseline(env);
  const now = new Date();
  const rows: PerNeed[] = [];
  const started = performance.now();
  for (const judged of judgedNeeds) {
    const need = env.needsByTitle.get(judged.need);
    if (!need) throw new Error(`judged need not in the data set: ${judged.need}`);
    const known = new Set(judged.judgments.map((j) => j.achievement));
    const matcher = (await matcherRanking(env, need, K)).titles;
    const base = baseline.rank(need, K, now);
    rows.push({
      need: judged.need,
      matcher: score(judged, matcher),
      baseline: score(judged, base),
      unjudgedInMatcherTop: matcher.filter((t) => !known.has(t)).length,
      unjudgedInBaselineTop: base.filter((t) => !known.has(t)).length,
    });
  }
  const matchSeconds = (performance.now() - started) / 1000;

  const summary = (pick: (r: PerNeed) => PerNeed['matcher']) => ({
    ndcg: mean(rows.map((r) => pick(r).ndcg)),
    recall: mean(rows.map((r) => pick(r).recall)),
    precision: mean(rows.map((r) => pick(r).precision)),
  });
  const m = summary((r) => r.matcher);
  const b = summary((r) => r.baseline);
  const withNdcg = rows.filter((r) => r.matcher.ndcg !== null).length;
  const withRecall = rows.filter((r) => r.matcher.recall !== null).length;
  const judgments = judgedNeeds.reduce((s, n) => s + n.judgments.length, 0);

  // The other direction, informally: for every judged pair of grade ≥ 2, is the need among the
  // achievement's first 10 matched needs? Only pair recall can be measured: most needs are unjudged.
  const needRows = [...env.needsByTitle.values()];
  const needIndex = new BigramTfIdf(needRows.map((n) => ({ id: n.id, text: [n.title, n.summary, n.keywords.join(' ')].join('\n') })));
  const needById = new Map(needRows.map((n) => [n.id, n]));
  let pairs = 0;
  let reverseMatcherHits = 0;
  let reverseBaselineHits = 0;
  for (const judged of judgedNeeds) {
    for (const j of judged.judgments.filter((x) => x.grade >= RELEVANT)) {
      const achievement = env.achievementsByTitle.get(j.achievement)!;
      pairs++;
      if ((await reverseRanking(env, achievement, K)).includes(judged.need)) reverseMatcherHits++;
      const query = [achievement.title, achievement.summary, achievement.keywords.join(' '), achievement.descriptionConfidential ? '' : achievement.description].join('\n');
      const eligible = (id: string) => {
        const n: NeedRow = needById.get(id)!;
        return n.status === 'published' && n.validUntil.getTime() > now.getTime() && n.organizationId !== achievement.organizationId;
      };
      if (needIndex.rank(query, eligible, K).some((r) => needById.get(r.id)!.title === judged.need)) reverseBaselineHits++;
    }
  }

  const pct = (x: number) => x.toFixed(3);
  console.log(
    `\n${judgedNeeds.length} judged needs (${withNdcg} with a grade > 0 for nDCG, ${withRecall} with a relevant achievement for recall), ${judgments} judgments, ` +
      `${env.achievementsByTitle.size} achievements; engine ${env.engineName}; ${(matchSeconds * 1000 / rows.length).toFixed(0)} ms per match request\n`,
  );
  console.log(`| system | nDCG@${K} | recall@${K} (grade ≥ ${RELEVANT}) | precision@${K} | unjudged in top ${K} |`);
  console.log('|---|---:|---:|---:|---:|');
  const unjudged = (f: (r: PerNeed) => number) => `${rows.reduce((s, r) => s + f(r), 0)} of ${rows.length * K}`;
  console.log(`| matcher (GET /v1/needs/{id}/matches, ${env.engineName}) | ${pct(m.ndcg)} | ${pct(m.recall)} | ${pct(m.precision)} | ${unjudged((r) => r.unjudgedInMatcherTop)} |`);
  console.log(`| baseline (character-bigram TF-IDF cosine) | ${pct(b.ndcg)} | ${pct(b.recall)} | ${pct(b.precision)} | ${unjudged((r) => r.unjudgedInBaselineTop)} |`);
  const diff = pairedBootstrap(rows.filter((r) => r.matcher.ndcg !== null).map((r) => r.matcher.ndcg! - r.baseline.ndcg!));
  console.log(`\nnDCG@${K} matcher − baseline: ${diff.mean >= 0 ? '+' : ''}${pct(diff.mean)}, 95 % paired bootstrap interval [${pct(diff.low)}, ${pct(diff.high)}] over ${diff.n} needs`);
  const wins = rows.filter((r) => (r.matcher.ndcg ?? 0) > (r.baseline.ndcg ?? 0)).length;
  const losses = rows.filter((r) => (r.matcher.ndcg ?? 0) < (r.baseline.ndcg ?? 0)).length;
  console.log(`per need (nDCG@${K}): matcher better on ${wins}, baseline better on ${losses}, tied on ${rows.length - wins - losses}`);
  console.log(`achievement → needs (informal): ${pairs} judged pairs of grade ≥ ${RELEVANT}; the need is in the achievement's top ${K}: matcher ${reverseMatcherHits} (${pct(reverseMatcherHits / Math.max(1, pairs))}), baseline ${reverseBaselineHits} (${pct(reverseBaselineHits / Math.max(1, pairs))})`);

  if (flags.explain === true) {
    for (const r of rows.filter((x) => (x.matcher.ndcg ?? 0) < (x.baseline.ndcg ?? 0))) {
      const grades = new Map(judgedNeeds.find((n) => n.need === r.need)!.judgments.map((j) => [j.achievement, j.grade]));
      const show = (t: string) => `${grades.get(t) ?? '?'} ${t}`;
      console.log(`\n## ${r.need}: matcher ${pct(r.matcher.ndcg ?? 0)} < baseline ${pct(r.baseline.ndcg ?? 0)}`);
      console.log(`matcher:  ${r.matcher.top.map(show).join(' | ')}`);
      console.log(`baseline: ${r.baseline.top.map(show).join(' | ')}`);
      const missed = [...grades].filter(([t, g]) => g >= RELEVANT && !r.matcher.top.includes(t)).map(([t, g]) => `${g} ${t}`);
      if (missed.length) console.log(`missed by the matcher: ${missed.join(' | ')}`);
    }
  }

  const report = {
    at: new Date().toISOString(),
    engine: env.engineName,
    k: K,
    judgedNeeds: judgedNeeds.length,
    judgments,
    matcher: m,
    baseline: b,
    ndcgDifference: diff,
    reverse: { pairs, matcherHits: reverseMatcherHits, baselineHits: reverseBaselineHits },
    perNeed: rows,
  };
  const outDir = path.resolve(root, 'bench/results');
  await mkdir(outDir, { recursive: true });
  const outFile = path.join(outDir, `match-${report.at.replace(/:/g, '-').replace(/\..*$/, '')}.json`);
  await writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nresults written to ${path.relative(root, outFile)}`);

  if (m.ndcg <= b.ndcg) {
    console.log(`\nthe matcher does not beat the baseline on nDCG@${K} (${pct(m.ndcg)} ≤ ${pct(b.ndcg)})${strict ? '' : ' (--no-strict: not failing)'}`);
    if (strict) process.exitCode = 1;
  }
} finally {
  await env.close();
}
