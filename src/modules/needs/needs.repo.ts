import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { versionedRows } from '../../db/versioned.js';
import { commonListConditions, keysetCondition, keysetOrderBy, type CommonListFilter, type KeysetOrder } from '../../lib/publication.js';
import { needs } from './needs.tables.js';

export type NeedRow = typeof needs.$inferSelect;
export type NewNeedRow = typeof needs.$inferInsert;
export type NeedPatch = Partial<Omit<NeedRow, 'id' | 'organizationId' | 'createdBy' | 'createdAt' | 'version'>>;

export type NeedSort = 'newest' | 'oldest' | 'deadline';

export interface NeedListFilter extends CommonListFilter {
  needType?: NeedRow['needType'] | undefined;
  cooperationMode?: string | undefined;
  budgetMinFen?: number | undefined;
  sort: NeedSort;
  limit: number;
  cursor?: string | undefined;
}

const t = needs;
const asIso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
// Needs without a deadline sort after every dated one.
const NO_DEADLINE = '9999-12-31T00:00:00.000Z';

/** Sort orders; see achievementOrder for why public lists use publication time. */
export function needOrder(sort: NeedSort, publicScope: boolean): KeysetOrder {
  const time = publicScope ? t.publishedAt : t.createdAt;
  const timeKey = publicScope ? 'publishedAt' : 'createdAt';
  if (sort === 'deadline') {
    return {
      expr: sql`coalesce(${t.deadline}::timestamptz, ${NO_DEADLINE}::timestamptz)`,
      direction: 'asc',
      cast: 'timestamptz',
      valueOf: (r) => (r.deadline ? `${String(r.deadline)}T00:00:00.000Z` : NO_DEADLINE),
    };
  }
  return { expr: sql`${time}`, direction: sort === 'newest' ? 'desc' : 'asc', cast: 'timestamptz', valueOf: (r) => asIso(r[timeKey]) };
}

/** All SQL of the needs capability. */
export const needsRepo = {
  ...versionedRows(t),

  async list(db: Executor, f: NeedListFilter): Promise<NeedRow[]> {
    const where: (SQL | undefined)[] = commonListConditions(t, f);
    if (f.needType) where.push(eq(t.needType, f.needType));
    if (f.cooperationMode) where.push(sql`${t.cooperationModes} @> array[${f.cooperationMode}]::text[]`);
    if (f.budgetMinFen !== undefined) where.push(sql`(${t.budgetNegotiable} or coalesce(${t.budgetMaxFen}, ${t.budgetMinFen}) >= ${f.budgetMinFen})`);
    const order = needOrder(f.sort, f.scope.kind === 'public');
    where.push(keysetCondition(order, t.id, f.cursor));
    return db
      .select()
      .from(t)
      .where(and(...where))
      .orderBy(keysetOrderBy(order, t.id))
      .limit(f.limit + 1);
  },
};

export type NeedsRepo = typeof needsRepo;
