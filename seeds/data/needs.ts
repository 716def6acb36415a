import type { z } from 'zod';
import type { CreateNeedBodySchema } from '../../src/modules/needs/needs.schemas.js';
import { NEED_TOPICS } from './need-topics.js';
import type { SeedStatus } from './achievements.js';
import { contactOf } from './contacts.js';
import { organizationOf } from './organizations.js';
import { TRANSFER_MODE_NAMES, between, hash, joinCn, pick, wanYuan } from './text.js';

export type NeedSeedInput = z.input<typeof CreateNeedBodySchema>;
type NeedType = NeedSeedInput['needType'];
type CooperationMode = NeedSeedInput['cooperationModes'][number];

export interface SeedNeed {
  organization: string;
  status: Exclude<SeedStatus, 'rejected'>;
  input: NeedSeedInput;
}

const TYPES: Record<string, NeedType> = { P: 'technical_problem', I: 'technology_introduction', J: 'joint_rd', T: 'talent' };
const TYPE_NAMES: Record<NeedType, string> = {
  technical_problem: '技术难题攻关',
  technology_introduction: '技术引进',
  joint_rd: '合作研发',
  talent: '人才/团队合作',
};

const TRL_MIN: Record<NeedType, (number | null)[]> = {
  technical_problem: [null, 4, 5, 6],
  technology_introduction: [6, 7, 7, 8],
  joint_rd: [3, 4, 4, 5],
  talent: [null],
};

const MODES: Record<NeedType, CooperationMode[][]> = {
  technical_problem: [['joint_development', 'service'], ['service', 'consulting'], ['joint_development']],
  technology_introduction: [['transfer', 'license'], ['transfer', 'license', 'equity'], ['license', 'service']],
  joint_rd: [['joint_development'], ['joint_development', 'equity'], ['joint_development', 'license']],
  talent: [['consulting', 'joint_development'], ['equity', 'joint_development'], ['consulting', 'service']],
};

/** Budget ranges in 万元: [lowest min, highest min, smallest spread, largest spread]. */
const BUDGET_WAN: Record<NeedType, [number, number, number, number]> = {
  technical_problem: [20, 80, 30, 150],
  technology_introduction: [100, 500, 100, 1000],
  joint_rd: [50, 200, 50, 300],
  talent: [30, 100, 20, 100],
};

const DAY_MS = 86_400_000;

function budgetOf(key: string, type: NeedType): NeedSeedInput['budget'] {
  const roll = hash(`${key}:budget`) % 10;
  if (roll < 2 || (type === 'talent' && roll < 6)) return { negotiable: true };
  const [lo, hi, spreadLo, spreadHi] = BUDGET_WAN[type];
  const min = between(`${key}:min`, lo / 10, hi / 10) * 10;
  const max = min + between(`${key}:spread`, spreadLo / 10, spreadHi / 10) * 10;
  return {
    min: { amount: wanYuan(min), currency: 'CNY' },
    max: { amount: wanYuan(max), currency: 'CNY' },
    // A range that is only a guide: the poster still negotiates.
    negotiable: roll === 9,
  };
}

function budgetText(budget: NeedSeedInput['budget']): string {
  const wan = (m: { amount: number } | undefined) => (m ? m.amount / 1_000_000 : undefined);
  const min = wan(budget.min);
  const max = wan(budget.max);
  if (min === undefined || max === undefined) return '预算面议';
  return `预算${min}万~${max}万元${budget.negotiable ? '，可面议' : ''}`;
}

const isoDay = (at: Date): string => at.toISOString().slice(0, 10);

/**
 * The needs, with deadlines counted from `now` (3 to 18 months ahead) so that they stay in the
 * future whenever the data set is loaded.
 */
export function needsAsOf(now: Date): SeedNeed[] {
  let index = 0;
  return NEED_TOPICS.flatMap(({ code, needs }) =>
    needs.map((line): SeedNeed => {
      const parts = line.split('|');
      if (parts.length !== 6) throw new Error(`a need has 6 parts: ${line}`);
      const [slug, typeLetter, title, keywordList, problem, indicators] = parts as [string, string, string, string, string, string];
      const org = organizationOf(slug);
      const needType = TYPES[typeLetter];
      if (!needType) throw new Error(`unknown need type ${typeLetter} in "${title}"`);
      const key = title;
      const budget = budgetOf(key, needType);
      const cooperationModes = pick(MODES[needType], `${key}:modes`);
      const deadline = isoDay(new Date(now.getTime() + between(`${key}:deadline`, 90, 540) * DAY_MS));
      const confidential = hash(`${key}:confidential`) % 10 === 0;
      const description = [
        `【需求背景】${problem}。`,
        `【期望指标】${indicators}。`,
        `【合作要求】需求类型为${TYPE_NAMES[needType]}，拟采用${joinCn(cooperationModes.map((m) => TRANSFER_MODE_NAMES[m]))}方式；${budgetText(budget)}；希望于${deadline}前完成对接。`,
        ...(confidential ? ['【保密资料】现有工艺参数、产线数据和样品可在签署保密协议后提供，欢迎来现场交流。'] : []),
      ].join('\n');
      const i = index++;
      const status = i % 23 === 7 ? 'draft' : i % 23 === 15 ? 'pending_review' : 'published';
      return {
        organization: org.slug,
        status,
        input: {
          title,
          summary: `${org.name}发布的${TYPE_NAMES[needType]}需求：${problem.split('。')[0]}。`,
          description,
          descriptionConfidential: confidential,
          indicators: `${indicators}。`,
          keywords: keywordList.split(','),
          fieldCodes: [code],
          needType,
          trlMin: pick(TRL_MIN[needType], `${key}:trl`),
          budget,
          cooperationModes,
          deadline,
          regionCode: org.regionCode,
          contact: contactOf(org),
        },
      };
    }),
  );
}
