import type { achievements } from '../achievements/achievements.tables.js';
import type { needs } from '../needs/needs.tables.js';
import type { AchievementDocument, NeedDocument, SearchDocument, SearchKind } from './search.engine.js';

export type AchievementRow = typeof achievements.$inferSelect;
export type NeedRow = typeof needs.$inferSelect;
export type IndexableRow = { kind: 'achievement'; row: AchievementRow } | { kind: 'need'; row: NeedRow };

/** Only published rows whose validUntil is still ahead are indexed. */
export function isIndexable(row: { status: string; validUntil: Date }, now: Date): boolean {
  return row.status === 'published' && row.validUntil.getTime() > now.getTime();
}

function regionParts(regionCode: string): { provinceCode: string; cityCode: string | null } {
  return {
    provinceCode: `${regionCode.slice(0, 2)}0000`,
    cityCode: regionCode.endsWith('0000') ? null : `${regionCode.slice(0, 4)}00`,
  };
}

/**
 * The public document of an achievement. What is left out is deliberate: contact, confidential
 * description, review reason, creator. (A listing's reserve price lives elsewhere and never
 * reaches this function.)
 */
export function achievementDocument(row: AchievementRow): AchievementDocument {
  return {
    kind: 'achievement',
    id: row.id,
    status: 'published',
    title: row.title,
    summary: row.summary,
    description: row.descriptionConfidential ? null : row.description,
    applications: row.applications,
    keywords: row.keywords,
    fieldCodes: row.fieldCodes,
    fieldPathCodes: row.fieldPathCodes,
    regionCode: row.regionCode,
    ...regionParts(row.regionCode),
    organizationId: row.organizationId,
    institution: row.institution,
    trl: row.trl,
    stage: row.stage,
    transferModes: row.transferModes,
    priceKind: row.priceKind,
    priceFen: row.priceKind === 'fixed' ? row.priceFen : null,
    publishedAt: (row.publishedAt ?? row.updatedAt).getTime(),
    validUntil: row.validUntil.getTime(),
  };
}

/** The public document of a need: the summary, and the description only when it is not confidential. */
export function needDocument(row: NeedRow): NeedDocument {
  return {
    kind: 'need',
    id: row.id,
    status: 'published',
    title: row.title,
    summary: row.summary,
    description: row.descriptionConfidential ? null : row.description,
    keywords: row.keywords,
    fieldCodes: row.fieldCodes,
    fieldPathCodes: row.fieldPathCodes,
    regionCode: row.regionCode,
    ...regionParts(row.regionCode),
    organizationId: row.organizationId,
    needType: row.needType,
    trlMin: row.trlMin,
    budgetMinFen: row.budgetMinFen,
    budgetMaxFen: row.budgetMaxFen,
    budgetNegotiable: row.budgetNegotiable,
    cooperationModes: row.cooperationModes,
    deadline: row.deadline,
    publishedAt: (row.publishedAt ?? row.updatedAt).getTime(),
    validUntil: row.validUntil.getTime(),
  };
}

export function documentOf(r: IndexableRow): SearchDocument {
  return r.kind === 'achievement' ? achievementDocument(r.row) : needDocument(r.row);
}

export const kindOf = (doc: SearchDocument): SearchKind => doc.kind;
