import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AchievementMatchPage, NeedMatchPage } from '../../src/modules/matching/matching.schemas.js';
import { BigramTfIdf } from './baseline.js';
import type { AchievementRow, EvalEnvironment, NeedRow } from './environment.js';
import type { Grade } from './metrics.js';

export const JUDGMENTS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'judgments.json');

export interface Judgment {
  /** the achievement's title: the seeds' stable key */
  achievement: string;
  grade: Grade;
  reason: string;
}

export interface JudgedNeed {
  /** the need's title: the seeds' stable key */
  need: string;
  judgments: Judgment[];
}

export interface JudgmentFile {
  description: string;
  scale: Record<Grade, string>;
  needs: JudgedNeed[];
}

export async function readJudgments(): Promise<JudgmentFile> {
  return JSON.parse(await readFile(JUDGMENTS_FILE, 'utf8')) as JudgmentFile;
}

/** What the baseline reads of an achievement: title, summary and keywords. */
export const achievementText = (a: AchievementRow): string => [a.title, a.summary, a.keywords.join(' ')].join('\n');

/**
 * What the baseline reads of a need: the same public text the matcher may read (title, summary,
 * keywords, and the description unless it is confidential).
 */
export const needText = (n: NeedRow): string => [n.title, n.summary, n.keywords.join(' '), n.descriptionConfidential ? '' : n.description].join('\n');

/**
 * The achievements a need may be matched with, for both systems alike: published, unexpired, and
 * not the need's own organization's (the matcher never proposes those).
 */
export function eligibleFor(need: NeedRow, now: Date): (a: AchievementRow) => boolean {
  return (a) => a.status === 'published' && a.validUntil.getTime() > now.getTime() && a.organizationId !== need.organizationId;
}

export function createBaseline(env: EvalEnvironment) {
  const byId = new Map([...env.achievementsByTitle.values()].map((a) => [a.id, a]));
  const index = new BigramTfIdf([...byId.values()].map((a) => ({ id: a.id, text: achievementText(a) })));
  return {
    /** Achievement titles, best first. */
    rank(need: NeedRow, limit: number, now: Date): string[] {
      const eligible = eligibleFor(need, now);
      return index.rank(needText(need), (id) => eligible(byId.get(id)!), limit).map((r) => byId.get(r.id)!.title);
    },
  };
}

/** The real endpoint, over HTTP as the admin: achievement titles, best first, with the page. */
export async function matcherRanking(env: EvalEnvironment, need: NeedRow, limit: number): Promise<{ titles: string[]; page: AchievementMatchPage }> {
  const res = await env.get<AchievementMatchPage>(`/v1/needs/${need.id}/matches?limit=${limit}`);
  if (res.status !== 200) throw new Error(`GET /v1/needs/${need.id}/matches: ${res.status} ${JSON.stringify(res.body)}`);
  return { titles: res.body.items.map((i) => i.achievement.title), page: res.body };
}

export async function reverseRanking(env: EvalEnvironment, achievement: AchievementRow, limit: number): Promise<string[]> {
  const res = await env.get<NeedMatchPage>(`/v1/achievements/${achievement.id}/matches?limit=${limit}`);
  if (res.status !== 200) throw new Error(`GET /v1/achievements/${achievement.id}/matches: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.items.map((i) => i.need.title);
}
