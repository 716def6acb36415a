import { z } from 'zod';
import { MoneySchema, PageQuerySchema, pageOf } from '../../lib/http.js';
import { ContactSchema, fieldCode, publicationDtoFields, publicationQueryFields, regionCode } from '../../lib/publication-schemas.js';
import { ACHIEVEMENT_STAGES, IP_KINDS, PRICE_KINDS, TRANSFER_MODES } from './achievements.tables.js';

const keyword = z.string().trim().min(1).max(30);

export const TransferModeSchema = z.enum(TRANSFER_MODES).meta({
  id: 'TransferMode',
  description: 'transfer 转让, license 许可, equity 作价投资, joint_development 合作开发, service 技术服务, consulting 技术咨询',
});
export const StageSchema = z.enum(ACHIEVEMENT_STAGES).meta({
  id: 'AchievementStage',
  description: 'lab 初期 (实验室/小试), pilot 中期 (中试), industrialization 成熟应用 (产业化)',
});

export const IpRightSchema = z
  .strictObject({
    kind: z.enum(IP_KINDS).describe('发明专利, 实用新型, 外观设计, 软件著作权, 集成电路布图设计, 植物新品种, 技术秘密'),
    number: z.string().trim().max(50).nullable().default(null).describe('e.g. ZL201910123456.7'),
    status: z.enum(['pending', 'granted', 'expired', 'n/a']).default('granted'),
  })
  .meta({ id: 'IpRight' });

export const PriceSchema = z
  .strictObject({
    kind: z.enum(PRICE_KINDS).describe('fixed asking price, negotiable 面议, or auction'),
    amount: MoneySchema.optional().describe('required when kind is fixed; the asking price'),
  })
  .refine((p) => (p.kind === 'fixed') === (p.amount !== undefined), { message: 'amount is required for fixed prices and only for them', path: ['amount'] })
  .meta({ id: 'Price' });

/**
 * The writable fields of an achievement, without defaults: PATCH must not fill an absent field
 * with its default and so wipe what is stored. Server-owned fields (status, organizationId, …)
 * are not accepted.
 */
const achievementFields = {
  title: z.string().trim().min(4).max(200).describe('成果名称'),
  summary: z.string().trim().min(10).max(2000).describe('成果简介 (public)'),
  description: z.string().trim().max(20_000).describe('详细介绍'),
  descriptionConfidential: z.boolean().describe('when true, description is shown only to the owner and admins'),
  indicators: z.string().trim().max(5000).nullable().describe('技术指标'),
  applications: z.string().trim().max(5000).nullable().describe('应用场景 and economics'),
  keywords: z.array(keyword).max(10).describe('关键词'),
  fieldCodes: z.array(fieldCode).min(1).max(5).describe('codes from GET /v1/fields'),
  trl: z.number().int().min(1).max(9).describe('GB/T 22900 technology readiness level'),
  stage: StageSchema,
  ipRights: z.array(IpRightSchema).max(50),
  transferModes: z.array(TransferModeSchema).min(1).max(6),
  price: PriceSchema,
  institution: z.string().trim().min(2).max(200).describe('完成单位'),
  regionCode,
  contact: ContactSchema.nullable().describe('confidential: never shown to the public'),
  validUntil: z.iso.datetime({ offset: true }).describe('listing expiry; default one year after creation'),
};

export const CreateAchievementBodySchema = z
  .strictObject({
    ...achievementFields,
    description: achievementFields.description.default(''),
    descriptionConfidential: achievementFields.descriptionConfidential.default(false),
    indicators: achievementFields.indicators.default(null),
    applications: achievementFields.applications.default(null),
    keywords: achievementFields.keywords.default([]),
    ipRights: achievementFields.ipRights.default([]),
    contact: achievementFields.contact.default(null),
    validUntil: achievementFields.validUntil.optional(),
  })
  .meta({ id: 'CreateAchievementRequest' });
export type CreateAchievementInput = z.infer<typeof CreateAchievementBodySchema>;

export const UpdateAchievementBodySchema = z
  .strictObject(achievementFields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one field to change' })
  .meta({ id: 'UpdateAchievementRequest' });
export type UpdateAchievementInput = z.infer<typeof UpdateAchievementBodySchema>;

export const AchievementSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    summary: z.string(),
    description: z.string().nullable().describe('null when confidential and the caller may not see it'),
    descriptionConfidential: z.boolean(),
    indicators: z.string().nullable(),
    applications: z.string().nullable(),
    keywords: z.array(z.string()),
    fieldCodes: z.array(z.string()),
    trl: z.number().int(),
    stage: StageSchema,
    ipRights: z.array(z.object({ kind: z.string(), number: z.string().nullable(), status: z.string() })),
    transferModes: z.array(TransferModeSchema),
    price: z.object({ kind: z.enum(PRICE_KINDS), amount: MoneySchema.optional() }),
    institution: z.string(),
    ...publicationDtoFields,
  })
  .meta({ id: 'Achievement' });
export type AchievementDto = z.infer<typeof AchievementSchema>;

export const AchievementPageSchema = pageOf(AchievementSchema).meta({ id: 'AchievementPage' });

export const ListAchievementsQuerySchema = PageQuerySchema.extend({
  ...publicationQueryFields,
  trlMin: z.coerce.number().int().min(1).max(9).optional(),
  maturity: StageSchema.optional(),
  transferMode: TransferModeSchema.optional(),
  priceMax: z.coerce.number().int().min(0).optional().describe('fen; fixed prices at most this, negotiable and auction included'),
  sort: z.enum(['newest', 'oldest', 'trl', 'price']).default('newest'),
});
export type ListAchievementsQuery = z.infer<typeof ListAchievementsQuerySchema>;

// Shared pieces, re-exported for callers that think of them as part of the achievement contract.
export { ContactSchema, PublicationStatusSchema, ReviewBodySchema, fieldCode, regionCode } from '../../lib/publication-schemas.js';
