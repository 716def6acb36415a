import type { Executor } from '../../db/client.js';
import { withTransaction } from '../../db/tx.js';
import { conflict, preconditionFailed } from '../../lib/errors.js';
import { runIdempotent } from '../../lib/idempotency.js';
import { newId } from '../../lib/ids.js';
import type { Actor } from '../accounts/tokens.js';
import type { IpRight } from '../achievements/achievements.tables.js';
import { canSeeDeal } from '../deals/deals.service.js';
import { loadForSellerSide } from './contracts.access.js';
import { CHINA_COUNTRY_CODE, type ContractSubtype, type ContractType, type IpType, type NatureCode } from './contracts.codes.js';
import { toContractDto } from './contracts.dto.js';
import { checkOriginal, type OriginalFiling } from './contracts.filing.js';
import type { ContractPatch, ContractRow } from './contracts.repo.js';
import type { ContractDto, UpdateContractDraftInput } from './contracts.schemas.js';
import type { ContractsDeps } from './contracts.service.js';
import { DEFAULT_NATURE, contentColumns, contentOf } from './contracts.validation.js';

/** What the trading desk knows when a listing sells, with the deal it opened for the sale. */
export interface SaleDraftInput {
  listingId: string;
  dealId: string;
  achievementId: string;
  sellerOrganizationId: string;
  buyerOrganizationId: string;
  amountFen: number;
}

const PATENTS = ['invention_patent', 'utility_model', 'design_patent'] as const;
/** Rights a 技术转让 subtype is named after (the subtype and the IP type share the slug). */
const NAMED_RIGHTS = ['software_copyright', 'ic_layout', 'plant_variety'] as const;

/**
 * The contract type a sale most likely is, from the achievement: a listing sells the rights
 * (技术转让) unless its owner offers only a licence (技术许可); the subtype and IP type follow
 * the strongest live right. Unknown stays null for the seller to choose.
 */
export function saleTermsOf(a: { transferModes: string[]; ipRights: IpRight[] }): { type: ContractType; subtype: ContractSubtype | null; ipType: IpType | null } {
  const live = a.ipRights.filter((r) => r.status !== 'expired');
  const has = (kind: string, status?: IpRight['status']) => live.some((r) => r.kind === kind && (status === undefined || r.status === status));
  const granted = PATENTS.find((k) => has(k, 'granted'));
  if (a.transferModes.includes('license') && !a.transferModes.includes('transfer')) {
    if (granted) return { type: 'license', subtype: 'patent_license', ipType: granted };
    if (has('trade_secret')) return { type: 'license', subtype: 'technical_secret_license', ipType: 'trade_secret' };
    return { type: 'license', subtype: null, ipType: null };
  }
  if (granted) return { type: 'transfer', subtype: 'patent_right', ipType: granted };
  if (PATENTS.some((k) => has(k, 'pending'))) return { type: 'transfer', subtype: 'patent_application_right', ipType: 'patent_application' };
  const named = NAMED_RIGHTS.find((k) => has(k));
  if (named) return { type: 'transfer', subtype: named, ipType: named };
  if (has('trade_secret')) return { type: 'transfer', subtype: 'technical_secret', ipType: 'trade_secret' };
  return { type: 'transfer', subtype: null, ipType: null };
}

/** A draft's stored parties as the filing states them; the organizations' current names are taken at filing. */
function filingOfDraft(row: ContractRow): OriginalFiling {
  const party = (natureCode: string | null, countryCode: string, regionCode: string | null) => ({ natureCode: (natureCode ?? undefined) as NatureCode | undefined, countryCode, regionCode });
  return {
    sellerOrganizationId: row.sellerOrganizationId,
    buyerOrganizationId: row.buyerOrganizationId,
    seller: party(row.sellerNatureCode, row.sellerCountryCode, row.sellerRegionCode),
    buyer: party(row.buyerNatureCode, row.buyerCountryCode, row.buyerRegionCode),
    dealId: row.dealId,
    listingId: row.listingId,
    content: contentOf(row),
  };
}

/** The parties' columns a draft patch sets; a party moved abroad loses its GB/T 2260 region unless one is given. */
function partyColumns(side: 'seller' | 'buyer', given: UpdateContractDraftInput['seller']): ContractPatch {
  if (!given) return {};
  const out: Record<string, unknown> = {};
  if (given.natureCode !== undefined) out[`${side}NatureCode`] = given.natureCode;
  if (given.countryCode !== undefined) out[`${side}CountryCode`] = given.countryCode;
  if (given.regionCode !== undefined) out[`${side}RegionCode`] = given.regionCode;
  else if (given.countryCode !== undefined && given.countryCode !== CHINA_COUNTRY_CODE) out[`${side}RegionCode`] = null;
  return out as ContractPatch;
}

/**
 * Contract drafts: the trading desk prefills one when a listing sells (in the sale's
 * transaction); the seller side completes it and files it. A draft is not a filing: it has no
 * review clock, is in no review queue and in no statistic.
 */
export function createDrafts(deps: ContractsDeps) {
  const { db, repo, clock, deals } = deps;

  /** Locks a draft for the seller side: invisible → 404, not the seller side → 403, stale → 412, filed → 409. */
  async function lockDraft(tx: Executor, actor: Actor, id: string, expectedVersion: number | undefined): Promise<ContractRow> {
    await loadForSellerSide(repo, tx, actor, id);
    const row = (await repo.findForUpdate(tx, id))!;
    if (expectedVersion !== undefined && expectedVersion !== row.version) throw preconditionFailed();
    if (row.status !== 'draft') {
      throw conflict('CONTRACT_NOT_DRAFT', `The filing is ${row.status}: only a draft is edited or submitted (a filing under review is corrected through /material, a registered one through /changes)`);
    }
    return row;
  }

  return {
    /**
     * Called inside the transaction that sells a listing, after the sale's deal was opened: the
     * original of the deal's contract, prefilled from the sale. The caller holds the listing's
     * lock, so sales of one listing are serial; a deal that already has an original (a draft or
     * a filing) gets no second one, and contracts_deal_draft_key backs that up.
     */
    async draftFromSale(tx: Executor, sale: SaleDraftInput): Promise<ContractRow> {
      const existing = await repo.originalOfDeal(tx, sale.dealId);
      if (existing) return existing;
      const [achievement, orgs] = await Promise.all([repo.achievementForDraft(tx, sale.achievementId), repo.organizations(tx, [sale.sellerOrganizationId, sale.buyerOrganizationId])]);
      const seller = orgs.find((o) => o.id === sale.sellerOrganizationId);
      const buyer = orgs.find((o) => o.id === sale.buyerOrganizationId);
      if (!achievement || !seller || !buyer) throw new Error(`sale of listing ${sale.listingId} refers to rows that do not exist`);
      const terms = saleTermsOf(achievement);
      const now = clock.now();
      const id = newId();
      const inserted = await repo.insertDraft(tx, {
        id,
        lineageId: id,
        revision: 1,
        filingKind: 'original',
        status: 'draft',
        title: achievement.title,
        type: terms.type,
        subtype: terms.subtype,
        ipType: terms.ipType,
        sellerOrganizationId: seller.id,
        sellerName: seller.name,
        sellerCountryCode: CHINA_COUNTRY_CODE,
        sellerRegionCode: seller.regionCode,
        sellerNatureCode: DEFAULT_NATURE[seller.kind] ?? null,
        buyerOrganizationId: buyer.id,
        buyerName: buyer.name,
        buyerCountryCode: CHINA_COUNTRY_CODE,
        buyerRegionCode: buyer.regionCode,
        buyerNatureCode: DEFAULT_NATURE[buyer.kind] ?? null,
        // The sale price is the 成交金额; the seller deducts non-technical costs from the 技术交易额.
        amountFen: sale.amountFen,
        technologyAmountFen: sale.amountFen,
        fieldCode: achievement.fieldCodes[0]!,
        planSource: 'none',
        dealId: sale.dealId,
        listingId: sale.listingId,
        createdAt: now,
        updatedAt: now,
      });
      return inserted ?? (await repo.originalOfDeal(tx, sale.dealId))!;
    },

    /** The seller side completes a draft (If-Match); nothing is checked against the JJ-001 rules until it is submitted. */
    async updateDraft(actor: Actor, id: string, expectedVersion: number | undefined, patch: UpdateContractDraftInput): Promise<{ contract: ContractDto; version: number }> {
      return withTransaction(db, async (tx) => {
        const row = await lockDraft(tx, actor, id, expectedVersion);
        const { seller, buyer, ...content } = patch;
        const updated = await repo.update(tx, row.id, { ...contentColumns(content), ...partyColumns('seller', seller), ...partyColumns('buyer', buyer), updatedAt: clock.now() });
        return { contract: toContractDto(updated), version: updated.version };
      });
    },

    /** Files a draft: every JJ-001 rule is checked, all problems at once (422); the review clock starts. */
    submitDraft: (actor: Actor, id: string, expectedVersion: number | undefined, idempotencyKey?: string) =>
      runIdempotent(
        db,
        idempotencyKey === undefined ? undefined : { userId: actor.userId, key: idempotencyKey, scope: `POST /v1/contracts/${id}/submit`, body: { ifMatch: expectedVersion ?? null } },
        200,
        async (tx): Promise<ContractDto> => {
          const row = await lockDraft(tx, actor, id, expectedVersion);
          const deal = row.dealId === null ? undefined : await deals.findById(tx, row.dealId);
          const filed = await checkOriginal(deps, tx, actor, filingOfDraft(row), deal && canSeeDeal(actor, deal) ? deal : undefined, clock.now());
          return toContractDto(await repo.update(tx, row.id, filed));
        },
      ),
  };
}
