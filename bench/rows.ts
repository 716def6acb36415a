import { fieldPathOf } from '../src/lib/publication.js';
import { createCatalogService } from '../src/modules/catalog/catalog.service.js';
import { TRANSFER_MODES, type Contact, type IpRight, type PRICE_KINDS } from '../src/modules/achievements/achievements.tables.js';
import { COOPERATION_MODES, type NEED_TYPES } from '../src/modules/needs/needs.tables.js';
import {
  ADJECTIVES, ADVANTAGES, BRANDS, COLLEGES, DOMAINS, GIVEN, INDUSTRIES, INSTITUTE_TOPICS, LEVELS, ORG_PREFIXES, ORG_REGIONS,
  PAINS, PLACES, SURNAMES, UNIVERSITY_KINDS, type Domain,
} from './vocabulary.js';

const DAY = 86_400_000;
/** Ids embed a time; anchoring them to a fixed instant keeps them identical across runs (resume). */
const ID_ANCHOR = Date.UTC(2026, 0, 1);

export interface Rng {
  next: () => number;
  int: (min: number, max: number) => number;
  pick: <T>(xs: readonly T[]) => T;
  some: <T>(xs: readonly T[], min: number, max: number) => T[];
  chance: (p: number) => boolean;
}

/** mulberry32 seeded by (stream, index): row i of a stream is the same on every run. */
export function rngFor(stream: number, index: number): Rng {
  let a = (Math.imul(stream, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const some = <T>(xs: readonly T[], min: number, max: number): T[] => {
    const pool = [...xs];
    const n = Math.min(pool.length, int(min, max));
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(pool.splice(Math.floor(next() * pool.length), 1)[0]!);
    return out;
  };
  return { next, int, pick, some, chance: (p) => next() < p };
}

/** A UUIDv7 whose time part is `ms` and whose random part comes from the row's generator. */
export function uuidv7At(ms: number, rng: Rng): string {
  const b = new Array<number>(16);
  let t = ms;
  for (let i = 5; i >= 0; i--) {
    b[i] = t % 256;
    t = Math.floor(t / 256);
  }
  for (let i = 6; i < 16; i++) b[i] = rng.int(0, 255);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const STREAM = { org: 1, user: 2, achievement: 3, need: 4 } as const;
export const ORGANIZATION_COUNT = 200;

const catalog = createCatalogService();
const DOMAIN_CODES = Object.keys(DOMAINS);
// Bigger industries get more rows: weights per domain (new materials, equipment, agriculture lead in HLJ).
const DOMAIN_WEIGHTS: Record<string, number> = { 'HLJ.5.03': 4, 'HLJ.5.04': 4, 'HLJ.4.01': 4, 'HLJ.5.05': 3, 'HLJ.4.02': 3, 'HLJ.6.01': 3, 'HLJ.6.03': 2, 'HLJ.6.04': 2, 'HLJ.6.02': 2 };
const WEIGHTED_DOMAINS = DOMAIN_CODES.flatMap((c) => Array<string>(DOMAIN_WEIGHTS[c] ?? 1).fill(c));

for (const [code, d] of Object.entries(DOMAINS)) {
  for (const leaf of Object.keys(d.leaves)) {
    if (!catalog.isField(leaf) || !catalog.ancestors(leaf).includes(code)) throw new Error(`vocabulary names ${leaf}, not a field under ${code}`);
  }
}

export type OrgKind = 'university' | 'institute' | 'enterprise' | 'broker';
export interface Organization {
  index: number; id: string; name: string; kind: OrgKind; regionCode: string; creditCode: string; description: string; website: string;
  createdAt: Date; updatedAt: Date;
}

const orgKindOf = (i: number): OrgKind => (i < 30 ? 'university' : i < 65 ? 'institute' : i < 185 ? 'enterprise' : 'broker');

export function organization(i: number, now: number): Organization {
  const r = rngFor(STREAM.org, i);
  const kind = orgKindOf(i);
  const prefix = ORG_PREFIXES[i % ORG_PREFIXES.length]!;
  const regionCode = kind === 'university' || kind === 'institute' ? r.pick(['230100', '230100', '230600', '230200', '231000']) : r.pick(ORG_REGIONS);
  const city = catalog.region(regionCode)?.name.replace(/[市省]$/, '') ?? '哈尔滨';
  const name =
    kind === 'university' ? `${prefix}${UNIVERSITY_KINDS[Math.floor(i / ORG_PREFIXES.length) % UNIVERSITY_KINDS.length]!}`
    : kind === 'institute' ? `${prefix}${INSTITUTE_TOPICS[i % INSTITUTE_TOPICS.length]!}研究院`
    : kind === 'enterprise' ? `${city}${BRANDS[i % BRANDS.length]!}${INDUSTRIES[Math.floor(i / BRANDS.length) % INDUSTRIES.length]!}${r.pick(['有限公司', '股份有限公司', '有限责任公司'])}`
    : `${city}${BRANDS[i % BRANDS.length]!}技术转移服务有限公司`;
  const created = new Date(now - r.int(400, 1500) * DAY);
  // 统一社会信用代码 shape: 12 public institutions, 91 companies; the index makes it unique.
  const creditCode = `${kind === 'university' || kind === 'institute' ? '12' : '91'}${regionCode}${String(i).padStart(4, '0')}${r.int(10000, 99999)}X`;
  return {
    index: i,
    id: uuidv7At(ID_ANCHOR - (ORGANIZATION_COUNT - i) * DAY, r),
    name,
    kind,
    regionCode,
    creditCode,
    description: `${name}长期从事${INSTITUTE_TOPICS[i % INSTITUTE_TOPICS.length]!}等领域的研究开发与成果转化，拥有省级重点实验室和工程技术研究中心。`,
    website: `https://org-${i}.bench.example.cn`,
    createdAt: created,
    updatedAt: created,
  };
}

export interface User {
  id: string; organizationId: string; email: string; passwordHash: string; displayName: string; role: 'owner' | 'member';
  createdAt: Date; updatedAt: Date;
}

export function usersOf(org: Organization, i: number, passwordHash: string): User[] {
  const r = rngFor(STREAM.user, i);
  return Array.from({ length: r.int(1, 3) }, (_, k) => ({
    id: uuidv7At(ID_ANCHOR - (ORGANIZATION_COUNT - i) * DAY + k, r),
    organizationId: org.id,
    email: `user${k}@org-${i}.bench.example.cn`,
    passwordHash,
    displayName: personName(r),
    role: k === 0 ? ('owner' as const) : ('member' as const),
    createdAt: org.createdAt,
    updatedAt: org.createdAt,
  }));
}

const personName = (r: Rng) => `${r.pick([...SURNAMES])}${r.pick([...GIVEN])}${r.chance(0.6) ? r.pick([...GIVEN]) : ''}`;
const contactOf = (r: Rng, domain: string): Contact => ({
  name: personName(r),
  phone: r.chance(0.5) ? `0451-8${r.int(1000000, 9999999)}` : `1${r.pick(['3', '5', '8'])}${r.int(100000000, 999999999)}`,
  email: `contact${r.int(1, 9999)}@${domain}`,
});
const round = (x: number, min: number, max: number) => (max - min >= 20 ? Math.round(x) : Math.round(x * 10) / 10);
const metricText = (r: Rng, d: Domain) =>
  r.some(d.metrics, 2, 4).map(([name, unit, min, max], k) => `${k + 1}. ${name}${r.pick(['达到', '≥', '优于'])}${round(min + r.next() * (max - min), min, max)}${unit}`).join('；');

/** Shared by achievements and needs: a domain, 1–3 field codes inside it (sometimes one crosswalked), an object. */
function topicOf(r: Rng) {
  const code = r.pick(WEIGHTED_DOMAINS);
  const d = DOMAINS[code]!;
  const leaf = r.pick(Object.keys(d.leaves));
  const object = r.pick(d.leaves[leaf]!);
  const codes = new Set([leaf]);
  if (r.chance(0.3)) codes.add(r.pick(Object.keys(d.leaves)));
  if (r.chance(0.2)) {
    const cw = catalog.field(leaf)?.crosswalk ?? [];
    if (cw.length > 0) codes.add(r.pick(cw));
  }
  const fieldCodes = [...codes];
  return { domain: code, d, object, fieldCodes, fieldPathCodes: fieldPathOf(catalog, fieldCodes) };
}

type Status = 'draft' | 'pending_review' | 'published' | 'rejected' | 'archived';
function lifecycleOf(r: Rng, now: number) {
  const roll = r.next();
  const status: Status = roll < 0.9 ? 'published' : roll < 0.93 ? 'draft' : roll < 0.96 ? 'pending_review' : roll < 0.98 ? 'rejected' : 'archived';
  const ageDays = r.int(1, 720);
  const createdAt = new Date(now - ageDays * DAY - r.int(0, DAY - 1));
  const submittedAt = status === 'draft' ? null : new Date(createdAt.getTime() + r.int(1, 48) * 3_600_000);
  const publishedAt = status === 'published' || status === 'archived' ? new Date(submittedAt!.getTime() + r.int(2, 120) * 3_600_000) : null;
  const validUntil = new Date(now + r.int(60, 1000) * DAY);
  const updatedAt = new Date(Math.max(createdAt.getTime(), publishedAt?.getTime() ?? submittedAt?.getTime() ?? 0));
  return {
    // Id time follows creation order (as newId() would have), shifted to the fixed anchor.
    idTime: ID_ANCHOR - ageDays * DAY,
    status, createdAt, submittedAt, publishedAt, validUntil, updatedAt,
    reviewReason: status === 'rejected' ? r.pick(['材料不完整：缺少知识产权证明文件', '成果简介与所属领域不符，请修改后重新提交', '联系方式无效']) : null,
    version: r.int(1, 3),
  };
}

const stageOf = (trl: number) => (trl <= 4 ? 'lab' : trl <= 6 ? 'pilot' : 'industrialization');
const stagePhrase = { lab: '实验室验证', pilot: '中试验证', industrialization: '规模化应用' } as const;

/** Patents everywhere; software copyrights, layout designs and plant varieties where they occur. */
function ipRight(r: Rng, year: number, domain: string): IpRight {
  const kinds: IpRight['kind'][] = ['invention_patent', 'invention_patent', 'utility_model'];
  if (domain === 'HLJ.4.01' || domain.startsWith('HLJ.7') || domain === 'HLJ.4.04') kinds.push('software_copyright', 'software_copyright');
  if (domain === 'HLJ.5.02') kinds.push('ic_layout');
  if (domain === 'HLJ.4.02' || domain === 'HLJ.6.03') kinds.push('plant_variety');
  if (domain === 'HLJ.4.04' || domain === 'HLJ.6.06') kinds.push('design_patent');
  const kind = r.pick(kinds);
  const number =
    kind === 'software_copyright' ? `${year}SR${r.int(1000000, 1999999)}`
    : kind === 'ic_layout' ? `BS.${String(year).slice(2)}5${r.int(10000, 99999)}.${r.int(0, 9)}`
    : kind === 'plant_variety' ? `CNA${year}${r.int(1000, 9999)}.${r.int(0, 9)}`
    : `ZL${year}${kind === 'invention_patent' ? 1 : kind === 'utility_model' ? 2 : 3}${r.int(1000000, 9999999)}.${r.int(0, 9)}`;
  return { kind, number, status: kind === 'invention_patent' && r.chance(0.35) ? 'pending' : 'granted' };
}

export function achievement(i: number, now: number, posters: readonly Organization[], creators: ReadonlyMap<string, string>) {
  const r = rngFor(STREAM.achievement, i);
  // Skewed: a few large universities post most of the work.
  const org = posters[Math.floor(posters.length * r.next() ** 2)]!;
  const { domain, d, object, fieldCodes, fieldPathCodes } = topicOf(r);
  const life = lifecycleOf(r, now);
  const trl = r.pick([2, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 8, 9]);
  const stage = stageOf(trl);
  const method = r.pick(d.methods);
  const product = r.pick(d.products);
  const title = r.pick([
    () => `${method}${object}${product}`,
    () => `${r.pick(ADJECTIVES)}${object}${product}`,
    () => `${object}${product}`,
    () => `${object}关键技术研究与应用`,
    () => `${r.pick(ADJECTIVES)}${object}${product}的研发及产业化`,
  ])();
  const apps = r.some(d.applications, 2, 3);
  const pain = r.pick(PAINS);
  const advantage = r.pick(ADVANTAGES)(r.int(10, 60));
  const level = r.pick(LEVELS);
  const place = r.pick(PLACES);
  const summary = `针对${apps[0]}领域${pain}等问题，${method.replace(/的$/, '')}，研制了${object}${product}。${advantage}，经第三方检测主要指标达到${level}。已在${place}完成${stagePhrase[stage]}。`;
  const description = [
    `一、技术背景。${object}是${apps.join('、')}等领域的共性关键技术，长期存在${pain}的问题，制约了产业高质量发展。`,
    `二、技术方案。项目团队${method.replace(/的$/, '')}，突破了${object}的${r.pick(['结构设计', '工艺控制', '材料配方', '算法模型', '系统集成'])}与${r.pick(['性能评价', '批量一致性', '可靠性验证', '低温适应性', '国产化替代'])}等关键环节，形成了具有自主知识产权的${product}。`,
    `三、应用情况。${advantage}；${r.pick(['已签订技术开发合同3项', '已形成小批量供货能力', '累计推广应用20余台套', '在示范线连续稳定运行12个月以上', '完成中试放大'])}，具备${stage === 'lab' ? '进一步中试' : stage === 'pilot' ? '产业化' : '大规模推广'}条件。`,
  ].join('\n');
  const year = new Date(life.createdAt).getUTCFullYear() - r.int(0, 3);
  const priceKind = r.pick(['negotiable', 'negotiable', 'negotiable', 'fixed', 'fixed', 'auction'] as const satisfies readonly (typeof PRICE_KINDS)[number][]);
  const orgDomain = `org-${org.index}.bench.example.cn`;
  return {
    id: uuidv7At(life.idTime + (i % DAY), r),
    organization_id: org.id,
    created_by: creators.get(org.id)!,
    title,
    summary,
    description,
    description_confidential: r.chance(0.15),
    indicators: r.chance(0.9) ? `主要技术指标：${metricText(r, d)}。` : null,
    applications: r.chance(0.9) ? `可应用于${apps.join('、')}等领域，${r.pick(['市场前景广阔', '可替代进口产品', '适合中小企业转化', '经济和社会效益显著'])}。` : null,
    keywords: [object, ...r.some(d.applications, 1, 2), r.pick(ADJECTIVES)],
    field_codes: fieldCodes,
    field_path_codes: fieldPathCodes,
    trl,
    stage,
    ip_rights: JSON.stringify(Array.from({ length: r.pick([0, 1, 1, 2, 2, 3]) }, () => ipRight(r, year, domain))),
    transfer_modes: r.some(TRANSFER_MODES, 1, 3),
    price_kind: priceKind,
    price_fen: priceKind === 'fixed' ? r.int(5, 500) * 10_000 * 100 : null,
    institution: org.kind === 'university' ? `${org.name}${r.pick(COLLEGES)}` : org.name,
    region_code: org.regionCode,
    contact: r.chance(0.95) ? JSON.stringify(contactOf(r, orgDomain)) : null,
    status: life.status,
    review_reason: life.reviewReason,
    valid_until: life.validUntil,
    submitted_at: life.submittedAt,
    published_at: life.publishedAt,
    created_at: life.createdAt,
    updated_at: life.updatedAt,
    version: life.version,
  };
}

const NEED_TITLE: Record<(typeof NEED_TYPES)[number], ((object: string, product: string, app: string) => string)[]> = {
  technical_problem: [(o) => `${o}技术难题攻关`, (o, _p, a) => `${a}中${o}的稳定性问题求解`, (o) => `${o}良品率提升技术需求`],
  technology_introduction: [(o, p) => `寻求${o}${p}`, (o) => `引进${o}成套技术`, (o, _p, a) => `${a}用${o}国产化替代技术`],
  joint_rd: [(o) => `${o}联合研发`, (o, p) => `共建${o}${p}联合实验室`, (o) => `${o}产学研合作开发`],
  talent: [(o) => `柔性引进${o}方向技术专家`, (o) => `招聘${o}领域研发团队负责人`],
};

export function need(i: number, now: number, seekers: readonly Organization[], creators: ReadonlyMap<string, string>) {
  const r = rngFor(STREAM.need, i);
  const org = seekers[Math.floor(seekers.length * r.next() ** 1.5)]!;
  const { d, object, fieldCodes, fieldPathCodes } = topicOf(r);
  const life = lifecycleOf(r, now);
  const needType = r.pick(['technical_problem', 'technical_problem', 'technology_introduction', 'technology_introduction', 'joint_rd', 'talent'] as const);
  const app = r.pick(d.applications);
  const title = r.pick(NEED_TITLE[needType])(object, r.pick(d.products), app);
  const pain = r.pick(PAINS);
  const budgetNegotiable = r.chance(0.3);
  const budgetMin = budgetNegotiable && r.chance(0.5) ? null : r.int(5, 200) * 10_000 * 100;
  const budgetMax = budgetMin === null ? null : budgetMin + r.int(0, 300) * 10_000 * 100;
  const summary = `本单位主营${app}相关业务，现有${object}环节存在${pain}的问题，希望与高校院所合作解决。`;
  const description = [
    summary,
    `现状：目前采用${r.pick(['进口设备', '传统人工方式', '老旧工艺', '外协加工'])}，${r.pick(['效率偏低', '成本居高不下', '产品一致性差', '能耗较高'])}，期望通过技术合作${r.pick(['将综合成本降低', '将生产效率提升', '将不良率降低'])}${r.int(10, 40)}%以上。`,
    `要求：技术成熟度较高，可在${r.int(6, 24)}个月内完成${r.pick(['中试', '样机', '产线改造', '示范应用'])}；合作方需具备相关研发基础和知识产权。`,
  ].join('\n');
  const deadline = r.chance(0.8) ? new Date(now + r.int(30, 540) * DAY).toISOString().slice(0, 10) : null;
  return {
    id: uuidv7At(life.idTime + (i % DAY), r),
    organization_id: org.id,
    created_by: creators.get(org.id)!,
    title,
    description,
    description_confidential: r.chance(0.2),
    summary,
    indicators: r.chance(0.8) ? `技术指标要求：${metricText(r, d)}。` : null,
    keywords: [object, app],
    field_codes: fieldCodes,
    field_path_codes: fieldPathCodes,
    need_type: needType,
    trl_min: r.chance(0.7) ? r.int(3, 8) : null,
    budget_min_fen: budgetMin,
    budget_max_fen: budgetMax,
    budget_negotiable: budgetNegotiable,
    cooperation_modes: r.some(COOPERATION_MODES, 1, 3),
    deadline,
    region_code: org.regionCode,
    contact: JSON.stringify(contactOf(r, `org-${org.index}.bench.example.cn`)),
    status: life.status,
    review_reason: life.reviewReason,
    valid_until: life.validUntil,
    submitted_at: life.submittedAt,
    published_at: life.publishedAt,
    created_at: life.createdAt,
    updated_at: life.updatedAt,
    version: life.version,
  };
}

export type AchievementInsert = ReturnType<typeof achievement>;
export type NeedInsert = ReturnType<typeof need>;
