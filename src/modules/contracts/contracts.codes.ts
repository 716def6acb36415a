/**
 * The code lists of form JJ-001 (技术合同登记表, 科学技术部) as this platform records them. Codes that
 * are national (买卖方性质, 国别代码, 行政区划代码, GB/T 4754 国民经济行业) keep their national values;
 * the other lists (type, subtype, IP type, 技术领域, 社会经济目标, 计划来源, refusal grounds) use
 * readable slugs whose meaning is the label beside them.
 */
type Labels<K extends string> = Readonly<Record<K, string>>;

const keys = <K extends string>(labels: Labels<K>) => Object.keys(labels) as [K, ...K[]];
/** "code label; code label; …" for schema descriptions. */
export const describeCodes = (labels: Readonly<Record<string, string>>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k} ${v}`)
    .join('; ');

/** 合同类别 (民法典 第二十章). */
export const TYPE_LABELS = {
  development: '技术开发',
  transfer: '技术转让',
  license: '技术许可',
  consulting: '技术咨询',
  service: '技术服务',
} as const;
export type ContractType = keyof typeof TYPE_LABELS;
export const CONTRACT_TYPES = keys(TYPE_LABELS);

export const SUBTYPE_LABELS = {
  commissioned_development: '委托开发',
  cooperative_development: '合作开发',
  patent_right: '专利权转让',
  patent_application_right: '专利申请权转让',
  technical_secret: '技术秘密转让',
  ic_layout: '集成电路布图设计专有权转让',
  plant_variety: '植物新品种权转让',
  software_copyright: '计算机软件著作权转让',
  patent_license: '专利实施许可',
  technical_secret_license: '技术秘密使用许可',
  consulting: '技术咨询',
  technical_service: '技术服务',
  technical_training: '技术培训',
  technical_intermediary: '技术中介',
} as const;
export type ContractSubtype = keyof typeof SUBTYPE_LABELS;
export const CONTRACT_SUBTYPES = keys(SUBTYPE_LABELS);

export const SUBTYPES_OF: Readonly<Record<ContractType, readonly ContractSubtype[]>> = {
  development: ['commissioned_development', 'cooperative_development'],
  transfer: ['patent_right', 'patent_application_right', 'technical_secret', 'ic_layout', 'plant_variety', 'software_copyright'],
  license: ['patent_license', 'technical_secret_license'],
  consulting: ['consulting'],
  service: ['technical_service', 'technical_training', 'technical_intermediary'],
};

/**
 * National statistics still publish four categories (开发/转让/咨询/服务): licences were part of
 * 技术转让 before the Civil Code split them out.
 */
export const CATEGORY_LABELS = { development: '技术开发', transfer: '技术转让', consulting: '技术咨询', service: '技术服务' } as const;
export const CATEGORY_OF: Readonly<Record<ContractType, keyof typeof CATEGORY_LABELS>> = {
  development: 'development',
  transfer: 'transfer',
  license: 'transfer',
  consulting: 'consulting',
  service: 'service',
};

/** 买方/卖方性质: 3-digit legal-entity codes (enterprises by 企业登记注册类型). */
export const NATURE_LABELS = {
  '010': '机关法人',
  '021': '科研机构',
  '022': '高等院校',
  '023': '医疗卫生机构',
  '024': '其他事业法人',
  '030': '社团法人',
  '110': '国有企业',
  '120': '集体企业',
  '130': '股份合作企业',
  '140': '联营企业',
  '150': '有限责任公司',
  '160': '股份有限公司',
  '170': '私营企业',
  '180': '其他内资企业',
  '210': '合资经营企业（港澳台资）',
  '220': '合作经营企业（港澳台资）',
  '230': '港澳台商独资经营企业',
  '240': '港澳台商投资股份有限公司',
  '310': '中外合资经营企业',
  '320': '中外合作经营企业',
  '330': '外资企业',
  '340': '外商投资股份有限公司',
  '400': '个体经营及自然人',
} as const;
export type NatureCode = keyof typeof NATURE_LABELS;
export const NATURE_CODES = keys(NATURE_LABELS);

/** 国别代码: the customs statistical country code table; 142 is China. */
export const CHINA_COUNTRY_CODE = '142';

/** 知识产权类别. */
export const IP_TYPE_LABELS = {
  invention_patent: '发明专利',
  utility_model: '实用新型专利',
  design_patent: '外观设计专利',
  patent_application: '专利申请',
  software_copyright: '计算机软件著作权',
  ic_layout: '集成电路布图设计专有权',
  plant_variety: '植物新品种权',
  new_drug: '生物医药新品种',
  trade_secret: '技术秘密',
  other: '其他知识产权',
  none: '未涉及知识产权',
} as const;
export type IpType = keyof typeof IP_TYPE_LABELS;
export const IP_TYPES = keys(IP_TYPE_LABELS);

const PATENTS: readonly IpType[] = ['invention_patent', 'utility_model', 'design_patent'];
/** A subtype named after a right must record that right as its IP type. */
export const IP_TYPES_OF_SUBTYPE: Partial<Record<ContractSubtype, readonly IpType[]>> = {
  patent_right: PATENTS,
  patent_license: PATENTS,
  patent_application_right: ['patent_application'],
  technical_secret: ['trade_secret'],
  technical_secret_license: ['trade_secret'],
  ic_layout: ['ic_layout'],
  plant_variety: ['plant_variety'],
  software_copyright: ['software_copyright'],
};

/** 技术领域 of the contract statistics (its own list, not the 4567 or 高新技术 taxonomies). */
export const DOMAIN_LABELS = {
  electronic_information: '电子信息',
  advanced_manufacturing: '先进制造',
  urban_social: '城市建设与社会发展',
  aerospace: '航空航天',
  biomedicine: '生物医药和医疗器械',
  new_materials: '新材料及其应用',
  new_energy: '新能源与高效节能',
  environment: '环境保护与资源综合利用',
  modern_transport: '现代交通',
  agriculture: '农业',
  nuclear: '核应用',
} as const;
export type TechnologyDomain = keyof typeof DOMAIN_LABELS;
export const TECHNOLOGY_DOMAINS = keys(DOMAIN_LABELS);

/** 社会经济目标, in the order of the national S&T statistics. */
export const GOAL_LABELS = {
  environment: '环境保护、生态建设及污染防治',
  energy: '能源生产、分配和合理利用',
  health: '卫生事业发展',
  education: '教育事业发展',
  infrastructure: '基础设施以及城市和农村规划',
  social_development: '社会发展和社会服务',
  earth_atmosphere: '地球和大气层的探索与利用',
  civil_space: '民用空间探测及开发',
  agriculture: '农林牧渔业发展',
  industry_commerce: '工商业发展',
  non_oriented_research: '非定向研究',
  other_civil: '其他民用目标',
  defence: '国防',
} as const;
export type SocioEconomicGoal = keyof typeof GOAL_LABELS;
export const SOCIO_ECONOMIC_GOALS = keys(GOAL_LABELS);

/** 计划来源. */
export const PLAN_SOURCE_LABELS = {
  national: '国家计划',
  provincial: '省、部计划',
  local: '地市县计划',
  none: '计划外',
} as const;
export const PLAN_SOURCES = keys(PLAN_SOURCE_LABELS);

/** GB/T 4754-2017 门类 with the range of their 大类 (two-digit divisions). */
export const INDUSTRY_SECTIONS: Readonly<Record<string, { label: string; divisions: [number, number] }>> = {
  A: { label: '农、林、牧、渔业', divisions: [1, 5] },
  B: { label: '采矿业', divisions: [6, 12] },
  C: { label: '制造业', divisions: [13, 43] },
  D: { label: '电力、热力、燃气及水生产和供应业', divisions: [44, 46] },
  E: { label: '建筑业', divisions: [47, 50] },
  F: { label: '批发和零售业', divisions: [51, 52] },
  G: { label: '交通运输、仓储和邮政业', divisions: [53, 60] },
  H: { label: '住宿和餐饮业', divisions: [61, 62] },
  I: { label: '信息传输、软件和信息技术服务业', divisions: [63, 65] },
  J: { label: '金融业', divisions: [66, 69] },
  K: { label: '房地产业', divisions: [70, 70] },
  L: { label: '租赁和商务服务业', divisions: [71, 72] },
  M: { label: '科学研究和技术服务业', divisions: [73, 75] },
  N: { label: '水利、环境和公共设施管理业', divisions: [76, 79] },
  O: { label: '居民服务、修理和其他服务业', divisions: [80, 82] },
  P: { label: '教育', divisions: [83, 83] },
  Q: { label: '卫生和社会工作', divisions: [84, 85] },
  R: { label: '文化、体育和娱乐业', divisions: [86, 90] },
  S: { label: '公共管理、社会保障和社会组织', divisions: [91, 97] },
  T: { label: '国际组织', divisions: [98, 98] },
};

/** Grounds on which a registration point refuses to register (技术合同认定规则). */
export const REFUSAL_GROUND_LABELS = {
  parties_unclear: '当事人不明确',
  subject_unclear: '标的不明确',
  price_unclear: '价款、报酬或使用费不明确',
  not_technology_contract: '不属于技术合同',
  monopolistic_clauses: '含有非法垄断技术、妨碍技术进步的条款',
  infringes_rights: '侵害他人技术成果',
  seal_mismatch: '合同签章与当事人不符',
  outside_validity: '超出合同有效期申请登记',
  duplicate_registration: '重复登记',
  material_not_supplied: '补正材料未按期提交',
} as const;
export type RefusalGround = keyof typeof REFUSAL_GROUND_LABELS;
export const REFUSAL_GROUNDS = keys(REFUSAL_GROUND_LABELS);
