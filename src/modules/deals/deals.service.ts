import type { Db, Executor } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { withTransaction } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { badRequest, conflict, forbidden, notFound, preconditionFailed, unprocessable, type FieldError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { Actor } from '../accounts/tokens.js';
import { toDealDto, toDealSummary } from './deals.dto.js';
import type { DealPatch, DealRow, DealScope, DealsRepo } from './deals.repo.js';
import type { CreateDealInput, DealDto, DealSummaryDto, ListDealsQuery, UpdateDealInput } from './deals.schemas.js';
import { DEAL_STAGES, type DealStage } from './deals.tables.js';

export interface DealsDeps {
  db: Db;
  repo: DealsRepo;
  clock: Clock;
}

export interface DealResult {
  deal: DealDto;
  version: number;
}

/** What the trading desk knows when a listing sells. */
export interface SaleInput {
  listingId: string;
  achievementId: string;
  sellerOrganizationId: string;
  buyerOrganizationId: string;
  amountFen: number;
}

const WHAT = 'Deal';
/** Organizations that can be a party (卖方/买方) of a deal: not the operator. */
const PARTY_KINDS = new Set(['university', 'institute', 'enterprise', 'broker']);
const RANK: Record<DealStage, number> = { matched: 0, negotiating: 1, signed: 2, registered: 3, industrialized: 4, cancelled: 5 };
const SIGNED_OR_LATER = new Set<DealStage>(['signed', 'registered', 'industrialized']);
const TERMINAL = new Set<DealStage>(['industrialized', 'cancelled']);

/** min(amount × rate, cap), half up to the fen; BigInt because amount × rate can pass 2^53. */
export function commissionOf(amountFen: number, rateBp: number | null, capFen: number | null): number | null {
  if (rateBp === null) return null;
  const fen = Number((BigInt(amountFen) * BigInt(rateBp) + 5000n) / 10000n);
  return capFen === null ? fen : Math.min(fen, capFen);
}

const toBp = (rate: number): number => Math.round(rate * 10_000);

export const canSeeDeal = (actor: Actor, row: Pick<DealRow, 'brokerOrganizationId' | 'sellerOrganizationId' | 'buyerOrganizationId'>): boolean =>
  actor.isAdmin || [row.brokerOrganizationId, row.sellerOrganizationId, row.buyerOrganizationId].includes(actor.organizationId);

/**
 * Which stage changes a caller may ask for. `registered` is entered only by registering the
 * deal's contract; industrialization follows registration; a registered deal ends only when its
 * contract's cancellation is registered.
 */
function assertTransition(from: DealStage, to: DealStage): void {
  if (to === 'registered') throw conflict('STAGE_SET_BY_REGISTRATION', 'A deal becomes registered when its contract is registered (POST /v1/contracts/{id}/review)');
  if (TERMINAL.has(from)) throw conflict('DEAL_CLOSED', `The deal is ${from}; its stage no longer changes`);
  if (to === 'cancelled') {
    if (from === 'registered') throw conflict('INVALID_STAGE_TRANSITION', "A registered deal ends when its contract's cancellation is registered (POST /v1/contracts/{id}/cancel)");
    return;
  }
  if (to === 'industrialized' && from !== 'registered') throw conflict('INVALID_STAGE_TRANSITION', 'Only a deal whose contract is registered can be industrialized');
  if (RANK[to] <= RANK[from]) throw conflict('INVALID_STAGE_TRANSITION', `Stages move forward: ${from} → ${to} is not allowed`);
}

export function createDealsService(deps: DealsDeps) {
  const { db, repo, clock } = deps;

  async function result(executor: Executor, row: DealRow): Promise<DealResult> {
    return { deal: toDealDto(row, await repo.events(executor, row.id)), version: row.version };
  }

  async function checkLinks(executor: Executor, input: CreateDealInput, brokerOrganizationId: string | null, errors: FieldError[]): Promise<void> {
    const [seller, buyer] = await Promise.all([repo.organization(executor, input.sellerOrganizationId), repo.organization(executor, input.buyerOrganizationId)]);
    for (const [path, org] of [['sellerOrganizationId', seller], ['buyerOrganizationId', buyer]] as const) {
      if (!org) errors.push({ path, message: 'no such organization' });
      else if (!PARTY_KINDS.has(org.kind)) errors.push({ path, message: `a ${org.kind} organization cannot be a party to a deal` });
    }
    if (input.sellerOrganizationId === input.buyerOrganizationId) errors.push({ path: 'buyerOrganizationId', message: 'the buyer must differ from the seller' });
    if (brokerOrganizationId !== null && [input.sellerOrganizationId, input.buyerOrganizationId].includes(brokerOrganizationId)) {
      errors.push({ path: 'brokerOrganizationId', message: 'the brokerage arranging a deal cannot also be a party to it' });
    }
    if (input.achievementId !== undefined && (await repo.achievementOwner(executor, input.achievementId)) !== input.sellerOrganizationId) {
      errors.push({ path: 'achievementId', message: "not an achievement of the seller's organization" });
    }
    if (input.needId !== undefined && (await repo.needOwner(executor, input.needId)) !== input.buyerOrganizationId) {
      errors.push({ path: 'needId', message: "not a need of the buyer's organization" });
    }
    if (input.listingId !== undefined) {
      const listing = await repo.listingOf(executor, input.listingId);
      if (!listing || listing.sellerOrganizationId !== input.sellerOrganizationId) errors.push({ path: 'listingId', message: "not a listing of the seller's organization" });
      else if (input.achievementId !== undefined && listing.achievementId !== input.achievementId) errors.push({ path: 'achievementId', message: "not the listing's achievement" });
    }
  }

  async function resolveBroker(actor: Actor, input: CreateDealInput, errors: FieldError[]): Promise<string | null> {
    if (!actor.isAdmin) {
      if (input.brokerOrganizationId !== undefined && input.brokerOrganizationId !== actor.organizationId) {
        errors.push({ path: 'brokerOrganizationId', message: 'brokers open deals for their own brokerage' });
      }
      return actor.organizationId;
    }
    if (input.brokerOrganizationId === undefined) return null;
    const broker = await repo.organization(db, input.brokerOrganizationId);
    if (broker?.kind !== 'broker') errors.push({ path: 'brokerOrganizationId', message: 'not a brokerage (kind broker)' });
    return input.brokerOrganizationId;
  }

  function scopeOf(actor: Actor, q: ListDealsQuery): DealScope {
    if (actor.isAdmin) {
      if (q.role !== undefined && q.organizationId === undefined) throw badRequest('ROLE_NEEDS_ORGANIZATION', 'For admins, role filters the deals of organizationId');
      return q.organizationId === undefined ? { kind: 'all' } : { kind: 'organization', organizationId: q.organizationId, role: q.role };
    }
    if (q.organizationId !== undefined && q.organizationId !== actor.organizationId) throw forbidden("Only admins list another organization's deals", 'ADMIN_ONLY');
    return { kind: 'organization', organizationId: actor.organizationId, role: q.role };
  }

  /** Moves a locked deal to a stage the server decides (contract registered or cancelled). */
  async function systemMove(tx: Executor, row: DealRow, to: DealStage, note: string, extra: DealPatch = {}): Promise<void> {
    const now = clock.now();
    const updated = await repo.update(tx, row.id, row.version, { ...extra, stage: to, stageChangedAt: now, updatedAt: now });
    if (!updated) throw new Error(`deal ${row.id} changed under its lock`);
    await repo.insertEvent(tx, { id: newId(), dealId: row.id, fromStage: row.stage, stage: to, note, actorUserId: null, at: now });
  }

  return {
    /** A brokerage (or the operator) opens a deal between a seller and a buyer. */
    async open(actor: Actor, input: CreateDealInput): Promise<DealResult> {
      if (!actor.isAdmin && actor.kind !== 'broker') throw forbidden('Brokers and admins open deals', 'ROLE_NOT_ALLOWED');
      const errors: FieldError[] = [];
      const brokerOrganizationId = await resolveBroker(actor, input, errors);
      await checkLinks(db, input, brokerOrganizationId, errors);
      if (brokerOrganizationId === null && (input.commissionRate !== undefined || input.commissionCap !== undefined)) {
        errors.push({ path: 'commissionRate', message: 'only a deal arranged by a brokerage earns a commission' });
      }
      if (errors.length > 0) throw unprocessable('DEAL_INVALID', 'The deal is not valid', errors);
      const now = clock.now();
      try {
        return await withTransaction(db, async (tx) => {
          const row = await repo.insert(tx, {
            id: newId(),
            origin: actor.isAdmin ? 'admin' : 'broker',
            brokerOrganizationId,
            createdBy: actor.userId,
            sellerOrganizationId: input.sellerOrganizationId,
            buyerOrganizationId: input.buyerOrganizationId,
            achievementId: input.achievementId ?? null,
            needId: input.needId ?? null,
            listingId: input.listingId ?? null,
            stage: 'matched',
            amountFen: input.amount?.amount ?? null,
            commissionRateBp: input.commissionRate === undefined ? null : toBp(input.commissionRate),
            commissionCapFen: input.commissionCap?.amount ?? null,
            stageChangedAt: now,
            createdAt: now,
            updatedAt: now,
          });
          await repo.insertEvent(tx, { id: newId(), dealId: row.id, fromStage: null, stage: 'matched', note: input.note ?? null, actorUserId: actor.userId, at: now });
          return result(tx, row);
        });
      } catch (err) {
        if (isUniqueViolation(err, 'deals_listing_key')) throw conflict('DEAL_EXISTS', 'This listing already has a deal');
        throw err;
      }
    },

    /**
     * Called by the trading desk inside the transaction that closes a sold listing. A broker may
     * have opened a deal on the listing before the sale: when its buyer is the winner, that deal
     * (and its broker and commission terms) becomes the sale's deal at the sale price; when
     * another organization won, it is cancelled with a note, since the achievement is sold, and
     * the sale opens its own deal at `matched`. Idempotent per listing: a repeated close finds
     * the deal the first one opened.
     */
    async openFromSale(tx: Executor, sale: SaleInput, attempt = 1): Promise<DealRow> {
      const now = clock.now();
      const yuan = (sale.amountFen / 100).toFixed(2);
      const existing = await repo.findOpenByListingForUpdate(tx, sale.listingId);
      if (existing && existing.buyerOrganizationId === sale.buyerOrganizationId) {
        if (existing.amountFen === sale.amountFen) return existing;
        const updated = await repo.update(tx, existing.id, existing.version, { amountFen: sale.amountFen, updatedAt: now });
        await repo.insertEvent(tx, { id: newId(), dealId: existing.id, fromStage: existing.stage, stage: existing.stage, note: `挂牌成交 ¥${yuan}: the sale price becomes the deal's amount`, actorUserId: null, at: now });
        return updated!;
      }
      if (existing) {
        await repo.update(tx, existing.id, existing.version, { stage: 'cancelled', stageChangedAt: now, updatedAt: now });
        await repo.insertEvent(tx, { id: newId(), dealId: existing.id, fromStage: existing.stage, stage: 'cancelled', note: 'The listing was sold to another buyer', actorUserId: null, at: now });
      }
      const inserted = await repo.insertForListing(tx, {
        id: newId(),
        origin: 'listing_sale',
        brokerOrganizationId: null,
        createdBy: null,
        sellerOrganizationId: sale.sellerOrganizationId,
        buyerOrganizationId: sale.buyerOrganizationId,
        achievementId: sale.achievementId,
        listingId: sale.listingId,
        stage: 'matched',
        amountFen: sale.amountFen,
        stageChangedAt: now,
        createdAt: now,
        updatedAt: now,
      });
      // A broker's deal for this listing committed between the read and the insert: decide again
      // with it visible (a new statement sees it under READ COMMITTED).
      if (!inserted) {
        if (attempt > 1) throw new Error(`listing ${sale.listingId}: an open deal keeps appearing during the sale`);
        return this.openFromSale(tx, sale, attempt + 1);
      }
      await repo.insertEvent(tx, { id: newId(), dealId: inserted.id, fromStage: null, stage: 'matched', note: `挂牌成交 ¥${yuan}: the contract is to be signed`, actorUserId: null, at: now });
      return inserted;
    },

    async get(actor: Actor, id: string): Promise<DealResult> {
      const row = await repo.findById(db, id);
      if (!row || !canSeeDeal(actor, row)) throw notFound(WHAT);
      return result(db, row);
    },

    async list(actor: Actor, q: ListDealsQuery): Promise<{ items: DealSummaryDto[]; nextCursor: string | null; stageCounts: Record<DealStage, number>; total: number }> {
      const scope = scopeOf(actor, q);
      const after = decodeCursor(q.cursor, 1)?.[0];
      if (after !== undefined && (typeof after !== 'string' || !/^[0-9a-f-]{36}$/.test(after))) throw badRequest('INVALID_CURSOR', 'The cursor is not one this API issued');
      const [rows, counts] = await Promise.all([repo.list(db, { scope, stage: q.stage, afterId: after, limit: q.limit }), repo.stageCounts(db, scope)]);
      const page = rows.slice(0, q.limit);
      const stageCounts = Object.fromEntries(DEAL_STAGES.map((s) => [s, 0])) as Record<DealStage, number>;
      for (const c of counts) stageCounts[c.stage] = c.count;
      return {
        items: page.map(toDealSummary),
        nextCursor: rows.length > q.limit ? encodeCursor([page[page.length - 1]!.id]) : null,
        stageCounts,
        total: Object.values(stageCounts).reduce((a, b) => a + b, 0),
      };
    },

    /** Stage changes, notes and terms, by the deal's broker, its parties and admins (If-Match). */
    async update(actor: Actor, id: string, expectedVersion: number | undefined, patch: UpdateDealInput): Promise<DealResult> {
      return withTransaction(db, async (tx) => {
        const row = await repo.findForUpdate(tx, id);
        if (!row || !canSeeDeal(actor, row)) throw notFound(WHAT);
        if (expectedVersion !== undefined && expectedVersion !== row.version) throw preconditionFailed();
        const termsChange = patch.commissionRate !== undefined || patch.commissionCap !== undefined;
        if (termsChange && !actor.isAdmin && actor.organizationId !== row.brokerOrganizationId) {
          throw forbidden("Only the deal's brokerage and admins set the commission", 'BROKER_ONLY');
        }
        const to = patch.stage !== undefined && patch.stage !== row.stage ? patch.stage : undefined;
        if (to !== undefined) assertTransition(row.stage, to);
        const fixed = SIGNED_OR_LATER.has(row.stage) || row.stage === 'cancelled';
        if (patch.amount !== undefined && fixed) throw conflict('AMOUNT_FIXED', `The amount is fixed once the deal is ${row.stage}`);
        if (termsChange && fixed) throw conflict('COMMISSION_FIXED', `The commission is fixed once the deal is ${row.stage}`);

        const errors: FieldError[] = [];
        if (termsChange && row.brokerOrganizationId === null) errors.push({ path: 'commissionRate', message: 'only a deal arranged by a brokerage earns a commission' });
        const amountFen = patch.amount?.amount ?? row.amountFen;
        const rateBp = patch.commissionRate === undefined ? row.commissionRateBp : patch.commissionRate === null ? null : toBp(patch.commissionRate);
        const capFen = patch.commissionCap === undefined ? row.commissionCapFen : (patch.commissionCap?.amount ?? null);
        if (to === 'signed' && amountFen === null) errors.push({ path: 'amount', message: 'the contract value is required to sign' });
        if (errors.length > 0) throw unprocessable('DEAL_INVALID', 'The change is not valid', errors);

        const now = clock.now();
        const updated = await repo.update(tx, row.id, row.version, {
          amountFen,
          commissionRateBp: rateBp,
          commissionCapFen: capFen,
          ...(to === 'signed' ? { commissionFen: commissionOf(amountFen!, rateBp, capFen) } : {}),
          ...(to !== undefined ? { stage: to, stageChangedAt: now } : {}),
          updatedAt: now,
        });
        if (to !== undefined || patch.note !== undefined) {
          await repo.insertEvent(tx, { id: newId(), dealId: row.id, fromStage: row.stage, stage: to ?? row.stage, note: patch.note ?? null, actorUserId: actor.userId, at: now });
        }
        return result(tx, updated!);
      });
    },

    /** Contract registration: the deal (locked here) moves to registered unless it already ended or moved on. */
    async markRegistered(tx: Executor, dealId: string, contract: { registrationNumber: string; amountFen: number }): Promise<void> {
      const row = await repo.findForUpdate(tx, dealId);
      if (!row || RANK[row.stage] >= RANK.registered) return;
      const amountFen = row.amountFen ?? contract.amountFen;
      await systemMove(tx, row, 'registered', `技术合同已登记, 登记号 ${contract.registrationNumber}`, {
        amountFen,
        commissionFen: row.commissionFen ?? commissionOf(amountFen, row.commissionRateBp, row.commissionCapFen),
      });
    },

    /** A registered cancellation of the deal's contract ends a registered deal. */
    async markContractCancelled(tx: Executor, dealId: string, contract: { registrationNumber: string }): Promise<void> {
      const row = await repo.findForUpdate(tx, dealId);
      if (!row || row.stage !== 'registered') return;
      await systemMove(tx, row, 'cancelled', `技术合同登记已注销, 登记号 ${contract.registrationNumber}`);
    },

    findById: (executor: Executor, id: string) => repo.findById(executor, id),
  };
}

export type DealsService = ReturnType<typeof createDealsService>;
