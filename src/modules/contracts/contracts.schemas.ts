import { z } from 'zod';
import { MoneySchema, PageQuerySchema, pageOf } from '../../lib/http.js';
import { fieldCode, regionCode } from '../../lib/publication-schemas.js';
import {
  CATEGORY_LABELS,
  CONTRACT_SUBTYPES,
  CONTRACT_TYPES,
  DOMAIN_LABELS,
  GOAL_LABELS,
  INDUSTRY_SECTIONS,
  IP_TYPES,
  IP_TYPE_LABELS,
  NATURE_CODES,
  NATURE_LABELS,
  PLAN_SOURCES,
  PLAN_SOURCE_LABELS,
  REFUSAL_GROUNDS,
  REFUSAL_GROUND_LABELS,
  SOCIO_ECONOMIC_GOALS,
  SUBTYPE_LABELS,
  SUBTYPES_OF,
  TECHNOLOGY_DOMAINS,
  TYPE_LABELS,
  describeCodes,
} from './contracts.codes.js';
import { CONTRACT_STATUSES, FILING_KINDS } from './contracts.tables.js';

export const ContractTypeSchema = z.enum(CONTRACT_TYPES).meta({ id: 'ContractType', description: `合同类别 (民法典 第二十章): ${describeCodes(TYPE_LABELS)}` });
export const ContractSubtypeSchema = z.enum(CONTRACT_SUBTYPES).meta({
  id: 'ContractSubtype',
  description: `合同子类; each belongs to one type (${Object.entries(SUBTYPES_OF)
    .map(([t, s]) => `${t}: ${s.join(', ')}`)
    .join('; ')}): ${describeCodes(SUBTYPE_LABELS)}`,
});
export const ContractCategorySchema = z.enum(['development', 'transfer', 'consulting', 'service']).meta({
  id: 'ContractCategory',
  description: `the national four-category grouping (许可 counts as 转让): ${describeCodes(CATEGORY_LABELS)}`,
});
export const NatureCodeSchema = z.enum(NATURE_CODES).meta({ id: 'PartyNatureCode', description: `买/卖方性质 (3-digit legal-entity code): ${describeCodes(NATURE_LABELS)}` });
export const IpTypeSchema = z.enum(IP_TYPES).meta({ id: 'ContractIpType', description: `知识产权类别: ${describeCodes(IP_TYPE_LABELS)}` });
export const TechnologyDomainSchema = z.enum(TECHNOLOGY_DOMAINS).meta({ id: 'ContractTechnologyDomain', description: `技术领域 of the contract statistics: ${describeCodes(DOMAIN_LABELS)}` });
export const SocioEconomicGoalSchema = z.enum(SOCIO_ECONOMIC_GOALS).meta({ id: 'SocioEconomicGoal', description: `社会经济目标: ${describeCodes(GOAL_LABELS)}` });
export const PlanSourceSchema = z.enum(PLAN_SOURCES).meta({ id: 'PlanSource', description: `计划来源: ${describeCodes(PLAN_SOURCE_LABELS)}` });
export const RefusalGroundSchema = z.enum(REFUSAL_GROUNDS).meta({ id: 'RefusalGround', description: `不予登记的理由: ${describeCodes(REFUSAL_GROUND_LABELS)}` });
export const ContractStatusSchema = z.enum(CONTRACT_STATUSES).meta({
  id: 'ContractStatus',
  description:
    'draft (prefilled when a listing sold; not filed: in no review queue and no statistic; the seller side completes it with PATCH and files it with POST /v1/contracts/{id}/submit) → submitted (under review, reviewDueOn set) → material_requested (clock stopped until the filer supplies it) → submitted … → registered | rejected; a registered version becomes superseded when a later change or cancellation of the contract is registered; a registered cancellation is cancelled',
});
export const FilingKindSchema = z.enum(FILING_KINDS).meta({ id: 'FilingKind', description: 'original 认定登记, change 变更登记, cancellation 注销登记' });

const countryCode = z.string().regex(/^\d{3}$/, 'a 3-digit country code').describe('国别代码 (customs statistical country code, 3 digits); 142 = China');
const industryCode = z
  .string()
  .regex(/^[A-T](\d{2}(\d{1,2})?)?$/, 'a GB/T 4754 section letter, optionally with its 2–4 digit division, group or class (e.g. C, C35, C3511)')
  .describe(`国民经济行业 (GB/T 4754-2017): section letter at least (${Object.entries(INDUSTRY_SECTIONS)
    .map(([k, v]) => `${k} ${v.label}`)
    .join('; ')}), optionally followed by the division digits`);
const localDate = z.iso.date();

export const ContractPartyInputSchema = z
  .strictObject({
    natureCode: NatureCodeSchema.optional().describe('买/卖方性质; defaults to 022 for universities and 021 for institutes, required for other organizations'),
    countryCode: countryCode.default('142'),
    regionCode: regionCode.nullable().optional().describe("行政区划代码 (GB/T 2260); defaults to the organization's region; must be absent or null for a foreign party"),
  });

export const ContractDocumentSchema = z
  .strictObject({
    reference: z.string().trim().min(1).max(500).describe('where the signed written contract is stored (file id or URL)'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('SHA-256 of the document file'),
    pages: z.number().int().min(1).max(10_000).optional(),
  })
  .meta({ id: 'ContractDocument' });

/** The JJ-001 content a filing (or a change of it) carries, without the parties. */
const contentFields = {
  title: z.string().trim().min(2).max(200).describe('项目名称'),
  type: ContractTypeSchema,
  subtype: ContractSubtypeSchema,
  amount: MoneySchema.describe('成交金额 (contract value), more than 0'),
  technologyAmount: MoneySchema.describe('技术交易额: the amount less non-technical costs (equipment, materials); at most amount'),
  signedOn: localDate.describe('签订日期; not in the future'),
  validFrom: localDate.describe('有效期限 from'),
  validTo: localDate.describe('有效期限 to; filing is allowed up to this day'),
  fieldCode: fieldCode.describe('field code from GET /v1/fields'),
  technologyDomain: TechnologyDomainSchema,
  ipType: IpTypeSchema,
  socioEconomicGoal: SocioEconomicGoalSchema,
  industryCode,
  planSource: PlanSourceSchema,
  expectedNewInvestment: MoneySchema.nullable().describe('预计新增投入; required for 技术转让 contracts'),
  expectedNewOutput: MoneySchema.nullable().describe('预计新增产值; required for 技术转让 contracts'),
  document: ContractDocumentSchema.nullable().describe('the signed written contract; required: oral contracts are not registered'),
};

export const FileContractBodySchema = z
  .strictObject({
    ...contentFields,
    planSource: contentFields.planSource.default('none'),
    expectedNewInvestment: contentFields.expectedNewInvestment.default(null),
    expectedNewOutput: contentFields.expectedNewOutput.default(null),
    document: contentFields.document.default(null),
    sellerOrganizationId: z.uuid().describe('卖方; the filer is a member of it (or the broker of dealId; or, for a foreign seller, of the buyer)'),
    buyerOrganizationId: z.uuid().describe('买方'),
    seller: ContractPartyInputSchema.default({ countryCode: '142' }),
    buyer: ContractPartyInputSchema.default({ countryCode: '142' }),
    dealId: z.uuid().optional().describe('the deal this contract concludes; registering the contract moves it to registered'),
    listingId: z.uuid().optional().describe('the sold listing this contract concludes'),
  })
  .meta({ id: 'FileContractRequest' });
export type FileContractInput = z.infer<typeof FileContractBodySchema>;

export type ContentPatch = Partial<{ [K in keyof typeof contentFields]: z.infer<(typeof contentFields)[K]> }>;

export const FileChangeBodySchema = z
  .strictObject({ ...contentFields, reason: z.string().trim().min(1).max(2000).describe('why the contract changed') })
  .partial()
  .required({ reason: true })
  .meta({ id: 'FileContractChangeRequest', description: 'the changed JJ-001 fields (others are carried over) and the signed amendment as document' });
export type FileChangeInput = z.infer<typeof FileChangeBodySchema>;

export const FileCancellationBodySchema = z
  .strictObject({
    reason: z.string().trim().min(1).max(2000).describe('why the contract is cancelled (解除/终止)'),
    document: ContractDocumentSchema.optional().describe('the termination agreement, if any'),
  })
  .meta({ id: 'FileContractCancellationRequest' });
export type FileCancellationInput = z.infer<typeof FileCancellationBodySchema>;

export const SupplyMaterialBodySchema = z
  .strictObject({ ...contentFields, note: z.string().trim().min(1).max(2000).describe('what was supplied') })
  .partial()
  .required({ note: true })
  .meta({ id: 'SupplyContractMaterialRequest', description: 'the note, and any corrected JJ-001 fields or document; the review clock restarts' });
export type SupplyMaterialInput = z.infer<typeof SupplyMaterialBodySchema>;

const PartyPatchSchema = z.strictObject({
  natureCode: ContractPartyInputSchema.shape.natureCode,
  countryCode: countryCode.optional(),
  regionCode: ContractPartyInputSchema.shape.regionCode,
});

export const UpdateContractDraftBodySchema = z
  .strictObject({
    ...contentFields,
    seller: PartyPatchSchema.describe("卖方性质, country and region; the organization is the listing's seller"),
    buyer: PartyPatchSchema.describe('买方性质, country and region; the organization is the buyer of the sale'),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one field to change', path: ['body'] })
  .meta({
    id: 'UpdateContractDraftRequest',
    description: 'JJ-001 fields of a draft (others are kept). A draft may stay incomplete; every rule is checked when it is submitted',
  });
export type UpdateContractDraftInput = z.infer<typeof UpdateContractDraftBodySchema>;

export const ReviewContractBodySchema = z
  .strictObject({
    decision: z.enum(['register', 'reject', 'request_material']).describe('register assigns the 登记号; request_material stops the clock until the filer supplies it'),
    ground: RefusalGroundSchema.optional().describe('required to reject'),
    reason: z.string().trim().min(1).max(2000).optional().describe('required to reject or to request material: the filer sees it'),
  })
  .refine((b) => b.decision !== 'reject' || b.ground !== undefined, { message: 'a refusal ground is required to reject', path: ['ground'] })
  .refine((b) => b.decision === 'register' || b.reason !== undefined, { message: 'a reason is required', path: ['reason'] })
  .refine((b) => b.decision === 'reject' || b.ground === undefined, { message: 'a ground is given only to reject', path: ['ground'] })
  .meta({ id: 'ReviewContractRequest' });
export type ReviewContractInput = z.infer<typeof ReviewContractBodySchema>;

const PartySchema = z
  .object({ name: z.string(), natureCode: NatureCodeSchema.nullable().describe('null only on a draft that does not know it yet'), countryCode: z.string(), regionCode: z.string().nullable() })
  .meta({ id: 'ContractParty' });

/** On a draft, the JJ-001 fields the sale could not tell are null until the seller side sets them. */
const draftNull = 'null only on a draft';

const contractDtoFields = {
  id: z.uuid().describe('this filing (version) of the contract'),
  lineageId: z.uuid().describe('the original filing: shared by every version of the contract'),
  revision: z.number().int(),
  filingKind: FilingKindSchema,
  status: ContractStatusSchema,
  registrationNumber: z
    .string()
    .nullable()
    .describe('合同登记编号, 16 digits: YYYY (registration year) + PPCC (province and city digits of the registration region, GB/T 2260) + NN (registration point) + SSSSSS (serial per year and point)'),
  registeredOn: z.string().nullable().describe('Beijing date of the first registration; statistics count the contract in this period'),
  title: z.string(),
  type: ContractTypeSchema,
  subtype: ContractSubtypeSchema.nullable().describe(draftNull),
  category: ContractCategorySchema,
  sellerOrganizationId: z.uuid(),
  buyerOrganizationId: z.uuid(),
  seller: PartySchema,
  buyer: PartySchema,
  amount: MoneySchema,
  technologyAmount: MoneySchema,
  signedOn: z.string().nullable().describe(draftNull),
  validFrom: z.string().nullable().describe(draftNull),
  validTo: z.string().nullable().describe(draftNull),
  fieldCode: z.string(),
  technologyDomain: TechnologyDomainSchema.nullable().describe(draftNull),
  ipType: IpTypeSchema.nullable().describe(draftNull),
  socioEconomicGoal: SocioEconomicGoalSchema.nullable().describe(draftNull),
  industryCode: z.string().nullable().describe(draftNull),
  planSource: PlanSourceSchema,
  expectedNewInvestment: MoneySchema.nullable(),
  expectedNewOutput: MoneySchema.nullable(),
  document: z.object({ reference: z.string().nullable().describe(draftNull), sha256: z.string().nullable(), pages: z.number().int().nullable() }),
  dealId: z.uuid().nullable(),
  listingId: z.uuid().nullable(),
  supersedesId: z.uuid().nullable().describe('the registered version a change or cancellation applies to'),
  reason: z.string().nullable().describe('why a change or cancellation was filed'),
  filedBy: z.uuid().nullable().describe('null while a draft'),
  filedAt: z.string().nullable().describe('null while a draft'),
  reviewWorkingDays: z.number().int().nullable().describe('15, or 30 when the amount is ¥5,000,000 or more; null while a draft'),
  reviewClockStartedAt: z.string().nullable().describe('the filing, or the last supply of requested material; null while a draft'),
  reviewDueOn: z.string().nullable().describe('Beijing date the decision is due: reviewWorkingDays working days after reviewClockStartedAt; null while material is requested'),
  materialRequest: z
    .object({ note: z.string(), requestedAt: z.string(), response: z.string().nullable(), suppliedAt: z.string().nullable() })
    .nullable()
    .describe('the last request for missing material and its answer'),
  decision: z
    .object({ decidedBy: z.uuid().nullable(), decidedAt: z.string(), ground: RefusalGroundSchema.nullable(), reason: z.string().nullable() })
    .nullable()
    .describe('the registration or refusal'),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
};

export const ContractSchema = z.object(contractDtoFields).meta({ id: 'Contract' });
export type ContractDto = z.infer<typeof ContractSchema>;

export const ContractVersionSchema = z
  .object({ id: z.uuid(), revision: z.number().int(), filingKind: FilingKindSchema, status: ContractStatusSchema, filedAt: z.string().nullable(), decidedAt: z.string().nullable(), reason: z.string().nullable() })
  .meta({ id: 'ContractVersion' });

export const ContractWithHistorySchema = z
  .object({ ...contractDtoFields, history: z.array(ContractVersionSchema).describe('every filing of this contract, by revision') })
  .meta({ id: 'ContractWithHistory' });
export type ContractWithHistoryDto = z.infer<typeof ContractWithHistorySchema>;

export const ContractPageSchema = pageOf(ContractSchema).meta({ id: 'ContractPage' });

export const OverdueContractSchema = z
  .object({ ...contractDtoFields, overdueWorkingDays: z.number().int().describe('working days since reviewDueOn') })
  .meta({ id: 'OverdueContract' });
export const OverdueContractPageSchema = pageOf(OverdueContractSchema).meta({ id: 'OverdueContractPage' });

export const ListContractsQuerySchema = PageQuerySchema.extend({
  status: ContractStatusSchema.optional(),
  filingKind: FilingKindSchema.optional(),
  role: z.enum(['seller', 'buyer']).optional().describe("only contracts where the caller's organization is this party"),
  registrationNumber: z.string().regex(/^\d{16}$/).optional(),
  dealId: z.uuid().optional(),
});
export type ListContractsQuery = z.infer<typeof ListContractsQuerySchema>;
