import { createHash } from 'node:crypto';
import { and, asc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Db, Tx } from '../src/db/client.js';
import type { Services } from '../src/container.js';
import { organizations, users } from '../src/modules/accounts/accounts.tables.js';
import { achievements } from '../src/modules/achievements/achievements.tables.js';
import { needs } from '../src/modules/needs/needs.tables.js';
import { dueDate } from '../src/modules/catalog/calendar.days.js';
import { contractsRepo } from '../src/modules/contracts/contracts.repo.js';
import { contracts, type ContractStatus } from '../src/modules/contracts/contracts.tables.js';
import { REGISTRATION_POINT, formatRegistrationNumber, regionPrefixOf } from '../src/modules/contracts/contracts.numbers.js';
import { reviewWorkingDaysFor, validateContent, type ContractContent } from '../src/modules/contracts/contracts.validation.js';
import { commissionOf } from '../src/modules/deals/deals.service.js';
import { dealEvents, deals, type DealStage } from '../src/modules/deals/deals.tables.js';
import { DEFAULT_ENTERPRISE_NATURE, ENTERPRISE_NATURE, TITLE_SUFFIX, profileOf } from './data/contract-profiles.js';
import { ORGANIZATIONS, demoEmail, type SeedOrganization } from './data/organizations.js';
import { planSeedContracts, type ContractPlan, type DealPlan, type PipelinePlan } from './contracts.plan.js';

/** Business hours in Beijing: every seeded event happens at 10:00 local (02:00 UTC) on its day. */
const at = (date: string): Date => new Date(`${date}T02:00:00.000Z`);

/** A UUIDv7 with the event's time and bits from a hash of the seed key: the same id on every run. */
export function seedId(key: string, time: Date): string {
  const h = createHash('sha256').update(`techbridge-seed:${key}`).digest('hex');
  const ms = time.getTime().toString(16).padStart(12, '0');
  const variant = ((parseInt(h[3]!, 16) & 0x3) | 0x8).toString(16);
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${h.slice(0, 3)}-${variant}${h.slice(4, 7)}-${h.slice(7, 19)}`;
}

interface OrgRef {
  id: string;
  name: string;
  regionCode: string;
  userId: string;
}

const natureOf = (o: SeedOrganization): string => (o.kind === 'university' ? '022' : o.kind === 'institute' ? '021' : (ENTERPRISE_NATURE[o.slug] ?? DEFAULT_ENTERPRISE_NATURE));

async function seedOrganizations(db: Db): Promise<Map<string, OrgRef>> {
  const rows = await db
    .select({ email: users.email, userId: users.id, id: organizations.id, name: organizations.name, regionCode: organizations.regionCode })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.organizationId))
    .where(inArray(users.email, ORGANIZATIONS.map((o) => demoEmail(o.slug))));
  const bySlug = new Map<string, OrgRef>();
  for (const r of rows) bySlug.set(r.email.replace(/^demo\+/, '').replace(/@techbridge\.example$/, ''), r);
  return bySlug;
}

/** The first published achievement / need of each organization, for the deals' links. */
async function firstPublished(db: Db, table: 'achievements' | 'needs'): Promise<Map<string, string>> {
  const t = table === 'achievements' ? achievements : needs;
  const rows = await db.select({ id: t.id, organizationId: t.organizationId }).from(t).where(isNotNull(t.publishedAt)).orderBy(asc(t.createdAt), asc(t.id));
  const out = new Map<string, string>();
  for (const r of rows) if (!out.has(r.organizationId)) out.set(r.organizationId, r.id);
  return out;
}

/**
 * Loads the demo pipeline (deals at every stage) and two years of registered technology
 * contracts between the seed organizations (seeds/contracts.plan.ts). Run after the organizations,
 * achievements and needs are loaded. Idempotent: rows have ids derived from their seed key and are
 * inserted with ON CONFLICT DO NOTHING; 登记号 are drawn from the live counters only for contracts
 * not loaded yet, so they never collide with registrations made through the API.
 */
export async function loadDealsAndContracts(db: Db, services: Services): Promise<Record<string, number>> {
  const { contracts: plans, pipeline } = planSeedContracts();
  const orgs = await seedOrganizations(db);
  const broker = orgs.get('kechuang-broker');
  const [admin] = await db
    .select({ userId: users.id })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.organizationId))
    .where(and(eq(organizations.kind, 'platform'), eq(users.role, 'admin')))
    .orderBy(asc(users.createdAt), asc(users.id))
    .limit(1);
  const [achievementOf, needOf] = await Promise.all([firstPublished(db, 'achievements'), firstPublished(db, 'needs')]);
  const counts = { deals: 0, dealEvents: 0, contracts: 0, registered: 0, skipped: 0 };
  const ready = (p: { seller: SeedOrganization; buyer: SeedOrganization; deal: DealPlan | null }) => orgs.has(p.seller.slug) && orgs.has(p.buyer.slug) && (!p.deal || broker !== undefined);

  async function insertDeal(tx: Tx, key: string, p: { seller: SeedOrganization; buyer: SeedOrganization; deal: DealPlan }, amountFen: number | null): Promise<string> {
    const seller = orgs.get(p.seller.slug)!;
    const buyer = orgs.get(p.buyer.slug)!;
    const d = p.deal;
    const opened = at(d.path[0]![1]);
    const id = seedId(`${key}:deal`, opened);
    const last = d.path[d.path.length - 1]!;
    const signed = d.path.some(([s]) => s === 'signed');
    const [row] = await tx
      .insert(deals)
      .values({
        id,
        origin: 'broker',
        brokerOrganizationId: broker!.id,
        createdBy: broker!.userId,
        sellerOrganizationId: seller.id,
        buyerOrganizationId: buyer.id,
        achievementId: achievementOf.get(seller.id) ?? null,
        needId: d.linkNeed ? (needOf.get(buyer.id) ?? null) : null,
        stage: d.stage,
        amountFen,
        commissionRateBp: d.rateBp,
        commissionCapFen: d.capFen,
        commissionFen: signed && amountFen !== null ? commissionOf(amountFen, d.rateBp, d.capFen) : null,
        stageChangedAt: at(last[1]),
        createdAt: opened,
        updatedAt: at(last[1]),
      })
      .onConflictDoNothing()
      .returning({ id: deals.id });
    if (!row) return id;
    counts.deals++;
    let from: DealStage | null = null;
    for (const [stage, on] of d.path) {
      const actorUserId = stage === 'registered' || (stage === 'cancelled' && from === 'registered') ? null : broker!.userId;
      await tx.insert(dealEvents).values({ id: seedId(`${key}:deal:${stage}`, at(on)), dealId: id, fromStage: from, stage: stage as DealStage, note: null, actorUserId, at: at(on) }).onConflictDoNothing();
      counts.dealEvents++;
      from = stage as DealStage;
    }
    return id;
  }

  function contentOf(c: ContractPlan): ContractContent {
    const profile = profileOf(c.fieldCode);
    const transfer = c.type === 'transfer';
    return {
      title: `${services.catalog.field(c.fieldCode)?.name ?? ''}${c.subject}${TITLE_SUFFIX[c.subtype] ?? '合同'}`,
      type: c.type,
      subtype: c.subtype,
      amountFen: c.amountFen,
      technologyAmountFen: c.technologyAmountFen,
      signedOn: c.signedOn,
      validFrom: c.signedOn,
      validTo: c.validTo,
      fieldCode: c.fieldCode,
      technologyDomain: profile.domain,
      ipType: c.ipType,
      socioEconomicGoal: profile.goal,
      industryCode: profile.industry,
      planSource: c.amountFen >= 300_000_000 ? 'provincial' : 'none',
      expectedNewInvestmentFen: transfer ? c.amountFen * 3 : null,
      expectedNewOutputFen: transfer ? c.amountFen * 12 : null,
      documentReference: `seed/contracts/${c.key}.pdf`,
      documentSha256: createHash('sha256').update(c.key).digest('hex'),
      documentPages: 8 + (c.amountFen % 17),
    };
  }

  async function insertContract(tx: Tx, c: ContractPlan, dealId: string | null): Promise<void> {
    const seller = orgs.get(c.seller.slug)!;
    const buyer = orgs.get(c.buyer.slug)!;
    const content = contentOf(c);
    const errors: { path: string; message: string }[] = [];
    validateContent(content, services.catalog, c.filedOn, errors);
    if (errors.length > 0) throw new Error(`seed contract ${c.key} is not valid: ${JSON.stringify(errors)}`);
    const filedAt = at(c.filedOn);
    const id = seedId(c.key, filedAt);
    if ((await tx.select({ id: contracts.id }).from(contracts).where(eq(contracts.id, id))).length > 0) return;
    const n = reviewWorkingDaysFor(c.amountFen);
    let registrationNumber: string | null = null;
    if (c.registeredOn) {
      const key = { year: Number(c.registeredOn.slice(0, 4)), regionPrefix: regionPrefixOf(seller.regionCode), point: REGISTRATION_POINT };
      registrationNumber = formatRegistrationNumber(key.year, key.regionPrefix, key.point, await contractsRepo.nextSerial(tx, key));
    }
    const decided = c.outcome === 'pending' ? null : at(c.registeredOn ?? c.decidedOn);
    const status: ContractStatus = { registered: 'registered', cancelled: 'superseded', pending: 'submitted', rejected: 'rejected' }[c.outcome] as ContractStatus;
    const filedBy = c.deal?.brokerFiles ? broker!.userId : seller.userId;
    const parties = {
      sellerOrganizationId: seller.id,
      sellerName: seller.name,
      sellerCountryCode: '142',
      sellerRegionCode: seller.regionCode,
      sellerNatureCode: natureOf(c.seller),
      buyerOrganizationId: buyer.id,
      buyerName: buyer.name,
      buyerCountryCode: '142',
      buyerRegionCode: buyer.regionCode,
      buyerNatureCode: natureOf(c.buyer),
    };
    const review = { reviewWorkingDays: n, reviewClockStartedAt: filedAt, reviewDueOn: dueDate(c.filedOn, n) };
    await tx.insert(contracts).values({
      ...content,
      ...parties,
      ...review,
      documentReference: content.documentReference!,
      id,
      lineageId: id,
      revision: 1,
      filingKind: 'original',
      status,
      registrationNumber,
      registeredOn: c.registeredOn,
      dealId,
      filedBy,
      filedAt,
      decidedBy: decided ? (admin?.userId ?? null) : null,
      decidedAt: decided,
      refusalGround: c.outcome === 'rejected' ? 'price_unclear' : null,
      decisionNote: c.outcome === 'rejected' ? '合同价款与技术交易额的构成不明确，请补充价款明细后重新申请。' : null,
      createdAt: filedAt,
      updatedAt: c.outcome === 'cancelled' ? at(c.decidedOn) : (decided ?? filedAt),
    });
    counts.contracts++;
    if (c.outcome === 'registered') counts.registered++;
    if (c.outcome === 'cancelled') {
      const cancelFiled = at(c.decidedOn);
      const cancelId = seedId(`${c.key}:cancel`, cancelFiled);
      await tx.insert(contracts).values({
        ...content,
        ...parties,
        ...review,
        documentReference: `seed/contracts/${c.key}-termination.pdf`,
        id: cancelId,
        lineageId: id,
        revision: 2,
        filingKind: 'cancellation',
        supersedesId: id,
        status: 'cancelled',
        registrationNumber,
        registeredOn: c.registeredOn,
        dealId,
        reason: '合同双方协商一致解除合同',
        filedBy: seller.userId,
        filedAt: cancelFiled,
        decidedBy: admin?.userId ?? null,
        decidedAt: cancelFiled,
        createdAt: cancelFiled,
        updatedAt: cancelFiled,
      });
      counts.contracts++;
    }
  }

  await db.transaction(async (tx) => {
    // Registration order, so serials follow the registration dates on a fresh database.
    const ordered = [...plans].sort((a, b) => (a.registeredOn ?? a.filedOn).localeCompare(b.registeredOn ?? b.filedOn) || a.key.localeCompare(b.key));
    for (const c of ordered) {
      if (!ready(c)) {
        counts.skipped++;
        continue;
      }
      const dealId = c.deal ? await insertDeal(tx, c.key, { ...c, deal: c.deal }, c.amountFen) : null;
      await insertContract(tx, c, dealId);
    }
    for (const p of pipeline as PipelinePlan[]) {
      if (!ready(p)) {
        counts.skipped++;
        continue;
      }
      await insertDeal(tx, p.key, p, p.amountFen);
    }
  });
  return counts;
}
