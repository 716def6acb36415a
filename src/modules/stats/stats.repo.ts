import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { regionCondition } from '../../lib/publication.js';
import { achievements } from '../achievements/achievements.tables.js';
import { fields } from '../catalog/catalog.tables.js';
import { contracts as c } from '../contracts/contracts.tables.js';
import { deals } from '../deals/deals.tables.js';
import { auctions } from '../auctions/auctions.tables.js';
import { listings } from '../listings/listings.tables.js';
import { needs } from '../needs/needs.tables.js';
import type { StatsGroup } from './stats.schemas.js';

export interface FigureRow {
  key: string;
  count: number;
  amount: number;
  technologyAmount: number;
  previousCount: number;
  previousAmount: number;
  previousTechnologyAmount: number;
}

export interface FigureFilter {
  from: string;
  to: string;
  previousFrom: string;
  previousTo: string;
  groupBy?: StatsGroup | undefined;
  /** whose region regionCode and groupBy=region|province read */
  side: 'seller' | 'buyer';
  regionCode?: string | undefined;
}

export interface SalesRow {
  sold: number;
  unsold: number;
  soldAmount: number;
  soldStart: number;
  averagePremium: number | null;
}

/**
 * The grouping key of a row: `group` is what GROUP BY uses, `text` the key reported (a function
 * of `group`, so it is computed once per group). Rows of the previous period are shifted one year
 * forward first, so month and year keys line up with the current period's.
 */
function keyOf(groupBy: StatsGroup | undefined, side: 'seller' | 'buyer', shifted: boolean): { group: SQL | null; text: SQL } {
  const on = shifted ? sql`(${c.registeredOn} + interval '1 year')` : sql`${c.registeredOn}`;
  const region = side === 'seller' ? c.sellerRegionCode : c.buyerRegionCode;
  const same = (e: SQL) => ({ group: e, text: e });
  switch (groupBy) {
    case undefined:
      return { group: null, text: sql`'total'` };
    case 'month':
      return { group: sql`date_trunc('month', ${on})`, text: sql`to_char(date_trunc('month', ${on}), 'YYYY-MM')` };
    case 'year':
      return { group: sql`date_trunc('year', ${on})`, text: sql`to_char(date_trunc('year', ${on}), 'YYYY')` };
    case 'type':
      return same(sql`${c.type}`);
    case 'category':
      return same(sql`case when ${c.type} in ('transfer','license') then 'transfer' else ${c.type} end`);
    case 'subtype':
      return same(sql`${c.subtype}`);
    case 'field':
      return same(sql`${c.fieldCode}`);
    case 'domain':
      return same(sql`${c.technologyDomain}`);
    case 'region':
      return same(sql`coalesce(${region}, 'foreign')`);
    case 'province':
      return same(sql`coalesce(left(${region}, 2) || '0000', 'foreign')`);
    case 'sellerKind':
      return same(sql`${c.sellerNatureCode}`);
    case 'ipType':
      return same(sql`${c.ipType}`);
    case 'goal':
      return same(sql`${c.socioEconomicGoal}`);
    case 'industry':
      return same(sql`left(${c.industryCode}, 1)`);
  }
}

const int = (v: unknown): number => Number(v ?? 0);

/** SQL of the statistics: aggregates only, computed in PostgreSQL. */
export const statsRepo = {
  /**
   * Registered contracts (status `registered` is the current version of a contract that is
   * registered and not cancelled) of both periods, grouped; one scan per period over
   * contracts_stats_idx.
   */
  async contractFigures(db: Executor, f: FigureFilter): Promise<FigureRow[]> {
    const regionFilter = f.regionCode ? sql`and ${regionCondition(f.side === 'seller' ? c.sellerRegionCode : c.buyerRegionCode, f.regionCode)}` : sql``;
    const branch = (period: 0 | 1, from: string, to: string) => {
      const k = keyOf(f.groupBy, f.side, period === 1);
      return sql`select ${sql.raw(String(period))} as p, ${k.text} as key, count(*) as n,
          coalesce(sum(${c.amountFen}), 0) as amount, coalesce(sum(${c.technologyAmountFen}), 0) as tech
        from ${c}
        where ${c.status} = 'registered' and ${c.registeredOn} between ${from}::date and ${to}::date ${regionFilter}
        ${k.group ? sql`group by ${k.group}` : sql``}`;
    };
    const res = await db.execute(sql`
      select key,
        coalesce(sum(n) filter (where p = 0), 0)::bigint as count,
        coalesce(sum(amount) filter (where p = 0), 0)::bigint as amount,
        coalesce(sum(tech) filter (where p = 0), 0)::bigint as tech,
        coalesce(sum(n) filter (where p = 1), 0)::bigint as prev_count,
        coalesce(sum(amount) filter (where p = 1), 0)::bigint as prev_amount,
        coalesce(sum(tech) filter (where p = 1), 0)::bigint as prev_tech
      from (${branch(0, f.from, f.to)} union all ${branch(1, f.previousFrom, f.previousTo)}) x
      group by key`);
    return (res.rows as Record<string, unknown>[]).map((r) => ({
      key: String(r.key),
      count: int(r.count),
      amount: int(r.amount),
      technologyAmount: int(r.tech),
      previousCount: int(r.prev_count),
      previousAmount: int(r.prev_amount),
      previousTechnologyAmount: int(r.prev_tech),
    }));
  },

  async countByStatus(db: Executor, table: 'achievements' | 'needs'): Promise<{ key: string; count: number }[]> {
    const t = table === 'achievements' ? achievements : needs;
    const res = await db.execute(sql`select ${t.status} as key, count(*)::int as count from ${t} group by 1`);
    return (res.rows as { key: string; count: number }[]).map((r) => ({ key: r.key, count: int(r.count) }));
  },

  /** Published rows per 4567 industry (depth 2) and per 高新技术领域 (depth 1), through the stored ancestor codes. */
  async publishedByField(db: Executor, table: 'achievements' | 'needs'): Promise<{ code: string; name: string; count: number }[]> {
    const t = table === 'achievements' ? achievements : needs;
    const res = await db.execute(sql`
      select ${fields.code} as code, ${fields.name} as name, count(*)::int as count
      from ${t} cross join lateral unnest(${t.fieldPathCodes}) as path(code)
      join ${fields} on ${fields.code} = path.code
      where ${t.status} = 'published'
        and ((${fields.scheme} = 'HLJ' and ${fields.depth} = 2) or (${fields.scheme} = 'NHT' and ${fields.depth} = 1))
      group by ${fields.code}, ${fields.name}
      order by count desc, code`);
    return (res.rows as { code: string; name: string; count: number }[]).map((r) => ({ ...r, count: int(r.count) }));
  },

  async listingsByStatus(db: Executor): Promise<{ key: string; count: number }[]> {
    const res = await db.execute(sql`select ${listings.status} as key, count(*)::int as count from ${listings} group by 1`);
    return (res.rows as { key: string; count: number }[]).map((r) => ({ key: r.key, count: int(r.count) }));
  },

  /** Sold vs unsold closed listings, all of them or only those that went to auction. */
  async sales(db: Executor, onlyAuctioned: boolean): Promise<SalesRow> {
    const auctioned = onlyAuctioned ? sql`and exists (select 1 from ${auctions} where ${auctions.listingId} = ${listings.id})` : sql``;
    const res = await db.execute(sql`
      select count(*) filter (where ${listings.status} = 'sold') as sold,
        count(*) filter (where ${listings.status} = 'unsold') as unsold,
        coalesce(sum(${listings.outcomePriceFen}) filter (where ${listings.status} = 'sold'), 0)::bigint as sold_amount,
        coalesce(sum(${listings.startPriceFen}) filter (where ${listings.status} = 'sold'), 0)::bigint as sold_start,
        (avg(${listings.outcomePriceFen}::numeric / ${listings.startPriceFen} - 1) filter (where ${listings.status} = 'sold'))::float8 as average_premium
      from ${listings}
      where ${listings.status} in ('sold', 'unsold') ${auctioned}`);
    const r = res.rows[0] as Record<string, unknown>;
    return { sold: int(r.sold), unsold: int(r.unsold), soldAmount: int(r.sold_amount), soldStart: int(r.sold_start), averagePremium: r.average_premium == null ? null : Number(r.average_premium) };
  },

  async dealsByStage(db: Executor): Promise<{ key: string; count: number }[]> {
    const res = await db.execute(sql`select ${deals.stage} as key, count(*)::int as count from ${deals} group by 1`);
    return (res.rows as { key: string; count: number }[]).map((r) => ({ key: r.key, count: int(r.count) }));
  },

  /** Rows ever published, and how many of them have a deal that was not cancelled. */
  async conversion(db: Executor, table: 'achievements' | 'needs'): Promise<{ published: number; withDeal: number }> {
    const t = table === 'achievements' ? achievements : needs;
    const link = table === 'achievements' ? deals.achievementId : deals.needId;
    const res = await db.execute(sql`
      select count(*) as published,
        count(*) filter (where exists (select 1 from ${deals} where ${link} = ${t.id} and ${deals.stage} <> 'cancelled')) as with_deal
      from ${t} where ${t.publishedAt} is not null`);
    const r = res.rows[0] as Record<string, unknown>;
    return { published: int(r.published), withDeal: int(r.with_deal) };
  },
};

export type StatsRepo = typeof statsRepo;
