import type { Db } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { badRequest } from '../../lib/errors.js';
import { money } from '../../lib/http.js';
import { localDateOf } from '../catalog/calendar.days.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import {
  CATEGORY_LABELS,
  DOMAIN_LABELS,
  GOAL_LABELS,
  INDUSTRY_SECTIONS,
  IP_TYPE_LABELS,
  NATURE_LABELS,
  SUBTYPE_LABELS,
  TYPE_LABELS,
} from '../contracts/contracts.codes.js';
import { DEAL_STAGES, type DealStage } from '../deals/deals.tables.js';
import type { ContractStats, ContractStatsGroup, ContractStatsQuery, Growth, Overview, StatsGroup } from './stats.schemas.js';
import type { FigureRow, SalesRow, StatsRepo } from './stats.repo.js';

export interface StatsDeps {
  db: Db;
  repo: StatsRepo;
  clock: Clock;
  catalog: CatalogService;
}

/** Longest period one statistics request covers. */
export const MAX_STATS_YEARS = 10;

const growth = (current: number, previous: number): number | null => (previous === 0 ? null : Math.round(((current - previous) / previous) * 1e6) / 1e6);
const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : Math.round((part / whole) * 1e6) / 1e6);

/** The same dates one year earlier; 29 February maps to 28 February. */
export function yearEarlier(date: string): string {
  const y = Number(date.slice(0, 4)) - 1;
  const md = date.slice(5);
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return `${y}-${md === '02-29' && !leap ? '02-28' : md}`;
}

const LABELS: Partial<Record<StatsGroup, Readonly<Record<string, string>>>> = {
  type: TYPE_LABELS,
  category: CATEGORY_LABELS,
  subtype: SUBTYPE_LABELS,
  domain: DOMAIN_LABELS,
  sellerKind: NATURE_LABELS,
  ipType: IP_TYPE_LABELS,
  goal: GOAL_LABELS,
};

function figures(r: Pick<FigureRow, 'count' | 'amount' | 'technologyAmount' | 'previousCount' | 'previousAmount' | 'previousTechnologyAmount'>) {
  const yoy: Growth = {
    count: growth(r.count, r.previousCount),
    amount: growth(r.amount, r.previousAmount),
    technologyAmount: growth(r.technologyAmount, r.previousTechnologyAmount),
  };
  return {
    count: r.count,
    amount: money(r.amount),
    technologyAmount: money(r.technologyAmount),
    previous: { count: r.previousCount, amount: money(r.previousAmount), technologyAmount: money(r.previousTechnologyAmount) },
    yoy,
  };
}

function sum(rows: FigureRow[]) {
  const total = { count: 0, amount: 0, technologyAmount: 0, previousCount: 0, previousAmount: 0, previousTechnologyAmount: 0 };
  for (const r of rows) for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += r[k];
  return total;
}

const sales = (s: SalesRow) => ({
  sold: s.sold,
  unsold: s.unsold,
  soldAmount: money(s.soldAmount),
  soldStartAmount: money(s.soldStart),
  premium: s.soldStart === 0 ? null : Math.round((s.soldAmount / s.soldStart - 1) * 1e6) / 1e6,
  averagePremium: s.averagePremium === null ? null : Math.round(s.averagePremium * 1e6) / 1e6,
});

const byKey = (rows: { key: string; count: number }[]) => Object.fromEntries(rows.map((r) => [r.key, r.count]));

/** Platform statistics: aggregates only, computed in SQL; anyone may read them. */
export function createStatsService(deps: StatsDeps) {
  const { db, repo, clock, catalog } = deps;

  function labelOf(groupBy: StatsGroup, key: string): string | null {
    if (groupBy === 'field') return catalog.field(key)?.name ?? null;
    if (groupBy === 'region' || groupBy === 'province') return key === 'foreign' ? '境外' : (catalog.region(key)?.name ?? null);
    if (groupBy === 'industry') return INDUSTRY_SECTIONS[key]?.label ?? null;
    return LABELS[groupBy]?.[key] ?? null;
  }

  async function contracts(q: ContractStatsQuery): Promise<ContractStats> {
    const today = localDateOf(clock.now());
    const to = q.to ?? today;
    const from = q.from ?? `${to.slice(0, 4)}-01-01`;
    if (from > to) throw badRequest('INVALID_RANGE', '`from` is after `to`');
    if ((Date.parse(to) - Date.parse(from)) / 86_400_000 >= MAX_STATS_YEARS * 366) throw badRequest('INVALID_RANGE', `At most ${MAX_STATS_YEARS} years per request`);
    const previousFrom = yearEarlier(from);
    const previousTo = yearEarlier(to);
    const flow = q.flow ?? 'outflow';
    const rows = await repo.contractFigures(db, {
      from,
      to,
      previousFrom,
      previousTo,
      groupBy: q.groupBy,
      side: flow === 'outflow' ? 'seller' : 'buyer',
      regionCode: q.regionCode,
    });
    const groupBy = q.groupBy;
    const groups: ContractStatsGroup[] =
      groupBy === undefined ? [] : rows.map((r) => ({ key: r.key, label: labelOf(groupBy, r.key), ...figures(r) }));
    if (groupBy === 'month' || groupBy === 'year') groups.sort((a, b) => (a.key < b.key ? -1 : 1));
    else groups.sort((a, b) => b.amount.amount - a.amount.amount || (a.key < b.key ? -1 : 1));
    return { from, to, previousFrom, previousTo, groupBy: groupBy ?? null, flow, regionCode: q.regionCode ?? null, totals: figures(sum(rows)), groups };
  }

  return {
    contracts,

    async overview(): Promise<Overview> {
      const today = localDateOf(clock.now());
      const [achievementStatus, achievementFields, needStatus, needFields, listingStatus, allSales, auctionSales, stages, needConv, achievementConv, ytd] = await Promise.all([
        repo.countByStatus(db, 'achievements'),
        repo.publishedByField(db, 'achievements'),
        repo.countByStatus(db, 'needs'),
        repo.publishedByField(db, 'needs'),
        repo.listingsByStatus(db),
        repo.sales(db, false),
        repo.sales(db, true),
        repo.dealsByStage(db),
        repo.conversion(db, 'needs'),
        repo.conversion(db, 'achievements'),
        contracts({ from: `${today.slice(0, 4)}-01-01`, to: today }),
      ]);
      const byStage = Object.fromEntries(DEAL_STAGES.map((s) => [s, 0])) as Record<DealStage, number>;
      for (const s of stages) byStage[s.key as DealStage] = s.count;
      return {
        achievements: { byStatus: byKey(achievementStatus), byField: achievementFields },
        needs: { byStatus: byKey(needStatus), byField: needFields },
        listings: { byStatus: byKey(listingStatus), ...sales(allSales) },
        auctions: sales(auctionSales),
        deals: { byStage, total: Object.values(byStage).reduce((a, b) => a + b, 0) },
        conversion: {
          needsPublished: needConv.published,
          needsWithDeal: needConv.withDeal,
          needToDeal: ratio(needConv.withDeal, needConv.published),
          achievementsPublished: achievementConv.published,
          achievementsWithDeal: achievementConv.withDeal,
          achievementToDeal: ratio(achievementConv.withDeal, achievementConv.published),
        },
        contracts: { from: ytd.from, to: ytd.to, ...ytd.totals },
      };
    },
  };
}

export type StatsService = ReturnType<typeof createStatsService>;
