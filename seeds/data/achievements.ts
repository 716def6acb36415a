import type { z } from 'zod';
import type { CreateAchievementBodySchema } from '../../src/modules/achievements/achievements.schemas.js';
import { TOPICS_4_5, type FieldTopics } from './achievement-topics-a.js';
import { TOPICS_6_7 } from './achievement-topics-b.js';
import { organizationOf, type SeedOrganization } from './organizations.js';
import { contactOf } from './contacts.js';
import { TRANSFER_MODE_NAMES, between, hash, joinCn, patentNumber, pick, plantVarietyNumber, softwareCopyrightNumber, wanYuan } from './text.js';

export type AchievementSeedInput = z.input<typeof CreateAchievementBodySchema>;
type IpRightInput = NonNullable<AchievementSeedInput['ipRights']>[number];
type TransferMode = AchievementSeedInput['transferModes'][number];

/** The state a seed row is left in: most are published; a few show the other review states. */
export type SeedStatus = 'draft' | 'pending_review' | 'published' | 'rejected';

export interface SeedAchievement {
  organization: string;
  status: SeedStatus;
  /** the reviewer's reason, for rejected rows */
  reviewReason?: string;
  input: AchievementSeedInput;
}

const STAGE_NAMES = { lab: '初期：实验室/小试', pilot: '中期：中试', industrialization: '成熟应用：产业化' } as const;

/** GB/T 22900: 1–4 laboratory, 5–6 pilot (中试), 7–9 in use. */
const stageOf = (trl: number): AchievementSeedInput['stage'] => (trl <= 4 ? 'lab' : trl <= 6 ? 'pilot' : 'industrialization');

/** Where each kind of organization's work usually stands. */
const TRL_CHOICES: Record<SeedOrganization['kind'], number[]> = {
  university: [3, 4, 4, 5, 5, 6, 6, 7],
  institute: [4, 5, 6, 6, 7, 7, 8],
  enterprise: [6, 7, 7, 8, 8, 9],
  broker: [5, 6, 7, 8],
};

/** What has been done so far, by stage; the figures are drawn from the listing's key. */
const STAGE_SENTENCES: Record<AchievementSeedInput['stage'], ((key: string) => string)[]> = {
  lab: [
    () => '目前处于实验室小试阶段，已完成原理验证和样品制备，关键指标经第三方检测机构检测，拟寻求企业合作开展中试放大。',
    (k: string) => `已完成小试研究，累计制备样品${between(`${k}:batches`, 6, 30)}批次，性能稳定，可与企业联合开展工程化开发。`,
    (k: string) => `研究团队围绕该技术已发表论文${between(`${k}:papers`, 4, 15)}篇，实验室数据完整，具备开展中试的条件。`,
  ],
  pilot: [
    (k: string) => `已在合作企业完成中试，连续稳定运行超过${between(`${k}:hours`, 5, 30) * 100}小时，具备放大生产条件。`,
    (k: string) => `已建成中试线并完成${between(`${k}:batches`, 5, 20)}批次验证，性能稳定，第三方检测报告齐全。`,
    (k: string) => `样机已在用户现场完成${between(`${k}:months`, 3, 12)}个月试用，主要指标达到设计要求。`,
  ],
  industrialization: [
    (k: string) => `已在省内${between(`${k}:sites`, 3, 20)}家单位推广应用，近三年累计新增产值约${between(`${k}:value`, 8, 90) * 100}万元。`,
    (k: string) => `已实现规模化应用，近三年累计合同额约${between(`${k}:value`, 5, 60) * 100}万元，用户反馈良好。`,
    (k: string) => `已在${between(`${k}:projects`, 4, 30)}个项目中实现工程应用，运行稳定，可提供成套技术和现场服务。`,
  ],
};

const MODE_CHOICES: Record<AchievementSeedInput['stage'], TransferMode[][]> = {
  lab: [['joint_development', 'license'], ['joint_development', 'consulting'], ['license', 'joint_development', 'equity']],
  pilot: [['license', 'transfer'], ['license', 'joint_development'], ['transfer', 'equity'], ['license', 'joint_development', 'equity']],
  industrialization: [['transfer', 'license'], ['license', 'service'], ['transfer', 'service'], ['equity', 'license', 'service']],
};

/** Asking prices in 万元 by stage (fixed prices are quoted in steps of 5万元). */
const PRICE_RANGE_WAN = { lab: [20, 120], pilot: [60, 400], industrialization: [100, 900] } as const;

/** Terms that make a listing belong to a second field as well. */
const CROSS_FIELDS: [string, string][] = [
  ['石墨烯', 'HLJ.5.03.04'],
  ['氮化硼', 'HLJ.5.03.05'],
  ['焊接', 'HLJ.5.03.03'],
  ['机器人', 'HLJ.5.04.06'],
  ['航天', 'HLJ.5.01.01'],
  ['卫星', 'HLJ.5.01.01'],
  ['传感', 'HLJ.4.01.03'],
  ['大数据', 'HLJ.4.01.01'],
  ['寒地水稻', 'HLJ.4.02.02'],
  ['医疗器械', 'HLJ.6.04.03'],
  ['新能源汽车', 'HLJ.6.05.02'],
  ['储能', 'HLJ.6.01.04'],
  ['氢能', 'HLJ.6.01.03'],
];

const REJECTION_REASONS = [
  '技术指标缺少第三方检测数据支撑，请补充检测报告后重新提交。',
  '成果简介未说明与现有同类技术的对比和经济效益，请补充后重新提交。',
  '所列专利号与专利权人信息不一致，请核对知识产权信息。',
];

function ipRightsOf(key: string, field: FieldTopics, org: SeedOrganization, title: string): IpRightInput[] {
  const rights: IpRightInput[] = [];
  if (field.ip === 'variety' && title.includes('品种')) {
    rights.push({ kind: 'plant_variety', number: plantVarietyNumber(key), status: 'granted' });
  }
  if (field.ip === 'software') {
    const count = between(`${key}:sw`, 1, 3);
    for (let i = 0; i < count; i++) rights.push({ kind: 'software_copyright', number: softwareCopyrightNumber(`${key}:sw${i}`), status: 'granted' });
  }
  const granted = field.ip === 'software' ? between(`${key}:inv`, 0, 1) : between(`${key}:inv`, 1, org.kind === 'enterprise' ? 2 : 3);
  for (let i = 0; i < granted; i++) rights.push({ kind: 'invention_patent', number: `ZL${patentNumber(`${key}:inv${i}`, 1, 2016, 2022)}`, status: 'granted' });
  if (hash(`${key}:pending`) % 3 === 0) rights.push({ kind: 'invention_patent', number: patentNumber(`${key}:pending`, 1, 2023, 2025), status: 'pending' });
  if (org.kind === 'enterprise' && field.ip !== 'software') {
    const utility = between(`${key}:um`, 0, 3);
    for (let i = 0; i < utility; i++) rights.push({ kind: 'utility_model', number: `ZL${patentNumber(`${key}:um${i}`, 2, 2018, 2024)}`, status: 'granted' });
  }
  if (hash(`${key}:secret`) % 6 === 0) rights.push({ kind: 'trade_secret', number: null, status: 'n/a' });
  return rights;
}

function describeIp(rights: IpRightInput[]): string {
  const numbers = (kind: IpRightInput['kind'], status?: string) =>
    rights.filter((r) => r.kind === kind && (status === undefined || r.status === status)).map((r) => r.number ?? '');
  const parts: string[] = [];
  const granted = numbers('invention_patent', 'granted');
  if (granted.length) parts.push(`已获授权发明专利${granted.length}件（${granted.join('、')}）`);
  const pending = numbers('invention_patent', 'pending');
  if (pending.length) parts.push(`发明专利申请${pending.length}件进入实质审查（${pending.join('、')}）`);
  const utility = numbers('utility_model');
  if (utility.length) parts.push(`实用新型专利${utility.length}件`);
  const software = numbers('software_copyright');
  if (software.length) parts.push(`软件著作权${software.length}项（${software.join('、')}）`);
  const variety = numbers('plant_variety');
  if (variety.length) parts.push(`植物新品种权${variety.length}项（${variety.join('、')}）`);
  if (rights.some((r) => r.kind === 'trade_secret')) parts.push('核心工艺作为技术秘密保护');
  return parts.length ? `${parts.join('；')}。` : '以技术秘密形式保护。';
}

function priceOf(key: string, stage: AchievementSeedInput['stage']): AchievementSeedInput['price'] {
  const roll = hash(`${key}:price`) % 20;
  if (roll < 2 && stage !== 'lab') return { kind: 'auction' };
  if (roll < 11) {
    const [min, max] = PRICE_RANGE_WAN[stage];
    return { kind: 'fixed', amount: { amount: wanYuan(between(`${key}:amount`, min / 5, max / 5) * 5), currency: 'CNY' } };
  }
  return { kind: 'negotiable' };
}

function priceText(price: AchievementSeedInput['price']): string {
  if (price.kind === 'fixed') return `挂牌价${price.amount!.amount / 1_000_000}万元，付款方式可协商。`;
  if (price.kind === 'auction') return '拟通过技术交易市场公开竞价转让，起始价在挂牌公告中公布。';
  return '价格面议。';
}

function fieldCodesOf(code: string, title: string, keywords: string[]): string[] {
  const text = `${title} ${keywords.join(' ')}`;
  const codes = [code];
  for (const [term, other] of CROSS_FIELDS) if (codes.length < 3 && text.includes(term) && !codes.includes(other)) codes.push(other);
  return codes;
}

function build(field: FieldTopics, topic: string, indexInField: number, globalIndex: number): SeedAchievement {
  const parts = topic.split('|');
  if (parts.length !== 4) throw new Error(`an achievement topic has 4 parts: ${topic}`);
  const [title, keywordList, feature, indicators] = parts as [string, string, string, string];
  const org = organizationOf(field.owners[indexInField % field.owners.length]!);
  const key = title;
  const keywords = keywordList.split(',');
  const trl = pick(TRL_CHOICES[org.kind], `${key}:trl`);
  const stage = stageOf(trl);
  const stageSentence = pick(STAGE_SENTENCES[stage], `${key}:stage`)(key);
  const ipRights = ipRightsOf(key, field, org, title);
  const price = priceOf(key, stage);
  let transferModes = [...pick(MODE_CHOICES[stage], `${key}:modes`)];
  if (price.kind === 'auction' && !transferModes.includes('transfer')) transferModes = ['transfer', ...transferModes];
  const confidential = hash(`${key}:confidential`) % 12 === 0;

  const description = [
    `【技术方案】${feature}。`,
    `【主要指标】${indicators}。`,
    `【成熟度】技术就绪度${trl}级（${STAGE_NAMES[stage]}）。${stageSentence}`,
    `【知识产权】${describeIp(ipRights)}`,
    `【合作方式】可采用${joinCn(transferModes.map((m) => TRANSFER_MODE_NAMES[m]))}方式合作。${priceText(price)}`,
    ...(confidential ? ['【保密资料】核心配方、工艺参数和中试运行记录已整理为技术资料包，签署保密协议后提供，并可安排现场考察。'] : []),
  ].join('\n');

  let status: SeedStatus = 'published';
  let reviewReason: string | undefined;
  if (globalIndex % 37 === 5) status = 'draft';
  else if (globalIndex % 37 === 18) status = 'pending_review';
  else if (globalIndex % 101 === 60) {
    status = 'rejected';
    reviewReason = pick(REJECTION_REASONS, key);
  }

  return {
    organization: org.slug,
    status,
    ...(reviewReason ? { reviewReason } : {}),
    input: {
      title,
      summary: `${feature}。${stageSentence}`,
      description,
      descriptionConfidential: confidential,
      indicators: `${indicators}。`,
      applications: `${field.uses}。${field.edge}。`,
      keywords,
      fieldCodes: fieldCodesOf(field.code, title, keywords),
      trl,
      stage,
      ipRights,
      transferModes,
      price,
      institution: org.name,
      regionCode: org.regionCode,
      contact: contactOf(org),
    },
  };
}

let next = 0;
export const ACHIEVEMENTS: SeedAchievement[] = [...TOPICS_4_5, ...TOPICS_6_7].flatMap((field) =>
  field.topics.map((topic, i) => build(field, topic, i, next++)),
);
