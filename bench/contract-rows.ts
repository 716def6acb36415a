import { FIELDS } from '../src/modules/catalog/catalog.data.js';
import { INDUSTRY_SECTIONS, REFUSAL_GROUNDS, SUBTYPE_LABELS, SUBTYPES_OF, type ContractSubtype, type ContractType } from '../src/modules/contracts/contracts.codes.js';
import { rngFor, uuidv7At, type Rng } from './rows.js';
import { BRANDS, INDUSTRIES, INSTITUTE_TOPICS, ORG_PREFIXES, UNIVERSITY_KINDS } from './vocabulary.js';

/**
 * The bench's technology contracts, as SQL over generate_series: contract g (1, 2, …) is a pure
 * function of g (uniforms from hashint8extended(g, k)), so a batch can be inserted again with ON
 * CONFLICT DO NOTHING and an interrupted fill resumes where it stopped. Distributions follow the
 * shape of the national and Heilongjiang 技术合同 statistics: 技术服务 and 技术开发 dominate the count,
 * amounts are log-normal (median ¥60k–¥800k by subtype, a tail into the hundreds of millions),
 * the number of contracts grows ~25 % a year with a December peak and a Spring Festival trough,
 * and most sellers are in Heilongjiang while buyers come from everywhere.
 */

/** registrations run from the first day to this one (a fixed anchor: the data never depends on the run date) */
export const FIRST_DAY = '2021-01-01';
export const LAST_DAY = '2026-11-20';
/** document_reference prefix: how the bench's rows are found (and deleted with --force) */
export const DOCUMENT_PREFIX = 'bench-contracts/';
/** registration points of the bench's 登记号 (the platform itself uses 01): never collides with a live counter */
const POINT_REGISTERED = 90;
const POINT_CANCELLED = 92;

// Shares of contracts that have, besides their registered version, a history that must not count.
const P_CHANGED = 0.03; // registered, then a change registered: the original is superseded
const P_CANCELLED = 0.015; // another contract of the same shape, registered and then cancelled
const P_REJECTED = 0.03;
const P_SUBMITTED = 0.01;
const P_MATERIAL = 0.003;

type Weighted<T> = readonly (readonly [T, number])[];

function pick<T>(r: Rng, xs: Weighted<T>): T {
  const total = xs.reduce((s, [, w]) => s + w, 0);
  let x = r.next() * total;
  for (const [v, w] of xs) if ((x -= w) < 0) return v;
  return xs[xs.length - 1]![0];
}

// ---- organizations -------------------------------------------------------------------------

const HLJ_CITIES: Weighted<string> = [
  ['230100', 45], ['230600', 10], ['230200', 8], ['231000', 6], ['230800', 6], ['231200', 5], ['230300', 3],
  ['230500', 3], ['231100', 3], ['230400', 2], ['230700', 2], ['230900', 2], ['232700', 1],
];
const OTHER_REGIONS: Weighted<string> = [
  ['110000', 15], ['310000', 8], ['440300', 8], ['210100', 8], ['220100', 8], ['320100', 6], ['330100', 6],
  ['320500', 5], ['210200', 5], ['370100', 5], ['440100', 4], ['370200', 4], ['420100', 4], ['510100', 4],
  ['610100', 4], ['120000', 3], ['130000', 2], ['410000', 2], ['500000', 2], ['220200', 2], ['340000', 2],
];
/** 海关国别代码: Russia, Japan, Korea, the United States, Germany */
const FOREIGN_COUNTRIES: Weighted<string> = [['344', 40], ['116', 15], ['133', 15], ['502', 15], ['304', 15]];
const ENTERPRISE_NATURES: Weighted<string> = [
  ['150', 52], ['160', 14], ['170', 16], ['110', 8], ['120', 1], ['130', 1], ['140', 1], ['180', 1],
  ['210', 1], ['230', 1], ['310', 2], ['330', 2],
];
const PUBLIC_NATURES: Weighted<string> = [['023', 40], ['024', 30], ['010', 20], ['030', 10]];

type Category = 'university' | 'institute' | 'public' | 'enterpriseHlj' | 'enterpriseOther' | 'foreign';
const CATEGORY_SIZES: Readonly<Record<Category, number>> = { university: 40, institute: 80, public: 30, enterpriseHlj: 1_800, enterpriseOther: 1_000, foreign: 50 };
const CATEGORIES = Object.keys(CATEGORY_SIZES) as Category[];
/** who sells and who buys, by count (科研机构 and 高等院校 sell far more than they buy) */
const SELLER_SHARES: Weighted<Category> = [['university', 15], ['institute', 14], ['public', 2], ['enterpriseHlj', 62], ['enterpriseOther', 6.5], ['foreign', 0.5]];
const BUYER_SHARES: Weighted<Category> = [['university', 2.5], ['institute', 2.5], ['public', 4], ['enterpriseHlj', 50], ['enterpriseOther', 39.5], ['foreign', 1.5]];

export interface BenchParty {
  id: string;
  /** the owner user who files for it */
  userId: string;
  name: string;
  kind: 'university' | 'institute' | 'enterprise' | 'platform';
  /** organizations.region_code */
  regionCode: string;
  natureCode: string;
  countryCode: string;
  /** the contract's region for this party: null when foreign */
  contractRegion: string | null;
}

const ORG_STREAM = 21;
const ID_ANCHOR = Date.UTC(2020, 0, 1);
const CITY_NAMES: Readonly<Record<string, string>> = {
  '230100': '哈尔滨', '230200': '齐齐哈尔', '230300': '鸡西', '230400': '鹤岗', '230500': '双鸭山', '230600': '大庆', '230700': '伊春',
  '230800': '佳木斯', '230900': '七台河', '231000': '牡丹江', '231100': '黑河', '231200': '绥化', '232700': '大兴安岭',
};

function party(i: number, category: Category, k: number): BenchParty {
  const r = rngFor(ORG_STREAM, i);
  const id = uuidv7At(ID_ANCHOR + i * 1_000, r);
  const userId = uuidv7At(ID_ANCHOR + i * 1_000 + 1, r);
  const hlj = category === 'public' || category === 'enterpriseHlj' || ((category === 'university' || category === 'institute') && r.chance(0.9));
  const regionCode = category === 'foreign' ? '230100' : hlj ? pick(r, HLJ_CITIES) : pick(r, OTHER_REGIONS);
  const city = CITY_NAMES[regionCode] ?? '';
  const prefix = ORG_PREFIXES[k % ORG_PREFIXES.length]!;
  const base = { id, userId, regionCode, contractRegion: regionCode as string | null, countryCode: '142' };
  switch (category) {
    case 'university':
      return { ...base, kind: 'university', natureCode: '022', name: `${prefix}${UNIVERSITY_KINDS[Math.floor(k / ORG_PREFIXES.length) % UNIVERSITY_KINDS.length]!}（合同基准）` };
    case 'institute':
      return { ...base, kind: 'institute', natureCode: '021', name: `${prefix}${INSTITUTE_TOPICS[k % INSTITUTE_TOPICS.length]!}研究所${k}（合同基准）` };
    case 'public':
      return { ...base, kind: 'institute', natureCode: pick(r, PUBLIC_NATURES), name: `${city}${prefix}公共服务中心${k}（合同基准）` };
    case 'foreign':
      return { ...base, kind: 'enterprise', natureCode: '330', countryCode: pick(r, FOREIGN_COUNTRIES), contractRegion: null, name: `${BRANDS[k % BRANDS.length]!} International Technology Co. ${k}（合同基准）` };
    default:
      return {
        ...base,
        kind: 'enterprise',
        natureCode: pick(r, ENTERPRISE_NATURES),
        name: `${city}${BRANDS[k % BRANDS.length]!}${INDUSTRIES[Math.floor(k / BRANDS.length) % INDUSTRIES.length]!}${k}有限公司（合同基准）`,
      };
  }
}

/** The parties, category by category (each category a contiguous range), then the registry that decides. */
export function benchParties(): { parties: BenchParty[]; ranges: Record<Category, [number, number]>; registry: BenchParty } {
  const parties: BenchParty[] = [];
  const ranges = {} as Record<Category, [number, number]>;
  for (const c of CATEGORIES) {
    ranges[c] = [parties.length, CATEGORY_SIZES[c]];
    for (let k = 0; k < CATEGORY_SIZES[c]; k++) parties.push(party(parties.length, c, k));
  }
  const r = rngFor(ORG_STREAM, parties.length);
  const registry: BenchParty = {
    id: uuidv7At(ID_ANCHOR + parties.length * 1_000, r),
    userId: uuidv7At(ID_ANCHOR + parties.length * 1_000 + 1, r),
    name: '技术合同登记处（合同基准）',
    kind: 'platform',
    regionCode: '230100',
    natureCode: '010',
    countryCode: '142',
    contractRegion: '230100',
  };
  return { parties, ranges, registry };
}

// ---- contracts ------------------------------------------------------------------------------

/** 技术服务 and 技术开发 are most contracts; 转让 and 许可 few but large (shares of the count, %). */
const SUBTYPES: Weighted<ContractSubtype> = [
  ['technical_service', 38], ['technical_training', 5], ['technical_intermediary', 4],
  ['commissioned_development', 24], ['cooperative_development', 6],
  ['consulting', 10],
  ['patent_right', 2.5], ['patent_application_right', 0.8], ['technical_secret', 2.5], ['ic_layout', 0.1], ['plant_variety', 0.4], ['software_copyright', 0.7],
  ['patent_license', 4.5], ['technical_secret_license', 1.5],
];
const typeOf = (s: ContractSubtype) => (Object.keys(SUBTYPES_OF) as ContractType[]).find((t) => SUBTYPES_OF[t].includes(s))!;
/** median amount in yuan, and the lowest share of it that is 技术交易额 */
const AMOUNT_SHAPE: Readonly<Record<ContractSubtype, [number, number]>> = {
  technical_service: [150_000, 0.6], technical_training: [30_000, 0.7], technical_intermediary: [50_000, 0.8],
  commissioned_development: [600_000, 0.7], cooperative_development: [900_000, 0.7], consulting: [80_000, 0.85],
  patent_right: [800_000, 0.9], patent_application_right: [400_000, 0.9], technical_secret: [1_000_000, 0.9], ic_layout: [1_500_000, 0.9],
  plant_variety: [600_000, 0.9], software_copyright: [300_000, 0.9], patent_license: [500_000, 0.9], technical_secret_license: [700_000, 0.9],
};
const AMOUNT_SIGMA = 1.4;
/** IP types: fixed by the subtype when it names a right; otherwise mostly none */
const FIXED_IP: Partial<Record<ContractSubtype, string>> = {
  patent_application_right: 'patent_application', technical_secret: 'trade_secret', technical_secret_license: 'trade_secret',
  ic_layout: 'ic_layout', plant_variety: 'plant_variety', software_copyright: 'software_copyright',
};
const PATENT_IP: Weighted<string> = [['invention_patent', 70], ['utility_model', 25], ['design_patent', 5]];
const OTHER_IP: Weighted<string> = [['none', 70], ['invention_patent', 10], ['software_copyright', 8], ['utility_model', 5], ['trade_secret', 4], ['other', 2], ['new_drug', 1]];

/** the 4567 leaf fields, weighted by how much of the province's technology trade they carry */
const FIELD_WEIGHTS: Readonly<Record<string, number>> = {
  'HLJ.5.03': 4, 'HLJ.5.04': 4, 'HLJ.4.01': 4, 'HLJ.5.05': 3, 'HLJ.4.02': 3, 'HLJ.6.01': 3, 'HLJ.6.03': 2, 'HLJ.6.04': 2, 'HLJ.6.02': 2, 'HLJ.7': 2,
};
const DOMAIN_OF: Readonly<Record<string, string>> = {
  'HLJ.4.01': 'electronic_information', 'HLJ.4.02': 'biomedicine', 'HLJ.4.02.02': 'agriculture', 'HLJ.4.03': 'advanced_manufacturing', 'HLJ.4.04': 'urban_social',
  'HLJ.5.01': 'aerospace', 'HLJ.5.02': 'electronic_information', 'HLJ.5.03': 'new_materials', 'HLJ.5.04': 'advanced_manufacturing', 'HLJ.5.05': 'agriculture',
  'HLJ.6.01': 'new_energy', 'HLJ.6.01.01': 'environment', 'HLJ.6.02': 'new_materials', 'HLJ.6.03': 'agriculture', 'HLJ.6.04': 'biomedicine',
  'HLJ.6.05': 'modern_transport', 'HLJ.6.06': 'advanced_manufacturing', 'HLJ.7': 'urban_social', 'HLJ.7.01': 'electronic_information',
};
const prefixes = (code: string) => code.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.')).reverse();
const FIELD_LEAVES = (() => {
  const hlj = FIELDS.filter((f) => f.code.startsWith('HLJ.'));
  const leaves = hlj.filter((f) => !hlj.some((o) => o.code.startsWith(`${f.code}.`)));
  const under = (p: string) => leaves.filter((l) => l.code === p || l.code.startsWith(`${p}.`)).length;
  return leaves.map((f) => {
    // A weighted group's weight is shared by its leaves; other groups (4567 sub-fields) weigh 1.
    const group = prefixes(f.code).find((p) => FIELD_WEIGHTS[p] !== undefined) ?? f.code.split('.').slice(0, 3).join('.');
    const domain = prefixes(f.code).map((p) => DOMAIN_OF[p]).find((d) => d !== undefined) ?? 'advanced_manufacturing';
    return { code: f.code, name: f.name, domain, weight: (FIELD_WEIGHTS[group] ?? 1) / under(group) };
  });
})();
/** 社会经济目标: the domain's own goal most of the time, otherwise the general mix */
const GOAL_OF_DOMAIN: Readonly<Record<string, string>> = {
  agriculture: 'agriculture', biomedicine: 'health', new_energy: 'energy', environment: 'environment', urban_social: 'social_development', aerospace: 'civil_space',
};
const GOALS: Weighted<string> = [
  ['industry_commerce', 60], ['agriculture', 8], ['health', 7], ['energy', 6], ['environment', 6], ['social_development', 4], ['infrastructure', 3],
  ['education', 2], ['non_oriented_research', 2], ['other_civil', 1], ['defence', 0.5], ['civil_space', 0.3], ['earth_atmosphere', 0.2],
];
/** GB/T 4754 section: the domain's own one half of the time, otherwise the general mix (制造 and 科研服务 lead) */
const SECTION_OF_DOMAIN: Readonly<Record<string, string>> = {
  agriculture: 'A', electronic_information: 'I', new_energy: 'D', environment: 'N', urban_social: 'E', biomedicine: 'C', new_materials: 'C',
  advanced_manufacturing: 'C', aerospace: 'C', modern_transport: 'G', nuclear: 'D',
};
const SECTIONS: Weighted<string> = [['C', 40], ['M', 35], ['I', 8], ['A', 5], ['D', 4], ['B', 2], ['E', 2], ['N', 2], ['Q', 1], ['P', 1]];
const PLAN_SOURCES: Weighted<string> = [['none', 80], ['local', 8], ['provincial', 8], ['national', 4]];
/** relative number of registrations per calendar month: the December rush, the Spring Festival lull */
const SEASON = [0.7, 0.5, 0.85, 0.9, 0.95, 1.1, 0.95, 0.9, 1.0, 0.8, 1.1, 1.9];
const YEARLY_GROWTH = 1.25;

function months(): { start: string; days: number; weight: number }[] {
  const out: { start: string; days: number; weight: number }[] = [];
  const [fy] = FIRST_DAY.split('-').map(Number) as [number];
  const last = new Date(`${LAST_DAY}T00:00:00Z`);
  for (let d = new Date(`${FIRST_DAY}T00:00:00Z`); d <= last; d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))) {
    const end = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));
    const days = (Math.min(end.getTime(), last.getTime()) - d.getTime()) / 86_400_000 + 1;
    const full = end.getUTCDate();
    out.push({ start: d.toISOString().slice(0, 10), days, weight: YEARLY_GROWTH ** (d.getUTCFullYear() - fy) * SEASON[d.getUTCMonth()]! * (days / full) });
  }
  return out;
}

// ---- SQL helpers ----------------------------------------------------------------------------

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const arr = (xs: readonly (string | number)[], type: string) => `ARRAY[${xs.map((x) => (typeof x === 'number' ? String(x) : lit(x))).join(',')}]::${type}[]`;
/** uniform in [0, 1) for stream k of row g, as an expression */
const uniform = (k: number) => `((((hashint8extended(g, ${k}) >> 12) & 4503599627370495)::float8) / 4503599627370496.0)`;
/** 1-based index of a weighted choice made with uniform u */
function choose(u: string, weights: readonly number[]): string {
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  const arms = weights.slice(0, -1).map((w, i) => `WHEN ${u} < ${((acc += w) / total).toFixed(12)} THEN ${i + 1}`);
  return `(CASE ${arms.join(' ')} ELSE ${weights.length} END)`;
}
const choice = <T extends string>(u: string, xs: Weighted<T>) => `(${arr(xs.map(([v]) => v), 'text')})[${choose(u, xs.map(([, w]) => w))}]`;
/** a deterministic UUIDv7: the instant, a 12-bit variant tag, the row number */
const uuidAt = (ts: string, tag: number) =>
  `(lpad(to_hex(floor(date_part('epoch', ${ts}) * 1000)::bigint), 12, '0') || '7' || lpad(to_hex(${tag}), 3, '0') || '8' || lpad(to_hex(g), 15, '0'))::uuid`;

export const CONTRACT_COLUMNS = [
  'id', 'lineage_id', 'revision', 'filing_kind', 'supersedes_id', 'status', 'registration_number', 'registered_on', 'title', 'type', 'subtype',
  'seller_organization_id', 'seller_name', 'seller_country_code', 'seller_region_code', 'seller_nature_code',
  'buyer_organization_id', 'buyer_name', 'buyer_country_code', 'buyer_region_code', 'buyer_nature_code',
  'amount_fen', 'technology_amount_fen', 'signed_on', 'valid_from', 'valid_to', 'field_code', 'technology_domain', 'ip_type',
  'socio_economic_goal', 'industry_code', 'plan_source', 'expected_new_investment_fen', 'expected_new_output_fen',
  'document_reference', 'document_sha256', 'document_pages', 'deal_id', 'listing_id', 'reason', 'filed_by', 'filed_at',
  'review_working_days', 'review_clock_started_at', 'review_due_on', 'material_request', 'material_requested_at', 'material_response',
  'material_supplied_at', 'decided_by', 'decided_at', 'refusal_ground', 'decision_note', 'created_at', 'updated_at', 'version',
] as const;
type Column = (typeof CONTRACT_COLUMNS)[number];

/**
 * One INSERT for contracts g ∈ [$1, $2]: per g the registered version (a change, revision 2, when
 * g was changed, with its superseded original), and with small probabilities other lineages built
 * from the same content: registered then cancelled, rejected, still under review. Parameters: $1,
 * $2 the range, then the parties' arrays (see contractBatchParams).
 */
export function contractBatchSql(ranges: Record<Category, [number, number]>): string {
  // The uniforms are columns of their own CTE: each is hashed once per row, however often it is read.
  const streams = new Set<number>();
  const U = (k: number) => {
    streams.add(k);
    return `u${k}`;
  };
  const ms = months();
  const subtypes = SUBTYPES.map(([s]) => s);
  const seats = (shares: Weighted<Category>, u: string, v: string, column: string) => {
    const cat = choose(u, shares.map(([, w]) => w));
    const start = arr(shares.map(([c]) => ranges[c][0] + 1), 'int');
    const size = arr(shares.map(([c]) => ranges[c][1]), 'int');
    // u² skews towards the first parties of a category: a few universities and firms sign most contracts.
    return { cat, index: `(${start})[${column}] + floor((${size})[${column}] * ${v} * ${v})::int` };
  };
  const seller = seats(SELLER_SHARES, U(10), U(11), 'sc');
  const buyer = seats(BUYER_SHARES, U(12), U(13), 'bc');
  const foreignSeller = SELLER_SHARES.findIndex(([c]) => c === 'foreign') + 1;
  const foreignBuyer = BUYER_SHARES.findIndex(([c]) => c === 'foreign') + 1;
  const enterpriseOther = BUYER_SHARES.findIndex(([c]) => c === 'enterpriseOther') + 1;
  const buyerStart = arr(BUYER_SHARES.map(([c]) => ranges[c][0] + 1), 'int');
  const buyerSize = arr(BUYER_SHARES.map(([c]) => ranges[c][1]), 'int');
  const ipOfSubtype = `(CASE WHEN subtype IN ('patent_right','patent_license') THEN ${choice(U(31), PATENT_IP)} ${Object.entries(FIXED_IP)
    .map(([s, ip]) => `WHEN subtype = ${lit(s)} THEN ${lit(ip!)}`)
    .join(' ')} ELSE ${choice(U(31), OTHER_IP)} END)`;
  const sectionArms = Object.entries(SECTION_OF_DOMAIN).map(([d, s]) => `WHEN ${lit(d)} THEN ${lit(s)}`).join(' ');
  const goalArms = Object.entries(GOAL_OF_DOMAIN).map(([d, s]) => `WHEN ${lit(d)} THEN ${lit(s)}`).join(' ');
  const sectionLo = Object.entries(INDUSTRY_SECTIONS).map(([k, v]) => `WHEN ${lit(k)} THEN ${v.divisions[0]}`).join(' ');
  const sectionHi = Object.entries(INDUSTRY_SECTIONS).map(([k, v]) => `WHEN ${lit(k)} THEN ${v.divisions[1]}`).join(' ');

  // d: the content of contract g, computed once (MATERIALIZED) and shared by every version below.
  // Each layer ends in OFFSET 0 so PostgreSQL evaluates its CASEs once per row instead of inlining
  // them into every later reference.
  const d = `
    SELECT g, reg, filed, decided, sti, subtype, type, field_code, field_name, technology_domain, amount_fen,
      ps.id AS seller_id, ps.name AS seller_name, ps.country AS seller_country, ps.region AS seller_region, ps.nature AS seller_nature,
      pb.id AS buyer_id, pb.name AS buyer_name, pb.country AS buyer_country, pb.region AS buyer_region, pb.nature AS buyer_nature,
      -- a technology import (foreign seller) is filed, and registered, on the domestic buyer's side
      CASE WHEN ps.region IS NULL THEN pb.user_id ELSE ps.user_id END AS filer, coalesce(ps.region, pb.region) AS registering_region,
      least(amount_fen, (floor(amount_fen * (tech_lo + (1 - tech_lo) * ${U(21)}) / 100) * 100)::bigint) AS technology_amount_fen,
      ${ipOfSubtype} AS ip_type,
      CASE WHEN ${U(32)} < 0.7 THEN coalesce(CASE technology_domain ${goalArms} END, ${choice(U(33), GOALS)}) ELSE ${choice(U(33), GOALS)} END AS socio_economic_goal,
      section || lpad((CASE section ${sectionLo} END + floor(${U(35)} * (CASE section ${sectionHi} END - CASE section ${sectionLo} END + 1)))::text, 2, '0') AS industry_code,
      ${choice(U(36), PLAN_SOURCES)} AS plan_source,
      reg - (2 + floor(${U(37)} * 19))::int - (3 + floor(${U(38)} * 43))::int AS signed_on,
      (${U(40)} < ${P_CHANGED}) AS changed,
      (${U(41)} < ${P_CANCELLED}) AS cancelled,
      (${U(42)} < ${P_REJECTED}) AS rejected,
      CASE WHEN ${U(43)} < ${P_SUBMITTED} THEN 'submitted' WHEN ${U(43)} < ${P_SUBMITTED + P_MATERIAL} THEN 'material_requested' END AS pending
    FROM (
      SELECT s.*, greatest(2000, least(500000000, amount_yuan)) * 100 AS amount_fen
      FROM (
        SELECT t.*, CASE WHEN section_own THEN coalesce(CASE technology_domain ${sectionArms} END, section_any) ELSE section_any END AS section,
          (floor(exp(ln(median) + ${AMOUNT_SIGMA} * sqrt(-2 * ln(1 - ${U(20)})) * cos(2 * pi() * ${U(22)})) / 100) * 100)::bigint AS amount_yuan
        FROM (
          SELECT c.*, (${arr(FIELD_LEAVES.map((f) => f.code), 'text')})[fi] AS field_code, (${arr(FIELD_LEAVES.map((f) => f.name), 'text')})[fi] AS field_name,
            (${arr(FIELD_LEAVES.map((f) => f.domain), 'text')})[fi] AS technology_domain,
            (${arr(subtypes.map((s) => AMOUNT_SHAPE[s][0]), 'float8')})[sti] AS median, (${arr(subtypes.map((s) => AMOUNT_SHAPE[s][1]), 'float8')})[sti] AS tech_lo,
            ${U(34)} < 0.5 AS section_own, ${choice(U(39), SECTIONS)} AS section_any,
            (reg - (2 + floor(${U(37)} * 19))::int + time '01:30') AT TIME ZONE 'UTC' AS filed,
            (reg + time '02:00') AT TIME ZONE 'UTC' + make_interval(secs => floor(${U(44)} * 21600)) AS decided
          FROM (
            SELECT b.*, (${arr(subtypes, 'text')})[sti] AS subtype, (${arr(subtypes.map(typeOf), 'text')})[sti] AS type,
              -- never the same party on both sides, never two foreign ones (one side registers in China)
              CASE WHEN sc = ${foreignSeller} AND bc = ${foreignBuyer} THEN (${buyerStart})[${enterpriseOther}] + (b0 % (${buyerSize})[${enterpriseOther}])
                   WHEN b0 = si THEN (${buyerStart})[bc] + ((b0 - (${buyerStart})[bc] + 1) % (${buyerSize})[bc])
                   ELSE b0 END AS bi,
              d0 - CASE extract(isodow FROM d0) WHEN 6 THEN 1 WHEN 7 THEN 2 ELSE 0 END AS reg
            FROM (
              SELECT a.*, ${seller.index} AS si, ${buyer.index} AS b0,
                (${arr(ms.map((m) => m.start), 'date')})[mi] + floor(${U(4)} * (${arr(ms.map((m) => m.days), 'int')})[mi])::int AS d0
              FROM (
                SELECT u.*, ${choose(U(1), SUBTYPES.map(([, w]) => w))} AS sti, ${choose(U(2), FIELD_LEAVES.map((f) => f.weight))} AS fi,
                  ${choose(U(3), ms.map((m) => m.weight))} AS mi, ${seller.cat} AS sc, ${buyer.cat} AS bc
                FROM u OFFSET 0
              ) a OFFSET 0
            ) b OFFSET 0
          ) c OFFSET 0
        ) t OFFSET 0
      ) s OFFSET 0
    ) x
    JOIN p AS ps ON ps.i = x.si
    JOIN p AS pb ON pb.i = x.bi`;

  // 登记号: year, the registering side's province and city, point 90+ (92+ for the cancelled ones), serial
  const registrationNumber = (point: number) =>
    `to_char(reg, 'YYYY') || left(registering_region, 4) || (${point} + g / 1000000)::text || lpad((g % 1000000)::text, 6, '0')`;
  const common: Record<Column, string> = {
    id: uuidAt('filed', 1),
    lineage_id: uuidAt('filed', 1),
    revision: '1',
    filing_kind: `'original'`,
    supersedes_id: 'NULL::uuid',
    status: `'registered'`,
    registration_number: registrationNumber(POINT_REGISTERED),
    registered_on: 'reg',
    title: `field_name || (${arr(subtypes.map((s) => SUBTYPE_LABELS[s]), 'text')})[sti] || '合同'`,
    type: 'type',
    subtype: 'subtype',
    seller_organization_id: 'seller_id',
    seller_name: 'seller_name',
    seller_country_code: 'seller_country',
    seller_region_code: 'seller_region',
    seller_nature_code: 'seller_nature',
    buyer_organization_id: 'buyer_id',
    buyer_name: 'buyer_name',
    buyer_country_code: 'buyer_country',
    buyer_region_code: 'buyer_region',
    buyer_nature_code: 'buyer_nature',
    amount_fen: 'amount_fen',
    technology_amount_fen: 'technology_amount_fen',
    signed_on: 'signed_on',
    valid_from: 'signed_on',
    valid_to: `signed_on + 365 * (1 + g % 4)::int`,
    field_code: 'field_code',
    technology_domain: 'technology_domain',
    ip_type: 'ip_type',
    socio_economic_goal: 'socio_economic_goal',
    industry_code: 'industry_code',
    plan_source: 'plan_source',
    expected_new_investment_fen: `CASE WHEN type IN ('transfer','license') THEN amount_fen * 3 END`,
    expected_new_output_fen: `CASE WHEN type IN ('transfer','license') THEN amount_fen * 10 END`,
    document_reference: `'${DOCUMENT_PREFIX}' || g || '/original.pdf'`,
    document_sha256: 'NULL',
    document_pages: `(6 + g % 30)::int`,
    deal_id: 'NULL::uuid',
    listing_id: 'NULL::uuid',
    reason: 'NULL',
    filed_by: 'filer',
    filed_at: 'filed',
    review_working_days: 'CASE WHEN amount_fen >= 500000000 THEN 30 ELSE 15 END',
    review_clock_started_at: 'filed',
    review_due_on: `(filed AT TIME ZONE 'Asia/Shanghai')::date + CASE WHEN amount_fen >= 500000000 THEN 42 ELSE 21 END`,
    material_request: 'NULL',
    material_requested_at: 'NULL::timestamptz',
    material_response: 'NULL',
    material_supplied_at: 'NULL::timestamptz',
    decided_by: '$9::uuid',
    decided_at: 'decided',
    refusal_ground: 'NULL',
    decision_note: 'NULL',
    created_at: 'filed',
    updated_at: 'decided',
    version: '2',
  };
  const select = (overrides: Partial<Record<Column, string>>, where: string) =>
    `SELECT ${CONTRACT_COLUMNS.map((c) => overrides[c] ?? common[c]).join(', ')} FROM d WHERE ${where}`;

  const changedAt = `least(decided + make_interval(days => (20 + g % 90)::int), '${LAST_DAY}T02:00:00Z'::timestamptz)`;
  const original = uuidAt('filed', 2);
  const cancelOriginal = uuidAt('filed', 3);
  const cancelAt = `least(decided + make_interval(days => (30 + g % 200)::int), '${LAST_DAY}T03:00:00Z'::timestamptz)`;
  const pendingFiled = `('${LAST_DAY}'::date - (g % 30)::int + time '01:30') AT TIME ZONE 'UTC'`;
  const variants = [
    // the registered version of an unchanged contract
    select({}, 'NOT changed'),
    // a changed contract: the original (superseded, a fifth smaller), then the registered change
    select(
      {
        id: original,
        lineage_id: original,
        status: `'superseded'`,
        amount_fen: '(amount_fen * 4 / 5 / 100 * 100)',
        technology_amount_fen: 'least(technology_amount_fen, amount_fen * 4 / 5 / 100 * 100)',
        updated_at: changedAt,
        version: '3',
      },
      'changed',
    ),
    select(
      {
        id: uuidAt(changedAt, 1),
        lineage_id: original,
        revision: '2',
        filing_kind: `'change'`,
        supersedes_id: original,
        reason: `'增加服务内容，调整合同金额'`,
        document_reference: `'${DOCUMENT_PREFIX}' || g || '/amendment.pdf'`,
        filed_at: changedAt,
        review_clock_started_at: changedAt,
        decided_at: `${changedAt} + interval '3 days'`,
        created_at: changedAt,
        updated_at: `${changedAt} + interval '3 days'`,
      },
      'changed',
    ),
    // another contract with this content, registered and later cancelled
    select(
      {
        id: cancelOriginal,
        lineage_id: cancelOriginal,
        status: `'superseded'`,
        registration_number: registrationNumber(POINT_CANCELLED),
        document_reference: `'${DOCUMENT_PREFIX}' || g || '/cancelled-original.pdf'`,
        updated_at: cancelAt,
        version: '3',
      },
      'cancelled',
    ),
    select(
      {
        id: uuidAt(cancelAt, 4),
        lineage_id: cancelOriginal,
        revision: '2',
        filing_kind: `'cancellation'`,
        supersedes_id: cancelOriginal,
        status: `'cancelled'`,
        registration_number: registrationNumber(POINT_CANCELLED),
        reason: `'双方协商解除合同'`,
        document_reference: `'${DOCUMENT_PREFIX}' || g || '/cancellation.pdf'`,
        filed_at: cancelAt,
        review_clock_started_at: cancelAt,
        decided_at: `${cancelAt} + interval '2 days'`,
        created_at: cancelAt,
        updated_at: `${cancelAt} + interval '2 days'`,
      },
      'cancelled',
    ),
    select(
      {
        id: uuidAt('filed', 5),
        lineage_id: uuidAt('filed', 5),
        status: `'rejected'`,
        registration_number: 'NULL',
        registered_on: 'NULL::date',
        refusal_ground: `(${arr(REFUSAL_GROUNDS, 'text')})[1 + g % ${REFUSAL_GROUNDS.length}]`,
        decision_note: `'合同条款与认定规则不符，不予登记'`,
        document_reference: `'${DOCUMENT_PREFIX}' || g || '/rejected.pdf'`,
      },
      'rejected',
    ),
    select(
      {
        id: uuidAt(pendingFiled, 6),
        lineage_id: uuidAt(pendingFiled, 6),
        status: 'pending',
        registration_number: 'NULL',
        registered_on: 'NULL::date',
        signed_on: `'${LAST_DAY}'::date - (g % 30)::int - 10`,
        valid_from: `'${LAST_DAY}'::date - (g % 30)::int - 10`,
        valid_to: `'${LAST_DAY}'::date - (g % 30)::int + 700`,
        document_reference: `'${DOCUMENT_PREFIX}' || g || '/pending.pdf'`,
        filed_at: pendingFiled,
        review_clock_started_at: pendingFiled,
        review_due_on: `CASE WHEN pending = 'submitted' THEN '${LAST_DAY}'::date - (g % 30)::int + 21 END`,
        material_request: `CASE WHEN pending = 'material_requested' THEN '请补充合同文本的签章页扫描件' END`,
        material_requested_at: `CASE WHEN pending = 'material_requested' THEN ${pendingFiled} + interval '5 days' END`,
        decided_by: 'NULL::uuid',
        decided_at: 'NULL::timestamptz',
        created_at: pendingFiled,
        updated_at: pendingFiled,
        version: '1',
      },
      'pending IS NOT NULL',
    ),
  ];
  const u = `SELECT g, ${[...streams].sort((a, b) => a - b).map((k) => `${uniform(k)} AS u${k}`).join(', ')} FROM generate_series($1::bigint, $2::bigint) AS g`;
  // The parties as a relation (1-based i): subscripting a 3,000-element text[] walks it on every access.
  const p = `SELECT * FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::uuid[]) WITH ORDINALITY AS p(id, name, region, country, nature, user_id, i)`;
  return `WITH u AS MATERIALIZED (${u}), p AS MATERIALIZED (${p}), d AS MATERIALIZED (${d})
    INSERT INTO contracts (${CONTRACT_COLUMNS.join(', ')})
    ${variants.join('\n    UNION ALL ')}
    ON CONFLICT DO NOTHING`;
}

/** $3…$9 of contractBatchSql: the parties as arrays (1-based in SQL), then the registry's user. */
export function contractBatchParams(parties: BenchParty[], registry: BenchParty): unknown[] {
  return [
    parties.map((p) => p.id),
    parties.map((p) => p.name),
    parties.map((p) => p.contractRegion),
    parties.map((p) => p.countryCode),
    parties.map((p) => p.natureCode),
    parties.map((p) => p.userId),
    registry.userId,
  ];
}
