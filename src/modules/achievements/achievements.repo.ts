import { and, eq, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { placeholders, statementCache } from '../../db/prepared.js';
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

/**
 * What a reader is shown (toAchievementDto, the visibility check and the list cursors): every
 * column but createdBy, fieldPathCodes and submittedAt, which reads do not need.
 */
const readColumns = {
  id: t.id,
  organizationId: t.organizationId,
  title: t.title,
  summary: t.summary,
  description: t.description,
  descriptionConfidential: t.descriptionConfidential,
  indicators: t.indicators,
  applications: t.applications,
  keywords: t.keywords,
  fieldCodes: t.fieldCodes,
  trl: t.trl,
  stage: t.stage,
  ipRights: t.ipRights,
  transferModes: t.transferModes,
  priceKind: t.priceKind,
  priceFen: t.priceFen,
  institution: t.institution,
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
export type AchievementReadRow = Pick<AchievementRow, keyof typeof readColumns>;

const statements = statementCache<{ execute(values: Record<string, unknown>): Promise<AchievementReadRow[]> }>();

/** All SQL of the achievements capability. */
export const achievementsRepo = {
  ...versionedRows(t),

  /** One row for GET: a named statement, parsed and planned once per connection (its plan is the primary key whatever the id). */
  async findForRead(db: Executor, id: string): Promise<AchievementReadRow | undefined> {
    const query = statements(db, 'byId', () => db.select(readColumns).from(t).where(eq(t.id, sql.placeholder('id'))).prepare('achievement_read_by_id'));
    const [row] = await query.execute({ id });
    return row;
  },

  /**
   * A page of a list. The query is built once per shape (which filters, sort, scope), then run
   * with this call's values; it stays an unnamed statement, so PostgreSQL plans it for the values
   * (a rare field and a common one want different plans).
   */
  async list(db: Executor, f: AchievementListFilter): Promise<AchievementReadRow[]> {
    const { bind, values, names } = placeholders();
    const where: (SQL | undefined)[] = commonListConditions(t, f, bind);
    if (f.trlMin !== undefined) where.push(sql`${t.trl} >= ${bind('trlMin', f.trlMin)}`);
    if (f.stage) where.push(sql`${t.stage} = ${bind('stage', f.stage)}`);
    if (f.transferMode) where.push(sql`${t.transferModes} @> array[${bind('transferMode', f.transferMode)}]::text[]`);
    if (f.priceMaxFen !== undefined) where.push(sql`(${t.priceKind} <> 'fixed' or ${t.priceFen} <= ${bind('priceMaxFen', f.priceMaxFen)})`);
    const order = achievementOrder(f.sort, f.scope.kind === 'public');
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

export type AchievementsRepo = typeof achievementsRepo;
