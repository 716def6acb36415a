import type { Executor, Tx } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { withTransaction } from '../../db/tx.js';
import { conflict, forbidden, unprocessable, type FieldError } from '../../lib/errors.js';
import { runIdempotent, type IdempotencyRequest } from '../../lib/idempotency.js';
import { newId } from '../../lib/ids.js';
import type { Actor } from '../accounts/tokens.js';
import { localDateOf } from '../catalog/calendar.days.js';
import type { DealRow } from '../deals/deals.repo.js';
import { canSeeDeal } from '../deals/deals.service.js';
import { loadForSellerSide } from './contracts.access.js';
import { CHINA_COUNTRY_CODE } from './contracts.codes.js';
import { toContractDto } from './contracts.dto.js';
import type { ContractRow, NewContractRow } from './contracts.repo.js';
import type { ContractDto, FileCancellationInput, FileChangeInput, FileContractInput, SupplyMaterialInput } from './contracts.schemas.js';
import type { ContractsDeps } from './contracts.service.js';
import { contentColumns, contentOf, resolveParty, reviewWorkingDaysFor, validateContent, type ContractContent } from './contracts.validation.js';

/** Organization kinds whose members file registrations (admins register them instead). */
const FILER_KINDS = new Set(['university', 'institute', 'enterprise', 'broker']);

const invalid = (errors: FieldError[]) => unprocessable('CONTRACT_INVALID', 'The contract registration is not valid', errors);

const partiesOf = (row: ContractRow) => {
  const { sellerOrganizationId, sellerName, sellerCountryCode, sellerRegionCode, sellerNatureCode, buyerOrganizationId, buyerName, buyerCountryCode, buyerRegionCode, buyerNatureCode } = row;
  return { sellerOrganizationId, sellerName, sellerCountryCode, sellerRegionCode, sellerNatureCode, buyerOrganizationId, buyerName, buyerCountryCode, buyerRegionCode, buyerNatureCode };
};

/** The review clock starting now: 15 or 30 working days by amount, on the calendar as stored in tx. */
export async function reviewClock(deps: Pick<ContractsDeps, 'calendar'>, tx: Executor, amountFen: number, now: Date) {
  const reviewWorkingDays = reviewWorkingDaysFor(amountFen);
  const reviewDueOn = await deps.calendar.dueDate(now, reviewWorkingDays, await deps.calendar.loadClosures(tx));
  return { reviewWorkingDays, reviewClockStartedAt: now, reviewDueOn };
}

type PartyInput = Parameters<typeof resolveParty>[2];

/** What an original filing states: a request body, or a draft being submitted. */
export interface OriginalFiling {
  sellerOrganizationId: string;
  buyerOrganizationId: string;
  seller: PartyInput;
  buyer: PartyInput;
  dealId: string | null;
  listingId: string | null;
  content: ContractContent;
}

/**
 * Every JJ-001 rule of an original filing, all problems at once (422), and the columns of the
 * filed row: parties as recorded at filing, the content, the filer and the review clock.
 * `deal` is the filing's deal if the actor may see it.
 */
export async function checkOriginal(deps: ContractsDeps, tx: Tx, actor: Actor, f: OriginalFiling, deal: DealRow | undefined, now: Date) {
  const { repo, catalog } = deps;
  const errors: FieldError[] = [];
  const orgs = new Map((await repo.organizations(tx, [f.sellerOrganizationId, f.buyerOrganizationId])).map((o) => [o.id, o]));
  const seller = resolveParty('seller', orgs.get(f.sellerOrganizationId), f.seller, catalog, errors);
  const buyer = resolveParty('buyer', orgs.get(f.buyerOrganizationId), f.buyer, catalog, errors);
  if (f.sellerOrganizationId === f.buyerOrganizationId) errors.push({ path: 'buyerOrganizationId', message: 'the buyer must differ from the seller' });
  if (f.seller.countryCode !== CHINA_COUNTRY_CODE && f.buyer.countryCode !== CHINA_COUNTRY_CODE) {
    errors.push({ path: 'buyer.countryCode', message: 'a contract registered here has at least one domestic party' });
  }
  if (f.dealId !== null) {
    if (!deal) errors.push({ path: 'dealId', message: 'no such deal' });
    else if (deal.sellerOrganizationId !== f.sellerOrganizationId || deal.buyerOrganizationId !== f.buyerOrganizationId) {
      errors.push({ path: 'dealId', message: 'the deal is between other parties' });
    } else if (deal.stage === 'cancelled') errors.push({ path: 'dealId', message: 'the deal was cancelled' });
  }
  if (f.listingId !== null) {
    const sale = await repo.listingSale(tx, f.listingId);
    if (!sale || sale.sellerOrganizationId !== f.sellerOrganizationId) errors.push({ path: 'listingId', message: "not a listing of the seller's organization" });
    else if (sale.status !== 'sold') errors.push({ path: 'listingId', message: 'the listing has not sold' });
    else if (sale.buyerOrganizationId !== f.buyerOrganizationId) errors.push({ path: 'listingId', message: 'the listing was sold to another buyer' });
  }
  validateContent(f.content, catalog, localDateOf(now), errors);
  if (errors.length > 0 || !seller || !buyer) throw invalid(errors);
  return {
    ...f.content,
    documentReference: f.content.documentReference!,
    sellerOrganizationId: seller.organizationId,
    sellerName: seller.name,
    sellerCountryCode: seller.countryCode,
    sellerRegionCode: seller.regionCode,
    sellerNatureCode: seller.natureCode,
    buyerOrganizationId: buyer.organizationId,
    buyerName: buyer.name,
    buyerCountryCode: buyer.countryCode,
    buyerRegionCode: buyer.regionCode,
    buyerNatureCode: buyer.natureCode,
    dealId: f.dealId,
    listingId: f.listingId,
    status: 'submitted' as const,
    filedBy: actor.userId,
    filedAt: now,
    ...(await reviewClock(deps, tx, f.content.amountFen, now)),
    updatedAt: now,
  };
}

/** Filing of originals, changes and cancellations, and the supply of requested material. */
export function createFiling(deps: ContractsDeps) {
  const { db, repo, clock, catalog, deals } = deps;

  const idempotency = (actor: Actor, key: string | undefined, scope: string, body: unknown): IdempotencyRequest | undefined =>
    key === undefined ? undefined : { userId: actor.userId, key, scope, body };

  async function fileOriginal(tx: Tx, actor: Actor, input: FileContractInput): Promise<ContractDto> {
    if (actor.isAdmin || !FILER_KINDS.has(actor.kind)) throw forbidden('The seller side files registrations; administrators register them', 'ROLE_NOT_ALLOWED');
    const deal = input.dealId === undefined ? undefined : await deals.findById(tx, input.dealId);
    const visibleDeal = deal && canSeeDeal(actor, deal) ? deal : undefined;
    const foreignSeller = input.seller.countryCode !== CHINA_COUNTRY_CODE;
    const sellerSide =
      actor.organizationId === input.sellerOrganizationId ||
      (visibleDeal?.brokerOrganizationId != null && visibleDeal.brokerOrganizationId === actor.organizationId) ||
      (foreignSeller && actor.organizationId === input.buyerOrganizationId);
    if (!sellerSide) throw forbidden("Only the seller side (its members, or the deal's broker) files the registration", 'NOT_SELLER_SIDE');

    const now = clock.now();
    const filing: OriginalFiling = {
      sellerOrganizationId: input.sellerOrganizationId,
      buyerOrganizationId: input.buyerOrganizationId,
      seller: input.seller,
      buyer: input.buyer,
      dealId: input.dealId ?? null,
      listingId: input.listingId ?? null,
      content: contentColumns(input) as ContractContent,
    };
    const filed = await checkOriginal(deps, tx, actor, filing, visibleDeal, now);
    // A sale's draft is completed by this filing rather than left behind beside it.
    const draft = await repo.draftOfSaleForUpdate(tx, filing);
    if (draft && draft.sellerOrganizationId === filed.sellerOrganizationId && draft.buyerOrganizationId === filed.buyerOrganizationId) {
      return toContractDto(await repo.update(tx, draft.id, { ...filed, dealId: filed.dealId ?? draft.dealId, listingId: filed.listingId ?? draft.listingId }));
    }
    const id = newId();
    const row = await repo.insert(tx, { ...filed, id, lineageId: id, revision: 1, filingKind: 'original', createdAt: now });
    return toContractDto(row);
  }

  /** 变更登记 / 注销登记: a new version of a registered contract, reviewed like the original. */
  async function fileAmendment(tx: Tx, actor: Actor, id: string, kind: 'change' | 'cancellation', input: FileChangeInput | FileCancellationInput): Promise<ContractDto> {
    await loadForSellerSide(repo, tx, actor, id);
    const prev = (await repo.findForUpdate(tx, id))!;
    if (prev.status !== 'registered') {
      const hint = prev.status === 'superseded' ? 'a later version of this contract is registered: file against it' : `this filing is ${prev.status}`;
      throw conflict('CONTRACT_NOT_REGISTERED', `Only the registered version of a contract is changed or cancelled; ${hint}`);
    }
    const lineage = await repo.lineage(tx, prev.lineageId);
    if (lineage.some((v) => v.status === 'submitted' || v.status === 'material_requested')) {
      throw conflict('FILING_PENDING', 'A change or cancellation of this contract is already under review');
    }
    const now = clock.now();
    const errors: FieldError[] = [];
    let content = contentOf(prev);
    if (kind === 'change') {
      const { reason: _reason, ...patch } = input as FileChangeInput;
      const cols = contentColumns(patch);
      const changed = Object.entries(cols).some(([k, v]) => !k.startsWith('document') && content[k as keyof ContractContent] !== v);
      if (!changed) errors.push({ path: 'body', message: 'no JJ-001 field differs from the registered version' });
      content = { ...content, ...cols };
      if (patch.document == null) {
        errors.push({ path: 'document', message: 'attach the signed amendment (变更协议): a change is registered from a written agreement' });
        content = { ...content, documentReference: prev.documentReference, documentSha256: prev.documentSha256, documentPages: prev.documentPages };
      }
      validateContent(content, catalog, localDateOf(now), errors);
    } else if (input.document) {
      content = { ...content, documentReference: input.document.reference, documentSha256: input.document.sha256 ?? null, documentPages: input.document.pages ?? null };
    }
    if (errors.length > 0) throw invalid(errors);

    const row: NewContractRow = {
      ...partiesOf(prev),
      ...content,
      documentReference: content.documentReference!,
      id: newId(),
      lineageId: prev.lineageId,
      revision: Math.max(...lineage.map((v) => v.revision)) + 1,
      filingKind: kind,
      supersedesId: prev.id,
      status: 'submitted',
      registrationNumber: prev.registrationNumber,
      registeredOn: prev.registeredOn,
      dealId: prev.dealId,
      listingId: prev.listingId,
      reason: input.reason,
      filedBy: actor.userId,
      filedAt: now,
      ...(await reviewClock(deps, tx, content.amountFen, now)),
      createdAt: now,
      updatedAt: now,
    };
    try {
      return toContractDto(await repo.insert(tx, row));
    } catch (err) {
      // Backstop of the check above (the registered version's lock already serialises filers).
      if (isUniqueViolation(err, 'contracts_lineage_pending_key')) throw conflict('FILING_PENDING', 'A change or cancellation of this contract is already under review');
      throw err;
    }
  }

  return {
    file: (actor: Actor, input: FileContractInput, idempotencyKey?: string) =>
      runIdempotent(db, idempotency(actor, idempotencyKey, 'POST /v1/contracts', input), 201, (tx) => fileOriginal(tx, actor, input)),

    fileChange: (actor: Actor, id: string, input: FileChangeInput, idempotencyKey?: string) =>
      runIdempotent(db, idempotency(actor, idempotencyKey, `POST /v1/contracts/${id}/changes`, input), 201, (tx) => fileAmendment(tx, actor, id, 'change', input)),

    fileCancellation: (actor: Actor, id: string, input: FileCancellationInput, idempotencyKey?: string) =>
      runIdempotent(db, idempotency(actor, idempotencyKey, `POST /v1/contracts/${id}/cancel`, input), 201, (tx) => fileAmendment(tx, actor, id, 'cancellation', input)),

    /** The filer answers a request for material: corrections are applied and the review clock restarts. */
    async supplyMaterial(actor: Actor, id: string, input: SupplyMaterialInput): Promise<ContractDto> {
      return withTransaction(db, async (tx) => {
        await loadForSellerSide(repo, tx, actor, id);
        const row = (await repo.findForUpdate(tx, id))!;
        if (row.status !== 'material_requested') throw conflict('CONTRACT_NOT_AWAITING_MATERIAL', `No material is requested: the filing is ${row.status}`);
        const { note, ...patch } = input;
        const cols = contentColumns(patch);
        const now = clock.now();
        const errors: FieldError[] = [];
        const content = { ...contentOf(row), ...cols };
        if (row.filingKind === 'cancellation') {
          if (Object.keys(cols).some((k) => !k.startsWith('document'))) errors.push({ path: 'body', message: 'a cancellation carries no JJ-001 fields to correct; give a note and, if asked, a document' });
          if (content.documentReference === null) errors.push({ path: 'document', message: 'cannot be removed' });
        } else {
          validateContent(content, catalog, localDateOf(now), errors);
        }
        if (errors.length > 0) throw invalid(errors);
        const updated = await repo.update(tx, row.id, {
          ...cols,
          documentReference: content.documentReference!,
          status: 'submitted',
          ...(await reviewClock(deps, tx, content.amountFen, now)),
          materialResponse: note,
          materialSuppliedAt: now,
          updatedAt: now,
        });
        return toContractDto(updated);
      });
    },
  };
}
