import type { AchievementDocument, NeedDocument } from '../../src/modules/search/search.engine.js';

/** Fixed instants: the fixtures do not depend on the wall clock. */
export const T0 = Date.parse('2026-03-01T00:00:00Z');
const DAY = 86_400_000;
export const ORG_A = '0195f000-0000-7000-8000-00000000000a';
export const ORG_B = '0195f000-0000-7000-8000-00000000000b';
export const id = (n: number) => `0195f000-0000-7000-8000-${String(n).padStart(12, '0')}`;

const path = (leaf: string, ...crosswalk: string[]) => {
  const up = (c: string) => c.split('.').map((_, i, a) => a.slice(0, i + 1).join('.'));
  return [...new Set([...up(leaf), ...crosswalk.flatMap(up)])].sort();
};

export function achievementDoc(n: number, o: Partial<AchievementDocument>): AchievementDocument {
  const fieldCodes = o.fieldCodes ?? ['HLJ.5.03.04'];
  return {
    kind: 'achievement',
    id: id(n),
    status: 'published',
    title: '',
    summary: '',
    description: null,
    applications: null,
    keywords: [],
    fieldCodes,
    fieldPathCodes: path(fieldCodes[0]!),
    regionCode: '230100',
    provinceCode: `${(o.regionCode ?? '230100').slice(0, 2)}0000`,
    cityCode: (o.regionCode ?? '230100').endsWith('0000') ? null : `${(o.regionCode ?? '230100').slice(0, 4)}00`,
    organizationId: ORG_A,
    institution: '哈尔滨工业大学',
    trl: 5,
    stage: 'pilot',
    transferModes: ['transfer'],
    priceKind: 'negotiable',
    priceFen: null,
    publishedAt: T0 + n * DAY,
    validUntil: T0 + 365 * DAY,
    ...o,
  };
}

export function needDoc(n: number, o: Partial<NeedDocument>): NeedDocument {
  const fieldCodes = o.fieldCodes ?? ['HLJ.6.03.03'];
  return {
    kind: 'need',
    id: id(100 + n),
    status: 'published',
    title: '',
    summary: '',
    description: null,
    keywords: [],
    fieldCodes,
    fieldPathCodes: path(fieldCodes[0]!),
    regionCode: '230600',
    provinceCode: `${(o.regionCode ?? '230600').slice(0, 2)}0000`,
    cityCode: (o.regionCode ?? '230600').endsWith('0000') ? null : `${(o.regionCode ?? '230600').slice(0, 4)}00`,
    organizationId: ORG_B,
    needType: 'technology_introduction',
    trlMin: null,
    budgetMinFen: null,
    budgetMaxFen: null,
    budgetNegotiable: false,
    cooperationModes: ['transfer'],
    deadline: null,
    publishedAt: T0 + n * DAY,
    validUntil: T0 + 365 * DAY,
    ...o,
  };
}

/** Five live achievements and one expired; the contract's expectations are written against these. */
export const ACHIEVEMENTS: AchievementDocument[] = [
  achievementDoc(1, {
    title: '石墨烯导热膜连续制备技术',
    keywords: ['石墨烯', '导热膜'],
    summary: '高导热石墨烯薄膜的卷对卷连续制备，用于手机和服务器散热。',
    trl: 6,
    transferModes: ['license'],
    priceKind: 'fixed',
    priceFen: 5_000_000,
  }),
  achievementDoc(2, {
    title: 'Graphene anti-corrosion coating',
    keywords: ['coating'],
    summary: 'A waterborne coating for steel bridges and pipelines.',
    regionCode: '210100',
    provinceCode: '210000',
    cityCode: '210100',
    organizationId: ORG_B,
    trl: 8,
    stage: 'industrialization',
  }),
  achievementDoc(3, {
    title: '寒地水稻精量播种机',
    keywords: ['精量播种', '寒地水稻'],
    summary: '面向寒地水稻的气吸式播种装备，播种均匀度提高百分之二十。',
    fieldCodes: ['HLJ.5.04.06'],
    fieldPathCodes: path('HLJ.5.04.06'),
    regionCode: '230600',
    provinceCode: '230000',
    cityCode: '230600',
    trl: 7,
    stage: 'industrialization',
    transferModes: ['transfer', 'license'],
    priceKind: 'fixed',
    priceFen: 50_000_000,
  }),
  achievementDoc(4, {
    title: '褐煤蜡提取与精制工艺',
    keywords: ['褐煤'],
    summary: '以内蒙古褐煤为原料，溶剂萃取得到粗蜡后精制脱色。',
    fieldCodes: ['HLJ.6.02.03'],
    fieldPathCodes: path('HLJ.6.02.03'),
    trl: 3,
    stage: 'lab',
    priceKind: 'fixed',
    priceFen: 8_000_000,
  }),
  achievementDoc(5, {
    title: '煤化工高盐废水处理技术',
    keywords: ['高级氧化'],
    summary: '处理褐煤蜡生产废水的催化臭氧氧化工艺。',
    fieldCodes: ['NHT.07.01'],
    fieldPathCodes: path('NHT.07.01'),
    regionCode: '230000',
    provinceCode: '230000',
    cityCode: null,
    trl: 4,
    stage: 'lab',
    transferModes: ['joint_development'],
    priceKind: 'auction',
  }),
  achievementDoc(6, {
    title: '石墨烯电池负极材料',
    keywords: ['石墨烯'],
    summary: '已过期的成果，不应出现在结果中。',
    validUntil: T0 - 1,
  }),
];

export const NEEDS: NeedDocument[] = [
  needDoc(1, {
    title: '大豆膳食纤维提取技术',
    keywords: ['大豆', '膳食纤维'],
    summary: '寻求豆渣中膳食纤维的提取工艺。',
    trlMin: 6,
    budgetMinFen: 10_000_000,
    budgetMaxFen: 50_000_000,
  }),
  needDoc(2, {
    title: '石墨烯散热膜量产工艺',
    keywords: ['石墨烯', '散热膜'],
    summary: '手机散热膜需要量产工艺，预算面议。',
    fieldCodes: ['HLJ.5.03.04'],
    fieldPathCodes: path('HLJ.5.03.04'),
    regionCode: '230100',
    provinceCode: '230000',
    cityCode: '230100',
    needType: 'joint_rd',
    budgetNegotiable: true,
    cooperationModes: ['joint_development'],
  }),
  needDoc(3, {
    title: '褐煤蜡精制脱色',
    keywords: ['褐煤蜡'],
    summary: '粗褐煤蜡颜色深，需要精制脱色技术。',
    fieldCodes: ['HLJ.6.02.03'],
    fieldPathCodes: path('HLJ.6.02.03'),
    regionCode: '150100',
    provinceCode: '150000',
    cityCode: '150100',
    needType: 'technical_problem',
    trlMin: 4,
    budgetMaxFen: 1_000_000,
  }),
];

/** "now" for the contract: after every publication, before every validUntil except the expired one. */
export const NOW = T0 + 30 * DAY;
