import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from '../../src/cli/args.js';
import { ACHIEVEMENTS } from '../../seeds/data/achievements.js';
import { needsAsOf } from '../../seeds/data/needs.js';
import { hash } from '../../seeds/data/text.js';
import { openEvalEnvironment, type AchievementRow, type NeedRow } from './environment.js';
import { JUDGMENTS_FILE, createBaseline, eligibleFor, matcherRanking, readJudgments } from './evaluation.js';

// npx tsx bench/match-eval/pool.ts --out /tmp/pool.md [--depth 20] [--data-dir .data/bench-match] [--pg-port 54341]
//
// Writes the judging worksheet: for each evaluated need, the achievements of its pool that have no
// judgment yet. The pool is the union of the matcher's top `depth` (the real endpoint), the
// baseline's top `depth`, every eligible achievement of the need's own leaf field, and five
// eligible achievements drawn at random (ordered by a hash of both titles). The worksheet lists each
// achievement once, in seed order, without saying which system proposed it, so the judge reads
// texts, not ranks. Run it again after a change to the matcher: only new pool members appear.
const { flags } = parseArgs(process.argv.slice(2));
const out = typeof flags.out === 'string' ? flags.out : '/dev/stdout';
const depth = typeof flags.depth === 'string' ? Number(flags.depth) : 20;
const RANDOM_PER_NEED = 5;

/** The evaluated needs when there is no judgment file yet: the first published need of each leaf field, in seed order. */
function selectNeeds(): string[] {
  const seen = new Set<string>();
  const titles: string[] = [];
  for (const n of needsAsOf(new Date())) {
    const field = n.input.fieldCodes[0]!;
    if (n.status !== 'published' || seen.has(field)) continue;
    seen.add(field);
    titles.push(n.input.title);
  }
  return titles;
}

const alias = new Map(ACHIEVEMENTS.map((a, i) => [a.input.title, `A${String(i).padStart(3, '0')}`]));
const section = (text: string, name: string) => new RegExp(`【${name}】([^\\n]*)`).exec(text)?.[1] ?? '';

function describeNeed(n: NeedRow): string {
  return [`## ${n.title}`, `field ${n.fieldCodes.join(', ')} · keywords ${n.keywords.join('、')}`, n.description.split('\n').filter((l) => !l.startsWith('【保密资料】')).join('\n')].join('\n');
}

function describeAchievement(a: AchievementRow): string {
  return `- ${alias.get(a.title)} ${a.title} [${a.keywords.join('、')}] ${section(a.description, '技术方案')} 指标：${section(a.description, '主要指标')}`;
}

const env = await openEvalEnvironment({
  dataDir: typeof flags['data-dir'] === 'string' ? flags['data-dir'] : '.data/bench-match',
  pgPort: typeof flags['pg-port'] === 'string' ? Number(flags['pg-port']) : 54341,
  log: (m) => console.error(`[pool] ${m}`),
});
try {
  const judged = existsSync(JUDGMENTS_FILE) ? (await readJudgments()).needs : [];
  const needTitles = judged.length > 0 ? judged.map((j) => j.need) : selectNeeds();
  const baseline = createBaseline(env);
  const now = new Date();
  const all = [...env.achievementsByTitle.values()];
  const lines: string[] = [];
  let pairs = 0;
  for (const title of needTitles) {
    const need = env.needsByTitle.get(title);
    if (!need) throw new Error(`need not in the data set: ${title}`);
    const done = new Set(judged.find((j) => j.need === title)?.judgments.map((j) => j.achievement) ?? []);
    const eligible = all.filter(eligibleFor(need, now));
    const random = [...eligible].sort((a, b) => hash(`${title}:${a.title}`) - hash(`${title}:${b.title}`)).slice(0, RANDOM_PER_NEED);
    const pool = new Set([
      ...(await matcherRanking(env, need, depth)).titles,
      ...baseline.rank(need, depth, now),
      ...eligible.filter((a) => a.fieldCodes.includes(need.fieldCodes[0]!)).map((a) => a.title),
      ...random.map((a) => a.title),
    ]);
    const todo = [...pool].filter((t) => !done.has(t)).sort((a, b) => alias.get(a)!.localeCompare(alias.get(b)!));
    if (todo.length === 0) continue;
    pairs += todo.length;
    lines.push(describeNeed(need), '', ...todo.map((t) => describeAchievement(env.achievementsByTitle.get(t)!)), '');
  }
  await writeFile(out, `${lines.join('\n')}\n`);
  console.error(`[pool] ${needTitles.length} needs, ${pairs} unjudged pairs written to ${out}`);
} finally {
  await env.close();
}
