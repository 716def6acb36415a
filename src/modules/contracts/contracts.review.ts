import type { Tx } from '../../db/client.js';
import { withTransaction } from '../../db/tx.js';
import { conflict, forbidden, notFound } from '../../lib/errors.js';
import type { Actor } from '../accounts/tokens.js';
import { localDateOf } from '../catalog/calendar.days.js';
import { toContractDto } from './contracts.dto.js';
import { MAX_SERIAL, REGISTRATION_POINT, formatRegistrationNumber, regionPrefixOf, registrationRegion } from './contracts.numbers.js';
import type { ContractPatch, ContractRow } from './contracts.repo.js';
import type { ContractDto, ReviewContractInput } from './contracts.schemas.js';
import type { ContractsDeps } from './contracts.service.js';

/** The administrator's decision on a filing: register (assigning the 登记号), reject, or ask for material. */
export function createReview(deps: ContractsDeps) {
  const { db, repo, clock, deals } = deps;

  async function registerOriginal(tx: Tx, row: ContractRow, now: Date, decided: ContractPatch): Promise<ContractRow> {
    const today = localDateOf(now);
    const key = { year: Number(today.slice(0, 4)), regionPrefix: regionPrefixOf(registrationRegion(row)), point: REGISTRATION_POINT };
    const serial = await repo.nextSerial(tx, key);
    if (serial > MAX_SERIAL) throw conflict('REGISTRATION_SERIALS_EXHAUSTED', `Registration point ${key.regionPrefix}${key.point} has used every serial of ${key.year}`);
    const registrationNumber = formatRegistrationNumber(key.year, key.regionPrefix, key.point, serial);
    const updated = await repo.update(tx, row.id, { ...decided, status: 'registered', registrationNumber, registeredOn: today });
    if (row.dealId !== null) await deals.markRegistered(tx, row.dealId, { registrationNumber, amountFen: row.amountFen });
    return updated;
  }

  /** A change or cancellation replaces the registered version (locked by the caller). */
  async function registerAmendment(tx: Tx, row: ContractRow, prev: ContractRow, now: Date, decided: ContractPatch): Promise<ContractRow> {
    if (prev.status !== 'registered') throw conflict('CONTRACT_NOT_REGISTERED', 'The version this filing applies to is no longer the registered one');
    // The old version leaves the "current" unique indexes before the new one enters them.
    await repo.update(tx, prev.id, { status: 'superseded', updatedAt: now });
    const updated = await repo.update(tx, row.id, { ...decided, status: row.filingKind === 'change' ? 'registered' : 'cancelled' });
    if (row.filingKind === 'cancellation' && row.dealId !== null) await deals.markContractCancelled(tx, row.dealId, { registrationNumber: row.registrationNumber! });
    return updated;
  }

  return async function review(actor: Actor, id: string, input: ReviewContractInput): Promise<ContractDto> {
    if (!actor.isAdmin) throw forbidden('Only platform administrators review contract registrations', 'ADMIN_ONLY');
    return withTransaction(db, async (tx) => {
      const found = await repo.findById(tx, id);
      if (!found) throw notFound('Contract');
      // Lock order: the registered version before the filing, as filers of changes do.
      const prev = found.row.supersedesId === null ? undefined : await repo.findForUpdate(tx, found.row.supersedesId);
      const row = (await repo.findForUpdate(tx, id))!;
      if (row.status !== 'submitted') {
        const why =
          row.status === 'material_requested'
            ? 'the filer has not supplied the requested material yet'
            : row.status === 'draft'
              ? 'it is a draft the seller side has not submitted yet'
              : `the filing is ${row.status}`;
        throw conflict('CONTRACT_NOT_UNDER_REVIEW', `Cannot decide: ${why}`);
      }
      const now = clock.now();
      const decided: ContractPatch = { decidedBy: actor.userId, decidedAt: now, updatedAt: now };
      let updated: ContractRow;
      if (input.decision === 'reject') {
        updated = await repo.update(tx, row.id, { ...decided, status: 'rejected', refusalGround: input.ground!, decisionNote: input.reason! });
      } else if (input.decision === 'request_material') {
        updated = await repo.update(tx, row.id, {
          status: 'material_requested',
          materialRequest: input.reason!,
          materialRequestedAt: now,
          materialResponse: null,
          materialSuppliedAt: null,
          reviewDueOn: null,
          updatedAt: now,
        });
      } else {
        const registered = { ...decided, decisionNote: input.reason ?? null };
        updated = prev ? await registerAmendment(tx, row, prev, now, registered) : await registerOriginal(tx, row, now, registered);
      }
      return toContractDto(updated);
    });
  };
}
