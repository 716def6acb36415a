import { isoDate, money } from '../../lib/http.js';
import { CATEGORY_OF, type ContractType, type NatureCode, type RefusalGround } from './contracts.codes.js';
import type { ContractRow } from './contracts.repo.js';
import type { ContractDto, ContractWithHistoryDto } from './contracts.schemas.js';

type D = ContractDto;
const moneyOrNull = (fen: number | null) => (fen === null ? null : money(fen));

export function toContractDto(row: ContractRow): ContractDto {
  return {
    id: row.id,
    lineageId: row.lineageId,
    revision: row.revision,
    filingKind: row.filingKind,
    status: row.status,
    registrationNumber: row.registrationNumber,
    registeredOn: row.registeredOn,
    title: row.title,
    type: row.type as D['type'],
    subtype: row.subtype as D['subtype'],
    category: CATEGORY_OF[row.type as ContractType],
    sellerOrganizationId: row.sellerOrganizationId,
    buyerOrganizationId: row.buyerOrganizationId,
    seller: { name: row.sellerName, natureCode: row.sellerNatureCode as NatureCode, countryCode: row.sellerCountryCode, regionCode: row.sellerRegionCode },
    buyer: { name: row.buyerName, natureCode: row.buyerNatureCode as NatureCode, countryCode: row.buyerCountryCode, regionCode: row.buyerRegionCode },
    amount: money(row.amountFen),
    technologyAmount: money(row.technologyAmountFen),
    signedOn: row.signedOn,
    validFrom: row.validFrom,
    validTo: row.validTo,
    fieldCode: row.fieldCode,
    technologyDomain: row.technologyDomain as D['technologyDomain'],
    ipType: row.ipType as D['ipType'],
    socioEconomicGoal: row.socioEconomicGoal as D['socioEconomicGoal'],
    industryCode: row.industryCode,
    planSource: row.planSource as D['planSource'],
    expectedNewInvestment: moneyOrNull(row.expectedNewInvestmentFen),
    expectedNewOutput: moneyOrNull(row.expectedNewOutputFen),
    document: { reference: row.documentReference, sha256: row.documentSha256, pages: row.documentPages },
    dealId: row.dealId,
    listingId: row.listingId,
    supersedesId: row.supersedesId,
    reason: row.reason,
    filedBy: row.filedBy,
    filedAt: isoDate(row.filedAt)!,
    reviewWorkingDays: row.reviewWorkingDays,
    reviewClockStartedAt: isoDate(row.reviewClockStartedAt)!,
    reviewDueOn: row.reviewDueOn,
    materialRequest:
      row.materialRequest === null
        ? null
        : { note: row.materialRequest, requestedAt: isoDate(row.materialRequestedAt)!, response: row.materialResponse, suppliedAt: isoDate(row.materialSuppliedAt) },
    decision:
      row.decidedAt === null
        ? null
        : { decidedBy: row.decidedBy, decidedAt: isoDate(row.decidedAt)!, ground: row.refusalGround as RefusalGround | null, reason: row.decisionNote },
    createdAt: isoDate(row.createdAt)!,
    updatedAt: isoDate(row.updatedAt)!,
    version: row.version,
  };
}

export function toContractWithHistory(row: ContractRow, lineage: ContractRow[]): ContractWithHistoryDto {
  return {
    ...toContractDto(row),
    history: lineage.map((v) => ({ id: v.id, revision: v.revision, filingKind: v.filingKind, status: v.status, filedAt: isoDate(v.filedAt)!, decidedAt: isoDate(v.decidedAt), reason: v.reason })),
  };
}
