import { z } from 'zod';
import { MoneySchema } from '../../lib/http.js';
import { regionCode } from '../../lib/publication-schemas.js';
import { DealStageSchema } from '../deals/deals.schemas.js';

export const STATS_GROUPS = ['type', 'category', 'subtype', 'field', 'domain', 'region', 'province', 'sellerKind', 'ipType', 'goal', 'industry', 'month', 'year'] as const;
export type StatsGroup = (typeof STATS_GROUPS)[number];

const statsDate = z.iso.date().refine((d) => d >= '1990-01-01' && d <= '2099-12-31', { message: 'between 1990-01-01 and 2099-12-31' });

export const ContractStatsQuerySchema = z.object({
  from: statsDate.optional().describe('first registration date counted (Beijing, inclusive); default January 1 of the year of `to`'),
  to: statsDate.optional().describe('last registration date counted (inclusive); default today'),
  groupBy: z
    .enum(STATS_GROUPS)
    .optional()
    .describe(
      'type 合同类别; category the national four (开发/转让/咨询/服务, 许可 counted as 转让); subtype; field (fieldCode); domain 技术领域; region (6-digit code of the seller, or of the buyer with flow=inflow; foreign parties as "foreign"); province; sellerKind 卖方性质; ipType 知识产权类别; goal 社会经济目标; industry GB/T 4754 section; month YYYY-MM; year. Absent: totals only',
    ),
  flow: z
    .enum(['outflow', 'inflow'])
    .optional()
    .describe('outflow 输出: contracts whose seller is in regionCode (default); inflow 吸纳: whose buyer is. Also decides the side groupBy=region|province reads'),
  regionCode: regionCode.optional().describe('GB/T 2260 code; a province code matches its cities and counties, a city code its counties'),
});
export type ContractStatsQuery = z.infer<typeof ContractStatsQuerySchema>;

const FiguresSchema = z
  .object({ count: z.number().int(), amount: MoneySchema.describe('成交金额'), technologyAmount: MoneySchema.describe('技术交易额') })
  .meta({ id: 'ContractFigures' });
export type Figures = z.infer<typeof FiguresSchema>;

const GrowthSchema = z
  .object({ count: z.number().nullable(), amount: z.number().nullable(), technologyAmount: z.number().nullable() })
  .describe('year-on-year growth as a ratio (0.314 = +31.4%) against the same period one year earlier; null when that period had none')
  .meta({ id: 'YearOnYearGrowth' });
export type Growth = z.infer<typeof GrowthSchema>;

const figureFields = {
  count: z.number().int(),
  amount: MoneySchema.describe('成交金额'),
  technologyAmount: MoneySchema.describe('技术交易额'),
  previous: FiguresSchema.describe('the same period one year earlier'),
  yoy: GrowthSchema,
};

export const ContractStatsGroupSchema = z
  .object({ key: z.string(), label: z.string().nullable().describe('the name of the code, where it has one'), ...figureFields })
  .meta({ id: 'ContractStatsGroup' });
export type ContractStatsGroup = z.infer<typeof ContractStatsGroupSchema>;

export const ContractStatsSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    previousFrom: z.string(),
    previousTo: z.string(),
    groupBy: z.enum(STATS_GROUPS).nullable(),
    flow: z.enum(['outflow', 'inflow']),
    regionCode: z.string().nullable(),
    totals: z.object(figureFields),
    groups: z.array(ContractStatsGroupSchema).describe('month and year ascending; the others by amount, largest first'),
  })
  .describe('Registered contracts only (the current version of each contract registered and not cancelled), by first registration date')
  .meta({ id: 'ContractStats' });
export type ContractStats = z.infer<typeof ContractStatsSchema>;

const CountByKeySchema = z.record(z.string(), z.number().int());
const FieldCountSchema = z.object({ code: z.string(), name: z.string(), count: z.number().int() }).meta({ id: 'FieldCount' });

const SalesSchema = z
  .object({
    sold: z.number().int(),
    unsold: z.number().int(),
    soldAmount: MoneySchema.describe('sum of the sale prices'),
    soldStartAmount: MoneySchema.describe('sum of the start prices of the sold lots'),
    premium: z.number().nullable().describe('soldAmount / soldStartAmount − 1 (0.28 = sold 28% over start in total)'),
    averagePremium: z.number().nullable().describe('mean over sold lots of price / start − 1'),
  })
  .meta({ id: 'SalesFigures' });

export const OverviewSchema = z
  .object({
    achievements: z.object({ byStatus: CountByKeySchema, byField: z.array(FieldCountSchema).describe('published, by 4567 industry and by 高新技术领域') }),
    needs: z.object({ byStatus: CountByKeySchema, byField: z.array(FieldCountSchema) }),
    listings: z.object({ byStatus: CountByKeySchema, ...SalesSchema.shape }).describe('closed listings: sold vs unsold, with the premium over the start price'),
    auctions: SalesSchema.describe('the listings that went to an online auction'),
    deals: z.object({ byStage: z.record(DealStageSchema, z.number().int()), total: z.number().int() }),
    conversion: z
      .object({
        needsPublished: z.number().int(),
        needsWithDeal: z.number().int(),
        needToDeal: z.number().nullable().describe('needsWithDeal / needsPublished'),
        achievementsPublished: z.number().int(),
        achievementsWithDeal: z.number().int(),
        achievementToDeal: z.number().nullable(),
      })
      .describe('rows ever published that have a deal that was not cancelled'),
    contracts: z
      .object({ from: z.string(), to: z.string(), ...figureFields })
      .describe('registered contracts of the current year to date, with growth over the same days of last year'),
  })
  .meta({ id: 'StatsOverview' });
export type Overview = z.infer<typeof OverviewSchema>;
