import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { versionedRows } from '../../db/versioned.js';
import { commonListConditions, keysetCondition, keysetOrderBy, type CommonListFilter, type KeysetOrder } from '../../lib/publication.js';
import { achievements } from './achievements.tables.js';

export type AchievementRow = typeof achievements.$inferSelect;
export type NewAchievementRow = typeof achievements.$inferInsert;
export type AchievementPatch = Partial<Omit<AchievementRow, 'id' | 'organizationId' | 'createdBy' | 'createdAt' | 'version'>>;

export type AchievementSort = 'newest' | 'oldest' | 'trl' | 'price';

/** Who is listing decides the base set; filters narrow it. */
export interface AchievementListFilter extends CommonListFilter {
  trlMin?: number | undefined;
  stage?: AchievementRow['stage'] | undefined;
  transferMode?: string | undefined;
  priceMaxFen?: number | undefined;
  sort: AchievementSort;
  limit: number;
  cursor?: string | undefined;
}

const t = achievements;
const asDate = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
// A price sort puts negotiable and auction rows (no asking price) after every priced one.
const NO_PRICE = Number.MAX_SAFE_INTEGER;

/**
 * Sort orders. The public list orders by publication time (its partial index); an
 * organization's own list and the admin queue by creation time, since drafts have no publishedAt.
 */
export function achievementOrder(sort: AchievementSort, publicScope: boolean): KeysetOrder {
  const time = publicScope ? t.publishedAt : t.createdAt;
  const timeKey = publicScope ? 'publishedAt' : 'createdAt';
  switch (sort) {
    case 'newest':
    case 'oldest':
      return { expr: sql`${time}`, direction: sort === 'newest' ? 'desc' : 'asc', cast: 'timestamptz', valueOf: (r) => asDate(r[timeKey]) };
    case 'trl':
      return { expr: sql`${t.trl}`, direction: 'desc', cast: 'int', valueOf: (r) => Number(r.trl) };
    case 'price':
      return { expr: sql`coalesce(${t.priceFen}, ${NO_PRICE}::bigint)`, direction: 'asc', cast: 'bigint', valueOf: (r) => (r.priceFen as number | null) ?? NO_PRICE };
  }
}

/** All SQL of the achievements capability. */
export const achievementsRepo = {
  ...versionedRows(t),

  async list(db: Executor, f: AchievementListFilter): Promise<AchievementRow[]> {
    const where: (SQL | undefined)[] = commonListConditions(t, f);
    if (f.trlMin !== undefined) where.push(sql`${t.trl} >= ${f.trlMin}`);
    if (f.stage) where.push(eq(t.stage, f.stage));
    if (f.transferMode) where.push(sql`${t.transferModes} @> array[${f.transferMode}]::text[]`);
    if (f.priceMaxFen !== undefined) where.push(sql`(${t.priceKind} <> 'fixed' or ${t.priceFen} <= ${f.priceMaxFen})`);
    const order = achievementOrder(f.sort, f.scope.kind === 'public');
    where.push(keysetCondition(order, t.id, f.cursor));
    return db
      .select()
      .from(t)
      .where(and(...where))
      .orderBy(keysetOrderBy(order, t.id))
      .limit(f.limit + 1);
  },
};

export type AchievementsRepo = typeof achievementsRepo;
