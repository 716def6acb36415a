/**
 * What the demo contracts are about: the fields each seed organization works in (codes from the
 * 4567 taxonomy), and how a field maps to the JJ-001 技术领域, 社会经济目标 and GB/T 4754 industry.
 */
export const FIELDS_OF: Record<string, string[]> = {
  hit: ['HLJ.5.04.06', 'HLJ.5.03.03', 'HLJ.5.01.01', 'HLJ.5.03.02'],
  hrbeu: ['HLJ.5.04.03', 'HLJ.4.01.03', 'HLJ.5.04.06'],
  nefu: ['HLJ.6.06.02', 'HLJ.4.02.03'],
  neau: ['HLJ.5.05.01', 'HLJ.6.03.03', 'HLJ.4.02.02'],
  hlju: ['HLJ.5.03.05', 'HLJ.6.02.04'],
  hrbust: ['HLJ.5.04.01', 'HLJ.5.04.03'],
  nepu: ['HLJ.6.01.02', 'HLJ.5.04.04'],
  qqhru: ['HLJ.6.02.04', 'HLJ.5.03.05'],
  jmsu: ['HLJ.6.04.03', 'HLJ.6.03.02'],
  byau: ['HLJ.5.05.02', 'HLJ.6.03.03'],
  hrbmu: ['HLJ.6.04.02', 'HLJ.6.04.03'],
  hljucm: ['HLJ.6.04.01'],
  mdjmu: ['HLJ.6.04.03', 'HLJ.6.04.01'],
  usth: ['HLJ.5.03.06', 'HLJ.6.01.01'],
  haas: ['HLJ.4.02.02', 'HLJ.6.03.01'],
  'haas-jms': ['HLJ.4.02.02'],
  'haas-mdj': ['HLJ.4.02.02'],
  hlas: ['HLJ.4.01.02', 'HLJ.5.04.06'],
  'hlas-ipc': ['HLJ.5.03.05', 'HLJ.6.02.04'],
  hlaf: ['HLJ.6.06.02', 'HLJ.6.03.02'],
  hlam: ['HLJ.5.05.01', 'HLJ.5.05.03'],
  hvri: ['HLJ.4.02.01'],
  hlacm: ['HLJ.6.04.01'],
  'lingyun-robot': ['HLJ.5.04.06'],
  'xinghe-space': ['HLJ.5.01.01'],
  'huiyan-sensor': ['HLJ.4.01.03'],
  'bingcheng-data': ['HLJ.4.01.01', 'HLJ.4.01.02'],
  'beijiguang-pharma': ['HLJ.6.04.02', 'HLJ.4.02.01'],
  'longding-power': ['HLJ.5.04.03'],
  'chiyuan-power': ['HLJ.6.05.01'],
  'beiguo-kangyang': ['HLJ.7.05'],
  'longjiang-logistics': ['HLJ.7.03'],
  'huarui-polyolefin': ['HLJ.6.02.02', 'HLJ.5.03.05'],
  'dingli-drilling': ['HLJ.5.04.04', 'HLJ.6.01.02'],
  'chenshi-graphene': ['HLJ.5.03.04'],
  'xingshi-graphite': ['HLJ.5.03.06'],
  'hengyuan-lignite': ['HLJ.6.02.03'],
  'beizhong-cnc': ['HLJ.5.04.01'],
  'longgui-rail': ['HLJ.5.04.02'],
  'woye-agrimach': ['HLJ.5.05.01', 'HLJ.5.05.02'],
  'xueyuan-ice': ['HLJ.4.03.01'],
  'jinguan-blade': ['HLJ.4.03.01'],
  'lindu-beiyao': ['HLJ.6.04.01'],
  'heitu-food': ['HLJ.6.03.01', 'HLJ.6.03.03'],
  'beijiang-soy': ['HLJ.6.03.03', 'HLJ.6.03.02'],
  'hanyun-flax': ['HLJ.6.06.01'],
  'xingan-berry': ['HLJ.6.03.02'],
  'kechuang-broker': ['HLJ.7.04'],
};

/** 买卖方性质 of the fictional enterprises (the universities are 022, the institutes 021). */
export const ENTERPRISE_NATURE: Record<string, string> = {
  'beijiguang-pharma': '160',
  'longding-power': '110',
  'longgui-rail': '110',
  'beizhong-cnc': '110',
  'huarui-polyolefin': '160',
  'dingli-drilling': '150',
  'hanyun-flax': '170',
  'xingan-berry': '170',
  'jinguan-blade': '170',
  'heitu-food': '170',
};
export const DEFAULT_ENTERPRISE_NATURE = '150';

interface FieldProfile {
  prefix: string;
  domain: string;
  goal: string;
  industry: string;
}

/** Longest prefix wins. */
const PROFILES: FieldProfile[] = [
  { prefix: 'HLJ.4.01', domain: 'electronic_information', goal: 'industry_commerce', industry: 'I65' },
  { prefix: 'HLJ.4.02.01', domain: 'biomedicine', goal: 'health', industry: 'C27' },
  { prefix: 'HLJ.4.02.02', domain: 'agriculture', goal: 'agriculture', industry: 'A01' },
  { prefix: 'HLJ.4.02.03', domain: 'biomedicine', goal: 'industry_commerce', industry: 'C26' },
  { prefix: 'HLJ.4.03', domain: 'advanced_manufacturing', goal: 'social_development', industry: 'C24' },
  { prefix: 'HLJ.5.01', domain: 'aerospace', goal: 'civil_space', industry: 'C37' },
  { prefix: 'HLJ.5.03', domain: 'new_materials', goal: 'industry_commerce', industry: 'C30' },
  { prefix: 'HLJ.5.03.05', domain: 'new_materials', goal: 'industry_commerce', industry: 'C29' },
  { prefix: 'HLJ.5.04', domain: 'advanced_manufacturing', goal: 'industry_commerce', industry: 'C34' },
  { prefix: 'HLJ.5.04.02', domain: 'modern_transport', goal: 'infrastructure', industry: 'C37' },
  { prefix: 'HLJ.5.04.03', domain: 'new_energy', goal: 'energy', industry: 'C38' },
  { prefix: 'HLJ.5.04.04', domain: 'advanced_manufacturing', goal: 'energy', industry: 'C35' },
  { prefix: 'HLJ.5.05', domain: 'agriculture', goal: 'agriculture', industry: 'C35' },
  { prefix: 'HLJ.6.01', domain: 'new_energy', goal: 'energy', industry: 'D44' },
  { prefix: 'HLJ.6.01.01', domain: 'environment', goal: 'environment', industry: 'B06' },
  { prefix: 'HLJ.6.01.02', domain: 'new_energy', goal: 'energy', industry: 'B07' },
  { prefix: 'HLJ.6.02', domain: 'new_materials', goal: 'industry_commerce', industry: 'C26' },
  { prefix: 'HLJ.6.02.03', domain: 'environment', goal: 'agriculture', industry: 'C26' },
  { prefix: 'HLJ.6.03', domain: 'agriculture', goal: 'agriculture', industry: 'C14' },
  { prefix: 'HLJ.6.04', domain: 'biomedicine', goal: 'health', industry: 'C27' },
  { prefix: 'HLJ.6.04.03', domain: 'biomedicine', goal: 'health', industry: 'C35' },
  { prefix: 'HLJ.6.05', domain: 'modern_transport', goal: 'industry_commerce', industry: 'C36' },
  { prefix: 'HLJ.6.06.01', domain: 'advanced_manufacturing', goal: 'industry_commerce', industry: 'C17' },
  { prefix: 'HLJ.6.06.02', domain: 'new_materials', goal: 'industry_commerce', industry: 'C20' },
  { prefix: 'HLJ.7', domain: 'urban_social', goal: 'social_development', industry: 'M75' },
  { prefix: 'HLJ.7.03', domain: 'modern_transport', goal: 'industry_commerce', industry: 'G58' },
];

export function profileOf(fieldCode: string): FieldProfile {
  let best: FieldProfile | undefined;
  for (const p of PROFILES) if (fieldCode.startsWith(p.prefix) && (!best || p.prefix.length > best.prefix.length)) best = p;
  return best ?? { prefix: '', domain: 'advanced_manufacturing', goal: 'industry_commerce', industry: 'M75' };
}

/** What a contract of each subtype is typically about, for its 项目名称. */
export const SUBJECTS = ['关键技术', '制备工艺', '成套装备', '检测方法', '智能控制系统', '产业化示范', '性能提升', '工艺优化'];
export const TITLE_SUFFIX: Record<string, string> = {
  commissioned_development: '技术开发（委托）合同',
  cooperative_development: '技术开发（合作）合同',
  patent_right: '专利权转让合同',
  technical_secret: '技术秘密转让合同',
  software_copyright: '计算机软件著作权转让合同',
  plant_variety: '植物新品种权转让合同',
  patent_license: '专利实施许可合同',
  technical_secret_license: '技术秘密使用许可合同',
  consulting: '技术咨询合同',
  technical_service: '技术服务合同',
  technical_training: '技术培训合同',
  technical_intermediary: '技术中介合同',
};

/** Subtype mix of a province's registered contracts (weights), with the IP type each concerns. */
export const SUBTYPE_MIX: { type: string; subtype: string; weight: number; ipTypes: string[]; techShare: [number, number] }[] = [
  { type: 'development', subtype: 'commissioned_development', weight: 25, ipTypes: ['none', 'none', 'invention_patent'], techShare: [0.65, 0.8] },
  { type: 'development', subtype: 'cooperative_development', weight: 10, ipTypes: ['none', 'invention_patent'], techShare: [0.65, 0.8] },
  { type: 'transfer', subtype: 'patent_right', weight: 8, ipTypes: ['invention_patent', 'invention_patent', 'utility_model'], techShare: [0.95, 1] },
  { type: 'transfer', subtype: 'technical_secret', weight: 4, ipTypes: ['trade_secret'], techShare: [0.9, 1] },
  { type: 'transfer', subtype: 'software_copyright', weight: 2, ipTypes: ['software_copyright'], techShare: [0.95, 1] },
  { type: 'transfer', subtype: 'plant_variety', weight: 1, ipTypes: ['plant_variety'], techShare: [0.95, 1] },
  { type: 'license', subtype: 'patent_license', weight: 9, ipTypes: ['invention_patent'], techShare: [0.95, 1] },
  { type: 'license', subtype: 'technical_secret_license', weight: 3, ipTypes: ['trade_secret'], techShare: [0.9, 1] },
  { type: 'consulting', subtype: 'consulting', weight: 10, ipTypes: ['none'], techShare: [1, 1] },
  { type: 'service', subtype: 'technical_service', weight: 20, ipTypes: ['none'], techShare: [0.7, 0.9] },
  { type: 'service', subtype: 'technical_training', weight: 4, ipTypes: ['none'], techShare: [0.8, 1] },
  { type: 'service', subtype: 'technical_intermediary', weight: 4, ipTypes: ['none'], techShare: [1, 1] },
];

/** Registrations per month (technology contracts bunch up in December, before the year's books close). */
export const MONTH_WEIGHTS = [5, 6, 8, 8, 9, 9, 8, 8, 9, 10, 12, 18];
