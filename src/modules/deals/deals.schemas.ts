import { z } from 'zod';
import { MoneySchema, PageQuerySchema } from '../../lib/http.js';
import { DEAL_ORIGINS, DEAL_STAGES } from './deals.tables.js';

export const DealStageSchema = z.enum(DEAL_STAGES).meta({
  id: 'DealStage',
  description:
    'matched 已对接 → negotiating 洽谈中 → signed 已签约 → registered 已登记 (set when the deal\'s contract is registered) → industrialized 已产业化; or cancelled 已终止',
});

export const DealOriginSchema = z.enum(DEAL_ORIGINS).meta({
  id: 'DealOrigin',
  description: 'broker: opened by a brokerage; admin: by the platform operator; listing_sale: opened by the trading desk when a listing sold',
});

/** A fraction with at most four decimals (basis points), e.g. 0.01 = 1%. */
const commissionRate = z
  .number()
  .min(0)
  .max(0.3)
  .refine((r) => Math.abs(r * 10_000 - Math.round(r * 10_000)) < 1e-6, { message: 'at most four decimals (whole basis points)' })
  .describe('commission as a fraction of the deal amount, e.g. 0.01 = 1% (whole basis points, at most 0.3)');

export const CreateDealBodySchema = z
  .strictObject({
    sellerOrganizationId: z.uuid().describe('the side transferring the technology (卖方)'),
    buyerOrganizationId: z.uuid().describe('the side acquiring it (买方)'),
    achievementId: z.uuid().optional().describe("an achievement of the seller's organization"),
    needId: z.uuid().optional().describe("a need of the buyer's organization"),
    listingId: z.uuid().optional().describe("a listing of the seller's; one deal per listing"),
    brokerOrganizationId: z.uuid().optional().describe("admins only: the brokerage arranging it (brokers always open deals for their own)"),
    commissionRate: commissionRate.optional(),
    commissionCap: MoneySchema.optional().describe('upper limit of the commission (one county paid 1% capped at ¥30,000)'),
    amount: MoneySchema.optional().describe('the expected contract value, if known'),
    note: z.string().trim().min(1).max(2000).optional().describe('note on the matched stage'),
  })
  .meta({ id: 'CreateDealRequest' });
export type CreateDealInput = z.infer<typeof CreateDealBodySchema>;

export const UpdateDealBodySchema = z
  .strictObject({
    stage: DealStageSchema.optional().describe('the next stage: forward only (skipping allowed), registered only through contract registration; cancelled from any stage before registered'),
    note: z.string().trim().min(1).max(2000).optional().describe('recorded with the stage change, or on the current stage'),
    amount: MoneySchema.optional().describe('the contract value; required to sign unless already known; fixed once signed'),
    commissionRate: commissionRate.nullable().optional().describe('broker or admin; fixed once signed'),
    commissionCap: MoneySchema.nullable().optional().describe('broker or admin; fixed once signed'),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'give a stage, a note or a field to change' })
  .meta({ id: 'UpdateDealRequest' });
export type UpdateDealInput = z.infer<typeof UpdateDealBodySchema>;

export const DealEventSchema = z
  .object({
    fromStage: DealStageSchema.nullable().describe('null for the opening; equal to stage for a note'),
    stage: DealStageSchema,
    note: z.string().nullable(),
    actorUserId: z.uuid().nullable().describe('null when the server acted (listing sale, contract registration)'),
    at: z.string(),
  })
  .meta({ id: 'DealEvent' });

const StageTimesSchema = z
  .object(Object.fromEntries(DEAL_STAGES.map((s) => [s, z.string().nullable()])) as Record<(typeof DEAL_STAGES)[number], z.ZodNullable<z.ZodString>>)
  .describe('when the deal first entered each stage')
  .meta({ id: 'DealStageTimes' });

const dealFields = {
  id: z.uuid(),
  stage: DealStageSchema,
  origin: DealOriginSchema,
  brokerOrganizationId: z.uuid().nullable(),
  sellerOrganizationId: z.uuid(),
  buyerOrganizationId: z.uuid(),
  achievementId: z.uuid().nullable(),
  needId: z.uuid().nullable(),
  listingId: z.uuid().nullable(),
  amount: MoneySchema.nullable(),
  commissionRate: z.number().nullable(),
  commissionCap: MoneySchema.nullable(),
  commission: MoneySchema.nullable().describe('computed on signing: min(amount × rate, cap), rounded half up to the fen'),
  stageChangedAt: z.string(),
  createdBy: z.uuid().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
};

export const DealSummarySchema = z.object(dealFields).meta({ id: 'DealSummary' });
export type DealSummaryDto = z.infer<typeof DealSummarySchema>;

export const DealSchema = z
  .object({ ...dealFields, stageTimes: StageTimesSchema, stageHistory: z.array(DealEventSchema) })
  .meta({ id: 'Deal' });
export type DealDto = z.infer<typeof DealSchema>;

export const StageCountsSchema = z
  .object(Object.fromEntries(DEAL_STAGES.map((s) => [s, z.number().int()])) as Record<(typeof DEAL_STAGES)[number], z.ZodNumber>)
  .describe('deals per stage over everything the caller may see with the other filters applied (not only this page)')
  .meta({ id: 'DealStageCounts' });

export const DealPipelineSchema = z
  .object({ items: z.array(DealSummarySchema), nextCursor: z.string().nullable(), stageCounts: StageCountsSchema, total: z.number().int() })
  .meta({ id: 'DealPipeline' });

export const ListDealsQuerySchema = PageQuerySchema.extend({
  stage: DealStageSchema.optional(),
  role: z.enum(['broker', 'seller', 'buyer']).optional().describe("only deals where the caller's organization has this role"),
  organizationId: z.uuid().optional().describe('admins: deals where this organization is broker, seller or buyer'),
});
export type ListDealsQuery = z.infer<typeof ListDealsQuerySchema>;
