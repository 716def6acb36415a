import type { FieldError } from '../../lib/errors.js';
import type { OrgKind } from '../accounts/accounts.tables.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import { CHINA_COUNTRY_CODE, INDUSTRY_SECTIONS, IP_TYPES_OF_SUBTYPE, IP_TYPE_LABELS, SUBTYPES_OF, type ContractType, type NatureCode } from './contracts.codes.js';
import type { ContractRow } from './contracts.repo.js';
import type { ContentPatch } from './contracts.schemas.js';

/**
 * The JJ-001 content of a filing, as stored (fen, dates as YYYY-MM-DD). The nullable fields are
 * null only on a draft: validateContent reports each one a filing still lacks.
 */
export interface ContractContent {
  title: string;
  type: ContractRow['type'];
  subtype: string | null;
  amountFen: number;
  technologyAmountFen: number;
  signedOn: string | null;
  validFrom: string | null;
  validTo: string | null;
  fieldCode: string;
  technologyDomain: string | null;
  ipType: string | null;
  socioEconomicGoal: string | null;
  industryCode: string | null;
  planSource: string;
  expectedNewInvestmentFen: number | null;
  expectedNewOutputFen: number | null;
  documentReference: string | null;
  documentSha256: string | null;
  documentPages: number | null;
}

/** A party as JJ-001 records it at filing. */
export interface PartySnapshot {
  organizationId: string;
  name: string;
  countryCode: string;
  regionCode: string | null;
  natureCode: NatureCode;
}

/** 技术合同 of ¥5,000,000 (500,000,000 fen) and more get 30 working days instead of 15. */
export const LARGE_CONTRACT_FEN = 500_000_000;
export const reviewWorkingDaysFor = (amountFen: number): number => (amountFen >= LARGE_CONTRACT_FEN ? 30 : 15);

export const DEFAULT_NATURE: Partial<Record<OrgKind, NatureCode>> = { university: '022', institute: '021' };
const NATURES_OF_KIND: Partial<Record<OrgKind, readonly NatureCode[]>> = { university: ['022'], institute: ['021', '023', '024'] };

/** The stored columns of a patch: only the fields given. */
export function contentColumns(patch: ContentPatch): Partial<ContractContent> {
  const out: Partial<ContractContent> = {};
  const copy = ['title', 'type', 'subtype', 'signedOn', 'validFrom', 'validTo', 'fieldCode', 'technologyDomain', 'ipType', 'socioEconomicGoal', 'industryCode', 'planSource'] as const;
  for (const k of copy) if (patch[k] !== undefined) (out as Record<string, unknown>)[k] = patch[k];
  if (patch.amount !== undefined) out.amountFen = patch.amount.amount;
  if (patch.technologyAmount !== undefined) out.technologyAmountFen = patch.technologyAmount.amount;
  if (patch.expectedNewInvestment !== undefined) out.expectedNewInvestmentFen = patch.expectedNewInvestment?.amount ?? null;
  if (patch.expectedNewOutput !== undefined) out.expectedNewOutputFen = patch.expectedNewOutput?.amount ?? null;
  if (patch.document !== undefined) {
    out.documentReference = patch.document?.reference ?? null;
    out.documentSha256 = patch.document?.sha256 ?? null;
    out.documentPages = patch.document?.pages ?? null;
  }
  return out;
}

export function contentOf(row: ContractRow): ContractContent {
  const { title, type, subtype, amountFen, technologyAmountFen, signedOn, validFrom, validTo, fieldCode, technologyDomain, ipType, socioEconomicGoal, industryCode, planSource } = row;
  return {
    title, type, subtype, amountFen, technologyAmountFen, signedOn, validFrom, validTo, fieldCode, technologyDomain, ipType, socioEconomicGoal, industryCode, planSource,
    expectedNewInvestmentFen: row.expectedNewInvestmentFen,
    expectedNewOutputFen: row.expectedNewOutputFen,
    documentReference: row.documentReference,
    documentSha256: row.documentSha256,
    documentPages: row.documentPages,
  };
}

/** The fields a draft may lack and a filing may not, by their API names. */
const REQUIRED_TO_FILE = [
  ['subtype', '合同子类'],
  ['signedOn', '签订日期'],
  ['validFrom', '有效期限 from'],
  ['validTo', '有效期限 to'],
  ['technologyDomain', '技术领域'],
  ['ipType', '知识产权类别'],
  ['socioEconomicGoal', '社会经济目标'],
  ['industryCode', '国民经济行业'],
] as const satisfies readonly (readonly [keyof ContractContent, string])[];

/**
 * Every rule of the JJ-001 content that the schema cannot express; all problems are collected
 * so the filer fixes them in one round. `today` is the Beijing date of the filing. A rule whose
 * fields are missing (a draft's gaps) is skipped: the missing field is the problem reported.
 */
export function validateContent(c: ContractContent, catalog: CatalogService, today: string, errors: FieldError[]): void {
  for (const [path, label] of REQUIRED_TO_FILE) if (c[path] === null) errors.push({ path, message: `${label} is required to file` });
  const type = c.type as ContractType;
  if (c.subtype !== null && !SUBTYPES_OF[type]?.includes(c.subtype as never)) {
    errors.push({ path: 'subtype', message: `${c.subtype} is not a subtype of ${c.type} (allowed: ${SUBTYPES_OF[type]?.join(', ')})` });
  }
  if (c.amountFen <= 0) errors.push({ path: 'amount', message: '成交金额 must be more than 0' });
  if (c.technologyAmountFen > c.amountFen) errors.push({ path: 'technologyAmount', message: '技术交易额 cannot exceed 成交金额 (amount)' });
  if (c.validFrom !== null && c.validTo !== null && c.validFrom > c.validTo) errors.push({ path: 'validTo', message: 'the validity ends before it starts' });
  if (c.signedOn !== null && c.validTo !== null && c.signedOn > c.validTo) errors.push({ path: 'signedOn', message: 'signed after the validity ended' });
  if (c.signedOn !== null && c.signedOn > today) errors.push({ path: 'signedOn', message: `in the future (today is ${today})` });
  if (c.validTo !== null && c.validTo < today) errors.push({ path: 'validTo', message: `the contract's validity ended on ${c.validTo}: registration is filed within the validity` });
  if (!catalog.isField(c.fieldCode)) errors.push({ path: 'fieldCode', message: `unknown field code ${c.fieldCode} (see GET /v1/fields)` });
  const ipTypes = IP_TYPES_OF_SUBTYPE[c.subtype as keyof typeof IP_TYPES_OF_SUBTYPE];
  if (ipTypes && c.ipType !== null && !ipTypes.includes(c.ipType as never)) {
    errors.push({ path: 'ipType', message: `a ${c.subtype} contract concerns ${ipTypes.map((t) => `${t} ${IP_TYPE_LABELS[t]}`).join(' or ')}` });
  }
  const industry = c.industryCode ?? '';
  const section = INDUSTRY_SECTIONS[industry.charAt(0)];
  const division = industry.length >= 3 ? Number(industry.slice(1, 3)) : undefined;
  if (section && division !== undefined && (division < section.divisions[0] || division > section.divisions[1])) {
    errors.push({ path: 'industryCode', message: `section ${industry.charAt(0)} (${section.label}) has divisions ${String(section.divisions[0]).padStart(2, '0')}–${String(section.divisions[1]).padStart(2, '0')}` });
  }
  if (type === 'transfer') {
    if (c.expectedNewInvestmentFen === null) errors.push({ path: 'expectedNewInvestment', message: '预计新增投入 is required for 技术转让 contracts' });
    if (c.expectedNewOutputFen === null) errors.push({ path: 'expectedNewOutput', message: '预计新增产值 is required for 技术转让 contracts' });
  }
  if (c.documentReference === null) errors.push({ path: 'document', message: 'oral contracts are not registered: attach the signed written contract' });
}

export interface PartyOrg {
  id: string;
  name: string;
  kind: OrgKind;
  regionCode: string;
}

/** The JJ-001 record of one party: its nature, country and region, defaulted from the organization. */
export function resolveParty(
  side: 'seller' | 'buyer',
  org: PartyOrg | undefined,
  given: { natureCode?: NatureCode | undefined; countryCode: string; regionCode?: string | null | undefined },
  catalog: CatalogService,
  errors: FieldError[],
): PartySnapshot | undefined {
  if (!org) {
    errors.push({ path: `${side}OrganizationId`, message: 'no such organization' });
    return undefined;
  }
  if (org.kind === 'platform') errors.push({ path: `${side}OrganizationId`, message: 'the platform operator cannot be a party' });
  const natureCode = given.natureCode ?? DEFAULT_NATURE[org.kind];
  const allowed = NATURES_OF_KIND[org.kind];
  if (natureCode === undefined) errors.push({ path: `${side}.natureCode`, message: `required for an organization of kind ${org.kind}` });
  else if (allowed && !allowed.includes(natureCode)) errors.push({ path: `${side}.natureCode`, message: `an organization of kind ${org.kind} has nature ${allowed.join(' or ')}` });
  let regionCode: string | null;
  if (given.countryCode === CHINA_COUNTRY_CODE) {
    regionCode = given.regionCode ?? org.regionCode;
    if (!catalog.isRegion(regionCode) && !catalog.isRegion(`${regionCode.slice(0, 2)}0000`)) {
      errors.push({ path: `${side}.regionCode`, message: `unknown GB/T 2260 region ${regionCode} (see GET /v1/regions)` });
    }
  } else {
    if (given.regionCode != null) errors.push({ path: `${side}.regionCode`, message: 'a foreign party (countryCode other than 142) has no GB/T 2260 region' });
    regionCode = null;
  }
  return natureCode === undefined ? undefined : { organizationId: org.id, name: org.name, countryCode: given.countryCode, regionCode, natureCode };
}
