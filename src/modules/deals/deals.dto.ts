import { isoDate, money } from '../../lib/http.js';
import type { DealEventRow, DealRow } from './deals.repo.js';
import type { DealDto, DealSummaryDto } from './deals.schemas.js';
import { DEAL_STAGES, type DealStage } from './deals.tables.js';

const moneyOrNull = (fen: number | null) => (fen === null ? null : money(fen));

export function toDealSummary(row: DealRow): DealSummaryDto {
  return {
    id: row.id,
    stage: row.stage,
    origin: row.origin,
    brokerOrganizationId: row.brokerOrganizationId,
    sellerOrganizationId: row.sellerOrganizationId,
    buyerOrganizationId: row.buyerOrganizationId,
    achievementId: row.achievementId,
    needId: row.needId,
    listingId: row.listingId,
    amount: moneyOrNull(row.amountFen),
    commissionRate: row.commissionRateBp === null ? null : row.commissionRateBp / 10_000,
    commissionCap: moneyOrNull(row.commissionCapFen),
    commission: moneyOrNull(row.commissionFen),
    stageChangedAt: isoDate(row.stageChangedAt)!,
    createdBy: row.createdBy,
    createdAt: isoDate(row.createdAt)!,
    updatedAt: isoDate(row.updatedAt)!,
    version: row.version,
  };
}

export function toDealDto(row: DealRow, events: DealEventRow[]): DealDto {
  const stageTimes = Object.fromEntries(DEAL_STAGES.map((s) => [s, null])) as Record<DealStage, string | null>;
  for (const e of events) {
    if (e.fromStage !== e.stage && stageTimes[e.stage] === null) stageTimes[e.stage] = isoDate(e.at);
  }
  return {
    ...toDealSummary(row),
    stageTimes,
    stageHistory: events.map((e) => ({ fromStage: e.fromStage, stage: e.stage, note: e.note, actorUserId: e.actorUserId, at: isoDate(e.at)! })),
  };
}
