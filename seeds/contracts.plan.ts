import { addCalendarDays, isWorkingDay } from '../src/modules/catalog/calendar.days.js';
import { ORGANIZATIONS, type SeedOrganization } from './data/organizations.js';
import { FIELDS_OF, MONTH_WEIGHTS, SUBJECTS, SUBTYPE_MIX } from './data/contract-profiles.js';

/**
 * The demo deals and contracts, planned as pure data from a fixed seed: the same plan on every
 * run and every machine. 2025 has a full year of registrations; 2026 runs to the end of October,
 * scaled so that January–October 2026 registered 31.4% more 成交金额 than January–October 2025
 * (Heilongjiang's reported growth of technology-contract turnover).
 */
export const GROWTH_PER_MILLE = 1314;
export const LAST_SEED_DAY = '2026-10-31';

export type ContractOutcome = 'registered' | 'cancelled' | 'pending' | 'rejected';

export interface DealPlan {
  stage: 'matched' | 'negotiating' | 'signed' | 'registered' | 'industrialized' | 'cancelled';
  /** stage → Beijing date entered, in order */
  path: [string, string][];
  rateBp: number;
  capFen: number | null;
  /** the broker files the registration for the seller */
  brokerFiles: boolean;
  linkNeed: boolean;
}

export interface ContractPlan {
  key: string;
  seller: SeedOrganization;
  buyer: SeedOrganization;
  /** what the 项目名称 says after the field's name, e.g. 关键技术 */
  subject: string;
  type: string;
  subtype: string;
  ipType: string;
  fieldCode: string;
  amountFen: number;
  techShare: number;
  technologyAmountFen: number;
  signedOn: string;
  validTo: string;
  filedOn: string;
  /** null for pending and rejected filings */
  registeredOn: string | null;
  /** decision day of a rejection, or registration day of a cancellation */
  decidedOn: string;
  outcome: ContractOutcome;
  deal: DealPlan | null;
}

export interface PipelinePlan {
  key: string;
  seller: SeedOrganization;
  buyer: SeedOrganization;
  amountFen: number | null;
  deal: DealPlan;
}

/** mulberry32: a small, fast, well-distributed PRNG; deterministic for a given seed. */
function prng(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
    weighted: <T extends { weight: number }>(xs: readonly T[]): T => {
      let r = next() * xs.reduce((s, x) => s + x.weight, 0);
      for (const x of xs) if ((r -= x.weight) < 0) return x;
      return xs[xs.length - 1]!;
    },
  };
}

const pad = (n: number) => String(n).padStart(2, '0');
const workingOnOrAfter = (date: string) => {
  let d = date;
  while (!isWorkingDay(d)) d = addCalendarDays(d, 1);
  return d;
};

/** Whole counts per month in proportion to the weights (largest remainder). */
function allocate(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w * total) / sum);
  const out = exact.map(Math.floor);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  const missing = total - out.reduce((a, b) => a + b, 0);
  for (let k = 0; k < missing; k++) {
    const i = order[k]![1];
    out[i] = (out[i] ?? 0) + 1;
  }
  return out;
}

const sellers = ORGANIZATIONS.filter((o) => o.kind === 'university' || o.kind === 'institute');
const enterprises = ORGANIZATIONS.filter((o) => o.kind === 'enterprise');
const brokerage = ORGANIZATIONS.find((o) => o.kind === 'broker')!;
const fieldsOf = (o: SeedOrganization) => FIELDS_OF[o.slug] ?? ['HLJ.7.04'];
const industryOf = (code: string) => code.split('.').slice(0, 3).join('.');

export function planSeedContracts(): { contracts: ContractPlan[]; pipeline: PipelinePlan[] } {
  const rnd = prng(20_260_314);

  function buyerFor(seller: SeedOrganization, fieldCode: string): SeedOrganization {
    const near = enterprises.filter((e) => e !== seller && fieldsOf(e).some((f) => industryOf(f) === industryOf(fieldCode)));
    return rnd.pick(near.length > 0 && rnd.chance(0.75) ? near : enterprises.filter((e) => e !== seller));
  }

  function amountYuan(type: string): number {
    const large = rnd.chance(0.08);
    const yuan = large ? 3_000_000 + rnd.next() * 9_000_000 : Math.exp(Math.log(50_000) + rnd.next() * (Math.log(3_000_000) - Math.log(50_000)));
    return Math.max(20_000, Math.round((type === 'development' ? yuan * 1.3 : yuan) / 1000) * 1000);
  }

  function dealFor(signedOn: string, registeredOn: string | null, endOn: string | null, end: DealPlan['stage']): DealPlan {
    const matched = addCalendarDays(signedOn, -rnd.int(20, 90));
    const path: [string, string][] = [['matched', matched], ['negotiating', addCalendarDays(signedOn, -rnd.int(3, 15))], ['signed', signedOn]];
    if (registeredOn) path.push(['registered', registeredOn]);
    if (endOn && end !== 'registered') path.push([end, endOn]);
    const capped = rnd.chance(0.6);
    return { stage: end, path, rateBp: capped ? 100 : 200, capFen: capped ? 3_000_000 : null, brokerFiles: rnd.chance(0.5), linkNeed: rnd.chance(0.4) };
  }

  function contract(key: string, registeredOn: string | null, filedOn: string, outcome: ContractOutcome): ContractPlan {
    const mix = rnd.weighted(SUBTYPE_MIX);
    const seller = mix.subtype === 'technical_intermediary' ? brokerage : rnd.chance(0.8) ? rnd.pick(sellers) : rnd.pick(enterprises);
    const fieldCode = rnd.pick(fieldsOf(seller));
    const buyer = buyerFor(seller, fieldCode);
    const yuan = amountYuan(mix.type);
    const techShare = mix.techShare[0] + rnd.next() * (mix.techShare[1] - mix.techShare[0]);
    const signedOn = addCalendarDays(filedOn, -rnd.int(2, 40));
    const validTo = addCalendarDays(`${Number(signedOn.slice(0, 4)) + rnd.int(1, 3)}${signedOn.slice(4, 8)}01`, 27);
    const decidedOn =
      outcome === 'cancelled' ? workingOnOrAfter(addCalendarDays(registeredOn!, 100)) : outcome === 'rejected' ? workingOnOrAfter(addCalendarDays(filedOn, 12)) : (registeredOn ?? filedOn);
    let deal: DealPlan | null = null;
    if (mix.subtype !== 'technical_intermediary' && outcome !== 'pending' && outcome !== 'rejected' && rnd.chance(0.6)) {
      const industrialize = outcome === 'registered' && rnd.chance(registeredOn! < '2026-01-01' ? 0.35 : 0.1);
      const industrializedOn = industrialize ? workingOnOrAfter(addCalendarDays(registeredOn!, rnd.int(60, 200))) : null;
      if (outcome === 'cancelled') deal = dealFor(signedOn, registeredOn, decidedOn, 'cancelled');
      else if (industrializedOn && industrializedOn <= LAST_SEED_DAY) deal = dealFor(signedOn, registeredOn, industrializedOn, 'industrialized');
      else deal = dealFor(signedOn, registeredOn, null, 'registered');
    }
    return {
      key,
      seller,
      buyer,
      subject: rnd.pick(SUBJECTS),
      type: mix.type,
      subtype: mix.subtype,
      ipType: rnd.pick(mix.ipTypes),
      fieldCode,
      amountFen: yuan * 100,
      techShare,
      technologyAmountFen: 0,
      signedOn,
      validTo,
      filedOn,
      registeredOn,
      decidedOn,
      outcome,
      deal,
    };
  }

  const contracts: ContractPlan[] = [];
  const plan = (year: number, months: number[]) =>
    months.forEach((n, m) => {
      for (let i = 0; i < n; i++) {
        const registeredOn = workingOnOrAfter(`${year}-${pad(m + 1)}-${pad(rnd.int(1, 25))}`);
        const key = `contract-${year}-${pad(m + 1)}-${pad(i + 1)}`;
        const outcome: ContractOutcome = year === 2025 && (m === 2 || m === 7) && i === 0 ? 'cancelled' : 'registered';
        contracts.push(contract(key, registeredOn, addCalendarDays(registeredOn, -rnd.int(5, 20)), outcome));
      }
    });
  plan(2025, allocate(160, MONTH_WEIGHTS));
  plan(2026, [...allocate(140, MONTH_WEIGHTS.slice(0, 10)), 0, 0]);
  for (let i = 0; i < 6; i++) contracts.push(contract(`contract-pending-${i + 1}`, null, workingOnOrAfter(`2026-10-${pad(8 + i * 4)}`), 'pending'));
  contracts.push(contract('contract-rejected-1', null, '2026-09-15', 'rejected'));

  // January–October 2026 is scaled to exactly GROWTH_PER_MILLE‰ of January–October 2025.
  const counts = (c: ContractPlan) => c.outcome === 'registered' && c.registeredOn !== null;
  const base = contracts.filter((c) => counts(c) && c.registeredOn! <= '2025-10-31').reduce((s, c) => s + c.amountFen, 0);
  const target = (base * GROWTH_PER_MILLE) / 1000;
  const later = contracts.filter((c) => counts(c) && c.registeredOn! >= '2026-01-01');
  const factor = target / later.reduce((s, c) => s + c.amountFen, 0);
  for (const c of later) c.amountFen = Math.max(2_000_000, Math.round((c.amountFen * factor) / 100_000) * 100_000);
  const largest = later.reduce((a, b) => (b.amountFen > a.amountFen ? b : a));
  largest.amountFen += target - later.reduce((s, c) => s + c.amountFen, 0);
  for (const c of contracts) c.technologyAmountFen = Math.min(c.amountFen, Math.round((c.amountFen * c.techShare) / 100) * 100);

  const pipeline: PipelinePlan[] = [];
  const stages: [DealPlan['stage'], number][] = [['matched', 8], ['negotiating', 6], ['signed', 4], ['cancelled', 3]];
  for (const [stage, n] of stages) {
    for (let i = 0; i < n; i++) {
      const seller = rnd.pick(sellers);
      const buyer = buyerFor(seller, rnd.pick(fieldsOf(seller)));
      const matched = workingOnOrAfter(`2026-${pad(rnd.int(7, 10))}-${pad(rnd.int(1, 25))}`);
      const path: [string, string][] = [['matched', matched]];
      if (stage !== 'matched') path.push([stage === 'cancelled' ? 'cancelled' : 'negotiating', addCalendarDays(matched, rnd.int(3, 10))]);
      if (stage === 'signed') path.push(['signed', addCalendarDays(matched, rnd.int(11, 20))]);
      const capped = rnd.chance(0.6);
      pipeline.push({
        key: `deal-${stage}-${i + 1}`,
        seller,
        buyer,
        amountFen: stage === 'signed' || stage === 'negotiating' ? amountYuan('development') * 100 : null,
        deal: { stage, path, rateBp: capped ? 100 : 200, capFen: capped ? 3_000_000 : null, brokerFiles: false, linkNeed: rnd.chance(0.6) },
      });
    }
  }
  return { contracts, pipeline };
}
