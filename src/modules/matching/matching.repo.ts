import { eq, inArray } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { organizations } from '../accounts/accounts.tables.js';
import { achievements } from '../achievements/achievements.tables.js';
import { needs } from '../needs/needs.tables.js';
import type { AchievementRow, NeedRow } from '../search/search.documents.js';

/** All SQL of matching: the source row, and the candidate rows the engine proposed. */
export const matchingRepo = {
  async findAchievement(db: Executor, id: string): Promise<AchievementRow | undefined> {
    const [row] = await db.select().from(achievements).where(eq(achievements.id, id));
    return row;
  },

  async findNeed(db: Executor, id: string): Promise<NeedRow | undefined> {
    const [row] = await db.select().from(needs).where(eq(needs.id, id));
    return row;
  },

  /** The poster's name, which its listing's text often repeats and which says nothing about the subject. */
  async organizationName(db: Executor, id: string): Promise<string | undefined> {
    const [row] = await db.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, id));
    return row?.name;
  },

  async achievementsByIds(db: Executor, ids: string[]): Promise<AchievementRow[]> {
    return ids.length === 0 ? [] : db.select().from(achievements).where(inArray(achievements.id, ids));
  },

  async needsByIds(db: Executor, ids: string[]): Promise<NeedRow[]> {
    return ids.length === 0 ? [] : db.select().from(needs).where(inArray(needs.id, ids));
  },
};

export type MatchingRepo = typeof matchingRepo;
