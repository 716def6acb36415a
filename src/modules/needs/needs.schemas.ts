import { z } from 'zod';
import { MoneySchema, PageQuerySchema, pageOf } from '../../lib/http.js';
import { TransferModeSchema } from '../achievements/achievements.schemas.js';
import { ContactSchema, fieldCode, publicationDtoFields, publicationQueryFields, regionCode } from '../../lib/publication-schemas.js';
import { NEED_TYPES } from './needs.tables.js';


export const NeedTypeSchema = z.enum(NEED_TYPES).meta({
  id: 'NeedType',
  description: 'technical_problem 技术难题攻关, technology_introduction 技术引进, joint_rd 联合研发, talent 人才/团队合作',
});

export const BudgetSchema = z
  .strictObject({
    min: MoneySchema.optional(),
    max: MoneySchema.optional(),
    negotiable: z.boolean().default(false).describe('面议: no fixed range, or a range open to negotiation'),
  })
  .refine((b) => b.min === undefined || b.max === undefined || b.min.amount <= b.max.amount, { message: 'min must not exceed max', path: ['min'] })
  .refine((b) => b.negotiable || b.min !== undefined || b.max !== undefined, { message: 'give a range or mark the budget negotiable', path: ['negotiable'] })
  .meta({ id: 'Budget' });

/** The writable fields of a need, without defaults (see achievements.schemas.ts for why). */
const needFields = {
  title: z.string().trim().min(4).max(200).describe('需求名称'),
  summary: z.string().trim().max(2000).describe('public outline; shown when description is confidential'),
  description: z.string().trim().min(10).max(20_000).describe('需求描述: the problem, current state, expected result'),
  descriptionConfidential: z.boolean().describe('when true, description is shown only to the owner and admins'),
  indicators: z.string().trim().max(5000).nullable().describe('期望技术指标'),
  keywords: z.array(z.string().trim().min(1).max(30)).max(10),
  fieldCodes: z.array(fieldCode).min(1).max(5).describe('codes from GET /v1/fields'),
  needType: NeedTypeSchema,
  trlMin: z.number().int().min(1).max(9).nullable().describe('lowest acceptable technology readiness level'),
  budget: BudgetSchema,
  cooperationModes: z.array(TransferModeSchema).min(1).max(6).describe('合作方式'),
  deadline: z.iso.date().nullable().describe('期望完成/截止日期 (YYYY-MM-DD)'),
  regionCode,
  contact: ContactSchema.nullable().describe('confidential: never shown to the public'),
  validUntil: z.iso.datetime({ offset: true }).describe('listing expiry; default one year after creation'),
};

export const CreateNeedBodySchema = z
  .strictObject({
    ...needFields,
    summary: needFields.summary.default(''),
    descriptionConfidential: needFields.descriptionConfidential.default(false),
    indicators: needFields.indicators.default(null),
    keywords: needFields.keywords.default([]),
    trlMin: needFields.trlMin.default(null),
    deadline: needFields.deadline.default(null),
    contact: needFields.contact.default(null),
    validUntil: needFields.validUntil.optional(),
  })
  .meta({ id: 'CreateNeedRequest' });
export type CreateNeedInput = z.infer<typeof CreateNeedBodySchema>;

export const UpdateNeedBodySchema = z
  .strictObject(needFields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one field to change' })
  .meta({ id: 'UpdateNeedRequest' });
export type UpdateNeedInput = z.infer<typeof UpdateNeedBodySchema>;

export const NeedSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    summary: z.string(),
    description: z.string().nullable().describe('null when confidential and the caller may not see it'),
    descriptionConfidential: z.boolean(),
    indicators: z.string().nullable(),
    keywords: z.array(z.string()),
    fieldCodes: z.array(z.string()),
    needType: NeedTypeSchema,
    trlMin: z.number().int().nullable(),
    budget: z.object({ min: MoneySchema.optional(), max: MoneySchema.optional(), negotiable: z.boolean() }),
    cooperationModes: z.array(TransferModeSchema),
    deadline: z.string().nullable(),
    ...publicationDtoFields,
  })
  .meta({ id: 'Need' });
export type NeedDto = z.infer<typeof NeedSchema>;

export const NeedPageSchema = pageOf(NeedSchema).meta({ id: 'NeedPage' });

export const ListNeedsQuerySchema = PageQuerySchema.extend({
  ...publicationQueryFields,
  needType: NeedTypeSchema.optional(),
  cooperationMode: TransferModeSchema.optional(),
  budgetMin: z.coerce.number().int().min(0).optional().describe('fen; needs whose budget can reach at least this (negotiable included)'),
  sort: z.enum(['newest', 'oldest', 'deadline']).default('newest'),
});
export type ListNeedsQuery = z.infer<typeof ListNeedsQuerySchema>;
