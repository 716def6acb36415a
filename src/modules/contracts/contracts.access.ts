import type { Executor } from '../../db/client.js';
import { forbidden, notFound } from '../../lib/errors.js';
import type { Actor } from '../accounts/tokens.js';
import { CHINA_COUNTRY_CODE } from './contracts.codes.js';
import type { ContractRow, ContractWithBroker, ContractsRepo } from './contracts.repo.js';

type Parties = Pick<ContractRow, 'sellerOrganizationId' | 'buyerOrganizationId' | 'sellerCountryCode'>;

/** The parties, the brokerage of the contract's deal, and admins see a contract; others get 404. */
export const canSeeContract = (actor: Actor, row: Parties, brokerOrganizationId: string | null): boolean =>
  actor.isAdmin || [row.sellerOrganizationId, row.buyerOrganizationId, brokerOrganizationId].includes(actor.organizationId);

/**
 * The seller side files, changes and cancels: the seller's members, the brokerage of the deal on
 * its behalf, and, for a technology import (foreign seller), the domestic buyer.
 */
export const isSellerSide = (actor: Actor, row: Parties, brokerOrganizationId: string | null): boolean =>
  actor.organizationId === row.sellerOrganizationId ||
  (brokerOrganizationId !== null && actor.organizationId === brokerOrganizationId) ||
  (row.sellerCountryCode !== CHINA_COUNTRY_CODE && actor.organizationId === row.buyerOrganizationId);

export async function loadVisible(repo: Pick<ContractsRepo, 'findById'>, executor: Executor, actor: Actor, id: string): Promise<ContractWithBroker> {
  const found = await repo.findById(executor, id);
  if (!found || !canSeeContract(actor, found.row, found.brokerOrganizationId)) throw notFound('Contract');
  return found;
}

export async function loadForSellerSide(repo: Pick<ContractsRepo, 'findById'>, executor: Executor, actor: Actor, id: string): Promise<ContractWithBroker> {
  const found = await loadVisible(repo, executor, actor, id);
  if (!isSellerSide(actor, found.row, found.brokerOrganizationId)) {
    throw forbidden("Only the seller side (its members or the deal's broker) files for this contract", 'NOT_SELLER_SIDE');
  }
  return found;
}
