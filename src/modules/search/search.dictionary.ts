/**
 * Domain vocabulary for Chinese segmentation and synonyms, shared by both engines: the
 * PostgreSQL engine loads the words into jieba and expands queries with the synonyms; the
 * Meilisearch engine sends the same lists as its `dictionary` and `synonyms` settings, so a
 * query finds the same documents on either engine.
 *
 * Why a dictionary at all: jieba's general dictionary splits technical terms (石墨烯 → 石墨/烯,
 * 褐煤蜡 → 褐煤/蜡), so a search for 石墨烯 would also match every 石墨 (graphite) text and rank
 * poorly. Words are the terms of the field taxonomy (catalog.data.ts) and of the achievements and
 * needs we serve (新材料, 农机, 化工, 生物, 能源, 电子信息 in Heilongjiang's 4567 system).
 */
export const DOMAIN_WORDS: readonly string[] = [
  // materials
  '石墨烯', '氧化石墨烯', '石墨烯粉体', '石墨烯薄膜', '导热膜', '散热膜', '氮化硼', '六方氮化硼', '碳化硅', '氮化硅', '氮化铝',
  '碳纤维', '碳纳米管', '纳米片', '气凝胶', '石墨深加工', '球形石墨', '负极材料', '正极材料', '锂离子电池', '钠离子电池',
  '固态电池', '铝镁合金', '镁合金', '铝合金', '钛合金', '高温合金', '焊接材料', '焊丝', '增材制造', '3D打印', '高分子材料',
  '可降解塑料', '聚乳酸', '聚烯烃', '复合材料', '涂层', '防腐涂层', '陶瓷基复合材料', '稀土',
  // chemistry and energy
  '褐煤蜡', '褐煤腐植酸', '腐植酸', '煤化工', '煤制油', '煤气化', '煤炭清洁高效利用', '乙烯', '催化剂', '分子筛', '精细化工',
  '生物柴油', '生物质', '秸秆', '秸秆综合利用', '沼气', '氢能', '制氢', '储氢', '燃料电池', '储能', '光伏', '风电', '热泵',
  '余热回收', '碳捕集', '碳中和', '节能减排', '油气开发', '三次采油', '驱油剂',
  // agriculture and food
  '精量播种', '精量播种机', '播种机', '免耕播种', '收获机', '智能收获机械', '植保无人机', '农机装备', '黑土地', '黑土地保护',
  '保护性耕作', '水稻', '玉米', '大豆', '马铃薯', '寒地水稻', '育种', '分子育种', '种质资源', '生物农药', '生物肥料',
  '微生物菌剂', '饲料', '兽药', '疫苗', '乳制品', '功能性食品', '绿色食品', '粮食精深加工', '食品添加剂', '冷链物流', '亚麻',
  '木材精深加工', '北药', '中药材', '刺五加', '五味子', '人参',
  // biomedicine
  '生物医药', '创新药', '化学药', '原料药', '单克隆抗体', '抗体', '基因编辑', '细胞治疗', '干细胞', '医疗器械', '体外诊断',
  '生物制造', '合成生物学', '发酵工程', '酶制剂',
  // equipment and manufacturing
  '数控机床', '高档数控机床', '工业机器人', '机器人', '智能制造', '工业互联网', '数字孪生', '机器视觉', '传感器', '激光雷达',
  '轨道交通', '电力装备', '特高压', '变压器', '发电机组', '燃气轮机', '汽轮机', '煤机装备', '油气钻采装备', '冰雪装备',
  '航空装备', '卫星制造', '无人机', '减速器', '液压', '轴承',
  // information technology
  '人工智能', '大数据', '云计算', '区块链', '物联网', '网络安全', '集成电路', '芯片', '半导体', '光电子', '激光器',
  '深度学习', '大模型', '知识图谱', '边缘计算', '5G',
  // environment
  '污水处理', '废水处理', '固废处理', '固体废弃物', '危废处置', '土壤修复', '大气污染', '脱硫脱硝', '除尘', 'VOCs治理',
];

/**
 * Groups of terms that mean the same thing (Chinese/English pairs and common abbreviations).
 * Each group is symmetric: a query for any member finds documents with any other.
 */
export const SYNONYM_GROUPS: readonly (readonly string[])[] = [
  ['石墨烯', 'graphene'],
  ['氮化硼', 'boron nitride', 'bn'],
  ['碳纤维', 'carbon fiber', 'carbon fibre'],
  ['碳纳米管', 'carbon nanotube', 'cnt'],
  ['碳化硅', 'silicon carbide', 'sic'],
  ['锂离子电池', '锂电池', 'lithium-ion battery'],
  ['燃料电池', 'fuel cell'],
  ['人工智能', 'ai', 'artificial intelligence'],
  ['机器视觉', 'machine vision'],
  ['物联网', 'iot'],
  ['大数据', 'big data'],
  ['集成电路', '芯片', 'ic'],
  ['增材制造', '3d打印', 'additive manufacturing'],
  ['数控机床', 'cnc'],
  ['无人机', 'uav', 'drone'],
  ['基因编辑', 'crispr'],
  ['单克隆抗体', '单抗', 'monoclonal antibody'],
  ['体外诊断', 'ivd'],
  ['污水处理', '废水处理', 'wastewater treatment'],
  ['秸秆', 'straw'],
  ['大豆', 'soybean'],
  ['玉米', 'corn', 'maize'],
  ['马铃薯', '土豆', 'potato'],
  ['氢能', 'hydrogen'],
  ['储能', 'energy storage'],
  ['光伏', 'photovoltaic', 'pv'],
];

/** A jieba user dictionary ("word frequency tag" per line): a high frequency wins over splits. */
export function jiebaUserDictionary(): string {
  return DOMAIN_WORDS.map((w) => `${w} 100000 n`).join('\n');
}

/** term (lower case) → every other member of its groups */
export function synonymMap(): Map<string, string[]> {
  const map = new Map<string, Set<string>>();
  for (const group of SYNONYM_GROUPS) {
    for (const term of group) {
      const set = map.get(term) ?? new Set<string>();
      for (const other of group) if (other !== term) set.add(other);
      map.set(term, set);
    }
  }
  return new Map([...map].map(([k, v]) => [k, [...v]]));
}
