import { z } from 'zod';
import { MoneySchema } from '../../lib/http.js';
import { PRICE_KINDS } from '../achievements/achievements.tables.js';
import { StageSchema, TransferModeSchema, fieldCode, regionCode } from '../achievements/achievements.schemas.js';
import { NeedTypeSchema } from '../needs/needs.schemas.js';
import { SEARCH_FACETS, SEARCH_SORTS } from './search.engine.js';

/** A comma-separated query parameter (`?field=HLJ.5,NHT.04`), each item validated. */
const csv = <T extends string>(item: z.ZodType<T>, max: number) =>
  z
    .string()
    .max(500)
    .transform((s) => [...new Set(s.split(',').map((x) => x.trim()).filter(Boolean))])
    .pipe(z.array(item).max(max) as unknown as z.ZodType<T[], string[]>);

export const SearchQuerySchema = z.object({
  q: z.string().trim().max(200).optional().describe('words in any order; Chinese is segmented (jieba), synonyms such as 石墨烯/graphene count as one'),
  type: z.enum(['achievement', 'need']).default('achievement'),
  field: csv(fieldCode, 5).optional().describe('field codes, comma-separated; each matches its descendants (and crosswalked codes)'),
  regionCode: regionCode.optional().describe('a province code matches its cities too, a city its counties'),
  trlMin: z.coerce.number().int().min(1).max(9).optional().describe('achievements: TRL at least this'),
  maturity: csv(StageSchema, 3).optional().describe('achievements: stages, comma-separated'),
  transferMode: csv(TransferModeSchema, 6).optional().describe('achievements: any of these transfer modes'),
  priceMax: z.coerce.number().int().min(0).optional().describe('achievements, fen: fixed price at most this; negotiable and auction included'),
  needType: csv(NeedTypeSchema, 4).optional().describe('needs: any of these types'),
  cooperationMode: csv(TransferModeSchema, 6).optional().describe('needs: any of these cooperation modes'),
  budgetMin: z.coerce.number().int().min(0).optional().describe('needs, fen: budget reaching at least this (or open / negotiable)'),
  facets: csv(z.enum(SEARCH_FACETS), SEARCH_FACETS.length).optional().describe(`counts per value over all matches: ${SEARCH_FACETS.join(', ')}`),
  sort: z.enum(SEARCH_SORTS).default('relevance').describe('relevance; newest; trl (achievements high→low, needs by trlMin low→high); price (achievements low→high, needs by budget high→low)'),
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size, 1–100'),
  cursor: z.string().max(512).optional().describe('Opaque cursor from the previous page'),
});
export type SearchQueryInput = z.infer<typeof SearchQuerySchema>;

const hitBase = {
  id: z.uuid(),
  score: z.number().min(0).max(1).describe('text relevance from the engine, 0–1 (0 without q)'),
  title: z.string(),
  summary: z.string(),
  keywords: z.array(z.string()),
  fieldCodes: z.array(z.string()),
  organizationId: z.uuid(),
  regionCode: z.string(),
  publishedAt: z.string(),
  validUntil: z.string(),
};

export const AchievementSearchHitSchema = z
  .object({
    type: z.literal('achievement'),
    ...hitBase,
    institution: z.string(),
    trl: z.number().int(),
    stage: StageSchema,
    transferModes: z.array(TransferModeSchema),
    price: z.object({ kind: z.enum(PRICE_KINDS), amount: MoneySchema.optional() }),
  })
  .meta({ id: 'AchievementSearchHit' });

export const NeedSearchHitSchema = z
  .object({
    type: z.literal('need'),
    ...hitBase,
    needType: NeedTypeSchema,
    trlMin: z.number().int().nullable(),
    budget: z.object({ min: MoneySchema.optional(), max: MoneySchema.optional(), negotiable: z.boolean() }),
    cooperationModes: z.array(TransferModeSchema),
    deadline: z.string().nullable(),
  })
  .meta({ id: 'NeedSearchHit' });

export const FacetValueSchema = z.object({ value: z.string(), count: z.number().int() }).meta({ id: 'FacetValue' });

export const SearchResultSchema = z
  .object({
    items: z.array(z.discriminatedUnion('type', [AchievementSearchHitSchema, NeedSearchHitSchema])),
    facets: z.record(z.string(), z.array(FacetValueSchema)).describe('requested facets: values by count, high to low'),
    total: z.number().int().describe('matches in all (Meilisearch counts up to 1000)'),
    engine: z.enum(['postgres', 'meilisearch']).describe('which engine answered'),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'SearchResult' });
export type SearchResultDto = z.infer<typeof SearchResultSchema>;
