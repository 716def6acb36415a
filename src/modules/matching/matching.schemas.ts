import { z } from 'zod';
import { AchievementSchema } from '../achievements/achievements.schemas.js';
import { NeedSchema } from '../needs/needs.schemas.js';

const component = (what: string) => z.number().min(0).max(1).describe(what);

export const MatchExplanationSchema = z
  .object({
    text: component('two-sided term agreement: the share of the source’s subject terms found in this one, averaged with the share of this one’s keyword and title terms found in the source (keywords and title weigh more, rare terms more than common ones)'),
    field: component('field agreement by taxonomy distance: same field 1, parent/child 0.75, siblings 0.5, …'),
    maturity: component('achievement TRL against the need’s minimum: met 1, each level short −1/3'),
    price: component('asking price against the budget: within 1, 面议/auction 0.7, open budget 0.8, over budget falls to 0'),
    region: component('same city 1, same province 0.6, elsewhere 0'),
    freshness: component('publication age, halving every 180 days'),
    sharedFieldCodes: z.array(z.string()).describe('field codes both are filed under (ancestors and crosswalks included), most specific first'),
    matchedTerms: z.array(z.string()).describe('subject terms the two share, most telling first'),
  })
  .meta({ id: 'MatchExplanation' });

export const MatchWeightsSchema = z
  .object({ text: z.number(), field: z.number(), maturity: z.number(), price: z.number(), region: z.number(), freshness: z.number() })
  .describe('score = relevance × (1 − (maturity + price + region + freshness weights) + Σ weight × fit component), relevance = (text weight × text + field weight × field) / (text weight + field weight); the weights sum to 1')
  .meta({ id: 'MatchWeights' });

const score = z.number().min(0).max(1).describe('relevance (text, field) times the fit of the deal (maturity, price, region, freshness), from the explanation’s components and the weights');

export const AchievementMatchSchema = z.object({ achievement: AchievementSchema, score, explanation: MatchExplanationSchema }).meta({ id: 'AchievementMatch' });
export const NeedMatchSchema = z.object({ need: NeedSchema, score, explanation: MatchExplanationSchema }).meta({ id: 'NeedMatch' });

const pageExtras = {
  nextCursor: z.null().describe('matches are one ranked page; raise limit for more'),
  engine: z.enum(['postgres', 'meilisearch']).describe('the engine that proposed the candidates'),
  weights: MatchWeightsSchema,
};

export const AchievementMatchPageSchema = z.object({ items: z.array(AchievementMatchSchema), ...pageExtras }).meta({ id: 'AchievementMatchPage' });
export const NeedMatchPageSchema = z.object({ items: z.array(NeedMatchSchema), ...pageExtras }).meta({ id: 'NeedMatchPage' });

export const MatchQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(50).default(20).describe('how many matches, best first (1–50)'),
});
export type MatchQuery = z.infer<typeof MatchQuerySchema>;
export type AchievementMatchPage = z.infer<typeof AchievementMatchPageSchema>;
export type NeedMatchPage = z.infer<typeof NeedMatchPageSchema>;
export type MatchExplanationDto = z.infer<typeof MatchExplanationSchema>;
