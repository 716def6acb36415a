import { creditCodeCheckChar } from '../../src/lib/credit-code.js';

/**
 * The demo organizations. Universities and institutes are the province's real ones (no credit
 * code: we do not invent identifiers for real legal entities); enterprises and the brokerage are
 * fictional, with credit codes that pass the GB 32100-2015 check.
 *
 * Every organization has one demo user: demo+<slug>@techbridge.example / TechBridge-demo-2026.
 */
export type SeedOrgKind = 'university' | 'institute' | 'enterprise' | 'broker';

export interface SeedOrganization {
  slug: string;
  name: string;
  kind: SeedOrgKind;
  regionCode: string;
  creditCode?: string;
  description: string;
  /** the demo user's display name and the contact on the organization's listings */
  contactName: string;
}

export const DEMO_PASSWORD = 'TechBridge-demo-2026';
export const demoEmail = (slug: string): string => `demo+${slug}@techbridge.example`;

/** 91 = 工商 registered enterprise; the 9-character body stands in for the organization code. */
const enterpriseCode = (regionCode: string, body: string): string => {
  const first17 = `91${regionCode}${body}`;
  return first17 + creditCodeCheckChar(first17);
};

/** Long-distance area codes of Heilongjiang's cities, for contact phone numbers. */
export const AREA_CODES: Record<string, string> = {
  '230100': '0451', '230200': '0452', '230300': '0467', '230400': '0468', '230500': '0469', '230600': '0459',
  '230700': '0458', '230800': '0454', '230900': '0464', '231000': '0453', '231100': '0456', '231200': '0455',
  '232700': '0457',
};

export const ORGANIZATIONS: SeedOrganization[] = [
  // 高等院校
  { slug: 'hit', name: '哈尔滨工业大学', kind: 'university', regionCode: '230100', contactName: '李振华',
    description: '工业和信息化部直属的全国重点大学，在航天、焊接、机器人、先进材料和寒区土木工程领域具有传统优势，设有国家技术转移中心和多个国家级重点实验室。' },
  { slug: 'hrbeu', name: '哈尔滨工程大学', kind: 'university', regionCode: '230100', contactName: '王海涛',
    description: '以船舶工业、海洋装备、海洋开发和核能应用为特色的全国重点大学，在水声、导航、动力与能源、智能控制方向形成了一批可转化成果。' },
  { slug: 'nefu', name: '东北林业大学', kind: 'university', regionCode: '230100', contactName: '张秀梅',
    description: '以林业和生物学科为特色的全国重点大学，重点开展林木遗传育种、木材科学、林源生物质利用和寒地野生动植物资源保护研究。' },
  { slug: 'neau', name: '东北农业大学', kind: 'university', regionCode: '230100', contactName: '刘国庆',
    description: '以农科为特色的综合性大学，大豆、寒地水稻、玉米、乳品和农业机械学科在国内具有重要影响，长期服务黑龙江粮食主产区。' },
  { slug: 'hlju', name: '黑龙江大学', kind: 'university', regionCode: '230100', contactName: '陈立新',
    description: '省属综合性重点大学，在功能无机材料、化学工程、电子工程和俄语区域研究方面积累深厚，拥有功能无机材料化学教育部重点实验室。' },
  { slug: 'hrbust', name: '哈尔滨理工大学', kind: 'university', regionCode: '230100', contactName: '孙建军',
    description: '以电气绝缘、高档数控刀具、测控技术和材料成型为特色的工科大学，多项电机与电缆绝缘材料成果已在省内企业转化。' },
  { slug: 'nepu', name: '东北石油大学', kind: 'university', regionCode: '230600', contactName: '赵志刚',
    description: '位于大庆的石油石化特色大学，围绕提高采收率、油气储运、石油化工和钻采装备开展研究，与大庆油田长期产学研合作。' },
  { slug: 'qqhru', name: '齐齐哈尔大学', kind: 'university', regionCode: '230200', contactName: '周丽娟',
    description: '齐齐哈尔市的综合性大学，在精细化工、高分子材料、农产品加工和装备制造方向服务地方产业，与齐齐哈尔重型装备企业合作紧密。' },
  { slug: 'jmsu', name: '佳木斯大学', kind: 'university', regionCode: '230800', contactName: '吴志强',
    description: '地处三江平原的综合性大学，在康复医学、农业机械化、生物制药和功能性食品方面开展应用研究。' },
  { slug: 'byau', name: '黑龙江八一农垦大学', kind: 'university', regionCode: '230600', contactName: '郑红',
    description: '源于北大荒农垦系统的农业大学，长于现代农业装备、寒地作物栽培、畜牧兽医和粮食加工，成果多在垦区农场示范推广。' },
  { slug: 'hrbmu', name: '哈尔滨医科大学', kind: 'university', regionCode: '230100', contactName: '杨晓明',
    description: '省属重点医科大学，在心血管药理、肿瘤分子诊断、地方病防治和医学影像方面形成特色，附属医院为成果临床验证提供条件。' },
  { slug: 'hljucm', name: '黑龙江中医药大学', kind: 'university', regionCode: '230100', contactName: '马春燕',
    description: '以北药资源研究和中药新药开发见长，拥有国家中医药管理局重点研究室，刺五加、五味子、板蓝根等道地药材研究基础雄厚。' },
  { slug: 'mdjmu', name: '牡丹江医科大学', kind: 'university', regionCode: '231000', contactName: '胡文斌',
    description: '牡丹江市的医科院校，在医学检验、康复器械和林下中药材资源开发方面与地方企业开展合作。' },
  { slug: 'usth', name: '黑龙江科技大学', kind: 'university', regionCode: '230100', contactName: '何永刚',
    description: '以矿业、安全工程和石墨材料为特色的工科大学，面向鸡西、鹤岗、双鸭山、七台河四煤城开展煤矿安全和石墨深加工技术研究。' },
  // 科研院所
  { slug: 'haas', name: '黑龙江省农业科学院', kind: 'institute', regionCode: '230100', contactName: '高志军',
    description: '全省最大的综合性农业科研机构，在寒地水稻、大豆、玉米、马铃薯育种和黑土地保护方面育成大批品种、形成成套技术。' },
  { slug: 'haas-jms', name: '黑龙江省农业科学院佳木斯分院', kind: 'institute', regionCode: '230800', contactName: '林雪',
    description: '面向三江平原的水稻和大豆育种与栽培研究机构，育成的早熟寒地水稻品种在第三、第四积温带推广面积较大。' },
  { slug: 'haas-mdj', name: '黑龙江省农业科学院牡丹江分院', kind: 'institute', regionCode: '231000', contactName: '罗春生',
    description: '以大豆、玉米和烟草育种为主的区域农业科研机构，兼顾东部山区特色作物和绿色防控技术。' },
  { slug: 'hlas', name: '黑龙江省科学院', kind: 'institute', regionCode: '230100', contactName: '梁伟',
    description: '省属综合性自然科学研究机构，下设石油化学、自动化、技术物理、微生物、智能制造等研究所，侧重应用研究和技术服务。' },
  { slug: 'hlas-ipc', name: '黑龙江省科学院石油化学研究院', kind: 'institute', regionCode: '230100', contactName: '宋佳',
    description: '专注于高性能胶粘剂、树脂基复合材料和精细化学品，航空航天用结构胶和密封材料长期为主机厂配套。' },
  { slug: 'hlaf', name: '黑龙江省林业科学院', kind: 'institute', regionCode: '230100', contactName: '唐建国',
    description: '从事寒温带森林培育、林下经济、木材改性和生态修复研究，在红松、蓝莓、黑木耳等林下资源开发方面成果丰富。' },
  { slug: 'hlam', name: '黑龙江省农业机械工程科学研究院', kind: 'institute', regionCode: '230100', contactName: '韩东',
    description: '全省农业机械化技术和装备的研发中心，重点开展精量播种、保护性耕作、秸秆处理和智能收获装备研制与推广。' },
  { slug: 'hvri', name: '中国农业科学院哈尔滨兽医研究所', kind: 'institute', regionCode: '230100', contactName: '冯立',
    description: '国家级兽医科研机构，在动物疫病诊断、疫苗和生物制品研发方面拥有国家重点实验室，多项疫苗产品实现产业化。' },
  { slug: 'hlacm', name: '黑龙江省中医药科学院', kind: 'institute', regionCode: '230100', contactName: '董丽华',
    description: '从事中医临床研究、中药制剂和北药资源开发的省级研究机构，拥有医院制剂研发平台。' },
  // 企业 (fictional)
  { slug: 'lingyun-robot', name: '哈尔滨凌云焊接机器人有限公司', kind: 'enterprise', regionCode: '230100', creditCode: enterpriseCode('230100', 'MA1B4K7N2'), contactName: '曹明',
    description: '专业从事焊接机器人、激光焊接工作站和焊缝跟踪系统的高新技术企业，产品用于工程机械、轨道交通和压力容器制造。' },
  { slug: 'xinghe-space', name: '哈尔滨星河卫星科技有限公司', kind: 'enterprise', regionCode: '230100', creditCode: enterpriseCode('230100', 'MA1C2D8P5'), contactName: '许晨',
    description: '面向商业航天的微小卫星平台及星载部组件企业，提供立方星平台、星敏感器和在轨测试服务。' },
  { slug: 'huiyan-sensor', name: '哈尔滨慧眼智能传感有限公司', kind: 'enterprise', regionCode: '230100', creditCode: enterpriseCode('230100', 'MA1D6F3R8'), contactName: '田甜',
    description: '研发和生产MEMS传感器、光纤传感器和工业物联网终端，服务于电力、油田和智慧农业场景。' },
  { slug: 'bingcheng-data', name: '哈尔滨冰城数智科技有限公司', kind: 'enterprise', regionCode: '230100', creditCode: enterpriseCode('230100', 'MA1E9G5T1'), contactName: '邓宇',
    description: '大数据与人工智能解决方案提供商，业务覆盖政务数据治理、农业遥感分析和工业视觉质检。' },
  { slug: 'beijiguang-pharma', name: '哈尔滨北极光生物医药股份有限公司', kind: 'enterprise', regionCode: '230100', creditCode: enterpriseCode('230100', '7K2L4M6N3'), contactName: '彭丽',
    description: '以生物医药和化学药制剂为主营的制药企业，拥有口服固体制剂、冻干粉针车间和省级企业技术中心。' },
  { slug: 'longding-power', name: '哈尔滨龙鼎电力装备有限公司', kind: 'enterprise', regionCode: '230100', creditCode: enterpriseCode('230100', 'MA1F3H7U4'), contactName: '蒋涛',
    description: '生产中小型水电机组、电站辅机和输变电在线监测设备，为东北地区电网和发电企业配套。' },
  { slug: 'chiyuan-power', name: '哈尔滨驰远动力科技有限公司', kind: 'enterprise', regionCode: '230100', creditCode: enterpriseCode('230100', 'MA1G8J2W6'), contactName: '潘志远',
    description: '从事汽车发动机关键零部件、增压器和寒区新能源汽车热管理系统的研发制造。' },
  { slug: 'beiguo-kangyang', name: '哈尔滨北国康养科技有限公司', kind: 'enterprise', regionCode: '230100', creditCode: enterpriseCode('230100', 'MA1H5K9X7'), contactName: '袁芳',
    description: '运营候鸟式康养基地和社区养老服务中心，开发智慧养老平台和冰雪旅游康养产品。' },
  { slug: 'longjiang-logistics', name: '龙江智运供应链管理有限公司', kind: 'enterprise', regionCode: '230100', creditCode: enterpriseCode('230100', 'MA1J7L4Y9'), contactName: '鲁刚',
    description: '面向对俄贸易和东北粮食外运的供应链企业，运营冷链仓储、多式联运和跨境物流信息平台。' },
  { slug: 'huarui-polyolefin', name: '大庆华锐聚烯烃新材料有限公司', kind: 'enterprise', regionCode: '230600', creditCode: enterpriseCode('230600', 'MA1K2M8A3'), contactName: '龚伟',
    description: '依托大庆乙烯原料优势，生产高性能聚乙烯、聚丙烯专用料和改性塑料，产品用于管材、汽车部件和医用包装。' },
  { slug: 'dingli-drilling', name: '大庆鼎力钻采装备有限公司', kind: 'enterprise', regionCode: '230600', creditCode: enterpriseCode('230600', 'MA1L6N3B5'), contactName: '石磊',
    description: '制造抽油机、井下工具和压裂装备，提供老油田提高采收率配套服务。' },
  { slug: 'chenshi-graphene', name: '鸡西辰石石墨烯科技有限公司', kind: 'enterprise', regionCode: '230300', creditCode: enterpriseCode('230300', 'MA1M9P5C8'), contactName: '贺东升',
    description: '以鸡西鳞片石墨为原料生产石墨烯粉体、导电浆料和石墨烯改性涂料，建有年产百吨级石墨烯生产线。' },
  { slug: 'xingshi-graphite', name: '鹤岗兴石石墨深加工有限公司', kind: 'enterprise', regionCode: '230400', creditCode: enterpriseCode('230400', 'MA1N4Q7D2'), contactName: '邵军',
    description: '从事高纯石墨、球形石墨负极材料和柔性石墨密封材料的生产，是鹤岗石墨产业园骨干企业。' },
  { slug: 'hengyuan-lignite', name: '双鸭山恒源褐煤化工有限公司', kind: 'enterprise', regionCode: '230500', creditCode: enterpriseCode('230500', 'MA1P8R2E6'), contactName: '谭勇',
    description: '利用宝清褐煤资源提取褐煤蜡和腐植酸，开发腐植酸水溶肥和土壤调理剂。' },
  { slug: 'beizhong-cnc', name: '齐齐哈尔北重数控装备有限公司', kind: 'enterprise', regionCode: '230200', creditCode: enterpriseCode('230200', 'MA1Q3T6F9'), contactName: '毛建平',
    description: '生产重型数控立车、数控落地铣镗床和专用机床，服务能源、船舶和轨道交通装备制造企业。' },
  { slug: 'longgui-rail', name: '齐齐哈尔龙轨车辆部件有限公司', kind: 'enterprise', regionCode: '230200', creditCode: enterpriseCode('230200', 'MA1R7U9G4'), contactName: '万红',
    description: '为铁路货车和城轨车辆提供转向架部件、制动系统零件和寒区车辆防冻装置。' },
  { slug: 'woye-agrimach', name: '佳木斯沃野农机装备有限公司', kind: 'enterprise', regionCode: '230800', creditCode: enterpriseCode('230800', 'MA1T2W4H7'), contactName: '段立军',
    description: '生产大豆玉米精量播种机、水稻插秧机和谷物联合收获机，产品覆盖三江平原和北大荒各农场。' },
  { slug: 'xueyuan-ice', name: '牡丹江雪原冰雪装备制造有限公司', kind: 'enterprise', regionCode: '231000', creditCode: enterpriseCode('231000', 'MA1U6X8J1'), contactName: '钱雪峰',
    description: '研发制造造雪机、压雪车配套装置、雪地摩托和冰场设备，为省内外滑雪场和冰雪主题乐园提供成套装备。' },
  { slug: 'jinguan-blade', name: '七台河金冠冰上运动器材有限公司', kind: 'enterprise', regionCode: '230900', creditCode: enterpriseCode('230900', 'MA1W3Y2K5'), contactName: '戴冬梅',
    description: '生产短道速滑和速度滑冰冰刀、护具及训练器材，依托七台河短道速滑人才基地开展产品测试。' },
  { slug: 'lindu-beiyao', name: '伊春林都北药科技有限公司', kind: 'enterprise', regionCode: '230700', creditCode: enterpriseCode('230700', 'MA1X7A5L8'), contactName: '常青',
    description: '在小兴安岭林区建有刺五加、五味子规范化种植基地，生产中药饮片、提取物和保健食品。' },
  { slug: 'heitu-food', name: '绥化寒地黑土绿色食品有限公司', kind: 'enterprise', regionCode: '231200', creditCode: enterpriseCode('231200', 'MA1Y2B9M3'), contactName: '于海波',
    description: '以绿色大豆、鲜食玉米和寒地水稻为原料，生产豆制品、玉米休闲食品和高端大米。' },
  { slug: 'beijiang-soy', name: '黑河北疆大豆科技有限公司', kind: 'enterprise', regionCode: '231100', creditCode: enterpriseCode('231100', 'MA1A6C3N7'), contactName: '金宝',
    description: '专注非转基因大豆的精深加工，产品包括大豆分离蛋白、大豆肽和低聚糖，部分产品出口俄罗斯。' },
  { slug: 'hanyun-flax', name: '兰西汉韵亚麻纺织有限公司', kind: 'enterprise', regionCode: '231200', creditCode: enterpriseCode('231200', 'MA1B9D7P2'), contactName: '夏丽萍',
    description: '从亚麻原茎收购、温水沤麻到湿纺长麻纱和亚麻面料的一体化企业，拥有亚麻纺纱锭规模四万锭。' },
  { slug: 'xingan-berry', name: '大兴安岭寒地蓝莓生物科技有限公司', kind: 'enterprise', regionCode: '232700', creditCode: enterpriseCode('232700', 'MA1C4E2Q6'), contactName: '白雪松',
    description: '以野生蓝莓、红豆越橘和桦树汁为原料，生产花青素提取物、果汁饮品和功能性食品。' },
  // 技术转移机构
  { slug: 'kechuang-broker', name: '龙江科创技术转移服务有限公司', kind: 'broker', regionCode: '230100', creditCode: enterpriseCode('230100', 'MA1D8F6R4'), contactName: '顾晓峰',
    description: '省级示范技术转移机构，拥有二十余名持证技术经理人，为高校院所提供成果评估、挂牌交易、作价入股和技术合同登记代办服务。' },
];

const bySlug = new Map(ORGANIZATIONS.map((o) => [o.slug, o]));

export function organizationOf(slug: string): SeedOrganization {
  const org = bySlug.get(slug);
  if (!org) throw new Error(`seed data names an unknown organization: ${slug}`);
  return org;
}
