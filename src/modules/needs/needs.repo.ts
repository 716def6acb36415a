import { and, eq, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { placeholders, statementCache } from '../../db/prepared.js';
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

/** What a reader is shown (toNeedDto, the visibility check, the list cursors): not createdBy, fieldPathCodes, submittedAt. */
const readColumns = {
  id: t.id,
  organizationId: t.organizationId,
  title: t.title,
  description: t.description,
  descriptionConfidential: t.descriptionConfidential,
  summary: t.summary,
  indicators: t.indicators,
  keywords: t.keywords,
  fieldCodes: t.fieldCodes,
  needType: t.needType,
  trlMin: t.trlMin,
  budgetMinFen: t.budgetMinFen,
  budgetMaxFen: t.budgetMaxFen,
  budgetNegotiable: t.budgetNegotiable,
  cooperationModes: t.cooperationModes,
  deadline: t.deadline,
  regionCode: t.regionCode,
  contact: t.contact,
  status: t.status,
  reviewReason: t.reviewReason,
  validUntil: t.validUntil,
  publishedAt: t.publishedAt,
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
  version: t.version,
};
export type NeedReadRow = Pick<NeedRow, keyof typeof readColumns>;

const statements = statementCache<{ execute(values: Record<string, unknown>): Promise<NeedReadRow[]> }>();

/** All SQL of the needs capability. */
export const needsRepo = {
  ...versionedRows(t),

  /** One row for GET, as a named statement (see achievementsRepo.findForRead). */
  async findForRead(db: Executor, id: string): Promise<NeedReadRow | undefined> {
    const query = statements(db, 'byId', () => db.select(readColumns).from(t).where(eq(t.id, sql.placeholder('id'))).prepare('need_read_by_id'));
    const [row] = await query.execute({ id });
    return row;
  },

  /** A page of a list, built once per shape and planned per call (see achievementsRepo.list). */
  async list(db: Executor, f: NeedListFilter): Promise<NeedReadRow[]> {
    const { bind, values, names } = placeholders();
    const where: (SQL | undefined)[] = commonListConditions(t, f, bind);
    if (f.needType) where.push(sql`${t.needType} = ${bind('needType', f.needType)}`);
    if (f.cooperationMode) where.push(sql`${t.cooperationModes} @> array[${bind('cooperationMode', f.cooperationMode)}]::text[]`);
    if (f.budgetMinFen !== undefined) where.push(sql`(${t.budgetNegotiable} or coalesce(${t.budgetMaxFen}, ${t.budgetMinFen}) >= ${bind('budgetMinFen', f.budgetMinFen)})`);
    const order = needOrder(f.sort, f.scope.kind === 'public');
    where.push(keysetCondition(order, t.id, f.cursor, bind));
    const limit = bind('limit', f.limit + 1);
    const query = statements(db, `list:${f.scope.kind}:${f.sort}:${names()}`, () =>
      db
        .select(readColumns)
        .from(t)
        .where(and(...where))
        .orderBy(keysetOrderBy(order, t.id))
        .limit(limit as Placeholder)
        .prepare(''),
    );
    return query.execute(values);
  },
};

export type NeedsRepo = typeof needsRepo;
