import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import type { TestUser } from './factories.js';

const cny = (amount: number) => ({ amount, currency: 'CNY' });

/**
 * A valid JJ-001 filing: a university licenses a patent to an enterprise (有限责任公司, 150);
 * signed 2026-02-20, valid three years. Tests override what they exercise.
 */
export function contractInput(sellerOrganizationId: string, buyerOrganizationId: string, overrides: Record<string, unknown> = {}) {
  return {
    title: '寒地水稻精量播种机发明专利实施许可',
    type: 'license',
    subtype: 'patent_license',
    sellerOrganizationId,
    buyerOrganizationId,
    buyer: { natureCode: '150' },
    amount: cny(80_000_000),
    technologyAmount: cny(60_000_000),
    signedOn: '2026-02-20',
    validFrom: '2026-02-20',
    validTo: '2029-02-19',
    fieldCode: 'HLJ.5.05.01',
    technologyDomain: 'advanced_manufacturing',
    ipType: 'invention_patent',
    socioEconomicGoal: 'agriculture',
    industryCode: 'C35',
    document: { reference: 'files/contracts/2026/license-0001.pdf', pages: 12 },
    ...overrides,
  };
}

export { cny };

/** Files through the API and returns the body; throws unless 201. */
export async function fileContract(app: FastifyInstance, filer: TestUser, body: Record<string, unknown>) {
  const res = await request(app.server).post('/v1/contracts').set(filer.auth).send(body);
  if (res.status !== 201) throw new Error(`filing failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; lineageId: string; status: string; reviewDueOn: string; [k: string]: unknown };
}

/** Registers a filing as the admin; returns the body; throws unless 200. */
export async function registerContract(app: FastifyInstance, admin: TestUser, id: string) {
  const res = await request(app.server).post(`/v1/contracts/${id}/review`).set(admin.auth).send({ decision: 'register' });
  if (res.status !== 200) throw new Error(`registration failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; registrationNumber: string; status: string; registeredOn: string; [k: string]: unknown };
}
