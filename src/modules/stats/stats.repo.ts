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
import { contractStatsRollup as r, type RollupDimension } from './stats.tables.js';

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

type Key = { group: SQL | null; text: SQL };
const same = (e: SQL): Key => ({ group: e, text: e });
const byDate = (groupBy: 'month' | 'year', on: SQL): Key => {
  const unit = sql.raw(`'${groupBy}'`);
  return { group: sql`date_trunc(${unit}, ${on})`, text: sql`to_char(date_trunc(${unit}, ${on}), ${groupBy === 'month' ? 'YYYY-MM' : 'YYYY'})` };
};

/**
 * The grouping key of a contracts row: `group` is what GROUP BY uses, `text` the key reported (a
 * function of `group`, so it is computed once per group). Rows of the previous period are shifted
 * one year forward first, so month and year keys line up with the current period's.
 */
function contractKey(groupBy: StatsGroup | undefined, side: 'seller' | 'buyer', shifted: boolean): Key {
  const on = shifted ? sql`(${c.registeredOn} + interval '1 year')` : sql`${c.registeredOn}`;
  const region = side === 'seller' ? c.sellerRegionCode : c.buyerRegionCode;
  switch (groupBy) {
    case undefined:
      return { group: null, text: sql`'total'` };
    case 'month':
    case 'year':
      return byDate(groupBy, on);
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

const ROLLUP_OF: Partial<Record<StatsGroup, RollupDimension>> = {
  type: 'type',
  category: 'type',
  subtype: 'subtype',
  field: 'field',
  domain: 'domain',
  sellerKind: 'seller_kind',
  ipType: 'ip_type',
  goal: 'goal',
  industry: 'industry',
};

// Columns of the rollup rows a period reads (the union below), as the grouping keys see them.
const period = sql.raw('u.period');
const rollupKey = sql.raw('u.key');

/**
 * Which rows of contract_stats_rollup answer the request, or undefined when only the contracts
 * table can: the rollup crosses the registration date with one dimension at a time, so a region
 * filter (on the flow's side) combines only with month, year, totals, and region or province of
 * that same side.
 */
function rollupPlan(f: FigureFilter): { dimension: RollupDimension; key: (shifted: boolean) => Key } | undefined {
  const regions: RollupDimension = f.side === 'seller' ? 'seller_region' : 'buyer_region';
  const on = (shifted: boolean) => (shifted ? sql`(${period} + interval '1 year')` : period);
  switch (f.groupBy) {
    case undefined:
      return { dimension: f.regionCode ? regions : 'total', key: () => ({ group: null, text: sql`'total'` }) };
    case 'month':
    case 'year': {
      const groupBy = f.groupBy;
      return { dimension: f.regionCode ? regions : 'total', key: (shifted) => byDate(groupBy, on(shifted)) };
    }
    case 'region':
      return { dimension: regions, key: () => same(rollupKey) };
    case 'province':
      return { dimension: regions, key: () => same(sql`case when ${rollupKey} = 'foreign' then 'foreign' else left(${rollupKey}, 2) || '0000' end`) };
    case 'category':
      if (f.regionCode) return undefined;
      return { dimension: 'type', key: () => same(sql`case when ${rollupKey} in ('transfer','license') then 'transfer' else ${rollupKey} end`) };
    default:
      if (f.regionCode) return undefined;
      return { dimension: ROLLUP_OF[f.groupBy]!, key: () => same(rollupKey) };
  }
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const dayMs = (d: string) => Date.parse(`${d}T00:00:00Z`);
const firstOfMonth = (d: string) => `${d.slice(0, 7)}-01`;
const firstOfNextMonth = (d: string) => {
  const t = new Date(dayMs(d));
  return isoDay(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1));
};

/**
 * [from, to] (inclusive dates) as the whole months inside it, [months[0], months[1]) by their
 * first days, plus the days before and after them; or only days when it holds no whole month.
 */
export function splitPeriod(from: string, to: string): { months: [string, string] | null; days: [string, string][] } {
  const first = from.endsWith('-01') ? from : firstOfNextMonth(from);
  const afterLast = firstOfNextMonth(to) === isoDay(dayMs(to) + DAY_MS) ? firstOfNextMonth(to) : firstOfMonth(to);
  if (first >= afterLast) return { months: null, days: [[from, to]] };
  const days: [string, string][] = [];
  if (from < first) days.push([from, isoDay(dayMs(first) - DAY_MS)]);
  if (afterLast <= to) days.push([afterLast, to]);
  return { months: [first, afterLast], days };
}

/** The rollup rows of one dimension covering [from, to]: month rows for whole months, day rows for the rest. */
function rollupRows(dimension: RollupDimension, from: string, to: string, regionCode: string | undefined): SQL {
  const split = splitPeriod(from, to);
  const region = regionCode ? sql`and ${regionCondition(r.key, regionCode)}` : sql``;
  const select = (grain: 'day' | 'month', range: SQL) =>
    sql`select ${r.period} as period, ${r.key} as key, ${r.contracts} as contracts, ${r.amountFen} as amount_fen, ${r.technologyAmountFen} as technology_amount_fen
      from ${r} where ${r.dimension} = ${dimension} and ${r.grain} = ${grain} and ${range} ${region}`;
  const parts = [
    ...(split.months ? [select('month', sql`${r.period} >= ${split.months[0]}::date and ${r.period} < ${split.months[1]}::date`)] : []),
    ...split.days.map(([a, b]) => select('day', sql`${r.period} between ${a}::date and ${b}::date`)),
  ];
  return sql.join(parts, sql` union all `);
}

const int = (v: unknown): number => Number(v ?? 0);

/** SQL of the statistics: aggregates only, computed in PostgreSQL. */
export const statsRepo = {
  /**
   * Registered contracts (status `registered` is the current version of a contract that is
   * registered and not cancelled) of both periods, grouped. From contract_stats_rollup when it can
   * answer (per key, a row per whole month and per remaining day), otherwise from the contracts
   * themselves, index-only over contracts_stats_idx. Both give the same figures; groups with no
   * contract in either period (rollup rows whose contracts were all cancelled) are left out, as the
   * contracts would leave them.
   */
  async contractFigures(db: Executor, f: FigureFilter): Promise<FigureRow[]> {
    const plan = rollupPlan(f);
    const branch = (p: 0 | 1, from: string, to: string) => {
      if (plan) {
        const k = plan.key(p === 1);
        return sql`select ${sql.raw(String(p))} as p, ${k.text} as key, sum(u.contracts) as n, sum(u.amount_fen) as amount, sum(u.technology_amount_fen) as tech
          from (${rollupRows(plan.dimension, from, to, f.regionCode)}) u
          ${k.group ? sql`group by ${k.group}` : sql``}`;
      }
      const k = contractKey(f.groupBy, f.side, p === 1);
      const regionFilter = f.regionCode ? sql`and ${regionCondition(f.side === 'seller' ? c.sellerRegionCode : c.buyerRegionCode, f.regionCode)}` : sql``;
      return sql`select ${sql.raw(String(p))} as p, ${k.text} as key, count(*) as n,
          sum(${c.amountFen}) as amount, sum(${c.technologyAmountFen}) as tech
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
      group by key
      having coalesce(sum(n), 0) > 0`);
    return (res.rows as Record<string, unknown>[]).map((row) => ({
      key: String(row.key),
      count: int(row.count),
      amount: int(row.amount),
      technologyAmount: int(row.tech),
      previousCount: int(row.prev_count),
      previousAmount: int(row.prev_amount),
      previousTechnologyAmount: int(row.prev_tech),
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
